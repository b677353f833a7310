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
 * Benchmark of environment extensions: a managing function from an
 * extension against a built-in one of the same shape, in the same run,
 * through one master of two slaves holding 1,000 agents. The pairs:
 * get_agents against the demo extension's demo_addresses (each slave
 * answers its agents' addresses, the master concatenates) and against
 * demo_addresses_text (the same answer written as text and given with
 * cr_call_reply_text(), as the built-in writes it), and
 * clear_connections against demo_null (each slave answers null, the
 * master answers null). The calls alternate in blocks, the order of the
 * two flipped every block, so that the noise of a shared machine falls
 * on both alike; the figures are median round trips, reported and never
 * asserted (the target: the extension within 5 % of the built-in).
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BENCH_AGENTS		1000
#define BENCH_BLOCKS		40
#define BENCH_PER_BLOCK		25	/* calls of each method per block */
#define BENCH_READ_TIMEOUT	60
#define BENCH_TARGET		1.05	/* extension / built-in */

/* Print, stop every daemon started, exit 1. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_extension: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_extension");
	exit(1);
}

/* Time count calls of method on the master into times[], in ns. */
static void
bench_calls(struct benchlib_daemon *master, const char *method,
    double *times, size_t count, const char *expected)
{
	struct json_object	*result;
	uint64_t		 rtt;
	size_t			 i;

	for (i = 0; i < count; i++) {
		result = benchlib_rpc(master, method, NULL, &rtt);
		if (expected != NULL ? strcmp(json_object_to_json_string(
		    result), expected) != 0 : json_object_array_length(
		    result) != BENCH_AGENTS)
			bench_fatal("%s: unexpected answer", method);
		json_object_put(result);
		times[i] = (double)rtt;
	}
}

/*
 * Measure a built-in and an extension's method in alternating blocks;
 * print their medians and the ratio.
 */
static void
bench_pair(struct benchlib_daemon *master, const char *builtin,
    const char *extension, const char *expected)
{
	static double	 times[2][BENCH_BLOCKS * BENCH_PER_BLOCK];
	const char	*methods[2] = { builtin, extension };
	double		 median[2];
	size_t		 block, k, first;

	bench_calls(master, builtin, times[0], BENCH_PER_BLOCK, expected);
	bench_calls(master, extension, times[1], BENCH_PER_BLOCK, expected);
	for (block = 0; block < BENCH_BLOCKS; block++) {
		for (k = 0; k < 2; k++) {
			first = (block + k) % 2;
			bench_calls(master, methods[first], &times[first][
			    block * BENCH_PER_BLOCK], BENCH_PER_BLOCK,
			    expected);
		}
	}
	for (k = 0; k < 2; k++)
		median[k] = benchlib_quantile(times[k],
		    BENCH_BLOCKS * BENCH_PER_BLOCK, 0.5);
	printf("%-20s %10.1f  %-20s %10.1f  %6.3f %s\n", builtin,
	    median[0] / 1e3, extension, median[1] / 1e3,
	    median[1] / median[0], median[1] <= median[0] * BENCH_TARGET ?
	    "ok" : "MISSED");
}

int
main(int argc, char *argv[])
{
	const char		*creamasd = benchlib_begin(argv[0]);
	const char		*plugins = getenv("CREAMAS_PLUGINS");
	struct benchlib_daemon	*master;
	struct json_object	*spawned;
	char			*plugin, *params;

	if (plugins == NULL || *plugins == '\0')
		bench_fatal("CREAMAS_PLUGINS is not set: run make bench");
	xasprintf(&plugin, "%s/extdemo.so", plugins);
	{
		const char	*more[] = { "--plugin", plugin, NULL };

		master = benchlib_daemon_startv(creamasd, 2,
		    BENCH_READ_TIMEOUT, more);
	}
	xasprintf(&params, "{\"type\":\"scorer\",\"n\":%d,"
	    "\"params\":{\"score\":1}}", BENCH_AGENTS);
	spawned = benchlib_rpc(master, "spawn_n", params, NULL);
	json_object_put(spawned);
	free(params);
	printf("# an extension's managing function against a built-in of the "
	    "same shape:\n# a master of 2 slaves, %d agents; median round "
	    "trips of %d calls each, us\n", BENCH_AGENTS,
	    BENCH_BLOCKS * BENCH_PER_BLOCK);
	printf("%-20s %10s  %-20s %10s  %6s\n", "built-in", "us",
	    "extension", "us", "ratio");
	bench_pair(master, "get_agents", "demo_addresses", NULL);
	bench_pair(master, "get_agents", "demo_addresses_text", NULL);
	bench_pair(master, "clear_connections", "demo_null", "null");
	benchlib_daemon_stop(master);
	free(plugin);
	return (0);
}
