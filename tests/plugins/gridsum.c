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
 * gridsum: a grid agent type for the end-to-end tests of published grid
 * values, written with the public grid API only.
 *
 * Every agent publishes 1000 * x + y, its cell's label, at init and after
 * every act. Each act reads the neighbours' values of the last round with
 * cr_grid_neighbor_values(), adds those of the neighbours present to a
 * running sum and remembers the mask; it fails (and counts it) when a
 * value is unknown. Methods: "get_sum", "get_mask" (-1 before any act),
 * "get_rounds", "get_failures" and "get_neighbors" (N, E, S and W from
 * cr_grid_neighbor(): an address, or null).
 */

#include <stdint.h>
#include <string.h>

#include "creamas/agent.h"
#include "creamas/grid.h"

/* The state of a gridsum agent. */
struct gridsum {
	double	 sum;		/* of the neighbours' values, every round */
	int64_t	 rounds;	/* acts done */
	int64_t	 failures;	/* acts that found a value unknown */
	int	 mask;		/* cr_grid_neighbor_values() of the last act */
	int	 acted;
};

/* Return the label of the agent's cell, 1000 * x + y; 0 outside a grid. */
static int
gridsum_label(struct cr_agent *agent, double *label)
{
	int64_t	 x, y;

	if (!cr_grid_xy(agent, &x, &y))
		return (0);
	*label = 1000.0 * (double)x + (double)y;
	return (1);
}

/* Publish the cell's label; outside a grid, fail saying so. */
static int
gridsum_init(struct cr_agent *agent, const struct json_object *params)
{
	double	 label;

	if (!gridsum_label(agent, &label)) {
		cr_agent_fail(agent, "a gridsum agent needs a grid: set_gs "
		    "first");
		return (CR_ERROR);
	}
	if (cr_grid_publish(agent, label) != 0)
		return (CR_ERROR);
	return (CR_OK);
}

/* Add up the neighbours' values of the last round and publish again. */
static int
gridsum_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct gridsum	*state = cr_agent_state(agent);
	double		 values[CR_GRID_DIRECTIONS], label;
	int		 direction, mask;

	mask = cr_grid_neighbor_values(agent, values);
	state->mask = mask;
	state->acted = 1;
	state->rounds++;
	if (!gridsum_label(agent, &label) || cr_grid_publish(agent, label) != 0)
		mask = -1;
	if (mask == -1) {
		state->failures++;
		*result = json_object_new_string("a neighbour's value is not "
		    "known");
		return (CR_ERROR);
	}
	for (direction = 0; direction < CR_GRID_DIRECTIONS; direction++) {
		if (mask & (1 << direction))
			state->sum += values[direction];
	}
	*result = json_object_new_int(mask);
	return (CR_OK);
}

/* The methods: the sum, the last mask, the counts and the neighbours. */
static int
gridsum_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	static const char	*names[CR_GRID_DIRECTIONS] = { "N", "E", "S",
				    "W" };
	struct gridsum		*state = cr_agent_state(agent);
	char			 address[CR_ADDRESS_MAX];
	int			 direction;

	if (strcmp(method, "get_sum") == 0)
		*result = json_object_new_double(state->sum);
	else if (strcmp(method, "get_mask") == 0)
		*result = json_object_new_int(state->acted ? state->mask : -1);
	else if (strcmp(method, "get_rounds") == 0)
		*result = json_object_new_int64(state->rounds);
	else if (strcmp(method, "get_failures") == 0)
		*result = json_object_new_int64(state->failures);
	else if (strcmp(method, "get_neighbors") == 0) {
		*result = json_object_new_object();
		for (direction = 0; direction < CR_GRID_DIRECTIONS;
		    direction++)
			json_object_object_add(*result, names[direction],
			    cr_grid_neighbor(agent, direction, address,
			    sizeof address) ? json_object_new_string(address) :
			    NULL);
	} else
		return (CR_NO_METHOD);
	return (CR_OK);
}

static const struct cr_agent_type gridsum_type = {
	.name = "gridsum",
	.state_size = sizeof(struct gridsum),
	.init = gridsum_init,
	.act = gridsum_act,
	.call = gridsum_call,
};

CR_PLUGIN_EXPORT(&gridsum_type);
