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
 * Fuzz the configuration parser (common/config.c) as creamasd uses it:
 * config_parse_buffer() with creamasd's own entry callback, the key
 * table's settings_set() (daemon/settings.c, from the daemon's library,
 * limit_set() and all), on a configuration of settings_defaults(). What
 * is accepted must leave a configuration within its documented ranges,
 * and a listen address that parses must format back to the same.
 */

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "creamasd.h"
#include "fuzz.h"

/* Check what an accepted configuration holds. */
static void
fuzz_check_config(const struct daemon_config *config)
{
	const struct limits	*limits = &config->limits;
	struct addr		 listen, again;
	char			*text, *cause;

	FUZZ_CHECK(config->role == NULL || strcmp(config->role, "slave") == 0 ||
	    strcmp(config->role, "master") == 0, "role %s", config->role);
	FUZZ_CHECK(config->slaves <= CONFIG_SLAVES_MAX, "slaves %lu", config->slaves);
	FUZZ_CHECK(config->slave_ports >= -1 && config->slave_ports <= 65535,
	    "slave_ports %ld", config->slave_ports);
	FUZZ_CHECK(config->round_timeout > 0 && config->round_timeout <= 1e9,
	    "round_timeout %g", config->round_timeout);
	FUZZ_CHECK(config->idle_exit >= 0 && config->idle_exit <= 1e9,
	    "idle_exit %g", config->idle_exit);
	FUZZ_CHECK(config->stop_grace >= 0 && config->stop_grace <= 1e9,
	    "stop_grace %g", config->stop_grace);
	FUZZ_CHECK(limits->max_line > 0 && limits->max_output > 0 &&
	    limits->max_reply > 0, "a size limit of 0");
	FUZZ_CHECK(limits->max_inflight >= 1 &&
	    limits->max_inflight <= 1000000, "max_inflight %lu",
	    limits->max_inflight);
	FUZZ_CHECK(limits->max_connections >= 1 &&
	    limits->max_connections <= 1000000, "max_connections %lu",
	    limits->max_connections);
	FUZZ_CHECK(limits->idle_timeout >= 0 && limits->call_timeout >= 0,
	    "a negative timeout");
	FUZZ_CHECK(config->insecure == 0 || config->insecure == 1,
	    "insecure %d", config->insecure);

	/* As env_listen() reads it. */
	if (config->listen == NULL)
		return;
	if (addr_parse_hostport(config->listen, &listen, &cause) != 0) {
		free(cause);
		return;
	}
	text = addr_format_hostport(listen.host, listen.port);
	FUZZ_CHECK(addr_parse_hostport(text, &again, &cause) == 0 &&
	    strcmp(again.host, listen.host) == 0 &&
	    again.port == listen.port, "listen %s formats as %s",
	    config->listen, text);
	free(text);
}

/* Parse the input as a creamasd configuration file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 name[] = "fuzz.conf";
	struct daemon_config	 config;
	char			*cause = NULL;

	settings_defaults(&config);
	if (config_parse_buffer(name, (const char *)data, size, settings_set,
	    &config, &cause) == 0) {
		FUZZ_CHECK(cause == NULL, "a cause for a success: %s", cause);
		fuzz_check_config(&config);
	} else {
		FUZZ_CHECK(cause != NULL && strncmp(cause, name,
		    sizeof name - 1) == 0 && cause[sizeof name - 1] == ':',
		    "an error that does not name the file: %s", cause);
		free(cause);
	}
	settings_free(&config);
	return (0);
}
