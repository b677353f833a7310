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
 * Tests for common/jsonspan.c: what it calls valid is what the JSON-RPC
 * codec (json-c, checked) parses, results are found where they are, and
 * a batch is walked element by element.
 */

#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "jsonrpc.h"
#include "jsonspan.h"

Suite	*suite_jsonspan(void);

/* Texts both the scanner and the codec must take. */
static const char *const valid_texts[] = {
	"0", "-0", "1.5e10", "-12.25E-3", "1E+2", "true", "false", "null",
	"\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\"", "\"\xc3\xa9\"",
	"\"\xe2\x82\xac\xf0\x9f\x98\x80\"", "[]", "{}", " [ 1 , 2 ] ",
	"{\"a\":{\"b\":[1,{\"c\":null}]}}", "[[[[[[[[[[]]]]]]]]]]",
	"\t{\"k\" : \"v\" }\r",
};

/* Texts both must refuse. */
static const char *const invalid_texts[] = {
	"", " ", "01", "1.", ".5", "-", "+1", "1e", "1e+", "tru", "nul",
	"True", "NaN", "Infinity", "\"abc", "\"\\x\"", "\"\\u12\"",
	"\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"",
	"\"\xe2\x82\"", "[1,]", "[,1]", "[1 2]", "{\"a\"}",
	"{\"a\":}", "{\"a\":1,}", "{a:1}", "{1:1}", "[", "]", "{", "}",
	"[1]]", "1 2", "[] []", "'a'", "[1,2", "{\"a\":1",
};

/*
 * Texts the scanner refuses though json-c takes them (RFC 8259 has no raw
 * control characters in strings): the server lets the codec judge what
 * the scanner refuses, so these still get the codec's answer.
 */
static const char *const stricter_texts[] = {
	"\"a\x01\"", "[\"\x1f\"]",
};

/* A text is valid to the codec: it parses to a value or null. */
static int
codec_valid(const char *text)
{
	struct json_object	*value = NULL, *error = NULL;
	int			 rc;

	rc = rpc_parse_line(text, strlen(text), &value, &error);
	json_object_put(value);
	json_object_put(error);
	return (rc == 0);
}

START_TEST(test_valid)
{
	const char	*text = valid_texts[_i];

	ck_assert_msg(jsonspan_valid(text, strlen(text), JSONSPAN_MAX_DEPTH),
	    "refused: %s", text);
	ck_assert_msg(codec_valid(text), "the codec refused: %s", text);
}
END_TEST

START_TEST(test_invalid)
{
	const char	*text = invalid_texts[_i];

	ck_assert_msg(!jsonspan_valid(text, strlen(text), JSONSPAN_MAX_DEPTH),
	    "took: %s", text);
	ck_assert_msg(!codec_valid(text), "the codec took: %s", text);
}
END_TEST

START_TEST(test_stricter)
{
	const char	*text = stricter_texts[_i];

	ck_assert_msg(!jsonspan_valid(text, strlen(text), JSONSPAN_MAX_DEPTH),
	    "took: %s", text);
}
END_TEST

/* Nesting beyond the depth given is refused, and no deeper. */
START_TEST(test_depth)
{
	char	 text[2 * 70 + 1];
	int	 n;

	for (n = 1; n < 70; n++) {
		memset(text, '[', n);
		memset(text + n, ']', n);
		ck_assert_int_eq(jsonspan_valid(text, 2 * n, 64), n <= 64);
	}
}
END_TEST

/* A text with a NUL inside is not valid, wherever the NUL is. */
START_TEST(test_nul)
{
	static const char	 text[] = "[\"a\0b\", 1]";

	ck_assert(!jsonspan_valid(text, sizeof text - 1, 8));
	ck_assert(!jsonspan_valid("[1]\0", 4, 8));
}
END_TEST

/* What may come inside a long string, and whether the string is valid. */
static const struct {
	const char	*piece;
	size_t		 length;
	int		 valid;
} string_pieces[] = {
	{ "b", 1, 1 }, { "\x7f", 1, 1 }, { " ", 1, 1 }, { "\\n", 2, 1 },
	{ "\\u00e9", 6, 1 }, { "\xc3\xa9", 2, 1 },
	{ "\xf0\x9f\x98\x80", 4, 1 }, { "\x01", 1, 0 }, { "\x1f", 1, 0 },
	{ "\0", 1, 0 }, { "\"", 1, 0 }, { "\\x", 2, 0 }, { "\\", 1, 0 },
	{ "\xc3", 1, 0 }, { "\xed\xa0\x80", 3, 0 }, { "\xc0\xaf", 2, 0 },
	{ "\x80", 1, 0 },
};

/*
 * Long strings are checked 8 bytes at a time: a character that needs a
 * look is found wherever it falls in those 8, and the string's end too.
 */
START_TEST(test_long_strings)
{
	const char	*piece = string_pieces[_i].piece;
	size_t		 length = string_pieces[_i].length, before, after, n;
	char		 text[64];

	for (before = 0; before < 20; before++) {
		for (after = 0; after < 12; after++) {
			n = 0;
			text[n++] = '"';
			memset(text + n, 'a', before);
			n += before;
			memcpy(text + n, piece, length);
			n += length;
			memset(text + n, 'a', after);
			n += after;
			text[n++] = '"';
			ck_assert_msg(jsonspan_valid(text, n, 1) ==
			    string_pieces[_i].valid, "piece %d after %zu "
			    "bytes, %zu after it", _i, before, after);
			/* Its closing quote taken away, none is valid. */
			ck_assert_msg(!string_pieces[_i].valid ||
			    !jsonspan_valid(text, n - 1, 1),
			    "took a string with no end: piece %d", _i);
		}
	}
}
END_TEST

/* Elements repeated in long arrays, and what may come between them. */
static const char *const copy_elements[] = {
	"null", "0", "-1.5", "true", "\"ab\"", "\"abcdefghijklmnopq\"",
	"[0]", "{\"a\":[null]}", "[]",
};
static const char *const copy_separators[] = { ",", ", ", ",\n\t" };

/*
 * An array of one element repeated is passed over a run of copies at a
 * time: the scanner takes it whole, and agrees with the codec on it with
 * any one byte changed, wherever the change falls in the run.
 */
START_TEST(test_copies)
{
	static const char	 changes[] = "x,][\"}";
	const char		*element = copy_elements[_i];
	char			 text[1024], saved;
	size_t			 n, k, length, at, c;
	int			 scanner, codec;

	for (k = 0; k < sizeof copy_separators / sizeof copy_separators[0];
	    k++) {
		for (n = 1; n <= 24; n++) {
			length = 0;
			text[length++] = '[';
			for (c = 0; c < n; c++) {
				if (c > 0) {
					strcpy(text + length,
					    copy_separators[k]);
					length += strlen(copy_separators[k]);
				}
				strcpy(text + length, element);
				length += strlen(element);
			}
			text[length++] = ']';
			text[length] = '\0';
			ck_assert_msg(jsonspan_valid(text, length, 8),
			    "refused: %s", text);
			/* Changes in a run of 16 copies and more. */
			if (n != 19)
				continue;
			for (at = 1; at < length; at++) {
				saved = text[at];
				for (c = 0; c < sizeof changes - 1; c++) {
					if (changes[c] == saved)
						continue;
					text[at] = changes[c];
					scanner = jsonspan_valid(text, length,
					    8);
					codec = codec_valid(text);
					ck_assert_msg(scanner == codec,
					    "scanner %d, codec %d: %s",
					    scanner, codec, text);
				}
				text[at] = saved;
			}
		}
	}
}
END_TEST

/* Objects in which jsonspan_find() looks for "results" and "id". */
static const char *const find_texts[] = {
	"{\"results\":[null,null],\"id\":1}",
	"{}",
	" { \"id\" : 7 , \"results\" : [ 1 , { \"a\" : \"]}\" } ] } ",
	"{\"x\":\"a\\\"]}\\\\\",\"results\":\"[\",\"y\":{\"results\":2}}",
	"{\"results\":{\"results\":[[[]]],\"k\":\"\\u005d\"},\"id\":-1.5e3}",
	"{\"results\":1,\"results\":[true,false],\"id\":null}",
	"{\"resultsx\":[],\"result\":0,\"id\":\"\xc3\xa9]\\\\\"}",
	"{\"a\":[\"xxxxxxxx]xxxxxxxx\",\"xxxxxxx\\\"xxxxxxx]\"],\"id\":true}",
};

/*
 * In valid text, jsonspan_find() finds what jsonspan_member() finds,
 * brackets and quotes inside strings and nested members notwithstanding.
 */
START_TEST(test_find)
{
	static const char *const names[] = { "results", "id", "result" };
	const char	*text = find_texts[_i];
	size_t		 length = strlen(text), i, start, end, s, e;
	int		 rc;

	ck_assert(jsonspan_valid(text, length, JSONSPAN_MAX_DEPTH));
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		start = end = s = e = 0;
		rc = jsonspan_member(text, length, names[i], &start, &end);
		ck_assert_int_eq(jsonspan_find(text, length, names[i], &s, &e),
		    rc);
		ck_assert_msg(rc != 0 || (s == start && e == end),
		    "%s in %s: %zu..%zu, not %zu..%zu", names[i], text, s, e,
		    start, end);
	}
}
END_TEST

/* The result of a reply is found as written; errors have none. */
START_TEST(test_result)
{
	static const char	 reply[] =
	    "{\"jsonrpc\":\"2.0\",\"result\": [\"a\",{\"result\":1}] ,\"id\":7}";
	static const char	 error[] = "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":-32000,\"message\":\"x\"},\"id\":7}";
	size_t			 start, end;

	ck_assert_int_eq(jsonspan_result(reply, sizeof reply - 1, &start,
	    &end), 0);
	ck_assert_int_eq(end - start, strlen("[\"a\",{\"result\":1}]"));
	ck_assert(memcmp(reply + start, "[\"a\",{\"result\":1}]",
	    end - start) == 0);
	ck_assert_int_eq(jsonspan_result(error, sizeof error - 1, &start,
	    &end), -1);
	/* The last of two members is the one a parser keeps. */
	ck_assert_int_eq(jsonspan_result("{\"result\":1,\"result\":22}", 24,
	    &start, &end), 0);
	ck_assert_int_eq(end - start, 2);
	/* Not an object, trailing junk, a truncated line. */
	ck_assert_int_eq(jsonspan_result("[1]", 3, &start, &end), -1);
	ck_assert_int_eq(jsonspan_result("{\"result\":1} x", 14, &start,
	    &end), -1);
	ck_assert_int_eq(jsonspan_result("{\"result\":[1,2", 14, &start,
	    &end), -1);
	ck_assert_int_eq(jsonspan_result("{\"resul\":1}", 11, &start, &end),
	    -1);
	ck_assert_int_eq(jsonspan_result("{\"results\":1}", 13, &start,
	    &end), -1);
	ck_assert_int_eq(jsonspan_result("{}", 2, &start, &end), -1);
}
END_TEST

/* A batch is walked element by element, spans exact. */
START_TEST(test_next)
{
	static const char	 text[] = " [ {\"a\":[1,2]} ,\"s,]\",3 ] ";
	static const char *const want[] = { "{\"a\":[1,2]}", "\"s,]\"", "3" };
	size_t			 pos = 0, start, end, n = 0;
	int			 rc;

	while ((rc = jsonspan_next(text, sizeof text - 1, &pos, &start,
	    &end)) == 1) {
		ck_assert_uint_lt(n, 3);
		ck_assert_int_eq(end - start, strlen(want[n]));
		ck_assert(memcmp(text + start, want[n], end - start) == 0);
		n++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(n, 3);
	pos = 0;
	ck_assert_int_eq(jsonspan_next("[]", 2, &pos, &start, &end), 0);
	pos = 0;
	ck_assert_int_eq(jsonspan_next("{}", 2, &pos, &start, &end), -1);
}
END_TEST

/* Members are found together; a missing one has an empty span. */
START_TEST(test_members)
{
	static const char	 reply[] = "{\"result\":[1],\"id\":12}";
	static const char *const names[] = { "id", "result", "error" };
	size_t			 starts[3], ends[3];

	ck_assert_int_eq(jsonspan_members(reply, sizeof reply - 1, names, 3,
	    starts, ends), 0);
	ck_assert(memcmp(reply + starts[0], "12", ends[0] - starts[0]) == 0);
	ck_assert(memcmp(reply + starts[1], "[1]", ends[1] - starts[1]) == 0);
	ck_assert_uint_eq(ends[2], 0);
	ck_assert_int_eq(jsonspan_members("{}", 2, names, 3, starts, ends),
	    0);
	ck_assert_uint_eq(ends[0], 0);
	ck_assert_int_eq(jsonspan_members("{\"id\":1", 7, names, 3, starts,
	    ends), -1);
}
END_TEST

/*
 * Arrays are joined as text: elements in order, commas only between
 * them, empty arrays and whitespace leaving no trace; what is no array
 * is refused and writes nothing.
 */
START_TEST(test_splice)
{
	static const char *const parts[] = {
	    "[ ]", "[\"a\", {\"b\":[1,2]}]", " [ ] ", "[ 3 ,4 ]", "[]"
	};
	struct evbuffer		*out = evbuffer_new();
	char			 text[64];
	size_t			 i, length;
	int			 written = 0;

	evbuffer_add(out, "[", 1);
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		length = strlen(parts[i]);
		while (parts[i][length - 1] == ' ')
			length--;
		ck_assert_int_eq(jsonspan_splice(out, parts[i],
		    parts[i][0] == ' ' ? 1 : 0, length, &written), 0);
	}
	evbuffer_add(out, "]", 1);
	length = evbuffer_get_length(out);
	ck_assert_uint_lt(length, sizeof text);
	evbuffer_copyout(out, text, length);
	text[length] = '\0';
	ck_assert_str_eq(text, "[\"a\", {\"b\":[1,2]},3 ,4]");
	ck_assert_int_eq(jsonspan_splice(out, "{\"a\":1}", 0, 7, &written),
	    -1);
	ck_assert_uint_eq(evbuffer_get_length(out), length);
	evbuffer_free(out);
}
END_TEST

/* Collect the scanner's tests. */
Suite *
suite_jsonspan(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("jsonspan");
	tc = tcase_create("jsonspan");
	tcase_add_loop_test(tc, test_valid, 0,
	    sizeof valid_texts / sizeof valid_texts[0]);
	tcase_add_loop_test(tc, test_invalid, 0,
	    sizeof invalid_texts / sizeof invalid_texts[0]);
	tcase_add_loop_test(tc, test_stricter, 0,
	    sizeof stricter_texts / sizeof stricter_texts[0]);
	tcase_add_loop_test(tc, test_long_strings, 0,
	    sizeof string_pieces / sizeof string_pieces[0]);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_result);
	tcase_add_test(tc, test_next);
	tcase_add_test(tc, test_members);
	tcase_add_loop_test(tc, test_find, 0,
	    sizeof find_texts / sizeof find_texts[0]);
	tcase_add_test(tc, test_splice);
	suite_add_tcase(suite, tc);

	/* A json-c parse per changed byte: long under the sanitizers. */
	tc = tcase_create("copies");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_copies, 0,
	    sizeof copy_elements / sizeof copy_elements[0]);
	suite_add_tcase(suite, tc);
	return (suite);
}
