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

#include "fanout.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "xmalloc.h"

/* A fan-out in progress. */
struct fanout {
	struct fanout_reply	*replies;
	size_t			 count;
	size_t			 outstanding;
	fanout_done_cb		 done;
	void			*arg;
};

/* One peer's part of a fan-out. */
struct fanout_part {
	struct fanout		*fanout;
	size_t			 index;
};

/* Hand every answer to the caller and free the fan-out. */
static void
fanout_finish(struct fanout *fanout)
{
	size_t	 i;

	fanout->done(fanout->replies, fanout->count, fanout->arg);
	for (i = 0; i < fanout->count; i++) {
		json_object_put(fanout->replies[i].result);
		json_object_put(fanout->replies[i].error);
		free(fanout->replies[i].text);
	}
	free(fanout->replies);
	free(fanout);
}

/* One peer answered; keep its answer and finish after the last. */
static void
fanout_part_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	struct fanout_part	*part = arg;
	struct fanout		*fanout = part->fanout;

	fanout->replies[part->index].result = json_object_get(result);
	fanout->replies[part->index].error = json_object_get(error);
	free(part);
	if (--fanout->outstanding == 0)
		fanout_finish(fanout);
}

/* One peer answered, its reply kept as text (taken). */
static void
fanout_part_text_done(char *line, size_t length, size_t start, size_t end,
    struct json_object *error, void *arg)
{
	struct fanout_part	*part = arg;
	struct fanout		*fanout = part->fanout;

	fanout->replies[part->index].text = line;
	fanout->replies[part->index].start = start;
	fanout->replies[part->index].end = end;
	fanout->replies[part->index].error = json_object_get(error);
	free(part);
	if (--fanout->outstanding == 0)
		fanout_finish(fanout);
}

/* Finish from the event loop, for a fan-out nobody could be sent. */
static void
fanout_finish_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	fanout_finish(arg);
}

/* Start a fan-out, its answers as values or kept as text. */
static void
fanout_start(struct event_base *base, struct client **clients, size_t count,
    const char *method, struct json_object **params, double timeout,
    fanout_done_cb done, void *arg, int text)
{
	struct fanout		*fanout;
	struct fanout_part	*part;
	size_t			 i;

	fanout = xcalloc(1, sizeof *fanout);
	fanout->replies = xcalloc(count + 1, sizeof *fanout->replies);
	fanout->count = count;
	fanout->done = done;
	fanout->arg = arg;
	fanout->outstanding = 1;	/* held until every call is made */
	for (i = 0; i < count; i++) {
		if (clients[i] == NULL) {
			/* Params for no client: that peer is gone. */
			if (params[i] != NULL)
				fanout->replies[i].error = rpc_error_new(
				    RPC_CONNECTION_LOST, "no connection", NULL);
			json_object_put(params[i]);
			continue;
		}
		part = xcalloc(1, sizeof *part);
		part->fanout = fanout;
		part->index = i;
		fanout->outstanding++;
		if (text)
			client_call_text(clients[i], method, params[i],
			    timeout, fanout_part_text_done, part);
		else
			client_call(clients[i], method, params[i], timeout,
			    fanout_part_done, part);
	}
	if (--fanout->outstanding == 0)
		event_base_once(base, -1, EV_TIMEOUT, fanout_finish_cb, fanout,
		    NULL);
}

/*
 * Call method on every client, with params[i] (taken; may be NULL) for
 * client i. A NULL client is left out (neither result nor error) when
 * its params are NULL, and answered "no connection" otherwise. The
 * callback runs once, after this returns, when every peer has answered,
 * failed or timed out.
 */
void
fanout_call(struct event_base *base, struct client **clients, size_t count,
    const char *method, struct json_object **params, double timeout,
    fanout_done_cb done, void *arg)
{
	fanout_start(base, clients, count, method, params, timeout, done, arg,
	    0);
}

/*
 * The same, the answers kept as text: each reply's line, checked by the
 * scanner, and its result's span, for fanout_splice() and the like.
 */
void
fanout_call_text(struct event_base *base, struct client **clients,
    size_t count, const char *method, struct json_object **params,
    double timeout, fanout_done_cb done, void *arg)
{
	fanout_start(base, clients, count, method, params, timeout, done, arg,
	    1);
}

/* Call method with the same params (taken) on every client. */
void
fanout_call_all(struct event_base *base, struct client **clients,
    size_t count, const char *method, struct json_object *params,
    double timeout, fanout_done_cb done, void *arg)
{
	struct json_object	**each;
	size_t			  i;

	each = xcalloc(count + 1, sizeof *each);
	for (i = 0; i < count; i++)
		each[i] = params != NULL ? json_object_get(params) : NULL;
	json_object_put(params);
	fanout_call(base, clients, count, method, each, timeout, done, arg);
	free(each);
}

/* Concatenate the array results, in peer order, into a new array. */
struct json_object *
fanout_concat(const struct fanout_reply *replies, size_t count)
{
	struct json_object	*all;
	size_t			 i, j, length;

	all = json_object_new_array();
	for (i = 0; i < count; i++) {
		if (!json_object_is_type(replies[i].result, json_type_array))
			continue;
		length = json_object_array_length(replies[i].result);
		for (j = 0; j < length; j++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(replies[i].result, j)));
	}
	return (all);
}

/* Let go of a reply's text that a buffer held by reference. */
static void
fanout_text_free(const void *data, size_t length, void *text)
{
	(void)data;
	(void)length;
	free(text);
}

/*
 * Append the elements of the array at [start, end) of a reply's text
 * (its result, or a span within it) to out by reference, after a comma
 * when *written says elements went out before: out takes the text, and
 * the reply holds it no more (its bytes stay where they are until out
 * lets go). Return 1, doing nothing, if there is no such array; -1 if
 * memory ran out; else 0.
 */
int
fanout_splice_text(struct evbuffer *out, struct fanout_reply *reply,
    size_t start, size_t end, int *written)
{
	size_t	 first, last;

	if (reply->text == NULL || end == 0 ||
	    jsonspan_inside(reply->text, start, end, &first, &last) != 0)
		return (1);
	if (first == last)
		return (0);
	if (*written && evbuffer_add(out, ",", 1) != 0)
		return (-1);
	if (evbuffer_add_reference(out, reply->text + first, last - first,
	    fanout_text_free, reply->text) != 0)
		return (-1);
	reply->text = NULL;
	*written = 1;
	return (0);
}

/*
 * Join the array results kept as text, in peer order, into one array's
 * text, without parsing or copying them (the buffer takes their texts);
 * what is not an array is left out, as fanout_concat() does. NULL if
 * memory ran out.
 */
struct evbuffer *
fanout_splice(struct fanout_reply *replies, size_t count)
{
	struct evbuffer	*all;
	size_t		 i;
	int		 written = 0, failed = 0;

	if ((all = evbuffer_new()) == NULL)
		return (NULL);
	failed |= evbuffer_add(all, "[", 1);
	for (i = 0; i < count; i++) {
		if (fanout_splice_text(all, &replies[i], replies[i].start,
		    replies[i].end, &written) < 0)
			failed = 1;
	}
	failed |= evbuffer_add(all, "]", 1);
	if (failed) {
		evbuffer_free(all);
		return (NULL);
	}
	return (all);
}

/* Count the peers that answered with an error. */
size_t
fanout_failures(const struct fanout_reply *replies, size_t count)
{
	size_t	 i, failures = 0;

	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL)
			failures++;
	}
	return (failures);
}
