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

#ifndef CREAMAS_XMALLOC_H
#define CREAMAS_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Allocators that never return NULL: they abort on exhaustion. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/*
 * Allocators that return NULL on exhaustion, for sizes a peer asks for:
 * the request fails and the process goes on. xmalloc_shortage() says
 * what was short, naming the process's memory limit when it has one.
 */
void	*xtrycalloc(size_t, size_t);
void	*xtryreallocarray(void *, size_t, size_t);
void	*xtable_resize(void *, size_t, size_t);
void	 xtable_free(void *, size_t);
char	*xmalloc_shortage(const char *, size_t);

/*
 * Bring in the pages of memory about to be written in bulk at once, not
 * a fault at a time (nothing below XMALLOC_PREFAULT_MIN bytes).
 */
#define XMALLOC_PREFAULT_MIN	(64 * 1024)
void	 xmalloc_prefault(void *, size_t);
void	 xmalloc_prefault_ahead(void *, size_t, size_t *, size_t);

/* Give freed memory back to the system after a moment of calm. */
struct event_base;
void	 xmalloc_trim_later(struct event_base *);
void	 xmalloc_trim_cancel(void);
void	 xmalloc_trim_free(void);

#endif
