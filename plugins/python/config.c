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
 * The configuration keys of the extension "python": python.path, the
 * directories (colon-separated) put in front of the module search path,
 * and python.act_limit, the seconds an agent's Python code may run
 * before ActTimeout. Given with -o or in creamasd.conf(5) before the
 * interpreter starts, they are kept for it; given later with the
 * configure method, they take effect at once.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamas_python.h"

#define CONFIG_ACT_LIMIT	10.0	/* seconds, by default */
#define CONFIG_ACT_LIMIT_MAX	1e6

static char	*config_path;
static double	 config_act_limit = CONFIG_ACT_LIMIT;

/* Set python.KEY to value; return 0, or -1 with *cause (malloc'd). */
int
config_set(const char *key, const char *value, char **cause)
{
	char	*end;
	double	 limit;

	if (strcmp(key, "path") == 0) {
		if (*value == '\0') {
			*cause = strdup("an empty path");
			return (-1);
		}
		if (interp_running() && interp_add_list(value, cause) != 0)
			return (-1);
		free(config_path);
		config_path = strdup(value);
		return (0);
	}
	if (strcmp(key, "act_limit") == 0) {
		limit = strtod(value, &end);
		if (*value == '\0' || *end != '\0' || !(limit > 0 &&
		    limit <= CONFIG_ACT_LIMIT_MAX)) {
			if (asprintf(cause, "act_limit %s: not seconds in "
			    "(0, %g]", value, CONFIG_ACT_LIMIT_MAX) == -1)
				*cause = NULL;
			return (-1);
		}
		config_act_limit = limit;
		watchdog_set_limit(limit);
		return (0);
	}
	if (asprintf(cause, "no key %s", key) == -1)
		*cause = NULL;
	return (-1);
}

/* Return python.path, or NULL if it was not given. */
const char *
config_get_path(void)
{
	return (config_path);
}

/* Return python.act_limit in seconds. */
double
config_get_act_limit(void)
{
	return (config_act_limit);
}

/* The plugin is unloaded: forget python.path. */
static void __attribute__((destructor))
config_free(void)
{
	free(config_path);
	config_path = NULL;
}
