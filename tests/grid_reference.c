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

#include "grid_reference.h"
#include "testlib.h"

/* Mix 64 bits, as the daemon's grid agents do (splitmix64's finaliser). */
static uint64_t
grid_reference_mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (z ^ (z >> 31));
}

/* Return the first value of the diffusion agent at (x, y), seed 0. */
double
grid_reference_initial(int64_t x, int64_t y)
{
	uint64_t	 seed;

	seed = grid_reference_mix(grid_reference_mix((uint64_t)x) ^
	    (uint64_t)y);
	return ((double)(seed >> 11) * 0x1p-53);
}

/*
 * Fill values[x * height + y] with the diffusion of a width by height
 * grid from (0, 0) after some rounds: each round every cell moves half
 * way to the mean of its neighbours' values of the round before, added
 * in the order N, E, S, W.
 */
void
grid_reference(double *values, int width, int height, int rounds)
{
	static const int	 dx[4] = { 0, 1, 0, -1 };
	static const int	 dy[4] = { -1, 0, 1, 0 };
	double			*next, sum;
	size_t			 cells = (size_t)width * (size_t)height;
	int			 x, y, nx, ny, d, count, r;

	next = tl_calloc(cells, sizeof *next);
	for (x = 0; x < width; x++) {
		for (y = 0; y < height; y++)
			values[x * height + y] = grid_reference_initial(x, y);
	}
	for (r = 0; r < rounds; r++) {
		for (x = 0; x < width; x++) {
			for (y = 0; y < height; y++) {
				sum = 0.0;
				count = 0;
				for (d = 0; d < 4; d++) {
					nx = x + dx[d];
					ny = y + dy[d];
					if (nx < 0 || ny < 0 || nx >= width ||
					    ny >= height)
						continue;
					sum += values[nx * height + ny];
					count++;
				}
				next[x * height + y] = values[x * height + y] +
				    (sum / count - values[x * height + y]) *
				    GRID_REFERENCE_RATE;
			}
		}
		memcpy(values, next, cells * sizeof *values);
	}
	free(next);
}
