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
 * The one table of managing functions: the declared combine rules of
 * common/combine.c on answers made up here, and the "methods" listing of
 * a slave and of a master, whose dispatch follows each entry.
 */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "combine.h"
#include "testlib.h"

Suite	*suite_methods(void);

/* Combine answers given as JSON texts (NULL: that peer failed). */
static struct json_object *
cm_combine(int rule, const char *key, int64_t n, const char *const *texts,
    size_t count, int *rc)
{
	struct fanout_reply	 replies[8];
	struct json_object	*result = NULL;
	char			*cause = NULL;
	size_t			 i;

	ck_assert_uint_le(count, 8);
	memset(replies, 0, sizeof replies);
	for (i = 0; i < count; i++) {
		if (texts[i] == NULL)
			replies[i].error = tl_json("{\"code\":-1}");
		else
			replies[i].result = tl_json(texts[i]);
	}
	*rc = combine_replies(rule, key, n, replies, count, &result, &cause);
	ck_assert_msg(*rc == 0 || cause != NULL, "a failure says why");
	free(cause);
	for (i = 0; i < count; i++) {
		json_object_put(replies[i].result);
		json_object_put(replies[i].error);
	}
	return (result);
}

/* Fail unless combining texts by a rule gives expected. */
static void
cm_expect(int rule, const char *key, int64_t n, const char *const *texts,
    size_t count, const char *expected)
{
	struct json_object	*result;
	int			 rc;

	result = cm_combine(rule, key, n, texts, count, &rc);
	ck_assert_msg(rc == 0, "rule %s failed", combine_name(rule));
	tl_assert_json(result, expected);
	json_object_put(result);
}

/* Fail unless combining texts by a rule is refused. */
static void
cm_expect_refused(int rule, const char *key, int64_t n,
    const char *const *texts, size_t count)
{
	struct json_object	*result;
	int			 rc;

	result = cm_combine(rule, key, n, texts, count, &rc);
	ck_assert_msg(rc == -1, "rule %s took %s", combine_name(rule),
	    texts[0]);
	json_object_put(result);
}

START_TEST(test_combine_rules)
{
	const char *const arrays[] = { "[1,2]", NULL, "[3]" };
	const char *const integers[] = { "4", "-2", NULL, "7" };
	const char *const mixed[] = { "1", "0.5" };
	const char *const text[] = { "\"a\"" };
	const char *const firsts[] = { NULL, "{\"a\":1}", "{\"b\":2}" };
	const char *const tops[] = {
		"[{\"s\":3,\"id\":\"a\"},{\"s\":1,\"id\":\"b\"}]",
		"[{\"s\":5,\"id\":\"c\"},{\"s\":3,\"id\":\"d\"}]",
		NULL,
		"[{\"s\":0.5,\"id\":\"e\"}]"
	};
	const char *const no_score[] = { "[{\"id\":\"a\"}]" };

	cm_expect(CR_COMBINE_CONCAT, NULL, 0, arrays, 3, "[1,2,3]");
	cm_expect(CR_COMBINE_NULL, NULL, 0, arrays, 3, "null");
	cm_expect(CR_COMBINE_SUM, NULL, 0, integers, 4, "9");
	cm_expect(CR_COMBINE_SUM, NULL, 0, mixed, 2, "1.5");
	cm_expect_refused(CR_COMBINE_SUM, NULL, 0, text, 1);
	cm_expect(CR_COMBINE_MIN, NULL, 0, integers, 4, "-2");
	cm_expect(CR_COMBINE_MAX, NULL, 0, integers, 4, "7");
	cm_expect(CR_COMBINE_MAX, NULL, 0, mixed, 2, "1");
	cm_expect_refused(CR_COMBINE_MIN, NULL, 0, text, 1);
	cm_expect(CR_COMBINE_FIRST, NULL, 0, firsts, 3, "{\"a\":1}");
	/* Best first; equal scores in the order answered; n caps. */
	cm_expect(CR_COMBINE_TOP, "s", 3, tops, 4, "[{\"s\":5,\"id\":\"c\"},"
	    "{\"s\":3,\"id\":\"a\"},{\"s\":3,\"id\":\"d\"}]");
	cm_expect(CR_COMBINE_TOP, "s", 10, tops, 4, "[{\"s\":5,\"id\":\"c\"},"
	    "{\"s\":3,\"id\":\"a\"},{\"s\":3,\"id\":\"d\"},"
	    "{\"s\":1,\"id\":\"b\"},{\"s\":0.5,\"id\":\"e\"}]");
	cm_expect(CR_COMBINE_TOP, "s", 0, tops, 4, "[]");
	cm_expect_refused(CR_COMBINE_TOP, "s", 1, no_score, 1);
	cm_expect_refused(CR_COMBINE_TOP, "s", 1, integers, 1);
	cm_expect_refused(CR_COMBINE_CUSTOM, NULL, 0, arrays, 1);
}
END_TEST

START_TEST(test_combine_names)
{
	int	 rule;

	for (rule = CR_COMBINE_CUSTOM; rule <= CR_COMBINE_FIRST; rule++)
		ck_assert_int_eq(combine_parse(combine_name(rule)), rule);
	ck_assert_int_eq(combine_parse("median"), -1);
	ck_assert_int_eq(combine_parse(NULL), -1);
}
END_TEST

/* Return the entry of a methods listing with a name (borrowed), or NULL. */
static struct json_object *
cm_entry(struct json_object *listing, const char *name)
{
	size_t	 i;

	for (i = 0; i < json_object_array_length(listing); i++) {
		if (strcmp(tl_string(tl_index(listing, i), "name"), name) == 0)
			return (tl_index(listing, i));
	}
	return (NULL);
}

/* Fail unless the listing's entry for name has a combine rule and role. */
static void
cm_expect_entry(struct json_object *listing, const char *name,
    const char *combine, const char *role)
{
	struct json_object	*entry = cm_entry(listing, name);

	ck_assert_msg(entry != NULL, "%s is not listed", name);
	ck_assert_str_eq(tl_string(entry, "combine"), combine);
	ck_assert_str_eq(tl_string(entry, "role"), role);
	ck_assert_str_eq(tl_string(entry, "owner"), "creamasd");
}

/* Fail unless a listing holds every built-in, sorted, each described. */
static void
cm_check_listing(struct json_object *listing)
{
	struct json_object	*params;
	size_t			 i;

	ck_assert_uint_ge(json_object_array_length(listing), 34);
	for (i = 1; i < json_object_array_length(listing); i++)
		ck_assert_msg(strcmp(tl_string(tl_index(listing, i - 1),
		    "name"), tl_string(tl_index(listing, i), "name")) < 0,
		    "the listing is sorted by name");
	cm_expect_entry(listing, "get_agents", "concat", "any");
	cm_expect_entry(listing, "clear_connections", "null", "any");
	cm_expect_entry(listing, "get_time", "local", "any");
	cm_expect_entry(listing, "methods", "local", "any");
	cm_expect_entry(listing, "spawn_n", "custom", "any");
	cm_expect_entry(listing, "report", "custom", "master");
	cm_expect_entry(listing, "get_cell_values", "custom", "slave");
	params = tl_member(cm_entry(listing, "spawn"), "params");
	tl_assert_json(params, "[{\"name\":\"type\",\"type\":\"string\","
	    "\"required\":true},{\"name\":\"params\",\"type\":\"any\","
	    "\"required\":false}]");
}

START_TEST(test_methods_listing)
{
	struct tl_daemon	*slave, *node;
	struct tl_conn		*conn, *master_conn;
	struct json_object	*listing, *master_listing, *error;

	slave = tl_daemon_start(NULL);
	conn = tl_connect(slave->port);
	listing = tl_ok(conn, "methods", NULL);
	cm_check_listing(listing);
	/* A master's only, on a slave: refused by the same table. */
	error = tl_err(conn, -32601, "report", "{\"data\":1}");
	ck_assert_ptr_nonnull(strstr(tl_string(error, "message"),
	    "master only"));
	json_object_put(error);
	tl_close(conn);
	tl_daemon_stop_clean(slave);

	tl_adopt_orphans();
	node = tl_daemon_start("--role", "master", "--slaves", "2", NULL);
	master_conn = tl_connect(node->port);
	master_listing = tl_ok(master_conn, "methods", NULL);
	ck_assert_msg(json_object_equal(listing, master_listing),
	    "a master lists the table a slave lists");
	/* A slave's only, on a master. */
	error = tl_err(master_conn, -32601, "get_cell_values",
	    "{\"generation\":0,\"agents\":[]}");
	ck_assert_ptr_nonnull(strstr(tl_string(error, "message"),
	    "not served by a master"));
	json_object_put(error);
	/* Concatenated and null-combined entries, fanned out. */
	json_object_put(tl_ok(master_conn, "spawn_n",
	    "{\"type\":\"counter\",\"n\":3}"));
	listing = (json_object_put(listing), tl_ok(master_conn, "get_agents",
	    NULL));
	ck_assert_uint_eq(json_object_array_length(listing), 3);
	tl_expect_result(master_conn, "clear_connections", NULL, "null");
	json_object_put(listing);
	json_object_put(master_listing);
	tl_close(master_conn);
	tl_daemon_stop_clean(node);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
}
END_TEST

/* The suite. */
Suite *
suite_methods(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("methods");
	tc = tcase_create("combine");
	tcase_add_test(tc, test_combine_rules);
	tcase_add_test(tc, test_combine_names);
	suite_add_tcase(suite, tc);
	tc = tcase_create("table");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_methods_listing);
	suite_add_tcase(suite, tc);
	return (suite);
}
