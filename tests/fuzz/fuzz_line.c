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
 * Fuzz the JSON-RPC line codec (common/jsonrpc.c). The input is cut into
 * lines at LF, as the server cuts what it reads; each line goes through
 * rpc_parse_line(), then each request in it (one, or every element of a
 * batch) through rpc_request_parse() and rpc_params_check() against
 * tables shaped like the daemon's. What parses must serialise to one
 * line without a raw newline that parses back equal and serialises the
 * same again; every error must make a response that does as much.
 */

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "jsonfast.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "xmalloc.h"

/* Parameter tables like the daemon's, with every type and both kinds. */
static const struct rpc_param fuzz_table_none[] = {
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param fuzz_table_spawn_n[] = {
	{ "type", RPC_STRING, 1 }, { "n", RPC_INTEGER, 1 },
	{ "params", RPC_ANY, 0 }, { "slave", RPC_INTEGER, 0 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param fuzz_table_trigger_all[] = {
	{ "args", RPC_ANY, 0 }, { "results", RPC_BOOLEAN, 0 },
	{ "timeout", RPC_NUMBER, 0 }, { "round", RPC_INTEGER, 0 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param fuzz_table_every_type[] = {
	{ "any", RPC_ANY, 1 }, { "boolean", RPC_BOOLEAN, 0 },
	{ "integer", RPC_INTEGER, 0 }, { "number", RPC_NUMBER, 0 },
	{ "string", RPC_STRING, 0 }, { "object", RPC_OBJECT, 0 },
	{ "array", RPC_ARRAY, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param *const fuzz_tables[] = {
	fuzz_table_none, fuzz_table_spawn_n, fuzz_table_trigger_all,
	fuzz_table_every_type
};

/* Check that jsonfast_write() writes a value as rpc_serialize() did. */
static void
fuzz_write_check(struct json_object *value, const char *text, size_t length)
{
	struct evbuffer	*out = evbuffer_new();

	jsonfast_write(out, value);
	FUZZ_CHECK(evbuffer_get_length(out) == length &&
	    memcmp(evbuffer_pullup(out, -1), text, length) == 0,
	    "jsonfast_write wrote %.*s for %s",
	    (int)evbuffer_get_length(out), evbuffer_pullup(out, -1), text);
	evbuffer_free(out);
}

/*
 * Serialise a value, parse the text back and check that it is one line
 * of the same value, which serialises to the same text again.
 */
static void
fuzz_round_trip(struct json_object *value)
{
	struct json_object	*again, *error;
	const char		*text;
	char			*first;
	size_t			 length, length_again;
	int			 rc;

	text = rpc_serialize(value, &length);
	FUZZ_CHECK(text != NULL, "no text for a value");
	FUZZ_CHECK(strlen(text) == length, "a NUL within %zu bytes: %s",
	    length, text);
	FUZZ_CHECK(memchr(text, '\n', length) == NULL, "a raw newline: %s",
	    text);
	first = xstrdup(text);
	fuzz_write_check(value, first, length);
	rc = rpc_parse_line(first, length, &again, &error);
	FUZZ_CHECK(rc == 0, "%s does not parse back: %s", first,
	    rc == -1 ? rpc_error_message(error) : "blank");
	FUZZ_CHECK(json_object_equal(value, again), "%s parses back as "
	    "another value", first);
	text = rpc_serialize(again, &length_again);
	FUZZ_CHECK(length_again == length && memcmp(text, first, length) == 0,
	    "%s serialises again as %s", first, text);
	json_object_put(again);
	free(first);
}

/* Check a response made of an id and a result or an error (taken). */
static void
fuzz_respond(struct json_object *id, struct json_object *result,
    struct json_object *error)
{
	struct json_object	*response, *member;

	response = rpc_response_new(id, result, error);
	FUZZ_CHECK(json_object_object_get_ex(response, "id", &member) &&
	    json_object_equal(member, id), "the response lost its id");
	FUZZ_CHECK(json_object_object_get_ex(response, "result", NULL) !=
	    json_object_object_get_ex(response, "error", NULL),
	    "a response needs a result or an error, not both");
	fuzz_round_trip(response);
	json_object_put(response);
}

/* Check an error object: the code wanted, a message, and its response. */
static void
fuzz_check_error(struct json_object *error, int code,
    struct json_object *id)
{
	const char	*message;

	FUZZ_CHECK(json_object_is_type(error, json_type_object),
	    "an error is not an object");
	FUZZ_CHECK(rpc_error_code(error) == code, "error code %d, not %d",
	    rpc_error_code(error), code);
	message = rpc_error_message(error);
	FUZZ_CHECK(message != NULL && *message != '\0', "an empty message");
	fuzz_respond(id, NULL, error);
}

/* Return 1 if a value has a parameter type: a model of the contract. */
static int
fuzz_type_matches(struct json_object *value, enum rpc_type type)
{
	enum json_type	 have = json_object_get_type(value);

	switch (type) {
	case RPC_ANY:
		return (1);
	case RPC_BOOLEAN:
		return (have == json_type_boolean);
	case RPC_INTEGER:
		return (have == json_type_int);
	case RPC_NUMBER:
		return (have == json_type_int || have == json_type_double);
	case RPC_STRING:
		return (have == json_type_string);
	case RPC_OBJECT:
		return (have == json_type_object);
	case RPC_ARRAY:
		return (have == json_type_array);
	}
	return (0);
}

/*
 * Return what rpc_params_check() must say: 0 when every member names a
 * parameter of the table and has its type (null standing for an absent
 * optional one) and every required parameter is a member, else -1.
 */
static int
fuzz_params_expected(struct json_object *params,
    const struct rpc_param *table)
{
	const struct rpc_param	*param;

	if (params != NULL) {
		json_object_object_foreach(params, key, item) {
			for (param = table; param->name != NULL; param++) {
				if (strcmp(param->name, key) == 0)
					break;
			}
			if (param->name == NULL)
				return (-1);
			if (item == NULL && !param->required)
				continue;
			if (!fuzz_type_matches(item, param->type))
				return (-1);
		}
	}
	for (param = table; param->name != NULL; param++) {
		if (param->required && (params == NULL ||
		    !json_object_object_get_ex(params, param->name, NULL)))
			return (-1);
	}
	return (0);
}

/* Check that a request rebuilt by rpc_request_new() parses the same. */
static void
fuzz_rebuild_request(const struct rpc_request *request)
{
	struct json_object	*rebuilt, *error;
	struct rpc_request	 again;

	rebuilt = rpc_request_new(7, request->method,
	    json_object_get(request->params));
	fuzz_round_trip(rebuilt);
	FUZZ_CHECK(rpc_request_parse(rebuilt, &again, &error) == 0,
	    "a rebuilt request of %s is refused: %s", request->method,
	    rpc_error_message(error));
	FUZZ_CHECK(strcmp(again.method, request->method) == 0,
	    "method %s comes back as %s", request->method, again.method);
	FUZZ_CHECK(json_object_equal(again.params, request->params),
	    "the params of %s come back changed", request->method);
	json_object_put(rebuilt);
}

/* Check one element of a line as a request, and its parameters. */
static void
fuzz_request(struct json_object *object)
{
	struct rpc_request	 request;
	struct json_object	*error, *member;
	size_t			 i;
	int			 rc, code;

	if (rpc_request_parse(object, &request, &error) != 0) {
		code = rpc_error_code(error);
		FUZZ_CHECK(code == RPC_INVALID_REQUEST ||
		    code == RPC_INVALID_PARAMS, "request error code %d", code);
		fuzz_check_error(error, code, request.id);
		return;
	}
	FUZZ_CHECK(json_object_is_type(object, json_type_object),
	    "a request that is no object was taken");
	FUZZ_CHECK(request.method != NULL, "a request without a method");
	FUZZ_CHECK(request.params == NULL ||
	    json_object_is_type(request.params, json_type_object),
	    "params that are no object were taken");
	FUZZ_CHECK(request.notification ==
	    !json_object_object_get_ex(object, "id", NULL),
	    "notification %d is wrong", request.notification);
	FUZZ_CHECK(request.id == NULL ||
	    json_object_is_type(request.id, json_type_int) ||
	    json_object_is_type(request.id, json_type_double) ||
	    json_object_is_type(request.id, json_type_string),
	    "an id of type %s was taken",
	    json_type_to_name(json_object_get_type(request.id)));
	member = NULL;
	if (request.params != NULL)
		json_object_object_get_ex(request.params, "n", &member);
	FUZZ_CHECK(rpc_param(request.params, "n") == member,
	    "rpc_param and the params disagree");

	for (i = 0; i < sizeof fuzz_tables / sizeof fuzz_tables[0]; i++) {
		rc = rpc_params_check(request.params, fuzz_tables[i], &error);
		FUZZ_CHECK(rc == fuzz_params_expected(request.params,
		    fuzz_tables[i]), "rpc_params_check said %d to table %zu",
		    rc, i);
		if (rc != 0)
			fuzz_check_error(error, RPC_INVALID_PARAMS, request.id);
	}
	fuzz_rebuild_request(&request);
	fuzz_respond(request.id, json_object_get(request.params), NULL);
}

/* Return 1 if a line is blank for the protocol: spaces, tabs and CRs. */
static int
fuzz_is_blank(const char *line, size_t length)
{
	size_t	 i;

	for (i = 0; i < length; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return (0);
	}
	return (1);
}

/*
 * Check that what jsonfast_parse() takes is JSON that json-c's strict
 * tokener reads as the same value, written the same.
 */
static void
fuzz_fast(const char *line, size_t length)
{
	struct json_tokener	*tokener;
	struct json_object	*fast, *slow;
	size_t			 end;
	char			*text;

	if (jsonfast_parse(line, length, &fast) != 0) {
		FUZZ_CHECK(fast == NULL, "a value left by a refusal");
		return;
	}
	FUZZ_CHECK(jsonspan_valid(line, length, JSONSPAN_MAX_DEPTH),
	    "jsonfast took what is not JSON");
	tokener = json_tokener_new_ex(64);
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	slow = json_tokener_parse_ex(tokener, line, (int)length);
	FUZZ_CHECK(json_tokener_get_error(tokener) == json_tokener_success,
	    "jsonfast took what json-c refuses: %s", json_tokener_error_desc(
	    json_tokener_get_error(tokener)));
	for (end = json_tokener_get_parse_end(tokener); end < length; end++)
		FUZZ_CHECK(line[end] == ' ' || line[end] == '\t' ||
		    line[end] == '\r', "jsonfast took trailing text");
	json_tokener_free(tokener);
	FUZZ_CHECK(json_object_equal(fast, slow), "jsonfast read another "
	    "value");
	text = xstrdup(rpc_serialize(fast, NULL));
	FUZZ_CHECK(strcmp(text, rpc_serialize(slow, NULL)) == 0,
	    "jsonfast's value is written otherwise: %s", text);
	free(text);
	json_object_put(fast);
	json_object_put(slow);
}

/*
 * Check that a request jsonfast_request() read from all of a line is
 * what the parser and rpc_request_parse() read.
 */
static void
fuzz_plain_request(const char *line, size_t length, size_t method,
    size_t method_length, struct json_object *params, uint64_t id)
{
	struct json_object	*value, *error;
	struct rpc_request	 parsed;

	FUZZ_CHECK(rpc_parse_line(line, length, &value, &error) == 0,
	    "a plain request the parser refuses");
	FUZZ_CHECK(rpc_request_parse(value, &parsed, &error) == 0,
	    "a plain request refused: %s", rpc_error_message(error));
	FUZZ_CHECK(strlen(parsed.method) == method_length &&
	    memcmp(parsed.method, line + method, method_length) == 0,
	    "a plain request's method read otherwise");
	FUZZ_CHECK(json_object_equal(params, parsed.params),
	    "a plain request's params read otherwise");
	FUZZ_CHECK(json_object_is_type(parsed.id, json_type_int) &&
	    json_object_get_int64(parsed.id) == (int64_t)id,
	    "a plain request's id read otherwise");
	json_object_put(value);
}

/*
 * Check that a request or a reply that jsonfast_request() or
 * jsonfast_reply() takes is the one the parser reads from the line.
 */
static void
fuzz_plain(const char *line, size_t length)
{
	struct json_object	*params, *value, *error, *member;
	size_t			 method, method_length, pos = 0;
	uint64_t		 id;

	if (jsonfast_request(line, length, &pos, &method, &method_length,
	    &params, &id) == 0) {
		if (pos == length)
			fuzz_plain_request(line, length, method, method_length,
			    params, id);
		json_object_put(params);
	}
	pos = 0;
	if (jsonfast_reply(line, length, &pos, &id, &params) == 0) {
		if (pos == length) {
			FUZZ_CHECK(rpc_parse_line(line, length, &value,
			    &error) == 0, "a plain reply the parser refuses");
			FUZZ_CHECK(json_object_object_get_ex(value, "result",
			    &member) && json_object_equal(member, params),
			    "a plain reply's result read otherwise");
			FUZZ_CHECK(json_object_object_get_ex(value, "id",
			    &member) && json_object_is_type(member,
			    json_type_int) && json_object_get_int64(member) ==
			    (int64_t)id, "a plain reply's id read otherwise");
			FUZZ_CHECK(!json_object_object_get_ex(value, "error",
			    NULL), "a plain reply with an error");
			json_object_put(value);
		}
		json_object_put(params);
	}
}

/* Parse one line and check all that is made of it. */
static void
fuzz_line(const char *line, size_t length)
{
	struct json_object	*value, *error;
	size_t			 i, count;
	int			 rc;

	fuzz_fast(line, length);
	fuzz_plain(line, length);
	rc = rpc_parse_line(line, length, &value, &error);
	FUZZ_CHECK(rc == 1 || rc == 0 || rc == -1, "rc %d", rc);
	FUZZ_CHECK((rc == 1) == fuzz_is_blank(line, length),
	    "rc %d for a line that is%s blank", rc, rc == 1 ? " not" : "");
	if (rc == 1)
		return;
	if (rc == -1) {
		FUZZ_CHECK(value == NULL, "a value with a parse error");
		fuzz_check_error(error, RPC_PARSE_ERROR, NULL);
		return;
	}
	fuzz_round_trip(value);
	(void)rpc_error_code(value);
	(void)rpc_error_message(value);
	if (json_object_is_type(value, json_type_array) &&
	    (count = json_object_array_length(value)) > 0) {
		for (i = 0; i < count; i++)
			fuzz_request(json_object_array_get_idx(value, i));
	} else
		fuzz_request(value);
	json_object_put(value);
}

/* Cut the input into lines at LF, each in a buffer of its own size. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*line = data, *end = data + size, *newline;
	size_t		 length;
	char		*copy;

	for (;;) {
		newline = memchr(line, '\n', end - line);
		length = (newline != NULL ? newline : end) - line;
		/* Its own allocation, so a read past the end is caught. */
		copy = xmalloc(length + 1);
		memcpy(copy + 1, line, length);
		fuzz_line(copy + 1, length);
		free(copy);
		if (newline == NULL)
			break;
		line = newline + 1;
	}
	return (0);
}
