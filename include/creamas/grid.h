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


#ifndef CREAMAS_GRID_H
#define CREAMAS_GRID_H

/*
 * The grid API of creamasd: where a grid agent stands, its neighbours
 * and the values they publish. See creamas_grid(3).
 */

#include <stddef.h>
#include <stdint.h>

#include "creamas/agent.h"

/* The sides of a cell, in Creamas' order. */
#define CR_GRID_NORTH		0	/* y - 1 */
#define CR_GRID_EAST		1	/* x + 1 */
#define CR_GRID_SOUTH		2	/* y + 1 */
#define CR_GRID_WEST		3	/* x - 1 */
#define CR_GRID_DIRECTIONS	4

/* Return 1 and the agent's cell in *x and *y, or 0 outside a grid. */
int		 cr_grid_xy(const struct cr_agent *agent, int64_t *x,
		    int64_t *y);
/*
 * Write the address of the agent's neighbour in direction into buffer;
 * return 1, or 0 if it has none.
 */
int		 cr_grid_neighbor(const struct cr_agent *agent, int direction,
		    char *buffer, size_t size);
/* Publish the agent's value of this round, not a NaN; see the page. */
int		 cr_grid_publish(struct cr_agent *agent, double value);
/*
 * Read the neighbours' values of the last round into values (indexed by
 * side); return a mask of the sides with a neighbour, or -1: see the page.
 */
int		 cr_grid_neighbor_values(const struct cr_agent *agent,
		    double values[CR_GRID_DIRECTIONS]);

#endif
