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
 * Tests for common/idruns.c: lists of runs read as a slave writes them
 * and every other form refused with its reason, the runs left as they
 * were; the addresses written out equal to lists made here by hand, the
 * same however many go out a call, valid JSON whatever the prefix holds,
 * and counted, in agents and in bytes as a reply will take them.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <json-c/json.h>

#include "idruns.h"

#define IDRUNS_TEST_MOST	UINT64_MAX	/* no cap on the bytes */

Suite	*suite_idruns(void);

/*
 * Lists read one after the other (the second NULL if one) and the
 * addresses they stand for, as the elements of a JSON array: with
 * how many addresses, runs and prefixes there are.
 */
static const struct idruns_good {
	const char	*lists[2];
	const char	*addresses;
	size_t		 naddresses;
	size_t		 nruns;
	size_t		 nprefixes;
} good_cases[] = {
	{ { "[]", NULL }, "", 0, 0, 0 },
	{ { "[]", "[]" }, "", 0, 0, 0 },
	{ { "[\"a/\",1,3]", NULL }, "\"a/1\",\"a/2\",\"a/3\"", 3, 1, 1 },
	{ { " [ \"a/\" , 5 , 5 ]\t", NULL }, "\"a/5\"", 1, 1, 1 },
	{ { "[\"a/\",1,1,5,6]", NULL }, "\"a/1\",\"a/5\",\"a/6\"", 3, 2, 1 },
	{ { "[\"a/\",8,12]", NULL },
	    "\"a/8\",\"a/9\",\"a/10\",\"a/11\",\"a/12\"", 5, 1, 1 },
	{ { "[\"a/\",99,101]", NULL }, "\"a/99\",\"a/100\",\"a/101\"",
	    3, 1, 1 },
	{ { "[\"a/\",9,10,999,1001]", NULL },
	    "\"a/9\",\"a/10\",\"a/999\",\"a/1000\",\"a/1001\"", 5, 2, 1 },
	{ { "[\"a/\",4294967295,4294967295]", NULL }, "\"a/4294967295\"",
	    1, 1, 1 },
	{ { "[\"a/\",4294967293,4294967295]", NULL },
	    "\"a/4294967293\",\"a/4294967294\",\"a/4294967295\"", 3, 1, 1 },
	{ { "[\"a/\",999999999,1000000000]", NULL },
	    "\"a/999999999\",\"a/1000000000\"", 2, 1, 1 },
	{ { "[\"a/\",1,2,\"bb/\",7,8]", NULL },
	    "\"a/1\",\"a/2\",\"bb/7\",\"bb/8\"", 4, 2, 2 },
	{ { "[\"a/\",1,2]", "[\"b/\",1,1,3,3]" },
	    "\"a/1\",\"a/2\",\"b/1\",\"b/3\"", 4, 3, 2 },
	{ { "[\"a/\",1,2]", "[]" }, "\"a/1\",\"a/2\"", 2, 1, 1 },
	{ { "[]", "[\"b/\",2,3]" }, "\"b/2\",\"b/3\"", 2, 1, 1 },
	{ { "[\"a/\"]", "[\"b/\",\"c/\",4,4]" }, "\"c/4\"", 1, 1, 3 },
	{ { "[\"tcp://127.0.0.1:7101/\",1,2]", NULL },
	    "\"tcp://127.0.0.1:7101/1\",\"tcp://127.0.0.1:7101/2\"", 2, 1, 1 },
	{ { "[\"p\\\"q\\\\/\",1,2]", NULL },
	    "\"p\\\"q\\\\/1\",\"p\\\"q\\\\/2\"", 2, 1, 1 },
	{ { "[\"\\u00e9/\",9,10]", NULL }, "\"\\u00e9/9\",\"\\u00e9/10\"",
	    2, 1, 1 },
	{ { "[\"\xc3\xa9\\n/\",1,1]", NULL }, "\"\xc3\xa9\\n/1\"", 1, 1, 1 },
};

/*
 * A list refused, with its reason, whether runs are empty before it or
 * already hold a list: an id before any prefix is refused in a second
 * list too, though the first had one.
 */
static const struct idruns_bad {
	const char	*list;
	const char	*why;
} bad_cases[] = {
	{ "[1,2]", "an id before any prefix" },
	{ "[1,2,\"a/\",3,4]", "an id before any prefix" },
	{ "[\"a/\",1]", "a run without its last id" },
	{ "[\"a/\",1,2,3]", "a run without its last id" },
	{ "[\"a/\",1,\"b/\",2]", "a run without its last id" },
	{ "[\"a/\",3,2]", "a run whose last id is below its first" },
	{ "[\"a/\",1,2,4294967295,1]",
	    "a run whose last id is below its first" },
	{ "[\"a/\",0,1]", "an element neither a prefix nor an id" },
	{ "[\"a/\",0,0]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1,4294967296]", "an element neither a prefix nor an id" },
	{ "[\"a/\",4294967296,4294967296]",
	    "an element neither a prefix nor an id" },
	{ "[\"a/\",18446744073709551617,1]",
	    "an element neither a prefix nor an id" },
	{ "[\"a/\",-1,2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",-0,2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1.5,2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1.0,2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1e3,1000]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1,1E3]", "an element neither a prefix nor an id" },
	{ "[\"a/\",[1],2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1,2,[]]", "an element neither a prefix nor an id" },
	{ "[\"a/\",{\"a\":1},2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",true,2]", "an element neither a prefix nor an id" },
	{ "[\"a/\",1,false]", "an element neither a prefix nor an id" },
	{ "[\"a/\",null,2]", "an element neither a prefix nor an id" },
	{ "[[\"a/\",1,2]]", "an element neither a prefix nor an id" },
	{ "{\"a/\":1}", "not an array" },
	{ "\"a/\"", "not an array" },
	{ "1", "not an array" },
	{ "[\"a/\",1,2", "not an array" },
	{ "[\"a/\",1,2 3]", "not an array" },
	{ "[\"a/\",1,2,]", "not an array" },
	{ "[\"a/\",1,2][]", "not an array" },
};

/* Read a list into runs, failing unless it is taken. */
static void
idruns_take(struct idruns *runs, const char *list, uint64_t most)
{
	const char	*why;

	ck_assert_msg(idruns_parse(runs, list, strlen(list), most, &why) == 0,
	    "refused %s: %s", list, why != NULL ? why : "(no reason)");
	ck_assert_ptr_null(why);
}

/*
 * Read a list into runs, failing unless it is refused with rc (-1 for
 * a list not of the form, -2 for one too long); the reason.
 */
static const char *
idruns_refuse_as(struct idruns *runs, const char *list, uint64_t most,
    int rc)
{
	const char	*why = NULL;

	ck_assert_msg(idruns_parse(runs, list, strlen(list), most, &why) ==
	    rc, "%s not refused with %d", list, rc);
	ck_assert_msg(why != NULL, "refused %s without a reason", list);
	return (why);
}

/* Read a list not of the form into runs: it is refused; the reason. */
static const char *
idruns_refuse(struct idruns *runs, const char *list, uint64_t most)
{
	return (idruns_refuse_as(runs, list, most, -1));
}

/* Read a list too long into runs: it is refused; the reason. */
static const char *
idruns_refuse_long(struct idruns *runs, const char *list, uint64_t most)
{
	return (idruns_refuse_as(runs, list, most, -2));
}

/*
 * Count the addresses one call wrote (length bytes of text), which must
 * be the elements of a JSON array, a comma before them unless they are
 * the list's first; -1 if they are not.
 */
static long
idruns_count_call(const char *text, size_t length, int first)
{
	struct json_object	*array;
	char			*wrapped;
	long			 n = -1;

	if (!first && length > 0 && text[0] != ',')
		return (-1);
	wrapped = calloc(1, length + 3);
	ck_assert_ptr_nonnull(wrapped);
	wrapped[0] = '[';
	if (first || length == 0)
		memcpy(wrapped + 1, text, length);
	else
		memcpy(wrapped + 1, text + 1, --length);
	wrapped[length + 1] = ']';
	array = json_tokener_parse(wrapped);
	if (json_object_is_type(array, json_type_array))
		n = (long)json_object_array_length(array);
	json_object_put(array);
	free(wrapped);
	return (n);
}

/*
 * Write all the addresses of runs, at most most a call, and return the
 * text (its own copy). Each call must write the next most addresses
 * (fewer, the rest, the last time) as elements of a JSON array, and say
 * whether some are left. The check is made without Check's asserts but
 * on a failure: they take a write each.
 */
static char *
idruns_write_all(const struct idruns *runs, size_t most,
    size_t naddresses)
{
	struct idruns_cursor	 cursor;
	struct evbuffer		*out, *call;
	size_t			 calls = 0, written = 0, length, expected;
	const char		*wrote;
	char			*text;
	long			 n;
	int			 rc;

	memset(&cursor, 0, sizeof cursor);
	out = evbuffer_new();
	call = evbuffer_new();
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(call);
	do {
		rc = idruns_write(call, runs, &cursor, most);
		calls++;
		length = evbuffer_get_length(call);
		wrote = length == 0 ? "" :
		    (const char *)evbuffer_pullup(call, -1);
		n = idruns_count_call(wrote, length, written == 0);
		expected = naddresses - written < most ? naddresses - written :
		    most;
		written += expected;
		if (n != (long)expected || rc != (written < naddresses))
			ck_abort_msg("call %zu with most %zu wrote %ld "
			    "addresses, not %zu, and said %d: %.*s", calls,
			    most, n, expected, rc, (int)(length < 200 ?
			    length : 200), wrote);
		/* Copied, so that each call's spare room is let go. */
		evbuffer_add(out, wrote, length);
		evbuffer_drain(call, length);
	} while (rc == 1);
	length = evbuffer_get_length(out);
	text = calloc(1, length + 1);
	ck_assert_ptr_nonnull(text);
	evbuffer_copyout(out, text, length);
	evbuffer_free(call);
	evbuffer_free(out);
	return (text);
}

/*
 * Fail unless runs' addresses are the text expected, written in one
 * call or many, counted (agents), and counted in bytes as each with its
 * comma: the list written is one byte shorter (no comma before the
 * first).
 */
static void
idruns_expect(const struct idruns *runs, const char *expected,
    size_t naddresses)
{
	static const size_t	 mosts[] = { 1, 2, 7, SIZE_MAX };
	size_t			 i;
	char			*text;

	for (i = 0; i < sizeof mosts / sizeof mosts[0]; i++) {
		text = idruns_write_all(runs, mosts[i], naddresses);
		ck_assert_msg(strcmp(text, expected) == 0, "with most %zu: "
		    "%.200s, expected %.200s", mosts[i], text, expected);
		free(text);
	}
	ck_assert_uint_eq(runs->agents, naddresses);
	ck_assert_uint_eq(runs->bytes, naddresses == 0 ? 0 :
	    strlen(expected) + 1);
}

/* Fail unless runs hold what they held: the counts and the addresses. */
static void
idruns_expect_unchanged(const struct idruns *runs, size_t nruns,
    size_t nprefixes, uint64_t bytes, const char *addresses,
    size_t naddresses)
{
	ck_assert_uint_eq(runs->nruns, nruns);
	ck_assert_uint_eq(runs->nprefixes, nprefixes);
	ck_assert_uint_eq(runs->bytes, bytes);
	idruns_expect(runs, addresses, naddresses);
}

/*
 * Good lists are taken: as many runs and prefixes as they hold, their
 * addresses written as expected, and the addresses valid JSON.
 */
START_TEST(test_parse_good)
{
	const struct idruns_good	*good = &good_cases[_i];
	struct idruns			 runs;
	struct json_object		*array;
	char				*wrapped;
	size_t				 i;

	memset(&runs, 0, sizeof runs);
	for (i = 0; i < 2 && good->lists[i] != NULL; i++)
		idruns_take(&runs, good->lists[i], IDRUNS_TEST_MOST);
	ck_assert_uint_eq(runs.nruns, good->nruns);
	ck_assert_uint_eq(runs.nprefixes, good->nprefixes);
	idruns_expect(&runs, good->addresses, good->naddresses);
	ck_assert_int_ne(asprintf(&wrapped, "[%s]", good->addresses), -1);
	array = json_tokener_parse(wrapped);
	ck_assert_msg(json_object_is_type(array, json_type_array) &&
	    json_object_array_length(array) == good->naddresses,
	    "not %zu addresses: %s", good->naddresses, wrapped);
	json_object_put(array);
	free(wrapped);
	idruns_free(&runs);
	ck_assert_uint_eq(runs.nruns, 0);
	ck_assert_uint_eq(runs.nprefixes, 0);
	ck_assert_uint_eq(runs.bytes, 0);
	ck_assert_uint_eq(runs.agents, 0);
	ck_assert_ptr_null(runs.prefixes);
	ck_assert_ptr_null(runs.runs);
}
END_TEST

/*
 * A bad list is refused with its reason and changes nothing, whether
 * the runs were empty or held a list already.
 */
START_TEST(test_parse_bad)
{
	static const char	 before[] = "[\"z/\",1,2,9,10]";
	static const char	 addresses[] =
	    "\"z/1\",\"z/2\",\"z/9\",\"z/10\"";
	const struct idruns_bad	*bad = &bad_cases[_i];
	struct idruns		 runs;
	uint64_t		 bytes;

	memset(&runs, 0, sizeof runs);
	ck_assert_str_eq(idruns_refuse(&runs, bad->list, IDRUNS_TEST_MOST),
	    bad->why);
	idruns_expect_unchanged(&runs, 0, 0, 0, "", 0);

	idruns_take(&runs, before, IDRUNS_TEST_MOST);
	bytes = runs.bytes;
	ck_assert_str_eq(idruns_refuse(&runs, bad->list, IDRUNS_TEST_MOST),
	    bad->why);
	idruns_expect_unchanged(&runs, 2, 1, bytes, addresses, 4);
	/* And a good list still goes on from there. */
	idruns_take(&runs, "[\"y/\",3,3]", IDRUNS_TEST_MOST);
	idruns_expect(&runs, "\"z/1\",\"z/2\",\"z/9\",\"z/10\",\"y/3\"", 5);
	idruns_free(&runs);
}
END_TEST

/* Make a list of one run with a prefix of n bytes of JSON text. */
static char *
idruns_long_prefix_list(size_t n, const char *fill, uint32_t first,
    uint32_t last, char **prefix)
{
	size_t	 unit = strlen(fill), i;
	char	*list;

	ck_assert_uint_eq(n % unit, 0);
	*prefix = calloc(1, n + 1);
	ck_assert_ptr_nonnull(*prefix);
	for (i = 0; i < n; i += unit)
		memcpy(*prefix + i, fill, unit);
	ck_assert_int_ne(asprintf(&list, "[\"%s\",%u,%u]", *prefix, first,
	    last), -1);
	return (list);
}

/*
 * Append the addresses of ids first to last with a prefix (JSON text)
 * to a buffer, as a list's elements, one snprintf each.
 */
static void
idruns_add_expected(struct evbuffer *expected, const char *prefix,
    uint32_t first, uint32_t last)
{
	char		 address[IDRUNS_PREFIX_MAX + 32];
	uint64_t	 id;

	for (id = first; id <= last; id++) {
		snprintf(address, sizeof address, "%s\"%s%llu\"",
		    evbuffer_get_length(expected) > 0 ? "," : "", prefix,
		    (unsigned long long)id);
		evbuffer_add(expected, address, strlen(address));
	}
}

/* Return the text of a buffer, NUL-terminated, and free the buffer. */
static char *
idruns_text(struct evbuffer *buffer)
{
	size_t	 length = evbuffer_get_length(buffer);
	char	*text;

	text = calloc(1, length + 1);
	ck_assert_ptr_nonnull(text);
	evbuffer_copyout(buffer, text, length);
	evbuffer_free(buffer);
	return (text);
}

/*
 * A prefix of IDRUNS_PREFIX_MAX bytes of JSON text is taken, escapes
 * counted as written, and its longest addresses written whole; one
 * byte more is refused.
 */
START_TEST(test_prefix_longest)
{
	static const char *const fills[] = { "a", "\\u00e9", "\\\"" };
	struct idruns	 runs;
	struct evbuffer	*expected;
	const char	*fill = fills[_i];
	char		*list, *prefix, *text;
	size_t		 n;

	n = IDRUNS_PREFIX_MAX - IDRUNS_PREFIX_MAX % strlen(fill);
	memset(&runs, 0, sizeof runs);
	list = idruns_long_prefix_list(n, fill, 999999998, 1000000001,
	    &prefix);
	idruns_take(&runs, list, IDRUNS_TEST_MOST);
	free(list);
	list = idruns_long_prefix_list(n, fill, 4294967290, 4294967295,
	    &text);
	free(text);
	idruns_take(&runs, list, IDRUNS_TEST_MOST);
	free(list);
	expected = evbuffer_new();
	idruns_add_expected(expected, prefix, 999999998, 1000000001);
	idruns_add_expected(expected, prefix, 4294967290, 4294967295);
	text = idruns_text(expected);
	idruns_expect(&runs, text, 10);
	free(text);
	free(prefix);

	list = idruns_long_prefix_list(n + strlen(fill), fill, 1, 1, &prefix);
	ck_assert_str_eq(idruns_refuse(&runs, list, IDRUNS_TEST_MOST),
	    "a prefix too long");
	ck_assert_uint_eq(runs.nprefixes, 2);
	ck_assert_uint_eq(runs.nruns, 2);
	free(list);
	free(prefix);
	idruns_free(&runs);
}
END_TEST

/*
 * Runs whose addresses would take more bytes than the most given, in
 * one list or counting those read before, are refused and change
 * nothing; as many as the most are taken.
 */
START_TEST(test_bytes_cap)
{
	struct idruns	 runs;

	/* Each ,"a/N" is 6 bytes: 1 to 3 take 18. */
	memset(&runs, 0, sizeof runs);
	ck_assert_str_eq(idruns_refuse_long(&runs, "[\"a/\",1,3]", 17),
	    "runs longer than the most a reply may be");
	idruns_expect_unchanged(&runs, 0, 0, 0, "", 0);
	idruns_take(&runs, "[\"a/\",1,3]", 18);
	ck_assert_uint_eq(runs.bytes, 18);

	/* Then ,"bb/10" is 8: 26 in all. */
	ck_assert_str_eq(idruns_refuse_long(&runs, "[\"bb/\",10,10]", 25),
	    "runs longer than the most a reply may be");
	idruns_expect_unchanged(&runs, 1, 1, 18, "\"a/1\",\"a/2\",\"a/3\"",
	    3);
	/* The cap is met by a later run of a list: all of it goes. */
	ck_assert_str_eq(idruns_refuse_long(&runs, "[\"bb/\",10,10,\"c/\",1,1]",
	    30), "runs longer than the most a reply may be");
	idruns_expect_unchanged(&runs, 1, 1, 18, "\"a/1\",\"a/2\",\"a/3\"",
	    3);
	idruns_take(&runs, "[\"bb/\",10,10]", 26);
	ck_assert_uint_eq(runs.bytes, 26);

	/* Every id there may be, with a prefix: counted, not wrapped. */
	ck_assert_str_eq(idruns_refuse_long(&runs, "[\"tcp://h:1/\",1,4294967295]",
	    16 * 1024 * 1024), "runs longer than the most a reply may be");
	ck_assert_uint_eq(runs.bytes, 26);
	ck_assert_uint_eq(runs.agents, 4);
	idruns_free(&runs);
}
END_TEST

/*
 * The bytes counted for runs across digit counts are the length of the
 * addresses written (plus one: each is counted with a comma).
 */
START_TEST(test_bytes_digits)
{
	static const struct {
		uint32_t	 first;
		uint32_t	 last;
	} spans[] = {
		{ 1, 9 }, { 1, 10 }, { 9, 100 }, { 95, 1005 },
		{ 999990, 1000010 }, { 4294967200U, 4294967295U },
	};
	struct idruns	 runs;
	struct evbuffer	*expected;
	char		*list, *text;
	size_t		 i;

	for (i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		memset(&runs, 0, sizeof runs);
		ck_assert_int_ne(asprintf(&list, "[\"h:1/\",%u,%u]",
		    spans[i].first, spans[i].last), -1);
		idruns_take(&runs, list, IDRUNS_TEST_MOST);
		free(list);
		expected = evbuffer_new();
		idruns_add_expected(expected, "h:1/", spans[i].first,
		    spans[i].last);
		text = idruns_text(expected);
		idruns_expect(&runs, text, spans[i].last - spans[i].first + 1);
		free(text);
		idruns_free(&runs);
	}
}
END_TEST

/*
 * Runs as two slaves would send them, their addresses some 150 KB: more
 * than the writer reserves at a time.
 */
static const struct {
	const char	*prefix;
	uint32_t	 first;
	uint32_t	 last;
} long_runs[] = {
	{ "tcp://127.0.0.1:7101/", 1, 3000 },
	{ "tcp://127.0.0.1:7101/", 3002, 3002 },
	{ "tcp://127.0.0.1:7101/", 99990, 100010 },
	{ "tcp://[::1]:7102/", 1, 3000 },
	{ "tcp://[::1]:7102/", 4294967000U, 4294967295U },
};
static const char *const long_lists[] = {
	"[\"tcp://127.0.0.1:7101/\",1,3000,3002,3002,99990,100010]",
	"[\"tcp://[::1]:7102/\",1,3000,4294967000,4294967295]",
	"[\"tcp://127.0.0.1:7101/\",1,3000,3002,3002,99990,100010,"
	    "\"tcp://[::1]:7102/\",1,3000,4294967000,4294967295]",
};

/* Fail unless runs' addresses are those of long_runs. */
static void
idruns_expect_long(const struct idruns *runs)
{
	struct evbuffer	*expected = evbuffer_new();
	char		*text;
	size_t		 i, n = 0;

	ck_assert_uint_eq(runs->nprefixes, 2);
	ck_assert_uint_eq(runs->nruns, 5);
	for (i = 0; i < sizeof long_runs / sizeof long_runs[0]; i++) {
		idruns_add_expected(expected, long_runs[i].prefix,
		    long_runs[i].first, long_runs[i].last);
		n += long_runs[i].last - long_runs[i].first + 1;
	}
	text = idruns_text(expected);
	idruns_expect(runs, text, n);
	free(text);
}

/*
 * A long list of several prefixes and runs, from two lists or one, is
 * written as the list made here address by address, whether at once
 * (past the writer's reserve of buffer space) or in small calls.
 */
START_TEST(test_write_long)
{
	struct idruns	 runs;

	memset(&runs, 0, sizeof runs);
	idruns_take(&runs, long_lists[0], IDRUNS_TEST_MOST);
	idruns_take(&runs, long_lists[1], IDRUNS_TEST_MOST);
	idruns_expect_long(&runs);
	idruns_free(&runs);
	idruns_take(&runs, long_lists[2], IDRUNS_TEST_MOST);
	idruns_expect_long(&runs);
	idruns_free(&runs);
}
END_TEST

/*
 * Prefixes holding JSON escapes and UTF-8 give addresses that json-c
 * reads back as the prefix's characters and the id.
 */
START_TEST(test_write_escapes)
{
	static const char *const decoded[] = {
		"p\"q\\/1", "p\"q\\/2", "\xc3\xa9/10", "\xc3\xa9/11",
		"t\tu\xe2\x82\xac/3", "/4",
	};
	struct idruns		 runs;
	struct json_object	*array;
	struct evbuffer		*out;
	struct idruns_cursor	 cursor;
	char			*text;
	size_t			 i;

	memset(&runs, 0, sizeof runs);
	idruns_take(&runs, "[\"p\\\"q\\\\/\",1,2,\"\\u00e9/\",10,11]",
	    IDRUNS_TEST_MOST);
	idruns_take(&runs, "[\"t\\tu\xe2\x82\xac/\",3,3,\"\\/\",4,4]",
	    IDRUNS_TEST_MOST);
	out = evbuffer_new();
	evbuffer_add(out, "[", 1);
	memset(&cursor, 0, sizeof cursor);
	ck_assert_int_eq(idruns_write(out, &runs, &cursor, SIZE_MAX), 0);
	evbuffer_add(out, "]", 1);
	ck_assert_uint_eq(evbuffer_get_length(out), runs.bytes + 1);
	text = idruns_text(out);
	array = json_tokener_parse(text);
	ck_assert_msg(json_object_is_type(array, json_type_array), "not "
	    "JSON: %s", text);
	ck_assert_uint_eq(json_object_array_length(array),
	    sizeof decoded / sizeof decoded[0]);
	for (i = 0; i < sizeof decoded / sizeof decoded[0]; i++)
		ck_assert_str_eq(json_object_get_string(
		    json_object_array_get_idx(array, i)), decoded[i]);
	json_object_put(array);
	free(text);
	idruns_free(&runs);
}
END_TEST

/*
 * A cursor at the end writes nothing more and says so; no runs at all
 * write nothing.
 */
START_TEST(test_write_done)
{
	struct idruns		 runs;
	struct idruns_cursor	 cursor;
	struct evbuffer		*out;

	memset(&runs, 0, sizeof runs);
	memset(&cursor, 0, sizeof cursor);
	out = evbuffer_new();
	ck_assert_int_eq(idruns_write(out, &runs, &cursor, 5), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	idruns_take(&runs, "[\"a/\",1,2]", IDRUNS_TEST_MOST);
	ck_assert_int_eq(idruns_write(out, &runs, &cursor, 5), 0);
	ck_assert_int_eq(idruns_write(out, &runs, &cursor, 5), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), runs.bytes - 1);
	/* most 0 writes nothing and leaves the rest. */
	memset(&cursor, 0, sizeof cursor);
	ck_assert_int_eq(idruns_write(out, &runs, &cursor, 0), 1);
	ck_assert_uint_eq(evbuffer_get_length(out), runs.bytes - 1);
	evbuffer_free(out);
	idruns_free(&runs);
}
END_TEST

/* The idruns tests. */
Suite *
suite_idruns(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("idruns");
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0,
	    sizeof good_cases / sizeof good_cases[0]);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof bad_cases / sizeof bad_cases[0]);
	tcase_add_loop_test(tc, test_prefix_longest, 0, 3);
	tcase_add_test(tc, test_bytes_cap);
	tcase_add_test(tc, test_bytes_digits);
	suite_add_tcase(suite, tc);

	/* Some 6,000 addresses, a json-c parse per call of one. */
	tc = tcase_create("write");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_write_long);
	tcase_add_test(tc, test_write_escapes);
	tcase_add_test(tc, test_write_done);
	suite_add_tcase(suite, tc);
	return (suite);
}
