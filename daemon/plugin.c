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

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Plugins: shared objects exporting one struct cr_plugin, read up to the
 * sizes they were built with, so that a plugin built for an older
 * <creamas/agent.h> of the same ABI keeps working.
 */

/* Handles of the loaded plugins and the copies of their types. */
static void			**plugins;
static size_t			  nplugins;
static struct cr_agent_type	**types_copied;
static size_t			  ntypes_copied;

/*
 * Read a plugin's ABI version without binding its symbols, so that one
 * built for another creamasd is named as such, not as a missing symbol.
 */
static int
plugin_check_abi(const char *path, char **cause)
{
	const struct cr_plugin	*exported;
	const int		*old_version;
	void			*handle;
	int			 rc = -1;

	if ((handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL)) == NULL) {
		xasprintf(cause, "plugin %s: %s", path, dlerror());
		return (-1);
	}
	exported = dlsym(handle, "cr_plugin");
	old_version = dlsym(handle, "cr_plugin_api_version");
	if (exported == NULL && old_version != NULL)
		xasprintf(cause, "plugin %s: built for plugin ABI %d (an older "
		    "creamasd); this creamasd reads ABI %d: rebuild it "
		    "against this <creamas/agent.h>", path, *old_version,
		    CR_PLUGIN_ABI_VERSION);
	else if (exported == NULL)
		xasprintf(cause, "plugin %s: no CR_PLUGIN_EXPORT() or "
		    "CR_PLUGIN_DEFINE() in it", path);
	else if (exported->version > CR_PLUGIN_ABI_VERSION)
		xasprintf(cause, "plugin %s: built for plugin ABI %u, newer "
		    "than this creamasd's %d: use a newer creamasd", path,
		    exported->version, CR_PLUGIN_ABI_VERSION);
	else if (exported->version < CR_PLUGIN_ABI_VERSION)
		xasprintf(cause, "plugin %s: built for plugin ABI %u (an "
		    "older creamasd); this creamasd reads ABI %d: rebuild it "
		    "against this <creamas/agent.h>", path, exported->version,
		    CR_PLUGIN_ABI_VERSION);
	else if (exported->size < sizeof *exported ||
	    exported->type_size < offsetof(struct cr_agent_type, close))
		xasprintf(cause, "plugin %s: its tables are too short for "
		    "ABI %d", path, CR_PLUGIN_ABI_VERSION);
	else
		rc = 0;
	dlclose(handle);
	return (rc);
}

/* Register a copy of a plugin's type, read up to the size it was built. */
static int
plugin_add_type(const struct cr_agent_type *type, size_t size, char **cause)
{
	struct cr_agent_type	*copy;

	copy = xcalloc(1, sizeof *copy);
	memcpy(copy, type, size < sizeof *copy ? size : sizeof *copy);
	if (types_register(copy, cause) != 0) {
		free(copy);
		return (-1);
	}
	types_copied = xreallocarray(types_copied, ntypes_copied + 1,
	    sizeof *types_copied);
	types_copied[ntypes_copied++] = copy;
	return (0);
}

/* Load a plugin: register its agent types and its extension. */
int
plugin_load(const char *path, char **cause)
{
	const struct cr_plugin	*exported;
	void			*handle;
	char			*why;
	size_t			 i;

	if (plugin_check_abi(path, cause) != 0)
		return (-1);
	if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		xasprintf(cause, "plugin %s: %s", path, dlerror());
		return (-1);
	}
	exported = dlsym(handle, "cr_plugin");
	for (i = 0; exported->types != NULL && exported->types[i] != NULL;
	    i++) {
		if (plugin_add_type(exported->types[i], exported->type_size,
		    &why) != 0) {
			xasprintf(cause, "plugin %s: %s", path, why);
			free(why);
			goto fail;
		}
		log_debug("%s: type %s from %s", __func__,
		    exported->types[i]->name, path);
	}
	if (exported->extension != NULL &&
	    extension_add(exported->extension, &why) != 0) {
		xasprintf(cause, "plugin %s: %s", path, why);
		free(why);
		goto fail;
	}
	plugins = xreallocarray(plugins, nplugins + 1, sizeof *plugins);
	plugins[nplugins++] = handle;
	return (0);

fail:
	/* A failed load stops the daemon: its types stay until then. */
	return (-1);
}

/* Close every plugin; no agent of theirs may remain. */
void
plugin_unload_all(void)
{
	size_t	 i;

	for (i = 0; i < nplugins; i++)
		dlclose(plugins[i]);
	free(plugins);
	plugins = NULL;
	nplugins = 0;
	for (i = 0; i < ntypes_copied; i++)
		free(types_copied[i]);
	free(types_copied);
	types_copied = NULL;
	ntypes_copied = 0;
}
