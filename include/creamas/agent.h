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
 * The creamasd agent API: everything a plugin sees. An agent type is a
 * table of callbacks; a plugin is a shared object exporting a
 * NULL-terminated array of types with CR_PLUGIN_EXPORT(). See
 * creamas_agent(3).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CR_AGENT_API_VERSION	1
#define CR_ADDRESS_MAX		300

/* What init, act and call return. */
#define CR_OK		 0	/* done; *result (may be NULL) is taken */
#define CR_ERROR	-1	/* failed; *result may hold a message */
#define CR_NO_METHOD	-2	/* call: the type has no such method */
#define CR_BAD_PARAMS	-3	/* init or call: wrong params; *result may say */

struct cr_agent;

/* An agent type: its name, the size of its zeroed state, its callbacks. */
struct cr_agent_type {
	const char	*name;
	size_t		 state_size;
	int		(*init)(struct cr_agent *, const struct json_object *);
	int		(*act)(struct cr_agent *, const struct json_object *,
			    struct json_object **);
	int		(*call)(struct cr_agent *, const char *,
			    const struct json_object *, struct json_object **);
	void		(*close)(struct cr_agent *, const char *);
};

/* Called exactly once with the reply or the error of cr_agent_call(). */
typedef void	(*cr_reply_fn)(struct cr_agent *, const struct json_object *,
		    const struct json_object *, void *);

void		*cr_agent_state(struct cr_agent *);
long		 cr_agent_id(const struct cr_agent *);
const char	*cr_agent_type_name(const struct cr_agent *);
int		 cr_agent_address(const struct cr_agent *, char *, size_t);
const char	*cr_agent_env_address(const struct cr_agent *);
uint64_t	 cr_agent_round(const struct cr_agent *);
double		 cr_agent_time(const struct cr_agent *);
struct json_object *cr_agent_connections(const struct cr_agent *);
int		 cr_agent_add_connection(struct cr_agent *, const char *,
		    struct json_object *);
int		 cr_agent_remove_connection(struct cr_agent *, const char *);
int		 cr_agent_call(struct cr_agent *, const char *, const char *,
		    struct json_object *, cr_reply_fn, void *);
void		 cr_agent_publish(struct cr_agent *, struct json_object *);
void		 cr_agent_log(struct cr_agent *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 cr_agent_fail(struct cr_agent *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Grid agents: the sides of a cell, in Creamas' order. */
#define CR_GRID_NORTH		0	/* y - 1 */
#define CR_GRID_EAST		1	/* x + 1 */
#define CR_GRID_SOUTH		2	/* y + 1 */
#define CR_GRID_WEST		3	/* x - 1 */
#define CR_GRID_DIRECTIONS	4

int		 cr_grid_xy(const struct cr_agent *, int64_t *, int64_t *);
int		 cr_grid_neighbor(const struct cr_agent *, int, char *, size_t);
int		 cr_grid_publish(struct cr_agent *, double);
int		 cr_grid_neighbor_values(const struct cr_agent *,
		    double [CR_GRID_DIRECTIONS]);

/* What a plugin exports; CR_PLUGIN_EXPORT(&type_a, &type_b) defines it. */
extern const int			 cr_plugin_api_version;
extern const struct cr_agent_type	*const cr_plugin_types[];

#define CR_PLUGIN_EXPORT(...)						\
	const int cr_plugin_api_version = CR_AGENT_API_VERSION;		\
	const struct cr_agent_type *const cr_plugin_types[] =		\
	    { __VA_ARGS__, NULL }

#endif
