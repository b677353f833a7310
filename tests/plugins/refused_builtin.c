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
 * refused_builtin: an extension whose method takes a built-in's name, get_agents;
 * creamasd must refuse to load it, naming the method.
 */

#include "creamas/agent.h"
#include "creamas/env.h"

/* Never run: the plugin is refused. */
static void
clash_get_agents(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, NULL);
}

static const struct cr_method clash_methods[] = {
	{ "get_agents", NULL, clash_get_agents, CR_COMBINE_CONCAT, NULL,
	    NULL },
	{ NULL, NULL, NULL, 0, NULL, NULL }
};

static const struct cr_extension clash_extension = {
	CR_EXTENSION_HEADER,
	.name = "clash",
	.methods = clash_methods,
};

CR_PLUGIN_DEFINE(NULL, &clash_extension);
