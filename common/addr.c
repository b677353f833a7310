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

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <limits.h>
#include <stdlib.h>
#include <netdb.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "jsonrpc.h"
#include "xmalloc.h"

static int	 addr_parse_number(const char *, const char *, long, long,
		    long *, const char *, char **);

/* Parse a decimal number in [min, max] spanning exactly start..end. */
static int
addr_parse_number(const char *start, const char *end, long min, long max,
    long *value, const char *what, char **cause)
{
	char	*stop;
	long	 number;

	if (start == end || !isdigit((unsigned char)*start)) {
		xasprintf(cause, "missing %s", what);
		return (-1);
	}
	errno = 0;
	number = strtol(start, &stop, 10);
	if (stop != end || errno != 0 || number < min || number > max) {
		xasprintf(cause, "invalid %s '%s'", what,
		    rpc_quote_length(start, end - start));
		return (-1);
	}
	*value = number;
	return (0);
}

/* Parse HOST:PORT (HOST may be [v6]) into an address without an agent. */
int
addr_parse_hostport(const char *string, struct addr *addr, char **cause)
{
	const char	*host, *host_end, *colon;
	long		 port;

	memset(addr, 0, sizeof *addr);
	addr->agent = -1;
	if (string[0] == '[') {
		host = string + 1;
		if ((host_end = strchr(host, ']')) == NULL ||
		    host_end[1] != ':') {
			xasprintf(cause, "invalid address '%s': expected "
			    "[HOST]:PORT", rpc_quote(string));
			return (-1);
		}
		colon = host_end + 1;
	} else {
		host = string;
		if ((colon = strrchr(string, ':')) == NULL) {
			xasprintf(cause, "invalid address '%s': expected "
			    "HOST:PORT", rpc_quote(string));
			return (-1);
		}
		host_end = colon;
	}
	if (host_end == host || (size_t)(host_end - host) >= ADDR_HOST_MAX ||
	    memchr(host, '[', host_end - host) != NULL ||
	    memchr(host, ']', host_end - host) != NULL) {
		xasprintf(cause, "invalid address '%s': bad host",
		    rpc_quote(string));
		return (-1);
	}
	if (addr_parse_number(colon + 1, colon + 1 + strlen(colon + 1), 0,
	    UINT16_MAX, &port, "port", cause) != 0)
		return (-1);
	memcpy(addr->host, host, host_end - host);
	addr->host[host_end - host] = '\0';
	addr->port = port;
	return (0);
}

/* Parse an agent address tcp://HOST:PORT/N. */
int
addr_parse(const char *string, struct addr *addr, char **cause)
{
	const char	*rest, *slash;
	char		*hostport, *why;
	long		 agent;

	if (strncmp(string, "tcp://", 6) != 0) {
		xasprintf(cause, "invalid agent address '%s': expected "
		    "tcp://HOST:PORT/N", rpc_quote(string));
		return (-1);
	}
	rest = string + 6;
	if ((slash = strrchr(rest, '/')) == NULL) {
		xasprintf(cause, "invalid agent address '%s': no /N",
		    rpc_quote(string));
		return (-1);
	}
	hostport = xstrndup(rest, slash - rest);
	if (addr_parse_hostport(hostport, addr, &why) != 0) {
		xasprintf(cause, "invalid agent address '%s': %s",
		    rpc_quote(string), why);
		free(why);
		free(hostport);
		return (-1);
	}
	free(hostport);
	if (addr_parse_number(slash + 1, slash + 1 + strlen(slash + 1), 0,
	    LONG_MAX, &agent, "agent number", &why) != 0) {
		xasprintf(cause, "invalid agent address '%s': %s",
		    rpc_quote(string), why);
		free(why);
		return (-1);
	}
	addr->agent = agent;
	return (0);
}

/*
 * Return 1 if two hosts are spelled alike or resolve to an address in
 * common, 0 if not, -1 with a cause if one cannot be resolved.
 */
int
addr_same_host(const char *a, const char *b, char **cause)
{
	struct addrinfo	 hints, *ra, *rb, *ia, *ib;
	int		 error, same = 0;

	if (strcasecmp(a, b) == 0)
		return (1);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(a, NULL, &hints, &ra)) != 0) {
		xasprintf(cause, "cannot resolve host '%s': %s", rpc_quote(a),
		    gai_strerror(error));
		return (-1);
	}
	if ((error = getaddrinfo(b, NULL, &hints, &rb)) != 0) {
		freeaddrinfo(ra);
		xasprintf(cause, "cannot resolve host '%s': %s", rpc_quote(b),
		    gai_strerror(error));
		return (-1);
	}
	for (ia = ra; ia != NULL && !same; ia = ia->ai_next) {
		for (ib = rb; ib != NULL && !same; ib = ib->ai_next) {
			same = ia->ai_family == ib->ai_family &&
			    ia->ai_addrlen == ib->ai_addrlen &&
			    memcmp(ia->ai_addr, ib->ai_addr,
			    ia->ai_addrlen) == 0;
		}
	}
	freeaddrinfo(ra);
	freeaddrinfo(rb);
	return (same);
}

/* Format HOST:PORT, bracketing an IPv6 host. */
char *
addr_format_hostport(const char *host, uint16_t port)
{
	char	*string;

	if (strchr(host, ':') != NULL)
		xasprintf(&string, "[%s]:%u", host, port);
	else
		xasprintf(&string, "%s:%u", host, port);
	return (string);
}

/* Format an agent address tcp://HOST:PORT/N. */
char *
addr_format(const char *host, uint16_t port, long agent)
{
	char	*hostport, *string;

	hostport = addr_format_hostport(host, port);
	xasprintf(&string, "tcp://%s/%ld", hostport, agent);
	free(hostport);
	return (string);
}
