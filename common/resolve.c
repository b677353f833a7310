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
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "resolve.h"
#include "xmalloc.h"

/* A name being looked up. */
struct resolve {
	struct gaicb		 request;
	struct addrinfo		 hints;
	struct sigevent		 notify;
	char			*host;
	char			*service;
	resolve_cb		 callback;	/* NULL once cancelled */
	void			*arg;
	LIST_ENTRY(resolve)	 entry;
};

/*
 * Every lookup not yet handed back, the pipe the resolver's threads
 * write finished ones into, and the event that reads it (added only
 * while a lookup is pending, so that it never keeps a loop running).
 */
static LIST_HEAD(, resolve)	 resolve_pending =
    LIST_HEAD_INITIALIZER(resolve_pending);
static int			 resolve_pipe[2] = { -1, -1 };
static struct event		*resolve_event;

/* Fill hints for a stream socket to any family, with flags. */
static void
resolve_hints(struct addrinfo *hints, int flags)
{
	memset(hints, 0, sizeof *hints);
	hints->ai_family = AF_UNSPEC;
	hints->ai_socktype = SOCK_STREAM;
	hints->ai_flags = flags;
}

/*
 * Turn a numeric host and service into addresses without a lookup; a
 * getaddrinfo code, EAI_NONAME when host is a name to look up.
 */
int
resolve_numeric(const char *host, const char *service,
    struct addrinfo **result)
{
	struct addrinfo	 hints;

	resolve_hints(&hints, AI_NUMERICHOST | AI_NUMERICSERV);
	return (getaddrinfo(host, service, &hints, result));
}

/* Free a lookup that is no longer pending. */
static void
resolve_free(struct resolve *resolve)
{
	if (resolve->request.ar_result != NULL)
		freeaddrinfo(resolve->request.ar_result);
	free(resolve->host);
	free(resolve->service);
	free(resolve);
}

/* Take a lookup off the pending list; the last one stops the reading. */
static void
resolve_unlist(struct resolve *resolve)
{
	LIST_REMOVE(resolve, entry);
	if (LIST_EMPTY(&resolve_pending))
		event_del(resolve_event);
}

/*
 * In one of the resolver's threads: a lookup is done; pass it to the
 * loop. A pipe's write of a pointer is atomic, and the write end blocks
 * rather than lose it.
 */
static void
resolve_notify(union sigval value)
{
	struct resolve	*resolve = value.sival_ptr;
	ssize_t		 n;

	do
		n = write(resolve_pipe[1], &resolve, sizeof resolve);
	while (n == -1 && errno == EINTR);
}

/* Give a finished lookup's answer to its callback (unless cancelled). */
static void
resolve_finish(struct resolve *resolve)
{
	struct addrinfo	*addresses = NULL;
	int		 error = gai_error(&resolve->request);

	if (resolve->callback != NULL) {
		if (error == 0) {
			addresses = resolve->request.ar_result;
			resolve->request.ar_result = NULL;
		}
		resolve->callback(addresses, error, resolve->arg);
	}
	resolve_free(resolve);
}

/* The loop's side of the pipe: answer every lookup written into it. */
static void
resolve_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct resolve	*resolve;

	(void)events;
	(void)arg;
	while (read(fd, &resolve, sizeof resolve) == sizeof resolve) {
		resolve_unlist(resolve);
		resolve_finish(resolve);
	}
}

/*
 * Make the pipe and its event on base, once (or again on another base
 * when nothing is pending on the old one); -1 with errno on failure.
 */
static int
resolve_setup(struct event_base *base)
{
	if (resolve_event != NULL && event_get_base(resolve_event) != base &&
	    LIST_EMPTY(&resolve_pending)) {
		event_free(resolve_event);
		resolve_event = NULL;
	}
	if (resolve_event != NULL)
		return (event_get_base(resolve_event) == base ? 0 :
		    (errno = EBUSY, -1));
	/* The read end only is non-blocking: a thread's write waits. */
	if (resolve_pipe[0] == -1) {
		if (pipe2(resolve_pipe, O_CLOEXEC) == -1)
			return (-1);
		if (fcntl(resolve_pipe[0], F_SETFL, O_NONBLOCK) == -1) {
			close(resolve_pipe[0]);
			close(resolve_pipe[1]);
			resolve_pipe[0] = resolve_pipe[1] = -1;
			return (-1);
		}
	}
	resolve_event = event_new(base, resolve_pipe[0], EV_READ | EV_PERSIST,
	    resolve_read_cb, NULL);
	return (resolve_event != NULL ? 0 : (errno = ENOMEM, -1));
}

/*
 * Start looking up host and service for a stream socket; callback gets
 * the answer in a later turn of base's loop, never before this returns.
 * NULL with *error (a getaddrinfo code) if the lookup cannot start.
 */
struct resolve *
resolve_start(struct event_base *base, const char *host, const char *service,
    resolve_cb callback, void *arg, int *error)
{
	struct resolve	*resolve;
	struct gaicb	*list[1];
	int		 rc;

	if (resolve_setup(base) != 0) {
		*error = EAI_SYSTEM;
		return (NULL);
	}
	resolve = xcalloc(1, sizeof *resolve);
	resolve->host = xstrdup(host);
	resolve->service = xstrdup(service);
	resolve->callback = callback;
	resolve->arg = arg;
	resolve_hints(&resolve->hints, 0);
	resolve->request.ar_name = resolve->host;
	resolve->request.ar_service = resolve->service;
	resolve->request.ar_request = &resolve->hints;
	resolve->notify.sigev_notify = SIGEV_THREAD;
	resolve->notify.sigev_notify_function = resolve_notify;
	resolve->notify.sigev_value.sival_ptr = resolve;
	list[0] = &resolve->request;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &resolve->notify)) != 0) {
		*error = rc;
		resolve_free(resolve);
		return (NULL);
	}
	if (LIST_EMPTY(&resolve_pending))
		event_add(resolve_event, NULL);
	LIST_INSERT_HEAD(&resolve_pending, resolve, entry);
	return (resolve);
}

/*
 * Forget a lookup: its callback will not run. One already under way
 * finishes in its thread and is freed when its answer comes back.
 */
void
resolve_cancel(struct resolve *resolve)
{
	resolve->callback = NULL;
	if (gai_cancel(&resolve->request) == EAI_CANCELED) {
		resolve_unlist(resolve);
		resolve_free(resolve);
	}
}
