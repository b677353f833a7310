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
 * Runs of agent ids: a list of agents' addresses written short, as
 * ["tcp://HOST:PORT/", FIRST, LAST, FIRST, LAST, "tcp://...", ...], each
 * string the prefix of the runs after it and each pair the ids FIRST to
 * LAST in a row. A slave lists its agents so for its master, which
 * writes the addresses out itself.
 */

#ifndef CREAMAS_IDRUNS_H
#define CREAMAS_IDRUNS_H

#include <stddef.h>
#include <stdint.h>

#define IDRUNS_PREFIX_MAX	512	/* bytes of a prefix's JSON text */

struct evbuffer;

/* One run: ids first to last, with the prefix of that index. */
struct idrun {
	size_t		 prefix;
	uint32_t	 first;
	uint32_t	 last;
};

/* Runs read from one or more lists, and the text they stand for. */
struct idruns {
	char		**prefixes;	/* as JSON string text, no quotes */
	size_t		  nprefixes;
	struct idrun	 *runs;
	size_t		  nruns;
	size_t		  sizeruns;	/* room for runs */
	uint64_t	  bytes;	/* of the addresses, commas included */
	uint64_t	  agents;	/* ids in all the runs */
};

/* Where writing the addresses of runs has got to. */
struct idruns_cursor {
	size_t		 run;
	uint32_t	 next;		/* the next id of that run */
	int		 started;	/* next is set */
	int		 written;	/* an address went out */
};

int	idruns_parse(struct idruns *, const char *, size_t, uint64_t,
	    const char **);
int	idruns_write(struct evbuffer *, const struct idruns *,
	    struct idruns_cursor *, size_t);
void	idruns_free(struct idruns *);

#endif
