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

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "xmalloc.h"

#define XMALLOC_TRIM_DELAY	1.0	/* seconds of calm before a trim */

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

static uintptr_t	xmalloc_page(void);

/* Round a size up to whole pages. */
static size_t
xtable_pages(size_t bytes)
{
	size_t	 page = (size_t)xmalloc_page();

	return ((bytes + page - 1) & ~(page - 1));
}

/*
 * Resize a table kept in a mapping of its own from old to size bytes, or
 * make one, zeroed, when ptr is NULL. mremap moves the table's pages
 * rather than copying them: a table of millions grows without a pause,
 * where realloc into fresh memory would copy it and fault a page at a
 * time (tens of ms), and shrunk it gives its pages back. NULL, leaving
 * the table as it was, if the memory cannot be had.
 */
void *
xtable_resize(void *ptr, size_t old, size_t size)
{
	void	*table;

	if (size == 0)
		fatalx("%s: zero size", __func__);
	if (ptr == NULL)
		table = mmap(NULL, xtable_pages(size), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (xtable_pages(old) == xtable_pages(size))
		return (ptr);
	else
		table = mremap(ptr, xtable_pages(old), xtable_pages(size),
		    MREMAP_MAYMOVE);
	return (table == MAP_FAILED ? NULL : table);
}

/* Free a table of size bytes made by xtable_resize(). */
void
xtable_free(void *ptr, size_t size)
{
	if (ptr != NULL && munmap(ptr, xtable_pages(size)) != 0)
		log_warn("%s", __func__);
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

/* Return the size of a page. */
static uintptr_t
xmalloc_page(void)
{
	static uintptr_t	 page;

	if (page == 0)
		page = (uintptr_t)sysconf(_SC_PAGESIZE);
	return (page);
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
	uintptr_t	 page = xmalloc_page(), first, end;

	if (length < XMALLOC_PREFAULT_MIN)
		return;
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

/*
 * Giving memory back after bulk work. glibc's malloc_trim() does it in
 * one call that blocks the loop for as long as the kernel takes to drop
 * every free page, measured on a 2-vCPU VM: 20-100 ms for the 400 MiB a
 * storm of a million cross-slave calls leaves, 3-17 ms for the 8 MiB of
 * holes between a diffusion_rpc slave's agents. In a thread it holds
 * the arena's lock as long, and the loop's own malloc() waits for it
 * (an is_ready took 79 ms so). So the daemon drops the pages
 * itself, a slice of the loop at a time: it takes the heap's free memory
 * a block at a time with malloc(), which hands out free chunks before it
 * grows the heap, and drops each block's pages with madvise(). Where a
 * block would have to grow the heap, the blocks get smaller, down to
 * XMALLOC_SWEEP_SMALLEST; then all the blocks, holding no pages now, go
 * back to the heap at once.
 */
#define XMALLOC_SWEEP_LARGEST	(1024 * 1024)	/* bytes taken at a time */
#define XMALLOC_SWEEP_SMALLEST	(16 * 1024)	/* holes smaller are kept */
#define XMALLOC_SWEEP_SLICE_US	1000		/* of the loop's time a turn */

static struct {
	struct event	 *event;	/* the calm, then each slice */
	void		**blocks;	/* taken, their pages dropped */
	size_t		  nblocks;
	size_t		  room;		/* for blocks */
	size_t		  block;	/* bytes taken at a time now */
	size_t		  taken;	/* bytes in blocks */
	size_t		  most;		/* bytes that may be taken at most */
	char		 *heap_end;	/* where the heap ended at the start */
	int		  running;
} xmalloc_sweep;

/* Drop the pages that lie wholly inside a block (its contents go). */
static void
xmalloc_sweep_drop(void *block, size_t size)
{
	uintptr_t	 page = xmalloc_page(), first, end;

	first = ((uintptr_t)block + page - 1) & ~(page - 1);
	end = ((uintptr_t)block + size) & ~(page - 1);
	if (end > first)
		(void)madvise((void *)first, end - first, MADV_DONTNEED);
}

/* Give the blocks taken back to the heap and end the sweep. */
static void
xmalloc_sweep_end(void)
{
	size_t	 i;

	for (i = 0; i < xmalloc_sweep.nblocks; i++)
		free(xmalloc_sweep.blocks[i]);
	free(xmalloc_sweep.blocks);
	xmalloc_sweep.blocks = NULL;
	xmalloc_sweep.nblocks = xmalloc_sweep.room = 0;
	xmalloc_sweep.running = 0;
}

/*
 * Take one block of free memory and drop its pages; return 0 if there
 * is none of that size left (the block would come from a growing heap,
 * or more would be taken than the process ever held).
 */
static int
xmalloc_sweep_take(void)
{
	char	*block;

	if (xmalloc_sweep.taken + xmalloc_sweep.block > xmalloc_sweep.most ||
	    (block = malloc(xmalloc_sweep.block)) == NULL)
		return (0);
	if (block + xmalloc_sweep.block > xmalloc_sweep.heap_end) {
		free(block);
		return (0);
	}
	xmalloc_sweep_drop(block, xmalloc_sweep.block);
	if (xmalloc_sweep.nblocks == xmalloc_sweep.room) {
		xmalloc_sweep.room = xmalloc_sweep.room == 0 ? 256 :
		    xmalloc_sweep.room * 2;
		xmalloc_sweep.blocks = xreallocarray(xmalloc_sweep.blocks,
		    xmalloc_sweep.room, sizeof *xmalloc_sweep.blocks);
	}
	xmalloc_sweep.blocks[xmalloc_sweep.nblocks++] = block;
	xmalloc_sweep.taken += xmalloc_sweep.block;
	return (1);
}

/*
 * Start a sweep: note where the heap ends, and the most that may be
 * taken, the process's peak resident memory (which bounds the sweep
 * where the heap is not one run of memory below the break).
 */
static void
xmalloc_sweep_begin(void)
{
	struct rusage	 usage;

	xmalloc_sweep.heap_end = sbrk(0);
	xmalloc_sweep.most = 0;
	if (getrusage(RUSAGE_SELF, &usage) == 0)
		xmalloc_sweep.most = (size_t)usage.ru_maxrss * 1024;
	xmalloc_sweep.block = XMALLOC_SWEEP_LARGEST;
	xmalloc_sweep.taken = 0;
	xmalloc_sweep.running = 1;
}

/*
 * The calm lasted, or the sweep goes on: for a slice of time take blocks
 * and drop their pages, smaller blocks once none of a size is left, and
 * come back next turn of the loop, or end the sweep.
 */
static void
xmalloc_trim_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	 now = { 0, 0 };
	uint64_t	 end = clock_now_us() + XMALLOC_SWEEP_SLICE_US;

	if (!xmalloc_sweep.running)
		xmalloc_sweep_begin();
	do {
		if (xmalloc_sweep_take())
			continue;
		if (xmalloc_sweep.block == XMALLOC_SWEEP_SMALLEST) {
			xmalloc_sweep_end();
			return;
		}
		xmalloc_sweep.block /= 2;
	} while (clock_now_us() < end);
	evtimer_add(xmalloc_sweep.event, &now);
}

/*
 * After bulk work (a large reply, a large batch, a round of many calls)
 * give the heap's free memory back once nothing else of the kind has
 * come for a second: the allocator would otherwise keep it for good,
 * while work that follows at once reuses it instead of faulting it in
 * again.
 */
void
xmalloc_trim_later(struct event_base *base)
{
	struct timeval	 tv = { (time_t)XMALLOC_TRIM_DELAY, 0 };

	if (xmalloc_sweep.event == NULL)
		xmalloc_sweep.event = evtimer_new(base, xmalloc_trim_cb, NULL);
	if (xmalloc_sweep.running)
		xmalloc_sweep_end();
	evtimer_add(xmalloc_sweep.event, &tv);
}

/* Bulk work starts again: the memory will be used, keep it. */
void
xmalloc_trim_cancel(void)
{
	if (xmalloc_sweep.event != NULL)
		evtimer_del(xmalloc_sweep.event);
	if (xmalloc_sweep.running)
		xmalloc_sweep_end();
}

/* Forget the trim to come (at exit). */
void
xmalloc_trim_free(void)
{
	xmalloc_trim_cancel();
	if (xmalloc_sweep.event != NULL)
		event_free(xmalloc_sweep.event);
	xmalloc_sweep.event = NULL;
}
