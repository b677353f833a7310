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
 * End-to-end tests of bulk work: spawn_n refused for lack of memory
 * under an address-space limit (slave and master), leaving nothing
 * behind and the daemons serving; spawn_n and large batches done in
 * slices, so that another client is answered while they run, and a
 * spawn_n that fails late undone in slices too; a batch's
 * peak memory bounded by a small multiple of its line; a long line held
 * once as it comes; lists of every agent written, and changes to every
 * agent made, in slices, holding the agents meanwhile.
 */

#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "testlib.h"

#define BULK_LIMIT_AS		1500000000	/* bytes, as in the report */
#define BULK_SPAWN_HUGE		"100000000"	/* agents, the documented max */
#define BULK_RESTORED		"8000000"	/* agents checkpointed */
#define BULK_RESTORE_LIMIT_AS	200000000	/* bytes: too few for them */
#define BULK_SPAWN_SLICED	1000000		/* agents, many slices long */
#define BULK_SPAWN_SLICED_TEXT	"1000000"
#define BULK_UNDONE		200000		/* agents made, then undone */
#define BULK_UNDONE_BEFORE	2		/* agents there before it */
#define BULK_UNDONE_GRID	"[1000,200]"	/* cells: BULK_UNDONE */
#define BULK_BATCH_CALLS	200000		/* get_time calls in a batch */
#define BULK_BATCH_PEAK		6		/* peak growth, times the line */
#define BULK_LONG_LINE		(12 * 1024 * 1024)	/* bytes, a request */
#define BULK_TEST_TIMEOUT	300		/* seconds per test */

Suite	*suite_bulk(void);

/* Return agent n's address on a daemon (in a buffer of its own). */
static const char *
bulk_address(const struct tl_daemon *d, long n)
{
	static char	 address[64];

	snprintf(address, sizeof address, "tcp://127.0.0.1:%u/%ld", d->port,
	    n);
	return (address);
}

/*
 * Start creamasd with args (NULL-terminated) and its address space
 * limited to bytes as prlimit --as does: the limit is set in the test
 * process, inherited by the daemon (and a master's slaves), and lifted
 * again once it runs.
 */
static struct tl_daemon *
bulk_start_within(rlim_t bytes, const char *const *args)
{
	struct tl_daemon	*d;
	struct rlimit		 old, limited;

	ck_assert(getrlimit(RLIMIT_AS, &old) == 0);
	limited = old;
	limited.rlim_cur = bytes;
	ck_assert(setrlimit(RLIMIT_AS, &limited) == 0);
	d = tl_daemon_startv(args);
	ck_assert(setrlimit(RLIMIT_AS, &old) == 0);
	return (d);
}

/* Start a slave or a master of 2 under BULK_LIMIT_AS. */
static struct tl_daemon *
bulk_start_limited(const char *role)
{
	/* Slaves making millions of agents before they run out take
	   seconds, many more on a busy machine: the call may wait. */
	static const char *const master[] = { "--role", "master",
	    "--slaves", "2", "-o", "call_timeout=120", NULL };
	static const char *const slave[] = { NULL };

	return (bulk_start_within(BULK_LIMIT_AS,
	    strcmp(role, "master") == 0 ? master : slave));
}

/* The error of a refused spawn_n names the limit; nothing was made. */
static void
bulk_check_refused(struct tl_conn *conn, const char *params)
{
	struct json_object	*response, *agents;
	const char		*message;

	response = tl_call(conn, "spawn_n", params);
	ck_assert_int_eq(tl_response_code(response), -32006);
	message = tl_string(tl_member(response, "error"), "message");
	ck_assert_msg(strstr(message, "out of memory") != NULL &&
	    strstr(message, "1500000000") != NULL &&
	    strstr(message, "RLIMIT_AS") != NULL,
	    "the error does not name the limit: %s", message);
	json_object_put(response);
	tl_expect_result(conn, "is_ready", NULL, "true");
	agents = tl_ok(conn, "get_agents", "{}");
	tl_assert_json(agents, "[]");
	json_object_put(agents);
}

/*
 * Connect to a daemon under the limit and have spawn_n of 100,000,000
 * refused because the agents, or their list, cannot fit. Return the
 * connection.
 */
static struct tl_conn *
bulk_check_refusals(struct tl_daemon *d)
{
	struct tl_conn	*conn;

	conn = tl_connect(d->port);
	conn->timeout = 120;
	bulk_check_refused(conn, "{\"type\":\"noop\",\"n\":" BULK_SPAWN_HUGE
	    "}");
	return (conn);
}

/*
 * A slave under an address-space limit refuses spawn_n of 100,000,000
 * agents with an error naming the limit, whether the reply's list or
 * the agents themselves are what does not fit (addresses false makes
 * the agents run out midway: those made go again), and serves on. (A
 * master's slaves are not asked the second: making tens of millions of
 * agents before running out can take longer than a slave call may.)
 */
START_TEST(test_spawn_out_of_memory)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*agents;

	d = bulk_start_limited("slave");
	conn = bulk_check_refusals(d);
	/* Without the list, the agents themselves run out midway. */
	bulk_check_refused(conn, "{\"type\":\"noop\",\"n\":" BULK_SPAWN_HUGE
	    ",\"addresses\":false}");
	agents = tl_ok(conn, "spawn_n", "{\"type\":\"noop\",\"n\":2}");
	ck_assert_str_eq(json_object_get_string(tl_index(agents, 1)),
	    bulk_address(d, 2));
	json_object_put(agents);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * A restore that runs out of memory fails with the limit named, takes
 * back the agents it made and serves on: BULK_RESTORED noop agents are
 * checkpointed, then restored at the same address by a slave whose
 * address space cannot hold them; a round and a spawn follow. (It once
 * answered the restore with the agents it could not make left empty,
 * and the next round ended the daemon.)
 */
START_TEST(test_restore_out_of_memory)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*error, *agents;
	const char		*message;
	const char		*args[] = { "--listen", NULL, NULL };
	char			*dir, *listen;

	d = tl_daemon_start(NULL);
	conn = tl_connect(d->port);
	conn->timeout = 120;
	tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\",\"n\":"
	    BULK_RESTORED ",\"addresses\":false}", BULK_RESTORED);
	dir = tl_checkpoint_and_stop(d, conn, "restored", &listen);

	args[1] = listen;
	d = bulk_start_within(BULK_RESTORE_LIMIT_AS, args);
	conn = tl_connect(d->port);
	conn->timeout = 120;
	error = tl_errf(conn, -32012, "restore", "{\"folder\":\"%s\"}", dir);
	message = tl_string(error, "message");
	ck_assert_msg(strstr(message, "out of memory") != NULL &&
	    strstr(message, "RLIMIT_AS") != NULL, "the error does not name "
	    "the limit: %s", message);
	json_object_put(error);
	agents = tl_ok(conn, "get_agents", "{\"runs\":true}");
	tl_assert_json(agents, "[]");
	json_object_put(agents);
	json_object_put(tl_ok(conn, "trigger_all", NULL));
	tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\",\"n\":2,"
	    "\"addresses\":false}", "2");
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(listen);
	free(dir);
}
END_TEST

/* The same through a master: its slaves refuse, and stay alive. */
START_TEST(test_spawn_out_of_memory_master)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*status, *slaves;
	size_t			 i;

	d = bulk_start_limited("master");
	conn = bulk_check_refusals(d);
	status = tl_ok(conn, "status", NULL);
	slaves = tl_member(status, "slaves");
	ck_assert_int_eq(json_object_array_length(slaves), 2);
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(tl_string(tl_index(slaves, i), "state"),
		    "ready");
		ck_assert_int_eq(tl_int(tl_index(slaves, i), "agents"), 0);
	}
	json_object_put(status);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Through a master, addresses false answers how many agents the slaves
 * made together, and the master counts them.
 */
START_TEST(test_spawn_count_master)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*agents;

	d = tl_daemon_start("--role", "master", "--slaves", "2", NULL);
	conn = tl_connect(d->port);
	tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\",\"n\":5,"
	    "\"addresses\":false}", "5");
	tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\",\"n\":2,"
	    "\"addresses\":false,\"slave\":1}", "2");
	agents = tl_ok(conn, "get_agents", "{}");
	ck_assert_int_eq(json_object_array_length(agents), 7);
	json_object_put(agents);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Under the limit, create_random_connections among 20,000 agents with n
 * 19,999 (400 million connections) is refused with an error naming the
 * limit, on a slave and through a master alike; nothing is connected
 * and the daemon serves on.
 */
START_TEST(test_random_connections_out_of_memory)
{
	static const char *const roles[] = { "slave", "master" };
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response, *connections;
	size_t			 i, j;

	for (i = 0; i < 2; i++) {
		d = bulk_start_limited(roles[i]);
		conn = tl_connect(d->port);
		conn->timeout = 120;
		tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\","
		    "\"n\":20000,\"addresses\":false}", "20000");
		response = tl_call(conn, "create_random_connections",
		    "{\"n\":19999}");
		ck_assert_int_eq(tl_response_code(response), -32006);
		ck_assert_msg(strstr(tl_string(tl_member(response, "error"),
		    "message"), "RLIMIT_AS") != NULL, "%s: %s", roles[i],
		    tl_json_text(response));
		json_object_put(response);
		tl_expect_result(conn, "is_ready", NULL, "true");
		connections = tl_ok(conn, "get_connections", "{}");
		ck_assert_int_eq(json_object_array_length(connections), 20000);
		for (j = 0; j < 20000; j++)
			ck_assert_msg(tl_json_equal(tl_index(tl_index(
			    connections, j), 1), "[]"), "%s: agent %zu has "
			    "connections", roles[i], j + 1);
		json_object_put(connections);
		tl_close(conn);
		tl_daemon_stop_clean(d);
	}
}
END_TEST

/*
 * spawn_n of a million agents runs in slices: another client's status
 * is answered while it runs (it sees some of the agents, not all), and
 * a trigger_all sent meanwhile waits for the spawn and sees them all.
 */
START_TEST(test_spawn_sliced)
{
	struct tl_daemon	*d;
	struct tl_conn		*spawner, *other;
	struct json_object	*status, *reply, *round;
	int64_t			 seen = 0;

	d = tl_daemon_start(NULL);
	spawner = tl_connect(d->port);
	other = tl_connect(d->port);
	spawner->timeout = other->timeout = 120;
	tl_send_call(spawner, 1, "spawn_n", "{\"type\":\"noop\",\"n\":"
	    BULK_SPAWN_SLICED_TEXT "}");
	while (seen == 0) {
		status = tl_ok(other, "status", NULL);
		seen = tl_int(status, "agents");
		json_object_put(status);
	}
	ck_assert_msg(seen < BULK_SPAWN_SLICED, "status was answered only "
	    "once all %lld agents were made", (long long)seen);
	tl_expect_result(other, "is_ready", NULL, "true");
	tl_send_call(other, 99, "trigger_all", "{}");
	reply = tl_read_json(spawner, 120);
	ck_assert_int_eq(json_object_array_length(tl_response_result(reply)),
	    BULK_SPAWN_SLICED);
	ck_assert_str_eq(json_object_get_string(tl_index(
	    tl_response_result(reply), BULK_SPAWN_SLICED - 1)),
	    bulk_address(d, BULK_SPAWN_SLICED));
	json_object_put(reply);
	round = tl_read_json(other, 120);
	ck_assert_int_eq(tl_int(tl_response_result(round), "agents"),
	    BULK_SPAWN_SLICED);
	json_object_put(round);
	tl_close(spawner);
	tl_close(other);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * spawn_n is all or nothing: on a grid of 2 x 2, spawn_n of 6 fails at
 * the fifth agent and the four made before it go again; 4 then fit.
 * With addresses false the answer is how many were made.
 */
START_TEST(test_spawn_all_or_nothing)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*agents;

	d = tl_daemon_start(NULL);
	conn = tl_connect(d->port);
	json_object_put(tl_ok(conn, "set_gs", "{\"gs\":[2,2]}"));
	json_object_put(tl_err(conn, -32012, "spawn_n",
	    "{\"type\":\"grid\",\"n\":6}"));
	agents = tl_ok(conn, "get_agents", "{}");
	tl_assert_json(agents, "[]");
	json_object_put(agents);
	tl_expect_result(conn, "spawn_n", "{\"type\":\"grid\",\"n\":3,"
	    "\"addresses\":false}", "3");
	agents = tl_ok(conn, "spawn_n", "{\"type\":\"grid\",\"n\":1}");
	ck_assert_int_eq(json_object_array_length(agents), 1);
	ck_assert_str_eq(json_object_get_string(tl_index(agents, 0)),
	    bulk_address(d, 4));
	json_object_put(agents);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Send is_ready and status in one write and read both answers (is_ready
 * false: the grid is not full). Return status, answered after is_ready.
 */
static struct json_object *
bulk_ready_then_status(struct tl_conn *conn)
{
	struct json_object	*reply, *status = NULL;
	int			 i;

	tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"is_ready\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"status\"}");
	for (i = 0; i < 2; i++) {
		reply = tl_read_json(conn, 120);
		if (tl_int(reply, "id") == 1) {
			tl_assert_json(tl_response_result(reply), "false");
			json_object_put(reply);
			continue;
		}
		status = json_object_get(tl_response_result(reply));
		json_object_put(reply);
	}
	return (status);
}

/* Send a checkpoint to a folder, then a spawn_n of one, in one write. */
static void
bulk_send_checkpoint_spawn(struct tl_conn *conn, const char *folder)
{
	tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"checkpoint\",\"params\":{\"folder\":\"%s\"}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"spawn_n\","
	    "\"params\":{\"type\":\"noop\",\"n\":1}}", folder);
}

/*
 * Watch a failing spawn_n's undo from another connection until its
 * error comes: is_ready, then status, over and over. An is_ready sent
 * once status has counted removals and followed by a status that
 * counts fewer than all was answered during the undo; the first such
 * sends the waiter's checkpoint and spawn_n. An error already read
 * must be followed by a status that counts all. Return the error and
 * how many is_ready were answered during the undo.
 */
static struct json_object *
bulk_watch_undo(struct tl_conn *spawner, struct tl_conn *other,
    struct tl_conn *waiter, const char *folder, int *during)
{
	struct json_object	*status, *error = NULL;
	char			*line;
	int64_t			 before = 0, now = 0;

	*during = 0;
	while (now < BULK_UNDONE) {
		if (error == NULL && tl_read_line(spawner, 0, &line) ==
		    TL_READ_LINE) {
			error = tl_json(line);
			free(line);
		}
		status = bulk_ready_then_status(other);
		now = tl_int(tl_member(status, "demo"), "removed");
		json_object_put(status);
		ck_assert_msg(error == NULL || now == BULK_UNDONE, "the error "
		    "came with %lld of %d agents undone", (long long)now,
		    BULK_UNDONE);
		if (before > 0 && now < BULK_UNDONE && (*during)++ == 0)
			bulk_send_checkpoint_spawn(waiter, folder);
		before = now;
	}
	return (error);
}

/* A daemon whose spawn_n of BULK_UNDONE + 1 agents fails late. */
struct bulk_undo {
	struct tl_daemon	*d;
	struct tl_conn		*spawner;
	char			*log;		/* the demo's removed log */
	char			*option;
	char			*params;
};

/*
 * Start creamasd with the demo extension, whose agent_removed hook
 * writes a line per agent (which makes an undo long), make
 * BULK_UNDONE_BEFORE agents and a grid of BULK_UNDONE cells, then send
 * spawn_n of BULK_UNDONE + 1 (id 7): the grid refuses the last.
 */
static void
bulk_undo_start(struct bulk_undo *undo)
{
	undo->log = tl_path(tl_tempdir(), "undone");
	undo->option = tl_printf("demo.removed_log=%s", undo->log);
	undo->d = tl_daemon_start_plugin("extdemo", undo->option);
	undo->spawner = tl_connect(undo->d->port);
	undo->spawner->timeout = 120;
	json_object_put(tl_okf(undo->spawner, "spawn_n", "{\"type\":"
	    "\"noop\",\"n\":%d}", BULK_UNDONE_BEFORE));
	tl_expect_result(undo->spawner, "set_gs", "{\"gs\":" BULK_UNDONE_GRID
	    "}", "null");
	undo->params = tl_printf("{\"type\":\"noop\",\"n\":%d,"
	    "\"addresses\":false}", BULK_UNDONE + 1);
	tl_send_call(undo->spawner, 7, "spawn_n", undo->params);
}

/* The spawn_n's answer is the grid's refusal (taken). */
static void
bulk_undo_check_error(struct json_object *reply)
{
	ck_assert_int_eq(tl_int(reply, "id"), 7);
	ck_assert_msg(tl_response_code(reply) == -32012, "%.200s",
	    tl_json_text(reply));
	json_object_put(reply);
}

/*
 * Every agent of the spawn went through the hook, newest first, before
 * any other (a stop's own closing of the agents of before comes after).
 */
static void
bulk_undo_check_log(const struct bulk_undo *undo)
{
	char	*removed, *line;
	long	 expected = BULK_UNDONE_BEFORE + BULK_UNDONE;

	ck_assert_ptr_nonnull(removed = tl_read_file(undo->log));
	for (line = removed; expected > BULK_UNDONE_BEFORE;
	    line = strchr(line, '\n') + 1) {
		ck_assert_msg(*line != '\0', "%ld agents not removed",
		    expected - BULK_UNDONE_BEFORE);
		ck_assert_int_eq(strtol(line, NULL, 10), expected--);
	}
	free(removed);
}

/* Stop the daemon, cleanly, and free the rest. */
static void
bulk_undo_free(struct bulk_undo *undo)
{
	tl_close(undo->spawner);
	tl_daemon_stop_clean(undo->d);
	free(undo->params);
	free(undo->option);
	free(undo->log);
}

/* Return how many agents status says the demo's hook saw removed. */
static int64_t
bulk_removed(struct tl_conn *conn)
{
	struct json_object	*status;
	int64_t			 removed;

	status = tl_ok(conn, "status", NULL);
	removed = tl_int(tl_member(status, "demo"), "removed");
	json_object_put(status);
	return (removed);
}

/*
 * A spawn_n that fails late undoes its agents in slices, each through
 * the agent_removed hook of every extension, and only then answers its
 * error: is_ready on another connection is answered meanwhile. A
 * checkpoint and a spawn_n sent during the undo wait for its end: they
 * see, and number after, the agents of before.
 */
START_TEST(test_spawn_undo_sliced)
{
	struct bulk_undo	 undo;
	struct tl_conn		*other, *waiter;
	struct json_object	*reply;
	char			*folder;
	int64_t			 id;
	int			 during;

	bulk_undo_start(&undo);
	folder = tl_path(tl_tempdir(), "during-undo");
	other = tl_connect(undo.d->port);
	waiter = tl_connect(undo.d->port);
	other->timeout = waiter->timeout = 120;
	reply = bulk_watch_undo(undo.spawner, other, waiter, folder, &during);
	ck_assert_msg(during > 0, "no is_ready was answered while the "
	    "agents were undone");
	if (reply == NULL)
		reply = tl_read_json(undo.spawner, 120);
	bulk_undo_check_error(reply);
	/* What waited ran once the undo was over, in order. */
	for (id = 1; id <= 2; id++) {
		reply = tl_read_json(waiter, 120);
		ck_assert_int_eq(tl_int(reply, "id"), id);
		if (id == 1)
			ck_assert_int_eq(tl_int(tl_response_result(reply),
			    "agents"), BULK_UNDONE_BEFORE);
		else
			ck_assert_str_eq(json_object_get_string(tl_index(
			    tl_response_result(reply), 0)), bulk_address(undo.d,
			    BULK_UNDONE_BEFORE + 1));
		json_object_put(reply);
	}
	reply = tl_ok(other, "status", NULL);
	ck_assert_int_eq(tl_int(reply, "agents"), BULK_UNDONE_BEFORE + 1);
	json_object_put(reply);
	bulk_undo_check_log(&undo);
	tl_close(other);
	tl_close(waiter);
	bulk_undo_free(&undo);
	free(folder);
}
END_TEST

/*
 * A stop while a failing spawn_n is undone (status, read in the same
 * turn just before it, counts some agents removed and not all) ends
 * the undo at once: every agent still goes through the hook, the
 * spawn_n answers its own error, and the daemon exits cleanly.
 */
START_TEST(test_spawn_undo_stopped)
{
	struct bulk_undo	 undo;
	struct tl_conn		*other;
	struct json_object	*reply;
	int64_t			 removed;

	bulk_undo_start(&undo);
	other = tl_connect(undo.d->port);
	other->timeout = 120;
	while (bulk_removed(other) == 0)
		continue;
	tl_send_line(other, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"status\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"stop\"}");
	reply = tl_read_json(other, 120);
	ck_assert_int_eq(tl_int(reply, "id"), 1);
	removed = tl_int(tl_member(tl_response_result(reply), "demo"),
	    "removed");
	ck_assert_msg(removed > 0 && removed < BULK_UNDONE, "the stop came "
	    "with %lld of %d agents undone", (long long)removed, BULK_UNDONE);
	json_object_put(reply);
	reply = tl_read_json(other, 120);
	ck_assert_int_eq(tl_int(reply, "id"), 2);
	tl_assert_json(tl_response_result(reply), "true");
	json_object_put(reply);
	bulk_undo_check_error(tl_read_json(undo.spawner, 120));
	tl_expect_eof(other, 60);
	tl_close(other);
	bulk_undo_check_log(&undo);
	bulk_undo_free(&undo);
}
END_TEST

/*
 * A batch of 200,000 calls between set_time 1 and set_time 2 is served
 * in slices: another client asking the time while it runs sees 1, never
 * 2 first; every call is answered, in order; the daemon's peak memory
 * grows by a small multiple of the line at most.
 */
START_TEST(test_batch_sliced)
{
	struct tl_daemon	*d;
	struct tl_conn		*batcher, *other;
	struct json_object	*replies, *time;
	char			*line, *p, *text;
	size_t			 size, i, before, growth;
	double			 seen = 0;

	d = tl_daemon_start(NULL);
	batcher = tl_connect(d->port);
	other = tl_connect(d->port);
	batcher->timeout = other->timeout = 120;
	size = 64 * (BULK_BATCH_CALLS + 2) + 8;
	line = p = tl_calloc(1, size);
	p += sprintf(p, "[{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":"
	    "\"set_time\",\"params\":{\"t\":1}}");
	for (i = 1; i <= BULK_BATCH_CALLS; i++)
		p += sprintf(p, ",{\"jsonrpc\":\"2.0\",\"id\":%zu,"
		    "\"method\":\"get_time\"}", i);
	p += sprintf(p, ",{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
	    "\"set_time\",\"params\":{\"t\":2}}]\n", BULK_BATCH_CALLS + 1);
	before = (size_t)tl_proc_bytes(d->pid, "VmHWM");
	tl_send_raw(batcher, line, (size_t)(p - line));
	while (seen == 0) {
		time = tl_ok(other, "get_time", NULL);
		seen = json_object_get_double(time);
		json_object_put(time);
	}
	ck_assert_msg(seen == 1, "get_time saw %g: answered only after the "
	    "whole batch", seen);
	text = tl_expect_line(batcher, 120);
	replies = tl_json(text);
	ck_assert_int_eq(json_object_array_length(replies),
	    BULK_BATCH_CALLS + 2);
	for (i = 0; i < BULK_BATCH_CALLS + 2; i++)
		ck_assert_int_eq(tl_int(tl_index(replies, i), "id"),
		    (int64_t)i);
	ck_assert(json_object_get_double(tl_response_result(tl_index(
	    replies, BULK_BATCH_CALLS))) == 1);
	json_object_put(replies);
	growth = (size_t)tl_proc_bytes(d->pid, "VmHWM") - before;
#ifdef __SANITIZE_ADDRESS__
	growth = 0;	/* ASan's redzones and quarantine hold far more */
#endif
	ck_assert_msg(growth <= BULK_BATCH_PEAK * (size_t)(p - line),
	    "a batch of %zu bytes took the peak up by %zu bytes",
	    (size_t)(p - line), growth);
	free(text);
	free(line);
	tl_close(batcher);
	tl_close(other);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * A long line is taken from the socket as it comes and held once: a
 * request padded with blanks to 12 MB takes the daemon's peak memory up
 * by less than one and a half times its size (held in the input, then
 * copied out whole, it took twice), and another client is answered
 * while half of it has come.
 */
START_TEST(test_long_line_held_once)
{
	static const char	 request[] = "{\"jsonrpc\":\"2.0\",\"id\":7,"
				    "\"method\":\"is_ready\"}";
	struct tl_daemon	*d;
	struct tl_conn		*sender, *other;
	struct json_object	*reply;
	char			*line;
	size_t			 before, growth;

	d = tl_daemon_start(NULL);
	sender = tl_connect(d->port);
	other = tl_connect(d->port);
	sender->timeout = other->timeout = 120;
	line = tl_calloc(1, BULK_LONG_LINE);
	memset(line, ' ', BULK_LONG_LINE - 1);
	memcpy(line, request, sizeof request - 1);
	line[BULK_LONG_LINE - 1] = '\n';
	before = (size_t)tl_proc_bytes(d->pid, "VmHWM");
	tl_send_raw(sender, line, BULK_LONG_LINE / 2);
	tl_expect_result(other, "is_ready", NULL, "true");
	tl_send_raw(sender, line + BULK_LONG_LINE / 2, BULK_LONG_LINE / 2);
	reply = tl_read_json(sender, 120);
	ck_assert_int_eq(tl_int(reply, "id"), 7);
	ck_assert(json_object_get_boolean(tl_response_result(reply)));
	json_object_put(reply);
	growth = (size_t)tl_proc_bytes(d->pid, "VmHWM") - before;
#ifdef __SANITIZE_ADDRESS__
	growth = 0;	/* ASan's redzones and quarantine hold far more */
#endif
	ck_assert_msg(2 * growth < 3 * (size_t)BULK_LONG_LINE,
	    "a line of %d bytes took the peak up by %zu bytes",
	    BULK_LONG_LINE, growth);
	free(line);
	tl_close(sender);
	tl_close(other);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Connect to a daemon with a million noop agents, spawned without the
 * list of their addresses, and return the connection.
 */
static struct tl_conn *
bulk_connect_million(struct tl_daemon *d)
{
	struct tl_conn	*conn;

	conn = tl_connect(d->port);
	conn->timeout = 120;
	tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\",\"n\":"
	    BULK_SPAWN_SLICED_TEXT ",\"addresses\":false}",
	    BULK_SPAWN_SLICED_TEXT);
	return (conn);
}

/*
 * A list of every agent is written in slices and holds the agents: of
 * get_agents for a million agents, spawn and is_ready sent at once on
 * one connection, is_ready is answered first (between the list's
 * slices), then get_agents with the million, then spawn, which waited
 * for the list and so is not in it.
 */
START_TEST(test_list_sliced)
{
	static const char	 three[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"get_agents\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,"
	    "\"method\":\"spawn\",\"params\":{\"type\":\"noop\"}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"is_ready\"}\n";
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*reply, *agents;

	d = tl_daemon_start(NULL);
	conn = bulk_connect_million(d);
	tl_send_raw(conn, three, sizeof three - 1);
	reply = tl_read_json(conn, 120);
	ck_assert_msg(tl_int(reply, "id") == 3, "is_ready was not answered "
	    "first: %.200s", tl_json_text(reply));
	tl_assert_json(tl_response_result(reply), "true");
	json_object_put(reply);
	reply = tl_read_json(conn, 120);
	ck_assert_int_eq(tl_int(reply, "id"), 1);
	agents = tl_response_result(reply);
	ck_assert_int_eq(json_object_array_length(agents), BULK_SPAWN_SLICED);
	ck_assert_str_eq(json_object_get_string(tl_index(agents,
	    BULK_SPAWN_SLICED - 1)), bulk_address(d, BULK_SPAWN_SLICED));
	json_object_put(reply);
	reply = tl_read_json(conn, 120);
	ck_assert_int_eq(tl_int(reply, "id"), 2);
	ck_assert_str_eq(json_object_get_string(tl_response_result(reply)),
	    bulk_address(d, BULK_SPAWN_SLICED + 1));
	json_object_put(reply);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * stop while a list is being written ends it with -32007, and what
 * waits for it too; the daemon exits cleanly.
 */
START_TEST(test_list_stopped)
{
	static const char	 three[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"get_connections\"}\n{\"jsonrpc\":\"2.0\","
	    "\"id\":2,\"method\":\"get_agents\"}\n{\"jsonrpc\":\"2.0\","
	    "\"id\":3,\"method\":\"stop\"}\n";
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*reply;
	int			 seen[4] = { 0 };
	int64_t			 id;
	int			 i;

	d = tl_daemon_start(NULL);
	conn = bulk_connect_million(d);
	tl_send_raw(conn, three, sizeof three - 1);
	for (i = 0; i < 3; i++) {
		reply = tl_read_json(conn, 120);
		id = tl_int(reply, "id");
		ck_assert_msg(id >= 1 && id <= 3 && !seen[id], "%.200s",
		    tl_json_text(reply));
		seen[id] = 1;
		if (id == 3)
			tl_assert_json(tl_response_result(reply), "true");
		else
			ck_assert_msg(tl_response_code(reply) == -32007,
			    "%.200s", tl_json_text(reply));
		json_object_put(reply);
	}
	tl_expect_eof(conn, 60);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Send a request and is_ready at once on a connection: is_ready must be
 * answered first (the request runs in slices), then the request, null.
 */
static void
bulk_expect_sliced(struct tl_conn *conn, const char *method,
    const char *params)
{
	struct json_object	*reply;

	tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"%s\",\"params\":%s}\n{\"jsonrpc\":\"2.0\",\"id\":2,"
	    "\"method\":\"is_ready\"}", method, params);
	reply = tl_read_json(conn, 120);
	ck_assert_msg(tl_int(reply, "id") == 2, "%s: is_ready was not "
	    "answered first: %.200s", method, tl_json_text(reply));
	json_object_put(reply);
	reply = tl_read_json(conn, 120);
	ck_assert_int_eq(tl_int(reply, "id"), 1);
	tl_assert_json(tl_response_result(reply), "null");
	json_object_put(reply);
}

/* Check how many connections agent n of a daemon has. */
static void
bulk_expect_connections(struct tl_daemon *d, struct tl_conn *conn, long n,
    size_t count)
{
	struct json_object	*connections;

	connections = tl_okf(conn, "agent.get_connections",
	    "{\"agent\":\"%s\"}", bulk_address(d, n));
	ck_assert_int_eq(json_object_array_length(connections), count);
	json_object_put(connections);
}

/*
 * create_random_connections and clear_connections among a million
 * agents run in slices: is_ready sent with each is answered first; the
 * agents have their connection, then none.
 */
START_TEST(test_connections_sliced)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;

	d = tl_daemon_start(NULL);
	conn = bulk_connect_million(d);
	bulk_expect_sliced(conn, "create_random_connections", "{\"n\":1}");
	bulk_expect_connections(d, conn, 1, 1);
	bulk_expect_connections(d, conn, BULK_SPAWN_SLICED, 1);
	bulk_expect_sliced(conn, "clear_connections", "{}");
	bulk_expect_connections(d, conn, 1, 0);
	bulk_expect_connections(d, conn, BULK_SPAWN_SLICED, 0);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Collect the bulk tests. */
Suite *
suite_bulk(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("bulk");
	tc = tcase_create("bulk");
	tcase_set_timeout(tc, BULK_TEST_TIMEOUT);
#ifndef __SANITIZE_ADDRESS__
	/*
	 * ASan reserves terabytes of address space, so no address space
	 * limit can be set under it: these tests are not run there (and so
	 * not counted), rather than passing without a check.
	 */
	tcase_add_test(tc, test_spawn_out_of_memory);
	tcase_add_test(tc, test_spawn_out_of_memory_master);
	tcase_add_test(tc, test_random_connections_out_of_memory);
	tcase_add_test(tc, test_restore_out_of_memory);
#else
	(void)test_spawn_out_of_memory;
	(void)test_spawn_out_of_memory_master;
	(void)test_random_connections_out_of_memory;
	(void)test_restore_out_of_memory;
#endif
	tcase_add_test(tc, test_spawn_count_master);
	tcase_add_test(tc, test_spawn_sliced);
	tcase_add_test(tc, test_spawn_all_or_nothing);
	tcase_add_test(tc, test_spawn_undo_sliced);
	tcase_add_test(tc, test_spawn_undo_stopped);
	tcase_add_test(tc, test_batch_sliced);
	tcase_add_test(tc, test_long_line_held_once);
	tcase_add_test(tc, test_list_sliced);
	tcase_add_test(tc, test_list_stopped);
	tcase_add_test(tc, test_connections_sliced);
	suite_add_tcase(suite, tc);
	return (suite);
}
