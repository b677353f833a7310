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

#ifndef CREAMAS_LIMIT_H
#define CREAMAS_LIMIT_H

#include <stddef.h>

struct auth_key;

/*
 * Protocol limits; every one has a configuration key of the same name.
 * The cluster key, when set, is required of every peer (see auth.h).
 */
struct limits {
	size_t		 max_line;	   /* longest request line, bytes */
	size_t		 max_reply;	   /* longest reply line a client takes */
	size_t		 max_output;	   /* output queued before reads stop */
	unsigned long	 max_inflight;	   /* requests in flight per connection */
	unsigned long	 max_connections;  /* connections accepted at once */
	double		 idle_timeout;	   /* seconds without a request; 0 off */
	double		 call_timeout;	   /* seconds an agent call may take */
	const struct auth_key *key;	   /* NULL: no authentication */
};

#define LIMITS_MAX_LINE		(16UL * 1024 * 1024)
#define LIMITS_MAX_OUTPUT	(16UL * 1024 * 1024)
#define LIMITS_MAX_REPLY	(1024UL * 1024 * 1024)
#define LIMITS_MAX_INFLIGHT	1024
#define LIMITS_MAX_CONNECTIONS	4096
#define LIMITS_IDLE_TIMEOUT	600.0
#define LIMITS_CALL_TIMEOUT	30.0

void	limit_default(struct limits *);
int	limit_set(struct limits *, const char *, const char *, char **);
int	limit_is_key(const char *);

#endif
