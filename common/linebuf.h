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

#ifndef CREAMAS_LINEBUF_H
#define CREAMAS_LINEBUF_H

#include <stddef.h>

struct evbuffer;

/*
 * A line's bytes gathered as they come, held once: past LINEBUF_MAPPED
 * bytes in pages of its own, grown without a copy and given back whole
 * when the line is freed.
 */
struct linebuf {
	char	*text;
	size_t	 length;
	size_t	 size;
	int	 mapped;
};

#define LINEBUF_MAPPED	(64 * 1024)

int	 linebuf_add(struct linebuf *, const char *, size_t);
int	 linebuf_add_input(struct linebuf *, struct evbuffer *);
char	*linebuf_take(struct linebuf *, size_t *, size_t *);
void	 linebuf_free_line(char *, size_t);
void	 linebuf_clear(struct linebuf *);

#endif
