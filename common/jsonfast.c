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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "jsonfast.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "xmalloc.h"

/*
 * The plain JSON that daemons write to each other (agent calls and their
 * answers: objects and arrays of short keys, strings without escapes,
 * integers of up to 18 digits, literals) read straight into json-c
 * values, without json-c's tokener and without the checks a line from
 * anyone needs afterwards: nothing such text can hold is what those
 * checks look for (numbers that are not finite or beyond 64 bits,
 * escapes, text that is not UTF-8). Anything else (a fraction, an
 * escape, a repeated key, deep nesting, a syntax error) is left to the
 * tokener, so what a line means and every error it gets stay the
 * tokener's. A request or a line of replies as daemons write them is
 * read in parts, without the objects around its params or results. The
 * other way, plain values are written as text without json-c's print
 * buffers, the same text rpc_serialize() writes; the rest by it.
 */

#define JSONFAST_DEPTH		16	/* deeper is the tokener's */
#define JSONFAST_KEY_MAX	64	/* longer keys are the tokener's */
#define JSONFAST_DIGITS_MAX	18	/* any such fits int64 */

struct jsonfast {
	const char	*text;
	size_t		 length;
	size_t		 pos;
};

static int	jsonfast_value(struct jsonfast *, int, struct json_object **);

/* Skip spaces (the only whitespace taken here). */
static void
jsonfast_skip(struct jsonfast *f)
{
	while (f->pos < f->length && f->text[f->pos] == ' ')
		f->pos++;
}

/*
 * Read a string from its opening quote: printable, without escapes, of
 * well-formed UTF-8. Gives its bytes' span; -1 for anything else.
 */
static int
jsonfast_string(struct jsonfast *f, size_t *start, size_t *length)
{
	const unsigned char	*p = (const unsigned char *)f->text;
	size_t			 i = f->pos + 1;

	while (i < f->length) {
		if (p[i] == '"') {
			if (i - f->pos > INT32_MAX)
				return (-1);
			*start = f->pos + 1;
			*length = i - *start;
			f->pos = i + 1;
			return (0);
		}
		if (p[i] < 0x20 || p[i] == '\\')
			return (-1);
		if (p[i] < 0x80)
			i++;
		else if (jsonspan_utf8(f->text, f->length, &i) != 0)
			return (-1);
	}
	return (-1);
}

/* Read an integer of at most JSONFAST_DIGITS_MAX digits, not "-0". */
static int
jsonfast_integer(struct jsonfast *f, struct json_object **value)
{
	const char	*t = f->text;
	size_t		 i = f->pos, start;
	int64_t		 v = 0;
	int		 negative = 0;

	if (t[i] == '-') {
		negative = 1;
		i++;
	}
	start = i;
	while (i < f->length && t[i] >= '0' && t[i] <= '9')
		i++;
	if (i == start || i - start > JSONFAST_DIGITS_MAX ||
	    (t[start] == '0' && (i - start > 1 || negative)))
		return (-1);
	if (i < f->length && (t[i] == '.' || t[i] == 'e' || t[i] == 'E'))
		return (-1);
	for (f->pos = start; f->pos < i; f->pos++)
		v = v * 10 + (t[f->pos] - '0');
	*value = json_object_new_int64(negative ? -v : v);
	return (0);
}

/* Read true, false or null, which must end where the word does. */
static int
jsonfast_literal(struct jsonfast *f, const char *word, size_t n,
    struct json_object **value)
{
	char	 next;

	if (f->length - f->pos < n || memcmp(f->text + f->pos, word, n) != 0)
		return (-1);
	if (f->pos + n < f->length) {
		next = f->text[f->pos + n];
		if (next != ',' && next != '}' && next != ']' && next != ' ')
			return (-1);
	}
	f->pos += n;
	if (word[0] == 't')
		*value = json_object_new_boolean(1);
	else if (word[0] == 'f')
		*value = json_object_new_boolean(0);
	else
		*value = NULL;
	return (0);
}

/*
 * Step past what follows a member or an element: 0 past the closing
 * bracket, 1 past a comma, -1 at anything else.
 */
static int
jsonfast_after(struct jsonfast *f, char close)
{
	jsonfast_skip(f);
	if (f->pos >= f->length)
		return (-1);
	if (f->text[f->pos] == close) {
		f->pos++;
		return (0);
	}
	if (f->text[f->pos] != ',')
		return (-1);
	f->pos++;
	return (1);
}

/* Read an object's members from after its brace; no key twice. */
static int
jsonfast_members(struct jsonfast *f, int depth, struct json_object *object)
{
	struct json_object	*member;
	size_t			 start, length;
	char			 key[JSONFAST_KEY_MAX + 1];
	int			 rc;

	for (;;) {
		jsonfast_skip(f);
		if (f->pos >= f->length || f->text[f->pos] != '"' ||
		    jsonfast_string(f, &start, &length) != 0 ||
		    length > JSONFAST_KEY_MAX)
			return (-1);
		memcpy(key, f->text + start, length);
		key[length] = '\0';
		if (json_object_object_get_ex(object, key, NULL))
			return (-1);
		jsonfast_skip(f);
		if (f->pos >= f->length || f->text[f->pos] != ':')
			return (-1);
		f->pos++;
		if (jsonfast_value(f, depth, &member) != 0)
			return (-1);
		if (json_object_object_add_ex(object, key, member,
		    JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
			json_object_put(member);
			return (-1);
		}
		if ((rc = jsonfast_after(f, '}')) != 1)
			return (rc);
	}
}

/* Read an array's elements from after its bracket. */
static int
jsonfast_elements(struct jsonfast *f, int depth, struct json_object *array)
{
	struct json_object	*element;
	int			 rc;

	for (;;) {
		if (jsonfast_value(f, depth, &element) != 0)
			return (-1);
		if (json_object_array_add(array, element) != 0) {
			json_object_put(element);
			return (-1);
		}
		if ((rc = jsonfast_after(f, ']')) != 1)
			return (rc);
	}
}

/* Read an object or an array from its opening brace or bracket. */
static int
jsonfast_container(struct jsonfast *f, int depth, struct json_object **value)
{
	int	 object = f->text[f->pos] == '{', rc;

	if (depth <= 0)
		return (-1);
	*value = object ? json_object_new_object() : json_object_new_array();
	f->pos++;
	jsonfast_skip(f);
	if (f->pos < f->length && f->text[f->pos] == (object ? '}' : ']')) {
		f->pos++;
		return (0);
	}
	if (object)
		rc = jsonfast_members(f, depth - 1, *value);
	else
		rc = jsonfast_elements(f, depth - 1, *value);
	if (rc != 0) {
		json_object_put(*value);
		*value = NULL;
	}
	return (rc);
}

/* Read one value after optional spaces. */
static int
jsonfast_value(struct jsonfast *f, int depth, struct json_object **value)
{
	size_t	 start, length;

	*value = NULL;
	jsonfast_skip(f);
	if (f->pos >= f->length)
		return (-1);
	switch (f->text[f->pos]) {
	case '{':
	case '[':
		return (jsonfast_container(f, depth, value));
	case '"':
		if (jsonfast_string(f, &start, &length) != 0)
			return (-1);
		*value = json_object_new_string_len(f->text + start,
		    (int)length);
		return (0);
	case 't':
		return (jsonfast_literal(f, "true", 4, value));
	case 'f':
		return (jsonfast_literal(f, "false", 5, value));
	case 'n':
		return (jsonfast_literal(f, "null", 4, value));
	default:
		return (jsonfast_integer(f, value));
	}
}

/*
 * Read a line holding one object or array (spaces, tabs and CRs around
 * it) when it is plain JSON of the kind above: 0 with the value, the
 * same as json-c's strict tokener makes of it; -1, with nothing, when
 * the line is anything else.
 */
int
jsonfast_parse(const char *line, size_t length, struct json_object **value)
{
	struct jsonfast	 f = { line, length, 0 };

	*value = NULL;
	while (f.pos < length && (line[f.pos] == ' ' || line[f.pos] == '\t' ||
	    line[f.pos] == '\r'))
		f.pos++;
	if (f.pos >= length || (line[f.pos] != '{' && line[f.pos] != '['))
		return (-1);
	if (jsonfast_container(&f, JSONFAST_DEPTH, value) != 0)
		return (-1);
	while (f.pos < length && (line[f.pos] == ' ' || line[f.pos] == '\t' ||
	    line[f.pos] == '\r'))
		f.pos++;
	if (f.pos != length) {
		json_object_put(*value);
		*value = NULL;
		return (-1);
	}
	return (0);
}

/* Step past word at the cursor; -1 if it is not there. */
static int
jsonfast_word(struct jsonfast *f, const char *word, size_t n)
{
	if (f->length - f->pos < n || memcmp(f->text + f->pos, word, n) != 0)
		return (-1);
	f->pos += n;
	return (0);
}

/* Read an id as daemons write one: 1 to 18 digits, no leading zero. */
static int
jsonfast_id(struct jsonfast *f, uint64_t *id)
{
	size_t	 start = f->pos;

	*id = 0;
	while (f->pos < f->length && f->text[f->pos] >= '0' &&
	    f->text[f->pos] <= '9')
		*id = *id * 10 + (uint64_t)(f->text[f->pos++] - '0');
	if (f->pos == start || f->pos - start > JSONFAST_DIGITS_MAX ||
	    (f->text[start] == '0' && f->pos - start > 1))
		return (-1);
	return (0);
}

/*
 * Read, at *pos, a reply as a daemon's server writes one for a result,
 * {"jsonrpc":"2.0","result":R,"id":N}, R plain: 0 with N and R, the
 * cursor after the reply; -1, with nothing, for anything else. A line
 * of such replies means to json-c what it means here.
 */
int
jsonfast_reply(const char *text, size_t length, size_t *pos, uint64_t *id,
    struct json_object **result)
{
	static const char	 head[] = "{\"jsonrpc\":\"2.0\",\"result\":";
	struct jsonfast		 f = { text, length, *pos };

	*result = NULL;
	if (jsonfast_word(&f, head, sizeof head - 1) != 0 ||
	    jsonfast_value(&f, JSONFAST_DEPTH, result) != 0)
		return (-1);
	if (jsonfast_word(&f, ",\"id\":", 6) != 0 || jsonfast_id(&f, id) != 0 ||
	    jsonfast_word(&f, "}", 1) != 0) {
		json_object_put(*result);
		*result = NULL;
		return (-1);
	}
	*pos = f.pos;
	return (0);
}

/*
 * Read, at *pos, a request as a daemon's client writes one,
 * {"jsonrpc":"2.0","method":"M","params":{...},"id":N} with plain
 * params: 0 with the span of M's bytes, the params and N, the cursor
 * after the request; -1, with nothing, for anything else. What json-c
 * and rpc_request_parse() make of such a request is the same.
 */
int
jsonfast_request(const char *text, size_t length, size_t *pos,
    size_t *method, size_t *method_length, struct json_object **params,
    uint64_t *id)
{
	static const char	 head[] = "{\"jsonrpc\":\"2.0\",\"method\":";
	struct jsonfast		 f = { text, length, *pos };

	*params = NULL;
	if (jsonfast_word(&f, head, sizeof head - 1) != 0 ||
	    f.pos >= length || f.text[f.pos] != '"' ||
	    jsonfast_string(&f, method, method_length) != 0 ||
	    jsonfast_word(&f, ",\"params\":{", 11) != 0)
		return (-1);
	f.pos--;
	if (jsonfast_container(&f, JSONFAST_DEPTH, params) != 0)
		return (-1);
	if (jsonfast_word(&f, ",\"id\":", 6) != 0 || jsonfast_id(&f, id) != 0 ||
	    jsonfast_word(&f, "}", 1) != 0) {
		json_object_put(*params);
		*params = NULL;
		return (-1);
	}
	*pos = f.pos;
	return (0);
}

/* Start a text, on the stack while it is short. */
void
jsonfast_text_init(struct jsonfast_text *text)
{
	text->data = text->stack;
	text->length = 0;
	text->size = sizeof text->stack;
}

/* Add bytes to a text. */
void
jsonfast_text_add(struct jsonfast_text *text, const char *bytes,
    size_t length)
{
	size_t	 size = text->size;

	if (length > text->size - text->length) {
		while (length > size - text->length)
			size *= 2;
		if (text->data == text->stack) {
			text->data = xmalloc(size);
			memcpy(text->data, text->stack, text->length);
		} else
			text->data = xrealloc(text->data, size);
		text->size = size;
	}
	memcpy(text->data + text->length, bytes, length);
	text->length += length;
}

/* Let go of a text's memory. */
void
jsonfast_text_free(struct jsonfast_text *text)
{
	if (text->data != text->stack)
		free(text->data);
	jsonfast_text_init(text);
}

/* Move a text to the end of a buffer; the text is done with. */
void
jsonfast_text_send(struct jsonfast_text *text, struct evbuffer *out)
{
	evbuffer_add(out, text->data, text->length);
	jsonfast_text_free(text);
}

/* Return 1 if a string needs no escapes in JSON, as json-c writes it. */
static int
jsonfast_plain_string(const char *s, size_t length)
{
	size_t	 i;

	for (i = 0; i < length; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"' || s[i] == '\\')
			return (0);
	}
	return (1);
}

/* Add an integer in decimal, as json-c writes one. */
void
jsonfast_text_int(struct jsonfast_text *text, int64_t v)
{
	char		 digits[24];
	size_t		 i = sizeof digits;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		digits[--i] = '-';
	jsonfast_text_add(text, digits + i, sizeof digits - i);
}

/* Add a string as rpc_serialize() writes it, as it is if it can be. */
void
jsonfast_text_string(struct jsonfast_text *text, const char *s,
    size_t length)
{
	struct json_object	*string;
	const char		*serialized;
	size_t			 size;

	if (jsonfast_plain_string(s, length)) {
		jsonfast_text_add(text, "\"", 1);
		jsonfast_text_add(text, s, length);
		jsonfast_text_add(text, "\"", 1);
		return;
	}
	string = json_object_new_string_len(s, (int)length);
	serialized = rpc_serialize(string, &size);
	jsonfast_text_add(text, serialized, size);
	json_object_put(string);
}

/*
 * Add a value as rpc_serialize() would write it: objects, arrays,
 * integers, strings and literals here, without json-c's print buffers;
 * values json-c writes from data of their own (numbers kept as they
 * were read, fractions) by rpc_serialize().
 */
void
jsonfast_text_value(struct jsonfast_text *text, struct json_object *value)
{
	const char	*serialized;
	size_t		 length;
	int		 first = 1;

	if (json_object_get_userdata(value) != NULL)
		goto other;
	switch (json_object_get_type(value)) {
	case json_type_null:
		jsonfast_text_add(text, "null", 4);
		return;
	case json_type_boolean:
		if (json_object_get_boolean(value))
			jsonfast_text_add(text, "true", 4);
		else
			jsonfast_text_add(text, "false", 5);
		return;
	case json_type_int:
		/* INT64_MAX may stand for a larger unsigned one. */
		if (json_object_get_int64(value) == INT64_MAX)
			goto other;
		jsonfast_text_int(text, json_object_get_int64(value));
		return;
	case json_type_string:
		jsonfast_text_string(text, json_object_get_string(value),
		    (size_t)json_object_get_string_len(value));
		return;
	case json_type_object:
		jsonfast_text_add(text, "{", 1);
		json_object_object_foreach(value, key, member) {
			if (!first)
				jsonfast_text_add(text, ",", 1);
			first = 0;
			jsonfast_text_string(text, key, strlen(key));
			jsonfast_text_add(text, ":", 1);
			jsonfast_text_value(text, member);
		}
		jsonfast_text_add(text, "}", 1);
		return;
	case json_type_array:
		jsonfast_text_add(text, "[", 1);
		for (length = 0; length < json_object_array_length(value);
		    length++) {
			if (length > 0)
				jsonfast_text_add(text, ",", 1);
			jsonfast_text_value(text,
			    json_object_array_get_idx(value, length));
		}
		jsonfast_text_add(text, "]", 1);
		return;
	default:
		break;
	}
other:
	serialized = rpc_serialize(value, &length);
	jsonfast_text_add(text, serialized, length);
}

/* Write a value to out as rpc_serialize() would write it. */
void
jsonfast_write(struct evbuffer *out, struct json_object *value)
{
	struct jsonfast_text	 text;

	jsonfast_text_init(&text);
	jsonfast_text_value(&text, value);
	jsonfast_text_send(&text, out);
}
