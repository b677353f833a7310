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

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "creamasd.h"
#include "grid.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The values grid agents publish, and how they cross the edges. A grid
 * agent publishes a number each round (cr_grid_publish); its neighbours
 * read the number it had after the round before (cr_grid_neighbor_values)
 * straight from memory, never through a call. A round begins with a
 * snapshot of every published value and, when the grid has environments
 * beyond its edges, one get_cell_values call to each of them for all the
 * cells it borders at once; the agents act only when every edge is in
 * (or its environment has failed to answer: then the agents along it
 * find those values unknown, and the round says why). So every agent of
 * every environment reads the values of the same round, whatever the
 * order of acts and answers.
 */

/* An environment beyond an edge, and which cells it is asked for. */
struct grid_peer {
	char			*manager;	/* tcp://HOST:PORT/0 */
	struct json_object	*agents;	/* their numbers, an array */
	int			*directions;	/* where each answer goes */
	size_t			*indexes;
	size_t			 count;
	int			 awaiting;	/* asked this round */
};

/* How many values were read, and how they crossed between processes. */
struct grid_counts {
	uint64_t		 local_reads;	/* from this environment */
	uint64_t		 edge_reads;	/* from across an edge */
	uint64_t		 edge_calls;	/* get_cell_values sent */
	uint64_t		 edge_values;	/* values they brought */
	uint64_t		 served_calls;	/* get_cell_values answered */
	uint64_t		 served_values;
};

/* A grid's published values, the copy its agents read, and its edges. */
struct grid_values {
	double			*published;	/* per cell; NaN: none yet */
	double			*snapshot;	/* after snapshot_generation */
	double			*halo[GRID_DIRECTIONS];	/* across the edges */
	uint64_t		 generation;	/* rounds acted */
	uint64_t		 snapshot_generation;
	int			 snapshot_taken;
	struct grid_peer	*peers;
	size_t			 npeers;
	size_t			 awaiting;	/* peers yet to answer */
	struct round		*round;		/* the round fetching */
	struct grid_counts	 counts;
};

/* Return the values of the grid, making them if needed; NULL: no grid. */
static struct grid_values *
grid_values_get(void)
{
	if (grid_current == NULL)
		return (NULL);
	if (grid_current->values == NULL)
		grid_current->values = xcalloc(1, sizeof *grid_current->values);
	return (grid_current->values);
}

/* Return a new array of count doubles, every one NaN (no value). */
static double *
grid_values_array(size_t count)
{
	double	*array;
	size_t	 i;

	array = xcalloc(count > 0 ? count : 1, sizeof *array);
	for (i = 0; i < count; i++)
		array[i] = NAN;
	return (array);
}

/* Forget which environments lie beyond the edges. */
static void
grid_values_forget_peers(struct grid_values *values)
{
	size_t	 i;
	int	 direction;

	for (i = 0; i < values->npeers; i++) {
		free(values->peers[i].manager);
		json_object_put(values->peers[i].agents);
		free(values->peers[i].directions);
		free(values->peers[i].indexes);
	}
	free(values->peers);
	values->peers = NULL;
	values->npeers = 0;
	values->awaiting = 0;
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		free(values->halo[direction]);
		values->halo[direction] = NULL;
	}
}

/* Free the values of a grid (its size or origin changed, or at exit). */
void
grid_values_free(struct grid *grid)
{
	struct grid_values	*values = grid->values;

	if (values == NULL)
		return;
	grid_values_forget_peers(values);
	free(values->published);
	free(values->snapshot);
	free(values);
	grid->values = NULL;
}

/* Return the peer whose manager is at prefix + "0", adding it if new. */
static struct grid_peer *
grid_values_peer(struct grid_values *values, const char *address)
{
	struct grid_peer	*peer;
	const char		*slash = strrchr(address, '/');
	size_t			 length, i;

	length = slash != NULL ? (size_t)(slash - address) + 1 : 0;
	for (i = 0; i < values->npeers; i++) {
		peer = &values->peers[i];
		if (strncmp(peer->manager, address, length) == 0 &&
		    strcmp(peer->manager + length, "0") == 0)
			return (peer);
	}
	values->peers = xreallocarray(values->peers, values->npeers + 1,
	    sizeof *values->peers);
	peer = &values->peers[values->npeers++];
	memset(peer, 0, sizeof *peer);
	xasprintf(&peer->manager, "%.*s0", (int)length, address);
	peer->agents = json_object_new_array();
	return (peer);
}

/* Ask a peer for the agent at address, its answer going to a halo cell. */
static void
grid_values_peer_add(struct grid_peer *peer, long agent, int direction,
    size_t index)
{
	peer->directions = xreallocarray(peer->directions, peer->count + 1,
	    sizeof *peer->directions);
	peer->indexes = xreallocarray(peer->indexes, peer->count + 1,
	    sizeof *peer->indexes);
	peer->directions[peer->count] = direction;
	peer->indexes[peer->count] = index;
	peer->count++;
	json_object_array_add(peer->agents, json_object_new_int64(agent));
}

/*
 * The grid was wired: group the agents beyond its edges by environment,
 * so each round asks each environment once for all of them.
 */
void
grid_values_plan(struct grid *grid)
{
	struct grid_values	*values = grid_values_get();
	struct addr		 beyond;
	const char		*address;
	char			*cause;
	size_t			 i, length;
	int			 direction;

	grid_values_forget_peers(values);
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (grid->edges[direction] == NULL)
			continue;
		length = grid_edge_length(grid, direction);
		values->halo[direction] = grid_values_array(length);
		for (i = 0; i < length; i++) {
			if ((address = grid->edges[direction][i]) == NULL)
				continue;
			if (addr_parse(address, &beyond, &cause) != 0) {
				/* Checked when it was wired; cannot happen. */
				log_warnx("%s: %s", __func__, cause);
				free(cause);
				continue;
			}
			grid_values_peer_add(grid_values_peer(values, address),
			    beyond.agent, direction, i);
		}
	}
}

/* Return the index of an agent's cell in its grid, or -1 outside one. */
static ssize_t
grid_values_cell(const struct cr_agent *agent)
{
	struct grid	*grid = grid_current;

	if (grid_cells(grid) == 0 || agent->id < grid->first ||
	    agent->id - grid->first >= grid_cells(grid))
		return (-1);
	return ((ssize_t)(agent->id - grid->first));
}

/* Publish the agent's value for this round; see creamas_agent(3). */
int
cr_grid_publish(struct cr_agent *agent, double value)
{
	struct grid_values	*values;
	ssize_t			 cell;

	if ((cell = grid_values_cell(agent)) == -1 || isnan(value))
		return (-1);
	values = grid_values_get();
	if (values->published == NULL) {
		values->published = grid_values_array(grid_cells(grid_current));
		values->snapshot = grid_values_array(grid_cells(grid_current));
	}
	values->published[cell] = value;
	/* Before the first round, neighbours read what is published. */
	if (!values->snapshot_taken)
		values->snapshot[cell] = value;
	return (0);
}

/* An agent that failed its init leaves its cell with no value. */
void
grid_values_forget(const struct cr_agent *agent)
{
	struct grid_values	*values;
	ssize_t			 cell;

	if ((cell = grid_values_cell(agent)) == -1 ||
	    (values = grid_current->values) == NULL || values->published == NULL)
		return;
	values->published[cell] = NAN;
	values->snapshot[cell] = NAN;
}

/*
 * Read the value of the neighbour in one direction: from the snapshot
 * inside the grid (at cell + step), from the halo across the edge (at
 * along). Return 1 if there is a neighbour, 0 if none, -1 if its value
 * is not known.
 */
static int
grid_values_read(struct grid_values *values, int direction, int inside,
    size_t cell, ptrdiff_t step, size_t along, double *value)
{
	struct grid	*grid = grid_current;

	if (inside) {
		*value = values->snapshot[(ptrdiff_t)cell + step];
		values->counts.local_reads++;
	} else if (grid->edges[direction] != NULL &&
	    grid->edges[direction][along] != NULL) {
		*value = values->halo[direction] != NULL ?
		    values->halo[direction][along] : NAN;
		values->counts.edge_reads++;
	} else
		return (0);
	return (isnan(*value) ? -1 : 1);
}

/* Read the neighbours' values of the last round; see creamas_agent(3). */
int
cr_grid_neighbor_values(const struct cr_agent *agent,
    double out[CR_GRID_DIRECTIONS])
{
	struct grid		*grid = grid_current;
	struct grid_values	*values;
	size_t			 height, column, row;
	ssize_t			 cell;
	int			 found[GRID_DIRECTIONS], direction, mask = 0;

	if ((cell = grid_values_cell(agent)) == -1)
		return (-1);
	if (!grid->wired)
		return (0);
	if ((values = grid->values) == NULL || values->snapshot == NULL)
		return (-1);
	height = (size_t)grid->height;
	column = (size_t)cell / height;
	row = (size_t)cell - column * height;
	found[GRID_NORTH] = grid_values_read(values, GRID_NORTH, row > 0,
	    (size_t)cell, -1, column, &out[GRID_NORTH]);
	found[GRID_EAST] = grid_values_read(values, GRID_EAST,
	    column + 1 < (size_t)grid->width, (size_t)cell,
	    (ptrdiff_t)height, row, &out[GRID_EAST]);
	found[GRID_SOUTH] = grid_values_read(values, GRID_SOUTH,
	    row + 1 < height, (size_t)cell, 1, column, &out[GRID_SOUTH]);
	found[GRID_WEST] = grid_values_read(values, GRID_WEST, column > 0,
	    (size_t)cell, -(ptrdiff_t)height, row, &out[GRID_WEST]);
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		if (found[direction] == -1)
			return (-1);
		if (found[direction] == 1)
			mask |= 1 << direction;
	}
	return (mask);
}

/*
 * A peer's values cannot be had this round: the round says why, and the
 * agents along those cells find their neighbours' values unknown.
 */
static void
grid_values_fail(struct grid_values *values, struct grid_peer *peer,
    int code, const char *message)
{
	char	*text;
	size_t	 i;

	xasprintf(&text, "values of round %llu from %s: %s",
	    (unsigned long long)values->snapshot_generation, peer->manager,
	    message);
	round_error(values->round, NULL, code, text);
	free(text);
	for (i = 0; i < peer->count; i++)
		values->halo[peer->directions[i]][peer->indexes[i]] = NAN;
	peer->awaiting = 0;
	values->awaiting--;
}

/* Copy a peer's answer into the halo; 0, or -1 if it is malformed. */
static int
grid_values_take(struct grid_values *values, const struct grid_peer *peer,
    const struct json_object *result)
{
	struct json_object	*generation, *list, *value;
	size_t			 i;

	if (!json_object_object_get_ex(result, "generation", &generation) ||
	    json_object_get_int64(generation) !=
	    (int64_t)values->snapshot_generation ||
	    !json_object_object_get_ex(result, "values", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) != peer->count)
		return (-1);
	for (i = 0; i < peer->count; i++) {
		value = json_object_array_get_idx(list, i);
		if (value != NULL && !json_object_is_type(value,
		    json_type_double) && !json_object_is_type(value,
		    json_type_int))
			return (-1);
		values->halo[peer->directions[i]][peer->indexes[i]] =
		    value != NULL ? json_object_get_double(value) : NAN;
	}
	values->counts.edge_values += peer->count;
	return (0);
}

/* A peer answered get_cell_values (or failed). */
static void
grid_values_answered(struct cr_agent *unused, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct grid_values	*values = grid_current != NULL ?
				    grid_current->values : NULL;
	struct grid_peer	*peer;
	struct round		*round;
	size_t			 index = (size_t)(uintptr_t)arg;

	/* An answer the round stopped waiting for, or of an old plan. */
	if (values == NULL || values->round == NULL ||
	    index >= values->npeers || !values->peers[index].awaiting)
		return;
	peer = &values->peers[index];
	if (error != NULL)
		grid_values_fail(values, peer, rpc_error_code(error),
		    rpc_error_message(error));
	else if (grid_values_take(values, peer, result) != 0)
		grid_values_fail(values, peer, RPC_FAILED, "the answer is "
		    "not the values asked for");
	else {
		peer->awaiting = 0;
		values->awaiting--;
	}
	if (values->awaiting > 0)
		return;
	round = values->round;
	values->round = NULL;
	round_fetched(round);
}

/*
 * A round begins: take the snapshot of the values published so far and,
 * if the grid borders other environments, ask each of them for the
 * values of the same round along its edges. Return 1 if the round must
 * wait for them (round_fetched is called when they are in), else 0.
 */
int
grid_values_begin(struct round *round)
{
	struct grid_values	*values;
	struct json_object	*params;
	size_t			 i;

	if ((values = grid_values_get()) == NULL ||
	    values->published == NULL)
		return (0);
	memcpy(values->snapshot, values->published,
	    grid_cells(grid_current) * sizeof *values->snapshot);
	values->snapshot_generation = values->generation;
	values->snapshot_taken = 1;
	values->round = round;
	values->awaiting = values->npeers;
	for (i = 0; i < values->npeers; i++)
		values->peers[i].awaiting = 1;
	for (i = 0; i < values->npeers; i++) {
		params = json_object_new_object();
		json_object_object_add(params, "generation",
		    json_object_new_int64((int64_t)values->generation));
		json_object_object_add(params, "agents",
		    json_object_get(values->peers[i].agents));
		values->counts.edge_calls++;
		if (call_manager(values->peers[i].manager, "get_cell_values",
		    params, grid_values_answered, (void *)(uintptr_t)i) != 0)
			grid_values_fail(values, &values->peers[i],
			    RPC_FAILED, "cannot call it");
	}
	if (values->awaiting > 0)
		return (1);
	values->round = NULL;
	return (0);
}

/* The agents have acted: what they published is the next round's. */
void
grid_values_acted(void)
{
	struct grid_values	*values;

	if ((values = grid_values_get()) != NULL)
		values->generation++;
}

/* The round ends while peers are still to answer: say which. */
void
grid_values_abandon(struct round *round)
{
	struct grid_values	*values = grid_current->values;
	size_t			 i;

	for (i = 0; i < values->npeers; i++) {
		if (values->peers[i].awaiting)
			grid_values_fail(values, &values->peers[i],
			    RPC_TIMED_OUT, "unanswered when the round ended");
	}
	values->round = NULL;
}

/* Return a JSON value for a cell's value: a number, or null for none. */
static struct json_object *
grid_values_json(double value)
{
	return (isnan(value) ? NULL : json_object_new_double(value));
}

/*
 * get_cell_values {"generation": G, "agents": [N, ...]}: the value each
 * of these agents of the grid published in the round that made
 * generation G (0: before any round), while this environment keeps it:
 * the last round's and, during a round, the one before. null for an
 * agent that published nothing.
 */
void
grid_get_cell_values(struct request *request, struct json_object *params)
{
	struct grid		*grid = grid_current;
	struct grid_values	*values;
	struct json_object	*agents, *id, *list, *reply;
	const double		*source;
	int64_t			 generation, number;
	size_t			 i, count;

	generation = json_object_get_int64(rpc_param(params, "generation"));
	agents = rpc_param(params, "agents");
	if (grid_placed(grid) == 0) {
		request_error(request, rpc_error_new(RPC_NOT_READY,
		    "this environment holds no grid agents", NULL));
		return;
	}
	values = grid_values_get();
	/* During a round the snapshot is what the round started from. */
	if (generation >= 0 && values->snapshot_taken &&
	    (uint64_t)generation == values->snapshot_generation)
		source = values->snapshot;
	else if (generation >= 0 && (uint64_t)generation == values->generation)
		source = values->published;
	else {
		request_error(request, rpc_error_newf(RPC_FAILED,
		    json_object_new_string("generation"), "the values of "
		    "round %lld are not kept: this grid has run %llu rounds",
		    (long long)generation,
		    (unsigned long long)values->generation));
		return;
	}
	count = json_object_array_length(agents);
	list = json_object_new_array_ext((int)count);
	for (i = 0; i < count; i++) {
		id = json_object_array_get_idx(agents, i);
		number = json_object_get_int64(id);
		if (!json_object_is_type(id, json_type_int) ||
		    number < (int64_t)grid->first ||
		    number - (int64_t)grid->first >= (int64_t)grid_placed(grid)) {
			json_object_put(list);
			request_error(request, rpc_error_newf(
			    RPC_INVALID_PARAMS, json_object_new_string(
			    "agents"), "agents[%zu] is not an agent of this "
			    "grid", i));
			return;
		}
		json_object_array_add(list, source == NULL ? NULL :
		    grid_values_json(source[number - (int64_t)grid->first]));
	}
	values->counts.served_calls++;
	values->counts.served_values += count;
	reply = json_object_new_object();
	json_object_object_add(reply, "generation",
	    json_object_new_int64(generation));
	json_object_object_add(reply, "values", list);
	request_reply(request, reply);
}

/* The counters status shows, by name. */
static const struct {
	const char	*name;
	size_t		 offset;
} grid_counters[] = {
	{ "local_reads", offsetof(struct grid_counts, local_reads) },
	{ "edge_reads", offsetof(struct grid_counts, edge_reads) },
	{ "edge_calls", offsetof(struct grid_counts, edge_calls) },
	{ "edge_values", offsetof(struct grid_counts, edge_values) },
	{ "served_calls", offsetof(struct grid_counts, served_calls) },
	{ "served_values", offsetof(struct grid_counts, served_values) },
};

/*
 * The grid part of a slave's status, once it has a size: rounds, and
 * values read and carried.
 */
struct json_object *
grid_values_status(void)
{
	struct grid_values	*values;
	struct json_object	*status;
	const uint64_t		*count;
	size_t			 i;

	if (master != NULL || grid_cells(grid_current) == 0)
		return (NULL);
	values = grid_values_get();
	status = json_object_new_object();
	json_object_object_add(status, "generation",
	    json_object_new_int64((int64_t)values->generation));
	json_object_object_add(status, "edge_environments",
	    json_object_new_int64((int64_t)values->npeers));
	for (i = 0; i < sizeof grid_counters / sizeof grid_counters[0]; i++) {
		count = (const uint64_t *)(const void *)((const char *)
		    &values->counts + grid_counters[i].offset);
		json_object_object_add(status, grid_counters[i].name,
		    json_object_new_int64((int64_t)*count));
	}
	return (status);
}

/*
 * Save the published values of the grid (cells of them, and the copy the
 * last round read), and how many rounds made them.
 */
void
grid_values_save(struct savefile *file)
{
	struct grid_values	*values = grid_values_get();
	size_t			 cells = grid_cells(grid_current);

	if (values == NULL || values->published == NULL) {
		savefile_u32(file, 0);
		return;
	}
	savefile_u32(file, 1);
	savefile_put(file, values->published, cells * sizeof(double));
	savefile_put(file, values->snapshot, cells * sizeof(double));
	savefile_u64(file, values->generation);
	savefile_u64(file, values->snapshot_generation);
	savefile_u32(file, (uint32_t)values->snapshot_taken);
}

/*
 * Read what grid_values_save wrote for a grid of cells; with apply, make
 * them the values of grid_current (set up and wired already).
 */
void
grid_values_load(struct savefile_reader *reader, size_t cells, int apply)
{
	struct grid_values	*values;
	const void		*published, *snapshot;
	uint64_t		 generation, snapshot_generation;
	uint32_t		 taken;

	if (savefile_get_u32(reader) == 0)
		return;
	if (cells > SIZE_MAX / sizeof(double)) {
		reader->short_read = 1;
		return;
	}
	published = savefile_get(reader, cells * sizeof(double));
	snapshot = savefile_get(reader, cells * sizeof(double));
	generation = savefile_get_u64(reader);
	snapshot_generation = savefile_get_u64(reader);
	taken = savefile_get_u32(reader);
	if (!apply || reader->short_read)
		return;
	values = grid_values_get();
	values->published = grid_values_array(cells);
	values->snapshot = grid_values_array(cells);
	memcpy(values->published, published, cells * sizeof(double));
	memcpy(values->snapshot, snapshot, cells * sizeof(double));
	values->generation = generation;
	values->snapshot_generation = snapshot_generation;
	values->snapshot_taken = taken != 0;
}
