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

#ifndef CREAMAS_IDMAP_H
#define CREAMAS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

/* A hash table from 64-bit ids to pointers (open addressing). */
struct idmap {
	uint64_t	*keys;
	void		**values;
	size_t		 capacity;	/* a power of two, or 0 */
	size_t		 count;
};

void	 idmap_init(struct idmap *);
void	 idmap_put(struct idmap *, uint64_t, void *);
void	*idmap_get(const struct idmap *, uint64_t);
void	*idmap_remove(struct idmap *, uint64_t);
void	 idmap_clear(struct idmap *);

#endif
