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
	const char	*spec = options->grid, *colon;
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
	options->grid_type = xstrdup(colon != NULL ? colon + 1 :
	    GRID_DEFAULT_TYPE);
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
