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

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "creamasd.h"
#include "xmalloc.h"

/*
 * Which spellings of a host name this environment's own. An address is
 * checked against the environment's host for every key of a
 * create_connections map that shares its port, often thousands naming
 * a few other nodes: each spelling is resolved once a while, not once a
 * key, so that a map does not hold the loop up for a lookup per key.
 */

#define HOSTCACHE_SIZE		32	/* spellings remembered */
#define HOSTCACHE_US		(60 * 1000000ULL)	/* and for how long */

/* A spelling, whether it names this environment's host, and until when. */
struct hostcache_entry {
	char		*host;
	char		*ours;
	int		 same;
	uint64_t	 until_us;
};

static struct hostcache_entry	 hostcache[HOSTCACHE_SIZE];

/* Return the entry remembered for host against ours, or NULL. */
static struct hostcache_entry *
hostcache_find(const char *host, const char *ours, uint64_t now)
{
	struct hostcache_entry	*entry;
	size_t			 i;

	for (i = 0; i < HOSTCACHE_SIZE; i++) {
		entry = &hostcache[i];
		if (entry->host != NULL && entry->until_us > now &&
		    strcmp(entry->host, host) == 0 &&
		    strcmp(entry->ours, ours) == 0)
			return (entry);
	}
	return (NULL);
}

/* Remember an answer in place of the entry that expires first. */
static void
hostcache_remember(const char *host, const char *ours, int same,
    uint64_t now)
{
	struct hostcache_entry	*entry = &hostcache[0];
	size_t			 i;

	for (i = 1; i < HOSTCACHE_SIZE; i++) {
		if (hostcache[i].until_us < entry->until_us)
			entry = &hostcache[i];
	}
	free(entry->host);
	free(entry->ours);
	entry->host = xstrdup(host);
	entry->ours = xstrdup(ours);
	entry->same = same;
	entry->until_us = now + HOSTCACHE_US;
}

/*
 * Return 1 if host is a spelling of ours (addr_same_host()), 0 if not,
 * -1 with a cause if one cannot be resolved (not remembered, so that
 * the next request looks again).
 */
int
hostcache_same(const char *host, const char *ours, char **cause)
{
	struct hostcache_entry	*entry;
	uint64_t		 now = env_now_us();
	int			 same;

	if ((entry = hostcache_find(host, ours, now)) != NULL)
		return (entry->same);
	if ((same = addr_same_host(host, ours, cause)) != -1)
		hostcache_remember(host, ours, same, now);
	return (same);
}
