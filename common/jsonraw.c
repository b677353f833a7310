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

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonraw.h"
#include "jsonrpc.h"
#include "xmalloc.h"

/*
 * What json-c loses of a line and how to get it back. json-c clamps an
 * integer beyond 64 bits to INT64_MIN or UINT64_MAX and decodes a lone
 * surrogate escape ("\ud800") as U+FFFD; it cuts an object key at an
 * escaped NUL. A value that may have lost its text is given that text
 * back as its serialisation (json-c's userdata serialiser, which deep
 * copies keep), so an id is echoed exactly and an integer beyond 64 bits
 * can be told from one that is not. The text is found by scanning the
 * line in document order alongside the parsed tree, whose objects keep
 * their members in that order too.
 */

#define JSONRAW_DIGITS_MAX	24	/* longer integers are beyond 64 bits */

/* A cursor over the line; the line need not end in a NUL. */
struct jsonraw_scan {
	const char	*p;
	const char	*end;
	int		 nul_key;	/* a key holds \u0000 */
};

/* One scalar value token of the line. */
struct jsonraw_token {
	const char	*start;
	size_t		 length;
	int		 string;
	int		 integer;	/* a number without . e E */
};

/* Skip a string whose opening quote is at p; note an escaped NUL. */
static const char *
jsonraw_skip_string(const char *p, const char *end, int *nul)
{
	*nul = 0;
	for (p++; p < end && *p != '"'; p++) {
		if (*p != '\\' || ++p >= end)
			continue;
		if (*p == 'u' && end - p >= 5 && memcmp(p + 1, "0000", 4) == 0)
			*nul = 1;
	}
	return (p < end ? p + 1 : end);
}

/* Return the next scalar value token, or 0 at the end of the line. */
static int
jsonraw_next(struct jsonraw_scan *scan, struct jsonraw_token *token)
{
	const char	*p, *start, *after;
	int		 nul;

	for (p = scan->p; p < scan->end; ) {
		start = p;
		if (*p == '"') {
			p = jsonraw_skip_string(p, scan->end, &nul);
			for (after = p; after < scan->end && (*after == ' ' ||
			    *after == '\t' || *after == '\r' ||
			    *after == '\n'); after++)
				;
			if (after < scan->end && *after == ':') {
				scan->nul_key |= nul;
				continue;
			}
			token->string = 1;
			token->integer = 0;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			token->string = 0;
			token->integer = 1;
			for (p++; p < scan->end && (*p == '-' || *p == '+' ||
			    *p == '.' || *p == 'e' || *p == 'E' ||
			    (*p >= '0' && *p <= '9')); p++) {
				if (*p == '.' || *p == 'e' || *p == 'E')
					token->integer = 0;
			}
		} else {
			p++;
			continue;
		}
		token->start = start;
		token->length = p - start;
		scan->p = p;
		return (1);
	}
	scan->p = p;
	return (0);
}

/*
 * Read an integer token as json-c does: 0 if it fits int64 (in *value),
 * 1 if it fits uint64 only, 2 if it is beyond both.
 */
static int
jsonraw_integer(const struct jsonraw_token *token, int64_t *value,
    uint64_t *uvalue)
{
	char	 buffer[JSONRAW_DIGITS_MAX + 1];

	if (token->length > JSONRAW_DIGITS_MAX)
		return (2);
	memcpy(buffer, token->start, token->length);
	buffer[token->length] = '\0';
	errno = 0;
	*value = strtoll(buffer, NULL, 10);
	if (errno == 0)
		return (0);
	if (buffer[0] == '-')
		return (2);
	errno = 0;
	*uvalue = strtoull(buffer, NULL, 10);
	return (errno == 0 ? 1 : 2);
}

/* Give a value its text as it was written. */
static void
jsonraw_keep(struct json_object *value, const struct jsonraw_token *token)
{
	char	*text;

	text = xmalloc(token->length + 1);
	memcpy(text, token->start, token->length);
	text[token->length] = '\0';
	json_object_set_serializer(value, json_object_userdata_to_json_string,
	    text, json_object_free_userdata);
}

/* Return 1 if a parsed integer may be one json-c clamped. */
static int
jsonraw_int_suspect(struct json_object *value)
{
	int64_t	 v = json_object_get_int64(value);

	return (v == INT64_MIN ||
	    (v == INT64_MAX && json_object_get_uint64(value) > INT64_MAX));
}

/* Return 1 if a parsed string may hold a decoded lone surrogate. */
static int
jsonraw_string_suspect(struct json_object *value)
{
	const char	*s = json_object_get_string(value);
	size_t		 length = json_object_get_string_len(value);

	return (memmem(s, length, "\xef\xbf\xbd", 3) != NULL);
}

/* Match an integer with its token; keep the text of one beyond 64 bits. */
static int
jsonraw_match_int(struct json_object *value,
    const struct jsonraw_token *token)
{
	int64_t		 v = 0;
	uint64_t	 u = 0;

	if (!token->integer)
		return (-1);
	if (!jsonraw_int_suspect(value))
		return (0);
	switch (jsonraw_integer(token, &v, &u)) {
	case 0:
		return (v == json_object_get_int64(value) ? 0 : -1);
	case 1:
		return (u == json_object_get_uint64(value) ? 0 : -1);
	}
	if (token->start[0] == '-' ?
	    json_object_get_int64(value) != INT64_MIN :
	    json_object_get_uint64(value) != UINT64_MAX)
		return (-1);
	jsonraw_keep(value, token);
	return (0);
}

/* Parse one JSON string token on its own; NULL if it is none. */
static struct json_object *
jsonraw_decode(const char *text, size_t length)
{
	struct json_tokener	*tokener;
	struct json_object	*value;

	if (length > INT32_MAX || (tokener = json_tokener_new()) == NULL)
		return (NULL);
	value = json_tokener_parse_ex(tokener, text, (int)length);
	json_tokener_free(tokener);
	if (value != NULL && !json_object_is_type(value, json_type_string)) {
		json_object_put(value);
		value = NULL;
	}
	return (value);
}

/* Match a string with its token; keep the text of a lossy one. */
static int
jsonraw_match_string(struct json_object *value,
    const struct jsonraw_token *token)
{
	struct json_object	*decoded;
	int			 same;

	if (!token->string)
		return (-1);
	if (!jsonraw_string_suspect(value) ||
	    memchr(token->start, '\\', token->length) == NULL)
		return (0);
	decoded = jsonraw_decode(token->start, token->length);
	same = decoded != NULL &&
	    json_object_get_string_len(decoded) ==
	    json_object_get_string_len(value) &&
	    memcmp(json_object_get_string(decoded),
	    json_object_get_string(value),
	    json_object_get_string_len(value)) == 0;
	json_object_put(decoded);
	if (!same)
		return (-1);
	jsonraw_keep(value, token);
	return (0);
}

/*
 * Match a scalar value that does not match the next token of the scan in
 * arg (its text given back where json-c lost it), to stop rpc_find().
 */
static int
jsonraw_match_token(struct json_object *value, const char *key, void *arg)
{
	struct jsonraw_scan	*scan = arg;
	struct jsonraw_token	 token;
	const char		*text;

	switch (json_object_get_type(value)) {
	case json_type_int:
		return (!jsonraw_next(scan, &token) ||
		    jsonraw_match_int(value, &token) != 0);
	case json_type_double:
		if (!jsonraw_next(scan, &token) || token.string)
			return (1);
		text = json_object_get_string(value);
		return (strlen(text) != token.length ||
		    memcmp(text, token.start, token.length) != 0);
	case json_type_string:
		return (!jsonraw_next(scan, &token) ||
		    jsonraw_match_string(value, &token) != 0);
	default:
		return (0);
	}
}

/* Match a value that may have lost its text. */
static int
jsonraw_match_suspect(struct json_object *value, const char *key, void *arg)
{
	switch (json_object_get_type(value)) {
	case json_type_int:
		return (jsonraw_int_suspect(value));
	case json_type_string:
		return (jsonraw_string_suspect(value));
	default:
		return (0);
	}
}

/*
 * Give back to the values of a parsed line the text json-c lost, and
 * refuse a key that json-c cut at a NUL. Returns 0, or -1 with why.
 */
int
jsonraw_restore(const char *line, size_t length, struct json_object *value,
    const char **why)
{
	struct jsonraw_scan	 scan = { line, line + length, 0 };
	struct jsonraw_token	 token;
	int			 rc = 0, suspect;

	suspect = rpc_find(value, NULL, jsonraw_match_suspect, NULL,
	    NULL) != NULL;
	if (!suspect && memmem(line, length, "\\u0000", 6) == NULL)
		return (0);
	if (suspect) {
		if (rpc_find(value, NULL, jsonraw_match_token, &scan,
		    NULL) != NULL || jsonraw_next(&scan, &token))
			rc = -1;
	}
	while (jsonraw_next(&scan, &token))
		;
	if (scan.nul_key) {
		*why = "an object key holds a NUL character (\\u0000)";
		return (-1);
	}
	if (rc != 0) {
		*why = "a line with an integer beyond 64 bits or a lone "
		    "surrogate must not repeat an object key";
		return (-1);
	}
	return (0);
}

/* Return 1 if a parsed integer does not fit a signed 64-bit integer. */
int
jsonraw_int_beyond(struct json_object *value)
{
	return (json_object_get_userdata(value) != NULL ||
	    (json_object_get_int64(value) == INT64_MAX &&
	    json_object_get_uint64(value) > INT64_MAX));
}
