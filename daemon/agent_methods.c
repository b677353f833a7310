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
#include <string.h>

#include "addr.h"
#include "creamasd.h"
#include "xmalloc.h"

/*
 * The per-agent calls, agent.NAME: the built-in ones below, then whatever
 * the agent's type exports through its call callback.
 */

typedef int	(*agent_method_fn)(struct cr_agent *, struct json_object *,
		    struct json_object **, struct json_object **);

struct agent_method {
	const char		*name;
	const struct rpc_param	*params;
	agent_method_fn		 handler;
};

/* Build an error about an agent, naming it in data. */
static struct json_object *
agent_error(struct cr_agent *agent, int code, const char *message)
{
	char			*address = agent_address(agent);
	struct json_object	*error;

	error = rpc_error_new(code, message, json_object_new_string(address));
	free(address);
	return (error);
}

/* Turn what a failing callback left in *result into an error. */
static struct json_object *
agent_callback_error(struct cr_agent *agent, int code, const char *what,
    struct json_object *result)
{
	struct json_object	*error;
	char			*message;

	if (result != NULL && json_object_is_type(result, json_type_string))
		xasprintf(&message, "%s: %s", what,
		    json_object_get_string(result));
	else
		message = xstrdup(what);
	error = agent_error(agent, code, message);
	free(message);
	json_object_put(result);
	return (error);
}

/* agent.act: run the agent's act once, outside any round. */
static int
agent_method_act(struct cr_agent *agent, struct json_object *params,
    struct json_object **result, struct json_object **error)
{
	struct json_object	*args = NULL;

	if (params != NULL)
		json_object_object_get_ex(params, "args", &args);
	*result = NULL;
	if (agent->type->act(agent, args, result) != CR_OK) {
		*error = agent_callback_error(agent, RPC_AGENT_FAILED,
		    "act failed", *result);
		*result = NULL;
		return (-1);
	}
	return (0);
}

/* Parse one [addr, data?] or "addr" entry of a connection list. */
static int
agent_connection_entry(struct json_object *entry, const char **address,
    struct json_object **data)
{
	struct json_object	*item;
	size_t			 length;
	struct addr		 parsed;
	char			*cause;

	*data = NULL;
	if (json_object_is_type(entry, json_type_string))
		*address = json_object_get_string(entry);
	else if (json_object_is_type(entry, json_type_array) &&
	    (length = json_object_array_length(entry)) >= 1 && length <= 2 &&
	    json_object_is_type(item = json_object_array_get_idx(entry, 0),
	    json_type_string)) {
		*address = json_object_get_string(item);
		if (length == 2)
			*data = json_object_array_get_idx(entry, 1);
	} else
		return (-1);
	if (addr_parse(*address, &parsed, &cause) != 0) {
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * Check every entry of a list of connections; the error names the entry,
 * after owner (the agent whose list it is) unless NULL.
 */
int
agent_connection_list_check(struct json_object *list, const char *owner,
    struct json_object **error)
{
	struct json_object	*data;
	const char		*address;
	size_t			 i, count;

	if (!json_object_is_type(list, json_type_array)) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS, owner != NULL ?
		    json_object_new_string(rpc_quote(owner)) : NULL,
		    "%s%sthe connections must be a list",
		    owner != NULL ? rpc_quote(owner) : "",
		    owner != NULL ? ": " : "");
		return (-1);
	}
	count = json_object_array_length(list);
	for (i = 0; i < count; i++) {
		if (agent_connection_entry(json_object_array_get_idx(list, i),
		    &address, &data) != 0) {
			*error = rpc_error_newf(RPC_INVALID_PARAMS,
			    owner != NULL ? json_object_new_string(
			    rpc_quote(owner)) : NULL, "%s%sconnection %zu: "
			    "expected \"tcp://HOST:PORT/N\" or [address, data]",
			    owner != NULL ? rpc_quote(owner) : "",
			    owner != NULL ? ": " : "", i);
			return (-1);
		}
	}
	return (0);
}

/* Add a list of connections checked already; a list of booleans. */
struct json_object *
agent_connection_list_apply(struct cr_agent *agent, struct json_object *list)
{
	struct json_object	*added, *data;
	const char		*address;
	size_t			 i, count = json_object_array_length(list);

	added = json_object_new_array_ext((int)count);
	for (i = 0; i < count; i++) {
		agent_connection_entry(json_object_array_get_idx(list, i),
		    &address, &data);
		json_object_array_add(added, json_object_new_boolean(
		    cr_agent_add_connection(agent, address,
		    json_object_get(data)) == 1));
	}
	return (added);
}

/* agent.add_connection: true when added, false when already there. */
static int
agent_method_add_connection(struct cr_agent *agent,
    struct json_object *params, struct json_object **result,
    struct json_object **error)
{
	struct json_object	*address, *data = NULL;
	int			 added;

	json_object_object_get_ex(params, "addr", &address);
	json_object_object_get_ex(params, "data", &data);
	added = cr_agent_add_connection(agent, json_object_get_string(address),
	    json_object_get(data));
	if (added == -1) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("addr"), "invalid address '%s'",
		    rpc_quote(json_object_get_string(address)));
		return (-1);
	}
	*result = json_object_new_boolean(added);
	return (0);
}

/* agent.add_connections: a list of [addr, data?]; a list of booleans. */
static int
agent_method_add_connections(struct cr_agent *agent,
    struct json_object *params, struct json_object **result,
    struct json_object **error)
{
	struct json_object	*list;

	json_object_object_get_ex(params, "conns", &list);
	if (agent_connection_list_check(list, NULL, error) != 0)
		return (-1);
	*result = agent_connection_list_apply(agent, list);
	return (0);
}

/* agent.remove_connection: true when removed, false when absent. */
static int
agent_method_remove_connection(struct cr_agent *agent,
    struct json_object *params, struct json_object **result,
    struct json_object **error)
{
	struct json_object	*address;

	json_object_object_get_ex(params, "addr", &address);
	*result = json_object_new_boolean(cr_agent_remove_connection(agent,
	    json_object_get_string(address)));
	return (0);
}

/* agent.clear_connections: forget every connection. */
static int
agent_method_clear_connections(struct cr_agent *agent,
    struct json_object *params, struct json_object **result,
    struct json_object **error)
{
	if (agent->extra != NULL) {
		json_object_put(agent->extra->connections);
		agent->extra->connections = NULL;
	}
	*result = NULL;
	return (0);
}

/* Return the connections: addresses, or with data an object of them. */
struct json_object *
agent_get_connections(struct cr_agent *agent, int with_data)
{
	struct json_object	*connections = cr_agent_connections(agent);
	struct json_object	*list;

	if (with_data)
		return (connections != NULL ? json_object_get(connections) :
		    json_object_new_object());
	list = json_object_new_array();
	if (connections != NULL) {
		json_object_object_foreach(connections, address, data) {
			(void)data;
			json_object_array_add(list,
			    json_object_new_string(address));
		}
	}
	return (list);
}

/* agent.get_connections: see agent_get_connections(). */
static int
agent_method_get_connections(struct cr_agent *agent,
    struct json_object *params, struct json_object **result,
    struct json_object **error)
{
	struct json_object	*data = NULL;

	if (params != NULL)
		json_object_object_get_ex(params, "data", &data);
	*result = agent_get_connections(agent, json_object_get_boolean(data));
	return (0);
}

static const struct rpc_param act_params[] = {
	{ "args", RPC_ANY, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param add_connection_params[] = {
	{ "addr", RPC_STRING, 1 }, { "data", RPC_ANY, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param add_connections_params[] = {
	{ "conns", RPC_ARRAY, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param addr_params[] = {
	{ "addr", RPC_STRING, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param no_params[] = {
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param get_connections_params[] = {
	{ "data", RPC_BOOLEAN, 0 }, { NULL, RPC_ANY, 0 }
};

static const struct agent_method agent_methods[] = {
	{ "act", act_params, agent_method_act },
	{ "add_connection", add_connection_params,
	    agent_method_add_connection },
	{ "add_connections", add_connections_params,
	    agent_method_add_connections },
	{ "remove_connection", addr_params, agent_method_remove_connection },
	{ "clear_connections", no_params, agent_method_clear_connections },
	{ "get_connections", get_connections_params,
	    agent_method_get_connections },
};

/*
 * Run method on an agent with params (without "agent"). Returns 0 with a
 * result (taken by the caller, may be NULL) or -1 with an error.
 */
int
agent_dispatch(struct cr_agent *agent, const char *method,
    struct json_object *params, struct json_object **result,
    struct json_object **error)
{
	const struct agent_method	*entry;
	char				*message;
	size_t				 i;
	int				 rc;

	*result = NULL;
	*error = NULL;
	for (i = 0; i < sizeof agent_methods / sizeof agent_methods[0]; i++) {
		entry = &agent_methods[i];
		if (strcmp(entry->name, method) != 0)
			continue;
		if (rpc_params_check(params, entry->params, error) != 0)
			return (-1);
		return (entry->handler(agent, params, result, error));
	}
	rc = CR_NO_METHOD;
	if (agent->type->call != NULL)
		rc = agent->type->call(agent, method, params, result);
	switch (rc) {
	case CR_OK:
		return (0);
	case CR_NO_METHOD:
		json_object_put(*result);
		*result = NULL;
		xasprintf(&message, "agent type '%s' has no method '%s'",
		    agent->type->name, rpc_quote(method));
		*error = agent_error(agent, RPC_METHOD_NOT_FOUND, message);
		free(message);
		return (-1);
	case CR_BAD_PARAMS:
		*error = agent_callback_error(agent, RPC_INVALID_PARAMS,
		    "invalid params", *result);
		*result = NULL;
		return (-1);
	default:
		xasprintf(&message, "%s failed", method);
		*error = agent_callback_error(agent, RPC_AGENT_FAILED, message,
		    *result);
		free(message);
		*result = NULL;
		return (-1);
	}
}
