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
#include <stdlib.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/* Handles of the loaded plugins, closed at exit. */
static void	**plugins;
static size_t	  nplugins;

/* Load a plugin and register the agent types it exports. */
int
plugin_load(const char *path, char **cause)
{
	const struct cr_agent_type *const	*exported;
	const int				*version;
	void					*handle;
	char					*why;
	size_t					 i;

	if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		xasprintf(cause, "plugin %s: %s", path, dlerror());
		return (-1);
	}
	version = dlsym(handle, "cr_plugin_api_version");
	exported = dlsym(handle, "cr_plugin_types");
	if (version == NULL || exported == NULL) {
		xasprintf(cause, "plugin %s: no CR_PLUGIN_EXPORT() in it",
		    path);
		goto fail;
	}
	if (*version != CR_AGENT_API_VERSION) {
		xasprintf(cause, "plugin %s: built for agent API %d, this is "
		    "%d", path, *version, CR_AGENT_API_VERSION);
		goto fail;
	}
	for (i = 0; exported[i] != NULL; i++) {
		if (types_register(exported[i], &why) != 0) {
			xasprintf(cause, "plugin %s: %s", path, why);
			free(why);
			goto fail;
		}
		log_debug("%s: type %s from %s", __func__, exported[i]->name,
		    path);
	}
	plugins = xreallocarray(plugins, nplugins + 1, sizeof *plugins);
	plugins[nplugins++] = handle;
	return (0);

fail:
	dlclose(handle);
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
}
