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

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "creamasctl.h"
#include "xmalloc.h"

/*
 * prepare --grid WxH[:TYPE] [--node-grid CxR]: one grid of W by H agents
 * over every selected node, Creamas' distributed grid. The nodes sit on a
 * node grid of C columns and R rows, in nodes file order, row by row
 * (C x 1 by default: side by side); node (c, r) holds the W/C by H/R
 * cells from (c * W/C, r * H/R), cut into one slab per slave. In steps,
 * each on every node at once: the layout (origin and slab size), the
 * agents, is_ready, each node's neighbours on the node grid, then every
 * agent's neighbours. Done again on the same nodes, it changes nothing.
 */

#define GRID_SIDE_MAX		1000000UL
#define GRID_DEFAULT_TYPE	"grid"

static const char *const grid_sides[4] = { "N", "E", "S", "W" };

/* What prepare learned of one node. */
struct grid_node {
	int		 master;
	unsigned long	 slaves;	/* 1 for a plain slave */
	unsigned long	 column;
	unsigned long	 row;
	int64_t		 x;		/* its origin */
	int64_t		 y;
	int64_t		 slab_width;	/* of each slave's grid */
	int64_t		 agents;	/* it holds already */
};

/* Parse "AxB" into two counts within 1..max. */
static int
grid_parse_size(const char *option, const char *spec, size_t length,
    unsigned long max, unsigned long *a, unsigned long *b, char **cause)
{
	char	*text, *x, *why;
	int	 rc = -1;

	text = xstrndup(spec, length);
	if ((x = strchr(text, 'x')) == NULL) {
		xasprintf(cause, "%s %s: expected AxB, such as 16x16", option,
		    spec);
		goto out;
	}
	*x = '\0';
	if (config_parse_count(text, 1, max, a, &why) != 0 ||
	    config_parse_count(x + 1, 1, max, b, &why) != 0) {
		xasprintf(cause, "%s %s: %s", option, spec, why);
		free(why);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return (rc);
}

/* Check --grid and --node-grid against the nodes selected. */
int
grid_parse(struct cluster *cluster, struct prepare_options *options,
    char **cause)
{
	const char	*spec = options->grid, *colon, *json;
	char		*why;
	size_t		 length;

	if (spec == NULL) {
		xasprintf(cause, "--node-grid needs --grid");
		return (-1);
	}
	if (options->agents != NULL) {
		xasprintf(cause, "--grid and --agents do not go together: "
		    "the grid's agents fill every environment");
		return (-1);
	}
	colon = strchr(spec, ':');
	length = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	if (grid_parse_size("--grid", spec, length, GRID_SIDE_MAX,
	    &options->grid_width, &options->grid_height, cause) != 0)
		return (-1);
	if (colon != NULL && colon[1] == '\0') {
		xasprintf(cause, "--grid %s: no agent type after ':'", spec);
		return (-1);
	}
	options->node_columns = cluster->count;
	options->node_rows = 1;
	if (options->node_grid != NULL && grid_parse_size("--node-grid",
	    options->node_grid, strlen(options->node_grid), NODES_FILE_MAX,
	    &options->node_columns, &options->node_rows, cause) != 0)
		return (-1);
	if (options->node_columns * options->node_rows != cluster->count) {
		xasprintf(cause, "--node-grid %lux%lu places %lu nodes; %zu "
		    "are selected", options->node_columns, options->node_rows,
		    options->node_columns * options->node_rows,
		    cluster->count);
		return (-1);
	}
	if (options->grid_width % options->node_columns != 0 ||
	    options->grid_height % options->node_rows != 0) {
		xasprintf(cause, "--grid %lux%lu does not split into %lu x "
		    "%lu equal parts", options->grid_width,
		    options->grid_height, options->node_columns,
		    options->node_rows);
		return (-1);
	}
	if (colon == NULL) {
		options->grid_type = xstrdup(GRID_DEFAULT_TYPE);
		return (0);
	}
	/* TYPE:JSON gives the agents their spawn parameters. */
	if ((json = strchr(colon + 1, ':')) == NULL) {
		options->grid_type = xstrdup(colon + 1);
		return (0);
	}
	options->grid_type = xstrndup(colon + 1, json - colon - 1);
	if (ctl_json_parse(json + 1, &options->agent_params, &why) != 0) {
		xasprintf(cause, "--grid %s: parameters: %s", spec, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Return the manager address of node i, tcp://HOST:PORT/0. */
static char *
grid_manager(const struct cluster *cluster, size_t i)
{
	return (addr_format(cluster->node[i]->host, cluster->node[i]->port,
	    0));
}

/* Return new params {"name": [a, b]}. */
static struct json_object *
grid_pair_params(const char *name, int64_t a, int64_t b)
{
	struct json_object	*params, *pair;

	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_int64(a));
	json_object_array_add(pair, json_object_new_int64(b));
	params = json_object_new_object();
	json_object_object_add(params, name, pair);
	return (params);
}

/* Return 1 if a reply is the pair [a, b]. */
static int
grid_is_pair(struct json_object *value, int64_t a, int64_t b)
{
	return (json_object_is_type(value, json_type_array) &&
	    json_object_array_length(value) == 2 &&
	    json_object_get_int64(json_object_array_get_idx(value, 0)) == a &&
	    json_object_get_int64(json_object_array_get_idx(value, 1)) == b);
}

/*
 * Learn every node's role and slaves and place it on the node grid; the
 * nodes of one column must cut their part into as many slabs, so that
 * the slabs above and below each other line up.
 */
static int
grid_place(struct cluster *cluster, const struct prepare_options *options,
    struct grid_node *nodes)
{
	struct fanout_reply	*replies;
	struct json_object	*role, *slaves, *agents;
	unsigned long		 width, height;
	size_t			 i;
	int			 rc = 0;

	width = options->grid_width / options->node_columns;
	height = options->grid_height / options->node_rows;
	replies = cluster_call_all(cluster, "status", NULL,
	    cluster->options->timeout);
	if (prepare_failures(cluster, NULL, cluster->count, "status",
	    replies) != 0) {
		cluster_replies_free(replies, cluster->count);
		return (-1);
	}
	for (i = 0; i < cluster->count; i++) {
		nodes[i].master = json_object_object_get_ex(replies[i].result,
		    "role", &role) && strcmp(json_object_get_string(role),
		    "master") == 0;
		nodes[i].slaves = 1;
		if (json_object_object_get_ex(replies[i].result, "agents",
		    &agents))
			nodes[i].agents = json_object_get_int64(agents);
		if (nodes[i].master && json_object_object_get_ex(
		    replies[i].result, "slaves", &slaves) &&
		    json_object_array_length(slaves) > 0)
			nodes[i].slaves = json_object_array_length(slaves);
		nodes[i].column = i % options->node_columns;
		nodes[i].row = i / options->node_columns;
		nodes[i].x = (int64_t)(nodes[i].column * width);
		nodes[i].y = (int64_t)(nodes[i].row * height);
		nodes[i].slab_width = (int64_t)(width / nodes[i].slaves);
		if (width % nodes[i].slaves != 0) {
			cluster_fail(cluster, i, "prepare: grid: its %lu "
			    "columns do not split over its %lu slaves", width,
			    nodes[i].slaves);
			rc = -1;
		} else if (nodes[i].row > 0 && nodes[i].slaves !=
		    nodes[nodes[i].column].slaves) {
			cluster_fail(cluster, i, "prepare: grid: %lu slaves "
			    "under a node of %lu: the nodes of a column of the "
			    "node grid need as many slaves", nodes[i].slaves,
			    nodes[nodes[i].column].slaves);
			rc = -1;
		}
	}
	cluster_replies_free(replies, cluster->count);
	return (rc);
}

/*
 * Give every node its origin and slab size, unless it has them already
 * (set_gs is refused once agents are placed).
 */
static int
grid_layout(struct cluster *cluster, const struct prepare_options *options,
    const struct grid_node *nodes)
{
	struct fanout_reply	 *sizes, *origins, *replies;
	struct json_object	**params;
	size_t			 *which, nwhich = 0, i;
	int64_t			  height;
	double			  started = ctl_now();
	int			  rc = -1;

	height = (int64_t)(options->grid_height / options->node_rows);
	sizes = cluster_call_all(cluster, "get_gs", NULL,
	    cluster->options->timeout);
	origins = cluster_call_all(cluster, "get_origin", NULL,
	    cluster->options->timeout);
	params = xcalloc(cluster->count + 1, sizeof *params);
	which = xcalloc(cluster->count + 1, sizeof *which);
	if (prepare_failures(cluster, NULL, cluster->count, "get_gs",
	    sizes) != 0 || prepare_failures(cluster, NULL, cluster->count,
	    "get_origin", origins) != 0)
		goto out;
	for (i = 0; i < cluster->count; i++) {
		if (!grid_is_pair(sizes[i].result, nodes[i].slab_width,
		    height) || !grid_is_pair(origins[i].result, nodes[i].x,
		    nodes[i].y))
			which[nwhich++] = i;
	}
	if (nwhich > 0) {
		/* The origin first: a master sends both with set_gs. */
		for (i = 0; i < nwhich; i++)
			params[i] = grid_pair_params("origin",
			    nodes[which[i]].x, nodes[which[i]].y);
		replies = cluster_call(cluster, which, nwhich, "set_origin",
		    params, cluster->options->timeout);
		i = prepare_failures(cluster, which, nwhich, "set_origin",
		    replies);
		cluster_replies_free(replies, nwhich);
		if (i != 0)
			goto out;
		for (i = 0; i < nwhich; i++)
			params[i] = grid_pair_params("gs",
			    nodes[which[i]].slab_width, height);
		replies = cluster_call(cluster, which, nwhich, "set_gs",
		    params, cluster->options->timeout);
		i = prepare_failures(cluster, which, nwhich, "set_gs",
		    replies);
		cluster_replies_free(replies, nwhich);
		if (i != 0)
			goto out;
	}
	prepare_report(cluster, "grid", started, prepare_fields("set",
	    (int64_t)nwhich), "%lux%lu on %lux%lu node%s, set on %zu",
	    options->grid_width, options->grid_height, options->node_columns,
	    options->node_rows, cluster->count == 1 ? "" : "s", nwhich);
	rc = 0;
out:
	cluster_replies_free(sizes, cluster->count);
	cluster_replies_free(origins, cluster->count);
	free(params);
	free(which);
	return (rc);
}

/*
 * Spawn the agents each node's grid still lacks, counting as placed every
 * agent the node held (its status said) when prepare began.
 */
static int
grid_fill(struct cluster *cluster, const struct prepare_options *options,
    const struct grid_node *nodes)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *fields;
	size_t			 *which, nwhich = 0, i, have, cells;
	double			  started = ctl_now();
	int64_t			  spawned = 0;
	int			  rc = -1;

	cells = (options->grid_width / options->node_columns) *
	    (options->grid_height / options->node_rows);
	params = xcalloc(cluster->count + 1, sizeof *params);
	which = xcalloc(cluster->count + 1, sizeof *which);
	for (i = 0; i < cluster->count; i++) {
		have = nodes[i].agents > 0 ? (size_t)nodes[i].agents : 0;
		if (have >= cells)
			continue;
		params[nwhich] = json_object_new_object();
		json_object_object_add(params[nwhich], "type",
		    json_object_new_string(options->grid_type));
		json_object_object_add(params[nwhich], "n",
		    json_object_new_int64((int64_t)(cells - have)));
		if (options->agent_params != NULL)
			json_object_object_add(params[nwhich], "params",
			    json_object_get(options->agent_params));
		which[nwhich++] = i;
	}
	if (nwhich > 0) {
		replies = cluster_call(cluster, which, nwhich, "spawn_n",
		    params, cluster->options->timeout);
		for (i = 0; i < nwhich; i++) {
			if (json_object_is_type(replies[i].result,
			    json_type_array))
				spawned += (int64_t)json_object_array_length(
				    replies[i].result);
		}
		i = prepare_failures(cluster, which, nwhich, "spawn_n",
		    replies);
		cluster_replies_free(replies, nwhich);
		if (i != 0)
			goto out;
	}
	fields = prepare_fields("spawned", spawned);
	json_object_object_add(fields, "type",
	    json_object_new_string(options->grid_type));
	prepare_report(cluster, "grid agents", started, fields, "spawned "
	    "%lld %s, %zu per node", (long long)spawned, options->grid_type,
	    cells);
	rc = 0;
out:
	free(params);
	free(which);
	return (rc);
}

/*
 * Tell every node which node lies on each side of it on the node grid
 * (null where none does), then have every node wire its slaves and
 * agents; a slave's set_neighbors wires its agents.
 */
static int
grid_wire(struct cluster *cluster, const struct prepare_options *options,
    const struct grid_node *nodes)
{
	static const int	  dc[4] = { 0, 1, 0, -1 };
	static const int	  dr[4] = { -1, 0, 1, 0 };
	struct fanout_reply	 *replies;
	struct json_object	**params;
	double			  started = ctl_now();
	long			  column, row;
	size_t			  i, failed;
	char			 *manager, *step;
	int			  side;

	params = xcalloc(cluster->count + 1, sizeof *params);
	for (side = 0; side < 4; side++) {
		for (i = 0; i < cluster->count; i++) {
			column = (long)nodes[i].column + dc[side];
			row = (long)nodes[i].row + dr[side];
			params[i] = json_object_new_object();
			json_object_object_add(params[i], "direction",
			    json_object_new_string(grid_sides[side]));
			if (column < 0 || row < 0 ||
			    column >= (long)options->node_columns ||
			    row >= (long)options->node_rows) {
				json_object_object_add(params[i], "addr", NULL);
				continue;
			}
			manager = grid_manager(cluster, (size_t)row *
			    options->node_columns + (size_t)column);
			json_object_object_add(params[i], "addr",
			    json_object_new_string(manager));
			free(manager);
		}
		replies = cluster_call(cluster, NULL, cluster->count,
		    "set_grid_neighbor", params, cluster->options->timeout);
		xasprintf(&step, "set_grid_neighbor %s", grid_sides[side]);
		failed = prepare_failures(cluster, NULL, cluster->count, step,
		    replies);
		free(step);
		cluster_replies_free(replies, cluster->count);
		if (failed != 0) {
			free(params);
			return (-1);
		}
	}
	free(params);
	replies = cluster_call_all(cluster, "set_neighbors", NULL,
	    cluster->options->timeout);
	failed = prepare_failures(cluster, NULL, cluster->count,
	    "set_neighbors", replies);
	cluster_replies_free(replies, cluster->count);
	if (failed != 0)
		return (-1);
	prepare_report(cluster, "grid neighbours", started,
	    prepare_fields("nodes", (int64_t)cluster->count), "wired on %zu "
	    "node%s", cluster->count, cluster->count == 1 ? "" : "s");
	return (0);
}

/* The grid steps of prepare; 0 when every node did every one. */
int
grid_prepare(struct cluster *cluster, const struct prepare_options *options)
{
	struct grid_node	*nodes;
	int			 rc = -1;

	nodes = xcalloc(cluster->count + 1, sizeof *nodes);
	if (grid_place(cluster, options, nodes) != 0 ||
	    grid_layout(cluster, options, nodes) != 0 ||
	    grid_fill(cluster, options, nodes) != 0 ||
	    wait_ready(cluster, cluster->options->timeout) != 0 ||
	    grid_wire(cluster, options, nodes) != 0)
		goto out;
	rc = 0;
out:
	free(nodes);
	return (rc);
}

/*
 * grid [--image FILE]: the grid read back. Every selected node is asked
 * get_grid at once; a master answers for its slaves. The cells, sorted by
 * row (y) and then column (x), make a map from the smallest x and y
 * seen, row 0 at the top: one character per cell on a terminal, one
 * pixel per cell in a PGM image, the values scaled from the smallest to
 * the largest. -j prints every cell as the nodes sent it instead.
 */

#define GRID_XY_MAX		(INT64_C(1) << 60)
#define GRID_VIEW_MAX		(64UL * 1024 * 1024)	/* cells in a map */
#define GRID_BANDS		10
#define GRID_NO_VALUE		'o'
#define GRID_MISSING		'?'

static const char grid_ramp[GRID_BANDS + 1] = " .:-=+*#%@";

/* One cell read back. */
struct grid_cell {
	int64_t		 x;
	int64_t		 y;
	double		 value;
	int		 has_value;
	size_t		 node;		/* that sent it */
};

/* The grid read back from every node. */
struct grid_view {
	struct json_object	*list;		/* the cells as sent */
	struct grid_cell	*cells;		/* by y, then x, each once */
	size_t			 count;
	size_t			 nodes;		/* that answered */
	int64_t			 x;		/* the top left cell */
	int64_t			 y;
	uint64_t		 width;
	uint64_t		 height;
	size_t			 valued;	/* cells with a value */
	const struct grid_cell	*min;
	const struct grid_cell	*max;
};

/* Read one cell {"xy": [x, y], "value"?: number}; -1 if it is not one. */
static int
grid_read_cell(struct json_object *object, struct grid_cell *cell)
{
	struct json_object	*xy, *x, *y, *value;

	if (!json_object_is_type(object, json_type_object) ||
	    !json_object_object_get_ex(object, "xy", &xy) ||
	    !json_object_is_type(xy, json_type_array) ||
	    json_object_array_length(xy) != 2)
		return (-1);
	x = json_object_array_get_idx(xy, 0);
	y = json_object_array_get_idx(xy, 1);
	if (!json_object_is_type(x, json_type_int) ||
	    !json_object_is_type(y, json_type_int))
		return (-1);
	cell->x = json_object_get_int64(x);
	cell->y = json_object_get_int64(y);
	if (cell->x < -GRID_XY_MAX || cell->x > GRID_XY_MAX ||
	    cell->y < -GRID_XY_MAX || cell->y > GRID_XY_MAX)
		return (-1);
	/* A type without get_value, or with a value not a number: none. */
	cell->has_value = json_object_object_get_ex(object, "value", &value) &&
	    (json_object_is_type(value, json_type_double) ||
	    json_object_is_type(value, json_type_int));
	cell->value = cell->has_value ? json_object_get_double(value) : 0.0;
	if (cell->has_value && !isfinite(cell->value))
		cell->has_value = 0;
	return (0);
}

/* Order cells by row, then column, then the node that sent them. */
static int
grid_cell_compare(const void *a, const void *b)
{
	const struct grid_cell	*p = a, *q = b;

	if (p->y != q->y)
		return (p->y < q->y ? -1 : 1);
	if (p->x != q->x)
		return (p->x < q->x ? -1 : 1);
	return (p->node < q->node ? -1 : p->node > q->node);
}

/*
 * Take node i's answer to get_grid into the view; a node that sent
 * anything but cells is named and none of its cells is kept.
 */
static void
grid_take(struct cluster *cluster, size_t i, struct fanout_reply *reply,
    struct grid_view *view)
{
	struct json_object	*result = reply->result, *object;
	struct grid_cell	 cell;
	size_t			 length, k;
	char			*text;

	if (reply->error != NULL) {
		text = ctl_error_text(reply->error);
		cluster_fail(cluster, i, "get_grid: %s", text);
		free(text);
		return;
	}
	if (!json_object_is_type(result, json_type_array)) {
		cluster_fail(cluster, i, "get_grid: not a list of cells: %.60s",
		    json_object_to_json_string_ext(result,
		    JSON_C_TO_STRING_PLAIN));
		return;
	}
	length = json_object_array_length(result);
	for (k = 0; k < length; k++) {
		object = json_object_array_get_idx(result, k);
		if (grid_read_cell(object, &cell) != 0) {
			cluster_fail(cluster, i, "get_grid: not a cell: %.60s",
			    json_object_to_json_string_ext(object,
			    JSON_C_TO_STRING_PLAIN));
			return;
		}
	}
	view->cells = xreallocarray(view->cells, view->count + length + 1,
	    sizeof *view->cells);
	for (k = 0; k < length; k++) {
		object = json_object_array_get_idx(result, k);
		grid_read_cell(object, &view->cells[view->count]);
		view->cells[view->count++].node = i;
		json_object_array_add(view->list, json_object_get(object));
	}
	view->nodes++;
}

/*
 * Sort the cells, name the nodes that sent a cell another node sent too
 * (once each; the first node's cell is kept), and find the bounds and
 * the smallest and largest values.
 */
static void
grid_arrange(struct cluster *cluster, struct grid_view *view)
{
	struct grid_cell	*cells = view->cells, *cell;
	unsigned char		*named;
	int64_t			 right, bottom;
	size_t			 i, kept = 0;

	if (view->count == 0)
		return;
	qsort(cells, view->count, sizeof *cells, grid_cell_compare);
	named = xcalloc(cluster->count + 1, 1);
	for (i = 0; i < view->count; i++) {
		if (kept > 0 && cells[kept - 1].x == cells[i].x &&
		    cells[kept - 1].y == cells[i].y) {
			if (!named[cells[i].node]) {
				cluster_fail(cluster, cells[i].node, "grid: "
				    "cell (%lld, %lld) is held by %s as well",
				    (long long)cells[i].x,
				    (long long)cells[i].y,
				    cluster->node[cells[kept - 1].node]->name);
				named[cells[i].node] = 1;
			}
			continue;
		}
		cells[kept++] = cells[i];
	}
	free(named);
	view->count = kept;
	view->x = right = cells[0].x;
	view->y = cells[0].y;
	bottom = cells[kept - 1].y;
	for (i = 0; i < kept; i++) {
		cell = &cells[i];
		if (cell->x < view->x)
			view->x = cell->x;
		if (cell->x > right)
			right = cell->x;
		if (!cell->has_value)
			continue;
		view->valued++;
		if (view->min == NULL || cell->value < view->min->value)
			view->min = cell;
		if (view->max == NULL || cell->value > view->max->value)
			view->max = cell;
	}
	view->width = (uint64_t)(right - view->x) + 1;
	view->height = (uint64_t)(bottom - view->y) + 1;
}

/*
 * Return where a value lies between the smallest and the largest, from 0
 * to 1; in the middle when every value is the same.
 */
static double
grid_scale(const struct grid_view *view, double value)
{
	double	 range = view->max->value - view->min->value;

	if (range <= 0)
		return (0.5);
	return ((value - view->min->value) / range);
}

/* Return the character of a cell, or of a missing one (NULL). */
static char
grid_character(const struct grid_view *view, const struct grid_cell *cell)
{
	int	 band;

	if (cell == NULL)
		return (GRID_MISSING);
	if (!cell->has_value)
		return (GRID_NO_VALUE);
	band = (int)(grid_scale(view, cell->value) * GRID_BANDS);
	return (grid_ramp[band < GRID_BANDS ? band : GRID_BANDS - 1]);
}

/* Return the gray level of a cell, or of a missing one (NULL). */
static unsigned char
grid_pixel(const struct grid_view *view, const struct grid_cell *cell)
{
	if (cell == NULL || !cell->has_value)
		return (0);
	return ((unsigned char)lround(grid_scale(view, cell->value) * 255.0));
}

/*
 * Return the cell at (column, row) of the map and move the cursor past
 * it, or NULL when no node sent that cell; rows and columns are visited
 * in order.
 */
static const struct grid_cell *
grid_next(const struct grid_view *view, size_t *cursor, uint64_t column,
    uint64_t row)
{
	const struct grid_cell	*cell;

	if (*cursor >= view->count)
		return (NULL);
	cell = &view->cells[*cursor];
	if (cell->x != view->x + (int64_t)column ||
	    cell->y != view->y + (int64_t)row)
		return (NULL);
	(*cursor)++;
	return (cell);
}

/* Return 1 if the map of the cells is small enough to draw. */
static int
grid_drawable(const struct grid_view *view)
{
	return (view->count > 0 && view->width <= GRID_VIEW_MAX &&
	    view->height <= GRID_VIEW_MAX &&
	    view->width * view->height <= GRID_VIEW_MAX);
}

/* Print the map for people: a frame, a line per row, the legend. */
static void
grid_print_map(const struct grid_view *view)
{
	uint64_t	 row, column, missing;
	size_t		 cursor = 0;
	char		*line, *frame;
	int		 band;

	missing = view->width * view->height - view->count;
	printf("grid %llux%llu at (%lld, %lld): %zu cells from %zu node%s; "
	    "x to the right, y down\n", (unsigned long long)view->width,
	    (unsigned long long)view->height, (long long)view->x,
	    (long long)view->y, view->count, view->nodes,
	    view->nodes == 1 ? "" : "s");
	line = xmalloc(view->width + 3);
	frame = xmalloc(view->width + 3);
	memset(frame, '-', view->width + 2);
	frame[0] = frame[view->width + 1] = '+';
	frame[view->width + 2] = '\0';
	puts(frame);
	for (row = 0; row < view->height; row++) {
		line[0] = '|';
		for (column = 0; column < view->width; column++)
			line[column + 1] = grid_character(view,
			    grid_next(view, &cursor, column, row));
		line[view->width + 1] = '|';
		line[view->width + 2] = '\0';
		puts(line);
	}
	puts(frame);
	free(frame);
	free(line);
	if (view->valued > 0) {
		/* Each band from the value under it, in ten equal steps. */
		printf("band");
		for (band = 0; band < GRID_BANDS; band++)
			printf("  '%c'%s", grid_ramp[band],
			    band < GRID_BANDS - 1 ? "    " : "");
		printf("\nfrom");
		for (band = 0; band < GRID_BANDS; band++)
			printf(band < GRID_BANDS - 1 ? "  %-7.3g" : "  %.3g",
			    view->min->value + (view->max->value -
			    view->min->value) * band / GRID_BANDS);
		printf("\nmin %.6g at (%lld, %lld), max %.6g at (%lld, %lld)\n",
		    view->min->value, (long long)view->min->x,
		    (long long)view->min->y, view->max->value,
		    (long long)view->max->x, (long long)view->max->y);
	}
	if (view->valued < view->count)
		printf("'%c' no value: %zu cells\n", GRID_NO_VALUE,
		    view->count - view->valued);
	if (missing > 0)
		printf("'%c' missing: %llu cells\n", GRID_MISSING,
		    (unsigned long long)missing);
	fflush(stdout);
}

/*
 * Write the map as a binary PGM image (P5), one pixel per cell, row 0 at
 * the top; 0 or -1 with a cause.
 */
static int
grid_write_image(const struct grid_view *view, const char *path,
    char **cause)
{
	unsigned char	*pixels;
	uint64_t	 row, column;
	size_t		 cursor = 0;
	FILE		*f;

	if ((f = fopen(path, "w")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	pixels = xmalloc(view->width);
	fprintf(f, "P5\n%llu %llu\n255\n", (unsigned long long)view->width,
	    (unsigned long long)view->height);
	for (row = 0; row < view->height; row++) {
		for (column = 0; column < view->width; column++)
			pixels[column] = grid_pixel(view,
			    grid_next(view, &cursor, column, row));
		if (fwrite(pixels, 1, view->width, f) != view->width)
			break;
	}
	free(pixels);
	if (ferror(f) || row < view->height) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		return (-1);
	}
	if (fclose(f) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Return a new JSON pair [a, b]. */
static struct json_object *
grid_json_pair(int64_t a, int64_t b)
{
	struct json_object	*pair;

	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_int64(a));
	json_object_array_add(pair, json_object_new_int64(b));
	return (pair);
}

/*
 * Print the grid as JSON: a line per node that failed, then one with
 * every cell as the nodes sent them, in node order.
 */
static void
grid_print_json(struct cluster *cluster, const struct grid_view *view,
    const char *image)
{
	struct json_object	*object;
	size_t			 i;

	for (i = 0; i < cluster->count; i++) {
		if (cluster->failure[i] == NULL)
			continue;
		object = ctl_json_node("grid", cluster->node[i], 0);
		json_object_object_add(object, "error",
		    json_object_new_string(cluster->failure[i]));
		ctl_json_print(object);
	}
	object = json_object_new_object();
	json_object_object_add(object, "step", json_object_new_string("grid"));
	json_object_object_add(object, "ok",
	    json_object_new_boolean(cluster_failures(cluster) == 0));
	json_object_object_add(object, "nodes",
	    json_object_new_int64((int64_t)view->nodes));
	if (view->count > 0) {
		json_object_object_add(object, "origin",
		    grid_json_pair(view->x, view->y));
		json_object_object_add(object, "size", grid_json_pair(
		    (int64_t)view->width, (int64_t)view->height));
	}
	json_object_object_add(object, "min", view->min == NULL ? NULL :
	    json_object_new_double(view->min->value));
	json_object_object_add(object, "max", view->max == NULL ? NULL :
	    json_object_new_double(view->max->value));
	if (image != NULL)
		json_object_object_add(object, "image",
		    json_object_new_string(image));
	json_object_object_add(object, "cells", json_object_get(view->list));
	ctl_json_print(object);
}

/* grid's options. */
const struct option grid_options[] = {
	{ "image", required_argument, NULL, 'i' },
	{ NULL, 0, NULL, 0 }
};

/* creamasctl grid [--image file]: every node's cells, as one map. */
int
cmd_grid(struct cluster *cluster, int argc, char **argv)
{
	struct grid_view		 view;
	struct fanout_reply		*replies;
	const char			*image = NULL, *written = NULL;
	char				*cause;
	size_t				 i;
	int				 ch, status;

	while ((ch = getopt_long(argc, argv, GRID_SHORT_OPTIONS, grid_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'i':
			image = optarg;
			break;
		default:
			ctl_usage_command("grid");
		}
	}
	if (optind != argc)
		ctl_usage_command("grid");

	memset(&view, 0, sizeof view);
	view.list = json_object_new_array();
	replies = cluster_call_all(cluster, "get_grid", NULL,
	    cluster->options->timeout);
	for (i = 0; i < cluster->count; i++)
		grid_take(cluster, i, &replies[i], &view);
	cluster_replies_free(replies, cluster->count);
	grid_arrange(cluster, &view);
	status = cluster_exit_status(cluster);

	if (view.count > 0 && !grid_drawable(&view) && (image != NULL ||
	    !cluster->options->json)) {
		warnx("grid: the cells span %llux%llu, too many to draw",
		    (unsigned long long)view.width,
		    (unsigned long long)view.height);
		status = CTL_EXIT_FAILURE;
	} else if (view.count == 0) {
		/* Nothing to show is a failure, with or without --image. */
		warnx("grid: no cells%s%s%s", image != NULL ? ": " : "",
		    image != NULL ? image : "", image != NULL ?
		    " not written" : cluster_failures(cluster) ==
		    cluster->count ? "" : " (prepare --grid fills a grid)");
		status = CTL_EXIT_FAILURE;
	} else if (image != NULL) {
		if (grid_write_image(&view, image, &cause) != 0) {
			warnx("grid: %s", cause);
			free(cause);
			status = CTL_EXIT_FAILURE;
		} else
			written = image;
	}
	if (cluster->options->json)
		grid_print_json(cluster, &view, written);
	else if (written != NULL)
		printf("%s: %llux%llu PGM image of %zu cells from (%lld, %lld)"
		    "\n", written, (unsigned long long)view.width,
		    (unsigned long long)view.height, view.count,
		    (long long)view.x, (long long)view.y);
	else if (image == NULL && grid_drawable(&view))
		grid_print_map(&view);
	json_object_put(view.list);
	free(view.cells);
	return (status);
}
