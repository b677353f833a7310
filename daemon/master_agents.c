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

#include <event2/buffer.h>
#include <event2/event.h>

#include "creamasd.h"
#include "fanout.h"
#include "idruns.h"
#include "xmalloc.h"

/*
 * get_agents through a master. Every slave lists its agents as runs of
 * ids (idruns.h), a few bytes for thousands of agents in a row, and the
 * master writes their addresses out itself, in slices, rather than
 * reading, checking and passing on every slave's long list.
 */

#define MASTER_AGENTS_SLICE	32768	/* addresses written a turn */

/* A list of addresses being written from the slaves' runs. */
struct master_agents {
	struct request		*request;
	struct idruns		 runs;
	struct idruns_cursor	 cursor;
	struct evbuffer		*list;
	struct event		*slice;
	int			 too_long;	/* past max_reply */
	struct master_agents	*next;
};

static struct master_agents	*master_agents_running;

/* Free a list being written, and forget it. */
static void
master_agents_free(struct master_agents *agents)
{
	struct master_agents	**link;

	for (link = &master_agents_running; *link != NULL;
	    link = &(*link)->next) {
		if (*link == agents) {
			*link = agents->next;
			break;
		}
	}
	idruns_free(&agents->runs);
	if (agents->list != NULL)
		evbuffer_free(agents->list);
	if (agents->slice != NULL)
		event_free(agents->slice);
	free(agents);
}

/*
 * Write a slice of the addresses; after the last, answer the list (or
 * that memory ran out), else let the loop serve others first.
 */
static void
master_agents_write(struct master_agents *agents)
{
	static const struct timeval	 now = { 0, 0 };
	int				 rc;

	rc = idruns_write(agents->list, &agents->runs, &agents->cursor,
	    MASTER_AGENTS_SLICE);
	if (rc == 1) {
		evtimer_add(agents->slice, &now);
		return;
	}
	request_reply_list(agents->request, agents->list, rc < 0);
	agents->list = NULL;
	master_agents_free(agents);
}

/* The next slice of a list. */
static void
master_agents_slice_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	master_agents_write(arg);
}

/* The error of a list the master will not write: it is stopping. */
static struct json_object *
master_agents_stopping(void)
{
	return (rpc_error_new(RPC_SHUTTING_DOWN,
	    "the environment is stopping", NULL));
}

/*
 * The error of a list longer than max_reply (which a master of masters,
 * or creamasctl, would not take in): no slave's fault, the whole list's.
 */
static struct json_object *
master_agents_too_long(const char *method)
{
	return (rpc_error_newf(RPC_TOO_LARGE, NULL, "%s: the slaves' lists "
	    "together would be longer than max_reply (%zu bytes)", method,
	    env->config->limits.max_reply));
}

/*
 * Read every slave's runs into a new list to write; a slave whose runs
 * are not of the form gets an error instead, as if it had answered one;
 * runs longer than max_reply in all mark the list too long. When made
 * is not NULL, made[i] is how many agents slave i listed.
 */
static struct master_agents *
master_agents_read(const char *method, struct fanout_reply *replies,
    size_t count, uint64_t *made)
{
	struct master_agents	*agents;
	const char		*why;
	uint64_t		 before;
	size_t			 i;
	int			 rc;

	agents = xcalloc(1, sizeof *agents);
	for (i = 0; i < count; i++) {
		before = agents->runs.agents;
		if (replies[i].error != NULL || replies[i].text == NULL)
			rc = 0;
		else
			rc = idruns_parse(&agents->runs, replies[i].text +
			    replies[i].start, replies[i].end - replies[i].start,
			    env->config->limits.max_reply, &why);
		if (rc == -2)
			agents->too_long = 1;
		else if (rc != 0)
			replies[i].error = rpc_error_newf(RPC_INTERNAL_ERROR,
			    NULL, "%s: the slave's runs: %s", method, why);
		if (made != NULL)
			made[i] = agents->runs.agents - before;
	}
	return (agents);
}

/*
 * Answer a request from every slave's runs, as get_agents and spawn_n
 * do through a master: an error if some slave failed or the list would
 * be longer than max_reply; else the addresses, written in slices,
 * unless a stop came meanwhile: that fails the list, as it
 * fails one being written (master_agents_abort()), for the master could
 * leave before the list was done. made as master_agents_read() has it.
 * Frees the call.
 */
void
master_agents_answer(struct master_call *call, struct fanout_reply *replies,
    size_t count, uint64_t *made)
{
	struct master_agents	*agents;
	struct json_object	*error = NULL;

	agents = master_agents_read(call->request->method->name, replies,
	    count, made);
	if (fanout_failures(replies, count) > 0)
		error = master_failure(replies, count);
	else if (agents->too_long)
		error = master_agents_too_long(call->request->method->name);
	else if (env->stopping)
		error = master_agents_stopping();
	if (error != NULL) {
		request_error(call->request, error);
		master_agents_free(agents);
		master_call_free(call);
		return;
	}
	agents->request = call->request;
	agents->list = evbuffer_new();
	agents->slice = evtimer_new(env->base, master_agents_slice_cb, agents);
	agents->next = master_agents_running;
	master_agents_running = agents;
	master_call_free(call);
	master_agents_write(agents);
}

/* get_agents: every slave answered its runs. */
static void
master_done_agents(struct fanout_reply *replies, size_t count, void *arg)
{
	master_agents_answer(arg, replies, count, NULL);
}

/*
 * get_agents: ask every slave for its agents (of the type asked) as
 * runs and write their addresses. Asked for runs itself, as a master of
 * masters might be, a master joins its slaves' runs.
 */
void
master_get_agents(struct request *request, struct json_object *params)
{
	struct json_object	*asked;
	struct master_call	*call;

	if (json_object_get_boolean(rpc_param(params, "runs"))) {
		master_combine(request, params);
		return;
	}
	asked = master_params_with(params, "runs", json_object_new_boolean(1));
	call = master_call_new(request, params);
	call->text = 1;
	master_fanout_all(call, "get_agents", asked,
	    env->config->limits.call_timeout, master_done_agents);
	json_object_put(asked);
}

/* The master stops: fail every list still being written. */
void
master_agents_abort(void)
{
	while (master_agents_running != NULL) {
		request_error(master_agents_running->request,
		    master_agents_stopping());
		master_agents_free(master_agents_running);
	}
}
