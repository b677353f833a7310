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

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "addr.h"
#include "auth.h"
#include "client.h"
#include "clock.h"
#include "idmap.h"
#include "jsonfast.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "log.h"
#include "resolve.h"
#include "socket.h"
#include "xmalloc.h"

/* One call waiting for its reply. */
struct client_call {
	struct client		*client;
	uint64_t		 id;
	struct event		 timer;
	client_reply_cb		 callback;
	client_text_cb		 text_callback;	/* or this, for text */
	void			*arg;
	double			 timeout;
};

struct client {
	struct event_base	*base;
	struct bufferevent	*bev;
	struct limits		 limits;
	char			*peer;
	struct resolve		*resolving;	/* the peer's name, looked up */
	struct addrinfo		*addresses;	/* its addresses, until connected */
	struct addrinfo		*trying;	/* the one being connected to */
	char			*lost_reason;	/* NULL while connected */
	int			 connected;	/* the connect is done */
	int			 lost_code;	/* the error calls then get */
	struct idmap		 calls;
	size_t			 text_calls;	/* of them, kept as text */
	uint64_t		 next_id;
	void			(*lost_cb)(void *);
	void			*lost_arg;
	/* With a key: calls wait here until the handshake is done. */
	struct evbuffer		*held;
	char			 nonce[AUTH_HEX_MAX + 1];
	/* Input bytes known to hold no newline, not to scan them again. */
	size_t			 scanned;
	/* The last common timeout, to keep timer queues O(1). */
	double			 common_seconds;
	const struct timeval	*common_tv;
	/* Batched requests of this turn, sent as one line when it ends. */
	struct evbuffer		*batch;
	size_t			 batched;
	struct event		 batch_event;
};

/* How a request goes out. */
enum client_way {
	CLIENT_HELD,		/* at once, or held until authenticated */
	CLIENT_DIRECT,		/* at once (the handshake) */
	CLIENT_BATCHED		/* with the others of this turn */
};

/*
 * libevent allows 256 common timeout queues per base and complains past
 * that; a process uses a few (call_timeout, round timeouts) and falls
 * back to plain timers beyond this many.
 */
#define CLIENT_COMMON_TIMEOUTS_MAX	64

/* A turn's batch goes out early once its text is this long. */
#define CLIENT_BATCH_BYTES		(256 * 1024)

static int	client_common_timeouts;

static void	client_lose(struct client *, const char *);
static int	client_connect_next(struct client *);
static void	client_auth_start(struct client *);
static void	client_lose_auth(struct client *, const char *);
static void	client_batch_cb(evutil_socket_t, short, void *);

/*
 * End one call: take it out of the table and run its callback once. A
 * call kept as text whose reply came as a value gets the value's text,
 * which must pass the scanner as the text of any other reply does (so
 * that its users may rely on it): if it does not, an error.
 */
static void
client_call_finish(struct client_call *call, struct json_object *result,
    struct json_object *error)
{
	struct json_object	*refused;
	const char		*text;
	size_t			 length;

	idmap_remove(&call->client->calls, call->id);
	event_del(&call->timer);
	if (call->text_callback == NULL)
		call->callback(result, error, call->arg);
	else {
		call->client->text_calls--;
		text = error == NULL ? rpc_serialize(result, &length) : NULL;
		if (error != NULL)
			call->text_callback(NULL, 0, 0, 0, error, call->arg);
		else if (!jsonspan_valid(text, length, JSONSPAN_MAX_DEPTH)) {
			refused = rpc_error_new(RPC_PARSE_ERROR,
			    CLIENT_UNPARSEABLE, json_object_new_string(
			    call->client->peer));
			call->text_callback(NULL, 0, 0, 0, refused, call->arg);
			json_object_put(refused);
		} else
			call->text_callback(xstrdup(text), length, 0, length,
			    NULL, call->arg);
	}
	free(call);
}

/*
 * Take a reply line (owned) for a call kept as text without parsing it:
 * a valid object with an integer id of such a call and a result. Return
 * 0 if it was taken, -1 to leave it to the parser (errors and the rest).
 */
static int
client_take_text(struct client *client, char *line, size_t length)
{
	static const char *const names[] = { "id", "result" };
	struct client_call	*call;
	size_t			 starts[2], ends[2], i;
	uint64_t		 id = 0;

	if (jsonspan_members(line, length, names, 2, starts, ends) != 0 ||
	    ends[0] == 0 || ends[1] == 0 || ends[0] - starts[0] > 19)
		return (-1);
	for (i = starts[0]; i < ends[0]; i++) {
		if (line[i] < '0' || line[i] > '9')
			return (-1);
		id = id * 10 + (uint64_t)(line[i] - '0');
	}
	call = idmap_get(&client->calls, id);
	if (call == NULL || call->text_callback == NULL)
		return (-1);
	idmap_remove(&client->calls, call->id);
	event_del(&call->timer);
	client->text_calls--;
	call->text_callback(line, length, starts[1], ends[1], NULL,
	    call->arg);
	free(call);
	return (0);
}

/* A result read from a line of plain replies, and the id it answers. */
struct client_plain {
	uint64_t		 id;
	struct json_object	*result;
};

/*
 * Take a line of replies as a daemon writes them for results (one, or
 * a batch of them; see jsonfast_reply()) without building the replies
 * around the results: they are all read first, then handed to their
 * calls as the parsed line's would be. Return 0 if the line was taken,
 * -1 to leave it to the parser (errors and the rest).
 */
static int
client_take_plain(struct client *client, const char *line, size_t length)
{
	struct client_plain	*replies = NULL;
	struct client_call	*call;
	size_t			 count = 0, allocated = 0, pos = 0, i;
	uint64_t		 id;
	struct json_object	*result;
	int			 batch = length > 0 && line[0] == '[', rc = -1;

	pos = batch;
	for (;;) {
		if (jsonfast_reply(line, length, &pos, &id, &result) != 0)
			goto out;
		if (count == allocated) {
			allocated = allocated == 0 ? 64 : allocated * 2;
			replies = xreallocarray(replies, allocated,
			    sizeof *replies);
		}
		replies[count].id = id;
		replies[count++].result = result;
		if (!batch || pos >= length || line[pos] != ',')
			break;
		pos++;
	}
	if (batch && (pos >= length || line[pos++] != ']'))
		goto out;
	if (pos != length)
		goto out;
	for (i = 0; i < count; i++) {
		if ((call = idmap_get(&client->calls, replies[i].id)) == NULL)
			log_debug("%s: reply to unknown id %" PRIu64,
			    client->peer, replies[i].id);
		else
			client_call_finish(call, replies[i].result, NULL);
	}
	rc = 0;
out:
	for (i = 0; i < count; i++)
		json_object_put(replies[i].result);
	free(replies);
	return (rc);
}

/* Fail one call with an error naming the peer. */
static void
client_call_fail(struct client_call *call, int code, const char *message)
{
	struct json_object	*error;

	error = rpc_error_new(code, message,
	    json_object_new_string(call->client->peer));
	client_call_finish(call, NULL, error);
	json_object_put(error);
}

/* A call's timer fired: it timed out, or the connection was already lost. */
static void
client_call_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client_call	*call = arg;
	struct client		*client = call->client;
	char			*message;

	(void)fd;
	(void)events;
	if (client->lost_reason != NULL) {
		client_call_fail(call, RPC_CONNECTION_LOST,
		    client->lost_reason);
		return;
	}
	xasprintf(&message, "no reply from %s within %.3g s", client->peer,
	    call->timeout);
	client_call_fail(call, RPC_TIMED_OUT, message);
	free(message);
}

/* Handle one reply object. */
static void
client_handle_reply(struct client *client, struct json_object *reply)
{
	struct client_call	*call;
	struct json_object	*id, *result, *error;

	if (!json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "id", &id) ||
	    !json_object_is_type(id, json_type_int)) {
		if (json_object_object_get_ex(reply, "error", &error))
			log_warnx("%s: %s", client->peer,
			    rpc_error_message(error));
		return;
	}
	call = idmap_get(&client->calls, (uint64_t)json_object_get_int64(id));
	if (call == NULL) {
		log_debug("%s: reply to unknown id %" PRId64, client->peer,
		    json_object_get_int64(id));
		return;
	}
	if (json_object_object_get_ex(reply, "error", &error) &&
	    error != NULL)
		client_call_finish(call, NULL, error);
	else {
		json_object_object_get_ex(reply, "result", &result);
		client_call_finish(call, result, NULL);
	}
}

/*
 * Take the next whole line from input, or NULL; a long reply arrives in
 * many reads, and only the bytes new since the last look are searched
 * for its end (evbuffer_readln would search it all every time).
 */
static char *
client_next_line(struct client *client, struct evbuffer *input,
    size_t *length)
{
	struct evbuffer_ptr	 start, eol;
	char			*line;

	if (evbuffer_ptr_set(input, &start, client->scanned,
	    EVBUFFER_PTR_SET) != 0)
		return (NULL);
	eol = evbuffer_search_eol(input, &start, NULL, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		client->scanned = evbuffer_get_length(input);
		return (NULL);
	}
	*length = (size_t)eol.pos;
	line = xmalloc(*length + 1);
	evbuffer_remove(input, line, *length);
	line[*length] = '\0';
	evbuffer_drain(input, 1);
	client->scanned = 0;
	return (line);
}

/* Read reply lines. */
static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client		*client = arg;
	struct evbuffer		*input = bufferevent_get_input(bev);
	struct json_object	*value, *error;
	size_t			 length, i;
	char			*line;
	int			 rc;

	socket_read_after(bev, client->limits.max_reply + 1);
	while ((line = client_next_line(client, input, &length)) != NULL) {
		if (client->text_calls > 0 &&
		    client_take_text(client, line, length) == 0) {
			if (client->lost_reason != NULL)
				return;
			continue;
		}
		if (client_take_plain(client, line, length) == 0) {
			free(line);
			if (client->lost_reason != NULL)
				return;
			continue;
		}
		rc = rpc_parse_line(line, length, &value, &error);
		free(line);
		if (rc == -1) {
			log_warnx("%s: %s", client->peer,
			    rpc_error_message(error));
			json_object_put(error);
			client_lose(client, CLIENT_UNPARSEABLE);
			return;
		}
		if (rc == 1)
			continue;
		if (json_object_is_type(value, json_type_array)) {
			for (i = 0; i < json_object_array_length(value); i++)
				client_handle_reply(client,
				    json_object_array_get_idx(value, i));
		} else
			client_handle_reply(client, value);
		json_object_put(value);
		if (client->lost_reason != NULL)
			return;
	}
	if (evbuffer_get_length(input) > client->limits.max_reply)
		client_lose(client, "reply exceeds max_reply");
}

/* Connected, closed or failed. */
static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client	*client = arg;
	char		*reason;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		log_debug("%s: connected", client->peer);
		socket_set_nodelay(bufferevent_getfd(bev));
		client->connected = 1;
		return;
	}
	if ((what & BEV_EVENT_ERROR) && client_connect_next(client) == 0)
		return;
	if (what & BEV_EVENT_EOF)
		xasprintf(&reason, "connection to %s closed", client->peer);
	else
		xasprintf(&reason, "connection to %s failed: %s", client->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	client_lose(client, reason);
	free(reason);
}

/* Collect the calls in the table into an array. */
static struct client_call **
client_calls_snapshot(struct client *client, size_t *count)
{
	struct client_call	**calls;
	size_t			  i;

	*count = 0;
	if (client->calls.count == 0)
		return (NULL);
	calls = xcalloc(client->calls.count, sizeof *calls);
	for (i = 0; i < client->calls.capacity; i++) {
		if (client->calls.values[i] != NULL)
			calls[(*count)++] = client->calls.values[i];
	}
	return (calls);
}

/*
 * The connection is gone: every call in flight fails now, later calls
 * fail at once, and the owner hears of it.
 */
static void
client_lose(struct client *client, const char *reason)
{
	struct client_call	**calls;
	size_t			  count, i;
	evutil_socket_t		  fd;

	if (client->lost_reason != NULL)
		return;
	client->lost_reason = xstrdup(reason);
	log_debug("%s", reason);
	bufferevent_disable(client->bev, EV_READ | EV_WRITE);
	/* Close the socket now: a lost peer keeps no descriptor. */
	if ((fd = bufferevent_getfd(client->bev)) >= 0) {
		bufferevent_setfd(client->bev, -1);
		evutil_closesocket(fd);
	}
	/* The owner hears first, so callbacks see the peer as lost. */
	if (client->lost_cb != NULL)
		client->lost_cb(client->lost_arg);
	calls = client_calls_snapshot(client, &count);
	for (i = 0; i < count; i++)
		client_call_fail(calls[i], client->lost_code, reason);
	free(calls);
}

/* The handshake failed: calls fail as unauthorised, and the log says. */
static void
client_lose_auth(struct client *client, const char *reason)
{
	log_warnx("%s", reason);
	client->lost_code = RPC_UNAUTHORISED;
	client_lose(client, reason);
}

/*
 * Connect to the address being tried or, when that fails at once, to the
 * next; with none left the connection is lost (the calls made meanwhile
 * fail with it).
 */
static void
client_connect(struct client *client)
{
	const struct addrinfo	*address;
	char			*reason;
	int			 error = 0;

	for (; (address = client->trying) != NULL;
	    client->trying = address->ai_next) {
		if (bufferevent_socket_connect(client->bev, address->ai_addr,
		    address->ai_addrlen) == 0) {
			bufferevent_enable(client->bev, EV_READ | EV_WRITE);
			return;
		}
		error = errno;
		log_debug("connection to %s failed: %s", client->peer,
		    strerror(error));
	}
	xasprintf(&reason, "connection to %s failed: %s", client->peer,
	    strerror(error));
	client_lose(client, reason);
	free(reason);
}

/*
 * A connect failed: try the peer's next address, as a name with an IPv6
 * and an IPv4 address may listen on one of them only; 0 if one is left.
 */
static int
client_connect_next(struct client *client)
{
	evutil_socket_t	 fd;

	if (client->connected || client->trying == NULL ||
	    client->trying->ai_next == NULL)
		return (-1);
	log_debug("connection to %s failed: %s; trying its next address",
	    client->peer, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if ((fd = bufferevent_getfd(client->bev)) >= 0) {
		bufferevent_setfd(client->bev, -1);
		evutil_closesocket(fd);
	}
	client->trying = client->trying->ai_next;
	client_connect(client);
	return (0);
}

/* Keep the peer's addresses (taken) and connect to the first. */
static void
client_connect_to(struct client *client, struct addrinfo *addresses)
{
	client->addresses = client->trying = addresses;
	client_connect(client);
}

/* Say that the peer's name has no address (a getaddrinfo error). */
static void
client_lose_name(struct client *client, int error)
{
	char	*reason;

	xasprintf(&reason, "cannot resolve %s: %s", client->peer,
	    gai_strerror(error));
	client_lose(client, reason);
	free(reason);
}

/* The peer's name was looked up: connect, or fail. */
static void
client_resolved(struct addrinfo *addresses, int error, void *arg)
{
	struct client	*client = arg;

	client->resolving = NULL;
	if (error != 0)
		client_lose_name(client, error);
	else
		client_connect_to(client, addresses);
}

/*
 * Connect to host:port: at once for a numeric address, else once the
 * name has been looked up off the loop (resolve.h).
 */
static void
client_start(struct client *client, const char *host, uint16_t port)
{
	struct addrinfo	*addresses;
	char		 service[8];
	int		 error;

	snprintf(service, sizeof service, "%u", port);
	if ((error = resolve_numeric(host, service, &addresses)) == 0) {
		client_connect_to(client, addresses);
		return;
	}
	if (error == EAI_NONAME)
		client->resolving = resolve_start(client->base, host, service,
		    client_resolved, client, &error);
	if (client->resolving == NULL)
		client_lose_name(client, error);
}

/* Start connecting to host:port; calls may be made at once. */
struct client *
client_new(struct event_base *base, const char *host, uint16_t port,
    const struct limits *limits)
{
	struct client	*client;

	client = xcalloc(1, sizeof *client);
	client->base = base;
	client->limits = *limits;
	client->peer = addr_format_hostport(host, port);
	client->next_id = 1;
	client->lost_code = RPC_CONNECTION_LOST;
	idmap_init(&client->calls);
	client->batch = evbuffer_new();
	event_assign(&client->batch_event, base, -1, 0, client_batch_cb,
	    client);
	client->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (client->bev == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	bufferevent_setcb(client->bev, client_read_cb, NULL, client_event_cb,
	    client);
	bufferevent_setwatermark(client->bev, EV_READ, 0,
	    limits->max_reply + 1);
	socket_write_all_at_once(client->bev);
	/* What is sent before the connect waits in the output. */
	bufferevent_disable(client->bev, EV_WRITE);
	client_start(client, host, port);
	if (limits->key != NULL && client->lost_reason == NULL)
		client_auth_start(client);
	return (client);
}

/*
 * Return a shared timeval for a duration, so timers of one duration sit
 * in one O(1) queue; NULL when libevent has no common queue left.
 */
static const struct timeval *
client_timeout_tv(struct client *client, double seconds)
{
	const struct timeval	*common;
	struct timeval		 tv;

	if (client->common_tv != NULL && client->common_seconds == seconds)
		return (client->common_tv);
	if (client_common_timeouts >= CLIENT_COMMON_TIMEOUTS_MAX)
		return (NULL);
	tv = clock_timeval(seconds);
	if ((common = event_base_init_common_timeout(client->base,
	    &tv)) == NULL)
		return (NULL);
	client_common_timeouts++;
	client->common_tv = common;
	client->common_seconds = seconds;
	return (common);
}

/*
 * Send one line carrying calls requests: into held while the peer is
 * not authenticated (unless direct), else out, at once if the
 * connection has no other call in flight.
 */
static void
client_send_line(struct client *client, const char *text, size_t length,
    int direct, size_t calls)
{
	if (client->held != NULL && !direct) {
		evbuffer_add(client->held, text, length);
		evbuffer_add(client->held, "\n", 1);
	} else
		socket_send_line(client->bev, text, length,
		    client->connected && client->calls.count == calls);
}

/*
 * Send the requests batched so far as one line: a JSON-RPC batch, or
 * the request alone when there is one.
 */
static void
client_batch_flush(struct client *client)
{
	size_t	 batched = client->batched, length;

	if (batched == 0)
		return;
	client->batched = 0;
	event_del(&client->batch_event);
	if (client->lost_reason != NULL) {
		evbuffer_drain(client->batch, evbuffer_get_length(
		    client->batch));
		return;
	}
	if (batched > 1) {
		evbuffer_prepend(client->batch, "[", 1);
		evbuffer_add(client->batch, "]", 1);
	}
	length = evbuffer_get_length(client->batch);
	client_send_line(client, (const char *)evbuffer_pullup(client->batch,
	    -1), length, 0, batched);
	evbuffer_drain(client->batch, length);
}

/* The turn in which requests were batched is over: send them. */
static void
client_batch_cb(evutil_socket_t fd, short events, void *arg)
{
	client_batch_flush(arg);
}

/*
 * Write a request as the text rpc_serialize() makes of rpc_request_new()'s
 * object, without building that object: params as a value (borrowed) or
 * as its text already written.
 */
static void
client_request_write(struct evbuffer *out, uint64_t id, const char *method,
    struct json_object *params, const char *params_text)
{
	static const char	 head[] = "{\"jsonrpc\":\"2.0\",\"method\":";
	struct jsonfast_text	 text;

	jsonfast_text_init(&text);
	jsonfast_text_add(&text, head, sizeof head - 1);
	jsonfast_text_string(&text, method, strlen(method));
	if (params != NULL || params_text != NULL) {
		jsonfast_text_add(&text, ",\"params\":", 10);
		if (params_text != NULL)
			jsonfast_text_add(&text, params_text,
			    strlen(params_text));
		else
			jsonfast_text_value(&text, params);
	}
	jsonfast_text_add(&text, ",\"id\":", 6);
	jsonfast_text_int(&text, (int64_t)id);
	jsonfast_text_add(&text, "}", 1);
	jsonfast_text_send(&text, out);
}

/*
 * Queue a request and its call, its params a value (taken) or text;
 * direct requests (the handshake) go out at once, batched ones when this
 * turn of the loop ends, others at once or, until the peer has been
 * authenticated, into held.
 */
static struct client_call *
client_send(struct client *client, const char *method,
    struct json_object *params, const char *params_text, double seconds,
    client_reply_cb callback, void *arg, enum client_way way)
{
	struct client_call	*call;
	struct evbuffer		*line;
	struct timeval		 now = { 0, 0 }, tv;
	const struct timeval	*common;

	call = xcalloc(1, sizeof *call);
	call->client = client;
	call->id = client->next_id++;
	call->callback = callback;
	call->arg = arg;
	call->timeout = seconds;
	evtimer_assign(&call->timer, client->base, client_call_timer_cb, call);
	idmap_put(&client->calls, call->id, call);
	if (client->lost_reason != NULL) {
		json_object_put(params);
		evtimer_add(&call->timer, &now);
		return (call);
	}
	if (way == CLIENT_BATCHED) {
		if (client->batched++ > 0)
			evbuffer_add(client->batch, ",", 1);
		else
			event_active(&client->batch_event, 0, 0);
		client_request_write(client->batch, call->id, method, params,
		    params_text);
		if (evbuffer_get_length(client->batch) >= CLIENT_BATCH_BYTES)
			client_batch_flush(client);
	} else {
		line = evbuffer_new();
		client_request_write(line, call->id, method, params,
		    params_text);
		client_send_line(client, (const char *)evbuffer_pullup(line,
		    -1), evbuffer_get_length(line), way == CLIENT_DIRECT, 1);
		evbuffer_free(line);
	}
	json_object_put(params);
	if ((common = client_timeout_tv(client, seconds)) == NULL) {
		tv = clock_timeval(seconds);
		common = &tv;
	}
	evtimer_add(&call->timer, common);
	return (call);
}

/*
 * Send method(params) and call back with the reply, an error, or a
 * timeout after seconds. Takes params. Never calls back before returning.
 */
void
client_call(struct client *client, const char *method,
    struct json_object *params, double seconds, client_reply_cb callback,
    void *arg)
{
	client_send(client, method, params, NULL, seconds, callback, arg,
	    CLIENT_HELD);
}

/*
 * The same, with params written as JSON text (an object), and the
 * request sent together with the others batched in this turn of the
 * loop: one line, one write, and the peer answers them in one line once
 * it has answered them all.
 */
void
client_call_batched(struct client *client, const char *method,
    const char *params, double seconds, client_reply_cb callback, void *arg)
{
	client_send(client, method, NULL, params, seconds, callback, arg,
	    CLIENT_BATCHED);
}

/*
 * The same, with the reply kept as text: a large result is passed on
 * without being parsed, checked by the scanner instead.
 */
void
client_call_text(struct client *client, const char *method,
    struct json_object *params, double seconds, client_text_cb callback,
    void *arg)
{
	struct client_call	*call;

	call = client_send(client, method, params, NULL, seconds, NULL, arg,
	    CLIENT_HELD);
	call->text_callback = callback;
	client->text_calls++;
}

/* The peer accepted our proof: let the held calls go. */
static void
client_auth_proved(struct json_object *result, struct json_object *error,
    void *arg)
{
	struct client	*client = arg;
	char		*reason;

	if (error != NULL && rpc_error_code(error) == RPC_CONNECTION_LOST)
		return;		/* lost before it could answer: said already */
	if (error != NULL) {
		xasprintf(&reason, "%s refused our cluster key: %s",
		    client->peer, rpc_error_message(error));
		client_lose_auth(client, reason);
		free(reason);
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(client->bev), client->held);
	evbuffer_free(client->held);
	client->held = NULL;
	log_debug("%s: authenticated", client->peer);
}

/* The peer answered our challenge: check its proof, then give ours. */
static void
client_auth_challenged(struct json_object *result, struct json_object *error,
    void *arg)
{
	struct client		*client = arg;
	const struct auth_key	*key = client->limits.key;
	struct json_object	*nonce, *proof, *params;
	char			 ours[AUTH_PROOF_HEX + 1], *reason;

	if (error != NULL && rpc_error_code(error) == RPC_CONNECTION_LOST)
		return;		/* lost before it could answer: said already */
	if (error != NULL ||
	    !json_object_object_get_ex(result, "nonce", &nonce) ||
	    !json_object_object_get_ex(result, "proof", &proof) ||
	    !json_object_is_type(nonce, json_type_string) ||
	    !auth_is_hex(json_object_get_string(nonce), 32, AUTH_HEX_MAX) ||
	    !json_object_is_type(proof, json_type_string) ||
	    !auth_proof_check(key, "server", client->nonce,
	    json_object_get_string(nonce), json_object_get_string(proof))) {
		xasprintf(&reason, "%s did not prove it holds the cluster "
		    "key%s%s", client->peer, error != NULL ? ": " : "",
		    error != NULL ? rpc_error_message(error) : "");
		client_lose_auth(client, reason);
		free(reason);
		return;
	}
	auth_proof(key, "client", json_object_get_string(nonce),
	    client->nonce, ours);
	params = json_object_new_object();
	json_object_object_add(params, "proof", json_object_new_string(ours));
	client_send(client, "auth.prove", params, NULL,
	    client->limits.call_timeout, client_auth_proved, client,
	    CLIENT_DIRECT);
}

/* Start the handshake: both sides prove they hold the key. */
static void
client_auth_start(struct client *client)
{
	struct json_object	*params;

	client->held = evbuffer_new();
	if (auth_nonce(client->nonce, sizeof client->nonce) != 0) {
		client_lose(client, "no random bytes to be had");
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "nonce",
	    json_object_new_string(client->nonce));
	client_send(client, "auth.challenge", params, NULL,
	    client->limits.call_timeout, client_auth_challenged, client,
	    CLIENT_DIRECT);
}

/* Be told once when the connection is lost. */
void
client_set_lost_cb(struct client *client, void (*lost)(void *), void *arg)
{
	client->lost_cb = lost;
	client->lost_arg = arg;
}

/* Return 1 once the connection has failed or closed. */
int
client_is_lost(const struct client *client)
{
	return (client->lost_reason != NULL);
}

/* Return why the connection was lost, or NULL while it is not. */
const char *
client_lost_reason(const struct client *client)
{
	return (client->lost_reason);
}

/* Return HOST:PORT of the peer. */
const char *
client_peer(const struct client *client)
{
	return (client->peer);
}

/* Return how many calls are waiting for a reply. */
size_t
client_pending(const struct client *client)
{
	return (client->calls.count);
}

/* Close the connection; calls still in flight fail with an error. */
void
client_free(struct client *client)
{
	struct client_call	**calls;
	size_t			  count, i;

	if (client == NULL)
		return;
	client->lost_cb = NULL;
	if (client->resolving != NULL)
		resolve_cancel(client->resolving);
	if (client->addresses != NULL)
		freeaddrinfo(client->addresses);
	if (client->lost_reason == NULL)
		xasprintf(&client->lost_reason, "connection to %s closed",
		    client->peer);
	calls = client_calls_snapshot(client, &count);
	for (i = 0; i < count; i++)
		client_call_fail(calls[i], RPC_CONNECTION_LOST,
		    client->lost_reason);
	free(calls);
	idmap_clear(&client->calls);
	if (client->held != NULL)
		evbuffer_free(client->held);
	event_del(&client->batch_event);
	evbuffer_free(client->batch);
	bufferevent_free(client->bev);
	free(client->lost_reason);
	free(client->peer);
	free(client);
}
