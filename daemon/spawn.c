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
 * extension's refusal) every agent of the request goes again, newest
 * first and in slices too, and only then does the error say why. While
 * it runs, undo included, it holds the agents (hold.c).
 */

#define SPAWN_SLICE_US		2000	/* agents made or undone per turn */
#define SPAWN_SLICE_CHECK	255	/* look at the clock every 256 */

/* A spawn_n in progress. */
struct spawn {
	struct request		*request;
	char			*type;
	struct json_object	*params;	/* the agents' init params */
	size_t			 first;		/* its first agent */
	size_t			 count;
	int			 addresses;	/* reply the list, not n */
	int			 runs;		/* the list as runs, for a master */
	struct evbuffer		*reply;		/* the list as it grows */
	char			*room;		/* the list's room, after '[' */
	size_t			 room_size;
	size_t			 room_ready;	/* bytes of it prefaulted */
	size_t			 each;		/* most bytes an address takes */
	struct json_object	*error;		/* why, while its agents go */
	struct event		*slice;
};

static struct spawn	*spawn_running;

static void	spawn_slice_cb(evutil_socket_t, short, void *);
static void	spawn_abort(const char *);

/* Free a spawn's own things (not its request). */
static void
spawn_free(struct spawn *spawn)
{
	if (spawn->reply != NULL)
		evbuffer_free(spawn->reply);
	if (spawn->slice != NULL)
		event_free(spawn->slice);
	json_object_put(spawn->error);
	json_object_put(spawn->params);
	free(spawn->type);
	free(spawn);
}

/*
 * An agent could not be made: keep the error (taken) for the reply and
 * let the list of addresses go; the agents made go next.
 */
static void
spawn_fail(struct spawn *spawn, struct json_object *error)
{
	spawn->error = error;
	if (spawn->reply != NULL)
		evbuffer_free(spawn->reply);
	spawn->reply = NULL;
	spawn->room = NULL;
}

/*
 * Make the next agent and add its address to the list, or fail the
 * spawn. Return 1 while there is more to do (the undo, after a failure).
 */
static int
spawn_make_next(struct spawn *spawn)
{
	struct cr_agent		*agent;
	struct json_object	*error;
	size_t			 made = env->nagents - spawn->first;

	if (made == spawn->count)
		return (0);
	if (env_spawn(spawn->type, spawn->params, &agent, &error) != 0) {
		spawn_fail(spawn, error);
		return (1);
	}
	if (spawn->room != NULL)
		xmalloc_prefault_ahead(spawn->room,
		    evbuffer_get_length(spawn->reply) + spawn->each,
		    &spawn->room_ready, spawn->room_size);
	if (spawn->reply != NULL && agent_address_append(spawn->reply,
	    agent->id, made == 0) != 0) {
		spawn_fail(spawn, env_memory_error("the reply",
		    agent_address_bytes()));
		return (1);
	}
	return (made + 1 < spawn->count);
}

/*
 * Undo the newest agent of a failed spawn: it goes through the
 * extensions' agent_removed hook and its type's close (env_undo_agent).
 * Return 1 while more of its agents are left.
 */
static int
spawn_undo_next(struct spawn *spawn)
{
	struct cr_agent	*agent;

	if (env->nagents == spawn->first)
		return (0);
	agent = env->agents[--env->nagents];
	env->agents[env->nagents] = NULL;
	env_undo_agent(agent);
	return (env->nagents > spawn->first);
}

/* Make or undo one agent, as the spawn stands; 1 while more is left. */
static int
spawn_step(struct spawn *spawn)
{
	if (spawn->error == NULL)
		return (spawn_make_next(spawn));
	return (spawn_undo_next(spawn));
}

/*
 * End the spawn, its agents all made or all undone, with its reply or
 * its error, then the hold. After an undo the table shrinks, and the
 * heap is to be trimmed once things are calm: asked for only now, so
 * that no trim comes while the agents are still being freed.
 */
static void
spawn_end(struct spawn *spawn)
{
	struct evbuffer	*reply;

	spawn_running = NULL;
	if (spawn->error != NULL) {
		env_shrink();
		xmalloc_trim_later(env->base);
		request_error(spawn->request, spawn->error);
		spawn->error = NULL;
	} else if (spawn->runs)
		request_reply_list(spawn->request, agent_runs(spawn->first,
		    spawn->first + spawn->count, NULL), 0);
	else if (spawn->addresses) {
		evbuffer_add(spawn->reply, "]", 1);
		reply = spawn->reply;
		spawn->reply = NULL;
		request_reply_text(spawn->request, reply);
	} else
		request_reply(spawn->request,
		    json_object_new_int64((int64_t)spawn->count));
	spawn_free(spawn);
	hold_end();
}

/*
 * Make agents, or undo them once one fails, for up to SPAWN_SLICE_US,
 * then let the loop serve others before the next slice; end the spawn
 * when no agent is left to make or to undo.
 */
static void
spawn_continue(struct spawn *spawn)
{
	static const struct timeval	 now = { 0, 0 };
	uint64_t			 deadline = clock_now_us() +
					    SPAWN_SLICE_US;
	size_t				 steps = 0;

	while (spawn_step(spawn)) {
		if ((++steps & SPAWN_SLICE_CHECK) == 0 &&
		    clock_now_us() >= deadline) {
			evtimer_add(spawn->slice, &now);
			return;
		}
	}
	spawn_end(spawn);
}

/* The next slice of a spawn. */
static void
spawn_slice_cb(evutil_socket_t fd, short events, void *arg)
{
	spawn_continue(arg);
}

/*
 * Ask for the memory a spawn will need before making any agent: the
 * table's room and, when the addresses are asked for (not as runs), the
 * reply's. What cannot be had fails the request with nothing made.
 */
static int
spawn_reserve(struct spawn *spawn, struct json_object **error)
{
	struct evbuffer_iovec	 room;
	size_t			 each, bytes;

	if (env_reserve(spawn->count, error) != 0)
		return (-1);
	if (spawn->reply == NULL)
		return (0);
	each = spawn->each = agent_address_bytes();
	bytes = spawn->count * each + 2;
	if (evbuffer_expand(spawn->reply, bytes) != 0 ||
	    evbuffer_add(spawn->reply, "[", 1) != 0) {
		*error = env_memory_error("the reply's list of addresses",
		    bytes);
		env_shrink();
		return (-1);
	}
	/* The list fills that room from its start. */
	if (evbuffer_reserve_space(spawn->reply, (ev_ssize_t)bytes - 1,
	    &room, 1) == 1) {
		spawn->room = room.iov_base;
		spawn->room_size = room.iov_len;
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
	spawn->runs = spawn->addresses &&
	    json_object_get_boolean(rpc_param(params, "runs"));
	if (spawn->addresses && !spawn->runs)
		spawn->reply = evbuffer_new();
	if (spawn_reserve(spawn, &error) != 0) {
		request_error(request, error);
		spawn_free(spawn);
		return;
	}
	spawn->slice = evtimer_new(env->base, spawn_slice_cb, spawn);
	spawn_running = spawn;
	hold_begin(spawn_abort);
	spawn_continue(spawn);
}

/*
 * The environment stops: a spawn still making agents fails saying so,
 * one undoing them keeps its own error. What is left is undone at once,
 * not in slices, since the stop closes every agent on the next turn of
 * the loop; then the error.
 */
static void
spawn_abort(const char *reason)
{
	struct spawn	*spawn = spawn_running;

	if (spawn->error == NULL)
		spawn_fail(spawn, rpc_error_new(RPC_SHUTTING_DOWN, reason,
		    NULL));
	while (spawn_step(spawn))
		continue;
	spawn_end(spawn);
}
