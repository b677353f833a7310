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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "grid.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The built-in grid agents. They live in a grid environment (see grid.c)
 * and draw everything random from their cell, never from the process, so
 * a run gives the same answer however the grid is cut into slaves and
 * nodes.
 *
 * grid: Creamas' example grid agent. Each round it sends "Message from
 * ADDR" to a neighbour drawn at random among N, E, S and W (nothing when
 * there is none that way), which answers "ADDR got message: MSG".
 *
 * diffusion: each agent holds a number, at first drawn from its cell. In
 * its round r it takes the values its neighbours had after round r - 1
 * and moves half way to their mean. It reads them as published values
 * (grid_values.c): from memory within its environment, and in one batch
 * per edge from the environments beyond.
 *
 * diffusion_rpc: the same agent asking each neighbour for its value with
 * a get_value call, as a Creamas agent would. An agent keeps its value
 * and the one before with the round each belongs to, so a neighbour that
 * has already acted in round r still answers for round r - 1, and the
 * order in which agents act, and their calls are answered, never
 * matters. Both types give the same numbers, bit for bit.
 *
 * A diffusion agent that cannot have every neighbour's value keeps its
 * own for the round, and the round says why.
 */

#define DIFFUSION_RATE	0.5

/* The state of a grid agent. */
struct grid_agent {
	uint64_t	 random;
	uint64_t	 sent;
	uint64_t	 answered;
	uint64_t	 received;
};

/* The state of a diffusion agent. */
struct diffusion {
	double		 value;		/* after round `round` */
	double		 previous;	/* after round `round` - 1 */
	uint64_t	 round;		/* rounds done */
};

/* The state of a diffusion_rpc agent: a diffusion agent and its calls. */
struct diffusion_rpc {
	struct diffusion diffusion;
	int		 waiting;	/* answers still to come */
	int		 failed;	/* a call failed this round */
	unsigned int	 answered;	/* a bit per direction */
	double		 got[GRID_DIRECTIONS];
};

/* Mix 64 bits (the splitmix64 finaliser). */
static uint64_t
grid_types_mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (z ^ (z >> 31));
}

/* Return the seed of a cell: a mix of x, y and the params' seed. */
static uint64_t
grid_types_seed(int64_t x, int64_t y, uint64_t salt)
{
	return (grid_types_mix(grid_types_mix((uint64_t)x ^ salt) ^
	    (uint64_t)y));
}

/* Return the next number of a xorshift64* generator. */
static uint64_t
grid_types_next(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * UINT64_C(2685821657736338717));
}

/*
 * Read the optional params {"seed": N} of a grid agent and its cell; an
 * agent outside any grid is refused.
 */
static int
grid_types_init(struct cr_agent *agent, const struct json_object *params,
    uint64_t *seed)
{
	struct json_object	*value = NULL;
	int64_t			 x, y;
	uint64_t		 salt = 0;

	if (params != NULL) {
		/* {"seed": N} or nothing: anything else is a mistake. */
		if (!json_object_is_type(params, json_type_object))
			return (CR_BAD_PARAMS);
		json_object_object_get_ex(params, "seed", &value);
		if (json_object_object_length(params) != (value != NULL) ||
		    (value != NULL && !json_object_is_type(value,
		    json_type_int)))
			return (CR_BAD_PARAMS);
		if (value != NULL)
			salt = (uint64_t)json_object_get_int64(value);
	}
	if (!cr_grid_xy(agent, &x, &y))
		return (CR_ERROR);
	*seed = grid_types_seed(x, y, salt);
	return (CR_OK);
}

/* grid: seed the generator from the cell. */
static int
grid_agent_init(struct cr_agent *agent, const struct json_object *params)
{
	struct grid_agent	*state = cr_agent_state(agent);
	int			 rc;

	if ((rc = grid_types_init(agent, params, &state->random)) != CR_OK)
		return (rc);
	if (state->random == 0)
		state->random = 1;
	return (CR_OK);
}

/* grid: a neighbour answered the message. */
static void
grid_agent_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct grid_agent	*state = cr_agent_state(agent);

	if (error == NULL)
		state->answered++;
}

/* grid: send a message to a neighbour drawn at random. */
static int
grid_agent_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct grid_agent	*state = cr_agent_state(agent);
	struct json_object	*params;
	char			 address[CR_ADDRESS_MAX];
	char			 message[CR_ADDRESS_MAX + 16];
	int			 direction, length;

	direction = (int)(grid_types_next(&state->random) >> 62);
	if (!cr_grid_neighbor(agent, direction, address, sizeof address))
		return (CR_OK);
	length = snprintf(message, sizeof message, "Message from ");
	cr_agent_address(agent, message + length, sizeof message -
	    (size_t)length);
	params = json_object_new_object();
	json_object_object_add(params, "msg", json_object_new_string(message));
	if (cr_agent_call(agent, address, "rcv", params, grid_agent_reply,
	    NULL) != 0) {
		*result = json_object_new_string("cannot call the neighbour");
		return (CR_ERROR);
	}
	state->sent++;
	return (CR_OK);
}

/* grid: rcv {"msg"} answers, get_stats counts, and the grid calls. */
static int
grid_agent_call_method(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct grid_agent	*state = cr_agent_state(agent);
	struct json_object	*message;
	char			 address[CR_ADDRESS_MAX], *text;

	if (strcmp(method, "rcv") == 0) {
		if (params == NULL || !json_object_object_get_ex(params, "msg",
		    &message) || !json_object_is_type(message,
		    json_type_string))
			return (CR_BAD_PARAMS);
		state->received++;
		cr_agent_address(agent, address, sizeof address);
		xasprintf(&text, "%s got message: %s", address,
		    json_object_get_string(message));
		*result = json_object_new_string(text);
		free(text);
		return (CR_OK);
	}
	if (strcmp(method, "get_stats") == 0) {
		*result = json_object_new_object();
		json_object_object_add(*result, "sent",
		    json_object_new_int64((int64_t)state->sent));
		json_object_object_add(*result, "answered",
		    json_object_new_int64((int64_t)state->answered));
		json_object_object_add(*result, "received",
		    json_object_new_int64((int64_t)state->received));
		return (CR_OK);
	}
	return (grid_agent_call(agent, method, params, result));
}

/* diffusion and diffusion_rpc: the first value, in [0, 1), from the cell. */
static int
diffusion_start(struct cr_agent *agent, const struct json_object *params)
{
	struct diffusion	*state = cr_agent_state(agent);
	uint64_t		 seed;
	int			 rc;

	if ((rc = grid_types_init(agent, params, &seed)) != CR_OK)
		return (rc);
	state->value = (double)(seed >> 11) * 0x1p-53;
	state->previous = state->value;
	return (CR_OK);
}

/* diffusion: the first value, published for the neighbours to read. */
static int
diffusion_init(struct cr_agent *agent, const struct json_object *params)
{
	struct diffusion	*state = cr_agent_state(agent);
	int			 rc;

	if ((rc = diffusion_start(agent, params)) == CR_OK)
		cr_grid_publish(agent, state->value);
	return (rc);
}

/*
 * End a round: move half way to the mean of the neighbours' values got[]
 * of the directions in mask, added in the order N, E, S, W whatever order
 * they came in; or keep the value if not every neighbour's is known.
 */
static void
diffusion_update(struct diffusion *state, unsigned int mask,
    const double got[GRID_DIRECTIONS], int known)
{
	double	 sum = 0.0;
	int	 direction, count = 0;

	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (mask & (1U << direction)) {
			sum += got[direction];
			count++;
		}
	}
	state->previous = state->value;
	if (known && count > 0)
		state->value = state->value +
		    (sum / count - state->value) * DIFFUSION_RATE;
	state->round++;
}

/* diffusion: read the neighbours' values of the last round, and move. */
static int
diffusion_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct diffusion	*state = cr_agent_state(agent);
	double			 got[GRID_DIRECTIONS];
	int			 mask;

	mask = cr_grid_neighbor_values(agent, got);
	diffusion_update(state, mask == -1 ? 0 : (unsigned int)mask, got,
	    mask != -1);
	cr_grid_publish(agent, state->value);
	if (mask == -1) {
		*result = json_object_new_string("the value of a neighbour "
		    "in the last round is not known: this agent keeps its "
		    "own");
		return (CR_ERROR);
	}
	return (CR_OK);
}

/* diffusion_rpc: a neighbour answered with its value (or failed). */
static void
diffusion_rpc_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct diffusion_rpc	*state = cr_agent_state(agent);
	int			 direction = (int)(uintptr_t)arg;

	if (error == NULL && (json_object_is_type(result, json_type_double) ||
	    json_object_is_type(result, json_type_int))) {
		state->got[direction] = json_object_get_double(result);
		state->answered |= 1U << direction;
	} else
		state->failed = 1;	/* the round has the error */
	if (--state->waiting == 0)
		diffusion_update(&state->diffusion, state->answered,
		    state->got, !state->failed);
}

/* diffusion_rpc: ask every neighbour for its value after the last round. */
static int
diffusion_rpc_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct diffusion_rpc	*state = cr_agent_state(agent);
	struct json_object	*params;
	char			 address[CR_ADDRESS_MAX];
	int			 direction;

	if (state->waiting > 0) {
		*result = json_object_new_string("still waiting for the "
		    "neighbours' values of the last round");
		return (CR_ERROR);
	}
	state->answered = 0;
	state->failed = 0;
	state->waiting = 1;	/* until every call is made */
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (!cr_grid_neighbor(agent, direction, address,
		    sizeof address))
			continue;
		params = json_object_new_object();
		json_object_object_add(params, "round", json_object_new_int64(
		    (int64_t)state->diffusion.round));
		state->waiting++;
		if (cr_agent_call(agent, address, "get_value", params,
		    diffusion_rpc_reply, (void *)(uintptr_t)direction) != 0) {
			state->waiting--;
			state->failed = 1;
		}
	}
	if (--state->waiting == 0)
		diffusion_update(&state->diffusion, state->answered,
		    state->got, !state->failed);
	return (CR_OK);
}

/*
 * diffusion: get_value {"round"?}: the value after that round (the last
 * one, or the one before), or the current value without a round;
 * get_state, and the grid calls.
 */
static int
diffusion_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	struct diffusion	*state = cr_agent_state(agent);
	struct json_object	*round = NULL;
	char			 message[128];
	int64_t			 asked;

	if (strcmp(method, "get_value") == 0) {
		if (params != NULL && json_object_is_type(params,
		    json_type_object))
			json_object_object_get_ex(params, "round", &round);
		if (round == NULL) {
			*result = json_object_new_double(state->value);
			return (CR_OK);
		}
		if (!json_object_is_type(round, json_type_int))
			return (CR_BAD_PARAMS);
		asked = json_object_get_int64(round);
		if (asked >= 0 && (uint64_t)asked == state->round) {
			*result = json_object_new_double(state->value);
			return (CR_OK);
		}
		if (asked >= 0 && (uint64_t)asked + 1 == state->round) {
			*result = json_object_new_double(state->previous);
			return (CR_OK);
		}
		snprintf(message, sizeof message, "the value after round %lld "
		    "is not kept: this agent has done %llu rounds",
		    (long long)asked, (unsigned long long)state->round);
		*result = json_object_new_string(message);
		return (CR_ERROR);
	}
	if (strcmp(method, "get_state") == 0) {
		*result = json_object_new_object();
		json_object_object_add(*result, "value",
		    json_object_new_double(state->value));
		json_object_object_add(*result, "previous",
		    json_object_new_double(state->previous));
		json_object_object_add(*result, "round",
		    json_object_new_int64((int64_t)state->round));
		return (CR_OK);
	}
	return (grid_agent_call(agent, method, params, result));
}

static const struct cr_agent_type grid_type = {
	.name = "grid",
	.state_size = sizeof(struct grid_agent),
	.init = grid_agent_init,
	.act = grid_agent_act,
	.call = grid_agent_call_method,
};

static const struct cr_agent_type diffusion_type = {
	.name = "diffusion",
	.state_size = sizeof(struct diffusion),
	.init = diffusion_init,
	.act = diffusion_act,
	.call = diffusion_call,
};

static const struct cr_agent_type diffusion_rpc_type = {
	.name = "diffusion_rpc",
	.state_size = sizeof(struct diffusion_rpc),
	.init = diffusion_start,
	.act = diffusion_rpc_act,
	.call = diffusion_call,
};

/* Return 1 if agents of a type can only live in a grid. */
int
grid_types_needs_grid(const struct cr_agent_type *type)
{
	return (type == &grid_type || type == &diffusion_type ||
	    type == &diffusion_rpc_type);
}

/* Make the grid types known. */
void
grid_types_register(void)
{
	char	*cause;

	if (types_register(&grid_type, &cause) != 0 ||
	    types_register(&diffusion_type, &cause) != 0 ||
	    types_register(&diffusion_rpc_type, &cause) != 0)
		fatalx("%s: %s", __func__, cause);
}
