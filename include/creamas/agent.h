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

#ifndef CREAMAS_AGENT_H
#define CREAMAS_AGENT_H

/*
 * The creamasd agent API: what an agent type sees. An agent type is a
 * table of callbacks; a plugin is a shared object exporting one struct
 * cr_plugin (CR_PLUGIN_EXPORT() or CR_PLUGIN_DEFINE()) that lists its
 * agent types and its environment extension (<creamas/env.h>). See
 * creamas_agent(3) and creamas_env(3).
 *
 * Ownership: a json_object handed to this API "taken" is the API's from
 * then on; one "borrowed" stays the caller's and is valid during the
 * call only. The daemon owns every struct cr_agent; a plugin never frees
 * one. Strings are borrowed unless said otherwise.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * The plugin ABI. 1 was creamasd 0.1's (cr_plugin_api_version and
 * cr_plugin_types); 2 is one struct cr_plugin carrying the size of each
 * table it points to, so that a later creamasd can add members.
 */
#define CR_PLUGIN_ABI_VERSION	2
#define CR_ADDRESS_MAX		300

/* What init, act and call return. */
#define CR_OK		 0	/* done; *result (may be NULL) is taken */
#define CR_ERROR	-1	/* failed; *result may hold a message */
#define CR_NO_METHOD	-2	/* call: the type has no such method */
#define CR_BAD_PARAMS	-3	/* init or call: wrong params; *result may say */

struct cr_agent;
struct cr_checkpoint;
struct cr_extension;

/*
 * An agent type: its name, the size of its zeroed state, its callbacks.
 * params and args are borrowed; *result is taken by the daemon.
 *
 * save and load (optional, added in creamasd 0.2 at the end, so a
 * plugin built before them loads as ever) are for a state that is not
 * plain bytes: a checkpoint saves the state_size bytes as they are
 * unless the type has save, which writes what it needs with
 * cr_checkpoint_write() and returns CR_OK or CR_ERROR. On restore, load
 * gets those bytes back (borrowed) in an agent of zeroed state whose
 * init never ran, and returns CR_OK or CR_ERROR.
 */
struct cr_agent_type {
	const char	*name;
	size_t		 state_size;
	int		(*init)(struct cr_agent *agent,
			    const struct json_object *params);
	int		(*act)(struct cr_agent *agent,
			    const struct json_object *args,
			    struct json_object **result);
	int		(*call)(struct cr_agent *agent, const char *method,
			    const struct json_object *params,
			    struct json_object **result);
	void		(*close)(struct cr_agent *agent, const char *folder);
	int		(*save)(struct cr_agent *agent,
			    struct cr_checkpoint *checkpoint);
	int		(*load)(struct cr_agent *agent, const void *data,
			    size_t size);
};

/*
 * Called exactly once with the result or the error (both borrowed, one
 * of them NULL) of cr_agent_call() or cr_env_call(), after that call has
 * returned; agent is the caller (NULL for the environment).
 */
typedef void	(*cr_reply_fn)(struct cr_agent *agent,
		    const struct json_object *result,
		    const struct json_object *error, void *arg);

/* The agent's zeroed state of state_size bytes (the daemon's). */
void		*cr_agent_state(struct cr_agent *agent);
/* The agent's number, N in tcp://HOST:PORT/N. */
long		 cr_agent_id(const struct cr_agent *agent);
/* The name of the agent's type (the type's). */
const char	*cr_agent_type_name(const struct cr_agent *agent);
/* Write the agent's address into buffer, as snprintf() does. */
int		 cr_agent_address(const struct cr_agent *agent, char *buffer,
		    size_t size);
/* The address of the agent's environment manager (the daemon's). */
const char	*cr_agent_env_address(const struct cr_agent *agent);
/* The number of the round running, or of the last one. */
uint64_t	 cr_agent_round(const struct cr_agent *agent);
/* The environment's time. */
double		 cr_agent_time(const struct cr_agent *agent);
/* The agent's connections, address -> data (borrowed), or NULL. */
struct json_object *cr_agent_connections(const struct cr_agent *agent);
/* Connect to address (data taken); 1 added, 0 already there, -1 bad. */
int		 cr_agent_add_connection(struct cr_agent *agent,
		    const char *address, struct json_object *data);
/* Disconnect from address; 1 removed, 0 absent. */
int		 cr_agent_remove_connection(struct cr_agent *agent,
		    const char *address);
/*
 * Call method on the agent at address (params taken, may be NULL);
 * reply runs once, later. Returns 0, or -1 if the address is not one.
 */
int		 cr_agent_call(struct cr_agent *agent, const char *address,
		    const char *method, struct json_object *params,
		    cr_reply_fn reply, void *arg);
/* Publish an artifact (taken) with its creator, time and round. */
void		 cr_agent_publish(struct cr_agent *agent,
		    struct json_object *artifact);
/* Add a line to the agent's log, written out when the agent closes. */
void		 cr_agent_log(struct cr_agent *agent, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Add size bytes of data (borrowed) to what a save callback saves. */
void		 cr_checkpoint_write(struct cr_checkpoint *checkpoint,
		    const void *data, size_t size);
/* Say why the running init, act or call fails. */
void		 cr_agent_fail(struct cr_agent *agent, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * What a plugin exports, as the symbol cr_plugin: its agent types (a
 * NULL-terminated array, or NULL) and its extension (or NULL), with the
 * ABI version and the sizes it was built with.
 */
struct cr_plugin {
	uint32_t			 size;
	uint32_t			 version;
	uint32_t			 type_size;
	const struct cr_agent_type *const *types;
	const struct cr_extension	*extension;
};

extern const struct cr_plugin	 cr_plugin;

/* Export the agent types of an array and an extension (either NULL). */
#define CR_PLUGIN_DEFINE(type_array, extension_table)			\
	const struct cr_plugin cr_plugin = {				\
		sizeof(struct cr_plugin), CR_PLUGIN_ABI_VERSION,	\
		sizeof(struct cr_agent_type), (type_array),		\
		(extension_table)					\
	}

/* Export agent types: CR_PLUGIN_EXPORT(&type_a, &type_b). */
#define CR_PLUGIN_EXPORT(...)						\
	static const struct cr_agent_type *const cr_plugin_types_[] =	\
	    { __VA_ARGS__, NULL };					\
	CR_PLUGIN_DEFINE(cr_plugin_types_, NULL)

#endif
