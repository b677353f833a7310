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

#include <stdint.h>
#include <string.h>

#include "builtin.h"
#include "creamasd.h"
#include "grid.h"
#include "log.h"

/*
 * The agent types and the environment extensions every creamasd has
 * without a plugin. A built-in extension is a function that adds its
 * agent types and its managing functions and hooks, as a plugin's
 * would be; the rest of the daemon reaches it only through them.
 */

/* Each built-in extension's set-up function. */
static void	(*const builtin_extensions[])(void) = {
	grid_methods_init,
};

/* The state of a counter agent. */
struct counter {
	int64_t	 count;
};

/* noop: an act that does nothing, the benchmark's agent. */
static int
noop_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (CR_OK);
}

/* counter: start from params.start (default 0). */
static int
counter_init(struct cr_agent *agent, const struct json_object *params)
{
	struct counter		*counter = cr_agent_state(agent);
	struct json_object	*start;

	if (params == NULL || !json_object_is_type(params, json_type_object))
		return (CR_OK);
	if (json_object_object_get_ex(params, "start", &start)) {
		if (!json_object_is_type(start, json_type_int))
			return (CR_BAD_PARAMS);
		counter->count = json_object_get_int64(start);
	}
	return (CR_OK);
}

/* counter: add 1, or args.by, and return the count. */
static int
counter_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct counter		*counter = cr_agent_state(agent);
	struct json_object	*by;
	int64_t			 step = 1, sum;

	if (args != NULL && json_object_is_type(args, json_type_object) &&
	    json_object_object_get_ex(args, "by", &by)) {
		if (!json_object_is_type(by, json_type_int)) {
			*result = json_object_new_string("args.by must be "
			    "an integer");
			return (CR_ERROR);
		}
		step = json_object_get_int64(by);
	}
	if (__builtin_add_overflow(counter->count, step, &sum)) {
		*result = json_object_new_string("the count would go beyond "
		    "a signed 64-bit integer");
		return (CR_ERROR);
	}
	counter->count = sum;
	*result = json_object_new_int64(counter->count);
	return (CR_OK);
}

/* counter: "get" returns the count, "reset" sets it to 0. */
static int
counter_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct counter	*counter = cr_agent_state(agent);

	if (strcmp(method, "get") == 0) {
		*result = json_object_new_int64(counter->count);
		return (CR_OK);
	}
	if (strcmp(method, "reset") == 0) {
		counter->count = 0;
		return (CR_OK);
	}
	return (CR_NO_METHOD);
}

/* counter: log the final count. */
static void
counter_close(struct cr_agent *agent, const char *log_folder)
{
	struct counter	*counter = cr_agent_state(agent);

	cr_agent_log(agent, "count %lld", (long long)counter->count);
}

static const struct cr_agent_type noop_type = {
	.name = "noop",
	.act = noop_act,
};

static const struct cr_agent_type counter_type = {
	.name = "counter",
	.state_size = sizeof(struct counter),
	.init = counter_init,
	.act = counter_act,
	.call = counter_call,
	.close = counter_close,
};

/* Check that every type creamasctl counts on is registered. */
static void
builtin_check(void)
{
	static const char	*names[] = BUILTIN_TYPE_NAMES;
	size_t			 i;

	for (i = 0; names[i] != NULL; i++) {
		if (types_find(names[i]) == NULL)
			fatalx("%s: built-in type %s is missing", __func__,
			    names[i]);
	}
}

/* Make the built-in types and extensions known (after the methods). */
void
builtin_register(void)
{
	char	*cause;
	size_t	 i;

	if (types_register(&noop_type, &cause) != 0 ||
	    types_register(&counter_type, &cause) != 0)
		fatalx("%s: %s", __func__, cause);
	for (i = 0; i < sizeof builtin_extensions /
	    sizeof builtin_extensions[0]; i++)
		builtin_extensions[i]();
	builtin_check();
}
