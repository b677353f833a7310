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
 * Benchmark of Python agents (creamas_python.so) beside C agents in the
 * same run: the cost of an empty act per agent and round (Python Empty
 * against the built-in noop) and the memory per agent, on one slave;
 * then the cost of one call from an agent's act to another agent's
 * method, same slave (one slave) and cross-slave (a master of two
 * slaves, callers on one, callees on the other): Python Pinger awaiting
 * Python Pong against the pingpong plugin's C pinger and ponger. The
 * round times are the daemons' own elapsed_us, medians after a warm-up
 * round, and the CPU time the daemon and its slaves used in the rounds
 * (/proc/PID/stat), which a shared machine disturbs less; reported,
 * never asserted.
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

#define BENCH_ACT_AGENTS	100000	/* empty acts per round */
#define BENCH_CALL_PAIRS	5000	/* caller and callee pairs */
#define BENCH_ROUNDS		7	/* measured, after one warm-up */
#define BENCH_READ_TIMEOUT	120
#define BENCH_ACT_TARGET_NS	300.0	/* an empty Python act */

/* What a unit (an act, a call) costs: wall and CPU nanoseconds. */
struct bench_cost {
	double	 wall_ns;	/* median of the rounds' elapsed_us */
	double	 cpu_ns;	/* CPU time, the daemon and slaves */
};

static const char	*bench_creamasd;
static const char	*bench_plugins;		/* the folder */
static const char	*bench_modules;		/* of benchagents.py */

/* Print, stop every daemon started, exit 1. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_python: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_python");
	exit(1);
}

/* Start a slave (slaves 0) or a master with both plugins. */
static struct benchlib_daemon *
bench_start(size_t slaves)
{
	char			*python, *pingpong;
	struct benchlib_daemon	*daemon;

	xasprintf(&python, "%s/creamas_python.so", bench_plugins);
	xasprintf(&pingpong, "%s/pingpong.so", bench_plugins);
	{
		const char	*more[] = { "--plugin", python, "--plugin",
				    pingpong, NULL };

		daemon = benchlib_daemon_startv(bench_creamasd, slaves,
		    BENCH_READ_TIMEOUT, more);
	}
	free(python);
	free(pingpong);
	return (daemon);
}

/* Call a method; return its result (a new reference). */
static struct json_object *
bench_do(struct benchlib_daemon *daemon, const char *method,
    const char *params)
{
	return (benchlib_rpc(daemon, method, params, NULL));
}

/*
 * Spawn n agents of type (Python class cls if not NULL) on slave (-1:
 * a plain slave); return their addresses (a new reference).
 */
static struct json_object *
bench_spawn(struct benchlib_daemon *daemon, const char *type,
    const char *cls, size_t n, int slave)
{
	struct json_object	*result;
	char			*params, *where, *spawn;

	if (cls != NULL)
		xasprintf(&params, ",\"params\":{\"class\":\"benchagents.%s\","
		    "\"path\":\"%s\"}", cls, bench_modules);
	else
		params = xstrdup("");
	if (slave >= 0)
		xasprintf(&where, ",\"slave\":%d", slave);
	else
		where = xstrdup("");
	xasprintf(&spawn, "{\"type\":\"%s\",\"n\":%zu%s%s}", type, n, where,
	    params);
	result = bench_do(daemon, "spawn_n", spawn);
	if (!json_object_is_type(result, json_type_array) ||
	    json_object_array_length(result) != n)
		bench_fatal("spawn_n %s: %s", spawn,
		    json_object_to_json_string(result));
	free(spawn);
	free(where);
	free(params);
	return (result);
}

/* The CPU time used so far by a daemon and its slaves, in ns. */
static uint64_t
bench_cpu(struct benchlib_daemon *daemon)
{
	uint64_t	 ns = benchlib_cpu_ns(daemon->pid);
	size_t		 i;

	for (i = 0; i < daemon->nslaves; i++)
		ns += benchlib_cpu_ns(daemon->slave_pids[i]);
	return (ns);
}

/*
 * One warm-up round and BENCH_ROUNDS measured ones, none failed: the
 * cost per unit (agents or calls) of a round.
 */
static struct bench_cost
bench_rounds(struct benchlib_daemon *daemon, size_t units, const char *what)
{
	struct json_object	*result;
	struct bench_cost	 cost;
	double			 ns[BENCH_ROUNDS];
	uint64_t		 cpu = 0;
	int			 r;

	for (r = -1; r < BENCH_ROUNDS; r++) {
		if (r == 0)
			cpu = bench_cpu(daemon);
		result = bench_do(daemon, "trigger_all", NULL);
		if (benchlib_int(result, "failed", "trigger_all") != 0)
			bench_fatal("%s: a round failed: %s", what,
			    json_object_to_json_string(result));
		if (r >= 0)
			ns[r] = (double)benchlib_int(result, "elapsed_us",
			    "trigger_all") * 1000.0 / (double)units;
		json_object_put(result);
	}
	cost.cpu_ns = (double)(bench_cpu(daemon) - cpu) / (double)units /
	    BENCH_ROUNDS;
	qsort(ns, BENCH_ROUNDS, sizeof ns[0], benchlib_compare_double);
	cost.wall_ns = ns[BENCH_ROUNDS / 2];
	return (cost);
}

/* The resident memory of a slave, or of a master's slaves. */
static uint64_t
bench_rss(struct benchlib_daemon *daemon)
{
	uint64_t	 rss = 0;
	size_t		 i;

	if (daemon->nslaves == 0)
		return (benchlib_rss(daemon->pid, 1));
	for (i = 0; i < daemon->nslaves; i++)
		rss += benchlib_rss(daemon->slave_pids[i], 1);
	return (rss);
}

/*
 * Empty acts on one slave: ns per agent per round, and bytes per agent,
 * the growth of the resident memory as the second half of the agents is
 * spawned (the first half warms the heap and the interpreter up), for
 * type (class cls).
 */
static void
bench_acts(const char *label, const char *type, const char *cls,
    struct bench_cost *cost, double *bytes)
{
	struct benchlib_daemon	*daemon;
	uint64_t		 before;

	daemon = bench_start(0);
	json_object_put(bench_spawn(daemon, type, cls, BENCH_ACT_AGENTS / 2,
	    -1));
	before = bench_rss(daemon);
	json_object_put(bench_spawn(daemon, type, cls, BENCH_ACT_AGENTS / 2,
	    -1));
	*bytes = (double)(bench_rss(daemon) - before) /
	    (double)(BENCH_ACT_AGENTS / 2);
	*cost = bench_rounds(daemon, BENCH_ACT_AGENTS, label);
	benchlib_daemon_stop(daemon);
}

/*
 * Calls: BENCH_CALL_PAIRS callers each calling one callee per round, on
 * one slave or across two; ns per call.
 */
static struct bench_cost
bench_calls(const char *label, int cross, const char *caller_type,
    const char *caller_class, const char *callee_type,
    const char *callee_class)
{
	struct benchlib_daemon	*daemon;
	struct json_object	*callers, *callees;
	struct bench_cost	 cost;

	daemon = bench_start(cross ? 2 : 0);
	callers = bench_spawn(daemon, caller_type, caller_class,
	    BENCH_CALL_PAIRS, cross ? 0 : -1);
	callees = bench_spawn(daemon, callee_type, callee_class,
	    BENCH_CALL_PAIRS, cross ? 1 : -1);
	benchlib_pair(daemon, callers, callees);
	cost = bench_rounds(daemon, BENCH_CALL_PAIRS, label);
	json_object_put(callers);
	json_object_put(callees);
	benchlib_daemon_stop(daemon);
	return (cost);
}

/* A row: python's and C's wall and CPU costs, and a target if any. */
static void
bench_row(const char *measure, struct bench_cost py, struct bench_cost c,
    const char *target, const char *verdict)
{
	printf("%-34s %9.0f %9.0f %9.0f %9.0f %8s %s\n", measure,
	    py.wall_ns, py.cpu_ns, c.wall_ns, c.cpu_ns, target, verdict);
}

int
main(void)
{
	struct bench_cost	 py, c, held, py_call, c_call;
	double			 py_bytes, c_bytes, held_bytes;
	int			 cross;

	if ((bench_creamasd = getenv("CREAMASD")) == NULL ||
	    (bench_plugins = getenv("CREAMAS_PLUGINS")) == NULL ||
	    (bench_modules = getenv("CREAMAS_PYTHON_BENCH")) == NULL) {
		printf("# bench_python: skipped (no creamas_python.so: "
		    "python3-dev is not installed)\n");
		return (0);
	}
	printf("# Python agents beside C agents: empty acts of %d agents on "
	    "one slave, and\n# %d calls per round from act to an exposed "
	    "method; ns per act or call:\n# wall: median of %d rounds' "
	    "elapsed_us; CPU: the daemons' CPU time in them\n",
	    BENCH_ACT_AGENTS, BENCH_CALL_PAIRS, BENCH_ROUNDS);
	bench_acts("python Empty", "python", "Empty", &py, &py_bytes);
	bench_acts("python Holder", "python", "Holder", &held, &held_bytes);
	bench_acts("noop", "noop", NULL, &c, &c_bytes);
	printf("%-34s %9s %9s %9s %9s %8s\n", "measure", "py wall", "py CPU",
	    "C wall", "C CPU", "target");
	bench_row("empty act, per agent and round", py, c, "<= 300",
	    py.wall_ns <= BENCH_ACT_TARGET_NS ? "ok" : "MISSED");
	bench_row("  act of a class with an attribute", held, c, "-", "");
	for (cross = 0; cross <= 1; cross++) {
		py_call = bench_calls("python calls", cross, "python",
		    "Pinger", "python", "Pong");
		c_call = bench_calls("C calls", cross, "pinger", NULL,
		    "ponger", NULL);
		bench_row(cross ? "await self.call, cross-slave" :
		    "await self.call, same slave", py_call, c_call, "-", "");
	}
	printf("memory per agent, bytes (RSS): python %.0f, with an "
	    "attribute %.0f; noop %.0f\n", py_bytes, held_bytes, c_bytes);
	return (0);
}
