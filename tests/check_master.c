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
 * End-to-end tests of creamasd --role master, the node manager: Creamas'
 * multi-environment test ported (a master with two slaves, 40 spawns
 * split 20/20, spawn_n, trigger_all in slave-then-agent order, a random
 * graph written with create_connections and read back), and the rest of
 * what a master does that is not a fault: routing agent.NAME by address,
 * spawn_n to one slave, status per slave, get_agents as the slaves' own
 * lists joined (written from their runs of ids) and a stop while it is
 * written, --slaves auto, the slave ports and start-up without -d. The
 * faults are in check_master_faults.c.
 *
 * Every test starts its own master on an ephemeral loopback port, stops
 * it by pid (the stop method, or SIGTERM) and checks that the master and
 * every slave are gone: the test process adopts orphans, so a slave that
 * outlives its master shows up as a stray child.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "testlib.h"

#define CM_SLAVES_MAX		64
#define CM_TEST_TIMEOUT		120	/* seconds per test */
#define CM_STOP_WAIT		20.0	/* seconds for a master to exit */
#define CM_GRAPH_NODES		50
#define CM_GRAPH_SEED		20260101ULL
#define CM_LONG_LIST		300000	/* agents per slave, a long list */

Suite	*suite_master(void);

/* A master under test, its connection and what it says of its slaves. */
struct cm_node {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	char			*manager;	/* tcp://127.0.0.1:PORT/0 */
	size_t			 nslaves;
	pid_t			 pids[CM_SLAVES_MAX];
	uint16_t		 ports[CM_SLAVES_MAX];
	char			*managers[CM_SLAVES_MAX];
	char			*prefixes[CM_SLAVES_MAX];  /* without N */
};

/* Return the index of the slave holding an address, failing if none. */
static size_t
cm_slave_of(const struct cm_node *node, const char *address)
{
	size_t	 i;

	for (i = 0; i < node->nslaves; i++) {
		if (strncmp(address, node->prefixes[i],
		    strlen(node->prefixes[i])) == 0)
			return (i);
	}
	ck_abort_msg("%s is on no slave of the master", address);
	return (0);
}

/* Read the slaves' addresses and pids from the master's status. */
static void
cm_read_slaves(struct cm_node *node)
{
	struct json_object	*status, *slaves, *slave;
	const char		*address;
	size_t			 i, j;

	status = tl_ok(node->conn, "status", NULL);
	ck_assert_str_eq(tl_string(status, "role"), "master");
	ck_assert_int_eq(tl_int(status, "pid"), node->daemon->pid);
	ck_assert_str_eq(tl_string(status, "address"), node->manager);
	slaves = tl_member(status, "slaves");
	ck_assert_msg(json_object_is_type(slaves, json_type_array),
	    "status: slaves is no array: %s", tl_json_text(status));
	node->nslaves = json_object_array_length(slaves);
	ck_assert_msg(node->nslaves > 0 && node->nslaves <= CM_SLAVES_MAX,
	    "status lists %zu slaves", node->nslaves);
	for (i = 0; i < node->nslaves; i++) {
		slave = tl_index(slaves, i);
		address = tl_string(slave, "address");
		node->managers[i] = tl_strdup(address);
		node->prefixes[i] = tl_strdup(address);
		node->prefixes[i][strlen(address) - 1] = '\0';
		ck_assert_msg(tl_address_agent(address) == 0, "slave address "
		    "%s is no /0", address);
		node->ports[i] = tl_address_port(address);
		node->pids[i] = (pid_t)tl_int(slave, "pid");
		ck_assert_msg(node->pids[i] > 0 && tl_pid_alive(node->pids[i]),
		    "slave %s: pid %ld is not running", address,
		    (long)node->pids[i]);
		ck_assert_msg(node->pids[i] != node->daemon->pid,
		    "slave %s has the master's pid", address);
		for (j = 0; j < i; j++) {
			ck_assert_msg(node->pids[j] != node->pids[i] &&
			    node->ports[j] != node->ports[i], "slaves %zu and "
			    "%zu share a pid or a port: %s", j, i,
			    tl_json_text(slaves));
		}
	}
	json_object_put(status);
}

/*
 * Start a master with a number of slaves and more arguments (NULL-
 * terminated), in the foreground on an ephemeral port, and learn its
 * slaves. The test process adopts orphans from now on.
 */
static struct cm_node *
cm_start(const char *slaves, ...)
{
	const char	*args[64], *arg;
	struct cm_node	*node;
	va_list		 ap;
	size_t		 n = 0;

	tl_adopt_orphans();
	args[n++] = "--role";
	args[n++] = "master";
	args[n++] = "--slaves";
	args[n++] = slaves;
	va_start(ap, slaves);
	while ((arg = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(n < 63, "too many arguments");
		args[n++] = arg;
	}
	va_end(ap);
	args[n] = NULL;
	ck_assert_msg((node = calloc(1, sizeof *node)) != NULL,
	    "out of memory");
	node->daemon = tl_daemon_startv(args);
	node->conn = tl_connect(node->daemon->port);
	node->manager = tl_printf("tcp://127.0.0.1:%u/0", node->daemon->port);
	cm_read_slaves(node);
	return (node);
}

/* tl_expect_result() with params formatted. */
static void __attribute__((format(printf, 4, 5)))
cm_expectf(struct tl_conn *conn, const char *expected, const char *method,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*params;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&params, fmt, ap);
	va_end(ap);
	ck_assert_msg(rc != -1, "out of memory");
	tl_expect_result(conn, method, params, expected);
	free(params);
}

/* Call an error-expecting method and drop the error. */
static void
cm_expect_error(struct tl_conn *conn, int code, const char *method,
    const char *params)
{
	json_object_put(tl_err(conn, code, method, params));
}

/* Fail unless no slave process of the node is left and no stray child. */
static void
cm_assert_all_gone(const struct cm_node *node)
{
	tl_assert_slaves_gone(node->nslaves, node->pids, node->managers);
}

/* Free a node's memory (the processes are gone). */
static void
cm_free(struct cm_node *node)
{
	size_t	 i;

	tl_close(node->conn);
	for (i = 0; i < node->nslaves; i++) {
		free(node->managers[i]);
		free(node->prefixes[i]);
	}
	free(node->manager);
	tl_daemon_free(node->daemon);
	free(node);
}

/*
 * Stop a master with the stop method: true comes only once every slave
 * has exited, then the master exits 0 and nothing is left.
 */
static void
cm_stop(struct cm_node *node)
{
	struct tl_exit	 e;
	size_t		 i;

	node->conn->timeout = CM_STOP_WAIT;
	tl_expect_result(node->conn, "stop", NULL, "true");
	for (i = 0; i < node->nslaves; i++) {
		ck_assert_msg(!tl_pid_alive(node->pids[i]), "stop answered "
		    "true while slave %s (pid %ld) still runs",
		    node->managers[i], (long)node->pids[i]);
	}
	e = tl_daemon_wait(node->daemon, CM_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "master after stop: %s",
	    tl_exit_string(&e));
	cm_assert_all_gone(node);
	cm_free(node);
}

/* Call a slave directly: method(params) on its own port; the result. */
static struct json_object *
cm_slave_ok(const struct cm_node *node, size_t slave, const char *method,
    const char *params)
{
	struct json_object	*result;
	struct tl_conn		*conn;

	conn = tl_connect(node->ports[slave]);
	result = tl_ok(conn, method, params);
	tl_close(conn);
	return (result);
}

/* Call a slave directly and fail unless the result is as expected. */
static void
cm_slave_expect(const struct cm_node *node, size_t slave, const char *method,
    const char *params, const char *expected)
{
	struct tl_conn	*conn;

	conn = tl_connect(node->ports[slave]);
	tl_expect_result(conn, method, params, expected);
	tl_close(conn);
}

/* Fail unless value is an array of n strings; return n. */
static size_t
cm_assert_strings(struct json_object *value, size_t n, const char *what)
{
	size_t	 i;

	ck_assert_msg(json_object_is_type(value, json_type_array) &&
	    json_object_array_length(value) == n, "%s: expected %zu "
	    "addresses, got %.1000s", what, n, tl_json_text(value));
	for (i = 0; i < n; i++) {
		ck_assert_msg(json_object_is_type(json_object_array_get_idx(
		    value, i), json_type_string), "%s: element %zu is no "
		    "string in %.1000s", what, i, tl_json_text(value));
	}
	return (n);
}

/*
 * Fail unless agents (from get_agents) are in slave order, then agent
 * order, with counts[i] agents on slave i, numbered from 1.
 */
static void
cm_assert_agent_order(const struct cm_node *node, struct json_object *agents,
    const size_t *counts)
{
	const char	*address;
	size_t		 slave, j = 0, k, total = 0;

	for (slave = 0; slave < node->nslaves; slave++)
		total += counts[slave];
	cm_assert_strings(agents, total, "get_agents");
	for (slave = 0; slave < node->nslaves; slave++) {
		for (k = 1; k <= counts[slave]; k++, j++) {
			address = json_object_get_string(
			    json_object_array_get_idx(agents, j));
			ck_assert_msg(cm_slave_of(node, address) == slave &&
			    tl_address_agent(address) == (long)k,
			    "get_agents[%zu] is %s, expected %s%zu", j,
			    address, node->prefixes[slave], k);
		}
	}
}

/* A small deterministic generator (xorshift64*) for the test graph. */
static uint64_t
cm_random(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 2685821657736338717ULL);
}

/* Spawn n counters spread by spawn_n; return get_agents. */
static struct json_object *
cm_spawn_counters(struct cm_node *node, size_t n)
{
	struct json_object	*spawned, *agents;

	spawned = tl_okf(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":%zu}", n);
	cm_assert_strings(spawned, n, "spawn_n");
	json_object_put(spawned);
	agents = tl_ok(node->conn, "get_agents", NULL);
	cm_assert_strings(agents, n, "get_agents");
	return (agents);
}

/*
 * The master is ready with its two slaves, lists their /0 addresses with
 * get_slave_managers, and set_host_managers makes the master's /0 every
 * slave's host_manager (asked of each slave directly).
 */
START_TEST(test_managers)
{
	struct cm_node		*node;
	struct json_object	*result;
	size_t			 i;

	node = cm_start("2", NULL);
	ck_assert_uint_eq(node->nslaves, 2);
	tl_expect_result(node->conn, "is_ready", NULL, "true");

	result = tl_ok(node->conn, "get_slave_managers", NULL);
	cm_assert_strings(result, 2, "get_slave_managers");
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(json_object_get_string(
		    json_object_array_get_idx(result, i)), node->managers[i]);
		ck_assert_msg(node->ports[i] != node->daemon->port,
		    "slave %zu listens on the master's port", i);
	}
	json_object_put(result);

	for (i = 0; i < 2; i++) {
		cm_slave_expect(node, i, "host_manager", NULL, "null");
		cm_slave_expect(node, i, "is_ready", NULL, "true");
	}
	tl_expect_result(node->conn, "set_host_managers", NULL, "null");
	for (i = 0; i < 2; i++) {
		result = cm_slave_ok(node, i, "host_manager", NULL);
		ck_assert_msg(json_object_is_type(result, json_type_string) &&
		    strcmp(json_object_get_string(result), node->manager) == 0,
		    "slave %s: host_manager is %s, expected \"%s\"",
		    node->managers[i], tl_json_text(result), node->manager);
		json_object_put(result);
	}
	cm_stop(node);
}
END_TEST

/*
 * Creamas' multi-environment test: 40 spawn calls split 20/20 over two
 * slaves, spawn_n of 10 makes 50, and trigger_all with args returns 50
 * results in slave-then-agent order: counters started at distinct
 * values, acted with {"by": K}, matched against get_agents.
 */
START_TEST(test_spawn_and_trigger)
{
	struct cm_node		*node;
	struct json_object	*result, *starts, *agents, *results, *start;
	const size_t		 counts[2] = { 25, 25 };
	size_t			 per_slave[2] = { 0, 0 }, i;
	int64_t			 expected;
	char			*address;

	node = cm_start("2", NULL);
	starts = json_object_new_object();
	for (i = 0; i < 40; i++) {
		result = tl_okf(node->conn, "spawn", "{\"type\":\"counter\","
		    "\"params\":{\"start\":%zu}}", 1000 * (i + 1));
		ck_assert_msg(json_object_is_type(result, json_type_string),
		    "spawn: %s", tl_json_text(result));
		address = tl_strdup(json_object_get_string(result));
		per_slave[cm_slave_of(node, address)]++;
		json_object_object_add(starts, address,
		    json_object_new_int64(1000 * ((int64_t)i + 1)));
		free(address);
		json_object_put(result);
	}
	ck_assert_msg(per_slave[0] == 20 && per_slave[1] == 20, "40 spawns "
	    "split %zu/%zu, expected 20/20", per_slave[0], per_slave[1]);

	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":10,\"params\":{\"start\":7}}");
	cm_assert_strings(result, 10, "spawn_n");
	per_slave[0] = per_slave[1] = 0;
	for (i = 0; i < 10; i++) {
		address = tl_strdup(json_object_get_string(
		    json_object_array_get_idx(result, i)));
		per_slave[cm_slave_of(node, address)]++;
		json_object_object_add(starts, address,
		    json_object_new_int64(7));
		free(address);
	}
	json_object_put(result);
	ck_assert_msg(per_slave[0] == 5 && per_slave[1] == 5, "spawn_n 10 "
	    "split %zu/%zu, expected 5/5", per_slave[0], per_slave[1]);

	agents = tl_ok(node->conn, "get_agents", NULL);
	cm_assert_agent_order(node, agents, counts);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"noop\"}", "[]");

	/* Two rounds with results, then one without. */
	result = tl_ok(node->conn, "trigger_all", "{\"args\":{\"by\":3},"
	    "\"results\":true}");
	ck_assert_int_eq(tl_int(result, "agents"), 50);
	ck_assert_int_eq(tl_int(result, "failed"), 0);
	ck_assert_int_eq(tl_int(result, "round"), 1);
	ck_assert_msg(tl_int(result, "elapsed_us") >= 0, "elapsed_us < 0");
	tl_assert_json(tl_member(result, "errors"), "[]");
	results = tl_member(result, "results");
	ck_assert_msg(json_object_is_type(results, json_type_array) &&
	    json_object_array_length(results) == 50, "results: %.1000s",
	    tl_json_text(results));
	for (i = 0; i < 50; i++) {
		start = tl_member(starts, json_object_get_string(
		    json_object_array_get_idx(agents, i)));
		expected = json_object_get_int64(start) + 3;
		ck_assert_msg(json_object_is_type(json_object_array_get_idx(
		    results, i), json_type_int) && json_object_get_int64(
		    json_object_array_get_idx(results, i)) == expected,
		    "results[%zu] (agent %s) is %s, expected %lld: results are"
		    " not in slave-then-agent order: %.1000s", i,
		    json_object_get_string(json_object_array_get_idx(agents,
		    i)), tl_json_text(json_object_array_get_idx(results, i)),
		    (long long)expected, tl_json_text(results));
	}
	json_object_put(result);

	result = tl_ok(node->conn, "trigger_all", "{\"args\":{\"by\":5},"
	    "\"results\":true}");
	ck_assert_int_eq(tl_int(result, "round"), 2);
	results = tl_member(result, "results");
	for (i = 0; i < 50; i++) {
		start = tl_member(starts, json_object_get_string(
		    json_object_array_get_idx(agents, i)));
		ck_assert_int_eq(json_object_get_int64(
		    json_object_array_get_idx(results, i)),
		    json_object_get_int64(start) + 8);
	}
	json_object_put(result);

	result = tl_ok(node->conn, "trigger_all", NULL);
	ck_assert_int_eq(tl_int(result, "agents"), 50);
	ck_assert_int_eq(tl_int(result, "round"), 3);
	ck_assert_msg(!json_object_object_get_ex(result, "results", NULL),
	    "results without results:true: %s", tl_json_text(result));
	json_object_put(result);

	/* Each slave holds its 25, each acted three times. */
	for (i = 0; i < 2; i++) {
		result = cm_slave_ok(node, i, "agent.get", "{\"agent\":25}");
		start = tl_member(starts, json_object_get_string(
		    json_object_array_get_idx(agents, 25 * i + 24)));
		ck_assert_int_eq(json_object_get_int64(result),
		    json_object_get_int64(start) + 9);
		json_object_put(result);
	}
	json_object_put(agents);
	json_object_put(starts);
	cm_stop(node);
}
END_TEST

/* Return 1 if the connections (array of strings) hold address. */
static int
cm_list_has(struct json_object *list, const char *address)
{
	size_t	 i;

	for (i = 0; i < json_object_array_length(list); i++) {
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(list, i)), address) == 0)
			return (1);
	}
	return (0);
}

/*
 * A random 50-node graph (edge probability 0.4, fixed seed) sent whole
 * to the master with create_connections comes back the same from
 * get_connections; sent again, nothing is added; clear_connections
 * empties it.
 */
START_TEST(test_graph)
{
	struct cm_node		*node;
	struct json_object	*agents, *map, *list, *params, *result, *pair;
	struct json_object	*added, *conns;
	static int		 edge[CM_GRAPH_NODES][CM_GRAPH_NODES];
	uint64_t		 state = CM_GRAPH_SEED;
	size_t			 i, j, k, degree, edges = 0, crossing = 0;
	const char		*address;

	node = cm_start("2", NULL);
	agents = cm_spawn_counters(node, CM_GRAPH_NODES);
	memset(edge, 0, sizeof edge);
	for (i = 0; i < CM_GRAPH_NODES; i++) {
		for (j = i + 1; j < CM_GRAPH_NODES; j++) {
			if (cm_random(&state) % 1000 < 400) {
				edge[i][j] = edge[j][i] = 1;
				edges++;
			}
		}
	}
	ck_assert_msg(edges > 300 && edges < 680, "the test graph has %zu "
	    "edges of 1225", edges);

	map = json_object_new_object();
	for (i = 0; i < CM_GRAPH_NODES; i++) {
		list = json_object_new_array();
		for (j = 0; j < CM_GRAPH_NODES; j++) {
			if (!edge[i][j])
				continue;
			json_object_array_add(list, json_object_get(
			    json_object_array_get_idx(agents, j)));
			if (cm_slave_of(node, json_object_get_string(
			    json_object_array_get_idx(agents, i))) !=
			    cm_slave_of(node, json_object_get_string(
			    json_object_array_get_idx(agents, j))))
				crossing++;
		}
		json_object_object_add(map, json_object_get_string(
		    json_object_array_get_idx(agents, i)), list);
	}
	ck_assert_msg(crossing > 0, "no edge crosses slaves");
	params = json_object_new_object();
	json_object_object_add(params, "map", map);

	/* One list of booleans per agent, in slave and map order. */
	node->conn->timeout = 30;
	added = tl_ok(node->conn, "create_connections", tl_json_text(params));
	ck_assert_msg(json_object_is_type(added, json_type_array) &&
	    json_object_array_length(added) == CM_GRAPH_NODES,
	    "create_connections: %.1000s", tl_json_text(added));
	for (i = 0; i < CM_GRAPH_NODES; i++) {
		list = json_object_array_get_idx(added, i);
		for (j = degree = 0; j < CM_GRAPH_NODES; j++)
			degree += edge[i][j];
		ck_assert_msg(json_object_is_type(list, json_type_array) &&
		    json_object_array_length(list) == degree,
		    "create_connections[%zu]: %s for %zu connections", i,
		    tl_json_text(list), degree);
		for (k = 0; k < degree; k++)
			tl_assert_json(json_object_array_get_idx(list, k),
			    "true");
	}
	json_object_put(added);

	result = tl_ok(node->conn, "get_connections", NULL);
	ck_assert_msg(json_object_is_type(result, json_type_array) &&
	    json_object_array_length(result) == CM_GRAPH_NODES,
	    "get_connections: %.1000s", tl_json_text(result));
	for (i = 0; i < CM_GRAPH_NODES; i++) {
		pair = json_object_array_get_idx(result, i);
		address = json_object_get_string(tl_index(pair, 0));
		ck_assert_str_eq(address, json_object_get_string(
		    json_object_array_get_idx(agents, i)));
		conns = tl_index(pair, 1);
		for (j = degree = 0; j < CM_GRAPH_NODES; j++) {
			degree += edge[i][j];
			ck_assert_msg(cm_list_has(conns, json_object_get_string(
			    json_object_array_get_idx(agents, j))) ==
			    edge[i][j], "%s: connection to agent %zu %s in "
			    "%.1000s", address, j, edge[i][j] ? "missing" :
			    "not in the graph", tl_json_text(conns));
		}
		ck_assert_msg(json_object_array_length(conns) == degree,
		    "%s: %zu connections, expected %zu", address,
		    json_object_array_length(conns), degree);
	}
	json_object_put(result);

	/* The same map again adds nothing. */
	added = tl_ok(node->conn, "create_connections", tl_json_text(params));
	for (i = 0; i < CM_GRAPH_NODES; i++) {
		list = json_object_array_get_idx(added, i);
		for (k = 0; k < json_object_array_length(list); k++)
			tl_assert_json(json_object_array_get_idx(list, k),
			    "false");
	}
	json_object_put(added);
	json_object_put(params);

	tl_expect_result(node->conn, "clear_connections", NULL, "null");
	result = tl_ok(node->conn, "get_connections", NULL);
	for (i = 0; i < CM_GRAPH_NODES; i++)
		tl_assert_json(tl_index(tl_index(result, i), 1), "[]");
	json_object_put(result);
	json_object_put(agents);
	cm_stop(node);
}
END_TEST

/*
 * create_random_connections on a master draws among the agents of every
 * slave: each agent gets exactly n distinct connections, none to itself,
 * all to agents of the node, some across slaves; n >= agents is refused.
 */
START_TEST(test_random_connections)
{
	struct cm_node		*node;
	struct json_object	*agents, *result, *pair, *conns;
	const char		*address, *to;
	size_t			 i, j, k, crossing = 0;
	const int64_t		 n = 5;

	node = cm_start("2", NULL);
	agents = cm_spawn_counters(node, 50);
	cm_expectf(node->conn, "null", "create_random_connections",
	    "{\"n\":%lld}", (long long)n);
	result = tl_ok(node->conn, "get_connections", NULL);
	ck_assert_msg(json_object_array_length(result) == 50,
	    "get_connections: %.1000s", tl_json_text(result));
	for (i = 0; i < 50; i++) {
		pair = tl_index(result, i);
		address = json_object_get_string(tl_index(pair, 0));
		conns = tl_index(pair, 1);
		ck_assert_msg(json_object_is_type(conns, json_type_array) &&
		    json_object_array_length(conns) == (size_t)n,
		    "%s has %s, expected %lld connections", address,
		    tl_json_text(conns), (long long)n);
		for (j = 0; j < (size_t)n; j++) {
			to = json_object_get_string(
			    json_object_array_get_idx(conns, j));
			ck_assert_msg(strcmp(to, address) != 0, "%s is "
			    "connected to itself", address);
			ck_assert_msg(cm_list_has(agents, to), "%s is "
			    "connected to %s, no agent of the node", address,
			    to);
			for (k = 0; k < j; k++) {
				ck_assert_msg(strcmp(to, json_object_get_string(
				    json_object_array_get_idx(conns, k))) != 0,
				    "%s has %s twice", address, to);
			}
			if (cm_slave_of(node, to) != cm_slave_of(node, address))
				crossing++;
		}
	}
	json_object_put(result);
	ck_assert_msg(crossing > 0, "no random connection crosses slaves");

	cm_expect_error(node->conn, -32602,
	    "create_random_connections", "{\"n\":50}");
	cm_expect_error(node->conn, -32602,
	    "create_random_connections", "{\"n\":-1}");
	json_object_put(agents);
	cm_stop(node);
}
END_TEST

/*
 * agent.NAME and trigger_act on a master take the agent's address and
 * reach the slave that holds it; a number, an address of no slave, an
 * agent a slave lacks and a method the type lacks are errors.
 */
START_TEST(test_agent_routing)
{
	struct cm_node		*node;
	struct json_object	*agents, *result;
	const char		*a[4];
	char			*unknown;
	size_t			 i;

	node = cm_start("2", NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\",\"n\":4,"
	    "\"params\":{\"start\":10}}");
	json_object_put(result);
	agents = tl_ok(node->conn, "get_agents", NULL);
	cm_assert_strings(agents, 4, "get_agents");
	for (i = 0; i < 4; i++)
		a[i] = json_object_get_string(json_object_array_get_idx(agents,
		    i));
	ck_assert_uint_eq(cm_slave_of(node, a[0]), 0);
	ck_assert_uint_eq(cm_slave_of(node, a[3]), 1);

	cm_expectf(node->conn, "10", "agent.get", "{\"agent\":\"%s\"}", a[2]);
	cm_expectf(node->conn, "14", "agent.act", "{\"agent\":\"%s\","
	    "\"args\":{\"by\":4}}", a[3]);
	cm_expectf(node->conn, "12", "trigger_act", "{\"agent\":\"%s\","
	    "\"args\":{\"by\":2}}", a[0]);
	cm_expectf(node->conn, "null", "agent.reset", "{\"agent\":\"%s\"}",
	    a[1]);

	/* The calls reached the slaves that hold the agents. */
	cm_slave_expect(node, 0, "agent.get", "{\"agent\":1}", "12");
	cm_slave_expect(node, 0, "agent.get", "{\"agent\":2}", "0");
	cm_slave_expect(node, 1, "agent.get", "{\"agent\":1}", "10");
	cm_slave_expect(node, 1, "agent.get", "{\"agent\":2}", "14");

	/* Connections across slaves, set and read through the master. */
	cm_expectf(node->conn, "true", "agent.add_connection", "{\"agent\":"
	    "\"%s\",\"addr\":\"%s\",\"data\":{\"w\":1}}", a[0], a[3]);
	cm_expectf(node->conn, "false", "agent.add_connection", "{\"agent\":"
	    "\"%s\",\"addr\":\"%s\"}", a[0], a[3]);
	result = tl_okf(node->conn, "agent.get_connections", "{\"agent\":"
	    "\"%s\",\"data\":true}", a[0]);
	ck_assert_msg(json_object_is_type(result, json_type_object) &&
	    json_object_object_length(result) == 1 && tl_json_equal(
	    tl_member(result, a[3]), "{\"w\":1}"), "agent.get_connections: "
	    "%s", tl_json_text(result));
	json_object_put(result);
	result = cm_slave_ok(node, 0, "agent.get_connections", "{\"agent\":1}");
	ck_assert_msg(json_object_array_length(result) == 1 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(result,
	    0)), a[3]) == 0, "slave 0 agent 1: %s", tl_json_text(result));
	json_object_put(result);
	cm_expectf(node->conn, "true", "agent.remove_connection", "{\"agent\":"
	    "\"%s\",\"addr\":\"%s\"}", a[0], a[3]);

	/* What cannot be routed. */
	cm_expect_error(node->conn, -32602, "agent.get",
	    "{\"agent\":1}");
	cm_expect_error(node->conn, -32602, "agent.get", "{}");
	cm_expect_error(node->conn, -32602, "trigger_act",
	    "{\"agent\":2}");
	cm_expect_error(node->conn, -32602, "agent.get",
	    "{\"agent\":\"not an address\"}");
	cm_expect_error(node->conn, -32001, "agent.get",
	    "{\"agent\":\"tcp://127.0.0.1:1/1\"}");
	unknown = tl_printf("%s99", node->prefixes[1]);
	json_object_put(tl_errf(node->conn, -32001, "agent.get",
	    "{\"agent\":\"%s\"}", unknown));
	json_object_put(tl_errf(node->conn, -32001, "trigger_act",
	    "{\"agent\":\"%s\"}", unknown));
	free(unknown);
	json_object_put(tl_errf(node->conn, -32601, "agent.no_such_method",
	    "{\"agent\":\"%s\"}", a[1]));
	json_object_put(agents);
	cm_stop(node);
}
END_TEST

/*
 * spawn_n with "slave" puts every agent on that slave; spawn then goes
 * to the least-loaded slave; spawn_n without it spreads evenly; a slave
 * index out of range, a negative n and an unknown type are errors.
 */
START_TEST(test_spawn_n_slave)
{
	struct cm_node		*node;
	struct json_object	*result;
	const char		*address;
	size_t			 i, per_slave[2] = { 0, 0 };

	node = cm_start("2", NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\",\"n\":7,"
	    "\"slave\":1}");
	cm_assert_strings(result, 7, "spawn_n to slave 1");
	for (i = 0; i < 7; i++) {
		address = json_object_get_string(json_object_array_get_idx(
		    result, i));
		ck_assert_msg(cm_slave_of(node, address) == 1 &&
		    tl_address_agent(address) == (long)i + 1, "spawn_n to "
		    "slave 1: %s", tl_json_text(result));
	}
	json_object_put(result);
	cm_slave_expect(node, 0, "get_agents", NULL, "[]");

	/* Slave 0 has fewer agents: the next seven spawns go there. */
	for (i = 0; i < 7; i++) {
		result = tl_ok(node->conn, "spawn", "{\"type\":\"noop\"}");
		ck_assert_msg(cm_slave_of(node, json_object_get_string(
		    result)) == 0, "spawn %zu with 0+%zu vs 7 agents went to "
		    "%s", i, i, tl_json_text(result));
		json_object_put(result);
	}

	tl_expect_result(node->conn, "spawn_n", "{\"type\":\"noop\",\"n\":0}", "[]");
	tl_expect_result(node->conn, "spawn_n", "{\"type\":\"noop\",\"n\":0,"
	    "\"slave\":0}", "[]");
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"noop\",\"n\":3}");
	cm_assert_strings(result, 3, "spawn_n 3");
	for (i = 0; i < 3; i++)
		per_slave[cm_slave_of(node, json_object_get_string(
		    json_object_array_get_idx(result, i)))]++;
	ck_assert_msg(per_slave[0] + per_slave[1] == 3 &&
	    (per_slave[0] == 2 || per_slave[1] == 2), "spawn_n 3 split "
	    "%zu/%zu", per_slave[0], per_slave[1]);
	json_object_put(result);
	result = tl_ok(node->conn, "get_agents", "{\"type\":\"counter\"}");
	cm_assert_strings(result, 7, "get_agents of type counter");
	json_object_put(result);

	cm_expect_error(node->conn, -32602, "spawn_n",
	    "{\"type\":\"noop\",\"n\":1,\"slave\":2}");
	cm_expect_error(node->conn, -32602, "spawn_n",
	    "{\"type\":\"noop\",\"n\":1,\"slave\":-1}");
	cm_expect_error(node->conn, -32602, "spawn_n",
	    "{\"type\":\"noop\",\"n\":-1}");
	cm_expect_error(node->conn, -32602, "spawn_n",
	    "{\"type\":\"noop\",\"n\":1,\"slave\":\"1\"}");
	cm_expect_error(node->conn, -32011, "spawn_n",
	    "{\"type\":\"no_such_type\",\"n\":2}");
	cm_expect_error(node->conn, -32011, "spawn",
	    "{\"type\":\"no_such_type\"}");
	result = tl_ok(node->conn, "status", NULL);
	ck_assert_int_eq(tl_int(result, "agents"), 17);
	json_object_put(result);
	cm_stop(node);
}
END_TEST

/*
 * status on a master: its own fields, then per slave its address, pid,
 * state and the slave's own status (agents, rounds, last round time).
 */
START_TEST(test_status)
{
	struct cm_node		*node;
	struct json_object	*status, *slaves, *slave, *result;
	size_t			 i;

	node = cm_start("2", NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":6}");
	json_object_put(result);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"noop\",\"n\":2,"
	    "\"slave\":0}");
	json_object_put(result);
	result = tl_ok(node->conn, "trigger_all", NULL);
	json_object_put(result);
	result = tl_ok(node->conn, "trigger_all", NULL);
	json_object_put(result);

	status = tl_ok(node->conn, "status", NULL);
	ck_assert_str_eq(tl_string(status, "role"), "master");
	ck_assert_int_eq(tl_int(status, "pid"), node->daemon->pid);
	ck_assert_str_eq(tl_string(status, "address"), node->manager);
	ck_assert_int_eq(tl_int(status, "agents"), 8);
	ck_assert_int_eq(tl_int(status, "rounds"), 2);
	ck_assert_msg(json_object_is_type(tl_member(status, "uptime"),
	    json_type_double) || json_object_is_type(tl_member(status,
	    "uptime"), json_type_int), "uptime: %s", tl_json_text(status));
	slaves = tl_member(status, "slaves");
	ck_assert_uint_eq(json_object_array_length(slaves), 2);
	for (i = 0; i < 2; i++) {
		slave = tl_index(slaves, i);
		ck_assert_str_eq(tl_string(slave, "address"),
		    node->managers[i]);
		ck_assert_int_eq(tl_int(slave, "pid"), node->pids[i]);
		ck_assert_str_eq(tl_string(slave, "state"), "ready");
		ck_assert_str_eq(tl_string(slave, "role"), "slave");
		ck_assert_int_eq(tl_int(slave, "agents"), i == 0 ? 5 : 3);
		ck_assert_int_eq(tl_int(slave, "rounds"), 2);
		ck_assert_msg(tl_int(slave, "last_round_us") >= 0,
		    "last_round_us: %s", tl_json_text(slave));
		ck_assert_msg(!json_object_object_get_ex(slave, "reason",
		    NULL) && !json_object_object_get_ex(slave, "error", NULL),
		    "a healthy slave with a reason or error: %s",
		    tl_json_text(slave));
	}
	json_object_put(status);

	/* The slave's own status agrees. */
	result = cm_slave_ok(node, 1, "status", NULL);
	ck_assert_int_eq(tl_int(result, "pid"), node->pids[1]);
	ck_assert_int_eq(tl_int(result, "agents"), 3);
	ck_assert_str_eq(tl_string(result, "address"), node->managers[1]);
	json_object_put(result);
	cm_stop(node);
}
END_TEST

/*
 * report {data} is a master's: it keeps what it is told and shows it in
 * status; a slave refuses report and get_slave_managers, and "slave" in
 * spawn_n.
 */
START_TEST(test_report)
{
	struct cm_node		*node;
	struct json_object	*status, *reports;
	struct tl_conn		*slave;

	node = cm_start("2", NULL);
	tl_expect_result(node->conn, "report", "{\"data\":{\"from\":\"test\","
	    "\"n\":1}}", "null");
	tl_expect_result(node->conn, "report", "{\"data\":[2]}", "null");
	status = tl_ok(node->conn, "status", NULL);
	reports = tl_member(status, "reports");
	ck_assert_msg(json_object_array_length(reports) == 2 &&
	    tl_json_equal(tl_member(tl_index(reports, 0), "data"),
	    "{\"from\":\"test\",\"n\":1}") && tl_json_equal(tl_member(
	    tl_index(reports, 1), "data"), "[2]"), "status reports: %s",
	    tl_json_text(reports));
	json_object_put(status);
	cm_expect_error(node->conn, -32602, "report", "{}");

	slave = tl_connect(node->ports[0]);
	cm_expect_error(slave, -32601, "report", "{\"data\":1}");
	cm_expect_error(slave, -32601, "get_slave_managers", NULL);
	cm_expect_error(slave, -32601, "set_host_managers", NULL);
	cm_expect_error(slave, -32602, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":1,\"slave\":0}");
	tl_close(slave);
	cm_stop(node);
}
END_TEST

/* Fail unless get_time answers the number expected. */
static void
cm_expect_time(struct tl_conn *conn, double expected)
{
	struct json_object	*result;

	result = tl_ok(conn, "get_time", NULL);
	ck_assert_msg((json_object_is_type(result, json_type_double) ||
	    json_object_is_type(result, json_type_int)) &&
	    json_object_get_double(result) == expected, "port %u: get_time "
	    "is %s, expected %g", conn->port, tl_json_text(result), expected);
	json_object_put(result);
}

/*
 * set_time reaches every slave and the master (get_time is the
 * master's own); get_artifacts gathers every slave's artifacts in slave
 * order, and filters by creator through the slaves.
 */
START_TEST(test_time_and_artifacts)
{
	struct cm_node		*node;
	struct json_object	*artifacts, *agents, *result;
	struct tl_conn		*slave;
	const char		*plugin = tl_plugin_path("pingpong");
	size_t			 i;

	node = cm_start("2", "--plugin", plugin, NULL);
	cm_expect_time(node->conn, 0);
	tl_expect_result(node->conn, "set_time", "{\"t\":12.5}", "null");
	cm_expect_time(node->conn, 12.5);
	for (i = 0; i < 2; i++) {
		slave = tl_connect(node->ports[i]);
		cm_expect_time(slave, 12.5);
		tl_close(slave);
	}

	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"publisher\","
	    "\"n\":4}");
	json_object_put(result);
	agents = tl_ok(node->conn, "get_agents", NULL);
	result = tl_ok(node->conn, "trigger_all", NULL);
	tl_assert_json(tl_member(result, "errors"), "[]");
	json_object_put(result);
	artifacts = tl_ok(node->conn, "get_artifacts", NULL);
	ck_assert_msg(json_object_array_length(artifacts) == 4,
	    "get_artifacts: %.1000s", tl_json_text(artifacts));
	for (i = 0; i < 4; i++) {
		result = tl_index(artifacts, i);
		ck_assert_str_eq(tl_string(result, "creator"),
		    json_object_get_string(json_object_array_get_idx(agents,
		    i)));
		ck_assert_msg(json_object_get_double(tl_member(result,
		    "time")) == 12.5 && tl_int(result, "round") == 1,
		    "artifact %zu: %s", i, tl_json_text(result));
	}
	json_object_put(artifacts);
	artifacts = tl_okf(node->conn, "get_artifacts", "{\"creator\":"
	    "\"%s\"}", json_object_get_string(json_object_array_get_idx(
	    agents, 3)));
	ck_assert_msg(json_object_array_length(artifacts) == 1,
	    "get_artifacts of one creator: %.1000s", tl_json_text(artifacts));
	json_object_put(artifacts);
	json_object_put(agents);
	cm_stop(node);
}
END_TEST

/* --slaves auto and --slaves 0 start one slave per online core. */
START_TEST(test_slaves_per_core)
{
	const char		*values[] = { "auto", "0" };
	struct cm_node		*node;
	struct json_object	*result;
	long			 cores = sysconf(_SC_NPROCESSORS_ONLN);

	ck_assert_msg(cores > 0, "sysconf: %s", strerror(errno));
	node = cm_start(values[_i], NULL);
	ck_assert_msg(node->nslaves == (size_t)cores, "--slaves %s started "
	    "%zu slaves on %ld cores", values[_i], node->nslaves, cores);
	result = tl_ok(node->conn, "get_slave_managers", NULL);
	cm_assert_strings(result, (size_t)cores, "get_slave_managers");
	json_object_put(result);
	tl_expect_result(node->conn, "is_ready", NULL, "true");
	cm_stop(node);
}
END_TEST

/*
 * --slaves auto counts the CPUs the master may run on, not the node's:
 * started bound to one CPU (as a batch job given one would be), it starts
 * one slave, though the machine has more online.
 */
START_TEST(test_slaves_per_allowed_cpu)
{
	struct cm_node	*node;
	cpu_set_t	 set;
	int		 cpu;

	ck_assert_msg(sched_getaffinity(0, sizeof set, &set) == 0,
	    "sched_getaffinity: %s", strerror(errno));
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		continue;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* This test's own process: the master started next inherits it. */
	ck_assert_msg(sched_setaffinity(0, sizeof set, &set) == 0,
	    "sched_setaffinity: %s", strerror(errno));
	node = cm_start("auto", NULL);
	ck_assert_msg(node->nslaves == 1, "--slaves auto started %zu slaves "
	    "with one CPU allowed", node->nslaves);
	tl_expect_result(node->conn, "is_ready", NULL, "true");
	cm_stop(node);
}
END_TEST

/*
 * A master on PORT puts its slaves on PORT+1 and PORT+2; with
 * --slave-ports FIRST on FIRST and FIRST+1; with --slave-ports any on
 * ports of the system's choosing.
 */
START_TEST(test_slave_ports)
{
	struct cm_node	*node;
	uint16_t	 first;
	char		 listen[32], ports[8];

	first = tl_free_ports(3);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", first);
	node = cm_start("2", "--listen", listen, NULL);
	ck_assert_uint_eq(node->daemon->port, first);
	ck_assert_msg(node->ports[0] == first + 1 && node->ports[1] ==
	    first + 2, "master on %u: slaves on %u and %u", first,
	    node->ports[0], node->ports[1]);
	cm_stop(node);

	first = tl_free_ports(2);
	snprintf(ports, sizeof ports, "%u", first);
	node = cm_start("2", "--slave-ports", ports, NULL);
	ck_assert_msg(node->ports[0] == first && node->ports[1] == first + 1,
	    "--slave-ports %u: slaves on %u and %u", first, node->ports[0],
	    node->ports[1]);
	cm_stop(node);

	first = tl_free_ports(1);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", first);
	node = cm_start("2", "--listen", listen, "--slave-ports", "any",
	    NULL);
	ck_assert_uint_eq(node->daemon->port, first);
	ck_assert_msg(node->ports[0] != first && node->ports[1] != first,
	    "a slave on the master's port %u", first);
	cm_stop(node);
}
END_TEST

/*
 * Without -d the parent exits 0 only once every slave listens and
 * answers: right after it returns, the port it printed serves, every
 * slave accepts connections and is_ready is true. Stopped with SIGTERM
 * by pid, the daemon exits 0 and leaves nothing behind.
 */
START_TEST(test_daemonised_start)
{
	struct tl_run		 run;
	struct tl_conn		*conn;
	struct json_object	*result, *slaves;
	struct tl_exit		 e;
	pid_t			 pid, slave_pids[2];
	uint16_t		 port, slave_port;
	char			*end;
	size_t			 i;

	tl_adopt_orphans();
	tl_run(&run, 30, "--role", "master", "--slaves", "2", "--listen",
	    "127.0.0.1:0", NULL);
	ck_assert_msg(tl_exit_code(&run.exit) == 0, "creamasd --role master "
	    "without -d: %s; stderr: %s", tl_exit_string(&run.exit), run.err);
	port = (uint16_t)strtoul(run.out, &end, 10);
	ck_assert_msg(port != 0 && *end == '\n' && end[1] == '\0', "stdout "
	    "is \"%s\", expected a port and a newline", run.out);
	tl_run_free(&run);

	/* Ready now: no waiting, no retrying. */
	conn = tl_connect_try(port, 0.5);
	ck_assert_msg(conn != NULL, "port %u does not accept connections "
	    "after the parent exited: %s", port, strerror(errno));
	result = tl_ok(conn, "status", NULL);
	pid = (pid_t)tl_int(result, "pid");
	tl_track_pid(pid);
	slaves = tl_member(result, "slaves");
	ck_assert_uint_eq(json_object_array_length(slaves), 2);
	for (i = 0; i < 2; i++) {
		slave_pids[i] = (pid_t)tl_int(tl_index(slaves, i), "pid");
		slave_port = tl_address_port(tl_string(tl_index(slaves, i),
		    "address"));
		ck_assert_msg(tl_port_listening(slave_port), "slave %zu on "
		    "port %u does not listen once the parent has exited", i,
		    slave_port);
		ck_assert_str_eq(tl_string(tl_index(slaves, i), "state"),
		    "ready");
	}
	json_object_put(result);
	tl_expect_result(conn, "is_ready", NULL, "true");
	tl_close(conn);

	e = tl_stop_pid(pid, SIGTERM, CM_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "daemonised master after SIGTERM: %s",
	    tl_exit_string(&e));
	for (i = 0; i < 2; i++)
		ck_assert_msg(!tl_pid_alive(slave_pids[i]), "slave pid %ld "
		    "outlives its master", (long)slave_pids[i]);
	ck_assert_msg(tl_stray_child() == 0, "process %ld is left running",
	    (long)tl_stray_child());
	ck_assert_msg(tl_wait_port_closed(port, 2.0), "port %u still "
	    "listens", port);
}
END_TEST

/*
 * Bad params get the same code, message and data from a master as from
 * a slave: one validator for both, before the master fans out.
 */
START_TEST(test_same_errors)
{
	static const char *const calls[][2] = {
		{ "spawn_n", "{\"type\":\"noop\",\"n\":-1}" },
		{ "spawn_n", "{\"type\":\"noop\",\"n\":100000001}" },
		{ "spawn_n", "{\"type\":\"noop\",\"n\":18446744073709551615}" },
		{ "agent.act", "{\"agent\":\"tcp://x:99999/-1\"}" },
		{ "trigger_act", "{\"agent\":\"tcp://x:99999/-1\"}" },
		{ "agent.get", "{\"agent\":[1]}" },
		{ "set_time", "{\"t\":1e400}" },
		{ "spawn", "{\"type\":\"noop\\u0000x\"}" },
		{ "create_connections",
		    "{\"map\":{\"tcp://127.0.0.1:1/5\":[1]}}" },
		{ "create_connections", "{\"map\":{\"tcp://x:1/-1\":[]}}" },
		{ "create_random_connections", "{\"n\":-1}" },
		{ "set_gs", "{\"gs\":[9223372036854775807,2]}" },
		{ "set_gs", "{\"gs\":[20000,20000]}" },
		{ "set_origin", "{\"origin\":[0,1099511627777]}" },
		{ "trigger_all", "{\"timeout\":0}" },
		{ "trigger_all", "{\"round\":-1}" },
	};
	struct cm_node		*node;
	struct tl_conn		*slave;
	struct json_object	*from_master, *from_slave;
	size_t			 i;

	node = cm_start("2", NULL);
	slave = tl_connect(node->ports[0]);
	for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		from_master = tl_call(node->conn, calls[i][0], calls[i][1]);
		from_slave = tl_call(slave, calls[i][0], calls[i][1]);
		ck_assert_msg(json_object_object_get_ex(from_master, "error",
		    NULL), "%s %s: the master answered %s", calls[i][0],
		    calls[i][1], tl_json_text(from_master));
		ck_assert_msg(json_object_equal(tl_member(from_master,
		    "error"), tl_member(from_slave, "error")), "%s %s: the "
		    "master says %s, a slave %s", calls[i][0], calls[i][1],
		    tl_json_text(tl_member(from_master, "error")),
		    tl_json_text(tl_member(from_slave, "error")));
		json_object_put(from_master);
		json_object_put(from_slave);
	}
	tl_close(slave);
	/* Nothing was spawned or connected on the way. */
	tl_expect_result(node->conn, "get_agents", NULL, "[]");
	tl_expect_result(node->conn, "get_time", NULL, "0.0");
	cm_stop(node);
}
END_TEST

/* A master echoes its client's id exactly, as a slave does. */
START_TEST(test_ids_exact)
{
	struct cm_node	*node;
	char		*line;

	node = cm_start("2", NULL);
	tl_send_line(node->conn, "{\"jsonrpc\":\"2.0\",\"id\":"
	    "123456789012345678901234567890,\"method\":\"get_agents\"}");
	line = tl_expect_line(node->conn, TL_TIMEOUT);
	ck_assert_str_eq(line, "{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":"
	    "123456789012345678901234567890}");
	free(line);
	tl_send_line(node->conn, "{\"jsonrpc\":\"2.0\",\"id\":\"\\ud800\","
	    "\"method\":\"is_ready\"}");
	line = tl_expect_line(node->conn, TL_TIMEOUT);
	ck_assert_str_eq(line, "{\"jsonrpc\":\"2.0\",\"result\":true,\"id\":"
	    "\"\\ud800\"}");
	free(line);
	cm_stop(node);
}
END_TEST

/*
 * set_gs and set_origin follow one rule on a master as on a slave: the
 * grid is fixed once it holds agents; agents spawned before it have no
 * cell and do not fix it.
 */
START_TEST(test_grid_fixed_rule)
{
	struct cm_node		*node;
	struct json_object	*error;
	struct tl_conn		*slave;

	node = cm_start("2", NULL);
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"noop\",\"n\":2}"));
	tl_expect_result(node->conn, "set_gs", "{\"gs\":[1,2]}", "null");
	tl_expect_result(node->conn, "set_origin", "{\"origin\":[5,5]}",
	    "null");
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"noop\",\"n\":2}"));
	error = tl_err(node->conn, -32012, "set_gs", "{\"gs\":[2,2]}");
	ck_assert_str_eq(tl_string(error, "message"),
	    "the grid already holds 1 agents: its size is fixed");
	ck_assert_str_eq(tl_string(error, "data"), node->managers[0]);
	json_object_put(error);
	/* The slave says the same of its own grid. */
	slave = tl_connect(node->ports[0]);
	error = tl_err(slave, -32012, "set_gs", "{\"gs\":[2,2]}");
	ck_assert_str_eq(tl_string(error, "message"),
	    "the grid already holds 1 agents: its size is fixed");
	json_object_put(error);
	tl_close(slave);
	error = tl_err(node->conn, -32012, "set_origin",
	    "{\"origin\":[0,0]}");
	ck_assert_str_eq(tl_string(error, "message"),
	    "the grid already holds 1 agents: its origin is fixed");
	json_object_put(error);
	tl_expect_result(node->conn, "get_gs", NULL, "[1,2]");
	cm_stop(node);
}
END_TEST

/* Return the concatenation of every slave's own answer, in slave order. */
static struct json_object *
cm_slaves_concat(const struct cm_node *node, const char *method,
    const char *params)
{
	struct json_object	*all, *one;
	size_t			 i, j;

	all = json_object_new_array();
	for (i = 0; i < node->nslaves; i++) {
		one = cm_slave_ok(node, i, method, params);
		ck_assert_msg(json_object_is_type(one, json_type_array),
		    "%s %s on slave %zu: %.500s", method, params, i,
		    tl_json_text(one));
		for (j = 0; j < json_object_array_length(one); j++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(one, j)));
		json_object_put(one);
	}
	return (all);
}

/* Add a run, its first and its last id, to runs. */
static void
cm_runs_add(struct json_object *runs, long first, long last)
{
	json_object_array_add(runs, json_object_new_int64(first));
	json_object_array_add(runs, json_object_new_int64(last));
}

/*
 * Return the runs a slave's list of addresses stands for, made here
 * from the list: its prefix, then the first and last id of every run
 * of ids one apart; [] for no address.
 */
static struct json_object *
cm_runs_of(const char *prefix, struct json_object *list)
{
	struct json_object	*runs;
	const char		*address;
	long			 id, first = 0, last = 0;
	size_t			 i;

	runs = json_object_new_array();
	for (i = 0; i < json_object_array_length(list); i++) {
		address = json_object_get_string(tl_index(list, i));
		ck_assert_msg(strncmp(address, prefix, strlen(prefix)) == 0,
		    "%s is not of %s", address, prefix);
		id = tl_address_agent(address);
		if (first != 0 && id == last + 1) {
			last = id;
			continue;
		}
		if (first != 0)
			cm_runs_add(runs, first, last);
		else
			json_object_array_add(runs, json_object_new_string(
			    prefix));
		first = last = id;
	}
	if (first != 0)
		cm_runs_add(runs, first, last);
	return (runs);
}

/* Fail unless two values are equal JSON. */
static void
cm_assert_equal(struct json_object *got, struct json_object *expected,
    const char *what, const char *params)
{
	ck_assert_msg(json_object_equal(got, expected), "%s %s: %.1000s, "
	    "expected %.1000s", what, params, tl_json_text(got),
	    tl_json_text(expected));
}

/* Fail unless a slave's runs stand for its own list, as made here. */
static void
cm_expect_slave_runs(const struct cm_node *node, size_t slave,
    const char *params, const char *runs_params)
{
	struct json_object	*list, *runs, *expected;

	list = cm_slave_ok(node, slave, "get_agents", params);
	runs = cm_slave_ok(node, slave, "get_agents", runs_params);
	expected = cm_runs_of(node->prefixes[slave], list);
	cm_assert_equal(runs, expected, "a slave's runs", runs_params);
	json_object_put(expected);
	json_object_put(runs);
	json_object_put(list);
}

/*
 * get_agents with the members given (an object's members as JSON text,
 * "" for none) through the master is each slave's own get_agents,
 * joined in slave order; each slave's runs stand for its own list, and
 * the master's runs are the slaves' runs joined. Return how many
 * agents there are.
 */
static size_t
cm_expect_agents(const struct cm_node *node, const char *members)
{
	struct json_object	*master, *joined;
	char			*params, *runs_params;
	size_t			 i, n;

	params = tl_printf("{%s}", members);
	runs_params = tl_printf("{%s%s\"runs\":true}", members,
	    *members != '\0' ? "," : "");
	master = tl_ok(node->conn, "get_agents", params);
	joined = cm_slaves_concat(node, "get_agents", params);
	cm_assert_equal(master, joined, "get_agents", params);
	n = json_object_array_length(master);
	json_object_put(master);
	json_object_put(joined);
	for (i = 0; i < node->nslaves; i++)
		cm_expect_slave_runs(node, i, params, runs_params);
	master = tl_ok(node->conn, "get_agents", runs_params);
	joined = cm_slaves_concat(node, "get_agents", runs_params);
	cm_assert_equal(master, joined, "get_agents", runs_params);
	json_object_put(master);
	json_object_put(joined);
	free(params);
	free(runs_params);
	return (n);
}

/* Spawn n agents of a type on one slave, without their addresses. */
static void
cm_spawn_on(const struct cm_node *node, const char *type, int n, int slave)
{
	char	*count;

	count = tl_printf("%d", n);
	cm_expectf(node->conn, count, "spawn_n", "{\"type\":\"%s\",\"n\":%d,"
	    "\"slave\":%d,\"addresses\":false}", type, n, slave);
	free(count);
}

/* The get_agents variants every test of lists goes through. */
static const char *const cm_agents_members[] = {
	"", "\"type\":\"counter\"", "\"type\":\"noop\"", "\"type\":\"grid\"",
};

/*
 * Agents of two types spawned in turns: through the master, get_agents
 * of either type, or of any, is the slaves' lists joined, and its runs
 * the slaves' runs joined, as written here by hand, then again after
 * spawns spread by the master.
 */
START_TEST(test_agents_types)
{
	struct cm_node	*node;
	const char	*p0, *p1;
	char		*expected;
	size_t		 i;

	node = cm_start("2", NULL);
	p0 = node->prefixes[0];
	p1 = node->prefixes[1];
	/* Slave 0: counters 1-3, noops 4-5, counters 6-7. */
	cm_spawn_on(node, "counter", 3, 0);
	cm_spawn_on(node, "noop", 2, 0);
	cm_spawn_on(node, "counter", 2, 0);
	/* Slave 1: noop 1, counter 2, noops 3-4. */
	cm_spawn_on(node, "noop", 1, 1);
	cm_spawn_on(node, "counter", 1, 1);
	cm_spawn_on(node, "noop", 2, 1);

	expected = tl_printf("[\"%s\",1,3,6,7,\"%s\",2,2]", p0, p1);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"counter\","
	    "\"runs\":true}", expected);
	free(expected);
	expected = tl_printf("[\"%s\",4,5,\"%s\",1,1,3,4]", p0, p1);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"noop\","
	    "\"runs\":true}", expected);
	free(expected);
	expected = tl_printf("[\"%s\",1,7,\"%s\",1,4]", p0, p1);
	tl_expect_result(node->conn, "get_agents", "{\"runs\":true}",
	    expected);
	free(expected);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"grid\","
	    "\"runs\":true}", "[]");
	expected = tl_printf("[\"%s1\",\"%s2\",\"%s3\",\"%s6\",\"%s7\","
	    "\"%s2\"]", p0, p0, p0, p0, p0, p1);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"counter\"}",
	    expected);
	free(expected);
	/* runs false or null is the list. */
	expected = tl_printf("[\"%s4\",\"%s5\",\"%s1\",\"%s3\",\"%s4\"]",
	    p0, p0, p1, p1, p1);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"noop\"}",
	    expected);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"noop\","
	    "\"runs\":false}", expected);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"noop\","
	    "\"runs\":null}", expected);
	free(expected);
	ck_assert_uint_eq(cm_expect_agents(node, cm_agents_members[0]), 11);
	ck_assert_uint_eq(cm_expect_agents(node, cm_agents_members[1]), 6);
	ck_assert_uint_eq(cm_expect_agents(node, cm_agents_members[2]), 5);
	ck_assert_uint_eq(cm_expect_agents(node, cm_agents_members[3]), 0);

	/* Spread by the master, in turns again. */
	json_object_put(tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":5}"));
	json_object_put(tl_ok(node->conn, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":3}"));
	json_object_put(tl_ok(node->conn, "spawn", "{\"type\":\"counter\"}"));
	json_object_put(tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":4}"));
	for (i = 0; i < sizeof cm_agents_members / sizeof
	    cm_agents_members[0]; i++)
		cm_expect_agents(node, cm_agents_members[i]);
	ck_assert_uint_eq(cm_expect_agents(node, ""), 24);
	cm_stop(node);
}
END_TEST

/*
 * With no agents, every get_agents is [] on the master and on each
 * slave, with runs or not; a slave without agents adds nothing to the
 * master's list or runs. runs must be a boolean, on a master as on a
 * slave, and the master's methods say get_agents is concatenated.
 */
START_TEST(test_agents_empty)
{
	static const char *const bad_runs[] = { "1", "\"true\"", "[]",
	    "{}", "0" };
	struct cm_node		*node;
	struct json_object	*listing, *entry = NULL, *error;
	struct tl_conn		*slave;
	char			*expected;
	size_t			 i;

	node = cm_start("2", NULL);
	for (i = 0; i < sizeof cm_agents_members / sizeof
	    cm_agents_members[0]; i++)
		ck_assert_uint_eq(cm_expect_agents(node, cm_agents_members[i]),
		    0);
	tl_expect_result(node->conn, "get_agents", "{\"runs\":true}", "[]");
	cm_slave_expect(node, 0, "get_agents", "{\"runs\":true}", "[]");

	slave = tl_connect(node->ports[0]);
	for (i = 0; i < sizeof bad_runs / sizeof bad_runs[0]; i++) {
		error = tl_errf(node->conn, -32602, "get_agents",
		    "{\"runs\":%s}", bad_runs[i]);
		ck_assert_str_eq(tl_string(error, "message"),
		    "parameter 'runs' must be a boolean");
		json_object_put(error);
		json_object_put(tl_errf(slave, -32602, "get_agents",
		    "{\"type\":\"noop\",\"runs\":%s}", bad_runs[i]));
	}
	tl_close(slave);

	listing = tl_ok(node->conn, "methods", NULL);
	for (i = 0; i < json_object_array_length(listing); i++) {
		if (strcmp(tl_string(tl_index(listing, i), "name"),
		    "get_agents") == 0)
			entry = tl_index(listing, i);
	}
	ck_assert_msg(entry != NULL, "get_agents is not listed");
	ck_assert_str_eq(tl_string(entry, "combine"), "concat");
	tl_assert_json(tl_member(entry, "params"), "[{\"name\":\"type\","
	    "\"type\":\"string\",\"required\":false},{\"name\":\"runs\","
	    "\"type\":\"boolean\",\"required\":false}]");
	json_object_put(listing);

	/* Slave 0 stays empty: the master's list is slave 1's. */
	cm_spawn_on(node, "noop", 2, 1);
	expected = tl_printf("[\"%s\",1,2]", node->prefixes[1]);
	tl_expect_result(node->conn, "get_agents", "{\"runs\":true}",
	    expected);
	free(expected);
	expected = tl_printf("[\"%s1\",\"%s2\"]", node->prefixes[1],
	    node->prefixes[1]);
	tl_expect_result(node->conn, "get_agents", NULL, expected);
	free(expected);
	ck_assert_uint_eq(cm_expect_agents(node, ""), 2);
	cm_stop(node);
}
END_TEST

/* Fail unless agent 1 of each of two slaves has no connection. */
static void
cm_expect_unconnected(struct cm_node *node)
{
	char	*expected;

	expected = tl_printf("[[\"%s1\",[]],[\"%s1\",[]]]",
	    node->prefixes[0], node->prefixes[1]);
	tl_expect_result(node->conn, "get_connections", NULL, expected);
	free(expected);
}

/*
 * A map that one slave refuses (its key names no agent there) changes no
 * slave, as a map a slave refuses changes nothing there: the error names
 * that slave, and the other slave's agent has no connection. With check
 * a right map is only checked; then it is added.
 */
START_TEST(test_connections_all_or_none)
{
	struct cm_node		*node;
	struct json_object	*error;
	char			*map, *expected;

	node = cm_start("2", NULL);
	cm_spawn_on(node, "counter", 1, 0);
	cm_spawn_on(node, "counter", 1, 1);
	map = tl_printf("{\"map\":{\"%s1\":[\"%s1\"],\"%s2\":[\"%s1\"]}}",
	    node->prefixes[0], node->prefixes[1], node->prefixes[1],
	    node->prefixes[0]);
	error = tl_err(node->conn, -32001, "create_connections", map);
	ck_assert_msg(strstr(tl_string(error, "message"),
	    node->managers[1]) != NULL, "%s", tl_json_text(error));
	json_object_put(error);
	free(map);
	cm_expect_unconnected(node);
	map = tl_printf("{\"map\":{\"%s1\":[\"%s1\"]},\"check\":true}",
	    node->prefixes[0], node->prefixes[1]);
	tl_expect_result(node->conn, "create_connections", map, "[]");
	free(map);
	cm_expect_unconnected(node);
	map = tl_printf("{\"map\":{\"%s1\":[\"%s1\"]}}",
	    node->prefixes[0], node->prefixes[1]);
	tl_expect_result(node->conn, "create_connections", map, "[[true]]");
	free(map);
	expected = tl_printf("[[\"%s1\",[\"%s1\"]],[\"%s1\",[]]]",
	    node->prefixes[0], node->prefixes[1], node->prefixes[1]);
	tl_expect_result(node->conn, "get_connections", NULL, expected);
	free(expected);
	cm_stop(node);
}
END_TEST

/* Fail unless get_agents (params) fails as a list past max_reply. */
static void
cm_assert_list_too_long(struct cm_node *node, const char *params)
{
	struct json_object	*error;

	error = tl_err(node->conn, -32006, "get_agents", params);
	ck_assert_str_eq(tl_string(error, "message"), "get_agents: the "
	    "slaves' lists together would be longer than max_reply (4096 "
	    "bytes)");
	ck_assert_msg(!json_object_object_get_ex(error, "data", NULL), "%s",
	    tl_json_text(error));
	json_object_put(error);
}

/*
 * A master's slaves' runs stand for more bytes of addresses than the
 * master takes in a reply (max_reply), from one slave or from both
 * together though neither alone: get_agents fails with -32006 naming no
 * slave; a list within the limit, and the runs themselves, are still
 * answered.
 */
START_TEST(test_agents_cap)
{
	struct cm_node		*node;
	char			*expected;

	node = cm_start("2", "-omax_reply=4096", NULL);
	/* 100 addresses of some 27 bytes on each: over 4096 together. */
	cm_spawn_on(node, "noop", 100, 1);
	cm_spawn_on(node, "noop", 100, 0);
	cm_assert_list_too_long(node, NULL);
	cm_spawn_on(node, "noop", 100, 0);
	cm_spawn_on(node, "counter", 2, 0);
	cm_assert_list_too_long(node, NULL);
	cm_assert_list_too_long(node, "{\"type\":\"noop\"}");
	expected = tl_printf("[\"%s201\",\"%s202\"]", node->prefixes[0],
	    node->prefixes[0]);
	tl_expect_result(node->conn, "get_agents", "{\"type\":\"counter\"}",
	    expected);
	free(expected);
	expected = tl_printf("[\"%s\",1,202,\"%s\",1,100]",
	    node->prefixes[0], node->prefixes[1]);
	tl_expect_result(node->conn, "get_agents", "{\"runs\":true}",
	    expected);
	free(expected);
	cm_stop(node);
}
END_TEST

/*
 * Fail unless a list is the addresses of CM_LONG_LIST agents on each
 * slave, in order; one assertion for it all (Check's cost a write).
 */
static void
cm_assert_long_list(const struct cm_node *node, struct json_object *list)
{
	char		 address[64];
	const char	*got;
	size_t		 slave, j = 0;
	long		 id;

	ck_assert_uint_eq(json_object_array_length(list),
	    node->nslaves * CM_LONG_LIST);
	for (slave = 0; slave < node->nslaves; slave++) {
		for (id = 1; id <= CM_LONG_LIST; id++, j++) {
			snprintf(address, sizeof address, "%s%ld",
			    node->prefixes[slave], id);
			got = json_object_get_string(
			    json_object_array_get_idx(list, j));
			if (got == NULL || strcmp(got, address) != 0)
				ck_abort_msg("get_agents[%zu] is %s, expected "
				    "%s", j, got != NULL ? got : "no string",
				    address);
		}
	}
}

/* Fail unless a reply is stop's (id 2): true. */
static void
cm_assert_stopped(struct json_object *reply)
{
	ck_assert_int_eq(tl_int(reply, "id"), 2);
	tl_assert_json(tl_response_result(reply), "true");
}

/*
 * Fail unless a reply is get_agents' (id 1): the list, or -32007 (only
 * that if refused says so).
 */
static void
cm_assert_listed(const struct cm_node *node, struct json_object *reply,
    int refused)
{
	ck_assert_int_eq(tl_int(reply, "id"), 1);
	if (json_object_object_get_ex(reply, "error", NULL))
		ck_assert_msg(tl_response_code(reply) == -32007,
		    "get_agents: %.300s", tl_json_text(reply));
	else {
		ck_assert_msg(!refused, "get_agents was answered, though its "
		    "runs came after the stop began");
		cm_assert_long_list(node, tl_response_result(reply));
	}
}

/*
 * Read the answers to get_agents (id 1) and stop (id 2), in either
 * order when both are on one connection: get_agents has the whole list
 * or fails with -32007 (only that if refused), stop is true.
 */
static void
cm_read_list_and_stop(const struct cm_node *node, struct tl_conn *list_conn,
    struct tl_conn *stop_conn, int refused)
{
	struct json_object	*reply;

	reply = tl_read_json(list_conn, CM_STOP_WAIT);
	if (stop_conn == list_conn && tl_int(reply, "id") == 2) {
		cm_assert_stopped(reply);
		json_object_put(reply);
		reply = tl_read_json(list_conn, CM_STOP_WAIT);
		stop_conn = NULL;
	}
	cm_assert_listed(node, reply, refused);
	json_object_put(reply);
	if (stop_conn != NULL) {
		reply = tl_read_json(stop_conn, CM_STOP_WAIT);
		cm_assert_stopped(reply);
		json_object_put(reply);
	}
}

/* When test_agents_stopped sends its stop. */
enum cm_stop_when {
	CM_STOP_NEXT,		/* after get_agents, on its connection */
	CM_STOP_OTHER,		/* at once, on another connection */
	CM_STOP_SLAVE_LATE,	/* with slave 1 stopped until it is under way */
	CM_STOP_WHENS
};

/*
 * A stop that comes while the master lists CM_LONG_LIST agents of each
 * slave, sent as cm_stop_when _i says: get_agents has the whole list or
 * fails with -32007 (either may happen, as the master's turns go), stop
 * is true, and the master exits 0 with no slave left. With slave 1
 * stopped, its runs come after the stop began: the list is refused
 * then, for the master could leave before it was written.
 */
START_TEST(test_agents_stopped)
{
	static const char	 get_agents[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"get_agents\"}";
	static const char	 stop[] = "{\"jsonrpc\":\"2.0\",\"id\":2,"
	    "\"method\":\"stop\"}";
	struct cm_node		*node;
	struct tl_conn		*other, *late;
	struct tl_exit		 e;
	char			*count;

	node = cm_start("2", NULL);
	node->conn->timeout = CM_STOP_WAIT;
	count = tl_printf("%d", 2 * CM_LONG_LIST);
	cm_expectf(node->conn, count, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":%d,\"addresses\":false}", 2 * CM_LONG_LIST);
	free(count);
	other = tl_connect(node->daemon->port);
	if (_i == CM_STOP_SLAVE_LATE)
		tl_signal(node->pids[1], SIGSTOP);
	tl_send_line(node->conn, get_agents);
	tl_send_line(_i == CM_STOP_NEXT ? node->conn : other, stop);
	if (_i == CM_STOP_SLAVE_LATE) {
		/* The stop is under way once a new request is refused. */
		late = tl_connect(node->daemon->port);
		json_object_put(tl_err(late, -32007, "is_ready", NULL));
		tl_close(late);
		tl_signal(node->pids[1], SIGCONT);
	}
	cm_read_list_and_stop(node, node->conn, _i == CM_STOP_NEXT ?
	    node->conn : other, _i == CM_STOP_SLAVE_LATE);
	tl_close(other);
	e = tl_daemon_wait(node->daemon, CM_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "master after stop: %s",
	    tl_exit_string(&e));
	cm_assert_all_gone(node);
	cm_free(node);
}
END_TEST

/* The suite: the multi-environment test, routing, status, start-up. */
Suite *
suite_master(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("master");

	tc = tcase_create("multienv");
	tcase_set_timeout(tc, CM_TEST_TIMEOUT);
	tcase_add_test(tc, test_managers);
	tcase_add_test(tc, test_spawn_and_trigger);
	tcase_add_test(tc, test_graph);
	tcase_add_test(tc, test_connections_all_or_none);
	tcase_add_test(tc, test_random_connections);
	suite_add_tcase(suite, tc);

	tc = tcase_create("methods");
	tcase_set_timeout(tc, CM_TEST_TIMEOUT);
	tcase_add_test(tc, test_agent_routing);
	tcase_add_test(tc, test_spawn_n_slave);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_report);
	tcase_add_test(tc, test_time_and_artifacts);
	suite_add_tcase(suite, tc);

	tc = tcase_create("validation");
	tcase_set_timeout(tc, CM_TEST_TIMEOUT);
	tcase_add_test(tc, test_same_errors);
	tcase_add_test(tc, test_ids_exact);
	tcase_add_test(tc, test_grid_fixed_rule);
	suite_add_tcase(suite, tc);

	tc = tcase_create("agents");
	tcase_set_timeout(tc, CM_TEST_TIMEOUT);
	tcase_add_test(tc, test_agents_types);
	tcase_add_test(tc, test_agents_empty);
	tcase_add_test(tc, test_agents_cap);
	tcase_add_loop_test(tc, test_agents_stopped, 0, CM_STOP_WHENS);
	suite_add_tcase(suite, tc);

	tc = tcase_create("startup");
	tcase_set_timeout(tc, CM_TEST_TIMEOUT);
	tcase_add_loop_test(tc, test_slaves_per_core, 0, 2);
	tcase_add_test(tc, test_slaves_per_allowed_cpu);
	tcase_add_test(tc, test_slave_ports);
	tcase_add_test(tc, test_daemonised_start);
	suite_add_tcase(suite, tc);
	return (suite);
}
