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
 * Tests for common/jsonrpc.c: reading lines, checking requests and
 * params, building responses and requests, and writing one line each.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <json-c/json.h>

#include "jsonfast.h"
#include "jsonrpc.h"
#include "xmalloc.h"

Suite	*suite_jsonrpc(void);

/* Parse a string with json-c itself, for expected values. */
static struct json_object *
json(const char *text)
{
	struct json_object	*value;

	value = json_tokener_parse(text);
	ck_assert_msg(value != NULL, "bad test JSON: %s", text);
	return (value);
}

/* Parse a whole C string as a line and return the status. */
static int
parse(const char *line, struct json_object **value,
    struct json_object **error)
{
	*error = NULL;
	return (rpc_parse_line(line, strlen(line), value, error));
}

/* Check a line is refused with a parse error, freeing what comes back. */
static void
check_parse_error(const char *line, size_t length)
{
	struct json_object	*value, *error = NULL;
	int			 rc;

	value = (struct json_object *)&rc;	/* must be reset */
	rc = rpc_parse_line(line, length, &value, &error);
	ck_assert_msg(rc == -1, "'%.*s' (%zu bytes) gave %d, value %s",
	    (int)length, line, length, rc, rc == 0 ?
	    json_object_to_json_string(value) : "-");
	ck_assert_ptr_null(value);
	ck_assert_ptr_nonnull(error);
	ck_assert_int_eq(rpc_error_code(error), RPC_PARSE_ERROR);
	ck_assert_msg(strncmp(rpc_error_message(error), "parse error", 11) ==
	    0, "message '%s'", rpc_error_message(error));
	json_object_put(error);
}

/* Check valid lines parse to the values json-c reads from them. */
START_TEST(test_parse_valid)
{
	static const char	*lines[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}",
		"  {\"a\": [1, 2, {\"b\": null}]}  ",
		"[1,2,3]\r",
		"\t\"text\"\t",
		"true",
		"false",
		"{}",
		"[]",
		"\"\\u0000\\n\"",
		"{\"\\n\":\"\\r\\n\"}",
	};
	struct json_object	*value, *error, *expected;
	size_t			 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_msg(parse(lines[i], &value, &error) == 0,
		    "'%s' refused", lines[i]);
		ck_assert_ptr_null(error);
		expected = json(lines[i]);
		ck_assert_msg(json_object_equal(value, expected),
		    "'%s' read as %s", lines[i],
		    json_object_to_json_string(value));
		json_object_put(expected);
		json_object_put(value);
	}
}
END_TEST

/* Check blank lines, and that null is a value, not a blank. */
START_TEST(test_parse_blank)
{
	struct json_object	*value, *error;
	static const char	*blanks[] = { "", " ", "\t", "\r", " \t\r  " };
	size_t			 i;

	for (i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
		value = (struct json_object *)blanks;
		ck_assert_int_eq(parse(blanks[i], &value, &error), 1);
		ck_assert_ptr_null(value);
		ck_assert_ptr_null(error);
	}
	value = (struct json_object *)blanks;
	ck_assert_int_eq(parse("null", &value, &error), 0);
	ck_assert_ptr_null(value);
	ck_assert_ptr_null(error);
	ck_assert_int_eq(parse(" null ", &value, &error), 0);
	ck_assert_ptr_null(value);
}
END_TEST

/* Lines that are not one JSON text. */
static const char *garbage_lines[] = {
	"x", "{", "}", "[", "]", "[1,]", "{\"a\":1,}", "'a'", "{\"a\" 1}",
	"{a:1}", "tru", "nul", "fals", "-", "+1", "01", ".5", "1e", "0x10",
	"\"abc", "\"\\x\"", "{\"a\":1}}", "[1]]", ",", ":", "//", "/* */ 1",
	"\x01", "\xff", "{\"a\":1 \"b\":2}", "[1 2]",
};

/* Check each garbage line is a parse error. */
START_TEST(test_parse_garbage)
{
	check_parse_error(garbage_lines[_i], strlen(garbage_lines[_i]));
}
END_TEST

/* Check valid JSON followed by more text is a parse error. */
START_TEST(test_parse_trailing)
{
	static const char	*lines[] = {
		"{} x", "{}{}", "[1] 2", "1 2", "{}\x01", "true false",
		"\"a\"\"b\"", "null null", "{\"id\":1},", "[] []", "1,",
		"{}  \t ]",
	};
	size_t			 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		check_parse_error(lines[i], strlen(lines[i]));
}
END_TEST

/* Check bare numbers at the end of the line are complete values. */
START_TEST(test_parse_numbers)
{
	struct json_object	*value, *error;

	ck_assert_int_eq(parse("1", &value, &error), 0);
	ck_assert(json_object_is_type(value, json_type_int));
	ck_assert_int_eq(json_object_get_int64(value), 1);
	json_object_put(value);

	ck_assert_int_eq(parse("-5", &value, &error), 0);
	ck_assert_int_eq(json_object_get_int64(value), -5);
	json_object_put(value);

	ck_assert_int_eq(parse("0", &value, &error), 0);
	ck_assert(json_object_is_type(value, json_type_int));
	ck_assert_int_eq(json_object_get_int64(value), 0);
	json_object_put(value);

	ck_assert_int_eq(parse("9007199254740993", &value, &error), 0);
	ck_assert_int_eq(json_object_get_int64(value), 9007199254740993LL);
	json_object_put(value);

	ck_assert_int_eq(parse("1.5", &value, &error), 0);
	ck_assert(json_object_is_type(value, json_type_double));
	ck_assert_double_eq(json_object_get_double(value), 1.5);
	json_object_put(value);

	ck_assert_int_eq(parse("-2.5e3 ", &value, &error), 0);
	ck_assert_double_eq(json_object_get_double(value), -2500);
	json_object_put(value);

	ck_assert_int_eq(parse("1E2\r", &value, &error), 0);
	ck_assert_double_eq(json_object_get_double(value), 100);
	json_object_put(value);

	/* Only length bytes are read: "12" cut to "1" is 1. */
	ck_assert_int_eq(rpc_parse_line("12", 1, &value, &error), 0);
	ck_assert_int_eq(json_object_get_int64(value), 1);
	json_object_put(value);
}
END_TEST

/* Check numbers JSON does not have are refused (they would be echoed). */
START_TEST(test_parse_not_json_numbers)
{
	static const char	*lines[] = {
		"NaN", "Infinity", "-Infinity", "[NaN]", "{\"x\":Infinity}",
		"1.", "-1.",
	};
	size_t			 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		check_parse_error(lines[i], strlen(lines[i]));
}
END_TEST

/*
 * Check a line cut off inside a value, or refused halfway, leaves
 * nothing behind for the next line (the parser is reused).
 */
START_TEST(test_parse_after_cut)
{
	struct json_object	*value, *error, *member;

	check_parse_error("{\"a\":[1,{\"b\":", 13);
	check_parse_error("[1,2", 4);
	check_parse_error("{\"a\":}", 6);
	ck_assert_int_eq(parse("{\"c\":2}", &value, &error), 0);
	ck_assert(json_object_is_type(value, json_type_object));
	ck_assert_int_eq(json_object_object_length(value), 1);
	ck_assert(json_object_object_get_ex(value, "c", &member));
	ck_assert_int_eq(json_object_get_int64(member), 2);
	json_object_put(value);
	ck_assert_int_eq(parse("7", &value, &error), 0);
	ck_assert_int_eq(json_object_get_int64(value), 7);
	json_object_put(value);
}
END_TEST

/* Check the length bounds what is read. */
START_TEST(test_parse_length)
{
	struct json_object	*value, *error;

	ck_assert_int_eq(rpc_parse_line("{}garbage", 2, &value, &error), 0);
	ck_assert(json_object_is_type(value, json_type_object));
	json_object_put(value);
	ck_assert_int_eq(rpc_parse_line("[1]]", 3, &value, &error), 0);
	ck_assert_uint_eq(json_object_array_length(value), 1);
	json_object_put(value);
	ck_assert_int_eq(rpc_parse_line("   x", 3, &value, &error), 1);
	check_parse_error("{\"a\":1}", 6);
	check_parse_error("true", 3);
}
END_TEST

/* Build n nested arrays, or objects, around a value. */
static char *
nested(size_t depth, int objects, const char *inner)
{
	char	*text, *p;
	size_t	 i, size;

	size = depth * 8 + strlen(inner) + 1;
	text = p = xmalloc(size);
	for (i = 0; i < depth; i++) {
		if (objects) {
			memcpy(p, "{\"a\":", 5);
			p += 5;
		} else
			*p++ = '[';
	}
	memcpy(p, inner, strlen(inner));
	p += strlen(inner);
	for (i = 0; i < depth; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return (text);
}

/* Check up to 64 levels parse and deeper nesting is refused. */
START_TEST(test_parse_depth)
{
	struct json_object	*value, *error;
	char			*text;
	size_t			 depths[] = { 65, 66, 100, 1000, 100000 };
	size_t			 i;

	text = nested(32, 0, "1");
	ck_assert_int_eq(parse(text, &value, &error), 0);
	json_object_put(value);
	free(text);

	text = nested(64, 0, "");
	ck_assert_int_eq(parse(text, &value, &error), 0);
	json_object_put(value);
	free(text);

	text = nested(64, 1, "{}");
	check_parse_error(text, strlen(text));
	free(text);

	for (i = 0; i < sizeof depths / sizeof depths[0]; i++) {
		text = nested(depths[i], 0, "");
		check_parse_error(text, strlen(text));
		free(text);
		text = nested(depths[i], 1, "1");
		check_parse_error(text, strlen(text));
		free(text);
	}
}
END_TEST

/* Check a NUL byte anywhere in the line is a parse error. */
START_TEST(test_parse_nul)
{
	check_parse_error("\0", 1);
	check_parse_error(" \0", 2);
	check_parse_error("{\"a\":1}\0", 8);
	check_parse_error("{\"a\":1} \0 ", 10);
	check_parse_error("\"a\0b\"", 5);
	check_parse_error("[1,\0 2]", 7);
	check_parse_error("{\"a\0\":1}", 8);
	check_parse_error("1\0", 2);
}
END_TEST

/* Parse a request from text and return the status and error code. */
static int
request(const char *text, struct json_object **object,
    struct rpc_request *parsed, int *code)
{
	struct json_object	*error = NULL;
	int			 rc;

	*object = json(text);
	rc = rpc_request_parse(*object, parsed, &error);
	*code = 0;
	if (rc != 0) {
		ck_assert_ptr_nonnull(error);
		*code = rpc_error_code(error);
		json_object_put(error);
	} else
		ck_assert_ptr_null(error);
	return (rc);
}

/* Check a full request's parts. */
START_TEST(test_request_valid)
{
	struct json_object	*object;
	struct rpc_request	 parsed;
	int			 code;

	ck_assert_int_eq(request("{\"jsonrpc\":\"2.0\",\"method\":\"spawn\","
	    "\"params\":{\"type\":\"noop\"},\"id\":7}", &object, &parsed,
	    &code), 0);
	ck_assert_str_eq(parsed.method, "spawn");
	ck_assert_ptr_nonnull(parsed.params);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    parsed.params, "type")), "noop");
	ck_assert_ptr_nonnull(parsed.id);
	ck_assert_int_eq(json_object_get_int(parsed.id), 7);
	ck_assert_int_eq(parsed.notification, 0);
	json_object_put(object);

	ck_assert_int_eq(request("{\"id\":\"abc\",\"method\":\"m\","
	    "\"jsonrpc\":\"2.0\"}", &object, &parsed, &code), 0);
	ck_assert_str_eq(json_object_get_string(parsed.id), "abc");
	ck_assert_ptr_null(parsed.params);
	ck_assert_int_eq(parsed.notification, 0);
	json_object_put(object);

	ck_assert_int_eq(request("{\"jsonrpc\":\"2.0\",\"method\":\"m\","
	    "\"id\":1.5,\"params\":null}", &object, &parsed, &code), 0);
	ck_assert(json_object_is_type(parsed.id, json_type_double));
	ck_assert_ptr_null(parsed.params);
	json_object_put(object);

	ck_assert_int_eq(request("{\"jsonrpc\":\"2.0\",\"method\":\"m\","
	    "\"id\":0,\"params\":{}}", &object, &parsed, &code), 0);
	ck_assert_ptr_nonnull(parsed.id);
	ck_assert_int_eq(json_object_get_int(parsed.id), 0);
	json_object_put(object);
}
END_TEST

/* Check a notification (no id) differs from a request with id null. */
START_TEST(test_request_notification)
{
	struct json_object	*object;
	struct rpc_request	 parsed;
	int			 code;

	ck_assert_int_eq(request("{\"jsonrpc\":\"2.0\",\"method\":\"n\"}",
	    &object, &parsed, &code), 0);
	ck_assert_int_eq(parsed.notification, 1);
	ck_assert_ptr_null(parsed.id);
	ck_assert_str_eq(parsed.method, "n");
	json_object_put(object);

	ck_assert_int_eq(request("{\"jsonrpc\":\"2.0\",\"method\":\"n\","
	    "\"id\":null}", &object, &parsed, &code), 0);
	ck_assert_int_eq(parsed.notification, 0);
	ck_assert_ptr_null(parsed.id);
	json_object_put(object);
}
END_TEST

/* Invalid requests, the code each gets and the id kept for the reply. */
static const struct {
	const char	*text;
	int		 code;
	int		 id;	/* -1: id must be NULL */
} bad_requests[] = {
	{ "[]", RPC_INVALID_REQUEST, -1 },
	{ "[{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}]",
	    RPC_INVALID_REQUEST, -1 },
	{ "\"request\"", RPC_INVALID_REQUEST, -1 },
	{ "42", RPC_INVALID_REQUEST, -1 },
	{ "true", RPC_INVALID_REQUEST, -1 },
	{ "{}", RPC_INVALID_REQUEST, -1 },
	{ "{\"method\":\"m\",\"id\":1}", RPC_INVALID_REQUEST, 1 },
	{ "{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"id\":2}",
	    RPC_INVALID_REQUEST, 2 },
	{ "{\"jsonrpc\":2.0,\"method\":\"m\",\"id\":3}",
	    RPC_INVALID_REQUEST, 3 },
	{ "{\"jsonrpc\":null,\"method\":\"m\",\"id\":4}",
	    RPC_INVALID_REQUEST, 4 },
	{ "{\"jsonrpc\":\"2.0 \",\"method\":\"m\",\"id\":5}",
	    RPC_INVALID_REQUEST, 5 },
	{ "{\"jsonrpc\":\"2.0\",\"id\":6}", RPC_INVALID_REQUEST, 6 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":7,\"id\":7}",
	    RPC_INVALID_REQUEST, 7 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":8}",
	    RPC_INVALID_REQUEST, 8 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":[\"m\"],\"id\":9}",
	    RPC_INVALID_REQUEST, 9 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":true}",
	    RPC_INVALID_REQUEST, -1 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":{}}",
	    RPC_INVALID_REQUEST, -1 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":[1]}",
	    RPC_INVALID_REQUEST, -1 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[1],\"id\":10}",
	    RPC_INVALID_PARAMS, 10 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"p\",\"id\":11}",
	    RPC_INVALID_PARAMS, 11 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":1,\"id\":12}",
	    RPC_INVALID_PARAMS, 12 },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[]}",
	    RPC_INVALID_PARAMS, -1 },
};

/* Check each invalid request gets its code and keeps a readable id. */
START_TEST(test_request_invalid)
{
	struct json_object	*object;
	struct rpc_request	 parsed;
	int			 code;

	ck_assert_msg(request(bad_requests[_i].text, &object, &parsed,
	    &code) == -1, "'%s' accepted", bad_requests[_i].text);
	ck_assert_int_eq(code, bad_requests[_i].code);
	if (bad_requests[_i].id == -1)
		ck_assert_ptr_null(parsed.id);
	else {
		ck_assert_ptr_nonnull(parsed.id);
		ck_assert_int_eq(json_object_get_int(parsed.id),
		    bad_requests[_i].id);
	}
	json_object_put(object);
}
END_TEST

/* Check a JSON null is not a request. */
START_TEST(test_request_null)
{
	struct rpc_request	 parsed;
	struct json_object	*error = NULL;

	ck_assert_int_eq(rpc_request_parse(NULL, &parsed, &error), -1);
	ck_assert_int_eq(rpc_error_code(error), RPC_INVALID_REQUEST);
	ck_assert_ptr_null(parsed.id);
	json_object_put(error);
}
END_TEST

/* The parameter table used by the params tests. */
static const struct rpc_param test_params[] = {
	{ "name", RPC_STRING, 1 },
	{ "count", RPC_INTEGER, 0 },
	{ "ratio", RPC_NUMBER, 0 },
	{ "flag", RPC_BOOLEAN, 0 },
	{ "opts", RPC_OBJECT, 0 },
	{ "list", RPC_ARRAY, 0 },
	{ "any", RPC_ANY, 0 },
	{ NULL, RPC_ANY, 0 }
};

/* Check params and return the status, the error code and its data. */
static int
params(const char *text, int *code, char *data, size_t size)
{
	struct json_object	*object, *error = NULL, *value;
	int			 rc;

	object = text != NULL ? json(text) : NULL;
	rc = rpc_params_check(object, test_params, &error);
	*code = 0;
	data[0] = '\0';
	if (rc != 0) {
		ck_assert_ptr_nonnull(error);
		*code = rpc_error_code(error);
		if (json_object_object_get_ex(error, "data", &value))
			snprintf(data, size, "%s",
			    json_object_get_string(value));
		ck_assert_msg(strstr(rpc_error_message(error), data) != NULL,
		    "message '%s' does not name '%s'",
		    rpc_error_message(error), data);
		json_object_put(error);
	}
	json_object_put(object);
	return (rc);
}

/* Check params that match the table. */
START_TEST(test_params_valid)
{
	static const char	*texts[] = {
		"{\"name\":\"x\"}",
		"{\"name\":\"x\",\"count\":3,\"ratio\":0.5,\"flag\":false,"
		    "\"opts\":{},\"list\":[],\"any\":null}",
		"{\"name\":\"\",\"ratio\":2}",
		"{\"name\":\"x\",\"any\":[1,{}]}",
		"{\"name\":\"x\",\"count\":null,\"ratio\":null,\"flag\":null,"
		    "\"opts\":null,\"list\":null}",
	};
	char			 data[64];
	int			 code;
	size_t			 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
		ck_assert_msg(params(texts[i], &code, data, sizeof data) == 0,
		    "'%s' refused (%d, %s)", texts[i], code, data);
}
END_TEST

/* Params that are wrong, and the parameter each error names. */
static const struct {
	const char	*text;
	const char	*name;
} bad_params[] = {
	{ NULL, "name" },
	{ "{}", "name" },
	{ "{\"count\":1}", "name" },
	{ "{\"name\":\"x\",\"bogus\":1}", "bogus" },
	{ "{\"bogus\":1}", "bogus" },
	{ "{\"name\":null}", "name" },
	{ "{\"name\":1}", "name" },
	{ "{\"name\":[\"x\"]}", "name" },
	{ "{\"name\":\"x\",\"count\":1.5}", "count" },
	{ "{\"name\":\"x\",\"count\":\"1\"}", "count" },
	{ "{\"name\":\"x\",\"count\":true}", "count" },
	{ "{\"name\":\"x\",\"ratio\":\"1\"}", "ratio" },
	{ "{\"name\":\"x\",\"flag\":1}", "flag" },
	{ "{\"name\":\"x\",\"flag\":\"true\"}", "flag" },
	{ "{\"name\":\"x\",\"opts\":[]}", "opts" },
	{ "{\"name\":\"x\",\"list\":{}}", "list" },
	{ "{\"name\":\"x\",\"Name\":\"y\"}", "Name" },
};

/* Check each bad params gets -32602 with the parameter as data. */
START_TEST(test_params_invalid)
{
	char	 data[64];
	int	 code;

	ck_assert_msg(params(bad_params[_i].text, &code, data, sizeof data) ==
	    -1, "'%s' accepted", bad_params[_i].text);
	ck_assert_int_eq(code, RPC_INVALID_PARAMS);
	ck_assert_str_eq(data, bad_params[_i].name);
}
END_TEST

/* Check a table without required params takes none. */
START_TEST(test_params_none)
{
	static const struct rpc_param	 empty[] = { { NULL, RPC_ANY, 0 } };
	static const struct rpc_param	 optional[] = {
		{ "type", RPC_STRING, 0 }, { NULL, RPC_ANY, 0 } };
	struct json_object		*error = NULL, *object;

	ck_assert_int_eq(rpc_params_check(NULL, empty, &error), 0);
	ck_assert_int_eq(rpc_params_check(NULL, optional, &error), 0);
	object = json("{}");
	ck_assert_int_eq(rpc_params_check(object, empty, &error), 0);
	json_object_put(object);
	object = json("{\"x\":1}");
	ck_assert_int_eq(rpc_params_check(object, empty, &error), -1);
	ck_assert_int_eq(rpc_error_code(error), RPC_INVALID_PARAMS);
	json_object_put(error);
	json_object_put(object);
}
END_TEST

/* Check error objects and their accessors. */
START_TEST(test_error_objects)
{
	struct json_object	*error, *value;

	error = rpc_error_new(RPC_AGENT_NOT_FOUND, "no agent", NULL);
	ck_assert_int_eq(rpc_error_code(error), -32001);
	ck_assert_str_eq(rpc_error_message(error), "no agent");
	ck_assert(!json_object_object_get_ex(error, "data", NULL));
	ck_assert_int_eq(json_object_object_length(error), 2);
	json_object_put(error);

	error = rpc_error_new(RPC_CONNECTION_LOST, "lost",
	    json_object_new_string("127.0.0.1:7000"));
	ck_assert(json_object_object_get_ex(error, "data", &value));
	ck_assert_str_eq(json_object_get_string(value), "127.0.0.1:7000");
	json_object_put(error);

	error = rpc_error_newf(RPC_TIMED_OUT, NULL, "no reply from %s in %d s",
	    "h:1", 5);
	ck_assert_int_eq(rpc_error_code(error), RPC_TIMED_OUT);
	ck_assert_str_eq(rpc_error_message(error), "no reply from h:1 in 5 s");
	json_object_put(error);

	error = json("{\"code\":\"-32000\",\"message\":5}");
	ck_assert_int_eq(rpc_error_code(error), RPC_INTERNAL_ERROR);
	ck_assert_str_eq(rpc_error_message(error), "unknown error");
	json_object_put(error);
	error = json("{}");
	ck_assert_int_eq(rpc_error_code(error), RPC_INTERNAL_ERROR);
	ck_assert_str_eq(rpc_error_message(error), "unknown error");
	json_object_put(error);
}
END_TEST

/* Check the documented error code values. */
START_TEST(test_error_codes)
{
	ck_assert_int_eq(RPC_PARSE_ERROR, -32700);
	ck_assert_int_eq(RPC_INVALID_REQUEST, -32600);
	ck_assert_int_eq(RPC_METHOD_NOT_FOUND, -32601);
	ck_assert_int_eq(RPC_INVALID_PARAMS, -32602);
	ck_assert_int_eq(RPC_INTERNAL_ERROR, -32603);
	ck_assert_int_eq(RPC_AGENT_NOT_FOUND, -32001);
	ck_assert_int_eq(RPC_NOT_READY, -32002);
	ck_assert_int_eq(RPC_TIMED_OUT, -32003);
	ck_assert_int_eq(RPC_SLAVE_LOST, -32004);
	ck_assert_int_eq(RPC_UNAUTHORISED, -32005);
	ck_assert_int_eq(RPC_TOO_LARGE, -32006);
	ck_assert_int_eq(RPC_SHUTTING_DOWN, -32007);
	ck_assert_int_eq(RPC_AGENT_FAILED, -32008);
	ck_assert_int_eq(RPC_CONNECTION_LOST, -32009);
	ck_assert_int_eq(RPC_BUSY, -32010);
	ck_assert_int_eq(RPC_TYPE_NOT_FOUND, -32011);
	ck_assert_int_eq(RPC_FAILED, -32012);
}
END_TEST

/* Check responses: result or error, the id borrowed, null ids kept. */
START_TEST(test_response_new)
{
	struct json_object	*id, *response, *value;
	size_t			 length;

	id = json_object_new_int(7);
	response = rpc_response_new(id, json_object_new_string("ok"), NULL);
	ck_assert_str_eq(rpc_serialize(response, &length),
	    "{\"jsonrpc\":\"2.0\",\"result\":\"ok\",\"id\":7}");
	ck_assert_uint_eq(length, strlen(rpc_serialize(response, NULL)));
	json_object_put(response);
	/* The id was borrowed: it is still ours. */
	ck_assert_int_eq(json_object_get_int(id), 7);
	json_object_put(id);

	response = rpc_response_new(NULL, NULL, rpc_error_new(RPC_PARSE_ERROR,
	    "bad", NULL));
	ck_assert_str_eq(rpc_serialize(response, NULL), "{\"jsonrpc\":\"2.0\","
	    "\"error\":{\"code\":-32700,\"message\":\"bad\"},\"id\":null}");
	ck_assert(!json_object_object_get_ex(response, "result", NULL));
	json_object_put(response);

	id = json_object_new_string("x");
	response = rpc_response_new(id, NULL, NULL);
	ck_assert(json_object_object_get_ex(response, "result", &value));
	ck_assert_ptr_null(value);
	ck_assert(!json_object_object_get_ex(response, "error", NULL));
	ck_assert_str_eq(rpc_serialize(response, NULL),
	    "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":\"x\"}");
	json_object_put(response);
	json_object_put(id);
}
END_TEST

/* Check requests and notifications built for sending. */
START_TEST(test_request_new)
{
	struct json_object	*request, *params;

	params = json_object_new_object();
	json_object_object_add(params, "agent", json_object_new_int(3));
	request = rpc_request_new(5, "agent.act", params);
	ck_assert_str_eq(rpc_serialize(request, NULL), "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"agent.act\",\"params\":{\"agent\":3},\"id\":5}");
	json_object_put(request);

	request = rpc_request_new(0, "is_ready", NULL);
	ck_assert_str_eq(rpc_serialize(request, NULL),
	    "{\"jsonrpc\":\"2.0\",\"method\":\"is_ready\",\"id\":0}");
	json_object_put(request);

	request = rpc_request_new(-1, "tick", NULL);
	ck_assert_str_eq(rpc_serialize(request, NULL),
	    "{\"jsonrpc\":\"2.0\",\"method\":\"tick\"}");
	json_object_put(request);

	request = rpc_request_new(INT64_MAX, "m", NULL);
	ck_assert_str_eq(rpc_serialize(request, NULL), "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"m\",\"id\":9223372036854775807}");
	json_object_put(request);
}
END_TEST

/* Check a built request reads back through the line and request parsers. */
START_TEST(test_request_round_trip)
{
	struct json_object	*request, *params, *value, *error;
	struct rpc_request	 parsed;
	const char		*text;
	size_t			 length;

	params = json("{\"s\":\"a\\nb/c\",\"n\":[1,2.5,null,true]}");
	request = rpc_request_new(123456789012LL, "spawn_n",
	    json_object_get(params));
	text = rpc_serialize(request, &length);
	ck_assert_int_eq(rpc_parse_line(text, length, &value, &error), 0);
	ck_assert_int_eq(rpc_request_parse(value, &parsed, &error), 0);
	ck_assert_str_eq(parsed.method, "spawn_n");
	ck_assert_int_eq(parsed.notification, 0);
	ck_assert_int_eq(json_object_get_int64(parsed.id), 123456789012LL);
	ck_assert(json_object_equal(parsed.params, params));
	json_object_put(value);
	json_object_put(request);

	request = rpc_request_new(-1, "note", NULL);
	text = rpc_serialize(request, &length);
	ck_assert_int_eq(rpc_parse_line(text, length, &value, &error), 0);
	ck_assert_int_eq(rpc_request_parse(value, &parsed, &error), 0);
	ck_assert_int_eq(parsed.notification, 1);
	json_object_put(value);
	json_object_put(request);
	json_object_put(params);
}
END_TEST

/* Check output is plain and slashes are not escaped. */
START_TEST(test_serialize_plain)
{
	struct json_object	*value;
	const char		*expected = "{\"a\":[1,2],\"p\":\"/tmp/x\"}";
	size_t			 length;

	value = json("{ \"a\" : [ 1 , 2 ] , \"p\" : \"/tmp/x\" }");
	ck_assert_str_eq(rpc_serialize(value, &length), expected);
	ck_assert_uint_eq(length, strlen(expected));
	json_object_put(value);
}
END_TEST

/* A small deterministic generator, so failures repeat. */
static uint64_t
next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (*state);
}

/* Check no value, whatever its strings hold, is written with a newline. */
START_TEST(test_serialize_no_newline)
{
	struct json_object	*value, *inner, *back, *error;
	char			 bytes[256], key[8];
	const char		*text;
	size_t			 length, i, j;
	uint64_t		 state = 0x9e3779b97f4a7c15ULL;

	/* Every byte value but NUL, in a string and as keys. */
	for (i = 0; i < 255; i++)
		bytes[i] = (char)(i + 1);
	value = json_object_new_object();
	json_object_object_add(value, "all", json_object_new_string_len(bytes,
	    255));
	json_object_object_add(value, "nul", json_object_new_string_len(
	    "a\0\n\0b", 5));
	json_object_object_add(value, "line\nbreak\r\n",
	    json_object_new_string("\n"));
	inner = json_object_new_array();
	for (i = 0; i < 200; i++) {
		for (j = 0; j < sizeof key - 1; j++) {
			key[j] = (char)(next_random(&state) % 127 + 1);
			if (j % 3 == 0)
				key[j] = (char)("\n\r\t\"\\"[next_random(
				    &state) % 5]);
		}
		key[sizeof key - 1] = '\0';
		json_object_array_add(inner, json_object_new_string(key));
		json_object_object_add(value, key, json_object_new_int(
		    (int)i));
	}
	json_object_object_add(value, "keys", inner);
	json_object_object_add(value, "d", json_object_new_double(0.1));

	text = rpc_serialize(value, &length);
	ck_assert_ptr_null(memchr(text, '\n', length));
	ck_assert_uint_eq(strlen(text), length);
	/* Bytes over 127 alone are not UTF-8: the parser refuses them. */
	ck_assert_int_eq(rpc_parse_line(text, length, &back, &error), -1);
	ck_assert_int_eq(rpc_error_code(error), RPC_PARSE_ERROR);
	json_object_put(error);
	json_object_object_del(value, "all");
	text = rpc_serialize(value, &length);
	ck_assert_ptr_null(memchr(text, '\n', length));
	ck_assert_int_eq(rpc_parse_line(text, length, &back, &error), 0);
	ck_assert(json_object_equal(value, back));
	json_object_put(back);

	/* The same inside a response, as the server sends it. */
	inner = rpc_response_new(NULL, json_object_get(value), NULL);
	text = rpc_serialize(inner, &length);
	ck_assert_ptr_null(memchr(text, '\n', length));
	ck_assert_ptr_null(memchr(text, '\r', length));
	json_object_put(inner);
	json_object_put(value);
}
END_TEST

/* JSON has no Infinity or NaN: such a number is written as null. */
START_TEST(test_serialize_non_finite)
{
	struct json_object	*value, *error;
	const char		*line;

	value = json_object_new_array();
	json_object_array_add(value, json_object_new_double(1.0 / 0.0));
	json_object_array_add(value, json_object_new_double(0.5));
	json_object_array_add(value, json_object_new_double(-1.0 / 0.0));
	json_object_array_add(value, json_object_new_string("Infinity"));
	ck_assert_str_eq(rpc_serialize(value, NULL),
	    "[null,0.5,null,\"Infinity\"]");
	json_object_put(value);
	/* One read from a line keeps its text. */
	line = "{\"NaN\":1e400}";
	ck_assert_int_eq(rpc_parse_line(line, strlen(line), &value, &error),
	    0);
	ck_assert_str_eq(rpc_serialize(value, NULL), line);
	json_object_put(value);
}
END_TEST

/* A quote keeps short text and cuts long text between characters. */
START_TEST(test_quote)
{
	char	 text[RPC_QUOTE_MAX + 10];

	ck_assert_str_eq(rpc_quote("short"), "short");
	ck_assert_str_eq(rpc_quote_length("abcdef", 3), "abc");
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	ck_assert_uint_eq(strlen(rpc_quote(text)), RPC_QUOTE_MAX + 3);
	ck_assert_str_eq(rpc_quote(text) + RPC_QUOTE_MAX, "\xe2\x80\xa6");
	/* A two-byte character across the cut goes whole. */
	text[RPC_QUOTE_MAX - 1] = '\xc3';
	text[RPC_QUOTE_MAX] = '\xa9';
	ck_assert_uint_eq(strlen(rpc_quote(text)), RPC_QUOTE_MAX - 1 + 3);
}
END_TEST

/*
 * What json-c clamps or replaces (integers beyond 64 bits, lone
 * surrogates) is written back as it was read, and such an integer is
 * refused in params, naming where it is.
 */
START_TEST(test_parse_exact_text)
{
	const char		*line = "{\"a\":["
	    "123456789012345678901234567890,-99999999999999999999,\"\\ud800\",-9223372036854775808,"
	    "18446744073709551615,1e400],\"b\":\"\\udc00\\u00e9\"}";
	struct json_object	*value, *error;
	struct rpc_request	 parsed;

	ck_assert_int_eq(rpc_parse_line(line, strlen(line), &value, &error),
	    0);
	ck_assert_str_eq(rpc_serialize(value, NULL), line);
	json_object_put(value);

	line = "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1,"
	    "\"params\":{\"n\":{\"k\":[0,-18446744073709551616]}}}";
	ck_assert_int_eq(rpc_parse_line(line, strlen(line), &value, &error),
	    0);
	ck_assert_int_eq(rpc_request_parse(value, &parsed, &error), -1);
	ck_assert_int_eq(rpc_error_code(error), RPC_INVALID_PARAMS);
	ck_assert_str_eq(rpc_error_message(error), "parameter 'n.k[1]': "
	    "-18446744073709551616 does not fit a signed 64-bit integer");
	json_object_put(error);
	json_object_put(value);
}
END_TEST

/*
 * A repeated key could pair a number with the wrong text: such a line is
 * refused when it needs the text, and so is a key cut at a NUL.
 */
START_TEST(test_parse_exact_refused)
{
	static const char *const lines[] = {
		"{\"a\":1,\"a\":123456789012345678901234567890}",
		"[{\"b\":\"x\",\"c\":\"\\ud800\",\"b\":\"\\udc00\"}]",
		"{\"a\\u0000b\":1}",
		"{\"x\":{\"\\u0000\":[]}}",
	};
	struct json_object	*value, *error;
	size_t			 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_msg(rpc_parse_line(lines[i], strlen(lines[i]), &value,
		    &error) == -1, "%s was taken", lines[i]);
		ck_assert_ptr_null(value);
		ck_assert_int_eq(rpc_error_code(error), RPC_PARSE_ERROR);
		json_object_put(error);
	}
	/* Repeated keys alone are as json-c takes them: the last wins. */
	ck_assert_int_eq(rpc_parse_line("{\"a\":1,\"a\":2}", 13, &value,
	    &error), 0);
	ck_assert_str_eq(rpc_serialize(value, NULL), "{\"a\":2}");
	json_object_put(value);
}
END_TEST

/*
 * The plain JSON daemons write to each other is read without json-c's
 * tokener, to the same values; anything else is left to the tokener
 * and means what it meant (a repeated key: the last wins).
 */
START_TEST(test_parse_fast)
{
	static const char *const taken[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"agent.ping\","
		    "\"params\":{\"agent\":5},\"id\":17}",
		"[{\"jsonrpc\":\"2.0\",\"result\":{\"pong\":5,\"from\":"
		    "\"tcp://127.0.0.1:1/5\"},\"id\":1},{\"jsonrpc\":\"2.0\","
		    "\"result\":null,\"id\":2}]",
		" {\"a\": [1, -2, true, false, null, \"\xc3\xa9\", {}, []]}\r",
		"{\"k\":123456789012345678,\"m\":-123456789012345678}",
	};
	static const char *const left[] = {
		"{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":\"\\n\"}",
		"{\"a\":1,\"a\":2}", "{\"a\":1234567890123456789}",
		"[18446744073709551616]",
		"{\"a\":-0}", "{\"a\":01}", "{\"a\":\t1}", "\"text\"", "5",
		"{\"a\":1}x", "{\"a\":\"\xff\"}", "{\"a\":tru}",
		"{\"a\":truex}", "[1,]", "{\"a\":1,}",
		"[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":[1 2]}",
	};
	struct json_object	*fast, *value, *error, *expected;
	size_t			 i;

	for (i = 0; i < sizeof taken / sizeof taken[0]; i++) {
		ck_assert_msg(jsonfast_parse(taken[i], strlen(taken[i]),
		    &fast) == 0, "%s was left", taken[i]);
		expected = json(taken[i]);
		ck_assert_msg(json_object_equal(fast, expected),
		    "%s read as %s", taken[i],
		    json_object_to_json_string(fast));
		ck_assert_str_eq(rpc_serialize(fast, NULL),
		    rpc_serialize(expected, NULL));
		ck_assert_int_eq(parse(taken[i], &value, &error), 0);
		ck_assert(json_object_equal(value, expected));
		json_object_put(value);
		json_object_put(expected);
		json_object_put(fast);
	}
	for (i = 0; i < sizeof left / sizeof left[0]; i++) {
		fast = (struct json_object *)&i;	/* must be reset */
		ck_assert_msg(jsonfast_parse(left[i], strlen(left[i]),
		    &fast) == -1, "%s was taken", left[i]);
		ck_assert_ptr_null(fast);
	}
	ck_assert_int_eq(parse("{\"a\":1,\"a\":2}", &value, &error), 0);
	ck_assert_str_eq(rpc_serialize(value, NULL), "{\"a\":2}");
	json_object_put(value);
	check_parse_error("{\"a\":\"\xff\"}", 10);
	check_parse_error("{\"a\":truex}", 12);
	check_parse_error("[1,]", 4);
}
END_TEST

/* Return what jsonfast_write() writes of a value (a static copy). */
static const char *
fast_written(struct json_object *value)
{
	static char	 text[4096];
	struct evbuffer	*out = evbuffer_new();
	size_t		 length;

	jsonfast_write(out, value);
	length = evbuffer_get_length(out);
	ck_assert_uint_lt(length, sizeof text);
	evbuffer_remove(out, text, length);
	text[length] = '\0';
	evbuffer_free(out);
	return (text);
}

/*
 * jsonfast_write() writes what rpc_serialize() writes: plain values
 * itself, and values with escapes, fractions, numbers kept as they were
 * read, numbers that are not finite and unsigned ones beyond int64 as
 * json-c does.
 */
START_TEST(test_write_fast)
{
	static const char *const lines[] = {
		"{\"pong\":5,\"from\":\"tcp://127.0.0.1:1/5\",\"n\":null}",
		"[1,-9223372036854775808,9223372036854775807,true,false,[],{}]",
		"{\"a\\n\":\"tab\\there\","
		    "\"\\u00e9\":\"/\\\"\\\\\\u0001\\u007f\"}",
		"[1.50,1e3,-0,0.1,123456789012345678901234567890,\"\\ud800\"]",
	};
	struct json_object	*value, *error, *big;
	size_t			 i;
	char			*expected;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_int_eq(parse(lines[i], &value, &error), 0);
		expected = xstrdup(rpc_serialize(value, NULL));
		ck_assert_str_eq(fast_written(value), expected);
		free(expected);
		json_object_put(value);
	}
	value = json_object_new_array();
	json_object_array_add(value, json_object_new_double(1.0 / 0.0));
	json_object_array_add(value, json_object_new_double(0.25));
	big = json_object_new_uint64(UINT64_MAX);
	json_object_array_add(value, big);
	json_object_array_add(value, json_object_new_string_len("a\0b", 3));
	expected = xstrdup(rpc_serialize(value, NULL));
	ck_assert_str_eq(expected, "[null,0.25,18446744073709551615,"
	    "\"a\\u0000b\"]");
	ck_assert_str_eq(fast_written(value), expected);
	free(expected);
	json_object_put(value);
	ck_assert_str_eq(fast_written(NULL), "null");
}
END_TEST

/*
 * A request or reply as daemons write them is read in parts, to what
 * the parser and rpc_request_parse() make of it; anything else is left
 * to them.
 */
START_TEST(test_plain_request_reply)
{
	static const char *const requests_left[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\","
		    "\"params\":{},\"id\":01}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\","
		    "\"params\":{},\"id\":-1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[],\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\\n\","
		    "\"params\":{},\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\","
		    "\"params\":{},\"id\":1} ",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{},\"id\":1,"
		    "\"id\":2}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":1.5},"
		    "\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{},"
		    "\"id\":1234567890123456789}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}",
		"{\"method\":\"m\",\"jsonrpc\":\"2.0\",\"params\":{},\"id\":1}",
	};
	static const char *const replies_left[] = {
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1},\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"result\":1.5,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":null}",
		"{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":\"1\"}",
		"{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":1,\"x\":2}",
		"{\"jsonrpc\":\"2.0\",\"result\":\"\\u00e9\",\"id\":1}",
	};
	const char	*line = "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"agent.ping\","
	    "\"params\":{\"agent\":7,\"x\":[true,\"s\"]},\"id\":42}";
	struct json_object	*params, *value, *error, *result;
	struct rpc_request	 parsed;
	size_t			 method, method_length, pos, i;
	uint64_t		 id;

	pos = 0;
	ck_assert_int_eq(jsonfast_request(line, strlen(line), &pos, &method,
	    &method_length, &params, &id), 0);
	ck_assert_uint_eq(pos, strlen(line));
	ck_assert_int_eq(parse(line, &value, &error), 0);
	ck_assert_int_eq(rpc_request_parse(value, &parsed, &error), 0);
	ck_assert_uint_eq(method_length, strlen(parsed.method));
	ck_assert(memcmp(line + method, parsed.method, method_length) == 0);
	ck_assert(json_object_equal(params, parsed.params));
	ck_assert_int_eq(json_object_get_int64(parsed.id), (int64_t)id);
	json_object_put(params);
	json_object_put(value);
	for (i = 0; i < sizeof requests_left / sizeof requests_left[0]; i++) {
		pos = 0;
		params = (struct json_object *)&i;	/* must be reset */
		if (jsonfast_request(requests_left[i], strlen(requests_left[i]),
		    &pos, &method, &method_length, &params, &id) == 0) {
			ck_assert_msg(pos < strlen(requests_left[i]),
			    "%s was taken", requests_left[i]);
			json_object_put(params);
		} else
			ck_assert_ptr_null(params);
	}

	line = "[{\"jsonrpc\":\"2.0\",\"result\":{\"pong\":7},\"id\":3},"
	    "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":0}]";
	pos = 1;
	ck_assert_int_eq(jsonfast_reply(line, strlen(line), &pos, &id,
	    &result), 0);
	ck_assert_uint_eq(id, 3);
	ck_assert_str_eq(rpc_serialize(result, NULL), "{\"pong\":7}");
	json_object_put(result);
	ck_assert_int_eq(line[pos], ',');
	pos++;
	ck_assert_int_eq(jsonfast_reply(line, strlen(line), &pos, &id,
	    &result), 0);
	ck_assert_uint_eq(id, 0);
	ck_assert_ptr_null(result);
	ck_assert_str_eq(line + pos, "]");
	for (i = 0; i < sizeof replies_left / sizeof replies_left[0]; i++) {
		pos = 0;
		result = (struct json_object *)&i;	/* must be reset */
		ck_assert_msg(jsonfast_reply(replies_left[i],
		    strlen(replies_left[i]), &pos, &id, &result) == -1 ||
		    pos != strlen(replies_left[i]), "%s was taken",
		    replies_left[i]);
		ck_assert_ptr_null(result);
	}
}
END_TEST

/* Collect the JSON-RPC tests. */
Suite *
suite_jsonrpc(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("jsonrpc");
	tc = tcase_create("parse_line");
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_blank);
	tcase_add_test(tc, test_parse_after_cut);
	tcase_add_loop_test(tc, test_parse_garbage, 0,
	    sizeof garbage_lines / sizeof garbage_lines[0]);
	tcase_add_test(tc, test_parse_trailing);
	tcase_add_test(tc, test_parse_numbers);
	tcase_add_test(tc, test_parse_not_json_numbers);
	tcase_add_test(tc, test_parse_length);
	tcase_add_test(tc, test_parse_depth);
	tcase_add_test(tc, test_parse_nul);
	tcase_add_test(tc, test_parse_exact_text);
	tcase_add_test(tc, test_parse_exact_refused);
	tcase_add_test(tc, test_parse_fast);
	tcase_add_test(tc, test_plain_request_reply);
	suite_add_tcase(suite, tc);

	tc = tcase_create("request");
	tcase_add_test(tc, test_request_valid);
	tcase_add_test(tc, test_request_notification);
	tcase_add_loop_test(tc, test_request_invalid, 0,
	    sizeof bad_requests / sizeof bad_requests[0]);
	tcase_add_test(tc, test_request_null);
	suite_add_tcase(suite, tc);

	tc = tcase_create("params");
	tcase_add_test(tc, test_params_valid);
	tcase_add_loop_test(tc, test_params_invalid, 0,
	    sizeof bad_params / sizeof bad_params[0]);
	tcase_add_test(tc, test_params_none);
	suite_add_tcase(suite, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, test_error_objects);
	tcase_add_test(tc, test_error_codes);
	tcase_add_test(tc, test_response_new);
	tcase_add_test(tc, test_request_new);
	tcase_add_test(tc, test_request_round_trip);
	tcase_add_test(tc, test_serialize_plain);
	tcase_add_test(tc, test_serialize_no_newline);
	tcase_add_test(tc, test_serialize_non_finite);
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_write_fast);
	suite_add_tcase(suite, tc);
	return (suite);
}
