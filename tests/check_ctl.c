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
 * End-to-end tests of creamasctl ($CREAMASCTL) with launch=local nodes:
 * the real binary spawns real daemons ($CREAMASD) on free loopback ports,
 * as a user would, and the tests check its output, its exit status, and
 * the daemons themselves (over JSON-RPC and by pid).
 *
 * Until the master role exists the nodes run "creamasd --role slave"
 * through cmd=, which serves the same managing functions.
 *
 * This process becomes a subreaper, so the daemons (which detach from
 * creamasctl's child) become its children: their pids, read with the
 * status method, are tracked and waited for, and any left over are killed
 * at exit.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "sshd.h"
#include "testlib.h"

#define CTL_TIMEOUT	30.0	/* seconds any creamasctl run may take */
#define NODES_MAX	8

Suite	*suite_ctl(void);

/* A few nodes on free ports, with their nodes file. */
struct cluster {
	size_t	 count;
	uint16_t ports[NODES_MAX];
	pid_t	 pids[NODES_MAX];
	char	 names[NODES_MAX][32];
	char	*dir;
	char	*file;
};

/* Return how many lines a text has. */
static size_t
count_lines(const char *text)
{
	size_t	 n = 0;

	for (; *text != '\0'; text++) {
		if (*text == '\n')
			n++;
	}
	return (n);
}

/* Return line i (from 0) of a text as a new string, or NULL. */
static char *
line_of(const char *text, size_t i)
{
	const char	*end;

	while (i-- > 0) {
		if ((text = strchr(text, '\n')) == NULL)
			return (NULL);
		text++;
	}
	if (*text == '\0')
		return (NULL);
	end = strchr(text, '\n');
	return (strndup(text, end != NULL ? (size_t)(end - text) :
	    strlen(text)));
}

#define CTL_PORT_ROOM	4	/* ports after a node's, for its slaves */

/* A free port with room after it for a master's slaves, clear of taken. */
static uint16_t
free_port(const uint16_t *taken, size_t ntaken)
{
	return (tl_free_ports_apart(CTL_PORT_ROOM + 1, taken, ntaken,
	    CTL_PORT_ROOM));
}

/*
 * Make a nodes file of count local nodes on free ports, each running a
 * slave through cmd=; extra, if not NULL, is added to the file as it is.
 */
static void
cluster_make(struct cluster *cluster, size_t count, const char *extra)
{
	FILE	*f;
	size_t	 i;

	memset(cluster, 0, sizeof *cluster);
	ck_assert_uint_le(count, NODES_MAX);
	cluster->count = count;
	cluster->dir = strdup(tl_tempdir());
	cluster->file = tl_path(cluster->dir, "nodes");
	f = fopen(cluster->file, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# made by check_ctl\n");
	for (i = 0; i < count; i++) {
		cluster->ports[i] = free_port(cluster->ports, i);
		snprintf(cluster->names[i], sizeof cluster->names[i],
		    "127.0.0.1:%u", cluster->ports[i]);
		fprintf(f, "127.0.0.1 port=%u cmd=\"{creamasd} --role slave "
		    "--listen {listen}\"\n", cluster->ports[i]);
	}
	if (extra != NULL)
		fputs(extra, f);
	ck_assert_int_eq(fclose(f), 0);
	tl_adopt_orphans();
}

/*
 * Make a nodes file of count nodes with the default command: masters of
 * two slaves each, on free ports with room for the slaves after them.
 */
static void
cluster_make_masters(struct cluster *cluster, size_t count)
{
	FILE	*f;
	size_t	 i, tries;

	memset(cluster, 0, sizeof *cluster);
	ck_assert_uint_le(count, NODES_MAX);
	cluster->count = count;
	cluster->dir = strdup(tl_tempdir());
	cluster->file = tl_path(cluster->dir, "nodes");
	/* Each node needs its port and the two after it. */
	for (i = 0; i < count; i++) {
		for (tries = 0; tries < 100; tries++) {
			cluster->ports[i] = free_port(cluster->ports, i);
			if (cluster->ports[i] < 65533 &&
			    tl_port_free(cluster->ports[i] + 1) &&
			    tl_port_free(cluster->ports[i] + 2))
				break;
		}
		snprintf(cluster->names[i], sizeof cluster->names[i],
		    "127.0.0.1:%u", cluster->ports[i]);
	}
	f = fopen(cluster->file, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < count; i++)
		fprintf(f, "127.0.0.1 port=%u slaves=2 idle_exit=120\n",
		    cluster->ports[i]);
	ck_assert_int_eq(fclose(f), 0);
	tl_adopt_orphans();
}

/* Read every node's pid with the status method, and track it. */
static void
cluster_read_pids(struct cluster *cluster)
{
	struct tl_conn		*conn;
	struct json_object	*status;
	size_t			 i;

	for (i = 0; i < cluster->count; i++) {
		conn = tl_connect(cluster->ports[i]);
		status = tl_ok(conn, "status", NULL);
		cluster->pids[i] = (pid_t)tl_int(status, "pid");
		ck_assert_int_gt(cluster->pids[i], 1);
		ck_assert_int_ne(cluster->pids[i], getpid());
		ck_assert_msg(tl_pid_alive(cluster->pids[i]), "pid %ld of "
		    "%s is not alive", (long)cluster->pids[i],
		    cluster->names[i]);
		tl_track_pid(cluster->pids[i]);
		json_object_put(status);
		tl_close(conn);
	}
}

/* Fail unless node i's process has ended (exit 0) and its port is shut. */
static void
cluster_expect_gone(struct cluster *cluster, size_t i)
{
	struct tl_exit	 e;

	ck_assert_msg(!tl_port_listening(cluster->ports[i]),
	    "%s still listens", cluster->names[i]);
	if (cluster->pids[i] <= 0)
		return;
	e = tl_stop_pid(cluster->pids[i], 0, 5.0);
	ck_assert_msg(!e.killed, "pid %ld of %s was still running",
	    (long)cluster->pids[i], cluster->names[i]);
	if (e.known)
		ck_assert_msg(tl_exit_ok(&e), "%s: %s", cluster->names[i],
		    tl_exit_string(&e));
	cluster->pids[i] = -1;
}

/* Stop whatever nodes of a test are still running, by pid. */
static void
cluster_free(struct cluster *cluster)
{
	size_t	 i;

	for (i = 0; i < cluster->count; i++) {
		if (cluster->pids[i] > 0) {
			tl_stop_pid(cluster->pids[i], SIGTERM, 5.0);
			cluster->pids[i] = -1;
		}
	}
	free(cluster->dir);
	free(cluster->file);
}

/* Spawn and wait for every node of a cluster, and read their pids. */
static void
cluster_start(struct cluster *cluster)
{
	struct tl_ctl	 run;

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster->file, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster->file, "wait", NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	cluster_read_pids(cluster);
}

/* Stop every node of a cluster with creamasctl stop; all must be gone. */
static void
cluster_stop(struct cluster *cluster)
{
	struct tl_ctl	 run;
	size_t		 i;

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster->file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	for (i = 0; i < cluster->count; i++)
		cluster_expect_gone(cluster, i);
}

/* Parse the JSON lines a run printed; a new array. */
static struct json_object *
json_lines(const char *text)
{
	struct json_object	*lines;
	char			*line;
	size_t			 i;

	lines = json_object_new_array();
	for (i = 0; (line = line_of(text, i)) != NULL; i++) {
		json_object_array_add(lines, tl_json(line));
		free(line);
	}
	return (lines);
}

/*
 * Parse the JSON lines of a step that went well on every node: a line
 * each, in node order, with the step's name and ok; a new array.
 */
static struct json_object *
json_node_lines(const struct cluster *cluster, const char *text,
    const char *step)
{
	struct json_object	*lines, *object;
	size_t			 i;

	lines = json_lines(text);
	ck_assert_uint_eq(json_object_array_length(lines), cluster->count);
	for (i = 0; i < cluster->count; i++) {
		object = tl_index(lines, i);
		ck_assert_str_eq(tl_string(object, "step"), step);
		ck_assert_str_eq(tl_string(object, "node"), cluster->names[i]);
		ck_assert(json_object_get_boolean(tl_member(object, "ok")));
	}
	return (lines);
}

/* Return the index of the node whose name a line starts with. */
static size_t
node_of_line(const struct cluster *cluster, const char *line)
{
	size_t	 i, length;

	for (i = 0; i < cluster->count; i++) {
		length = strlen(cluster->names[i]);
		if (strncmp(line, cluster->names[i], length) == 0 &&
		    line[length] == ' ')
			return (i);
	}
	ck_abort_msg("no node named at the start of \"%s\"", line);
	return (0);
}

/* Return an agent's address on a node of the cluster. */
static char *
agent_address(const struct cluster *cluster, size_t node, int n)
{
	char	*address;

	ck_assert_int_ne(asprintf(&address, "tcp://%s/%d",
	    cluster->names[node], n), -1);
	return (address);
}

/*
 * The main job, step by step: spawn, wait, prepare with agents and random
 * connections, rounds (for people and -j), status, agents, call, stop;
 * then nothing is left running.
 */
START_TEST(test_lifecycle)
{
	struct cluster		 cluster;
	struct tl_ctl		 run;
	struct json_object	*lines, *object, *result, *entry, *conns;
	struct tl_conn		*conn;
	char			*line, *expected, *address, *before[3];
	size_t			 i, k, j, seen[3], cross = 0;
	unsigned int		 round;

	cluster_make(&cluster, 3, NULL);

	/* spawn: a line per node, each started. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn");
	ck_assert_uint_eq(count_lines(run.out), 3);
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_uint_eq(node_of_line(&cluster, line), i);
		ck_assert_msg(strstr(line, "started (local) in ") != NULL,
		    "%s", line);
		free(line);
	}
	ck_assert_str_eq(run.err, "");
	tl_ctl_free(&run);

	/* wait: all ready. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "wait", "-t", "10",
	    NULL);
	tl_ctl_expect(&run, 0, "wait");
	ck_assert_uint_eq(count_lines(run.out), 3);
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_msg(strstr(line, "ready after") != NULL, "%s", line);
		free(line);
	}
	tl_ctl_free(&run);

	/* status -j: one object per node, with the pid we track. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "status", NULL);
	tl_ctl_expect(&run, 0, "status");
	lines = json_lines(run.out);
	ck_assert_uint_eq(json_object_array_length(lines), 3);
	cluster_read_pids(&cluster);
	for (i = 0; i < 3; i++) {
		object = tl_index(lines, i);
		ck_assert_str_eq(tl_string(object, "step"), "status");
		ck_assert_str_eq(tl_string(object, "node"), cluster.names[i]);
		ck_assert(json_object_get_boolean(tl_member(object, "ok")));
		result = tl_member(object, "result");
		ck_assert_str_eq(tl_string(result, "role"), "slave");
		ck_assert_int_eq(tl_int(result, "pid"), cluster.pids[i]);
		ck_assert_int_eq(tl_int(result, "agents"), 0);
	}
	json_object_put(lines);
	tl_ctl_free(&run);

	/* spawn again: every node is already running, nothing starts. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn again");
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_int_ne(asprintf(&expected, "already running as pid "
		    "%ld", (long)cluster.pids[i]), -1);
		ck_assert_msg(strstr(line, expected) != NULL, "%s", line);
		free(expected);
		free(line);
	}
	tl_ctl_free(&run);

	/* prepare: 10 counters a node, a random 3-out graph over all 30. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "prepare", "--agents",
	    "counter:10", "--connections", "random:3", NULL);
	tl_ctl_expect(&run, 0, "prepare");
	ck_assert_msg(strstr(run.out, "agents: spawned 30, 10 counter per "
	    "node on 3 nodes") != NULL, "%s", run.out);
	ck_assert_msg(strstr(run.out, "connections: added 90, random:3 over "
	    "30 agents") != NULL, "%s", run.out);
	tl_ctl_free(&run);

	/* Every agent has 3 distinct connections, none to itself. */
	for (i = 0; i < 3; i++) {
		conn = tl_connect(cluster.ports[i]);
		result = tl_ok(conn, "get_connections", NULL);
		ck_assert_uint_eq(json_object_array_length(result), 10);
		for (k = 0; k < 10; k++) {
			entry = tl_index(result, k);
			address = agent_address(&cluster, i, (int)k + 1);
			ck_assert_str_eq(json_object_get_string(
			    tl_index(entry, 0)), address);
			conns = tl_index(entry, 1);
			ck_assert_uint_eq(json_object_array_length(conns), 3);
			for (j = 0; j < 3; j++) {
				const char *to = json_object_get_string(
				    tl_index(conns, j));

				ck_assert_str_ne(to, address);
				ck_assert_msg(strncmp(to, "tcp://127.0.0.1:",
				    16) == 0, "%s", to);
				if (strncmp(to, address, strlen(address) -
				    2) != 0)
					cross++;
			}
			free(address);
		}
		before[i] = strdup(tl_json_text(result));
		json_object_put(result);
		tl_close(conn);
	}
	/* Links go across nodes (all 90 local would be a broken graph). */
	ck_assert_uint_gt(cross, 10);

	/* prepare again changes nothing: it is idempotent. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "prepare",
	    "--agents", "counter:10", "--connections", "random:3", NULL);
	tl_ctl_expect(&run, 0, "prepare again");
	lines = json_lines(run.out);
	ck_assert_uint_eq(json_object_array_length(lines), 2);
	ck_assert_str_eq(tl_string(tl_index(lines, 0), "part"), "agents");
	ck_assert_int_eq(tl_int(tl_index(lines, 0), "spawned"), 0);
	ck_assert_str_eq(tl_string(tl_index(lines, 1), "part"),
	    "connections");
	ck_assert_int_eq(tl_int(tl_index(lines, 1), "added"), 0);
	ck_assert_int_eq(tl_int(tl_index(lines, 1), "agents"), 30);
	json_object_put(lines);
	tl_ctl_free(&run);
	for (i = 0; i < 3; i++) {
		conn = tl_connect(cluster.ports[i]);
		result = tl_ok(conn, "get_connections", NULL);
		ck_assert_str_eq(tl_json_text(result), before[i]);
		free(before[i]);
		json_object_put(result);
		tl_close(conn);
	}

	/* trigger -n 5: a line per round, in order. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-n", "5",
	    NULL);
	tl_ctl_expect(&run, 0, "trigger");
	ck_assert_uint_eq(count_lines(run.out), 5);
	for (i = 0; i < 5; i++) {
		line = line_of(run.out, i);
		ck_assert_int_ne(asprintf(&expected, "round %zu: 30 agents, "
		    "0 failed, 3/3 nodes, ", i + 1), -1);
		ck_assert_msg(strncmp(line, expected, strlen(expected)) == 0,
		    "line %zu: \"%s\", expected \"%s...\"", i + 1, line,
		    expected);
		free(expected);
		free(line);
	}
	ck_assert_str_eq(run.err, "");
	tl_ctl_free(&run);

	/* trigger -j with args: one object per round. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "trigger", "-n",
	    "2", "--args", "{\"by\": 2}", NULL);
	tl_ctl_expect(&run, 0, "trigger -j");
	lines = json_lines(run.out);
	ck_assert_uint_eq(json_object_array_length(lines), 2);
	for (round = 0; round < 2; round++) {
		object = tl_index(lines, round);
		ck_assert_str_eq(tl_string(object, "step"), "trigger");
		ck_assert_int_eq(tl_int(object, "round"), 6 + round);
		ck_assert_int_eq(tl_int(object, "agents"), 30);
		ck_assert_int_eq(tl_int(object, "failed"), 0);
		ck_assert_int_eq(tl_int(object, "nodes"), 3);
		ck_assert_int_eq(tl_int(object, "nodes_failed"), 0);
		ck_assert_int_ge(tl_int(object, "elapsed_us"), 0);
	}
	json_object_put(lines);
	tl_ctl_free(&run);

	/* call: each counter went 5 x 1 + 2 x 2. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "call", "agent.get",
	    "{\"agent\": 4}", NULL);
	tl_ctl_expect(&run, 0, "call");
	ck_assert_uint_eq(count_lines(run.out), 3);
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_uint_eq(node_of_line(&cluster, line), i);
		ck_assert_msg(strcmp(line + strlen(line) - 3, "  9") == 0,
		    "\"%s\"", line);
		free(line);
	}
	tl_ctl_free(&run);

	/* call -n: one node only; -j gives the result as JSON. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-n", cluster.names[1], "-f",
	    cluster.file, "call", "get_agents", NULL);
	tl_ctl_expect(&run, 0, "call -n");
	lines = json_lines(run.out);
	ck_assert_uint_eq(json_object_array_length(lines), 1);
	object = tl_index(lines, 0);
	ck_assert_str_eq(tl_string(object, "node"), cluster.names[1]);
	ck_assert_uint_eq(json_object_array_length(tl_member(object,
	    "result")), 10);
	json_object_put(lines);
	tl_ctl_free(&run);

	/* agents: every address, 10 of each node, in node order. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "agents", NULL);
	tl_ctl_expect(&run, 0, "agents");
	ck_assert_uint_eq(count_lines(run.out), 30);
	memset(seen, 0, sizeof seen);
	for (k = 0; k < 30; k++) {
		line = line_of(run.out, k);
		i = k / 10;
		address = agent_address(&cluster, i, (int)(k % 10) + 1);
		ck_assert_str_eq(line, address);
		seen[i]++;
		free(address);
		free(line);
	}
	ck_assert_uint_eq(seen[0] + seen[1] + seen[2], 30);
	tl_ctl_free(&run);

	/* agents -j: a line per node, its answer passed on as written. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "agents",
	    NULL);
	tl_ctl_expect(&run, 0, "agents -j");
	lines = json_node_lines(&cluster, run.out, "agents");
	for (i = 0; i < 3; i++) {
		object = tl_index(lines, i);
		ck_assert_uint_eq(json_object_array_length(tl_member(object,
		    "result")), 10);
		for (k = 0; k < 10; k++) {
			address = agent_address(&cluster, i, (int)k + 1);
			ck_assert_str_eq(json_object_get_string(
			    json_object_array_get_idx(tl_member(object,
			    "result"), k)), address);
			free(address);
		}
	}
	json_object_put(lines);
	tl_ctl_free(&run);

	/* status for people: a line per node, with its pid and rounds. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "status", NULL);
	tl_ctl_expect(&run, 0, "status");
	ck_assert_uint_eq(count_lines(run.out), 3);
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_int_ne(asprintf(&expected, "slave  pid %ld  up ",
		    (long)cluster.pids[i]), -1);
		ck_assert_msg(strstr(line, expected) != NULL, "%s", line);
		ck_assert_msg(strstr(line, "agents 10  rounds 7") != NULL,
		    "%s", line);
		free(expected);
		free(line);
	}
	tl_ctl_free(&run);

	/* stop: every node stops; no process and no port is left. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	ck_assert_uint_eq(count_lines(run.out), 3);
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_uint_eq(node_of_line(&cluster, line), i);
		ck_assert_msg(strstr(line, "  stopped in ") != NULL, "%s",
		    line);
		free(line);
	}
	for (i = 0; i < 3; i++)
		cluster_expect_gone(&cluster, i);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	tl_ctl_free(&run);
	cluster_free(&cluster);
}
END_TEST

/* A malformed nodes file: nothing is done, the error names file:line. */
START_TEST(test_malformed)
{
	struct tl_ctl	 run;
	char		*path, *expected;

	path = tl_path(tl_tempdir(), "nodes");
	tl_write_file(path, "# cluster\n127.0.0.1 port=7000\n"
	    "127.0.0.1 port=7001 slaves=many\n");
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "status", NULL);
	tl_ctl_expect(&run, 2, "status with a bad nodes file");
	ck_assert_int_ne(asprintf(&expected, "creamasctl: %s:3: slaves: "
	    "invalid number 'many'\n", path), -1);
	ck_assert_str_eq(run.err, expected);
	ck_assert_str_eq(run.out, "");
	free(expected);
	tl_ctl_free(&run);

	/* spawn too: nothing is started. */
	tl_write_file(path, "127.0.0.1 port=7000\n127.0.0.1 port=7000\n");
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "spawn", NULL);
	tl_ctl_expect(&run, 2, "spawn with a bad nodes file");
	ck_assert_int_ne(asprintf(&expected, "creamasctl: %s:2: port: "
	    "127.0.0.1:7000 is already the node on line 1\n", path), -1);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	tl_ctl_free(&run);

	/* No such file, and an unknown -n node. */
	tl_write_file(path, "127.0.0.1 port=7000\n");
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", "/nonexistent/nodes", "status",
	    NULL);
	tl_ctl_expect(&run, 2, "status without a nodes file");
	ck_assert_str_eq(run.err, "creamasctl: /nonexistent/nodes: No such "
	    "file or directory\n");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "-n", "10.1.1.1:7000",
	    "status", NULL);
	tl_ctl_expect(&run, 2, "status -n unknown");
	ck_assert_int_ne(asprintf(&expected, "creamasctl: -n 10.1.1.1:7000: "
	    "no such node in %s\n", path), -1);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	tl_ctl_free(&run);

	/* Bad command lines. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "frobnicate", NULL);
	tl_ctl_expect(&run, 2, "an unknown command");
	ck_assert_str_eq(run.err, "creamasctl: unknown command: frobnicate\n");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "call", "status", "[1]",
	    NULL);
	tl_ctl_expect(&run, 2, "call with positional params");
	ck_assert_msg(strstr(run.err, "must be a JSON object") != NULL, "%s",
	    run.err);
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "trigger", "--args", "{",
	    NULL);
	tl_ctl_expect(&run, 2, "trigger with bad args");
	ck_assert_msg(strstr(run.err, "--args: not valid JSON") != NULL, "%s",
	    run.err);
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "prepare", "--agents",
	    "counter", NULL);
	tl_ctl_expect(&run, 2, "prepare with bad agents");
	ck_assert_str_eq(run.err, "creamasctl: prepare: --agents counter: "
	    "expected TYPE:N[:JSON]\n");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "prepare", "--connections",
	    "ring:2", NULL);
	tl_ctl_expect(&run, 2, "prepare with bad connections");
	ck_assert_str_eq(run.err, "creamasctl: prepare: --connections "
	    "ring:2: expected random:K\n");
	tl_ctl_free(&run);
	free(path);
}
END_TEST

/*
 * A node that is down: trigger names it and fails, the others still do
 * their rounds; status too; stop stops the others and says the dead one
 * was not running.
 */
START_TEST(test_node_down)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	struct tl_exit	 e;
	char		*line, *expected;
	size_t		 i;

	cluster_make(&cluster, 3, NULL);
	cluster_start(&cluster);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "prepare", "--agents",
	    "noop:4", NULL);
	tl_ctl_expect(&run, 0, "prepare");
	tl_ctl_free(&run);

	/* The second node dies. */
	e = tl_stop_pid(cluster.pids[1], SIGKILL, 5.0);
	ck_assert(!e.killed);
	cluster.pids[1] = -1;

	/* (A bare number is JSON too.) */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-n", "2",
	    "--args", "7", NULL);
	tl_ctl_expect(&run, 1, "trigger with a node down");
	ck_assert_uint_eq(count_lines(run.out), 2);
	line = line_of(run.out, 0);
	ck_assert_msg(strncmp(line, "round 1: 8 agents, 0 failed, 2/3 nodes",
	    38) == 0, "%s", line);
	free(line);
	line = line_of(run.out, 1);
	ck_assert_msg(strncmp(line, "round 2: 8 agents, 0 failed, 2/2 nodes",
	    38) == 0, "%s", line);
	free(line);
	ck_assert_int_ne(asprintf(&expected, "creamasctl: %s: round 1: "
	    "connection to %s failed: Connection refused\n",
	    cluster.names[1], cluster.names[1]), -1);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	tl_ctl_free(&run);

	/* status: the others are shown, the dead one named, exit 1. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "status", NULL);
	tl_ctl_expect(&run, 1, "status with a node down");
	ck_assert_uint_eq(count_lines(run.out), 2);
	ck_assert_uint_eq(node_of_line(&cluster, run.out), 0);
	ck_assert_msg(strstr(run.err, cluster.names[1]) != NULL, "%s",
	    run.err);
	ck_assert_msg(strstr(run.out, cluster.names[1]) == NULL, "%s",
	    run.out);
	tl_ctl_free(&run);

	/* wait names it after its timeout. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "wait", "-t", "0.5",
	    NULL);
	tl_ctl_expect(&run, 1, "wait with a node down");
	ck_assert_int_ne(asprintf(&expected, "creamasctl: %s: not ready "
	    "after 0.5 s: connection to %s failed: Connection refused\n",
	    cluster.names[1], cluster.names[1]), -1);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	ck_assert_uint_eq(count_lines(run.out), 2);
	ck_assert_msg(run.elapsed >= 0.5, "wait gave up after %.3f s",
	    run.elapsed);
	tl_ctl_free(&run);

	/* stop: the others stop; the dead one is no failure. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop with a node down");
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_uint_eq(node_of_line(&cluster, line), i);
		ck_assert_msg(strstr(line, i == 1 ? "was not running" :
		    "stopped in") != NULL, "%s", line);
		free(line);
	}
	for (i = 0; i < 3; i++)
		cluster_expect_gone(&cluster, i);
	tl_ctl_free(&run);
	cluster_free(&cluster);
}
END_TEST

/* stop when a node was already stopped: -j says which, exit 0. */
START_TEST(test_stop_gone)
{
	struct cluster		 cluster;
	struct tl_ctl		 run;
	struct json_object	*lines, *object;
	size_t			 i;

	cluster_make(&cluster, 3, NULL);
	cluster_start(&cluster);

	/* -n: only the third node. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-n", cluster.names[2], "-f",
	    cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop -n");
	ck_assert_uint_eq(count_lines(run.out), 1);
	ck_assert_uint_eq(node_of_line(&cluster, run.out), 2);
	cluster_expect_gone(&cluster, 2);
	ck_assert_msg(tl_port_listening(cluster.ports[0]) &&
	    tl_port_listening(cluster.ports[1]), "stop -n stopped others");
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	lines = json_node_lines(&cluster, run.out, "stop");
	for (i = 0; i < 3; i++) {
		object = tl_index(lines, i);
		ck_assert(json_object_get_boolean(tl_member(object,
		    "stopped")));
		ck_assert_int_eq(json_object_get_boolean(tl_member(object,
		    "was_running")), i != 2);
	}
	json_object_put(lines);
	for (i = 0; i < 3; i++)
		cluster_expect_gone(&cluster, i);
	tl_ctl_free(&run);
	cluster_free(&cluster);
}
END_TEST

/*
 * A node that stops answering (SIGSTOP) during rounds: trigger names it
 * at its timeout, the others finish the round.
 */
START_TEST(test_node_stopped)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	char		*line;
	size_t		 i;

	cluster_make(&cluster, 2, NULL);
	cluster_start(&cluster);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "prepare", "--agents",
	    "counter:3", NULL);
	tl_ctl_expect(&run, 0, "prepare");
	tl_ctl_free(&run);

	ck_assert_int_eq(kill(cluster.pids[0], SIGSTOP), 0);
	/* trigger -t as wait -t: global options also after the command. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-r", "2",
	    "-t", "0.5", NULL);
	kill(cluster.pids[0], SIGCONT);
	tl_ctl_expect(&run, 1, "trigger with a stopped node");
	line = line_of(run.out, 0);
	ck_assert_msg(strncmp(line, "round 1: 3 agents, 0 failed, 1/2 nodes",
	    38) == 0, "%s", line);
	free(line);
	ck_assert_uint_eq(count_lines(run.out), 2);
	ck_assert_msg(strstr(run.err, cluster.names[0]) != NULL &&
	    strstr(run.err, "round 1: no answer from") != NULL, "%s", run.err);
	ck_assert_msg(strstr(run.err, cluster.names[1]) == NULL, "%s",
	    run.err);
	ck_assert_msg(run.elapsed >= 2.5 && run.elapsed < 10, "%.3f s",
	    run.elapsed);
	tl_ctl_free(&run);

	/*
	 * stop: a node that does not answer is named, the other stops (the
	 * default -t leaves it time to, however loaded the machine).
	 */
	ck_assert_int_eq(kill(cluster.pids[0], SIGSTOP), 0);
	tl_ctl_run(&run, CTL_TIMEOUT, "--connect-timeout", "1", "-f",
	    cluster.file, "stop", NULL);
	kill(cluster.pids[0], SIGCONT);
	tl_ctl_expect(&run, 1, "stop with a stopped node");
	ck_assert_msg(strstr(run.err, cluster.names[0]) != NULL &&
	    strstr(run.err, ": stop: no answer from ") != NULL, "%s",
	    run.err);
	ck_assert_msg(count_lines(run.err) == 1, "stop: %s", run.err);
	ck_assert_uint_eq(count_lines(run.out), 1);
	ck_assert_uint_eq(node_of_line(&cluster, run.out), 1);
	tl_ctl_free(&run);
	cluster_expect_gone(&cluster, 1);

	/* Going again, it stops. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	for (i = 0; i < 2; i++)
		cluster_expect_gone(&cluster, i);
	cluster_free(&cluster);
}
END_TEST

/* spawn with one node that cannot start: it is named, the others run. */
START_TEST(test_spawn_failure)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	char		 extra[256], *expected;
	uint16_t	 port;

	/* A third node whose command fails, saying why on stderr. */
	port = free_port(NULL, 0);
	snprintf(extra, sizeof extra, "127.0.0.1 port=%u cmd=\"echo "
	    "creamasd: no luck >&2; exit 3\"\n", port);
	cluster_make(&cluster, 2, extra);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "spawn", NULL);
	tl_ctl_expect(&run, 1, "spawn with a failing node");
	ck_assert_uint_eq(count_lines(run.out), 2);
	ck_assert_msg(strstr(run.err, "creamasctl: 127.0.0.1:") != NULL &&
	    strstr(run.err, "spawn (local): exit status 3: creamasd: no luck")
	    != NULL, "%s", run.err);
	ck_assert_uint_eq(count_lines(run.err), 1);
	tl_ctl_free(&run);
	cluster_read_pids(&cluster);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	ck_assert_msg(strstr(run.out, "was not running") != NULL, "%s",
	    run.out);
	tl_ctl_free(&run);
	cluster_expect_gone(&cluster, 0);
	cluster_expect_gone(&cluster, 1);

	/* A command that never returns is killed at the timeout. */
	snprintf(extra, sizeof extra, "127.0.0.1 port=%u cmd=\"exec sleep "
	    "60\"\n", port);
	tl_write_file(cluster.file, extra);
	tl_ctl_run(&run, CTL_TIMEOUT, "-t", "1", "-f", cluster.file, "spawn",
	    NULL);
	tl_ctl_expect(&run, 1, "spawn of a command that hangs");
	ck_assert_int_ne(asprintf(&expected, "creamasctl: 127.0.0.1:%u: "
	    "spawn (local): not up within 1 s (killed)\n", port), -1);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	ck_assert_msg(run.elapsed < 5, "%.3f s", run.elapsed);
	tl_ctl_free(&run);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	cluster_free(&cluster);
}
END_TEST

/*
 * run: spawn, wait, prepare (agents, connections, log folder, a plan),
 * rounds and stop in one; the logs are written and nothing is left.
 */
START_TEST(test_run)
{
	struct cluster		 cluster;
	struct tl_ctl		 run;
	struct json_object	*lines, *object;
	char			*plan, *logs, *text, *path;
	const char		*step;
	size_t			 i, rounds = 0, stops = 0;

	cluster_make(&cluster, 2, NULL);
	plan = tl_path(cluster.dir, "plan.json");
	ck_assert_int_ne(asprintf(&text, "[{\"method\": \"set_time\", "
	    "\"params\": {\"t\": 2.5}},\n {\"method\": \"spawn\", \"params\": "
	    "{\"type\": \"noop\"}, \"node\": \"%s\"}]\n", cluster.names[1]),
	    -1);
	tl_write_file(plan, text);
	free(text);
	logs = tl_path(cluster.dir, "logs");

	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "run", "-n",
	    "3", "--agents", "counter:5:{\"start\": 100}", "--connections",
	    "random:2", "--log-folder", logs, "--plan", plan, "--seed", "7",
	    NULL);
	tl_ctl_expect(&run, 0, "run");
	lines = json_lines(run.out);
	for (i = 0; i < json_object_array_length(lines); i++) {
		object = tl_index(lines, i);
		step = tl_string(object, "step");
		if (strcmp(step, "trigger") == 0) {
			rounds++;
			ck_assert_int_eq(tl_int(object, "round"), rounds);
			ck_assert_int_eq(tl_int(object, "agents"), 11);
		} else if (strcmp(step, "stop") == 0)
			stops++;
		ck_assert_msg(strcmp(step, "spawn") == 0 ||
		    strcmp(step, "wait") == 0 || strcmp(step, "prepare") == 0 ||
		    strcmp(step, "trigger") == 0 || strcmp(step, "stop") == 0,
		    "step %s", step);
	}
	ck_assert_uint_eq(rounds, 3);
	ck_assert_uint_eq(stops, 2);
	json_object_put(lines);
	tl_ctl_free(&run);

	/* Both stopped, and wrote their logs into the folder. */
	for (i = 0; i < 2; i++) {
		ck_assert(!tl_port_listening(cluster.ports[i]));
		ck_assert_int_ne(asprintf(&path, "%s/env_%u.log", logs,
		    cluster.ports[i]), -1);
		text = tl_read_file(path);
		ck_assert_msg(text != NULL, "no %s", path);
		free(text);
		free(path);
	}
	/* The counters started at 100 and did 3 rounds. */
	ck_assert_int_ne(asprintf(&path, "%s/agent_%u_1.log", logs,
	    cluster.ports[0]), -1);
	text = tl_read_file(path);
	ck_assert_msg(text != NULL && strstr(text, "count 103") != NULL,
	    "%s: %s", path, text != NULL ? text : "(none)");
	free(text);
	free(path);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);

	/*
	 * An agent type only the nodes can know of (their cmd= could load
	 * a plugin): asked right after they are up, before any other work;
	 * the run still stops what it started.
	 */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "run", "--agents",
	    "nosuchtype:1", NULL);
	tl_ctl_expect(&run, 1, "run with an unknown agent type");
	for (i = 0; i < 2; i++) {
		text = tl_printf("creamasctl: %s: run: --agents: no agent type "
		    "'nosuchtype' on this node\n", cluster.names[i]);
		ck_assert_msg(strstr(run.err, text) != NULL, "%s", run.err);
		free(text);
	}
	ck_assert_msg(strstr(run.err, "prepare") == NULL, "%s", run.err);
	ck_assert_msg(strstr(run.out, "stopped in") != NULL, "%s", run.out);
	for (i = 0; i < 2; i++)
		ck_assert(!tl_port_listening(cluster.ports[i]));
	tl_ctl_free(&run);

	free(plan);
	free(logs);
	cluster_free(&cluster);
}
END_TEST

/*
 * Nodes on two hosts (127.0.0.1 and 127.0.0.2, both this machine), run
 * with --log-folder DIR/a/b: each writes its logs into DIR/a/b/NODE,
 * made with its parents, for nodes on two hosts may have one port and
 * share a file system, and a node names its files by port only.
 */
START_TEST(test_log_folder_hosts)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	char		*logs, *path, *text;
	size_t		 i;

	cluster_make(&cluster, 2, NULL);
	snprintf(cluster.names[1], sizeof cluster.names[1], "127.0.0.2:%u",
	    cluster.ports[1]);
	text = tl_printf("127.0.0.1 port=%u cmd=\"{creamasd} --role slave "
	    "--listen {listen}\"\n127.0.0.2 port=%u cmd=\"{creamasd} --role "
	    "slave --listen {listen}\"\n", cluster.ports[0], cluster.ports[1]);
	tl_write_file(cluster.file, text);
	free(text);
	logs = tl_path(cluster.dir, "logs/a/b");

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "run", "-n", "2",
	    "--agents", "counter:3", "--log-folder", logs, NULL);
	tl_ctl_expect(&run, 0, "run");
	tl_ctl_free(&run);
	for (i = 0; i < 2; i++) {
		path = tl_printf("%s/%s/agent_%u_3.log", logs,
		    cluster.names[i], cluster.ports[i]);
		text = tl_read_file(path);
		ck_assert_msg(text != NULL && strstr(text, "count 2") != NULL,
		    "%s: %s", path, text != NULL ? text : "(none)");
		free(text);
		free(path);
		path = tl_printf("%s/%s/env_%u.log", logs, cluster.names[i],
		    cluster.ports[i]);
		text = tl_read_file(path);
		ck_assert_msg(text != NULL && strstr(text, "stopped: ") !=
		    NULL, "%s: %s", path, text != NULL ? text : "(none)");
		free(text);
		free(path);
	}
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	free(logs);
	cluster_free(&cluster);
}
END_TEST

/*
 * A launch=none node, started as systemd would: spawn finds it, stop ends
 * it with exit status 0, and the next spawn says that nothing listens on
 * its port and how such a node is started.
 */
START_TEST(test_none_stopped)
{
	struct tl_daemon	*d;
	struct tl_ctl		 run;
	struct tl_exit		 e;
	char			*path, *text;

	d = tl_daemon_start("--role", "master", "--slaves", "1", NULL);
	path = tl_path(tl_tempdir(), "nodes");
	text = tl_printf("127.0.0.1 port=%u launch=none\n", d->port);
	tl_write_file(path, text);
	free(text);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn of a node that answers");
	ck_assert_msg(strstr(run.out, "answers (none)") != NULL, "%s", run.out);
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	e = tl_daemon_wait(d, CTL_TIMEOUT);
	ck_assert_msg(tl_exit_code(&e) == 0, "%s", tl_exit_string(&e));

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", path, "spawn", NULL);
	tl_ctl_expect(&run, 1, "spawn of a stopped launch=none node");
	text = tl_printf("nothing listens on 127.0.0.1:%u; launch=none nodes "
	    "are started outside creamasctl", d->port);
	ck_assert_msg(strstr(run.err, text) != NULL, "%s", run.err);
	free(text);
	ck_assert_msg(strstr(run.err, "systemctl start creamasd") != NULL,
	    "%s", run.err);
	tl_ctl_free(&run);
	tl_daemon_free(d);
	free(path);
}
END_TEST

/*
 * The command spawn runs: the default (a master), and cmd= templates with
 * every placeholder, values quoted for sh when they must be.
 */
START_TEST(test_commands)
{
	struct tl_ctl		 run;
	struct json_object	*lines;
	const char		*args[] = { "-j", "-f", NULL, "nodes", NULL };
	char			*path;

	path = tl_path(tl_tempdir(), "nodes");
	tl_write_file(path, "127.0.0.1 port=7100 slaves=3 idle_exit=90\n"
	    "localhost port=7200 cmd=\"{creamasd} -x {host} {port} {listen} "
	    "{slaves} {idle_exit} {nope} ${HOME}\"\n"
	    "u@far.example:2222 port=7300 idle_exit=1.5\n"
	    "::1 port=7400\n"
	    "127.0.0.1 port=7500 launch=none\n");
	args[2] = path;
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL,
	    "CREAMASD=/opt/my creamas/creamasd", -1, args);
	tl_ctl_expect(&run, 0, "nodes");
	lines = json_lines(run.out);
	ck_assert_uint_eq(json_object_array_length(lines), 5);
	ck_assert_str_eq(tl_string(tl_index(lines, 0), "command"),
	    "'/opt/my creamas/creamasd' --role master --slaves 3 --listen "
	    "127.0.0.1:7100 -o idle_exit=90");
	ck_assert_str_eq(tl_string(tl_index(lines, 1), "command"),
	    "'/opt/my creamas/creamasd' -x localhost 7200 localhost:7200 0 "
	    "3600 {nope} ${HOME}");
	ck_assert_str_eq(tl_string(tl_index(lines, 2), "command"),
	    "creamasd --role master --slaves 0 --listen far.example:7300 -o "
	    "idle_exit=1.5");
	ck_assert_str_eq(tl_string(tl_index(lines, 2), "launch"), "ssh");
	ck_assert_str_eq(tl_string(tl_index(lines, 2), "user"), "u");
	ck_assert_int_eq(tl_int(tl_index(lines, 2), "sshport"), 2222);
	ck_assert_str_eq(tl_string(tl_index(lines, 3), "command"),
	    "'/opt/my creamas/creamasd' --role master --slaves 0 --listen "
	    "'[::1]:7400' -o idle_exit=3600");
	ck_assert(json_object_get_type(tl_member(tl_index(lines, 4),
	    "command")) == json_type_null);
	json_object_put(lines);
	tl_ctl_free(&run);
	free(path);
}
END_TEST

/*
 * Nodes with the default command: masters (creamasd --role master) with
 * two slaves each, through the main job step by step; afterwards no
 * master and no slave is left, by pid.
 */
START_TEST(test_masters)
{
	struct cluster		 cluster;
	struct tl_ctl		 run;
	struct json_object	*lines, *result, *slaves;
	struct tl_conn		*conn;
	pid_t			 slave_pids[4];
	struct tl_exit		 e;
	char			*line;
	size_t			 i, k;

	cluster_make_masters(&cluster, 2);
	cluster_start(&cluster);
	tl_ctl_run(&run, CTL_TIMEOUT, "-j", "-f", cluster.file, "status", NULL);
	tl_ctl_expect(&run, 0, "status");
	lines = json_lines(run.out);
	for (i = 0; i < 2; i++) {
		result = tl_member(tl_index(lines, i), "result");
		ck_assert_str_eq(tl_string(result, "role"), "master");
		slaves = tl_member(result, "slaves");
		ck_assert_uint_eq(json_object_array_length(slaves), 2);
		for (k = 0; k < 2; k++) {
			slave_pids[i * 2 + k] = (pid_t)tl_int(tl_index(slaves,
			    k), "pid");
			ck_assert(tl_pid_alive(slave_pids[i * 2 + k]));
			tl_track_pid(slave_pids[i * 2 + k]);
		}
	}
	json_object_put(lines);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "prepare", "--agents",
	    "counter:8", "--connections", "random:3", NULL);
	tl_ctl_expect(&run, 0, "prepare");
	ck_assert_msg(strstr(run.out, "host managers: set on 2 masters") !=
	    NULL, "%s", run.out);
	ck_assert_msg(strstr(run.out, "agents: spawned 16,") != NULL, "%s",
	    run.out);
	ck_assert_msg(strstr(run.out, "connections: added 48,") != NULL,
	    "%s", run.out);
	tl_ctl_free(&run);

	/* Each master spread its 8 agents over its 2 slaves. */
	for (i = 0; i < 2; i++) {
		conn = tl_connect(cluster.ports[i]);
		result = tl_ok(conn, "get_agents", NULL);
		ck_assert_uint_eq(json_object_array_length(result), 8);
		json_object_put(result);
		result = tl_ok(conn, "get_slave_managers", NULL);
		ck_assert_uint_eq(json_object_array_length(result), 2);
		json_object_put(result);
		tl_close(conn);
	}

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-n", "3",
	    NULL);
	tl_ctl_expect(&run, 0, "trigger");
	for (i = 0; i < 3; i++) {
		line = line_of(run.out, i);
		ck_assert_msg(strstr(line, ": 16 agents, 0 failed, 2/2 nodes")
		    != NULL, "%s", line);
		free(line);
	}
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	for (i = 0; i < 2; i++)
		cluster_expect_gone(&cluster, i);
	for (k = 0; k < 4; k++) {
		e = tl_stop_pid(slave_pids[k], 0, 5.0);
		ck_assert_msg(!e.killed, "slave %ld was left running",
		    (long)slave_pids[k]);
	}
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	cluster_free(&cluster);
}
END_TEST

/*
 * launch=ssh through a real OpenSSH server on this machine: two nodes are
 * spawned over SSH, run rounds and stop; a host key not in known_hosts is
 * refused, with its fingerprint, unless --accept-new-host-keys.
 */
START_TEST(test_ssh)
{
	struct sshd	*sshd;
	struct cluster	 cluster;
	struct tl_ctl	 run;
	const char	*args[12];
	char		*known_hosts, *text, *line, *fingerprint;
	FILE		*f;
	size_t		 i;

	sshd = sshd_start(NULL);
	memset(&cluster, 0, sizeof cluster);
	cluster.count = 2;
	cluster.dir = strdup(tl_tempdir());
	cluster.file = tl_path(cluster.dir, "nodes");
	f = fopen(cluster.file, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 2; i++) {
		cluster.ports[i] = free_port(cluster.ports, i);
		snprintf(cluster.names[i], sizeof cluster.names[i],
		    "127.0.0.1:%u", cluster.ports[i]);
		fprintf(f, "127.0.0.1:%u port=%u launch=ssh identity=%s "
		    "cmd=\"%s --role slave --listen {listen}\"\n", sshd->port,
		    cluster.ports[i], sshd->user_key, tl_creamasd());
	}
	ck_assert_int_eq(fclose(f), 0);
	tl_adopt_orphans();

	/* A known_hosts file without the server's key: refused. */
	known_hosts = tl_path(cluster.dir, "known_hosts");
	tl_write_file(known_hosts, "");
	args[0] = "--known-hosts";
	args[1] = known_hosts;
	args[2] = "-f";
	args[3] = cluster.file;
	args[4] = "-n";
	args[5] = cluster.names[0];
	args[6] = "spawn";
	args[7] = NULL;
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, -1, args);
	tl_ctl_expect(&run, 1, "spawn with an unknown host key");
	ck_assert_int_ne(asprintf(&text, "%s.pub", sshd->host_key), -1);
	fingerprint = sshd_fingerprint(text);
	free(text);
	ck_assert_msg(strstr(run.err, cluster.names[0]) != NULL &&
	    strstr(run.err, "spawn (ssh): ") != NULL &&
	    strstr(run.err, fingerprint) != NULL, "no node, launcher or "
	    "fingerprint %s in: %s", fingerprint, run.err);
	ck_assert_msg(!tl_port_listening(cluster.ports[0]), "it started");
	tl_ctl_free(&run);

	/* --accept-new-host-keys: accepted and written down. */
	args[0] = "--accept-new-host-keys";
	args[1] = "--known-hosts";
	args[2] = known_hosts;
	args[3] = "-f";
	args[4] = cluster.file;
	args[5] = "spawn";
	args[6] = NULL;
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, -1, args);
	tl_ctl_expect(&run, 0, "spawn over ssh");
	for (i = 0; i < 2; i++) {
		line = line_of(run.out, i);
		ck_assert_uint_eq(node_of_line(&cluster, line), i);
		ck_assert_msg(strstr(line, "started (ssh) in ") != NULL, "%s",
		    line);
		free(line);
	}
	tl_ctl_free(&run);
	text = tl_read_file(known_hosts);
	ck_assert_msg(text != NULL && strlen(text) > 0, "known_hosts is "
	    "empty");
	free(text);
	cluster_read_pids(&cluster);

	/* Then as for any node: only spawn goes over SSH. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "wait", NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "prepare", "--agents",
	    "counter:4", "--connections", "random:2", NULL);
	tl_ctl_expect(&run, 0, "prepare");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-n", "3",
	    NULL);
	tl_ctl_expect(&run, 0, "trigger");
	line = line_of(run.out, 2);
	ck_assert_msg(strncmp(line, "round 3: 8 agents, 0 failed, 2/2 nodes",
	    38) == 0, "%s", line);
	free(line);
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	for (i = 0; i < 2; i++)
		cluster_expect_gone(&cluster, i);

	free(fingerprint);
	free(known_hosts);
	cluster_free(&cluster);
	sshd_stop(sshd);
}
END_TEST

/* Open a pseudo-terminal: its master, and its slave in *slave. */
static int
pty_open(int *slave)
{
	int	 master;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	*slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(*slave, 0);
	return (master);
}

/* Read what was written to a pseudo-terminal, as a string; close it. */
static void
pty_read(int master, char *buffer, size_t size)
{
	size_t	 used = 0;
	ssize_t	 n;

	fcntl(master, F_SETFL, O_NONBLOCK);
	while (used < size - 1 &&
	    (n = read(master, buffer + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buffer[used] = '\0';
	close(master);
}

/* On a terminal, a wait over a second shows "N/M nodes ready...". */
START_TEST(test_progress)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	const char	*args[] = { "-f", NULL, "wait", "-t", "1.6", NULL };
	char		 buffer[4096], extra[128];
	uint16_t	 port;
	int		 master, slave;

	/* One node that comes up, one (launch=none) that never does. */
	port = free_port(NULL, 0);
	snprintf(extra, sizeof extra, "127.0.0.1 port=%u launch=none\n", port);
	cluster_make(&cluster, 1, extra);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "spawn", NULL);
	tl_ctl_expect(&run, 1, "spawn with a node that is not there");
	tl_ctl_free(&run);
	cluster_read_pids(&cluster);

	master = pty_open(&slave);
	args[1] = cluster.file;
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, slave, args);
	close(slave);
	tl_ctl_expect(&run, 1, "wait on a terminal");
	ck_assert_msg(strstr(run.out, "ready after") != NULL, "%s", run.out);
	pty_read(master, buffer, sizeof buffer);
	ck_assert_msg(strstr(buffer, "1/2 nodes ready...") != NULL,
	    "no progress on the terminal: \"%s\"", buffer);
	ck_assert_msg(strstr(buffer, "not ready after 1.6 s") != NULL,
	    "\"%s\"", buffer);
	tl_ctl_free(&run);

	/* Not on a terminal: no progress at all. */
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, -1, args);
	tl_ctl_expect(&run, 1, "wait, not on a terminal");
	ck_assert_msg(strstr(run.err, "nodes ready...") == NULL, "%s",
	    run.err);
	tl_ctl_free(&run);

	cluster_stop(&cluster);
	cluster_free(&cluster);
}
END_TEST

/*
 * A fake node: a listener of the test's own that creamasctl connects to
 * (launch=none), so that a test can answer as no creamasd would.
 */
struct fake_node {
	int	 fd;
	uint16_t port;
	char	*file;
	char	 name[32];
};

/* Listen as a fake node and write a nodes file naming only it. */
static void
fake_node_start(struct fake_node *fake)
{
	char	*text;

	fake->fd = tl_listen(&fake->port);
	snprintf(fake->name, sizeof fake->name, "127.0.0.1:%u", fake->port);
	fake->file = tl_path(tl_tempdir(), "nodes");
	text = tl_printf("127.0.0.1 port=%u launch=none\n", fake->port);
	tl_write_file(fake->file, text);
	free(text);
}

/* Close a fake node's listener. */
static void
fake_node_stop(struct fake_node *fake)
{
	close(fake->fd);
	free(fake->file);
}

/*
 * call: parameters that are not JSON say so, where, and quote them; a
 * node's error is printed as it reads, without JSON escapes.
 */
START_TEST(test_call_errors)
{
	struct fake_node	 fake;
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*request;
	char			*expected;
	const char		*args[] = { "-f", NULL, "call", "get_time", NULL,
				    NULL };

	fake_node_start(&fake);
	args[1] = fake.file;
	args[4] = "notjson";
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, -1, args);
	tl_ctl_expect(&run, 2, "call with a bare word");
	ck_assert_str_eq(run.err, "creamasctl: call get_time: params: not "
	    "valid JSON: null expected at offset 1 of 'notjson'\n");
	tl_ctl_free(&run);
	args[4] = "{\"t\": 1} x";
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, -1, args);
	tl_ctl_expect(&run, 2, "call with more after the object");
	ck_assert_str_eq(run.err, "creamasctl: call get_time: params: not "
	    "valid JSON: unexpected character at offset 9 of '{\"t\": 1} "
	    "x'\n");
	tl_ctl_free(&run);

	/* An error whose data holds an address: no "\/" in it. */
	args[4] = NULL;
	tl_ctl_start(&run, args);
	conn = tl_accept(fake.fd, TL_TIMEOUT);
	ck_assert_ptr_nonnull(conn);
	/* The greeting on a new connection, then the call. */
	request = tl_read_json(conn, TL_TIMEOUT);
	ck_assert_str_eq(tl_string(request, "method"), "get_time");
	tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":0}",
	    json_object_to_json_string(tl_member(request, "id")));
	json_object_put(request);
	request = tl_read_json(conn, TL_TIMEOUT);
	ck_assert_str_eq(tl_string(request, "method"), "get_time");
	tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":"
	    "-32001,\"message\":\"no agent\",\"data\":{\"agent\":"
	    "\"tcp://127.0.0.1:1/2\"}}}",
	    json_object_to_json_string(tl_member(request, "id")));
	json_object_put(request);
	tl_ctl_wait(&run, CTL_TIMEOUT);
	tl_close(conn);
	tl_ctl_expect(&run, 1, "call that a node refuses");
	expected = tl_printf("creamasctl: %s: get_time: no agent "
	    "({\"agent\":\"tcp://127.0.0.1:1/2\"})\n", fake.name);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	tl_ctl_free(&run);
	fake_node_stop(&fake);
}
END_TEST

/*
 * A master that lost a slave: status shows and names it and fails; wait
 * names it too.
 */
START_TEST(test_lost_slave)
{
	struct cluster		 cluster;
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*status, *slave;
	pid_t			 slave_pids[2];
	char			*expected, *address;
	size_t			 k;

	cluster_make_masters(&cluster, 1);
	cluster_start(&cluster);
	conn = tl_connect(cluster.ports[0]);
	status = tl_ok(conn, "status", NULL);
	for (k = 0; k < 2; k++) {
		slave_pids[k] = (pid_t)tl_int(tl_index(tl_member(status,
		    "slaves"), k), "pid");
		tl_track_pid(slave_pids[k]);
	}
	address = tl_strdup(tl_string(tl_index(tl_member(status, "slaves"),
	    0), "address"));
	json_object_put(status);

	/* The first slave dies; the master notices. */
	tl_stop_pid(slave_pids[0], SIGKILL, 5.0);
	for (;;) {
		status = tl_ok(conn, "status", NULL);
		slave = tl_index(tl_member(status, "slaves"), 0);
		if (strcmp(tl_string(slave, "state"), "lost") == 0)
			break;
		json_object_put(status);
		usleep(20000);
	}
	json_object_put(status);
	tl_close(conn);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "status", NULL);
	tl_ctl_expect(&run, 1, "status with a lost slave");
	ck_assert_msg(strstr(run.out, "  slaves 2 (1 lost)") != NULL, "%s",
	    run.out);
	expected = tl_printf("creamasctl: %s: status: slave %s lost",
	    cluster.names[0], address);
	ck_assert_msg(strncmp(run.err, expected, strlen(expected)) == 0,
	    "%s", run.err);
	free(expected);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "status", "-j",
	    NULL);
	tl_ctl_expect(&run, 1, "status -j with a lost slave");
	status = tl_json(run.out);
	ck_assert(!json_object_get_boolean(tl_member(status, "ok")));
	ck_assert_msg(strstr(tl_string(status, "error"), address) != NULL,
	    "%s", run.out);
	ck_assert_ptr_nonnull(tl_member(status, "result"));
	json_object_put(status);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "wait", "-t", "0.2",
	    NULL);
	tl_ctl_expect(&run, 1, "wait with a lost slave");
	expected = tl_printf("creamasctl: %s: not ready after 0.2 s: it says "
	    "it is not ready: slave %s lost", cluster.names[0], address);
	ck_assert_msg(strncmp(run.err, expected, strlen(expected)) == 0,
	    "%s", run.err);
	free(expected);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "stop", NULL);
	tl_ctl_free(&run);
	cluster_expect_gone(&cluster, 0);
	tl_stop_pid(slave_pids[1], 0, 5.0);
	free(address);
	cluster_free(&cluster);
}
END_TEST

/*
 * A slave that cannot start is counted from 1, as creamasd(8) counts
 * it: here the only slave, whose port the test holds.
 */
START_TEST(test_slave_number)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	char		*extra, *expected;
	uint16_t	 port, taken;
	int		 fd;

	fd = tl_listen(&taken);
	port = free_port(NULL, 0);
	extra = tl_printf("127.0.0.1 port=%u cmd=\"{creamasd} --role master "
	    "--slaves 1 --listen {listen} --slave-ports %u\"\n", port, taken);
	cluster_make(&cluster, 0, extra);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "spawn", NULL);
	tl_ctl_expect(&run, 1, "spawn of a master whose slave cannot start");
	expected = tl_printf("creamasd: slave 1 (pid ");
	ck_assert_msg(strstr(run.err, expected) != NULL, "%s", run.err);
	free(expected);
	expected = tl_printf(", port %u) failed to start: cannot listen on "
	    "127.0.0.1 port %u", taken, taken);
	ck_assert_msg(strstr(run.err, expected) != NULL, "%s", run.err);
	free(expected);
	tl_ctl_free(&run);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	close(fd);
	free(extra);
	cluster_free(&cluster);
}
END_TEST

/*
 * A peer that is no creamasd (a listener that never answers): status,
 * stop and call fail at the connect timeout, not at -t (60 s), and say
 * so; --connect-timeout sets it, before or after the command.
 */
START_TEST(test_not_creamasd)
{
	struct fake_node	 fake;
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	const char		*args[] = { "-f", NULL, "stop", NULL };
	char			*expected;

	fake_node_start(&fake);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", fake.file, "status", NULL);
	tl_ctl_expect(&run, 1, "status of a silent listener");
	expected = tl_printf("creamasctl: %s: status: no answer from %s "
	    "within 5 s: not a creamasd, or not answering\n", fake.name,
	    fake.name);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", fake.file, "stop",
	    "--connect-timeout", "0.5", NULL);
	tl_ctl_expect(&run, 1, "stop of a silent listener");
	expected = tl_printf("creamasctl: %s: stop: no answer from %s "
	    "within 0.5 s: not a creamasd, or not answering\n", fake.name,
	    fake.name);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	ck_assert_str_eq(run.out, "");
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "--connect-timeout", "0.5", "-f",
	    fake.file, "call", "get_time", NULL);
	tl_ctl_expect(&run, 1, "call on a silent listener");
	ck_assert_msg(strstr(run.err, "within 0.5 s: not a creamasd") !=
	    NULL, "%s", run.err);
	tl_ctl_free(&run);

	/* A program that answers, but not JSON-RPC: at once. */
	fake_node_stop(&fake);
	fake_node_start(&fake);
	args[1] = fake.file;
	tl_ctl_start(&run, args);
	conn = tl_accept(fake.fd, TL_TIMEOUT);
	ck_assert_ptr_nonnull(conn);
	free(tl_expect_line(conn, TL_TIMEOUT));
	tl_send_line(conn, "HTTP/1.1 400 Bad Request");
	tl_ctl_wait(&run, CTL_TIMEOUT);
	tl_close(conn);
	tl_ctl_expect(&run, 1, "stop of a program that is no creamasd");
	expected = tl_printf("creamasctl: %s: stop: %s answered what is not "
	    "JSON-RPC: not a creamasd\n", fake.name, fake.name);
	ck_assert_msg(strstr(run.err, expected) != NULL, "%s", run.err);
	free(expected);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", fake.file, "status",
	    "--connect-timeout", "0", NULL);
	tl_ctl_expect(&run, 2, "a connect timeout of 0");
	tl_ctl_free(&run);
	fake_node_stop(&fake);
}
END_TEST

/*
 * Options where a person types them: global ones after the command too;
 * -r for rounds, and -n after trigger still the rounds, with a clear
 * error when it names a node.
 */
START_TEST(test_options)
{
	struct cluster		 cluster;
	struct tl_ctl		 run;
	struct json_object	*object;
	char			*line, *params;

	cluster_make(&cluster, 2, NULL);
	tl_ctl_run(&run, CTL_TIMEOUT, "spawn", "-f", cluster.file, NULL);
	tl_ctl_expect(&run, 0, "spawn -f");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "wait", "-t", "20", "-f", cluster.file,
	    NULL);
	tl_ctl_expect(&run, 0, "wait -t -f");
	tl_ctl_free(&run);
	cluster_read_pids(&cluster);

	/* status -j -n NODE: one JSON line, of that node. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "status", "-j", "-n",
	    cluster.names[1], NULL);
	tl_ctl_expect(&run, 0, "status -j -n");
	object = tl_json(run.out);
	ck_assert_str_eq(tl_string(object, "node"), cluster.names[1]);
	json_object_put(object);
	tl_ctl_free(&run);

	/* prepare, then trigger -r and its old spelling -n, with -v after. */
	tl_ctl_run(&run, CTL_TIMEOUT, "prepare", "--agents", "counter:2", "-f",
	    cluster.file, NULL);
	tl_ctl_expect(&run, 0, "prepare -f");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-r", "2",
	    "-j", NULL);
	tl_ctl_expect(&run, 0, "trigger -r -j");
	ck_assert_uint_eq(count_lines(run.out), 2);
	line = line_of(run.out, 1);
	object = tl_json(line);
	ck_assert_int_eq(tl_int(object, "round"), 2);
	json_object_put(object);
	free(line);
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-n", "1",
	    "--rounds", "3", NULL);
	tl_ctl_expect(&run, 0, "trigger -n --rounds");
	ck_assert_uint_eq(count_lines(run.out), 3);
	tl_ctl_free(&run);
	/* creamasctl(1)'s example: agent.get of a counter by its address. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "-n",
	    cluster.names[1], "agents", NULL);
	tl_ctl_expect(&run, 0, "agents -n");
	line = line_of(run.out, 1);
	params = tl_printf("{\"agent\": \"%s\"}", line);
	free(line);
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "-n",
	    cluster.names[1], "call", "agent.get", params, NULL);
	tl_ctl_expect(&run, 0, "call agent.get");
	line = tl_printf("%s  5\n", cluster.names[1]);
	ck_assert_str_eq(run.out, line);
	free(line);
	free(params);
	tl_ctl_free(&run);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "trigger", "-n",
	    cluster.names[0], NULL);
	tl_ctl_expect(&run, 2, "trigger -n NODE");
	line = tl_printf("creamasctl: -n '%s': after trigger or run, -n is "
	    "the number of rounds, as -r is; choose a node with -n before the "
	    "command\n", cluster.names[0]);
	ck_assert_str_eq(run.err, line);
	free(line);
	tl_ctl_free(&run);

	cluster_stop(&cluster);
	cluster_free(&cluster);
}
END_TEST

/* Answer the next request of a fake node's connection with a result. */
static void
fake_node_answer(struct tl_conn *conn, const char *method,
    const char *result)
{
	struct json_object	*request;

	request = tl_read_json(conn, TL_TIMEOUT);
	ck_assert_str_eq(tl_string(request, "method"), method);
	tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}",
	    json_object_to_json_string(tl_member(request, "id")), result);
	json_object_put(request);
}

/*
 * In a child process, play a node through prepare --agents whose spawn_n
 * takes delay seconds; exit 0 when it went as expected.
 */
static pid_t
fake_node_slow_prepare(struct fake_node *fake, double delay)
{
	struct tl_conn	*conn;
	pid_t		 pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) != 0) {
		ck_assert_int_gt(pid, 0);
		return (pid);
	}
	if ((conn = tl_accept(fake->fd, TL_TIMEOUT)) == NULL)
		_exit(1);
	fake_node_answer(conn, "get_time", "0");
	fake_node_answer(conn, "status", "{\"role\":\"slave\"}");
	fake_node_answer(conn, "get_agents", "[]");
	usleep((useconds_t)(delay * 1e6));
	fake_node_answer(conn, "spawn_n", "[\"tcp://127.0.0.1:1/1\"]");
	tl_close(conn);
	_exit(0);
}

/*
 * A reply of megabytes that arrives in small pieces (the answer to a
 * million agents): read whole, each piece searched for the line's end
 * once.
 */
START_TEST(test_long_reply)
{
	struct fake_node	 fake;
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*request;
	const char		*args[] = { "-f", NULL, "agents", NULL };
	char			*reply, *last;
	size_t			 used = 0, size, i, count = 100000, sent;

	fake_node_start(&fake);
	args[1] = fake.file;
	tl_ctl_start(&run, args);
	conn = tl_accept(fake.fd, TL_TIMEOUT);
	ck_assert_ptr_nonnull(conn);
	fake_node_answer(conn, "get_time", "0");
	request = tl_read_json(conn, TL_TIMEOUT);
	ck_assert_str_eq(tl_string(request, "method"), "get_agents");
	size = count * 32 + 128;
	reply = tl_calloc(1, size);
	used = (size_t)snprintf(reply, size, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
	    "\"result\":[", json_object_to_json_string(tl_member(request,
	    "id")));
	json_object_put(request);
	for (i = 0; i < count; i++)
		used += (size_t)snprintf(reply + used, size - used,
		    "%s\"tcp://127.0.0.1:1/%zu\"", i == 0 ? "" : ",", i + 1);
	used += (size_t)snprintf(reply + used, size - used, "]}\n");
	for (sent = 0; sent < used; sent += 1024)
		tl_send_raw(conn, reply + sent, used - sent < 1024 ?
		    used - sent : 1024);
	free(reply);
	tl_ctl_wait(&run, CTL_TIMEOUT);
	tl_close(conn);
	tl_ctl_expect(&run, 0, "agents with a long reply");
	ck_assert_uint_eq(count_lines(run.out), count);
	last = line_of(run.out, count - 1);
	ck_assert_str_eq(last, "tcp://127.0.0.1:1/100000");
	free(last);
	tl_ctl_free(&run);
	fake_node_stop(&fake);
}
END_TEST

/*
 * Answers passed on as text: agents prints a string with escapes, a null
 * and a number as the codec reads them, and call joins arrays combined
 * by concat as they came, for people and with -j.
 */
START_TEST(test_text_answers)
{
	static const char *const expected[] = { "plain", "a\"b", "null",
		"5", "caf\xc3\xa9" };
	struct fake_node	 fake;
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*line;
	const char		*args[] = { "-f", NULL, "agents", NULL, NULL,
				    NULL };
	char			*text;
	size_t			 i;
	int			 json;

	fake_node_start(&fake);
	args[1] = fake.file;
	tl_ctl_start(&run, args);
	ck_assert_ptr_nonnull(conn = tl_accept(fake.fd, TL_TIMEOUT));
	fake_node_answer(conn, "get_time", "0");
	fake_node_answer(conn, "get_agents",
	    "[\"plain\",\"a\\\"b\",null,5,\"caf\\u00e9\"]");
	tl_ctl_wait(&run, CTL_TIMEOUT);
	tl_close(conn);
	tl_ctl_expect(&run, 0, "agents");
	ck_assert_uint_eq(count_lines(run.out), 5);
	for (i = 0; i < 5; i++) {
		text = line_of(run.out, i);
		ck_assert_str_eq(text, expected[i]);
		free(text);
	}
	tl_ctl_free(&run);

	for (json = 0; json <= 1; json++) {
		args[0] = json ? "-j" : "-f";
		args[1] = json ? "-f" : fake.file;
		args[2] = json ? fake.file : "call";
		args[3] = json ? "call" : "demo_list";
		args[4] = json ? "demo_list" : NULL;
		tl_ctl_start(&run, args);
		ck_assert_ptr_nonnull(conn = tl_accept(fake.fd, TL_TIMEOUT));
		fake_node_answer(conn, "get_time", "0");
		fake_node_answer(conn, "demo_list", "[1, \"x\" ,{\"k\":[]}]");
		fake_node_answer(conn, "methods", "[{\"name\":\"demo_list\","
		    "\"owner\":\"extdemo\",\"combine\":\"concat\"}]");
		tl_ctl_wait(&run, CTL_TIMEOUT);
		tl_close(conn);
		tl_ctl_expect(&run, 0, "call demo_list");
		if (!json) {
			ck_assert_str_eq(run.out, "[1, \"x\" ,{\"k\":[]}]\n");
			tl_ctl_free(&run);
			continue;
		}
		ck_assert_uint_eq(count_lines(run.out), 2);
		line = tl_last_json_line(run.out);
		ck_assert_str_eq(tl_string(line, "combine"), "concat");
		ck_assert_str_eq(json_object_to_json_string_ext(tl_member(line,
		    "result"), JSON_C_TO_STRING_PLAIN), "[1,\"x\",{\"k\":[]}]");
		json_object_put(line);
		tl_ctl_free(&run);
	}
	fake_node_stop(&fake);
}
END_TEST

/*
 * A prepare step that takes long shows it: each second on a terminal,
 * every five seconds as a line with -v, never otherwise.
 */
START_TEST(test_prepare_progress)
{
	struct fake_node	 fake;
	struct tl_ctl		 run;
	const char		*args[] = { "-f", NULL, "prepare", "--agents",
				    "counter:1", NULL, NULL };
	char			 buffer[4096];
	pid_t			 server;
	int			 master, slave, status;

	fake_node_start(&fake);
	args[1] = fake.file;

	master = pty_open(&slave);
	server = fake_node_slow_prepare(&fake, 2.5);
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, slave, args);
	close(slave);
	ck_assert_int_eq(waitpid(server, &status, 0), server);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the fake node failed");
	tl_ctl_expect(&run, 0, "prepare on a terminal");
	ck_assert_msg(strstr(run.out, "agents: spawned 1,") != NULL, "%s",
	    run.out);
	pty_read(master, buffer, sizeof buffer);
	ck_assert_msg(strstr(buffer, "prepare: spawn_n on 1 node, ") != NULL &&
	    strstr(buffer, " s...") != NULL, "no progress on the terminal: "
	    "\"%s\"", buffer);
	tl_ctl_free(&run);

	/* Not on a terminal: with -v a line each five seconds. */
	args[5] = "-v";
	server = fake_node_slow_prepare(&fake, 7.0);
	tl_ctl_runv(&run, CTL_TIMEOUT, NULL, NULL, -1, args);
	ck_assert_int_eq(waitpid(server, &status, 0), server);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the fake node failed");
	tl_ctl_expect(&run, 0, "prepare -v");
	ck_assert_msg(strncmp(run.err, "creamasctl: prepare: spawn_n on 1 "
	    "node, ", 40) == 0 && strstr(run.err, " s...\n") != NULL, "%s",
	    run.err);
	ck_assert_msg(strstr(run.err, "\r") == NULL, "%s", run.err);
	tl_ctl_free(&run);
	fake_node_stop(&fake);
}
END_TEST

/*
 * Exit statuses a script can trust: run refuses what it can know is
 * wrong (an agent type nodes without plugins lack, too few agents for
 * the connections) with 2 before any node starts; grid with no cells is
 * a failure with or without --image.
 */
START_TEST(test_exit_codes)
{
	struct cluster	 cluster;
	struct tl_ctl	 run;
	char		*image, *expected;

	/* Nodes with the default command: masters, never started here. */
	cluster_make_masters(&cluster, 2);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "run", "--agents",
	    "nosuch:10", NULL);
	tl_ctl_expect(&run, 2, "run with an unknown agent type");
	ck_assert_str_eq(run.err, "creamasctl: run: --agents nosuch:10: no "
	    "agent type 'nosuch' on nodes started with the default command "
	    "(noop, counter, grid, diffusion, diffusion_rpc; a plugin's type "
	    "needs cmd= with --plugin)\n");
	ck_assert_str_eq(run.out, "");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "run", "--agents",
	    "counter:10", "--connections", "random:30", NULL);
	tl_ctl_expect(&run, 2, "run with too few agents for its connections");
	ck_assert_str_eq(run.err, "creamasctl: run: --connections random:30 "
	    "needs more than 30 agents; run makes 20 (10 on each of 2 "
	    "nodes)\n");
	ck_assert_str_eq(run.out, "");
	tl_ctl_free(&run);
	ck_assert(!tl_port_listening(cluster.ports[0]));
	ck_assert(!tl_port_listening(cluster.ports[1]));
	ck_assert_int_eq(tl_wait_no_stray(1.0), 0);
	cluster_free(&cluster);

	/* A node with no grid: grid fails, as grid --image does. */
	cluster_make(&cluster, 1, NULL);
	cluster_start(&cluster);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "grid", NULL);
	tl_ctl_expect(&run, 1, "grid with no cells");
	ck_assert_str_eq(run.err, "creamasctl: grid: no cells (prepare --grid "
	    "fills a grid)\n");
	ck_assert_str_eq(run.out, "");
	tl_ctl_free(&run);
	image = tl_path(cluster.dir, "grid.pgm");
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", cluster.file, "grid", "--image",
	    image, NULL);
	tl_ctl_expect(&run, 1, "grid --image with no cells");
	expected = tl_printf("creamasctl: grid: no cells: %s not written\n",
	    image);
	ck_assert_str_eq(run.err, expected);
	free(expected);
	tl_ctl_free(&run);
	free(image);

	cluster_stop(&cluster);
	cluster_free(&cluster);
}
END_TEST

/* The creamasctl suite: end-to-end with launch=local nodes. */
Suite *
suite_ctl(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ctl");
	tc = tcase_create("local");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_node_down);
	tcase_add_test(tc, test_stop_gone);
	tcase_add_test(tc, test_node_stopped);
	tcase_add_test(tc, test_spawn_failure);
	tcase_add_test(tc, test_run);
	tcase_add_test(tc, test_log_folder_hosts);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_none_stopped);
	tcase_add_test(tc, test_masters);
	tcase_add_test(tc, test_ssh);
	tcase_add_test(tc, test_progress);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_call_errors);
	tcase_add_test(tc, test_lost_slave);
	tcase_add_test(tc, test_slave_number);
	tcase_add_test(tc, test_not_creamasd);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_prepare_progress);
	tcase_add_test(tc, test_long_reply);
	tcase_add_test(tc, test_text_answers);
	suite_add_tcase(s, tc);
	return (s);
}
