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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * checkpoint and restore of an environment (a slave, or a lone daemon):
 * every agent (its type, its state as bytes or as its type's save
 * writes it, its connections with their data), the artifacts, the round
 * counter, the time, the process's random state and the state every
 * extension saves, in one file, CHECKPOINT_FILE, of the folder given.
 * A restore reads and checks all of the file before it changes
 * anything, and only into an environment that has no agents yet.
 */

#define CHECKPOINT_FILE		"environment.ckpt"
#define CHECKPOINT_CONNECTIONS	0x1	/* the agent has connections */

/* The agent types of a checkpoint, in the order agents refer to them. */
struct checkpoint_types {
	const struct cr_agent_type	**types;
	size_t				  count;
};

/* A checkpoint asked for during a round, taken when the round ends. */
static struct request		*checkpoint_pending;
static struct json_object	*checkpoint_pending_params;

/* Return the index of a type in the list, adding it if new. */
static uint32_t
checkpoint_type_index(struct checkpoint_types *types,
    const struct cr_agent_type *type)
{
	size_t	 i;

	for (i = 0; i < types->count; i++) {
		if (types->types[i] == type)
			return ((uint32_t)i);
	}
	types->types = xreallocarray(types->types, types->count + 1,
	    sizeof *types->types);
	types->types[types->count] = type;
	return ((uint32_t)types->count++);
}

/* Save one agent's state: its bytes, or what its type's save writes. */
static int
checkpoint_save_state(struct savefile *file, struct cr_agent *agent,
    char **cause)
{
	struct cr_checkpoint	 checkpoint = { file, NULL };
	size_t			 at;
	uint64_t		 length;
	char			*address, *failure;

	if (agent->type->save == NULL) {
		savefile_put(file, agent->state, agent->type->state_size);
		return (0);
	}
	at = file->length;
	savefile_u64(file, 0);
	free(agent_take_failure());
	if (agent->type->save(agent, &checkpoint) != CR_OK) {
		address = agent_address(agent);
		if ((failure = agent_take_failure()) == NULL)
			failure = checkpoint.failure;
		else
			free(checkpoint.failure);
		xasprintf(cause, "agent %s (%s) failed to save its state%s%s",
		    address, agent->type->name, failure != NULL ? ": " : "",
		    failure != NULL ? failure : "");
		free(failure);
		free(address);
		return (-1);
	}
	free(checkpoint.failure);
	length = file->length - at - sizeof length;
	memcpy(file->data + at, &length, sizeof length);
	return (0);
}

/* Save the agents: the types they are of, then each agent. */
static int
checkpoint_save_agents(struct savefile *file, char **cause)
{
	struct checkpoint_types	 types = { NULL, 0 };
	const struct cr_agent_type *last = NULL;
	struct cr_agent		*agent;
	size_t			 i;
	uint32_t		 index = 0, flags;

	for (i = 1; i < env->nagents; i++) {
		if (env->agents[i]->type != last) {
			last = env->agents[i]->type;
			checkpoint_type_index(&types, last);
		}
	}
	savefile_u32(file, (uint32_t)types.count);
	for (i = 0; i < types.count; i++) {
		savefile_string(file, types.types[i]->name);
		savefile_u64(file, types.types[i]->state_size);
		savefile_u32(file, types.types[i]->save != NULL);
	}
	savefile_u64(file, env->nagents - 1);
	last = NULL;
	for (i = 1; i < env->nagents; i++) {
		agent = env->agents[i];
		if (agent->type != last) {
			last = agent->type;
			index = checkpoint_type_index(&types, last);
		}
		flags = agent->extra != NULL &&
		    agent->extra->connections != NULL &&
		    json_object_object_length(agent->extra->connections) > 0 ?
		    CHECKPOINT_CONNECTIONS : 0;
		savefile_u32(file, index);
		savefile_u32(file, flags);
		if (checkpoint_save_state(file, agent, cause) != 0) {
			free(types.types);
			return (-1);
		}
		if (flags & CHECKPOINT_CONNECTIONS)
			savefile_json(file, agent->extra->connections);
	}
	free(types.types);
	return (0);
}

/*
 * Write the environment's checkpoint into folder, *bytes long; 0, or -1
 * with *cause.
 */
int
checkpoint_write(const char *folder, uint64_t *bytes, char **cause)
{
	struct savefile	 file;

	savefile_init(&file, SAVEFILE_SLAVE);
	savefile_string(&file, env->prefix);
	savefile_u64(&file, env->round_number);
	savefile_u64(&file, env->rounds);
	savefile_double(&file, env->time);
	savefile_u32(&file, env->random_state);
	savefile_json(&file, env->artifacts);
	if (checkpoint_save_agents(&file, cause) != 0)
		goto fail;
	if (extension_save(&file, cause) != 0)
		goto fail;
	*bytes = file.length;
	return (savefile_write(&file, folder, CHECKPOINT_FILE, cause));

fail:
	savefile_free(&file);
	return (-1);
}

/* Check a type table entry against the type of that name here. */
static const struct cr_agent_type *
checkpoint_load_type(struct savefile_reader *reader, char **cause)
{
	const struct cr_agent_type	*type;
	char				*name;
	uint64_t			 size;
	uint32_t			 saved;

	name = savefile_get_string(reader);
	size = savefile_get_u64(reader);
	saved = savefile_get_u32(reader);
	if (name == NULL)
		return (NULL);
	if ((type = types_find(name)) == NULL)
		xasprintf(cause, "the checkpoint holds agents of type %s, "
		    "unknown here (load its plugin)", name);
	else if (saved != (type->save != NULL) ||
	    (saved && type->load == NULL))
		xasprintf(cause, "type %s %s its state with save here, not "
		    "in the checkpoint", name, saved ? "does not keep" :
		    "keeps");
	else if (!saved && size != type->state_size)
		xasprintf(cause, "type %s has %zu bytes of state here, %llu "
		    "in the checkpoint", name, type->state_size,
		    (unsigned long long)size);
	else {
		free(name);
		return (type);
	}
	free(name);
	return (NULL);
}

/*
 * Undo a restore that failed half way: close and forget the agents from
 * first on, and what the extensions loaded.
 */
static void
checkpoint_undo(size_t first)
{
	size_t	 i;

	for (i = env->nagents; i > first; i--)
		env_undo_agent(env->agents[i - 1]);
	env->nagents = first;
	extension_reset();
}

/* Read one agent; with apply, make it as agent number id. */
static int
checkpoint_load_agent(struct savefile_reader *reader,
    const struct checkpoint_types *types, uint32_t id, int apply,
    char **cause)
{
	const struct cr_agent_type	*type;
	struct cr_agent			*agent;
	struct json_object		*connections = NULL;
	const void			*state;
	uint64_t			 size;
	uint32_t			 index, flags;
	char				*failure;

	index = savefile_get_u32(reader);
	flags = savefile_get_u32(reader);
	if (reader->short_read || index >= types->count) {
		xasprintf(cause, "agent %u: malformed", id);
		return (-1);
	}
	type = types->types[index];
	size = type->save != NULL ? savefile_get_u64(reader) :
	    type->state_size;
	state = savefile_get(reader, size);
	if (flags & CHECKPOINT_CONNECTIONS) {
		connections = savefile_get_json(reader);
		if (!json_object_is_type(connections, json_type_object)) {
			json_object_put(connections);
			xasprintf(cause, "agent %u: its connections are "
			    "malformed", id);
			return (-1);
		}
	}
	if (reader->short_read || !apply) {
		json_object_put(connections);
		if (reader->short_read)
			xasprintf(cause, "agent %u: malformed", id);
		return (reader->short_read ? -1 : 0);
	}
	if ((agent = agent_new(type, id)) == NULL) {
		json_object_put(connections);
		*cause = xmalloc_shortage("agents", agent_slab_bytes(type));
		return (-1);
	}
	env->agents[env->nagents++] = agent;
	if (connections != NULL)
		agent_extra(agent)->connections = connections;
	if (type->save == NULL)
		memcpy(agent->state, state, type->state_size);
	else {
		free(agent_take_failure());
		if (type->load(agent, state, size) != CR_OK) {
			failure = agent_take_failure();
			xasprintf(cause, "agent %u (%s) failed to load its "
			    "state%s%s", id, type->name, failure != NULL ?
			    ": " : "", failure != NULL ? failure : "");
			free(failure);
			/* Not closed: only an agent that loaded is. */
			env->agents[--env->nagents] = NULL;
			extension_agent_removed(agent);
			agent_free(agent);
			return (-1);
		}
	}
	return (0);
}

/* Read the agents; with apply, make them. 0, or -1 with *cause. */
static int
checkpoint_load_agents(struct savefile_reader *reader, int apply,
    char **cause)
{
	struct checkpoint_types	 types = { NULL, 0 };
	struct json_object	*error;
	uint64_t		 count, i;
	uint32_t		 ntypes;
	int			 rc = -1;

	ntypes = savefile_get_u32(reader);
	if (ntypes > reader->left) {
		xasprintf(cause, "the agent types are malformed");
		return (-1);
	}
	types.types = xcalloc(ntypes + 1, sizeof *types.types);
	for (types.count = 0; types.count < ntypes; types.count++) {
		if ((types.types[types.count] = checkpoint_load_type(reader,
		    cause)) == NULL) {
			if (*cause == NULL)
				xasprintf(cause, "the agent types are "
				    "malformed");
			goto fail;
		}
	}
	count = savefile_get_u64(reader);
	if (count >= UINT32_MAX || count > reader->left / 8) {
		xasprintf(cause, "the number of agents is malformed");
		goto fail;
	}
	if (apply && env_reserve(count, &error) != 0) {
		*cause = xstrdup(rpc_error_message(error));
		json_object_put(error);
		goto fail;
	}
	for (i = 0; i < count; i++) {
		if (checkpoint_load_agent(reader, &types, (uint32_t)(i + 1),
		    apply, cause) != 0)
			goto fail;
	}
	if (apply) {
		for (i = 1; i < env->nagents; i++)
			extension_agent_spawned(env->agents[i]);
	}
	rc = 0;

fail:
	free(types.types);
	return (rc);
}

/*
 * Read a checkpoint's payload; with apply, make it this environment.
 * 0, or -1 with *cause.
 */
static int
checkpoint_load(struct savefile_reader *reader, int apply, char **cause)
{
	struct json_object	*artifacts;
	char			*prefix;
	uint64_t		 round_number, rounds;
	uint32_t		 random_state;
	double			 time;
	int			 same;

	*cause = NULL;
	prefix = savefile_get_string(reader);
	same = prefix != NULL && strcmp(prefix, env->prefix) == 0;
	if (!same) {
		xasprintf(cause, "it was made by the environment at %s0, not "
		    "this one (%s0): restore needs the same node and slave "
		    "layout (hosts, ports, slaves per node)",
		    prefix != NULL ? prefix : "?", env->prefix);
		free(prefix);
		return (-1);
	}
	free(prefix);
	round_number = savefile_get_u64(reader);
	rounds = savefile_get_u64(reader);
	time = savefile_get_double(reader);
	random_state = savefile_get_u32(reader);
	artifacts = savefile_get_json(reader);
	if (!json_object_is_type(artifacts, json_type_array)) {
		json_object_put(artifacts);
		xasprintf(cause, "the artifacts are malformed");
		return (-1);
	}
	if (checkpoint_load_agents(reader, apply, cause) != 0)
		goto fail;
	if (extension_load(reader, apply, cause) != 0)
		goto fail;
	if (!savefile_get_done(reader)) {
		xasprintf(cause, "%zu bytes are left over", reader->left);
		goto fail;
	}
	if (apply) {
		env->round_number = round_number;
		env->rounds = rounds;
		env->time = time;
		env->random_state = random_state;
		json_object_put(env->artifacts);
		env->artifacts = artifacts;
	} else
		json_object_put(artifacts);
	return (0);

fail:
	json_object_put(artifacts);
	return (-1);
}

/*
 * Restore the environment from the checkpoint in folder, or with
 * check_only only read and check it. The environment must have no agents
 * and its extensions no state yet; nothing changes unless all of the
 * file is right.
 * 0, or -1 with *cause.
 */
int
checkpoint_restore(const char *folder, int check_only, char **cause)
{
	struct savefile_reader	 reader;
	const char		*start, *held;
	size_t			 left;
	char			*why;

	if (env->round != NULL) {
		xasprintf(cause, "a round is running");
		return (-1);
	}
	held = extension_has_state();
	if (env->nagents > 1 || held != NULL) {
		xasprintf(cause, "this environment already has %zu agents%s%s: "
		    "restore into a freshly spawned one", env->nagents - 1,
		    held != NULL ? " and " : "", held != NULL ? held : "");
		return (-1);
	}
	if (savefile_read(folder, CHECKPOINT_FILE, SAVEFILE_SLAVE, &reader,
	    cause) != 0)
		return (-1);
	start = reader.at;
	left = reader.left;
	if (checkpoint_load(&reader, 0, &why) != 0)
		goto fail;
	if (!check_only) {
		reader.at = start;
		reader.left = left;
		if (checkpoint_load(&reader, 1, &why) != 0) {
			checkpoint_undo(1);
			goto fail;
		}
		env_log("restored %zu agents from %s, round %llu",
		    env->nagents - 1, reader.path,
		    (unsigned long long)env->round_number);
	}
	savefile_reader_free(&reader);
	return (0);

fail:
	xasprintf(cause, "%s: %s", reader.path, why);
	free(why);
	savefile_reader_free(&reader);
	return (-1);
}

/* Take a checkpoint now and answer the request with what it wrote. */
static void
checkpoint_answer(struct request *request, struct json_object *params)
{
	struct json_object	*reply;
	const char		*folder;
	uint64_t		 start = env_now_us(), bytes;
	char			*cause;

	folder = json_object_get_string(rpc_param(params, "folder"));
	if (checkpoint_write(folder, &bytes, &cause) != 0) {
		request_error(request, rpc_error_new(RPC_FAILED, cause,
		    json_object_new_string("folder")));
		free(cause);
		return;
	}
	env_log("checkpoint of %zu agents in %s, round %llu", env->nagents - 1,
	    folder, (unsigned long long)env->round_number);
	reply = json_object_new_object();
	json_object_object_add(reply, "agents",
	    json_object_new_int64((int64_t)env->nagents - 1));
	json_object_object_add(reply, "round",
	    json_object_new_int64((int64_t)env->round_number));
	json_object_object_add(reply, "bytes",
	    json_object_new_int64((int64_t)bytes));
	json_object_object_add(reply, "elapsed_us",
	    json_object_new_int64((int64_t)(env_now_us() - start)));
	request_reply(request, reply);
}

/*
 * checkpoint {"folder"}: save the environment into folder (made if
 * missing) now, or at the end of the round running.
 */
void
checkpoint_method(struct request *request, struct json_object *params)
{
	if (env->round == NULL) {
		checkpoint_answer(request, params);
		return;
	}
	if (checkpoint_pending != NULL) {
		request_error(request, rpc_error_new(RPC_BUSY, "a checkpoint "
		    "already waits for the round to end", NULL));
		return;
	}
	checkpoint_pending = request;
	checkpoint_pending_params = json_object_get(params);
}

/* A round has ended: take the checkpoint that waited for it. */
void
checkpoint_round_ended(void)
{
	struct request		*request = checkpoint_pending;
	struct json_object	*params = checkpoint_pending_params;

	if (request == NULL)
		return;
	checkpoint_pending = NULL;
	checkpoint_pending_params = NULL;
	checkpoint_answer(request, params);
	json_object_put(params);
}

/* restore {"folder", "check"}: see checkpoint_restore. */
void
checkpoint_restore_method(struct request *request, struct json_object *params)
{
	struct json_object	*reply;
	const char		*folder;
	char			*cause;
	int			 check;

	folder = json_object_get_string(rpc_param(params, "folder"));
	check = json_object_get_boolean(rpc_param(params, "check"));
	if (checkpoint_restore(folder, check, &cause) != 0) {
		request_error(request, rpc_error_new(RPC_FAILED, cause,
		    json_object_new_string("folder")));
		free(cause);
		return;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "agents",
	    json_object_new_int64((int64_t)env->nagents - 1));
	json_object_object_add(reply, "round",
	    json_object_new_int64((int64_t)env->round_number));
	request_reply(request, reply);
}

/* Add bytes to what a save callback saves; see creamas_agent(3). */
void
cr_checkpoint_write(struct cr_checkpoint *checkpoint, const void *data,
    size_t size)
{
	savefile_put(checkpoint->file, data, size);
}

/* Say why a save hook fails; see creamas_env(3). */
void
cr_checkpoint_fail(struct cr_checkpoint *checkpoint, const char *fmt, ...)
{
	va_list	 ap;

	free(checkpoint->failure);
	va_start(ap, fmt);
	if (vasprintf(&checkpoint->failure, fmt, ap) == -1)
		checkpoint->failure = NULL;
	va_end(ap);
}

/* Forget a checkpoint still waiting (at exit). */
void
checkpoint_free(void)
{
	json_object_put(checkpoint_pending_params);
	checkpoint_pending_params = NULL;
	checkpoint_pending = NULL;
}
