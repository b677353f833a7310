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
 * refused_newabi: a plugin built for a creamasd newer than this one: its
 * struct cr_plugin says ABI version CR_PLUGIN_ABI_VERSION + 1 and it
 * calls a function this creamasd does not have. creamasd must refuse it
 * by its version, not with "undefined symbol".
 */

#include <stddef.h>

#include "creamas/agent.h"

/* A function of the newer API, missing from this creamasd. */
int	 cr_agent_future(struct cr_agent *agent);

/* Never run: the plugin is refused. */
static int
new_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (cr_agent_future(agent));
}

static const struct cr_agent_type new_type = {
	.name = "new",
	.act = new_act,
};

static const struct cr_agent_type *const new_types[] = { &new_type, NULL };

const struct cr_plugin cr_plugin = {
	sizeof(struct cr_plugin) + 16, CR_PLUGIN_ABI_VERSION + 1,
	sizeof(struct cr_agent_type) + 8, new_types, NULL
};
