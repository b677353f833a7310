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
 * Tests for common/valueruns.c: runs of values are written as a slave
 * writes a round's results for its master, and written out again as the
 * master does, the list they came from given back; runs not of the form,
 * or too long for a reply, are refused and write nothing. And the
 * digits-only count of common/jsonspan.c that the runs' counts are read
 * with.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "jsonspan.h"
#include "valueruns.h"
#include "xmalloc.h"

#define VR_ELEMENTS_MAX		8
#define VR_BIG_VALUE		(100 * 1024)	/* bytes */

Suite	*suite_valueruns(void);

/*
 * A list's elements as text (up to a NULL) and the runs they must be
 * written as.
 */
struct vr_case {
	const char	*elements[VR_ELEMENTS_MAX];
	const char	*runs;
};

/* A list of every shape a round's results take. */
static const struct vr_case vr_cases[] = {
	/* Nothing at all. */
	{ { NULL }, "" },
	/* All null: one run. */
	{ { "null", "null", "null", "null", NULL }, "4,null" },
	/* Null and a value in turn: no run longer than one. */
	{ { "1", "null", "1", "null", "1", NULL },
	  "1,1,1,null,1,1,1,null,1,1" },
	/* A long run, then values all different. */
	{ { "0", "0", "0", "0", "0", "17", "-2", "\"x\"" },
	  "5,0,1,17,1,-2,1,\"x\"" },
	/* Objects of the same length but not the same text. */
	{ { "{\"a\":1}", "{\"b\":1}", "{\"b\":1}", "{\"a\":1}", NULL },
	  "1,{\"a\":1},2,{\"b\":1},1,{\"a\":1}" },
	/* Strings likewise, and an empty one. */
	{ { "\"ab\"", "\"ba\"", "\"ba\"", "\"\"", "\"\"", NULL },
	  "1,\"ab\",2,\"ba\",2,\"\"" },
	/* A value longer than the first one kept, a short one after. */
	{ { "1", "[\"a longer value than the run's first, past 64 bytes "
	    "of text\"]", "[\"a longer value than the run's first, past 64 "
	    "bytes of text\"]", "2", NULL },
	  "1,1,2,[\"a longer value than the run's first, past 64 bytes of "
	  "text\"],1,2" },
};

/* Return a buffer's text, NUL-terminated (the caller frees it). */
static char *
vr_text(struct evbuffer *buffer)
{
	size_t	 length = evbuffer_get_length(buffer);
	char	*text;

	ck_assert_ptr_nonnull(text = malloc(length + 1));
	evbuffer_copyout(buffer, text, length);
	text[length] = '\0';
	return (text);
}

/* Return "[TEXT]" (the caller frees it). */
static char *
vr_bracket(const char *text)
{
	size_t	 length = strlen(text);
	char	*list;

	ck_assert_ptr_nonnull(list = malloc(length + 3));
	list[0] = '[';
	memcpy(list + 1, text, length);
	memcpy(list + 1 + length, "]", 2);
	return (list);
}

/* Return a slave's reply with runs as its result_runs (caller frees it). */
static char *
vr_reply(const char *runs)
{
	static const char	 head[] = "{\"agents\":3,\"result_runs\":";
	static const char	 tail[] = ",\"errors\":[]}";
	size_t			 length = strlen(runs);
	char			*reply;

	ck_assert_ptr_nonnull(reply = malloc(sizeof head + length +
	    sizeof tail));
	memcpy(reply, head, sizeof head - 1);
	memcpy(reply + sizeof head - 1, runs, length);
	memcpy(reply + sizeof head - 1 + length, tail, sizeof tail);
	return (reply);
}

/*
 * Write a case's elements as runs, its nulls with valueruns_add_null() if
 * nulls_counted, as a round does; the runs' text (the caller frees it).
 */
static char *
vr_write_runs(const struct vr_case *c, int nulls_counted)
{
	struct valueruns	 runs;
	struct evbuffer		*out = evbuffer_new();
	const char		*element;
	char			*text;
	size_t			 i;

	valueruns_init(&runs, out);
	for (i = 0; i < VR_ELEMENTS_MAX && c->elements[i] != NULL; i++) {
		element = c->elements[i];
		if (nulls_counted && strcmp(element, "null") == 0)
			valueruns_add_null(&runs);
		else
			valueruns_add(&runs, element, strlen(element));
	}
	ck_assert_int_eq(valueruns_finish(&runs), 0);
	text = vr_text(out);
	evbuffer_free(out);
	return (text);
}

/* Return a case's list as written by hand, "[E,E,...]". */
static char *
vr_list_by_hand(const struct vr_case *c)
{
	struct evbuffer	*out = evbuffer_new();
	char		*text;
	size_t		 i;

	evbuffer_add(out, "[", 1);
	for (i = 0; i < VR_ELEMENTS_MAX && c->elements[i] != NULL; i++)
		evbuffer_add_printf(out, "%s%s", i > 0 ? "," : "",
		    c->elements[i]);
	evbuffer_add(out, "]", 1);
	text = vr_text(out);
	evbuffer_free(out);
	return (text);
}

/*
 * Write runs text out into a fresh list, as the master does; the list's
 * text (the caller frees it). Fails if the runs are refused.
 */
static char *
vr_expand_list(const char *runs, size_t length)
{
	struct evbuffer	*out = evbuffer_new();
	const char	*why;
	char		*text;
	int		 written = 0;

	evbuffer_add(out, "[", 1);
	ck_assert_msg(valueruns_expand(out, runs, length, UINT64_MAX,
	    &written, &why) == 0, "%s refused: %s", runs, why);
	evbuffer_add(out, "]", 1);
	text = vr_text(out);
	evbuffer_free(out);
	return (text);
}

/*
 * The elements are written as the runs expected, their nulls added as
 * text or only counted.
 */
START_TEST(test_add)
{
	const struct vr_case	*c = &vr_cases[_i / 2];
	char			*runs;

	runs = vr_write_runs(c, _i % 2);
	ck_assert_str_eq(runs, c->runs);
	free(runs);
}
END_TEST

/*
 * Many of a value at once: one run up to a count's largest, 2^32 - 1,
 * then a run of the rest; nulls counted before it come first.
 */
START_TEST(test_add_many)
{
	struct valueruns	 runs;
	struct evbuffer		*out = evbuffer_new();
	char			*text;

	valueruns_init(&runs, out);
	valueruns_add_null(&runs);
	valueruns_add_null(&runs);
	valueruns_add_many(&runs, "7", 1, UINT32_MAX + 5ULL);
	valueruns_add_many(&runs, "7", 1, 0);
	valueruns_add_null(&runs);
	ck_assert_int_eq(valueruns_finish(&runs), 0);
	text = vr_text(out);
	ck_assert_str_eq(text, "2,null,4294967295,7,5,7,1,null");
	free(text);
	evbuffer_free(out);
}
END_TEST

/*
 * Written and written out again, the runs give back the list, after the
 * check the runs would have had as part of a slave's reply.
 */
START_TEST(test_round_trip)
{
	const struct vr_case	*c = &vr_cases[_i];
	char			*runs, *array, *reply, *list, *want;
	size_t			 start, end;

	runs = vr_write_runs(c, 1);
	array = vr_bracket(runs);
	reply = vr_reply(array);
	ck_assert(jsonspan_valid(reply, strlen(reply), JSONSPAN_MAX_DEPTH));
	ck_assert_int_eq(jsonspan_find(reply, strlen(reply), "result_runs",
	    &start, &end), 0);
	list = vr_expand_list(reply + start, end - start);
	want = vr_list_by_hand(c);
	ck_assert_str_eq(list, want);
	free(want);
	free(list);
	free(reply);
	free(array);
	free(runs);
}
END_TEST

/*
 * Two slaves' runs written out into one list: the first's with no comma
 * before it, the second's after one comma; runs of nothing write nothing
 * and leave *written as it was.
 */
START_TEST(test_expand_joined)
{
	static const char	 first[] = "[2,\"a\",1,{\"b\":[1,2]}]";
	static const char	 second[] = "[3,null]";
	struct evbuffer		*out = evbuffer_new();
	const char		*why;
	char			*text;
	int			 written = 0;

	ck_assert_int_eq(valueruns_expand(out, "[]", 2, 100, &written,
	    &why), 0);
	ck_assert_int_eq(written, 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	ck_assert_int_eq(valueruns_expand(out, first, sizeof first - 1, 100,
	    &written, &why), 0);
	ck_assert_int_eq(written, 1);
	ck_assert_int_eq(valueruns_expand(out, " [ ] ", 5, 100, &written,
	    &why), 0);
	ck_assert_int_eq(valueruns_expand(out, second, sizeof second - 1,
	    100, &written, &why), 0);
	ck_assert_int_eq(written, 1);
	text = vr_text(out);
	ck_assert_str_eq(text, "\"a\",\"a\",{\"b\":[1,2]},null,null,null");
	free(text);
	evbuffer_free(out);
}
END_TEST

/* The counts runs are written out with, and the values repeated. */
static const struct {
	uint64_t	 count;
	const char	*value;
} vr_counts[] = {
	{ 1, "null" }, { 7, "null" }, { 7, "{\"k\":\"v\"}" },
	/* More than a 64 KiB chunk of the buffer is filled at a time. */
	{ 70000, "null" }, { 70000, "123456789" },
};

/*
 * Fail unless text holds count copies of value as list elements, each
 * after a comma when comma is set.
 */
static void
vr_assert_copies(const char *text, size_t length, uint64_t count,
    const char *value, int comma)
{
	size_t		 unit = strlen(value), i;
	char		*expected, *p;

	ck_assert_uint_eq(length, count * (unit + 1) - (comma ? 0 : 1));
	/* One comparison with copies made by hand: one assertion a copy
	 * outlived the case's time under the sanitizers. */
	p = expected = xmalloc(count * (unit + 1) + 1);
	for (i = 0; i < count; i++) {
		if (comma || i > 0)
			*p++ = ',';
		memcpy(p, value, unit);
		p += unit;
	}
	ck_assert_msg(memcmp(text, expected, length) == 0,
	    "%llu copies of %s are not what was written",
	    (unsigned long long)count, value);
	free(expected);
}

/*
 * A run of COUNT is written out as COUNT copies, whether it comes first
 * in the list or after elements already written.
 */
START_TEST(test_expand_counts)
{
	struct evbuffer	*out;
	const char	*why;
	char		*runs, *text;
	size_t		 length;
	int		 comma, written;

	runs = NULL;
	ck_assert_int_ne(asprintf(&runs, "[%llu,%s]",
	    (unsigned long long)vr_counts[_i].count, vr_counts[_i].value), -1);
	for (comma = 0; comma <= 1; comma++) {
		out = evbuffer_new();
		written = comma;
		ck_assert_int_eq(valueruns_expand(out, runs, strlen(runs),
		    UINT64_MAX, &written, &why), 0);
		ck_assert_int_eq(written, 1);
		length = evbuffer_get_length(out);
		text = (char *)evbuffer_pullup(out, -1);
		vr_assert_copies(text, length, vr_counts[_i].count,
		    vr_counts[_i].value, comma);
		evbuffer_free(out);
	}
	free(runs);
}
END_TEST

/* A value larger than a chunk, three times: each copy whole. */
START_TEST(test_expand_large_value)
{
	struct evbuffer	*out = evbuffer_new();
	const char	*why;
	char		*value, *runs;
	int		 written = 0;

	ck_assert_ptr_nonnull(value = malloc(VR_BIG_VALUE + 1));
	memset(value, 'v', VR_BIG_VALUE);
	value[0] = '"';
	value[VR_BIG_VALUE - 1] = '"';
	value[VR_BIG_VALUE / 2] = 'w';
	value[VR_BIG_VALUE] = '\0';
	ck_assert_int_ne(asprintf(&runs, "[3,%s]", value), -1);
	ck_assert(jsonspan_valid(runs, strlen(runs), JSONSPAN_MAX_DEPTH));
	ck_assert_int_eq(valueruns_expand(out, runs, strlen(runs),
	    UINT64_MAX, &written, &why), 0);
	vr_assert_copies((const char *)evbuffer_pullup(out, -1),
	    evbuffer_get_length(out), 3, value, 0);
	free(runs);
	free(value);
	evbuffer_free(out);
}
END_TEST

/* Runs not of the form, and why each must be refused. */
static const char *const vr_refused[] = {
	"{\"1\":null}",			/* not an array */
	"3",				/* not an array */
	"[1,null",			/* not an array: cut short */
	"[0,null]",			/* count 0 */
	"[4294967296,null]",		/* count 2^32 */
	"[18446744073709551616,null]",	/* beyond 64 bits */
	"[-1,null]",			/* negative */
	"[1.5,null]",			/* not whole */
	"[1e3,null]",			/* an exponent */
	"[1E3,null]",
	"[\"2\",null]",			/* a string */
	"[null,null]",			/* no number */
	"[[2],null]",			/* an array */
	"[1,null,2]",			/* a count without its value */
	"[3]",
	"[2,1,1,2,3]",
};

/*
 * Runs not of the form are refused with a reason, writing nothing and
 * leaving *written as it was.
 */
START_TEST(test_expand_refused)
{
	const char	*text = vr_refused[_i], *why = NULL;
	struct evbuffer	*out = evbuffer_new();
	int		 was, written;

	for (was = 0; was <= 1; was++) {
		evbuffer_add(out, "[", 1);
		written = was;
		ck_assert_int_eq(valueruns_expand(out, text, strlen(text),
		    UINT64_MAX, &written, &why), -1);
		ck_assert_msg(why != NULL && *why != '\0', "%s: no reason",
		    text);
		ck_assert_int_eq(written, was);
		ck_assert_uint_eq(evbuffer_get_length(out), 1);
		evbuffer_drain(out, 1);
	}
	evbuffer_free(out);
}
END_TEST

/*
 * Runs that would write more than most bytes are refused, writing
 * nothing; those that write exactly most are not. A count as large as
 * a count may be is measured, not written.
 */
START_TEST(test_expand_most)
{
	/* 17 bytes written out after a comma. */
	static const char	 runs[] = "[3,\"ab\",1,7]";
	static const char	 huge[] = "[4294967295,null]";
	struct evbuffer		*out = evbuffer_new();
	const char		*why;
	char			*text;
	int			 written = 1;

	ck_assert_int_eq(valueruns_expand(out, runs, sizeof runs - 1, 16,
	    &written, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	ck_assert_int_eq(valueruns_expand(out, huge, sizeof huge - 1,
	    1024 * 1024, &written, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	ck_assert_int_eq(valueruns_expand(out, runs, sizeof runs - 1, 17,
	    &written, &why), 0);
	text = vr_text(out);
	ck_assert_str_eq(text, ",\"ab\",\"ab\",\"ab\",7");
	free(text);
	evbuffer_free(out);
}
END_TEST

/* Digits-only counts: read where they are, bounded, nothing else. */
START_TEST(test_count)
{
	static const char	 text[] = "[007,4294967295,4294967296,"
	    "18446744073709551615,99999999999999999999,-1,1.5,1e3,\"1\",0]";
	static const struct {
		size_t		 start, end;
		uint64_t	 most;
		int		 rc;
		uint64_t	 value;
	} counts[] = {
		{ 1, 4, UINT32_MAX, 0, 7 },		/* 007 */
		{ 5, 15, UINT32_MAX, 0, UINT32_MAX },	/* 4294967295 */
		{ 16, 26, UINT32_MAX, -1, 0 },		/* 4294967296 */
		{ 16, 26, UINT64_MAX, 0, 4294967296ULL },
		{ 27, 47, UINT64_MAX, -1, 0 },		/* 20 digits */
		{ 27, 46, UINT64_MAX, 0, 1844674407370955161ULL },
		{ 48, 68, UINT64_MAX, -1, 0 },		/* 20 nines */
		{ 69, 71, UINT64_MAX, -1, 0 },		/* -1 */
		{ 72, 75, UINT64_MAX, -1, 0 },		/* 1.5 */
		{ 76, 79, UINT64_MAX, -1, 0 },		/* 1e3 */
		{ 80, 83, UINT64_MAX, -1, 0 },		/* "1" */
		{ 84, 85, UINT64_MAX, 0, 0 },		/* 0 */
		{ 84, 84, UINT64_MAX, -1, 0 },		/* nothing */
		{ 1, 3, 7, 0, 0 },			/* 00 */
		{ 2, 4, 6, -1, 0 },			/* 07 over 6 */
	};
	uint64_t		 value;
	size_t			 i;

	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		value = 12345;
		ck_assert_msg(jsonspan_count(text, counts[i].start,
		    counts[i].end, counts[i].most, &value) == counts[i].rc,
		    "count %zu (%.*s)", i, (int)(counts[i].end -
		    counts[i].start), text + counts[i].start);
		ck_assert_uint_eq(value, counts[i].rc == 0 ? counts[i].value :
		    12345);
	}
}
END_TEST

/* Collect the runs' tests. */
Suite *
suite_valueruns(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("valueruns");
	tc = tcase_create("valueruns");
	/* Lists of 70,000 elements: slow under the sanitizers on a busy CI. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_add, 0,
	    2 * (sizeof vr_cases / sizeof vr_cases[0]));
	tcase_add_test(tc, test_add_many);
	tcase_add_loop_test(tc, test_round_trip, 0,
	    sizeof vr_cases / sizeof vr_cases[0]);
	tcase_add_test(tc, test_expand_joined);
	tcase_add_loop_test(tc, test_expand_counts, 0,
	    sizeof vr_counts / sizeof vr_counts[0]);
	tcase_add_test(tc, test_expand_large_value);
	tcase_add_loop_test(tc, test_expand_refused, 0,
	    sizeof vr_refused / sizeof vr_refused[0]);
	tcase_add_test(tc, test_expand_most);
	tcase_add_test(tc, test_count);
	suite_add_tcase(suite, tc);
	return (suite);
}
