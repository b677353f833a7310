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

#ifndef CREAMAS_ADDR_H
#define CREAMAS_ADDR_H

#include <stdint.h>

#define ADDR_HOST_MAX	256

/* An agent address tcp://HOST:PORT/N, or a listen address HOST:PORT. */
struct addr {
	char		 host[ADDR_HOST_MAX];
	uint16_t	 port;
	long		 agent;		/* -1 when the address names none */
};

int	 addr_parse(const char *, struct addr *, char **);
int	 addr_parse_hostport(const char *, struct addr *, char **);
char	*addr_format(const char *, uint16_t, long);
char	*addr_format_hostport(const char *, uint16_t);
int	 addr_same_host(const char *, const char *, char **);

#endif
