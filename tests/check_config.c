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
 * Tests for common/config.c (the key = value parser and its value
 * parsers) and common/limit.c (the protocol limits and their keys).
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "limit.h"
#include "xmalloc.h"

#define ENTRIES_MAX	32

Suite	*suite_config(void);

/* What the callback saw. */
struct entries {
	size_t	 count;
	char	*keys[ENTRIES_MAX];
	char	*values[ENTRIES_MAX];
};

/* Record one entry; the key "fail" is refused with a cause. */
static int
entries_add(const char *key, const char *value, void *arg, char **cause)
{
	struct entries	*entries = arg;

	ck_assert_uint_lt(entries->count, ENTRIES_MAX);
	entries->keys[entries->count] = xstrdup(key);
	entries->values[entries->count] = xstrdup(value);
	entries->count++;
	if (strcmp(key, "fail") == 0) {
		xasprintf(cause, "refused '%s'", value);
		return (-1);
	}
	return (0);
}

/* Free what the callback recorded. */
static void
entries_free(struct entries *entries)
{
	size_t	 i;

	for (i = 0; i < entries->count; i++) {
		free(entries->keys[i]);
		free(entries->values[i]);
	}
	memset(entries, 0, sizeof *entries);
}

/* Parse a string as a buffer named "test.conf". */
static int
parse_string(const char *text, struct entries *entries, char **cause)
{
	memset(entries, 0, sizeof *entries);
	*cause = NULL;
	return (config_parse_buffer("test.conf", text, strlen(text),
	    entries_add, entries, cause));
}

/* Check one recorded entry. */
static void
check_entry(const struct entries *entries, size_t i, const char *key,
    const char *value)
{
	ck_assert_msg(i < entries->count, "entry %zu missing (%zu seen)", i,
	    entries->count);
	ck_assert_str_eq(entries->keys[i], key);
	ck_assert_str_eq(entries->values[i], value);
}

/* Check keys, values, comments, quotes and blank lines. */
START_TEST(test_buffer_entries)
{
	struct entries	 entries;
	char		*cause;
	const char	*text =
	    "# a comment line\n"
	    "max_line = 1K\n"
	    "\n"
	    "   \t\n"
	    "   key2=value2   \n"
	    "key3 = \"quoted value\"\n"
	    "key4 = \"with # hash\"\n"
	    "key5 = value # trailing comment\n"
	    "key6 = \"\"\n"
	    "key7 =\n"
	    "\tkey8\t=\ttabbed\t\n"
	    "key9 = a = b\n"
	    "    # indented comment with \"quotes\"\n"
	    "key10 = \"  spaced  \"\n"
	    "key11 = last";

	ck_assert_int_eq(parse_string(text, &entries, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_uint_eq(entries.count, 11);
	check_entry(&entries, 0, "max_line", "1K");
	check_entry(&entries, 1, "key2", "value2");
	check_entry(&entries, 2, "key3", "quoted value");
	check_entry(&entries, 3, "key4", "with # hash");
	check_entry(&entries, 4, "key5", "value");
	check_entry(&entries, 5, "key6", "");
	check_entry(&entries, 6, "key7", "");
	check_entry(&entries, 7, "key8", "tabbed");
	check_entry(&entries, 8, "key9", "a = b");
	check_entry(&entries, 9, "key10", "  spaced  ");
	check_entry(&entries, 10, "key11", "last");
	entries_free(&entries);
}
END_TEST

/* Check a comment may follow a quoted value. */
START_TEST(test_buffer_comment_after_quotes)
{
	struct entries	 entries;
	char		*cause;

	ck_assert_msg(parse_string("listen = \"127.0.0.1:7000\" # loopback\n"
	    "log_folder = \"/var/log/creamas # old\"   # where logs go\n",
	    &entries, &cause) == 0, "refused: %s", cause);
	ck_assert_uint_eq(entries.count, 2);
	check_entry(&entries, 0, "listen", "127.0.0.1:7000");
	check_entry(&entries, 1, "log_folder", "/var/log/creamas # old");
	entries_free(&entries);
}
END_TEST

/* Check CRLF line ends and an empty buffer. */
START_TEST(test_buffer_crlf_and_empty)
{
	struct entries	 entries;
	char		*cause;

	ck_assert_int_eq(parse_string("a = 1\r\nb = \"2\"\r\n\r\n", &entries,
	    &cause), 0);
	ck_assert_uint_eq(entries.count, 2);
	check_entry(&entries, 0, "a", "1");
	check_entry(&entries, 1, "b", "2");
	entries_free(&entries);

	ck_assert_int_eq(parse_string("", &entries, &cause), 0);
	ck_assert_uint_eq(entries.count, 0);
	ck_assert_int_eq(parse_string("\n\n# only\n  \n", &entries, &cause),
	    0);
	ck_assert_uint_eq(entries.count, 0);
}
END_TEST

/* Lines that are errors, and the message each must give. */
static const struct {
	const char	*text;
	const char	*cause;
	size_t		 seen;	/* entries handed to the callback */
} bad_buffers[] = {
	{ "a = 1\n\nbogus line\nb = 2\n",
	    "test.conf:3: expected 'key = value'", 1 },
	{ "# c\n = value\n", "test.conf:2: missing key", 0 },
	{ "a = \"open\n", "test.conf:1: a: unterminated quote", 0 },
	{ "a = \"\n", "test.conf:1: a: unterminated quote", 0 },
	{ "x = 1\ny = 2\nfail = because\nz = 3\n",
	    "test.conf:3: fail: refused 'because'", 3 },
	{ "\n\n\n\n\n\n\n\n\n\nfail = \"ten\"",
	    "test.conf:11: fail: refused 'ten'", 1 },
	{ "novalue\n", "test.conf:1: expected 'key = value'", 0 },
};

/* Check each bad buffer fails with file:line and stops there. */
START_TEST(test_buffer_errors)
{
	struct entries	 entries;
	char		*cause;

	ck_assert_int_eq(parse_string(bad_buffers[_i].text, &entries,
	    &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, bad_buffers[_i].cause);
	ck_assert_uint_eq(entries.count, bad_buffers[_i].seen);
	free(cause);
	entries_free(&entries);
}
END_TEST

/* Check a NUL byte in the buffer is refused. */
START_TEST(test_buffer_nul)
{
	struct entries	 entries;
	char		*cause = NULL;
	const char	 text[] = "a = 1\nb = 2\0\nc = 3\n";

	memset(&entries, 0, sizeof entries);
	ck_assert_int_eq(config_parse_buffer("nul.conf", text,
	    sizeof text - 1, entries_add, &entries, &cause), -1);
	ck_assert_str_eq(cause, "nul.conf: contains a NUL byte");
	free(cause);
	entries_free(&entries);
}
END_TEST

/* Check the buffer is not read past its size. */
START_TEST(test_buffer_size)
{
	struct entries	 entries;
	char		*cause = NULL;
	const char	*text = "a = 1\nb = 2\nbroken";

	memset(&entries, 0, sizeof entries);
	ck_assert_int_eq(config_parse_buffer("test.conf", text, 12,
	    entries_add, &entries, &cause), 0);
	ck_assert_uint_eq(entries.count, 2);
	check_entry(&entries, 1, "b", "2");
	entries_free(&entries);
}
END_TEST

/* Set a limit from a configuration entry. */
static int
limits_entry(const char *key, const char *value, void *arg, char **cause)
{
	return (limit_set(arg, key, value, cause));
}

/* Check the error format given in the manual for a bad limit. */
START_TEST(test_buffer_limit_error)
{
	struct limits	 limits;
	char		*cause = NULL;
	const char	*text = "max_inflight = 8\n# sizes\nmax_line = x\n";

	limit_default(&limits);
	ck_assert_int_eq(config_parse_buffer("creamasd.conf", text,
	    strlen(text), limits_entry, &limits, &cause), -1);
	ck_assert_str_eq(cause, "creamasd.conf:3: max_line: invalid size 'x'");
	ck_assert_uint_eq(limits.max_inflight, 8);
	ck_assert_uint_eq(limits.max_line, LIMITS_MAX_LINE);
	free(cause);
}
END_TEST

/* Check a file is read and errors name its path. */
START_TEST(test_file)
{
	struct entries	 entries;
	char		 path[] = "/tmp/check_config.XXXXXX", *cause = NULL;
	const char	*text = "a = 1\n\nb = oops\nbad\n";
	FILE		*file;
	int		 fd;
	char		*expected;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(file = fdopen(fd, "w"));
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), file), strlen(text));
	fclose(file);

	memset(&entries, 0, sizeof entries);
	ck_assert_int_eq(config_parse_file(path, entries_add, &entries,
	    &cause), -1);
	xasprintf(&expected, "%s:4: expected 'key = value'", path);
	ck_assert_str_eq(cause, expected);
	ck_assert_uint_eq(entries.count, 2);
	check_entry(&entries, 1, "b", "oops");
	free(expected);
	free(cause);
	entries_free(&entries);
	unlink(path);

	cause = NULL;
	ck_assert_int_eq(config_parse_file(path, entries_add, &entries,
	    &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
}
END_TEST

/* Sizes that parse, and their values. */
static const struct {
	const char	*text;
	size_t		 value;
} good_sizes[] = {
	{ "1", 1 },
	{ "1023", 1023 },
	{ "1K", 1024 },
	{ "1k", 1024 },
	{ "16M", 16 * 1024 * 1024 },
	{ "2m", 2 * 1024 * 1024 },
	{ "1G", 1024UL * 1024 * 1024 },
	{ "3g", 3UL * 1024 * 1024 * 1024 },
	{ "18446744073709551615", SIZE_MAX },
	{ "17179869183G", SIZE_MAX - (1024UL * 1024 * 1024 - 1) },
	{ "18014398509481983K", SIZE_MAX - 1023 },
};

/* Sizes that must be refused. */
static const char *bad_sizes[] = {
	"", "0", "0K", "00", "K", "M", "-1", "+1", " 1", "1 ", "1KB", "1T",
	"1.5K", "1.5", "x", "0x10", "1K1", "18446744073709551616",
	"17179869184G", "18014398509481984K", "99999999999999999999999",
};

/* Check each good size. */
START_TEST(test_size_good)
{
	size_t	 size = 0;
	char	*cause = NULL;

	ck_assert_msg(config_parse_size(good_sizes[_i].text, &size, &cause)
	    == 0, "'%s' refused: %s", good_sizes[_i].text, cause);
	ck_assert_uint_eq(size, good_sizes[_i].value);
}
END_TEST

/* Check each bad size is refused and leaves the old value. */
START_TEST(test_size_bad)
{
	size_t	 size = 4242;
	char	*cause = NULL;

	ck_assert_msg(config_parse_size(bad_sizes[_i], &size, &cause) == -1,
	    "'%s' accepted as %zu", bad_sizes[_i], size);
	ck_assert_uint_eq(size, 4242);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "invalid size"));
	free(cause);
}
END_TEST

/* Check counts against their bounds. */
START_TEST(test_count)
{
	unsigned long	 count;
	char		*cause = NULL;

	ck_assert_int_eq(config_parse_count("1", 1, 10, &count, &cause), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(config_parse_count("10", 1, 10, &count, &cause), 0);
	ck_assert_uint_eq(count, 10);
	ck_assert_int_eq(config_parse_count("0", 0, 5, &count, &cause), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(config_parse_count("18446744073709551615", 0,
	    ULONG_MAX, &count, &cause), 0);
	ck_assert_uint_eq(count, ULONG_MAX);

	count = 77;
	ck_assert_int_eq(config_parse_count("0", 1, 10, &count, &cause), -1);
	ck_assert_str_eq(cause, "invalid number '0' (1 to 10)");
	free(cause);
	ck_assert_int_eq(config_parse_count("11", 1, 10, &count, &cause), -1);
	ck_assert_str_eq(cause, "invalid number '11' (1 to 10)");
	free(cause);
	ck_assert_uint_eq(count, 77);
}
END_TEST

/* Counts that must be refused whatever the bounds. */
static const char *bad_counts[] = {
	"", "-1", "+1", " 1", "1 ", "1x", "x", "1.0", "1e3", "0x10",
	"18446744073709551616", "99999999999999999999999",
};

/* Check each bad count is refused. */
START_TEST(test_count_bad)
{
	unsigned long	 count = 77;
	char		*cause = NULL;

	ck_assert_msg(config_parse_count(bad_counts[_i], 0, ULONG_MAX,
	    &count, &cause) == -1, "'%s' accepted as %lu", bad_counts[_i],
	    count);
	ck_assert_uint_eq(count, 77);
	ck_assert_ptr_nonnull(cause);
	free(cause);
}
END_TEST

/* Times that parse, and their values. */
static const struct {
	const char	*text;
	double		 value;
} good_seconds[] = {
	{ "0", 0 },
	{ "0.0", 0 },
	{ "0.5", 0.5 },
	{ ".25", 0.25 },
	{ "30", 30 },
	{ "600", 600 },
	{ "1e3", 1000 },
	{ "1000000000", 1e9 },
	{ "0.001", 0.001 },
};

/* Times that must be refused. */
static const char *bad_seconds[] = {
	"", "-1", "-0", "+1", "x", "1s", "1 ", " 1", "inf", "nan", "NaN",
	"infinity", "1e10", "1000000001", "1e999", ".", "1..2", "1,5",
};

/* Check each good time. */
START_TEST(test_seconds_good)
{
	double	 seconds = -1;
	char	*cause = NULL;

	ck_assert_msg(config_parse_seconds(good_seconds[_i].text, &seconds,
	    &cause) == 0, "'%s' refused: %s", good_seconds[_i].text, cause);
	ck_assert_double_eq_tol(seconds, good_seconds[_i].value, 1e-12);
}
END_TEST

/* Check each bad time is refused and leaves the old value. */
START_TEST(test_seconds_bad)
{
	double	 seconds = 42;
	char	*cause = NULL;

	ck_assert_msg(config_parse_seconds(bad_seconds[_i], &seconds,
	    &cause) == -1, "'%s' accepted as %g", bad_seconds[_i], seconds);
	ck_assert_double_eq(seconds, 42);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "invalid time"));
	free(cause);
}
END_TEST

/* Check the defaults are the documented ones. */
START_TEST(test_limit_default)
{
	struct limits	 limits;

	memset(&limits, 0xff, sizeof limits);
	limit_default(&limits);
	ck_assert_uint_eq(limits.max_line, 16 * 1024 * 1024);
	ck_assert_uint_eq(limits.max_output, 16 * 1024 * 1024);
	ck_assert_uint_eq(limits.max_inflight, 1024);
	ck_assert_uint_eq(limits.max_connections, 4096);
	ck_assert_double_eq(limits.idle_timeout, 600);
	ck_assert_double_eq(limits.call_timeout, 30);
}
END_TEST

/* Check every limit can be set from text. */
START_TEST(test_limit_set)
{
	struct limits	 limits;
	char		*cause = NULL;

	limit_default(&limits);
	ck_assert_int_eq(limit_set(&limits, "max_line", "1K", &cause), 0);
	ck_assert_int_eq(limit_set(&limits, "max_output", "2M", &cause), 0);
	ck_assert_int_eq(limit_set(&limits, "max_inflight", "7", &cause), 0);
	ck_assert_int_eq(limit_set(&limits, "max_connections", "1000000",
	    &cause), 0);
	ck_assert_int_eq(limit_set(&limits, "idle_timeout", "0", &cause), 0);
	ck_assert_int_eq(limit_set(&limits, "call_timeout", "2.5", &cause),
	    0);
	ck_assert_ptr_null(cause);
	ck_assert_uint_eq(limits.max_line, 1024);
	ck_assert_uint_eq(limits.max_output, 2 * 1024 * 1024);
	ck_assert_uint_eq(limits.max_inflight, 7);
	ck_assert_uint_eq(limits.max_connections, 1000000);
	ck_assert_double_eq(limits.idle_timeout, 0);
	ck_assert_double_eq(limits.call_timeout, 2.5);
}
END_TEST

/* Bad limit settings. */
static const struct {
	const char	*key;
	const char	*value;
} bad_limits[] = {
	{ "nope", "1" },
	{ "max_lines", "1" },
	{ "MAX_LINE", "1" },
	{ "", "1" },
	{ "max_line", "0" },
	{ "max_line", "1X" },
	{ "max_output", "" },
	{ "max_inflight", "0" },
	{ "max_inflight", "1000001" },
	{ "max_inflight", "-1" },
	{ "max_connections", "0" },
	{ "max_connections", "1000001" },
	{ "idle_timeout", "-1" },
	{ "idle_timeout", "forever" },
	{ "call_timeout", "1e10" },
};

/* Check each bad setting is refused and changes nothing. */
START_TEST(test_limit_set_bad)
{
	struct limits	 limits, before;
	char		*cause = NULL;

	limit_default(&limits);
	before = limits;
	ck_assert_msg(limit_set(&limits, bad_limits[_i].key,
	    bad_limits[_i].value, &cause) == -1, "%s = '%s' accepted",
	    bad_limits[_i].key, bad_limits[_i].value);
	ck_assert_ptr_nonnull(cause);
	ck_assert_int_eq(memcmp(&limits, &before, sizeof limits), 0);
	free(cause);
}
END_TEST

/* Check an unknown limit's cause names it. */
START_TEST(test_limit_unknown_cause)
{
	struct limits	 limits;
	char		*cause = NULL;

	limit_default(&limits);
	ck_assert_int_eq(limit_set(&limits, "round_timeout", "5", &cause), -1);
	ck_assert_str_eq(cause, "unknown limit 'round_timeout'");
	free(cause);
}
END_TEST

/* Check limit_is_key knows exactly the keys limit_set takes. */
START_TEST(test_limit_is_key)
{
	static const char	*keys[] = { "max_line", "max_output",
	    "max_inflight", "max_connections", "idle_timeout",
	    "call_timeout" };
	static const char	*values[] = { "1K", "1K", "1", "1", "1", "1" };
	static const char	*others[] = { "role", "listen", "advertise",
	    "plugin", "log_folder", "round_timeout", "", "max_line ",
	    " max_line", "MAX_LINE", "max_lin", "max_line_", "call" };
	struct limits		 limits;
	char			*cause = NULL;
	size_t			 i;

	limit_default(&limits);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		ck_assert_msg(limit_is_key(keys[i]), "%s not a key", keys[i]);
		ck_assert_int_eq(limit_set(&limits, keys[i], values[i],
		    &cause), 0);
	}
	for (i = 0; i < sizeof others / sizeof others[0]; i++)
		ck_assert_msg(!limit_is_key(others[i]), "'%s' is a key",
		    others[i]);
}
END_TEST

/* Collect the configuration tests. */
Suite *
suite_config(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("config");
	tc = tcase_create("buffer");
	tcase_add_test(tc, test_buffer_entries);
	tcase_add_test(tc, test_buffer_comment_after_quotes);
	tcase_add_test(tc, test_buffer_crlf_and_empty);
	tcase_add_loop_test(tc, test_buffer_errors, 0,
	    sizeof bad_buffers / sizeof bad_buffers[0]);
	tcase_add_test(tc, test_buffer_nul);
	tcase_add_test(tc, test_buffer_size);
	tcase_add_test(tc, test_buffer_limit_error);
	tcase_add_test(tc, test_file);
	suite_add_tcase(suite, tc);

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_size_good, 0,
	    sizeof good_sizes / sizeof good_sizes[0]);
	tcase_add_loop_test(tc, test_size_bad, 0,
	    sizeof bad_sizes / sizeof bad_sizes[0]);
	tcase_add_test(tc, test_count);
	tcase_add_loop_test(tc, test_count_bad, 0,
	    sizeof bad_counts / sizeof bad_counts[0]);
	tcase_add_loop_test(tc, test_seconds_good, 0,
	    sizeof good_seconds / sizeof good_seconds[0]);
	tcase_add_loop_test(tc, test_seconds_bad, 0,
	    sizeof bad_seconds / sizeof bad_seconds[0]);
	suite_add_tcase(suite, tc);

	tc = tcase_create("limit");
	tcase_add_test(tc, test_limit_default);
	tcase_add_test(tc, test_limit_set);
	tcase_add_loop_test(tc, test_limit_set_bad, 0,
	    sizeof bad_limits / sizeof bad_limits[0]);
	tcase_add_test(tc, test_limit_unknown_cause);
	tcase_add_test(tc, test_limit_is_key);
	suite_add_tcase(suite, tc);
	return (suite);
}
