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

/*
 * Fuzz the address parsers (common/addr.c) on the input as one string:
 * an agent address tcp://HOST:PORT/N and a listen address HOST:PORT.
 * Whatever parses must be formatted back by addr_format() into text that
 * parses to the same host, port and agent: peers exchange addresses as
 * text made by one and read by the other.
 */

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"

/* Check a parsed address and that its formatted text parses the same. */
static void
fuzz_check_address(const char *string, const struct addr *addr,
    int with_agent)
{
	struct addr	 again;
	size_t		 length;
	char		*text, *cause;
	int		 rc;

	length = strnlen(addr->host, sizeof addr->host);
	FUZZ_CHECK(length > 0 && length < sizeof addr->host,
	    "host of %zu bytes from %s", length, string);
	FUZZ_CHECK(with_agent ? addr->agent >= 0 : addr->agent == -1,
	    "agent %ld from %s", addr->agent, string);
	if (with_agent) {
		text = addr_format(addr->host, addr->port, addr->agent);
		rc = addr_parse(text, &again, &cause);
	} else {
		text = addr_format_hostport(addr->host, addr->port);
		rc = addr_parse_hostport(text, &again, &cause);
	}
	FUZZ_CHECK(rc == 0, "%s, formatted as %s, does not parse: %s",
	    string, text, cause);
	FUZZ_CHECK(strcmp(again.host, addr->host) == 0 &&
	    again.port == addr->port && again.agent == addr->agent,
	    "%s, formatted as %s, parses as host %s port %u agent %ld",
	    string, text, again.host, again.port, again.agent);
	free(text);
}

/* Parse the input both ways. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr	 addr;
	char		*string, *cause;

	string = fuzz_string(data, size);
	if (addr_parse(string, &addr, &cause) == 0)
		fuzz_check_address(string, &addr, 1);
	else {
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		free(cause);
	}
	if (addr_parse_hostport(string, &addr, &cause) == 0)
		fuzz_check_address(string, &addr, 0);
	else {
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		free(cause);
	}
	free(string);
	return (0);
}
