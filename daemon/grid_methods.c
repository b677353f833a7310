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


#include <stdlib.h>

#include "creamasd.h"
#include "grid.h"
#include "log.h"

/*
 * The grid as an extension of the environment (Creamas' GridEnvironment
 * and GridMultiEnvironment): its managing functions, added to the one
 * method table, and the hooks through which alone the core reaches it:
 * whether it is full, its status, the values across its edges fetched
 * before a round's agents act, the agents it refuses and forgets,
 * freeing it, and its part of a checkpoint (grid_checkpoint.c). The
 * handlers are in grid.c, grid_values.c and, for a master,
 * master_grid.c.
 */

static const struct rpc_param no_params[] = {
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param gs_params[] = {
	{ "gs", RPC_ARRAY, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param origin_params[] = {
	{ "origin", RPC_ARRAY, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param xy_params[] = {
	{ "xy", RPC_ARRAY, 1 }, { NULL, RPC_ANY, 0 }
};
static const struct rpc_param cell_values_params[] = {
	{ "generation", RPC_INTEGER, 1 }, { "agents", RPC_ARRAY, 1 },
	{ NULL, RPC_ANY, 0 }
};
static const struct rpc_param grid_neighbor_params[] = {
	{ "direction", RPC_STRING, 1 }, { "addr", RPC_ANY, 1 },
	{ NULL, RPC_ANY, 0 }
};

#define OWN(handler)	handler, CR_COMBINE_CUSTOM, NULL, 0, NULL, NULL, NULL
#define LOCAL		NULL, CR_COMBINE_CUSTOM, NULL, METHOD_MASTER_LOCAL, NULL, \
			    NULL, NULL
static const struct method grid_methods[] = {
	{ "get_cell_values", cell_values_params, grid_get_cell_values,
	    NULL, CR_COMBINE_CUSTOM, NULL, METHOD_SLAVE_ONLY, NULL, NULL,
	    NULL },
	{ "get_grid", no_params, grid_get_grid, NULL, CR_COMBINE_CONCAT, NULL,
	    0, NULL, NULL, NULL },
	{ "get_gs", no_params, grid_get_gs, LOCAL },
	{ "get_origin", no_params, grid_get_origin, LOCAL },
	{ "get_xy_address", xy_params, grid_get_xy_address,
	    OWN(master_grid_get_xy_address) },
	{ "get_xy_environment", xy_params, grid_get_xy_environment,
	    OWN(master_grid_get_xy_environment) },
	{ "set_agent_neighbors", no_params, grid_set_agent_neighbors,
	    OWN(master_grid_set_agent_neighbors) },
	{ "set_grid_neighbor", grid_neighbor_params, grid_set_grid_neighbor,
	    LOCAL },
	{ "set_gs", gs_params, grid_set_gs, OWN(master_grid_set_gs) },
	{ "set_neighbors", no_params, grid_set_agent_neighbors,
	    OWN(master_grid_set_neighbors) },
	{ "set_origin", origin_params, grid_set_origin,
	    OWN(master_grid_set_origin) },
	{ "set_slave_neighbors", no_params, NULL,
	    OWN(master_grid_set_slave_neighbors) },
};
#undef OWN
#undef LOCAL

/* Status: the published values' counters, in a slave with a grid. */
static void
grid_methods_status(struct json_object *status)
{
	struct json_object	*grid;

	if ((grid = grid_values_status()) != NULL)
		json_object_object_add(status, "grid", grid);
}

/* A round begins: fetch the values across the edges; 1 to wait. */
static int
grid_methods_round_prepare(struct cr_round *round)
{
	return (grid_values_begin(round_of(round)));
}

/* Every agent acted: what they published is the next round's. */
static void
grid_methods_round_acted(uint64_t round)
{
	grid_values_acted();
}

/* The round ended before the edges' values came. */
static void
grid_methods_round_abandon(struct cr_round *round)
{
	grid_values_abandon(round_of(round));
}

/* Refuse an agent when the grid is full or its type needs a grid. */
static struct json_object *
grid_methods_agent_spawning(const char *type)
{
	struct json_object	*error = NULL;

	if (grid_spawn_check(types_find(type), &error) != 0)
		return (error);
	return (NULL);
}

/* An agent that failed its init, or at the end: its cell has no value. */
static void
grid_methods_agent_removed(struct cr_agent *agent)
{
	grid_values_forget(agent);
}

static const struct cr_extension grid_extension = {
	CR_EXTENSION_HEADER,
	.name = "grid",
	.agent_removed = grid_methods_agent_removed,
	.status = grid_methods_status,
	.ready = grid_is_ready,
	.round_prepare = grid_methods_round_prepare,
	.round_acted = grid_methods_round_acted,
	.round_abandon = grid_methods_round_abandon,
	.agent_spawning = grid_methods_agent_spawning,
	.close = grid_free,
	.save = grid_checkpoint_save,
	.load = grid_checkpoint_load,
	.has_state = grid_checkpoint_has_state,
	.reset = grid_free,
};

/* Add the grid's agent types, managing functions and hooks. */
void
grid_methods_init(void)
{
	char	*cause;

	grid_types_register();
	if (methods_register(grid_methods, sizeof grid_methods /
	    sizeof grid_methods[0], &cause) != 0 ||
	    extension_add(&grid_extension, &cause) != 0)
		fatalx("%s: %s", __func__, cause);
}
