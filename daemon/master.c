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

#include <sys/types.h>

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "clock.h"
#include "combine.h"
#include "creamasd.h"
#include "fanout.h"
#include "jsonspan.h"
#include "log.h"
#include "xmalloc.h"

/*
 * A master (Creamas' MultiEnvironment): every managing function is sent
 * to all slaves at once through the fan-out, and the answers are put
 * together in slave order, then agent order.
 */

#define MASTER_READY_TIMEOUT	10.0
#define MASTER_REPORTS_MAX	100
#define MASTER_HEARTBEAT	30.0	/* seconds, at most */

struct master	*master;

static void	master_heartbeat_schedule(void);

/* Describe a slave's failure as an entry {slave, code, message}. */
static struct json_object *
master_slave_error(const struct slave *slave, const struct json_object *error)
{
	struct json_object	*entry;
	int			 code = rpc_error_code(error);
	const char		*message = rpc_error_message(error);

	if (code == RPC_CONNECTION_LOST || slave->state == SLAVE_LOST) {
		code = RPC_SLAVE_LOST;
		if (slave->reason != NULL)
			message = slave->reason;
	}
	entry = json_object_new_object();
	json_object_object_add(entry, "slave",
	    json_object_new_string(slave->address));
	json_object_object_add(entry, "code", json_object_new_int(code));
	json_object_object_add(entry, "message",
	    json_object_new_string(message));
	return (entry);
}

/* Build one error for a request some slaves failed: the first one named. */
struct json_object *
master_failure(const struct fanout_reply *replies, size_t count)
{
	struct json_object	*failures, *first = NULL, *entry;
	size_t			 i;

	failures = json_object_new_array();
	for (i = 0; i < count; i++) {
		if (replies[i].error == NULL)
			continue;
		entry = master_slave_error(&master->slaves[i],
		    replies[i].error);
		if (first == NULL)
			first = entry;
		json_object_array_add(failures, entry);
	}
	return (rpc_error_newf(
	    json_object_get_int(json_object_object_get(first, "code")),
	    failures, "slave %s: %s",
	    json_object_get_string(json_object_object_get(first, "slave")),
	    json_object_get_string(json_object_object_get(first, "message"))));
}

/*
 * Start a fan-out of method to every slave: a slave still there gets
 * params[i] (taken), a lost one answers an error.
 */
void
master_fanout(struct master_call *call, const char *method,
    struct json_object **params, double timeout, fanout_done_cb done)
{
	struct client	**clients;
	size_t		  i;

	clients = xcalloc(master->nslaves, sizeof *clients);
	for (i = 0; i < master->nslaves; i++) {
		if (master->slaves[i].state != SLAVE_LOST &&
		    master->slaves[i].state != SLAVE_STOPPED)
			clients[i] = master->slaves[i].client;
		else if (params[i] == NULL)
			/* Not left out: a slave gone answers an error. */
			params[i] = json_object_new_object();
	}
	if (call != NULL && call->text)
		fanout_call_text(env->base, clients, master->nslaves, method,
		    params, timeout, done, call);
	else
		fanout_call(env->base, clients, master->nslaves, method,
		    params, timeout, done, call);
	free(clients);
}

/* Fan the same params (borrowed) out to every slave. */
void
master_fanout_all(struct master_call *call, const char *method,
    struct json_object *params, double timeout, fanout_done_cb done)
{
	struct json_object	**each;
	size_t			  i;

	each = xcalloc(master->nslaves, sizeof *each);
	for (i = 0; i < master->nslaves; i++)
		each[i] = params != NULL ? json_object_get(params) : NULL;
	master_fanout(call, method, each, timeout, done);
	free(each);
}

/*
 * Return a copy of params (borrowed; NULL for none) whose members are
 * the same values, with name set to value (taken): the params a master
 * asks its slaves with.
 */
struct json_object *
master_params_with(struct json_object *params, const char *name,
    struct json_object *value)
{
	struct json_object	*copy = json_object_new_object();

	if (json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, key, member)
			json_object_object_add(copy, key,
			    json_object_get(member));
	}
	json_object_object_add(copy, name, value);
	return (copy);
}

/* Make the context of a fan-out for a request. */
struct master_call *
master_call_new(struct request *request, struct json_object *params)
{
	struct master_call	*call;

	call = xcalloc(1, sizeof *call);
	call->request = request;
	call->params = json_object_get(params);
	call->start_us = env_now_us();
	return (call);
}

/* Free a fan-out's context. */
void
master_call_free(struct master_call *call)
{
	json_object_put(call->params);
	free(call);
}

/* Done: an error if any slave failed, else null. */
static void
master_done_null(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;

	if (fanout_failures(replies, count) > 0)
		request_error(call->request, master_failure(replies, count));
	else
		request_reply(call->request, NULL);
	master_call_free(call);
}

/* Combine the answers that are not errors by the method's rule. */
static int
master_combine_answers(const struct method *method,
    struct json_object *params, const struct fanout_reply *replies,
    size_t count, struct json_object **result, char **cause)
{
	const char	**sources;
	size_t		  i;
	int		  rc;

	if (method->combine != CR_COMBINE_CUSTOM || method->extension == NULL)
		return (combine_replies(method->combine, method->key,
		    json_object_get_int64(rpc_param(params, "n")), replies,
		    count, result, cause));
	sources = xcalloc(count + 1, sizeof *sources);
	for (i = 0; i < count; i++)
		sources[i] = master->slaves[i].address;
	rc = extension_combine(method, params, replies, count, sources,
	    result, cause);
	free(sources);
	return (rc);
}

/*
 * An extension's method failed on some slaves: the error names the first
 * of them, and its data keeps the failures and partial, what the others
 * answered, combined (taken; null if they could not be).
 */
static struct json_object *
master_failure_partial(const struct fanout_reply *replies, size_t count,
    struct json_object *partial)
{
	struct json_object	*error, *data;

	error = master_failure(replies, count);
	data = json_object_new_object();
	json_object_object_add(data, "failures",
	    json_object_get(json_object_object_get(error, "data")));
	json_object_object_add(data, "partial", partial);
	json_object_object_add(error, "data", data);
	return (error);
}

/* Return 1 if a request is for a method an extension defined. */
static int
master_from_extension(const struct request *request)
{
	return (request->method != NULL && request->method->owner != NULL);
}

/* The answers that are not errors, combined, or NULL. */
static struct json_object *
master_partial(const struct method *method, struct json_object *params,
    const struct fanout_reply *replies, size_t count)
{
	struct json_object	*partial;
	char			*cause;

	if (master_combine_answers(method, params, replies, count, &partial,
	    &cause) != 0) {
		free(cause);
		return (NULL);
	}
	return (partial);
}

/* The answers that are not errors, kept as text, joined and parsed. */
static struct json_object *
master_partial_text(struct fanout_reply *replies, size_t count)
{
	struct json_object	*partial = NULL, *error = NULL;
	struct evbuffer		*joined;

	if ((joined = fanout_splice(replies, count)) == NULL)
		return (NULL);
	if (rpc_parse_line((const char *)evbuffer_pullup(joined, -1),
	    evbuffer_get_length(joined), &partial, &error) != 0) {
		json_object_put(error);
		partial = NULL;
	}
	evbuffer_free(joined);
	return (partial);
}

/* Done: the answers combined by the method's rule, or the failures. */
static void
master_done_combine(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	const struct method	*method = call->request->method;
	struct json_object	*result;
	char			*cause;

	if (fanout_failures(replies, count) > 0) {
		request_error(call->request,
		    master_from_extension(call->request) ?
		    master_failure_partial(replies, count, master_partial(
		    method, call->params, replies, count)) :
		    master_failure(replies, count));
	} else if (master_combine_answers(method, call->params, replies,
	    count, &result, &cause) != 0) {
		request_error(call->request, rpc_error_newf(RPC_FAILED, NULL,
		    "%s: %s", method->name, cause));
		free(cause);
	} else
		request_reply(call->request, result);
	master_call_free(call);
}

/*
 * Done, answers kept as text: an error if any slave failed, else their
 * result arrays joined as text into the reply, never parsed.
 */
static void
master_done_splice(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	struct evbuffer		*joined;

	if (fanout_failures(replies, count) > 0)
		request_error(call->request,
		    master_from_extension(call->request) ?
		    master_failure_partial(replies, count,
		    master_partial_text(replies, count)) :
		    master_failure(replies, count));
	else if ((joined = fanout_splice(replies, count)) == NULL)
		request_error(call->request, env_memory_error("the reply",
		    0));
	else
		request_reply_text(call->request, joined);
	master_call_free(call);
}

/*
 * Fan the request's method out to every slave and combine the answers;
 * arrays to concatenate are joined as text.
 */
void
master_combine(struct request *request, struct json_object *params)
{
	struct master_call	*call = master_call_new(request, params);

	if (request->method->combine == CR_COMBINE_CONCAT) {
		call->text = 1;
		master_fanout_all(call, request->method->name, params,
		    env->config->limits.call_timeout, master_done_splice);
		return;
	}
	master_fanout_all(call, request->method->name, params,
	    env->config->limits.call_timeout, master_done_combine);
}

/*
 * create_connections, second half: every slave found its part of the
 * map right, so every slave adds it now.
 */
static void
master_done_connections_checked(struct fanout_reply *replies, size_t count,
    void *arg)
{
	struct master_call	*call = arg;

	if (fanout_failures(replies, count) > 0)
		request_error(call->request, master_failure(replies, count));
	else
		master_combine(call->request, call->params);
	master_call_free(call);
}

/*
 * create_connections: every slave first checks its part of the map, and
 * only when all found theirs right do they add them, so that a map one
 * slave refuses changes no slave, as it changes nothing on a slave.
 */
void
master_create_connections(struct request *request,
    struct json_object *params)
{
	struct json_object	*checked;

	if (json_object_get_boolean(rpc_param(params, "check"))) {
		master_combine(request, params);
		return;
	}
	checked = master_params_with(params, "check",
	    json_object_new_boolean(1));
	master_fanout_all(master_call_new(request, params),
	    "create_connections", checked, env->config->limits.call_timeout,
	    master_done_connections_checked);
	json_object_put(checked);
}

/* Forward the request's method to every slave; null when all succeed. */
static void
master_method_null(struct request *request, struct json_object *params)
{
	master_fanout_all(master_call_new(request, params),
	    request->method->name, params, env->config->limits.call_timeout,
	    master_done_null);
}

/* set_log_folder: the master's own log and every slave's. */
void
master_set_log_folder(struct request *request, struct json_object *params)
{
	char	*cause;

	if (env_set_log_folder(json_object_get_string(rpc_param(params,
	    "path")), &cause) != 0) {
		request_error(request, rpc_error_new(RPC_FAILED, cause, NULL));
		free(cause);
		return;
	}
	master_method_null(request, params);
}

/* configure: the master's own extension and every slave's. */
void
master_configure(struct request *request, struct json_object *params)
{
	char	*cause;

	if (extension_configure(json_object_get_string(rpc_param(params,
	    "key")), json_object_get_string(rpc_param(params, "value")),
	    &cause) != 0) {
		request_error(request, rpc_error_new(RPC_INVALID_PARAMS, cause,
		    NULL));
		free(cause);
		return;
	}
	master_method_null(request, params);
}

/* set_time: the master's own time and every slave's. */
void
master_set_time(struct request *request, struct json_object *params)
{
	env->time = json_object_get_double(rpc_param(params, "t"));
	master_method_null(request, params);
}

/* is_ready: true when every slave is there and ready. */
static void
master_done_is_ready(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	size_t			 i;
	int			 ready = 1;

	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL ||
		    !json_object_get_boolean(replies[i].result))
			ready = 0;
		else if (master->slaves[i].state == SLAVE_STARTING)
			master->slaves[i].state = SLAVE_READY;
	}
	request_reply(call->request, json_object_new_boolean(ready));
	master_call_free(call);
}

/* is_ready: ask every slave. */
void
master_is_ready(struct request *request, struct json_object *params)
{
	master_fanout_all(master_call_new(request, params), "is_ready", NULL,
	    env->config->limits.call_timeout, master_done_is_ready);
}

/* Add the agents in a result (addresses or a count) to the slave's. */
static void
master_count_spawned(size_t index, const struct json_object *result)
{
	if (json_object_is_type(result, json_type_array))
		master->slaves[index].agents +=
		    json_object_array_length(result);
	else if (json_object_is_type(result, json_type_int))
		master->slaves[index].agents +=
		    (uint64_t)json_object_get_int64(result);
	else if (json_object_is_type(result, json_type_string))
		master->slaves[index].agents++;
}

/* Count the agents in a spawn_n result kept as text: the number it is. */
static uint64_t
master_count_spawned_text(const struct fanout_reply *reply)
{
	uint64_t	 made;

	if (reply->text == NULL || jsonspan_count(reply->text, reply->start,
	    reply->end, UINT64_MAX / 2, &made) != 0)
		return (0);
	return (made);
}

/*
 * spawn_n done, answers kept as text: count each slave's new agents;
 * then, with addresses false, add the counts up, else answer their
 * addresses, written from the slaves' runs.
 */
static void
master_done_spawn(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	struct json_object	*addresses;
	uint64_t		 made = 0, one, *each;
	size_t			 i;

	addresses = rpc_param(call->params, "addresses");
	if (addresses == NULL || json_object_get_boolean(addresses)) {
		each = xcalloc(count + 1, sizeof *each);
		master_agents_answer(call, replies, count, each);
		for (i = 0; i < count; i++)
			master->slaves[i].agents += each[i];
		free(each);
		return;
	}
	for (i = 0; i < count; i++) {
		one = master_count_spawned_text(&replies[i]);
		master->slaves[i].agents += one;
		made += one;
	}
	if (fanout_failures(replies, count) > 0) {
		master_done_splice(replies, count, arg);
		return;
	}
	request_reply(call->request, json_object_new_int64((int64_t)made));
	master_call_free(call);
}

/*
 * Build spawn_n's params for one slave: type, n and params, no "slave";
 * with runs, its addresses are asked for as runs.
 */
static struct json_object *
master_spawn_n_params(struct json_object *params, int64_t share, int runs)
{
	struct json_object	*copy;

	copy = json_object_new_object();
	json_object_object_add(copy, "type",
	    json_object_get(rpc_param(params, "type")));
	json_object_object_add(copy, "n", json_object_new_int64(share));
	if (rpc_param(params, "params") != NULL)
		json_object_object_add(copy, "params",
		    json_object_get(rpc_param(params, "params")));
	if (rpc_param(params, "addresses") != NULL)
		json_object_object_add(copy, "addresses",
		    json_object_get(rpc_param(params, "addresses")));
	if (runs)
		json_object_object_add(copy, "runs",
		    json_object_new_boolean(1));
	return (copy);
}

static void	master_forward(struct request *, size_t, const char *,
		    struct json_object *, int);

/*
 * spawn_n: n agents spread evenly over the slaves still there, or all on
 * the one named by "slave".
 */
void
master_spawn_n(struct request *request, struct json_object *params)
{
	struct json_object	**each, *slave_param, *single;
	struct client		**clients;
	int64_t			  total, share, live = 0, rank = 0, index;
	size_t			  i;

	total = json_object_get_int64(rpc_param(params, "n"));
	if ((slave_param = rpc_param(params, "slave")) != NULL) {
		index = json_object_get_int64(slave_param);
		if (index < 0 || (size_t)index >= master->nslaves) {
			request_error(request, rpc_error_newf(
			    RPC_INVALID_PARAMS, json_object_new_string("slave"),
			    "slave must be in 0..%zu", master->nslaves - 1));
			return;
		}
		single = master_spawn_n_params(params, total, 0);
		master_forward(request, (size_t)index, "spawn_n", single, 1);
		json_object_put(single);
		return;
	}
	clients = xcalloc(master->nslaves, sizeof *clients);
	for (i = 0; i < master->nslaves; i++) {
		if (master->slaves[i].state == SLAVE_STARTING ||
		    master->slaves[i].state == SLAVE_READY) {
			clients[i] = master->slaves[i].client;
			live++;
		}
	}
	if (live == 0) {
		free(clients);
		request_error(request, rpc_error_new(RPC_SLAVE_LOST,
		    "no slave left", NULL));
		return;
	}
	each = xcalloc(master->nslaves, sizeof *each);
	for (i = 0; i < master->nslaves; i++) {
		if (clients[i] == NULL)
			continue;
		share = total / live + (rank++ < total % live);
		if (share > 0)
			each[i] = master_spawn_n_params(params, share, 1);
		else
			clients[i] = NULL;	/* nothing for it: left out */
	}
	fanout_call_text(env->base, clients, master->nslaves, "spawn_n", each,
	    env->config->limits.call_timeout, master_done_spawn,
	    master_call_new(request, params));
	free(each);
	free(clients);
}

/* A call to one slave. */
struct master_single {
	struct request		*request;
	size_t			 index;
	int			 counts_spawn;
};

/* Answer an error for a slave that cannot be asked any more. */
static struct json_object *
master_lost_error(const struct slave *slave)
{
	return (rpc_error_newf(RPC_SLAVE_LOST,
	    json_object_new_string(slave->address), "slave %s lost: %s",
	    slave->address, slave->reason != NULL ? slave->reason : "gone"));
}

/* A single slave answered: pass its answer on, naming it in errors. */
static void
master_single_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	struct master_single	*single = arg;
	struct slave		*slave = &master->slaves[single->index];
	struct json_object	*entry;
	int			 code;

	code = error != NULL ? rpc_error_code(error) : 0;
	/* What the connection said (lost, no reply) names the slave. */
	if (error != NULL && code != RPC_CONNECTION_LOST &&
	    code != RPC_TIMED_OUT && code != RPC_UNAUTHORISED &&
	    slave->state != SLAVE_LOST) {
		/* The slave's own error (data naming the agent), as it is. */
		request_error(single->request, json_object_get(error));
	} else if (error != NULL) {
		entry = master_slave_error(slave, error);
		request_error(single->request, rpc_error_new(
		    json_object_get_int(json_object_object_get(entry, "code")),
		    json_object_get_string(json_object_object_get(entry,
		    "message")), json_object_new_string(slave->address)));
		json_object_put(entry);
	} else {
		if (single->counts_spawn)
			master_count_spawned(single->index, result);
		request_reply(single->request, json_object_get(result));
	}
	free(single);
}

/* Send method(params, borrowed) to one slave and pass its answer on. */
static void
master_forward(struct request *request, size_t index, const char *method,
    struct json_object *params, int counts_spawn)
{
	struct slave		*slave = &master->slaves[index];
	struct master_single	*single;

	if (slave->state == SLAVE_LOST || slave->state == SLAVE_STOPPED) {
		request_error(request, master_lost_error(slave));
		return;
	}
	single = xcalloc(1, sizeof *single);
	single->request = request;
	single->index = index;
	single->counts_spawn = counts_spawn;
	client_call(slave->client, method, json_object_get(params),
	    env->config->limits.call_timeout, master_single_done, single);
}

/* spawn: one agent on the slave with the fewest. */
void
master_spawn(struct request *request, struct json_object *params)
{
	size_t	 i, best = master->nslaves;

	for (i = 0; i < master->nslaves; i++) {
		if (master->slaves[i].state == SLAVE_LOST)
			continue;
		if (best == master->nslaves ||
		    master->slaves[i].agents < master->slaves[best].agents)
			best = i;
	}
	if (best == master->nslaves) {
		request_error(request, rpc_error_new(RPC_SLAVE_LOST,
		    "no slave left", NULL));
		return;
	}
	master_forward(request, best, "spawn", params, 1);
}

/* Find the slave holding an agent address; fills error if none does. */
static int
master_find_slave(struct json_object *which, size_t *index,
    struct json_object **error)
{
	struct addr	 parsed;
	size_t		 i;

	switch (env_parse_agent_param(which, &parsed, error)) {
	case -1:
		return (-1);
	case 1:
		*error = rpc_error_new(RPC_INVALID_PARAMS, "a master needs "
		    "the agent's address in 'agent'",
		    json_object_new_string("agent"));
		return (-1);
	}
	for (i = 0; i < master->nslaves; i++) {
		if (master->slaves[i].port == parsed.port) {
			*index = i;
			return (0);
		}
	}
	*error = rpc_error_newf(RPC_AGENT_NOT_FOUND,
	    json_object_new_string(rpc_quote(json_object_get_string(which))),
	    "no slave of this master holds %s",
	    rpc_quote(json_object_get_string(which)));
	return (-1);
}

/* agent.NAME and trigger_act: forward to the slave holding the agent. */
void
master_route(struct request *request, const char *method,
    struct json_object *params)
{
	struct json_object	*which = NULL, *error;
	size_t			 index;

	if (params != NULL)
		json_object_object_get_ex(params, "agent", &which);
	if (master_find_slave(which, &index, &error) != 0) {
		request_error(request, error);
		return;
	}
	master_forward(request, index, method, params, 0);
}

/* A slave's part of a round, for timings: {slave, agents, act_us, ...}. */
static struct json_object *
master_trigger_timing(const struct slave *slave, struct json_object *result)
{
	struct json_object	*timing;
	static const char	*keys[] = { "agents", "act_us", "elapsed_us" };
	size_t			 i;

	timing = json_object_new_object();
	json_object_object_add(timing, "slave",
	    json_object_new_string(slave->address));
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_object_add(timing, keys[i], json_object_new_int64(
		    json_object_get_int64(json_object_object_get(result,
		    keys[i]))));
	return (timing);
}

/* What is left of max_reply for the results written so far. */
static uint64_t
master_reply_room(struct evbuffer *list)
{
	size_t	 used = evbuffer_get_length(list);

	return (used < env->config->limits.max_reply ?
	    env->config->limits.max_reply - used : 0);
}

/*
 * Add a slave's results to list (when not NULL): its result_runs written
 * out (valueruns.h) or its results spliced as text. Return where they
 * are in the reply's result text, or -1 if it has none; a slave whose
 * runs are not of the form gets an error instead.
 */
static int
master_trigger_results(struct fanout_reply *reply, struct evbuffer *list,
    int *written, size_t *start, size_t *end)
{
	const char	*text = reply->text + reply->start, *why;
	size_t		 length = reply->end - reply->start;

	if (jsonspan_find(text, length, "result_runs", start, end) == 0) {
		if (list != NULL && valueruns_expand(list, text + *start,
		    *end - *start, master_reply_room(list), written,
		    &why) != 0)
			reply->error = rpc_error_newf(RPC_INTERNAL_ERROR, NULL,
			    "trigger_all: the slave's result runs: %s",
			    why != NULL ? why : "out of memory");
		return (0);
	}
	if (jsonspan_find(text, length, "results", start, end) == 0) {
		if (list != NULL)
			fanout_splice_text(list, reply, reply->start + *start,
			    reply->start + *end, written);
		return (0);
	}
	return (-1);
}

/*
 * Parse a slave's trigger_all result kept as text, but for its results,
 * which go as text into list (when not NULL) instead: the counts and
 * errors become the reply's result, as if parsed whole. The text was
 * checked when it came, so its results are found without checking them
 * again.
 */
static void
master_trigger_parse(struct fanout_reply *reply, struct evbuffer *list,
    int *written)
{
	const char		*text;
	size_t			 length, start, end;
	struct evbuffer		*rest;
	struct json_object	*error;

	if (reply->text == NULL)
		return;
	text = reply->text + reply->start;
	length = reply->end - reply->start;
	rest = evbuffer_new();
	if (master_trigger_results(reply, list, written, &start, &end) == 0) {
		evbuffer_add(rest, text, start);
		evbuffer_add(rest, "null", 4);
		evbuffer_add(rest, text + end, length - end);
	} else
		evbuffer_add(rest, text, length);
	if (reply->error == NULL && rpc_parse_line((const char *)
	    evbuffer_pullup(rest, -1), evbuffer_get_length(rest),
	    &reply->result, &error) != 0) {
		reply->error = error;
		reply->result = NULL;
	}
	evbuffer_free(rest);
}

/*
 * trigger_all done: add the slaves' counts up and list every failure;
 * the round's act time is its slowest slave's; the agents' results are
 * joined as text, never parsed.
 */
static void
master_done_trigger(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	struct json_object	*reply, *errors, *item, *entry;
	struct json_object	*timings;
	struct evbuffer		*results = NULL;
	int64_t			 agents = 0, failed = 0, round = 0, act = 0;
	uint64_t		 elapsed = env_now_us() - call->start_us;
	size_t			 i, j;
	int			 written = 0;

	errors = json_object_new_array();
	timings = json_object_new_array();
	if (json_object_get_boolean(rpc_param(call->params, "results")))
		results = evbuffer_new();
	for (i = 0; i < count; i++) {
		master_trigger_parse(&replies[i], results, &written);
		if (replies[i].error != NULL) {
			json_object_array_add(errors, master_slave_error(
			    &master->slaves[i], replies[i].error));
			continue;
		}
		agents += json_object_get_int64(json_object_object_get(
		    replies[i].result, "agents"));
		failed += json_object_get_int64(json_object_object_get(
		    replies[i].result, "failed"));
		round = json_object_get_int64(json_object_object_get(
		    replies[i].result, "round"));
		entry = master_trigger_timing(&master->slaves[i],
		    replies[i].result);
		if (json_object_get_int64(json_object_object_get(entry,
		    "act_us")) > act)
			act = json_object_get_int64(json_object_object_get(
			    entry, "act_us"));
		json_object_array_add(timings, entry);
		item = json_object_object_get(replies[i].result, "errors");
		for (j = 0; j < json_object_array_length(item); j++) {
			entry = json_object_array_get_idx(item, j);
			/* An error of no agent says which slave it was. */
			if (json_object_object_get(entry, "agent") == NULL)
				json_object_object_add(entry, "slave",
				    json_object_new_string(
				    master->slaves[i].address));
			json_object_array_add(errors, json_object_get(entry));
		}
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "agents", json_object_new_int64(agents));
	json_object_object_add(reply, "failed", json_object_new_int64(failed));
	json_object_object_add(reply, "elapsed_us",
	    json_object_new_int64((int64_t)elapsed));
	json_object_object_add(reply, "act_us", json_object_new_int64(act));
	json_object_object_add(reply, "round", json_object_new_int64(round));
	json_object_object_add(reply, "errors", errors);
	json_object_object_add(reply, "slaves", timings);
	stats_round_done(elapsed, (uint64_t)failed);
	env->round_number = (uint64_t)round;
	request_reply_text(call->request, request_object_text(reply,
	    "results", results));
	json_object_put(reply);
	master_call_free(call);
}

/* trigger_all: a round on every slave at once. */
void
master_trigger_all(struct request *request, struct json_object *params)
{
	struct json_object	*error, *asked;
	struct master_call	*call;
	double			 seconds;

	if (round_check_params(params, &seconds, &error) != 0) {
		request_error(request, error);
		return;
	}
	/* Slaves end their rounds at the timeout; allow for the trip. */
	call = master_call_new(request, params);
	call->text = 1;
	/* Results come as runs of values, written out here. */
	asked = json_object_get_boolean(rpc_param(params, "results")) ?
	    master_params_with(params, "runs", json_object_new_boolean(1)) :
	    json_object_get(params);
	master_fanout_all(call, "trigger_all", asked, seconds + 1.0,
	    master_done_trigger);
	json_object_put(asked);
}

/* create_random_connections, second half: apply the drawn map. */
static void
master_done_random_agents(struct fanout_reply *replies, size_t count,
    void *arg)
{
	struct master_call	*call = arg, *apply;
	struct json_object	*agents, *map, *list, *params, *error;
	int64_t			 n;
	size_t			 total, i, made, j, pick;
	size_t			*picked;

	if (fanout_failures(replies, count) > 0) {
		request_error(call->request, master_failure(replies, count));
		master_call_free(call);
		return;
	}
	agents = fanout_concat(replies, count);
	total = json_object_array_length(agents);
	n = json_object_get_int64(rpc_param(call->params, "n"));
	if (methods_check_random_n(n, total, &error) != 0) {
		request_error(call->request, error);
		json_object_put(agents);
		master_call_free(call);
		return;
	}
	map = json_object_new_object();
	picked = xcalloc((size_t)n + 1, sizeof *picked);
	for (i = 0; i < total; i++) {
		/* Floyd's sampling of n among the others, as in a slave. */
		made = 0;
		for (j = total - 1 - (size_t)n + 1; j <= total - 1; j++) {
			pick = 1 + env_random((uint32_t)j);
			for (size_t k = 0; k < made; k++) {
				if (picked[k] == pick) {
					pick = j;
					break;
				}
			}
			picked[made++] = pick;
		}
		list = json_object_new_array();
		for (j = 0; j < made; j++) {
			pick = picked[j] - 1;
			if (pick >= i)
				pick++;
			json_object_array_add(list, json_object_get(
			    json_object_array_get_idx(agents, pick)));
		}
		json_object_object_add(map, json_object_get_string(
		    json_object_array_get_idx(agents, i)), list);
	}
	free(picked);
	params = json_object_new_object();
	json_object_object_add(params, "map", map);
	apply = master_call_new(call->request, NULL);
	master_fanout_all(apply, "create_connections", params,
	    env->config->limits.call_timeout, master_done_null);
	json_object_put(params);
	json_object_put(agents);
	master_call_free(call);
}

/*
 * create_random_connections: n distinct random connections for every
 * agent among all the agents of all slaves.
 */
void
master_create_random_connections(struct request *request,
    struct json_object *params)
{
	master_fanout_all(master_call_new(request, params), "get_agents",
	    NULL, env->config->limits.call_timeout,
	    master_done_random_agents);
}

/* get_slave_managers: the /0 address of every slave. */
void
master_get_slave_managers(struct request *request,
    struct json_object *params)
{
	struct json_object	*list;
	size_t			 i;

	list = json_object_new_array();
	for (i = 0; i < master->nslaves; i++)
		json_object_array_add(list,
		    json_object_new_string(master->slaves[i].address));
	request_reply(request, list);
}

/* set_host_managers: every slave learns this master's /0. */
void
master_set_host_managers(struct request *request, struct json_object *params)
{
	struct json_object	*each;
	char			*manager;

	xasprintf(&manager, "%s0", env->prefix);
	each = json_object_new_object();
	json_object_object_add(each, "addr", json_object_new_string(manager));
	free(manager);
	master_fanout_all(master_call_new(request, params), "set_host_manager",
	    each, env->config->limits.call_timeout, master_done_null);
	json_object_put(each);
}

/* report: a slave (or anyone) tells the master something; kept a while. */
void
master_report(struct request *request, struct json_object *params)
{
	struct json_object	*entry;

	entry = json_object_new_object();
	json_object_object_add(entry, "data",
	    json_object_get(rpc_param(params, "data")));
	json_object_object_add(entry, "time", json_object_new_double(
	    (env_now_us() - env->started_us) / 1e6));
	if (json_object_array_length(master->reports) >= MASTER_REPORTS_MAX)
		json_object_array_del_idx(master->reports, 0, 1);
	json_object_array_add(master->reports, entry);
	request_reply(request, NULL);
}

/* Name a slave state. */
static const char *
master_state_name(enum slave_state state)
{
	switch (state) {
	case SLAVE_STARTING:
		return ("starting");
	case SLAVE_READY:
		return ("ready");
	case SLAVE_LOST:
		return ("lost");
	case SLAVE_STOPPED:
		return ("stopped");
	}
	return ("unknown");
}

/* status done: the master's own status with one entry per slave. */
static void
master_done_status(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	struct json_object	*status, *slaves, *entry;
	struct slave		*slave;
	int64_t			 agents = 0;
	size_t			 i;

	status = status_get();
	slaves = json_object_new_array();
	for (i = 0; i < count; i++) {
		slave = &master->slaves[i];
		entry = replies[i].result != NULL ?
		    json_object_get(replies[i].result) :
		    json_object_new_object();
		json_object_object_add(entry, "address",
		    json_object_new_string(slave->address));
		json_object_object_add(entry, "pid",
		    json_object_new_int(slave->pid));
		json_object_object_add(entry, "state",
		    json_object_new_string(master_state_name(slave->state)));
		if (slave->reason != NULL)
			json_object_object_add(entry, "reason",
			    json_object_new_string(slave->reason));
		if (replies[i].error != NULL)
			json_object_object_add(entry, "error",
			    json_object_get(replies[i].error));
		agents += json_object_get_int64(json_object_object_get(entry,
		    "agents"));
		json_object_array_add(slaves, entry);
	}
	json_object_object_add(status, "agents", json_object_new_int64(agents));
	json_object_object_add(status, "slaves", slaves);
	json_object_object_add(status, "reports",
	    json_object_get(master->reports));
	request_reply(call->request, status);
	master_call_free(call);
}

/* status: the master and every slave. */
void
master_status(struct request *request, struct json_object *params)
{
	master_fanout_all(master_call_new(request, params), "status", NULL,
	    env->config->limits.call_timeout, master_done_status);
}

/* stop: reply once every slave has closed, then stop the master. */
void
master_stop_method(struct request *request, struct json_object *params)
{
	struct json_object	*folder = rpc_param(params, "log_folder");

	master->stop_request = request;
	env_stop(folder != NULL ? json_object_get_string(folder) : NULL);
}

/* trigger_act: on the slave holding the agent. */
void
master_trigger_act(struct request *request, struct json_object *params)
{
	master_route(request, "trigger_act", params);
}

/* SIGCHLD: reap slaves. */
static void
master_sigchld_cb(evutil_socket_t fd, short events, void *arg)
{
	slaves_reap();
}

/* Heartbeat answers: nothing to do; a lost slave is noticed anyway. */
static void
master_done_heartbeat(struct fanout_reply *replies, size_t count, void *arg)
{
}

/*
 * Ask every slave is_ready now and then: it keeps the connections from
 * looking idle to the slaves (idle_timeout) and finds a dead one early.
 */
static void
master_heartbeat_cb(evutil_socket_t fd, short events, void *arg)
{
	if (env->stopping)
		return;
	master_fanout_all(NULL, "is_ready", NULL,
	    env->config->limits.call_timeout, master_done_heartbeat);
	master_heartbeat_schedule();
}

/* Arm the next heartbeat, well within the slaves' idle timeout. */
static void
master_heartbeat_schedule(void)
{
	double		 every = MASTER_HEARTBEAT;
	double		 idle = env->config->limits.idle_timeout;
	struct timeval	 tv;

	if (idle > 0 && idle / 3 < every)
		every = idle / 3;
	tv = clock_timeval(every);
	if (master->heartbeat == NULL)
		master->heartbeat = evtimer_new(env->base,
		    master_heartbeat_cb, NULL);
	evtimer_add(master->heartbeat, &tv);
}

/* The first is_ready came back: the node is up, or it failed. */
static void
master_done_ready(struct fanout_reply *replies, size_t count, void *arg)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		if (replies[i].error == NULL &&
		    json_object_get_boolean(replies[i].result)) {
			master->slaves[i].state = SLAVE_READY;
			continue;
		}
		slaves_kill_all();
		detach_fail("slave %s is not ready: %s",
		    master->slaves[i].address, replies[i].error != NULL ?
		    rpc_error_message(replies[i].error) : "is_ready is false");
	}
	detach_ready(env->config->foreground, env->port);
	log_info("master at %s0 with %zu slaves", env->prefix,
	    master->nslaves);
	master_heartbeat_schedule();
}

/*
 * Return how many CPUs this process may run on: its affinity (a batch
 * job's or a container's share of the node), else the CPUs online.
 */
static size_t
master_usable_cpus(void)
{
	cpu_set_t	 set;
	long		 online;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return ((size_t)CPU_COUNT(&set));
	online = sysconf(_SC_NPROCESSORS_ONLN);
	return (online > 0 ? (size_t)online : 1);
}

/* Start the slaves; the node is announced ready once all answer. */
int
master_start(char **cause)
{
	struct daemon_config	*config = env->config;
	long			 first;

	master = xcalloc(1, sizeof *master);
	master->reports = json_object_new_array();
	master->nslaves = config->slaves;
	if (master->nslaves == 0)
		master->nslaves = master_usable_cpus();
	master->slaves = xcalloc(master->nslaves, sizeof *master->slaves);
	master->sigchld = evsignal_new(env->base, SIGCHLD, master_sigchld_cb,
	    NULL);
	evsignal_add(master->sigchld, NULL);
	if (config->slave_ports >= 0)
		first = config->slave_ports;
	else
		first = env->listen_port == 0 ? 0 : (long)env->port + 1;
	if (slaves_start(env->listen_host, first, cause) != 0)
		return (-1);
	master_fanout_all(NULL, "is_ready", NULL, MASTER_READY_TIMEOUT,
	    master_done_ready);
	return (0);
}

/* Check on the stopping slaves; signal the ones that linger. */
static void
master_stop_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	 tv = { 0, 100000 };
	uint64_t	 waited;
	double		 grace = env->config->stop_grace;

	slaves_reap();
	waited = env_now_us() - master->stop_started_us;
	if (!slaves_all_exited()) {
		if (master->stop_phase == 0 && waited > grace * 1e6) {
			slaves_signal_remaining(SIGTERM);
			master->stop_phase = 1;
		} else if (master->stop_phase == 1 &&
		    waited > (grace + 2.0) * 1e6) {
			slaves_signal_remaining(SIGKILL);
			master->stop_phase = 2;
		}
		evtimer_add(master->stop_timer, &tv);
		return;
	}
	log_info("every slave has stopped");
	if (master->stop_request != NULL) {
		request_reply(master->stop_request, json_object_new_boolean(1));
		master->stop_request = NULL;
	}
	env_stop_finish();
}

/* The stop calls came back; the timer watches the processes go. */
static void
master_done_stop(struct fanout_reply *replies, size_t count, void *arg)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL &&
		    master->slaves[i].state != SLAVE_STOPPED &&
		    master->slaves[i].state != SLAVE_LOST)
			log_warnx("stop %s: %s", master->slaves[i].address,
			    rpc_error_message(replies[i].error));
	}
}

/* Stop every slave in parallel; env_stop_finish() follows when done. */
void
master_stop(const char *log_folder)
{
	struct json_object	*params = NULL;
	struct timeval		 tv = { 0, 100000 };

	if (log_folder != NULL) {
		params = json_object_new_object();
		json_object_object_add(params, "log_folder",
		    json_object_new_string(log_folder));
	}
	master->stop_started_us = env_now_us();
	master_agents_abort();
	master_fanout_all(NULL, "stop", params, env->config->stop_grace,
	    master_done_stop);
	json_object_put(params);
	master->stop_timer = evtimer_new(env->base, master_stop_timer_cb,
	    NULL);
	evtimer_add(master->stop_timer, &tv);
}

/* Free the master (after every slave has exited). */
void
master_free(void)
{
	if (master == NULL)
		return;
	slaves_free();
	if (master->sigchld != NULL)
		event_free(master->sigchld);
	if (master->stop_timer != NULL)
		event_free(master->stop_timer);
	if (master->heartbeat != NULL)
		event_free(master->heartbeat);
	json_object_put(master->reports);
	free(master);
	master = NULL;
}
