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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "creamasd.h"
#include "grid.h"
#include "log.h"
#include "xmalloc.h"

/*
 * A grid environment, Creamas' GridEnvironment: a grid of gs = (w, h)
 * cells from an origin, filled column by column as agents are spawned,
 * each agent with a neighbour to the north (y - 1), east (x + 1), south
 * (y + 1) and west (x - 1). Inside the grid a neighbour is found by
 * arithmetic, so an agent costs nothing more than any other; beyond an
 * edge it lives in the environment set with set_grid_neighbor, which
 * set_agent_neighbors asks for the address at each cell across the edge.
 */

#define GRID_XY_MAX	(INT64_C(1) << 60)	/* |x|, |y| asked about */

/* This environment's grid, or a master's layout of its slaves' grids. */
struct grid	*grid_current;

/* One address asked of a neighbouring environment. */
struct grid_lookup {
	struct grid_wiring	*wiring;
	int			 direction;
	size_t			 index;
	int64_t			 x;
	int64_t			 y;
};

/* A set_agent_neighbors in progress. */
struct grid_wiring {
	struct request		*request;
	char			*from[GRID_DIRECTIONS];
	char			**edges[GRID_DIRECTIONS];
	struct grid_lookup	*lookups;
	size_t			 pending;
	struct json_object	*error;		/* the first failure */
};

static const char *const grid_names[GRID_DIRECTIONS] = { "N", "E", "S", "W" };
static const int grid_dx[GRID_DIRECTIONS] = { 0, 1, 0, -1 };
static const int grid_dy[GRID_DIRECTIONS] = { -1, 0, 1, 0 };

/* Return the grid of this environment, making an empty one if needed. */
struct grid *
grid_get(void)
{
	if (grid_current == NULL) {
		grid_current = xcalloc(1, sizeof *grid_current);
		grid_current->first = env->nagents;
	}
	return (grid_current);
}

/* Return how many cells a grid has; 0 until its size is set. */
size_t
grid_cells(const struct grid *grid)
{
	if (grid == NULL)
		return (0);
	return ((size_t)grid->width * (size_t)grid->height);
}

/* Return how many agents have been placed in the grid. */
size_t
grid_placed(const struct grid *grid)
{
	if (grid_cells(grid) == 0)
		return (0);
	return (env->nagents - grid->first);
}

/* Return the number of cells along one side of the grid. */
size_t
grid_edge_length(const struct grid *grid, int direction)
{
	if (direction == GRID_NORTH || direction == GRID_SOUTH)
		return ((size_t)grid->width);
	return ((size_t)grid->height);
}

/* Return the coordinates of the cell across an edge, at index along it. */
static void
grid_edge_xy(const struct grid *grid, int direction, size_t index,
    int64_t *x, int64_t *y)
{
	switch (direction) {
	case GRID_NORTH:
		*x = grid->origin_x + (int64_t)index;
		*y = grid->origin_y - 1;
		break;
	case GRID_SOUTH:
		*x = grid->origin_x + (int64_t)index;
		*y = grid->origin_y + grid->height;
		break;
	case GRID_WEST:
		*x = grid->origin_x - 1;
		*y = grid->origin_y + (int64_t)index;
		break;
	default:
		*x = grid->origin_x + grid->width;
		*y = grid->origin_y + (int64_t)index;
		break;
	}
}

/* Free one set of edge addresses of a grid of the given size. */
static void
grid_edges_free(const struct grid *grid, char ***edges)
{
	size_t	 i;
	int	 direction;

	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (edges[direction] == NULL)
			continue;
		for (i = 0; i < grid_edge_length(grid, direction); i++)
			free(edges[direction][i]);
		free(edges[direction]);
		edges[direction] = NULL;
	}
}

/* Free a set_agent_neighbors in progress (its request was answered). */
static void
grid_wiring_free(const struct grid *grid, struct grid_wiring *wiring)
{
	int	 direction;

	grid_edges_free(grid, wiring->edges);
	for (direction = 0; direction < GRID_DIRECTIONS; direction++)
		free(wiring->from[direction]);
	json_object_put(wiring->error);
	free(wiring->lookups);
	free(wiring);
}

/* Free the grid (at exit); a wiring still waiting is dropped. */
void
grid_free(void)
{
	grid_destroy(grid_current);
	grid_current = NULL;
}

/* Free a grid, the environment's or one not yet installed. */
void
grid_destroy(struct grid *grid)
{
	int		 direction;

	if (grid == NULL)
		return;
	if (grid->wiring != NULL) {
		free(grid->wiring->request);
		grid_wiring_free(grid, grid->wiring);
	}
	grid_edges_free(grid, grid->edges);
	grid_values_free(grid);
	for (direction = 0; direction < GRID_DIRECTIONS; direction++)
		free(grid->neighbors[direction]);
	free(grid->slave_first);
	free(grid);
}

/* Return 1 unless a grid is set and not yet full. */
int
grid_is_ready(void)
{
	struct grid	*grid = grid_current;

	if (grid_cells(grid) == 0)
		return (1);
	return (grid_placed(grid) == grid_cells(grid));
}

/*
 * Before an agent is spawned: refuse it if the grid is full, or if its
 * type needs a grid and there is none. Fills error.
 */
int
grid_spawn_check(const struct cr_agent_type *type, struct json_object **error)
{
	struct grid	*grid = grid_current;

	if (grid_cells(grid) == 0) {
		if (!grid_types_needs_grid(type))
			return (0);
		*error = rpc_error_newf(RPC_NOT_READY,
		    json_object_new_string(type->name), "an agent of type "
		    "'%s' needs a grid: set_gs first", type->name);
		return (-1);
	}
	if (grid_placed(grid) < grid_cells(grid))
		return (0);
	*error = rpc_error_newf(RPC_FAILED, grid_pair(grid->width,
	    grid->height), "the grid is full: %lld x %lld agents from "
	    "(%lld, %lld)", (long long)grid->width, (long long)grid->height,
	    (long long)grid->origin_x, (long long)grid->origin_y);
	return (-1);
}

/* Return a new JSON array [a, b]. */
struct json_object *
grid_pair(int64_t a, int64_t b)
{
	struct json_object	*pair;

	pair = json_object_new_array_ext(2);
	json_object_array_add(pair, json_object_new_int64(a));
	json_object_array_add(pair, json_object_new_int64(b));
	return (pair);
}

/*
 * Read the parameter name as a pair of integers [a, b], each within
 * min..max. Fills error, naming the element out of range.
 */
int
grid_parse_pair(struct json_object *params, const char *name, int64_t min,
    int64_t max, int64_t *a, int64_t *b, struct json_object **error)
{
	int	 i;

	struct json_object	*pair, *first, *second;

	pair = rpc_param(params, name);
	if (pair == NULL || !json_object_is_type(pair, json_type_array) ||
	    json_object_array_length(pair) != 2 ||
	    !json_object_is_type(first = json_object_array_get_idx(pair, 0),
	    json_type_int) ||
	    !json_object_is_type(second = json_object_array_get_idx(pair, 1),
	    json_type_int)) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string(name), "'%s' must be a pair of "
		    "integers", name);
		return (-1);
	}
	*a = json_object_get_int64(first);
	*b = json_object_get_int64(second);
	for (i = 0; i < 2; i++) {
		if ((i == 0 ? *a : *b) >= min && (i == 0 ? *a : *b) <= max)
			continue;
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string(name), "'%s[%d]' is %lld: it must "
		    "be within %lld..%lld", name, i,
		    (long long)(i == 0 ? *a : *b), (long long)min,
		    (long long)max);
		return (-1);
	}
	return (0);
}

/*
 * Read a grid size "gs" as a slave and a master both do: [w, h], each
 * side from 1, at most GRID_CELLS_MAX cells. Fills error.
 */
int
grid_parse_size(struct json_object *params, int64_t *width, int64_t *height,
    struct json_object **error)
{
	if (grid_parse_pair(params, "gs", 1, GRID_CELLS_MAX, width, height,
	    error) != 0)
		return (-1);
	if (*width > GRID_CELLS_MAX / *height) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("gs"), "'gs' is [%lld, %lld], %lld "
		    "cells: at most %d", (long long)*width,
		    (long long)*height, (long long)(*width * *height),
		    GRID_CELLS_MAX);
		return (-1);
	}
	return (0);
}

/* Return the direction named N, E, S or W, or -1. */
int
grid_parse_direction(const char *name)
{
	int	 direction;

	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (strcmp(name, grid_names[direction]) == 0)
			return (direction);
	}
	return (-1);
}

/* Return the name of a direction: N, E, S or W. */
const char *
grid_direction_name(int direction)
{
	return (grid_names[direction]);
}

/* Return 1 and the agent's coordinates if it is in the grid; see
 * creamas_agent(3). */
int
cr_grid_xy(const struct cr_agent *agent, int64_t *x, int64_t *y)
{
	struct grid	*grid = grid_current;
	size_t		 index;

	if (grid_cells(grid) == 0 || agent->id < grid->first)
		return (0);
	index = agent->id - grid->first;
	if (index >= grid_cells(grid))
		return (0);
	*x = grid->origin_x + (int64_t)(index / (size_t)grid->height);
	*y = grid->origin_y + (int64_t)(index % (size_t)grid->height);
	return (1);
}

/* Return 1 if (x, y) is a cell of the grid. */
static int
grid_contains(const struct grid *grid, int64_t x, int64_t y)
{
	return (grid_cells(grid) > 0 && x >= grid->origin_x &&
	    x - grid->origin_x < grid->width && y >= grid->origin_y &&
	    y - grid->origin_y < grid->height);
}

/* Return the number of the agent at a cell of the grid. */
static size_t
grid_cell_agent(const struct grid *grid, int64_t x, int64_t y)
{
	return (grid->first + (size_t)(x - grid->origin_x) *
	    (size_t)grid->height + (size_t)(y - grid->origin_y));
}

/*
 * Write the address of an agent's neighbour in a direction into buffer;
 * return 1, or 0 if it has none (at an edge with nothing beyond, or
 * before set_agent_neighbors).
 */
int
cr_grid_neighbor(const struct cr_agent *agent, int direction,
    char *buffer, size_t size)
{
	struct grid	*grid = grid_current;
	const char	*beyond;
	int64_t		 x, y;
	size_t		 index;

	if (!cr_grid_xy(agent, &x, &y) || !grid->wired)
		return (0);
	x += grid_dx[direction];
	y += grid_dy[direction];
	if (grid_contains(grid, x, y)) {
		snprintf(buffer, size, "%s%zu", env->prefix,
		    grid_cell_agent(grid, x, y));
		return (1);
	}
	if (grid->edges[direction] == NULL)
		return (0);
	if (direction == GRID_NORTH || direction == GRID_SOUTH)
		index = (size_t)(x - grid->origin_x);
	else
		index = (size_t)(y - grid->origin_y);
	if ((beyond = grid->edges[direction][index]) == NULL)
		return (0);
	snprintf(buffer, size, "%s", beyond);
	return (1);
}

/*
 * The calls every grid agent answers: get_xy, its [x, y], and
 * get_neighbors, {"N": address or null, ...}. CR_NO_METHOD for others.
 */
int
grid_agent_call(struct cr_agent *agent, const char *method,
    const struct json_object *params, struct json_object **result)
{
	char	 address[CR_ADDRESS_MAX];
	int64_t	 x, y;
	int	 direction;

	if (strcmp(method, "get_xy") == 0) {
		*result = cr_grid_xy(agent, &x, &y) ? grid_pair(x, y) : NULL;
		return (CR_OK);
	}
	if (strcmp(method, "get_neighbors") == 0) {
		*result = json_object_new_object();
		for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
			json_object_object_add(*result, grid_names[direction],
			    cr_grid_neighbor(agent, direction, address,
			    sizeof address) ? json_object_new_string(address) :
			    NULL);
		}
		return (CR_OK);
	}
	return (CR_NO_METHOD);
}

/* Refuse to change the grid while a round runs. */
static int
grid_check_idle(struct json_object **error)
{
	if (env->round == NULL)
		return (0);
	*error = rpc_error_new(RPC_BUSY, "a round is running: the grid "
	    "changes between rounds", NULL);
	return (-1);
}

/*
 * The error of a slave and of a master alike for a grid whose size or
 * origin (what) is fixed since it holds agents; takes data.
 */
struct json_object *
grid_fixed_error(size_t placed, const char *what, struct json_object *data)
{
	return (rpc_error_newf(RPC_FAILED, data, "the grid already holds "
	    "%zu agents: its %s is fixed", placed, what));
}

/* Refuse to change the grid once agents are placed or while wiring. */
static int
grid_check_unplaced(struct grid *grid, const char *what,
    struct json_object **error)
{
	if (grid_check_idle(error) != 0)
		return (-1);
	if (grid->wiring != NULL) {
		*error = rpc_error_new(RPC_BUSY, "set_agent_neighbors is "
		    "running", NULL);
		return (-1);
	}
	if (grid_placed(grid) > 0) {
		*error = grid_fixed_error(grid_placed(grid), what, NULL);
		return (-1);
	}
	return (0);
}

/* set_gs {"gs": [w, h]}: the size of the grid, before any agent. */
void
grid_set_gs(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_get();
	struct json_object	*error;
	int64_t			 width, height;

	if (grid_parse_size(params, &width, &height, &error) != 0 ||
	    grid_check_unplaced(grid, "size", &error) != 0) {
		request_error(request, error);
		return;
	}
	grid_edges_free(grid, grid->edges);
	grid_values_free(grid);
	grid->wired = 0;
	grid->width = width;
	grid->height = height;
	grid->first = env->nagents;
	request_reply(request, NULL);
}

/* get_gs: [w, h], [0, 0] before set_gs. */
void
grid_get_gs(struct request *request, struct json_object *params)
{
	struct grid	*grid = grid_current;

	request_reply(request, grid != NULL ?
	    grid_pair(grid->width, grid->height) : grid_pair(0, 0));
}

/* set_origin {"origin": [x, y]}: the cell of the first agent. */
void
grid_set_origin(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_get();
	struct json_object	*error;
	int64_t			 x, y;

	if (grid_parse_pair(params, "origin", -GRID_COORD_MAX,
	    GRID_COORD_MAX, &x, &y,
	    &error) != 0 || grid_check_unplaced(grid, "origin", &error) != 0) {
		request_error(request, error);
		return;
	}
	grid_edges_free(grid, grid->edges);
	grid_values_free(grid);
	grid->wired = 0;
	grid->origin_x = x;
	grid->origin_y = y;
	request_reply(request, NULL);
}

/* get_origin: [x, y], [0, 0] unless set. */
void
grid_get_origin(struct request *request, struct json_object *params)
{
	struct grid	*grid = grid_current;

	request_reply(request, grid != NULL ?
	    grid_pair(grid->origin_x, grid->origin_y) : grid_pair(0, 0));
}

/* get_xy_address {"xy": [x, y]}: the agent there; outside is an error. */
void
grid_get_xy_address(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_current;
	struct json_object	*error;
	int64_t			 x, y;
	size_t			 id;
	char			*address;

	if (grid_parse_pair(params, "xy", -GRID_XY_MAX, GRID_XY_MAX, &x, &y,
	    &error) != 0) {
		request_error(request, error);
		return;
	}
	if (!grid_contains(grid, x, y)) {
		request_error(request, rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("xy"), "(%lld, %lld) is outside "
		    "the grid of this environment: %lld x %lld from "
		    "(%lld, %lld)", (long long)x, (long long)y,
		    (long long)(grid != NULL ? grid->width : 0),
		    (long long)(grid != NULL ? grid->height : 0),
		    (long long)(grid != NULL ? grid->origin_x : 0),
		    (long long)(grid != NULL ? grid->origin_y : 0)));
		return;
	}
	if ((id = grid_cell_agent(grid, x, y)) >= env->nagents) {
		request_error(request, rpc_error_newf(RPC_NOT_READY,
		    grid_pair(x, y), "no agent at (%lld, %lld) yet: the grid "
		    "holds %zu of %zu", (long long)x, (long long)y,
		    grid_placed(grid), grid_cells(grid)));
		return;
	}
	xasprintf(&address, "%s%zu", env->prefix, id);
	request_reply(request, json_object_new_string(address));
	free(address);
}

/*
 * get_xy_environment {"xy": [x, y]}: this environment's manager if the
 * cell is in its grid, else null (as a master answers for its slaves).
 */
void
grid_get_xy_environment(struct request *request, struct json_object *params)
{
	struct json_object	*error;
	int64_t			 x, y;
	char			*manager;

	if (grid_parse_pair(params, "xy", -GRID_XY_MAX, GRID_XY_MAX, &x, &y,
	    &error) != 0) {
		request_error(request, error);
		return;
	}
	if (!grid_contains(grid_current, x, y)) {
		request_reply(request, NULL);
		return;
	}
	xasprintf(&manager, "%s0", env->prefix);
	request_reply(request, json_object_new_string(manager));
	free(manager);
}

/*
 * set_grid_neighbor {"direction": "N|E|S|W", "addr": manager or null}:
 * the environment beyond one side, used by set_agent_neighbors.
 */
void
grid_set_grid_neighbor(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_get();
	struct json_object	*address = rpc_param(params, "addr");
	const char		*name;
	struct addr		 parsed;
	char			*cause;
	int			 direction;

	name = json_object_get_string(rpc_param(params, "direction"));
	if ((direction = grid_parse_direction(name)) == -1) {
		request_error(request, rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("direction"), "direction must be "
		    "N, E, S or W, not '%s'", rpc_quote(name)));
		return;
	}
	if (address != NULL && !json_object_is_type(address,
	    json_type_string)) {
		request_error(request, rpc_error_new(RPC_INVALID_PARAMS,
		    "addr must be a manager's address or null",
		    json_object_new_string("addr")));
		return;
	}
	if (address != NULL && addr_parse(json_object_get_string(address),
	    &parsed, &cause) != 0) {
		request_error(request, rpc_error_new(RPC_INVALID_PARAMS, cause,
		    json_object_new_string("addr")));
		free(cause);
		return;
	}
	free(grid->neighbors[direction]);
	grid->neighbors[direction] = address != NULL ?
	    xstrdup(json_object_get_string(address)) : NULL;
	request_reply(request, NULL);
}

/* Every address is in (or one failed): install them, or say why not. */
static void
grid_wiring_finish(struct grid_wiring *wiring)
{
	struct grid	*grid = grid_current;
	struct request	*request = wiring->request;
	int		 direction;

	grid->wiring = NULL;
	if (wiring->error != NULL) {
		request_error(request, json_object_get(wiring->error));
		grid_wiring_free(grid, wiring);
		return;
	}
	grid_edges_free(grid, grid->edges);
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		grid->edges[direction] = wiring->edges[direction];
		wiring->edges[direction] = NULL;
	}
	grid->wired = 1;
	grid_values_plan(grid);
	grid_wiring_free(grid, wiring);
	request_reply(request, NULL);
}

/* One lookup fewer to wait for. */
static void
grid_wiring_release(struct grid_wiring *wiring)
{
	if (--wiring->pending == 0)
		grid_wiring_finish(wiring);
}

/* Keep the first failure of a wiring, saying which cell it was about. */
static void
grid_wiring_fail(struct grid_lookup *lookup, int code, const char *message)
{
	struct grid_wiring	*wiring = lookup->wiring;

	if (wiring->error != NULL)
		return;
	wiring->error = rpc_error_newf(code,
	    json_object_new_string(wiring->from[lookup->direction]),
	    "set_agent_neighbors: the agent at (%lld, %lld), %s of the grid, "
	    "from %s: %s", (long long)lookup->x, (long long)lookup->y,
	    grid_names[lookup->direction], wiring->from[lookup->direction],
	    message);
}

/* Return the text of a JSON string that was handed over as const. */
static const char *
grid_string(const struct json_object *value)
{
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} string = { value };

	return (json_object_get_string(string.plain));
}

/* A neighbouring environment said which agent is across the edge. */
static void
grid_lookup_done(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct grid_lookup	*lookup = arg;
	struct grid_wiring	*wiring = lookup->wiring;

	if (error != NULL)
		grid_wiring_fail(lookup, rpc_error_code(error),
		    rpc_error_message(error));
	else if (json_object_is_type(result, json_type_string))
		wiring->edges[lookup->direction][lookup->index] =
		    xstrdup(grid_string(result));
	else if (result != NULL)
		grid_wiring_fail(lookup, RPC_FAILED, "the answer is no "
		    "address");
	grid_wiring_release(wiring);
}

/*
 * set_agent_neighbors (and a slave's set_neighbors: it has no slaves to
 * wire): every agent of the full grid learns its neighbours; across each
 * edge with an environment beyond, that environment (or a master, which
 * passes it on) is asked for the agent at every cell along the edge, all
 * at once.
 */
void
grid_set_agent_neighbors(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_current;
	struct grid_wiring	*wiring;
	struct grid_lookup	*lookup;
	struct json_object	*call_params, *error;
	size_t			 count = 0, i, k = 0;
	int			 direction;

	if (grid_cells(grid) == 0 || !grid_is_ready()) {
		request_error(request, rpc_error_newf(RPC_NOT_READY, NULL,
		    "the grid is not full: it holds %zu of %zu agents",
		    grid_placed(grid), grid_cells(grid)));
		return;
	}
	if (grid->wiring != NULL) {
		request_error(request, rpc_error_new(RPC_BUSY,
		    "set_agent_neighbors is already running", NULL));
		return;
	}
	if (grid_check_idle(&error) != 0) {
		request_error(request, error);
		return;
	}
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (grid->neighbors[direction] != NULL)
			count += grid_edge_length(grid, direction);
	}
	wiring = xcalloc(1, sizeof *wiring);
	wiring->request = request;
	wiring->lookups = xcalloc(count > 0 ? count : 1,
	    sizeof *wiring->lookups);
	wiring->pending = 1;	/* until every lookup has been sent */
	grid->wiring = wiring;
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (grid->neighbors[direction] == NULL)
			continue;
		wiring->from[direction] = xstrdup(grid->neighbors[direction]);
		wiring->edges[direction] = xcalloc(grid_edge_length(grid,
		    direction), sizeof *wiring->edges[direction]);
		for (i = 0; i < grid_edge_length(grid, direction); i++) {
			lookup = &wiring->lookups[k++];
			lookup->wiring = wiring;
			lookup->direction = direction;
			lookup->index = i;
			grid_edge_xy(grid, direction, i, &lookup->x,
			    &lookup->y);
			call_params = json_object_new_object();
			json_object_object_add(call_params, "xy",
			    grid_pair(lookup->x, lookup->y));
			wiring->pending++;
			if (call_manager(wiring->from[direction],
			    "get_xy_address", call_params, grid_lookup_done,
			    lookup) != 0) {
				grid_wiring_fail(lookup, RPC_FAILED,
				    "cannot call it");
				wiring->pending--;
			}
		}
	}
	grid_wiring_release(wiring);
}

/*
 * Write placed agent i's cell as text into get_grid's list:
 * {"xy": [x, y]}, with "value" when its type answers get_value. Return
 * -1 if memory ran out.
 */
static int
grid_cell_append(struct evbuffer *list, size_t i, void *arg)
{
	struct cr_agent		*agent = env->agents[grid_current->first + i];
	struct json_object	*value = NULL;
	const char		*text;
	size_t			 length;
	int64_t			 x, y;
	int			 rc;

	cr_grid_xy(agent, &x, &y);
	rc = evbuffer_add_printf(list, "%s{\"xy\":[%" PRId64 ",%" PRId64
	    "]", evbuffer_get_length(list) == 0 ? "" : ",", x, y) < 0;
	if (agent->type->call != NULL && agent->type->call(agent,
	    "get_value", NULL, &value) == CR_OK && value != NULL) {
		text = rpc_serialize(value, &length);
		rc |= evbuffer_add(list, ",\"value\":", 9) != 0 ||
		    evbuffer_add(list, text, length) != 0;
	}
	json_object_put(value);
	rc |= evbuffer_add(list, "}", 1) != 0;
	return (rc ? -1 : 0);
}

/*
 * get_grid: every placed agent's cell in agent order, written as text
 * straight into the reply, in slices.
 */
void
grid_get_grid(struct request *request, struct json_object *params)
{
	listing_start(request, params, 0, grid_placed(grid_current),
	    grid_cell_append, NULL);
}
