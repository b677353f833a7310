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


#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "creamasd.h"
#include "jsonspan.h"
#include "xmalloc.h"

/*
 * What an extension's managing function sees of its slave: the call it
 * answers, now or later, and the environment's agents (<creamas/env.h>).
 */

/* A call of an extension's managing function, until it is answered. */
struct cr_call {
	struct request		*request;
};

/* Run an extension's method on this environment: its handler answers. */
void
extension_run(struct request *request, struct json_object *params)
{
	struct cr_call		*call;
	struct json_object	*none = NULL;

	call = xcalloc(1, sizeof *call);
	call->request = request;
	if (params == NULL)
		params = none = json_object_new_object();
	request->method->extension->handler(call, params);
	json_object_put(none);
}

/* Answer a call with a result (taken); see creamas_env(3). */
void
cr_call_reply(struct cr_call *call, struct json_object *result)
{
	request_reply(call->request, result);
	free(call);
}

/*
 * Answer a call with a result given as JSON text (borrowed), checked as
 * any text a peer sends; see creamas_env(3).
 */
void
cr_call_reply_text(struct cr_call *call, const char *text, size_t length)
{
	struct evbuffer	*reply;

	if (!jsonspan_valid(text, length, JSONSPAN_MAX_DEPTH)) {
		cr_call_fail(call, "%s: the extension's answer is not one "
		    "JSON value", call->request->method->name);
		return;
	}
	if ((reply = evbuffer_new()) == NULL ||
	    evbuffer_add(reply, text, length) != 0) {
		if (reply != NULL)
			evbuffer_free(reply);
		request_error(call->request, env_memory_error("the reply",
		    length));
	} else
		request_reply_text(call->request, reply);
	free(call);
}

/* Answer a call with an error; see creamas_env(3). */
void
cr_call_fail(struct cr_call *call, const char *fmt, ...)
{
	va_list	 ap;
	char	*message;

	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	request_error(call->request, rpc_error_new(RPC_FAILED, message,
	    NULL));
	free(message);
	free(call);
}

/* An extension's round_prepare is done; see creamas_env(3). */
void
cr_round_ready(struct cr_round *round)
{
	round_fetched(round_of(round));
}

/* Return the number of agents, the manager not counted. */
size_t
cr_env_agent_count(void)
{
	return (env->nagents - 1);
}

/* Return agent i (0-based, in agent order), or NULL past the last. */
struct cr_agent *
cr_env_agent(size_t i)
{
	if (i >= env->nagents - 1)
		return (NULL);
	return (env->agents[i + 1]);
}

/* Return the number of the round running, or of the last one. */
uint64_t
cr_env_round(void)
{
	return (env->round_number);
}

/* Call method on an agent as the environment's manager; see the page. */
int
cr_env_call(const char *address, const char *method,
    struct json_object *params, cr_reply_fn reply, void *arg)
{
	return (call_manager(address, method, params, reply, arg));
}

/*
 * Call a method of one of this environment's agents now; see the page.
 * Agent methods only read their params, so the caller's are passed on.
 */
int
cr_env_call_agent(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct json_object	*error = NULL;

	if (agent_dispatch(agent, method,
	    (struct json_object *)(uintptr_t)params, result, &error) != 0) {
		*result = error;
		return (CR_ERROR);
	}
	return (CR_OK);
}
