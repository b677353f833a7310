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

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * spawn_n: many agents at once, in slices like a round's acts, so that
 * the daemon keeps answering while a million agents are made. It is all
 * or nothing: memory is asked for as it is needed and never taken by
 * force, and when an agent cannot be made (memory, its init, an
 * extension's refusal) every agent of the request goes again and the
 * error says why. While it runs, requests that would see or change its
 * agents wait for it, in order; those that only look at the environment
 * are answered.
 */

#define SPAWN_SLICE_US		2000	/* agents made between turns */
#define SPAWN_SLICE_CHECK	255	/* look at the clock every 256 */

/* A request that waits for the spawn to end. */
struct spawn_waiting {
	TAILQ_ENTRY(spawn_waiting) entry;
	struct request		*request;
	char			*name;
	struct json_object	*params;
};

/* A spawn_n in progress. */
struct spawn {
	struct request		*request;
	char			*type;
	struct json_object	*params;	/* the agents' init params */
	size_t			 first;		/* its first agent */
	size_t			 count;
	int			 addresses;	/* reply the list, not n */
	struct evbuffer		*reply;		/* the list as it grows */
	struct event		*slice;
};

static struct spawn	*spawn_running;
static TAILQ_HEAD(, spawn_waiting) spawn_queue =
    TAILQ_HEAD_INITIALIZER(spawn_queue);

/* What is answered at once while a spawn runs: it sees no agent. */
static const char *const spawn_served[] = {
	"get_time", "host_manager", "is_ready", "status", "stop",
};

static void	spawn_slice_cb(evutil_socket_t, short, void *);

/* Free a spawn's own things (not its request). */
static void
spawn_free(struct spawn *spawn)
{
	if (spawn->reply != NULL)
		evbuffer_free(spawn->reply);
	if (spawn->slice != NULL)
		event_free(spawn->slice);
	json_object_put(spawn->params);
	free(spawn->type);
	free(spawn);
}

/* Run the requests that waited, in order, until one starts a spawn. */
static void
spawn_run_waiting(void)
{
	struct spawn_waiting	*waiting;

	while (spawn_running == NULL &&
	    (waiting = TAILQ_FIRST(&spawn_queue)) != NULL) {
		TAILQ_REMOVE(&spawn_queue, waiting, entry);
		methods_dispatch(waiting->request, waiting->name,
		    waiting->params);
		json_object_put(waiting->params);
		free(waiting->name);
		free(waiting);
	}
}

/*
 * While a spawn runs, keep a request that is not among those served at
 * once for later, and return 1; else return 0.
 */
int
spawn_defer(struct request *request, const char *name,
    struct json_object *params)
{
	struct spawn_waiting	*waiting;
	size_t			 i;

	if (spawn_running == NULL)
		return (0);
	for (i = 0; i < sizeof spawn_served / sizeof spawn_served[0]; i++) {
		if (strcmp(name, spawn_served[i]) == 0)
			return (0);
	}
	waiting = xcalloc(1, sizeof *waiting);
	waiting->request = request;
	waiting->name = xstrdup(name);
	waiting->params = json_object_get(params);
	TAILQ_INSERT_TAIL(&spawn_queue, waiting, entry);
	return (1);
}

/*
 * Undo a spawn: its agents go, newest first, each through the
 * extensions' agent_removed hook, and the table shrinks.
 */
static void
spawn_undo(struct spawn *spawn)
{
	struct cr_agent	*agent;

	while (env->nagents > spawn->first) {
		agent = env->agents[--env->nagents];
		env->agents[env->nagents] = NULL;
		env_undo_agent(agent);
	}
	env_shrink();
	xmalloc_trim_later(env->base);
}

/* End the spawn with its reply or an error (taken), then the waiting. */
static void
spawn_end(struct spawn *spawn, struct json_object *error)
{
	struct evbuffer	*reply;

	spawn_running = NULL;
	if (error != NULL) {
		spawn_undo(spawn);
		request_error(spawn->request, error);
	} else if (spawn->addresses) {
		evbuffer_add(spawn->reply, "]", 1);
		reply = spawn->reply;
		spawn->reply = NULL;
		request_reply_text(spawn->request, reply);
	} else
		request_reply(spawn->request,
		    json_object_new_int64((int64_t)spawn->count));
	spawn_free(spawn);
	spawn_run_waiting();
}

/*
 * Make agents for up to SPAWN_SLICE_US, then let the loop serve others
 * before the next slice; end the spawn when all are made or one fails.
 */
static void
spawn_continue(struct spawn *spawn)
{
	static const struct timeval	 now = { 0, 0 };
	uint64_t			 deadline = clock_now_us() +
					    SPAWN_SLICE_US;
	struct cr_agent			*agent;
	struct json_object		*error;
	size_t				 made;

	while ((made = env->nagents - spawn->first) < spawn->count) {
		if (env_spawn(spawn->type, spawn->params, &agent,
		    &error) != 0) {
			spawn_end(spawn, error);
			return;
		}
		if (spawn->addresses && agent_address_append(spawn->reply,
		    agent->id, made == 0) != 0) {
			spawn_end(spawn, env_memory_error("the reply",
			    agent_address_bytes()));
			return;
		}
		if (((made + 1) & SPAWN_SLICE_CHECK) == 0 &&
		    made + 1 < spawn->count && clock_now_us() >= deadline) {
			evtimer_add(spawn->slice, &now);
			return;
		}
	}
	spawn_end(spawn, NULL);
}

/* The next slice of a spawn. */
static void
spawn_slice_cb(evutil_socket_t fd, short events, void *arg)
{
	spawn_continue(arg);
}

/*
 * Ask for the memory a spawn will need before making any agent: the
 * table's room and, when the addresses are asked for, the reply's. What
 * cannot be had fails the request with nothing made.
 */
static int
spawn_reserve(struct spawn *spawn, struct json_object **error)
{
	size_t	 each, bytes;

	if (env_reserve(spawn->count, error) != 0)
		return (-1);
	if (!spawn->addresses)
		return (0);
	each = agent_address_bytes();
	bytes = spawn->count * each + 2;
	if (evbuffer_expand(spawn->reply, bytes) != 0 ||
	    evbuffer_add(spawn->reply, "[", 1) != 0) {
		*error = env_memory_error("the reply's list of addresses",
		    bytes);
		env_shrink();
		return (-1);
	}
	return (0);
}

/* spawn_n: n agents of a type; their addresses, or how many. */
void
spawn_start(struct request *request, struct json_object *params)
{
	struct spawn		*spawn;
	struct json_object	*error, *addresses;
	int64_t			 count;

	/* n was checked with the other params (methods_check_spawn_n). */
	count = json_object_get_int64(rpc_param(params, "n"));
	if (rpc_param(params, "slave") != NULL) {
		request_error(request, rpc_error_new(RPC_INVALID_PARAMS,
		    "'slave' is for a master: this is a slave",
		    json_object_new_string("slave")));
		return;
	}
	spawn = xcalloc(1, sizeof *spawn);
	spawn->request = request;
	spawn->type = xstrdup(json_object_get_string(rpc_param(params,
	    "type")));
	spawn->params = json_object_get(rpc_param(params, "params"));
	spawn->first = env->nagents;
	spawn->count = (size_t)count;
	addresses = rpc_param(params, "addresses");
	spawn->addresses = addresses == NULL ||
	    json_object_get_boolean(addresses);
	if (spawn->addresses)
		spawn->reply = evbuffer_new();
	if (spawn_reserve(spawn, &error) != 0) {
		request_error(request, error);
		spawn_free(spawn);
		return;
	}
	spawn->slice = evtimer_new(env->base, spawn_slice_cb, spawn);
	spawn_running = spawn;
	spawn_continue(spawn);
}

/* The environment stops: end a running spawn and what waits for it. */
void
spawn_abort(const char *reason)
{
	struct spawn_waiting	*waiting;

	if (spawn_running != NULL)
		spawn_end(spawn_running, rpc_error_new(RPC_SHUTTING_DOWN,
		    reason, NULL));
	while ((waiting = TAILQ_FIRST(&spawn_queue)) != NULL) {
		TAILQ_REMOVE(&spawn_queue, waiting, entry);
		request_error(waiting->request, rpc_error_new(
		    RPC_SHUTTING_DOWN, reason, NULL));
		json_object_put(waiting->params);
		free(waiting->name);
		free(waiting);
	}
}
