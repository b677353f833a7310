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

#include "clock.h"
#include "creamasd.h"
#include "xmalloc.h"

/*
 * Work with an item per agent done in slices, like a round's acts: a
 * list written as text into its reply (get_agents, get_connections,
 * get_grid), or a change to every agent answered null
 * (create_random_connections, clear_connections). When it takes longer
 * than a slice, the loop serves others between slices and the work
 * holds the agents (hold.c), so that none comes or goes, nor changes
 * otherwise, before it is done.
 */

#define LISTING_SLICE_US	2000	/* items written between turns */
#define LISTING_SLICE_CHECK	63	/* look at the clock every 64 */

/* A list being written, or a change being made. */
struct listing {
	struct request		*request;
	struct json_object	*params;
	listing_item_cb		 item;
	void			*arg;		/* the item's */
	size_t			 next;
	size_t			 end;
	struct evbuffer		*list;
	int			 answer_list;	/* or null */
	int			 failed;	/* memory ran out */
	struct event		*slice;		/* once it holds the agents */
};

static struct listing	*listing_running;

static void	listing_slice_cb(evutil_socket_t, short, void *);
static void	listing_abort(const char *);

/* Free a list's own things (not its request). */
static void
listing_free(struct listing *listing)
{
	if (listing->list != NULL)
		evbuffer_free(listing->list);
	if (listing->slice != NULL)
		event_free(listing->slice);
	json_object_put(listing->params);
	free(listing);
}

/*
 * Answer the list, or the error of its memory, or null; then end the
 * hold.
 */
static void
listing_end(struct listing *listing)
{
	int	 held = listing->slice != NULL;

	listing_running = NULL;
	if (listing->answer_list) {
		request_reply_list(listing->request, listing->list,
		    listing->failed);
		listing->list = NULL;
	} else
		request_reply(listing->request, NULL);
	listing_free(listing);
	if (held)
		hold_end();
}

/*
 * Write items for up to LISTING_SLICE_US, then, if any are left, hold
 * the agents and let the loop serve others before the next slice.
 */
static void
listing_continue(struct listing *listing)
{
	static const struct timeval	 now = { 0, 0 };
	uint64_t			 deadline = clock_now_us() +
					    LISTING_SLICE_US;

	while (listing->next < listing->end && !listing->failed) {
		listing->failed = listing->item(listing->list,
		    listing->next++, listing->arg) != 0;
		if ((listing->next & LISTING_SLICE_CHECK) == 0 &&
		    listing->next < listing->end && !listing->failed &&
		    clock_now_us() >= deadline) {
			if (listing->slice == NULL) {
				listing->slice = evtimer_new(env->base,
				    listing_slice_cb, listing);
				listing_running = listing;
				hold_begin(listing_abort);
			}
			evtimer_add(listing->slice, &now);
			return;
		}
	}
	listing_end(listing);
}

/* The next slice of a list. */
static void
listing_slice_cb(evutil_socket_t fd, short events, void *arg)
{
	listing_continue(arg);
}

/* The environment stops: end the list being written with an error. */
static void
listing_abort(const char *reason)
{
	struct listing	*listing = listing_running;

	listing_running = NULL;
	request_error(listing->request, rpc_error_new(RPC_SHUTTING_DOWN,
	    reason, NULL));
	listing_free(listing);
	hold_end();
}

/*
 * Start the work on items first to end - 1; params is borrowed, and held
 * until the work is done, for arg may point into it.
 */
static void
listing_new(struct request *request, struct json_object *params,
    size_t first, size_t end, listing_item_cb item, void *arg,
    int answer_list)
{
	struct listing	*listing;

	listing = xcalloc(1, sizeof *listing);
	listing->request = request;
	listing->params = json_object_get(params);
	listing->item = item;
	listing->arg = arg;
	listing->next = first;
	listing->end = end;
	listing->list = answer_list ? evbuffer_new() : NULL;
	listing->answer_list = answer_list;
	listing_continue(listing);
}

/*
 * Answer a request with the list of items first to end - 1, each
 * written by item(list, index, arg), "[" and "]" around them; params
 * (borrowed) is held for as long as it takes, so arg may be params or
 * a part of them.
 */
void
listing_start(struct request *request, struct json_object *params,
    size_t first, size_t end, listing_item_cb item, void *arg)
{
	listing_new(request, params, first, end, item, arg, 1);
}

/*
 * Do item(NULL, index, arg) for items first to end - 1, then answer
 * the request null; params are held meanwhile, as listing_start() does.
 */
void
listing_walk(struct request *request, struct json_object *params,
    size_t first, size_t end, listing_item_cb item, void *arg)
{
	listing_new(request, params, first, end, item, arg, 0);
}
