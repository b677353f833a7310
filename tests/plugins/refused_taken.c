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
 * refused_taken: an extension whose method takes a name of the demo extension
 * (extdemo.c), demo_count; loaded after it, it must be refused, naming
 * the method and the extension that has it.
 */

#include "creamas/agent.h"
#include "creamas/env.h"

/* Never run: the plugin is refused. */
static void
other_count(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, NULL);
}

static const struct cr_method other_methods[] = {
	{ "other_fine", NULL, other_count, CR_COMBINE_NULL, NULL, NULL },
	{ "demo_count", NULL, other_count, CR_COMBINE_SUM, NULL, NULL },
	{ NULL, NULL, NULL, 0, NULL, NULL }
};

static const struct cr_extension other_extension = {
	CR_EXTENSION_HEADER,
	.name = "other",
	.methods = other_methods,
};

CR_PLUGIN_DEFINE(NULL, &other_extension);
