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

/*
 * Runs of values: a list written short as [COUNT, VALUE, COUNT, VALUE,
 * ...], each VALUE standing for COUNT elements in a row (COUNT from 1 to
 * 2^32 - 1). A slave writes a round's results so for its master, where
 * most agents answer the same (null), and the master writes them out.
 */

#ifndef CREAMAS_VALUERUNS_H
#define CREAMAS_VALUERUNS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* Runs of values being written, one run at a time. */
struct valueruns {
	struct evbuffer	*out;
	char		*value;		/* the run's value, as text */
	size_t		 length;
	size_t		 size;
	uint64_t	 count;		/* 0: no run yet */
	uint64_t	 nulls;		/* nulls after it, not yet added */
	int		 failed;	/* memory ran out */
};

void	valueruns_init(struct valueruns *, struct evbuffer *);
void	valueruns_add(struct valueruns *, const char *, size_t);
void	valueruns_add_many(struct valueruns *, const char *, size_t,
	    uint64_t);
int	valueruns_finish(struct valueruns *);
int	valueruns_fill(struct evbuffer *, const char *, size_t, uint64_t);
int	valueruns_expand(struct evbuffer *, const char *, size_t, uint64_t,
	    int *, const char **);

/*
 * Add a null, the element most agents answer: only counted here, without
 * a call or a comparison, and added to the runs with the next other
 * element or at the end.
 */
static inline void
valueruns_add_null(struct valueruns *runs)
{
	runs->nulls++;
}

#endif
