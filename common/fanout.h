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

#ifndef CREAMAS_FANOUT_H
#define CREAMAS_FANOUT_H

#include <stddef.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"

/*
 * Fan-out: one call to many peers at once, answered together. Used by a
 * master toward its slaves and by creamasctl toward its nodes.
 */

/*
 * One peer's answer: exactly one of result and error is set; or, in a
 * fan-out kept as text, one of text (the reply's line, checked by the
 * scanner, its result at [start, end)) and error.
 */
struct fanout_reply {
	struct json_object	*result;
	struct json_object	*error;
	char			*text;
	size_t			 start;
	size_t			 end;
};

/* Called once with every peer's answer, in the order of the peers. */
typedef void	(*fanout_done_cb)(struct fanout_reply *, size_t, void *);

void	fanout_call(struct event_base *, struct client **, size_t,
	    const char *, struct json_object **, double, fanout_done_cb,
	    void *);
void	fanout_call_all(struct event_base *, struct client **, size_t,
	    const char *, struct json_object *, double, fanout_done_cb,
	    void *);
void	fanout_call_text(struct event_base *, struct client **, size_t,
	    const char *, struct json_object **, double, fanout_done_cb,
	    void *);
struct json_object *fanout_concat(const struct fanout_reply *, size_t);
struct evbuffer *fanout_splice(struct fanout_reply *, size_t);
int	fanout_splice_text(struct evbuffer *, struct fanout_reply *, size_t,
	    size_t, int *);
size_t	fanout_failures(const struct fanout_reply *, size_t);

#endif
