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

#ifndef CREAMAS_CLIENT_H
#define CREAMAS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "limit.h"

/*
 * A JSON-RPC client: one pipelined connection to a peer with a table of
 * requests in flight, each with a timeout and a callback. The callback
 * gets exactly one of result and error (both borrowed); a lost connection
 * or a timeout is an error naming the peer in its data.
 */
struct client;

/* Why a connection whose peer sent what is not JSON is lost. */
#define CLIENT_UNPARSEABLE	"unparseable reply"

typedef void	(*client_reply_cb)(struct json_object *, struct json_object *,
		    void *);
/*
 * A reply kept as text: the reply's line (taken: the callback frees it),
 * valid JSON as jsonspan_valid() checks it, and the span [start, end) of
 * its result within it; or, on failure, no line and the error (borrowed).
 */
typedef void	(*client_text_cb)(char *, size_t, size_t, size_t,
		    struct json_object *, void *);

struct client	*client_new(struct event_base *, const char *, uint16_t,
		    const struct limits *);
void		 client_call(struct client *, const char *,
		    struct json_object *, double, client_reply_cb, void *);
void		 client_call_text(struct client *, const char *,
		    struct json_object *, double, client_text_cb, void *);
void		 client_call_batched(struct client *, const char *,
		    const char *, double, client_reply_cb, void *);
void		 client_set_lost_cb(struct client *, void (*)(void *),
		    void *);
int		 client_is_lost(const struct client *);
const char	*client_lost_reason(const struct client *);
const char	*client_peer(const struct client *);
size_t		 client_pending(const struct client *);
void		 client_free(struct client *);

#endif
