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

#ifndef CREAMAS_SOCKET_H
#define CREAMAS_SOCKET_H

#include <stddef.h>

#include <event2/util.h>

struct bufferevent;
struct evbuffer;

/*
 * The most a connection writes in one system call: one turn of the loop
 * copies no more, so that other connections wait a fraction of a
 * millisecond, not the time to copy a long reply whole.
 */
#define SOCKET_MAX_WRITE	(1024 * 1024)

/* The most pieces of a buffer written at once in its first write. */
#define SOCKET_SEND_IOVECS	64

void	socket_set_nodelay(evutil_socket_t);
void	socket_send_line(struct bufferevent *, const char *, size_t, int);
int	socket_send_buffer(struct bufferevent *, struct evbuffer *, int);
void	socket_write_all_at_once(struct bufferevent *);
void	socket_read_more(struct bufferevent *, size_t);
void	socket_read_after(struct bufferevent *, size_t);

#endif
