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

#include "creamasd.h"
#include "xmalloc.h"

/* Wrap a request that came over a socket. */
struct request *
request_from_server(struct server_request *server_request)
{
	struct request	*request;

	request = xcalloc(1, sizeof *request);
	request->server = server_request;
	return (request);
}

/* Make a request whose answer goes to a callback in this process. */
struct request *
request_local(void (*done)(struct json_object *, struct json_object *,
    void *), void *arg)
{
	struct request	*request;

	request = xcalloc(1, sizeof *request);
	request->done = done;
	request->done_arg = arg;
	return (request);
}

/* Answer with a result (taken) and free the request. */
void
request_reply(struct request *request, struct json_object *result)
{
	if (request->server != NULL)
		server_reply(request->server, result);
	else {
		request->done(result, NULL, request->done_arg);
		json_object_put(result);
	}
	free(request);
}

/*
 * Answer with a result written as JSON text in a buffer (taken): a
 * socket's request gets the text as it is; a request from this process
 * gets it parsed.
 */
void
request_reply_text(struct request *request, struct evbuffer *text)
{
	struct json_object	*result = NULL, *error = NULL;

	if (request->server != NULL) {
		server_reply_text(request->server, text);
		free(request);
		return;
	}
	if (rpc_parse_line((const char *)evbuffer_pullup(text, -1),
	    evbuffer_get_length(text), &result, &error) != 0)
		request_error(request, error);
	else
		request_reply(request, result);
	evbuffer_free(text);
}

/*
 * Answer a list written as text into a buffer (taken), "[" and "]" added
 * here; or, if writing it ran out of memory (or the buffer could not be
 * had: NULL), an error saying so.
 */
void
request_reply_list(struct request *request, struct evbuffer *list,
    int failed)
{
	if (list == NULL || failed || evbuffer_prepend(list, "[", 1) != 0 ||
	    evbuffer_add(list, "]", 1) != 0) {
		request_error(request, env_memory_error("the reply",
		    list != NULL ? evbuffer_get_length(list) : 0));
		if (list != NULL)
			evbuffer_free(list);
		return;
	}
	request_reply_text(request, list);
}

/*
 * Write an object (borrowed) as text, with a member name whose value is
 * the array whose elements list holds as text (taken; NULL for none)
 * added last: a reply with a long list is built once, as text.
 */
struct evbuffer *
request_object_text(struct json_object *object, const char *name,
    struct evbuffer *list)
{
	struct evbuffer	*text = evbuffer_new();
	const char	*serialized;
	size_t		 length;

	serialized = rpc_serialize(object, &length);
	if (list == NULL) {
		evbuffer_add(text, serialized, length);
		return (text);
	}
	evbuffer_add(text, serialized, length - 1);
	evbuffer_add_printf(text, "%s\"%s\":[", length > 2 ? "," : "", name);
	evbuffer_add_buffer(text, list);
	evbuffer_add(text, "]}", 2);
	evbuffer_free(list);
	return (text);
}

/* Answer with an error (taken) and free the request. */
void
request_error(struct request *request, struct json_object *error)
{
	if (request->server != NULL)
		server_reply_error(request->server, error);
	else {
		request->done(NULL, error, request->done_arg);
		json_object_put(error);
	}
	free(request);
}
