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
 * Environment extensions end to end, with the demo extension of
 * tests/plugins/extdemo.c: every combine rule across a master of three
 * slaves holding 1, 2 and 3 agents, a custom combine callback, a slave
 * handler that answers after asking its agents, a handler failing on
 * one slave, the hooks and configuration keys, the agents of a spawn
 * undone going through agent_removed; the plugins refused at
 * load, tests/plugins/refused_*.c (a name taken, an old and a newer
 * ABI); and what creamasd exports to its plugins.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "testlib.h"

Suite	*suite_extensions(void);

/* The scores of the agents spawned on each slave, in order. */
static const int64_t	 ce_scores[3][3] = { { 5 }, { 3, 9 }, { 1, 7, 2 } };

/* A master of three slaves with the demo plugin and its agents. */
struct ce_node {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	struct json_object	*managers;	/* the slaves' /0 */
	char			*removed_log;
};

/* Start the node and spawn slave i's i + 1 scorers, one at a time. */
static struct ce_node *
ce_start(void)
{
	struct ce_node	*node;
	char		*option, *label;
	size_t		 slave, i;

	tl_adopt_orphans();
	node = tl_calloc(1, sizeof *node);
	node->removed_log = tl_path(tl_tempdir(), "removed");
	option = tl_printf("demo.removed_log=%s", node->removed_log);
	label = "demo.label=hello";
	node->daemon = tl_daemon_start("--role", "master", "--slaves", "3",
	    "--plugin", tl_plugin_path("extdemo"), "-o", option, "-o", label,
	    NULL);
	free(option);
	node->conn = tl_connect(node->daemon->port);
	node->managers = tl_ok(node->conn, "get_slave_managers", NULL);
	for (slave = 0; slave < 3; slave++) {
		for (i = 0; i <= slave; i++)
			json_object_put(tl_okf(node->conn, "spawn_n",
			    "{\"type\":\"scorer\",\"n\":1,\"slave\":%zu,"
			    "\"params\":{\"score\":%lld}}", slave,
			    (long long)ce_scores[slave][i]));
	}
	return (node);
}

/* Stop the node by the stop method; every process must be gone. */
static void
ce_stop(struct ce_node *node)
{
	tl_expect_result(node->conn, "stop", NULL, "true");
	tl_close(node->conn);
	tl_daemon_stop_clean(node->daemon);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	json_object_put(node->managers);
	free(node->removed_log);
	free(node);
}

/*
 * The n best {agent, score} of the node, computed apart from the
 * extension: every agent's address from get_agents, its score from the
 * agent itself, sorted here.
 */
static struct json_object *
ce_expected_top(struct tl_conn *conn, size_t n)
{
	struct json_object	*agents, *best, *entry;
	const char		*address[6];
	int64_t			 score[6], swap_score;
	const char		*swap_address;
	size_t			 count, i, j;

	agents = tl_ok(conn, "get_agents", NULL);
	count = json_object_array_length(agents);
	ck_assert_uint_eq(count, 6);
	for (i = 0; i < count; i++) {
		address[i] = json_object_get_string(tl_index(agents, i));
		entry = tl_okf(conn, "agent.get_score", "{\"agent\":\"%s\"}",
		    address[i]);
		score[i] = json_object_get_int64(entry);
		json_object_put(entry);
	}
	/* Insertion sort, best first; equal scores keep slave order. */
	for (i = 1; i < count; i++) {
		for (j = i; j > 0 && score[j] > score[j - 1]; j--) {
			swap_score = score[j];
			score[j] = score[j - 1];
			score[j - 1] = swap_score;
			swap_address = address[j];
			address[j] = address[j - 1];
			address[j - 1] = swap_address;
		}
	}
	best = json_object_new_array();
	for (i = 0; i < n && i < count; i++) {
		entry = json_object_new_object();
		json_object_object_add(entry, "agent",
		    json_object_new_string(address[i]));
		json_object_object_add(entry, "score",
		    json_object_new_int64(score[i]));
		json_object_array_add(best, entry);
	}
	json_object_put(agents);
	return (best);
}

/* The method answers what get_agents does: every agent's address. */
static void
ce_expect_agents(struct ce_node *node, const char *method)
{
	struct json_object	*result, *agents;

	agents = tl_ok(node->conn, "get_agents", NULL);
	result = tl_ok(node->conn, method, NULL);
	ck_assert_msg(json_object_equal(result, agents), "%s: %s", method,
	    tl_json_text(result));
	json_object_put(result);
	json_object_put(agents);
}

START_TEST(test_combine_rules)
{
	struct ce_node		*node = ce_start();
	struct json_object	*result, *expected;

	tl_expect_result(node->conn, "demo_count", NULL, "6");
	tl_expect_result(node->conn, "demo_min", NULL, "1");
	tl_expect_result(node->conn, "demo_max", NULL, "3");
	tl_expect_result(node->conn, "demo_first", NULL, "1");
	tl_expect_result(node->conn, "demo_null", NULL, "null");
	ce_expect_agents(node, "demo_addresses");
	expected = ce_expected_top(node->conn, 4);
	result = tl_ok(node->conn, "demo_top", "{\"n\":4}");
	ck_assert_msg(json_object_equal(result, expected), "top 4: %s, "
	    "expected %s", tl_json_text(result), tl_json_text(expected));
	json_object_put(result);
	json_object_put(expected);
	/* The parameter spec is the extension's, checked by the daemon. */
	json_object_put(tl_err(node->conn, -32602, "demo_top", NULL));
	json_object_put(tl_err(node->conn, -32602, "demo_top",
	    "{\"n\":\"five\"}"));
	ce_stop(node);
}
END_TEST

/*
 * An answer given as text is passed on as the slaves' own, and text that
 * is not one JSON value fails the call on each slave, saying so.
 */
START_TEST(test_reply_text)
{
	struct ce_node		*node = ce_start();
	struct json_object	*error;

	ce_expect_agents(node, "demo_addresses_text");
	tl_expect_result(node->conn, "demo_addresses_text",
	    "{\"text\":\"[1, {\\\"a\\\": 2}]\"}",
	    "[1,{\"a\":2},1,{\"a\":2},1,{\"a\":2}]");
	error = tl_err(node->conn, -32012, "demo_addresses_text",
	    "{\"text\":\"[1, 2\"}");
	ck_assert_msg(strstr(tl_json_text(error), "demo_addresses_text: the "
	    "extension's answer is not one JSON value") != NULL, "%s",
	    tl_json_text(error));
	json_object_put(error);
	error = tl_err(node->conn, -32012, "demo_addresses_text",
	    "{\"text\":\"1 2\"}");
	json_object_put(error);
	ce_stop(node);
}
END_TEST

START_TEST(test_custom_and_async)
{
	struct ce_node		*node = ce_start();
	struct json_object	*result;

	/* The callback sees each slave's answer and the slave's address. */
	result = tl_ok(node->conn, "demo_spread", NULL);
	tl_assert_json(tl_member(result, "counts"), "[1,2,3]");
	ck_assert_msg(json_object_equal(tl_member(result, "slaves"),
	    node->managers), "slaves %s", tl_json_text(result));
	json_object_put(result);
	/* Each slave asks its agents first: 5 + 3 + 9 + 1 + 7 + 2. */
	tl_expect_result(node->conn, "demo_ask", NULL, "27");
	ce_stop(node);
}
END_TEST

START_TEST(test_failing_slave)
{
	struct ce_node		*node = ce_start();
	struct json_object	*error, *data, *failure;
	const char		*second;

	second = json_object_get_string(tl_index(node->managers, 1));
	error = tl_err(node->conn, -32012, "demo_fail_on", "{\"agents\":2}");
	ck_assert_msg(strstr(tl_string(error, "message"), second) != NULL &&
	    strstr(tl_string(error, "message"), "holds 2 agents") != NULL,
	    "the error names the slave and says why: %s",
	    tl_json_text(error));
	data = tl_member(error, "data");
	ck_assert_uint_eq(json_object_array_length(tl_member(data,
	    "failures")), 1);
	failure = tl_index(tl_member(data, "failures"), 0);
	ck_assert_str_eq(tl_string(failure, "slave"), second);
	/* The others' answers are kept: 1 + 3. */
	tl_assert_json(tl_member(data, "partial"), "4");
	json_object_put(error);
	/* The node still serves the method. */
	tl_expect_result(node->conn, "demo_fail_on", "{\"agents\":7}", "6");
	ce_stop(node);
}
END_TEST

/*
 * A method whose lists are joined as text fails the same way: its
 * partial holds the other slaves' lists, joined in slave order.
 */
START_TEST(test_failing_slave_list)
{
	struct ce_node		*node = ce_start();
	struct json_object	*error, *data, *all, *partial;
	const char		*second;
	size_t			 i, k = 0;

	second = json_object_get_string(tl_index(node->managers, 1));
	all = tl_ok(node->conn, "demo_addresses", NULL);
	error = tl_err(node->conn, -32012, "demo_fail_list",
	    "{\"agents\":2}");
	ck_assert_msg(strstr(tl_string(error, "message"), second) != NULL,
	    "the error names the slave: %s", tl_json_text(error));
	data = tl_member(error, "data");
	ck_assert_uint_eq(json_object_array_length(tl_member(data,
	    "failures")), 1);
	ck_assert_str_eq(tl_string(tl_index(tl_member(data, "failures"), 0),
	    "slave"), second);
	/* Slaves of 1, 2 and 3 agents: all but the second one's 2. */
	partial = tl_member(data, "partial");
	ck_assert_uint_eq(json_object_array_length(partial), 4);
	for (i = 0; i < json_object_array_length(all); i++) {
		if (i == 1 || i == 2)
			continue;
		ck_assert_str_eq(json_object_get_string(tl_index(partial, k++)),
		    json_object_get_string(tl_index(all, i)));
	}
	json_object_put(error);
	json_object_put(all);
	ce_stop(node);
}
END_TEST

START_TEST(test_hooks_and_keys)
{
	struct ce_node		*node = ce_start();
	struct json_object	*hooks, *status, *listing, *entry;
	char			*removed, *path;
	size_t			 i, lines = 0;

	json_object_put(tl_ok(node->conn, "trigger_all", NULL));
	json_object_put(tl_ok(node->conn, "trigger_all", NULL));
	hooks = tl_ok(node->conn, "demo_hooks", NULL);
	ck_assert_uint_eq(json_object_array_length(hooks), 3);
	for (i = 0; i < 3; i++) {
		entry = tl_index(hooks, i);
		ck_assert_int_eq(tl_int(entry, "rounds_begun"), 2);
		ck_assert_int_eq(tl_int(entry, "rounds_ended"), 2);
		ck_assert_int_eq(tl_int(entry, "last_round"), 2);
		ck_assert_int_eq(tl_int(entry, "spawned"), (int64_t)i + 1);
	}
	json_object_put(hooks);
	status = tl_ok(node->conn, "status", NULL);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(tl_int(tl_member(tl_index(tl_member(status,
		    "slaves"), i), "demo"), "spawned"), (int64_t)i + 1);
	json_object_put(status);
	/* Keys at start (-o, given to every slave) and by configure. */
	tl_expect_result(node->conn, "demo_label", NULL, "\"hello\"");
	tl_expect_result(node->conn, "configure",
	    "{\"key\":\"demo.label\",\"value\":\"bye\"}", "null");
	tl_expect_result(node->conn, "demo_label", NULL, "\"bye\"");
	/* The ready hook: is_ready is false while one says no. */
	tl_expect_result(node->conn, "configure",
	    "{\"key\":\"demo.ready\",\"value\":\"no\"}", "null");
	tl_expect_result(node->conn, "is_ready", NULL, "false");
	tl_expect_result(node->conn, "configure",
	    "{\"key\":\"demo.ready\",\"value\":\"yes\"}", "null");
	tl_expect_result(node->conn, "is_ready", NULL, "true");
	/* A round that waits for round_prepare's call to an agent. */
	tl_expect_result(node->conn, "configure",
	    "{\"key\":\"demo.prepare\",\"value\":\"yes\"}", "null");
	status = tl_ok(node->conn, "trigger_all", NULL);
	ck_assert_int_eq(tl_int(status, "agents"), 6);
	json_object_put(status);
	hooks = tl_ok(node->conn, "demo_hooks", NULL);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(tl_int(tl_index(hooks, i), "prepared"), 1);
		ck_assert_int_eq(tl_int(tl_index(hooks, i), "acted"), 3);
		ck_assert_int_eq(tl_int(tl_index(hooks, i), "rounds_ended"),
		    3);
	}
	json_object_put(hooks);
	json_object_put(tl_err(node->conn, -32602, "configure",
	    "{\"key\":\"demo.colour\",\"value\":\"red\"}"));
	json_object_put(tl_err(node->conn, -32602, "configure",
	    "{\"key\":\"nosuch.label\",\"value\":\"x\"}"));
	/* The listing tells each method's rule and owner. */
	listing = tl_ok(node->conn, "methods", NULL);
	for (i = 0; i < json_object_array_length(listing); i++) {
		entry = tl_index(listing, i);
		if (strcmp(tl_string(entry, "name"), "demo_top") == 0) {
			ck_assert_str_eq(tl_string(entry, "combine"), "top");
			ck_assert_str_eq(tl_string(entry, "key"), "score");
			ck_assert_str_eq(tl_string(entry, "owner"), "demo");
		} else if (strcmp(tl_string(entry, "name"),
		    "demo_spread") == 0)
			ck_assert_str_eq(tl_string(entry, "combine"),
			    "custom");
	}
	json_object_put(listing);
	path = tl_strdup(node->removed_log);
	ce_stop(node);
	/* Every slave removed its agents, each hook a line. */
	ck_assert_ptr_nonnull(removed = tl_read_file(path));
	for (i = 0; removed[i] != '\0'; i++)
		lines += removed[i] == '\n';
	ck_assert_uint_eq(lines, 6);
	free(removed);
	free(path);
}
END_TEST

/*
 * A spawn_n that cannot finish (the grid is full after two agents) takes
 * back the agents it made through the agent_removed hook, newest first,
 * as an agent whose init failed is.
 */
START_TEST(test_spawn_undone)
{
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	struct json_object	*status;
	char			*log, *option, *removed;

	log = tl_path(tl_tempdir(), "undone");
	option = tl_printf("demo.removed_log=%s", log);
	daemon = tl_daemon_start_plugin("extdemo", option);
	conn = tl_connect(daemon->port);
	tl_expect_result(conn, "set_gs", "{\"gs\":[2,1]}", "null");
	json_object_put(tl_err(conn, -32012, "spawn_n",
	    "{\"type\":\"scorer\",\"n\":3,\"params\":{\"score\":1}}"));
	ck_assert_ptr_nonnull(removed = tl_read_file(log));
	ck_assert_str_eq(removed, "2\n1\n");
	free(removed);
	/* status counts them, as the bulk tests of a long undo read it. */
	status = tl_ok(conn, "status", NULL);
	ck_assert_int_eq(tl_int(tl_member(status, "demo"), "removed"), 2);
	json_object_put(status);
	/* The cells are free again. */
	json_object_put(tl_ok(conn, "spawn_n",
	    "{\"type\":\"scorer\",\"n\":2,\"params\":{\"score\":1}}"));
	tl_close(conn);
	tl_daemon_stop_clean(daemon);
	free(option);
	free(log);
}
END_TEST

/* Start creamasd with plugins; it must refuse, saying what in stderr. */
static void
ce_refused(const char *why, const char *first, const char *second)
{
	struct tl_run	 run;

	if (second != NULL)
		tl_start_fail(&run, "--plugin", tl_plugin_path(first),
		    "--plugin", tl_plugin_path(second), NULL);
	else
		tl_start_fail(&run, "--plugin", tl_plugin_path(first), NULL);
	ck_assert_msg(run.exit.known && !tl_exit_ok(&run.exit),
	    "%s was loaded", second != NULL ? second : first);
	ck_assert_msg(strstr(run.err, why) != NULL, "expected \"%s\" in:\n%s",
	    why, run.err);
	ck_assert_msg(strstr(run.err, "undefined symbol") == NULL,
	    "a symbol error instead of a reason:\n%s", run.err);
	tl_run_free(&run);
}

START_TEST(test_refused_plugins)
{
	ce_refused("method 'get_agents' is already defined by creamasd",
	    "refused_builtin", NULL);
	ce_refused("method 'demo_count' is already defined by demo",
	    "extdemo", "refused_taken");
	ce_refused("built for plugin ABI 1 (an older creamasd)",
	    "refused_oldabi", NULL);
	ce_refused("newer than this creamasd's", "refused_newabi", NULL);
}
END_TEST

/* Return 1 if a dynamic symbol of creamasd is one a plugin may see. */
static int
ce_symbol_allowed(const char *name)
{
	static const char *const linker[] = { "_edata", "_end",
	    "__bss_start", "_init", "_fini", "_IO_stdin_used", NULL };
	size_t	 i;

	if (strncmp(name, "cr_", 3) == 0)
		return (1);
	/* A library's variable the executable holds a copy of. */
	if (strchr(name, '@') != NULL)
		return (1);
	for (i = 0; linker[i] != NULL; i++) {
		if (strcmp(name, linker[i]) == 0)
			return (1);
	}
	return (0);
}

START_TEST(test_exports)
{
	char	*command, line[512], name[400], type[8];
	FILE	*nm;
	int	 api = 0, sanitizer = 0, bad = 0;

	command = tl_printf("nm -D --defined-only '%s'", tl_creamasd());
	ck_assert_ptr_nonnull(nm = popen(command, "r"));
	while (fgets(line, sizeof line, nm) != NULL) {
		if (sscanf(line, "%*s %7s %399s", type, name) != 2)
			continue;
		if (strncmp(name, "__asan", 6) == 0)
			sanitizer = 1;
		if (strcmp(name, "cr_agent_call") == 0 ||
		    strcmp(name, "cr_env_call") == 0 ||
		    strcmp(name, "cr_call_reply") == 0)
			api++;
		if (!ce_symbol_allowed(name)) {
			bad++;
			if (!sanitizer && bad < 5)
				fprintf(stderr, "exported: %s", line);
		}
	}
	ck_assert_int_eq(pclose(nm), 0);
	free(command);
	ck_assert_int_eq(api, 3);
	/* A sanitizer build exports its runtime; the plain build is checked. */
	if (!sanitizer)
		ck_assert_msg(bad == 0, "%d symbols beyond cr_* exported", bad);
}
END_TEST

/* The suite. */
Suite *
suite_extensions(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("extensions");
	tc = tcase_create("extensions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_combine_rules);
	tcase_add_test(tc, test_reply_text);
	tcase_add_test(tc, test_custom_and_async);
	tcase_add_test(tc, test_failing_slave);
	tcase_add_test(tc, test_failing_slave_list);
	tcase_add_test(tc, test_hooks_and_keys);
	tcase_add_test(tc, test_spawn_undone);
	tcase_add_test(tc, test_refused_plugins);
	tcase_add_test(tc, test_exports);
	suite_add_tcase(suite, tc);
	return (suite);
}
