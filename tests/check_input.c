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
 * End-to-end tests of hostile input to a slave: numbers JSON cannot
 * carry or a field cannot hold, ids echoed as they were written, strings
 * with NUL where a name is expected, and long input quoted short.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "testlib.h"

#define E_PARSE_ERROR		-32700
#define E_INVALID_REQUEST	-32600
#define E_INVALID_PARAMS	-32602

Suite	*suite_input(void);

static struct tl_daemon	*slave;
static struct tl_conn	*client;

/* Start a slave and connect to it. */
static void
input_setup(void)
{
	slave = tl_daemon_start(NULL);
	client = tl_connect(slave->port);
}

/* Stop the slave by pid and check that it exited 0. */
static void
input_teardown(void)
{
	tl_close(client);
	client = NULL;
	tl_daemon_stop_clean(slave);
	slave = NULL;
}

/*
 * Call method(params) expecting error code with a message that holds
 * wanted; data, when not NULL, must be that string.
 */
static void
input_expect_error(int code, const char *method, const char *params,
    const char *wanted, const char *data)
{
	struct json_object	*error;
	const char		*message;

	error = tl_err(client, code, method, params);
	message = tl_string(error, "message");
	ck_assert_msg(strstr(message, wanted) != NULL, "%s %s: message "
	    "\"%s\" does not say \"%s\"", method, params, message, wanted);
	if (data != NULL)
		ck_assert_str_eq(tl_string(error, "data"), data);
	json_object_put(error);
}

/* Send a raw line and fail unless the reply line is exactly expected. */
static void
input_expect_line(const char *line, const char *expected)
{
	char	*reply;

	tl_send_line(client, line);
	reply = tl_expect_line(client, TL_TIMEOUT);
	ck_assert_msg(strcmp(reply, expected) == 0, "%s\nanswered %s\n"
	    "instead of %s", line, reply, expected);
	free(reply);
}

/* Numbers that are not finite are refused, naming the field. */
START_TEST(test_non_finite)
{
	input_expect_error(E_INVALID_PARAMS, "set_time", "{\"t\":1e400}",
	    "parameter 't': 1e400 is not a finite number", "t");
	input_expect_error(E_INVALID_PARAMS, "set_time", "{\"t\":-1e999}",
	    "parameter 't'", "t");
	input_expect_error(E_INVALID_PARAMS, "spawn", "{\"type\":\"counter\","
	    "\"params\":{\"x\":[0,2e308]}}", "parameter 'params.x[1]': "
	    "2e308 is not a finite number", "params");
	/* The time was never set: get_time answers JSON. */
	tl_expect_result(client, "get_time", NULL, "0.0");
	tl_expect_result(client, "get_agents", NULL, "[]");
}
END_TEST

/* An integer a field cannot hold is refused, naming the field. */
START_TEST(test_integer_beyond)
{
	char	*params;

	input_expect_error(E_INVALID_PARAMS, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":18446744073709551615}", "parameter 'n': "
	    "18446744073709551615 does not fit a signed 64-bit integer", "n");
	input_expect_error(E_INVALID_PARAMS, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":123456789012345678901234567890}", "parameter 'n': "
	    "123456789012345678901234567890 does not fit", "n");
	input_expect_error(E_INVALID_PARAMS, "spawn", "{\"type\":\"counter\","
	    "\"params\":{\"start\":-9223372036854775809}}",
	    "parameter 'params.start': -9223372036854775809 does not fit",
	    "params");
	input_expect_error(E_INVALID_PARAMS, "trigger_all",
	    "{\"round\":9223372036854775808}", "parameter 'round'", "round");
	/* The limits themselves are integers like any other. */
	json_object_put(tl_ok(client, "spawn", "{\"type\":\"counter\","
	    "\"params\":{\"start\":-9223372036854775808}}"));
	params = tl_printf("{\"agent\":\"tcp://127.0.0.1:%u/1\"}",
	    slave->port);
	tl_expect_result(client, "agent.get", params, "-9223372036854775808");
	free(params);
	json_object_put(tl_ok(client, "spawn", "{\"type\":\"counter\","
	    "\"params\":{\"start\":9223372036854775807}}"));
	params = tl_printf("{\"agent\":\"tcp://127.0.0.1:%u/2\"}",
	    slave->port);
	tl_expect_result(client, "agent.get", params, "9223372036854775807");
	free(params);
}
END_TEST

/* Ids come back as they were written, whatever their size. */
START_TEST(test_ids_exact)
{
	static const char *const ids[] = {
		"123456789012345678901234567890",
		"-1234567890123456789012345678901234567890",
		"18446744073709551615", "-9223372036854775808",
		"9223372036854775807", "\"\\ud800\"", "\"a\\udfffb\"",
		"1e400", "-0.5", "\"plain\"",
	};
	size_t	 i;
	char	*line, *expected;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		line = tl_printf("{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"method\":\"get_time\"}", ids[i]);
		expected = tl_printf("{\"jsonrpc\":\"2.0\",\"result\":0.0,"
		    "\"id\":%s}", ids[i]);
		input_expect_line(line, expected);
		free(line);
		free(expected);
	}
	/* In a batch, and in an error reply, too. */
	input_expect_line("[{\"jsonrpc\":\"2.0\",\"id\":1e40000,\"method\":"
	    "\"get_time\"},{\"jsonrpc\":\"2.0\",\"id\":\"\\udbff\",\"method\":"
	    "\"nosuch\"}]", "[{\"jsonrpc\":\"2.0\",\"result\":0.0,\"id\":"
	    "1e40000},{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,"
	    "\"message\":\"unknown method 'nosuch'\",\"data\":\"nosuch\"},"
	    "\"id\":\"\\udbff\"}]");
	/* json-c keeps the last of repeated keys; so must the text. */
	input_expect_line("{\"jsonrpc\":\"2.0\",\"id\":99999999999999999999,"
	    "\"id\":1,\"method\":\"get_time\"}",
	    "{\"jsonrpc\":\"2.0\",\"result\":0.0,\"id\":1}");
}
END_TEST

/* A string with a NUL is refused where a name or method is expected. */
START_TEST(test_nul_strings)
{
	input_expect_error(E_INVALID_PARAMS, "spawn",
	    "{\"type\":\"counter\\u0000junk\"}",
	    "parameter 'type' holds a NUL character", "type");
	input_expect_error(E_INVALID_PARAMS, "set_host_manager",
	    "{\"addr\":\"tcp://127.0.0.1:1/0\\u0000x\"}",
	    "parameter 'addr' holds a NUL character", "addr");
	input_expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"is_\\u0000ready\"}", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":"
	    "-32600,\"message\":\"method holds a NUL character (after "
	    "'is_')\"},\"id\":1}");
	tl_expect_result(client, "get_agents", NULL, "[]");
	tl_expect_result(client, "host_manager", NULL, "null");
	/* json-c cuts a key at a NUL: such a line is refused whole. */
	input_expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"spawn\",\"params\":{\"type\\u0000x\":\"counter\"}}",
	    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":"
	    "\"parse error: an object key holds a NUL character "
	    "(\\\\u0000)\"},\"id\":null}");
	tl_expect_result(client, "get_agents", NULL, "[]");
}
END_TEST

/*
 * Call method with params made of format and a 1 MB name, expecting
 * error code with a short message (ending in an ellipsis) and data.
 */
static void
input_expect_short_error(int code, const char *method, const char *format,
    const char *name)
{
	struct json_object	*error, *data;
	const char		*message;
	char			*params;

	params = tl_printf(format, name);
	error = tl_err(client, code, method, params);
	free(params);
	message = tl_string(error, "message");
	ck_assert_msg(strlen(message) < 200 && strstr(message,
	    "\xe2\x80\xa6") != NULL, "%s %s: %zu bytes of message: %.200s",
	    method, format, strlen(message), message);
	if (json_object_object_get_ex(error, "data", &data))
		ck_assert_msg(json_object_get_string_len(data) < 200, "%s %s: "
		    "%d bytes of data", method, format,
		    json_object_get_string_len(data));
	json_object_put(error);
}

/* An error quotes at most a short prefix of what the client sent. */
START_TEST(test_long_input_quoted)
{
	size_t	 size = 1024 * 1024;
	char	*name;

	name = tl_calloc(size + 1, 1);
	memset(name, 'a', size);
	input_expect_short_error(-32011, "spawn", "{\"type\":\"%s\"}", name);
	input_expect_short_error(E_INVALID_PARAMS, "get_time", "{\"%s\":1}",
	    name);
	input_expect_short_error(E_INVALID_PARAMS, "set_host_manager",
	    "{\"addr\":\"tcp://%s:1/0\"}", name);
	input_expect_short_error(-32601, name, "{}", name);
	input_expect_short_error(E_INVALID_PARAMS, "agent.get",
	    "{\"agent\":\"tcp://127.0.0.1:1/%s\"}", name);
	free(name);
}
END_TEST

/* A range error names the element out of range and the real range. */
START_TEST(test_range_messages)
{
	input_expect_error(E_INVALID_PARAMS, "set_gs",
	    "{\"gs\":[9223372036854775807,2]}", "'gs[0]' is "
	    "9223372036854775807: it must be within 1..100000000", "gs");
	input_expect_error(E_INVALID_PARAMS, "set_gs", "{\"gs\":[2,0]}",
	    "'gs[1]' is 0: it must be within 1..100000000", "gs");
	input_expect_error(E_INVALID_PARAMS, "set_gs",
	    "{\"gs\":[20000,20000]}", "'gs' is [20000, 20000], 400000000 "
	    "cells: at most 100000000", "gs");
	input_expect_error(E_INVALID_PARAMS, "set_origin",
	    "{\"origin\":[0,-1099511627777]}", "'origin[1]' is "
	    "-1099511627777: it must be within "
	    "-1099511627776..1099511627776", "origin");
	tl_expect_result(client, "get_gs", NULL, "[0,0]");
}
END_TEST

/* A counter going beyond 64 bits is that agent's error in the round. */
START_TEST(test_counter_overflow)
{
	struct json_object	*result, *error;
	char			*params;

	json_object_put(tl_ok(client, "spawn", "{\"type\":\"counter\","
	    "\"params\":{\"start\":9223372036854775807}}"));
	json_object_put(tl_ok(client, "spawn", "{\"type\":\"counter\"}"));
	result = tl_ok(client, "trigger_all", NULL);
	ck_assert_int_eq(tl_int(result, "failed"), 1);
	error = tl_index(tl_member(result, "errors"), 0);
	params = tl_printf("tcp://127.0.0.1:%u/1", slave->port);
	ck_assert_str_eq(tl_string(error, "agent"), params);
	free(params);
	ck_assert_msg(strstr(tl_string(error, "message"), "beyond a signed "
	    "64-bit integer") != NULL, "%s", tl_json_text(error));
	json_object_put(result);
	/* The count stays where it was; the other counter went on. */
	params = tl_printf("{\"agent\":\"tcp://127.0.0.1:%u/1\"}",
	    slave->port);
	tl_expect_result(client, "agent.get", params, "9223372036854775807");
	free(params);
	params = tl_printf("{\"agent\":\"tcp://127.0.0.1:%u/2\"}",
	    slave->port);
	tl_expect_result(client, "agent.get", params, "1");
	free(params);
	/* Downwards too: the second counter goes below INT64_MIN. */
	result = tl_ok(client, "trigger_all", "{\"args\":{\"by\":"
	    "-9223372036854775807}}");
	ck_assert_int_eq(tl_int(result, "failed"), 0);
	json_object_put(result);
	result = tl_ok(client, "trigger_all", "{\"args\":{\"by\":"
	    "-9223372036854775807}}");
	ck_assert_int_eq(tl_int(result, "failed"), 1);
	json_object_put(result);
}
END_TEST

/* Round numbers never wrap: the last one there is asks for a number. */
START_TEST(test_round_no_wrap)
{
	struct json_object	*result;

	result = tl_ok(client, "trigger_all",
	    "{\"round\":9223372036854775807}");
	ck_assert_int_eq(tl_int(result, "round"), INT64_MAX);
	json_object_put(result);
	input_expect_error(E_INVALID_PARAMS, "trigger_all", "{}",
	    "round 9223372036854775807 was the last", "round");
	input_expect_error(E_INVALID_PARAMS, "trigger_all", "{\"round\":-1}",
	    "round must be in 0..9223372036854775807", "round");
	result = tl_ok(client, "trigger_all", "{\"round\":0}");
	ck_assert_int_eq(tl_int(result, "round"), 0);
	json_object_put(result);
	result = tl_ok(client, "trigger_all", NULL);
	ck_assert_int_eq(tl_int(result, "round"), 1);
	json_object_put(result);
}
END_TEST

/*
 * create_connections checks the whole map before it changes anything,
 * names the key and the entry that is wrong, and takes a key naming this
 * slave by another spelling of its host as its own.
 */
START_TEST(test_create_connections_atomic)
{
	struct json_object	*before, *after, *result;
	char			*map, *key;

	json_object_put(tl_ok(client, "spawn_n",
	    "{\"type\":\"counter\",\"n\":6}"));
	before = tl_ok(client, "get_connections", NULL);
	map = tl_printf("{\"map\":{\"tcp://127.0.0.1:%u/5\":"
	    "[\"tcp://127.0.0.1:%u/6\"],\"tcp://127.0.0.1:%u/6\":[1]}}",
	    slave->port, slave->port, slave->port);
	key = tl_printf("tcp://127.0.0.1:%u/6: connection 0: expected "
	    "\"tcp://HOST:PORT/N\"", slave->port);
	input_expect_error(E_INVALID_PARAMS, "create_connections", map, key,
	    NULL);
	free(map);
	free(key);
	map = tl_printf("{\"map\":{\"tcp://127.0.0.1:%u/1\":"
	    "[\"tcp://127.0.0.1:%u/2\"],\"tcp://127.0.0.1:%u/99\":[]}}",
	    slave->port, slave->port, slave->port);
	key = tl_printf("tcp://127.0.0.1:%u/99", slave->port);
	input_expect_error(-32001, "create_connections", map,
	    "map: no agent", key);
	free(map);
	free(key);
	after = tl_ok(client, "get_connections", NULL);
	ck_assert_msg(json_object_equal(before, after), "a failed "
	    "create_connections changed connections: %s",
	    tl_json_text(after));
	json_object_put(after);

	/* localhost is this slave's 127.0.0.1: its key is applied. */
	map = tl_printf("{\"map\":{\"tcp://localhost:%u/1\":"
	    "[\"tcp://127.0.0.1:%u/2\"]}}", slave->port, slave->port);
	result = tl_ok(client, "create_connections", map);
	tl_assert_json(result, "[[true]]");
	json_object_put(result);
	free(map);
	key = tl_printf("[\"tcp://127.0.0.1:%u/2\"]", slave->port);
	tl_expect_result(client, "agent.get_connections", "{\"agent\":1}",
	    key);
	free(key);
	json_object_put(before);
}
END_TEST

/*
 * Count in a log the refusals logged one by one ("PEER: refused: ...")
 * and all those accounted for, adding the counts of "N more connections
 * refused" lines.
 */
static void
input_count_refusals(const char *log, unsigned long *single,
    unsigned long *accounted)
{
	const char	*line, *end, *more, *number;

	*single = *accounted = 0;
	for (line = log; *line != '\0'; line = end + (*end != '\0')) {
		if ((end = strchr(line, '\n')) == NULL)
			end = line + strlen(line);
		more = memmem(line, end - line, " more connections refused",
		    25);
		if (more != NULL) {
			for (number = more; number > line &&
			    number[-1] >= '0' && number[-1] <= '9'; number--)
				;
			*accounted += strtoul(number, NULL, 10);
		} else if (memmem(line, end - line, ": refused: ", 11) !=
		    NULL) {
			(*single)++;
			(*accounted)++;
		}
	}
}

/*
 * Refused connections are logged as a count: a burst of 200 makes a few
 * lines, which account for every one of them.
 */
START_TEST(test_refused_logged_as_count)
{
	struct tl_daemon	*d;
	struct tl_conn		*held, *extra;
	char			*err = NULL, *line;
	unsigned long		 accounted = 0, single = 0;
	double			 deadline;
	int			 i, total = 200;

	d = tl_daemon_start("-o", "max_connections=1", NULL);
	held = tl_connect(d->port);
	tl_expect_result(held, "is_ready", NULL, "true");
	for (i = 0; i < total; i++) {
		extra = tl_connect(d->port);
		line = tl_expect_line(extra, TL_TIMEOUT);
		ck_assert_msg(strstr(line, "-32010") != NULL, "%s", line);
		free(line);
		tl_expect_eof(extra, TL_TIMEOUT);
		tl_close(extra);
	}
	/* The count comes within a second of the last refusal. */
	deadline = tl_now() + TL_TIMEOUT;
	do {
		free(err);
		err = tl_daemon_stderr(d);
		input_count_refusals(err, &single, &accounted);
	} while (accounted < (unsigned long)total && tl_now() < deadline);
	ck_assert_msg(accounted == (unsigned long)total, "%lu of %d refusals "
	    "in the log:\n%s", accounted, total, err);
	ck_assert_msg(single <= 20, "%lu lines for %d refusals:\n%s", single,
	    total, err);
	free(err);
	tl_close(held);
	tl_daemon_stop_clean(d);
}
END_TEST

/* The suite: hostile input to a slave. */
Suite *
suite_input(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("input");
	tc = tcase_create("codec");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, input_setup, input_teardown);
	tcase_add_test(tc, test_non_finite);
	tcase_add_test(tc, test_integer_beyond);
	tcase_add_test(tc, test_ids_exact);
	tcase_add_test(tc, test_nul_strings);
	tcase_add_test(tc, test_long_input_quoted);
	tcase_add_test(tc, test_counter_overflow);
	tcase_add_test(tc, test_round_no_wrap);
	tcase_add_test(tc, test_range_messages);
	tcase_add_test(tc, test_create_connections_atomic);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refused_logged_as_count);
	suite_add_tcase(s, tc);
	return (s);
}
