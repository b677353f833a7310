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
 * bench_calls: the CPU cost of one agent-to-agent call, same slave and
 * cross-slave, on the caller's and the callee's side. The pingpong
 * plugin's pingers each call their ponger BENCH_CALL_TIMES times per
 * round; cross-slave, a master of two slaves holds the pingers on one
 * and the pongers on the other, and each slave's CPU time in the rounds
 * (/proc/PID/stat, utime + stime) is divided by the calls made.
 * Reported beside the same-slave figure of the same run, never asserted.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BENCH_CALLERS		1000	/* pingers, one ponger each */
#define BENCH_CALL_TIMES	3	/* calls per pinger and round */
#define BENCH_ROUNDS		60	/* measured, after two warm-ups */
#define BENCH_READ_TIMEOUT	120
#define BENCH_TARGET_NS		2000.0	/* CPU per call, each side */

static const char	*bench_creamasd;
static const char	*bench_plugins;

/* Print, stop every daemon started, exit 1. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_calls: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_calls");
	exit(1);
}

/* Start a slave (slaves 0) or a master of slaves, with pingpong. */
static struct benchlib_daemon *
bench_start(size_t slaves)
{
	struct benchlib_daemon	*daemon;
	char			*pingpong;

	xasprintf(&pingpong, "%s/pingpong.so", bench_plugins);
	{
		const char	*more[] = { "--plugin", pingpong, NULL };

		daemon = benchlib_daemon_startv(bench_creamasd, slaves,
		    BENCH_READ_TIMEOUT, more);
	}
	free(pingpong);
	return (daemon);
}

/* Spawn n agents of type on slave (-1: a plain slave); their addresses. */
static struct json_object *
bench_spawn(struct benchlib_daemon *daemon, const char *type, size_t n,
    int slave)
{
	struct json_object	*result;
	char			*params;

	if (slave >= 0)
		xasprintf(&params, "{\"type\":\"%s\",\"n\":%zu,\"slave\":%d}",
		    type, n, slave);
	else
		xasprintf(&params, "{\"type\":\"%s\",\"n\":%zu}", type, n);
	result = benchlib_rpc(daemon, "spawn_n", params, NULL);
	if (!json_object_is_type(result, json_type_array) ||
	    json_object_array_length(result) != n)
		bench_fatal("spawn_n %s: %s", params,
		    json_object_to_json_string(result));
	free(params);
	return (result);
}

/* Run rounds rounds of BENCH_CALL_TIMES calls per pinger, none failed. */
static void
bench_rounds(struct benchlib_daemon *daemon, int rounds)
{
	struct json_object	*result;
	char			*params;
	int			 r;

	xasprintf(&params, "{\"args\":{\"times\":%d}}", BENCH_CALL_TIMES);
	for (r = 0; r < rounds; r++) {
		result = benchlib_rpc(daemon, "trigger_all", params, NULL);
		if (benchlib_int(result, "failed", "trigger_all") != 0)
			bench_fatal("a round failed: %s",
			    json_object_to_json_string(result));
		json_object_put(result);
	}
	free(params);
}

/* Check that the ponger at address answered calls pings. */
static void
bench_check_pings(struct benchlib_daemon *daemon, const char *address,
    int64_t calls)
{
	struct json_object	*result;
	char			*params;

	xasprintf(&params, "{\"agent\":\"%s\"}", address);
	result = benchlib_rpc(daemon, "agent.pings", params, NULL);
	if (!json_object_is_type(result, json_type_int) ||
	    json_object_get_int64(result) != calls)
		bench_fatal("%s answered %s pings, not %lld", address,
		    json_object_to_json_string(result), (long long)calls);
	json_object_put(result);
	free(params);
}

/*
 * Calls on one slave (cross 0) or across two: ns of CPU per call of the
 * process holding the callers and of the one holding the callees (the
 * same process on one slave).
 */
static void
bench_calls(int cross, double *caller_ns, double *callee_ns)
{
	struct benchlib_daemon	*daemon;
	struct json_object	*callers, *callees;
	pid_t			 from, to;
	uint64_t		 from_cpu, to_cpu;
	double			 calls;

	daemon = bench_start(cross ? 2 : 0);
	callers = bench_spawn(daemon, "pinger", BENCH_CALLERS, cross ? 0 : -1);
	callees = bench_spawn(daemon, "ponger", BENCH_CALLERS, cross ? 1 : -1);
	benchlib_pair(daemon, callers, callees);
	from = cross ? daemon->slave_pids[0] : daemon->pid;
	to = cross ? daemon->slave_pids[1] : daemon->pid;
	bench_rounds(daemon, 2);
	from_cpu = benchlib_cpu_ns(from);
	to_cpu = benchlib_cpu_ns(to);
	bench_rounds(daemon, BENCH_ROUNDS);
	calls = (double)BENCH_CALLERS * BENCH_CALL_TIMES * BENCH_ROUNDS;
	*caller_ns = (double)(benchlib_cpu_ns(from) - from_cpu) / calls;
	*callee_ns = (double)(benchlib_cpu_ns(to) - to_cpu) / calls;
	bench_check_pings(daemon, json_object_get_string(
	    json_object_array_get_idx(callees, 0)),
	    (int64_t)BENCH_CALL_TIMES * (BENCH_ROUNDS + 2));
	json_object_put(callers);
	json_object_put(callees);
	benchlib_daemon_stop(daemon);
}

int
main(void)
{
	double	 same_from, same_to, cross_from, cross_to;

	if ((bench_creamasd = getenv("CREAMASD")) == NULL ||
	    (bench_plugins = getenv("CREAMAS_PLUGINS")) == NULL)
		bench_fatal("CREAMASD and CREAMAS_PLUGINS must be set");
	printf("# agent calls: %d pingers x %d calls of a ponger per round, "
	    "%d rounds;\n# CPU per call (utime + stime of /proc/PID/stat), "
	    "ns\n", BENCH_CALLERS, BENCH_CALL_TIMES, BENCH_ROUNDS);
	bench_calls(0, &same_from, &same_to);
	bench_calls(1, &cross_from, &cross_to);
	printf("%-28s %10s %10s %8s\n", "measure", "callers", "callees",
	    "target");
	printf("%-28s %10.0f %10s %8s\n", "same slave (one process)",
	    same_from, "-", "-");
	printf("%-28s %10.0f %10.0f %8.0f %s\n", "cross-slave", cross_from,
	    cross_to, BENCH_TARGET_NS, cross_from <= BENCH_TARGET_NS &&
	    cross_to <= BENCH_TARGET_NS ? "ok" : "MISSED");
	return (0);
}
