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
#include "combine.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The managing functions of a slave environment, Creamas' names kept, and
 * the dispatch of agent.NAME calls to one agent.
 */

#define METHODS_CONNECTION_BYTES 1024	/* a connection as kept: ~900 measured */

/* Answer an error from a message in cause, freeing it. */
static void
reply_cause(struct request *request, int code, char *cause)
{
	request_error(request, rpc_error_new(code, cause, NULL));
	free(cause);
}

/* is_ready: once every extension's ready hook says so. */
static void
method_is_ready(struct request *request, struct json_object *params)
{
	request_reply(request, json_object_new_boolean(extension_ready()));
}

/*
 * Write agent i's address into get_agents' list, if of the type asked
 * (a string value, or NULL for any).
 */
static int
method_get_agents_item(struct evbuffer *list, size_t i, void *type)
{
	if (!agent_of_type(env->agents[i], json_object_get_string(type)))
		return (0);
	return (agent_address_append(list, env->agents[i]->id,
	    evbuffer_get_length(list) == 0));
}

/*
 * get_agents: every agent's address, optionally of one type, written as
 * text straight into the reply, in slices; with runs, the same list
 * written short for a master.
 */
static void
method_get_agents(struct request *request, struct json_object *params)
{
	struct json_object	*type = rpc_param(params, "type");

	if (json_object_get_boolean(rpc_param(params, "runs")))
		request_reply_list(request, agent_runs(1, env->nagents,
		    json_object_get_string(type)), 0);
	else
		listing_start(request, params, 1, env->nagents,
		    method_get_agents_item, type);
}

/* spawn: one agent; its address. */
static void
method_spawn(struct request *request, struct json_object *params)
{
	struct cr_agent		*agent;
	struct json_object	*error;
	char			*address;

	if (env_spawn(json_object_get_string(rpc_param(params, "type")),
	    rpc_param(params, "params"), &agent, &error) != 0) {
		request_error(request, error);
		return;
	}
	address = agent_address(agent);
	request_reply(request, json_object_new_string(address));
	free(address);
}

/* Check spawn_n's n as a slave and a master both do. */
static int
methods_check_spawn_n(struct json_object *params, struct json_object **error)
{
	int64_t	 count = json_object_get_int64(rpc_param(params, "n"));

	if (count < 0 || count > SPAWN_N_MAX) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("n"), "n must be in 0..%d",
		    SPAWN_N_MAX);
		return (-1);
	}
	return (0);
}

/*
 * Check the n of create_random_connections among agents as a slave and
 * a master both do: each agent connects to n others. The agents x n
 * connections must fit in memory: the bytes they will take are asked
 * for (and given back) first, so that a request too large for the
 * process's limit is refused instead of killing it midway.
 */
int
methods_check_random_n(int64_t count, size_t agents,
    struct json_object **error)
{
	uint64_t	 connections;
	void		*room;

	if (count < 0 || (agents > 0 && (uint64_t)count >= agents) ||
	    (agents == 0 && count > 0)) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("n"), "n must be in 0..%zu: each "
		    "agent connects to n others of %zu", agents > 0 ?
		    agents - 1 : 0, agents);
		return (-1);
	}
	connections = (uint64_t)count * agents;
	if (connections == 0)
		return (0);
	if (connections > SIZE_MAX / METHODS_CONNECTION_BYTES ||
	    (room = malloc(connections * METHODS_CONNECTION_BYTES)) ==
	    NULL) {
		*error = env_memory_error("the connections",
		    connections > SIZE_MAX / METHODS_CONNECTION_BYTES ?
		    SIZE_MAX : connections * METHODS_CONNECTION_BYTES);
		return (-1);
	}
	free(room);
	return (0);
}

/* trigger_all: see round.c. */
static void
method_trigger_all(struct request *request, struct json_object *params)
{
	round_start(request, params);
}

/* trigger_act: one agent's act. */
static void
method_trigger_act(struct request *request, struct json_object *params)
{
	struct cr_agent		*agent;
	struct json_object	*result, *error, *args;

	if ((agent = env_find_agent(rpc_param(params, "agent"), &error)) == NULL) {
		request_error(request, error);
		return;
	}
	args = json_object_new_object();
	if (rpc_param(params, "args") != NULL)
		json_object_object_add(args, "args",
		    json_object_get(rpc_param(params, "args")));
	if (agent_dispatch(agent, "act", args, &result, &error) != 0)
		request_error(request, error);
	else
		request_reply(request, result);
	json_object_put(args);
}

/* set_host_manager: remember the address of the node's manager. */
static void
method_set_host_manager(struct request *request, struct json_object *params)
{
	const char	*address = json_object_get_string(rpc_param(params, "addr"));
	struct addr	 parsed;
	char		*cause;

	if (addr_parse(address, &parsed, &cause) != 0) {
		reply_cause(request, RPC_INVALID_PARAMS, cause);
		return;
	}
	free(env->host_manager);
	env->host_manager = xstrdup(address);
	request_reply(request, NULL);
}

/* host_manager: the address set, or null. */
static void
method_host_manager(struct request *request, struct json_object *params)
{
	request_reply(request, env->host_manager != NULL ?
	    json_object_new_string(env->host_manager) : NULL);
}

/* Write agent i's [agent, connections] into get_connections' list. */
static int
method_get_connections_item(struct evbuffer *list, size_t i, void *params)
{
	struct json_object	*connections;
	const char		*text;
	size_t			 length;
	int			 first = evbuffer_get_length(list) == 0, failed;

	connections = agent_get_connections(env->agents[i],
	    json_object_get_boolean(rpc_param(params, "data")));
	text = rpc_serialize(connections, &length);
	failed = evbuffer_add(list, first ? "[" : ",[", first ? 1 : 2) != 0 ||
	    agent_address_append(list, env->agents[i]->id, 1) != 0 ||
	    evbuffer_add(list, ",", 1) != 0 ||
	    evbuffer_add(list, text, length) != 0 ||
	    evbuffer_add(list, "]", 1) != 0;
	json_object_put(connections);
	return (failed ? -1 : 0);
}

/*
 * get_connections: [[agent, connections]...] for every agent, written as
 * text straight into the reply, in slices.
 */
static void
method_get_connections(struct request *request, struct json_object *params)
{
	listing_start(request, params, 1, env->nagents,
	    method_get_connections_item, params);
}

/*
 * Check a create_connections map as a slave and a master both do: every
 * key an agent address, every list of connections well formed. The
 * error names the key and the entry.
 */
static int
methods_check_connection_map(struct json_object *params,
    struct json_object **error)
{
	struct json_object	*map = rpc_param(params, "map");
	struct addr		 parsed;
	char			*cause;

	json_object_object_foreach(map, key, list) {
		if (addr_parse(key, &parsed, &cause) != 0) {
			*error = rpc_error_newf(RPC_INVALID_PARAMS,
			    json_object_new_string(rpc_quote(key)), "map: %s",
			    cause);
			free(cause);
			return (-1);
		}
		if (agent_connection_list_check(list, key, error) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Find the agent of this environment that a map key names, or NULL for
 * another environment's key (see env_names_this()). A key of this
 * environment naming no agent is an error.
 */
static int
methods_map_owner(const char *key, struct cr_agent **agent,
    struct json_object **error)
{
	struct addr	 parsed;
	char		*cause;

	*agent = NULL;
	if (addr_parse(key, &parsed, &cause) != 0)
		fatalx("%s: a key checked is no address: %s", __func__, cause);
	switch (env_names_this(key, &parsed, error)) {
	case -1:
		return (-1);
	case 0:
		return (0);
	}
	if ((*agent = env_agent((size_t)parsed.agent)) == NULL) {
		*error = rpc_error_newf(RPC_AGENT_NOT_FOUND,
		    json_object_new_string(rpc_quote(key)), "map: no agent %s "
		    "in this environment (%s0)", rpc_quote(key), env->prefix);
		return (-1);
	}
	return (0);
}

/*
 * create_connections: for each agent of this environment named in the
 * map, add its list of connections; one list of booleans per such agent.
 * The whole map is checked first: a request that fails changes nothing.
 * With check, nothing is added even so, and the list is empty (a master
 * checks every slave's part before any slave adds its own).
 */
static void
method_create_connections(struct request *request, struct json_object *params)
{
	struct json_object	*map = rpc_param(params, "map"), *results;
	struct json_object	*error = NULL, **lists;
	struct cr_agent		**owners;
	size_t			 count = 0, i;

	owners = xcalloc(json_object_object_length(map) + 1, sizeof *owners);
	lists = xcalloc(json_object_object_length(map) + 1, sizeof *lists);
	json_object_object_foreach(map, key, list) {
		if (methods_map_owner(key, &owners[count], &error) != 0)
			goto fail;
		if (owners[count] != NULL)
			lists[count++] = list;
	}
	if (json_object_get_boolean(rpc_param(params, "check")))
		count = 0;
	results = json_object_new_array_ext((int)count);
	for (i = 0; i < count; i++)
		json_object_array_add(results,
		    agent_connection_list_apply(owners[i], lists[i]));
	request_reply(request, results);
	free(owners);
	free(lists);
	return;
fail:
	request_error(request, error);
	free(owners);
	free(lists);
}

/* Return 1 if value is among the first count of picked. */
static int
picked_contains(const uint32_t *picked, size_t count, uint32_t value)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		if (picked[i] == value)
			return (1);
	}
	return (0);
}

/*
 * Connect agent i to n distinct other agents of this environment, drawn
 * with Floyd's sampling over the agents but itself. As in Creamas, a
 * pick it already had adds nothing.
 */
static int
method_random_connections_item(struct evbuffer *list, size_t i,
    void *params)
{
	int64_t		 count = json_object_get_int64(rpc_param(params, "n"));
	uint32_t	*picked, others = (uint32_t)env->nagents - 2, j, pick;
	size_t		 made = 0;
	char		*address;

	picked = xcalloc((size_t)count, sizeof *picked);
	/* Pick n of 1..others, then skip over the agent itself. */
	for (j = others - (uint32_t)count + 1; j <= others; j++) {
		pick = 1 + env_random(j);
		if (picked_contains(picked, made, pick))
			pick = j;
		picked[made++] = pick;
	}
	for (j = 0; j < made; j++) {
		pick = picked[j] >= i ? picked[j] + 1 : picked[j];
		xasprintf(&address, "%s%u", env->prefix, pick);
		cr_agent_add_connection(env->agents[i], address, NULL);
		free(address);
	}
	free(picked);
	return (0);
}

/* create_random_connections: every agent to n others, in slices. */
static void
method_create_random_connections(struct request *request,
    struct json_object *params)
{
	int64_t			 count = json_object_get_int64(rpc_param(params,
				    "n"));
	struct json_object	*error;

	if (methods_check_random_n(count, env->nagents - 1, &error) != 0) {
		request_error(request, error);
		return;
	}
	if (count == 0) {
		request_reply(request, NULL);
		return;
	}
	listing_walk(request, params, 1, env->nagents,
	    method_random_connections_item, params);
}

/* Make agent i forget its connections. */
static int
method_clear_connections_item(struct evbuffer *list, size_t i, void *arg)
{
	if (env->agents[i]->extra != NULL) {
		json_object_put(env->agents[i]->extra->connections);
		env->agents[i]->extra->connections = NULL;
	}
	return (0);
}

/* clear_connections: every agent forgets its connections, in slices. */
static void
method_clear_connections(struct request *request, struct json_object *params)
{
	listing_walk(request, params, 1, env->nagents,
	    method_clear_connections_item, NULL);
}

/* get_artifacts: everything published, optionally by one creator. */
static void
method_get_artifacts(struct request *request, struct json_object *params)
{
	struct json_object	*creator = rpc_param(params, "creator"), *list;
	struct json_object	*entry, *by;
	size_t			 i, count;

	list = json_object_new_array();
	count = json_object_array_length(env->artifacts);
	for (i = 0; i < count; i++) {
		entry = json_object_array_get_idx(env->artifacts, i);
		json_object_object_get_ex(entry, "creator", &by);
		if (creator != NULL && strcmp(json_object_get_string(by),
		    json_object_get_string(creator)) != 0)
			continue;
		json_object_array_add(list, json_object_get(entry));
	}
	request_reply(request, list);
}

/* set_log_folder: where logs go on stop. */
static void
method_set_log_folder(struct request *request, struct json_object *params)
{
	char	*cause;

	if (env_set_log_folder(json_object_get_string(rpc_param(params, "path")),
	    &cause) != 0) {
		reply_cause(request, RPC_FAILED, cause);
		return;
	}
	request_reply(request, NULL);
}

/* set_time: the environment's time. */
static void
method_set_time(struct request *request, struct json_object *params)
{
	env->time = json_object_get_double(rpc_param(params, "t"));
	request_reply(request, NULL);
}

/* configure: give an extension a configuration key's value. */
static void
method_configure(struct request *request, struct json_object *params)
{
	char	*cause;

	if (extension_configure(json_object_get_string(rpc_param(params,
	    "key")), json_object_get_string(rpc_param(params, "value")),
	    &cause) != 0) {
		reply_cause(request, RPC_INVALID_PARAMS, cause);
		return;
	}
	request_reply(request, NULL);
}

/* get_time: the environment's time. */
static void
method_get_time(struct request *request, struct json_object *params)
{
	request_reply(request, json_object_new_double(env->time));
}

/* status: see status.c. */
static void
method_status(struct request *request, struct json_object *params)
{
	request_reply(request, status_get());
}

/* stop: answer true, then close every agent and exit. */
static void
method_stop(struct request *request, struct json_object *params)
{
	struct json_object	*folder = rpc_param(params, "log_folder");

	request_reply(request, json_object_new_boolean(1));
	env_stop(folder != NULL ? json_object_get_string(folder) : NULL);
}

static void	method_methods(struct request *, struct json_object *);

static const struct rpc_param no_params[] = {
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param get_agents_params[] = {
	{ "type", RPC_STRING, 0 }, { "runs", RPC_BOOLEAN, 0 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param spawn_params[] = {
	{ "type", RPC_STRING, 1 }, { "params", RPC_ANY, 0 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param spawn_n_params[] = {
	{ "type", RPC_STRING, 1 }, { "n", RPC_INTEGER, 1 },
	{ "params", RPC_ANY, 0 }, { "slave", RPC_INTEGER, 0 },
	{ "addresses", RPC_BOOLEAN, 0 }, { "runs", RPC_BOOLEAN, 0 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param report_params[] = {
	{ "data", RPC_ANY, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param trigger_all_params[] = {
	{ "args", RPC_ANY, 0 }, { "results", RPC_BOOLEAN, 0 },
	{ "timeout", RPC_NUMBER, 0 }, { "round", RPC_INTEGER, 0 },
	{ "runs", RPC_BOOLEAN, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param trigger_act_params[] = {
	{ "agent", RPC_ANY, 1 }, { "args", RPC_ANY, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param addr_params[] = {
	{ "addr", RPC_STRING, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param data_params[] = {
	{ "data", RPC_BOOLEAN, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param map_params[] = {
	{ "map", RPC_OBJECT, 1 }, { "check", RPC_BOOLEAN, 0 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param n_params[] = {
	{ "n", RPC_INTEGER, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param creator_params[] = {
	{ "creator", RPC_STRING, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param path_params[] = {
	{ "path", RPC_STRING, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param configure_params[] = {
	{ "key", RPC_STRING, 1 }, { "value", RPC_STRING, 1 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param time_params[] = {
	{ "t", RPC_NUMBER, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param stop_params[] = {
	{ "log_folder", RPC_STRING, 0 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param checkpoint_params[] = {
	{ "folder", RPC_STRING, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param restore_params[] = {
	{ "folder", RPC_STRING, 1 }, { "check", RPC_BOOLEAN, 0 },
	{ NULL, RPC_ANY, 0 }
};

/*
 * The built-in managing functions. A master fans an entry out and
 * combines the slaves' answers by its rule, unless the entry names a
 * master handler or the master runs the slave's handler on itself.
 */
#define FAN(rule)	NULL, rule, NULL, 0, NULL, NULL, NULL
#define OWN(handler)	handler, CR_COMBINE_CUSTOM, NULL, 0, NULL, NULL, NULL
#define LOCAL		NULL, CR_COMBINE_CUSTOM, NULL, METHOD_MASTER_LOCAL, NULL, \
			    NULL, NULL
static const struct method builtin_methods[] = {
	{ "checkpoint", checkpoint_params, checkpoint_method,
	    OWN(master_checkpoint) },
	{ "clear_connections", no_params, method_clear_connections,
	    FAN(CR_COMBINE_NULL) },
	{ "configure", configure_params, method_configure,
	    OWN(master_configure) },
	{ "create_connections", map_params, method_create_connections,
	    master_create_connections, CR_COMBINE_CONCAT, NULL, 0, NULL,
	    methods_check_connection_map, NULL },
	{ "create_random_connections", n_params,
	    method_create_random_connections,
	    OWN(master_create_random_connections) },
	{ "get_agents", get_agents_params, method_get_agents,
	    master_get_agents, CR_COMBINE_CONCAT, NULL, 0, NULL, NULL, NULL },
	{ "get_artifacts", creator_params, method_get_artifacts,
	    FAN(CR_COMBINE_CONCAT) },
	{ "get_connections", data_params, method_get_connections,
	    FAN(CR_COMBINE_CONCAT) },
	{ "get_slave_managers", no_params, NULL,
	    OWN(master_get_slave_managers) },
	{ "get_time", no_params, method_get_time, LOCAL },
	{ "host_manager", no_params, method_host_manager, LOCAL },
	{ "is_ready", no_params, method_is_ready, OWN(master_is_ready) },
	{ "methods", no_params, method_methods, LOCAL },
	{ "report", report_params, NULL, OWN(master_report) },
	{ "restore", restore_params, checkpoint_restore_method,
	    OWN(master_restore) },
	{ "set_host_manager", addr_params, method_set_host_manager, LOCAL },
	{ "set_host_managers", no_params, NULL,
	    OWN(master_set_host_managers) },
	{ "set_log_folder", path_params, method_set_log_folder,
	    OWN(master_set_log_folder) },
	{ "set_time", time_params, method_set_time, OWN(master_set_time) },
	{ "spawn", spawn_params, method_spawn, OWN(master_spawn) },
	{ "spawn_n", spawn_n_params, spawn_start, master_spawn_n,
	    CR_COMBINE_CUSTOM, NULL, 0, NULL, methods_check_spawn_n, NULL },
	{ "status", no_params, method_status, OWN(master_status) },
	{ "stop", stop_params, method_stop, OWN(master_stop_method) },
	{ "trigger_act", trigger_act_params, method_trigger_act,
	    OWN(master_trigger_act) },
	{ "trigger_all", trigger_all_params, method_trigger_all,
	    OWN(master_trigger_all) },
};
#undef FAN
#undef OWN
#undef LOCAL

/* Every managing function of this process, sorted by name. */
static const struct method	**table;
static size_t			  table_size;

/* Compare a method name with a table entry, for bsearch. */
static int
methods_compare(const void *key, const void *entry)
{
	return (strcmp(key, (*(const struct method *const *)entry)->name));
}

/* Return the managing function of a name, or NULL. */
const struct method *
methods_find(const char *name)
{
	const struct method	*const *found;

	if (table_size == 0)
		return (NULL);
	found = bsearch(name, table, table_size, sizeof *table,
	    methods_compare);
	return (found != NULL ? *found : NULL);
}

/*
 * Add count managing functions (borrowed: they must outlive the table),
 * all or none; a name already taken is refused, named, with its owner.
 */
int
methods_register(const struct method *methods, size_t count, char **cause)
{
	const struct method	*taken;
	size_t			 i, j, at;

	for (i = 0; i < count; i++) {
		if ((taken = methods_find(methods[i].name)) == NULL) {
			for (j = 0; j < i; j++) {
				if (strcmp(methods[j].name,
				    methods[i].name) == 0)
					taken = &methods[j];
			}
		}
		if (taken != NULL) {
			xasprintf(cause, "method '%s' is already defined by "
			    "%s", methods[i].name, taken->owner != NULL ?
			    taken->owner : "creamasd");
			return (-1);
		}
	}
	table = xreallocarray(table, table_size + count + 1, sizeof *table);
	for (i = 0; i < count; i++) {
		for (at = table_size; at > 0 &&
		    strcmp(table[at - 1]->name, methods[i].name) > 0; at--)
			table[at] = table[at - 1];
		table[at] = &methods[i];
		table_size++;
	}
	return (0);
}

/* Register the built-in managing functions. */
void
methods_init(void)
{
	char	*cause;

	if (methods_register(builtin_methods, sizeof builtin_methods /
	    sizeof builtin_methods[0], &cause) != 0)
		fatalx("%s: %s", __func__, cause);
}

/* Forget every managing function. */
void
methods_free(void)
{
	free(table);
	table = NULL;
	table_size = 0;
}

/* Describe a parameter list: [{name, type, required}...]. */
static struct json_object *
methods_describe_params(const struct rpc_param *params)
{
	static const char *const type_names[] = { "any", "boolean",
	    "integer", "number", "string", "object", "array" };
	struct json_object	*list, *entry;

	list = json_object_new_array();
	for (; params != NULL && params->name != NULL; params++) {
		entry = json_object_new_object();
		json_object_object_add(entry, "name",
		    json_object_new_string(params->name));
		json_object_object_add(entry, "type",
		    json_object_new_string(type_names[params->type]));
		json_object_object_add(entry, "required",
		    json_object_new_boolean(params->required));
		json_object_array_add(list, entry);
	}
	return (list);
}

/* Say where a method runs: on either role, a master's or a slave's only. */
static const char *
methods_role(const struct method *method)
{
	if (method->slave == NULL)
		return ("master");
	if (method->flags & METHOD_SLAVE_ONLY)
		return ("slave");
	return ("any");
}

/*
 * Describe a managing function: its name, parameters, where it runs,
 * who defined it and how a master combines its slaves' answers ("local":
 * the master answers for itself).
 */
static struct json_object *
methods_describe(const struct method *method)
{
	struct json_object	*entry;
	const char		*combine;

	if (method->flags & METHOD_MASTER_LOCAL)
		combine = "local";
	else if ((method->master != NULL &&
	    method->combine == CR_COMBINE_CUSTOM) || method->slave == NULL)
		combine = combine_name(CR_COMBINE_CUSTOM);
	else
		combine = combine_name(method->combine);
	entry = json_object_new_object();
	json_object_object_add(entry, "name",
	    json_object_new_string(method->name));
	json_object_object_add(entry, "combine",
	    json_object_new_string(combine));
	if (method->key != NULL)
		json_object_object_add(entry, "key",
		    json_object_new_string(method->key));
	json_object_object_add(entry, "role",
	    json_object_new_string(methods_role(method)));
	json_object_object_add(entry, "owner", json_object_new_string(
	    method->owner != NULL ? method->owner : "creamasd"));
	json_object_object_add(entry, "params",
	    methods_describe_params(method->params));
	return (entry);
}

/* methods: every managing function of this process, by name. */
static void
method_methods(struct request *request, struct json_object *params)
{
	struct json_object	*list;
	size_t			 i;

	list = json_object_new_array_ext((int)table_size);
	for (i = 0; i < table_size; i++)
		json_object_array_add(list, methods_describe(table[i]));
	request_reply(request, list);
}

/* agent.NAME: find the agent, drop "agent" from params, dispatch. */
static void
methods_agent_call(struct request *request, const char *name,
    struct json_object *params)
{
	struct cr_agent		*agent;
	struct json_object	*result, *error, *which;

	if (params == NULL ||
	    !json_object_object_get_ex(params, "agent", &which)) {
		request_error(request, rpc_error_new(RPC_INVALID_PARAMS,
		    "missing parameter 'agent'",
		    json_object_new_string("agent")));
		return;
	}
	if ((agent = env_find_agent(which, &error)) == NULL) {
		request_error(request, error);
		return;
	}
	json_object_object_del(params, "agent");
	if (agent_dispatch(agent, name, params, &result, &error) != 0)
		request_error(request, error);
	else
		request_reply(request, result);
}

/*
 * Run a managing function or an agent.NAME call. A slave runs an entry's
 * slave handler; a master its master handler, or the slave handler for
 * itself (METHOD_MASTER_LOCAL), or else fans the call out and combines
 * the answers by the entry's rule.
 */
void
methods_dispatch(struct request *request, const char *name,
    struct json_object *params)
{
	const struct method	*method;
	struct json_object	*error;

	if (env->stopping) {
		request_error(request, rpc_error_new(RPC_SHUTTING_DOWN,
		    "the environment is shutting down", NULL));
		return;
	}
	if (hold_defer(request, name, params))
		return;
	if (strncmp(name, "agent.", 6) == 0 && name[6] != '\0') {
		if (master != NULL)
			master_route(request, name, params);
		else
			methods_agent_call(request, name + 6, params);
		return;
	}
	if ((method = methods_find(name)) == NULL) {
		request_error(request, rpc_error_newf(RPC_METHOD_NOT_FOUND,
		    json_object_new_string(rpc_quote(name)),
		    "unknown method '%s'", rpc_quote(name)));
		return;
	}
	if (rpc_params_check(params, method->params, &error) != 0 ||
	    (method->check != NULL && method->check(params, &error) != 0)) {
		request_error(request, error);
		return;
	}
	request->method = method;
	if (master == NULL && method->slave == NULL)
		request_error(request, rpc_error_newf(RPC_METHOD_NOT_FOUND,
		    json_object_new_string(name), "'%s' is served by a "
		    "master only", name));
	else if (master == NULL || (method->flags & METHOD_MASTER_LOCAL))
		method->slave(request, params);
	else if (method->flags & METHOD_SLAVE_ONLY)
		request_error(request, rpc_error_newf(RPC_METHOD_NOT_FOUND,
		    json_object_new_string(name), "'%s' is not served by a "
		    "master", name));
	else if (method->master != NULL)
		method->master(request, params);
	else
		master_combine(request, params);
}

/* The server's entry point: a request from a socket. */
void
methods_server_dispatch(struct server_request *server_request,
    const struct rpc_request *rpc, void *arg)
{
	log_debug("%s: %s", server_request_peer(server_request),
	    rpc_quote(rpc->method));
	env_touch();
	stats_request(rpc->method);
	methods_dispatch(request_from_server(server_request), rpc->method,
	    rpc->params);
}
