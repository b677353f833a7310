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
#include <sys/resource.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"

#define XMALLOC_TRIM_DELAY	1.0	/* seconds of calm before a trim */

static struct event	*xmalloc_trim_event;

/* Allocate size bytes or die. */
void *
xmalloc(size_t size)
{
	void	*ptr;

	if (size == 0)
		fatalx("xmalloc: zero size");
	if ((ptr = malloc(size)) == NULL)
		fatal("xmalloc: allocating %zu bytes", size);
	return (ptr);
}

/* Allocate a zeroed array or die. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void	*ptr;

	if (size == 0 || nmemb == 0)
		fatalx("xcalloc: zero size");
	if ((ptr = calloc(nmemb, size)) == NULL)
		fatal("xcalloc: allocating %zu * %zu bytes", nmemb, size);
	return (ptr);
}

/* Resize an allocation or die. */
void *
xrealloc(void *ptr, size_t size)
{
	return (xreallocarray(ptr, 1, size));
}

/* Resize an array, checking the multiplication for overflow. */
void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*new_ptr;

	if (nmemb == 0 || size == 0)
		fatalx("xreallocarray: zero size");
	if (SIZE_MAX / nmemb < size)
		fatalx("xreallocarray: %zu * %zu overflows", nmemb, size);
	if ((new_ptr = realloc(ptr, nmemb * size)) == NULL)
		fatal("xreallocarray: allocating %zu * %zu bytes", nmemb, size);
	return (new_ptr);
}

/* Copy a string or die. */
char *
xstrdup(const char *str)
{
	char	*copy;

	if ((copy = strdup(str)) == NULL)
		fatal("xstrdup");
	return (copy);
}

/* Copy at most len bytes of a string or die. */
char *
xstrndup(const char *str, size_t len)
{
	char	*copy;

	if ((copy = strndup(str, len)) == NULL)
		fatal("xstrndup");
	return (copy);
}

/* Format into a new string or die. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 len;

	va_start(ap, fmt);
	len = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return (len);
}

/* Format a va_list into a new string or die. */
int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 len;

	len = vasprintf(ret, fmt, ap);
	if (len == -1)
		fatal("xvasprintf");
	return (len);
}

/* Allocate a zeroed array, or return NULL (overflow or exhaustion). */
void *
xtrycalloc(size_t nmemb, size_t size)
{
	if (nmemb == 0 || size == 0)
		fatalx("xtrycalloc: zero size");
	return (calloc(nmemb, size));
}

/* Resize an array, or return NULL leaving it as it was. */
void *
xtryreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (nmemb == 0 || size == 0)
		fatalx("xtryreallocarray: zero size");
	if (SIZE_MAX / nmemb < size) {
		errno = ENOMEM;
		return (NULL);
	}
	return (realloc(ptr, nmemb * size));
}

/*
 * Say that bytes for what could not be had, and the limit that stood in
 * the way: the address space or data limit (ulimit -v, -d) when one is
 * set, else the memory of the machine.
 */
char *
xmalloc_shortage(const char *what, size_t bytes)
{
	struct rlimit	 as, data;
	char		*text;

	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
		xasprintf(&text, "out of memory: no %zu bytes more for %s "
		    "within the address space limit of %llu bytes "
		    "(RLIMIT_AS, ulimit -v)", bytes, what,
		    (unsigned long long)as.rlim_cur);
	else if (getrlimit(RLIMIT_DATA, &data) == 0 &&
	    data.rlim_cur != RLIM_INFINITY)
		xasprintf(&text, "out of memory: no %zu bytes more for %s "
		    "within the data limit of %llu bytes (RLIMIT_DATA, "
		    "ulimit -d)", bytes, what,
		    (unsigned long long)data.rlim_cur);
	else
		xasprintf(&text, "out of memory: no %zu bytes more for %s "
		    "from the system", bytes, what);
	return (text);
}

/*
 * Map in the pages under [start, start + length) now, with one system
 * call, rather than with a fault per page as they are first written: a
 * fault costs far more than the page it brings, most of all in a virtual
 * machine (about 10 us against under 1 us a page in one call, measured
 * on a 2-vCPU one). Below XMALLOC_PREFAULT_MIN, or where the kernel
 * cannot (before Linux 5.14), it does nothing: the faults come as usual.
 */
void
xmalloc_prefault(void *start, size_t length)
{
#ifdef MADV_POPULATE_WRITE
	static uintptr_t	 page;
	uintptr_t		 first, end;

	if (length < XMALLOC_PREFAULT_MIN)
		return;
	if (page == 0)
		page = (uintptr_t)sysconf(_SC_PAGESIZE);
	first = (uintptr_t)start & ~(page - 1);
	end = ((uintptr_t)start + length + page - 1) & ~(page - 1);
	(void)madvise((void *)first, end - first, MADV_POPULATE_WRITE);
#else
	(void)start;
	(void)length;
#endif
}

/*
 * For memory filled from its start (an array, a slab, a reply), size
 * bytes at base of which *ready are in: once what is used reaches past
 * *ready, bring in the next XMALLOC_PREFAULT_MIN bytes, so that at most
 * that much is in ahead of use and no call blocks for long.
 */
void
xmalloc_prefault_ahead(void *base, size_t used, size_t *ready, size_t size)
{
	size_t	 length;

	while (*ready < used && *ready < size) {
		length = size - *ready;
		if (length > XMALLOC_PREFAULT_MIN)
			length = XMALLOC_PREFAULT_MIN;
		xmalloc_prefault((char *)base + *ready, length);
		*ready += length;
	}
}

/* The calm lasted: give the heap's free pages back to the system. */
static void
xmalloc_trim_cb(evutil_socket_t fd, short events, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * After bulk work (a large reply, a large batch, a round of many calls)
 * trim the heap once nothing else of the kind has come for a second: the
 * allocator would otherwise keep the freed memory for good, while work
 * that follows at once reuses it instead of faulting it in again.
 */
void
xmalloc_trim_later(struct event_base *base)
{
	struct timeval	 tv = { (time_t)XMALLOC_TRIM_DELAY, 0 };

	if (xmalloc_trim_event == NULL)
		xmalloc_trim_event = evtimer_new(base, xmalloc_trim_cb, NULL);
	evtimer_add(xmalloc_trim_event, &tv);
}

/* Bulk work starts again: the memory will be used, keep it. */
void
xmalloc_trim_cancel(void)
{
	if (xmalloc_trim_event != NULL)
		evtimer_del(xmalloc_trim_event);
}

/* Forget the trim to come (at exit). */
void
xmalloc_trim_free(void)
{
	if (xmalloc_trim_event != NULL)
		event_free(xmalloc_trim_event);
	xmalloc_trim_event = NULL;
}
