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

#include <string.h>

#include "config.h"
#include "limit.h"
#include "xmalloc.h"

/* Fill in the documented defaults. */
void
limit_default(struct limits *limits)
{
	limits->max_line = LIMITS_MAX_LINE;
	limits->max_output = LIMITS_MAX_OUTPUT;
	limits->max_reply = LIMITS_MAX_REPLY;
	limits->max_inflight = LIMITS_MAX_INFLIGHT;
	limits->max_connections = LIMITS_MAX_CONNECTIONS;
	limits->idle_timeout = LIMITS_IDLE_TIMEOUT;
	limits->call_timeout = LIMITS_CALL_TIMEOUT;
}

/* Return 1 if key names a limit. */
int
limit_is_key(const char *key)
{
	static const char	*keys[] = { "max_line", "max_output", "max_reply",
	    "max_inflight", "max_connections", "idle_timeout",
	    "call_timeout" };
	size_t			 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(key, keys[i]) == 0)
			return (1);
	}
	return (0);
}

/* Set the limit named by key from its text value. */
int
limit_set(struct limits *limits, const char *key, const char *value,
    char **cause)
{
	if (strcmp(key, "max_line") == 0)
		return (config_parse_size(value, &limits->max_line, cause));
	if (strcmp(key, "max_reply") == 0)
		return (config_parse_size(value, &limits->max_reply, cause));
	if (strcmp(key, "max_output") == 0)
		return (config_parse_size(value, &limits->max_output, cause));
	if (strcmp(key, "max_inflight") == 0)
		return (config_parse_count(value, 1, 1000000,
		    &limits->max_inflight, cause));
	if (strcmp(key, "max_connections") == 0)
		return (config_parse_count(value, 1, 1000000,
		    &limits->max_connections, cause));
	if (strcmp(key, "idle_timeout") == 0)
		return (config_parse_seconds(value, &limits->idle_timeout,
		    cause));
	if (strcmp(key, "call_timeout") == 0)
		return (config_parse_seconds(value, &limits->call_timeout,
		    cause));
	xasprintf(cause, "unknown limit '%s'", key);
	return (-1);
}
