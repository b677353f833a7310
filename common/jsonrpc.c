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

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfast.h"
#include "jsonraw.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "xmalloc.h"

#define RPC_MAX_DEPTH	64
#define RPC_QUOTES	8	/* quotes in use at once, as in one message */

static const char	*rpc_type_names[] = {
	"any", "a boolean", "an integer", "a number", "a string",
	"an object", "an array"
};

/* Build an error object {code, message, data?}; takes the data reference. */
struct json_object *
rpc_error_new(int code, const char *message, struct json_object *data)
{
	struct json_object	*error;

	error = json_object_new_object();
	json_object_object_add(error, "code", json_object_new_int(code));
	json_object_object_add(error, "message",
	    json_object_new_string(message));
	if (data != NULL)
		json_object_object_add(error, "data", data);
	return (error);
}

/* Build an error object with a formatted message. */
struct json_object *
rpc_error_newf(int code, struct json_object *data, const char *fmt, ...)
{
	struct json_object	*error;
	va_list			 ap;
	char			*message;

	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	error = rpc_error_new(code, message, data);
	free(message);
	return (error);
}

/* Return an error object's code, or RPC_INTERNAL_ERROR if it has none. */
int
rpc_error_code(const struct json_object *error)
{
	struct json_object	*code;

	if (json_object_object_get_ex(error, "code", &code) &&
	    json_object_is_type(code, json_type_int))
		return (json_object_get_int(code));
	return (RPC_INTERNAL_ERROR);
}

/* Return an error object's message. */
const char *
rpc_error_message(const struct json_object *error)
{
	struct json_object	*message;

	if (json_object_object_get_ex(error, "message", &message) &&
	    json_object_is_type(message, json_type_string))
		return (json_object_get_string(message));
	return ("unknown error");
}

/*
 * Return the length bytes of text, or their first RPC_QUOTE_MAX bytes
 * (cut between characters) and an ellipsis, as a string for a message:
 * what a client sent is never echoed whole. The quote lives until
 * RPC_QUOTES more have been made.
 */
const char *
rpc_quote_length(const char *text, size_t length)
{
	static char	 quotes[RPC_QUOTES][RPC_QUOTE_MAX + 4];	/* "…" */
	static size_t	 next;
	char		*quote;
	int		 cut = 0;

	if (length > RPC_QUOTE_MAX) {
		length = RPC_QUOTE_MAX;
		while (length > 0 &&
		    ((unsigned char)text[length] & 0xc0) == 0x80)
			length--;
		cut = 1;
	}
	quote = quotes[next++ % RPC_QUOTES];
	memcpy(quote, text, length);
	if (cut)
		memcpy(quote + length, "\xe2\x80\xa6", 3);
	quote[length + 3 * cut] = '\0';
	return (quote);
}

/* rpc_quote_length() of a string. */
const char *
rpc_quote(const char *text)
{
	if (text == NULL)
		return ("(null)");
	return (rpc_quote_length(text, strnlen(text, RPC_QUOTE_MAX + 1)));
}

/*
 * Build a response; id is borrowed, result or error (one of them) is
 * taken.
 */
struct json_object *
rpc_response_new(struct json_object *id, struct json_object *result,
    struct json_object *error)
{
	struct json_object	*response;

	response = json_object_new_object();
	json_object_object_add(response, "jsonrpc",
	    json_object_new_string("2.0"));
	if (error != NULL)
		json_object_object_add(response, "error", error);
	else
		json_object_object_add(response, "result", result);
	json_object_object_add(response, "id", json_object_get(id));
	return (response);
}

/* Build a request; a negative id makes a notification. Takes params. */
struct json_object *
rpc_request_new(int64_t id, const char *method, struct json_object *params)
{
	struct json_object	*request;

	request = json_object_new_object();
	json_object_object_add(request, "jsonrpc",
	    json_object_new_string("2.0"));
	json_object_object_add(request, "method",
	    json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(request, "params", params);
	if (id >= 0)
		json_object_object_add(request, "id",
		    json_object_new_int64(id));
	return (request);
}

/*
 * Visit value and everything within it in document order, containers
 * and leaves, each with its key in its object (NULL in an array or at
 * the top); return the first that match accepts, or NULL. With path, say
 * where it is below value, as ".key[2]" (keys quoted).
 */
struct json_object *
rpc_find(struct json_object *value, const char *key, rpc_match_fn match,
    void *arg, char **path)
{
	struct json_object	*found;
	size_t			 i, length;
	char			*below = NULL;

	if (match(value, key, arg)) {
		if (path != NULL)
			*path = xstrdup("");
		return (value);
	}
	switch (json_object_get_type(value)) {
	case json_type_array:
		length = json_object_array_length(value);
		for (i = 0; i < length; i++) {
			found = rpc_find(json_object_array_get_idx(value, i),
			    NULL, match, arg, path != NULL ? &below : NULL);
			if (found == NULL)
				continue;
			if (path != NULL) {
				xasprintf(path, "[%zu]%s", i, below);
				free(below);
			}
			return (found);
		}
		break;
	case json_type_object: {
		json_object_object_foreach(value, name, item) {
			found = rpc_find(item, name, match, arg,
			    path != NULL ? &below : NULL);
			if (found == NULL)
				continue;
			if (path != NULL) {
				xasprintf(path, ".%s%s", rpc_quote(name),
				    below);
				free(below);
			}
			return (found);
		}
		break;
	}
	default:
		break;
	}
	return (NULL);
}

/*
 * Match a number within params that is not finite or does not fit a
 * signed 64-bit integer, or a string that holds a NUL.
 */
static int
rpc_match_bad_param(struct json_object *value, const char *key, void *arg)
{
	switch (json_object_get_type(value)) {
	case json_type_double:
		return (!isfinite(json_object_get_double(value)));
	case json_type_int:
		return (jsonraw_int_beyond(value));
	case json_type_string:
		return (strlen(json_object_get_string(value)) !=
		    (size_t)json_object_get_string_len(value));
	default:
		return (0);
	}
}

/*
 * Refuse params holding a number that is not finite or that does not fit
 * a signed 64-bit integer, or a string with a NUL: the error names the
 * parameter (and where within it) and quotes the number.
 */
static int
rpc_params_values_check(struct json_object *params, struct json_object **error)
{
	struct json_object	*bad;
	char			*below;

	json_object_object_foreach(params, key, item) {
		if ((bad = rpc_find(item, NULL, rpc_match_bad_param, NULL,
		    &below)) == NULL)
			continue;
		if (json_object_is_type(bad, json_type_string))
			*error = rpc_error_newf(RPC_INVALID_PARAMS,
			    json_object_new_string(rpc_quote(key)),
			    "parameter '%s%s' holds a NUL character",
			    rpc_quote(key), below);
		else
			*error = rpc_error_newf(RPC_INVALID_PARAMS,
			    json_object_new_string(rpc_quote(key)),
			    "parameter '%s%s': "
			    "%s %s", rpc_quote(key), below,
			    rpc_quote(json_object_get_string(bad)),
			    json_object_is_type(bad, json_type_double) ?
			    "is not a finite number" :
			    "does not fit a signed 64-bit integer");
		free(below);
		return (-1);
	}
	return (0);
}

/*
 * Check one request and return its parts. On error fill error and leave
 * the id (when it could be read) for the reply.
 */
int
rpc_request_parse(struct json_object *object, struct rpc_request *request,
    struct json_object **error)
{
	struct json_object	*version, *method, *id;

	memset(request, 0, sizeof *request);
	request->notification = 1;
	if (!json_object_is_type(object, json_type_object)) {
		*error = rpc_error_new(RPC_INVALID_REQUEST,
		    "a request must be an object", NULL);
		return (-1);
	}
	if (json_object_object_get_ex(object, "id", &id)) {
		if (id != NULL && !json_object_is_type(id, json_type_int) &&
		    !json_object_is_type(id, json_type_string) &&
		    !json_object_is_type(id, json_type_double)) {
			request->notification = 0;
			*error = rpc_error_new(RPC_INVALID_REQUEST,
			    "id must be a string, a number or null", NULL);
			return (-1);
		}
		request->id = id;
		request->notification = 0;
	}
	if (!json_object_object_get_ex(object, "jsonrpc", &version) ||
	    !json_object_is_type(version, json_type_string) ||
	    strcmp(json_object_get_string(version), "2.0") != 0) {
		*error = rpc_error_new(RPC_INVALID_REQUEST,
		    "jsonrpc must be \"2.0\"", NULL);
		return (-1);
	}
	if (!json_object_object_get_ex(object, "method", &method) ||
	    !json_object_is_type(method, json_type_string)) {
		*error = rpc_error_new(RPC_INVALID_REQUEST,
		    "method must be a string", NULL);
		return (-1);
	}
	request->method = json_object_get_string(method);
	if (strlen(request->method) !=
	    (size_t)json_object_get_string_len(method)) {
		*error = rpc_error_newf(RPC_INVALID_REQUEST, NULL,
		    "method holds a NUL character (after '%s')",
		    rpc_quote(request->method));
		return (-1);
	}
	if (json_object_object_get_ex(object, "params", &request->params) &&
	    request->params != NULL &&
	    !json_object_is_type(request->params, json_type_object)) {
		*error = rpc_error_new(RPC_INVALID_PARAMS,
		    "params must be an object of named parameters", NULL);
		return (-1);
	}
	if (request->params != NULL &&
	    rpc_params_values_check(request->params, error) != 0)
		return (-1);
	return (0);
}

/* Return a named parameter (borrowed), or NULL when absent or null. */
struct json_object *
rpc_param(struct json_object *params, const char *name)
{
	struct json_object	*value = NULL;

	if (params != NULL)
		json_object_object_get_ex(params, name, &value);
	return (value);
}

/* Return 1 if value has the type wanted. */
static int
rpc_type_matches(struct json_object *value, enum rpc_type type)
{
	switch (type) {
	case RPC_ANY:
		return (1);
	case RPC_BOOLEAN:
		return (json_object_is_type(value, json_type_boolean));
	case RPC_INTEGER:
		return (json_object_is_type(value, json_type_int));
	case RPC_NUMBER:
		return (json_object_is_type(value, json_type_int) ||
		    json_object_is_type(value, json_type_double));
	case RPC_STRING:
		return (json_object_is_type(value, json_type_string));
	case RPC_OBJECT:
		return (json_object_is_type(value, json_type_object));
	case RPC_ARRAY:
		return (json_object_is_type(value, json_type_array));
	}
	return (0);
}

/*
 * Check named params against a table: no unknown names, right types,
 * required ones present. A null optional parameter counts as absent.
 */
int
rpc_params_check(struct json_object *params, const struct rpc_param *table,
    struct json_object **error)
{
	const struct rpc_param	*param;
	struct json_object	*value;

	if (params != NULL) {
		json_object_object_foreach(params, key, item) {
			for (param = table; param->name != NULL; param++) {
				if (strcmp(param->name, key) == 0)
					break;
			}
			if (param->name == NULL) {
				*error = rpc_error_newf(RPC_INVALID_PARAMS,
				    json_object_new_string(rpc_quote(key)),
				    "unknown parameter '%s'", rpc_quote(key));
				return (-1);
			}
			if (item == NULL && !param->required)
				continue;
			if (!rpc_type_matches(item, param->type)) {
				*error = rpc_error_newf(RPC_INVALID_PARAMS,
				    json_object_new_string(key),
				    "parameter '%s' must be %s", key,
				    rpc_type_names[param->type]);
				return (-1);
			}
		}
	}
	for (param = table; param->name != NULL; param++) {
		if (!param->required)
			continue;
		if (params == NULL ||
		    !json_object_object_get_ex(params, param->name, &value)) {
			*error = rpc_error_newf(RPC_INVALID_PARAMS,
			    json_object_new_string(param->name),
			    "missing parameter '%s'", param->name);
			return (-1);
		}
	}
	return (0);
}

/* Return 1 if text is a number as JSON (RFC 8259) writes one. */
static int
rpc_is_json_number(const char *text)
{
	const char	*p = text;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
	} else
		return (0);
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return (0);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return (0);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return (*p == '\0');
}

/* Return 1 if text is well-formed UTF-8 (no overlongs, no surrogates). */
static int
rpc_is_utf8(const char *text)
{
	size_t	 length = strlen(text), pos = 0;

	while (pos < length) {
		if ((unsigned char)text[pos] < 0x80)
			pos++;
		else if (jsonspan_utf8(text, length, &pos) != 0)
			return (0);
	}
	return (1);
}

/*
 * Match what json-c takes but JSON has not: NaN, Infinity and "1."
 * (every double must have been written as a JSON number), and keys or
 * strings that are not UTF-8 (json-c's own check lets some through).
 * Depth is bounded by the tokener.
 */
static int
rpc_match_not_json(struct json_object *value, const char *key, void *arg)
{
	if (key != NULL && !rpc_is_utf8(key))
		return (1);
	switch (json_object_get_type(value)) {
	case json_type_double:
		return (!rpc_is_json_number(json_object_get_string(value)));
	case json_type_string:
		return (!rpc_is_utf8(json_object_get_string(value)));
	default:
		return (0);
	}
}

/*
 * Parse one line into a JSON value. Returns 0 with the value (NULL for
 * JSON null), 1 for a blank line, -1 with a parse error.
 */
int
rpc_parse_line(const char *line, size_t length, struct json_object **value,
    struct json_object **error)
{
	struct json_tokener	*tokener;
	enum json_tokener_error	 jerr;
	const char		*why;
	size_t			 offset, i;

	*value = NULL;
	for (i = 0; i < length; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	}
	if (i == length)
		return (1);
	if (length > INT32_MAX) {
		*error = rpc_error_new(RPC_PARSE_ERROR, "line too long", NULL);
		return (-1);
	}
	/* What daemons write to each other needs neither tokener nor checks. */
	if (jsonfast_parse(line, length, value) == 0)
		return (0);
	tokener = json_tokener_new_ex(RPC_MAX_DEPTH);
	if (tokener == NULL) {
		*error = rpc_error_new(RPC_INTERNAL_ERROR, "out of memory",
		    NULL);
		return (-1);
	}
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	*value = json_tokener_parse_ex(tokener, line, (int)length);
	jerr = json_tokener_get_error(tokener);
	offset = json_tokener_get_parse_end(tokener);
	if (jerr == json_tokener_continue) {
		/* A bare number at the end of input needs a terminator. */
		*value = json_tokener_parse_ex(tokener, " ", 1);
		jerr = json_tokener_get_error(tokener);
		offset = length;
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
	}
	for (; jerr == json_tokener_success && offset < length; offset++) {
		if (line[offset] != ' ' && line[offset] != '\t' &&
		    line[offset] != '\r')
			jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tokener);
	if (jerr == json_tokener_success &&
	    rpc_find(*value, NULL, rpc_match_not_json, NULL, NULL) != NULL)
		jerr = json_tokener_error_parse_unexpected;
	if (jerr == json_tokener_success &&
	    jsonraw_restore(line, length, *value, &why) != 0) {
		json_object_put(*value);
		*value = NULL;
		*error = rpc_error_newf(RPC_PARSE_ERROR, NULL,
		    "parse error: %s", why);
		return (-1);
	}
	if (jerr != json_tokener_success) {
		json_object_put(*value);
		*value = NULL;
		*error = rpc_error_newf(RPC_PARSE_ERROR, NULL,
		    "parse error: %s", json_tokener_error_desc(jerr));
		return (-1);
	}
	return (0);
}

/* Write a number that is not finite as null. */
static int
rpc_null_to_json_string(struct json_object *value, struct printbuf *buffer,
    int level, int flags)
{
	return (printbuf_strappend(buffer, "null"));
}

/*
 * Make a number that is not finite, and that would be written as
 * Infinity or NaN, write as null; count it in arg. Matches none, so that
 * rpc_find() visits every value.
 */
static int
rpc_match_null_non_finite(struct json_object *value, const char *key,
    void *arg)
{
	size_t	*count = arg;

	/* One read from a line writes the text it was read from. */
	if (!json_object_is_type(value, json_type_double) ||
	    isfinite(json_object_get_double(value)) ||
	    json_object_get_userdata(value) != NULL)
		return (0);
	json_object_set_serializer(value, rpc_null_to_json_string, NULL, NULL);
	(*count)++;
	return (0);
}

/*
 * Serialise a value as one line of plain JSON; the text belongs to it.
 * JSON has no Infinity or NaN: a number that is not finite (made by a
 * plugin, say) is written as null.
 */
const char *
rpc_serialize(struct json_object *value, size_t *length)
{
	const int	 flags = JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE;
	const char	*text;
	size_t		 size, count = 0;

	text = json_object_to_json_string_length(value, flags, &size);
	if ((memmem(text, size, "Infinity", 8) != NULL ||
	    memmem(text, size, "NaN", 3) != NULL) &&
	    rpc_find(value, NULL, rpc_match_null_non_finite, &count,
	    NULL) == NULL && count > 0)
		text = json_object_to_json_string_length(value, flags, &size);
	if (length != NULL)
		*length = size;
	return (text);
}
