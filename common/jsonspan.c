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
#include <string.h>

#include <event2/buffer.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jsonspan.h"

/*
 * A scanner of JSON text (RFC 8259) that allocates nothing: a master
 * checks a slave's reply and cuts its result out as text, and the server
 * walks a batch one request at a time, without building the whole of
 * either as objects.
 */

static int	jsonspan_container(const char *, size_t, size_t *, int);

/* Skip the whitespace JSON allows. */
static size_t
jsonspan_skip(const char *text, size_t length, size_t pos)
{
	while (pos < length && (text[pos] == ' ' || text[pos] == '\t' ||
	    text[pos] == '\n' || text[pos] == '\r'))
		pos++;
	return (pos);
}

/*
 * Check the UTF-8 sequence of more than one byte at *pos: no overlong
 * form, no surrogate, nothing above U+10FFFF. Advance past it.
 */
int
jsonspan_utf8(const char *text, size_t length, size_t *pos)
{
	const unsigned char	*p = (const unsigned char *)text;
	unsigned int		 c = p[*pos], need, min, i;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		min = 0x80;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		min = 0x800;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		min = 0x10000;
		c &= 0x07;
	} else
		return (-1);
	if (length - *pos <= need)
		return (-1);
	for (i = 1; i <= need; i++) {
		if ((p[*pos + i] & 0xc0) != 0x80)
			return (-1);
		c = (c << 6) | (p[*pos + i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (-1);
	*pos += need + 1;
	return (0);
}

/* Return 1 if c is a hexadecimal digit. */
static int
jsonspan_is_hex(char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

/* Bytes of which each of 8 is b. */
#define JSONSPAN_BYTES(b)	(0x0101010101010101ULL * (b))

/*
 * Nonzero if a byte of the 8 in word is below b (b at most 0x80); the
 * lowest byte flagged is the first such byte, those above it may be
 * flagged wrongly.
 */
#define JSONSPAN_BELOW(word, b) \
	(((word) - JSONSPAN_BYTES(b)) & ~(word) & JSONSPAN_BYTES(0x80))

/* What jsonspan_run() passes over. */
enum jsonspan_bytes {
	JSONSPAN_PLAIN,		/* all but what a string checks closely */
	JSONSPAN_QUIET		/* all but quotes, brackets and braces */
};

#ifdef __SSE2__
/*
 * Return how many of the n bytes at p can be passed over, 16 at a time,
 * as jsonspan_run() says; it finishes what is left.
 */
static inline size_t
jsonspan_run16(const unsigned char *p, size_t n, enum jsonspan_bytes which)
{
	const __m128i	 quote = _mm_set1_epi8('"');
	const __m128i	 backslash = _mm_set1_epi8('\\');
	const __m128i	 space = _mm_set1_epi8(' ');
	const __m128i	 lower = _mm_set1_epi8(0x20);
	const __m128i	 open = _mm_set1_epi8('{');
	const __m128i	 close = _mm_set1_epi8('}');
	__m128i		 chunk, hits, folded;
	unsigned int	 flags;
	size_t		 i = 0;

	while (n - i >= 16) {
		chunk = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		hits = _mm_cmpeq_epi8(chunk, quote);
		if (which == JSONSPAN_PLAIN) {
			/* Signed, below ' ' is a control or a byte >= 0x80. */
			hits = _mm_or_si128(hits, _mm_or_si128(
			    _mm_cmpeq_epi8(chunk, backslash),
			    _mm_cmplt_epi8(chunk, space)));
		} else {
			/* '[' and ']' become '{' and '}', and no other byte. */
			folded = _mm_or_si128(chunk, lower);
			hits = _mm_or_si128(hits, _mm_or_si128(
			    _mm_cmpeq_epi8(folded, open),
			    _mm_cmpeq_epi8(folded, close)));
		}
		flags = (unsigned int)_mm_movemask_epi8(hits);
		if (flags != 0)
			return (i + (size_t)__builtin_ctz(flags));
		i += 16;
	}
	return (i);
}
#endif

/*
 * Return how many of the n bytes at p can be passed over, 8 (or 16) at
 * a time: inside a string being checked (JSONSPAN_PLAIN), bytes that
 * are no quote, backslash, control character or byte of a multibyte
 * UTF-8 sequence; inside a value known valid (JSONSPAN_QUIET), bytes
 * that are no quote, bracket or brace. Strings are most of a large
 * reply.
 */
static inline size_t
jsonspan_run(const unsigned char *p, size_t n, enum jsonspan_bytes which)
{
	uint64_t	 word, folded, flags;
	size_t		 i = 0;

#ifdef __SSE2__
	i = jsonspan_run16(p, n, which);
	if (n - i >= 16)
		return (i);
#endif
	while (n - i >= 8) {
		memcpy(&word, p + i, sizeof word);
		flags = JSONSPAN_BELOW(word ^ JSONSPAN_BYTES('"'), 1);
		if (which == JSONSPAN_PLAIN) {
			flags |= JSONSPAN_BELOW(word ^
			    JSONSPAN_BYTES('\\'), 1) |
			    JSONSPAN_BELOW(word, 0x20) |
			    (word & JSONSPAN_BYTES(0x80));
		} else {
			/* '[' and ']' become '{' and '}', and no other byte. */
			folded = word | JSONSPAN_BYTES(0x20);
			flags |= JSONSPAN_BELOW(folded ^
			    JSONSPAN_BYTES('{'), 1) | JSONSPAN_BELOW(folded ^
			    JSONSPAN_BYTES('}'), 1);
		}
		if (flags != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			i += (size_t)__builtin_ctzll(flags) / 8;
#endif
			return (i);
		}
		i += 8;
	}
	return (i);
}

/* Scan a string from its opening quote; advance past the closing one. */
static inline int
jsonspan_string(const char *text, size_t length, size_t *pos)
{
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 i = *pos + 1, k;

	while (i < length) {
		i += jsonspan_run(p + i, length - i, JSONSPAN_PLAIN);
		if (i >= length)
			break;
		if (p[i] == '"') {
			*pos = i + 1;
			return (0);
		}
		if (p[i] < 0x20)
			return (-1);
		if (p[i] == '\\') {
			if (++i >= length)
				return (-1);
			if (p[i] == 'u') {
				if (length - i <= 4)
					return (-1);
				for (k = 1; k <= 4; k++) {
					if (!jsonspan_is_hex(text[i + k]))
						return (-1);
				}
				i += 5;
			} else if (p[i] != '\0' &&
			    strchr("\"\\/bfnrt", p[i]) != NULL)
				i++;
			else
				return (-1);
		} else if (p[i] < 0x80)
			i++;
		else if (jsonspan_utf8(text, length, &i) != 0)
			return (-1);
	}
	return (-1);
}

/* Skip digits; return how many there were. */
static size_t
jsonspan_digits(const char *text, size_t length, size_t *pos)
{
	size_t	 start = *pos;

	while (*pos < length && text[*pos] >= '0' && text[*pos] <= '9')
		(*pos)++;
	return (*pos - start);
}

/* Scan a number as JSON writes one. */
static int
jsonspan_number(const char *text, size_t length, size_t *pos)
{
	size_t	 i = *pos;

	if (i < length && text[i] == '-')
		i++;
	if (i < length && text[i] == '0')
		i++;
	else if (i >= length || text[i] < '1' || text[i] > '9' ||
	    jsonspan_digits(text, length, &i) == 0)
		return (-1);
	if (i < length && text[i] == '.') {
		i++;
		if (jsonspan_digits(text, length, &i) == 0)
			return (-1);
	}
	if (i < length && (text[i] == 'e' || text[i] == 'E')) {
		i++;
		if (i < length && (text[i] == '+' || text[i] == '-'))
			i++;
		if (jsonspan_digits(text, length, &i) == 0)
			return (-1);
	}
	*pos = i;
	return (0);
}

/* Scan a literal: true, false or null. */
static int
jsonspan_literal(const char *text, size_t length, size_t *pos,
    const char *word)
{
	size_t	 n = strlen(word);

	if (length - *pos < n || memcmp(text + *pos, word, n) != 0)
		return (-1);
	*pos += n;
	return (0);
}

/*
 * Scan the string, number or literal at *pos (no whitespace before it):
 * what most elements of a long array are, checked without a call.
 */
static inline int
jsonspan_scalar(const char *text, size_t length, size_t *pos)
{
	switch (text[*pos]) {
	case '"':
		return (jsonspan_string(text, length, pos));
	case 't':
		return (jsonspan_literal(text, length, pos, "true"));
	case 'f':
		return (jsonspan_literal(text, length, pos, "false"));
	case 'n':
		return (jsonspan_literal(text, length, pos, "null"));
	default:
		return (jsonspan_number(text, length, pos));
	}
}

/* Scan one value after optional whitespace; depth containers allowed. */
static int
jsonspan_scan(const char *text, size_t length, size_t *pos, int depth)
{
	size_t	 i = jsonspan_skip(text, length, *pos);
	int	 rc;

	if (i >= length)
		return (-1);
	if (text[i] == '{' || text[i] == '[')
		rc = jsonspan_container(text, length, &i, depth);
	else
		rc = jsonspan_scalar(text, length, &i);
	if (rc == 0)
		*pos = i;
	return (rc);
}

/*
 * In an array, the element at start (its comma and whitespace included)
 * was checked and ends where the next begins, at next. Return where the
 * run of its copies that follows ends: each byte of a run equals the
 * byte one element back, so each whole copy is as valid as the element,
 * and 8 bytes are compared at a time. A round's results, where most
 * agents answer null, are such runs. The run is looked for only when
 * the element looks like the one before it (as long, the same last 8
 * bytes), which most lists of distinct elements are not; *period keeps
 * the last element's length.
 */
static size_t
jsonspan_copies(const char *text, size_t length, size_t start, size_t next,
    size_t *period)
{
	size_t		 p = next - start, k = next;
	uint64_t	 a, b;

	if (p != *period || next < p + 8) {
		*period = p;
		return (next);
	}
	memcpy(&a, text + next - 8, sizeof a);
	memcpy(&b, text + next - 8 - p, sizeof b);
	if (a != b)
		return (next);
	while (length - k >= 8) {
		memcpy(&a, text + k, sizeof a);
		memcpy(&b, text + k - p, sizeof b);
		if (a != b)
			break;
		k += 8;
	}
	while (k < length && text[k] == text[k - p])
		k++;
	return (next + (k - next) / p * p);
}

/* Scan an array or an object from its opening bracket. */
static int
jsonspan_container(const char *text, size_t length, size_t *pos, int depth)
{
	char	 close = text[*pos] == '[' ? ']' : '}';
	size_t	 i, start, period = 0;

	if (depth <= 0)
		return (-1);
	i = jsonspan_skip(text, length, *pos + 1);
	if (i < length && text[i] == close) {
		*pos = i + 1;
		return (0);
	}
	for (;;) {
		if (close == '}') {
			if (i >= length || text[i] != '"' ||
			    jsonspan_string(text, length, &i) != 0)
				return (-1);
			i = jsonspan_skip(text, length, i);
			if (i >= length || text[i] != ':')
				return (-1);
			i++;
		}
		/* After ':' (or, in an array, already) past whitespace. */
		i = jsonspan_skip(text, length, i);
		if (i >= length)
			return (-1);
		start = i;
		if (text[i] == '{' || text[i] == '[') {
			if (jsonspan_container(text, length, &i, depth - 1) != 0)
				return (-1);
		} else if (jsonspan_scalar(text, length, &i) != 0)
			return (-1);
		i = jsonspan_skip(text, length, i);
		if (i >= length)
			return (-1);
		if (text[i] == close) {
			*pos = i + 1;
			return (0);
		}
		if (text[i] != ',')
			return (-1);
		i = jsonspan_skip(text, length, i + 1);
		if (close == ']')
			i = jsonspan_copies(text, length, start, i, &period);
	}
}

/*
 * Check the value at *pos (after optional whitespace) with at most depth
 * nested arrays and objects; on success advance *pos past it.
 */
int
jsonspan_value(const char *text, size_t length, size_t *pos, int depth)
{
	return (jsonspan_scan(text, length, pos, depth));
}

/* Return 1 if text is one JSON value, with whitespace around it only. */
int
jsonspan_valid(const char *text, size_t length, int depth)
{
	size_t	 pos = 0;

	if (jsonspan_scan(text, length, &pos, depth) != 0)
		return (0);
	return (jsonspan_skip(text, length, pos) == length);
}

/* Return 1 if the key text[key, key_end), quotes and all, is name. */
static int
jsonspan_is_key(const char *text, size_t key, size_t key_end,
    const char *name)
{
	return (key_end - key == strlen(name) + 2 &&
	    memcmp(text + key + 1, name, key_end - key - 2) == 0);
}

/*
 * Check that text is one JSON object and find the values of count of its
 * members by name (the last of each, as a parser keeps it); keys are
 * compared as written, escapes and all. Return -1 if the text is not a
 * valid object, else 0 with each member's span, [0, 0) when it has none.
 */
int
jsonspan_members(const char *text, size_t length, const char *const *names,
    size_t count, size_t *starts, size_t *ends)
{
	size_t	 i, n, key, key_end, value;

	for (n = 0; n < count; n++)
		starts[n] = ends[n] = 0;
	i = jsonspan_skip(text, length, 0);
	if (i >= length || text[i] != '{')
		return (-1);
	i = jsonspan_skip(text, length, i + 1);
	if (i < length && text[i] == '}')
		return (jsonspan_skip(text, length, i + 1) == length ? 0 : -1);
	for (;;) {
		key = i;
		if (i >= length || text[i] != '"' ||
		    jsonspan_string(text, length, &i) != 0)
			return (-1);
		key_end = i;
		i = jsonspan_skip(text, length, i);
		if (i >= length || text[i] != ':')
			return (-1);
		value = jsonspan_skip(text, length, i + 1);
		i = value;
		if (jsonspan_scan(text, length, &i, JSONSPAN_MAX_DEPTH - 1) !=
		    0)
			return (-1);
		for (n = 0; n < count; n++) {
			if (jsonspan_is_key(text, key, key_end, names[n])) {
				starts[n] = value;
				ends[n] = i;
			}
		}
		i = jsonspan_skip(text, length, i);
		if (i >= length)
			return (-1);
		if (text[i] == '}')
			break;
		if (text[i] != ',')
			return (-1);
		i = jsonspan_skip(text, length, i + 1);
	}
	return (jsonspan_skip(text, length, i + 1) == length ? 0 : -1);
}

/*
 * Check that text is one JSON object and find the value of its member
 * name. Return 0 with its span, -1 if the text is not a valid object or
 * has no such member.
 */
int
jsonspan_member(const char *text, size_t length, const char *name,
    size_t *start, size_t *end)
{
	if (jsonspan_members(text, length, &name, 1, start, end) != 0 ||
	    *end == 0)
		return (-1);
	return (0);
}

/* Pass over the string at i of known text; return where it ends. */
static size_t
jsonspan_pass_string(const char *text, size_t length, size_t i)
{
	const unsigned char	*p = (const unsigned char *)text;

	for (i++; i < length; i++) {
		i += jsonspan_run(p + i, length - i, JSONSPAN_PLAIN);
		if (i >= length)
			break;
		if (p[i] == '"')
			return (i + 1);
		if (p[i] == '\\')
			i++;
	}
	return (length);
}

/*
 * Pass over the value at i of text known to be valid (checked by the
 * scanner before), without checking it again; return where it ends.
 * On other text it stays within length and its answer means nothing.
 */
static size_t
jsonspan_pass(const char *text, size_t length, size_t i)
{
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 depth = 0;

	if (i >= length)
		return (length);
	if (text[i] == '"')
		return (jsonspan_pass_string(text, length, i));
	if (text[i] != '[' && text[i] != '{') {
		/* A number or a literal runs up to what may follow it. */
		while (i < length && text[i] != ',' && text[i] != ']' &&
		    text[i] != '}' && text[i] != ' ' && text[i] != '\t' &&
		    text[i] != '\n' && text[i] != '\r')
			i++;
		return (i);
	}
	while (i < length) {
		if (text[i] == '"') {
			i = jsonspan_pass_string(text, length, i);
			continue;
		}
		if (text[i] == '[' || text[i] == '{')
			depth++;
		else if ((text[i] == ']' || text[i] == '}') && --depth == 0)
			return (i + 1);
		i++;
		i += jsonspan_run(p + i, length - i, JSONSPAN_QUIET);
	}
	return (length);
}

/*
 * Find the value of the member name of the object that text holds, as
 * jsonspan_member() does, for text known to be valid (checked by the
 * scanner before): its values are passed over, not checked again.
 * Return 0 with its span, -1 if the object has no such member.
 */
int
jsonspan_find(const char *text, size_t length, const char *name,
    size_t *start, size_t *end)
{
	size_t	 i, key, key_end, value;
	int	 found = 0;

	i = jsonspan_skip(text, length, 0);
	if (i >= length || text[i] != '{')
		return (-1);
	i = jsonspan_skip(text, length, i + 1);
	while (i < length && text[i] == '"') {
		key = i;
		key_end = jsonspan_pass_string(text, length, i);
		i = jsonspan_skip(text, length, key_end);
		if (i >= length || text[i] != ':')
			return (-1);
		value = jsonspan_skip(text, length, i + 1);
		i = jsonspan_pass(text, length, value);
		if (jsonspan_is_key(text, key, key_end, name)) {
			*start = value;
			*end = i;
			found = 1;
		}
		i = jsonspan_skip(text, length, i);
		if (i < length && text[i] == ',')
			i = jsonspan_skip(text, length, i + 1);
	}
	return (found ? 0 : -1);
}

/*
 * Check a JSON-RPC reply line and find the span of its result: the text
 * a master splices into its own reply without parsing it. Return -1 if
 * the line is not a valid object or has no result (an error reply).
 */
int
jsonspan_result(const char *line, size_t length, size_t *start, size_t *end)
{
	return (jsonspan_member(line, length, "result", start, end));
}

/*
 * Walk the elements of the array that text holds, checking each: with
 * *pos 0 at first, each call gives the next element's span and returns
 * 1, then 0 at the closing bracket (when only whitespace follows it);
 * -1 if the text is not such an array. A walk to 0 has checked it all.
 */
int
jsonspan_next(const char *text, size_t length, size_t *pos, size_t *start,
    size_t *end)
{
	size_t	 i = jsonspan_skip(text, length, *pos);

	if (i >= length)
		return (-1);
	if (*pos == 0) {
		if (text[i] != '[')
			return (-1);
		i = jsonspan_skip(text, length, i + 1);
		if (i < length && text[i] == ']') {
			*pos = i + 1;
			return (jsonspan_skip(text, length, i + 1) == length ?
			    0 : -1);
		}
	} else if (text[i] == ']')
		return (jsonspan_skip(text, length, i + 1) == length ? 0 : -1);
	else if (text[i] == ',')
		i = jsonspan_skip(text, length, i + 1);
	else
		return (-1);
	*start = i;
	if (jsonspan_scan(text, length, &i, JSONSPAN_MAX_DEPTH - 1) != 0)
		return (-1);
	*end = i;
	*pos = i;
	return (1);
}

/*
 * Find the elements of the array text[start, end) (checked before): the
 * span [*first, *last) between its brackets, whitespace left out. Return
 * -1 if the span is no array.
 */
int
jsonspan_inside(const char *text, size_t start, size_t end, size_t *first,
    size_t *last)
{
	if (end - start < 2 || text[start] != '[' || text[end - 1] != ']')
		return (-1);
	*first = jsonspan_skip(text, end - 1, start + 1);
	*last = end - 1;
	while (*last > *first && (text[*last - 1] == ' ' ||
	    text[*last - 1] == '\t' || text[*last - 1] == '\n' ||
	    text[*last - 1] == '\r'))
		(*last)--;
	return (0);
}

/*
 * Append the elements of the array text[start, end) (checked before) to
 * out, after a comma when *written says elements went out before: a
 * master joins its slaves' result arrays so, as text, between the "["
 * and "]" it writes itself. Return -1, writing nothing, if the span is
 * no array; -1 also if memory ran out.
 */
int
jsonspan_splice(struct evbuffer *out, const char *text, size_t start,
    size_t end, int *written)
{
	size_t	 first, last;

	if (jsonspan_inside(text, start, end, &first, &last) != 0)
		return (-1);
	if (first == last)
		return (0);
	if (*written && evbuffer_add(out, ",", 1) != 0)
		return (-1);
	if (evbuffer_add(out, text + first, last - first) != 0)
		return (-1);
	*written = 1;
	return (0);
}

/*
 * Read the element text[start, end) as a count: digits only (no sign,
 * fraction or exponent), at most most. Return -1 if it is not such.
 */
int
jsonspan_count(const char *text, size_t start, size_t end, uint64_t most,
    uint64_t *value)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (start >= end || end - start > 19)
		return (-1);
	for (i = start; i < end; i++) {
		if (text[i] < '0' || text[i] > '9')
			return (-1);
		n = n * 10 + (uint64_t)(text[i] - '0');
	}
	if (n > most)
		return (-1);
	*value = n;
	return (0);
}
