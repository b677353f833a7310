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
 * End-to-end tests of the wire protocol and of the limits, against the
 * real daemon: JSON-RPC 2.0 one text per line, named params, batches,
 * notifications, ids, pipelining, max_line, max_output, max_connections,
 * idle_timeout, clients that vanish and bytes that are no JSON at all.
 * Every test ends by checking that the daemon still answers and exits 0.
 */

#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

/* Error codes, as slave.md gives them. */
#define E_PARSE			-32700
#define E_INVALID_REQUEST	-32600
#define E_METHOD_NOT_FOUND	-32601
#define E_INVALID_PARAMS	-32602
#define E_AGENT_NOT_FOUND	-32001
#define E_BUSY			-32010

#define READY_LINE	"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":" \
			    "\"is_ready\"}"
#define QUIET		0.3	/* seconds of silence that mean no reply */

Suite	*suite_wire(void);

/* Check that a connection still gets answers. */
static void
assert_usable(struct tl_conn *conn)
{
	struct json_object	*ready;

	ready = tl_ok(conn, "is_ready", NULL);
	tl_assert_json(ready, "true");
	json_object_put(ready);
}

/* Fail unless nothing arrives on a connection for QUIET seconds. */
static void
expect_silence(struct tl_conn *conn, const char *why)
{
	enum tl_read	 rc;
	char		*line;

	rc = tl_read_line(conn, QUIET, &line);
	ck_assert_msg(rc != TL_READ_EOF, "%s: the connection closed", why);
	ck_assert_msg(rc == TL_READ_TIMEOUT, "%s: expected no reply, got "
	    "%.500s", why, line);
}

/* Return 1 if bytes are well-formed UTF-8 (RFC 3629). */
static int
utf8_valid(const unsigned char *s, size_t length)
{
	size_t		 i = 0, n, k;
	unsigned int	 c;

	while (i < length) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return (0);
		if (i + n >= length)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
		}
		/* No overlong forms, surrogates or values over U+10FFFF. */
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return (0);
		i += n + 1;
	}
	return (1);
}

/* Read a line that must be UTF-8 and JSON; the value (a new reference). */
static struct json_object *
read_value(struct tl_conn *conn, double seconds)
{
	struct json_object	*value;
	char			*line;

	line = tl_expect_line(conn, seconds);
	ck_assert_msg(utf8_valid((unsigned char *)line, strlen(line)),
	    "a reply that is not UTF-8: %.500s", line);
	value = tl_json(line);
	free(line);
	return (value);
}

/* Check one response object: JSON-RPC 2.0, the id given as JSON text. */
static void
check_response(struct json_object *response, const char *id)
{
	ck_assert_msg(json_object_is_type(response, json_type_object),
	    "a response that is no object: %s", tl_json_text(response));
	tl_assert_json(tl_member(response, "jsonrpc"), "\"2.0\"");
	ck_assert_msg(tl_json_equal(tl_member(response, "id"), id),
	    "expected id %s in %s", id, tl_json_text(response));
}

/* Check that a response is an error with code (id as JSON text). */
static void
check_error(struct json_object *response, int code, const char *id)
{
	check_response(response, id);
	ck_assert_msg(tl_response_code(response) == code, "expected error "
	    "%d, got %s", code, tl_json_text(response));
}

/* Read one response line: an error with code and id (JSON text). */
static void
expect_error(struct tl_conn *conn, int code, const char *id)
{
	struct json_object	*response;

	response = read_value(conn, TL_TIMEOUT);
	check_error(response, code, id);
	json_object_put(response);
}

/* Read one response line: a result (JSON text) with id (JSON text). */
static void
expect_result(struct tl_conn *conn, const char *result, const char *id)
{
	struct json_object	*response;

	response = read_value(conn, TL_TIMEOUT);
	check_response(response, id);
	tl_assert_json(tl_response_result(response), result);
	json_object_put(response);
}

/* Call a method expecting -32602 naming the parameter in data. */
static void
expect_invalid_param(struct tl_conn *conn, const char *method,
    const char *params, const char *name)
{
	struct json_object	*error;

	error = tl_err(conn, E_INVALID_PARAMS, method, params);
	ck_assert_msg(json_object_is_type(tl_member(error, "data"),
	    json_type_string) && strcmp(tl_string(error, "data"), name) == 0,
	    "%s %s: want data \"%s\" in %s", method, params, name,
	    tl_json_text(error));
	ck_assert_msg(strstr(tl_string(error, "message"), name) != NULL,
	    "%s %s: the message does not name '%s': %s", method, params, name,
	    tl_json_text(error));
	json_object_put(error);
}

/* Return how many agents a daemon has. */
static size_t
agent_count(struct tl_conn *conn)
{
	struct json_object	*agents;
	size_t			 count;

	agents = tl_ok(conn, "get_agents", NULL);
	count = json_object_array_length(agents);
	json_object_put(agents);
	return (count);
}

/* Return a status member as an integer. */
static int64_t
status_int(struct tl_conn *conn, const char *key)
{
	struct json_object	*status;
	int64_t			 value;

	status = tl_ok(conn, "status", NULL);
	value = tl_int(status, key);
	json_object_put(status);
	return (value);
}

/* Check a reply to garbage: an error with id null, -32700 or -32600. */
static void
check_garbage_reply(struct json_object *response)
{
	int	 code;

	check_response(response, "null");
	code = tl_response_code(response);
	ck_assert_msg(code == E_PARSE || code == E_INVALID_REQUEST, "%s",
	    tl_json_text(response));
}

/* Return the CPU time a process has used, in seconds, from /proc. */
static double
cpu_seconds(pid_t pid)
{
	char			 path[64], buffer[1024], *p;
	unsigned long long	 user, system;
	FILE			*file;
	size_t			 length;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((file = fopen(path, "r")) == NULL)
		ck_abort_msg("%s: %s", path, strerror(errno));
	length = fread(buffer, 1, sizeof buffer - 1, file);
	fclose(file);
	buffer[length] = '\0';
	/* utime and stime are fields 14 and 15; skip past "(comm)". */
	ck_assert((p = strrchr(buffer, ')')) != NULL);
	ck_assert_msg(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
	    "%*u %llu %llu", &user, &system) == 2, "%s: %s", path, buffer);
	return ((double)(user + system) / (double)sysconf(_SC_CLK_TCK));
}

/* Keep a sanitised daemon's quarantine small (its children inherit it). */
static void
limit_asan_quarantine(void)
{
	const char	*old = getenv("ASAN_OPTIONS");
	char		*options;

	if (asprintf(&options, "%s%squarantine_size_mb=16", old != NULL ?
	    old : "", old != NULL && *old != '\0' ? ":" : "") == -1)
		ck_abort_msg("out of memory");
	setenv("ASAN_OPTIONS", options, 1);
	free(options);
}

/* A small deterministic generator, so that failures repeat. */
static uint32_t
next_random(uint32_t *state)
{
	uint32_t	 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return (*state = x);
}

/* Params must be an object: arrays and scalars are -32602. */
START_TEST(test_named_params_only)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"is_ready\",\"params\":[]}");
	expect_error(conn, E_INVALID_PARAMS, "1");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"spawn\",\"params\":[\"noop\"]}");
	expect_error(conn, E_INVALID_PARAMS, "2");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
	    "\"spawn\",\"params\":\"noop\"}");
	expect_error(conn, E_INVALID_PARAMS, "3");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":"
	    "\"spawn_n\",\"params\":[\"noop\",2]}");
	expect_error(conn, E_INVALID_PARAMS, "4");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":"
	    "\"is_ready\",\"params\":5}");
	expect_error(conn, E_INVALID_PARAMS, "5");
	ck_assert_int_eq(agent_count(conn), 0);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* An unknown parameter is -32602 naming it, and nothing is done. */
START_TEST(test_unknown_params)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	expect_invalid_param(conn, "is_ready", "{\"x\":1}", "x");
	expect_invalid_param(conn, "spawn",
	    "{\"type\":\"noop\",\"bogus\":1}", "bogus");
	expect_invalid_param(conn, "trigger_all", "{\"timeot\":1}", "timeot");
	expect_invalid_param(conn, "get_agents", "{\"kind\":\"noop\"}",
	    "kind");
	ck_assert_int_eq(agent_count(conn), 0);
	ck_assert_int_eq(status_int(conn, "rounds"), 0);
	json_object_put(tl_ok(conn, "spawn", "{\"type\":\"noop\"}"));
	expect_invalid_param(conn, "agent.add_connection",
	    "{\"agent\":1,\"adr\":\"tcp://127.0.0.1:1/1\"}", "adr");
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Wrong types and missing parameters are -32602 naming the parameter. */
START_TEST(test_wrong_types)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	expect_invalid_param(conn, "spawn", "{\"type\":5}", "type");
	expect_invalid_param(conn, "spawn", "{}", "type");
	expect_invalid_param(conn, "spawn_n",
	    "{\"type\":\"noop\",\"n\":\"3\"}", "n");
	expect_invalid_param(conn, "spawn_n",
	    "{\"type\":\"noop\",\"n\":1.5}", "n");
	expect_invalid_param(conn, "spawn_n", "{\"type\":\"noop\"}", "n");
	expect_invalid_param(conn, "trigger_all", "{\"results\":1}",
	    "results");
	expect_invalid_param(conn, "trigger_all", "{\"timeout\":\"1\"}",
	    "timeout");
	expect_invalid_param(conn, "trigger_all", "{\"round\":\"7\"}",
	    "round");
	expect_invalid_param(conn, "get_artifacts", "{\"creator\":1}",
	    "creator");
	expect_invalid_param(conn, "set_time", "{\"t\":\"x\"}", "t");
	expect_invalid_param(conn, "create_connections", "{\"map\":[]}",
	    "map");
	expect_invalid_param(conn, "get_agents", "{\"type\":[\"noop\"]}",
	    "type");
	ck_assert_int_eq(agent_count(conn), 0);
	ck_assert_int_eq(status_int(conn, "rounds"), 0);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Unknown methods are -32601; agent.NAME on a missing agent is -32001. */
START_TEST(test_unknown_method)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*names[] = { "nope", "IS_READY", "", "agent.",
				    "is_ready ", "rpc.discover" };
	size_t			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		json_object_put(tl_err(conn, E_METHOD_NOT_FOUND, names[i],
		    NULL));
	json_object_put(tl_ok(conn, "spawn", "{\"type\":\"noop\"}"));
	json_object_put(tl_err(conn, E_METHOD_NOT_FOUND, "agent.nosuch",
	    "{\"agent\":1}"));
	json_object_put(tl_err(conn, E_AGENT_NOT_FOUND, "agent.nosuch",
	    "{\"agent\":99}"));
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Requests that are no valid request objects are -32600. */
START_TEST(test_invalid_request)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	static const struct {
		const char	*line;
		const char	*id;
	} cases[] = {
		{ "{\"id\":5,\"method\":\"is_ready\"}", "5" },
		{ "{\"jsonrpc\":\"1.0\",\"id\":6,\"method\":\"is_ready\"}",
		    "6" },
		{ "{\"jsonrpc\":2.0,\"id\":7,\"method\":\"is_ready\"}", "7" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":5}", "8" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":9}", "9" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":null}", "10" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":[\"is_ready\"]}",
		    "11" },
		{ "5", "null" },
		{ "\"is_ready\"", "null" },
		{ "null", "null" },
		{ "true", "null" },
		{ "{}", "null" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":"
		    "\"is_ready\"}", "null" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"is_ready\"}",
		    "null" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"is_ready\"}",
		    "null" },
	};
	size_t			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tl_send_line(conn, cases[i].line);
		expect_error(conn, E_INVALID_REQUEST, cases[i].id);
	}
	assert_usable(conn);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Text that is no JSON is -32700 with id null; the connection stays. */
START_TEST(test_parse_error)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*lines[] = {
		"{bad",
		"{\"jsonrpc\":\"2.0\",",
		"]",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"is_ready\"} x",
		"{'jsonrpc':'2.0'}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"is_ready\",}",
		"[1,]",
		"nul",
		"\"unterminated",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"is_ready\"}}",
	};
	static const char	 both[] = "{bad\n{\"jsonrpc\":\"2.0\","
				    "\"id\":33,\"method\":\"is_ready\"}\n";
	size_t			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		tl_send_line(conn, lines[i]);
		expect_error(conn, E_PARSE, "null");
		assert_usable(conn);
	}
	/* A bad line and a good one in the same write: both answered. */
	tl_send_raw(conn, both, strlen(both));
	expect_error(conn, E_PARSE, "null");
	expect_result(conn, "true", "33");
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * A batch of requests, a notification and invalid elements: one array
 * with a response for each but the notification, which still runs.
 */
START_TEST(test_batch_mixed)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*responses, *response, *id;
	size_t			 i;
	int			 seen = 0;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "["
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"is_ready\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"spawn\",\"params\":"
	    "{\"type\":\"noop\"}},"
	    "5,"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"spawn\",\"params\":"
	    "{\"type\":\"counter\"}}]");
	responses = read_value(conn, TL_TIMEOUT);
	ck_assert_msg(json_object_is_type(responses, json_type_array) &&
	    json_object_array_length(responses) == 4, "want an array of 4 "
	    "responses, got %s", tl_json_text(responses));
	for (i = 0; i < 4; i++) {
		response = tl_index(responses, i);
		id = tl_member(response, "id");
		if (id == NULL) {
			check_error(response, E_INVALID_REQUEST, "null");
			seen |= 1;
		} else if (tl_json_equal(id, "1")) {
			tl_assert_json(tl_response_result(response), "true");
			seen |= 2;
		} else if (tl_json_equal(id, "2")) {
			check_error(response, E_METHOD_NOT_FOUND, "2");
			seen |= 4;
		} else if (tl_json_equal(id, "3")) {
			ck_assert_msg(json_object_is_type(tl_response_result(
			    response), json_type_string), "%s",
			    tl_json_text(response));
			seen |= 8;
		}
	}
	ck_assert_msg(seen == 15, "responses missing from %s",
	    tl_json_text(responses));
	json_object_put(responses);
	ck_assert_int_eq(agent_count(conn), 2);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* A batch of notifications only gets no reply at all, yet runs. */
START_TEST(test_batch_all_notifications)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "["
	    "{\"jsonrpc\":\"2.0\",\"method\":\"spawn\",\"params\":"
	    "{\"type\":\"noop\"}},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"is_ready\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]");
	expect_silence(conn, "a batch of notifications");
	ck_assert_int_eq(agent_count(conn), 1);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* An empty batch gets one -32600 response, not an array. */
START_TEST(test_empty_batch)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "[]");
	expect_error(conn, E_INVALID_REQUEST, "null");
	tl_send_line(conn, " [ ] ");
	expect_error(conn, E_INVALID_REQUEST, "null");
	assert_usable(conn);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* A large batch is answered in one array, every id once. */
START_TEST(test_large_batch)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*responses, *response;
	char			*batch, *p;
	unsigned char		*seen;
	const int		 count = 2000;
	int64_t			 id;
	int			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	batch = calloc((size_t)count, 64);
	seen = calloc((size_t)count + 1, 1);
	ck_assert(batch != NULL && seen != NULL);
	p = batch;
	*p++ = '[';
	for (i = 1; i <= count; i++)
		p += sprintf(p, "%s" READY_LINE, i > 1 ? "," : "", i);
	strcpy(p, "]");
	tl_send_line(conn, batch);
	responses = read_value(conn, TL_TIMEOUT);
	ck_assert_msg(json_object_is_type(responses, json_type_array) &&
	    json_object_array_length(responses) == (size_t)count,
	    "want %d responses", count);
	for (i = 0; i < count; i++) {
		response = tl_index(responses, (size_t)i);
		tl_assert_json(tl_response_result(response), "true");
		id = tl_int(response, "id");
		ck_assert_msg(id >= 1 && id <= count && !seen[id], "id %lld "
		    "out of place", (long long)id);
		seen[id] = 1;
	}
	json_object_put(responses);
	free(batch);
	free(seen);
	assert_usable(conn);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Notifications run but get no reply, not even an error. */
START_TEST(test_notifications)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"spawn\","
	    "\"params\":{\"type\":\"counter\"}}");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"trigger_all\"}");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"is_ready\","
	    "\"params\":{\"x\":1}}");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"agent.get\","
	    "\"params\":{\"agent\":99}}");
	expect_silence(conn, "notifications");
	ck_assert_int_eq(agent_count(conn), 1);
	ck_assert_int_eq(status_int(conn, "rounds"), 1);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * JSON-RPC 2.0: "The Server MUST NOT reply to a Notification", invalid
 * params included. By-position params in a notification are a valid
 * request object that we refuse with -32602: still no reply.
 */
START_TEST(test_notification_bad_params)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"spawn\","
	    "\"params\":[\"noop\"]}");
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"is_ready\","
	    "\"params\":[]}");
	expect_silence(conn, "notifications with by-position params");
	ck_assert_int_eq(agent_count(conn), 0);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Ids of every allowed kind come back as they were sent. */
START_TEST(test_ids_echoed)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*ids[] = { "\"abc\"", "\"\"", "\"7\"",
				    "\"h\\u00e9 \\u65e5\\u672c\"",
				    "\"a\\\"b\\\\c\\n\"", "\"\\ud83d\\ude00\"",
				    "1.5", "-7", "0", "9007199254740993",
				    "null" };
	size_t			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"method\":\"is_ready\"}", ids[i]);
		expect_result(conn, "true", ids[i]);
		tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"method\":\"nope\"}", ids[i]);
		expect_error(conn, E_METHOD_NOT_FOUND, ids[i]);
	}
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Thousands of requests written at once are all answered, ids matching. */
START_TEST(test_pipelined)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response, *id;
	char			*buffer, *p, want[32];
	unsigned char		*seen;
	const int		 count = 5000;
	int64_t			 n;
	int			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	buffer = calloc((size_t)count, 96);
	seen = calloc((size_t)count + 1, 1);
	ck_assert(buffer != NULL && seen != NULL);
	p = buffer;
	for (i = 1; i <= count; i++) {
		if (i % 5 == 0)
			snprintf(want, sizeof want, "\"s%d\"", i);
		else
			snprintf(want, sizeof want, "%d", i);
		p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":"
		    "\"%s\"}\n", want, i % 3 == 0 ? "is_ready" : i % 3 == 1 ?
		    "get_time" : "nope");
	}
	tl_send_raw(conn, buffer, (size_t)(p - buffer));
	for (i = 0; i < count; i++) {
		response = read_value(conn, TL_TIMEOUT);
		id = tl_member(response, "id");
		if (json_object_is_type(id, json_type_string)) {
			ck_assert(json_object_get_string(id)[0] == 's');
			n = atoll(json_object_get_string(id) + 1);
			ck_assert_msg(n % 5 == 0, "%s", tl_json_text(response));
		} else {
			n = tl_int(response, "id");
			ck_assert_msg(n % 5 != 0, "%s", tl_json_text(response));
		}
		ck_assert_msg(n >= 1 && n <= count && !seen[n], "id %lld "
		    "unexpected or repeated", (long long)n);
		seen[n] = 1;
		if (n % 3 == 0)
			tl_assert_json(tl_response_result(response), "true");
		else if (n % 3 == 1)
			tl_assert_json(tl_response_result(response), "0.0");
		else
			ck_assert_int_eq(tl_response_code(response),
			    E_METHOD_NOT_FOUND);
		json_object_put(response);
	}
	free(buffer);
	free(seen);
	assert_usable(conn);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Send text on a connection (no newline added), as one write. */
static void
send_piece(struct tl_conn *conn, const char *text)
{
	tl_send_raw(conn, text, strlen(text));
}

/*
 * A line that comes in pieces is answered once its newline comes, and
 * only then, however it is cut: its newline alone, or the end of one
 * line and the start of the next in one write. Another connection's
 * answer between pieces makes sure the daemon read each one on its own.
 */
START_TEST(test_line_in_pieces)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *other;

	d = tl_daemon_start(NULL);
	conn = tl_connect(d->port);
	other = tl_connect(d->port);
	send_piece(conn, "{\"jsonrpc\":\"2.0\",\"id\":1,");
	assert_usable(other);
	send_piece(conn, "\"method\":\"is_ready\"}");
	assert_usable(other);
	send_piece(conn, "\n");
	expect_result(conn, "true", "1");
	send_piece(conn, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"get_time\"}\n{\"jsonrpc\":\"2.0\",\"id\":3,\"met");
	expect_result(conn, "0.0", "2");
	assert_usable(other);
	send_piece(conn, "hod\":\"is_ready\"}\n");
	expect_result(conn, "true", "3");
	assert_usable(conn);
	tl_close(conn);
	tl_close(other);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Replies may come out of order: a round waiting on a stopped daemon is
 * answered after the requests sent behind it on the same connection.
 */
START_TEST(test_replies_out_of_order)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*ponger, *response;
	static const char	 three[] = "{\"jsonrpc\":\"2.0\",\"id\":101,"
				    "\"method\":\"trigger_all\",\"params\":"
				    "{\"timeout\":1}}\n"
				    "{\"jsonrpc\":\"2.0\",\"id\":102,"
				    "\"method\":\"is_ready\"}\n"
				    "{\"jsonrpc\":\"2.0\",\"id\":103,"
				    "\"method\":\"get_time\"}\n";

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	json_object_put(tl_ok(ca, "spawn", "{\"type\":\"pinger\"}"));
	ponger = tl_ok(cb, "spawn", "{\"type\":\"ponger\"}");
	json_object_put(tl_okf(ca, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", json_object_get_string(ponger)));
	ck_assert_int_eq(kill(b->pid, SIGSTOP), 0);

	tl_send_raw(ca, three, strlen(three));
	expect_result(ca, "true", "102");
	expect_result(ca, "0.0", "103");
	response = read_value(ca, 5);
	check_response(response, "101");
	tl_response_result(response);
	json_object_put(response);

	ck_assert_int_eq(kill(b->pid, SIGCONT), 0);
	json_object_put(ponger);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/* Check the over-long line answer, then the close. */
static void
expect_line_too_long(struct tl_conn *conn)
{
	struct json_object	*response;
	enum tl_read		 rc;
	char			*line;

	rc = tl_read_line(conn, TL_TIMEOUT, &line);
	ck_assert_msg(rc == TL_READ_LINE, "no -32700 line before the close "
	    "(%s)", rc == TL_READ_EOF ? "closed or reset at once" :
	    "nothing at all");
	response = tl_json(line);
	free(line);
	check_error(response, E_PARSE, "null");
	ck_assert_str_eq(tl_string(tl_member(response, "error"), "message"),
	    "line exceeds max_line (4096 bytes); closing");
	json_object_put(response);
	tl_expect_eof(conn, TL_TIMEOUT);
}

/*
 * max_line: a longer line is -32700 and the connection closes, while
 * other clients are served; a line of exactly max_line bytes is fine.
 */
START_TEST(test_overlong_line)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *other;
	char			*line;

	d = tl_daemon_start_plugin("pingpong", "max_line=4096");
	other = tl_connect(d->port);
	assert_usable(other);
	line = malloc(200000);
	ck_assert(line != NULL);

	/* Exactly 4096 bytes before the newline: accepted. */
	conn = tl_connect(d->port);
	snprintf(line, 200000, READY_LINE, 1);
	memset(line + strlen(line), ' ', 4096 - strlen(line));
	line[4096] = '\n';
	tl_send_raw(conn, line, 4097);
	expect_result(conn, "true", "1");
	/* One byte more: refused and closed. */
	snprintf(line, 200000, READY_LINE, 2);
	memset(line + strlen(line), ' ', 4097 - strlen(line));
	line[4097] = '\n';
	tl_send_raw(conn, line, 4098);
	expect_line_too_long(conn);
	tl_close(conn);

	/* Far too long. */
	conn = tl_connect(d->port);
	memset(line, 'x', 100000);
	line[100000] = '\n';
	tl_send_raw(conn, line, 100001);
	expect_line_too_long(conn);
	tl_close(conn);

	assert_usable(other);
	free(line);
	tl_close(other);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * A line that never ends: max_line bytes are still a line in progress,
 * one more cuts it off as over-long, as does a large write.
 */
START_TEST(test_endless_line)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *other;
	char			*bytes;

	d = tl_daemon_start_plugin("pingpong", "max_line=4096");
	other = tl_connect(d->port);
	bytes = malloc(3 * 4096);
	ck_assert(bytes != NULL);
	memset(bytes, 'y', 3 * 4096);

	conn = tl_connect(d->port);
	tl_send_raw(conn, bytes, 4096);
	expect_silence(conn, "max_line bytes without a newline");
	tl_send_raw(conn, bytes, 1);
	expect_line_too_long(conn);
	tl_close(conn);

	conn = tl_connect(d->port);
	tl_send_raw(conn, bytes, 3 * 4096);
	expect_line_too_long(conn);
	tl_close(conn);

	assert_usable(other);
	free(bytes);
	tl_close(other);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * max_output: a client that sends requests but never reads stalls, not
 * the daemon: other clients are served at once and the daemon's memory
 * stays bounded (every reply here is over 1 KB: 200,000 of them queued
 * would be over 200 MB).
 */
START_TEST(test_client_never_reads)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *slow;
	static const char	 request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"get_agents\"}\n";
	const size_t		 count = 200000, size = sizeof request - 1;
	struct json_object	*agents;
	long long		 before, after, reported;
	double			 started;
	char			*buffer;
	size_t			 i, sent;

	/*
	 * Under AddressSanitizer (make check SAN=1) freed memory waits in a
	 * quarantine of up to 256 MB, which would count here as growth.
	 */
	limit_asan_quarantine();
	d = tl_daemon_start_plugin("pingpong", "max_output=65536");
	conn = tl_connect(d->port);
	agents = tl_ok(conn, "spawn_n", "{\"type\":\"noop\",\"n\":40}");
	json_object_put(agents);
	before = tl_proc_bytes(d->pid, "VmRSS");

	buffer = malloc(count * size);
	ck_assert(buffer != NULL);
	for (i = 0; i < count; i++)
		memcpy(buffer + i * size, request, size);
	slow = tl_connect(d->port);
	sent = tl_send_some(slow, buffer, count * size, 3.0);

	started = tl_now();
	assert_usable(conn);
	ck_assert_msg(tl_now() - started < 1, "is_ready took %.1f s while a "
	    "client does not read", tl_now() - started);
	ck_assert_int_eq(status_int(conn, "connections"), 2);
	after = tl_proc_bytes(d->pid, "VmRSS");
	reported = status_int(conn, "rss_bytes");
	ck_assert_msg(after - before < 64LL * 1024 * 1024, "RSS grew from "
	    "%lld to %lld bytes after %zu requests from a client that does "
	    "not read", before, after, sent / size);
	ck_assert_msg(reported < before + 64LL * 1024 * 1024, "status "
	    "rss_bytes %lld", reported);

	free(buffer);
	tl_close(slow);
	assert_usable(conn);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * max_connections: the sixth connection gets the -32010 line and is
 * closed; once one closes, a new one is served.
 */
START_TEST(test_max_connections)
{
	struct tl_daemon	*d;
	struct tl_conn		*conns[5], *extra;
	struct json_object	*response;
	enum tl_read		 rc;
	double			 deadline;
	char			*line;
	size_t			 i;
	int			 served = 0;

	d = tl_daemon_start_plugin("pingpong", "max_connections=5");
	for (i = 0; i < 5; i++) {
		conns[i] = tl_connect(d->port);
		assert_usable(conns[i]);
	}
	for (i = 0; i < 2; i++) {
		extra = tl_connect(d->port);
		response = read_value(extra, TL_TIMEOUT);
		tl_assert_json(response, "{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"error\":{\"code\":-32010,\"message\":\"too many "
		    "connections (max_connections 5)\"}}");
		json_object_put(response);
		tl_expect_eof(extra, TL_TIMEOUT);
		tl_close(extra);
	}
	for (i = 0; i < 5; i++)
		assert_usable(conns[i]);

	tl_close(conns[0]);
	deadline = tl_now() + 5;
	while (!served && tl_now() < deadline) {
		extra = tl_connect(d->port);
		tl_send_linef(extra, READY_LINE, 1);
		rc = tl_read_line(extra, TL_TIMEOUT, &line);
		ck_assert_msg(rc == TL_READ_LINE, "no answer to a connection "
		    "after one closed");
		response = tl_json(line);
		free(line);
		if (json_object_object_get_ex(response, "result", NULL)) {
			served = 1;
			ck_assert_int_eq(status_int(extra, "connections"), 5);
			tl_close(extra);
		} else {
			check_error(response, E_BUSY, "null");
			tl_close(extra);
			usleep(20000);
		}
		json_object_put(response);
	}
	ck_assert_msg(served, "no new connection served after one closed");
	for (i = 1; i < 5; i++)
		tl_close(conns[i]);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* A thousand connections at once are all answered. */
START_TEST(test_thousand_connections)
{
	struct tl_daemon	*d;
	struct tl_conn		**conns;
	struct rlimit		 rl;
	const int		 count = 1000;
	int			 i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048 &&
	    rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max < 2048 ? rl.rlim_max : 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d = tl_daemon_start_plugin("pingpong", NULL);
	conns = calloc((size_t)count, sizeof *conns);
	ck_assert(conns != NULL);
	for (i = 0; i < count; i++)
		conns[i] = tl_connect(d->port);
	for (i = 0; i < count; i++)
		tl_send_linef(conns[i], READY_LINE, i);
	for (i = 0; i < count; i++) {
		char	id[16];

		snprintf(id, sizeof id, "%d", i);
		expect_result(conns[i], "true", id);
	}
	ck_assert_int_eq(status_int(conns[0], "connections"), count);
	for (i = 0; i < count; i++)
		tl_close(conns[i]);
	free(conns);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * idle_timeout: a connection that sends nothing is closed after about a
 * second; one that keeps sending stays open meanwhile.
 */
START_TEST(test_idle_timeout)
{
	struct tl_daemon	*d;
	struct tl_conn		*idle, *busy;
	double			 started, closed = 0;
	enum tl_read		 rc;
	char			*line;

	d = tl_daemon_start_plugin("pingpong", "idle_timeout=1");
	idle = tl_connect(d->port);
	busy = tl_connect(d->port);
	started = tl_now();
	while (tl_now() - started < 3) {
		assert_usable(busy);
		if (closed == 0) {
			rc = tl_read_line(idle, 0.25, &line);
			ck_assert_msg(rc != TL_READ_LINE, "%s", line);
			if (rc == TL_READ_EOF)
				closed = tl_now() - started;
		} else
			usleep(250000);
	}
	ck_assert_msg(closed >= 0.8 && closed < 2.5, "the idle connection "
	    "closed after %.2f s (0: not at all), want about 1 s", closed);
	assert_usable(busy);
	tl_expect_eof(busy, 3);
	tl_close(idle);
	tl_close(busy);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * idle_timeout does not close a connection waiting for a reply: a round
 * that takes 2.5 s (its call goes to a stopped daemon) is answered.
 */
START_TEST(test_idle_timeout_waiting)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*ponger, *response;
	enum tl_read		 rc;
	double			 started;
	char			*line;

	a = tl_daemon_start_plugin("pingpong", "idle_timeout=1");
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	json_object_put(tl_ok(ca, "spawn", "{\"type\":\"pinger\"}"));
	ponger = tl_ok(cb, "spawn", "{\"type\":\"ponger\"}");
	json_object_put(tl_okf(ca, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", json_object_get_string(ponger)));
	ck_assert_int_eq(kill(b->pid, SIGSTOP), 0);

	started = tl_now();
	tl_send_line(ca, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":"
	    "\"trigger_all\",\"params\":{\"timeout\":2.5}}");
	rc = tl_read_line(ca, 6, &line);
	ck_assert_msg(rc == TL_READ_LINE, "the connection waiting for its "
	    "round was %s after %.2f s", rc == TL_READ_EOF ? "closed" :
	    "not answered", tl_now() - started);
	ck_assert_msg(tl_now() - started >= 2.4, "answered after %.2f s",
	    tl_now() - started);
	response = tl_json(line);
	free(line);
	check_response(response, "9");
	tl_response_result(response);
	json_object_put(response);
	/* Idle again from now on. */
	tl_expect_eof(ca, 3);

	ck_assert_int_eq(kill(b->pid, SIGCONT), 0);
	json_object_put(ponger);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * idle_timeout also closes a connection that cannot be written for that
 * long: a client that sends requests and never reads is dropped.
 */
START_TEST(test_idle_timeout_unwritable)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *slow;
	static const char	 request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"get_agents\"}\n";
	const size_t		 count = 100000, size = sizeof request - 1;
	double			 deadline;
	char			*buffer;
	size_t			 i;

	d = tl_daemon_start_plugin("pingpong", "idle_timeout=1");
	conn = tl_connect(d->port);
	json_object_put(tl_ok(conn, "spawn_n",
	    "{\"type\":\"noop\",\"n\":40}"));
	tl_close(conn);
	buffer = malloc(count * size);
	ck_assert(buffer != NULL);
	for (i = 0; i < count; i++)
		memcpy(buffer + i * size, request, size);
	slow = tl_connect(d->port);
	tl_send_some(slow, buffer, count * size, 3.0);
	free(buffer);

	conn = tl_connect(d->port);
	deadline = tl_now() + 4;
	while (status_int(conn, "connections") != 1 && tl_now() < deadline)
		usleep(100000);
	ck_assert_msg(status_int(conn, "connections") == 1, "a connection "
	    "whose replies could not be written for 4 s is still open "
	    "(idle_timeout 1 s)");
	tl_close(slow);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Out of descriptors (EMFILE), the daemon pauses accepting instead of
 * failing: clients it has keep being served, and those waiting are
 * served once descriptors are free again.
 */
START_TEST(test_out_of_descriptors)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *conns[40];
	struct rlimit		 rl = { 32, 32 };
	enum tl_read		 rc;
	double			 cpu;
	char			*line;
	int			 i, answered = 0, waiting = 0, served[40];

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	ck_assert_msg(prlimit(d->pid, RLIMIT_NOFILE, &rl, NULL) == 0,
	    "prlimit: %s", strerror(errno));
	for (i = 0; i < 40; i++) {
		conns[i] = tl_connect(d->port);
		tl_send_linef(conns[i], READY_LINE, i);
	}
	for (i = 0; i < 40; i++) {
		rc = tl_read_line(conns[i], answered == 0 ? TL_TIMEOUT : 0.05,
		    &line);
		ck_assert_msg(rc != TL_READ_EOF, "connection %d closed", i);
		served[i] = rc == TL_READ_LINE;
		answered += served[i];
		free(line);
	}
	ck_assert_msg(answered > 0 && answered < 40, "%d of 40 connections "
	    "answered with 32 descriptors", answered);
	assert_usable(conn);
	/* Paused, not spinning on accept() while the others wait. */
	cpu = cpu_seconds(d->pid);
	usleep(500000);
	cpu = cpu_seconds(d->pid) - cpu;
	ck_assert_msg(cpu < 0.25, "the daemon used %.2f s of CPU in 0.5 s "
	    "with connections it cannot accept", cpu);
	/* Close the answered ones: the others get their turn. */
	for (i = 0; i < 40; i++) {
		if (served[i])
			tl_close(conns[i]);
	}
	for (i = 0; i < 40; i++) {
		if (served[i])
			continue;
		waiting++;
		rc = tl_read_line(conns[i], 5, &line);
		ck_assert_msg(rc == TL_READ_LINE, "connection %d not served "
		    "after descriptors were freed", i);
		free(line);
		tl_close(conns[i]);
	}
	ck_assert_int_gt(waiting, 0);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Clients that leave mid-line, mid-batch or with replies unread do not
 * disturb the daemon or its other clients.
 */
START_TEST(test_disconnects)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *other;
	static const char	 half_line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"meth";
	static const char	 half_batch[] = "[{\"jsonrpc\":\"2.0\","
				    "\"id\":1,\"method\":\"is_ready\"},";
	char			*buffer, *p;
	double			 deadline;
	int			 i, j;

	d = tl_daemon_start_plugin("pingpong", NULL);
	other = tl_connect(d->port);
	buffer = malloc(500 * 64);
	ck_assert(buffer != NULL);
	for (i = 0; i < 50; i++) {
		conn = tl_connect(d->port);
		tl_send_raw(conn, half_line, strlen(half_line));
		tl_close(conn);
		conn = tl_connect(d->port);
		tl_send_raw(conn, half_batch, strlen(half_batch));
		tl_close(conn);
		conn = tl_connect(d->port);
		for (p = buffer, j = 0; j < 500; j++)
			p += sprintf(p, READY_LINE "\n", j);
		tl_send_raw(conn, buffer, (size_t)(p - buffer));
		tl_close(conn);
		if (i % 10 == 0)
			assert_usable(other);
	}
	free(buffer);
	deadline = tl_now() + 5;
	while (status_int(other, "connections") != 1 && tl_now() < deadline)
		usleep(20000);
	ck_assert_int_eq(status_int(other, "connections"), 1);
	tl_close(other);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Random bytes, NULs and invalid UTF-8 among them: every line that is
 * not blank gets one error (-32700 or -32600, id null), nothing else is
 * sent, and the daemon lives on.
 */
START_TEST(test_garbage)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response;
	uint32_t		 state = 0x2545f491;
	char			*buffer, *p, *line;
	size_t			 i, j, length, expected = 0;
	int			 blank;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	buffer = malloc(2 * 1024 * 1024);
	ck_assert(buffer != NULL);
	p = buffer;
	for (i = 0; i < 1000; i++) {
		length = 1 + next_random(&state) % 400;
		blank = 1;
		for (j = 0; j < length; j++) {
			do {
				*p = (char)(next_random(&state) & 0xff);
			} while (*p == '\n');
			if (*p != ' ' && *p != '\t' && *p != '\r')
				blank = 0;
			p++;
		}
		*p++ = '\n';
		expected += !blank;
	}
	/* Deep nesting, a lone NUL, a NUL after a valid request. */
	memset(p, '[', 100000);
	p += 100000;
	*p++ = '\n';
	memset(p, '{', 100000);
	p += 100000;
	*p++ = '\n';
	*p++ = '\0';
	*p++ = '\n';
	p += sprintf(p, READY_LINE, 1);
	*p++ = '\0';
	*p++ = '\n';
	expected += 4;
	tl_send_raw(conn, buffer, (size_t)(p - buffer));

	for (i = 0; i < expected; i++) {
		response = read_value(conn, TL_TIMEOUT);
		/* A line that happens to be a JSON array is a batch. */
		if (json_object_is_type(response, json_type_array)) {
			for (j = 0; j < json_object_array_length(response);
			    j++)
				check_garbage_reply(tl_index(response, j));
		} else
			check_garbage_reply(response);
		json_object_put(response);
	}
	ck_assert_msg(tl_read_line(conn, QUIET, &line) == TL_READ_TIMEOUT,
	    "more replies than non-blank lines: %.300s", line);
	free(buffer);
	assert_usable(conn);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * JSON text is UTF-8 (RFC 8259): a request with invalid UTF-8 in a string
 * is a parse error, and the daemon never sends invalid UTF-8 back (which
 * a strict client could not read). Valid UTF-8 is echoed as sent.
 */
START_TEST(test_invalid_utf8)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*lines[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":\"\xff\xfe\",\"method\":"
		    "\"is_ready\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"is_ready\xc3\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"spawn\","
		    "\"params\":{\"type\":\"\xc3\x28\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"is_ready\","
		    "\"params\":{\"\xed\xa0\x80\":1}}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\xc0\xaf\",\"method\":\"x\"}",
	};
	size_t			 i;

	d = tl_daemon_start_plugin("pingpong", NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":\"h\xc3\xa9 \xe6\x97"
	    "\xa5\",\"method\":\"is_ready\"}");
	expect_result(conn, "true", "\"h\\u00e9 \\u65e5\"");
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		tl_send_line(conn, lines[i]);
		expect_error(conn, E_PARSE, "null");
	}
	ck_assert_int_eq(agent_count(conn), 0);
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/* The wire suite. */
Suite *
suite_wire(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("wire");
	tcase = tcase_create("protocol");
	tcase_set_timeout(tcase, 30);
	tcase_add_test(tcase, test_named_params_only);
	tcase_add_test(tcase, test_unknown_params);
	tcase_add_test(tcase, test_wrong_types);
	tcase_add_test(tcase, test_unknown_method);
	tcase_add_test(tcase, test_invalid_request);
	tcase_add_test(tcase, test_parse_error);
	tcase_add_test(tcase, test_batch_mixed);
	tcase_add_test(tcase, test_batch_all_notifications);
	tcase_add_test(tcase, test_empty_batch);
	tcase_add_test(tcase, test_large_batch);
	tcase_add_test(tcase, test_notifications);
	tcase_add_test(tcase, test_notification_bad_params);
	tcase_add_test(tcase, test_ids_echoed);
	tcase_add_test(tcase, test_pipelined);
	tcase_add_test(tcase, test_line_in_pieces);
	tcase_add_test(tcase, test_replies_out_of_order);
	tcase_add_test(tcase, test_garbage);
	tcase_add_test(tcase, test_invalid_utf8);
	suite_add_tcase(suite, tcase);

	tcase = tcase_create("limits");
	tcase_set_timeout(tcase, 60);
	tcase_add_test(tcase, test_overlong_line);
	tcase_add_test(tcase, test_endless_line);
	tcase_add_test(tcase, test_client_never_reads);
	tcase_add_test(tcase, test_max_connections);
	tcase_add_test(tcase, test_thousand_connections);
	tcase_add_test(tcase, test_idle_timeout);
	tcase_add_test(tcase, test_idle_timeout_waiting);
	tcase_add_test(tcase, test_idle_timeout_unwritable);
	tcase_add_test(tcase, test_out_of_descriptors);
	tcase_add_test(tcase, test_disconnects);
	suite_add_tcase(suite, tcase);
	return (suite);
}
