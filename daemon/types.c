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

#include "creamasd.h"
#include "xmalloc.h"

/* The agent types known to this process: built-in and from plugins. */
static const struct cr_agent_type	**types;
static size_t				  ntypes;

/* Add a type; its name must be new. */
int
types_register(const struct cr_agent_type *type, char **cause)
{
	if (type->name == NULL || *type->name == '\0' || type->act == NULL) {
		xasprintf(cause, "agent type without a name or an act");
		return (-1);
	}
	if (types_find(type->name) != NULL) {
		xasprintf(cause, "agent type '%s' is already defined",
		    type->name);
		return (-1);
	}
	types = xreallocarray(types, ntypes + 1, sizeof *types);
	types[ntypes++] = type;
	return (0);
}

/* Look a type up by name. */
const struct cr_agent_type *
types_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < ntypes; i++) {
		if (strcmp(types[i]->name, name) == 0)
			return (types[i]);
	}
	return (NULL);
}

/* Return the names of all types as a JSON array. */
struct json_object *
types_names(void)
{
	struct json_object	*names;
	size_t			 i;

	names = json_object_new_array();
	for (i = 0; i < ntypes; i++)
		json_object_array_add(names,
		    json_object_new_string(types[i]->name));
	return (names);
}

/* Forget every type. */
void
types_free(void)
{
	free(types);
	types = NULL;
	ntypes = 0;
}
