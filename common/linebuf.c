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

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "linebuf.h"
#include "xmalloc.h"

/*
 * Make room for need bytes and a NUL: in memory from malloc while
 * small, then in an anonymous mapping that mremap grows where it may
 * without copying, so that a long line is never held twice. Return -1
 * when there is no memory for it.
 */
static int
linebuf_grow(struct linebuf *lb, size_t need)
{
	size_t	 size = lb->size > 0 ? lb->size : 4096;
	void	*grown;

	while (size < need + 1)
		size *= 2;
	if (size <= LINEBUF_MAPPED) {
		if ((grown = realloc(lb->text, size)) == NULL)
			return (-1);
	} else if (!lb->mapped) {
		grown = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (grown == MAP_FAILED)
			return (-1);
		if (lb->length > 0)
			memcpy(grown, lb->text, lb->length);
		free(lb->text);
		lb->mapped = 1;
	} else if ((grown = mremap(lb->text, lb->size, size,
	    MREMAP_MAYMOVE)) == MAP_FAILED)
		return (-1);
	lb->text = grown;
	lb->size = size;
	return (0);
}

/*
 * Make room for a line to reach need bytes, and bring in the pages of a
 * mapping about to be written with one call rather than a fault each: a
 * long line comes a large read at a time. Return -1 when there is no
 * memory for it.
 */
static int
linebuf_reserve(struct linebuf *lb, size_t need)
{
	if (need + 1 > lb->size && linebuf_grow(lb, need) != 0)
		return (-1);
	if (lb->mapped)
		xmalloc_prefault(lb->text + lb->length, need - lb->length);
	return (0);
}

/* Add bytes to a line; -1 when there is no memory for them. */
int
linebuf_add(struct linebuf *lb, const char *bytes, size_t length)
{
	if (linebuf_reserve(lb, lb->length + length) != 0)
		return (-1);
	memcpy(lb->text + lb->length, bytes, length);
	lb->length += length;
	lb->text[lb->length] = '\0';
	return (0);
}

/* Move all of an input's bytes to a line; -1 when there is no memory. */
int
linebuf_add_input(struct linebuf *lb, struct evbuffer *input)
{
	size_t	 length = evbuffer_get_length(input);

	if (linebuf_reserve(lb, lb->length + length) != 0)
		return (-1);
	evbuffer_remove(input, lb->text + lb->length, length);
	lb->length += length;
	lb->text[lb->length] = '\0';
	return (0);
}

/*
 * Take the line (NUL-terminated), its length and what linebuf_free_line()
 * needs to free it; the buffer is left empty.
 */
char *
linebuf_take(struct linebuf *lb, size_t *length, size_t *mapped)
{
	char	*text = lb->text;

	*length = lb->length;
	*mapped = lb->mapped ? lb->size : 0;
	memset(lb, 0, sizeof *lb);
	return (text);
}

/* Free a line: from malloc (mapped 0), or a mapping of mapped bytes. */
void
linebuf_free_line(char *line, size_t mapped)
{
	if (mapped > 0)
		munmap(line, mapped);
	else
		free(line);
}

/* Free what a buffer holds and leave it empty. */
void
linebuf_clear(struct linebuf *lb)
{
	size_t	 length, mapped;
	char	*text;

	text = linebuf_take(lb, &length, &mapped);
	linebuf_free_line(text, mapped);
}
