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
#include <string.h>

#include "creamasd.h"
#include "grid.h"
#include "log.h"
#include "xmalloc.h"

/*
 * A master's grid, Creamas' GridMultiEnvironment: its slaves' grids side
 * by side, slave k from (origin x + k * w, origin y) with the same size
 * (w, h) each, so the node holds S * w by h cells. The master knows which
 * slave holds a cell and wires the slaves to each other and, once told
 * its node neighbours with set_grid_neighbor, to the slaves of the nodes
 * around it.
 *
 * Creamas wires only the west side of the first slave and only the east
 * side of the last when the node has a neighbour that way, so with two
 * or more slaves the first slave never learns its east neighbour and the
 * last its west one; here every slave gets all four sides every time.
 */

#define MASTER_GRID_XY_MAX	(INT64_C(1) << 60)

struct master_grid_batch;

/* One call of a batch: to a slave of this master, or to another node. */
struct master_grid_slot {
	struct master_grid_batch *batch;
	size_t			 index;
	size_t			 slave;		/* for a call to a slave */
	char			*peer;		/* for a call to a node */
	int64_t			 x;		/* the cell asked about */
	int64_t			 y;
};

/* Calls to slaves and nodes at once, answered when all are back. */
struct master_grid_batch {
	struct request		*request;
	size_t			 count;
	size_t			 pending;
	struct master_grid_slot	*slots;
	struct json_object	**results;
	struct json_object	*error;		/* the first failure */
	void			(*done)(struct master_grid_batch *);
	char			**addresses;	/* set_slave_neighbors */
	size_t			 naddresses;
};

/* Start a batch of count calls; done runs once all have answered. */
static struct master_grid_batch *
master_grid_batch_new(struct request *request, size_t count,
    void (*done)(struct master_grid_batch *))
{
	struct master_grid_batch	*batch;
	size_t				 i;

	batch = xcalloc(1, sizeof *batch);
	batch->request = request;
	batch->count = count;
	batch->pending = 1;	/* until every call has been made */
	batch->done = done;
	batch->slots = xcalloc(count > 0 ? count : 1, sizeof *batch->slots);
	batch->results = xcalloc(count > 0 ? count : 1,
	    sizeof *batch->results);
	for (i = 0; i < count; i++) {
		batch->slots[i].batch = batch;
		batch->slots[i].index = i;
	}
	return (batch);
}

/* Free a batch whose request has been answered. */
static void
master_grid_batch_free(struct master_grid_batch *batch)
{
	size_t	 i;

	for (i = 0; i < batch->count; i++) {
		json_object_put(batch->results[i]);
		free(batch->slots[i].peer);
	}
	if (batch->addresses != NULL) {
		for (i = 0; i < batch->naddresses; i++)
			free(batch->addresses[i]);
		free(batch->addresses);
	}
	json_object_put(batch->error);
	free(batch->results);
	free(batch->slots);
	free(batch);
}

/* One call fewer to wait for: when none is left, finish the batch. */
static void
master_grid_batch_release(struct master_grid_batch *batch)
{
	if (--batch->pending > 0)
		return;
	batch->done(batch);
	master_grid_batch_free(batch);
}

/* Keep the first failure of a batch. */
static void
master_grid_batch_fail(struct master_grid_batch *batch, int code,
    const char *peer, const char *message)
{
	if (batch->error != NULL)
		return;
	batch->error = rpc_error_newf(code, json_object_new_string(peer),
	    "%s: %s", peer, message);
}

/* A slave answered a call of a batch. */
static void
master_grid_slave_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	struct master_grid_slot	*slot = arg;
	struct slave		*slave = &master->slaves[slot->slave];
	int			 code;

	if (error != NULL) {
		code = rpc_error_code(error);
		if (code == RPC_CONNECTION_LOST || slave->state == SLAVE_LOST)
			code = RPC_SLAVE_LOST;
		master_grid_batch_fail(slot->batch, code, slave->address,
		    rpc_error_message(error));
	} else
		slot->batch->results[slot->index] = json_object_get(result);
	master_grid_batch_release(slot->batch);
}

/* Return 1 if a slave can still be asked. */
static int
master_grid_slave_live(const struct slave *slave)
{
	return (slave->state != SLAVE_LOST && slave->state != SLAVE_STOPPED);
}

/* Send method(params, taken) to a slave as call index of a batch. */
static void
master_grid_batch_slave(struct master_grid_batch *batch, size_t index,
    size_t slave, const char *method, struct json_object *params,
    double timeout)
{
	struct master_grid_slot	*slot = &batch->slots[index];
	struct slave		*target = &master->slaves[slave];

	slot->slave = slave;
	if (!master_grid_slave_live(target)) {
		master_grid_batch_fail(batch, RPC_SLAVE_LOST, target->address,
		    target->reason != NULL ? target->reason : "lost");
		json_object_put(params);
		return;
	}
	batch->pending++;
	client_call(target->client, method, params, timeout,
	    master_grid_slave_done, slot);
}

/* Another node answered a call of a batch. */
static void
master_grid_node_done(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct master_grid_slot	*slot = arg;
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} answer = { result };

	if (error != NULL)
		master_grid_batch_fail(slot->batch, rpc_error_code(error),
		    slot->peer, rpc_error_message(error));
	else
		slot->batch->results[slot->index] =
		    json_object_get(answer.plain);
	master_grid_batch_release(slot->batch);
}

/* Ask another node's manager which environment holds (x, y). */
static void
master_grid_batch_node(struct master_grid_batch *batch, size_t index,
    const char *peer, int64_t x, int64_t y)
{
	struct master_grid_slot	*slot = &batch->slots[index];
	struct json_object	*params;

	slot->peer = xstrdup(peer);
	slot->x = x;
	slot->y = y;
	params = json_object_new_object();
	json_object_object_add(params, "xy", grid_pair(x, y));
	batch->pending++;
	if (cr_agent_call(NULL, peer, "get_xy_environment", params,
	    master_grid_node_done, slot) != 0) {
		master_grid_batch_fail(batch, RPC_FAILED, peer,
		    "cannot call it");
		batch->pending--;
	}
}

/* Done: an error if any call failed, else null. */
static void
master_grid_done_null(struct master_grid_batch *batch)
{
	if (batch->error != NULL)
		request_error(batch->request, json_object_get(batch->error));
	else
		request_reply(batch->request, NULL);
}

/* Return new params {"name": [a, b]}. */
static struct json_object *
master_grid_pair_params(const char *name, int64_t a, int64_t b)
{
	struct json_object	*params;

	params = json_object_new_object();
	json_object_object_add(params, name, grid_pair(a, b));
	return (params);
}

/* Send every slave its origin (and its size, with gs) in one batch. */
static void
master_grid_send_layout(struct request *request, int with_size)
{
	struct grid			*grid = grid_current;
	struct master_grid_batch	*batch;
	size_t				 k, per = with_size ? 2 : 1;

	batch = master_grid_batch_new(request, per * master->nslaves,
	    master_grid_done_null);
	for (k = 0; k < master->nslaves; k++) {
		if (with_size)
			master_grid_batch_slave(batch, per * k, k, "set_gs",
			    master_grid_pair_params("gs", grid->width,
			    grid->height), env->config->limits.call_timeout);
		master_grid_batch_slave(batch, per * k + per - 1, k,
		    "set_origin", master_grid_pair_params("origin",
		    grid->origin_x + (int64_t)k * grid->width,
		    grid->origin_y), env->config->limits.call_timeout);
	}
	master_grid_batch_release(batch);
}

/*
 * Return 0 if the node's grid size or origin (what) may still change: no
 * slave's grid holds agents, the rule of a slave, which refuses a new
 * size or origin then (the master must not take one it will not get).
 * The agents a slave held before the grid was set have no cell and do
 * not count. Fills error, the slave's own, naming the slave, otherwise.
 */
static int
master_grid_may_change(const char *what, struct json_object **error)
{
	struct grid	*grid = grid_current;
	struct slave	*slave;
	uint64_t	 placed;
	size_t		 k;

	if (grid == NULL || grid->width == 0)
		return (0);
	for (k = 0; k < master->nslaves; k++) {
		slave = &master->slaves[k];
		if (k >= grid->nslave_first ||
		    slave->agents <= grid->slave_first[k])
			continue;
		placed = slave->agents - grid->slave_first[k];
		if (placed > grid_cells(grid))
			placed = grid_cells(grid);
		*error = grid_fixed_error((size_t)placed, what,
		    json_object_new_string(slave->address));
		return (-1);
	}
	return (0);
}

/* set_gs {"gs": [w, h]}: the size of every slave's grid. */
void
master_grid_set_gs(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_get();
	struct json_object	*error;
	int64_t			 width, height;
	size_t			 k;

	if (grid_parse_size(params, &width, &height, &error) != 0 ||
	    master_grid_may_change("size", &error) != 0) {
		request_error(request, error);
		return;
	}
	grid->width = width;
	grid->height = height;
	grid->slave_first = xreallocarray(grid->slave_first, master->nslaves,
	    sizeof *grid->slave_first);
	grid->nslave_first = master->nslaves;
	for (k = 0; k < master->nslaves; k++)
		grid->slave_first[k] = master->slaves[k].agents;
	master_grid_send_layout(request, 1);
}

/* set_origin {"origin": [x, y]}: the node's origin, slave 0's. */
void
master_grid_set_origin(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_get();
	struct json_object	*error;
	int64_t			 x, y;

	if (grid_parse_pair(params, "origin", -GRID_COORD_MAX,
	    GRID_COORD_MAX, &x, &y,
	    &error) != 0 || master_grid_may_change("origin", &error) != 0) {
		request_error(request, error);
		return;
	}
	grid->origin_x = x;
	grid->origin_y = y;
	if (grid->width == 0) {
		request_reply(request, NULL);	/* sent with set_gs */
		return;
	}
	master_grid_send_layout(request, 0);
}

/* Find the slave whose grid holds (x, y); -1 if none does. */
static int
master_grid_slave_at(int64_t x, int64_t y, size_t *index)
{
	struct grid	*grid = grid_current;
	int64_t		 column;

	if (grid == NULL || grid->width == 0)
		return (-1);
	if (y < grid->origin_y || y - grid->origin_y >= grid->height ||
	    x < grid->origin_x)
		return (-1);
	column = (x - grid->origin_x) / grid->width;
	if (column >= (int64_t)master->nslaves)
		return (-1);
	*index = (size_t)column;
	return (0);
}

/* get_xy_environment {"xy"}: the manager of the slave holding it, or null. */
void
master_grid_get_xy_environment(struct request *request,
    struct json_object *params)
{
	struct json_object	*error;
	int64_t			 x, y;
	size_t			 index;

	if (grid_parse_pair(params, "xy", -MASTER_GRID_XY_MAX,
	    MASTER_GRID_XY_MAX, &x, &y,
	    &error) != 0) {
		request_error(request, error);
		return;
	}
	if (master_grid_slave_at(x, y, &index) != 0) {
		request_reply(request, NULL);
		return;
	}
	request_reply(request,
	    json_object_new_string(master->slaves[index].address));
}

/* The slave said who is at a cell: pass its answer on. */
static void
master_grid_forward_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	struct request	*request = arg;

	if (error != NULL)
		request_error(request, json_object_get(error));
	else
		request_reply(request, json_object_get(result));
}

/* get_xy_address {"xy"}: asked of the slave holding the cell. */
void
master_grid_get_xy_address(struct request *request,
    struct json_object *params)
{
	struct grid		*grid = grid_current;
	struct json_object	*error;
	struct slave		*slave;
	int64_t			 x, y;
	size_t			 index;

	if (grid_parse_pair(params, "xy", -MASTER_GRID_XY_MAX,
	    MASTER_GRID_XY_MAX, &x, &y,
	    &error) != 0) {
		request_error(request, error);
		return;
	}
	if (master_grid_slave_at(x, y, &index) != 0) {
		request_error(request, rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("xy"), "(%lld, %lld) is outside "
		    "the grid of this node: %zu slaves of %lld x %lld from "
		    "(%lld, %lld)", (long long)x, (long long)y,
		    master->nslaves,
		    (long long)(grid != NULL ? grid->width : 0),
		    (long long)(grid != NULL ? grid->height : 0),
		    (long long)(grid != NULL ? grid->origin_x : 0),
		    (long long)(grid != NULL ? grid->origin_y : 0)));
		return;
	}
	slave = &master->slaves[index];
	if (!master_grid_slave_live(slave)) {
		request_error(request, rpc_error_newf(RPC_SLAVE_LOST,
		    json_object_new_string(slave->address), "slave %s lost: "
		    "%s", slave->address, slave->reason != NULL ?
		    slave->reason : "gone"));
		return;
	}
	client_call(slave->client, "get_xy_address", json_object_get(params),
	    env->config->limits.call_timeout, master_grid_forward_done,
	    request);
}

/*
 * The slots of set_slave_neighbors' lookups: for side d of slave k, slot
 * k * 8 + d asks about the cell across from one end of that side and
 * slot k * 8 + 4 + d about the cell across from the other end.
 */
#define MASTER_GRID_SLOTS	(2 * GRID_DIRECTIONS)

/* Ask a node which environment holds the cells across both ends of a side. */
static void
master_grid_ask_beyond(struct master_grid_batch *batch, size_t k,
    int direction, const char *peer, int64_t x, int64_t y, int64_t far_x,
    int64_t far_y)
{
	master_grid_batch_node(batch, k * MASTER_GRID_SLOTS + direction, peer,
	    x, y);
	master_grid_batch_node(batch, k * MASTER_GRID_SLOTS +
	    GRID_DIRECTIONS + direction, peer, far_x, far_y);
}

/*
 * Decide the environment beyond side d of slave k from the lookups: the
 * one holding the cells across, or, when the slave's edge spans more
 * than one environment of the node beyond (their slabs do not line up),
 * that node's manager, which passes each question on. Fills error.
 */
static int
master_grid_beyond(struct master_grid_batch *lookups, size_t k,
    int direction, char **address)
{
	struct master_grid_slot	*slot;
	struct json_object	*first, *last;
	size_t			 index;

	index = k * MASTER_GRID_SLOTS + direction;
	first = lookups->results[index];
	last = lookups->results[index + GRID_DIRECTIONS];
	slot = &lookups->slots[json_object_is_type(first, json_type_string) ?
	    index + GRID_DIRECTIONS : index];
	if (!json_object_is_type(first, json_type_string) ||
	    !json_object_is_type(last, json_type_string)) {
		lookups->error = rpc_error_newf(RPC_FAILED,
		    json_object_new_string(slot->peer), "%s: no environment "
		    "holds (%lld, %lld), %s of slave %s", slot->peer,
		    (long long)slot->x, (long long)slot->y,
		    grid_direction_name(direction),
		    master->slaves[k].address);
		return (-1);
	}
	if (strcmp(json_object_get_string(first),
	    json_object_get_string(last)) != 0)
		*address = xstrdup(slot->peer);
	else
		*address = xstrdup(json_object_get_string(first));
	return (0);
}

/*
 * set_slave_neighbors, second half: every environment around every
 * slave is known; tell each slave all four.
 */
static void
master_grid_done_lookups(struct master_grid_batch *lookups)
{
	struct master_grid_batch	*batch;
	struct json_object		*params;
	char				**addresses = lookups->addresses;
	size_t				 i, k;
	int				 direction;

	for (i = 0; i < lookups->naddresses && lookups->error == NULL; i++) {
		k = i / GRID_DIRECTIONS;
		direction = (int)(i % GRID_DIRECTIONS);
		if (lookups->slots[k * MASTER_GRID_SLOTS + direction].peer ==
		    NULL)
			continue;
		if (master_grid_beyond(lookups, k, direction,
		    &addresses[i]) != 0)
			break;
	}
	if (lookups->error != NULL) {
		request_error(lookups->request,
		    json_object_get(lookups->error));
		return;
	}
	batch = master_grid_batch_new(lookups->request, lookups->naddresses,
	    master_grid_done_null);
	for (i = 0; i < lookups->naddresses; i++) {
		params = json_object_new_object();
		json_object_object_add(params, "direction",
		    json_object_new_string(grid_direction_name(
		    (int)(i % GRID_DIRECTIONS))));
		json_object_object_add(params, "addr", addresses[i] != NULL ?
		    json_object_new_string(addresses[i]) : NULL);
		master_grid_batch_slave(batch, i, i / GRID_DIRECTIONS,
		    "set_grid_neighbor", params,
		    env->config->limits.call_timeout);
	}
	master_grid_batch_release(batch);
}

/*
 * set_slave_neighbors: the environment on each side of each slave. Inside
 * the node, the slaves next to it; at the node's edges, the environment
 * the neighbouring node says holds the cells across, or that node itself
 * when they lie in more than one of its environments, and none where the
 * node has no neighbour. Side d of slave k is addresses[k * 4 + d].
 */
void
master_grid_set_slave_neighbors(struct request *request,
    struct json_object *params)
{
	struct grid			*grid = grid_current;
	struct master_grid_batch	*batch;
	char				**addresses, **beyond;
	size_t				 k, last = master->nslaves - 1;
	int64_t				 x, end, top, bottom;

	if (grid == NULL || grid->width == 0) {
		request_error(request, rpc_error_new(RPC_NOT_READY,
		    "no grid: set_gs first", NULL));
		return;
	}
	beyond = grid->neighbors;
	top = grid->origin_y;
	bottom = grid->origin_y + grid->height - 1;
	batch = master_grid_batch_new(request,
	    MASTER_GRID_SLOTS * master->nslaves, master_grid_done_lookups);
	batch->naddresses = GRID_DIRECTIONS * master->nslaves;
	addresses = batch->addresses = xcalloc(batch->naddresses,
	    sizeof *batch->addresses);
	for (k = 0; k < master->nslaves; k++) {
		x = grid->origin_x + (int64_t)k * grid->width;
		end = x + grid->width - 1;
		if (k > 0)
			addresses[k * 4 + GRID_WEST] =
			    xstrdup(master->slaves[k - 1].address);
		else if (beyond[GRID_WEST] != NULL)
			master_grid_ask_beyond(batch, k, GRID_WEST,
			    beyond[GRID_WEST], x - 1, top, x - 1, bottom);
		if (k < last)
			addresses[k * 4 + GRID_EAST] =
			    xstrdup(master->slaves[k + 1].address);
		else if (beyond[GRID_EAST] != NULL)
			master_grid_ask_beyond(batch, k, GRID_EAST,
			    beyond[GRID_EAST], end + 1, top, end + 1, bottom);
		if (beyond[GRID_NORTH] != NULL)
			master_grid_ask_beyond(batch, k, GRID_NORTH,
			    beyond[GRID_NORTH], x, top - 1, end, top - 1);
		if (beyond[GRID_SOUTH] != NULL)
			master_grid_ask_beyond(batch, k, GRID_SOUTH,
			    beyond[GRID_SOUTH], x, bottom + 1, end, bottom + 1);
	}
	master_grid_batch_release(batch);
}

/* set_agent_neighbors: every slave wires its agents. */
void
master_grid_set_agent_neighbors(struct request *request,
    struct json_object *params)
{
	struct master_grid_batch	*batch;
	size_t				 k;

	batch = master_grid_batch_new(request, master->nslaves,
	    master_grid_done_null);
	/* A slave asks the environments around it in turn: allow for it. */
	for (k = 0; k < master->nslaves; k++)
		master_grid_batch_slave(batch, k, k, "set_agent_neighbors",
		    NULL, 2 * env->config->limits.call_timeout);
	master_grid_batch_release(batch);
}

/* set_neighbors, second half: the slaves are wired; now the agents. */
static void
master_grid_neighbors_done(struct json_object *result,
    struct json_object *error, void *arg)
{
	struct request	*request = arg;

	if (error != NULL)
		request_error(request, json_object_get(error));
	else
		master_grid_set_agent_neighbors(request, NULL);
}

/* set_neighbors: set_slave_neighbors, then set_agent_neighbors. */
void
master_grid_set_neighbors(struct request *request, struct json_object *params)
{
	master_grid_set_slave_neighbors(request_local(
	    master_grid_neighbors_done, request), NULL);
}
