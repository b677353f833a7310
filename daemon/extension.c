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

#include "combine.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Environment extensions: the managing functions and hooks a plugin
 * adds. Each extension's methods become entries of the one method table
 * (methods.c), owned by the extension's name; the hooks run here, in
 * the order the extensions were loaded.
 */

/* A loaded extension: its table, read up to the size it was built with. */
struct extension {
	struct cr_extension	 table;
	struct method		*methods;
	size_t			 nmethods;
	struct rpc_param	**params;	/* each method's, converted */
};

static struct extension	**extensions;
static size_t		  nextensions;

/* The calls below run for every extension with the hook. */
#define EXTENSION_FOREACH(e, i)						\
	for ((i) = 0; (i) < nextensions && ((e) = extensions[(i)]); (i)++)

/* Convert a public parameter list (NULL: none) into the checker's. */
static struct rpc_param *
extension_params(const struct cr_param *params, char **cause)
{
	struct rpc_param	*converted;
	size_t			 count = 0, i;

	while (params != NULL && params[count].name != NULL)
		count++;
	converted = xcalloc(count + 1, sizeof *converted);
	for (i = 0; i < count; i++) {
		if (params[i].type < CR_PARAM_ANY ||
		    params[i].type > CR_PARAM_ARRAY) {
			xasprintf(cause, "parameter '%s' has an unknown type "
			    "%d", params[i].name, params[i].type);
			free(converted);
			return (NULL);
		}
		converted[i].name = params[i].name;
		converted[i].type = (enum rpc_type)params[i].type;
		converted[i].required = params[i].required;
	}
	return (converted);
}

/* Check one exported method and make its table entry. */
static int
extension_method(struct extension *extension, const struct cr_method *from,
    struct method *to, struct rpc_param **params, char **cause)
{
	const char	*name = extension->table.name;

	if (from->handler == NULL) {
		xasprintf(cause, "method '%s' has no handler", from->name);
		return (-1);
	}
	if (from->combine < CR_COMBINE_CUSTOM ||
	    from->combine > CR_COMBINE_FIRST ||
	    (from->combine == CR_COMBINE_CUSTOM && from->combine_fn == NULL) ||
	    (from->combine == CR_COMBINE_TOP && from->key == NULL)) {
		xasprintf(cause, "method '%s': combine rule %d needs %s",
		    from->name, from->combine, from->combine ==
		    CR_COMBINE_TOP ? "a key" : from->combine ==
		    CR_COMBINE_CUSTOM ? "a combine_fn" : "to be a rule");
		return (-1);
	}
	if (strncmp(from->name, "agent.", 6) == 0 ||
	    strncmp(from->name, "auth.", 5) == 0) {
		xasprintf(cause, "method '%s': agent.* and auth.* are "
		    "reserved", from->name);
		return (-1);
	}
	*params = extension_params(from->params, cause);
	if (*params == NULL)
		return (-1);
	to->name = from->name;
	to->params = *params;
	to->slave = extension_run;
	to->combine = from->combine;
	to->key = from->key;
	to->owner = name;
	to->extension = from;
	return (0);
}

/* Free an extension's entries (not yet or no more in the table). */
static void
extension_free(struct extension *extension)
{
	size_t	 i;

	for (i = 0; i < extension->nmethods; i++)
		free(extension->params[i]);
	free(extension->params);
	free(extension->methods);
	free(extension);
}

/*
 * Add an extension exported by a plugin: its table must be of a version
 * this daemon reads; its name and method names must be new. Members
 * beyond the size it was built with read as NULL.
 */
int
extension_add(const struct cr_extension *exported, char **cause)
{
	struct extension	*extension;
	const struct cr_method	*from;
	size_t			 i, count = 0;
	char			*why;

	if (exported->version != CR_EXTENSION_VERSION) {
		xasprintf(cause, "extension table version %u, this creamasd "
		    "reads version %d", exported->version,
		    CR_EXTENSION_VERSION);
		return (-1);
	}
	if (exported->size < offsetof(struct cr_extension, methods)) {
		xasprintf(cause, "extension table of %u bytes, too short",
		    exported->size);
		return (-1);
	}
	extension = xcalloc(1, sizeof *extension);
	memcpy(&extension->table, exported, exported->size <
	    sizeof extension->table ? exported->size : sizeof extension->table);
	if (extension->table.name == NULL || *extension->table.name == '\0' ||
	    strchr(extension->table.name, '.') != NULL) {
		xasprintf(cause, "an extension needs a name without a dot");
		goto fail;
	}
	for (i = 0; i < nextensions; i++) {
		if (strcmp(extensions[i]->table.name,
		    extension->table.name) == 0) {
			xasprintf(cause, "extension '%s' is already loaded",
			    extension->table.name);
			goto fail;
		}
	}
	for (from = extension->table.methods; from != NULL &&
	    from->name != NULL; from++)
		count++;
	extension->methods = xcalloc(count + 1, sizeof *extension->methods);
	extension->params = xcalloc(count + 1, sizeof *extension->params);
	for (i = 0; i < count; i++) {
		extension->nmethods++;
		if (extension_method(extension, &extension->table.methods[i],
		    &extension->methods[i], &extension->params[i], &why) != 0) {
			xasprintf(cause, "extension '%s': %s",
			    extension->table.name, why);
			free(why);
			goto fail;
		}
	}
	if (methods_register(extension->methods, count, &why) != 0) {
		xasprintf(cause, "extension '%s': %s", extension->table.name,
		    why);
		free(why);
		goto fail;
	}
	extensions = xreallocarray(extensions, nextensions + 1,
	    sizeof *extensions);
	extensions[nextensions++] = extension;
	log_debug("%s: extension %s, %zu methods", __func__,
	    extension->table.name, count);
	return (0);

fail:
	extension_free(extension);
	return (-1);
}

/* Return 1 if a configuration key is an extension's: NAME.KEY. */
int
extension_is_key(const char *key)
{
	return (strchr(key, '.') != NULL);
}

/* Give NAME.KEY=VALUE to extension NAME, which must declare KEY. */
int
extension_configure(const char *key, const char *value, char **cause)
{
	struct extension	*extension;
	const char		*dot = strchr(key, '.'), *const *known;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (dot == NULL || strlen(extension->table.name) !=
		    (size_t)(dot - key) || strncmp(extension->table.name, key,
		    (size_t)(dot - key)) != 0)
			continue;
		for (known = extension->table.keys; known != NULL &&
		    *known != NULL; known++) {
			if (strcmp(*known, dot + 1) != 0)
				continue;
			if (extension->table.configure == NULL) {
				xasprintf(cause, "extension '%s' takes no "
				    "configuration", extension->table.name);
				return (-1);
			}
			*cause = NULL;
			if (extension->table.configure(dot + 1, value,
			    cause) != 0) {
				if (*cause == NULL)
					*cause = xstrdup("refused");
				return (-1);
			}
			return (0);
		}
		xasprintf(cause, "extension '%s' has no key '%s'",
		    extension->table.name, dot + 1);
		return (-1);
	}
	xasprintf(cause, "no extension loaded for key '%s'", key);
	return (-1);
}

/* Combine answers with a method's own callback. */
int
extension_combine(const struct method *method, struct json_object *params,
    const struct fanout_reply *replies, size_t count,
    const char *const *sources, struct json_object **result, char **cause)
{
	struct cr_answer	*answers;
	size_t			 i, n = 0;
	int			 rc;

	answers = xcalloc(count + 1, sizeof *answers);
	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL)
			continue;
		answers[n].slave = sources[i];
		answers[n++].result = replies[i].result;
	}
	*result = NULL;
	rc = method->extension->combine_fn(params, answers, n, result);
	free(answers);
	if (rc != 0) {
		*cause = xstrdup(json_object_is_type(*result,
		    json_type_string) ? json_object_get_string(*result) :
		    "the combine callback failed");
		json_object_put(*result);
		*result = NULL;
		return (-1);
	}
	return (0);
}

/* A round begins on this slave. */
void
extension_round_begin(uint64_t round)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.round_begin != NULL)
			extension->table.round_begin(round);
	}
}

/* A round ended: every agent acted and every call was answered. */
void
extension_round_end(uint64_t round)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.round_end != NULL)
			extension->table.round_end(round);
	}
}

/* An agent was spawned. */
void
extension_agent_spawned(struct cr_agent *agent)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.agent_spawned != NULL)
			extension->table.agent_spawned(agent);
	}
}

/* An agent is about to be removed. */
void
extension_agent_removed(struct cr_agent *agent)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.agent_removed != NULL)
			extension->table.agent_removed(agent);
	}
}

/* Let every extension add members to a status object. */
void
extension_status(struct json_object *status)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.status != NULL)
			extension->table.status(status);
	}
}

/* Return 1 if every extension is ready. */
int
extension_ready(void)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.ready != NULL &&
		    !extension->table.ready())
			return (0);
	}
	return (1);
}

/* A round begins: return how many extensions make its agents wait. */
int
extension_round_prepare(struct round *round)
{
	struct extension	*extension;
	size_t			 i;
	int			 waiting = 0;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.round_prepare != NULL &&
		    extension->table.round_prepare(round_handle(round)))
			waiting++;
	}
	return (waiting);
}

/* Every agent of the round has acted. */
void
extension_round_acted(uint64_t round)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.round_acted != NULL)
			extension->table.round_acted(round);
	}
}

/* The round ends while extensions still prepare it. */
void
extension_round_abandon(struct round *round)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.round_abandon != NULL)
			extension->table.round_abandon(round_handle(round));
	}
}

/* Ask every extension whether an agent of a type may be spawned. */
int
extension_agent_spawning(const char *type, struct json_object **error)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.agent_spawning != NULL &&
		    (*error = extension->table.agent_spawning(type)) != NULL)
			return (-1);
	}
	return (0);
}

/* The environment is freed: every extension lets go of what it holds. */
void
extension_close(void)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.close != NULL)
			extension->table.close();
	}
}

/* Forget every extension (the method table is freed before). */
void
extension_free_all(void)
{
	size_t	 i;

	for (i = 0; i < nextensions; i++)
		extension_free(extensions[i]);
	free(extensions);
	extensions = NULL;
	nextensions = 0;
}

/*
 * Save the state of every extension with a save hook: its name and the
 * bytes it wrote. 0, or -1 with *cause.
 */
int
extension_save(struct savefile *file, char **cause)
{
	struct extension	*extension;
	struct cr_checkpoint	 checkpoint = { file, NULL };
	size_t			 i, count = 0, at;
	uint64_t		 length;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.save != NULL)
			count++;
	}
	savefile_u32(file, (uint32_t)count);
	EXTENSION_FOREACH(extension, i) {
		if (extension->table.save == NULL)
			continue;
		savefile_string(file, extension->table.name);
		at = file->length;
		savefile_u64(file, 0);
		if (extension->table.save(&checkpoint) != 0) {
			xasprintf(cause, "extension %s failed to save its "
			    "state%s%s", extension->table.name,
			    checkpoint.failure != NULL ? ": " : "",
			    checkpoint.failure != NULL ? checkpoint.failure :
			    "");
			free(checkpoint.failure);
			return (-1);
		}
		free(checkpoint.failure);
		checkpoint.failure = NULL;
		length = file->length - at - sizeof length;
		memcpy(file->data + at, &length, sizeof length);
	}
	return (0);
}

/* Return the loaded extension of a name, or NULL. */
static struct extension *
extension_find(const char *name)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (strcmp(extension->table.name, name) == 0)
			return (extension);
	}
	return (NULL);
}

/*
 * Read what extension_save wrote; every extension named must be loaded
 * here and have a load hook. With apply, hand each its bytes. 0, or -1
 * with *cause.
 */
int
extension_load(struct savefile_reader *reader, int apply, char **cause)
{
	struct extension	*extension;
	const void		*data;
	uint32_t		 count, i;
	uint64_t		 length;
	char			*name, *why;

	count = savefile_get_u32(reader);
	for (i = 0; i < count && !reader->short_read; i++) {
		if ((name = savefile_get_string(reader)) == NULL)
			break;
		length = savefile_get_u64(reader);
		data = savefile_get(reader, length);
		if (data == NULL) {
			free(name);
			break;
		}
		if ((extension = extension_find(name)) == NULL ||
		    extension->table.load == NULL) {
			xasprintf(cause, "the checkpoint holds the state of "
			    "extension %s, which is not loaded here%s", name,
			    extension != NULL ? " with a load hook" : "");
			free(name);
			return (-1);
		}
		free(name);
		why = NULL;
		if (apply && extension->table.load(data, length, &why) != 0) {
			xasprintf(cause, "extension %s: %s",
			    extension->table.name, why != NULL ? why :
			    "it failed to load its state");
			free(why);
			return (-1);
		}
	}
	if (reader->short_read) {
		xasprintf(cause, "the extensions' part is malformed");
		return (-1);
	}
	return (0);
}

/*
 * Return what an extension holds that a restore would replace, in its
 * own words, or NULL if none holds anything.
 */
const char *
extension_has_state(void)
{
	struct extension	*extension;
	const char		*what;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.has_state != NULL &&
		    (what = extension->table.has_state()) != NULL)
			return (what);
	}
	return (NULL);
}

/* A restore failed half way: every extension forgets what it holds. */
void
extension_reset(void)
{
	struct extension	*extension;
	size_t			 i;

	EXTENSION_FOREACH(extension, i) {
		if (extension->table.reset != NULL)
			extension->table.reset();
	}
}
