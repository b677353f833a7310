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
#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "grid.h"
#include "xmalloc.h"

/*
 * The grid's part of a checkpoint, kept through the extension hooks
 * save and load like any extension's state: its size, origin, the first
 * agent's number, whether it is wired, the environments beyond its
 * sides and the agents beyond each edge cell, then its published values
 * (grid_values.c). A master saves its own grid (the node's size, origin
 * and neighbours) the same way, then how many agents each slave held
 * before the grid was set.
 */

/* Save a grid (a slave's or a master's): size, origin, neighbours. */
static void
grid_checkpoint_write(struct savefile *file, const struct grid *grid)
{
	size_t	 i, length;
	int	 direction;

	if (grid == NULL) {
		savefile_u32(file, 0);
		return;
	}
	savefile_u32(file, 1);
	savefile_u64(file, (uint64_t)grid->width);
	savefile_u64(file, (uint64_t)grid->height);
	savefile_u64(file, (uint64_t)grid->origin_x);
	savefile_u64(file, (uint64_t)grid->origin_y);
	savefile_u64(file, grid->first);
	savefile_u32(file, (uint32_t)grid->wired);
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		savefile_string(file, grid->neighbors[direction]);
		savefile_u32(file, grid->edges[direction] != NULL);
		if (grid->edges[direction] == NULL)
			continue;
		length = grid_edge_length(grid, direction);
		for (i = 0; i < length; i++)
			savefile_string(file, grid->edges[direction][i]);
	}
	if (master == NULL)
		return;
	savefile_u64(file, grid->nslave_first);
	for (i = 0; i < grid->nslave_first; i++)
		savefile_u64(file, grid->slave_first[i]);
}

/*
 * Read a master's count of agents each slave held before its grid, one
 * for each of its slaves or none, into grid unless it is NULL.
 */
static void
grid_checkpoint_read_firsts(struct savefile_reader *reader, struct grid *grid)
{
	uint64_t	 count, first;
	size_t		 i;

	count = savefile_get_u64(reader);
	if (count != 0 && count != master->nslaves) {
		reader->short_read = 1;
		return;
	}
	if (grid != NULL && count > 0) {
		grid->slave_first = xcalloc(count, sizeof *grid->slave_first);
		grid->nslave_first = count;
	}
	for (i = 0; i < count && !reader->short_read; i++) {
		first = savefile_get_u64(reader);
		if (grid != NULL)
			grid->slave_first[i] = first;
	}
}

/*
 * Read a grid saved by grid_checkpoint_write and check it: 0 if there
 * was none, 1 with *cells its cells and, with apply, *made the grid
 * (the caller's), or -1 with *cause.
 */
static int
grid_checkpoint_read(struct savefile_reader *reader, int apply,
    struct grid **made, size_t *cells, char **cause)
{
	struct grid	 read, *grid;
	size_t		 i, length;
	int		 direction;
	char		*address;

	if (savefile_get_u32(reader) == 0)
		return (0);
	memset(&read, 0, sizeof read);
	read.width = (int64_t)savefile_get_u64(reader);
	read.height = (int64_t)savefile_get_u64(reader);
	read.origin_x = (int64_t)savefile_get_u64(reader);
	read.origin_y = (int64_t)savefile_get_u64(reader);
	read.first = savefile_get_u64(reader);
	read.wired = savefile_get_u32(reader) != 0;
	if (read.width < 0 || read.height < 0 || read.width > GRID_CELLS_MAX ||
	    read.height > GRID_CELLS_MAX || (read.height > 0 &&
	    read.width > GRID_CELLS_MAX / read.height)) {
		xasprintf(cause, "the grid's size is out of bounds");
		return (-1);
	}
	grid = apply ? xcalloc(1, sizeof *grid) : &read;
	*grid = read;
	for (direction = 0; direction < GRID_DIRECTIONS; direction++) {
		grid->neighbors[direction] = savefile_get_string(reader);
		if (!apply) {
			free(grid->neighbors[direction]);
			grid->neighbors[direction] = NULL;
		}
		if (savefile_get_u32(reader) == 0)
			continue;
		length = grid_edge_length(grid, direction);
		if (length > reader->left / 4) {
			reader->short_read = 1;
			break;
		}
		if (apply)
			grid->edges[direction] = xcalloc(length > 0 ? length :
			    1, sizeof **grid->edges);
		for (i = 0; i < length && !reader->short_read; i++) {
			address = savefile_get_string(reader);
			if (apply)
				grid->edges[direction][i] = address;
			else
				free(address);
		}
	}
	if (master != NULL)
		grid_checkpoint_read_firsts(reader, apply ? grid : NULL);
	*cells = grid_cells(grid);
	if (apply)
		*made = grid;
	return (1);
}

/*
 * save hook: write the grid, if there is one, and its values; refuse
 * while set_agent_neighbors is wiring it.
 */
int
grid_checkpoint_save(struct cr_checkpoint *checkpoint)
{
	if (grid_current != NULL && grid_current->wiring != NULL) {
		cr_checkpoint_fail(checkpoint, "the grid is being wired; "
		    "checkpoint after set_agent_neighbors");
		return (-1);
	}
	grid_checkpoint_write(checkpoint->file, grid_current);
	if (grid_current != NULL)
		grid_values_save(checkpoint->file);
	return (0);
}

/* load hook: make the saved grid this environment's. */
int
grid_checkpoint_load(const void *data, size_t size, char **cause)
{
	struct savefile_reader	 reader;
	struct grid		*grid = NULL;
	size_t			 cells;
	int			 has_grid;

	memset(&reader, 0, sizeof reader);
	reader.at = data;
	reader.left = size;
	if ((has_grid = grid_checkpoint_read(&reader, 1, &grid, &cells,
	    cause)) == -1)
		return (-1);
	if (has_grid) {
		grid_free();
		grid_current = grid;
		grid_values_load(&reader, cells, 1);
		if (grid_current->wired)
			grid_values_plan(grid_current);
	}
	if (!savefile_get_done(&reader)) {
		grid_free();
		xasprintf(cause, "the grid's part is malformed");
		return (-1);
	}
	return (0);
}

/* has_state hook: a restore would replace a grid of cells. */
const char *
grid_checkpoint_has_state(void)
{
	return (grid_cells(grid_current) > 0 ? "a grid" : NULL);
}
