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
 * oldtable: a plugin as built before agent types had save and load. Its
 * table says it is only as long as the members up to close, so the
 * daemon must take its type as having neither; the members after (set
 * here to functions that abort) must never be read. Its type "tally"
 * counts its acts in a plain state, which a checkpoint keeps as bytes.
 * Its extension "oldext" is as built before has_state and reset, which
 * are set to functions that abort too.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creamas/agent.h"
#include "creamas/env.h"

/* A tally's state. */
struct tally {
	int64_t	 acts;
};

/* Count an act and answer the count. */
static int
tally_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct tally	*tally = cr_agent_state(agent);

	*result = json_object_new_int64(++tally->acts);
	return (CR_OK);
}

/* Never called: beyond the table's size. */
static int
tally_save(struct cr_agent *agent, struct cr_checkpoint *checkpoint)
{
	abort();
}

/* Never called: beyond the table's size. */
static int
tally_load(struct cr_agent *agent, const void *data, size_t size)
{
	abort();
}

static const struct cr_agent_type tally_type = {
	.name = "tally",
	.state_size = sizeof(struct tally),
	.act = tally_act,
	.save = tally_save,
	.load = tally_load,
};

/* Never called: beyond the extension table's size. */
static const char *
oldext_has_state(void)
{
	abort();
}

/* Never called: beyond the extension table's size. */
static void
oldext_reset(void)
{
	abort();
}

static const struct cr_extension oldext = {
	.size = offsetof(struct cr_extension, has_state),
	.version = CR_EXTENSION_VERSION,
	.name = "oldext",
	.has_state = oldext_has_state,
	.reset = oldext_reset,
};

static const struct cr_agent_type *const tally_types[] = {
	&tally_type, NULL
};

const struct cr_plugin cr_plugin = {
	sizeof(struct cr_plugin), CR_PLUGIN_ABI_VERSION,
	offsetof(struct cr_agent_type, save), tally_types, &oldext
};
