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

#ifndef CREAMAS_SERVER_H
#define CREAMAS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "limit.h"

/*
 * A JSON-RPC server: a listener and its connections. Each request is
 * handed to the dispatch callback with a handle; the handler answers with
 * server_reply() or server_reply_error(), now or later. The request's
 * method and params stay valid until then.
 */
struct evbuffer;
struct server;
struct server_request;

typedef void	(*server_dispatch_cb)(struct server_request *,
		    const struct rpc_request *, void *);

struct server	*server_new(struct event_base *, const struct limits *,
		    server_dispatch_cb, void *);
int		 server_listen(struct server *, const char *, uint16_t,
		    char **);
uint16_t	 server_port(const struct server *);
size_t		 server_connection_count(const struct server *);
size_t		 server_requests_in_flight(const struct server *);
void		 server_traffic(const struct server *, uint64_t *, uint64_t *,
		    uint64_t *);
void		 server_reply(struct server_request *, struct json_object *);
void		 server_reply_text(struct server_request *, struct evbuffer *);
void		 server_reply_error(struct server_request *,
		    struct json_object *);
const char	*server_request_peer(const struct server_request *);
void		 server_drain(struct server *, double, void (*)(void *),
		    void *);
void		 server_free(struct server *);

#endif
