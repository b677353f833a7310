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
 * keeper: a plugin whose agents' state is not plain bytes, for the tests
 * of checkpoint and restore. A keeper agent draws a number each round
 * from its own generator and keeps every number it drew in a list on the
 * heap; its save callback writes the generator and the list, its load
 * callback makes them again. Its act answers the count, the sum of the
 * list and the generator's state, so a restored run that lost or changed
 * any of it shows. The extension "keeper" counts the rounds this
 * process ended (its own state, saved and loaded by its hooks) and
 * answers it with keeper_rounds (sum). Its keys keeper.refuse_save and
 * keeper.refuse_load ("yes" or "no") make its save and load hooks fail,
 * saying why.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creamas/agent.h"
#include "creamas/env.h"

/* A keeper's state: a pointer, so the bytes alone mean nothing. */
struct keeper {
	uint64_t	 random;
	uint64_t	*drawn;
	size_t		 count;
};

/* The rounds this process has ended. */
static uint64_t	 keeper_rounds_ended;

/* Whether the save and load hooks are to fail. */
static int	 keeper_refuse_save;
static int	 keeper_refuse_load;

/* Return the next number of a xorshift64 generator. */
static uint64_t
keeper_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (*state);
}

/* Seed from the agent's number. */
static int
keeper_init(struct cr_agent *agent, const struct json_object *params)
{
	struct keeper	*keeper = cr_agent_state(agent);

	keeper->random = 0x9e3779b97f4a7c15ULL ^ (uint64_t)cr_agent_id(agent);
	return (CR_OK);
}

/* The keeper's count, sum and generator as an object. */
static struct json_object *
keeper_summary(const struct keeper *keeper)
{
	struct json_object	*summary;
	uint64_t		 sum = 0;
	size_t			 i;

	for (i = 0; i < keeper->count; i++)
		sum += keeper->drawn[i] >> 16;
	summary = json_object_new_object();
	json_object_object_add(summary, "count",
	    json_object_new_int64((int64_t)keeper->count));
	json_object_object_add(summary, "sum",
	    json_object_new_int64((int64_t)(sum >> 8)));
	json_object_object_add(summary, "random",
	    json_object_new_int64((int64_t)(keeper->random >> 1)));
	return (summary);
}

/* Draw a number and keep it. */
static int
keeper_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct keeper	*keeper = cr_agent_state(agent);
	uint64_t	*grown;

	grown = realloc(keeper->drawn, (keeper->count + 1) * sizeof *grown);
	if (grown == NULL)
		return (CR_ERROR);
	keeper->drawn = grown;
	keeper->drawn[keeper->count++] = keeper_next(&keeper->random);
	*result = keeper_summary(keeper);
	return (CR_OK);
}

/* get: the summary. */
static int
keeper_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	if (strcmp(method, "get") != 0)
		return (CR_NO_METHOD);
	*result = keeper_summary(cr_agent_state(agent));
	return (CR_OK);
}

/* Free the list. */
static void
keeper_close(struct cr_agent *agent, const char *folder)
{
	struct keeper	*keeper = cr_agent_state(agent);

	free(keeper->drawn);
	keeper->drawn = NULL;
}

/* Save the generator, the count and the list. */
static int
keeper_save(struct cr_agent *agent, struct cr_checkpoint *checkpoint)
{
	struct keeper	*keeper = cr_agent_state(agent);
	uint64_t	 count = keeper->count;

	cr_checkpoint_write(checkpoint, &keeper->random,
	    sizeof keeper->random);
	cr_checkpoint_write(checkpoint, &count, sizeof count);
	cr_checkpoint_write(checkpoint, keeper->drawn,
	    keeper->count * sizeof *keeper->drawn);
	return (CR_OK);
}

/* Make the list again from what save wrote; refuse anything else. */
static int
keeper_load(struct cr_agent *agent, const void *data, size_t size)
{
	struct keeper	*keeper = cr_agent_state(agent);
	const char	*p = data;
	uint64_t	 count;

	if (size < 16)
		return (CR_ERROR);
	memcpy(&keeper->random, p, 8);
	memcpy(&count, p + 8, 8);
	if (count != (size - 16) / 8 || (size - 16) % 8 != 0)
		return (CR_ERROR);
	keeper->count = (size_t)count;
	keeper->drawn = malloc(count > 0 ? count * 8 : 1);
	if (keeper->drawn == NULL)
		return (CR_ERROR);
	memcpy(keeper->drawn, p + 16, count * 8);
	return (CR_OK);
}

/* A round ended here. */
static void
keeper_round_end(uint64_t round)
{
	keeper_rounds_ended++;
}

/* keeper_rounds: the rounds this process ended, its saved ones too. */
static void
keeper_rounds(struct cr_call *call, const struct json_object *params)
{
	cr_call_reply(call, json_object_new_int64(
	    (int64_t)keeper_rounds_ended));
}

/* Take keeper.refuse_save and keeper.refuse_load. */
static int
keeper_configure(const char *key, const char *value, char **cause)
{
	int	 yes = strcmp(value, "yes") == 0;

	if (!yes && strcmp(value, "no") != 0) {
		*cause = strdup("keeper: yes or no");
		return (-1);
	}
	if (strcmp(key, "refuse_save") == 0)
		keeper_refuse_save = yes;
	else
		keeper_refuse_load = yes;
	return (0);
}

/* Save the count of rounds, unless told to refuse. */
static int
keeper_extension_save(struct cr_checkpoint *checkpoint)
{
	if (keeper_refuse_save) {
		cr_checkpoint_fail(checkpoint, "keeper was told to refuse "
		    "after %llu rounds",
		    (unsigned long long)keeper_rounds_ended);
		return (-1);
	}
	cr_checkpoint_write(checkpoint, &keeper_rounds_ended,
	    sizeof keeper_rounds_ended);
	return (0);
}

/* Load the count of rounds, unless told to refuse. */
static int
keeper_extension_load(const void *data, size_t size, char **cause)
{
	if (keeper_refuse_load) {
		*cause = strdup("keeper was told to refuse its state");
		return (-1);
	}
	if (size != sizeof keeper_rounds_ended) {
		*cause = strdup("keeper: the saved state is not a count");
		return (-1);
	}
	memcpy(&keeper_rounds_ended, data, size);
	return (0);
}

static const struct cr_agent_type keeper_type = {
	.name = "keeper",
	.state_size = sizeof(struct keeper),
	.init = keeper_init,
	.act = keeper_act,
	.call = keeper_call,
	.close = keeper_close,
	.save = keeper_save,
	.load = keeper_load,
};

static const struct cr_method keeper_methods[] = {
	{ .name = "keeper_rounds", .handler = keeper_rounds,
	    .combine = CR_COMBINE_SUM },
	{ .name = NULL }
};

static const char *const keeper_keys[] = { "refuse_save", "refuse_load",
	NULL };

static const struct cr_extension keeper_extension = {
	CR_EXTENSION_HEADER,
	.name = "keeper",
	.methods = keeper_methods,
	.keys = keeper_keys,
	.configure = keeper_configure,
	.round_end = keeper_round_end,
	.save = keeper_extension_save,
	.load = keeper_extension_load,
};

static const struct cr_agent_type *const keeper_types[] = {
	&keeper_type, NULL
};

CR_PLUGIN_DEFINE(keeper_types, &keeper_extension);
