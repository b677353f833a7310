/*
 * Copyright (c) 2026 The creamasd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#include <sys/param.h>
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netdb.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "auth.h"
#include "clock.h"
#include "jsonfast.h"
#include "jsonspan.h"
#include "linebuf.h"
#include "log.h"
#include "socket.h"
#include "server.h"
#include "xmalloc.h"

#define SERVER_PEER_MAX		(NI_MAXHOST + NI_MAXSERV + 4)
#define SERVER_ACCEPT_RETRY	1	/* seconds to wait after EMFILE */
#define SERVER_AUTH_FAILURES	3	/* unauthorised calls before closing */
#define SERVER_AUTH_DEADLINE	10.0	/* seconds to prove the key */
#define SERVER_REFUSED_LOG	1	/* seconds between refusal logs */
#define SERVER_SLICE_US		2000	/* a batch's requests between turns */
#define SERVER_SLICE_CHECK	63	/* look at the clock every 64 */
#define SERVER_TRIM_BYTES	(1024 * 1024)	/* a reply worth a trim */
#define SERVER_READ_MORE	(256 * 1024)	/* of a line, at most, a turn */

struct server_conn;

/*
 * A batch: its requests are handed out a slice at a time from the line's
 * text (or, when only the codec took the line, from its parsed array),
 * and their replies gather as text, sent together once all are in.
 */
struct server_batch {
	struct evbuffer		*responses;	/* "[r1,r2..." */
	size_t			 outstanding;
	char			*line;		/* NULL once handed out */
	size_t			 length;
	size_t			 mapped;	/* linebuf_free_line()'s */
	size_t			 pos;		/* jsonspan_next()'s place */
	int			 checking;	/* walking it to check it first */
	size_t			 checked;	/* requests found so far */
	struct json_object	*array;		/* or the parsed requests */
	size_t			 next;
	struct event		*slice;
};

/* One request in flight. */
struct server_request {
	LIST_ENTRY(server_request) entry;
	struct server_conn	*conn;		/* NULL once it closed */
	struct server_batch	*batch;		/* NULL outside a batch */
	struct json_object	*object;	/* the parsed request */
	struct json_object	*id;
	int			 notification;
	/* A request read without its object: its method and id. */
	struct json_object	*own_method;
	struct json_object	*own_id;
};

/* One client connection. */
struct server_conn {
	TAILQ_ENTRY(server_conn) entry;
	struct server		*server;
	struct bufferevent	*bev;
	char			 peer[SERVER_PEER_MAX];
	unsigned long		 inflight;
	int			 reading;	/* may handle more requests */
	int			 closing;	/* flushing, then closed */
	int			 eof;		/* the peer sent all it will */
	uint64_t		 partial_since;	/* a line begun, not ended */
	struct linebuf		 partial;	/* its bytes taken so far */
	struct event		*auth_timer;	/* the handshake's deadline */
	int			 in_read_cb;
	int			 trim_on_drain;	/* a large reply is queued */
	struct server_batch	*feeding;	/* a batch being handed out */
	int			 authenticated;
	unsigned		 auth_failures;
	unsigned		 auth_challenges;
	char			 client_nonce[AUTH_HEX_MAX + 1];
	char			 server_nonce[AUTH_HEX_MAX + 1];
	LIST_HEAD(, server_request) requests;
};

struct server {
	struct event_base	*base;
	struct limits		 limits;
	server_dispatch_cb	 dispatch;
	void			*dispatch_arg;
	struct evconnlistener	*listener;
	struct event		*accept_retry;
	struct event		*refused_timer;	/* while refusals are quiet */
	unsigned long		 refused_quiet;	/* refused, not yet logged */
	uint16_t		 port;
	size_t			 count;
	uint64_t		 bytes_in;	/* lines read, newlines counted */
	uint64_t		 bytes_out;	/* lines queued to send */
	uint64_t		 errors;	/* error responses sent */
	TAILQ_HEAD(, server_conn) conns;
	struct event		*drain_timer;
	void			(*drain_done)(void *);
	void			*drain_arg;
};

static void	server_conn_free(struct server_conn *);
static void	server_refused_log_cb(evutil_socket_t, short, void *);
static void	server_conn_update_reading(struct server_conn *);
static void	server_conn_read_cb(struct bufferevent *, void *);
static void	server_conn_close_after_flush(struct server_conn *);
static void	server_batch_release(struct server_conn *,
		    struct server_batch *);
static int	server_conn_line_too_slow(struct server_conn *,
		    struct evbuffer *);
static void	server_handle_one(struct server_conn *, struct server_batch *,
		    struct json_object *);
static struct server_request *server_request_new(struct server_conn *,
		    struct server_batch *, struct json_object *);
static void	server_conn_send_error(struct server_conn *,
		    struct json_object *);
static int	server_conn_done_closing(const struct server_conn *);
static void	server_conn_close_after_flush(struct server_conn *);
static void	server_conn_free(struct server_conn *);

/*
 * After the peer's end of file, close once every request has been
 * answered and the answers have gone out; a connection already closing
 * goes once it owes nothing.
 */
static void
server_conn_maybe_finish(struct server_conn *conn)
{
	if (conn->eof && conn->inflight == 0 && !conn->closing &&
	    !conn->in_read_cb)
		server_conn_close_after_flush(conn);
	else if (server_conn_done_closing(conn))
		server_conn_free(conn);
}

/* Create a server that hands requests to dispatch. */
struct server *
server_new(struct event_base *base, const struct limits *limits,
    server_dispatch_cb dispatch, void *arg)
{
	struct server	*server;

	server = xcalloc(1, sizeof *server);
	server->base = base;
	server->limits = *limits;
	server->dispatch = dispatch;
	server->dispatch_arg = arg;
	TAILQ_INIT(&server->conns);
	server->refused_timer = evtimer_new(base, server_refused_log_cb,
	    server);
	return (server);
}

/* Return the port the server listens on (useful after port 0). */
uint16_t
server_port(const struct server *server)
{
	return (server->port);
}

/* Return how many connections are open. */
size_t
server_connection_count(const struct server *server)
{
	return (server->count);
}

/* Return how many requests wait for an answer on all connections. */
size_t
server_requests_in_flight(const struct server *server)
{
	const struct server_conn	*conn;
	size_t				 count = 0;

	TAILQ_FOREACH(conn, &server->conns, entry)
		count += conn->inflight;
	return (count);
}

/* Count the error responses in a value about to be sent. */
static uint64_t
server_count_errors(struct json_object *value)
{
	uint64_t	 errors = 0;
	size_t		 i;

	if (json_object_is_type(value, json_type_object))
		return (json_object_object_get_ex(value, "error", NULL));
	if (json_object_is_type(value, json_type_array)) {
		for (i = 0; i < json_object_array_length(value); i++)
			errors += server_count_errors(
			    json_object_array_get_idx(value, i));
	}
	return (errors);
}

/* Return the bytes read and sent and the error responses sent so far. */
void
server_traffic(const struct server *server, uint64_t *in, uint64_t *out,
    uint64_t *errors)
{
	*in = server->bytes_in;
	*out = server->bytes_out;
	*errors = server->errors;
}

/* Return the peer address of a request's connection, for logs. */
const char *
server_request_peer(const struct server_request *request)
{
	return (request->conn != NULL ? request->conn->peer : "(closed)");
}

/* Queue a line of text on a connection. */
static void
server_conn_send_text(struct server_conn *conn, const char *text,
    size_t length)
{
	conn->server->bytes_out += length + 1;
	/* A reply goes out at once unless more requests wait to be read. */
	socket_send_line(conn->bev, text, length, evbuffer_get_length(
	    bufferevent_get_input(conn->bev)) == 0);
	server_conn_update_reading(conn);
}

/*
 * Queue a buffer's text (taken) as a line on a connection, without a
 * copy, and at once unless more requests wait to be read; a large one
 * asks for the memory back once it has gone out.
 */
static void
server_conn_send_buffer(struct server_conn *conn, struct evbuffer *text)
{
	struct evbuffer	*output = bufferevent_get_output(conn->bev);

	conn->server->bytes_out += evbuffer_get_length(text) + 1;
	if (evbuffer_get_length(text) >= SERVER_TRIM_BYTES)
		conn->trim_on_drain = 1;
	if (socket_send_buffer(conn->bev, text, evbuffer_get_length(
	    bufferevent_get_input(conn->bev)) == 0) != 0) {
		log_warnx("%s: out of memory for a reply; closing", conn->peer);
		server_conn_close_after_flush(conn);
	}
	evbuffer_free(text);
	/* All gone out at once: the write callback will not be called. */
	if (conn->trim_on_drain && evbuffer_get_length(output) == 0) {
		conn->trim_on_drain = 0;
		xmalloc_trim_later(conn->server->base);
	}
	server_conn_update_reading(conn);
}

/* Queue one JSON value as a line on a connection. */
static void
server_conn_send(struct server_conn *conn, struct json_object *value)
{
	const char	*text;
	size_t		 length;

	text = rpc_serialize(value, &length);
	conn->server->errors += server_count_errors(value);
	server_conn_send_text(conn, text, length);
}

/* Forget a request and let its connection read again if it was full. */
static void
server_request_free(struct server_request *request)
{
	struct server_conn	*conn = request->conn;

	if (conn != NULL)
		LIST_REMOVE(request, entry);
	json_object_put(request->object);
	json_object_put(request->own_id);
	json_object_put(request->own_method);
	free(request);
	if (conn != NULL) {
		conn->inflight--;
		server_conn_update_reading(conn);
		server_conn_maybe_finish(conn);
	}
}

/*
 * Let go of one hold on a batch; the last one sends its replies (if any:
 * notifications have none) and frees it.
 */
static void
server_batch_release(struct server_conn *conn, struct server_batch *batch)
{
	if (--batch->outstanding > 0)
		return;
	if (conn != NULL && evbuffer_get_length(batch->responses) > 0) {
		evbuffer_add(batch->responses, "]", 1);
		server_conn_send_buffer(conn, batch->responses);
	} else
		evbuffer_free(batch->responses);
	free(batch);
}

/* Add a response's text to its batch: "[" before the first, "," after. */
static void
server_batch_add(struct server_batch *batch, const char *text,
    size_t length, struct evbuffer *buffer)
{
	evbuffer_add(batch->responses,
	    evbuffer_get_length(batch->responses) == 0 ? "[" : ",", 1);
	if (buffer != NULL)
		evbuffer_add_buffer(batch->responses, buffer);
	else
		evbuffer_add(batch->responses, text, length);
}

/*
 * Deliver a response, as a value or as text in a buffer (either taken,
 * or neither for a notification): alone, or into its batch, sent when
 * the batch is complete.
 */
static void
server_request_finish(struct server_request *request,
    struct json_object *response, struct evbuffer *text)
{
	struct server_batch	*batch = request->batch;
	struct server_conn	*conn = request->conn;
	const char		*serialized = NULL;
	size_t			 length = 0;

	if (response != NULL) {
		serialized = rpc_serialize(response, &length);
		if (conn != NULL)
			conn->server->errors += server_count_errors(response);
	}
	if (batch == NULL) {
		/* A closing connection still sends what it owes. */
		if (conn != NULL && text != NULL) {
			server_conn_send_buffer(conn, text);
			text = NULL;
		} else if (conn != NULL && serialized != NULL)
			server_conn_send_text(conn, serialized, length);
	} else {
		if (serialized != NULL || text != NULL)
			server_batch_add(batch, serialized, length, text);
		server_batch_release(conn, batch);
	}
	json_object_put(response);
	if (text != NULL)
		evbuffer_free(text);
	server_request_free(request);
}

/*
 * Write a request's response around its result, or around the text in
 * buffer (emptied): the members in the order rpc_response_new() gives
 * them, so that the text is what serialising that would write.
 */
static void
server_response_write(struct evbuffer *out, struct server_request *request,
    struct json_object *result, struct evbuffer *buffer)
{
	static const char	 head[] = "{\"jsonrpc\":\"2.0\",\"result\":";
	struct jsonfast_text	 text;

	jsonfast_text_init(&text);
	jsonfast_text_add(&text, head, sizeof head - 1);
	if (buffer != NULL) {
		jsonfast_text_send(&text, out);
		evbuffer_add_buffer(out, buffer);
	} else
		jsonfast_text_value(&text, result);
	jsonfast_text_add(&text, ",\"id\":", 6);
	jsonfast_text_value(&text, request->id);
	jsonfast_text_add(&text, "}", 1);
	jsonfast_text_send(&text, out);
}

/*
 * Answer a request with a result (taken); notifications get nothing.
 * The response is written as text, straight into its batch when it has
 * one.
 */
void
server_reply(struct server_request *request, struct json_object *result)
{
	struct server_conn	*conn = request->conn;
	struct server_batch	*batch = request->batch;
	struct evbuffer		*line;

	if (!request->notification) {
		if (batch != NULL) {
			evbuffer_add(batch->responses, evbuffer_get_length(
			    batch->responses) == 0 ? "[" : ",", 1);
			server_response_write(batch->responses, request,
			    result, NULL);
		} else if (conn != NULL) {
			line = evbuffer_new();
			server_response_write(line, request, result, NULL);
			server_conn_send_text(conn,
			    (const char *)evbuffer_pullup(line, -1),
			    evbuffer_get_length(line));
			evbuffer_free(line);
		}
	}
	json_object_put(result);
	server_request_finish(request, NULL, NULL);
}

/*
 * Answer a request with a result already written as JSON text in a
 * buffer (taken, emptied): the response is built around it without a
 * copy.
 */
void
server_reply_text(struct server_request *request, struct evbuffer *result)
{
	struct evbuffer	*response;

	if (request->notification) {
		evbuffer_free(result);
		server_request_finish(request, NULL, NULL);
		return;
	}
	response = evbuffer_new();
	server_response_write(response, request, NULL, result);
	evbuffer_free(result);
	server_request_finish(request, NULL, response);
}

/* Answer a request with an error object (taken). */
void
server_reply_error(struct server_request *request, struct json_object *error)
{
	struct json_object	*response = NULL;

	if (!request->notification)
		response = rpc_response_new(request->id, NULL, error);
	else
		json_object_put(error);
	server_request_finish(request, response, NULL);
}

/* Make a request handle for one element of the input. */
static struct server_request *
server_request_new(struct server_conn *conn, struct server_batch *batch,
    struct json_object *object)
{
	struct server_request	*request;

	request = xcalloc(1, sizeof *request);
	request->conn = conn;
	request->batch = batch;
	request->object = json_object_get(object);
	request->notification = 1;
	LIST_INSERT_HEAD(&conn->requests, request, entry);
	conn->inflight++;
	if (batch != NULL)
		batch->outstanding++;
	server_conn_update_reading(conn);
	return (request);
}

/* Refuse a call from a peer that has not proved it holds the key. */
static void
server_auth_refuse(struct server_conn *conn, struct server_request *request,
    const char *method, const char *message)
{
	log_warnx("%s: unauthorised %s: %s", conn->peer,
	    rpc_quote(method), message);
	server_reply_error(request, rpc_error_new(RPC_UNAUTHORISED, message,
	    NULL));
	if (++conn->auth_failures >= SERVER_AUTH_FAILURES) {
		log_warnx("%s: closing after %u unauthorised calls",
		    conn->peer, conn->auth_failures);
		server_conn_close_after_flush(conn);
	}
}

/* auth.challenge: keep the peer's nonce, answer ours and our proof. */
static void
server_auth_challenge(struct server_conn *conn,
    struct server_request *request, struct json_object *params)
{
	const struct auth_key	*key = conn->server->limits.key;
	struct json_object	*nonce, *result;
	char			 proof[AUTH_PROOF_HEX + 1];

	if (params == NULL || !json_object_object_get_ex(params, "nonce",
	    &nonce) || !json_object_is_type(nonce, json_type_string) ||
	    !auth_is_hex(json_object_get_string(nonce), 32, AUTH_HEX_MAX)) {
		server_auth_refuse(conn, request, "auth.challenge",
		    "auth.challenge needs a nonce of 32 to 128 hex digits");
		return;
	}
	if (++conn->auth_challenges > SERVER_AUTH_FAILURES) {
		server_auth_refuse(conn, request, "auth.challenge",
		    "too many challenges on one connection");
		return;
	}
	if (auth_nonce(conn->server_nonce, sizeof conn->server_nonce) != 0) {
		server_reply_error(request, rpc_error_new(RPC_INTERNAL_ERROR,
		    "no random bytes to be had", NULL));
		return;
	}
	snprintf(conn->client_nonce, sizeof conn->client_nonce, "%s",
	    json_object_get_string(nonce));
	auth_proof(key, "server", conn->client_nonce, conn->server_nonce,
	    proof);
	result = json_object_new_object();
	json_object_object_add(result, "nonce",
	    json_object_new_string(conn->server_nonce));
	json_object_object_add(result, "proof", json_object_new_string(proof));
	server_reply(request, result);
}

/* auth.prove: check the peer's proof over our fresh nonce, once. */
static void
server_auth_prove(struct server_conn *conn, struct server_request *request,
    struct json_object *params)
{
	const struct auth_key	*key = conn->server->limits.key;
	struct json_object	*proof;
	int			 right;

	if (conn->server_nonce[0] == '\0') {
		server_auth_refuse(conn, request, "auth.prove",
		    "auth.challenge must come first");
		return;
	}
	right = params != NULL && json_object_object_get_ex(params, "proof",
	    &proof) && json_object_is_type(proof, json_type_string) &&
	    auth_proof_check(key, "client", conn->server_nonce,
	    conn->client_nonce, json_object_get_string(proof));
	/* A nonce proves one connection once: no replay, no guessing. */
	conn->server_nonce[0] = '\0';
	if (!right) {
		server_auth_refuse(conn, request, "auth.prove",
		    "wrong proof: not the cluster key");
		return;
	}
	conn->authenticated = 1;
	if (conn->auth_timer != NULL)
		evtimer_del(conn->auth_timer);
	log_debug("%s: authenticated", conn->peer);
	server_reply(request, json_object_new_boolean(1));
}

/* The key was not proved in time: a stranger may not keep a slot. */
static void
server_auth_deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server_conn	*conn = arg;

	if (conn->authenticated || conn->closing)
		return;
	log_warnx("%s: no cluster key proved within %g s; closing",
	    conn->peer, SERVER_AUTH_DEADLINE);
	server_conn_close_after_flush(conn);
}

/* Before the key is proved, only the handshake is served. */
static void
server_auth(struct server_conn *conn, struct server_request *request,
    const struct rpc_request *parsed)
{
	if (strcmp(parsed->method, "auth.challenge") == 0)
		server_auth_challenge(conn, request, parsed->params);
	else if (strcmp(parsed->method, "auth.prove") == 0)
		server_auth_prove(conn, request, parsed->params);
	else
		server_auth_refuse(conn, request, parsed->method,
		    "unauthorised: prove the cluster key first "
		    "(auth.challenge, auth.prove)");
}

/* Hand a checked request to the dispatcher, or to the handshake. */
static void
server_handle_parsed(struct server_conn *conn, struct server_request *request,
    const struct rpc_request *parsed)
{
	struct server	*server = conn->server;

	request->id = parsed->id;
	request->notification = parsed->notification;
	if (server->limits.key != NULL && !conn->authenticated) {
		server_auth(conn, request, parsed);
		return;
	}
	server->dispatch(request, parsed, server->dispatch_arg);
}

/* Check one request and hand it to the dispatcher, or answer its error. */
static void
server_handle_one(struct server_conn *conn, struct server_batch *batch,
    struct json_object *object)
{
	struct server_request	*request;
	struct rpc_request	 parsed;
	struct json_object	*error;

	request = server_request_new(conn, batch, object);
	if (rpc_request_parse(object, &parsed, &error) != 0) {
		/*
		 * What is not a request at all is answered (id null if it
		 * has none); a notification with bad params is not.
		 */
		request->notification = parsed.notification &&
		    rpc_error_code(error) != RPC_INVALID_REQUEST;
		request->id = parsed.id;
		server_reply_error(request, error);
		return;
	}
	server_handle_parsed(conn, request, &parsed);
}

/*
 * Take a request as a daemon writes one (see jsonfast_request()) at *pos
 * without building its object: its params are read, its method and id
 * kept with it, and it is handed out as the parsed request would be, its
 * parts held until the dispatcher returns even if it answers at once.
 * Return 0 with *pos after it if it was taken; -1 to leave it to the
 * parser, also if it is not all of text when whole is set.
 */
static int
server_take_plain(struct server_conn *conn, struct server_batch *batch,
    const char *text, size_t length, size_t *pos, int whole)
{
	struct server_request	*request;
	struct rpc_request	 parsed;
	struct json_object	*params, *method, *id;
	size_t			 start, method_length, end = *pos;
	uint64_t		 number;

	if (jsonfast_request(text, length, &end, &start, &method_length,
	    &params, &number) != 0)
		return (-1);
	if (whole && end != length) {
		json_object_put(params);
		return (-1);
	}
	*pos = end;
	method = json_object_new_string_len(text + start, (int)method_length);
	id = json_object_new_int64((int64_t)number);
	request = server_request_new(conn, batch, params);
	request->own_method = json_object_get(method);
	request->own_id = json_object_get(id);
	memset(&parsed, 0, sizeof parsed);
	parsed.method = json_object_get_string(method);
	parsed.params = params;
	parsed.id = id;
	server_handle_parsed(conn, request, &parsed);
	json_object_put(params);
	json_object_put(method);
	json_object_put(id);
	return (0);
}

/*
 * Take the batch's next request, after the first, when it is one as a
 * daemon writes it: the batch was checked already, so its end is where
 * the request read ends, and the line need not be scanned for it again.
 * Return 0 if it was taken, -1 to leave it to the scanner and parser.
 */
static int
server_batch_take_plain(struct server_conn *conn, struct server_batch *batch)
{
	size_t	 pos = batch->pos;

	if (pos == 0)
		return (-1);
	while (pos < batch->length && (batch->line[pos] == ' ' ||
	    batch->line[pos] == '\t' || batch->line[pos] == '\n' ||
	    batch->line[pos] == '\r'))
		pos++;
	if (pos >= batch->length || batch->line[pos] != ',')
		return (-1);
	for (pos++; pos < batch->length && (batch->line[pos] == ' ' ||
	    batch->line[pos] == '\t' || batch->line[pos] == '\n' ||
	    batch->line[pos] == '\r'); pos++)
		;
	if (server_take_plain(conn, batch, batch->line, batch->length, &pos,
	    0) != 0)
		return (-1);
	batch->pos = pos;
	return (0);
}

/*
 * Check the batch's next request as text, before any is handed out; at
 * the end of a valid batch, start over to hand them out. A line the
 * scanner refuses (or "[]") is the codec's to judge as a whole: its
 * parse error, or its array handed out as values. Return 0 once there
 * is nothing to hand out.
 */
static int
server_batch_check_one(struct server_conn *conn, struct server_batch *batch)
{
	struct json_object	*value, *error;
	size_t			 start, end;
	int			 rc;

	rc = jsonspan_next(batch->line, batch->length, &batch->pos, &start,
	    &end);
	if (rc == 1) {
		batch->checked++;
		return (1);
	}
	batch->checking = 0;
	batch->pos = 0;
	if (rc == 0 && batch->checked > 0)
		return (1);
	rc = rpc_parse_line(batch->line, batch->length, &value, &error);
	if (rc == -1)
		server_conn_send_error(conn, error);
	else if (json_object_is_type(value, json_type_array) &&
	    json_object_array_length(value) > 0) {
		batch->array = value;
		return (1);
	} else
		server_handle_one(conn, NULL, value);
	json_object_put(value);
	return (0);
}

/*
 * Hand out the batch's next request: parse it from the line's text (an
 * element the codec will not take is answered as its parse error), or
 * take it from the parsed array. Return 0 once none is left.
 */
static int
server_batch_feed_one(struct server_conn *conn, struct server_batch *batch)
{
	struct server_request	*request;
	struct json_object	*value, *error;
	size_t			 start, end, pos;

	if (batch->checking)
		return (server_batch_check_one(conn, batch));
	if (batch->array != NULL) {
		if (batch->next >= json_object_array_length(batch->array))
			return (0);
		server_handle_one(conn, batch, json_object_array_get_idx(
		    batch->array, batch->next++));
		return (1);
	}
	if (server_batch_take_plain(conn, batch) == 0)
		return (1);
	if (jsonspan_next(batch->line, batch->length, &batch->pos, &start,
	    &end) != 1)
		return (0);
	pos = start;
	if (server_take_plain(conn, batch, batch->line, end, &pos, 1) == 0)
		return (1);
	if (rpc_parse_line(batch->line + start, end - start, &value,
	    &error) != 0) {
		request = server_request_new(conn, batch, NULL);
		request->notification = 0;
		server_reply_error(request, error);
		return (1);
	}
	server_handle_one(conn, batch, value);
	json_object_put(value);
	return (1);
}

/* Every request of the batch is out: drop the line, read again. */
static void
server_batch_fed(struct server_conn *conn, struct server_batch *batch)
{
	if (batch->length >= SERVER_TRIM_BYTES)
		xmalloc_trim_later(conn->server->base);
	linebuf_free_line(batch->line, batch->mapped);
	batch->line = NULL;
	json_object_put(batch->array);
	batch->array = NULL;
	if (batch->slice != NULL)
		event_free(batch->slice);
	batch->slice = NULL;
	conn->feeding = NULL;
	server_batch_release(conn, batch);
	server_conn_update_reading(conn);
}

/*
 * Hand out a batch's requests for up to SERVER_SLICE_US, then let the
 * loop serve others (other connections, replies) before the next slice:
 * a batch of 300,000 calls does not stop the daemon for a second.
 */
static void
server_batch_feed(struct server_conn *conn, struct server_batch *batch)
{
	static const struct timeval	 now = { 0, 0 };
	uint64_t			 deadline = clock_now_us() +
					    SERVER_SLICE_US;
	size_t				 handed = 0;

	while (!conn->closing) {
		if (!server_batch_feed_one(conn, batch)) {
			server_batch_fed(conn, batch);
			return;
		}
		if ((++handed & SERVER_SLICE_CHECK) == 0 &&
		    clock_now_us() >= deadline) {
			evtimer_add(batch->slice, &now);
			return;
		}
	}
	server_batch_fed(conn, batch);
}

/* The next slice of a batch. */
static void
server_batch_slice_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server_conn	*conn = arg;

	/* As in the read loop: a request may close the connection. */
	conn->in_read_cb = 1;
	server_batch_feed(conn, conn->feeding);
	conn->in_read_cb = 0;
	server_conn_maybe_finish(conn);
}

/*
 * Start a batch from its line (taken, as server_handle_line() takes it):
 * it is checked as text, then its requests are parsed and handed out one
 * at a time, both in slices. The connection reads nothing more until all
 * are out.
 */
static void
server_batch_start(struct server_conn *conn, char *line, size_t length,
    size_t mapped)
{
	struct server_batch	*batch;

	batch = xcalloc(1, sizeof *batch);
	batch->responses = evbuffer_new();
	batch->line = line;
	batch->length = length;
	batch->mapped = mapped;
	batch->checking = 1;
	/* Hold the batch open until every element has been handed out. */
	batch->outstanding = 1;
	batch->slice = evtimer_new(conn->server->base, server_batch_slice_cb,
	    conn);
	conn->feeding = batch;
	server_conn_update_reading(conn);
	server_batch_feed(conn, batch);
}

/*
 * Handle one line (taken, freed as linebuf_free_line() does with
 * mapped): a request, or a batch of them. A batch is walked as text,
 * one request parsed at a time, so that its size in objects is never
 * all in memory at once; anything else is the codec's.
 */
static void
server_handle_line(struct server_conn *conn, char *line, size_t length,
    size_t mapped)
{
	struct json_object	*value, *error;
	size_t			 i = 0;
	int			 rc;

	while (i < length && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r'))
		i++;
	if (i < length && line[i] == '[') {
		server_batch_start(conn, line, length, mapped);
		return;
	}
	i = 0;
	if (server_take_plain(conn, NULL, line, length, &i, 1) == 0) {
		linebuf_free_line(line, mapped);
		return;
	}
	rc = rpc_parse_line(line, length, &value, &error);
	if (rc == -1)
		server_conn_send_error(conn, error);
	else if (rc == 0)
		server_handle_one(conn, NULL, value);
	json_object_put(value);
	linebuf_free_line(line, mapped);
}

/* Answer an error with id null outside any request. */
static void
server_conn_send_error(struct server_conn *conn, struct json_object *error)
{
	struct json_object	*response;

	response = rpc_response_new(NULL, NULL, error);
	server_conn_send(conn, response);
	json_object_put(response);
}

/*
 * Return whether a closing connection may go: it owes no answer (every
 * request read was answered) and its output has drained; not from inside
 * its read loop, which frees it on its way out.
 */
static int
server_conn_done_closing(const struct server_conn *conn)
{
	return (conn->closing && conn->inflight == 0 && !conn->in_read_cb &&
	    evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0);
}

/*
 * Stop reading and close the connection once the requests it has in
 * flight are answered and its output has drained.
 */
static void
server_conn_close_after_flush(struct server_conn *conn)
{
	conn->closing = 1;
	server_conn_update_reading(conn);
	bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	if (server_conn_done_closing(conn))
		server_conn_free(conn);
}

/*
 * A line must be finished within idle_timeout of its first byte: a peer
 * trickling a byte now and then is not idle, but is cut off all the same.
 */
static int
server_conn_line_too_slow(struct server_conn *conn, struct evbuffer *input)
{
	double	 limit = conn->server->limits.idle_timeout;

	if ((evbuffer_get_length(input) == 0 && conn->partial.length == 0) ||
	    !conn->reading) {
		conn->partial_since = 0;
		return (0);
	}
	if (conn->partial_since == 0) {
		conn->partial_since = clock_now_us();
		return (0);
	}
	if (limit <= 0 || clock_now_us() - conn->partial_since < limit * 1e6)
		return (0);
	log_warnx("%s: a line unfinished after %g s; closing", conn->peer,
	    limit);
	server_conn_send_error(conn, rpc_error_newf(RPC_TIMED_OUT, NULL,
	    "line unfinished after %g s (idle_timeout); closing", limit));
	evbuffer_drain(input, evbuffer_get_length(input));
	server_conn_close_after_flush(conn);
	return (1);
}

/*
 * Take the next line of the input (to be freed by linebuf_free_line()
 * with *mapped), or NULL when its end has not come: what has come of it
 * moves to the connection's own buffer, so that a long line is searched
 * for its end and copied once, a piece at a time, rather than all over
 * again on every read and in one go at its end. Return -1 when there is
 * no memory for it.
 */
static int
server_conn_next_line(struct server_conn *conn, struct evbuffer *input,
    char **line, size_t *length, size_t *mapped)
{
	char	*end;
	int	 rc;

	*mapped = 0;
	if ((*line = evbuffer_readln(input, length, EVBUFFER_EOL_LF)) == NULL)
		return (evbuffer_get_length(input) == 0 ? 0 :
		    linebuf_add_input(&conn->partial, input));
	if (conn->partial.length == 0)
		return (0);
	end = *line;
	*line = NULL;
	rc = linebuf_add(&conn->partial, end, *length);
	free(end);
	if (rc != 0)
		return (-1);
	*line = linebuf_take(&conn->partial, length, mapped);
	return (0);
}

/*
 * Read what the socket holds of a line begun, up to SERVER_READ_MORE, in
 * one go: libevent 2.1 reads at most 4 KiB a turn of the loop, so a line
 * of megabytes would cost a turn and three system calls for each 4 KiB.
 * Reading megabytes at once would keep other connections waiting tens of
 * ms instead. It reads no more than takes the line one byte past
 * max_line, so an over-long line is found and refused as before. Return
 * 1 if bytes came.
 */
static int
server_conn_read_more(struct server_conn *conn, struct evbuffer *input)
{
	size_t	 max_line = conn->server->limits.max_line, room;

	if (conn->partial.length == 0 || conn->partial.length > max_line)
		return (0);
	room = max_line + 1 - conn->partial.length;
	socket_read_more(conn->bev, MIN(room, SERVER_READ_MORE));
	return (evbuffer_get_length(input) > 0);
}

/*
 * Read and handle complete lines while the connection may take more;
 * the rest of a line begun is read at most once a turn, so that other
 * connections are served while a long one comes in.
 */
static void
server_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct server_conn	*conn = arg;
	struct evbuffer		*input = bufferevent_get_input(bev);
	size_t			 length, mapped;
	size_t			 max_line = conn->server->limits.max_line;
	char			*line;
	int			 may_read_more = 1;

	conn->in_read_cb = 1;
	while (conn->reading) {
		if (server_conn_next_line(conn, input, &line, &length,
		    &mapped) != 0) {
			log_warnx("%s: out of memory for a line; closing",
			    conn->peer);
			conn->in_read_cb = 0;
			server_conn_close_after_flush(conn);
			return;
		}
		if (line == NULL && conn->partial.length <= max_line) {
			if (!may_read_more ||
			    !server_conn_read_more(conn, input))
				break;
			may_read_more = 0;
			continue;
		}
		if (line == NULL)
			length = conn->partial.length;
		conn->server->bytes_in += length + (line != NULL);
		if (length > max_line) {
			linebuf_free_line(line, mapped);
			log_warnx("%s: line of %zu bytes or more is over the "
			    "limit of %zu", conn->peer, length, max_line);
			server_conn_send_error(conn, rpc_error_newf(
			    RPC_PARSE_ERROR, NULL, "line exceeds max_line "
			    "(%zu bytes); closing", max_line));
			evbuffer_drain(input, evbuffer_get_length(input));
			conn->in_read_cb = 0;
			server_conn_close_after_flush(conn);
			return;
		}
		server_handle_line(conn, line, length, mapped);
	}
	conn->in_read_cb = 0;
	if (!conn->closing && server_conn_line_too_slow(conn, input))
		return;
	server_conn_maybe_finish(conn);
}

/* Read when nothing is full; resume handling lines already buffered. */
static void
server_conn_update_reading(struct server_conn *conn)
{
	const struct limits	*limits = &conn->server->limits;
	size_t			 queued;
	int			 reading;

	queued = evbuffer_get_length(bufferevent_get_output(conn->bev));
	reading = !conn->closing && conn->feeding == NULL &&
	    conn->inflight < limits->max_inflight &&
	    queued <= limits->max_output;
	if (reading == conn->reading)
		return;
	conn->reading = reading;
	if (reading) {
		if (!conn->eof)
			bufferevent_enable(conn->bev, EV_READ);
		/* Lines may be waiting in the input already. */
		bufferevent_trigger(conn->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	} else
		bufferevent_disable(conn->bev, EV_READ);
}

/* Output drained below the watermark: read again, or finish closing. */
static void
server_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct server_conn	*conn = arg;

	if (conn->trim_on_drain &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		conn->trim_on_drain = 0;
		xmalloc_trim_later(conn->server->base);
	}
	if (conn->closing) {
		if (server_conn_done_closing(conn))
			server_conn_free(conn);
		return;
	}
	server_conn_update_reading(conn);
}

/* End of file, error or timeout on a connection. */
static void
server_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct server_conn	*conn = arg;
	size_t			 queued;

	queued = evbuffer_get_length(bufferevent_get_output(bev));
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    (conn->inflight > 0 || queued > 0)) {
		/* Waiting for our answer is not being idle. */
		if (!conn->eof && conn->reading)
			bufferevent_enable(bev, EV_READ);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		/* A half-close: answer what was asked, then close. */
		log_debug("%s: end of input", conn->peer);
		conn->eof = 1;
		bufferevent_disable(bev, EV_READ);
		server_conn_maybe_finish(conn);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("%s: %s timeout", conn->peer,
		    (what & BEV_EVENT_WRITING) ? "write" : "idle");
	else if (what & BEV_EVENT_ERROR)
		log_debug("%s: %s", conn->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	server_conn_free(conn);
}

/* Tear a connection down; its requests in flight are answered to no one. */
static void
server_conn_free(struct server_conn *conn)
{
	struct server		*server = conn->server;
	struct server_request	*request;

	while ((request = LIST_FIRST(&conn->requests)) != NULL) {
		LIST_REMOVE(request, entry);
		request->conn = NULL;
	}
	if (conn->feeding != NULL) {
		/* The rest of the batch is for no one. */
		linebuf_free_line(conn->feeding->line, conn->feeding->mapped);
		json_object_put(conn->feeding->array);
		event_free(conn->feeding->slice);
		server_batch_release(NULL, conn->feeding);
	}
	linebuf_clear(&conn->partial);
	TAILQ_REMOVE(&server->conns, conn, entry);
	server->count--;
	if (conn->auth_timer != NULL)
		event_free(conn->auth_timer);
	bufferevent_free(conn->bev);
	free(conn);
	if (server->count < server->limits.max_connections &&
	    server->listener != NULL && server->accept_retry != NULL &&
	    !evtimer_pending(server->accept_retry, NULL))
		evconnlistener_enable(server->listener);
	if (server->drain_done != NULL && server->count == 0) {
		void	(*done)(void *) = server->drain_done;

		server->drain_done = NULL;
		done(server->drain_arg);
	}
}

/* Format a socket address as HOST:PORT. */
static void
server_format_peer(const struct sockaddr *sa, socklen_t salen, char *peer,
    size_t size)
{
	char	 host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, salen, host, sizeof host, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(peer, size, "unknown");
	else if (sa->sa_family == AF_INET6)
		snprintf(peer, size, "[%s]:%s", host, port);
	else
		snprintf(peer, size, "%s:%s", host, port);
}

/* Refuse a connection over the limit with an error line. */
static void
server_refuse(evutil_socket_t fd, const char *peer, unsigned long limit)
{
	char	 line[160];
	int	 length;

	length = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"error\":{\"code\":%d,\"message\":\"too many connections "
	    "(max_connections %lu)\"}}\n", RPC_BUSY, limit);
	if (write(fd, line, length) == -1)
		log_debug("%s: refusing: %s", peer, strerror(errno));
	evutil_closesocket(fd);
}

/*
 * Log that refusals went on: a count, at most once per SERVER_REFUSED_LOG
 * seconds, for as long as they do.
 */
static void
server_refused_log_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server	*server = arg;
	struct timeval	 tv = { SERVER_REFUSED_LOG, 0 };

	if (server->refused_quiet == 0)
		return;		/* they stopped: the next one is logged */
	log_warnx("%lu more connections refused in the last %d s "
	    "(max_connections %lu)", server->refused_quiet,
	    SERVER_REFUSED_LOG, server->limits.max_connections);
	server->refused_quiet = 0;
	evtimer_add(server->refused_timer, &tv);
}

/*
 * Log a refused connection: the first one of a burst by its peer, the
 * others as a count each second (a burst of thousands is a few lines).
 */
static void
server_refused_log(struct server *server, const char *peer)
{
	struct timeval	 tv = { SERVER_REFUSED_LOG, 0 };

	if (evtimer_pending(server->refused_timer, NULL)) {
		server->refused_quiet++;
		return;
	}
	log_warnx("%s: refused: %zu connections open%s", peer, server->count,
	    server->drain_done != NULL ? ", stopping" : "");
	evtimer_add(server->refused_timer, &tv);
}

/* Accept a connection and start reading requests from it. */
static void
server_accept_cb(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server		*server = arg;
	struct server_conn	*conn;
	struct timeval		 idle, deadline;
	char			 peer[SERVER_PEER_MAX];

	(void)listener;
	server_format_peer(sa, salen, peer, sizeof peer);
	if (server->count >= server->limits.max_connections ||
	    server->drain_done != NULL) {
		server_refused_log(server, peer);
		server_refuse(fd, peer, server->limits.max_connections);
		return;
	}
	socket_set_nodelay(fd);
	conn = xcalloc(1, sizeof *conn);
	conn->server = server;
	memcpy(conn->peer, peer, sizeof conn->peer);
	LIST_INIT(&conn->requests);
	conn->bev = bufferevent_socket_new(server->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL) {
		log_warnx("%s: cannot create a buffer event", peer);
		evutil_closesocket(fd);
		free(conn);
		return;
	}
	TAILQ_INSERT_TAIL(&server->conns, conn, entry);
	server->count++;
	bufferevent_setcb(conn->bev, server_conn_read_cb, server_conn_write_cb,
	    server_conn_event_cb, conn);
	/* Stop pulling bytes once a line could be over the limit. */
	bufferevent_setwatermark(conn->bev, EV_READ, 0,
	    server->limits.max_line + 1);
	bufferevent_setwatermark(conn->bev, EV_WRITE,
	    server->limits.max_output / 2, 0);
	socket_write_all_at_once(conn->bev);
	if (server->limits.idle_timeout > 0) {
		idle = clock_timeval(server->limits.idle_timeout);
		bufferevent_set_timeouts(conn->bev, &idle, &idle);
	}
	conn->reading = 1;
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	if (server->limits.key != NULL) {
		deadline = clock_timeval(SERVER_AUTH_DEADLINE);
		conn->auth_timer = evtimer_new(server->base,
		    server_auth_deadline_cb, conn);
		evtimer_add(conn->auth_timer, &deadline);
	}
	log_debug("%s: connected", peer);
}

/* Accept again once the pause after running out of descriptors is over. */
static void
server_accept_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server	*server = arg;

	(void)fd;
	(void)events;
	if (server->listener != NULL)
		evconnlistener_enable(server->listener);
}

/* An accept failed: pause on EMFILE and friends, as relayd does. */
static void
server_accept_error_cb(struct evconnlistener *listener, void *arg)
{
	struct server	*server = arg;
	struct timeval	 retry = { SERVER_ACCEPT_RETRY, 0 };
	int		 error = EVUTIL_SOCKET_ERROR();

	log_warnx("accept: %s; pausing for %d s",
	    evutil_socket_error_to_string(error), SERVER_ACCEPT_RETRY);
	evconnlistener_disable(listener);
	evtimer_add(server->accept_retry, &retry);
}

/* Bind and listen on host:port; port 0 picks a free one. */
int
server_listen(struct server *server, const char *host, uint16_t port,
    char **cause)
{
	struct addrinfo		 hints, *result;
	struct sockaddr_storage	 bound;
	socklen_t		 length = sizeof bound;
	char			 service[8];
	int			 error;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(service, sizeof service, "%u", port);
	if ((error = getaddrinfo(host, service, &hints, &result)) != 0) {
		xasprintf(cause, "%s: %s", host, gai_strerror(error));
		return (-1);
	}
	server->listener = evconnlistener_new_bind(server->base,
	    server_accept_cb, server, LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 511,
	    result->ai_addr, result->ai_addrlen);
	if (server->listener == NULL) {
		xasprintf(cause, "cannot listen on %s port %u: %s", host, port,
		    strerror(errno));
		freeaddrinfo(result);
		return (-1);
	}
	freeaddrinfo(result);
	evconnlistener_set_error_cb(server->listener, server_accept_error_cb);
	server->accept_retry = evtimer_new(server->base,
	    server_accept_retry_cb, server);
	if (getsockname(evconnlistener_get_fd(server->listener),
	    (struct sockaddr *)&bound, &length) == 0) {
		if (bound.ss_family == AF_INET6)
			server->port = ntohs(
			    ((struct sockaddr_in6 *)&bound)->sin6_port);
		else
			server->port = ntohs(
			    ((struct sockaddr_in *)&bound)->sin_port);
	}
	return (0);
}

/* The drain took too long: close what is left. */
static void
server_drain_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server		*server = arg;
	struct server_conn	*conn;

	(void)fd;
	(void)events;
	while ((conn = TAILQ_FIRST(&server->conns)) != NULL)
		server_conn_free(conn);
	if (server->drain_done != NULL) {
		void	(*done)(void *) = server->drain_done;

		server->drain_done = NULL;
		done(server->drain_arg);
	}
}

/*
 * Stop accepting and reading, let every connection answer the requests
 * it has in flight and flush its output, then call done; connections
 * still open after grace seconds are closed.
 */
void
server_drain(struct server *server, double grace, void (*done)(void *),
    void *arg)
{
	struct server_conn	*conn, *next;
	struct timeval		 tv;

	if (server->listener != NULL) {
		evconnlistener_free(server->listener);
		server->listener = NULL;
	}
	server->drain_done = done;
	server->drain_arg = arg;
	for (conn = TAILQ_FIRST(&server->conns); conn != NULL; conn = next) {
		next = TAILQ_NEXT(conn, entry);
		server_conn_close_after_flush(conn);
	}
	if (server->drain_done == NULL)
		return;
	if (server->count == 0) {
		server->drain_done = NULL;
		done(arg);
		return;
	}
	tv = clock_timeval(grace);
	server->drain_timer = evtimer_new(server->base,
	    server_drain_timeout_cb, server);
	evtimer_add(server->drain_timer, &tv);
}

/* Close the listener and every connection, and free the server. */
void
server_free(struct server *server)
{
	struct server_conn	*conn;

	if (server == NULL)
		return;
	server->drain_done = NULL;
	while ((conn = TAILQ_FIRST(&server->conns)) != NULL)
		server_conn_free(conn);
	if (server->listener != NULL)
		evconnlistener_free(server->listener);
	if (server->accept_retry != NULL)
		event_free(server->accept_retry);
	if (server->drain_timer != NULL)
		event_free(server->drain_timer);
	event_free(server->refused_timer);
	free(server);
}
