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
 * End-to-end tests of the grid: Creamas' grid test ported to a slave (a
 * (4, 5) grid at (2, 2) filled column by column, full and ready after 20
 * agents, a 21st refused, every agent's neighbours, get_xy_address
 * refusing cells outside), a master's slaves side by side (the east
 * neighbour of (1, y) is (2, y) in the next slave), nodes on a node grid
 * (every agent's neighbours are the true ones, the first and last slave
 * of each node included, where Creamas gets east and west wrong), and the
 * diffusion agents, whose values after 50 rounds on a 16 x 16 grid must
 * be bit for bit those of a plain computation in this file, on one slave,
 * on four slaves of a master and on two masters of two slaves, whether
 * they read their neighbours' published values or call them.
 *
 * Every test starts its daemons on ephemeral loopback ports and stops
 * them by pid; a master's slaves must be gone with it.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "grid_reference.h"
#include "testlib.h"

#define CG_TEST_TIMEOUT		180	/* seconds per test */
#define CG_STOP_WAIT		20.0	/* seconds for a master to exit */
#define CG_NODES_MAX		4
#define CG_SLAVES_MAX		8
#define CG_CONNS_MAX		32
#define CG_SIDE			16	/* of the diffusion grid */
#define CG_ROUNDS		50
#define CG_CTL_WAIT		120.0	/* seconds a creamasctl run may take */

Suite	*suite_grid(void);

/* A daemon under test: a slave, or a master with its slaves. */
struct cg_node {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	int			 is_master;
	size_t			 nslaves;
	pid_t			 pids[CG_SLAVES_MAX];
	char			*managers[CG_SLAVES_MAX];
	/* The part of the whole grid it holds. */
	int64_t			 x;
	int64_t			 y;
	int64_t			 width;
	int64_t			 height;
};

/* A whole grid: its nodes, and connections to agents' environments. */
struct cg_grid {
	struct cg_node		*nodes[CG_NODES_MAX];
	size_t			 nnodes;
	int64_t			 x;		/* the whole grid's origin */
	int64_t			 y;
	int64_t			 width;
	int64_t			 height;
	uint16_t		 ports[CG_CONNS_MAX];
	struct tl_conn		*conns[CG_CONNS_MAX];
	size_t			 nconns;
};

/* Call a method and fail unless its result is the JSON text expected. */
static void
cg_expect(struct tl_conn *conn, const char *expected, const char *method,
    const char *params)
{
	tl_expect_result(conn, method, params, expected);
}

/* cg_expect() with params formatted. */
static void __attribute__((format(printf, 4, 5)))
cg_expectf(struct tl_conn *conn, const char *expected, const char *method,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*params;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&params, fmt, ap);
	va_end(ap);
	ck_assert_msg(rc != -1, "out of memory");
	cg_expect(conn, expected, method, params);
	free(params);
}

/* Expect an error of a code and drop it. */
static void
cg_error(struct tl_conn *conn, int code, const char *method,
    const char *params)
{
	json_object_put(tl_err(conn, code, method, params));
}

/* Start a slave. */
static struct cg_node *
cg_slave_start(void)
{
	struct cg_node	*node;

	node = tl_calloc(1, sizeof *node);
	node->daemon = tl_daemon_start("--role", "slave", NULL);
	node->conn = tl_connect(node->daemon->port);
	return (node);
}

/* Start a master with a number of slaves and learn the slaves. */
static struct cg_node *
cg_master_start(size_t slaves)
{
	struct cg_node		*node;
	struct json_object	*status, *list, *slave;
	char			 count[32];
	size_t			 i;

	tl_adopt_orphans();
	snprintf(count, sizeof count, "%zu", slaves);
	node = tl_calloc(1, sizeof *node);
	node->is_master = 1;
	node->daemon = tl_daemon_start("--role", "master", "--slaves", count,
	    NULL);
	node->conn = tl_connect(node->daemon->port);
	status = tl_ok(node->conn, "status", NULL);
	list = tl_member(status, "slaves");
	node->nslaves = json_object_array_length(list);
	ck_assert_msg(node->nslaves == slaves, "status lists %zu slaves, "
	    "expected %zu: %s", node->nslaves, slaves, tl_json_text(status));
	for (i = 0; i < node->nslaves; i++) {
		slave = tl_index(list, i);
		node->managers[i] = tl_printf("%s", tl_string(slave,
		    "address"));
		node->pids[i] = (pid_t)tl_int(slave, "pid");
	}
	json_object_put(status);
	return (node);
}

/* Stop a node by pid (a master with its stop method) and free it. */
static void
cg_node_stop(struct cg_node *node)
{
	struct tl_exit	 e;

	if (node->is_master) {
		node->conn->timeout = CG_STOP_WAIT;
		cg_expect(node->conn, "true", "stop", NULL);
		e = tl_daemon_wait(node->daemon, CG_STOP_WAIT);
	} else
		e = tl_daemon_stop(node->daemon);
	ck_assert_msg(tl_exit_ok(&e), "node on port %u: %s",
	    node->daemon->port, tl_exit_string(&e));
	tl_forget_slaves(node->nslaves, node->pids, node->managers);
	tl_close(node->conn);
	tl_daemon_free(node->daemon);
	free(node);
}

/* Make a grid of width by height cells from (x, y), without nodes yet. */
static struct cg_grid *
cg_grid_new(int64_t x, int64_t y, int64_t width, int64_t height)
{
	struct cg_grid	*grid;

	grid = tl_calloc(1, sizeof *grid);
	grid->x = x;
	grid->y = y;
	grid->width = width;
	grid->height = height;
	return (grid);
}

/* Add a node holding width by height cells from (x, y). */
static void
cg_grid_add(struct cg_grid *grid, struct cg_node *node, int64_t x, int64_t y,
    int64_t width, int64_t height)
{
	ck_assert_msg(grid->nnodes < CG_NODES_MAX, "too many nodes");
	node->x = x;
	node->y = y;
	node->width = width;
	node->height = height;
	grid->nodes[grid->nnodes++] = node;
}

/* Stop every node of a grid, close its connections and free it. */
static void
cg_grid_free(struct cg_grid *grid)
{
	pid_t	 stray;
	size_t	 i;

	for (i = 0; i < grid->nconns; i++)
		tl_close(grid->conns[i]);
	for (i = 0; i < grid->nnodes; i++)
		cg_node_stop(grid->nodes[i]);
	free(grid);
	stray = tl_stray_child();
	ck_assert_msg(stray == 0, "process %ld is left running", (long)stray);
}

/* Return a connection to a port, opened once per grid. */
static struct tl_conn *
cg_grid_conn(struct cg_grid *grid, uint16_t port)
{
	size_t	 i;

	for (i = 0; i < grid->nconns; i++) {
		if (grid->ports[i] == port)
			return (grid->conns[i]);
	}
	ck_assert_msg(grid->nconns < CG_CONNS_MAX, "too many connections");
	grid->ports[grid->nconns] = port;
	grid->conns[grid->nconns] = tl_connect(port);
	return (grid->conns[grid->nconns++]);
}

/* Call agent.METHOD on the agent at address (extra: more params or ""). */
static struct json_object *
cg_agent_call(struct cg_grid *grid, const char *address, const char *method,
    const char *extra)
{
	struct tl_conn		*conn;
	struct json_object	*result;
	char			*name, *params;

	conn = cg_grid_conn(grid, tl_address_port(address));
	name = tl_printf("agent.%s", method);
	params = tl_printf("{\"agent\":%ld%s}", tl_address_agent(address),
	    extra);
	result = tl_ok(conn, name, params);
	free(params);
	free(name);
	return (result);
}

/* Return the node holding (x, y), asking its manager the address there. */
static char *
cg_address_at(struct cg_grid *grid, int64_t x, int64_t y)
{
	struct json_object	*result;
	struct cg_node		*node;
	char			*address;
	size_t			 i;

	for (i = 0; i < grid->nnodes; i++) {
		node = grid->nodes[i];
		if (x >= node->x && x < node->x + node->width &&
		    y >= node->y && y < node->y + node->height)
			break;
	}
	ck_assert_msg(i < grid->nnodes, "no node holds (%lld, %lld)",
	    (long long)x, (long long)y);
	result = tl_okf(node->conn, "get_xy_address", "{\"xy\":[%lld,%lld]}",
	    (long long)x, (long long)y);
	ck_assert_msg(json_object_is_type(result, json_type_string),
	    "get_xy_address (%lld, %lld): %s", (long long)x, (long long)y,
	    tl_json_text(result));
	address = tl_printf("%s", json_object_get_string(result));
	json_object_put(result);
	return (address);
}

/*
 * Fail unless every agent of the grid is at its cell and knows as its
 * neighbour to the N, E, S and W the agent of the cell that way, or
 * none beyond the grid's edges.
 */
static void
cg_check_neighbors(struct cg_grid *grid)
{
	static const char	*names[4] = { "N", "E", "S", "W" };
	static const int	 dx[4] = { 0, 1, 0, -1 };
	static const int	 dy[4] = { -1, 0, 1, 0 };
	struct json_object	*neighbors, *xy, *got;
	char			*address, *expected, *text;
	int64_t			 x, y, nx, ny;
	int			 d;

	for (x = grid->x; x < grid->x + grid->width; x++) {
		for (y = grid->y; y < grid->y + grid->height; y++) {
			address = cg_address_at(grid, x, y);
			xy = cg_agent_call(grid, address, "get_xy", "");
			text = tl_printf("[%lld,%lld]", (long long)x,
			    (long long)y);
			ck_assert_msg(tl_json_equal(xy, text), "%s: get_xy "
			    "is %s, expected %s", address, tl_json_text(xy),
			    text);
			free(text);
			json_object_put(xy);
			neighbors = cg_agent_call(grid, address,
			    "get_neighbors", "");
			for (d = 0; d < 4; d++) {
				nx = x + dx[d];
				ny = y + dy[d];
				got = tl_member(neighbors, names[d]);
				if (nx < grid->x || ny < grid->y ||
				    nx >= grid->x + grid->width ||
				    ny >= grid->y + grid->height) {
					ck_assert_msg(got == NULL, "(%lld, "
					    "%lld) %s: %s neighbour %s beyond "
					    "the edge", (long long)x,
					    (long long)y, address, names[d],
					    tl_json_text(got));
					continue;
				}
				expected = cg_address_at(grid, nx, ny);
				ck_assert_msg(json_object_is_type(got,
				    json_type_string) && strcmp(
				    json_object_get_string(got), expected) == 0,
				    "(%lld, %lld) %s: %s neighbour is %s, "
				    "expected %s at (%lld, %lld)",
				    (long long)x, (long long)y, address,
				    names[d], tl_json_text(got), expected,
				    (long long)nx, (long long)ny);
				free(expected);
			}
			json_object_put(neighbors);
			free(address);
		}
	}
}

/* Run a round on every node of the grid at once; fail on any error. */
static void
cg_round(struct cg_grid *grid)
{
	struct json_object	*response, *result;
	struct tl_conn		*conn;
	size_t			 i;

	for (i = 0; i < grid->nnodes; i++) {
		conn = grid->nodes[i]->conn;
		tl_send_call(conn, conn->next_id++, "trigger_all", NULL);
	}
	for (i = 0; i < grid->nnodes; i++) {
		response = tl_read_json(grid->nodes[i]->conn, TL_TIMEOUT);
		result = tl_response_result(response);
		ck_assert_msg(result != NULL && tl_int(result, "failed") == 0 &&
		    json_object_array_length(tl_member(result, "errors")) == 0,
		    "trigger_all on port %u: %s", grid->nodes[i]->daemon->port,
		    tl_json_text(response));
		json_object_put(response);
	}
}

/* Fail unless is_ready on every node of the grid says ready. */
static void
cg_assert_ready(struct cg_grid *grid, const char *ready)
{
	size_t	 i;

	for (i = 0; i < grid->nnodes; i++)
		cg_expect(grid->nodes[i]->conn, ready, "is_ready", NULL);
}

/*
 * Fail unless, after some rounds of grid agents, each has sent at most a
 * message a round, and every message was received and answered.
 */
static void
cg_check_messages(struct cg_grid *grid, int64_t rounds)
{
	struct json_object	*stats;
	int64_t			 sent = 0, answered = 0, received = 0, x, y;
	char			*address;

	for (x = grid->x; x < grid->x + grid->width; x++) {
		for (y = grid->y; y < grid->y + grid->height; y++) {
			address = cg_address_at(grid, x, y);
			stats = cg_agent_call(grid, address, "get_stats", "");
			sent += tl_int(stats, "sent");
			answered += tl_int(stats, "answered");
			received += tl_int(stats, "received");
			ck_assert_msg(tl_int(stats, "sent") <= rounds, "%s: %s "
			    "after %lld rounds", address, tl_json_text(stats),
			    (long long)rounds);
			json_object_put(stats);
			free(address);
		}
	}
	ck_assert_msg(sent > 0 && sent == answered && sent == received,
	    "sent %lld, answered %lld, received %lld", (long long)sent,
	    (long long)answered, (long long)received);
}

/*
 * Read the whole grid back from every node with get_grid and fail unless
 * every cell is there once with the value expected, bit for bit.
 */
static void
cg_check_values(struct cg_grid *grid, const double *expected, int side)
{
	struct json_object	*cells, *cell, *xy;
	unsigned char		*seen;
	double			 value;
	int64_t			 x, y;
	size_t			 i, j, total = 0;

	seen = tl_calloc((size_t)(side * side), 1);
	for (i = 0; i < grid->nnodes; i++) {
		cells = tl_ok(grid->nodes[i]->conn, "get_grid", NULL);
		ck_assert_msg(json_object_is_type(cells, json_type_array),
		    "get_grid: %.300s", tl_json_text(cells));
		for (j = 0; j < json_object_array_length(cells); j++) {
			cell = tl_index(cells, j);
			xy = tl_member(cell, "xy");
			x = json_object_get_int64(tl_index(xy, 0));
			y = json_object_get_int64(tl_index(xy, 1));
			ck_assert_msg(x >= 0 && y >= 0 && x < side &&
			    y < side && !seen[x * side + y], "get_grid: cell "
			    "%s twice or outside", tl_json_text(cell));
			seen[x * side + y] = 1;
			ck_assert_msg(json_object_is_type(tl_member(cell,
			    "value"), json_type_double), "get_grid: no value "
			    "in %s", tl_json_text(cell));
			value = json_object_get_double(tl_member(cell,
			    "value"));
			ck_assert_msg(memcmp(&value, &expected[x * side + y],
			    sizeof value) == 0, "(%lld, %lld): %.17g, expected "
			    "%.17g", (long long)x, (long long)y, value,
			    expected[x * side + y]);
			total++;
		}
		json_object_put(cells);
	}
	ck_assert_msg(total == (size_t)(side * side), "get_grid gave %zu "
	    "cells, expected %d", total, side * side);
	free(seen);
}

/*
 * Creamas' grid test: a (4, 5) grid at (2, 2) fills column by column,
 * agent i at (i / 5 + 2, i % 5 + 2); not ready until the 20th agent, a
 * 21st refused; once set_agent_neighbors has run, each agent's
 * neighbours are one cell away in the right direction and absent at the
 * edges; get_xy_address refuses cells outside.
 */
START_TEST(test_slave_grid)
{
	static const int	 outside[][2] = { { 1, 1 }, { 3, 1 }, { 1, 3 },
	    { 5, 7 }, { 6, 6 }, { 7, 5 } };
	struct cg_grid		*grid;
	struct cg_node		*node;
	struct json_object	*result;
	char			*address, *text;
	size_t			 i;

	node = cg_slave_start();
	grid = cg_grid_new(2, 2, 4, 5);
	cg_grid_add(grid, node, 2, 2, 4, 5);
	cg_expect(node->conn, "[0,0]", "get_gs", NULL);
	cg_expect(node->conn, "[0,0]", "get_origin", NULL);
	/* Without a grid a slave is a plain environment: ready. */
	cg_expect(node->conn, "true", "is_ready", NULL);
	cg_error(node->conn, -32002, "spawn", "{\"type\":\"grid\"}");

	cg_expect(node->conn, "null", "set_origin", "{\"origin\":[2,2]}");
	cg_expect(node->conn, "[2,2]", "get_origin", NULL);
	cg_expect(node->conn, "null", "set_gs", "{\"gs\":[4,5]}");
	cg_expect(node->conn, "[4,5]", "get_gs", NULL);
	cg_expect(node->conn, "[]", "get_grid", NULL);

	for (i = 0; i < 20; i++) {
		cg_expect(node->conn, "false", "is_ready", NULL);
		result = tl_ok(node->conn, "spawn", "{\"type\":\"grid\"}");
		address = tl_printf("%s", json_object_get_string(result));
		json_object_put(result);
		ck_assert_int_eq(tl_address_agent(address), (long)i + 1);
		result = cg_agent_call(grid, address, "get_xy", "");
		text = tl_printf("[%zu,%zu]", i / 5 + 2, i % 5 + 2);
		ck_assert_msg(tl_json_equal(result, text), "agent %zu: xy %s, "
		    "expected %s", i, tl_json_text(result), text);
		free(text);
		json_object_put(result);
		/* No neighbour is known before set_agent_neighbors. */
		result = cg_agent_call(grid, address, "get_neighbors", "");
		ck_assert_msg(tl_json_equal(result, "{\"N\":null,\"E\":null,"
		    "\"S\":null,\"W\":null}"), "agent %zu: neighbours %s "
		    "before set_agent_neighbors", i, tl_json_text(result));
		json_object_put(result);
		free(address);
	}
	/* Every cell in agent order; a grid agent has no value. */
	text = tl_strdup("[");
	for (i = 0; i < 20; i++) {
		address = text;
		text = tl_printf("%s%s{\"xy\":[%zu,%zu]}", address,
		    i > 0 ? "," : "", i / 5 + 2, i % 5 + 2);
		free(address);
	}
	address = text;
	text = tl_printf("%s]", address);
	free(address);
	cg_expect(node->conn, text, "get_grid", NULL);
	free(text);
	cg_expect(node->conn, "true", "is_ready", NULL);
	cg_error(node->conn, -32012, "spawn", "{\"type\":\"grid\"}");
	cg_error(node->conn, -32012, "spawn", "{\"type\":\"noop\"}");
	cg_expect(node->conn, "true", "is_ready", NULL);
	/* A grid holding agents keeps its size and origin. */
	cg_error(node->conn, -32012, "set_gs", "{\"gs\":[5,5]}");
	cg_error(node->conn, -32012, "set_origin", "{\"origin\":[0,0]}");

	cg_expect(node->conn, "null", "set_agent_neighbors", NULL);
	cg_check_neighbors(grid);
	for (i = 0; i < sizeof outside / sizeof outside[0]; i++) {
		text = tl_printf("{\"xy\":[%d,%d]}", outside[i][0],
		    outside[i][1]);
		cg_error(node->conn, -32602, "get_xy_address", text);
		free(text);
	}
	address = cg_address_at(grid, 2, 2);
	ck_assert_int_eq(tl_address_agent(address), 1);
	free(address);
	address = tl_printf("\"tcp://127.0.0.1:%u/0\"", node->daemon->port);
	cg_expect(node->conn, address, "get_xy_environment",
	    "{\"xy\":[5,6]}");
	free(address);
	cg_expect(node->conn, "null", "get_xy_environment", "{\"xy\":[6,6]}");

	/* Creamas' example agents: every message is answered. */
	for (i = 0; i < 5; i++)
		cg_round(grid);
	cg_check_messages(grid, 5);
	cg_grid_free(grid);
}
END_TEST

/*
 * Bad grid parameters are refused with -32602, and set_agent_neighbors
 * waits for a full grid (-32002); a grid agent refuses unknown params.
 */
START_TEST(test_grid_errors)
{
	struct cg_node	*node;
	struct tl_exit	 e;

	node = cg_slave_start();
	cg_error(node->conn, -32602, "set_gs", "{\"gs\":[0,5]}");
	cg_error(node->conn, -32602, "set_gs", "{\"gs\":[4]}");
	cg_error(node->conn, -32602, "set_gs", "{\"gs\":[4,\"5\"]}");
	cg_error(node->conn, -32602, "set_gs", "{\"gs\":\"4x5\"}");
	cg_error(node->conn, -32602, "set_gs", "{\"gs\":[100000,100000]}");
	cg_error(node->conn, -32602, "set_gs", "{\"size\":[4,5]}");
	cg_error(node->conn, -32602, "set_origin", "{\"origin\":[1.5,2]}");
	cg_error(node->conn, -32602, "set_origin",
	    "{\"origin\":[0,10000000000000]}");
	cg_error(node->conn, -32602, "get_xy_address", "{\"xy\":[0,0]}");
	cg_error(node->conn, -32602, "set_grid_neighbor",
	    "{\"direction\":\"Q\",\"addr\":null}");
	cg_error(node->conn, -32602, "set_grid_neighbor",
	    "{\"direction\":\"N\",\"addr\":5}");
	cg_error(node->conn, -32602, "set_grid_neighbor",
	    "{\"direction\":\"N\",\"addr\":\"nowhere\"}");
	cg_error(node->conn, -32602, "set_grid_neighbor",
	    "{\"direction\":\"N\"}");
	cg_expect(node->conn, "null", "set_grid_neighbor",
	    "{\"direction\":\"N\",\"addr\":null}");
	cg_expect(node->conn, "null", "get_xy_environment",
	    "{\"xy\":[0,0]}");
	/* A slave has no slaves: set_neighbors wires its agents. */
	cg_error(node->conn, -32002, "set_neighbors", NULL);
	cg_error(node->conn, -32002, "set_agent_neighbors", NULL);
	cg_error(node->conn, -32601, "set_slave_neighbors", NULL);
	cg_expect(node->conn, "null", "set_gs", "{\"gs\":[2,1]}");
	cg_error(node->conn, -32602, "spawn",
	    "{\"type\":\"diffusion\",\"params\":{\"sede\":1}}");
	cg_error(node->conn, -32602, "spawn",
	    "{\"type\":\"diffusion\",\"params\":{\"seed\":\"x\"}}");
	cg_expect(node->conn, "false", "is_ready", NULL);
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"diffusion\",\"n\":2,\"params\":{\"seed\":7}}"));
	cg_expect(node->conn, "true", "is_ready", NULL);
	cg_expect(node->conn, "null", "set_agent_neighbors", NULL);
	/* Only the value after this round or the one before is kept. */
	cg_error(node->conn, -32008, "agent.get_value",
	    "{\"agent\":1,\"round\":1}");
	cg_error(node->conn, -32602, "agent.get_value",
	    "{\"agent\":1,\"round\":\"x\"}");
	cg_error(node->conn, -32601, "agent.nosuch", "{\"agent\":1}");
	json_object_put(tl_ok(node->conn, "trigger_all", NULL));
	json_object_put(tl_ok(node->conn, "agent.get_value",
	    "{\"agent\":1,\"round\":0}"));
	json_object_put(tl_ok(node->conn, "agent.get_value",
	    "{\"agent\":1,\"round\":1}"));
	cg_error(node->conn, -32008, "agent.get_value",
	    "{\"agent\":1,\"round\":2}");
	e = tl_daemon_stop(node->daemon);
	ck_assert_msg(tl_exit_ok(&e), "%s", tl_exit_string(&e));
	tl_close(node->conn);
	tl_daemon_free(node->daemon);
	free(node);
}
END_TEST

/*
 * A master with two slaves of a (2, 2) grid each: slave 1 starts at
 * x = 2, the east neighbour of (1, y) is (2, y) on the other slave and
 * back, get_xy_environment names the slave holding a cell, and the grid
 * agents' messages cross the slaves; every agent's message counts are
 * those of the same grid on one slave.
 */
START_TEST(test_master_boundary)
{
	struct cg_grid		*grid, *single;
	struct cg_node		*node;
	struct tl_conn		*slave;
	struct json_object	*result, *stats, *one;
	char			*west, *east, *address;
	int64_t			 x, y;
	size_t			 i;

	node = cg_master_start(2);
	grid = cg_grid_new(0, 0, 4, 2);
	cg_grid_add(grid, node, 0, 0, 4, 2);
	cg_expect(node->conn, "null", "set_gs", "{\"gs\":[2,2]}");
	cg_expect(node->conn, "[2,2]", "get_gs", NULL);
	cg_expect(node->conn, "[0,0]", "get_origin", NULL);
	cg_assert_ready(grid, "false");	/* a grid is ready once full */
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"grid\",\"n\":7}");
	json_object_put(result);
	cg_assert_ready(grid, "false");
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"grid\",\"n\":1,"
	    "\"slave\":1}");
	json_object_put(result);
	cg_assert_ready(grid, "true");

	for (i = 0; i < 2; i++) {
		cg_expectf(node->conn, "null", "get_xy_environment",
		    "{\"xy\":[%d,0]}", i == 0 ? -1 : 4);
		address = tl_printf("\"%s\"", node->managers[i]);
		cg_expectf(node->conn, address, "get_xy_environment",
		    "{\"xy\":[%zu,1]}", 2 * i + 1);
		free(address);
	}
	cg_error(node->conn, -32602, "get_xy_address", "{\"xy\":[4,0]}");
	cg_error(node->conn, -32602, "get_xy_address", "{\"xy\":[0,2]}");
	/* The slaves' own grids, side by side. */
	for (i = 0; i < 2; i++) {
		slave = tl_connect(tl_address_port(node->managers[i]));
		cg_expect(slave, i == 0 ? "[0,0]" : "[2,0]", "get_origin",
		    NULL);
		cg_expect(slave, "[2,2]", "get_gs", NULL);
		tl_close(slave);
	}

	cg_expect(node->conn, "null", "set_neighbors", NULL);
	for (y = 0; y < 2; y++) {
		west = cg_address_at(grid, 1, y);
		east = cg_address_at(grid, 2, y);
		ck_assert_msg(tl_address_port(west) != tl_address_port(east),
		    "(1, %lld) and (2, %lld) on one slave", (long long)y,
		    (long long)y);
		result = cg_agent_call(grid, west, "get_neighbors", "");
		ck_assert_str_eq(tl_string(result, "E"), east);
		json_object_put(result);
		result = cg_agent_call(grid, east, "get_neighbors", "");
		ck_assert_str_eq(tl_string(result, "W"), west);
		json_object_put(result);
		free(west);
		free(east);
	}
	cg_check_neighbors(grid);

	/* The same grid of Creamas' agents on one slave. */
	single = cg_grid_new(0, 0, 4, 2);
	cg_grid_add(single, cg_slave_start(), 0, 0, 4, 2);
	cg_expect(single->nodes[0]->conn, "null", "set_gs", "{\"gs\":[4,2]}");
	result = tl_ok(single->nodes[0]->conn, "spawn_n",
	    "{\"type\":\"grid\",\"n\":8}");
	json_object_put(result);
	cg_expect(single->nodes[0]->conn, "null", "set_agent_neighbors",
	    NULL);
	cg_check_neighbors(single);
	for (i = 0; i < 10; i++) {
		cg_round(grid);
		cg_round(single);
	}
	cg_check_messages(grid, 10);
	for (x = 0; x < 4; x++) {
		for (y = 0; y < 2; y++) {
			address = cg_address_at(grid, x, y);
			stats = cg_agent_call(grid, address, "get_stats", "");
			free(address);
			address = cg_address_at(single, x, y);
			one = cg_agent_call(single, address, "get_stats", "");
			free(address);
			ck_assert_msg(tl_json_equal(stats, tl_json_text(one)),
			    "(%lld, %lld): %s on two slaves, %s on one",
			    (long long)x, (long long)y, tl_json_text(stats),
			    tl_json_text(one));
			json_object_put(stats);
			json_object_put(one);
		}
	}
	cg_grid_free(single);
	cg_grid_free(grid);
}
END_TEST

/* Two nodes for test_node_grid: where the second is, what each is. */
static const struct {
	int		 columns;	/* of the node grid: 2 x 1 or 1 x 2 */
	int		 slaves[2];	/* of each node; 0: a plain slave */
} cg_node_grids[] = {
	{ 2, { 2, 2 } },
	{ 1, { 2, 2 } },
	{ 2, { 2, 0 } },
	{ 1, { 2, 1 } },
};

/*
 * Two nodes on a node grid, each holding 4 x 2 cells: two masters of two
 * slaves side by side (loop 0) and one above the other (loop 1), a master
 * and a plain slave east of it (loop 2), and a master of two slaves over
 * a master of one, whose slab spans both slaves above it (loop 3). Every
 * node is told its neighbour, then set_neighbors on each; every agent's
 * neighbours are the true ones, across slaves and nodes, the first and
 * last slave of each node included (Creamas gets those wrong), and the
 * agents run a round.
 */
START_TEST(test_node_grid)
{
	static const char	*sides[4] = { "N", "E", "S", "W" };
	struct cg_grid		*grid;
	struct cg_node		*nodes[2];
	char			*manager[2];
	int			 columns = cg_node_grids[_i].columns;
	int			 rows = 3 - columns, i, across, back, slaves;

	grid = cg_grid_new(0, 0, 4 * columns, 2 * rows);
	for (i = 0; i < 2; i++) {
		slaves = cg_node_grids[_i].slaves[i];
		nodes[i] = slaves == 0 ? cg_slave_start() :
		    cg_master_start((size_t)slaves);
		manager[i] = tl_printf("tcp://127.0.0.1:%u/0",
		    nodes[i]->daemon->port);
		cg_grid_add(grid, nodes[i], columns == 2 ? 4 * i : 0,
		    rows == 2 ? 2 * i : 0, 4, 2);
		cg_expectf(nodes[i]->conn, "null", "set_gs",
		    "{\"gs\":[%d,2]}", slaves == 0 ? 4 : 4 / slaves);
		cg_expectf(nodes[i]->conn, "null", "set_origin",
		    "{\"origin\":[%lld,%lld]}", (long long)nodes[i]->x,
		    (long long)nodes[i]->y);
		json_object_put(tl_ok(nodes[i]->conn, "spawn_n",
		    "{\"type\":\"diffusion\",\"n\":8}"));
	}
	cg_assert_ready(grid, "true");
	/* Node 1 is east (or south) of node 0. */
	across = columns == 2 ? 1 : 2;
	back = (across + 2) % 4;
	cg_expectf(nodes[0]->conn, "null", "set_grid_neighbor",
	    "{\"direction\":\"%s\",\"addr\":\"%s\"}", sides[across],
	    manager[1]);
	cg_expectf(nodes[1]->conn, "null", "set_grid_neighbor",
	    "{\"direction\":\"%s\",\"addr\":\"%s\"}", sides[back],
	    manager[0]);
	for (i = 0; i < 2; i++)
		cg_expect(nodes[i]->conn, "null", "set_neighbors", NULL);
	cg_check_neighbors(grid);
	/* Wiring again changes nothing. */
	for (i = 0; i < 2; i++)
		cg_expect(nodes[i]->conn, "null", "set_neighbors", NULL);
	cg_check_neighbors(grid);
	cg_round(grid);
	for (i = 0; i < 2; i++)
		free(manager[i]);
	cg_grid_free(grid);
}
END_TEST

/* Fill every node of a grid with agents of a diffusion type, then wire. */
static void
cg_diffusion_fill(struct cg_grid *grid, const char *type)
{
	struct cg_node	*node;
	size_t		 i;

	for (i = 0; i < grid->nnodes; i++) {
		node = grid->nodes[i];
		json_object_put(tl_okf(node->conn, "spawn_n",
		    "{\"type\":\"%s\",\"n\":%lld}", type,
		    (long long)(node->width * node->height)));
	}
	cg_assert_ready(grid, "true");
	for (i = 0; i < grid->nnodes; i++)
		cg_expect(grid->nodes[i]->conn, "null",
		    grid->nodes[i]->is_master ? "set_neighbors" :
		    "set_agent_neighbors", NULL);
}

/*
 * The split does not change the answer: diffusion on a 16 x 16 grid for
 * 50 rounds, on one slave (loop 0), on a master with four slaves (loop
 * 1) and on two masters of two slaves side by side (loop 2), gives the
 * values of the plain computation bit for bit; with published values
 * (type diffusion, loops 0-2) and with a get_value call per neighbour
 * (type diffusion_rpc, loops 3-5).
 */
START_TEST(test_diffusion)
{
	struct cg_grid	*grid;
	struct cg_node	*node, *other;
	double		*expected, *initial;
	char		*manager;
	int		 r, i, changed = 0;

	expected = tl_calloc(CG_SIDE * CG_SIDE, sizeof *expected);
	initial = tl_calloc(CG_SIDE * CG_SIDE, sizeof *initial);
	grid_reference(initial, CG_SIDE, CG_SIDE, 0);
	grid_reference(expected, CG_SIDE, CG_SIDE, CG_ROUNDS);
	for (i = 0; i < CG_SIDE * CG_SIDE; i++)
		changed += expected[i] != initial[i];
	ck_assert_msg(changed > CG_SIDE * CG_SIDE / 2, "the reference "
	    "hardly changes: %d cells of %d", changed, CG_SIDE * CG_SIDE);

	grid = cg_grid_new(0, 0, CG_SIDE, CG_SIDE);
	switch (_i % 3) {
	case 0:
		node = cg_slave_start();
		cg_grid_add(grid, node, 0, 0, CG_SIDE, CG_SIDE);
		cg_expectf(node->conn, "null", "set_gs", "{\"gs\":[%d,%d]}",
		    CG_SIDE, CG_SIDE);
		break;
	case 1:
		node = cg_master_start(4);
		cg_grid_add(grid, node, 0, 0, CG_SIDE, CG_SIDE);
		cg_expectf(node->conn, "null", "set_gs", "{\"gs\":[%d,%d]}",
		    CG_SIDE / 4, CG_SIDE);
		break;
	default:
		node = cg_master_start(2);
		other = cg_master_start(2);
		cg_grid_add(grid, node, 0, 0, CG_SIDE / 2, CG_SIDE);
		cg_grid_add(grid, other, CG_SIDE / 2, 0, CG_SIDE / 2, CG_SIDE);
		cg_expectf(node->conn, "null", "set_gs", "{\"gs\":[%d,%d]}",
		    CG_SIDE / 4, CG_SIDE);
		cg_expectf(other->conn, "null", "set_gs", "{\"gs\":[%d,%d]}",
		    CG_SIDE / 4, CG_SIDE);
		cg_expectf(other->conn, "null", "set_origin",
		    "{\"origin\":[%d,0]}", CG_SIDE / 2);
		manager = tl_printf("tcp://127.0.0.1:%u/0",
		    other->daemon->port);
		cg_expectf(node->conn, "null", "set_grid_neighbor",
		    "{\"direction\":\"E\",\"addr\":\"%s\"}", manager);
		free(manager);
		manager = tl_printf("tcp://127.0.0.1:%u/0",
		    node->daemon->port);
		cg_expectf(other->conn, "null", "set_grid_neighbor",
		    "{\"direction\":\"W\",\"addr\":\"%s\"}", manager);
		free(manager);
		break;
	}
	cg_diffusion_fill(grid, _i < 3 ? "diffusion" : "diffusion_rpc");
	cg_check_values(grid, initial, CG_SIDE);
	for (r = 0; r < CG_ROUNDS; r++)
		cg_round(grid);
	cg_check_values(grid, expected, CG_SIDE);
	cg_grid_free(grid);
	free(initial);
	free(expected);
}
END_TEST

/*
 * Run $CREAMASCTL with arguments (NULL-terminated) to its exit; return its
 * exit status, with what it printed (stdout and stderr) in *output.
 */
static int
cg_ctl(char **output, ...)
{
	const char	*argv[32], *arg, *ctl = getenv("CREAMASCTL");
	char		*path;
	va_list		 ap;
	double		 deadline;
	size_t		 n = 0;
	pid_t		 pid;
	int		 fd, status;

	ck_assert_msg(ctl != NULL && *ctl != '\0', "CREAMASCTL is not set: "
	    "run the tests with make check");
	argv[n++] = ctl;
	va_start(ap, output);
	while ((arg = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(n < 31, "too many arguments");
		argv[n++] = arg;
	}
	va_end(ap);
	argv[n] = NULL;
	path = tl_path(tl_tempdir(), "creamasctl.out");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(ctl, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	close(fd);
	deadline = tl_now() + CG_CTL_WAIT;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (tl_now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("creamasctl %s: still running after "
			    "%.0f s", argv[1], CG_CTL_WAIT);
		}
		usleep(10000);
	}
	*output = tl_read_file(path);
	free(path);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Run creamasctl and fail unless it exits 0. */
static void
cg_ctl_ok(const char *nodes, const char *command, const char *a,
    const char *b, const char *c, const char *d)
{
	char	*output;
	int	 status;

	status = cg_ctl(&output, "-f", nodes, command, a, b, c, d, NULL);
	ck_assert_msg(status == 0, "creamasctl %s: exit %d: %s", command,
	    status, output != NULL ? output : "");
	free(output);
}

/*
 * The same through creamasctl: two nodes of two slaves started with
 * launch=local, prepare --grid 16x16:diffusion --node-grid 2x1, 50
 * rounds with trigger, the values read from the nodes bit for bit those
 * of the plain computation, and stop leaves nothing running.
 */
START_TEST(test_ctl_diffusion)
{
	struct cg_grid		*grid;
	struct cg_node		*node;
	struct json_object	*status, *slaves;
	double			*expected;
	pid_t			 pids[6];
	size_t			 npids = 0, i, j;
	uint16_t		 base;
	char			*nodes, *text, rounds[16];
	struct tl_exit		 e;

	expected = tl_calloc(CG_SIDE * CG_SIDE, sizeof *expected);
	grid_reference(expected, CG_SIDE, CG_SIDE, CG_ROUNDS);
	tl_adopt_orphans();
	base = tl_free_ports(6);
	nodes = tl_path(tl_tempdir(), "nodes");
	text = tl_printf("127.0.0.1 port=%u slaves=2 launch=local\n"
	    "127.0.0.1 port=%u slaves=2 launch=local\n", base, base + 3);
	tl_write_file(nodes, text);
	free(text);

	cg_ctl_ok(nodes, "spawn", NULL, NULL, NULL, NULL);
	grid = cg_grid_new(0, 0, CG_SIDE, CG_SIDE);
	for (i = 0; i < 2; i++) {
		node = tl_calloc(1, sizeof *node);
		node->conn = tl_connect((uint16_t)(base + 3 * i));
		status = tl_ok(node->conn, "status", NULL);
		pids[npids++] = (pid_t)tl_int(status, "pid");
		slaves = tl_member(status, "slaves");
		for (j = 0; j < json_object_array_length(slaves); j++)
			pids[npids++] = (pid_t)tl_int(tl_index(slaves, j),
			    "pid");
		json_object_put(status);
		cg_grid_add(grid, node, (int64_t)i * CG_SIDE / 2, 0,
		    CG_SIDE / 2, CG_SIDE);
	}
	ck_assert_uint_eq(npids, 6);
	for (i = 0; i < npids; i++)
		tl_track_pid(pids[i]);

	text = tl_printf("%dx%d:diffusion", CG_SIDE, CG_SIDE);
	cg_ctl_ok(nodes, "prepare", "--grid", text, "--node-grid", "2x1");
	free(text);
	cg_expect(grid->nodes[1]->conn, "[4,16]", "get_gs", NULL);
	cg_expect(grid->nodes[1]->conn, "[8,0]", "get_origin", NULL);
	snprintf(rounds, sizeof rounds, "%d", CG_ROUNDS);
	cg_ctl_ok(nodes, "trigger", "-n", rounds, NULL, NULL);
	cg_check_values(grid, expected, CG_SIDE);

	for (i = 0; i < grid->nnodes; i++) {
		tl_close(grid->nodes[i]->conn);
		free(grid->nodes[i]);
	}
	free(grid);
	cg_ctl_ok(nodes, "stop", NULL, NULL, NULL, NULL);
	for (i = 0; i < npids; i++) {
		e = tl_stop_pid(pids[i], 0, CG_STOP_WAIT);
		ck_assert_msg(!e.killed, "pid %ld still ran after stop",
		    (long)pids[i]);
	}
	free(nodes);
	free(expected);
}
END_TEST

/* The grid suite. */
Suite *
suite_grid(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("grid");

	tc = tcase_create("slave");
	tcase_set_timeout(tc, CG_TEST_TIMEOUT);
	tcase_add_test(tc, test_slave_grid);
	tcase_add_test(tc, test_grid_errors);
	suite_add_tcase(suite, tc);

	tc = tcase_create("master");
	tcase_set_timeout(tc, CG_TEST_TIMEOUT);
	tcase_add_test(tc, test_master_boundary);
	tcase_add_loop_test(tc, test_node_grid, 0,
	    sizeof cg_node_grids / sizeof cg_node_grids[0]);
	suite_add_tcase(suite, tc);

	tc = tcase_create("diffusion");
	tcase_set_timeout(tc, CG_TEST_TIMEOUT);
	tcase_add_loop_test(tc, test_diffusion, 0, 6);
	tcase_add_test(tc, test_ctl_diffusion);
	suite_add_tcase(suite, tc);

	return (suite);
}
