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
 * refused_oldabi: a plugin as creamasd 0.1 built them (plugin ABI 1: the symbols
 * cr_plugin_api_version and cr_plugin_types, no struct cr_plugin),
 * written out by hand since <creamas/agent.h> no longer makes one.
 * creamasd must refuse it and say to rebuild it.
 */

#include <stddef.h>

#include "creamas/agent.h"

/* Never run: the plugin is refused. */
static int
old_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	return (CR_OK);
}

static const struct cr_agent_type old_type = {
	.name = "old",
	.act = old_act,
};

extern const int			 cr_plugin_api_version;
extern const struct cr_agent_type	*const cr_plugin_types[];

const int			 cr_plugin_api_version = 1;
const struct cr_agent_type	*const cr_plugin_types[] = { &old_type, NULL };
