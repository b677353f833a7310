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

#ifndef GRID_H
#define GRID_H

/*
 * The grid extension's own declarations (Creamas' GridEnvironment and
 * GridMultiEnvironment), for its files only: the rest of the daemon
 * reaches the grid through the extension hooks and the method table.
 */

#include "creamas/grid.h"
#include "creamasd.h"

/* The sides of a grid, in Creamas' order of the cardinal directions. */
enum grid_direction {
	GRID_NORTH = CR_GRID_NORTH,
	GRID_EAST = CR_GRID_EAST,
	GRID_SOUTH = CR_GRID_SOUTH,
	GRID_WEST = CR_GRID_WEST,
};
#define GRID_DIRECTIONS		CR_GRID_DIRECTIONS
#define GRID_CELLS_MAX		100000000	/* per environment */
#define GRID_COORD_MAX		(INT64_C(1) << 40)	/* |origin| */

struct grid_wiring;
struct grid_values;

/*
 * A grid environment (Creamas' GridEnvironment): agents are placed column
 * by column from the origin as they are spawned, agent first + i at
 * (origin_x + i / height, origin_y + i % height). A master keeps here the
 * size of each slave's grid, its own origin, its node neighbours and how
 * many agents each slave held before its grid was set.
 */
struct grid {
	int64_t			 width;		/* 0 until set_gs */
	int64_t			 height;
	int64_t			 origin_x;
	int64_t			 origin_y;
	size_t			 first;		/* the agent at the origin */
	char			*neighbors[GRID_DIRECTIONS];	/* managers */
	char			**edges[GRID_DIRECTIONS];	/* beyond */
	int			 wired;		/* set_agent_neighbors done */
	struct grid_wiring	*wiring;	/* set_agent_neighbors on */
	struct grid_values	*values;	/* published values, edges */
	uint64_t		*slave_first;	/* master: before set_gs */
	size_t			 nslave_first;
};

/* grid.c */
extern struct grid *grid_current;	/* NULL unless set_gs/origin */
struct grid	*grid_get(void);
void		 grid_free(void);
void		 grid_destroy(struct grid *);
int		 grid_is_ready(void);
int		 grid_spawn_check(const struct cr_agent_type *,
		    struct json_object **);
int		 grid_parse_pair(struct json_object *, const char *, int64_t,
		    int64_t, int64_t *, int64_t *, struct json_object **);
struct json_object *grid_fixed_error(size_t, const char *,
		    struct json_object *);
int		 grid_parse_size(struct json_object *, int64_t *, int64_t *,
		    struct json_object **);
int		 grid_parse_direction(const char *);
const char	*grid_direction_name(int);
struct json_object *grid_pair(int64_t, int64_t);
size_t		 grid_cells(const struct grid *);
size_t		 grid_placed(const struct grid *);
size_t		 grid_edge_length(const struct grid *, int);
int		 grid_agent_call(struct cr_agent *, const char *,
		    const struct json_object *, struct json_object **);
void		 grid_set_gs(struct request *, struct json_object *);
void		 grid_get_gs(struct request *, struct json_object *);
void		 grid_set_origin(struct request *, struct json_object *);
void		 grid_get_origin(struct request *, struct json_object *);
void		 grid_get_xy_address(struct request *, struct json_object *);
void		 grid_get_xy_environment(struct request *,
		    struct json_object *);
void		 grid_set_grid_neighbor(struct request *, struct json_object *);
void		 grid_set_agent_neighbors(struct request *,
		    struct json_object *);
void		 grid_get_grid(struct request *, struct json_object *);

/* grid_checkpoint.c */
int		 grid_checkpoint_save(struct cr_checkpoint *);
int		 grid_checkpoint_load(const void *, size_t, char **);
const char	*grid_checkpoint_has_state(void);

/* grid_methods.c */
void		 grid_methods_init(void);

/* grid_values.c */
int		 grid_values_begin(struct round *);
void		 grid_values_acted(void);
void		 grid_values_forget(const struct cr_agent *);
void		 grid_values_abandon(struct round *);
void		 grid_values_plan(struct grid *);
void		 grid_values_free(struct grid *);
struct json_object *grid_values_status(void);
void		 grid_get_cell_values(struct request *, struct json_object *);
void		 grid_values_save(struct savefile *);
void		 grid_values_load(struct savefile_reader *, size_t, int);

/* grid_types.c */
void		 grid_types_register(void);
int		 grid_types_needs_grid(const struct cr_agent_type *);

/* master_grid.c */
void		 master_grid_set_gs(struct request *, struct json_object *);
void		 master_grid_set_origin(struct request *, struct json_object *);
void		 master_grid_get_xy_environment(struct request *,
		    struct json_object *);
void		 master_grid_get_xy_address(struct request *,
		    struct json_object *);
void		 master_grid_set_slave_neighbors(struct request *,
		    struct json_object *);
void		 master_grid_set_agent_neighbors(struct request *,
		    struct json_object *);
void		 master_grid_set_neighbors(struct request *,
		    struct json_object *);

#endif
