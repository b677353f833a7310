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

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"
#include "quote.h"
#include "xmalloc.h"

/*
 * Slurm's host lists, as scontrol show hostnames expands them: hosts
 * apart by commas or white space, each a name with bracketed number
 * ranges, "n[01-03,7]" for n01 n02 n03 n7. A range pads its numbers to
 * the digits of its low bound; several brackets in one name stand for
 * every combination, the first varying slowest ("r[1-2]n[1-2]": r1n1
 * r1n2 r2n1 r2n2). Like Slurm 22.05, a name may not go on after its last
 * bracket ("gpu[1-2]x" is refused), and neither an empty bracket, a range
 * that goes down, nor anything but digits, '-' and ',' in one is taken.
 */

#define HOSTLIST_DIGITS_MAX	18	/* a range bound's digits at most */

/* One bracket's numbers: each with the width to pad it to. */
struct hostlist_range {
	unsigned long long	*numbers;
	int			*widths;
	size_t			 count;
};

/* Add a host to the list. */
static void
hostlist_add(struct hostlist *list, char *host)
{
	list->hosts = xreallocarray(list->hosts, list->count + 1,
	    sizeof *list->hosts);
	list->hosts[list->count++] = host;
}

/* Read a range bound of digits only; return its end, NULL if none. */
static const char *
hostlist_bound(const char *p, const char *end, unsigned long long *value,
    int *width)
{
	const char	*start = p;

	*value = 0;
	while (p < end && isdigit((unsigned char)*p)) {
		if (p - start >= HOSTLIST_DIGITS_MAX)
			return (NULL);
		*value = *value * 10 + (unsigned long long)(*p - '0');
		p++;
	}
	if (p == start)
		return (NULL);
	*width = (int)(p - start);
	return (p);
}

/*
 * Read the inside of a bracket, from p to end ("01-03,7"), into range;
 * return 0, or -1 with why in cause.
 */
static int
hostlist_range_parse(const char *p, const char *end, size_t limit,
    struct hostlist_range *range, char **cause)
{
	unsigned long long	 low, high, n;
	int			 width, high_width;
	const char		*next, *start = p;

	for (;;) {
		if ((next = hostlist_bound(p, end, &low, &width)) == NULL)
			goto bad;
		high = low;
		if (next < end && *next == '-' &&
		    (next = hostlist_bound(next + 1, end, &high,
		    &high_width)) == NULL)
			goto bad;
		if (high < low)
			goto bad;
		if (high - low >= limit || range->count + (high - low) >=
		    limit) {
			xasprintf(cause, "more than %d hosts", HOSTLIST_MAX);
			return (-1);
		}
		for (n = low; n <= high; n++) {
			range->numbers = xreallocarray(range->numbers,
			    range->count + 1, sizeof *range->numbers);
			range->widths = xreallocarray(range->widths,
			    range->count + 1, sizeof *range->widths);
			range->numbers[range->count] = n;
			range->widths[range->count++] = width;
		}
		if (next == end)
			return (0);
		if (*next != ',')
			goto bad;
		p = next + 1;
	}
bad:
	xasprintf(cause, "bad range [%.*s]", (int)(end - start), start);
	return (-1);
}

/*
 * Add every host one name with brackets stands for: the text before
 * bracket 'depth' is prefix, already expanded to 'done'.
 */
static void
hostlist_product(struct hostlist *list, const char *done,
    char *const *texts, const struct hostlist_range *ranges, size_t nranges,
    size_t depth)
{
	const struct hostlist_range	*range = &ranges[depth];
	char				*host;
	size_t				 k;

	for (k = 0; k < range->count; k++) {
		xasprintf(&host, "%s%s%0*llu", done, texts[depth],
		    range->widths[k], range->numbers[k]);
		if (depth + 1 == nranges)
			hostlist_add(list, host);
		else {
			hostlist_product(list, host, texts, ranges, nranges,
			    depth + 1);
			free(host);
		}
	}
}

/*
 * Expand one name of a list, from p to end; return 0, or -1 with why in
 * cause.
 */
static int
hostlist_name(struct hostlist *list, const char *p, const char *end,
    char **cause)
{
	struct hostlist_range	*ranges = NULL;
	char			**texts = NULL;
	const char		*open, *close;
	size_t			 nranges = 0, total = 1, k;
	int			 rc = -1;

	while ((open = memchr(p, '[', (size_t)(end - p))) != NULL) {
		if ((close = memchr(open, ']', (size_t)(end - open))) == NULL) {
			xasprintf(cause, "no ']' after '['");
			goto out;
		}
		ranges = xreallocarray(ranges, nranges + 1, sizeof *ranges);
		texts = xreallocarray(texts, nranges + 1, sizeof *texts);
		memset(&ranges[nranges], 0, sizeof *ranges);
		texts[nranges] = xstrndup(p, (size_t)(open - p));
		nranges++;
		if (hostlist_range_parse(open + 1, close, HOSTLIST_MAX /
		    total + 1, &ranges[nranges - 1], cause) != 0)
			goto out;
		total *= ranges[nranges - 1].count;
		if (total + list->count > HOSTLIST_MAX) {
			xasprintf(cause, "more than %d hosts", HOSTLIST_MAX);
			goto out;
		}
		p = close + 1;
	}
	if (nranges == 0) {
		hostlist_add(list, xstrndup(p, (size_t)(end - p)));
		return (0);
	}
	if (p != end) {
		xasprintf(cause, "%.*s after the last ']'", (int)(end - p), p);
		goto out;
	}
	hostlist_product(list, "", texts, ranges, nranges, 0);
	rc = 0;
out:
	for (k = 0; k < nranges; k++) {
		free(ranges[k].numbers);
		free(ranges[k].widths);
		free(texts[k]);
	}
	free(ranges);
	free(texts);
	return (rc);
}

/*
 * Expand a Slurm host list into list (emptied first); return 0, or -1
 * with why in cause and list empty.
 */
int
hostlist_expand(const char *text, struct hostlist *list, char **cause)
{
	const char	*p = text, *start;
	char		*why;
	int		 depth;

	memset(list, 0, sizeof *list);
	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		for (depth = 0; *p != '\0'; p++) {
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth > 0)
				depth--;
			else if (depth == 0 && (*p == ',' ||
			    isspace((unsigned char)*p)))
				break;
		}
		if (hostlist_name(list, start, p, &why) != 0) {
			xasprintf(cause, "host list " QUOTE_FMT ": %s",
			    QUOTE(text), why);
			free(why);
			hostlist_free(list);
			return (-1);
		}
	}
	if (list->count == 0) {
		xasprintf(cause, "host list " QUOTE_FMT ": no hosts",
		    QUOTE(text));
		return (-1);
	}
	return (0);
}

/* Free every host of a list and empty it. */
void
hostlist_free(struct hostlist *list)
{
	size_t	 k;

	for (k = 0; k < list->count; k++)
		free(list->hosts[k]);
	free(list->hosts);
	memset(list, 0, sizeof *list);
}
