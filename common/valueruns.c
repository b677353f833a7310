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

#include <sys/param.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "jsonspan.h"
#include "valueruns.h"
#include "xmalloc.h"

#define VALUERUNS_CHUNK		(64 * 1024)	/* bytes filled at a time */

/* Start writing runs of values into out, as a list's elements. */
void
valueruns_init(struct valueruns *runs, struct evbuffer *out)
{
	memset(runs, 0, sizeof *runs);
	runs->out = out;
}

/* Write the run so far, ,COUNT,VALUE (no comma first), if there is one. */
static void
valueruns_flush(struct valueruns *runs)
{
	const char	*comma = evbuffer_get_length(runs->out) > 0 ? "," : "";

	if (runs->count == 0)
		return;
	if (evbuffer_add_printf(runs->out, "%s%llu,", comma,
	    (unsigned long long)runs->count) < 0 ||
	    evbuffer_add(runs->out, runs->value, runs->length) != 0)
		runs->failed = 1;
	runs->count = 0;
}

/* Add the nulls counted by valueruns_add_null(), if any. */
static void
valueruns_add_nulls(struct valueruns *runs)
{
	uint64_t	 nulls = runs->nulls;

	runs->nulls = 0;
	valueruns_add_many(runs, "null", 4, nulls);
}

/*
 * Add n elements in a row, each a value's JSON text: more of the run when
 * it is the same text, else the start of a new run. A run is written when
 * it ends, or when it is as long as a count may be (the same value then
 * goes on in a run of its own).
 */
void
valueruns_add_many(struct valueruns *runs, const char *text, size_t length,
    uint64_t n)
{
	uint64_t	 take;

	if (n == 0)
		return;
	if (runs->nulls > 0)
		valueruns_add_nulls(runs);
	if (runs->count == 0 || length != runs->length ||
	    memcmp(text, runs->value, length) != 0) {
		valueruns_flush(runs);
		if (length > runs->size) {
			runs->size = MAX(length, 64);
			runs->value = xrealloc(runs->value, runs->size);
		}
		memcpy(runs->value, text, length);
		runs->length = length;
	}
	while (n > 0) {
		if (runs->count == UINT32_MAX)
			valueruns_flush(runs);
		take = MIN(n, UINT32_MAX - runs->count);
		runs->count += take;
		n -= take;
	}
}

/* Add the next element, a value's JSON text. */
void
valueruns_add(struct valueruns *runs, const char *text, size_t length)
{
	valueruns_add_many(runs, text, length, 1);
}

/* Write the last run and free the runs' own memory; -1 if memory ran out. */
int
valueruns_finish(struct valueruns *runs)
{
	valueruns_add_nulls(runs);
	valueruns_flush(runs);
	free(runs->value);
	runs->value = NULL;
	runs->size = 0;
	return (runs->failed ? -1 : 0);
}

/*
 * Check the runs of a checked JSON array's text and that their elements
 * take at most most bytes, a comma each; -1, with why, if not.
 */
static int
valueruns_measure(const char *text, size_t length, uint64_t most,
    const char **why)
{
	size_t		 pos = 0, start, end;
	uint64_t	 count = 0, bytes = 0, unit;
	int		 rc, value = 0;

	while ((rc = jsonspan_next(text, length, &pos, &start, &end)) == 1) {
		if (value) {
			unit = end - start + 1;
			if (count > (most - bytes) / unit) {
				*why = "runs longer than the most a reply may be";
				return (-1);
			}
			bytes += count * unit;
			value = 0;
		} else if (jsonspan_count(text, start, end, UINT32_MAX,
		    &count) != 0 || count == 0) {
			*why = "a count that is not from 1 to 2^32 - 1";
			return (-1);
		} else
			value = 1;
	}
	if (rc != 0 || value) {
		*why = rc != 0 ? "not an array" : "a count without its value";
		return (-1);
	}
	return (0);
}

/*
 * Write count copies of unit to out, filling it a chunk at a time by
 * doubling copies; -1 if memory ran out.
 */
int
valueruns_fill(struct evbuffer *out, const char *unit, size_t length,
    uint64_t count)
{
	struct evbuffer_iovec	 space;
	size_t			 units, filled, total;
	char			*p;

	while (count > 0) {
		units = (size_t)MIN(count, MAX(VALUERUNS_CHUNK / length, 1));
		total = units * length;
		if (evbuffer_reserve_space(out, (ev_ssize_t)total, &space,
		    1) < 1)
			return (-1);
		/* A page brought in by a fault costs ten times more. */
		xmalloc_prefault(space.iov_base, total);
		p = space.iov_base;
		memcpy(p, unit, length);
		/* Double what is written until the units are all there. */
		for (filled = length; filled < total; filled += MIN(filled,
		    total - filled))
			memcpy(p + filled, p, MIN(filled, total - filled));
		space.iov_len = total;
		if (evbuffer_commit_space(out, &space, 1) != 0)
			return (-1);
		count -= units;
	}
	return (0);
}

/*
 * Write the values of the runs that text holds (a JSON array checked
 * before) to out as list elements, after a comma when *written says
 * elements went out before. Refuse, with why and writing nothing, what
 * is not of the form or would take more than most bytes. Return 0, or
 * -1 (why NULL if memory ran out).
 */
int
valueruns_expand(struct evbuffer *out, const char *text, size_t length,
    uint64_t most, int *written, const char **why)
{
	size_t		 pos = 0, start, end;
	uint64_t	 count = 0;
	char		*unit;
	int		 value = 0, rc = 0;

	*why = NULL;
	if (valueruns_measure(text, length, most, why) != 0)
		return (-1);
	while (rc == 0 && jsonspan_next(text, length, &pos, &start,
	    &end) == 1) {
		if (!value) {
			jsonspan_count(text, start, end, UINT32_MAX, &count);
			value = 1;
			continue;
		}
		value = 0;
		unit = xmalloc(end - start + 1);
		unit[0] = ',';
		memcpy(unit + 1, text + start, end - start);
		if (!*written) {
			rc |= evbuffer_add(out, unit + 1, end - start);
			count--;
			*written = 1;
		}
		rc |= valueruns_fill(out, unit, end - start + 1, count);
		free(unit);
	}
	return (rc != 0 ? -1 : 0);
}
