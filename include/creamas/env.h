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

#ifndef CREAMAS_ENV_H
#define CREAMAS_ENV_H

/*
 * The creamasd environment extension API: managing functions of one's
 * own, run in every slave with access to the slave's agents and combined
 * by the master, and hooks on the environment's life. A plugin exports
 * its extension with CR_PLUGIN_DEFINE() of <creamas/agent.h>. See
 * creamas_env(3).
 *
 * Ownership: a json_object handed to a function of this API "taken" is
 * the API's from then on; one "borrowed" stays the caller's and is valid
 * for the call only. Strings are borrowed unless said otherwise.
 */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "creamas/agent.h"

#define CR_EXTENSION_VERSION	1

/*
 * How a master puts its slaves' answers together, and creamasctl its
 * nodes' answers. An error from some slaves fails the call, naming them.
 */
#define CR_COMBINE_CUSTOM	0	/* the method's combine callback */
#define CR_COMBINE_CONCAT	1	/* arrays joined in slave order */
#define CR_COMBINE_NULL		2	/* null once every slave succeeded */
#define CR_COMBINE_SUM		3	/* numbers added */
#define CR_COMBINE_MIN		4	/* the least number */
#define CR_COMBINE_MAX		5	/* the greatest number */
#define CR_COMBINE_TOP		6	/* arrays of objects: the "n" best */
#define CR_COMBINE_FIRST	7	/* the first slave's answer */

/* The type a parameter must have. */
#define CR_PARAM_ANY		0
#define CR_PARAM_BOOLEAN	1
#define CR_PARAM_INTEGER	2
#define CR_PARAM_NUMBER		3
#define CR_PARAM_STRING		4
#define CR_PARAM_OBJECT		5
#define CR_PARAM_ARRAY		6

/* One parameter of a managing function; a list ends with name NULL. */
struct cr_param {
	const char	*name;
	int		 type;		/* CR_PARAM_* */
	int		 required;
};

/* A call of a managing function on this slave, until it is answered. */
struct cr_call;

/* A round whose agents wait for an extension's round_prepare. */
struct cr_round;

/* One slave's answer, handed to a combine callback (all borrowed). */
struct cr_answer {
	const char		*slave;		/* its manager's address */
	const struct json_object *result;	/* NULL for JSON null */
};

/*
 * A managing function. The handler runs in every slave (params
 * borrowed, already checked against the list) and answers exactly once
 * with cr_call_reply(), cr_call_reply_text() or cr_call_fail(), before
 * it returns or later.
 * The master combines the slaves' answers by the rule; with
 * CR_COMBINE_CUSTOM, combine makes *result (a new reference, or NULL for
 * JSON null) from the answers of the slaves that succeeded, in slave
 * order, and returns 0, or returns -1 with *result an error message
 * (a string, taken).
 */
struct cr_method {
	const char		*name;
	const struct cr_param	*params;
	void			(*handler)(struct cr_call *call,
				    const struct json_object *params);
	int			 combine;	/* CR_COMBINE_* */
	const char		*key;		/* CR_COMBINE_TOP: ranked by */
	int			(*combine_fn)(const struct json_object *params,
				    const struct cr_answer *answers,
				    size_t count, struct json_object **result);
};

/*
 * An extension: its name, managing functions and configuration keys
 * (NULL-terminated lists) and hooks, any of them NULL. Keys are given as
 * NAME.KEY=VALUE, with -o or in the configuration file, and by the
 * configure method; configure returns 0, or -1 with *cause a message
 * (malloc'd, the daemon frees it). Hooks run in every environment
 * process, master and slaves; rounds and agents happen in slaves.
 * status adds members to the status object (borrowed). ready returns 0
 * while the environment is not ready (is_ready answers false), else 1.
 * round_prepare runs as a round begins, before any agent acts; it
 * returns 1 to make the agents wait until it calls cr_round_ready(round)
 * (round_abandon runs instead if the round ends first), else 0.
 * round_acted runs once every agent has acted (calls may be out).
 * agent_spawning may refuse an agent of a type before it is made: it
 * returns NULL, or a JSON-RPC error object {code, message, data} (taken).
 * agent_removed also runs for an agent whose init failed. close runs
 * when the environment is freed, after the agents were removed.
 *
 * save and load (optional, added at the end in creamasd 0.2) keep the
 * extension's own state in every checkpoint of a slave or master (each
 * process its own): save writes it
 * with cr_checkpoint_write() and returns 0, or -1; on restore, after
 * every agent is back (and agent_spawned has run for each), load gets
 * those bytes (borrowed) and returns 0, or -1 with *cause a message
 * (malloc'd, the daemon frees it). A save hook that fails may say why
 * first with cr_checkpoint_fail().
 *
 * has_state and reset (optional, added at the end after save and load)
 * guard a restore: has_state returns NULL while the extension holds
 * nothing a restore would replace, else a few words naming what it
 * holds ("a grid"), and the restore is refused; reset forgets all the
 * extension holds, as in a fresh environment, when a restore fails
 * half way (after the agents it made were removed), so that another
 * restore may be tried.
 */
struct cr_extension {
	uint32_t		 size;		/* sizeof, as built */
	uint32_t		 version;	/* CR_EXTENSION_VERSION */
	const char		*name;
	const struct cr_method	*methods;
	const char *const	*keys;
	int			(*configure)(const char *key,
				    const char *value, char **cause);
	void			(*round_begin)(uint64_t round);
	void			(*round_end)(uint64_t round);
	void			(*agent_spawned)(struct cr_agent *agent);
	void			(*agent_removed)(struct cr_agent *agent);
	void			(*status)(struct json_object *status);
	int			(*ready)(void);
	int			(*round_prepare)(struct cr_round *round);
	void			(*round_acted)(uint64_t round);
	void			(*round_abandon)(struct cr_round *round);
	struct json_object	*(*agent_spawning)(const char *type);
	void			(*close)(void);
	int			(*save)(struct cr_checkpoint *checkpoint);
	int			(*load)(const void *data, size_t size,
				    char **cause);
	const char		*(*has_state)(void);
	void			(*reset)(void);
};

/* The first members of a struct cr_extension. */
#define CR_EXTENSION_HEADER						\
	.size = sizeof(struct cr_extension),				\
	.version = CR_EXTENSION_VERSION

/* Answer a call with a result (taken; NULL for JSON null). */
void		 cr_call_reply(struct cr_call *call,
		    struct json_object *result);
/*
 * Answer a call with a result given as JSON text (length bytes,
 * borrowed): a long answer written without json-c objects costs what a
 * built-in's does. Text that is not one JSON value fails the call.
 */
void		 cr_call_reply_text(struct cr_call *call, const char *text,
		    size_t length);
/* Answer a call with an error whose message is formatted. */
void		 cr_call_fail(struct cr_call *call, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Say why the running save hook fails (before it returns -1). */
void		 cr_checkpoint_fail(struct cr_checkpoint *checkpoint,
		    const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* An extension's round_prepare is done: the agents may act. */
void		 cr_round_ready(struct cr_round *round);

/* The number of agents of this environment, the manager not counted. */
size_t		 cr_env_agent_count(void);
/* Agent i, 0 <= i < cr_env_agent_count(), in agent order (borrowed). */
struct cr_agent	*cr_env_agent(size_t i);
/* The number of the round running, or of the last one. */
uint64_t	 cr_env_round(void);
/*
 * Call method on the agent at address as the environment's manager
 * (params taken, may be NULL); reply runs once with a NULL agent, after
 * this returns. Returns 0, or -1 if the address is not one.
 */
int		 cr_env_call(const char *address, const char *method,
		    struct json_object *params, cr_reply_fn reply, void *arg);
/*
 * Call method of an agent of this environment now (params borrowed, may
 * be NULL): CR_OK with *result the answer, or CR_ERROR with *result the
 * JSON-RPC error object; *result is yours either way (may be NULL).
 */
int		 cr_env_call_agent(struct cr_agent *agent, const char *method,
		    const struct json_object *params,
		    struct json_object **result);

#endif
