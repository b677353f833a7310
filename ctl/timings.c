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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamasctl.h"
#include "xmalloc.h"

/*
 * trigger --timings FILE: a CSV line per round and node, and one per
 * slave of a master, with the agents, the time spent acting, the time
 * spent waiting (for agents' calls, neighbours' values, and, for a node,
 * its slowest slave's waiting and the fan-out) and the round's total,
 * each as the node or slave measured it. A master's act time is its
 * slowest slave's.
 */

#define TIMINGS_HEADER	"round,node,slave,agents,act_s,wait_s,total_s"

/* Open FILE and write the header; NULL with a cause if it fails. */
FILE *
timings_open(const char *path, char **cause)
{
	FILE	*file;

	if ((file = fopen(path, "w")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	fprintf(file, "%s\n", TIMINGS_HEADER);
	return (file);
}

/* Write a CSV field, quoted if it must be. */
static void
timings_field(FILE *file, const char *text)
{
	if (strpbrk(text, ",\"\n\r") == NULL) {
		fputs(text, file);
		return;
	}
	putc('"', file);
	for (; *text != '\0'; text++) {
		if (*text == '"')
			putc('"', file);
		putc(*text, file);
	}
	putc('"', file);
}

/* Write one line from a trigger_all result (or a slave's part of it). */
static void
timings_line(FILE *file, int64_t round, const char *node, const char *slave,
    struct json_object *result)
{
	int64_t	 act, total;

	act = json_object_get_int64(json_object_object_get(result, "act_us"));
	total = json_object_get_int64(json_object_object_get(result,
	    "elapsed_us"));
	fprintf(file, "%lld,", (long long)round);
	timings_field(file, node);
	putc(',', file);
	timings_field(file, slave);
	fprintf(file, ",%lld,%.6f,%.6f,%.6f\n", (long long)json_object_get_int64(
	    json_object_object_get(result, "agents")), act / 1e6,
	    (total > act ? total - act : 0) / 1e6, total / 1e6);
}

/* Write a node's round: its line, then one per slave that answered. */
void
timings_round(FILE *file, const char *node, struct json_object *result)
{
	struct json_object	*slaves, *slave;
	int64_t			 round;
	size_t			 i;

	round = json_object_get_int64(json_object_object_get(result, "round"));
	timings_line(file, round, node, "", result);
	if (!json_object_object_get_ex(result, "slaves", &slaves) ||
	    !json_object_is_type(slaves, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(slaves); i++) {
		slave = json_object_array_get_idx(slaves, i);
		timings_line(file, round, node, json_object_get_string(
		    json_object_object_get(slave, "slave")), slave);
	}
}

/* Close the file; -1 with a cause if what was written did not get out. */
int
timings_close(FILE *file, const char *path, char **cause)
{
	if (ferror(file) | (fclose(file) != 0)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}
