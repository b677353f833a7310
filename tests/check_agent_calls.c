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
 * End-to-end tests of agent-to-agent calls and of what a round reports,
 * with real daemons and the pingpong test plugin: a pinger in one slave
 * calls pongers in another, in the same one, or in one that is stopped
 * (SIGSTOP), killed or too slow; a round waits for every call, chained
 * ones too, and reports each failure as an error entry.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

/* Error codes, as slave.md gives them. */
#define E_AGENT_NOT_FOUND	-32001
#define E_TIMED_OUT		-32003
#define E_AGENT_FAILED		-32008
#define E_CONNECTION_LOST	-32009
#define E_BUSY			-32010
#define PROMPT			5.0	/* seconds: "at once", loaded machine */
#define ROUND_MIB		64.0	/* 500,000 calls at once take more */
#define KEPT_MIB		32.0	/* and keep less once idle */

Suite	*suite_agent_calls(void);

/* Spawn n agents of a type; their addresses (a new reference). */
static struct json_object *
spawn_n(struct tl_conn *conn, const char *type, int n)
{
	struct json_object	*addresses;

	addresses = tl_okf(conn, "spawn_n", "{\"type\":\"%s\",\"n\":%d}",
	    type, n);
	ck_assert_msg(json_object_is_type(addresses, json_type_array) &&
	    json_object_array_length(addresses) == (size_t)n,
	    "spawn_n %s %d: %s", type, n, tl_json_text(addresses));
	return (addresses);
}

/* Return element i of a list of addresses. */
static const char *
address_at(struct json_object *addresses, size_t i)
{
	return (json_object_get_string(tl_index(addresses, i)));
}

/* Connect an agent to a JSON list of connections with create_connections. */
static void
connect_agent(struct tl_conn *conn, const char *agent, const char *list)
{
	struct json_object	*added, *flags;
	size_t			 i;

	added = tl_okf(conn, "create_connections", "{\"map\":{\"%s\":%s}}",
	    agent, list);
	flags = tl_index(added, 0);
	ck_assert_msg(json_object_array_length(added) == 1 &&
	    json_object_is_type(flags, json_type_array), "create_connections "
	    "%s: %s", agent, tl_json_text(added));
	for (i = 0; i < json_object_array_length(flags); i++)
		tl_assert_json(tl_index(flags, i), "true");
	json_object_put(added);
}

/* Connect an agent to every address of a list. */
static void
connect_to_all(struct tl_conn *conn, const char *agent,
    struct json_object *addresses)
{
	connect_agent(conn, agent, tl_json_text(addresses));
}

/* Call agent.METHOD on an agent and return its integer result. */
static int64_t
agent_int(struct tl_conn *conn, const char *agent, const char *method)
{
	struct json_object	*result;
	int64_t			 value;

	result = tl_okf(conn, method, "{\"agent\":\"%s\"}", agent);
	ck_assert_msg(json_object_is_type(result, json_type_int),
	    "%s of %s: %s", method, agent, tl_json_text(result));
	value = json_object_get_int64(result);
	json_object_put(result);
	return (value);
}

/* Check a trigger_all result's shape; returns it. */
static struct json_object *
check_round(struct json_object *round)
{
	ck_assert_msg(json_object_is_type(round, json_type_object),
	    "trigger_all: %s", tl_json_text(round));
	tl_int(round, "agents");
	tl_int(round, "failed");
	tl_int(round, "elapsed_us");
	tl_int(round, "round");
	ck_assert_msg(json_object_is_type(tl_member(round, "errors"),
	    json_type_array), "no errors list in %s", tl_json_text(round));
	return (round);
}

/* Run trigger_all with params (NULL for none) and return its result. */
static struct json_object *
trigger(struct tl_conn *conn, const char *params)
{
	return (check_round(tl_ok(conn, "trigger_all", params)));
}

/* Read the response to a trigger_all sent with an id; its result. */
static struct json_object *
read_round(struct tl_conn *conn, int64_t id, double seconds)
{
	struct json_object	*response, *round;

	response = tl_read_json(conn, seconds);
	ck_assert_msg(tl_int(response, "id") == id, "expected id %lld in %s",
	    (long long)id, tl_json_text(response));
	round = json_object_get(tl_response_result(response));
	json_object_put(response);
	return (check_round(round));
}

/*
 * Count a round's error entries with a code and, unless agent is NULL,
 * naming that agent.
 */
static size_t
count_errors(struct json_object *round, int code, const char *agent)
{
	struct json_object	*errors = tl_member(round, "errors"), *entry;
	struct json_object	*who;
	size_t			 i, count = 0;

	for (i = 0; i < json_object_array_length(errors); i++) {
		entry = tl_index(errors, i);
		tl_string(entry, "message");
		who = tl_member(entry, "agent");
		if (tl_int(entry, "code") != code)
			continue;
		if (agent != NULL && (who == NULL ||
		    strcmp(json_object_get_string(who), agent) != 0))
			continue;
		count++;
	}
	return (count);
}

/* Return the number of a round's error entries. */
static size_t
error_entries(struct json_object *round)
{
	return (json_object_array_length(tl_member(round, "errors")));
}

/* Return the address of agent N of a daemon. */
static char *
agent_address(const struct tl_daemon *d, int n)
{
	char	*address;

	if (asprintf(&address, "tcp://127.0.0.1:%u/%d", d->port, n) == -1)
		ck_abort_msg("out of memory");
	return (address);
}

/*
 * Pingers in one daemon call pongers in another: every round waits for
 * the replies (a round cannot end while the pongers' daemon is stopped),
 * and right after it "replies" counts every connection of every round.
 */
START_TEST(test_remote_pings_every_round)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pongers, *pingers, *round;
	char			*line;
	int64_t			 replies;
	size_t			 i;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pongers = spawn_n(cb, "ponger", 5);
	pingers = spawn_n(ca, "pinger", 3);
	for (i = 0; i < 3; i++)
		connect_to_all(ca, address_at(pingers, i), pongers);

	for (r = 1; r <= 30; r++) {
		if (r % 3 == 0) {
			/* The round waits while the pongers cannot answer. */
			tl_signal(b->pid, SIGSTOP);
			tl_send_call(ca, 1000 + r, "trigger_all", NULL);
			ck_assert_msg(tl_read_line(ca, 0.2, &line) ==
			    TL_READ_TIMEOUT, "round %d ended with the pongers' "
			    "daemon stopped: %s", r, line);
			tl_signal(b->pid, SIGCONT);
			round = read_round(ca, 1000 + r, 10);
		} else
			round = trigger(ca, NULL);
		ck_assert_int_eq(tl_int(round, "round"), r);
		ck_assert_int_eq(tl_int(round, "agents"), 3);
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		ck_assert_msg(error_entries(round) == 0, "round %d: %s", r,
		    tl_json_text(round));
		for (i = 0; i < 3; i++) {
			replies = agent_int(ca, address_at(pingers, i),
			    "agent.replies");
			ck_assert_msg(replies == 5 * r, "round %d: pinger %zu "
			    "has %lld replies, want %d", r, i,
			    (long long)replies, 5 * r);
			ck_assert_int_eq(agent_int(ca, address_at(pingers, i),
			    "agent.errors"), 0);
		}
		json_object_put(round);
	}
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(agent_int(cb, address_at(pongers, i),
		    "agent.pings"), 3 * 30);

	json_object_put(pongers);
	json_object_put(pingers);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * The same within one daemon (calls served without a socket): a call to
 * a missing local agent in every round proves that the round waited for
 * the local calls, whose answers come from the event loop later.
 */
START_TEST(test_local_pings_every_round)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*pongers, *pingers, *round;
	char			*missing, *list;
	size_t			 i;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	pingers = spawn_n(ca, "pinger", 4);
	pongers = spawn_n(ca, "ponger", 6);
	missing = agent_address(a, 99);
	for (i = 0; i < 4; i++)
		connect_to_all(ca, address_at(pingers, i), pongers);
	if (asprintf(&list, "[\"%s\"]", missing) == -1)
		ck_abort_msg("out of memory");
	connect_agent(ca, address_at(pingers, 0), list);

	for (r = 1; r <= 30; r++) {
		round = trigger(ca, NULL);
		ck_assert_int_eq(tl_int(round, "round"), r);
		ck_assert_int_eq(tl_int(round, "agents"), 10);
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		ck_assert_msg(error_entries(round) == 1 &&
		    count_errors(round, E_AGENT_NOT_FOUND,
		    address_at(pingers, 0)) == 1, "round %d: want one -32001 "
		    "entry from %s: %s", r, address_at(pingers, 0),
		    tl_json_text(round));
		for (i = 0; i < 4; i++) {
			ck_assert_int_eq(agent_int(ca, address_at(pingers, i),
			    "agent.replies"), 6 * r);
			ck_assert_int_eq(agent_int(ca, address_at(pingers, i),
			    "agent.errors"), i == 0 ? r : 0);
		}
		json_object_put(round);
	}
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(agent_int(ca, address_at(pongers, i),
		    "agent.pings"), 4 * 30);

	free(list);
	free(missing);
	json_object_put(pongers);
	json_object_put(pingers);
	tl_close(ca);
	tl_daemon_assert_alive(a);
	tl_daemon_stop_clean(a);
}
END_TEST

/* One pinger with local and remote pongers: both paths in one round. */
START_TEST(test_mixed_local_and_remote)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*local, *remote, *pinger, *round;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	local = spawn_n(ca, "ponger", 3);
	remote = spawn_n(cb, "ponger", 4);
	connect_to_all(ca, address_at(pinger, 0), local);
	connect_to_all(ca, address_at(pinger, 0), remote);
	for (r = 1; r <= 10; r++) {
		round = trigger(ca, "{\"results\":true}");
		tl_assert_json(tl_member(round, "results"),
		    "[7, null, null, null]");
		ck_assert_msg(error_entries(round) == 0, "%s",
		    tl_json_text(round));
		ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
		    "agent.replies"), 7 * r);
		json_object_put(round);
	}
	json_object_put(local);
	json_object_put(remote);
	json_object_put(pinger);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * Many calls in flight on one pipelined connection: 50 pingers each call
 * 200 pongers of another daemon, 10,000 calls a round, all answered.
 */
START_TEST(test_many_calls_in_flight)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pongers, *pingers, *round;
	size_t			 i;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pongers = spawn_n(cb, "ponger", 200);
	pingers = spawn_n(ca, "pinger", 50);
	for (i = 0; i < 50; i++)
		connect_to_all(ca, address_at(pingers, i), pongers);
	for (r = 1; r <= 3; r++) {
		round = trigger(ca, NULL);
		ck_assert_msg(error_entries(round) == 0, "round %d: %.500s", r,
		    tl_json_text(round));
		json_object_put(round);
		for (i = 0; i < 50; i += 7)
			ck_assert_int_eq(agent_int(ca, address_at(pingers, i),
			    "agent.replies"), 200 * r);
	}
	for (i = 0; i < 200; i += 11)
		ck_assert_int_eq(agent_int(cb, address_at(pongers, i),
		    "agent.pings"), 50 * 3);

	json_object_put(pongers);
	json_object_put(pingers);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * Two daemons whose rounds run at the same time call each other's
 * agents: each serves the other's calls while its own round waits.
 */
START_TEST(test_mutual_calls)
{
	struct tl_daemon	*d[2];
	struct tl_conn		*conn[2];
	struct json_object	*pingers[2], *pongers[2], *round;
	size_t			 i, j;
	int			 r;

	for (i = 0; i < 2; i++) {
		d[i] = tl_daemon_start_plugin("pingpong", NULL);
		conn[i] = tl_connect(d[i]->port);
		pingers[i] = spawn_n(conn[i], "pinger", 3);
		pongers[i] = spawn_n(conn[i], "ponger", 4);
	}
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 3; j++)
			connect_to_all(conn[i], address_at(pingers[i], j),
			    pongers[1 - i]);
	}
	for (r = 1; r <= 10; r++) {
		for (i = 0; i < 2; i++)
			tl_send_call(conn[i], 500 + r, "trigger_all", NULL);
		for (i = 0; i < 2; i++) {
			round = read_round(conn[i], 500 + r, 10);
			ck_assert_msg(error_entries(round) == 0, "%s",
			    tl_json_text(round));
			json_object_put(round);
			for (j = 0; j < 3; j++)
				ck_assert_int_eq(agent_int(conn[i],
				    address_at(pingers[i], j),
				    "agent.replies"), 4 * r);
		}
	}
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 4; j++)
			ck_assert_int_eq(agent_int(conn[i],
			    address_at(pongers[i], j), "agent.pings"), 3 * 10);
	}
	for (i = 0; i < 2; i++) {
		json_object_put(pingers[i]);
		json_object_put(pongers[i]);
		tl_close(conn[i]);
		tl_daemon_assert_alive(d[i]);
		tl_daemon_stop_clean(d[i]);
	}
}
END_TEST

/*
 * A call started from a reply callback keeps the round open: a chainer
 * calls local pongers, then from each reply a ponger in another daemon.
 * With a single chain, the round has no call in flight at all between
 * the first reply and the chained call; while the other daemon is
 * stopped the round must last until the call timeout and report the
 * chained call. Had it ended with the first reply, it would be quick
 * and clean.
 */
START_TEST(test_chained_call_keeps_round_open)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*chainer, *local, *remote, *round;
	char			*list;
	double			 started, elapsed;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", "call_timeout=1");
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	chainer = spawn_n(ca, "chainer", 1);
	local = spawn_n(ca, "ponger", 3);
	remote = spawn_n(cb, "ponger", 2);
	/* Two chains from here to the other daemon, one to the same ponger. */
	if (asprintf(&list, "[[\"%s\",{\"then\":\"%s\"}],[\"%s\",{\"then\":"
	    "\"%s\"}],\"%s\"]", address_at(local, 0), address_at(remote, 0),
	    address_at(local, 1), address_at(remote, 1),
	    address_at(local, 2)) == -1)
		ck_abort_msg("out of memory");
	connect_agent(ca, address_at(chainer, 0), list);

	for (r = 1; r <= 10; r++) {
		round = trigger(ca, NULL);
		ck_assert_msg(error_entries(round) == 0, "round %d: %s", r,
		    tl_json_text(round));
		ck_assert_msg(agent_int(ca, address_at(chainer, 0),
		    "agent.replies") == 6 * r, "round %d: the chained calls "
		    "were not all answered when the round ended", r);
		json_object_put(round);
	}
	ck_assert_int_eq(agent_int(ca, address_at(local, 0), "agent.pings"),
	    10);
	ck_assert_int_eq(agent_int(cb, address_at(remote, 0), "agent.pings"),
	    10);
	ck_assert_int_eq(agent_int(ca, address_at(local, 2), "agent.pings"),
	    20);

	/* One chain only: a local ponger, then one in the other daemon. */
	json_object_put(tl_ok(ca, "clear_connections", NULL));
	free(list);
	if (asprintf(&list, "[[\"%s\",{\"then\":\"%s\"}]]",
	    address_at(local, 0), address_at(remote, 0)) == -1)
		ck_abort_msg("out of memory");
	connect_agent(ca, address_at(chainer, 0), list);
	for (r = 1; r <= 5; r++) {
		round = trigger(ca, NULL);
		ck_assert_msg(error_entries(round) == 0, "round %d: %s", r,
		    tl_json_text(round));
		json_object_put(round);
		ck_assert_int_eq(agent_int(ca, address_at(chainer, 0),
		    "agent.replies"), 6 * 10 + 2 * r);
	}
	tl_signal(b->pid, SIGSTOP);
	started = tl_now();
	round = trigger(ca, NULL);
	elapsed = tl_now() - started;
	ck_assert_msg(elapsed >= 0.9 && elapsed < 5, "the round with a chained "
	    "call to a stopped daemon took %.3f s, want about call_timeout "
	    "(1 s): %s", elapsed, tl_json_text(round));
	ck_assert_msg(count_errors(round, E_TIMED_OUT,
	    address_at(chainer, 0)) == 1 && error_entries(round) == 1,
	    "want one -32003 entry from the chainer (its chained call): %s",
	    tl_json_text(round));
	ck_assert_int_eq(agent_int(ca, address_at(chainer, 0),
	    "agent.replies"), 6 * 10 + 2 * 5 + 1);
	json_object_put(round);
	tl_signal(b->pid, SIGCONT);

	free(list);
	json_object_put(chainer);
	json_object_put(local);
	json_object_put(remote);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * A call to a daemon that is stopped times out after call_timeout: the
 * round ends after about a second with a -32003 entry per call. Once the
 * daemon runs again, the late answers are dropped and rounds work again.
 */
START_TEST(test_stopped_peer_times_out)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pinger, *pongers, *round, *last;
	double			 started, elapsed;

	a = tl_daemon_start_plugin("pingpong", "call_timeout=1");
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	pongers = spawn_n(cb, "ponger", 2);
	connect_to_all(ca, address_at(pinger, 0), pongers);
	round = trigger(ca, NULL);
	ck_assert_int_eq(error_entries(round), 0);
	json_object_put(round);

	tl_signal(b->pid, SIGSTOP);
	started = tl_now();
	round = trigger(ca, NULL);
	elapsed = tl_now() - started;
	ck_assert_msg(elapsed >= 0.9 && elapsed < 4, "round took %.3f s, want "
	    "about call_timeout (1 s)", elapsed);
	ck_assert_msg(tl_int(round, "elapsed_us") >= 900000, "elapsed_us in "
	    "%s", tl_json_text(round));
	ck_assert_msg(count_errors(round, E_TIMED_OUT, address_at(pinger, 0))
	    == 2 && error_entries(round) == 2, "want two -32003 entries from "
	    "the pinger: %s", tl_json_text(round));
	ck_assert_int_eq(tl_int(round, "failed"), 0);
	json_object_put(round);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0), "agent.errors"),
	    2);
	last = tl_okf(ca, "agent.last_error", "{\"agent\":\"%s\"}",
	    address_at(pinger, 0));
	ck_assert_int_eq(tl_int(last, "code"), E_TIMED_OUT);
	json_object_put(last);

	/* The late replies must not count, nor turn up in the next round. */
	tl_signal(b->pid, SIGCONT);
	round = trigger(ca, NULL);
	ck_assert_msg(error_entries(round) == 0, "after SIGCONT: %s",
	    tl_json_text(round));
	json_object_put(round);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 4);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0), "agent.errors"),
	    2);

	json_object_put(pinger);
	json_object_put(pongers);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * A call to a daemon that was killed fails with -32009 (connection lost)
 * at once, long before the call timeout, in this round and the next.
 */
START_TEST(test_killed_peer_connection_lost)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pinger, *pongers, *round, *last;
	struct tl_exit		 e;
	double			 started;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	pongers = spawn_n(cb, "ponger", 3);
	connect_to_all(ca, address_at(pinger, 0), pongers);
	round = trigger(ca, NULL);
	ck_assert_int_eq(error_entries(round), 0);
	json_object_put(round);

	tl_close(cb);
	e = tl_daemon_signal(b, SIGKILL, 5);
	ck_assert_msg(e.known && WIFSIGNALED(e.status), "%s",
	    tl_exit_string(&e));
	tl_daemon_free(b);
	for (r = 0; r < 2; r++) {
		started = tl_now();
		round = trigger(ca, NULL);
		ck_assert_msg(tl_now() - started < 5, "round %d took %.1f s",
		    r, tl_now() - started);
		ck_assert_msg(count_errors(round, E_CONNECTION_LOST,
		    address_at(pinger, 0)) == 3 && error_entries(round) == 3,
		    "want three -32009 entries: %s", tl_json_text(round));
		json_object_put(round);
	}
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0), "agent.errors"),
	    6);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 3);
	last = tl_okf(ca, "agent.last_error", "{\"agent\":\"%s\"}",
	    address_at(pinger, 0));
	ck_assert_int_eq(tl_int(last, "code"), E_CONNECTION_LOST);
	json_object_put(last);

	json_object_put(pinger);
	json_object_put(pongers);
	tl_close(ca);
	tl_daemon_assert_alive(a);
	tl_daemon_stop_clean(a);
}
END_TEST

/*
 * A daemon killed while calls to it are in flight: they fail with -32009
 * as soon as the connection breaks, not after the call timeout (30 s).
 */
START_TEST(test_peer_killed_during_round)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pinger, *pongers, *round, *response;
	char			*line;
	double			 started;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	pongers = spawn_n(cb, "ponger", 2);
	connect_to_all(ca, address_at(pinger, 0), pongers);
	round = trigger(ca, NULL);
	json_object_put(round);

	tl_signal(b->pid, SIGSTOP);
	tl_send_call(ca, 77, "trigger_all", NULL);
	ck_assert_msg(tl_read_line(ca, 0.3, &line) == TL_READ_TIMEOUT,
	    "the round ended with its calls unanswered: %s", line);
	tl_close(cb);
	started = tl_now();
	tl_daemon_signal(b, SIGKILL, 5);
	tl_daemon_free(b);
	response = tl_read_json(ca, 10);
	ck_assert_msg(tl_now() - started < 5, "the round took %.1f s after "
	    "the kill", tl_now() - started);
	round = check_round(tl_response_result(response));
	ck_assert_msg(count_errors(round, E_CONNECTION_LOST,
	    address_at(pinger, 0)) == 2 && error_entries(round) == 2,
	    "want two -32009 entries: %s", tl_json_text(round));
	json_object_put(response);

	json_object_put(pinger);
	json_object_put(pongers);
	tl_close(ca);
	tl_daemon_assert_alive(a);
	tl_daemon_stop_clean(a);
}
END_TEST

/* Calls to agents that do not exist, here and in another daemon: -32001. */
START_TEST(test_missing_agent)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pinger, *ponger, *round, *last;
	char			*here, *there, *list;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	ponger = spawn_n(cb, "ponger", 1);
	here = agent_address(a, 99);
	there = agent_address(b, 42);
	if (asprintf(&list, "[\"%s\",\"%s\",\"%s\"]", here, there,
	    address_at(ponger, 0)) == -1)
		ck_abort_msg("out of memory");
	connect_agent(ca, address_at(pinger, 0), list);

	round = trigger(ca, NULL);
	ck_assert_msg(count_errors(round, E_AGENT_NOT_FOUND,
	    address_at(pinger, 0)) == 2 && error_entries(round) == 2,
	    "want two -32001 entries: %s", tl_json_text(round));
	ck_assert_int_eq(tl_int(round, "failed"), 0);
	json_object_put(round);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 1);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0), "agent.errors"),
	    2);
	last = tl_okf(ca, "agent.last_error", "{\"agent\":\"%s\"}",
	    address_at(pinger, 0));
	ck_assert_int_eq(tl_int(last, "code"), E_AGENT_NOT_FOUND);
	json_object_put(last);

	free(here);
	free(there);
	free(list);
	json_object_put(pinger);
	json_object_put(ponger);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * trigger_all's timeout shorter than the call timeout (30 s) ends the
 * round with a -32003 entry; the call answered later calls back once
 * and stays out of the next round.
 */
START_TEST(test_round_timeout_before_call_timeout)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pinger, *ponger, *round;
	double			 started, elapsed;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	ponger = spawn_n(cb, "ponger", 1);
	connect_to_all(ca, address_at(pinger, 0), ponger);

	tl_signal(b->pid, SIGSTOP);
	started = tl_now();
	round = trigger(ca, "{\"timeout\":0.5}");
	elapsed = tl_now() - started;
	ck_assert_msg(elapsed >= 0.45 && elapsed < 3, "round took %.3f s, "
	    "want about 0.5 s", elapsed);
	ck_assert_msg(count_errors(round, E_TIMED_OUT, NULL) >= 1, "no -32003 "
	    "entry: %s", tl_json_text(round));
	json_object_put(round);
	tl_signal(b->pid, SIGCONT);

	round = trigger(ca, NULL);
	ck_assert_msg(error_entries(round) == 0, "the next round: %s",
	    tl_json_text(round));
	json_object_put(round);
	/* The late reply and this round's reply, each counted once. */
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 2);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0), "agent.errors"),
	    0);

	json_object_put(pinger);
	json_object_put(ponger);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * slave.md: when the round timeout passes, "every unanswered call is an
 * error entry": three calls unanswered, three -32003 entries naming the
 * agent that made them.
 */
START_TEST(test_round_timeout_entry_per_call)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*pinger, *pongers, *round;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	pinger = spawn_n(ca, "pinger", 1);
	pongers = spawn_n(cb, "ponger", 3);
	connect_to_all(ca, address_at(pinger, 0), pongers);

	tl_signal(b->pid, SIGSTOP);
	round = trigger(ca, "{\"timeout\":0.3}");
	tl_signal(b->pid, SIGCONT);
	ck_assert_msg(count_errors(round, E_TIMED_OUT, address_at(pinger, 0))
	    == 3, "want one -32003 entry per unanswered call, each naming "
	    "the caller %s: %s", address_at(pinger, 0), tl_json_text(round));
	json_object_put(round);

	json_object_put(pinger);
	json_object_put(pongers);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * A second trigger_all while a round runs is -32010 busy; status says a
 * round is running. A client that leaves during its round harms nothing.
 */
START_TEST(test_busy_and_caller_gone)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb, *other;
	struct json_object	*pinger, *ponger, *status, *error, *round;
	char			*line;
	int			 i;

	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	other = tl_connect(a->port);
	pinger = spawn_n(ca, "pinger", 1);
	ponger = spawn_n(cb, "ponger", 1);
	connect_to_all(ca, address_at(pinger, 0), ponger);

	tl_signal(b->pid, SIGSTOP);
	tl_send_call(ca, 5, "trigger_all", "{\"timeout\":1}");
	ck_assert_msg(tl_read_line(ca, 0.2, &line) == TL_READ_TIMEOUT,
	    "the round ended early: %s", line);
	error = tl_err(other, E_BUSY, "trigger_all", NULL);
	json_object_put(error);
	status = tl_ok(other, "status", NULL);
	tl_assert_json(tl_member(status, "round_running"), "true");
	json_object_put(status);
	/* The caller leaves; the round ends with no one to tell. */
	tl_close(ca);
	for (i = 0; i < 3; i++)
		usleep(500 * 1000);
	status = tl_ok(other, "status", NULL);
	tl_assert_json(tl_member(status, "round_running"), "false");
	ck_assert_int_eq(tl_int(status, "rounds"), 1);
	json_object_put(status);
	tl_signal(b->pid, SIGCONT);
	round = trigger(other, NULL);
	ck_assert_int_eq(error_entries(round), 0);
	json_object_put(round);

	json_object_put(pinger);
	json_object_put(ponger);
	tl_close(other);
	tl_close(cb);
	tl_daemon_assert_alive(a);
	tl_daemon_assert_alive(b);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
}
END_TEST

/*
 * Publishers' artifacts are in get_artifacts with creator, obj, time and
 * round, in publication order; the creator filter keeps one agent's.
 */
START_TEST(test_publisher_artifacts)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*publishers, *counter, *round, *artifacts;
	struct json_object	*result;
	char			*expected, *one;
	const char		*p1, *p2;

	a = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	publishers = spawn_n(ca, "publisher", 2);
	counter = spawn_n(ca, "counter", 1);
	p1 = address_at(publishers, 0);
	p2 = address_at(publishers, 1);
	artifacts = tl_ok(ca, "get_artifacts", NULL);
	tl_assert_json(artifacts, "[]");
	json_object_put(artifacts);

	result = tl_ok(ca, "set_time", "{\"t\":2.5}");
	json_object_put(result);
	round = trigger(ca, NULL);
	json_object_put(round);
	result = tl_ok(ca, "set_time", "{\"t\":7.25}");
	json_object_put(result);
	round = trigger(ca, "{\"round\":42}");
	json_object_put(round);

	if (asprintf(&expected, "["
	    "{\"creator\":\"%s\",\"obj\":{\"n\":1,\"by\":1},\"time\":2.5,"
	    "\"round\":1},"
	    "{\"creator\":\"%s\",\"obj\":{\"n\":1,\"by\":2},\"time\":2.5,"
	    "\"round\":1},"
	    "{\"creator\":\"%s\",\"obj\":{\"n\":2,\"by\":1},\"time\":7.25,"
	    "\"round\":42},"
	    "{\"creator\":\"%s\",\"obj\":{\"n\":2,\"by\":2},\"time\":7.25,"
	    "\"round\":42}]", p1, p2, p1, p2) == -1)
		ck_abort_msg("out of memory");
	artifacts = tl_ok(ca, "get_artifacts", NULL);
	tl_assert_json(artifacts, expected);
	json_object_put(artifacts);

	if (asprintf(&one, "["
	    "{\"creator\":\"%s\",\"obj\":{\"n\":1,\"by\":2},\"time\":2.5,"
	    "\"round\":1},"
	    "{\"creator\":\"%s\",\"obj\":{\"n\":2,\"by\":2},\"time\":7.25,"
	    "\"round\":42}]", p2, p2) == -1)
		ck_abort_msg("out of memory");
	artifacts = tl_okf(ca, "get_artifacts", "{\"creator\":\"%s\"}", p2);
	tl_assert_json(artifacts, one);
	json_object_put(artifacts);
	artifacts = tl_okf(ca, "get_artifacts", "{\"creator\":\"%s\"}",
	    address_at(counter, 0));
	tl_assert_json(artifacts, "[]");
	json_object_put(artifacts);

	free(expected);
	free(one);
	json_object_put(publishers);
	json_object_put(counter);
	tl_close(ca);
	tl_daemon_assert_alive(a);
	tl_daemon_stop_clean(a);
}
END_TEST

/*
 * A failing act counts in "failed" with a -32008 entry carrying its
 * message, and the agents after it still act and their calls complete.
 */
START_TEST(test_failer)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*round, *error, *entry;
	char			*counter1, *failer, *pinger, *counter2;
	const char		*types[] = { "counter", "failer", "pinger",
				    "ponger", "counter" };
	size_t			 i;
	int			 r;

	a = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	for (i = 0; i < 5; i++)
		json_object_put(tl_okf(ca, "spawn", "{\"type\":\"%s\"}",
		    types[i]));
	counter1 = agent_address(a, 1);
	failer = agent_address(a, 2);
	pinger = agent_address(a, 3);
	counter2 = agent_address(a, 5);
	json_object_put(tl_okf(ca, "agent.add_connection",
	    "{\"agent\":3,\"addr\":\"tcp://127.0.0.1:%u/4\"}", a->port));

	for (r = 1; r <= 3; r++) {
		round = trigger(ca, "{\"results\":true}");
		ck_assert_int_eq(tl_int(round, "agents"), 5);
		ck_assert_int_eq(tl_int(round, "failed"), 1);
		ck_assert_msg(error_entries(round) == 1, "%s",
		    tl_json_text(round));
		entry = tl_index(tl_member(round, "errors"), 0);
		ck_assert_str_eq(tl_string(entry, "agent"), failer);
		ck_assert_int_eq(tl_int(entry, "code"), E_AGENT_FAILED);
		ck_assert_str_eq(tl_string(entry, "message"),
		    "failer 2 refuses to act");
		tl_assert_json(tl_member(round, "results"),
		    r == 1 ? "[1, null, 1, null, 1]" :
		    r == 2 ? "[2, null, 1, null, 2]" :
		    "[3, null, 1, null, 3]");
		json_object_put(round);
		ck_assert_int_eq(agent_int(ca, counter1, "agent.get"), r);
		ck_assert_int_eq(agent_int(ca, counter2, "agent.get"), r);
		ck_assert_int_eq(agent_int(ca, pinger, "agent.replies"), r);
	}

	/* Outside a round the failure is the call's error. */
	error = tl_err(ca, E_AGENT_FAILED, "trigger_act", "{\"agent\":2}");
	ck_assert_msg(strstr(tl_string(error, "message"),
	    "failer 2 refuses to act") != NULL, "%s", tl_json_text(error));
	ck_assert_str_eq(tl_string(error, "data"), failer);
	json_object_put(error);

	free(counter1);
	free(failer);
	free(pinger);
	free(counter2);
	tl_close(ca);
	tl_daemon_assert_alive(a);
	tl_daemon_stop_clean(a);
}
END_TEST

/*
 * A round given a number runs once: trigger_all with round 7 twice gets
 * the same answer and the counter counts once; round 8 runs again.
 */
START_TEST(test_cached_round)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*first, *second, *third, *status;
	char			*counter;

	a = tl_daemon_start_plugin("pingpong", NULL);
	counter = agent_address(a, 1);
	ca = tl_connect(a->port);
	json_object_put(tl_ok(ca, "spawn", "{\"type\":\"counter\"}"));
	first = trigger(ca, "{\"round\":7,\"results\":true}");
	ck_assert_int_eq(tl_int(first, "round"), 7);
	tl_assert_json(tl_member(first, "results"), "[1]");
	second = trigger(ca, "{\"round\":7,\"results\":true}");
	ck_assert_msg(json_object_equal(first, second), "a retry of round 7 "
	    "got %s, the first %s", tl_json_text(second),
	    tl_json_text(first));
	ck_assert_int_eq(agent_int(ca, counter, "agent.get"), 1);
	status = tl_ok(ca, "status", NULL);
	ck_assert_int_eq(tl_int(status, "rounds"), 1);
	json_object_put(status);

	third = trigger(ca, "{\"round\":8}");
	ck_assert_int_eq(tl_int(third, "round"), 8);
	ck_assert_int_eq(agent_int(ca, counter, "agent.get"), 2);

	json_object_put(first);
	json_object_put(second);
	json_object_put(third);
	free(counter);
	tl_close(ca);
	tl_daemon_assert_alive(a);
	tl_daemon_stop_clean(a);
}
END_TEST

/*
 * A long round goes on serving requests: 1000 sleepers each busy for
 * 1 ms make a round of a second or more, and a status asked a moment
 * after trigger_all is answered while that round still runs, saying so.
 */
START_TEST(test_long_round_serves_requests)
{
	struct tl_daemon	*a;
	struct tl_conn		*runner, *other;
	struct json_object	*status, *round;
	double			 started;
	int			 running;

	a = tl_daemon_start_plugin("pingpong", NULL);
	runner = tl_connect(a->port);
	other = tl_connect(a->port);
	json_object_put(spawn_n(runner, "sleeper", 1000));
	tl_send_call(runner, 1, "trigger_all", "{\"args\":{\"us\":1000}}");
	started = tl_now();
	usleep(50000);
	status = tl_ok(other, "status", NULL);
	running = json_object_get_boolean(tl_member(status, "round_running"));
	ck_assert_msg(running, "status %.3f s after trigger_all came after "
	    "the round: %s", tl_now() - started, tl_json_text(status));
	json_object_put(status);
	round = read_round(runner, 1, TL_BUSY_WAIT);
	ck_assert_int_eq(tl_int(round, "agents"), 1000);
	ck_assert_int_eq(tl_int(round, "failed"), 0);
	json_object_put(round);
	tl_close(other);
	tl_close(runner);
	tl_daemon_stop_clean(a);
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
/* Return a process's memory (a /proc/PID/status field) in MiB. */
static double
proc_mib(pid_t pid, const char *field)
{
	return ((double)tl_proc_bytes(pid, field) / (1024.0 * 1024.0));
}

/*
 * Memory goes back after a round of many calls: a pinger calling its
 * ponger 500,000 times in one act takes more than ROUND_MIB of memory at
 * the round's peak (VmHWM), and once the daemon is idle its resident
 * memory comes back within KEPT_MIB of what it was before, leaving what
 * is still in use whole: the pinger's count, and another round. Not in
 * sanitizer builds, whose allocator keeps freed memory on purpose (the
 * test is left out of that suite, not passed).
 */
START_TEST(test_memory_returned)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*pinger, *ponger, *round;
	double			 before, peak, now, deadline;

	a = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	pinger = spawn_n(ca, "pinger", 1);
	ponger = spawn_n(ca, "ponger", 1);
	connect_to_all(ca, address_at(pinger, 0), ponger);
	before = proc_mib(a->pid, "VmRSS");
	round = trigger(ca, "{\"args\":{\"times\":500000}}");
	ck_assert_int_eq(error_entries(round), 0);
	json_object_put(round);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 500000);
	/*
	 * The peak, not the memory now: the daemon gives it back a second
	 * after the round, which on a busy machine can be before now.
	 */
	peak = proc_mib(a->pid, "VmHWM");
	ck_assert_msg(peak > before + ROUND_MIB, "the round took %.0f MiB "
	    "(%.0f to %.0f): too little to see it given back", peak - before,
	    before, peak);
	deadline = tl_now() + TL_TIMEOUT;
	while ((now = proc_mib(a->pid, "VmRSS")) > before + KEPT_MIB &&
	    tl_now() < deadline)
		usleep(50000);
	ck_assert_msg(now <= before + KEPT_MIB, "%.0f MiB before the round, "
	    "%.0f at its peak, still %.0f %.0f s after it", before, peak, now,
	    TL_TIMEOUT);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 500000);
	round = trigger(ca, "{\"args\":{\"times\":1000}}");
	ck_assert_int_eq(error_entries(round), 0);
	json_object_put(round);
	ck_assert_int_eq(agent_int(ca, address_at(pinger, 0),
	    "agent.replies"), 501000);
	json_object_put(pinger);
	json_object_put(ponger);
	tl_close(ca);
	tl_daemon_stop_clean(a);
}
END_TEST
#endif

/* The agent_calls suite. */
Suite *
suite_agent_calls(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("agent_calls");
	tcase = tcase_create("rounds");
	tcase_set_timeout(tcase, 60);
	tcase_add_test(tcase, test_remote_pings_every_round);
	tcase_add_test(tcase, test_local_pings_every_round);
	tcase_add_test(tcase, test_mixed_local_and_remote);
	tcase_add_test(tcase, test_many_calls_in_flight);
	tcase_add_test(tcase, test_mutual_calls);
	tcase_add_test(tcase, test_chained_call_keeps_round_open);
	tcase_add_test(tcase, test_stopped_peer_times_out);
	tcase_add_test(tcase, test_killed_peer_connection_lost);
	tcase_add_test(tcase, test_peer_killed_during_round);
	tcase_add_test(tcase, test_missing_agent);
	tcase_add_test(tcase, test_round_timeout_before_call_timeout);
	tcase_add_test(tcase, test_round_timeout_entry_per_call);
	tcase_add_test(tcase, test_busy_and_caller_gone);
	tcase_add_test(tcase, test_publisher_artifacts);
	tcase_add_test(tcase, test_failer);
	tcase_add_test(tcase, test_cached_round);
	tcase_add_test(tcase, test_long_round_serves_requests);
#ifndef __SANITIZE_ADDRESS__
	tcase_add_test(tcase, test_memory_returned);
#endif
	suite_add_tcase(suite, tcase);
	return (suite);
}
