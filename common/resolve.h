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

#ifndef RESOLVE_H
#define RESOLVE_H

#include <netdb.h>

#include <event2/event.h>

/*
 * Host names looked up off the event loop. The C library's resolver
 * (getaddrinfo_a, so /etc/nsswitch.conf is honoured as getaddrinfo does)
 * works in threads of its own; its answer comes back through a pipe and
 * is given to the callback in a turn of the loop, so a slow or silent
 * name server never holds up the requests a daemon is serving.
 */
struct resolve;

/*
 * The answer: the addresses (the callback's, to free with freeaddrinfo)
 * and 0, or NULL and a getaddrinfo error code.
 */
typedef void	(*resolve_cb)(struct addrinfo *, int, void *);

int		 resolve_numeric(const char *, const char *,
		    struct addrinfo **);
struct resolve	*resolve_start(struct event_base *, const char *,
		    const char *, resolve_cb, void *, int *);
void		 resolve_cancel(struct resolve *);

#endif
