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

/*
 * In-process tests for common/server.c and common/client.c: a server on
 * 127.0.0.1 port 0 with a test dispatcher, one event_base, and clients
 * that are either common/client.c or raw sockets wrapped in buffer
 * events. Every wait runs the event loop under a deadline timer, so a
 * test fails rather than hangs.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#ifdef __linux__
#include <linux/sockios.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "limit.h"
#include "server.h"
#include "socket.h"
#include "testlib.h"
#include "xmalloc.h"

#define LATER_MAX	1024
#define LINES_MAX	1024
#define OUTCOMES_MAX	512

Suite	*suite_server(void);

struct harness;

/* A reply the dispatcher owes: from a timer, or held until the end. */
struct later {
	struct harness		*harness;
	struct server_request	*request;
	struct json_object	*result;
	struct event		*timer;		/* NULL: held */
	size_t			 slot;
};

/* The server under test, its event base and what its dispatcher saw. */
struct harness {
	struct event_base	*base;
	struct server		*server;
	struct limits		 limits;
	uint16_t		 port;
	unsigned		 dispatched;
	unsigned		 dispatched_want; /* for done_dispatched() */
	unsigned		 notifications;
	unsigned		 open;		/* dispatched, not answered */
	unsigned		 open_max;
	size_t			 produced;	/* bytes of "big" replies */
	size_t			 biggest;	/* longest "big" reply line */
	char			*after;		/* what "after" read late */
	struct later		*laters[LATER_MAX];
};

/* A raw client connection that collects the lines it reads. */
struct raw {
	struct harness		*harness;
	int			 fd;
	struct bufferevent	*bev;
	char			*lines[LINES_MAX];
	size_t			 count;
	size_t			 want;
	int			 closed;	/* EOF or error seen */
	int			 reset;		/* the close was an error */
};

/* What one client call got back. */
struct outcome {
	int	 calls;		/* times the callback ran */
	int	 order;		/* when it ran, from 1 */
	int	 code;		/* 0 for a result */
	char	 result[256];
	char	 message[256];
	char	 data[128];
};

static int	 completed;	/* client callbacks run in this test */

/* The parameters of "add". */
static const struct rpc_param add_params[] = {
	{ "a", RPC_INTEGER, 1 },
	{ "b", RPC_INTEGER, 1 },
	{ NULL, RPC_ANY, 0 }
};

/* Return the time in seconds from a monotonic clock. */
static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Fill a timeval from seconds. */
static struct timeval
seconds_tv(double seconds)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	return (tv);
}

/* Answer a request for the test dispatcher and count it answered. */
static void
harness_reply(struct harness *h, struct server_request *request,
    struct json_object *result, struct json_object *error)
{
	h->open--;
	if (error != NULL)
		server_reply_error(request, error);
	else
		server_reply(request, result);
}

/* A later reply is due. */
static void
later_cb(evutil_socket_t fd, short events, void *arg)
{
	struct later	*later = arg;
	struct harness	*h = later->harness;

	(void)fd;
	(void)events;
	h->laters[later->slot] = NULL;
	event_free(later->timer);
	harness_reply(h, later->request, later->result, NULL);
	free(later);
}

/* Keep a request to answer after delay seconds, or never if negative. */
static void
later_add(struct harness *h, struct server_request *request,
    struct json_object *result, double delay)
{
	struct later	*later;
	struct timeval	 tv;
	size_t		 slot;

	for (slot = 0; slot < LATER_MAX; slot++) {
		if (h->laters[slot] == NULL)
			break;
	}
	ck_assert_uint_lt(slot, LATER_MAX);
	later = xcalloc(1, sizeof *later);
	later->harness = h;
	later->request = request;
	later->result = result;
	later->slot = slot;
	h->laters[slot] = later;
	if (delay >= 0) {
		later->timer = evtimer_new(h->base, later_cb, later);
		tv = seconds_tv(delay);
		evtimer_add(later->timer, &tv);
	}
}

/* Return a member of params as a double, or fallback. */
static double
param_double(const struct rpc_request *rpc, const char *name,
    double fallback)
{
	struct json_object	*value;

	if (rpc->params == NULL ||
	    !json_object_object_get_ex(rpc->params, name, &value) ||
	    value == NULL)
		return (fallback);
	return (json_object_get_double(value));
}

/* Return a new reference to a member of params, or to fallback. */
static struct json_object *
param_value(const struct rpc_request *rpc, const char *name,
    struct json_object *fallback)
{
	struct json_object	*value;

	if (rpc->params == NULL ||
	    !json_object_object_get_ex(rpc->params, name, &value))
		return (fallback);
	json_object_put(fallback);
	return (json_object_get(value));
}

/* Answer "big" with a string of params.size bytes, counting its line. */
static void
harness_big(struct harness *h, struct server_request *request,
    const struct rpc_request *rpc)
{
	struct json_object	*result, *response;
	size_t			 size, length;
	char			*text;

	size = (size_t)param_double(rpc, "size", 1);
	text = xmalloc(size + 1);
	memset(text, 'x', size);
	text[size] = '\0';
	result = json_object_new_string(text);
	free(text);
	if (!rpc->notification) {
		response = rpc_response_new(rpc->id, json_object_get(result),
		    NULL);
		rpc_serialize(response, &length);
		h->produced += length + 1;
		if (length + 1 > h->biggest)
			h->biggest = length + 1;
		json_object_put(response);
	}
	harness_reply(h, request, result, NULL);
}

/*
 * The test dispatcher: echo (params back), add (a + b), later (value
 * after delay seconds), hold (never, until the test ends), big (a long
 * string), peer (the connection's peer address), after (true, then its
 * method and its parameter v read once it has answered).
 */
static void
harness_dispatch(struct server_request *request,
    const struct rpc_request *rpc, void *arg)
{
	struct harness		*h = arg;
	struct json_object	*error = NULL, *value;
	int64_t			 sum;

	h->dispatched++;
	if (rpc->notification)
		h->notifications++;
	if (++h->open > h->open_max)
		h->open_max = h->open;

	if (strcmp(rpc->method, "echo") == 0) {
		harness_reply(h, request, rpc->params != NULL ?
		    json_object_get(rpc->params) : NULL, NULL);
	} else if (strcmp(rpc->method, "add") == 0) {
		if (rpc_params_check(rpc->params, add_params, &error) != 0) {
			harness_reply(h, request, NULL, error);
			return;
		}
		json_object_object_get_ex(rpc->params, "a", &value);
		sum = json_object_get_int64(value);
		json_object_object_get_ex(rpc->params, "b", &value);
		sum += json_object_get_int64(value);
		harness_reply(h, request, json_object_new_int64(sum), NULL);
	} else if (strcmp(rpc->method, "later") == 0) {
		later_add(h, request, param_value(rpc, "value",
		    json_object_new_string("later")),
		    param_double(rpc, "delay", 0.1));
	} else if (strcmp(rpc->method, "hold") == 0)
		later_add(h, request, json_object_new_string("held"), -1);
	else if (strcmp(rpc->method, "big") == 0)
		harness_big(h, request, rpc);
	else if (strcmp(rpc->method, "peer") == 0) {
		harness_reply(h, request, json_object_new_string(
		    server_request_peer(request)), NULL);
	} else if (strcmp(rpc->method, "after") == 0) {
		harness_reply(h, request, json_object_new_boolean(1), NULL);
		free(h->after);
		xasprintf(&h->after, "%s %s", rpc->method,
		    json_object_get_string(rpc_param(rpc->params, "v")));
	} else {
		harness_reply(h, request, NULL, rpc_error_newf(
		    RPC_METHOD_NOT_FOUND, NULL, "no method '%s'",
		    rpc->method));
	}
}

/* Start a server on 127.0.0.1 port 0 with the given limits. */
static void
harness_start(struct harness *h, const struct limits *limits)
{
	char	*cause = NULL;

	signal(SIGPIPE, SIG_IGN);
	memset(h, 0, sizeof *h);
	completed = 0;
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	if (limits != NULL)
		h->limits = *limits;
	else
		limit_default(&h->limits);
	h->server = server_new(h->base, &h->limits, harness_dispatch, h);
	ck_assert_msg(server_listen(h->server, "127.0.0.1", 0, &cause) == 0,
	    "server_listen: %s", cause);
	h->port = server_port(h->server);
	ck_assert_uint_ne(h->port, 0);
}

/* Free the server, answer what is still held (to no one), free the base. */
static void
harness_stop(struct harness *h)
{
	struct later	*later;
	size_t		 slot;

	server_free(h->server);
	h->server = NULL;
	for (slot = 0; slot < LATER_MAX; slot++) {
		if ((later = h->laters[slot]) == NULL)
			continue;
		h->laters[slot] = NULL;
		if (later->timer != NULL)
			event_free(later->timer);
		harness_reply(h, later->request, later->result, NULL);
		free(later);
	}
	free(h->after);
	h->after = NULL;
	event_base_free(h->base);
}

/* The deadline of a wait passed. */
static void
harness_expire_cb(evutil_socket_t fd, short events, void *arg)
{
	int	*expired = arg;

	(void)fd;
	(void)events;
	*expired = 1;
}

/*
 * Run the event loop until done(arg) is true or seconds pass; with done
 * NULL, run for the whole time. Return 1 if done.
 */
static int
harness_run(struct harness *h, int (*done)(void *), void *arg,
    double seconds)
{
	struct event	*deadline;
	struct timeval	 tv = seconds_tv(seconds);
	int		 expired = 0;

	deadline = evtimer_new(h->base, harness_expire_cb, &expired);
	evtimer_add(deadline, &tv);
	while (!expired && (done == NULL || !done(arg)))
		event_base_loop(h->base, EVLOOP_ONCE);
	event_free(deadline);
	return (done == NULL || done(arg));
}

/* Return 1 when the server has no connections left. */
static int
done_no_connections(void *arg)
{
	struct harness	*h = arg;

	return (h->server == NULL || server_connection_count(h->server) == 0);
}

/* Return 1 when the server has exactly one connection. */
static int
done_one_connection(void *arg)
{
	return (server_connection_count(((struct harness *)arg)->server) == 1);
}

/* Return 1 when the client callbacks run reach *arg. */
static int
done_completed(void *arg)
{
	return (completed >= *(int *)arg);
}

/* Return 1 when enough requests were dispatched. */
static int
done_dispatched(void *arg)
{
	struct harness	*h = arg;

	return (h->dispatched >= h->dispatched_want);
}

/* Wait until the dispatcher has seen count requests. */
static int
harness_wait_dispatched(struct harness *h, unsigned count, double seconds)
{
	h->dispatched_want = count;
	return (harness_run(h, done_dispatched, h, seconds));
}

/* Read whole lines from a raw connection. */
static void
raw_read_cb(struct bufferevent *bev, void *arg)
{
	struct raw	*raw = arg;
	char		*line;
	size_t		 length;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &length,
	    EVBUFFER_EOL_LF)) != NULL) {
		if (raw->count == LINES_MAX) {
			free(line);
			continue;
		}
		raw->lines[raw->count++] = line;
	}
}

/* A raw connection was closed or failed. */
static void
raw_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct raw	*raw = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		raw_read_cb(bev, arg);
		raw->closed = 1;
		raw->reset = (what & BEV_EVENT_ERROR) != 0;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
	}
}

/* Connect a raw socket to the server (connect does not need accept). */
static int
raw_connect(uint16_t port, int rcvbuf)
{
	struct sockaddr_in	 sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect: %s", strerror(errno));
	return (fd);
}

/* Open a raw connection to the harness's server. */
static void
raw_open(struct harness *h, struct raw *raw)
{
	memset(raw, 0, sizeof *raw);
	raw->harness = h;
	raw->fd = raw_connect(h->port, 0);
	evutil_make_socket_nonblocking(raw->fd);
	raw->bev = bufferevent_socket_new(h->base, raw->fd,
	    BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(raw->bev);
	bufferevent_setcb(raw->bev, raw_read_cb, NULL, raw_event_cb, raw);
	bufferevent_enable(raw->bev, EV_READ | EV_WRITE);
}

/* Queue text to send on a raw connection. */
static void
raw_send(struct raw *raw, const char *text)
{
	bufferevent_write(raw->bev, text, strlen(text));
}

/* Close a raw connection and forget its lines. */
static void
raw_close(struct raw *raw)
{
	size_t	 i;

	if (raw->bev != NULL)
		bufferevent_free(raw->bev);
	raw->bev = NULL;
	for (i = 0; i < raw->count; i++)
		free(raw->lines[i]);
	raw->count = 0;
}

/* Return 1 when a raw connection has the lines it waits for. */
static int
done_raw_lines(void *arg)
{
	struct raw	*raw = arg;

	return (raw->count >= raw->want);
}

/* Return 1 when a raw connection was closed. */
static int
done_raw_closed(void *arg)
{
	return (((struct raw *)arg)->closed);
}

/* Return 1 when a raw connection has handed all it was given to send. */
static int
done_raw_sent(void *arg)
{
	struct raw	*raw = arg;

	return (evbuffer_get_length(bufferevent_get_output(raw->bev)) == 0);
}

/* Wait for a raw connection to have count lines in all. */
static int
raw_wait_lines(struct raw *raw, size_t count, double seconds)
{
	raw->want = count;
	return (harness_run(raw->harness, done_raw_lines, raw, seconds));
}

/* Wait for a raw connection to be closed by the server. */
static int
raw_wait_closed(struct raw *raw, double seconds)
{
	return (harness_run(raw->harness, done_raw_closed, raw, seconds));
}

/* Return line i of a raw connection parsed; the caller puts it. */
static struct json_object *
raw_line(struct raw *raw, size_t i)
{
	struct json_object	*value;

	ck_assert_msg(i < raw->count, "line %zu missing (%zu read)", i,
	    raw->count);
	value = json_tokener_parse(raw->lines[i]);
	ck_assert_msg(value != NULL, "line %zu is not JSON: %s", i,
	    raw->lines[i]);
	return (value);
}

/* Make a request line; params and id are JSON text, NULL to leave out. */
static char *
request_line(const char *method, const char *params, const char *id)
{
	char	*line;

	xasprintf(&line, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"%s%s%s%s}\n",
	    method, params != NULL ? ",\"params\":" : "",
	    params != NULL ? params : "", id != NULL ? ",\"id\":" : "",
	    id != NULL ? id : "");
	return (line);
}

/* Send one request on a raw connection. */
static void
raw_request(struct raw *raw, const char *method, const char *params,
    const char *id)
{
	char	*line;

	line = request_line(method, params, id);
	raw_send(raw, line);
	free(line);
}

/* Return the text of a member of a response ("null" if null, "" absent). */
static const char *
member_text(struct json_object *response, const char *name)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(response, name, &value))
		return ("");
	if (value == NULL)
		return ("null");
	return (json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
}

/* Check a response is a result with this id and result text. */
static void
check_result(struct json_object *response, const char *id,
    const char *result)
{
	const char	*text = json_object_to_json_string(response);

	ck_assert_msg(json_object_is_type(response, json_type_object),
	    "not a response: %s", text);
	ck_assert_str_eq(member_text(response, "jsonrpc"), "\"2.0\"");
	ck_assert_msg(strcmp(member_text(response, "id"), id) == 0,
	    "id %s wanted in %s", id, text);
	ck_assert_msg(strcmp(member_text(response, "result"), result) == 0,
	    "result %s wanted in %s", result, text);
	ck_assert_msg(!json_object_object_get_ex(response, "error", NULL),
	    "error in %s", text);
}

/* Check a response is an error with this id and code. */
static void
check_error(struct json_object *response, const char *id, int code)
{
	struct json_object	*error;
	const char		*text = json_object_to_json_string(response);

	ck_assert_msg(json_object_is_type(response, json_type_object),
	    "not a response: %s", text);
	ck_assert_str_eq(member_text(response, "jsonrpc"), "\"2.0\"");
	ck_assert_msg(strcmp(member_text(response, "id"), id) == 0,
	    "id %s wanted in %s", id, text);
	ck_assert_msg(json_object_object_get_ex(response, "error", &error) &&
	    error != NULL, "no error in %s", text);
	ck_assert_msg(rpc_error_code(error) == code, "code %d wanted in %s",
	    code, text);
	ck_assert_msg(!json_object_object_get_ex(response, "result", NULL),
	    "result in %s", text);
}

/* Record what a client call got back. */
static void
outcome_cb(struct json_object *result, struct json_object *error, void *arg)
{
	struct outcome		*outcome = arg;
	struct json_object	*data;

	outcome->calls++;
	outcome->order = ++completed;
	if (error != NULL) {
		outcome->code = rpc_error_code(error);
		snprintf(outcome->message, sizeof outcome->message, "%s",
		    rpc_error_message(error));
		if (json_object_object_get_ex(error, "data", &data))
			snprintf(outcome->data, sizeof outcome->data, "%s",
			    json_object_get_string(data));
		return;
	}
	outcome->code = 0;
	snprintf(outcome->result, sizeof outcome->result, "%s",
	    result == NULL ? "null" :
	    json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN));
}

/* Make params from JSON text for a client call. */
static struct json_object *
params_json(const char *text)
{
	struct json_object	*params;

	params = json_tokener_parse(text);
	ck_assert_ptr_nonnull(params);
	return (params);
}

/* Make a client to the harness's server. */
static struct client *
harness_client(struct harness *h)
{
	return (client_new(h->base, "127.0.0.1", h->port, &h->limits));
}

/* Check many pipelined client calls all get their own answers. */
START_TEST(test_client_pipelined)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	*outcomes, bad;
	char		 text[64];
	int		 i, n = 300, want;

	harness_start(&h, NULL);
	client = harness_client(&h);
	outcomes = xcalloc(n, sizeof *outcomes);
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof text, "{\"a\":%d,\"b\":%d}", i, 2 * i);
		client_call(client, "add", params_json(text), 10, outcome_cb,
		    &outcomes[i]);
	}
	memset(&bad, 0, sizeof bad);
	client_call(client, "add", params_json("{\"a\":\"x\",\"b\":1}"), 10,
	    outcome_cb, &bad);
	/* Never called back before client_call returns. */
	ck_assert_int_eq(completed, 0);
	ck_assert_uint_eq(client_pending(client), n + 1);

	want = n + 1;
	ck_assert(harness_run(&h, done_completed, &want, 10));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(outcomes[i].calls, 1);
		ck_assert_int_eq(outcomes[i].code, 0);
		snprintf(text, sizeof text, "%d", 3 * i);
		ck_assert_str_eq(outcomes[i].result, text);
	}
	ck_assert_int_eq(bad.calls, 1);
	ck_assert_int_eq(bad.code, RPC_INVALID_PARAMS);
	ck_assert_str_eq(bad.data, "a");
	ck_assert_uint_eq(client_pending(client), 0);
	ck_assert_uint_eq(h.dispatched, n + 1);
	ck_assert(!client_is_lost(client));
	client_free(client);
	free(outcomes);
	harness_stop(&h);
}
END_TEST

/* Check a slow call is answered after a fast one made later. */
START_TEST(test_client_out_of_order)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	 slow, fast;
	int		 want = 2;

	harness_start(&h, NULL);
	client = harness_client(&h);
	memset(&slow, 0, sizeof slow);
	memset(&fast, 0, sizeof fast);
	client_call(client, "later", params_json("{\"delay\":0.3,"
	    "\"value\":\"slow\"}"), 5, outcome_cb, &slow);
	client_call(client, "echo", params_json("{\"value\":\"fast\"}"), 5,
	    outcome_cb, &fast);
	ck_assert(harness_run(&h, done_completed, &want, 5));
	ck_assert_int_eq(fast.order, 1);
	ck_assert_int_eq(slow.order, 2);
	ck_assert_str_eq(fast.result, "{\"value\":\"fast\"}");
	ck_assert_str_eq(slow.result, "\"slow\"");
	client_free(client);
	harness_stop(&h);
}
END_TEST

/*
 * Run the loop until a line has come in on a peer socket (accepted from
 * listener once the client connects); return it, without its newline.
 */
static char *
peer_read_line(struct event_base *base, int listener, int *peer)
{
	char	 buffer[4096], *line = NULL, *end;
	size_t	 length = 0;
	ssize_t	 got;
	double	 until = now() + 10;

	while (now() < until) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (*peer == -1)
			*peer = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
		if (*peer == -1 ||
		    (got = recv(*peer, buffer, sizeof buffer, 0)) <= 0) {
			usleep(1000);
			continue;
		}
		line = xrealloc(line, length + (size_t)got + 1);
		memcpy(line + length, buffer, (size_t)got);
		length += (size_t)got;
		line[length] = '\0';
		if ((end = strchr(line, '\n')) != NULL) {
			ck_assert_ptr_eq(end, line + length - 1);
			*end = '\0';
			return (line);
		}
	}
	ck_abort_msg("no line from the client");
	return (NULL);
}

/*
 * Check batched calls: those of one turn go out as one JSON-RPC batch
 * line, a lone one as a plain request, and a batch answer (in any
 * order) calls each back once, after the calls returned.
 */
START_TEST(test_client_batched)
{
	struct event_base	*base;
	struct limits		 limits;
	struct client		*client;
	struct outcome		 outcomes[4];
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	struct json_object	*batch, *id;
	char			*line, reply[512];
	int			 listener, peer = -1, i, want;

	base = event_base_new();
	memset(&limits, 0, sizeof limits);
	limit_default(&limits);
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&sin, sizeof sin),
	    0);
	ck_assert_int_eq(listen(listener, 1), 0);
	ck_assert_int_eq(getsockname(listener, (struct sockaddr *)&sin, &len),
	    0);
	client = client_new(base, "127.0.0.1", ntohs(sin.sin_port), &limits);
	memset(outcomes, 0, sizeof outcomes);
	completed = 0;
	for (i = 0; i < 3; i++)
		client_call_batched(client, "echo", "{}", 10,
		    outcome_cb, &outcomes[i]);
	ck_assert_int_eq(completed, 0);

	/* One line, a batch of the three requests in order. */
	line = peer_read_line(base, listener, &peer);
	batch = json_tokener_parse(line);
	ck_assert_msg(json_object_is_type(batch, json_type_array), "%s",
	    line);
	ck_assert_uint_eq(json_object_array_length(batch), 3);
	for (i = 0; i < 3; i++) {
		ck_assert(json_object_object_get_ex(json_object_array_get_idx(
		    batch, (size_t)i), "id", &id));
		ck_assert_int_eq(json_object_get_int64(id), i + 1);
	}
	json_object_put(batch);
	free(line);
	snprintf(reply, sizeof reply, "[{\"jsonrpc\":\"2.0\",\"id\":3,"
	    "\"result\":3},{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1},"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32000,"
	    "\"message\":\"two\"}}]\n");
	ck_assert_int_eq(send(peer, reply, strlen(reply), 0),
	    (ssize_t)strlen(reply));
	want = 3;
	while (completed < want)
		ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
	ck_assert_int_eq(outcomes[0].calls, 1);
	ck_assert_str_eq(outcomes[0].result, "1");
	ck_assert_int_eq(outcomes[1].calls, 1);
	ck_assert_int_eq(outcomes[1].code, -32000);
	ck_assert_int_eq(outcomes[2].calls, 1);
	ck_assert_str_eq(outcomes[2].result, "3");

	/* A turn with one call sends it alone. */
	client_call_batched(client, "echo", "{}", 10,
	    outcome_cb, &outcomes[3]);
	line = peer_read_line(base, listener, &peer);
	batch = json_tokener_parse(line);
	ck_assert_msg(json_object_is_type(batch, json_type_object), "%s",
	    line);
	json_object_put(batch);
	free(line);
	ck_assert_int_eq(outcomes[3].calls, 0);
	client_free(client);
	ck_assert_int_eq(outcomes[3].calls, 1);
	ck_assert_int_eq(outcomes[3].code, RPC_CONNECTION_LOST);
	close(peer);
	close(listener);
	event_base_free(base);
}
END_TEST

/* Check raw pipelined requests: replies carry ids, a slow one comes last. */
START_TEST(test_raw_pipelined)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;
	char			 id[32], result[64], *all = NULL, *line;
	char			*joined;
	int			 i, n = 100;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	all = xstrdup("");
	line = request_line("later", "{\"delay\":0.3,\"value\":\"slow\"}",
	    "\"slow\"");
	xasprintf(&joined, "%s%s", all, line);
	free(all);
	free(line);
	all = joined;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, i % 2 ? "%d" : "\"s%d\"", i);
		snprintf(result, sizeof result, "{\"i\":%d}", i);
		line = request_line("echo", result, id);
		xasprintf(&joined, "%s%s", all, line);
		free(all);
		free(line);
		all = joined;
	}
	/* One write: the server sees them all at once. */
	raw_send(&raw, all);
	free(all);
	ck_assert(raw_wait_lines(&raw, n + 1, 5));
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, i % 2 ? "%d" : "\"s%d\"", i);
		snprintf(result, sizeof result, "{\"i\":%d}", i);
		reply = raw_line(&raw, i);
		check_result(reply, id, result);
		json_object_put(reply);
	}
	reply = raw_line(&raw, n);
	check_result(reply, "\"slow\"", "\"slow\"");
	json_object_put(reply);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Find the response with an id in a batch reply. */
static struct json_object *
batch_find(struct json_object *batch, const char *id, size_t skip)
{
	struct json_object	*response;
	size_t			 i;

	for (i = 0; i < json_object_array_length(batch); i++) {
		response = json_object_array_get_idx(batch, i);
		if (strcmp(member_text(response, "id"), id) == 0 &&
		    skip-- == 0)
			return (response);
	}
	ck_abort_msg("no response with id %s in %s", id,
	    json_object_to_json_string(batch));
	return (NULL);
}

/* Make a batch line of n "add" calls: {"a": i, "b": 1}, id i. */
static char *
add_batch_line(size_t n, size_t *length)
{
	struct evbuffer	*buffer;
	char		*line;
	size_t		 i;

	buffer = evbuffer_new();
	for (i = 0; i < n; i++)
		evbuffer_add_printf(buffer, "%c{\"jsonrpc\":\"2.0\","
		    "\"method\":\"add\",\"params\":{\"a\":%zu,\"b\":1},"
		    "\"id\":%zu}", i == 0 ? '[' : ',', i, i);
	evbuffer_add(buffer, "]\n", 2);
	*length = evbuffer_get_length(buffer);
	line = xmalloc(*length + 1);
	evbuffer_remove(buffer, line, *length);
	line[*length] = '\0';
	evbuffer_free(buffer);
	return (line);
}

/* Check a batch reply answers each of n "add" calls once, with i + 1. */
static void
check_add_batch_reply(const char *text, size_t n)
{
	struct json_object	*batch, *response, *id, *result;
	char			*seen;
	size_t			 i, wrong = 0, first_wrong = 0;
	int64_t			 k;

	batch = json_tokener_parse(text);
	ck_assert_msg(batch != NULL &&
	    json_object_is_type(batch, json_type_array),
	    "not a batch reply: %.200s", text);
	ck_assert_uint_eq(json_object_array_length(batch), n);
	seen = xcalloc(n, 1);
	for (i = 0; i < n; i++) {
		response = json_object_array_get_idx(batch, i);
		k = -1;
		if (json_object_object_get_ex(response, "id", &id))
			k = json_object_get_int64(id);
		if (k < 0 || (size_t)k >= n || seen[k] ||
		    !json_object_object_get_ex(response, "result", &result) ||
		    json_object_get_int64(result) != k + 1) {
			if (wrong++ == 0)
				first_wrong = i;
			continue;
		}
		seen[k] = 1;
	}
	ck_assert_msg(wrong == 0, "%zu wrong responses, the first: %s", wrong,
	    json_object_to_json_string(json_object_array_get_idx(batch,
	    first_wrong)));
	free(seen);
	json_object_put(batch);
}

/*
 * Send text on a raw connection in pieces of many sizes, from a byte to
 * more than the server reads in a turn, each one taken by the kernel and
 * left a moment before the next: the server finds a line begun over and
 * over, with nothing, a little or a lot more to read.
 */
static void
raw_send_pieces(struct raw *raw, const char *text, size_t length)
{
	static const size_t	 sizes[] = { 1, 17, 4095, 4097, 65536, 300000 };
	size_t			 sent = 0, piece, i = 0;

	while (sent < length) {
		piece = sizes[i++ % (sizeof sizes / sizeof sizes[0])];
		if (piece > length - sent)
			piece = length - sent;
		bufferevent_write(raw->bev, text + sent, piece);
		sent += piece;
		ck_assert(harness_run(raw->harness, done_raw_sent, raw, 10));
		harness_run(raw->harness, NULL, NULL, 0.002);
	}
}

/* Check an echo on a new connection is answered, and close it. */
static void
check_other_answered(struct harness *h, const char *id)
{
	struct raw		 other;
	struct json_object	*reply;

	raw_open(h, &other);
	raw_request(&other, "echo", "{\"other\":1}", id);
	ck_assert(raw_wait_lines(&other, 1, 10));
	reply = raw_line(&other, 0);
	check_result(reply, id, "{\"other\":1}");
	json_object_put(reply);
	raw_close(&other);
}

/*
 * Check a batch line of some 4 MB is answered whole and right whether it
 * comes in pieces of every size with pauses between (another connection
 * answered while it is half sent) or in one write, which the server
 * reads in large pieces.
 */
START_TEST(test_batch_long_line)
{
	struct harness	 h;
	struct raw	 raw;
	char		*line;
	size_t		 length, n = 60000;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	line = add_batch_line(n, &length);
	ck_assert_uint_gt(length, 4 * 1000 * 1000);
	if (_i == 0) {
		raw_send_pieces(&raw, line, length / 2);
		check_other_answered(&h, "\"half\"");
		ck_assert_uint_eq(raw.count, 0);
		raw_send_pieces(&raw, line + length / 2, length - length / 2);
	} else {
		socket_write_all_at_once(raw.bev);
		bufferevent_write(raw.bev, line, length);
		check_other_answered(&h, "\"meanwhile\"");
	}
	free(line);
	ck_assert_msg(raw_wait_lines(&raw, 1, 20), "no reply (closed %d)",
	    raw.closed);
	check_add_batch_reply(raw.lines[0], n);
	ck_assert_uint_eq(h.dispatched, n + 1);
	harness_run(&h, NULL, NULL, 0.1);
	ck_assert_uint_eq(raw.count, 1);
	ck_assert_int_eq(raw.closed, 0);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check a batch mixing calls, a notification and invalid entries. */
START_TEST(test_batch_mixed)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*batch;
	double			 start;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	start = now();
	raw_send(&raw, "["
	    "{\"jsonrpc\":\"2.0\",\"method\":\"later\","
	    "\"params\":{\"delay\":0.2,\"value\":\"L\"},\"id\":\"a\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"x\":1},"
	    "\"id\":1},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"x\":2}},"
	    "1,"
	    "{\"foo\":\"bar\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1},"
	    "\"id\":3}"
	    "]\n");
	ck_assert(raw_wait_lines(&raw, 1, 5));
	/* Sent together, once the slow one is answered. */
	ck_assert_msg(now() - start >= 0.15, "batch reply after %.3f s",
	    now() - start);
	batch = raw_line(&raw, 0);
	ck_assert_msg(json_object_is_type(batch, json_type_array),
	    "not an array: %s", raw.lines[0]);
	ck_assert_uint_eq(json_object_array_length(batch), 6);
	check_result(batch_find(batch, "\"a\"", 0), "\"a\"", "\"L\"");
	check_result(batch_find(batch, "1", 0), "1", "{\"x\":1}");
	check_error(batch_find(batch, "null", 0), "null",
	    RPC_INVALID_REQUEST);
	check_error(batch_find(batch, "null", 1), "null",
	    RPC_INVALID_REQUEST);
	check_error(batch_find(batch, "2", 0), "2", RPC_METHOD_NOT_FOUND);
	check_error(batch_find(batch, "3", 0), "3", RPC_INVALID_PARAMS);
	json_object_put(batch);
	ck_assert_uint_eq(h.dispatched, 5);
	ck_assert_uint_eq(h.notifications, 1);

	/* Nothing else comes. */
	harness_run(&h, NULL, NULL, 0.3);
	ck_assert_uint_eq(raw.count, 1);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/*
 * Requests as daemons write them (read without their objects) get what
 * any other gets: in a line of their own, a long one among them, and in
 * a batch beside others; their method and params stay valid until the
 * dispatcher returns, though it answered at once.
 */
START_TEST(test_plain_requests)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;
	char			*value, *line, *expected;
	size_t			 length = 100 * 1024;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	value = xmalloc(length + 1);
	memset(value, 'v', length);
	value[length] = '\0';
	xasprintf(&line, "{\"jsonrpc\":\"2.0\",\"method\":\"after\","
	    "\"params\":{\"v\":\"%s\"},\"id\":5}\n", value);
	raw_send(&raw, line);
	free(line);
	ck_assert(raw_wait_lines(&raw, 1, 5));
	ck_assert_str_eq(raw.lines[0], "{\"jsonrpc\":\"2.0\",\"result\":true,"
	    "\"id\":5}");
	xasprintf(&expected, "after %s", value);
	ck_assert_msg(h.after != NULL && strcmp(h.after, expected) == 0,
	    "after read %.40s", h.after != NULL ? h.after : "(nothing)");
	free(expected);
	free(value);

	raw_send(&raw, "["
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"agent\":3,"
	    "\"s\":[true,null,\"t\"]},\"id\":1},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"after\","
	    "\"params\":{\"v\":\"b\"},\"id\":2}, "
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":1,"
	    "\"a\":2},\"id\":3},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,"
	    "\"b\":2},\"id\":4}"
	    "]\n");
	ck_assert(raw_wait_lines(&raw, 2, 5));
	ck_assert_str_eq(h.after, "after b");
	reply = raw_line(&raw, 1);
	ck_assert_uint_eq(json_object_array_length(reply), 4);
	check_result(batch_find(reply, "1", 0), "1",
	    "{\"agent\":3,\"s\":[true,null,\"t\"]}");
	check_result(batch_find(reply, "2", 0), "2", "true");
	check_result(batch_find(reply, "3", 0), "3", "{\"a\":2}");
	check_result(batch_find(reply, "4", 0), "4", "3");
	json_object_put(reply);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check a batch of notifications only gets no reply at all. */
START_TEST(test_batch_notifications)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_send(&raw, "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"later\","
	    "\"params\":{\"delay\":0.1}},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]\n");
	ck_assert(harness_wait_dispatched(&h, 3, 5));
	raw_request(&raw, "echo", "{\"n\":7}", "7");
	ck_assert(raw_wait_lines(&raw, 1, 5));
	reply = raw_line(&raw, 0);
	check_result(reply, "7", "{\"n\":7}");
	json_object_put(reply);
	harness_run(&h, NULL, NULL, 0.4);
	ck_assert_uint_eq(raw.count, 1);
	ck_assert_uint_eq(h.notifications, 3);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check an empty batch gets one error, not an array, and the line works. */
START_TEST(test_batch_empty)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_send(&raw, "[]\n[ ]\n");
	raw_request(&raw, "echo", NULL, "1");
	ck_assert(raw_wait_lines(&raw, 3, 5));
	reply = raw_line(&raw, 0);
	check_error(reply, "null", RPC_INVALID_REQUEST);
	json_object_put(reply);
	reply = raw_line(&raw, 1);
	check_error(reply, "null", RPC_INVALID_REQUEST);
	json_object_put(reply);
	reply = raw_line(&raw, 2);
	check_result(reply, "1", "null");
	json_object_put(reply);
	ck_assert_uint_eq(h.dispatched, 1);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check notifications are handled but never answered. */
START_TEST(test_notifications)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_request(&raw, "echo", "{\"a\":1}", NULL);
	raw_request(&raw, "nope", NULL, NULL);
	raw_request(&raw, "later", "{\"delay\":0.05}", NULL);
	raw_request(&raw, "add", "{\"a\":\"bad\"}", NULL);
	raw_request(&raw, "echo", NULL, "9");
	ck_assert(raw_wait_lines(&raw, 1, 5));
	reply = raw_line(&raw, 0);
	check_result(reply, "9", "null");
	json_object_put(reply);
	harness_run(&h, NULL, NULL, 0.3);
	ck_assert_uint_eq(raw.count, 1);
	ck_assert_uint_eq(h.dispatched, 5);
	ck_assert_uint_eq(h.notifications, 4);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check parse errors get id null and the connection stays usable. */
START_TEST(test_parse_error)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_send(&raw, "garbage\n");
	raw_send(&raw,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1} x\n");
	raw_send(&raw, "\n   \r\n");
	raw_send(&raw, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2");
	raw_send(&raw, "}\r\n");
	ck_assert(raw_wait_lines(&raw, 3, 5));
	reply = raw_line(&raw, 0);
	check_error(reply, "null", RPC_PARSE_ERROR);
	json_object_put(reply);
	reply = raw_line(&raw, 1);
	check_error(reply, "null", RPC_PARSE_ERROR);
	json_object_put(reply);
	reply = raw_line(&raw, 2);
	check_result(reply, "2", "null");
	json_object_put(reply);
	ck_assert_int_eq(raw.closed, 0);
	ck_assert_uint_eq(server_connection_count(h.server), 1);
	ck_assert_uint_eq(h.dispatched, 1);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check invalid requests are answered with their ids where readable. */
START_TEST(test_invalid_requests)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_send(&raw,
	    "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":3}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],"
	    "\"id\":4}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":[5]}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":6}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":null}\n"
	    "\"just a string\"\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":\"m\"}\n");
	ck_assert(raw_wait_lines(&raw, 7, 5));
	reply = raw_line(&raw, 0);
	check_error(reply, "3", RPC_INVALID_REQUEST);
	json_object_put(reply);
	reply = raw_line(&raw, 1);
	check_error(reply, "4", RPC_INVALID_PARAMS);
	json_object_put(reply);
	reply = raw_line(&raw, 2);
	check_error(reply, "null", RPC_INVALID_REQUEST);
	json_object_put(reply);
	reply = raw_line(&raw, 3);
	check_error(reply, "6", RPC_METHOD_NOT_FOUND);
	json_object_put(reply);
	reply = raw_line(&raw, 4);
	check_result(reply, "null", "null");
	json_object_put(reply);
	reply = raw_line(&raw, 5);
	check_error(reply, "null", RPC_INVALID_REQUEST);
	json_object_put(reply);
	reply = raw_line(&raw, 6);
	check_error(reply, "\"m\"", RPC_INVALID_REQUEST);
	json_object_put(reply);
	ck_assert_uint_eq(h.dispatched, 2);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Make a request line of exactly length bytes before its newline. */
static char *
padded_line(const char *id, size_t length)
{
	char	*line;
	size_t	 used;

	line = xmalloc(length + 2);
	used = (size_t)snprintf(line, length + 1,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":%s}", id);
	ck_assert_uint_le(used, length);
	memset(line + used, ' ', length - used);
	line[length] = '\n';
	line[length + 1] = '\0';
	return (line);
}

/*
 * Check line index is the over-long line error for max_line and that the
 * connection then closes.
 */
static void
check_line_closes(struct harness *h, struct raw *raw, size_t index,
    size_t max_line)
{
	struct json_object	*reply, *error;
	char			 message[128];

	ck_assert_msg(raw_wait_lines(raw, index + 1, 5),
	    "no error line (%zu lines, closed %d, reset %d)", raw->count,
	    raw->closed, raw->reset);
	reply = raw_line(raw, index);
	check_error(reply, "null", RPC_PARSE_ERROR);
	json_object_object_get_ex(reply, "error", &error);
	snprintf(message, sizeof message,
	    "line exceeds max_line (%zu bytes); closing", max_line);
	ck_assert_str_eq(rpc_error_message(error), message);
	json_object_put(reply);
	ck_assert(raw_wait_closed(raw, 5));
	ck_assert_uint_eq(raw->count, index + 1);
	ck_assert(harness_run(h, done_no_connections, h, 5));
}

/* Check a line of exactly max_line bytes is taken. */
START_TEST(test_line_at_limit)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;
	struct limits		 limits;
	char			*line;

	limit_default(&limits);
	limits.max_line = 1024;
	harness_start(&h, &limits);
	raw_open(&h, &raw);
	line = padded_line("1", 1024);
	raw_send(&raw, line);
	free(line);
	line = padded_line("2", 1023);
	raw_send(&raw, line);
	free(line);
	ck_assert(raw_wait_lines(&raw, 2, 5));
	reply = raw_line(&raw, 0);
	check_result(reply, "1", "null");
	json_object_put(reply);
	reply = raw_line(&raw, 1);
	check_result(reply, "2", "null");
	json_object_put(reply);

	line = padded_line("3", 1025);
	raw_send(&raw, line);
	free(line);
	check_line_closes(&h, &raw, 2, 1024);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check an over-long line after a good one: answer, error, close. */
START_TEST(test_line_too_long)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;
	struct limits		 limits;
	char			*text;

	limit_default(&limits);
	limits.max_line = 1024;
	harness_start(&h, &limits);
	raw_open(&h, &raw);
	raw_request(&raw, "echo", NULL, "1");
	/* 3000 bytes with no newline in the first 1025. */
	text = xmalloc(3001);
	memset(text, 'x', 2999);
	text[2999] = '\n';
	text[3000] = '\0';
	raw_send(&raw, text);
	free(text);
	check_line_closes(&h, &raw, 1, 1024);
	reply = raw_line(&raw, 0);
	check_result(reply, "1", "null");
	json_object_put(reply);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check an over-long line with no newline yet is refused too. */
START_TEST(test_line_too_long_unterminated)
{
	struct harness	 h;
	struct raw	 raw;
	struct limits	 limits;
	char		*text;

	limit_default(&limits);
	limits.max_line = 1024;
	harness_start(&h, &limits);
	raw_open(&h, &raw);
	text = xmalloc(1026);
	memset(text, ' ', 1025);
	text[0] = '[';
	text[1025] = '\0';
	raw_send(&raw, text);
	free(text);
	check_line_closes(&h, &raw, 0, 1024);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check max_inflight bounds requests in flight without losing any. */
START_TEST(test_max_inflight)
{
	struct harness		 h;
	struct raw		 raw;
	struct limits		 limits;
	struct json_object	*reply;
	char			 id[16], seen[8] = { 0 };
	size_t			 i, echo_index = 0;
	int			 number;

	limit_default(&limits);
	limits.max_inflight = 2;
	harness_start(&h, &limits);
	raw_open(&h, &raw);
	for (i = 1; i <= 6; i++) {
		snprintf(id, sizeof id, "%zu", i);
		raw_request(&raw, "later", "{\"delay\":0.1}", id);
	}
	raw_request(&raw, "echo", NULL, "7");
	ck_assert(raw_wait_lines(&raw, 7, 10));
	ck_assert_msg(h.open_max == 2, "%u requests were in flight at once",
	    h.open_max);
	for (i = 0; i < 7; i++) {
		reply = raw_line(&raw, i);
		number = atoi(member_text(reply, "id"));
		ck_assert_int_ge(number, 1);
		ck_assert_int_le(number, 7);
		ck_assert_int_eq(seen[number], 0);
		seen[number] = 1;
		if (number == 7) {
			check_result(reply, "7", "null");
			echo_index = i;
		}
		json_object_put(reply);
	}
	/*
	 * The echo is read only once 5 and 6 are in flight, so after at
	 * least 1 to 4 and one of 5 and 6 were answered.
	 */
	ck_assert_uint_ge(echo_index, 5);
	ck_assert_uint_eq(h.dispatched, 7);
	ck_assert_int_eq(raw.closed, 0);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check a connection over max_connections gets the -32010 line. */
START_TEST(test_max_connections)
{
	struct harness		 h;
	struct raw		 first, extra, later;
	struct limits		 limits;
	struct json_object	*reply;

	limit_default(&limits);
	limits.max_connections = 1;
	harness_start(&h, &limits);
	raw_open(&h, &first);
	raw_request(&first, "echo", NULL, "1");
	ck_assert(raw_wait_lines(&first, 1, 5));
	ck_assert_uint_eq(server_connection_count(h.server), 1);

	raw_open(&h, &extra);
	ck_assert(raw_wait_closed(&extra, 5));
	ck_assert_uint_eq(extra.count, 1);
	ck_assert_str_eq(extra.lines[0], "{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"error\":{\"code\":-32010,\"message\":\"too many connections "
	    "(max_connections 1)\"}}");
	raw_close(&extra);
	ck_assert_uint_eq(server_connection_count(h.server), 1);

	/* The first is not disturbed. */
	raw_request(&first, "echo", NULL, "2");
	ck_assert(raw_wait_lines(&first, 2, 5));
	reply = raw_line(&first, 1);
	check_result(reply, "2", "null");
	json_object_put(reply);
	raw_close(&first);
	ck_assert(harness_run(&h, done_no_connections, &h, 5));

	/* And once it is gone there is room again. */
	raw_open(&h, &later);
	raw_request(&later, "echo", NULL, "3");
	ck_assert(raw_wait_lines(&later, 1, 5));
	reply = raw_line(&later, 0);
	check_result(reply, "3", "null");
	json_object_put(reply);
	raw_close(&later);
	harness_stop(&h);
}
END_TEST

/* Check idle connections close, and waiting for a reply is not idle. */
START_TEST(test_idle_timeout)
{
	struct harness		 h;
	struct raw		 idle, waiting;
	struct limits		 limits;
	struct json_object	*reply;
	double			 start, took;

	limit_default(&limits);
	limits.idle_timeout = 0.3;
	harness_start(&h, &limits);
	start = now();
	raw_open(&h, &idle);
	raw_open(&h, &waiting);
	raw_request(&waiting, "later", "{\"delay\":0.75,\"value\":\"done\"}",
	    "1");

	ck_assert(raw_wait_closed(&idle, 5));
	took = now() - start;
	ck_assert_msg(took >= 0.25 && took < 0.85, "idle closed after %.3f s",
	    took);
	ck_assert_uint_eq(idle.count, 0);
	ck_assert_int_eq(waiting.closed, 0);

	ck_assert(raw_wait_lines(&waiting, 1, 5));
	took = now() - start;
	ck_assert_msg(took >= 0.7, "reply after %.3f s", took);
	reply = raw_line(&waiting, 0);
	check_result(reply, "1", "\"done\"");
	json_object_put(reply);

	/* Answered, it is idle again and closes. */
	ck_assert(raw_wait_closed(&waiting, 5));
	ck_assert(harness_run(&h, done_no_connections, &h, 5));
	raw_close(&idle);
	raw_close(&waiting);
	harness_stop(&h);
}
END_TEST

/* Keep the event loop busy, as a slow handler would. */
static void
stall_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	usleep(*(useconds_t *)arg);
}

/*
 * Check a reply made just before the idle timeout fires still goes out:
 * a busy loop makes the reply's timer and the idle timer due together.
 */
START_TEST(test_idle_timeout_keeps_reply)
{
	struct harness		 h;
	struct raw		 raw;
	struct limits		 limits;
	struct json_object	*reply;
	struct event		*stall;
	struct timeval		 tv = { 0, 100000 };
	useconds_t		 busy = 350000;

	limit_default(&limits);
	limits.idle_timeout = 0.3;
	harness_start(&h, &limits);
	raw_open(&h, &raw);
	raw_request(&raw, "later", "{\"delay\":0.2,\"value\":\"made\"}",
	    "1");
	ck_assert(harness_wait_dispatched(&h, 1, 5));
	/* Busy from 0.1 s to 0.45 s: the reply (0.2) and idle (0.3) meet. */
	stall = evtimer_new(h.base, stall_cb, &busy);
	evtimer_add(stall, &tv);
	raw_wait_lines(&raw, 1, 5);
	ck_assert_msg(raw.count == 1, "no reply (closed %d)", raw.closed);
	reply = raw_line(&raw, 0);
	check_result(reply, "1", "\"made\"");
	json_object_put(reply);
	event_free(stall);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Compare two IPv4 socket addresses. */
static int
same_address(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return (a->sin_family == AF_INET && b->sin_family == AF_INET &&
	    a->sin_port == b->sin_port &&
	    a->sin_addr.s_addr == b->sin_addr.s_addr);
}

/* Find the server's end of a loopback connection in this process. */
static int
server_end(int fd)
{
	struct sockaddr_in	 local, peer, other_local, other_peer;
	socklen_t		 length;
	int			 other;

	length = sizeof local;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&local, &length),
	    0);
	length = sizeof peer;
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &length),
	    0);
	for (other = 0; other < 4096; other++) {
		if (other == fd)
			continue;
		length = sizeof other_local;
		if (getsockname(other, (struct sockaddr *)&other_local,
		    &length) != 0)
			continue;
		length = sizeof other_peer;
		if (getpeername(other, (struct sockaddr *)&other_peer,
		    &length) != 0)
			continue;
		if (same_address(&other_local, &peer) &&
		    same_address(&other_peer, &local))
			return (other);
	}
	ck_abort_msg("no server end for fd %d", fd);
	return (-1);
}

/*
 * Check a client that never reads: the server stops reading it once
 * about max_output is queued, and loses nothing when it reads again.
 */
START_TEST(test_slow_reader)
{
	struct harness		 h;
	struct raw		 raw;
	struct limits		 limits;
	struct json_object	*reply;
	char			 id[16], *line;
	unsigned		 before;
	size_t			 i, n = 200, queued;
	int			 server_fd, outq = 0, inq = 0, rcvbuf = 4096;
	int			 sndbuf = 16384;

	limit_default(&limits);
	limits.max_output = 64 * 1024;
	limits.idle_timeout = 0;
	harness_start(&h, &limits);

	memset(&raw, 0, sizeof raw);
	raw.harness = &h;
	raw.fd = raw_connect(h.port, rcvbuf);
	evutil_make_socket_nonblocking(raw.fd);
	ck_assert(harness_run(&h, done_one_connection, &h, 5));
	/*
	 * Small fixed kernel buffers on both ends, so what the kernel can
	 * absorb is small next to what an unbounded server would queue.
	 */
	server_fd = server_end(raw.fd);
	ck_assert_int_eq(setsockopt(server_fd, SOL_SOCKET, SO_SNDBUF,
	    &sndbuf, sizeof sndbuf), 0);
	raw.bev = bufferevent_socket_new(h.base, raw.fd,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(raw.bev, raw_read_cb, NULL, raw_event_cb, &raw);
	/* Write only: the replies pile up. */
	bufferevent_enable(raw.bev, EV_WRITE);
	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof id, "%zu", i);
		line = request_line("big", "{\"size\":16384}", id);
		bufferevent_write(raw.bev, line, strlen(line));
		free(line);
	}
	/* Run until the server stops taking requests. */
	do {
		before = h.dispatched;
		harness_run(&h, NULL, NULL, 0.3);
	} while (h.dispatched != before && h.dispatched < n);
	ck_assert_msg(h.dispatched < n, "all %zu requests were read", n);
	ck_assert_uint_gt(h.dispatched, 0);

#ifdef SIOCOUTQ
	/* What the server made, less what the kernel holds, it queued. */
	ck_assert_int_eq(ioctl(server_fd, SIOCOUTQ, &outq), 0);
	ck_assert_int_eq(ioctl(raw.fd, FIONREAD, &inq), 0);
	ck_assert_uint_ge(h.produced, (size_t)outq + (size_t)inq);
	queued = h.produced - (size_t)outq - (size_t)inq;
	ck_assert_msg(queued <= limits.max_output + h.biggest,
	    "%zu bytes queued (max_output %zu, reply %zu; %u replies, kernel "
	    "%d + %d)", queued, limits.max_output, h.biggest, h.dispatched,
	    outq, inq);
#else
	(void)outq;
	(void)inq;
	(void)queued;
#endif

	/* Now read: every reply arrives, in order. */
	bufferevent_enable(raw.bev, EV_READ);
	ck_assert_msg(raw_wait_lines(&raw, n, 20), "%zu of %zu replies",
	    raw.count, n);
	for (i = 0; i < n; i++) {
		reply = raw_line(&raw, i);
		snprintf(id, sizeof id, "%zu", i + 1);
		ck_assert_str_eq(member_text(reply, "id"), id);
		json_object_put(reply);
	}
	ck_assert_uint_eq(h.dispatched, n);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Answer every held request ("hold") now. */
static void
harness_answer_held(struct harness *h)
{
	struct later	*later;
	size_t		 slot;

	for (slot = 0; slot < LATER_MAX; slot++) {
		if ((later = h->laters[slot]) == NULL || later->timer != NULL)
			continue;
		h->laters[slot] = NULL;
		harness_reply(h, later->request, later->result, NULL);
		free(later);
	}
}

/*
 * Check lines that wait whole in the socket, so that the server reads
 * them in large pieces: one of exactly max_line bytes is taken, a longer
 * one is refused and closed as when it comes a little at a time. The
 * server reads nothing while a held call fills max_inflight, and the
 * kernel buffers are made large enough to hold both lines meanwhile.
 */
START_TEST(test_line_too_long_large_reads)
{
	struct harness		 h;
	struct raw		 raw;
	struct limits		 limits;
	struct json_object	*reply;
	char			*line;
	int			 server_fd, size = 8 * 1024 * 1024;

	limit_default(&limits);
	limits.max_line = 300 * 1024;
	limits.max_inflight = 1;
	harness_start(&h, &limits);
	raw_open(&h, &raw);
	socket_write_all_at_once(raw.bev);
	raw_request(&raw, "hold", NULL, "\"h\"");
	ck_assert(harness_wait_dispatched(&h, 1, 5));
	server_fd = server_end(raw.fd);
	ck_assert_int_eq(setsockopt(server_fd, SOL_SOCKET, SO_RCVBUF, &size,
	    sizeof size), 0);
	ck_assert_int_eq(setsockopt(raw.fd, SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof size), 0);
	line = padded_line("1", limits.max_line);
	raw_send(&raw, line);
	free(line);
	line = padded_line("2", 3 * limits.max_line);
	raw_send(&raw, line);
	free(line);
	ck_assert_msg(harness_run(&h, done_raw_sent, &raw, 10),
	    "the kernel did not take the lines (%zu bytes left)",
	    evbuffer_get_length(bufferevent_get_output(raw.bev)));
	ck_assert_uint_eq(h.dispatched, 1);

	harness_answer_held(&h);
	check_line_closes(&h, &raw, 2, limits.max_line);
	reply = raw_line(&raw, 0);
	check_result(reply, "\"h\"", "\"held\"");
	json_object_put(reply);
	reply = raw_line(&raw, 1);
	check_result(reply, "1", "null");
	json_object_put(reply);
	ck_assert_uint_eq(h.dispatched, 2);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check the peer a request came from is the client's address. */
START_TEST(test_request_peer)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;
	struct sockaddr_in	 local;
	socklen_t		 length = sizeof local;
	char			 expected[64];

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	ck_assert_int_eq(getsockname(raw.fd, (struct sockaddr *)&local,
	    &length), 0);
	snprintf(expected, sizeof expected, "\"127.0.0.1:%u\"",
	    ntohs(local.sin_port));
	raw_request(&raw, "peer", NULL, "1");
	ck_assert(raw_wait_lines(&raw, 1, 5));
	reply = raw_line(&raw, 0);
	check_result(reply, "1", expected);
	json_object_put(reply);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Check a client that sends and then shuts down writing gets its replies. */
START_TEST(test_half_close)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_request(&raw, "echo", NULL, "1");
	raw_request(&raw, "later", "{\"delay\":0.2,\"value\":\"late\"}", "2");
	ck_assert(harness_wait_dispatched(&h, 2, 5));
	ck_assert_int_eq(shutdown(raw.fd, SHUT_WR), 0);
	raw_wait_closed(&raw, 5);
	ck_assert_msg(raw.count == 2, "%zu of 2 replies before the close",
	    raw.count);
	reply = raw_line(&raw, 0);
	check_result(reply, "1", "null");
	json_object_put(reply);
	reply = raw_line(&raw, 1);
	check_result(reply, "2", "\"late\"");
	json_object_put(reply);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/* Record that drain finished. */
static void
drain_done_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Check draining closes idle connections, calls back once, stops accepting. */
START_TEST(test_drain)
{
	struct harness		 h;
	struct raw		 raw;
	struct sockaddr_in	 sin;
	int			 drained = 0, fd;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_request(&raw, "echo", NULL, "1");
	ck_assert(raw_wait_lines(&raw, 1, 5));
	server_drain(h.server, 2, drain_done_cb, &drained);
	ck_assert(raw_wait_closed(&raw, 5));
	harness_run(&h, NULL, NULL, 0.2);
	ck_assert_int_eq(drained, 1);
	ck_assert_uint_eq(server_connection_count(h.server), 0);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(h.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), -1);
	close(fd);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/*
 * Check draining answers what is in flight before it closes: a request
 * answered 0.3 s into the drain still reaches its client, then the
 * connection closes and the drain is done.
 */
START_TEST(test_drain_answers_in_flight)
{
	struct harness		 h;
	struct raw		 raw;
	struct json_object	*reply;
	int			 drained = 0;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_request(&raw, "later", "{\"delay\":0.3,\"value\":\"late\"}",
	    "1");
	ck_assert(harness_wait_dispatched(&h, 1, 5));
	server_drain(h.server, 5, drain_done_cb, &drained);
	ck_assert_int_eq(drained, 0);
	ck_assert(raw_wait_closed(&raw, 5));
	ck_assert_msg(raw.count == 1, "%zu replies before the close",
	    raw.count);
	reply = raw_line(&raw, 0);
	check_result(reply, "1", "\"late\"");
	json_object_put(reply);
	harness_run(&h, NULL, NULL, 0.1);
	ck_assert_int_eq(drained, 1);
	ck_assert_uint_eq(server_connection_count(h.server), 0);
	raw_close(&raw);
	harness_stop(&h);
}
END_TEST

/*
 * Check a request never answered does not hold a drain past its grace:
 * the connection is closed after 0.3 s all the same.
 */
START_TEST(test_drain_grace)
{
	struct harness	 h;
	struct raw	 raw;
	int		 drained = 0;

	harness_start(&h, NULL);
	raw_open(&h, &raw);
	raw_request(&raw, "hold", NULL, "1");
	ck_assert(harness_wait_dispatched(&h, 1, 5));
	server_drain(h.server, 0.3, drain_done_cb, &drained);
	harness_run(&h, NULL, NULL, 0.1);
	ck_assert_int_eq(drained, 0);
	ck_assert(raw_wait_closed(&raw, 5));
	ck_assert_uint_eq(raw.count, 0);
	ck_assert_int_eq(drained, 1);
	raw_close(&raw);
	harness_answer_held(&h);
	harness_stop(&h);
}
END_TEST

/* Check a call past its timeout fails with -32003 naming the peer. */
START_TEST(test_client_timeout)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	 slow, after;
	char		 peer[64];
	double		 start, took;
	int		 want = 1;

	harness_start(&h, NULL);
	client = harness_client(&h);
	snprintf(peer, sizeof peer, "127.0.0.1:%u", h.port);
	ck_assert_str_eq(client_peer(client), peer);
	memset(&slow, 0, sizeof slow);
	memset(&after, 0, sizeof after);
	start = now();
	client_call(client, "later", params_json("{\"delay\":1.0}"), 0.2,
	    outcome_cb, &slow);
	ck_assert(harness_run(&h, done_completed, &want, 5));
	took = now() - start;
	ck_assert_msg(took >= 0.15 && took < 0.9, "timed out after %.3f s",
	    took);
	ck_assert_int_eq(slow.code, RPC_TIMED_OUT);
	ck_assert_str_eq(slow.data, peer);
	ck_assert_msg(strstr(slow.message, peer) != NULL, "message '%s'",
	    slow.message);
	ck_assert_uint_eq(client_pending(client), 0);

	/* The late reply is dropped; the connection still works. */
	harness_run(&h, NULL, NULL, 1.2);
	ck_assert_int_eq(slow.calls, 1);
	ck_assert(!client_is_lost(client));
	client_call(client, "echo", params_json("{\"ok\":true}"), 5,
	    outcome_cb, &after);
	want = 2;
	ck_assert(harness_run(&h, done_completed, &want, 5));
	ck_assert_int_eq(after.code, 0);
	ck_assert_str_eq(after.result, "{\"ok\":true}");
	client_free(client);
	harness_stop(&h);
}
END_TEST

/* Check calls with many different timeouts all time out. */
START_TEST(test_client_many_timeouts)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	*outcomes;
	int		 i, n = 300, timed_out = 0;

	harness_start(&h, NULL);
	client = harness_client(&h);
	outcomes = xcalloc(n, sizeof *outcomes);
	for (i = 0; i < n; i++) {
		client_call(client, "hold", NULL, 0.2 + i * 0.001, outcome_cb,
		    &outcomes[i]);
	}
	harness_run(&h, done_completed, &n, 3);
	for (i = 0; i < n; i++) {
		if (outcomes[i].calls == 1 &&
		    outcomes[i].code == RPC_TIMED_OUT)
			timed_out++;
	}
	ck_assert_msg(timed_out == n, "%d of %d calls timed out", timed_out,
	    n);
	client_free(client);
	free(outcomes);
	harness_stop(&h);
}
END_TEST

/* Count calls of the lost callback. */
static void
lost_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Check a lost connection fails every pending call with -32009. */
START_TEST(test_client_lost)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	 outcomes[3], after;
	char		 peer[64];
	int		 lost = 0, want = 3, i;

	harness_start(&h, NULL);
	client = harness_client(&h);
	client_set_lost_cb(client, lost_cb, &lost);
	snprintf(peer, sizeof peer, "127.0.0.1:%u", h.port);
	memset(outcomes, 0, sizeof outcomes);
	memset(&after, 0, sizeof after);
	for (i = 0; i < 3; i++)
		client_call(client, "hold", NULL, 30, outcome_cb,
		    &outcomes[i]);
	ck_assert(harness_wait_dispatched(&h, 3, 5));
	ck_assert_int_eq(completed, 0);

	/* The server goes away with the calls in flight. */
	server_free(h.server);
	h.server = NULL;
	ck_assert(harness_run(&h, done_completed, &want, 5));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(outcomes[i].calls, 1);
		ck_assert_int_eq(outcomes[i].code, RPC_CONNECTION_LOST);
		ck_assert_str_eq(outcomes[i].data, peer);
		ck_assert_msg(strstr(outcomes[i].message, peer) != NULL,
		    "message '%s'", outcomes[i].message);
	}
	ck_assert_int_eq(lost, 1);
	ck_assert(client_is_lost(client));
	ck_assert_uint_eq(client_pending(client), 0);

	/* Later calls fail too, but never before client_call returns. */
	client_call(client, "echo", NULL, 5, outcome_cb, &after);
	ck_assert_int_eq(after.calls, 0);
	want = 4;
	ck_assert(harness_run(&h, done_completed, &want, 5));
	ck_assert_int_eq(after.code, RPC_CONNECTION_LOST);
	ck_assert_str_eq(after.data, peer);
	ck_assert_int_eq(lost, 1);
	client_free(client);
	harness_stop(&h);
}
END_TEST

/* Check a refused connection fails calls with -32009, not a timeout. */
START_TEST(test_client_refused)
{
	struct harness		 h;
	struct client		*client;
	struct outcome		 outcome;
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;
	int			 fd, want = 1;
	uint16_t		 port;

	/* A port nobody listens on: bound, then closed. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &length), 0);
	port = ntohs(sin.sin_port);
	close(fd);

	harness_start(&h, NULL);
	client = client_new(h.base, "127.0.0.1", port, &h.limits);
	memset(&outcome, 0, sizeof outcome);
	client_call(client, "echo", NULL, 3, outcome_cb, &outcome);
	ck_assert_int_eq(outcome.calls, 0);
	ck_assert(harness_run(&h, done_completed, &want, 5));
	ck_assert_int_eq(outcome.code, RPC_CONNECTION_LOST);
	ck_assert(client_is_lost(client));
	client_free(client);
	harness_stop(&h);
}
END_TEST

/*
 * Check a reply longer than the client's max_reply loses the connection,
 * a short one and one read in large pieces (past libevent's 4 KiB at a
 * time) alike; a reply within the limit before it is answered.
 */
static const struct {
	size_t	 max_reply;
	size_t	 within;
	size_t	 over;
} reply_limits[] = { { 1024, 500, 4000 }, { 100000, 99000, 300000 } };

START_TEST(test_client_reply_too_long)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	 outcomes[2];
	struct limits	 limits;
	char		*params;
	int		 want = 2;

	harness_start(&h, NULL);
	limit_default(&limits);
	limits.max_reply = reply_limits[_i].max_reply;
	client = client_new(h.base, "127.0.0.1", h.port, &limits);
	memset(outcomes, 0, sizeof outcomes);
	xasprintf(&params, "{\"size\":%zu}", reply_limits[_i].within);
	client_call(client, "big", params_json(params), 5, outcome_cb,
	    &outcomes[0]);
	free(params);
	xasprintf(&params, "{\"size\":%zu}", reply_limits[_i].over);
	client_call(client, "big", params_json(params), 5, outcome_cb,
	    &outcomes[1]);
	free(params);
	ck_assert(harness_run(&h, done_completed, &want, 5));
	ck_assert_int_eq(outcomes[0].code, 0);
	ck_assert_int_eq(outcomes[1].code, RPC_CONNECTION_LOST);
	ck_assert(client_is_lost(client));
	client_free(client);
	harness_stop(&h);
}
END_TEST

/*
 * Make a socket pair and a bufferevent on its second end, in a new base;
 * the test writes to fds[0].
 */
static struct bufferevent *
pair_bufferevent(struct event_base **base, int fds[2])
{
	struct bufferevent	*bev;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	*base = event_base_new();
	evutil_make_socket_nonblocking(fds[1]);
	bev = bufferevent_socket_new(*base, fds[1], BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(bev);
	return (bev);
}

/*
 * Check socket_read_more() takes all the socket holds in one go, up to
 * its limit, and leaves the input as the bufferevent wants it (its end
 * frozen).
 */
START_TEST(test_socket_read_more)
{
	struct event_base	*base;
	struct bufferevent	*bev;
	struct evbuffer		*input;
	char			*chunk;
	size_t			 size = 64 * 1024;
	int			 fds[2];

	bev = pair_bufferevent(&base, fds);
	input = bufferevent_get_input(bev);
	chunk = xmalloc(size);
	memset(chunk, 'y', size);
	ck_assert_int_eq(write(fds[0], chunk, size), (ssize_t)size);
	socket_read_more(bev, SIZE_MAX);
	ck_assert_uint_eq(evbuffer_get_length(input), size);
	ck_assert_int_eq(write(fds[0], chunk, size), (ssize_t)size);
	socket_read_more(bev, size + 1000);
	ck_assert_uint_eq(evbuffer_get_length(input), size + 1000);
	socket_read_more(bev, size + 1000);
	ck_assert_uint_eq(evbuffer_get_length(input), size + 1000);
	ck_assert_int_eq(evbuffer_add(input, "z", 1), -1);
	socket_read_more(bev, SIZE_MAX);
	ck_assert_uint_eq(evbuffer_get_length(input), 2 * size);
	close(fds[0]);
	socket_read_more(bev, SIZE_MAX);
	ck_assert_uint_eq(evbuffer_get_length(input), 2 * size);
	free(chunk);
	bufferevent_free(bev);
	event_base_free(base);
}
END_TEST

/*
 * Check socket_read_after() reads more only when the input holds what a
 * full read of libevent's (4 KiB) brings: less means the socket was
 * drained, and the data waiting stays for the loop's next turn.
 */
START_TEST(test_socket_read_after)
{
	struct event_base	*base;
	struct bufferevent	*bev;
	struct evbuffer		*input;
	char			 chunk[8192];
	int			 fds[2];

	bev = pair_bufferevent(&base, fds);
	input = bufferevent_get_input(bev);
	memset(chunk, 'y', sizeof chunk);
	ck_assert_int_eq(write(fds[0], chunk, sizeof chunk),
	    (ssize_t)sizeof chunk);
	/*
	 * A short read's worth in the input (its end unfrozen as a read
	 * does): the socket is not asked.
	 */
	evbuffer_unfreeze(input, 0);
	ck_assert_int_eq(evbuffer_add(input, chunk, 100), 0);
	evbuffer_freeze(input, 0);
	socket_read_after(bev, SIZE_MAX);
	ck_assert_uint_eq(evbuffer_get_length(input), 100);
	/* A full read's worth: what the socket holds comes in. */
	evbuffer_unfreeze(input, 0);
	ck_assert_int_eq(evbuffer_add(input, chunk, 4096 - 100), 0);
	evbuffer_freeze(input, 0);
	socket_read_after(bev, SIZE_MAX);
	ck_assert_uint_eq(evbuffer_get_length(input), 4096 + sizeof chunk);
	close(fds[0]);
	bufferevent_free(bev);
	event_base_free(base);
}
END_TEST

/*
 * Check socket_send_buffer() writes what the socket takes at once when
 * eager, queues the rest and the newline, and queues it all otherwise.
 */
START_TEST(test_socket_send_buffer)
{
	struct event_base	*base;
	struct bufferevent	*bev;
	struct evbuffer		*text, *output;
	char			*chunk, *got;
	size_t			 size = 32 * 1024, total = 4 * size + 1, have;
	ssize_t			 n;
	int			 fds[2], eager, i;

	base = event_base_new();
	chunk = xmalloc(size);
	got = xmalloc(total);
	for (eager = 0; eager <= 1; eager++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
		evutil_make_socket_nonblocking(fds[0]);
		evutil_make_socket_nonblocking(fds[1]);
		bev = bufferevent_socket_new(base, fds[1],
		    BEV_OPT_CLOSE_ON_FREE);
		bufferevent_enable(bev, EV_WRITE);
		output = bufferevent_get_output(bev);
		text = evbuffer_new();
		for (i = 0; i < 4; i++) {
			memset(chunk, 'a' + i, size);
			evbuffer_add(text, chunk, size);
		}
		ck_assert_int_eq(socket_send_buffer(bev, text, eager), 0);
		ck_assert_uint_eq(evbuffer_get_length(text), 0);
		have = 0;
		while ((n = read(fds[0], got + have, total - have)) > 0)
			have += (size_t)n;
		if (eager)
			ck_assert_uint_gt(have, 0);
		else
			ck_assert_uint_eq(have, 0);
		ck_assert_uint_eq(have + evbuffer_get_length(output), total);
		while (have < total) {
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			if ((n = read(fds[0], got + have, total - have)) > 0)
				have += (size_t)n;
		}
		for (i = 0; i < 4; i++)
			ck_assert_int_eq(got[i * size], 'a' + i);
		ck_assert_int_eq(got[total - 1], '\n');
		evbuffer_free(text);
		bufferevent_free(bev);
		close(fds[0]);
	}
	free(got);
	free(chunk);
	event_base_free(base);
}
END_TEST

/* What a call kept as text got. */
struct text_outcome {
	int	 calls;
	int	 code;		/* 0 for a text */
	char	 result[64];	/* the result's span */
	int	 valid;		/* the line passed the scanner */
};

/* Keep what a call kept as text got. */
static void
text_outcome_cb(char *line, size_t length, size_t start, size_t end,
    struct json_object *error, void *arg)
{
	struct text_outcome	*outcome = arg;

	outcome->calls++;
	completed++;
	if (error != NULL) {
		outcome->code = rpc_error_code(error);
		return;
	}
	snprintf(outcome->result, sizeof outcome->result, "%.*s",
	    (int)(end - start), line + start);
	outcome->valid = jsonspan_valid(line, length, JSONSPAN_MAX_DEPTH);
	free(line);
}

/*
 * Check a reply kept as text is given as text only when the scanner
 * takes it: as it came, or, when only the codec takes it, as the codec
 * writes it if that passes, and else as an error.
 */
START_TEST(test_client_text_checked)
{
	static const char	 replies[] =
	    "{\"jsonrpc\":\"2.0\",\"result\":[\"a\"],\"id\":1}\n"
	    "{\"jsonrpc\":\"2.0\",\"result\":[\"b\x01\"],\"id\":2}\n"
	    "{\"jsonrpc\":\"2.0\",\"result\":[\"\\ud800\x01\"],\"id\":3}\n";
	struct event_base	*base;
	struct client		*client;
	struct tl_conn		*peer;
	struct text_outcome	 outcomes[3];
	struct limits		 limits;
	double			 deadline;
	uint16_t		 port;
	int			 listener, i;

	completed = 0;
	base = event_base_new();
	listener = tl_listen(&port);
	limit_default(&limits);
	limits.key = NULL;	/* the peer answers no handshake */
	client = client_new(base, "127.0.0.1", port, &limits);
	memset(outcomes, 0, sizeof outcomes);
	for (i = 0; i < 3; i++)
		client_call_text(client, "get", NULL, 5, text_outcome_cb,
		    &outcomes[i]);
	ck_assert_ptr_nonnull(peer = tl_accept(listener, 5));
	tl_send_raw(peer, replies, sizeof replies - 1);
	deadline = now() + 5;
	while (completed < 3 && now() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(outcomes[i].calls, 1);
	ck_assert_int_eq(outcomes[0].code, 0);
	ck_assert_str_eq(outcomes[0].result, "[\"a\"]");
	ck_assert(outcomes[0].valid);
	ck_assert_int_eq(outcomes[1].code, 0);
	ck_assert_str_eq(outcomes[1].result, "[\"b\\u0001\"]");
	ck_assert(outcomes[1].valid);
	ck_assert_int_eq(outcomes[2].code, RPC_PARSE_ERROR);
	ck_assert(!client_is_lost(client));
	client_free(client);
	tl_close(peer);
	close(listener);
	event_base_free(base);
}
END_TEST

/* Check freeing a client fails its pending calls at once. */
START_TEST(test_client_free_pending)
{
	struct harness	 h;
	struct client	*client;
	struct outcome	 outcomes[2];

	harness_start(&h, NULL);
	client = harness_client(&h);
	memset(outcomes, 0, sizeof outcomes);
	client_call(client, "hold", NULL, 30, outcome_cb, &outcomes[0]);
	client_call(client, "hold", NULL, 30, outcome_cb, &outcomes[1]);
	ck_assert(harness_wait_dispatched(&h, 2, 5));
	client_free(client);
	ck_assert_int_eq(outcomes[0].calls, 1);
	ck_assert_int_eq(outcomes[1].calls, 1);
	ck_assert_int_eq(outcomes[0].code, RPC_CONNECTION_LOST);
	ck_assert_int_eq(outcomes[1].code, RPC_CONNECTION_LOST);
	ck_assert_str_eq(outcomes[0].data, outcomes[1].data);
	harness_stop(&h);
}
END_TEST

/* Collect the server and client tests. */
Suite *
suite_server(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("server");
	tc = tcase_create("server");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_client_batched);
	tcase_add_test(tc, test_raw_pipelined);
	tcase_add_test(tc, test_batch_mixed);
	tcase_add_loop_test(tc, test_batch_long_line, 0, 2);
	tcase_add_test(tc, test_plain_requests);
	tcase_add_test(tc, test_batch_notifications);
	tcase_add_test(tc, test_batch_empty);
	tcase_add_test(tc, test_notifications);
	tcase_add_test(tc, test_parse_error);
	tcase_add_test(tc, test_invalid_requests);
	tcase_add_test(tc, test_request_peer);
	tcase_add_test(tc, test_drain);
	tcase_add_test(tc, test_drain_answers_in_flight);
	tcase_add_test(tc, test_drain_grace);
	tcase_add_test(tc, test_half_close);
	suite_add_tcase(suite, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_line_at_limit);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_line_too_long_unterminated);
	tcase_add_test(tc, test_line_too_long_large_reads);
	tcase_add_test(tc, test_max_inflight);
	tcase_add_test(tc, test_max_connections);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_idle_timeout_keeps_reply);
	tcase_add_test(tc, test_slow_reader);
	suite_add_tcase(suite, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_client_pipelined);
	tcase_add_test(tc, test_client_out_of_order);
	tcase_add_test(tc, test_client_timeout);
	tcase_add_test(tc, test_client_many_timeouts);
	tcase_add_test(tc, test_client_lost);
	tcase_add_test(tc, test_client_refused);
	tcase_add_loop_test(tc, test_client_reply_too_long, 0,
	    sizeof reply_limits / sizeof reply_limits[0]);
	tcase_add_test(tc, test_socket_read_more);
	tcase_add_test(tc, test_socket_read_after);
	tcase_add_test(tc, test_socket_send_buffer);
	tcase_add_test(tc, test_client_text_checked);
	tcase_add_test(tc, test_client_free_pending);
	suite_add_tcase(suite, tc);
	return (suite);
}
