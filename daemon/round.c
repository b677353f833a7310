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

#include <stdlib.h>

#include <event2/event.h>

#include "clock.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * trigger_all: every agent acts once, in creation order; the round ends
 * when every act has returned and every call those acts started has been
 * answered or has failed, or when the round times out. Extensions may
 * prepare a round first (fetch what their agents will read): the agents
 * act once every one has called cr_round_ready(). A long
 * round acts in slices, serving requests in between.
 */

#define ROUND_TRIM_CALLS	65536	/* calls in a round that call for a trim */
#define ROUND_SLICE_US		2000	/* acts between turns of the loop */
#define ROUND_SLICE_CHECK	63	/* look at the clock every 64 acts */

static uint64_t			 round_sequence;
/* The last round run with a number from the caller, and its reply. */
static int64_t			 round_cached_number = -1;
static char			*round_cached_reply;	/* as text */
static size_t			 round_cached_length;
static int			 round_cached_runs;	/* results as runs */

static void	round_act(struct round *);
static void	round_act_begin(struct round *);
static int	round_act_agents(struct round *, int);
static void	round_finish(struct round *);

/* Add an error entry to a round for an agent (or for none). */
void
round_error(struct round *round, const struct cr_agent *agent, int code,
    const char *message)
{
	struct json_object	*entry;
	char			*address;

	entry = json_object_new_object();
	if (agent != NULL) {
		address = agent_address(agent);
		json_object_object_add(entry, "agent",
		    json_object_new_string(address));
		free(address);
	} else
		json_object_object_add(entry, "agent", NULL);
	json_object_object_add(entry, "code", json_object_new_int(code));
	json_object_object_add(entry, "message",
	    json_object_new_string(message));
	json_object_array_add(round->errors, entry);
}

/* An unanswered call at the round's timeout: an error entry for it. */
static void
round_unanswered(const struct cr_agent *caller, const char *address,
    void *arg)
{
	struct round	*round = arg;
	char		*message;

	xasprintf(&message, "call to %s unanswered at the round timeout",
	    address);
	round_error(round, caller, RPC_TIMED_OUT, message);
	free(message);
}

/*
 * The round's time is up: end it with what has been answered. What
 * extensions still prepare is abandoned: the agents act without it, so
 * every environment stays in step.
 */
static void
round_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct round	*round = arg;

	if (round->fetching) {
		extension_round_abandon(round);
		round->fetching = 0;
		round_act_begin(round);
	}
	if (round->acting)
		round_act_agents(round, 0);
	call_round_unanswered(round->sequence, round_unanswered, round);
	round_finish(round);
}

/*
 * Write the nulls counted since the last other result into the round's
 * plain results, ",null" each (no comma before the first element), by
 * doubling copies; -1 if memory ran out.
 */
static int
round_write_nulls(struct round *round)
{
	uint64_t	 nulls = round->nulls;

	round->nulls = 0;
	if (nulls == 0)
		return (0);
	if (evbuffer_get_length(round->results) == 0) {
		if (evbuffer_add(round->results, "null", 4) != 0)
			return (-1);
		nulls--;
	}
	return (valueruns_fill(round->results, ",null", 5, nulls));
}

/*
 * Write an agent's result (borrowed) into the round's results as text at
 * once, or into their runs (valueruns.h) when a master asked for them:
 * the round holds no object per agent, and the reply is built once. Most
 * agents answer nothing: their nulls are only counted, and written all
 * at once before the next other result or at the end.
 */
static void
round_add_result(struct round *round, struct json_object *result)
{
	const char	*text;
	size_t		 length;

	if (result == NULL) {
		if (round->result_runs)
			valueruns_add_null(&round->runs);
		else
			round->nulls++;
		return;
	}
	text = rpc_serialize(result, &length);
	if (round->result_runs) {
		valueruns_add(&round->runs, text, length);
		return;
	}
	if (round_write_nulls(round) != 0)
		round->results_failed = 1;
	if (evbuffer_get_length(round->results) > 0)
		evbuffer_add(round->results, ",", 1);
	evbuffer_add(round->results, text, length);
}

/* Run one agent's act; a failure becomes an error entry. */
static inline void
round_act_one(struct round *round, struct cr_agent *agent)
{
	struct json_object	*result = NULL;
	int			 rc;

	rc = agent->type->act(agent, round->args, &result);
	if (rc != CR_OK) {
		round->failed++;
		round_error(round, agent, RPC_AGENT_FAILED, result != NULL &&
		    json_object_is_type(result, json_type_string) ?
		    json_object_get_string(result) : "act failed");
		json_object_put(result);
		result = NULL;
	}
	if (round->results != NULL)
		round_add_result(round, result);
	/* Most agents answer nothing: no call into json-c for them. */
	if (result != NULL)
		json_object_put(result);
}

/* The agents are about to act: those there now, in creation order. */
static void
round_act_begin(struct round *round)
{
	round->acting = 1;
	round->next = 1;
	round->end = env->nagents;
}

/*
 * Act the round's agents from the next one on: all of them, or if sliced
 * until ROUND_SLICE_US have passed, when the rest waits for the next turn
 * of the event loop, so that requests (a neighbour asking for values
 * along an edge, status) are served while a long round runs. Once every
 * agent has acted, tell the extensions (round_acted) and return 1.
 */
static int
round_act_agents(struct round *round, int sliced)
{
	static const struct timeval	 now = { 0, 0 };
	uint64_t			 started = clock_now_us();
	uint64_t			 deadline = started + ROUND_SLICE_US;

	size_t				 next = round->next, end = round->end;

	while (next < end) {
		round_act_one(round, env->agents[next++]);
		if (sliced && (next & ROUND_SLICE_CHECK) == 0 && next < end &&
		    clock_now_us() >= deadline) {
			round->next = next;
			round->act_us += clock_now_us() - started;
			/* A timer due now runs after the sockets' turn. */
			evtimer_add(round->slice, &now);
			return (0);
		}
	}
	round->next = next;
	round->act_us += clock_now_us() - started;
	extension_round_acted(round->number);
	round->acting = 0;
	return (1);
}

/* Go on acting; the round ends once all have, unless calls are out. */
static void
round_act_continue(struct round *round)
{
	if (round_act_agents(round, 1) && round->pending == 0)
		round_finish(round);
}

/* The next slice of a long round's acts. */
static void
round_slice_cb(evutil_socket_t fd, short events, void *arg)
{
	round_act_continue(arg);
}

/*
 * Check the params of trigger_all as a slave and a master both do: the
 * timeout in seconds (the configured one if none) and the round number.
 */
int
round_check_params(struct json_object *params, double *seconds,
    struct json_object **error)
{
	struct json_object	*timeout = rpc_param(params, "timeout");
	struct json_object	*number = rpc_param(params, "round");

	*seconds = env->config->round_timeout;
	if (timeout != NULL) {
		*seconds = json_object_get_double(timeout);
		if (!(*seconds > 0 && *seconds <= 1e6)) {
			*error = rpc_error_new(RPC_INVALID_PARAMS, "timeout "
			    "must be in (0, 1e6] seconds",
			    json_object_new_string("timeout"));
			return (-1);
		}
	}
	if (number != NULL && json_object_get_int64(number) < 0) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("round"), "round must be in "
		    "0..%lld", (long long)INT64_MAX);
		return (-1);
	}
	return (0);
}

/* Start a round for a trigger_all request. */
void
round_start(struct request *request, struct json_object *params)
{
	struct round		*round;
	struct json_object	*args = NULL, *results = NULL, *runs = NULL;
	struct json_object	*number = NULL, *error;
	struct evbuffer		*reply;
	struct timeval		 tv;
	double			 seconds;

	if (round_check_params(params, &seconds, &error) != 0) {
		request_error(request, error);
		return;
	}
	if (params != NULL) {
		json_object_object_get_ex(params, "args", &args);
		json_object_object_get_ex(params, "results", &results);
		json_object_object_get_ex(params, "round", &number);
		json_object_object_get_ex(params, "runs", &runs);
	}
	if (number != NULL && round_cached_reply != NULL &&
	    json_object_get_int64(number) == round_cached_number &&
	    round_cached_runs && !json_object_get_boolean(runs)) {
		/* Only a master reads results as runs. */
		request_error(request, rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("round"), "round %lld was run "
		    "for a master, its results kept as runs: ask with runs",
		    (long long)round_cached_number));
		return;
	}
	if (number != NULL && round_cached_reply != NULL &&
	    json_object_get_int64(number) == round_cached_number) {
		/* A retry of a round already run: the same answer again. */
		reply = evbuffer_new();
		evbuffer_add(reply, round_cached_reply, round_cached_length);
		request_reply_text(request, reply);
		return;
	}
	if (env->round != NULL) {
		request_error(request, rpc_error_new(RPC_BUSY,
		    "a round is already running", NULL));
		return;
	}
	if (number == NULL && env->round_number >= INT64_MAX) {
		request_error(request, rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("round"), "round %lld was the "
		    "last number there is: give 'round' to number the next",
		    (long long)INT64_MAX));
		return;
	}
	xmalloc_trim_cancel();
	round = xcalloc(1, sizeof *round);
	round->request = request;
	round->sequence = ++round_sequence;
	env->round_number = number != NULL ? (uint64_t)json_object_get_int64(
	    number) : env->round_number + 1;
	round->number = env->round_number;
	round->given = number != NULL;
	round->errors = json_object_new_array();
	if (json_object_get_boolean(results)) {
		round->results = evbuffer_new();
		round->result_runs = json_object_get_boolean(runs);
		valueruns_init(&round->runs, round->results);
	}
	round->start_us = env_now_us();
	round->args = json_object_get(args);
	env->round = round;
	tv = clock_timeval(seconds);
	round->timer = evtimer_new(env->base, round_timeout_cb, round);
	evtimer_add(round->timer, &tv);
	round->slice = evtimer_new(env->base, round_slice_cb, round);
	extension_round_begin(round->number);

	round->fetching = extension_round_prepare(round);
	if (!round->fetching)
		round_act(round);
}

/* Every agent acts; the round ends then, unless calls are still out. */
static void
round_act(struct round *round)
{
	round_act_begin(round);
	round_act_continue(round);
}

/* An extension has prepared the round: act once the last one has. */
void
round_fetched(struct round *round)
{
	if (--round->fetching > 0)
		return;
	round_act(round);
}

/*
 * After a round of many calls, give the memory they held back to the
 * system once no round has followed for a moment: the calls' small
 * allocations leave the heap full of holes that the allocator would
 * otherwise keep for good.
 */
static void
round_release_memory(const struct round *round)
{
	if (round->calls >= ROUND_TRIM_CALLS)
		xmalloc_trim_later(env->base);
}

/*
 * Reply to the round's request and forget the round. The reply is the
 * counts and errors as an object, with the results (text already) added
 * before its closing brace.
 */
static void
round_finish(struct round *round)
{
	struct json_object	*reply;
	struct evbuffer		*text;
	uint64_t		 elapsed = env_now_us() - round->start_us;

	reply = json_object_new_object();
	json_object_object_add(reply, "agents",
	    json_object_new_int64((int64_t)env->nagents - 1));
	json_object_object_add(reply, "failed",
	    json_object_new_int64((int64_t)round->failed));
	json_object_object_add(reply, "elapsed_us",
	    json_object_new_int64((int64_t)elapsed));
	json_object_object_add(reply, "act_us",
	    json_object_new_int64((int64_t)round->act_us));
	json_object_object_add(reply, "round",
	    json_object_new_int64((int64_t)round->number));
	if (round->results != NULL && (round->result_runs ?
	    valueruns_finish(&round->runs) : round_write_nulls(round)) != 0)
		round->results_failed = 1;
	if (round->results_failed)
		round_error(round, NULL, RPC_INTERNAL_ERROR,
		    "out of memory writing the results");
	json_object_object_add(reply, "errors", round->errors);
	text = request_object_text(reply, round->result_runs ?
	    "result_runs" : "results", round->results);
	stats_round_done(elapsed, round->failed);
	env->round = NULL;
	env_log("round %llu done: %zu agents, %zu failed, %zu errors, %llu us",
	    (unsigned long long)round->number, env->nagents - 1,
	    round->failed, json_object_array_length(round->errors),
	    (unsigned long long)elapsed);
	json_object_put(reply);
	if (round->given) {
		free(round_cached_reply);
		round_cached_length = evbuffer_get_length(text);
		round_cached_reply = xmalloc(round_cached_length);
		evbuffer_copyout(text, round_cached_reply,
		    round_cached_length);
		round_cached_number = (int64_t)round->number;
		round_cached_runs = round->result_runs;
	}
	if (round->timer != NULL)
		event_free(round->timer);
	if (round->slice != NULL)
		event_free(round->slice);
	json_object_put(round->args);
	extension_round_end(round->number);
	request_reply_text(round->request, text);
	round_release_memory(round);
	free(round);
	checkpoint_round_ended();
}

/* An agent started a call during the round. */
void
round_call_started(void)
{
	env->round->pending++;
	env->round->calls++;
}

/* A call of round sequence ended; an error becomes an error entry. */
void
round_call_done(uint64_t sequence, const struct cr_agent *caller,
    const struct json_object *error)
{
	struct round	*round = env->round;

	if (round == NULL || round->sequence != sequence)
		return;	/* the round ended (timed out) before this call */
	if (error != NULL)
		round_error(round, caller, rpc_error_code(error),
		    rpc_error_message(error));
	round->pending--;
	if (!round->acting && round->pending == 0)
		round_finish(round);
}

/* End a running round at once, saying why (on stop). */
void
round_abort(const char *reason)
{
	if (env->round == NULL)
		return;
	if (env->round->fetching) {
		extension_round_abandon(env->round);
		env->round->fetching = 0;
	}
	round_error(env->round, NULL, RPC_SHUTTING_DOWN, reason);
	round_finish(env->round);
}

/* Forget the cached reply and the trim to come (at exit). */
void
round_free_cache(void)
{
	free(round_cached_reply);
	round_cached_reply = NULL;
	xmalloc_trim_free();
}
