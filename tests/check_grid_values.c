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
 * End-to-end tests of the values grid agents publish (cr_grid_publish,
 * cr_grid_neighbor_values) and of how they cross between slaves: the
 * read counts of one slave's round, the managing method get_cell_values
 * and its errors, the gridsum plugin across a master's two slaves (every
 * agent adds up exactly its true neighbours' labels, one get_cell_values
 * call per slave and round), a neighbour that never publishes, a slave
 * killed or stopped beyond an edge (the round still ends, saying why,
 * and the agents along that edge fail), the published and the called
 * diffusion giving the same numbers bit for bit, and the grid refusing
 * changes while a round runs.
 *
 * Every test starts its daemons on ephemeral loopback ports and stops
 * them by pid; a master's slaves must be gone with it.
 */

#include <sys/types.h>

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "grid_reference.h"
#include "testlib.h"

#define GV_TEST_TIMEOUT		120	/* seconds per test */
#define GV_STOP_WAIT		20.0	/* seconds for a daemon to exit */
#define GV_PROMPT		5.0	/* "at once", on a loaded machine */
#define GV_SLAVES_MAX		4

Suite	*suite_grid_values(void);

/* A daemon under test: a slave, or a master and its slaves. */
struct gv_node {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	size_t			 nslaves;
	pid_t			 pids[GV_SLAVES_MAX];
	uint16_t		 ports[GV_SLAVES_MAX];
	char			*managers[GV_SLAVES_MAX];
};

/*
 * Start a slave (slaves 0) or a master of that many slaves, with a plugin
 * if one is named; a master's slaves are learnt from its status.
 */
static struct gv_node *
gv_start(size_t slaves, const char *plugin)
{
	struct gv_node		*node;
	struct json_object	*status, *list, *managers, *slave;
	const char		*args[8];
	char			 count[16];
	size_t			 n = 0, i;

	node = tl_calloc(1, sizeof *node);
	args[n++] = "--role";
	if (slaves > 0) {
		tl_adopt_orphans();
		snprintf(count, sizeof count, "%zu", slaves);
		args[n++] = "master";
		args[n++] = "--slaves";
		args[n++] = count;
	} else
		args[n++] = "slave";
	if (plugin != NULL) {
		args[n++] = "--plugin";
		args[n++] = tl_plugin_path(plugin);
	}
	args[n] = NULL;
	node->daemon = tl_daemon_startv(args);
	node->conn = tl_connect(node->daemon->port);
	if (slaves == 0)
		return (node);
	status = tl_ok(node->conn, "status", NULL);
	managers = tl_ok(node->conn, "get_slave_managers", NULL);
	list = tl_member(status, "slaves");
	node->nslaves = json_object_array_length(list);
	ck_assert_msg(node->nslaves == slaves && node->nslaves ==
	    json_object_array_length(managers), "status lists %zu slaves, "
	    "expected %zu: %s", node->nslaves, slaves, tl_json_text(status));
	for (i = 0; i < node->nslaves; i++) {
		slave = tl_index(list, i);
		node->managers[i] = tl_strdup(json_object_get_string(
		    tl_index(managers, i)));
		ck_assert_str_eq(tl_string(slave, "address"),
		    node->managers[i]);
		node->ports[i] = tl_address_port(node->managers[i]);
		node->pids[i] = (pid_t)tl_int(slave, "pid");
	}
	json_object_put(managers);
	json_object_put(status);
	return (node);
}

/*
 * Stop a node by pid (SIGTERM; a master stops its slaves first), fail
 * unless it exits 0 with no slave left, and free it.
 */
static void
gv_stop(struct gv_node *node)
{
	struct tl_exit	 e;

	tl_close(node->conn);
	e = tl_daemon_signal(node->daemon, SIGTERM, GV_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "daemon on port %u: %s",
	    node->daemon->port, tl_exit_string(&e));
	tl_forget_slaves(node->nslaves, node->pids, node->managers);
	tl_daemon_free(node->daemon);
	free(node);
}

/* Fail unless no process this test started is left running. */
static void
gv_assert_nothing_left(void)
{
	pid_t	 stray;

	stray = tl_stray_child();
	ck_assert_msg(stray == 0, "process %ld is left running", (long)stray);
}

/* Call a method and fail unless its result is the JSON text expected. */
static void
gv_expect(struct tl_conn *conn, const char *expected, const char *method,
    const char *params)
{
	tl_expect_result(conn, method, params, expected);
}

/* Expect an error of a code and drop it. */
static void
gv_error(struct tl_conn *conn, int code, const char *method,
    const char *params)
{
	json_object_put(tl_err(conn, code, method, params));
}

/* Return the address of the agent at (x, y), asked of conn; free it. */
static char *
gv_xy_address(struct tl_conn *conn, int x, int y)
{
	struct json_object	*result;
	char			*address;

	result = tl_okf(conn, "get_xy_address", "{\"xy\":[%d,%d]}", x, y);
	address = tl_strdup(json_object_get_string(result));
	json_object_put(result);
	return (address);
}

/*
 * Fail unless the "grid" part of a daemon's status has the counts
 * expected (a JSON object of some of its members).
 */
static void
gv_expect_grid_counts(struct tl_conn *conn, const char *expected)
{
	struct json_object	*status, *grid, *want, *got;

	status = tl_ok(conn, "status", NULL);
	grid = tl_member(status, "grid");
	want = tl_json(expected);
	json_object_object_foreach(want, key, value) {
		got = tl_member(grid, key);
		ck_assert_msg(json_object_equal(got, value), "port %u: status "
		    "grid.%s is %s, expected %s in %s", conn->port, key,
		    tl_json_text(got), tl_json_text(value),
		    tl_json_text(grid));
	}
	json_object_put(want);
	json_object_put(status);
}

/* Run trigger_all (params or NULL); return its result (an error fails). */
static struct json_object *
gv_round(struct tl_conn *conn, const char *params)
{
	return (tl_ok(conn, "trigger_all", params));
}

/* Run trigger_all and fail unless no agent failed and no error is listed. */
static void
gv_round_clean(struct tl_conn *conn)
{
	struct json_object	*result;

	result = gv_round(conn, NULL);
	ck_assert_msg(tl_int(result, "failed") == 0 &&
	    json_object_array_length(tl_member(result, "errors")) == 0,
	    "trigger_all on port %u: %.2000s", conn->port,
	    tl_json_text(result));
	json_object_put(result);
}

/* Return 1 if a string member of a JSON object contains text. */
static int
gv_mentions(struct json_object *object, const char *key, const char *text)
{
	struct json_object	*value;

	return (json_object_object_get_ex(object, key, &value) &&
	    json_object_is_type(value, json_type_string) &&
	    strstr(json_object_get_string(value), text) != NULL);
}

/*
 * Return how many of a round's error entries are for no agent (agent
 * null) and whose message holds both texts (b may be NULL).
 */
static size_t
gv_edge_errors(struct json_object *errors, const char *a, const char *b)
{
	struct json_object	*entry;
	size_t			 i, found = 0;

	for (i = 0; i < json_object_array_length(errors); i++) {
		entry = tl_index(errors, i);
		if (tl_member(entry, "agent") == NULL &&
		    gv_mentions(entry, "message", a) &&
		    (b == NULL || gv_mentions(entry, "message", b)))
			found++;
	}
	return (found);
}

/* Return how many of a round's error entries name an agent. */
static size_t
gv_agent_errors(struct json_object *errors)
{
	size_t	 i, found = 0;

	for (i = 0; i < json_object_array_length(errors); i++)
		found += tl_member(tl_index(errors, i), "agent") != NULL;
	return (found);
}

/*
 * Read a node's cells with get_grid into values[x * height + y] of a
 * grid height cells high, failing on a cell twice, outside or without a
 * value; return how many cells it gave.
 */
static size_t
gv_read_grid(struct tl_conn *conn, double *values, int width, int height)
{
	struct json_object	*cells, *cell, *xy, *value;
	int64_t			 x, y;
	size_t			 i, count;

	for (i = 0; i < (size_t)width * (size_t)height; i++)
		values[i] = NAN;
	cells = tl_ok(conn, "get_grid", NULL);
	count = json_object_array_length(cells);
	for (i = 0; i < count; i++) {
		cell = tl_index(cells, i);
		xy = tl_member(cell, "xy");
		x = json_object_get_int64(tl_index(xy, 0));
		y = json_object_get_int64(tl_index(xy, 1));
		value = tl_member(cell, "value");
		ck_assert_msg(x >= 0 && y >= 0 && x < width && y < height &&
		    isnan(values[x * height + y]) && json_object_is_type(value,
		    json_type_double), "get_grid on port %u: cell %s twice, "
		    "outside or without a value", conn->port,
		    tl_json_text(cell));
		values[x * height + y] = json_object_get_double(value);
	}
	json_object_put(cells);
	return (count);
}

/*
 * Fail unless two cells' values are the same double bit for bit (NaN
 * in expected: the cell is not compared).
 */
static void
gv_assert_cell(const double *got, const double *expected, int64_t x,
    int64_t y, const char *what)
{
	if (isnan(*expected))
		return;
	ck_assert_msg(memcmp(got, expected, sizeof *got) == 0, "(%lld, %lld): "
	    "%.17g, expected %.17g (%s)", (long long)x, (long long)y, *got,
	    *expected, what);
}

/* Return the value of agent number n of a slave (agent.get_value). */
static double
gv_agent_value(struct tl_conn *conn, long n)
{
	struct json_object	*result;
	double			 value;

	result = tl_okf(conn, "agent.get_value", "{\"agent\":%ld}", n);
	ck_assert_msg(json_object_is_type(result, json_type_double),
	    "agent.get_value %ld: %s", n, tl_json_text(result));
	value = json_object_get_double(result);
	json_object_put(result);
	return (value);
}

/*
 * Call get_cell_values for agents 1 to count of a slave and fill out[]
 * with the numbers, failing unless the answer is for that generation and
 * every value is a number.
 */
static void
gv_cell_values(struct tl_conn *conn, int64_t generation, size_t count,
    double *out)
{
	struct json_object	*result, *values, *value;
	char			 agents[256];
	size_t			 i, used = 0;

	for (i = 0; i < count; i++)
		used += (size_t)snprintf(agents + used, sizeof agents - used,
		    "%s%zu", i > 0 ? "," : "", i + 1);
	ck_assert_msg(used < sizeof agents, "too many agents");
	result = tl_okf(conn, "get_cell_values", "{\"generation\":%lld,"
	    "\"agents\":[%s]}", (long long)generation, agents);
	ck_assert_msg(tl_int(result, "generation") == generation,
	    "get_cell_values %lld: %s", (long long)generation,
	    tl_json_text(result));
	values = tl_member(result, "values");
	ck_assert_msg(json_object_is_type(values, json_type_array) &&
	    json_object_array_length(values) == count, "get_cell_values "
	    "%lld: %s", (long long)generation, tl_json_text(result));
	for (i = 0; i < count; i++) {
		value = tl_index(values, i);
		ck_assert_msg(json_object_is_type(value, json_type_double),
		    "get_cell_values %lld: value %zu in %s",
		    (long long)generation, i, tl_json_text(result));
		out[i] = json_object_get_double(value);
	}
	json_object_put(result);
}

/*
 * Start a master of two slaves of width by height cells each, side by
 * side, fill it with agents of a type and wire it.
 */
static struct gv_node *
gv_master_grid(const char *type, int width, int height)
{
	struct gv_node		*node;
	struct json_object	*result;

	node = gv_start(2, NULL);
	result = tl_okf(node->conn, "set_gs", "{\"gs\":[%d,%d]}", width,
	    height);
	ck_assert_msg(result == NULL, "set_gs: %s", tl_json_text(result));
	gv_expect(node->conn, "null", "set_origin", "{\"origin\":[0,0]}");
	json_object_put(tl_okf(node->conn, "spawn_n", "{\"type\":\"%s\","
	    "\"n\":%d}", type, 2 * width * height));
	gv_expect(node->conn, "true", "is_ready", NULL);
	gv_expect(node->conn, "null", "set_neighbors", NULL);
	return (node);
}

/*
 * The counts of one slave's round: a 3 x 2 grid of diffusion agents,
 * wired, reads 14 values from memory in a round (N and S: 3 columns of
 * one pair, both ways; E and W: 2 rows of two pairs, both ways), none
 * across an edge and with no call; status says so, generation 1.
 */
START_TEST(test_local_counts)
{
	struct gv_node		*node;
	struct json_object	*status;

	node = gv_start(0, NULL);
	gv_expect(node->conn, "null", "set_gs", "{\"gs\":[3,2]}");
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"diffusion\",\"n\":6}"));
	gv_expect(node->conn, "null", "set_agent_neighbors", NULL);
	gv_expect_grid_counts(node->conn, "{\"generation\":0,"
	    "\"local_reads\":0,\"edge_environments\":0}");
	gv_round_clean(node->conn);
	gv_expect_grid_counts(node->conn, "{\"generation\":1,"
	    "\"edge_environments\":0,\"local_reads\":14,\"edge_reads\":0,"
	    "\"edge_calls\":0,\"edge_values\":0,\"served_calls\":0,"
	    "\"served_values\":0}");
	status = tl_ok(node->conn, "status", NULL);
	tl_assert_json(tl_member(status, "calls"),
	    "{\"local\":0,\"remote\":0}");
	json_object_put(status);
	gv_round_clean(node->conn);
	gv_expect_grid_counts(node->conn, "{\"generation\":2,"
	    "\"local_reads\":28,\"edge_calls\":0}");
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/*
 * get_cell_values on a slave: generation 0 before any round gives every
 * agent's value; after a round generation 1 gives the new values and 0
 * still the old ones, and after a second round 0 is no longer kept.
 * Unknown generations, agents outside the grid and bad params are
 * refused; so is a slave without grid agents, and a master.
 */
START_TEST(test_get_cell_values)
{
	struct gv_node	*node, *master;
	double		 before[4], after[4], got[4], again[4];
	size_t		 i, changed = 0;

	node = gv_start(0, NULL);
	gv_error(node->conn, -32002, "get_cell_values",
	    "{\"generation\":0,\"agents\":[1]}");
	gv_expect(node->conn, "null", "set_gs", "{\"gs\":[2,2]}");
	gv_error(node->conn, -32002, "get_cell_values",
	    "{\"generation\":0,\"agents\":[1]}");
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"diffusion\",\"n\":4}"));
	gv_expect(node->conn, "null", "set_agent_neighbors", NULL);

	for (i = 0; i < 4; i++)
		before[i] = gv_agent_value(node->conn, (long)i + 1);
	gv_cell_values(node->conn, 0, 4, got);
	for (i = 0; i < 4; i++)
		gv_assert_cell(&got[i], &before[i], (int64_t)i / 2,
		    (int64_t)i % 2, "generation 0 before any round");
	gv_error(node->conn, -32012, "get_cell_values",
	    "{\"generation\":1,\"agents\":[1]}");

	gv_round_clean(node->conn);
	for (i = 0; i < 4; i++) {
		after[i] = gv_agent_value(node->conn, (long)i + 1);
		changed += memcmp(&after[i], &before[i], sizeof after[i]) != 0;
	}
	ck_assert_msg(changed == 4, "only %zu of 4 values changed in a round",
	    changed);
	gv_cell_values(node->conn, 1, 4, got);
	for (i = 0; i < 4; i++)
		gv_assert_cell(&got[i], &after[i], (int64_t)i / 2,
		    (int64_t)i % 2, "generation 1 after a round");
	gv_cell_values(node->conn, 0, 4, got);
	for (i = 0; i < 4; i++)
		gv_assert_cell(&got[i], &before[i], (int64_t)i / 2,
		    (int64_t)i % 2, "generation 0 after a round");
	json_object_put(tl_ok(node->conn, "get_cell_values",
	    "{\"generation\":1,\"agents\":[]}"));

	/* Errors. */
	gv_error(node->conn, -32012, "get_cell_values",
	    "{\"generation\":2,\"agents\":[1]}");
	gv_error(node->conn, -32012, "get_cell_values",
	    "{\"generation\":-1,\"agents\":[1]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1,\"agents\":[0]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1,\"agents\":[1,5]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1,\"agents\":[\"1\"]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1,\"agents\":[1.5]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1,\"agents\":[null]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"agents\":[1]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":\"1\",\"agents\":[1]}");
	gv_error(node->conn, -32602, "get_cell_values",
	    "{\"generation\":1,\"agents\":1}");
	gv_error(node->conn, -32602, "get_cell_values", NULL);
	/* Only the answers count. */
	gv_expect_grid_counts(node->conn, "{\"served_calls\":4,"
	    "\"served_values\":12}");

	/* A second round: 1 is the one before, 0 is gone. */
	gv_round_clean(node->conn);
	gv_cell_values(node->conn, 1, 4, again);
	for (i = 0; i < 4; i++)
		gv_assert_cell(&again[i], &after[i], (int64_t)i / 2,
		    (int64_t)i % 2, "generation 1 after two rounds");
	gv_error(node->conn, -32012, "get_cell_values",
	    "{\"generation\":0,\"agents\":[1]}");
	gv_cell_values(node->conn, 2, 4, got);
	for (i = 0; i < 4; i++) {
		again[i] = gv_agent_value(node->conn, (long)i + 1);
		gv_assert_cell(&got[i], &again[i], (int64_t)i / 2,
		    (int64_t)i % 2, "generation 2 after two rounds");
	}
	gv_stop(node);

	/* A master serves no values. */
	master = gv_start(1, NULL);
	gv_error(master->conn, -32601, "get_cell_values",
	    "{\"generation\":0,\"agents\":[1]}");
	gv_stop(master);
	gv_assert_nothing_left();
}
END_TEST

/*
 * The gridsum plugin on a master's two slaves of 2 x 3 cells: an agent
 * outside a grid cannot be spawned (the error says why, as the plugin
 * told it); in the 4 x 3 grid, a round before the wiring finds no
 * neighbour (mask 0); after two wired rounds every
 * agent's sum is twice the sum of 1000 x + y over its true neighbours,
 * its mask names exactly the sides that have one, and its neighbours
 * are the agents there; each slave made exactly one get_cell_values
 * call a wired round, each bringing the 3 values of its edge.
 */
START_TEST(test_plugin_sums)
{
	static const char	*names[4] = { "N", "E", "S", "W" };
	static const int	 dx[4] = { 0, 1, 0, -1 };
	static const int	 dy[4] = { -1, 0, 1, 0 };
	struct gv_node		*node;
	struct json_object	*error, *result, *neighbors, *got;
	struct tl_conn		*slave;
	char			*address, *there;
	double			 expected;
	int			 x, y, nx, ny, d, mask;
	size_t			 i;

	node = gv_start(2, "gridsum");
	error = tl_err(node->conn, -32008, "spawn", "{\"type\":\"gridsum\"}");
	ck_assert_msg(gv_mentions(error, "message", "gridsum: init failed: "
	    "a gridsum agent needs a grid: set_gs first"), "spawn outside a "
	    "grid: %s", tl_json_text(error));
	json_object_put(error);
	gv_expect(node->conn, "null", "set_gs", "{\"gs\":[2,3]}");
	gv_expect(node->conn, "null", "set_origin", "{\"origin\":[0,0]}");
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"gridsum\",\"n\":12}"));
	gv_expect(node->conn, "true", "is_ready", NULL);
	/* Before the grid is wired no agent has a neighbour. */
	gv_round_clean(node->conn);
	for (x = 0; x < 4; x++) {
		for (y = 0; y < 3; y++) {
			address = gv_xy_address(node->conn, x, y);
			result = tl_okf(node->conn, "agent.get_mask",
			    "{\"agent\":\"%s\"}", address);
			ck_assert_msg(tl_json_equal(result, "0"), "(%d, %d): "
			    "mask %s before wiring", x, y,
			    tl_json_text(result));
			json_object_put(result);
			free(address);
		}
	}
	gv_expect(node->conn, "null", "set_neighbors", NULL);
	gv_round_clean(node->conn);
	gv_round_clean(node->conn);

	for (x = 0; x < 4; x++) {
		for (y = 0; y < 3; y++) {
			address = gv_xy_address(node->conn, x, y);
			ck_assert_msg(tl_address_port(address) ==
			    node->ports[x / 2], "(%d, %d) is %s", x, y,
			    address);
			neighbors = tl_okf(node->conn, "agent.get_neighbors",
			    "{\"agent\":\"%s\"}", address);
			expected = 0.0;
			mask = 0;
			for (d = 0; d < 4; d++) {
				nx = x + dx[d];
				ny = y + dy[d];
				got = tl_member(neighbors, names[d]);
				if (nx < 0 || ny < 0 || nx >= 4 || ny >= 3) {
					ck_assert_msg(got == NULL, "(%d, %d): "
					    "%s neighbour %s beyond the edge",
					    x, y, names[d], tl_json_text(got));
					continue;
				}
				expected += 1000.0 * nx + ny;
				mask |= 1 << d;
				result = tl_okf(node->conn, "get_xy_address",
				    "{\"xy\":[%d,%d]}", nx, ny);
				there = tl_strdup(json_object_get_string(
				    result));
				json_object_put(result);
				ck_assert_msg(json_object_is_type(got,
				    json_type_string) && strcmp(
				    json_object_get_string(got), there) == 0,
				    "(%d, %d): %s neighbour %s, expected %s",
				    x, y, names[d], tl_json_text(got), there);
				free(there);
			}
			json_object_put(neighbors);
			expected *= 2;	/* two rounds */
			result = tl_okf(node->conn, "agent.get_sum",
			    "{\"agent\":\"%s\"}", address);
			ck_assert_msg(json_object_is_type(result,
			    json_type_double) && json_object_get_double(
			    result) == expected, "(%d, %d): sum %s, expected "
			    "%.0f", x, y, tl_json_text(result), expected);
			json_object_put(result);
			result = tl_okf(node->conn, "agent.get_mask",
			    "{\"agent\":\"%s\"}", address);
			ck_assert_msg(json_object_get_int(result) == mask,
			    "(%d, %d): mask %s, expected %d", x, y,
			    tl_json_text(result), mask);
			json_object_put(result);
			free(address);
		}
	}
	for (i = 0; i < 2; i++) {
		slave = tl_connect(node->ports[i]);
		gv_expect_grid_counts(slave, "{\"generation\":3,"
		    "\"edge_environments\":1,\"edge_calls\":2,"
		    "\"edge_values\":6,\"edge_reads\":6,\"served_calls\":2,"
		    "\"served_values\":6,\"local_reads\":28}");
		tl_close(slave);
	}
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/*
 * A neighbour that never publishes: a diffusion agent at (0, 0) above a
 * grid agent at (0, 1) cannot know its neighbour's value; the round
 * runs, counts it failed with an error entry naming it, and it keeps
 * its value while its round count moves on.
 */
START_TEST(test_mixed_neighbors)
{
	struct gv_node		*node;
	struct json_object	*result, *errors, *entry, *state;
	char			*address;
	double			 before, after;
	size_t			 i, found = 0;

	node = gv_start(0, NULL);
	gv_expect(node->conn, "null", "set_gs", "{\"gs\":[1,2]}");
	json_object_put(tl_ok(node->conn, "spawn",
	    "{\"type\":\"diffusion\"}"));
	json_object_put(tl_ok(node->conn, "spawn", "{\"type\":\"grid\"}"));
	gv_expect(node->conn, "null", "set_agent_neighbors", NULL);
	before = gv_agent_value(node->conn, 1);

	result = gv_round(node->conn, NULL);
	address = tl_printf("tcp://127.0.0.1:%u/1", node->daemon->port);
	errors = tl_member(result, "errors");
	ck_assert_msg(tl_int(result, "agents") == 2 &&
	    tl_int(result, "failed") == 1, "trigger_all: %s",
	    tl_json_text(result));
	for (i = 0; i < json_object_array_length(errors); i++) {
		entry = tl_index(errors, i);
		ck_assert_msg(tl_member(entry, "agent") != NULL, "an error "
		    "for no agent: %s", tl_json_text(result));
		if (strcmp(tl_string(entry, "agent"), address) == 0 &&
		    tl_int(entry, "code") == -32008)
			found++;
	}
	ck_assert_msg(found == 1, "no error entry for %s: %s", address,
	    tl_json_text(result));
	json_object_put(result);
	free(address);

	after = gv_agent_value(node->conn, 1);
	gv_assert_cell(&after, &before, 0, 0, "a neighbour never published");
	state = tl_ok(node->conn, "agent.get_state", "{\"agent\":1}");
	ck_assert_msg(tl_int(state, "round") == 1, "get_state: %s",
	    tl_json_text(state));
	json_object_put(state);
	gv_expect_grid_counts(node->conn, "{\"generation\":1}");
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/*
 * Start a master of two slaves of 2 x 3 diffusion agents, send slave 2 a
 * signal and run a round on slave 1 alone with params. Fail unless the
 * round ends within GV_PROMPT with one error for no agent holding text
 * and slave 2's manager, the agents of its east edge failed and kept
 * their values, the others moved one round on, and the generation is
 * 1. Return the master, a connection to slave 1 in *slave and how long
 * the round took in *elapsed.
 */
static struct gv_node *
gv_round_without_neighbor(int signo, const char *params, const char *text,
    struct tl_conn **slave, double *elapsed)
{
	struct gv_node		*node;
	struct json_object	*result, *errors;
	double			 initial[12], got[12], expected[12], start;
	int			 x, y;

	node = gv_master_grid("diffusion", 2, 3);
	grid_reference(initial, 4, 3, 0);
	grid_reference(expected, 4, 3, 1);
	*slave = tl_connect(node->ports[0]);
	tl_signal(node->pids[1], signo);
	start = tl_now();
	result = gv_round(*slave, params);
	*elapsed = tl_now() - start;
	ck_assert_msg(*elapsed < GV_PROMPT, "the round took %.1f s with its "
	    "neighbour signalled (%d)", *elapsed, signo);
	errors = tl_member(result, "errors");
	ck_assert_msg(tl_int(result, "agents") == 6 &&
	    tl_int(result, "failed") == 3 &&
	    gv_edge_errors(errors, text, node->managers[1]) == 1 &&
	    gv_agent_errors(errors) == 3, "trigger_all on slave 1 with "
	    "slave 2 signalled (%d): %s", signo, tl_json_text(result));
	json_object_put(result);
	ck_assert_uint_eq(gv_read_grid(*slave, got, 4, 3), 6);
	for (x = 0; x < 2; x++) {
		for (y = 0; y < 3; y++)
			gv_assert_cell(&got[x * 3 + y], x == 1 ?
			    &initial[x * 3 + y] : &expected[x * 3 + y], x, y,
			    x == 1 ? "kept" : "moved");
	}
	gv_expect_grid_counts(*slave, "{\"generation\":1,\"edge_calls\":1,"
	    "\"edge_values\":0}");
	return (node);
}

/*
 * A neighbour lost: slave 2 of a master is killed with SIGKILL and
 * slave 1 runs a round by itself. It returns at once with an error for
 * no agent naming round 0 and slave 2's manager; the agents along its
 * east edge fail and keep their values, the others move on.
 */
START_TEST(test_neighbor_killed)
{
	struct gv_node		*node;
	struct tl_conn		*slave;
	double			 elapsed;

	node = gv_round_without_neighbor(SIGKILL, NULL, "values of round 0",
	    &slave, &elapsed);
	tl_close(slave);
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/*
 * A neighbour stopped: slave 2 stops (SIGSTOP) and slave 1 runs a round
 * with a timeout of 0.5 s: at the timeout the values never came count as
 * failed, so the agents act without them: those along the east edge keep
 * their values and fail, the others move, and an error says the values
 * were unanswered when the round ended; slave 1's generation moves on.
 * Once slave 2 goes on and runs its own round (asking slave 1 for the
 * values before that round, which slave 1 still keeps), both are in step
 * and a round of the master is clean.
 */
START_TEST(test_neighbor_stopped)
{
	struct gv_node		*node;
	struct tl_conn		*slave, *second;
	double			 got[12], expected[12], elapsed;
	int			 x, y;

	node = gv_round_without_neighbor(SIGSTOP, "{\"timeout\":0.5}",
	    "unanswered when the round ended", &slave, &elapsed);
	ck_assert_msg(elapsed >= 0.4, "a round with a timeout of 0.5 s took "
	    "%.2f s", elapsed);
	grid_reference(expected, 4, 3, 1);
	tl_signal(node->pids[1], SIGCONT);
	second = tl_connect(node->ports[1]);
	gv_round_clean(second);
	ck_assert_uint_eq(gv_read_grid(second, got, 4, 3), 6);
	for (x = 2; x < 4; x++) {
		for (y = 0; y < 3; y++)
			gv_assert_cell(&got[x * 3 + y], &expected[x * 3 + y],
			    x, y, "slave 2's own round");
	}
	gv_expect_grid_counts(second, "{\"generation\":1}");
	gv_round_clean(node->conn);
	gv_expect_grid_counts(slave, "{\"generation\":2}");
	gv_expect_grid_counts(second, "{\"generation\":2}");
	tl_close(second);
	tl_close(slave);
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/*
 * A round that times out keeps the grid in step: a master's round with a
 * timeout of 1 s while slave 2 is stopped ends with slave 1's east edge
 * failed; slave 2, going on 1.5 s later, still gets slave 1's values of
 * the round before; every later round of the master is clean and both
 * slaves have run as many rounds.
 */
START_TEST(test_timeout_in_step)
{
	struct gv_node		*node;
	struct tl_conn		*slaves[2];
	struct json_object	*response, *result;
	int			 i, r;

	node = gv_master_grid("diffusion", 2, 3);
	for (i = 0; i < 2; i++)
		slaves[i] = tl_connect(node->ports[i]);
	tl_signal(node->pids[1], SIGSTOP);
	tl_send_call(node->conn, node->conn->next_id++, "trigger_all",
	    "{\"timeout\":1}");
	usleep(1500000);
	tl_signal(node->pids[1], SIGCONT);
	response = tl_read_json(node->conn, GV_STOP_WAIT);
	result = tl_response_result(response);
	ck_assert_msg(tl_int(result, "failed") == 3, "the master's round "
	    "with slave 2 stopped: %s", tl_json_text(result));
	json_object_put(response);
	for (r = 0; r < 5; r++)
		gv_round_clean(node->conn);
	for (i = 0; i < 2; i++) {
		gv_expect_grid_counts(slaves[i], "{\"generation\":6}");
		tl_close(slaves[i]);
	}
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/*
 * The two paths agree: an 8 x 6 grid of diffusion agents on a master of
 * two slaves and one of diffusion_rpc agents on another, 20 rounds each;
 * every cell's value is the same double on both, and that of the plain
 * computation.
 */
START_TEST(test_paths_agree)
{
	static const char	*types[2] = { "diffusion", "diffusion_rpc" };
	struct gv_node		*nodes[2];
	double			 values[2][48], expected[48], initial[48];
	int			 i, r, x, y, changed = 0;

	grid_reference(initial, 8, 6, 0);
	grid_reference(expected, 8, 6, 20);
	for (i = 0; i < 48; i++)
		changed += memcmp(&initial[i], &expected[i],
		    sizeof expected[i]) != 0;
	ck_assert_msg(changed == 48, "the reference hardly changes: %d of "
	    "48 cells", changed);
	for (i = 0; i < 2; i++)
		nodes[i] = gv_master_grid(types[i], 4, 6);
	for (r = 0; r < 20; r++) {
		for (i = 0; i < 2; i++)
			gv_round_clean(nodes[i]->conn);
	}
	for (i = 0; i < 2; i++)
		ck_assert_uint_eq(gv_read_grid(nodes[i]->conn, values[i], 8,
		    6), 48);
	for (x = 0; x < 8; x++) {
		for (y = 0; y < 6; y++) {
			gv_assert_cell(&values[1][x * 6 + y],
			    &values[0][x * 6 + y], x, y, "diffusion_rpc "
			    "against diffusion");
			gv_assert_cell(&values[0][x * 6 + y],
			    &expected[x * 6 + y], x, y, "diffusion against "
			    "the plain computation");
		}
	}
	for (i = 0; i < 2; i++)
		gv_stop(nodes[i]);
	gv_assert_nothing_left();
}
END_TEST

/*
 * The grid holds still during a round: while slave 1's round waits for
 * a stopped slave 2, set_gs, set_origin, set_agent_neighbors and
 * set_neighbors on slave 1 are refused with -32010, and so is a second
 * trigger_all; once slave 2 goes on, the round ends clean and set_gs is
 * refused for the usual reason (the grid holds agents, -32012).
 */
START_TEST(test_busy_round)
{
	struct gv_node		*node;
	struct tl_conn		*runner, *other;
	struct json_object	*response, *result, *status;
	double			 deadline;
	int			 running = 0;

	node = gv_master_grid("diffusion", 2, 3);
	runner = tl_connect(node->ports[0]);
	other = tl_connect(node->ports[0]);
	tl_signal(node->pids[1], SIGSTOP);
	tl_send_call(runner, runner->next_id++, "trigger_all",
	    "{\"timeout\":10}");
	deadline = tl_now() + GV_PROMPT;
	while (!running && tl_now() < deadline) {
		status = tl_ok(other, "status", NULL);
		running = json_object_get_boolean(tl_member(status,
		    "round_running"));
		json_object_put(status);
		if (!running)
			usleep(1000);
	}
	ck_assert_msg(running, "no round running on slave 1");
	gv_error(other, -32010, "set_gs", "{\"gs\":[2,3]}");
	gv_error(other, -32010, "set_origin", "{\"origin\":[0,0]}");
	gv_error(other, -32010, "set_agent_neighbors", NULL);
	gv_error(other, -32010, "set_neighbors", NULL);
	gv_error(other, -32010, "trigger_all", NULL);
	tl_signal(node->pids[1], SIGCONT);

	response = tl_read_json(runner, GV_PROMPT);
	result = tl_response_result(response);
	ck_assert_msg(tl_int(result, "failed") == 0 &&
	    json_object_array_length(tl_member(result, "errors")) == 0,
	    "the round after SIGCONT: %s", tl_json_text(response));
	json_object_put(response);
	gv_error(other, -32012, "set_gs", "{\"gs\":[2,3]}");
	gv_expect_grid_counts(other, "{\"generation\":1}");
	tl_close(runner);
	tl_close(other);
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/* As a fake neighbour: read a request, return its method, id and params. */
static const char *
gv_fake_request(struct tl_conn *peer, struct json_object **request,
    int64_t *id)
{
	*request = tl_read_json(peer, TL_TIMEOUT);
	*id = tl_int(*request, "id");
	return (tl_string(*request, "method"));
}

/*
 * A hostile neighbour: a slave of two diffusion agents (gs [1, 2]) whose
 * east is a fake environment run by the test. The fake answers the
 * wiring, then get_cell_values with the wrong values (a string, one
 * value for two cells), then with an error, then closes. Each round the
 * slave names the fake, both agents fail and keep their values, and the
 * slave goes on serving.
 */
START_TEST(test_hostile_neighbor)
{
	static const char	*answers[] = {
		"\"result\":{\"generation\":%d,\"values\":[\"x\"]}",
		"\"error\":{\"code\":-32000,\"message\":\"no%d\"}",
	};
	struct gv_node		*node;
	struct tl_conn		*peer;
	struct json_object	*request, *round;
	const char		*texts[] = { "not the values asked for", "no",
				    "closed" };
	char			*address, *answer;
	double			 before[2], after[2];
	int64_t			 id;
	uint16_t		 port;
	int			 listen_fd, i, r;

	node = gv_start(0, NULL);
	listen_fd = tl_listen(&port);
	gv_expect(node->conn, "null", "set_gs", "{\"gs\":[1,2]}");
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"diffusion\",\"n\":2}"));
	address = tl_printf("tcp://127.0.0.1:%u/0", port);
	json_object_put(tl_okf(node->conn, "set_grid_neighbor",
	    "{\"direction\":\"E\",\"addr\":\"%s\"}", address));
	tl_send_call(node->conn, 100, "set_agent_neighbors", NULL);
	peer = tl_accept(listen_fd, TL_TIMEOUT);
	ck_assert_msg(peer != NULL, "the slave never connected to its east");
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(gv_fake_request(peer, &request, &id),
		    "get_xy_address");
		tl_send_linef(peer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
		    "\"result\":\"tcp://127.0.0.1:%u/%d\"}", (long long)id,
		    port, i + 1);
		json_object_put(request);
	}
	request = tl_read_json(node->conn, TL_TIMEOUT);
	tl_assert_json(tl_response_result(request), "null");
	json_object_put(request);
	node->conn->next_id = 101;

	for (r = 0; r < 3; r++) {
		for (i = 0; i < 2; i++)
			before[i] = gv_agent_value(node->conn, i + 1);
		tl_send_call(node->conn, 200 + r, "trigger_all", NULL);
		ck_assert_str_eq(gv_fake_request(peer, &request, &id),
		    "get_cell_values");
		json_object_put(request);
		if (r < 2) {
			answer = tl_printf(answers[r], r);
			tl_send_linef(peer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
			    "%s}", (long long)id, answer);
			free(answer);
		} else
			tl_close(peer);
		request = tl_read_json(node->conn, TL_TIMEOUT);
		round = tl_response_result(request);
		ck_assert_msg(tl_int(round, "failed") == 2 &&
		    gv_edge_errors(tl_member(round, "errors"), texts[r],
		    address) == 1, "round %d with a hostile east: %s", r,
		    tl_json_text(round));
		json_object_put(request);
		for (i = 0; i < 2; i++) {
			after[i] = gv_agent_value(node->conn, i + 1);
			ck_assert_msg(memcmp(&before[i], &after[i],
			    sizeof after[i]) == 0, "round %d: agent %d moved "
			    "without its east value", r, i + 1);
		}
	}
	gv_expect_grid_counts(node->conn, "{\"generation\":3}");
	close(listen_fd);
	free(address);
	gv_stop(node);
	gv_assert_nothing_left();
}
END_TEST

/* The grid_values suite. */
Suite *
suite_grid_values(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("grid_values");

	tc = tcase_create("slave");
	tcase_set_timeout(tc, GV_TEST_TIMEOUT);
	tcase_add_test(tc, test_local_counts);
	tcase_add_test(tc, test_get_cell_values);
	tcase_add_test(tc, test_mixed_neighbors);
	tcase_add_test(tc, test_hostile_neighbor);
	suite_add_tcase(suite, tc);

	tc = tcase_create("slaves");
	tcase_set_timeout(tc, GV_TEST_TIMEOUT);
	tcase_add_test(tc, test_plugin_sums);
	tcase_add_test(tc, test_neighbor_killed);
	tcase_add_test(tc, test_neighbor_stopped);
	tcase_add_test(tc, test_timeout_in_step);
	tcase_add_test(tc, test_paths_agree);
	tcase_add_test(tc, test_busy_round);
	suite_add_tcase(suite, tc);

	return (suite);
}
