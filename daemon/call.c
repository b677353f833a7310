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
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "creamasd.h"
#include "jsonfast.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Agent-to-agent calls. A call to an agent of this environment is queued
 * and served from the event loop without a socket; a call to another
 * environment goes over one pipelined client connection per peer. Either
 * way the caller's callback runs exactly once, after cr_agent_call() has
 * returned, and a call started during a round keeps that round open.
 */

struct agent_call {
	TAILQ_ENTRY(agent_call)	 entry;		/* local queue */
	TAILQ_ENTRY(agent_call)	 round_entry;	/* calls of the round */
	struct cr_agent		*caller;
	char			*address;	/* of the target */
	long			 target;
	char			*method;
	struct json_object	*params;
	cr_reply_fn		 reply;
	void			*arg;
	uint64_t		 round;		/* its sequence, 0 outside one */
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	char			*host;
	uint16_t		 port;
	struct client		*client;
};

TAILQ_HEAD(agent_calls, agent_call);
TAILQ_HEAD(peers, peer);

static struct agent_calls	 local_calls = TAILQ_HEAD_INITIALIZER(local_calls);
static struct agent_calls	 round_calls = TAILQ_HEAD_INITIALIZER(round_calls);
static struct peers		 peers = TAILQ_HEAD_INITIALIZER(peers);
static struct peers		 lost_peers = TAILQ_HEAD_INITIALIZER(lost_peers);
static struct event		*local_event;
static struct event		*reap_event;
static int			 calls_closing;
static uint64_t			 calls_local;	/* started, ever */
static uint64_t			 calls_remote;

static void	call_local_cb(evutil_socket_t, short, void *);
static void	call_reap_cb(evutil_socket_t, short, void *);

/* Prepare the events that serve local calls and free lost peers. */
void
call_init(void)
{
	calls_closing = 0;
	local_event = event_new(env->base, -1, 0, call_local_cb, NULL);
	reap_event = event_new(env->base, -1, 0, call_reap_cb, NULL);
}

/* End a call: tell the caller, then its round. */
static void
call_finish(struct agent_call *call, const struct json_object *result,
    const struct json_object *error)
{
	if (call->reply != NULL && !calls_closing)
		call->reply(call->caller, result, error, call->arg);
	if (call->round != 0) {
		TAILQ_REMOVE(&round_calls, call, round_entry);
		round_call_done(call->round, call->caller, error);
	}
	json_object_put(call->params);
	free(call->address);
	free(call->method);
	free(call);
}

/* A managing function called by a local agent answered. */
static void
call_manager_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	call_finish(arg, result, error);
}

/* Serve one call to an agent (or the manager) of this environment. */
static void
call_serve_local(struct agent_call *call)
{
	struct cr_agent		*target;
	struct json_object	*result, *error;
	char			*address;

	if (call->target == 0) {
		methods_dispatch(request_local(call_manager_done, call),
		    call->method, call->params);
		return;
	}
	if ((target = env_agent((size_t)call->target)) == NULL) {
		xasprintf(&address, "%s%ld", env->prefix, call->target);
		error = rpc_error_newf(RPC_AGENT_NOT_FOUND,
		    json_object_new_string(address), "no agent %s", address);
		free(address);
		call_finish(call, NULL, error);
		json_object_put(error);
		return;
	}
	agent_dispatch(target, call->method, call->params, &result, &error);
	call_finish(call, result, error);
	json_object_put(result);
	json_object_put(error);
}

/* Serve the local calls queued so far; later ones wait for the next turn. */
static void
call_local_cb(evutil_socket_t fd, short events, void *arg)
{
	struct agent_calls	 batch = TAILQ_HEAD_INITIALIZER(batch);
	struct agent_call	*call;

	/* Take the calls queued so far; new ones wait for the next turn. */
	while ((call = TAILQ_FIRST(&local_calls)) != NULL) {
		TAILQ_REMOVE(&local_calls, call, entry);
		TAILQ_INSERT_TAIL(&batch, call, entry);
	}
	while ((call = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, call, entry);
		call_serve_local(call);
	}
}

/* Free peers whose connection was lost, outside their callbacks. */
static void
call_reap_cb(evutil_socket_t fd, short events, void *arg)
{
	struct peer	*peer;

	while ((peer = TAILQ_FIRST(&lost_peers)) != NULL) {
		TAILQ_REMOVE(&lost_peers, peer, entry);
		client_free(peer->client);
		free(peer->host);
		free(peer);
	}
}

/* Return the connection to host:port, opening a new one if needed. */
static struct client *
call_peer(const char *host, uint16_t port)
{
	struct peer	*peer;

	TAILQ_FOREACH(peer, &peers, entry) {
		if (peer->port == port && strcmp(peer->host, host) == 0)
			break;
	}
	if (peer != NULL && client_is_lost(peer->client)) {
		TAILQ_REMOVE(&peers, peer, entry);
		TAILQ_INSERT_TAIL(&lost_peers, peer, entry);
		event_active(reap_event, 0, 0);
		peer = NULL;
	}
	if (peer == NULL) {
		peer = xcalloc(1, sizeof *peer);
		peer->host = xstrdup(host);
		peer->port = port;
		peer->client = client_new(env->base, host, port,
		    &env->config->limits);
	} else
		TAILQ_REMOVE(&peers, peer, entry);
	/* The most recently used peer comes first. */
	TAILQ_INSERT_HEAD(&peers, peer, entry);
	return (peer->client);
}

/* A remote agent answered (or the call failed). */
static void
call_remote_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	call_finish(arg, result, error);
}

/*
 * Start a call of method on the agent (or manager) at address; in_round
 * makes the running round wait for it.
 */
static int
call_start(struct cr_agent *caller, const char *address, const char *method,
    struct json_object *params, cr_reply_fn reply, void *arg, int in_round)
{
	struct agent_call	*call;
	struct addr		 target;
	struct jsonfast_text	 text;
	char			*cause, *name;
	size_t			 length;

	if (addr_parse(address, &target, &cause) != 0) {
		log_debug("%s: %s", __func__, cause);
		free(cause);
		json_object_put(params);
		return (-1);
	}
	if (method == NULL || (params != NULL &&
	    !json_object_is_type(params, json_type_object))) {
		json_object_put(params);
		return (-1);
	}
	call = xcalloc(1, sizeof *call);
	call->caller = caller;
	call->target = target.agent;
	call->reply = reply;
	call->arg = arg;
	call->address = xstrdup(address);
	if (in_round && env->round != NULL) {
		call->round = env->round->sequence;
		TAILQ_INSERT_TAIL(&round_calls, call, round_entry);
		round_call_started();
	}
	if (strncmp(address, env->prefix, strlen(env->prefix)) == 0) {
		calls_local++;
		call->method = xstrdup(method);
		call->params = params;
		TAILQ_INSERT_TAIL(&local_calls, call, entry);
		event_active(local_event, 0, 0);
		return (0);
	}
	calls_remote++;
	if (target.agent == 0) {
		client_call(call_peer(target.host, target.port), method,
		    params != NULL ? params : json_object_new_object(),
		    env->config->limits.call_timeout, call_remote_done, call);
		return (0);
	}
	/* An agent's calls go out with the others of this turn, as text. */
	length = strlen(method);
	name = xmalloc(length + 7);
	memcpy(name, "agent.", 6);
	memcpy(name + 6, method, length + 1);
	jsonfast_text_init(&text);
	if (params == NULL) {
		jsonfast_text_add(&text, "{\"agent\":", 9);
		jsonfast_text_int(&text, target.agent);
		jsonfast_text_add(&text, "}", 2);
	} else {
		json_object_object_add(params, "agent",
		    json_object_new_int64(target.agent));
		jsonfast_text_value(&text, params);
		jsonfast_text_add(&text, "", 1);
		json_object_put(params);
	}
	client_call_batched(call_peer(target.host, target.port), name,
	    text.data, env->config->limits.call_timeout, call_remote_done,
	    call);
	jsonfast_text_free(&text);
	free(name);
	return (0);
}

/* Call method on the agent at address; see creamas_agent(3). */
int
cr_agent_call(struct cr_agent *caller, const char *address,
    const char *method, struct json_object *params, cr_reply_fn reply,
    void *arg)
{
	return (call_start(caller, address, method, params, reply, arg, 1));
}

/*
 * Call a managing function of another environment for this one (no agent
 * calls it, and no round waits for it).
 */
int
call_manager(const char *address, const char *method,
    struct json_object *params, cr_reply_fn reply, void *arg)
{
	return (call_start(NULL, address, method, params, reply, arg, 0));
}

/* Return how many calls this environment has started, local and remote. */
struct json_object *
call_counts(void)
{
	struct json_object	*counts;

	counts = json_object_new_object();
	json_object_object_add(counts, "local",
	    json_object_new_int64((int64_t)calls_local));
	json_object_object_add(counts, "remote",
	    json_object_new_int64((int64_t)calls_remote));
	return (counts);
}

/*
 * Tell a round that timed out about each of its calls still unanswered:
 * the caller and the address it called. The calls go on; their answers
 * still reach the agents, but no longer the round.
 */
void
call_round_unanswered(uint64_t sequence, void (*each)(const struct cr_agent *,
    const char *, void *), void *arg)
{
	struct agent_call	*call, *next;

	for (call = TAILQ_FIRST(&round_calls); call != NULL; call = next) {
		next = TAILQ_NEXT(call, round_entry);
		if (call->round != sequence)
			continue;
		each(call->caller, call->address, arg);
		TAILQ_REMOVE(&round_calls, call, round_entry);
		call->round = 0;
	}
}

/* Drop every call and peer without calling agents back (at exit). */
void
call_free_all(void)
{
	struct agent_call	*call;
	struct peer		*peer;

	calls_closing = 1;
	while ((call = TAILQ_FIRST(&local_calls)) != NULL) {
		TAILQ_REMOVE(&local_calls, call, entry);
		call_finish(call, NULL, NULL);
	}
	while ((peer = TAILQ_FIRST(&peers)) != NULL) {
		TAILQ_REMOVE(&peers, peer, entry);
		TAILQ_INSERT_TAIL(&lost_peers, peer, entry);
	}
	call_reap_cb(-1, 0, NULL);
	if (local_event != NULL)
		event_free(local_event);
	if (reap_event != NULL)
		event_free(reap_event);
	local_event = reap_event = NULL;
}
