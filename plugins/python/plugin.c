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

/*
 * What creamas_python.so exports: the agent type "python" and the
 * extension "python", which has no managing functions of its own, only
 * configuration keys (config.c) and a member of the status.
 */

#include <string.h>

#include "creamas_python.h"

#include "creamas/env.h"

static const char *const plugin_keys[] = { "path", "act_limit", NULL };

/*
 * status: "python": whether the interpreter runs, its version, the act
 * limit and how many times the watchdog stopped an agent's code.
 */
static void
plugin_status(struct json_object *status)
{
	struct json_object	*python = json_object_new_object();
	const char		*version = Py_GetVersion();

	json_object_object_add(python, "running",
	    json_object_new_boolean(interp_running()));
	json_object_object_add(python, "version",
	    json_object_new_string_len(version, (int)strcspn(version, " ")));
	json_object_object_add(python, "act_limit",
	    json_object_new_double(config_get_act_limit()));
	json_object_object_add(python, "act_timeouts",
	    json_object_new_int64((int64_t)watchdog_timeouts()));
	json_object_object_add(status, "python", python);
}

static const struct cr_extension plugin_extension = {
	CR_EXTENSION_HEADER,
	.name = "python",
	.keys = plugin_keys,
	.configure = config_set,
	.status = plugin_status,
};

static const struct cr_agent_type *const plugin_types[] = {
	&agent_python_type,
	NULL
};

CR_PLUGIN_DEFINE(plugin_types, &plugin_extension);
