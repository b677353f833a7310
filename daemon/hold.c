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

#include "creamasd.h"
#include "xmalloc.h"

/*
 * A long request holds the agents: spawn_n, and a list of every agent
 * that takes more than a slice, run in slices, and while one runs the
 * requests that would see or change its agents wait for it, in order;
 * those that only look at the environment are answered at once.
 */

/* A request that waits for the hold to end. */
struct hold_waiting {
	TAILQ_ENTRY(hold_waiting) entry;
	struct request		*request;
	char			*name;
	struct json_object	*params;
};

static void	(*hold_abort_cb)(const char *);	/* the holder's end */
static int	 hold_aborting;
static int	 hold_running;			/* the waiting run */
static TAILQ_HEAD(, hold_waiting) hold_queue =
    TAILQ_HEAD_INITIALIZER(hold_queue);

/* What is answered at once while a hold lasts: it sees no agent. */
static const char *const hold_served[] = {
	"get_time", "host_manager", "is_ready", "status", "stop",
};

/* Free a waiting request's own things (not its request). */
static void
hold_waiting_free(struct hold_waiting *waiting)
{
	json_object_put(waiting->params);
	free(waiting->name);
	free(waiting);
}

/*
 * Hold the agents for a long request until hold_end(); abort, if the
 * environment stops first, ends it with an error and calls hold_end().
 */
void
hold_begin(void (*abort)(const char *))
{
	hold_abort_cb = abort;
}

/*
 * The long request has answered: run the requests that waited, in
 * order, until one holds the agents again. A request that ends a hold
 * of its own meanwhile leaves the rest to this loop.
 */
void
hold_end(void)
{
	struct hold_waiting	*waiting;

	hold_abort_cb = NULL;
	if (hold_aborting || hold_running)
		return;
	hold_running = 1;
	while (hold_abort_cb == NULL &&
	    (waiting = TAILQ_FIRST(&hold_queue)) != NULL) {
		TAILQ_REMOVE(&hold_queue, waiting, entry);
		methods_dispatch(waiting->request, waiting->name,
		    waiting->params);
		hold_waiting_free(waiting);
	}
	hold_running = 0;
}

/*
 * While a hold lasts, keep a request that is not among those served at
 * once for later, and return 1; else return 0.
 */
int
hold_defer(struct request *request, const char *name,
    struct json_object *params)
{
	struct hold_waiting	*waiting;
	size_t			 i;

	if (hold_abort_cb == NULL)
		return (0);
	for (i = 0; i < sizeof hold_served / sizeof hold_served[0]; i++) {
		if (strcmp(name, hold_served[i]) == 0)
			return (0);
	}
	waiting = xcalloc(1, sizeof *waiting);
	waiting->request = request;
	waiting->name = xstrdup(name);
	waiting->params = json_object_get(params);
	TAILQ_INSERT_TAIL(&hold_queue, waiting, entry);
	return (1);
}

/* The environment stops: end the long request and what waits for it. */
void
hold_abort(const char *reason)
{
	struct hold_waiting	*waiting;

	if (hold_abort_cb != NULL) {
		hold_aborting = 1;
		hold_abort_cb(reason);
		hold_aborting = 0;
		hold_abort_cb = NULL;
	}
	while ((waiting = TAILQ_FIRST(&hold_queue)) != NULL) {
		TAILQ_REMOVE(&hold_queue, waiting, entry);
		request_error(waiting->request, rpc_error_new(
		    RPC_SHUTTING_DOWN, reason, NULL));
		hold_waiting_free(waiting);
	}
}
