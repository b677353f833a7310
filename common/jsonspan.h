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


#ifndef CREAMAS_JSONSPAN_H
#define CREAMAS_JSONSPAN_H

#include <stddef.h>
#include <stdint.h>

/*
 * A JSON scanner that builds nothing: it checks text against RFC 8259
 * (strings of well-formed UTF-8, numbers as JSON writes them, nesting
 * up to a depth) and finds where values begin and end, so that a large
 * answer can be checked, cut and joined as text. Offsets are bytes from
 * the start of the text; every span is [start, end).
 */

#define JSONSPAN_MAX_DEPTH	64

struct evbuffer;

int	jsonspan_utf8(const char *, size_t, size_t *);
int	jsonspan_value(const char *, size_t, size_t *, int);
int	jsonspan_valid(const char *, size_t, int);
int	jsonspan_members(const char *, size_t, const char *const *, size_t,
	    size_t *, size_t *);
int	jsonspan_member(const char *, size_t, const char *, size_t *,
	    size_t *);
int	jsonspan_find(const char *, size_t, const char *, size_t *,
	    size_t *);
int	jsonspan_result(const char *, size_t, size_t *, size_t *);
int	jsonspan_next(const char *, size_t, size_t *, size_t *, size_t *);
int	jsonspan_inside(const char *, size_t, size_t, size_t *, size_t *);
int	jsonspan_splice(struct evbuffer *, const char *, size_t, size_t,
	    int *);
int	jsonspan_count(const char *, size_t, size_t, uint64_t, uint64_t *);

#endif
