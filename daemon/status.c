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

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "creamasd.h"
#include "xmalloc.h"

/* Return the resident set size of this process in bytes. */
size_t
status_rss_bytes(void)
{
	FILE		*file;
	unsigned long	 size, resident;

	if ((file = fopen("/proc/self/statm", "r")) == NULL)
		return (0);
	if (fscanf(file, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(file);
	return ((size_t)resident * (size_t)sysconf(_SC_PAGESIZE));
}

/* Describe the environment for the status method. */
struct json_object *
status_get(void)
{
	struct json_object	*status;
	char			*manager;

	status = json_object_new_object();
	json_object_object_add(status, "role",
	    json_object_new_string(env->config->role));
	json_object_object_add(status, "pid", json_object_new_int(getpid()));
	json_object_object_add(status, "uptime", json_object_new_double(
	    (env_now_us() - env->started_us) / 1e6));
	xasprintf(&manager, "%s0", env->prefix);
	json_object_object_add(status, "address",
	    json_object_new_string(manager));
	json_object_object_add(status, "agents",
	    json_object_new_int64((int64_t)env->nagents - 1));
	json_object_object_add(status, "rounds",
	    json_object_new_int64((int64_t)env->rounds));
	json_object_object_add(status, "last_round_us",
	    json_object_new_int64((int64_t)env->last_round_us));
	json_object_object_add(status, "round_running",
	    json_object_new_boolean(env->round != NULL));
	json_object_object_add(status, "connections", json_object_new_int64(
	    (int64_t)server_connection_count(env->server)));
	json_object_object_add(status, "rss_bytes",
	    json_object_new_int64((int64_t)status_rss_bytes()));
	json_object_object_add(status, "types", types_names());
	json_object_object_add(status, "calls", call_counts());
	stats_add_status(status);
	json_object_object_add(status, "log_folder", env->log_folder != NULL ?
	    json_object_new_string(env->log_folder) : NULL);
	if (metrics_port() != 0)
		json_object_object_add(status, "metrics_port",
		    json_object_new_int(metrics_port()));
	extension_status(status);
	free(manager);
	return (status);
}
