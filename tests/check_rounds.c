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
 * Rounds and agent calls in process, through the daemon's library: a
 * slave environment on an event base of the test's own (as creamasd's
 * main() sets one up), managing functions dispatched to it with
 * methods_dispatch() and answered to a callback, agent types defined
 * here with the public API of <creamas/agent.h>. A caller's calls to
 * agents of the same slave are answered in the same process, each reply
 * after cr_agent_call() has returned, and the round ends once they all
 * have.
 */

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "creamasd.h"
#include "testlib.h"

#define RD_WAIT			10	/* seconds for an answer */
#define E_AGENT_NOT_FOUND	-32001
#define E_BUSY			-32010

Suite	*suite_rounds(void);

/* What a caller agent saw of its calls. */
struct rd_caller {
	int64_t		 sent;
	int64_t		 answered;
	int64_t		 failed;
	int64_t		 last_error;	/* the code of the last error */
	int		 calling;	/* inside cr_agent_call() */
	int		 early;		/* replies that came inside it */
};

static struct event_base	*rd_base;
static struct daemon_config	 rd_config;

/* A reply to a caller: count it, and whether it came too early. */
static void
rd_caller_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct rd_caller	*caller = cr_agent_state(agent);
	struct json_object	*code;

	if (caller->calling)
		caller->early++;
	if (error != NULL) {
		caller->failed++;
		if (json_object_object_get_ex((struct json_object *)
		    (uintptr_t)error, "code", &code))
			caller->last_error = json_object_get_int64(code);
	} else
		caller->answered++;
}

/* caller: call "echo" on each connection, once per act, with {"n":N}. */
static int
rd_caller_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct rd_caller	*caller = cr_agent_state(agent);
	struct json_object	*connections = cr_agent_connections(agent);
	struct json_object	*params;

	if (connections == NULL)
		return (CR_OK);
	json_object_object_foreach(connections, address, data) {
		(void)data;
		params = json_object_new_object();
		json_object_object_add(params, "n",
		    json_object_new_int64(caller->sent));
		caller->calling = 1;
		if (cr_agent_call(agent, address, "echo", params,
		    rd_caller_reply, NULL) == 0)
			caller->sent++;
		caller->calling = 0;
	}
	return (CR_OK);
}

/* caller: "seen" tells what its calls came back with. */
static int
rd_caller_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct rd_caller	*caller = cr_agent_state(agent);

	if (strcmp(method, "seen") != 0)
		return (CR_NO_METHOD);
	*result = json_object_new_object();
	json_object_object_add(*result, "sent",
	    json_object_new_int64(caller->sent));
	json_object_object_add(*result, "answered",
	    json_object_new_int64(caller->answered));
	json_object_object_add(*result, "failed",
	    json_object_new_int64(caller->failed));
	json_object_object_add(*result, "last_error",
	    json_object_new_int64(caller->last_error));
	json_object_object_add(*result, "early",
	    json_object_new_int64(caller->early));
	return (CR_OK);
}

/* echoer: "echo" answers with its params and counts the calls. */
static int
rd_echoer_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	int64_t	*echoes = cr_agent_state(agent);

	if (strcmp(method, "echoes") == 0) {
		*result = json_object_new_int64(*echoes);
		return (CR_OK);
	}
	if (strcmp(method, "echo") != 0)
		return (CR_NO_METHOD);
	(*echoes)++;
	*result = json_object_get((struct json_object *)(uintptr_t)params);
	return (CR_OK);
}

/* echoer: nothing to do in a round. */
static int
rd_echoer_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (CR_OK);
}

static const struct cr_agent_type rd_caller_type = {
	.name = "caller",
	.state_size = sizeof(struct rd_caller),
	.act = rd_caller_act,
	.call = rd_caller_call,
};

static const struct cr_agent_type rd_echoer_type = {
	.name = "echoer",
	.state_size = sizeof(int64_t),
	.act = rd_echoer_act,
	.call = rd_echoer_call,
};

/* A slave environment on an event base of the test's own. */
static void
rd_setup(void)
{
	char	*cause = NULL;

	ck_assert_ptr_nonnull(rd_base = event_base_new());
	settings_defaults(&rd_config);
	ck_assert_int_eq(settings_set("listen", "127.0.0.1:0", &rd_config,
	    &cause), 0);
	daemon_init(rd_base, &rd_config);
	ck_assert_msg(types_register(&rd_caller_type, &cause) == 0 &&
	    types_register(&rd_echoer_type, &cause) == 0, "%s", cause);
	ck_assert_msg(env_listen(&cause) == 0, "env_listen: %s", cause);
}

/* Free it all, as creamasd does when it stops. */
static void
rd_teardown(void)
{
	daemon_free();
	event_base_free(rd_base);
	settings_free(&rd_config);
}

/* An answer to a dispatched call. */
struct rd_answer {
	int			 done;
	struct json_object	*result;
	struct json_object	*error;
};

/* Keep the answer (both borrowed). */
static void
rd_done(struct json_object *result, struct json_object *error, void *arg)
{
	struct rd_answer	*answer = arg;

	answer->done++;
	answer->result = json_object_get(result);
	answer->error = json_object_get(error);
}

/* Stop waiting: the answer did not come in time. */
static void
rd_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	*(int *)arg = 1;
}

/* Turn the event loop until the answer has come, or fail. */
static void
rd_wait(struct rd_answer *answer)
{
	struct timeval	 tv = { RD_WAIT, 0 };
	struct event	*timer;
	int		 late = 0;

	timer = evtimer_new(rd_base, rd_timeout_cb, &late);
	evtimer_add(timer, &tv);
	while (!answer->done && !late)
		event_base_loop(rd_base, EVLOOP_ONCE);
	event_free(timer);
	ck_assert_msg(answer->done, "no answer in %d s", RD_WAIT);
	ck_assert_int_eq(answer->done, 1);
}

/* Send a managing function (params as JSON text, or NULL) on its way. */
static void
rd_send(struct rd_answer *answer, const char *method, const char *params)
{
	struct json_object	*object = NULL;

	memset(answer, 0, sizeof *answer);
	if (params != NULL)
		object = tl_json(params);
	methods_dispatch(request_local(rd_done, answer), method, object);
	json_object_put(object);
}

/* Call a managing function and return its result (a new reference). */
static struct json_object *
rd_ok(const char *method, const char *params)
{
	struct rd_answer	 answer;

	rd_send(&answer, method, params);
	rd_wait(&answer);
	ck_assert_msg(answer.error == NULL, "%s: %s", method,
	    tl_json_text(answer.error));
	return (answer.result);
}

/* Spawn n agents of a type; their addresses. */
static struct json_object *
rd_spawn(const char *type, int n)
{
	char			*params;
	struct json_object	*addresses;

	params = tl_printf("{\"type\":\"%s\",\"n\":%d}", type, n);
	addresses = rd_ok("spawn_n", params);
	free(params);
	ck_assert_uint_eq(json_object_array_length(addresses), (size_t)n);
	return (addresses);
}

/* Return an agent's answer to method (a new reference). */
static struct json_object *
rd_agent(const char *address, const char *method)
{
	char			*params, *name;
	struct json_object	*result;

	params = tl_printf("{\"agent\":\"%s\"}", address);
	name = tl_printf("agent.%s", method);
	result = rd_ok(name, params);
	free(name);
	free(params);
	return (result);
}

/* Connect agent to every address of a list. */
static void
rd_connect(const char *agent, struct json_object *addresses)
{
	char	*params;

	params = tl_printf("{\"map\":{\"%s\":%s}}", agent,
	    tl_json_text(addresses));
	json_object_put(rd_ok("create_connections", params));
	free(params);
}

/* Rounds of counters: numbered, every agent acted, each result one up. */
START_TEST(test_counter_rounds)
{
	struct json_object	*counters, *round, *results;
	int64_t			 number;
	size_t			 i;

	counters = rd_spawn("counter", 5);
	for (number = 1; number <= 3; number++) {
		round = rd_ok("trigger_all", "{\"results\":true}");
		ck_assert_int_eq(tl_int(round, "round"), number);
		ck_assert_int_eq(tl_int(round, "agents"), 5);
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		ck_assert_uint_eq(json_object_array_length(tl_member(round,
		    "errors")), 0);
		results = tl_member(round, "results");
		ck_assert_uint_eq(json_object_array_length(results), 5);
		for (i = 0; i < 5; i++)
			ck_assert_int_eq(json_object_get_int64(
			    json_object_array_get_idx(results, i)), number);
		json_object_put(round);
	}
	json_object_put(counters);
}
END_TEST

/*
 * A caller's calls to three echoers of the same slave: all answered in
 * the round that made them, every reply after cr_agent_call() returned,
 * and the round over only once they are in.
 */
START_TEST(test_calls_same_slave)
{
	struct json_object	*caller, *echoers, *round, *seen, *echoes;
	const char		*address;
	size_t			 i;

	caller = rd_spawn("caller", 1);
	echoers = rd_spawn("echoer", 3);
	address = json_object_get_string(json_object_array_get_idx(caller,
	    0));
	rd_connect(address, echoers);
	for (i = 1; i <= 2; i++) {
		round = rd_ok("trigger_all", NULL);
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		json_object_put(round);
		/* The round has ended: its calls are all answered. */
		seen = rd_agent(address, "seen");
		ck_assert_int_eq(tl_int(seen, "sent"), 3 * (int64_t)i);
		ck_assert_int_eq(tl_int(seen, "answered"), 3 * (int64_t)i);
		ck_assert_int_eq(tl_int(seen, "failed"), 0);
		ck_assert_int_eq(tl_int(seen, "early"), 0);
		json_object_put(seen);
	}
	for (i = 0; i < 3; i++) {
		echoes = rd_agent(json_object_get_string(
		    json_object_array_get_idx(echoers, i)), "echoes");
		ck_assert_int_eq(json_object_get_int64(echoes), 2);
		json_object_put(echoes);
	}
	json_object_put(caller);
	json_object_put(echoers);
}
END_TEST

/*
 * A call to an agent this slave does not have fails with -32001 to the
 * caller (after cr_agent_call() returned), and the round still ends.
 */
START_TEST(test_call_missing_agent)
{
	struct json_object	*caller, *missing, *round, *seen;
	const char		*address;
	char			*nobody;

	caller = rd_spawn("caller", 1);
	address = json_object_get_string(json_object_array_get_idx(caller,
	    0));
	nobody = tl_printf("[\"%.*s999\"]", (int)(strrchr(address, '/') + 1 -
	    address), address);
	missing = tl_json(nobody);
	rd_connect(address, missing);
	round = rd_ok("trigger_all", NULL);
	json_object_put(round);
	seen = rd_agent(address, "seen");
	ck_assert_int_eq(tl_int(seen, "sent"), 1);
	ck_assert_int_eq(tl_int(seen, "answered"), 0);
	ck_assert_int_eq(tl_int(seen, "failed"), 1);
	ck_assert_int_eq(tl_int(seen, "last_error"), E_AGENT_NOT_FOUND);
	ck_assert_int_eq(tl_int(seen, "early"), 0);
	json_object_put(seen);
	json_object_put(missing);
	json_object_put(caller);
	free(nobody);
}
END_TEST

/*
 * A second trigger_all while the first round waits for its calls is
 * refused as busy; the first ends as it should.
 */
START_TEST(test_round_busy)
{
	struct json_object	*caller, *echoers, *seen;
	struct rd_answer	 first, second;
	const char		*address;

	caller = rd_spawn("caller", 1);
	echoers = rd_spawn("echoer", 2);
	address = json_object_get_string(json_object_array_get_idx(caller,
	    0));
	rd_connect(address, echoers);
	rd_send(&first, "trigger_all", NULL);
	ck_assert_msg(!first.done, "the round ended before its calls were "
	    "answered");
	rd_send(&second, "trigger_all", NULL);
	rd_wait(&second);
	ck_assert_ptr_nonnull(second.error);
	ck_assert_int_eq(tl_int(second.error, "code"), E_BUSY);
	rd_wait(&first);
	ck_assert_ptr_null(first.error);
	ck_assert_int_eq(tl_int(first.result, "round"), 1);
	seen = rd_agent(address, "seen");
	ck_assert_int_eq(tl_int(seen, "answered"), 2);
	json_object_put(seen);
	json_object_put(first.result);
	json_object_put(second.error);
	json_object_put(caller);
	json_object_put(echoers);
}
END_TEST

/*
 * Rounds with results through real daemons on loopback: a master of two
 * slaves asks them for their results as runs of values (result_runs)
 * and writes them out, so that its client sees what the slaves would
 * answer it directly. Each slave holds agents whose results come in
 * runs of the same value, null and distinct values in turn: noop agents
 * (null), counters acting by 0 (their start, the same round after
 * round) and failers (null, and an error).
 */

#define RD_SLAVES		2
#define RD_TOO_MANY_NULLS	20000	/* ",null" each: past max_reply */
#define RD_SMALL_MAX_REPLY	"max_reply=70000"
#define RD_TEST_TIMEOUT		120	/* seconds per test */

/* Agents of one type spawned together on a slave. */
struct rd_group {
	const char	*type;
	int		 n;
	int		 start;		/* a counter's start */
};

/* What each slave holds, in creation order, up to a group of no type. */
static const struct rd_group rd_layout[RD_SLAVES][8] = {
	{ { "noop", 3, 0 }, { "counter", 2, 9 }, { "counter", 1, 10 },
	  { "noop", 4, 0 }, { "failer", 1, 0 }, { "counter", 1, 5 } },
	{ { "counter", 5, 7 }, { "noop", 1, 0 }, { "counter", 1, 70 },
	  { "counter", 1, 71 }, { "noop", 2, 0 } },
};

/* The runs each slave's results are written as, the counters by 0. */
static const char *const rd_layout_runs[RD_SLAVES] = {
	"[3,null,2,9,1,10,5,null,1,5]",
	"[5,7,1,null,1,70,1,71,2,null]",
};

/* The results of a master's round of the layout, by 0. */
static const char	 rd_layout_results[] = "[null,null,null,9,9,10,null,"
    "null,null,null,null,5,7,7,7,7,7,null,70,71,null,null]";

/* A master of RD_SLAVES slaves and the slaves' ports. */
struct rd_master {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	uint16_t		 ports[RD_SLAVES];
	char			*addresses[RD_SLAVES];
};

/* Start a master with the test plugin and an option (or NULL). */
static struct rd_master *
rd_master_start(const char *option)
{
	const char		*args[] = { "--role", "master", "--slaves",
				    "2", "--plugin", tl_plugin_path("pingpong"),
				    "-o", option, NULL };
	struct rd_master	*node = tl_calloc(1, sizeof *node);
	struct json_object	*status, *slaves;
	size_t			 i;

	if (option == NULL)
		args[6] = NULL;
	tl_adopt_orphans();
	node->daemon = tl_daemon_startv(args);
	node->conn = tl_connect(node->daemon->port);
	status = tl_ok(node->conn, "status", NULL);
	slaves = tl_member(status, "slaves");
	ck_assert_uint_eq(json_object_array_length(slaves), RD_SLAVES);
	for (i = 0; i < RD_SLAVES; i++) {
		node->addresses[i] = tl_strdup(tl_string(tl_index(slaves,
		    i), "address"));
		node->ports[i] = tl_address_port(node->addresses[i]);
	}
	json_object_put(status);
	return (node);
}

/* Stop a master and its slaves; nothing may be left. */
static void
rd_master_stop(struct rd_master *node)
{
	size_t	 i;

	tl_close(node->conn);
	tl_daemon_stop_clean(node->daemon);
	ck_assert_int_eq(tl_wait_no_stray(TL_STOP_WAIT), 0);
	for (i = 0; i < RD_SLAVES; i++)
		free(node->addresses[i]);
	free(node);
}

/* Spawn a slave's layout through its master ("slave": index). */
static void
rd_spawn_layout(struct tl_conn *conn, size_t slave)
{
	const struct rd_group	*group;

	for (group = rd_layout[slave]; group->type != NULL; group++)
		json_object_put(tl_okf(conn, "spawn_n", "{\"type\":\"%s\","
		    "\"n\":%d,\"slave\":%zu,\"params\":{\"start\":%d}}",
		    group->type, group->n, slave, group->start));
}

/* Call a slave directly on a connection of its own; the result. */
static struct json_object *
rd_slave_ok(const struct rd_master *node, size_t slave,
    const char *method, const char *params)
{
	struct tl_conn		*conn = tl_connect(node->ports[slave]);
	struct json_object	*result;

	result = tl_ok(conn, method, params);
	tl_close(conn);
	return (result);
}

/* Call a slave directly and expect error code; drop the error. */
static void
rd_slave_err(const struct rd_master *node, size_t slave, int code,
    const char *method, const char *params)
{
	struct tl_conn	*conn = tl_connect(node->ports[slave]);

	json_object_put(tl_err(conn, code, method, params));
	tl_close(conn);
}

/*
 * Write runs of values (borrowed) out as the list they stand for (a new
 * reference), with json-c, failing unless they are counts and values in
 * pairs.
 */
static struct json_object *
rd_runs_list(struct json_object *runs)
{
	struct json_object	*list = json_object_new_array(), *count;
	size_t			 i;
	int64_t			 k;

	ck_assert_msg(json_object_is_type(runs, json_type_array) &&
	    json_object_array_length(runs) % 2 == 0, "no runs: %s",
	    tl_json_text(runs));
	for (i = 0; i < json_object_array_length(runs); i += 2) {
		count = json_object_array_get_idx(runs, i);
		ck_assert(json_object_is_type(count, json_type_int));
		ck_assert_int_gt(json_object_get_int64(count), 0);
		for (k = 0; k < json_object_get_int64(count); k++)
			json_object_array_add(list, json_object_get(
			    json_object_array_get_idx(runs, i + 1)));
	}
	return (list);
}

/* Append a list's elements (borrowed) to another list. */
static void
rd_list_append(struct json_object *list, struct json_object *more)
{
	size_t	 i;

	for (i = 0; i < json_object_array_length(more); i++)
		json_object_array_add(list, json_object_get(
		    json_object_array_get_idx(more, i)));
}

/* Fail unless two lists are equal, element for element. */
static void
rd_assert_same_list(struct json_object *got, struct json_object *want)
{
	size_t	 i;

	ck_assert_msg(json_object_is_type(got, json_type_array),
	    "no list: %s", tl_json_text(got));
	ck_assert_uint_eq(json_object_array_length(got),
	    json_object_array_length(want));
	for (i = 0; i < json_object_array_length(want); i++)
		ck_assert_msg(json_object_equal(json_object_array_get_idx(got,
		    i), json_object_array_get_idx(want, i)), "element %zu: "
		    "%s, not %s", i, tl_json_text(json_object_array_get_idx(
		    got, i)), tl_json_text(json_object_array_get_idx(want,
		    i)));
}

/*
 * A master's results are what its slaves answer directly for the same
 * round, one slave's after the other's, element for element; each
 * slave's plain results are the layout's, and the failer's error is
 * passed on.
 */
START_TEST(test_master_results)
{
	struct rd_master	*node = rd_master_start(NULL);
	struct json_object	*round, *direct, *joined, *want, *runs;
	size_t			 i;

	for (i = 0; i < RD_SLAVES; i++)
		rd_spawn_layout(node->conn, i);
	round = tl_ok(node->conn, "trigger_all",
	    "{\"results\":true,\"args\":{\"by\":0}}");
	ck_assert_ptr_null(json_object_object_get(round, "result_runs"));
	ck_assert_int_eq(tl_int(round, "agents"), 22);
	ck_assert_int_eq(tl_int(round, "failed"), 1);
	ck_assert_uint_eq(json_object_array_length(tl_member(round,
	    "errors")), 1);
	joined = json_object_new_array();
	for (i = 0; i < RD_SLAVES; i++) {
		direct = rd_slave_ok(node, i, "trigger_all",
		    "{\"results\":true,\"args\":{\"by\":0}}");
		runs = tl_json(rd_layout_runs[i]);
		want = rd_runs_list(runs);
		json_object_put(runs);
		rd_assert_same_list(tl_member(direct, "results"), want);
		rd_list_append(joined, want);
		json_object_put(want);
		json_object_put(direct);
	}
	rd_assert_same_list(tl_member(round, "results"), joined);
	want = tl_json(rd_layout_results);
	rd_assert_same_list(joined, want);
	json_object_put(want);
	json_object_put(joined);
	json_object_put(round);
	rd_master_stop(node);
}
END_TEST

/*
 * A slave asked with runs and results answers result_runs, the runs of
 * the layout, which written out are the plain results of the same
 * round; runs without results give neither; runs not a boolean is
 * refused, by a slave and by a master.
 */
START_TEST(test_slave_result_runs)
{
	struct rd_master	*node = rd_master_start(NULL);
	struct json_object	*round, *plain, *list;

	rd_spawn_layout(node->conn, 0);
	round = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"runs\":true,\"args\":{\"by\":0}}");
	ck_assert_ptr_null(json_object_object_get(round, "results"));
	tl_assert_json(tl_member(round, "result_runs"), rd_layout_runs[0]);
	plain = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"args\":{\"by\":0}}");
	ck_assert_ptr_null(json_object_object_get(plain, "result_runs"));
	list = rd_runs_list(tl_member(round, "result_runs"));
	rd_assert_same_list(tl_member(plain, "results"), list);
	json_object_put(list);
	json_object_put(plain);
	json_object_put(round);

	round = rd_slave_ok(node, 0, "trigger_all", "{\"runs\":true}");
	ck_assert_ptr_null(json_object_object_get(round, "results"));
	ck_assert_ptr_null(json_object_object_get(round, "result_runs"));
	json_object_put(round);

	rd_slave_err(node, 0, -32602, "trigger_all",
	    "{\"results\":true,\"runs\":1}");
	rd_slave_err(node, 0, -32602, "trigger_all", "{\"runs\":\"yes\"}");
	json_object_put(tl_err(node->conn, -32602, "trigger_all",
	    "{\"results\":true,\"runs\":[true]}"));
	rd_master_stop(node);
}
END_TEST

/*
 * Return a list of results (borrowed) as a later round gives them (a new
 * reference): every counter up by a step, every null still null.
 */
static struct json_object *
rd_counted_on(struct json_object *list, int64_t step)
{
	struct json_object	*later = json_object_new_array(), *was;
	size_t			 i;

	for (i = 0; i < json_object_array_length(list); i++) {
		was = json_object_array_get_idx(list, i);
		json_object_array_add(later, was == NULL ? NULL :
		    json_object_new_int64(json_object_get_int64(was) + step));
	}
	return (later);
}

/* Fail unless later's results are earlier's counted on by a step. */
static void
rd_assert_counted_on(struct json_object *later, struct json_object *earlier,
    int64_t step)
{
	struct json_object	*want = rd_counted_on(earlier, step);

	rd_assert_same_list(later, want);
	json_object_put(want);
}

/*
 * A slave's round retried with its number: with runs the reply kept,
 * the round not run again; without runs (with or without results)
 * -32602, since only runs were kept. A round kept plain is given plain
 * even to a request with runs, as a master takes either.
 */
START_TEST(test_slave_round_retry)
{
	struct rd_master	*node = rd_master_start(NULL);
	struct json_object	*first, *again, *list, *next;

	rd_spawn_layout(node->conn, 0);
	first = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"runs\":true,\"round\":50}");
	again = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"runs\":true,\"round\":50}");
	ck_assert_msg(json_object_equal(first, again), "%s, then %s",
	    tl_json_text(first), tl_json_text(again));
	json_object_put(again);
	again = rd_slave_ok(node, 0, "trigger_all", "{\"results\":true,"
	    "\"runs\":true,\"round\":50,\"args\":{\"by\":5}}");
	ck_assert(json_object_equal(first, again));
	json_object_put(again);
	rd_slave_err(node, 0, -32602, "trigger_all",
	    "{\"results\":true,\"round\":50}");
	rd_slave_err(node, 0, -32602, "trigger_all", "{\"round\":50}");

	next = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"round\":51}");
	ck_assert_int_eq(tl_int(next, "round"), 51);
	list = rd_runs_list(tl_member(first, "result_runs"));
	rd_assert_counted_on(tl_member(next, "results"), list, 1);
	again = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"runs\":true,\"round\":51}");
	ck_assert_msg(json_object_equal(next, again), "%s, then %s",
	    tl_json_text(next), tl_json_text(again));
	json_object_put(again);
	json_object_put(next);
	json_object_put(list);
	json_object_put(first);
	rd_master_stop(node);
}
END_TEST

/*
 * A master's round retried with its number gets the same reply, its
 * slaves running nothing again; the slaves kept it as runs, so a client
 * asking one of them without runs is refused; the next round counts on.
 */
START_TEST(test_master_round_retry)
{
	struct rd_master	*node = rd_master_start(NULL);
	struct json_object	*first, *again, *next;
	static const char *const same[] = { "results", "errors", "agents",
	    "failed", "round" };
	size_t			 i;

	for (i = 0; i < RD_SLAVES; i++)
		rd_spawn_layout(node->conn, i);
	first = tl_ok(node->conn, "trigger_all",
	    "{\"results\":true,\"round\":60}");
	again = tl_ok(node->conn, "trigger_all",
	    "{\"results\":true,\"round\":60}");
	for (i = 0; i < sizeof same / sizeof same[0]; i++)
		ck_assert_msg(json_object_equal(tl_member(first, same[i]),
		    tl_member(again, same[i])), "%s: %s, then %s", same[i],
		    tl_json_text(first), tl_json_text(again));
	ck_assert_ptr_null(json_object_object_get(again, "result_runs"));
	json_object_put(again);
	for (i = 0; i < RD_SLAVES; i++)
		rd_slave_err(node, i, -32602, "trigger_all",
		    "{\"results\":true,\"round\":60}");
	next = tl_ok(node->conn, "trigger_all",
	    "{\"results\":true,\"round\":61}");
	rd_assert_counted_on(tl_member(next, "results"), tl_member(first,
	    "results"), 1);
	json_object_put(next);
	json_object_put(first);
	rd_master_stop(node);
}
END_TEST

/*
 * A slave's runs that would write out longer than max_reply fail that
 * slave, with -32603 in the master's errors; the other slave's results
 * still come.
 */
START_TEST(test_master_runs_too_long)
{
	struct rd_master	*node = rd_master_start(RD_SMALL_MAX_REPLY);
	struct json_object	*round, *errors, *direct;

	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"counter\",\"n\":3,\"slave\":0}"));
	json_object_put(tl_okf(node->conn, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":%d,\"slave\":1,\"addresses\":false}", RD_TOO_MANY_NULLS));
	round = tl_ok(node->conn, "trigger_all", "{\"results\":true}");
	tl_assert_json(tl_member(round, "results"), "[1,1,1]");
	ck_assert_int_eq(tl_int(round, "agents"), 3);
	errors = tl_member(round, "errors");
	ck_assert_uint_eq(json_object_array_length(errors), 1);
	ck_assert_str_eq(tl_string(tl_index(errors, 0), "slave"),
	    node->addresses[1]);
	ck_assert_int_eq(tl_int(tl_index(errors, 0), "code"), -32603);
	ck_assert_msg(strstr(tl_string(tl_index(errors, 0), "message"),
	    "result runs") != NULL, "%s", tl_json_text(errors));
	json_object_put(round);
	/* The slave's own answer is short. */
	direct = rd_slave_ok(node, 1, "trigger_all",
	    "{\"results\":true,\"runs\":true}");
	tl_assert_json(tl_member(direct, "result_runs"), "[20000,null]");
	json_object_put(direct);
	rd_master_stop(node);
}
END_TEST

/*
 * A master leaves out a slave with no agents, and joins a slave's plain
 * results (a round of that number the slave kept plain, given again and
 * not run) with another's runs: the list is the slaves' lists one after
 * the other.
 */
START_TEST(test_master_mixed_replies)
{
	struct rd_master	*node = rd_master_start(NULL);
	struct json_object	*plain, *round, *runs, *want, *joined;
	struct json_object	*counted;

	rd_spawn_layout(node->conn, 1);
	round = tl_ok(node->conn, "trigger_all",
	    "{\"results\":true,\"args\":{\"by\":0}}");
	runs = tl_json(rd_layout_runs[1]);
	want = rd_runs_list(runs);
	rd_assert_same_list(tl_member(round, "results"), want);
	json_object_put(round);

	rd_spawn_layout(node->conn, 0);
	plain = rd_slave_ok(node, 0, "trigger_all",
	    "{\"results\":true,\"round\":70}");
	round = tl_ok(node->conn, "trigger_all",
	    "{\"results\":true,\"round\":70,\"args\":{\"by\":1000}}");
	joined = json_object_new_array();
	rd_list_append(joined, tl_member(plain, "results"));
	counted = rd_counted_on(want, 1000);
	rd_list_append(joined, counted);
	rd_assert_same_list(tl_member(round, "results"), joined);
	json_object_put(counted);
	json_object_put(joined);
	json_object_put(round);
	json_object_put(plain);
	json_object_put(want);
	json_object_put(runs);
	rd_master_stop(node);
}
END_TEST

/* The rounds suite. */
Suite *
suite_rounds(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("rounds");
	tcase = tcase_create("in process");
	tcase_add_checked_fixture(tcase, rd_setup, rd_teardown);
	tcase_add_test(tcase, test_counter_rounds);
	tcase_add_test(tcase, test_calls_same_slave);
	tcase_add_test(tcase, test_call_missing_agent);
	tcase_add_test(tcase, test_round_busy);
	suite_add_tcase(suite, tcase);

	tcase = tcase_create("results through a master");
	tcase_set_timeout(tcase, RD_TEST_TIMEOUT);
	tcase_add_test(tcase, test_master_results);
	tcase_add_test(tcase, test_slave_result_runs);
	tcase_add_test(tcase, test_slave_round_retry);
	tcase_add_test(tcase, test_master_round_retry);
	tcase_add_test(tcase, test_master_runs_too_long);
	tcase_add_test(tcase, test_master_mixed_replies);
	suite_add_tcase(suite, tcase);
	return (suite);
}
