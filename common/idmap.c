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

#include "idmap.h"
#include "xmalloc.h"

#define IDMAP_MIN	16

/* Spread an id over the table. */
static size_t
idmap_slot(const struct idmap *map, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return ((size_t)id & (map->capacity - 1));
}

/* Make an empty map. */
void
idmap_init(struct idmap *map)
{
	memset(map, 0, sizeof *map);
}

/* Grow the table to a new capacity and insert everything again. */
static void
idmap_resize(struct idmap *map, size_t capacity)
{
	struct idmap	 bigger;
	size_t		 i;

	bigger.capacity = capacity;
	bigger.count = 0;
	bigger.keys = xcalloc(capacity, sizeof *bigger.keys);
	bigger.values = xcalloc(capacity, sizeof *bigger.values);
	for (i = 0; i < map->capacity; i++) {
		if (map->values[i] != NULL)
			idmap_put(&bigger, map->keys[i], map->values[i]);
	}
	free(map->keys);
	free(map->values);
	*map = bigger;
}

/* Insert or replace the value for an id; value must not be NULL. */
void
idmap_put(struct idmap *map, uint64_t id, void *value)
{
	size_t	 slot;

	if ((map->count + 1) * 2 > map->capacity)
		idmap_resize(map, map->capacity == 0 ? IDMAP_MIN :
		    map->capacity * 2);
	slot = idmap_slot(map, id);
	while (map->values[slot] != NULL && map->keys[slot] != id)
		slot = (slot + 1) & (map->capacity - 1);
	if (map->values[slot] == NULL)
		map->count++;
	map->keys[slot] = id;
	map->values[slot] = value;
}

/* Find the slot holding id, or return the capacity. */
static size_t
idmap_find(const struct idmap *map, uint64_t id)
{
	size_t	 slot;

	if (map->capacity == 0)
		return (0);
	slot = idmap_slot(map, id);
	while (map->values[slot] != NULL) {
		if (map->keys[slot] == id)
			return (slot);
		slot = (slot + 1) & (map->capacity - 1);
	}
	return (map->capacity);
}

/* Return the value for an id, or NULL. */
void *
idmap_get(const struct idmap *map, uint64_t id)
{
	size_t	 slot = idmap_find(map, id);

	return (slot < map->capacity ? map->values[slot] : NULL);
}

/* Remove an id, shifting later entries back; return its value or NULL. */
void *
idmap_remove(struct idmap *map, uint64_t id)
{
	size_t	 slot, next, home;
	void	*value;

	if ((slot = idmap_find(map, id)) >= map->capacity)
		return (NULL);
	value = map->values[slot];
	map->values[slot] = NULL;
	map->count--;
	next = (slot + 1) & (map->capacity - 1);
	while (map->values[next] != NULL) {
		home = idmap_slot(map, map->keys[next]);
		/* Move the entry back if its home is not in (slot, next]. */
		if ((next > slot && (home <= slot || home > next)) ||
		    (next < slot && home <= slot && home > next)) {
			map->keys[slot] = map->keys[next];
			map->values[slot] = map->values[next];
			map->values[next] = NULL;
			slot = next;
		}
		next = (next + 1) & (map->capacity - 1);
	}
	return (value);
}

/* Free the table. */
void
idmap_clear(struct idmap *map)
{
	free(map->keys);
	free(map->values);
	idmap_init(map);
}
