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
 * Tests of checkpoint and restore. The issue's acceptance test: on three
 * launch=local nodes of two slaves each (loading the test plugin keeper,
 * whose agents keep their state on the heap and whose extension counts
 * rounds), a diffusion grid across two nodes, counters and keepers on
 * the third (a grid environment holds only grid agents), and random
 * connections everywhere; 10 rounds, creamasctl checkpoint, stop, spawn,
 * creamasctl restore, 10 rounds must leave every value, count,
 * connection and random draw exactly as 20 rounds without a break do.
 * Then, on one slave: files truncated, corrupted, foreign or of another
 * format are refused with a clear error and leave the environment as it
 * was; a restore into an environment with agents, or at another address,
 * is refused; the extensions' hooks refuse a checkpoint or a restore,
 * and a restore failing in one leaves none of its state; a checkpoint
 * asked for during a round is taken when the round has ended.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "testlib.h"

#define CK_TEST_TIMEOUT		120	/* seconds per test */
#define CK_CTL_WAIT		60.0	/* seconds a creamasctl run may take */
#define CK_STOP_WAIT		20.0	/* seconds for a process to be gone */
#define CK_READ_WAIT		30.0	/* seconds an answer may take */
#define CK_NODES		3	/* two of the grid, one of the rest */
#define CK_GRID_NODES		2
#define CK_OTHERS		(CK_NODES - 1)	/* counters and keepers */
#define CK_SLAVES		2	/* of each node */

Suite	*suite_checkpoint(void);

/* The nodes under test: a nodes file and every process it started. */
struct ck_cluster {
	char		*file;
	size_t		 count;			/* nodes */
	uint16_t	 ports[CK_NODES];
	pid_t		 masters[CK_NODES];
	pid_t		 slaves[CK_NODES][CK_SLAVES];
	char		 names[CK_NODES][32];
	struct json_object *spawned;	/* the counters and keepers */
};

/* Run creamasctl on the cluster's nodes file; it must exit 0. */
static void
ck_ctl(struct ck_cluster *cluster, const char *command, const char *argument)
{
	struct tl_ctl	 run;

	tl_ctl_run(&run, CK_CTL_WAIT, "-f", cluster->file, command, argument,
	    NULL);
	tl_ctl_expect(&run, 0, command);
	tl_ctl_free(&run);
}

/* Spawn the nodes (fresh processes) and track each of them by pid. */
static void
ck_spawn(struct ck_cluster *cluster)
{
	struct tl_conn		*conn;
	struct json_object	*status, *slaves;
	size_t			 i, k;

	ck_ctl(cluster, "spawn", NULL);
	ck_ctl(cluster, "wait", NULL);
	for (i = 0; i < cluster->count; i++) {
		conn = tl_connect(cluster->ports[i]);
		status = tl_ok(conn, "status", NULL);
		cluster->masters[i] = (pid_t)tl_int(status, "pid");
		tl_track_pid(cluster->masters[i]);
		slaves = tl_member(status, "slaves");
		for (k = 0; k < CK_SLAVES; k++) {
			cluster->slaves[i][k] = (pid_t)tl_int(tl_index(slaves,
			    k), "pid");
			tl_track_pid(cluster->slaves[i][k]);
		}
		json_object_put(status);
		tl_close(conn);
	}
}

/*
 * Write the nodes file of the nodes on fixed ports, each loading the
 * keeper plugin, and spawn them.
 */
static void
ck_cluster_start(struct ck_cluster *cluster, size_t count)
{
	uint16_t	 base;
	size_t		 i;
	char		*text, *line;

	memset(cluster, 0, sizeof *cluster);
	cluster->count = count;
	tl_adopt_orphans();
	base = tl_free_ports(count * (CK_SLAVES + 1));
	cluster->file = tl_path(tl_tempdir(), "nodes");
	text = tl_strdup("");
	for (i = 0; i < count; i++) {
		cluster->ports[i] = (uint16_t)(base + i * (CK_SLAVES + 1));
		snprintf(cluster->names[i], sizeof cluster->names[i],
		    "127.0.0.1:%u", cluster->ports[i]);
		line = tl_printf("%s127.0.0.1 port=%u slaves=%d launch=local "
		    "cmd=\"{creamasd} --role master --slaves {slaves} "
		    "--listen {listen} -o idle_exit={idle_exit} --plugin %s\"\n",
		    text, cluster->ports[i], CK_SLAVES,
		    tl_plugin_path("keeper"));
		free(text);
		text = line;
	}
	tl_write_file(cluster->file, text);
	free(text);
	ck_spawn(cluster);
}

/* Stop the nodes with creamasctl stop; every process must be gone. */
static void
ck_cluster_stop(struct ck_cluster *cluster)
{
	struct tl_exit	 e;
	size_t		 i, k;

	ck_ctl(cluster, "stop", NULL);
	for (i = 0; i < cluster->count; i++) {
		e = tl_stop_pid(cluster->masters[i], 0, CK_STOP_WAIT);
		ck_assert_msg(!e.killed, "master %ld ran on after stop",
		    (long)cluster->masters[i]);
		for (k = 0; k < CK_SLAVES; k++) {
			e = tl_stop_pid(cluster->slaves[i][k], 0,
			    CK_STOP_WAIT);
			ck_assert_msg(!e.killed, "slave %ld ran on after stop",
			    (long)cluster->slaves[i][k]);
		}
	}
}

/*
 * Fill the cluster: a 12 x 5 diffusion grid over the grid nodes; on the
 * other node the time, 4 counters and 4 keepers (their addresses kept);
 * then 2 random connections per agent on every node.
 */
static void
ck_prepare(struct ck_cluster *cluster)
{
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*keepers;
	size_t			 i, k;

	tl_ctl_run(&run, CK_CTL_WAIT, "-f", cluster->file, "-n",
	    cluster->names[0], "-n", cluster->names[1], "prepare", "--grid",
	    "12x5:diffusion", "--node-grid", "2x1", NULL);
	tl_ctl_expect(&run, 0, "prepare --grid");
	tl_ctl_free(&run);
	conn = tl_connect(cluster->ports[CK_OTHERS]);
	json_object_put(tl_ok(conn, "set_time", "{\"t\":5.25}"));
	json_object_put(cluster->spawned);
	cluster->spawned = tl_ok(conn, "spawn_n",
	    "{\"type\":\"counter\",\"n\":4}");
	keepers = tl_ok(conn, "spawn_n", "{\"type\":\"keeper\",\"n\":4}");
	for (k = 0; k < json_object_array_length(keepers); k++)
		json_object_array_add(cluster->spawned,
		    json_object_get(tl_index(keepers, k)));
	json_object_put(keepers);
	tl_close(conn);
	for (i = 0; i < CK_NODES; i++) {
		conn = tl_connect(cluster->ports[i]);
		json_object_put(tl_ok(conn, "create_random_connections",
		    "{\"n\":2}"));
		tl_close(conn);
	}
}

/*
 * Draw connections once more (from the saved random state) and return
 * all there is to compare, node by node: the grid, every connection,
 * every counter's and keeper's state, the time and the extension's
 * count of rounds.
 */
static char *
ck_observe(struct ck_cluster *cluster)
{
	struct tl_conn		*conn;
	struct json_object	*all, *node, *agents, *states, *state;
	const char		*address;
	size_t			 i, k;
	char			*params, *text;

	all = json_object_new_array();
	for (i = 0; i < CK_NODES; i++) {
		conn = tl_connect(cluster->ports[i]);
		json_object_put(tl_ok(conn, "create_random_connections",
		    "{\"n\":1}"));
		node = json_object_new_object();
		if (i < CK_GRID_NODES)
			json_object_object_add(node, "grid",
			    tl_ok(conn, "get_grid", NULL));
		json_object_object_add(node, "connections",
		    tl_ok(conn, "get_connections", "{\"data\":true}"));
		json_object_object_add(node, "time",
		    tl_ok(conn, "get_time", NULL));
		json_object_object_add(node, "keeper_rounds",
		    tl_ok(conn, "keeper_rounds", NULL));
		agents = cluster->spawned;
		states = json_object_new_array();
		for (k = 0; i == CK_OTHERS &&
		    k < json_object_array_length(agents); k++) {
			address = json_object_get_string(tl_index(agents, k));
			params = tl_printf("{\"agent\":\"%s\"}", address);
			state = tl_ok(conn, "agent.get", params);
			json_object_array_add(states, state);
			free(params);
		}
		json_object_object_add(node, "states", states);
		json_object_array_add(all, node);
		tl_close(conn);
	}
	text = tl_strdup(tl_json_text(all));
	json_object_put(all);
	return (text);
}

/*
 * Run creamasctl checkpoint or restore with dir: it must say that the
 * grid nodes did 30 agents and the other 8, at round 10.
 */
static void
ck_ctl_round_10(struct ck_cluster *cluster, const char *command,
    const char *dir)
{
	struct tl_ctl	 run;
	char		*grid, *others;

	tl_ctl_run(&run, CK_CTL_WAIT, "-f", cluster->file, command, dir, NULL);
	tl_ctl_expect(&run, 0, command);
	grid = tl_printf("%s: 30 agents, round 10", command);
	others = tl_printf("%s: 8 agents, round 10", command);
	ck_assert_msg(strstr(run.out, grid) != NULL &&
	    strstr(run.out, others) != NULL, "%s printed:\n%s", command,
	    run.out);
	free(grid);
	free(others);
	tl_ctl_free(&run);
}

/*
 * The acceptance test: 10 rounds, checkpoint, stop, spawn, restore, 10
 * rounds give what 20 rounds without a break give, bit for bit. The 20
 * rounds are the same run's, the checkpoint taken after round 10 on the
 * way, so that every random draw (which a new process seeds anew)
 * comes from the same state in both.
 */
START_TEST(test_restart_bit_identical)
{
	struct ck_cluster	 cluster;
	char			*straight, *restarted, *dir;
	size_t			 at, from;

	ck_cluster_start(&cluster, CK_NODES);
	ck_prepare(&cluster);
	ck_ctl(&cluster, "trigger", "-r10");
	dir = tl_path(tl_tempdir(), "checkpoint");
	ck_ctl_round_10(&cluster, "checkpoint", dir);
	ck_ctl(&cluster, "trigger", "-r10");
	straight = ck_observe(&cluster);
	ck_cluster_stop(&cluster);

	ck_spawn(&cluster);
	ck_ctl_round_10(&cluster, "restore", dir);
	ck_ctl(&cluster, "trigger", "-r10");
	restarted = ck_observe(&cluster);
	for (at = 0; straight[at] != '\0' && straight[at] == restarted[at];
	    at++)
		;
	from = at > 200 ? at - 200 : 0;
	ck_assert_msg(strcmp(straight, restarted) == 0, "at byte %zu, 20 "
	    "rounds:\n...%.400s\n10 + 10 rounds:\n...%.400s", at,
	    straight + from, restarted + from);
	ck_assert_msg(strstr(straight, "\"keeper_rounds\":40") != NULL,
	    "the extension's count: %.3000s", straight);
	ck_cluster_stop(&cluster);
	free(straight);
	free(restarted);
	free(dir);
	free(cluster.file);
	json_object_put(cluster.spawned);
}
END_TEST

/* Make folder/environment.ckpt hold size bytes of data. */
static char *
ck_write_variant(const char *name, const void *data, size_t size)
{
	char	*folder, *path;
	int	 fd;

	folder = tl_path(tl_tempdir(), name);
	mkdir(folder, 0755);
	path = tl_path(folder, "environment.ckpt");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
	close(fd);
	free(path);
	return (folder);
}

/* A restore from folder fails with RPC_FAILED saying what. */
static void
ck_refused(struct tl_conn *conn, const char *folder, const char *what)
{
	struct json_object	*error, *agents;

	error = tl_errf(conn, -32012, "restore", "{\"folder\":\"%s\"}",
	    folder);
	ck_assert_msg(strstr(tl_string(error, "message"), what) != NULL,
	    "restore from %s: no \"%s\" in %s", folder, what,
	    tl_json_text(error));
	json_object_put(error);
	agents = tl_ok(conn, "get_agents", NULL);
	ck_assert_msg(json_object_array_length(agents) == 0, "a refused "
	    "restore left agents: %s", tl_json_text(agents));
	json_object_put(agents);
}

/*
 * Truncated, corrupted, foreign files, another format and a master's
 * file are refused, each with its reason, and the environment stays
 * empty; so is a restore at another address (another layout) and one
 * into an environment with agents, which keeps them. Then the good file
 * restores, and the counters go on from where they were.
 */
START_TEST(test_refused)
{
	struct tl_daemon	*first, *second, *other;
	struct tl_conn		*conn;
	struct json_object	*error, *result;
	struct stat		 st;
	char			*dir, *file, *data, *folder, *listen;
	char			*expected;
	size_t			 size;
	uint32_t		 value;

	first = tl_daemon_start(NULL);
	conn = tl_connect(first->port);
	json_object_put(tl_ok(conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":3}"));
	json_object_put(tl_ok(conn, "trigger_all", NULL));
	dir = tl_path(tl_tempdir(), "single");
	json_object_put(tl_okf(conn, "checkpoint", "{\"folder\":\"%s\"}",
	    dir));
	error = tl_errf(conn, -32012, "restore", "{\"folder\":\"%s\"}", dir);
	ck_assert_msg(strstr(tl_string(error, "message"),
	    "already has 3 agents") != NULL, "%s", tl_json_text(error));
	json_object_put(error);
	result = tl_ok(conn, "get_agents", NULL);
	ck_assert_int_eq(json_object_array_length(result), 3);
	json_object_put(result);
	tl_close(conn);
	listen = tl_printf("127.0.0.1:%u", first->port);
	tl_daemon_stop_clean(first);

	other = tl_daemon_start(NULL);
	conn = tl_connect(other->port);
	ck_refused(conn, dir, "restore needs the same node and slave layout");
	tl_close(conn);
	tl_daemon_stop_clean(other);

	second = tl_daemon_start("--listen", listen, NULL);
	conn = tl_connect(second->port);
	file = tl_path(dir, "environment.ckpt");
	data = tl_read_file(file);
	ck_assert_int_eq(stat(file, &st), 0);
	size = (size_t)st.st_size;
	folder = ck_write_variant("truncated", data, size - 10);
	ck_refused(conn, folder, "is truncated");
	free(folder);
	data[size - 3] ^= 0x20;
	folder = ck_write_variant("corrupt", data, size);
	ck_refused(conn, folder, "is corrupt");
	free(folder);
	data[size - 3] ^= 0x20;
	folder = ck_write_variant("foreign", "{\"agents\": []}\n", 15);
	ck_refused(conn, folder, "is not a creamasd checkpoint");
	free(folder);
	memcpy(&value, data + 16, 4);
	value += 99;
	memcpy(data + 16, &value, 4);
	folder = ck_write_variant("version", data, size);
	expected = tl_printf("checkpoint format %u; this creamasd reads "
	    "format %u", value, value - 99);
	ck_refused(conn, folder, expected);
	free(expected);
	free(folder);
	value -= 99;
	memcpy(data + 16, &value, 4);
	data[20] = 2;
	folder = ck_write_variant("kind", data, size);
	ck_refused(conn, folder, "is a master's checkpoint");
	free(folder);

	result = tl_okf(conn, "restore", "{\"folder\":\"%s\"}", dir);
	ck_assert_int_eq(tl_int(result, "agents"), 3);
	ck_assert_int_eq(tl_int(result, "round"), 1);
	json_object_put(result);
	result = tl_ok(conn, "trigger_all", "{\"results\":true}");
	tl_assert_json(tl_member(result, "results"), "[2,2,2]");
	ck_assert_int_eq(tl_int(result, "round"), 2);
	json_object_put(result);
	tl_close(conn);
	tl_daemon_stop_clean(second);
	free(data);
	free(file);
	free(listen);
	free(dir);
}
END_TEST

/*
 * The extension hooks that guard a checkpoint, with the grid and the
 * keeper extension: a save hook's refusal is in the error with its
 * reason; a restore is refused while an extension holds state (a grid,
 * even without agents); a restore that fails in an extension's load
 * leaves no state behind, so the next restore succeeds.
 */
START_TEST(test_extension_guards)
{
	struct tl_daemon	*first, *second, *other;
	struct tl_conn		*conn;
	struct json_object	*error;
	char			*dir, *listen;

	first = tl_daemon_start_plugin("keeper", NULL);
	conn = tl_connect(first->port);
	tl_expect_result(conn, "set_gs", "{\"gs\":[2,1]}", "null");
	json_object_put(tl_ok(conn, "spawn_n", "{\"type\":\"keeper\","
	    "\"n\":2}"));
	json_object_put(tl_ok(conn, "trigger_all", NULL));
	dir = tl_path(tl_tempdir(), "guarded");
	tl_expect_result(conn, "configure",
	    "{\"key\":\"keeper.refuse_save\",\"value\":\"yes\"}", "null");
	error = tl_errf(conn, -32012, "checkpoint", "{\"folder\":\"%s\"}",
	    dir);
	ck_assert_msg(strstr(tl_string(error, "message"), "extension keeper "
	    "failed to save its state: keeper was told to refuse after 1 "
	    "rounds") != NULL, "%s", tl_json_text(error));
	json_object_put(error);
	tl_expect_result(conn, "configure",
	    "{\"key\":\"keeper.refuse_save\",\"value\":\"no\"}", "null");
	json_object_put(tl_okf(conn, "checkpoint", "{\"folder\":\"%s\"}",
	    dir));
	tl_close(conn);
	listen = tl_printf("127.0.0.1:%u", first->port);
	tl_daemon_stop_clean(first);

	/* A grid without agents is state a restore would replace. */
	other = tl_daemon_start_plugin("keeper", NULL);
	conn = tl_connect(other->port);
	tl_expect_result(conn, "set_gs", "{\"gs\":[1,1]}", "null");
	ck_refused(conn, dir, "already has 0 agents and a grid");
	tl_close(conn);
	tl_daemon_stop_clean(other);

	second = tl_daemon_start("--plugin", tl_plugin_path("keeper"),
	    "--listen", listen, "-o", "keeper.refuse_load=yes", NULL);
	conn = tl_connect(second->port);
	ck_refused(conn, dir, "extension keeper: keeper was told to refuse "
	    "its state");
	tl_expect_result(conn, "get_gs", NULL, "[0,0]");
	tl_expect_result(conn, "configure",
	    "{\"key\":\"keeper.refuse_load\",\"value\":\"no\"}", "null");
	json_object_put(tl_okf(conn, "restore", "{\"folder\":\"%s\"}",
	    dir));
	tl_expect_result(conn, "get_gs", NULL, "[2,1]");
	tl_expect_result(conn, "keeper_rounds", NULL, "1");
	tl_close(conn);
	tl_daemon_stop_clean(second);
	free(listen);
	free(dir);
}
END_TEST

/*
 * A master keeps, through the grid's save hook, how many agents each
 * slave held before the grid was set: restored, it refuses a new size
 * itself (keeping its size) because slave 2's grid holds an agent,
 * naming slave 2, not slave 1, whose only agent was spawned before the
 * grid and has no cell.
 */
START_TEST(test_master_grid_restore)
{
	struct tl_daemon	*node;
	struct tl_conn		*conn;
	struct json_object	*error, *managers;
	char			*dir, *listen;
	int			 restored;

	listen = tl_printf("127.0.0.1:%u", tl_free_ports(3));
	dir = tl_path(tl_tempdir(), "master-grid");
	for (restored = 0; restored <= 1; restored++) {
		node = tl_daemon_start("--role", "master", "--slaves", "2",
		    "--listen", listen, NULL);
		conn = tl_connect(node->port);
		if (!restored) {
			json_object_put(tl_ok(conn, "spawn_n", "{\"type\":"
			    "\"counter\",\"n\":1,\"slave\":0}"));
			tl_expect_result(conn, "set_gs", "{\"gs\":[2,1]}",
			    "null");
			json_object_put(tl_ok(conn, "spawn_n", "{\"type\":"
			    "\"counter\",\"n\":1,\"slave\":1}"));
			json_object_put(tl_okf(conn, "checkpoint",
			    "{\"folder\":\"%s\"}", dir));
		} else
			json_object_put(tl_okf(conn, "restore",
			    "{\"folder\":\"%s\"}", dir));
		managers = tl_ok(conn, "get_slave_managers", NULL);
		error = tl_err(conn, -32012, "set_gs", "{\"gs\":[3,1]}");
		ck_assert_msg(strcmp(tl_json_text(tl_member(error, "data")),
		    tl_json_text(tl_index(managers, 1))) == 0,
		    "%s restore: %s, not slave 2 (%s)", restored ? "after" :
		    "before", tl_json_text(error),
		    tl_json_text(tl_index(managers, 1)));
		json_object_put(error);
		json_object_put(managers);
		/* Refused by the master itself: it kept its size. */
		tl_expect_result(conn, "get_gs", NULL, "[2,1]");
		tl_close(conn);
		tl_daemon_stop_clean(node);
	}
	free(listen);
	free(dir);
}
END_TEST

/*
 * A checkpoint asked for while a round runs is taken when it ends: a
 * round of 1000 busy sleepers, then 3 counters; the checkpoint asked for
 * once status says the round runs holds the counters at 1, which a
 * checkpoint taken at once (before the round reached them) would not.
 */
START_TEST(test_checkpoint_waits_for_round)
{
	struct tl_daemon	*first, *second;
	struct tl_conn		*runner, *other;
	struct json_object	*status, *reply, *result;
	char			*dir, *listen;
	int			 running;

	first = tl_daemon_start_plugin("pingpong", NULL);
	runner = tl_connect(first->port);
	other = tl_connect(first->port);
	json_object_put(tl_ok(runner, "spawn_n", "{\"type\":\"sleeper\","
	    "\"n\":1000}"));
	json_object_put(tl_ok(runner, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":3}"));
	dir = tl_path(tl_tempdir(), "during");
	tl_send_call(runner, 1, "trigger_all", "{\"args\":{\"us\":1000}}");
	status = tl_ok(other, "status", NULL);
	running = json_object_get_boolean(tl_member(status, "round_running"));
	json_object_put(status);
	reply = tl_okf(other, "checkpoint", "{\"folder\":\"%s\"}", dir);
	ck_assert_int_eq(tl_int(reply, "round"), 1);
	json_object_put(reply);
	reply = tl_read_json(runner, CK_READ_WAIT);
	ck_assert_int_eq(tl_int(tl_member(reply, "result"), "agents"), 1003);
	json_object_put(reply);
	tl_close(other);
	tl_close(runner);
	listen = tl_printf("127.0.0.1:%u", first->port);
	tl_daemon_stop_clean(first);

	second = tl_daemon_start("--plugin", tl_plugin_path("pingpong"),
	    "--listen", listen, NULL);
	runner = tl_connect(second->port);
	json_object_put(tl_okf(runner, "restore", "{\"folder\":\"%s\"}",
	    dir));
	result = tl_okf(runner, "agent.get", "{\"agent\":"
	    "\"tcp://%s/1001\"}", listen);
	ck_assert_msg(running, "the round was over before the checkpoint "
	    "was asked for: the test proves nothing");
	ck_assert_int_eq(json_object_get_int64(result), 1);
	json_object_put(result);
	tl_close(runner);
	tl_daemon_stop_clean(second);
	free(listen);
	free(dir);
}
END_TEST

/* Return the round a creamasctl line "...: N agents, round R" names. */
static long
ck_round_of(const char *out, const char *what)
{
	const char	*line = strstr(out, what);

	ck_assert_msg(line != NULL, "no \"%s\" in:\n%s", what, out);
	line = strstr(line, "round ");
	ck_assert_msg(line != NULL, "no round in:\n%s", out);
	return (strtol(line + 6, NULL, 10));
}

/*
 * trigger --checkpoint-every 3 DIR: checkpoints after rounds 3 and 6 of
 * 7; SIGUSR1 to a trigger of a million rounds checkpoints after the
 * round in progress and exits 0; a fresh node restored from that goes on
 * from that round, its counters with it.
 */
START_TEST(test_trigger_checkpoints)
{
	struct ck_cluster	 cluster;
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*result;
	const char		*args[16];
	char			*dir, *out;
	long			 round;
	double			 deadline;

	ck_cluster_start(&cluster, 1);
	conn = tl_connect(cluster.ports[0]);
	json_object_put(tl_ok(conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":3}"));
	tl_close(conn);
	dir = tl_path(tl_tempdir(), "every");
	tl_ctl_run(&run, CK_CTL_WAIT, "-f", cluster.file, "trigger", "-r7",
	    "--checkpoint-every", "3", dir, NULL);
	tl_ctl_expect(&run, 0, "trigger --checkpoint-every");
	ck_assert_int_eq(ck_round_of(run.out, "checkpoint: 3 agents"), 3);
	ck_assert_int_eq(ck_round_of(strstr(run.out, "round 4:"),
	    "checkpoint: 3 agents"), 6);
	ck_assert_msg(strstr(strstr(run.out, "round 7:"), "checkpoint") ==
	    NULL, "a checkpoint after round 7:\n%s", run.out);
	tl_ctl_free(&run);

	args[0] = "-f";
	args[1] = cluster.file;
	args[2] = "trigger";
	args[3] = "-r1000000";
	args[4] = dir;
	args[5] = NULL;
	tl_ctl_start(&run, args);
	deadline = tl_now() + CK_CTL_WAIT;
	for (;;) {
		out = tl_read_file(run.out_path);
		if (out != NULL && strstr(out, "round 10:") != NULL)
			break;
		free(out);
		ck_assert_msg(tl_now() < deadline, "trigger ran no rounds");
		usleep(10000);
	}
	free(out);
	tl_signal(run.pid, SIGUSR1);
	tl_ctl_wait(&run, CK_CTL_WAIT);
	tl_ctl_expect(&run, 0, "trigger, then SIGUSR1");
	round = ck_round_of(run.out, "checkpoint: 3 agents");
	ck_assert_msg(round >= 10 && strstr(run.err, "SIGUSR1: checkpoint") !=
	    NULL, "stdout:\n%s\nstderr:\n%s", run.out, run.err);
	tl_ctl_free(&run);
	ck_cluster_stop(&cluster);

	ck_spawn(&cluster);
	tl_ctl_run(&run, CK_CTL_WAIT, "-f", cluster.file, "restore", dir,
	    NULL);
	tl_ctl_expect(&run, 0, "restore");
	ck_assert_int_eq(ck_round_of(run.out, "restore: 3 agents"), round);
	tl_ctl_free(&run);
	conn = tl_connect(cluster.ports[0]);
	result = tl_ok(conn, "trigger_all", "{\"results\":true}");
	ck_assert_int_eq(tl_int(result, "round"), round + 1);
	ck_assert_int_eq(json_object_get_int64(tl_index(tl_member(result,
	    "results"), 0)), round + 1);
	json_object_put(result);
	tl_close(conn);
	ck_cluster_stop(&cluster);
	free(dir);
	free(cluster.file);
}
END_TEST

/*
 * A plugin built before save and load (its type table as long as close)
 * still loads, and its agents' state is kept as bytes: the members past
 * its table's size, which would abort, are never read; so are those of
 * its extension, built before has_state, which the restore asks.
 */
START_TEST(test_old_plugin)
{
	struct tl_daemon	*first, *second;
	struct tl_conn		*conn;
	struct json_object	*result;
	char			*dir, *listen;

	first = tl_daemon_start_plugin("oldtable", NULL);
	conn = tl_connect(first->port);
	json_object_put(tl_ok(conn, "spawn_n", "{\"type\":\"tally\","
	    "\"n\":2}"));
	json_object_put(tl_ok(conn, "trigger_all", NULL));
	dir = tl_checkpoint_and_stop(first, conn, "old", &listen);
	second = tl_daemon_start("--plugin", tl_plugin_path("oldtable"),
	    "--listen", listen, NULL);
	conn = tl_connect(second->port);
	json_object_put(tl_okf(conn, "restore", "{\"folder\":\"%s\"}",
	    dir));
	result = tl_ok(conn, "trigger_all", "{\"results\":true}");
	tl_assert_json(tl_member(result, "results"), "[2,2]");
	json_object_put(result);
	tl_close(conn);
	tl_daemon_stop_clean(second);
	free(listen);
	free(dir);
}
END_TEST

Suite *
suite_checkpoint(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("checkpoint");
	tc = tcase_create("checkpoint");
	tcase_set_timeout(tc, CK_TEST_TIMEOUT);
	tcase_add_test(tc, test_restart_bit_identical);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_extension_guards);
	tcase_add_test(tc, test_master_grid_restore);
	tcase_add_test(tc, test_checkpoint_waits_for_round);
	tcase_add_test(tc, test_trigger_checkpoints);
	tcase_add_test(tc, test_old_plugin);
	suite_add_tcase(s, tc);
	return (s);
}
