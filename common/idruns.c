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

#include "idruns.h"
#include "jsonspan.h"
#include "xmalloc.h"

#define IDRUNS_DIGITS_MAX	10		/* of a uint32_t */
#define IDRUNS_CHUNK		(64 * 1024)	/* bytes reserved at a time */

/* Return how many decimal digits id has. */
static size_t
idruns_digits(uint32_t id)
{
	size_t	 n = 1;

	while (id >= 10) {
		id /= 10;
		n++;
	}
	return (n);
}

/* Read an id: an integer from 1 to 2^32 - 1, written with digits only. */
static int
idruns_id(const char *text, size_t start, size_t end, uint32_t *id)
{
	uint64_t	 value;

	if (jsonspan_count(text, start, end, UINT32_MAX, &value) != 0 ||
	    value == 0)
		return (-1);
	*id = (uint32_t)value;
	return (0);
}

/* Add a run, counting the bytes of the addresses it stands for. */
static void
idruns_add(struct idruns *runs, uint32_t first, uint32_t last)
{
	struct idrun	*run;
	uint64_t	 from = first, ceiling = 10, each;
	size_t		 digits = 1;

	if (runs->nruns == runs->sizeruns) {
		runs->sizeruns = runs->sizeruns == 0 ? 16 : runs->sizeruns * 2;
		runs->runs = xreallocarray(runs->runs, runs->sizeruns,
		    sizeof *runs->runs);
	}
	run = &runs->runs[runs->nruns++];
	run->prefix = runs->nprefixes - 1;
	run->first = first;
	run->last = last;
	runs->agents += (uint64_t)last - first + 1;
	/* Each address: a comma, two quotes, the prefix and the digits. */
	each = strlen(runs->prefixes[run->prefix]) + 3;
	while (from <= last) {
		while (ceiling <= from) {
			ceiling *= 10;
			digits++;
		}
		runs->bytes += (MIN(ceiling - 1, last) - from + 1) *
		    (each + digits);
		from = ceiling;
	}
}

/*
 * Read the runs of a list's text (a JSON array already checked, as a
 * slave answers get_agents with runs) and add them to runs: each list
 * names its prefix before its first id. Refuse, with why, what is not
 * that form (-1), or runs whose addresses would take more than most
 * bytes in all (-2); runs is left as it was then.
 */
int
idruns_parse(struct idruns *runs, const char *text, size_t length,
    uint64_t most, const char **why)
{
	size_t		 pos = 0, start, end;
	size_t		 nprefixes = runs->nprefixes, nruns = runs->nruns;
	uint64_t	 bytes = runs->bytes, agents = runs->agents;
	uint32_t	 id, first = 0;
	int		 rc, half = 0, too_long = 0;

	*why = NULL;
	while (*why == NULL &&
	    (rc = jsonspan_next(text, length, &pos, &start, &end)) == 1) {
		if (text[start] == '"') {
			if (half)
				*why = "a run without its last id";
			else if (end - start - 2 > IDRUNS_PREFIX_MAX)
				*why = "a prefix too long";
			else {
				runs->prefixes = xreallocarray(runs->prefixes,
				    runs->nprefixes + 1,
				    sizeof *runs->prefixes);
				runs->prefixes[runs->nprefixes++] = xstrndup(
				    text + start + 1, end - start - 2);
			}
		} else if (idruns_id(text, start, end, &id) != 0)
			*why = "an element neither a prefix nor an id";
		else if (runs->nprefixes == nprefixes)
			*why = "an id before any prefix";
		else if (!half) {
			first = id;
			half = 1;
		} else if (id < first)
			*why = "a run whose last id is below its first";
		else {
			idruns_add(runs, first, id);
			half = 0;
			if (runs->bytes > most) {
				*why = "runs longer than the most a reply may be";
				too_long = 1;
			}
		}
	}
	if (*why == NULL && rc != 0)
		*why = "not an array";
	if (*why == NULL && half)
		*why = "a run without its last id";
	if (*why == NULL)
		return (0);
	while (runs->nprefixes > nprefixes)
		free(runs->prefixes[--runs->nprefixes]);
	runs->nruns = nruns;
	runs->bytes = bytes;
	runs->agents = agents;
	return (too_long ? -2 : -1);
}

/* The most an address takes, and room to copy it 16 bytes at a time. */
#define IDRUNS_ADDRESS_ROOM	\
	(2 + IDRUNS_PREFIX_MAX + IDRUNS_DIGITS_MAX + 1 + 16)

/* An address as the list has it, ,"PREFIX DIGITS", its comma first. */
struct idruns_address {
	char	 text[IDRUNS_ADDRESS_ROOM];
	size_t	 length;
	size_t	 ndigits;	/* the digits end before the last quote */
};

/* Make the address of an id with a prefix. */
static void
idruns_address_set(struct idruns_address *address, const char *prefix,
    uint32_t id)
{
	size_t	 plength = strlen(prefix), i;

	address->text[0] = ',';
	address->text[1] = '"';
	memcpy(address->text + 2, prefix, plength);
	address->ndigits = idruns_digits(id);
	for (i = address->ndigits; i > 0; i--) {
		address->text[2 + plength + i - 1] = (char)('0' + id % 10);
		id /= 10;
	}
	address->length = 2 + plength + address->ndigits + 1;
	address->text[address->length - 1] = '"';
}

/* Make the address the next id's: count its digits up by one. */
static void
idruns_address_next(struct idruns_address *address)
{
	char	*last = address->text + address->length - 2;
	char	*first = last - address->ndigits + 1, *digit = last;

	while (digit >= first && *digit == '9')
		*digit-- = '0';
	if (digit >= first) {
		(*digit)++;
		return;
	}
	/* 99...9 + 1: a 1 and the zeros, one digit more. */
	*first = '1';
	last[1] = '0';
	last[2] = '"';
	address->ndigits++;
	address->length++;
}

/* Copy n bytes (and up to 15 more) 16 at a time, as short copies go. */
static inline void
idruns_copy(char *to, const char *from, size_t n)
{
	size_t	 k;

	for (k = 0; k < n; k += 16)
		memcpy(to + k, from + k, 16);
}

/*
 * Write the addresses of the cursor's run from where it is, at p, while
 * *most allows and there is room before end; return where they end.
 */
static char *
idruns_write_run(char *p, char *end, const struct idruns *runs,
    struct idruns_cursor *cursor, size_t *most)
{
	const struct idrun	*run = &runs->runs[cursor->run];
	struct idruns_address	 address;
	size_t			 skip;

	if (!cursor->started) {
		cursor->next = run->first;
		cursor->started = 1;
	}
	idruns_address_set(&address, runs->prefixes[run->prefix],
	    cursor->next);
	for (;;) {
		skip = cursor->written ? 0 : 1;
		idruns_copy(p, address.text + skip, address.length - skip);
		p += address.length - skip;
		cursor->written = 1;
		(*most)--;
		if (cursor->next == run->last) {
			cursor->run++;
			cursor->started = 0;
			return (p);
		}
		cursor->next++;
		idruns_address_next(&address);
		if (*most == 0 || (size_t)(end - p) < IDRUNS_ADDRESS_ROOM)
			return (p);
	}
}

/*
 * Write the addresses of runs as a list's elements (no brackets), going
 * on from where the cursor is, at most most of them. Return 1 if some
 * are left, 0 when all are written, -1 if memory ran out.
 */
int
idruns_write(struct evbuffer *out, const struct idruns *runs,
    struct idruns_cursor *cursor, size_t most)
{
	struct evbuffer_iovec	 space;
	char			*p, *end;

	while (cursor->run < runs->nruns && most > 0) {
		if (evbuffer_reserve_space(out, IDRUNS_CHUNK, &space, 1) < 1)
			return (-1);
		/* A page brought in by a fault costs ten times more. */
		xmalloc_prefault(space.iov_base, space.iov_len);
		p = space.iov_base;
		end = p + space.iov_len;
		while (cursor->run < runs->nruns && most > 0 &&
		    (size_t)(end - p) >= IDRUNS_ADDRESS_ROOM)
			p = idruns_write_run(p, end, runs, cursor, &most);
		space.iov_len = (size_t)(p - (char *)space.iov_base);
		if (evbuffer_commit_space(out, &space, 1) != 0)
			return (-1);
	}
	return (cursor->run < runs->nruns ? 1 : 0);
}

/* Free what runs hold (not runs itself). */
void
idruns_free(struct idruns *runs)
{
	size_t	 i;

	for (i = 0; i < runs->nprefixes; i++)
		free(runs->prefixes[i]);
	free(runs->prefixes);
	free(runs->runs);
	memset(runs, 0, sizeof *runs);
}
