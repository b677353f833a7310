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

/*
 * pingpong: agent types for the end-to-end tests of agent-to-agent calls.
 *
 * pinger	act calls "ping" on every connection (N times each if its
 *		args are {"times": N}) and counts the replies and the
 *		errors; methods "replies", "errors", "last_error".
 * ponger	"ping" answers {"pong": N, "from": its address}; "pings"
 *		says how many it answered.
 * chainer	like pinger, but each reply starts a second call from the
 *		reply callback: to the "then" address in the connection's
 *		data, or else to the same ponger.
 * publisher	act publishes {"n": count, "by": N}.
 * failer	act fails with "failer N refuses to act".
 * sleeper	act keeps the CPU busy for the args' "us" microseconds.
 * logger	act logs the args' "lines" lines (1 by default), "line K".
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "creamas/agent.h"

/* What pinger and chainer count. */
struct caller {
	int64_t	 replies;
	int64_t	 errors;
	int	 last_code;
	char	 last_message[256];
};

/* The state of a ponger or a publisher: one count. */
struct count {
	int64_t	 n;
};

/* Count one answer; remember the error, if it is one. */
static void
caller_count(struct cr_agent *agent, const struct json_object *error)
{
	struct caller		*caller = cr_agent_state(agent);
	struct json_object	*code, *message;

	if (error == NULL) {
		caller->replies++;
		return;
	}
	caller->errors++;
	caller->last_code = 0;
	snprintf(caller->last_message, sizeof caller->last_message, "%s",
	    "error without a message");
	if (json_object_object_get_ex(error, "code", &code))
		caller->last_code = json_object_get_int(code);
	if (json_object_object_get_ex(error, "message", &message))
		snprintf(caller->last_message, sizeof caller->last_message,
		    "%s", json_object_get_string(message));
}

/* Count a call that could not even start. */
static void
caller_count_refused(struct cr_agent *agent, const char *address)
{
	struct caller	*caller = cr_agent_state(agent);

	caller->errors++;
	caller->last_code = 0;
	snprintf(caller->last_message, sizeof caller->last_message,
	    "cr_agent_call refused %s", address);
}

/*
 * Call "ping" times times on every connection with a reply function;
 * say how many calls started.
 */
static int
caller_ping_all(struct cr_agent *agent, int64_t times, cr_reply_fn reply,
    struct json_object **result)
{
	struct json_object	*connections = cr_agent_connections(agent);
	int64_t			 started = 0, i;

	if (connections != NULL) {
		json_object_object_foreach(connections, address, data) {
			(void)data;
			for (i = 0; i < times; i++) {
				if (cr_agent_call(agent, address, "ping", NULL,
				    reply, NULL) == 0)
					started++;
				else
					caller_count_refused(agent, address);
			}
		}
	}
	*result = json_object_new_int64(started);
	return (CR_OK);
}

/* The methods of pinger and chainer: "replies", "errors", "last_error". */
static int
caller_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct caller	*caller = cr_agent_state(agent);

	if (strcmp(method, "replies") == 0)
		*result = json_object_new_int64(caller->replies);
	else if (strcmp(method, "errors") == 0)
		*result = json_object_new_int64(caller->errors);
	else if (strcmp(method, "last_error") == 0) {
		if (caller->errors == 0)
			return (CR_OK);	/* null */
		*result = json_object_new_object();
		json_object_object_add(*result, "code",
		    json_object_new_int(caller->last_code));
		json_object_object_add(*result, "message",
		    json_object_new_string(caller->last_message));
	} else
		return (CR_NO_METHOD);
	return (CR_OK);
}

/* pinger: a reply (or an error) to one ping. */
static void
pinger_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	caller_count(agent, error);
}

/* Return the integer member name of an act's args, or fallback. */
static int64_t
args_int(const struct json_object *args, const char *name, int64_t fallback)
{
	struct json_object	*value = NULL;
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} object = { args };

	if (args == NULL || !json_object_is_type(object.plain,
	    json_type_object) || !json_object_object_get_ex(object.plain, name,
	    &value))
		return (fallback);
	return (json_object_get_int64(value));
}

/* pinger: ping every connection, args' "times" times (once by default). */
static int
pinger_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (caller_ping_all(agent, args_int(args, "times", 1),
	    pinger_reply, result));
}

/* chainer: the second reply of a chain ends it. */
static void
chainer_second_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	caller_count(agent, error);
}

/*
 * chainer: the first reply starts a second call, to the address in
 * data.then of the connection that answered, or to the same ponger.
 */
static void
chainer_first_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct json_object	*from, *data, *then;
	const char		*next;

	caller_count(agent, error);
	if (error != NULL)
		return;
	if (!json_object_object_get_ex(result, "from", &from)) {
		caller_count_refused(agent, "(a reply without \"from\")");
		return;
	}
	next = json_object_get_string(from);
	if (json_object_object_get_ex(cr_agent_connections(agent), next,
	    &data) && json_object_object_get_ex(data, "then", &then) &&
	    json_object_is_type(then, json_type_string))
		next = json_object_get_string(then);
	if (cr_agent_call(agent, next, "ping", NULL, chainer_second_reply,
	    NULL) != 0)
		caller_count_refused(agent, next);
}

/* chainer: ping every connection, twice in a row. */
static int
chainer_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (caller_ping_all(agent, 1, chainer_first_reply, result));
}

/* ponger: an act that does nothing. */
static int
ponger_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (CR_OK);
}

/* ponger: "ping" answers with its number and address; "pings" counts. */
static int
ponger_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct count	*pings = cr_agent_state(agent);
	char		 address[CR_ADDRESS_MAX];

	if (strcmp(method, "pings") == 0) {
		*result = json_object_new_int64(pings->n);
		return (CR_OK);
	}
	if (strcmp(method, "ping") != 0)
		return (CR_NO_METHOD);
	pings->n++;
	cr_agent_address(agent, address, sizeof address);
	*result = json_object_new_object();
	json_object_object_add(*result, "pong",
	    json_object_new_int64(cr_agent_id(agent)));
	json_object_object_add(*result, "from",
	    json_object_new_string(address));
	return (CR_OK);
}

/* publisher: publish one artifact per act and return its count. */
static int
publisher_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct count		*published = cr_agent_state(agent);
	struct json_object	*artifact;

	published->n++;
	artifact = json_object_new_object();
	json_object_object_add(artifact, "n",
	    json_object_new_int64(published->n));
	json_object_object_add(artifact, "by",
	    json_object_new_int64(cr_agent_id(agent)));
	cr_agent_publish(agent, artifact);
	*result = json_object_new_int64(published->n);
	return (CR_OK);
}

/* failer: always fail, saying so. */
static int
failer_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	char	 message[64];

	snprintf(message, sizeof message, "failer %ld refuses to act",
	    cr_agent_id(agent));
	*result = json_object_new_string(message);
	return (CR_ERROR);
}

/* Return the monotonic time in microseconds. */
static int64_t
sleeper_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* sleeper: a slow act, busy for {"us": N} microseconds. */
static int
sleeper_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	int64_t	 until = sleeper_now_us() + args_int(args, "us", 0);

	while (sleeper_now_us() < until)
		;
	return (CR_OK);
}

static const struct cr_agent_type pinger_type = {
	.name = "pinger",
	.state_size = sizeof(struct caller),
	.act = pinger_act,
	.call = caller_call,
};

static const struct cr_agent_type chainer_type = {
	.name = "chainer",
	.state_size = sizeof(struct caller),
	.act = chainer_act,
	.call = caller_call,
};

static const struct cr_agent_type ponger_type = {
	.name = "ponger",
	.state_size = sizeof(struct count),
	.act = ponger_act,
	.call = ponger_call,
};

static const struct cr_agent_type publisher_type = {
	.name = "publisher",
	.state_size = sizeof(struct count),
	.act = publisher_act,
};

static const struct cr_agent_type failer_type = {
	.name = "failer",
	.act = failer_act,
};

/* logger: act logs {"lines": N} lines, "line 1" to "line N". */
static int
logger_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	int64_t	 lines = args_int(args, "lines", 1), k;

	for (k = 1; k <= lines; k++)
		cr_agent_log(agent, "line %lld", (long long)k);
	return (CR_OK);
}

static const struct cr_agent_type logger_type = {
	.name = "logger",
	.act = logger_act,
};

static const struct cr_agent_type sleeper_type = {
	.name = "sleeper",
	.act = sleeper_act,
};

CR_PLUGIN_EXPORT(&pinger_type, &chainer_type, &ponger_type, &publisher_type,
    &failer_type, &sleeper_type, &logger_type);
