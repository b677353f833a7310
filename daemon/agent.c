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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "addr.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/* Why the agent being spawned failed its init, if it said. */
static char	*agent_failure;

/*
 * The environment's prefix as JSON text, its closing quote left off,
 * after a comma, with room for a number and the quote: an address in a
 * list is written there and goes out in one write.
 */
static char	*agent_prefix_json;
static size_t	 agent_prefix_length;	/* without the comma */

#define AGENT_NUMBER_MAX	(sizeof "4294967295\"" - 1)

/*
 * Agents and the part of the public agent API that concerns one agent.
 * An agent is small: its type, a pointer to extras that most agents never
 * need, its number and its state, so a million noop agents stay cheap.
 */

/*
 * Agents live in large zeroed slabs, in creation order, so a round walks
 * memory forwards and a noop agent costs no allocator header. They are
 * freed all at once, at exit.
 */
#define AGENT_SLAB_SIZE	(1024 * 1024)

struct agent_slab {
	struct agent_slab	*next;
	size_t			 used;
	size_t			 ready;		/* bytes prefaulted */
	size_t			 size;
	max_align_t		 data[];
};

static struct agent_slab	*agent_slabs;	/* the newest first */

/* Return the bytes an agent of a type takes, aligned for its state. */
static size_t
agent_size(const struct cr_agent_type *type)
{
	size_t	 size = sizeof(struct cr_agent) + type->state_size;
	size_t	 align = _Alignof(max_align_t);

	return ((size + align - 1) / align * align);
}

/* Return the bytes of a new slab for an agent of a type. */
size_t
agent_slab_bytes(const struct cr_agent_type *type)
{
	size_t	 size = agent_size(type);

	return (sizeof(struct agent_slab) +
	    (size > AGENT_SLAB_SIZE / 4 ? size : AGENT_SLAB_SIZE));
}

/* Make an agent of a type with zeroed state; NULL if memory ran out. */
struct cr_agent *
agent_new(const struct cr_agent_type *type, uint32_t id)
{
	struct agent_slab	*slab = agent_slabs;
	struct cr_agent		*agent;
	size_t			 size = agent_size(type);

	if (slab == NULL || slab->size - slab->used < size) {
		if ((slab = xtrycalloc(1, agent_slab_bytes(type))) == NULL)
			return (NULL);
		slab->size = agent_slab_bytes(type) - sizeof *slab;
		slab->next = agent_slabs;
		agent_slabs = slab;
	}
	/* Bring the slab in a stretch at a time, not a fault a page. */
	xmalloc_prefault_ahead(slab->data, slab->used + size, &slab->ready,
	    slab->size);
	agent = (struct cr_agent *)((char *)slab->data + slab->used);
	slab->used += size;
	agent->type = type;
	agent->id = id;
	return (agent);
}

/*
 * Free an agent's extras; the newest agent also gives its space back,
 * and the newest slab once it is empty.
 */
void
agent_free(struct cr_agent *agent)
{
	struct agent_slab	*slab = agent_slabs;
	size_t			 size;

	if (agent == NULL)
		return;
	if (agent->extra != NULL) {
		json_object_put(agent->extra->connections);
		if (agent->extra->log != NULL)
			evbuffer_free(agent->extra->log);
		free(agent->extra);
		agent->extra = NULL;
	}
	size = agent_size(agent->type);
	if (slab != NULL && slab->used >= size &&
	    (char *)agent == (char *)slab->data + slab->used - size) {
		memset(agent, 0, size);
		slab->used -= size;
		if (slab->used == 0) {
			agent_slabs = slab->next;
			free(slab);
		}
	}
}

/* Free every agent's memory (after agent_free() of each, at exit). */
void
agent_free_slabs(void)
{
	struct agent_slab	*slab;

	while ((slab = agent_slabs) != NULL) {
		agent_slabs = slab->next;
		free(slab);
	}
	free(agent_take_failure());
	free(agent_prefix_json);
	agent_prefix_json = NULL;
}

/* Make the prefix's JSON text once: ,"tcp://HOST:PORT/ and no quote. */
static void
agent_prefix_make(void)
{
	struct json_object	*prefix;
	const char		*text;
	size_t			 length;

	if (agent_prefix_json != NULL)
		return;
	prefix = json_object_new_string(env->prefix);
	text = rpc_serialize(prefix, &length);
	agent_prefix_length = length - 1;
	agent_prefix_json = xmalloc(1 + agent_prefix_length +
	    AGENT_NUMBER_MAX);
	agent_prefix_json[0] = ',';
	memcpy(agent_prefix_json + 1, text, agent_prefix_length);
	json_object_put(prefix);
}

/* Return the most bytes agent_address_append() adds. */
size_t
agent_address_bytes(void)
{
	agent_prefix_make();
	return (1 + agent_prefix_length + AGENT_NUMBER_MAX);
}

/*
 * Append agent N's address to a buffer as a JSON string, after a comma
 * unless it is the first of a list; -1 if memory ran out. A long list of
 * addresses is written so, never as objects.
 */
int
agent_address_append(struct evbuffer *out, uint32_t id, int first)
{
	char	 digits[AGENT_NUMBER_MAX], *end;
	size_t	 n = 0;

	agent_prefix_make();
	do {
		digits[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id > 0);
	end = agent_prefix_json + 1 + agent_prefix_length;
	while (n > 0)
		*end++ = digits[--n];
	*end++ = '"';
	return (evbuffer_add(out, agent_prefix_json + (first ? 1 : 0),
	    (size_t)(end - agent_prefix_json) - (first ? 1 : 0)));
}

/* Append the agents' address prefix to a buffer as a JSON string. */
int
agent_prefix_append(struct evbuffer *out)
{
	agent_prefix_make();
	if (evbuffer_add(out, agent_prefix_json + 1, agent_prefix_length) != 0)
		return (-1);
	return (evbuffer_add(out, "\"", 1));
}

/* Whether an agent is of a type (NULL: any). */
int
agent_of_type(const struct cr_agent *agent, const char *type)
{
	return (type == NULL || strcmp(agent->type->name, type) == 0);
}

/* Add a run of ids to a list of runs: its first and its last. */
static int
agent_runs_add(struct evbuffer *list, uint32_t first, uint32_t last)
{
	return (evbuffer_add_printf(list, ",%u,%u", first, last) < 0 ?
	    -1 : 0);
}

/*
 * Return the runs of agents from to to - 1 of the table, those of a type
 * (NULL: any), as a list's elements (idruns.h): the prefix, then the
 * first and the last id of every run of those agents whose ids follow
 * one another (agents of other types may come between). A run is a few
 * bytes, and the agents are gone over in one pass (a million take a few
 * ms). NULL if memory ran out.
 */
struct evbuffer *
agent_runs(size_t from, size_t to, const char *type)
{
	struct evbuffer	*list = evbuffer_new();
	uint32_t	 first = 0, last = 0, id;
	size_t		 i;
	int		 rc = list == NULL;

	for (i = from; i < to && rc == 0; i++) {
		if (!agent_of_type(env->agents[i], type))
			continue;
		id = env->agents[i]->id;
		if (first != 0 && id == last + 1) {
			last = id;
			continue;
		}
		if (first != 0)
			rc |= agent_runs_add(list, first, last);
		else
			rc |= agent_prefix_append(list);
		first = last = id;
	}
	if (first != 0 && rc == 0)
		rc |= agent_runs_add(list, first, last);
	if (rc != 0 && list != NULL) {
		evbuffer_free(list);
		list = NULL;
	}
	return (list);
}

/* Return the extras of an agent, making them on first use. */
struct agent_extra *
agent_extra(struct cr_agent *agent)
{
	if (agent->extra == NULL)
		agent->extra = xcalloc(1, sizeof *agent->extra);
	return (agent->extra);
}

/* Return a new string with the agent's address. */
char *
agent_address(const struct cr_agent *agent)
{
	char	*address;

	xasprintf(&address, "%s%u", env->prefix, agent->id);
	return (address);
}

/* Run the type's close, whose last lines go to the log, and close it. */
void
agent_close(struct cr_agent *agent, const char *log_folder)
{
	if (agent->type->close != NULL)
		agent->type->close(agent, log_folder);
	agent_log_close(agent);
}

/* Return the agent's state. */
void *
cr_agent_state(struct cr_agent *agent)
{
	return (agent->type->state_size > 0 ? agent->state : NULL);
}

/* Return the agent's number, N in tcp://HOST:PORT/N. */
long
cr_agent_id(const struct cr_agent *agent)
{
	return ((long)agent->id);
}

/* Return the name of the agent's type. */
const char *
cr_agent_type_name(const struct cr_agent *agent)
{
	return (agent->type->name);
}

/* Write the agent's address into a buffer, as snprintf does. */
int
cr_agent_address(const struct cr_agent *agent, char *buffer, size_t size)
{
	return (snprintf(buffer, size, "%s%u", env->prefix, agent->id));
}

/* Return the address of the agent's environment manager. */
const char *
cr_agent_env_address(const struct cr_agent *agent)
{
	static char	*manager;

	if (manager == NULL)
		xasprintf(&manager, "%s0", env->prefix);
	return (manager);
}

/* Return the number of the round running, or of the last one. */
uint64_t
cr_agent_round(const struct cr_agent *agent)
{
	return (env->round_number);
}

/* Return the environment's time. */
double
cr_agent_time(const struct cr_agent *agent)
{
	return (env->time);
}

/* Return the agent's connections (address -> data), or NULL if none. */
struct json_object *
cr_agent_connections(const struct cr_agent *agent)
{
	if (agent->extra == NULL)
		return (NULL);
	return (agent->extra->connections);
}

/* Connect the agent to an address; 1 added, 0 already there, -1 bad. */
int
cr_agent_add_connection(struct cr_agent *agent, const char *address,
    struct json_object *data)
{
	struct agent_extra	*extra;
	struct addr		 parsed;
	char			*cause;

	if (addr_parse(address, &parsed, &cause) != 0) {
		free(cause);
		json_object_put(data);
		return (-1);
	}
	extra = agent_extra(agent);
	if (extra->connections == NULL)
		extra->connections = json_object_new_object();
	if (json_object_object_get_ex(extra->connections, address, NULL)) {
		json_object_put(data);
		return (0);
	}
	if (data == NULL)
		data = json_object_new_object();
	json_object_object_add(extra->connections, address, data);
	return (1);
}

/* Disconnect the agent from an address; 1 removed, 0 absent. */
int
cr_agent_remove_connection(struct cr_agent *agent, const char *address)
{
	struct json_object	*connections = cr_agent_connections(agent);

	if (connections == NULL ||
	    !json_object_object_get_ex(connections, address, NULL))
		return (0);
	json_object_object_del(connections, address);
	return (1);
}

/* Publish an artifact (taken) with its creator, time and round. */
void
cr_agent_publish(struct cr_agent *agent, struct json_object *artifact)
{
	struct json_object	*entry;
	char			*creator;

	creator = agent_address(agent);
	entry = json_object_new_object();
	json_object_object_add(entry, "creator",
	    json_object_new_string(creator));
	free(creator);
	json_object_object_add(entry, "obj", artifact);
	json_object_object_add(entry, "time", json_object_new_double(env->time));
	json_object_object_add(entry, "round",
	    json_object_new_int64((int64_t)env->round_number));
	json_object_array_add(env->artifacts, entry);
}

/* Say why init fails; see creamas_agent(3). */
void
cr_agent_fail(struct cr_agent *agent, const char *fmt, ...)
{
	va_list	 ap;

	free(agent_failure);
	va_start(ap, fmt);
	if (vasprintf(&agent_failure, fmt, ap) == -1)
		agent_failure = NULL;
	va_end(ap);
}

/* Return (and forget) what cr_agent_fail() said last; NULL if nothing. */
char *
agent_take_failure(void)
{
	char	*failure = agent_failure;

	agent_failure = NULL;
	return (failure);
}
