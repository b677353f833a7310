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
 * End-to-end tests of a slave environment, ported from Creamas' own
 * environment and agent tests: a real creamasd on an ephemeral port,
 * driven over JSON-RPC with the built-in noop and counter agent types.
 */

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

#define E_INVALID_PARAMS	-32602
#define E_METHOD_NOT_FOUND	-32601
#define E_AGENT_NOT_FOUND	-32001
#define E_SHUTTING_DOWN		-32007
#define E_AGENT_FAILED		-32008
#define E_TYPE_NOT_FOUND	-32011
#define E_FAILED		-32012

#define MAX_AGENTS		64

Suite	*suite_slave(void);

static struct tl_daemon	*slave;
static struct tl_conn	*client;

/* Start a slave and connect to it (runs in the test's process). */
static void
slave_setup(void)
{
	slave = tl_daemon_start(NULL);
	client = tl_connect(slave->port);
}

/* Stop the slave by pid unless the test did, and check it exited 0. */
static void
slave_teardown(void)
{
	struct tl_exit	 e;
	char		*err;

	tl_close(client);
	client = NULL;
	if (slave->pid > 0) {
		e = tl_daemon_stop(slave);
		err = tl_daemon_stderr(slave);
		ck_assert_msg(tl_exit_ok(&e), "SIGTERM: the slave %s; "
		    "stderr:\n%s", tl_exit_string(&e), err);
		free(err);
	}
	tl_daemon_free(slave);
	slave = NULL;
}

/* Return the address of agent n of the slave (a ring of static strings). */
static const char *
agent_address(long n)
{
	static char	 buffers[16][64];
	static size_t	 next;
	char		*buffer = buffers[next++ % 16];

	snprintf(buffer, sizeof buffers[0], "tcp://127.0.0.1:%u/%ld",
	    slave->port, n);
	return (buffer);
}

/* Return the number N of an address of this slave, or -1. */
static long
agent_number(const char *address)
{
	const char	*prefix = agent_address(0);
	size_t		 length = strlen(prefix) - 1;	/* without "0" */
	char		*end;
	long		 n;

	if (strncmp(address, prefix, length) != 0)
		return (-1);
	n = strtol(address + length, &end, 10);
	if (*end != '\0' || end == address + length)
		return (-1);
	return (n);
}

/* Spawn one agent and check it got the next address, /n. */
static void
spawn(const char *type, const char *params, long n)
{
	struct json_object	*result;

	if (params != NULL)
		result = tl_okf(client, "spawn", "{\"type\":\"%s\","
		    "\"params\":%s}", type, params);
	else
		result = tl_okf(client, "spawn", "{\"type\":\"%s\"}", type);
	ck_assert_msg(json_object_is_type(result, json_type_string),
	    "spawn %s: %s", type, tl_json_text(result));
	ck_assert_str_eq(json_object_get_string(result), agent_address(n));
	json_object_put(result);
}

/* Spawn n counters, /1 to /n, and check their addresses. */
static void
spawn_counters(long n)
{
	long	 i;

	for (i = 1; i <= n; i++)
		spawn("counter", NULL, i);
}

/* Return 1 if a JSON array of strings holds exactly the given ones. */
static int
same_strings(struct json_object *array, const char *const *strings,
    size_t count)
{
	size_t	 i, j, found;

	if (!json_object_is_type(array, json_type_array) ||
	    json_object_array_length(array) != count)
		return (0);
	for (i = 0; i < count; i++) {
		found = 0;
		for (j = 0; j < count; j++) {
			if (strcmp(json_object_get_string(
			    json_object_array_get_idx(array, j)),
			    strings[i]) == 0)
				found++;
		}
		if (found != 1)
			return (0);
	}
	return (1);
}

/* Check agent n's connections are exactly count distinct others. */
static void
check_connection_list(long n, struct json_object *list, size_t count,
    long agents)
{
	char	 seen[MAX_AGENTS + 1];
	size_t	 i;
	long	 to;

	ck_assert_msg(json_object_is_type(list, json_type_array) &&
	    json_object_array_length(list) == count, "agent %ld: expected "
	    "%zu connections, got %s", n, count, tl_json_text(list));
	memset(seen, 0, sizeof seen);
	for (i = 0; i < count; i++) {
		to = agent_number(json_object_get_string(
		    json_object_array_get_idx(list, i)));
		ck_assert_msg(to >= 1 && to <= agents, "agent %ld: a "
		    "connection to %s, no agent of this environment", n,
		    json_object_get_string(json_object_array_get_idx(list, i)));
		ck_assert_msg(to != n, "agent %ld is connected to itself: %s",
		    n, tl_json_text(list));
		ck_assert_msg(!seen[to], "agent %ld: %ld twice in %s", n, to,
		    tl_json_text(list));
		seen[to] = 1;
	}
}

/* Check every one of agents has count distinct connections, two ways. */
static void
check_random_connections(long agents, size_t count)
{
	struct json_object	*all, *pair, *own;
	long			 n;

	all = tl_ok(client, "get_connections", "{}");
	ck_assert_msg(json_object_is_type(all, json_type_array) &&
	    json_object_array_length(all) == (size_t)agents,
	    "get_connections: expected %ld entries, got %s", agents,
	    tl_json_text(all));
	for (n = 1; n <= agents; n++) {
		pair = tl_index(all, (size_t)n - 1);
		ck_assert_msg(json_object_array_length(pair) == 2,
		    "get_connections entry %s", tl_json_text(pair));
		ck_assert_str_eq(json_object_get_string(tl_index(pair, 0)),
		    agent_address(n));
		check_connection_list(n, tl_index(pair, 1), count, agents);
		own = tl_okf(client, "agent.get_connections",
		    "{\"agent\":%ld}", n);
		ck_assert_msg(json_object_equal(own, tl_index(pair, 1)),
		    "agent %ld: agent.get_connections %s but get_connections "
		    "%s", n, tl_json_text(own),
		    tl_json_text(tl_index(pair, 1)));
		json_object_put(own);
	}
	json_object_put(all);
}

/* Twenty agents get /1 to /20; get_agents lists them, never the manager. */
START_TEST(test_spawn_addresses)
{
	struct json_object	*agents;
	const char		*address;
	size_t			 i;

	agents = tl_ok(client, "get_agents", "{}");
	tl_assert_json(agents, "[]");
	json_object_put(agents);

	spawn_counters(20);
	agents = tl_ok(client, "get_agents", "{}");
	ck_assert_msg(json_object_array_length(agents) == 20,
	    "get_agents: %s", tl_json_text(agents));
	for (i = 0; i < 20; i++) {
		address = json_object_get_string(tl_index(agents, i));
		ck_assert_str_eq(address, agent_address((long)i + 1));
		ck_assert_msg(strcmp(address, agent_address(0)) != 0,
		    "get_agents lists the manager");
	}
	json_object_put(agents);

	/* spawn_n continues the numbering. */
	agents = tl_ok(client, "spawn_n", "{\"type\":\"noop\",\"n\":3}");
	ck_assert_msg(json_object_array_length(agents) == 3, "spawn_n: %s",
	    tl_json_text(agents));
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(json_object_get_string(tl_index(agents, i)),
		    agent_address((long)i + 21));
	json_object_put(agents);
	agents = tl_ok(client, "spawn_n", "{\"type\":\"noop\",\"n\":0}");
	tl_assert_json(agents, "[]");
	json_object_put(agents);
	agents = tl_ok(client, "get_agents", "{}");
	ck_assert_int_eq(json_object_array_length(agents), 23);
	json_object_put(agents);
}
END_TEST

/* get_agents with a type lists that type's agents only, in order. */
START_TEST(test_get_agents_by_type)
{
	struct json_object	*agents;
	const char		*noops[] = { agent_address(1),
	    agent_address(3), agent_address(5) };
	const char		*counters[] = { agent_address(2),
	    agent_address(4) };
	size_t			 i;

	spawn("noop", NULL, 1);
	spawn("counter", NULL, 2);
	spawn("noop", NULL, 3);
	spawn("counter", "{\"start\":5}", 4);
	spawn("noop", NULL, 5);

	agents = tl_ok(client, "get_agents", "{\"type\":\"noop\"}");
	ck_assert_msg(json_object_array_length(agents) == 3,
	    "get_agents noop: %s", tl_json_text(agents));
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(json_object_get_string(tl_index(agents, i)),
		    noops[i]);
	json_object_put(agents);

	agents = tl_ok(client, "get_agents", "{\"type\":\"counter\"}");
	ck_assert_msg(json_object_array_length(agents) == 2,
	    "get_agents counter: %s", tl_json_text(agents));
	for (i = 0; i < 2; i++)
		ck_assert_str_eq(json_object_get_string(tl_index(agents, i)),
		    counters[i]);
	json_object_put(agents);

	agents = tl_ok(client, "get_agents", "{\"type\":\"nosuch\"}");
	tl_assert_json(agents, "[]");
	json_object_put(agents);

	agents = tl_ok(client, "get_agents", "{}");
	ck_assert_int_eq(json_object_array_length(agents), 5);
	json_object_put(agents);

	json_object_put(tl_err(client, E_INVALID_PARAMS, "get_agents",
	    "{\"type\":1}"));
}
END_TEST

/* create_random_connections(6): six distinct others each, never itself. */
START_TEST(test_random_connections)
{
	struct json_object	*result;
	int			 repeat;

	spawn_counters(20);
	result = tl_ok(client, "create_random_connections", "{\"n\":6}");
	ck_assert_ptr_null(result);
	check_random_connections(20, 6);

	/* Fresh draws, several times over, to catch a sampling slip. */
	for (repeat = 0; repeat < 10; repeat++) {
		result = tl_ok(client, "clear_connections", "{}");
		ck_assert_ptr_null(result);
		check_random_connections(20, 0);
		result = tl_ok(client, "create_random_connections",
		    "{\"n\":6}");
		ck_assert_ptr_null(result);
		check_random_connections(20, 6);
	}

	/* The most there can be: every other agent. */
	result = tl_ok(client, "clear_connections", "{}");
	result = tl_ok(client, "create_random_connections", "{\"n\":19}");
	ck_assert_ptr_null(result);
	check_random_connections(20, 19);

	/* n = 0 adds nothing. */
	result = tl_ok(client, "clear_connections", "{}");
	result = tl_ok(client, "create_random_connections", "{\"n\":0}");
	ck_assert_ptr_null(result);
	check_random_connections(20, 0);
}
END_TEST

/* create_random_connections with n >= agents is -32602 and changes nothing. */
START_TEST(test_random_connections_too_many)
{
	struct json_object	*error;

	/* No agents at all: nothing to connect to. */
	error = tl_err(client, E_INVALID_PARAMS, "create_random_connections",
	    "{\"n\":1}");
	json_object_put(error);

	spawn_counters(5);
	error = tl_err(client, E_INVALID_PARAMS, "create_random_connections",
	    "{\"n\":5}");
	tl_assert_json(tl_member(error, "data"), "\"n\"");
	json_object_put(error);
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "create_random_connections", "{\"n\":6}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "create_random_connections", "{\"n\":-1}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "create_random_connections", "{\"n\":\"2\"}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "create_random_connections", "{}"));
	check_random_connections(5, 0);

	/* One below the number of agents is fine. */
	json_object_put(tl_ok(client, "create_random_connections",
	    "{\"n\":4}"));
	check_random_connections(5, 4);
}
END_TEST

/* trigger_all with args: one result per agent, in creation order. */
START_TEST(test_trigger_all_results)
{
	struct json_object	*reply, *get;
	long			 i;

	for (i = 1; i <= 6; i++) {
		if (i == 3)
			spawn("noop", NULL, i);
		else {
			char	 params[64];

			snprintf(params, sizeof params, "{\"start\":%ld}",
			    i * 100);
			spawn("counter", params, i);
		}
	}
	reply = tl_ok(client, "trigger_all",
	    "{\"args\":{\"by\":7},\"results\":true}");
	ck_assert_int_eq(tl_int(reply, "agents"), 6);
	ck_assert_int_eq(tl_int(reply, "failed"), 0);
	ck_assert_int_eq(tl_int(reply, "round"), 1);
	ck_assert_int_ge(tl_int(reply, "elapsed_us"), 0);
	tl_assert_json(tl_member(reply, "errors"), "[]");
	tl_assert_json(tl_member(reply, "results"),
	    "[107,207,null,407,507,607]");
	json_object_put(reply);

	reply = tl_ok(client, "trigger_all",
	    "{\"args\":{\"by\":-10},\"results\":true}");
	ck_assert_int_eq(tl_int(reply, "round"), 2);
	tl_assert_json(tl_member(reply, "results"),
	    "[97,197,null,397,497,597]");
	json_object_put(reply);

	/* Without args each counter adds 1; without results, none. */
	reply = tl_ok(client, "trigger_all", "{}");
	ck_assert_int_eq(tl_int(reply, "agents"), 6);
	ck_assert_int_eq(tl_int(reply, "round"), 3);
	ck_assert_msg(!json_object_object_get_ex(reply, "results", NULL),
	    "results without results:true: %s", tl_json_text(reply));
	json_object_put(reply);

	for (i = 1; i <= 6; i++) {
		if (i == 3)
			continue;
		get = tl_okf(client, "agent.get", "{\"agent\":%ld}", i);
		tl_assert_json(get, i == 1 ? "98" : i == 2 ? "198" :
		    i == 4 ? "398" : i == 5 ? "498" : "598");
		json_object_put(get);
	}
}
END_TEST

/* trigger_all where every act fails: null results and one error each. */
START_TEST(test_trigger_all_failures)
{
	struct json_object	*reply, *errors, *entry;
	long			 i;

	spawn_counters(3);
	spawn("noop", NULL, 4);
	reply = tl_ok(client, "trigger_all",
	    "{\"args\":{\"by\":\"x\"},\"results\":true}");
	ck_assert_int_eq(tl_int(reply, "agents"), 4);
	ck_assert_int_eq(tl_int(reply, "failed"), 3);
	tl_assert_json(tl_member(reply, "results"), "[null,null,null,null]");
	errors = tl_member(reply, "errors");
	ck_assert_msg(json_object_array_length(errors) == 3, "errors: %s",
	    tl_json_text(errors));
	for (i = 1; i <= 3; i++) {
		entry = tl_index(errors, (size_t)i - 1);
		ck_assert_str_eq(tl_string(entry, "agent"), agent_address(i));
		ck_assert_int_eq(tl_int(entry, "code"), E_AGENT_FAILED);
		ck_assert_ptr_nonnull(strstr(tl_string(entry, "message"),
		    "by"));
	}
	json_object_put(reply);

	/* The counts did not move. */
	for (i = 1; i <= 3; i++) {
		reply = tl_okf(client, "agent.get", "{\"agent\":%ld}", i);
		tl_assert_json(reply, "0");
		json_object_put(reply);
	}
}
END_TEST

/* agent.add_connection: true, then false for the same address. */
START_TEST(test_agent_add_connection)
{
	struct json_object	*result;

	spawn_counters(3);
	result = tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", agent_address(2));
	tl_assert_json(result, "true");
	json_object_put(result);
	result = tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", agent_address(2));
	tl_assert_json(result, "false");
	json_object_put(result);

	/* The agent named by its address; data kept; a foreign address. */
	result = tl_okf(client, "agent.add_connection",
	    "{\"agent\":\"%s\",\"addr\":\"%s\",\"data\":{\"w\":0.5}}",
	    agent_address(1), agent_address(3));
	tl_assert_json(result, "true");
	json_object_put(result);
	result = tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"tcp://10.1.2.3:7000/9\",\"data\":[1]}");
	tl_assert_json(result, "true");
	json_object_put(result);
	/* A duplicate does not replace the data. */
	result = tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\",\"data\":{\"w\":9}}",
	    agent_address(3));
	tl_assert_json(result, "false");
	json_object_put(result);

	result = tl_ok(client, "agent.get_connections",
	    "{\"agent\":1,\"data\":true}");
	ck_assert_int_eq(json_object_object_length(result), 3);
	tl_assert_json(tl_member(result, agent_address(2)), "{}");
	tl_assert_json(tl_member(result, agent_address(3)), "{\"w\":0.5}");
	tl_assert_json(tl_member(result, "tcp://10.1.2.3:7000/9"), "[1]");
	json_object_put(result);

	/* Agent 2 is untouched: connections are one-way. */
	result = tl_ok(client, "agent.get_connections", "{\"agent\":2}");
	tl_assert_json(result, "[]");
	json_object_put(result);

	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "agent.add_connection", "{\"agent\":1,\"addr\":\"nowhere\"}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "agent.add_connection", "{\"agent\":1}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "agent.add_connection", "{\"agent\":1,\"addr\":5}"));
}
END_TEST

/* agent.add_connections, remove_connection and clear_connections. */
START_TEST(test_agent_remove_connection)
{
	struct json_object	*result;
	const char		*rest[] = { agent_address(3),
	    agent_address(4) };

	spawn_counters(4);
	result = tl_okf(client, "agent.add_connections",
	    "{\"agent\":1,\"conns\":[[\"%s\"],[\"%s\",{\"x\":1}],\"%s\","
	    "[\"%s\"]]}", agent_address(2), agent_address(3),
	    agent_address(4), agent_address(2));
	tl_assert_json(result, "[true,true,true,false]");
	json_object_put(result);

	result = tl_okf(client, "agent.remove_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", agent_address(2));
	tl_assert_json(result, "true");
	json_object_put(result);
	result = tl_okf(client, "agent.remove_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", agent_address(2));
	tl_assert_json(result, "false");
	json_object_put(result);
	result = tl_okf(client, "agent.remove_connection",
	    "{\"agent\":2,\"addr\":\"%s\"}", agent_address(1));
	tl_assert_json(result, "false");
	json_object_put(result);

	result = tl_ok(client, "agent.get_connections", "{\"agent\":1}");
	ck_assert_msg(same_strings(result, rest, 2), "after removing /2: %s",
	    tl_json_text(result));
	json_object_put(result);

	/* It can be added again after removal. */
	result = tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", agent_address(2));
	tl_assert_json(result, "true");
	json_object_put(result);

	result = tl_ok(client, "agent.clear_connections", "{\"agent\":1}");
	ck_assert_ptr_null(result);
	result = tl_ok(client, "agent.get_connections", "{\"agent\":1}");
	tl_assert_json(result, "[]");
	json_object_put(result);
	result = tl_ok(client, "agent.get_connections",
	    "{\"agent\":1,\"data\":true}");
	tl_assert_json(result, "{}");
	json_object_put(result);

	/* A bad entry refuses the whole list. */
	json_object_put(tl_errf(client, E_INVALID_PARAMS,
	    "agent.add_connections", "{\"agent\":1,\"conns\":[\"%s\",7]}",
	    agent_address(2)));
	result = tl_ok(client, "agent.get_connections", "{\"agent\":1}");
	tl_assert_json(result, "[]");
	json_object_put(result);
}
END_TEST

/* agent.get_connections with and without data. */
START_TEST(test_agent_get_connections)
{
	struct json_object	*result;
	const char		*both[] = { agent_address(2),
	    agent_address(3) };

	spawn_counters(3);
	result = tl_ok(client, "agent.get_connections", "{\"agent\":1}");
	tl_assert_json(result, "[]");
	json_object_put(result);
	result = tl_ok(client, "agent.get_connections",
	    "{\"agent\":1,\"data\":true}");
	tl_assert_json(result, "{}");
	json_object_put(result);

	json_object_put(tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\",\"data\":{\"attitude\":-0.25}}",
	    agent_address(2)));
	json_object_put(tl_okf(client, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", agent_address(3)));

	result = tl_ok(client, "agent.get_connections", "{\"agent\":1}");
	ck_assert_msg(same_strings(result, both, 2), "without data: %s",
	    tl_json_text(result));
	json_object_put(result);
	result = tl_ok(client, "agent.get_connections",
	    "{\"agent\":1,\"data\":false}");
	ck_assert_msg(same_strings(result, both, 2), "data false: %s",
	    tl_json_text(result));
	json_object_put(result);

	result = tl_okf(client, "agent.get_connections",
	    "{\"agent\":\"%s\",\"data\":true}", agent_address(1));
	ck_assert_msg(json_object_is_type(result, json_type_object) &&
	    json_object_object_length(result) == 2, "with data: %s",
	    tl_json_text(result));
	tl_assert_json(tl_member(result, agent_address(2)),
	    "{\"attitude\":-0.25}");
	tl_assert_json(tl_member(result, agent_address(3)), "{}");
	json_object_put(result);

	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "agent.get_connections", "{\"agent\":1,\"data\":1}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "agent.get_connections", "{\"agent\":1,\"bogus\":1}"));
}
END_TEST

/* get_connections: every agent in order, with and without data. */
START_TEST(test_get_connections)
{
	struct json_object	*result, *expected;
	char			*text;

	result = tl_ok(client, "get_connections", "{}");
	tl_assert_json(result, "[]");
	json_object_put(result);

	spawn_counters(3);
	json_object_put(tl_okf(client, "agent.add_connection",
	    "{\"agent\":2,\"addr\":\"%s\",\"data\":{\"k\":\"v\"}}",
	    agent_address(1)));
	json_object_put(tl_okf(client, "agent.add_connection",
	    "{\"agent\":3,\"addr\":\"%s\"}", agent_address(2)));

	result = tl_ok(client, "get_connections", "{}");
	if (asprintf(&text, "[[\"%s\",[]],[\"%s\",[\"%s\"]],[\"%s\","
	    "[\"%s\"]]]", agent_address(1), agent_address(2),
	    agent_address(1), agent_address(3), agent_address(2)) == -1)
		ck_abort_msg("asprintf");
	tl_assert_json(result, text);
	free(text);
	json_object_put(result);

	result = tl_ok(client, "get_connections", "{\"data\":true}");
	if (asprintf(&text, "[[\"%s\",{}],[\"%s\",{\"%s\":{\"k\":\"v\"}}],"
	    "[\"%s\",{\"%s\":{}}]]", agent_address(1), agent_address(2),
	    agent_address(1), agent_address(3), agent_address(2)) == -1)
		ck_abort_msg("asprintf");
	expected = tl_json(text);
	ck_assert_msg(json_object_equal(result, expected), "expected %s, got "
	    "%s", text, tl_json_text(result));
	json_object_put(expected);
	free(text);
	json_object_put(result);

	json_object_put(tl_err(client, E_INVALID_PARAMS, "get_connections",
	    "{\"data\":\"yes\"}"));
}
END_TEST

/* create_connections with a map; other environments' entries skipped. */
START_TEST(test_create_connections)
{
	struct json_object	*result, *conns;
	char			*map, foreign[64];

	spawn_counters(3);
	snprintf(foreign, sizeof foreign, "tcp://127.0.0.1:%u/1",
	    slave->port == 65535 ? 1 : slave->port + 1);
	if (asprintf(&map, "{\"map\":{"
	    "\"%s\":[[\"%s\",{\"x\":1}],\"%s\"],"
	    "\"%s\":[\"%s\"],"
	    "\"tcp://10.255.255.1:%u/2\":[\"%s\"],"
	    "\"%s\":[[\"%s\"]]}}",
	    agent_address(1), agent_address(2), agent_address(3),
	    foreign, agent_address(1),
	    slave->port, agent_address(1),
	    agent_address(3), agent_address(1)) == -1)
		ck_abort_msg("asprintf");

	result = tl_ok(client, "create_connections", map);
	tl_assert_json(result, "[[true,true],[true]]");
	json_object_put(result);
	result = tl_ok(client, "create_connections", map);
	tl_assert_json(result, "[[false,false],[false]]");
	json_object_put(result);
	free(map);

	conns = tl_ok(client, "agent.get_connections",
	    "{\"agent\":1,\"data\":true}");
	ck_assert_int_eq(json_object_object_length(conns), 2);
	tl_assert_json(tl_member(conns, agent_address(2)), "{\"x\":1}");
	tl_assert_json(tl_member(conns, agent_address(3)), "{}");
	json_object_put(conns);
	conns = tl_ok(client, "agent.get_connections", "{\"agent\":2}");
	tl_assert_json(conns, "[]");
	json_object_put(conns);
	conns = tl_ok(client, "agent.get_connections", "{\"agent\":3}");
	ck_assert_msg(same_strings(conns, (const char *[]){
	    agent_address(1) }, 1), "agent 3: %s", tl_json_text(conns));
	json_object_put(conns);

	/* Only other environments' entries: nothing to do. */
	result = tl_okf(client, "create_connections",
	    "{\"map\":{\"%s\":[\"%s\"]}}", foreign, agent_address(2));
	tl_assert_json(result, "[]");
	json_object_put(result);
	result = tl_ok(client, "create_connections", "{\"map\":{}}");
	tl_assert_json(result, "[]");
	json_object_put(result);

	/* An agent of this environment that does not exist. */
	json_object_put(tl_errf(client, E_AGENT_NOT_FOUND,
	    "create_connections", "{\"map\":{\"%s\":[\"%s\"]}}",
	    agent_address(9), agent_address(1)));
	/* Malformed maps. */
	json_object_put(tl_errf(client, E_INVALID_PARAMS,
	    "create_connections", "{\"map\":{\"%s\":\"%s\"}}",
	    agent_address(1), agent_address(2)));
	json_object_put(tl_errf(client, E_INVALID_PARAMS,
	    "create_connections", "{\"map\":{\"%s\":[5]}}",
	    agent_address(1)));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "create_connections", "{\"map\":[]}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS,
	    "create_connections", "{}"));
}
END_TEST

/* Counters publish nothing: get_artifacts is [], with or without creator. */
START_TEST(test_artifacts)
{
	struct json_object	*result;

	result = tl_ok(client, "get_artifacts", "{}");
	tl_assert_json(result, "[]");
	json_object_put(result);

	spawn_counters(4);
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	result = tl_ok(client, "get_artifacts", "{}");
	tl_assert_json(result, "[]");
	json_object_put(result);
	result = tl_okf(client, "get_artifacts", "{\"creator\":\"%s\"}",
	    agent_address(1));
	tl_assert_json(result, "[]");
	json_object_put(result);
	result = tl_ok(client, "get_artifacts", NULL);
	tl_assert_json(result, "[]");
	json_object_put(result);

	json_object_put(tl_err(client, E_INVALID_PARAMS, "get_artifacts",
	    "{\"creator\":1}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "get_artifacts",
	    "{\"by\":\"x\"}"));
}
END_TEST

/* set_time and get_time; 0 at start. */
START_TEST(test_time)
{
	struct json_object	*result;

	result = tl_ok(client, "get_time", "{}");
	ck_assert_msg(json_object_is_type(result, json_type_double) ||
	    json_object_is_type(result, json_type_int), "get_time: %s",
	    tl_json_text(result));
	ck_assert_double_eq(json_object_get_double(result), 0.0);
	json_object_put(result);

	result = tl_ok(client, "set_time", "{\"t\":12.5}");
	ck_assert_ptr_null(result);
	result = tl_ok(client, "get_time", "{}");
	ck_assert_double_eq(json_object_get_double(result), 12.5);
	json_object_put(result);

	result = tl_ok(client, "set_time", "{\"t\":3}");
	ck_assert_ptr_null(result);
	result = tl_ok(client, "get_time", NULL);
	ck_assert_double_eq(json_object_get_double(result), 3.0);
	json_object_put(result);

	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_time",
	    "{\"t\":\"soon\"}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_time", "{}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_time",
	    "[1]"));
	result = tl_ok(client, "get_time", "{}");
	ck_assert_double_eq(json_object_get_double(result), 3.0);
	json_object_put(result);
}
END_TEST

/* set_host_manager and host_manager. */
START_TEST(test_host_manager)
{
	struct json_object	*result;

	result = tl_ok(client, "host_manager", "{}");
	ck_assert_ptr_null(result);

	result = tl_ok(client, "set_host_manager",
	    "{\"addr\":\"tcp://10.0.0.1:5555/0\"}");
	ck_assert_ptr_null(result);
	result = tl_ok(client, "host_manager", "{}");
	tl_assert_json(result, "\"tcp://10.0.0.1:5555/0\"");
	json_object_put(result);

	result = tl_ok(client, "set_host_manager",
	    "{\"addr\":\"tcp://[::1]:7000/0\"}");
	ck_assert_ptr_null(result);
	result = tl_ok(client, "host_manager", "{}");
	tl_assert_json(result, "\"tcp://[::1]:7000/0\"");
	json_object_put(result);

	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_host_manager",
	    "{\"addr\":\"10.0.0.1:5555\"}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_host_manager",
	    "{}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_host_manager",
	    "{\"addr\":null}"));
	result = tl_ok(client, "host_manager", "{}");
	tl_assert_json(result, "\"tcp://[::1]:7000/0\"");
	json_object_put(result);
}
END_TEST

/* trigger_act runs one agent's act, named by number or address. */
START_TEST(test_trigger_act)
{
	struct json_object	*result, *error;

	spawn("counter", "{\"start\":10}", 1);
	spawn("noop", NULL, 2);
	result = tl_ok(client, "trigger_act", "{\"agent\":1}");
	tl_assert_json(result, "11");
	json_object_put(result);
	result = tl_okf(client, "trigger_act",
	    "{\"agent\":\"%s\",\"args\":{\"by\":5}}", agent_address(1));
	tl_assert_json(result, "16");
	json_object_put(result);
	result = tl_ok(client, "agent.act",
	    "{\"agent\":1,\"args\":{\"by\":4}}");
	tl_assert_json(result, "20");
	json_object_put(result);
	result = tl_ok(client, "agent.get", "{\"agent\":1}");
	tl_assert_json(result, "20");
	json_object_put(result);
	result = tl_ok(client, "trigger_act", "{\"agent\":2}");
	ck_assert_ptr_null(result);

	/* A failing act is -32008 naming the agent; the count stays. */
	error = tl_err(client, E_AGENT_FAILED, "trigger_act",
	    "{\"agent\":1,\"args\":{\"by\":1.5}}");
	ck_assert_str_eq(json_object_get_string(tl_member(error, "data")),
	    agent_address(1));
	json_object_put(error);
	result = tl_ok(client, "agent.get", "{\"agent\":1}");
	tl_assert_json(result, "20");
	json_object_put(result);

	/* trigger_act does not count as a round. */
	result = tl_ok(client, "status", "{}");
	ck_assert_int_eq(tl_int(result, "rounds"), 0);
	json_object_put(result);

	json_object_put(tl_err(client, E_AGENT_NOT_FOUND, "trigger_act",
	    "{\"agent\":3}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "trigger_act",
	    "{}"));
}
END_TEST

/* status: every field, with the values this environment must have. */
START_TEST(test_status)
{
	struct json_object	*status, *types, *value;
	struct tl_conn		*second;
	size_t			 i;
	int			 counter = 0, noop = 0;

	status = tl_ok(client, "status", "{}");
	ck_assert_str_eq(tl_string(status, "role"), "slave");
	ck_assert_int_eq(tl_int(status, "pid"), slave->pid);
	ck_assert_str_eq(tl_string(status, "address"), agent_address(0));
	ck_assert_int_eq(tl_int(status, "agents"), 0);
	ck_assert_int_eq(tl_int(status, "rounds"), 0);
	ck_assert_int_eq(tl_int(status, "last_round_us"), 0);
	tl_assert_json(tl_member(status, "round_running"), "false");
	ck_assert_int_eq(tl_int(status, "connections"), 1);
	ck_assert_int_gt(tl_int(status, "rss_bytes"), 0);
	value = tl_member(status, "uptime");
	ck_assert_msg(json_object_is_type(value, json_type_double) ||
	    json_object_is_type(value, json_type_int), "uptime: %s",
	    tl_json_text(value));
	ck_assert_msg(json_object_get_double(value) >= 0 &&
	    json_object_get_double(value) < 60, "uptime: %s",
	    tl_json_text(value));
	types = tl_member(status, "types");
	ck_assert_msg(json_object_is_type(types, json_type_array),
	    "types: %s", tl_json_text(types));
	for (i = 0; i < json_object_array_length(types); i++) {
		value = json_object_array_get_idx(types, i);
		if (strcmp(json_object_get_string(value), "counter") == 0)
			counter++;
		if (strcmp(json_object_get_string(value), "noop") == 0)
			noop++;
	}
	ck_assert_msg(counter == 1 && noop == 1, "types: %s",
	    tl_json_text(types));
	json_object_put(status);

	spawn_counters(3);
	spawn("noop", NULL, 4);
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	second = tl_connect(slave->port);
	status = tl_ok(second, "status", "{}");
	ck_assert_int_eq(tl_int(status, "agents"), 4);
	ck_assert_int_eq(tl_int(status, "rounds"), 2);
	ck_assert_int_ge(tl_int(status, "last_round_us"), 0);
	tl_assert_json(tl_member(status, "round_running"), "false");
	ck_assert_int_eq(tl_int(status, "connections"), 2);
	json_object_put(status);
	tl_close(second);

	json_object_put(tl_err(client, E_INVALID_PARAMS, "status",
	    "{\"verbose\":true}"));
	value = tl_ok(client, "is_ready", "{}");
	tl_assert_json(value, "true");
	json_object_put(value);
}
END_TEST

/*
 * status counts requests by method when the name is 1 to 48 of a-z, 0-9,
 * "_" and "."; every other name counts as "(other)".
 */
START_TEST(test_status_requests)
{
	static const char	*counted = "abcdefghijklmnopqrstuvwxyz_."
	    "01234567890123456789";
	static const char *const others[] = {
		"Is_ready", "is-ready", "abcdefghijklmnopqrstuvwxyz_.0123456789"
		    "01234567890", "", "\u00e9t\u00e9",
	};
	struct json_object	*status, *requests;
	size_t			 i;

	ck_assert_uint_eq(strlen(counted), 48);
	json_object_put(tl_ok(client, "is_ready", "{}"));
	json_object_put(tl_ok(client, "is_ready", "{}"));
	json_object_put(tl_err(client, E_METHOD_NOT_FOUND, counted, "{}"));
	for (i = 0; i < sizeof others / sizeof others[0]; i++)
		json_object_put(tl_err(client, E_METHOD_NOT_FOUND, others[i],
		    "{}"));
	status = tl_ok(client, "status", "{}");
	requests = tl_member(status, "requests");
	ck_assert_int_eq(tl_int(requests, "is_ready"), 2);
	ck_assert_int_eq(tl_int(requests, counted), 1);
	ck_assert_int_eq(tl_int(requests, "(other)"),
	    (int64_t)(sizeof others / sizeof others[0]));
	ck_assert_int_eq(tl_int(requests, "status"), 1);
	json_object_put(status);
}
END_TEST

/* An unknown agent type is -32011 naming it; no agent is made. */
START_TEST(test_unknown_type)
{
	struct json_object	*error, *status;

	error = tl_err(client, E_TYPE_NOT_FOUND, "spawn",
	    "{\"type\":\"nosuch\"}");
	tl_assert_json(tl_member(error, "data"), "\"nosuch\"");
	json_object_put(error);
	error = tl_err(client, E_TYPE_NOT_FOUND, "spawn_n",
	    "{\"type\":\"nosuch\",\"n\":2}");
	tl_assert_json(tl_member(error, "data"), "\"nosuch\"");
	json_object_put(error);
	status = tl_ok(client, "status", "{}");
	ck_assert_int_eq(tl_int(status, "agents"), 0);
	json_object_put(status);

	/* The next agent still gets /1. */
	spawn("counter", NULL, 1);

	/* Params the type refuses, and params of the wrong shape. */
	json_object_put(tl_err(client, E_INVALID_PARAMS, "spawn",
	    "{\"type\":\"counter\",\"params\":{\"start\":\"x\"}}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "spawn",
	    "{\"type\":5}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "spawn", "{}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "spawn_n",
	    "{\"type\":\"noop\",\"n\":-1}"));
	spawn("noop", NULL, 2);
}
END_TEST

/* A missing agent is -32001, however it is named. */
START_TEST(test_agent_not_found)
{
	char	 foreign[64];

	json_object_put(tl_err(client, E_AGENT_NOT_FOUND, "agent.act",
	    "{\"agent\":1}"));
	spawn_counters(2);
	json_object_put(tl_err(client, E_AGENT_NOT_FOUND, "agent.act",
	    "{\"agent\":3}"));
	json_object_put(tl_err(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":0}"));
	json_object_put(tl_err(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":-1}"));
	json_object_put(tl_errf(client, E_AGENT_NOT_FOUND,
	    "agent.get_connections", "{\"agent\":\"%s\"}", agent_address(7)));
	json_object_put(tl_errf(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":\"%s\"}", agent_address(0)));
	snprintf(foreign, sizeof foreign, "tcp://127.0.0.1:%u/1",
	    slave->port == 65535 ? 1 : slave->port + 1);
	json_object_put(tl_errf(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":\"%s\"}", foreign));
	json_object_put(tl_errf(client, E_AGENT_NOT_FOUND, "trigger_act",
	    "{\"agent\":\"%s\"}", foreign));
	json_object_put(tl_err(client, E_AGENT_NOT_FOUND,
	    "agent.add_connection", "{\"agent\":5,\"addr\":\"tcp://h:1/1\"}"));

	/* Not a number or address at all, or no agent param. */
	json_object_put(tl_err(client, E_INVALID_PARAMS, "agent.get",
	    "{\"agent\":[1]}"));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "agent.get", "{}"));
}
END_TEST

/* The -32001 error's data is the missing agent's address (spec). */
START_TEST(test_agent_not_found_data)
{
	struct json_object	*error;
	char			 foreign[64];

	spawn_counters(2);
	error = tl_err(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":5}");
	ck_assert_msg(json_object_is_type(tl_member(error, "data"),
	    json_type_string) && strcmp(json_object_get_string(
	    tl_member(error, "data")), agent_address(5)) == 0,
	    "agent 5: expected data \"%s\" in %s", agent_address(5),
	    tl_json_text(error));
	json_object_put(error);
	error = tl_errf(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":\"%s\"}", agent_address(7));
	ck_assert_msg(json_object_is_type(tl_member(error, "data"),
	    json_type_string) && strcmp(json_object_get_string(
	    tl_member(error, "data")), agent_address(7)) == 0,
	    "agent /7: expected data \"%s\" in %s", agent_address(7),
	    tl_json_text(error));
	json_object_put(error);
	snprintf(foreign, sizeof foreign, "tcp://127.0.0.1:%u/1",
	    slave->port == 65535 ? 1 : slave->port + 1);
	error = tl_errf(client, E_AGENT_NOT_FOUND, "agent.get",
	    "{\"agent\":\"%s\"}", foreign);
	ck_assert_str_eq(json_object_get_string(tl_member(error, "data")),
	    foreign);
	json_object_put(error);
}
END_TEST

/* Agent methods: a type's own methods, and -32601 for others. */
START_TEST(test_agent_methods)
{
	struct json_object	*result, *error;

	spawn("counter", "{\"start\":3}", 1);
	spawn("noop", NULL, 2);
	result = tl_ok(client, "agent.get", "{\"agent\":1}");
	tl_assert_json(result, "3");
	json_object_put(result);
	result = tl_ok(client, "agent.reset", "{\"agent\":1}");
	ck_assert_ptr_null(result);
	result = tl_ok(client, "agent.get", "{\"agent\":1}");
	tl_assert_json(result, "0");
	json_object_put(result);

	error = tl_err(client, E_METHOD_NOT_FOUND, "agent.nosuch",
	    "{\"agent\":1}");
	ck_assert_str_eq(json_object_get_string(tl_member(error, "data")),
	    agent_address(1));
	json_object_put(error);
	json_object_put(tl_err(client, E_METHOD_NOT_FOUND, "agent.get",
	    "{\"agent\":2}"));
	json_object_put(tl_err(client, E_METHOD_NOT_FOUND, "nosuch", "{}"));
	json_object_put(tl_err(client, E_METHOD_NOT_FOUND, "agent.",
	    "{\"agent\":1}"));
}
END_TEST

/* stop: true, then exit 0, no process and no listening port left. */
START_TEST(test_stop)
{
	struct json_object	*result;
	struct tl_exit		 e;
	pid_t			 pid = slave->pid;
	char			*err;

	spawn_counters(3);
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	result = tl_ok(client, "stop", "{}");
	tl_assert_json(result, "true");
	json_object_put(result);
	tl_expect_eof(client, TL_TIMEOUT);
	e = tl_daemon_wait(slave, TL_STOP_WAIT);
	err = tl_daemon_stderr(slave);
	ck_assert_msg(tl_exit_ok(&e), "after stop the slave %s; stderr:\n%s",
	    tl_exit_string(&e), err);
	free(err);
	ck_assert_msg(!tl_pid_alive(pid), "pid %ld still alive", (long)pid);
	ck_assert_msg(tl_wait_port_closed(slave->port, 5.0),
	    "port %u still listening", slave->port);
}
END_TEST

/* A request that arrives after stop is answered -32007, not dropped. */
START_TEST(test_stop_then_request)
{
	static const char	 both[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"stop\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,"
	    "\"method\":\"status\"}\n";
	struct json_object	*reply, *id;
	struct tl_exit		 e;
	char			*line;
	int			 got_stop = 0, got_status = 0;

	/* Both lines in one write: the second arrives while stopping. */
	tl_send_raw(client, both, strlen(both));
	while (tl_read_line(client, TL_TIMEOUT, &line) == TL_READ_LINE) {
		reply = tl_json(line);
		free(line);
		ck_assert_msg(json_object_object_get_ex(reply, "id", &id),
		    "no id: %s", tl_json_text(reply));
		if (json_object_get_int(id) == 1) {
			tl_assert_json(tl_response_result(reply), "true");
			got_stop = 1;
		} else {
			ck_assert_int_eq(tl_response_code(reply),
			    E_SHUTTING_DOWN);
			got_status = 1;
		}
		json_object_put(reply);
	}
	ck_assert_msg(got_stop, "no reply to stop");
	ck_assert_msg(got_status, "the status sent right after stop got no "
	    "reply (expected -32007): the connection just closed");
	e = tl_daemon_wait(slave, TL_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "after stop the slave %s",
	    tl_exit_string(&e));
	/* No new connection is accepted once stopped. */
	ck_assert_msg(tl_wait_port_closed(slave->port, 5.0),
	    "port %u still listening", slave->port);
}
END_TEST

/* stop with log_folder writes env_PORT.log and agent_PORT_N.log files. */
START_TEST(test_stop_log_folder)
{
	struct json_object	*result;
	struct tl_exit		 e;
	const char		*dir = tl_tempdir();
	char			*folder, *path, *name, *text;
	struct stat		 st;
	long			 i;

	spawn_counters(3);
	spawn("noop", NULL, 4);
	json_object_put(tl_ok(client, "trigger_all",
	    "{\"args\":{\"by\":2}}"));
	json_object_put(tl_ok(client, "trigger_all",
	    "{\"args\":{\"by\":3}}"));
	json_object_put(tl_ok(client, "agent.act",
	    "{\"agent\":2,\"args\":{\"by\":10}}"));

	/* A folder that does not exist yet is made. */
	folder = tl_path(dir, "logs");
	result = tl_okf(client, "stop", "{\"log_folder\":\"%s\"}", folder);
	tl_assert_json(result, "true");
	json_object_put(result);
	e = tl_daemon_wait(slave, TL_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "after stop the slave %s",
	    tl_exit_string(&e));

	if (asprintf(&name, "env_%u.log", slave->port) == -1)
		ck_abort_msg("asprintf");
	path = tl_path(folder, name);
	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "no %s", path);
	ck_assert_msg(strstr(text, "stop") != NULL, "%s: no stop line:\n%s",
	    path, text);
	free(text);
	free(path);
	free(name);

	for (i = 1; i <= 4; i++) {
		if (asprintf(&name, "agent_%u_%ld.log", slave->port, i) == -1)
			ck_abort_msg("asprintf");
		path = tl_path(folder, name);
		text = tl_read_file(path);
		if (i == 4)
			ck_assert_msg(text == NULL && stat(path, &st) == -1,
			    "%s written for a noop agent that logged nothing",
			    path);
		else {
			ck_assert_msg(text != NULL, "no %s", path);
			ck_assert_str_eq(text, i == 2 ? "round 2: count 15\n" :
			    "round 2: count 5\n");
		}
		free(text);
		free(path);
		free(name);
	}
	free(folder);
}
END_TEST

/*
 * Check the environment's log holds every round and the stop, and the
 * start when with_start: the spec promises that whichever way the folder
 * was given (--log-folder, set_log_folder or stop's log_folder).
 */
static void
check_env_log(uint16_t port, const char *folder, int with_start)
{
	char	*name, *path, *text;

	if (asprintf(&name, "env_%u.log", port) == -1)
		ck_abort_msg("asprintf");
	path = tl_path(folder, name);
	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "no %s", path);
	ck_assert_msg(!with_start || strstr(text, "start") != NULL,
	    "%s: no start:\n%s", path, text);
	ck_assert_msg(strstr(text, "round 1") != NULL &&
	    strstr(text, "round 2") != NULL, "%s: not every round:\n%s",
	    path, text);
	ck_assert_msg(strstr(text, "3 agents") != NULL, "%s: no agent "
	    "count:\n%s", path, text);
	ck_assert_msg(strstr(text, "stopped") != NULL, "%s: no stop:\n%s",
	    path, text);
	free(text);
	free(path);
	free(name);
}

/* Run two rounds of three counters, then stop (optionally to a folder). */
static void
two_rounds_and_stop(const char *folder)
{
	struct tl_exit	 e;

	spawn_counters(3);
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	json_object_put(tl_ok(client, "trigger_all", "{}"));
	if (folder != NULL)
		json_object_put(tl_okf(client, "stop",
		    "{\"log_folder\":\"%s\"}", folder));
	else
		json_object_put(tl_ok(client, "stop", "{}"));
	e = tl_daemon_wait(slave, TL_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "after stop the slave %s",
	    tl_exit_string(&e));
}

/* --log-folder: the environment's log has start, rounds and stop. */
START_TEST(test_env_log_option)
{
	const char	*folder = tl_tempdir();
	struct tl_exit	 e;

	tl_close(client);
	/* This test starts its own slave, with --log-folder. */
	e = tl_daemon_stop(slave);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(slave);
	slave = tl_daemon_start("--log-folder", folder, NULL);
	client = tl_connect(slave->port);
	two_rounds_and_stop(NULL);
	check_env_log(slave->port, folder, 1);
}
END_TEST

/* set_log_folder makes the folder; the log is complete at stop. */
START_TEST(test_set_log_folder)
{
	const char	*dir = tl_tempdir();
	char		*folder, *file;
	struct stat	 st;

	folder = tl_path(dir, "made");
	ck_assert_ptr_null(tl_okf(client, "set_log_folder",
	    "{\"path\":\"%s\"}", folder));
	ck_assert_msg(stat(folder, &st) == 0 && S_ISDIR(st.st_mode),
	    "set_log_folder did not make %s", folder);
	/* A folder that cannot be made is -32012. */
	file = tl_path(dir, "file");
	tl_write_file(file, "x\n");
	json_object_put(tl_errf(client, E_FAILED, "set_log_folder",
	    "{\"path\":\"%s/sub\"}", file));
	json_object_put(tl_err(client, E_INVALID_PARAMS, "set_log_folder",
	    "{}"));
	two_rounds_and_stop(NULL);
	check_env_log(slave->port, folder, 0);
	free(file);
	free(folder);
}
END_TEST

/* set_log_folder during the run: the log still starts with the start. */
START_TEST(test_set_log_folder_history)
{
	const char	*folder = tl_tempdir();

	ck_assert_ptr_null(tl_okf(client, "set_log_folder",
	    "{\"path\":\"%s\"}", folder));
	two_rounds_and_stop(NULL);
	check_env_log(slave->port, folder, 1);
}
END_TEST

/* stop's log_folder: the same complete history as --log-folder. */
START_TEST(test_stop_log_folder_history)
{
	const char	*folder = tl_tempdir();

	two_rounds_and_stop(folder);
	check_env_log(slave->port, folder, 1);
}
END_TEST

/* The slave suite. */
Suite *
suite_slave(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("slave");
	tc = tcase_create("environment");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, slave_setup, slave_teardown);
	tcase_add_test(tc, test_spawn_addresses);
	tcase_add_test(tc, test_get_agents_by_type);
	tcase_add_test(tc, test_random_connections);
	tcase_add_test(tc, test_random_connections_too_many);
	tcase_add_test(tc, test_trigger_all_results);
	tcase_add_test(tc, test_trigger_all_failures);
	tcase_add_test(tc, test_agent_add_connection);
	tcase_add_test(tc, test_agent_remove_connection);
	tcase_add_test(tc, test_agent_get_connections);
	tcase_add_test(tc, test_get_connections);
	tcase_add_test(tc, test_create_connections);
	tcase_add_test(tc, test_artifacts);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_host_manager);
	tcase_add_test(tc, test_trigger_act);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_status_requests);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_agent_not_found);
	tcase_add_test(tc, test_agent_not_found_data);
	tcase_add_test(tc, test_agent_methods);
	suite_add_tcase(s, tc);

	tc = tcase_create("stop");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, slave_setup, slave_teardown);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_stop_then_request);
	tcase_add_test(tc, test_stop_log_folder);
	tcase_add_test(tc, test_env_log_option);
	tcase_add_test(tc, test_set_log_folder);
	tcase_add_test(tc, test_set_log_folder_history);
	tcase_add_test(tc, test_stop_log_folder_history);
	suite_add_tcase(s, tc);
	return (s);
}
