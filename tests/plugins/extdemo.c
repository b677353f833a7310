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
 * demo: an environment extension for the tests of extensions, written
 * with the public API only, and its agent type "scorer" (a number, its
 * "score", given at spawn). Its managing functions, run in every slave:
 *
 *   demo_count	the slave's agents (sum); demo_min, demo_max the same
 *		number, combined as the least and the greatest; demo_first
 *		the same, the first slave's; demo_null null (null)
 *   demo_addresses  the agents' addresses (concat)
 *   demo_addresses_text  the same written as text, or {"text"} (concat)
 *   demo_top {n}	the n best {agent, score} (top by score)
 *   demo_spread	the slave's count, combined by a callback into
 *		{"counts": [...], "slaves": [the slaves' addresses]}
 *   demo_ask	asks every agent get_score as the manager and answers
 *		the sum once every answer is in (sum)
 *   demo_fail_on {agents}  fails on a slave of that many agents, else
 *		answers its count (sum)
 *   demo_fail_list {agents}  the same, else its addresses (concat)
 *   demo_label	the configured label (first)
 *   demo_hooks	how often each hook ran here (concat of one object)
 *
 * Configuration keys: demo.label, demo.removed_log, a file to which
 * the agent-removed hook adds a line per agent, demo.ready: "no" makes
 * the environment not ready, and demo.prepare: "yes" makes every round
 * wait, before its agents act, for the first agent's get_score asked
 * by round_prepare.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamas/agent.h"
#include "creamas/env.h"

/* A scorer's state. */
struct scorer {
	int64_t	 score;
};

/* What the hooks saw in this process. */
static struct {
	int64_t	 rounds_begun;
	int64_t	 rounds_ended;
	int64_t	 spawned;
	int64_t	 removed;
	int64_t	 last_round;
	char	 label[64];
	char	 removed_log[512];
	int	 not_ready;
	int	 prepare;
	int64_t	 prepared;	/* rounds prepared, an answer in */
	int64_t	 acted;		/* round_acted calls */
} demo;

/* A scorer takes its score from params {"score": N}. */
static int
scorer_init(struct cr_agent *agent, const struct json_object *params)
{
	struct scorer		*state = cr_agent_state(agent);
	struct json_object	*score;

	if (params == NULL || !json_object_object_get_ex(params, "score",
	    &score))
		return (CR_BAD_PARAMS);
	state->score = json_object_get_int64(score);
	return (CR_OK);
}

/* A scorer's act does nothing. */
static int
scorer_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (CR_OK);
}

/* get_score: the scorer's score. */
static int
scorer_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct scorer	*state = cr_agent_state(agent);

	if (strcmp(method, "get_score") != 0)
		return (CR_NO_METHOD);
	*result = json_object_new_int64(state->score);
	return (CR_OK);
}

/* A count of this slave's agents. */
static void
demo_count(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, json_object_new_int64(
	    (int64_t)cr_env_agent_count()));
}

/* null. */
static void
demo_null(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, NULL);
}

/* The agents' addresses. */
static void
demo_addresses(struct cr_call *call, const struct json_object *params)
{
	struct json_object	*list;
	char			 address[CR_ADDRESS_MAX];
	size_t			 i;

	list = json_object_new_array();
	for (i = 0; i < cr_env_agent_count(); i++) {
		cr_agent_address(cr_env_agent(i), address, sizeof address);
		json_object_array_add(list, json_object_new_string(address));
	}
	cr_call_reply(call, list);
}

/*
 * The agents' addresses written as JSON text, as a built-in writes its
 * long answers; with {"text": T} the text T instead, checked or not.
 */
static void
demo_addresses_text(struct cr_call *call, const struct json_object *params)
{
	struct json_object	*given;
	char			*text;
	size_t			 i, length = 0, count = cr_env_agent_count();
	int			 written;

	if (json_object_object_get_ex(params, "text", &given)) {
		cr_call_reply_text(call, json_object_get_string(given),
		    (size_t)json_object_get_string_len(given));
		return;
	}
	if ((text = malloc(count * (CR_ADDRESS_MAX + 3) + 2)) == NULL) {
		cr_call_fail(call, "out of memory");
		return;
	}
	text[length++] = '[';
	for (i = 0; i < count; i++) {
		if (i > 0)
			text[length++] = ',';
		text[length++] = '"';
		written = cr_agent_address(cr_env_agent(i), text + length,
		    CR_ADDRESS_MAX);
		if (written < 0 || written >= CR_ADDRESS_MAX) {
			free(text);
			cr_call_fail(call, "an address too long");
			return;
		}
		length += (size_t)written;
		text[length++] = '"';
	}
	text[length++] = ']';
	cr_call_reply_text(call, text, length);
	free(text);
}

/* Order scorers by score, best first. */
static int
demo_compare(const void *a, const void *b)
{
	int64_t	 left = json_object_get_int64(json_object_object_get(
		    *(struct json_object *const *)a, "score"));
	int64_t	 right = json_object_get_int64(json_object_object_get(
		    *(struct json_object *const *)b, "score"));

	return (left > right ? -1 : left < right);
}

/* The n best agents of this slave by score, reading their states. */
static void
demo_top(struct cr_call *call, const struct json_object *params)
{
	struct json_object	*all, *entry, *best;
	struct json_object	*n = json_object_object_get(params, "n");
	char			 address[CR_ADDRESS_MAX];
	size_t			 i;

	all = json_object_new_array();
	for (i = 0; i < cr_env_agent_count(); i++) {
		if (strcmp(cr_agent_type_name(cr_env_agent(i)), "scorer") != 0)
			continue;
		cr_agent_address(cr_env_agent(i), address, sizeof address);
		entry = json_object_new_object();
		json_object_object_add(entry, "agent",
		    json_object_new_string(address));
		json_object_object_add(entry, "score", json_object_new_int64(
		    ((struct scorer *)cr_agent_state(
		    cr_env_agent(i)))->score));
		json_object_array_add(all, entry);
	}
	json_object_array_sort(all, demo_compare);
	best = json_object_new_array();
	for (i = 0; i < json_object_array_length(all) &&
	    (int64_t)i < json_object_get_int64(n); i++)
		json_object_array_add(best, json_object_get(
		    json_object_array_get_idx(all, i)));
	json_object_put(all);
	cr_call_reply(call, best);
}

/* demo_spread: this slave's count. */
static void
demo_spread(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, json_object_new_int64(
	    (int64_t)cr_env_agent_count()));
}

/* Put the counts and the slaves' addresses side by side. */
static int
demo_spread_combine(const struct json_object *params,
    const struct cr_answer *answers, size_t count,
    struct json_object **result)
{
	struct json_object	*counts, *slaves;
	size_t			 i;

	counts = json_object_new_array();
	slaves = json_object_new_array();
	for (i = 0; i < count; i++) {
		json_object_array_add(counts, json_object_get(
		    (struct json_object *)(uintptr_t)answers[i].result));
		json_object_array_add(slaves,
		    json_object_new_string(answers[i].slave));
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "counts", counts);
	json_object_object_add(*result, "slaves", slaves);
	return (0);
}

/* demo_ask in progress: the call, the sum so far and the answers due. */
struct demo_ask {
	struct cr_call	*call;
	int64_t		 sum;
	size_t		 due;
	int		 failed;
};

/* An agent answered get_score: add it; answer the call after the last. */
static void
demo_ask_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct demo_ask	*ask = arg;

	if (error != NULL)
		ask->failed = 1;
	else
		ask->sum += json_object_get_int64(result);
	if (--ask->due > 0)
		return;
	if (ask->failed)
		cr_call_fail(ask->call, "an agent failed get_score");
	else
		cr_call_reply(ask->call, json_object_new_int64(ask->sum));
	free(ask);
}

/* Ask every agent its score as the manager; answer when all have. */
static void
demo_ask(struct cr_call *call, const struct json_object *params)
{
	struct demo_ask		*ask;
	struct json_object	*error;
	char			 address[CR_ADDRESS_MAX];
	size_t		 i;

	if (cr_env_agent_count() == 0) {
		cr_call_reply(call, json_object_new_int64(0));
		return;
	}
	if ((ask = calloc(1, sizeof *ask)) == NULL) {
		cr_call_fail(call, "out of memory");
		return;
	}
	ask->call = call;
	ask->due = cr_env_agent_count();
	for (i = 0; i < cr_env_agent_count(); i++) {
		cr_agent_address(cr_env_agent(i), address, sizeof address);
		if (cr_env_call(address, "get_score", NULL, demo_ask_reply,
		    ask) != 0) {
			error = json_object_new_string("bad address");
			demo_ask_reply(NULL, NULL, error, ask);
			json_object_put(error);
		}
	}
}

/* Fail the call if this slave holds params' number of agents; 1 if so. */
static int
demo_failing(struct cr_call *call, const struct json_object *params)
{
	int64_t	 agents = json_object_get_int64(json_object_object_get(
		    params, "agents"));

	if ((int64_t)cr_env_agent_count() != agents)
		return (0);
	cr_call_fail(call, "this slave holds %lld agents", (long long)agents);
	return (1);
}

/* Fail on a slave of the given number of agents; else its count. */
static void
demo_fail_on(struct cr_call *call, const struct json_object *params)
{
	if (!demo_failing(call, params))
		demo_count(call, params);
}

/* Fail on a slave of the given number of agents; else its addresses. */
static void
demo_fail_list(struct cr_call *call, const struct json_object *params)
{
	if (!demo_failing(call, params))
		demo_addresses(call, params);
}

/* The label configured. */
static void
demo_label(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, json_object_new_string(demo.label));
}

/* What the hooks counted here, as a one-item list. */
static void
demo_hooks(struct cr_call *call, const struct json_object *params)
{
	struct json_object	*counts, *list;

	counts = json_object_new_object();
	json_object_object_add(counts, "rounds_begun",
	    json_object_new_int64(demo.rounds_begun));
	json_object_object_add(counts, "rounds_ended",
	    json_object_new_int64(demo.rounds_ended));
	json_object_object_add(counts, "last_round",
	    json_object_new_int64(demo.last_round));
	json_object_object_add(counts, "spawned",
	    json_object_new_int64(demo.spawned));
	json_object_object_add(counts, "removed",
	    json_object_new_int64(demo.removed));
	json_object_object_add(counts, "prepared",
	    json_object_new_int64(demo.prepared));
	json_object_object_add(counts, "acted",
	    json_object_new_int64(demo.acted));
	list = json_object_new_array();
	json_object_array_add(list, counts);
	cr_call_reply(call, list);
}

/* Take demo.label, demo.removed_log and demo.ready. */
static int
demo_configure(const char *key, const char *value, char **cause)
{
	char	*target = strcmp(key, "label") == 0 ? demo.label :
		    demo.removed_log;

	if (strcmp(key, "ready") == 0) {
		demo.not_ready = strcmp(value, "no") == 0;
		return (0);
	}
	if (strcmp(key, "prepare") == 0) {
		demo.prepare = strcmp(value, "yes") == 0;
		return (0);
	}
	if (strlen(value) >= sizeof demo.label &&
	    target == demo.label) {
		*cause = strdup("label too long");
		return (-1);
	}
	snprintf(target, target == demo.label ? sizeof demo.label :
	    sizeof demo.removed_log, "%s", value);
	return (0);
}

/* Hooks: count rounds begun and ended, agents spawned and removed. */
static void
demo_round_begin(uint64_t round)
{
	demo.rounds_begun++;
}

/* A round ended. */
static void
demo_round_end(uint64_t round)
{
	demo.rounds_ended++;
	demo.last_round = (int64_t)round;
}

/* An agent was spawned. */
static void
demo_agent_spawned(struct cr_agent *agent)
{
	demo.spawned++;
}

/*
 * An agent is removed: count it, and a line in the removed log, if one
 * is set.
 */
static void
demo_agent_removed(struct cr_agent *agent)
{
	FILE	*file;

	demo.removed++;
	if (demo.removed_log[0] == '\0' ||
	    (file = fopen(demo.removed_log, "a")) == NULL)
		return;
	fprintf(file, "%ld\n", cr_agent_id(agent));
	fclose(file);
}

/* The first agent answered: the round may go on. */
static void
demo_prepared(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	if (error == NULL)
		demo.prepared++;
	cr_round_ready(arg);
}

/* With demo.prepare, ask the first agent before the agents act. */
static int
demo_round_prepare(struct cr_round *round)
{
	char	 address[CR_ADDRESS_MAX];

	if (!demo.prepare || cr_env_agent_count() == 0)
		return (0);
	cr_agent_address(cr_env_agent(0), address, sizeof address);
	if (cr_env_call(address, "get_score", NULL, demo_prepared, round) != 0)
		return (0);
	return (1);
}

/* Every agent acted. */
static void
demo_round_acted(uint64_t round)
{
	demo.acted++;
}

/* Ready unless demo.ready is "no". */
static int
demo_ready(void)
{
	return (!demo.not_ready);
}

/* Status: what the hooks counted. */
static void
demo_status(struct json_object *status)
{
	struct json_object	*counts;

	counts = json_object_new_object();
	json_object_object_add(counts, "spawned",
	    json_object_new_int64(demo.spawned));
	json_object_object_add(counts, "removed",
	    json_object_new_int64(demo.removed));
	json_object_object_add(status, "demo", counts);
}

static const struct cr_param n_params[] = {
	{ "n", CR_PARAM_INTEGER, 1 }, { NULL, 0, 0 }
};
static const struct cr_param text_params[] = {
	{ "text", CR_PARAM_STRING, 0 }, { NULL, 0, 0 }
};
static const struct cr_param agents_params[] = {
	{ "agents", CR_PARAM_INTEGER, 1 }, { NULL, 0, 0 }
};

static const struct cr_method demo_methods[] = {
	{ "demo_count", NULL, demo_count, CR_COMBINE_SUM, NULL, NULL },
	{ "demo_min", NULL, demo_count, CR_COMBINE_MIN, NULL, NULL },
	{ "demo_max", NULL, demo_count, CR_COMBINE_MAX, NULL, NULL },
	{ "demo_first", NULL, demo_count, CR_COMBINE_FIRST, NULL, NULL },
	{ "demo_null", NULL, demo_null, CR_COMBINE_NULL, NULL, NULL },
	{ "demo_addresses", NULL, demo_addresses, CR_COMBINE_CONCAT, NULL,
	    NULL },
	{ "demo_addresses_text", text_params, demo_addresses_text,
	    CR_COMBINE_CONCAT, NULL, NULL },
	{ "demo_top", n_params, demo_top, CR_COMBINE_TOP, "score", NULL },
	{ "demo_spread", NULL, demo_spread, CR_COMBINE_CUSTOM, NULL,
	    demo_spread_combine },
	{ "demo_ask", NULL, demo_ask, CR_COMBINE_SUM, NULL, NULL },
	{ "demo_fail_on", agents_params, demo_fail_on, CR_COMBINE_SUM, NULL,
	    NULL },
	{ "demo_fail_list", agents_params, demo_fail_list, CR_COMBINE_CONCAT,
	    NULL, NULL },
	{ "demo_label", NULL, demo_label, CR_COMBINE_FIRST, NULL, NULL },
	{ "demo_hooks", NULL, demo_hooks, CR_COMBINE_CONCAT, NULL, NULL },
	{ NULL, NULL, NULL, 0, NULL, NULL }
};

static const char *const demo_keys[] = { "label", "removed_log", "ready",
	"prepare", NULL };

static const struct cr_extension demo_extension = {
	CR_EXTENSION_HEADER,
	.name = "demo",
	.methods = demo_methods,
	.keys = demo_keys,
	.configure = demo_configure,
	.round_begin = demo_round_begin,
	.round_end = demo_round_end,
	.agent_spawned = demo_agent_spawned,
	.agent_removed = demo_agent_removed,
	.status = demo_status,
	.ready = demo_ready,
	.round_prepare = demo_round_prepare,
	.round_acted = demo_round_acted,
};

static const struct cr_agent_type scorer_type = {
	.name = "scorer",
	.state_size = sizeof(struct scorer),
	.init = scorer_init,
	.act = scorer_act,
	.call = scorer_call,
};

static const struct cr_agent_type *const demo_types[] = {
	&scorer_type, NULL
};

CR_PLUGIN_DEFINE(demo_types, &demo_extension);
