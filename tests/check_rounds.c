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
	return (suite);
}
