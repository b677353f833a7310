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
 * Benchmark of a diffusion grid on one master with 1 and 2 slaves: the
 * round time (trigger_all's elapsed_us and the client's round trip,
 * medians), the neighbour messages per second (every agent asks its up
 * to 4 neighbours once per round; the get_value calls within a slab and
 * those between slabs are counted apart, from the grid's shape) and the
 * memory per agent (RSS of the master and its slaves before and after
 * spawning, over the agents). Sizes grow by 4x in cells from 100x100
 * while a round stays short; 1000x1000, the size, is tried only
 * when the size before it ran a round in under about 2 s.
 *
 * Timings are medians on a shared machine, reported and never asserted:
 * the program fails only when a daemon misbehaves functionally.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BENCH_SPAWN_CHUNK	100000	/* agents per spawn_n, at most */
#define BENCH_READ_TIMEOUT	120	/* seconds without a byte from a peer */
#define BENCH_ROUND_MAX_MS	3000.0	/* grow while a round is shorter */
#define BENCH_BIG_GATE_MS	2000.0	/* try the big size below this */
#define BENCH_SPAWN_MAX_S	10.0	/* grow while spawning is quicker */
#define BENCH_BUDGET_S		80.0	/* the whole run, roughly */
#define BENCH_TARGET_MS		200.0	/* the target, 2 slaves */
#define BENCH_BIG_SIDE		1000
#define BENCH_RESULTS_MAX	16


/* What one grid on one master measured. */
struct bench_result {
	size_t	side;		/* the grid is side x side */
	size_t	slaves;
	size_t	rounds;
	double	rtt_ms;		/* the client's round trip, median */
	double	elapsed_ms;	/* trigger_all's elapsed_us, median */
	double	spawn_s;
	double	wire_s;		/* set_neighbors */
	double	local;		/* messages per round within a slab */
	double	across;		/* messages per round between slabs */
	double	bytes_per_agent;
};

static const char		*bench_creamasd;
static struct bench_result	 bench_results[BENCH_RESULTS_MAX];
static size_t			 bench_nresults;


/* Give up: say why, show the daemon's log, kill what runs. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_grid: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_grid");
	exit(1);
}








/* Return the q-quantile (0.5: the median) of samples, sorting them. */
static double
bench_quantile(double *samples, size_t n, double q)
{
	qsort(samples, n, sizeof *samples, benchlib_compare_double);
	return (samples[(size_t)(q * (double)(n - 1) + 0.5)]);
}

/* Return the RSS in bytes of a master and its slaves together. */
static uint64_t
bench_rss_all(struct benchlib_daemon *daemon)
{
	uint64_t	 rss;
	size_t		 i;

	rss = benchlib_rss(daemon->pid, 1);
	for (i = 0; i < daemon->nslaves; i++)
		rss += benchlib_rss(daemon->slave_pids[i], 1);
	return (rss);
}

/* Call a method whose result does not matter, timing it in seconds. */
static double
bench_do(struct benchlib_daemon *daemon, const char *method, const char *params)
{
	uint64_t	 start = benchlib_now_ns();

	json_object_put(benchlib_rpc(daemon, method, params, NULL));
	return ((benchlib_now_ns() - start) / 1e9);
}

/* Spawn diffusion agents in chunks until the master holds want of them. */
static double
bench_spawn(struct benchlib_daemon *daemon, size_t want)
{
	struct json_object	*result;
	char			 params[64];
	uint64_t		 start = benchlib_now_ns();
	size_t			 chunk, have = 0;

	while (have < want) {
		chunk = want - have < BENCH_SPAWN_CHUNK ? want - have :
		    BENCH_SPAWN_CHUNK;
		snprintf(params, sizeof params,
		    "{\"type\":\"diffusion\",\"n\":%zu}", chunk);
		result = benchlib_rpc(daemon, "spawn_n", params, NULL);
		if (!json_object_is_type(result, json_type_array) ||
		    json_object_array_length(result) != chunk)
			bench_fatal("%s: spawn_n of %zu gave %zu addresses",
			    daemon->name, chunk, json_object_is_type(result,
			    json_type_array) ?
			    json_object_array_length(result) : 0);
		json_object_put(result);
		have += chunk;
	}
	return ((benchlib_now_ns() - start) / 1e9);
}

/* Run one trigger_all, check it, and return the round trip in ms. */
static double
bench_round(struct benchlib_daemon *daemon, size_t agents, double *elapsed_ms)
{
	struct json_object	*result;
	uint64_t		 rtt;

	result = benchlib_rpc(daemon, "trigger_all", NULL, &rtt);
	if (benchlib_int(result, "agents", daemon->name) != (int64_t)agents ||
	    benchlib_int(result, "failed", daemon->name) != 0)
		bench_fatal("%s: trigger_all on %zu agents: %.300s",
		    daemon->name, agents, json_object_to_json_string(result));
	*elapsed_ms = benchlib_int(result, "elapsed_us", daemon->name) / 1e3;
	json_object_put(result);
	return (rtt / 1e6);
}

/*
 * Count the get_value calls of one round on a side x side grid cut into
 * slaves slabs side by side: within a slab and between slabs.
 */
static void
bench_messages(size_t side, size_t slaves, double *local, double *across)
{
	double	 total;

	total = 2.0 * ((double)(side - 1) * side + (double)side * (side - 1));
	*across = 2.0 * (double)side * (double)(slaves - 1);
	*local = total - *across;
}

/* Measure one side x side diffusion grid on a master with slaves slaves. */
static struct bench_result *
bench_grid(size_t side, size_t slaves, size_t rounds)
{
	struct bench_result	*out;
	struct benchlib_daemon	*daemon;
	double			*rtts, *elapsed, ms;
	uint64_t		 before, after;
	char			 params[64];
	size_t			 cells = side * side, r;

	if (bench_nresults == BENCH_RESULTS_MAX)
		bench_fatal("too many results");
	out = &bench_results[bench_nresults++];
	out->side = side;
	out->slaves = slaves;
	out->rounds = rounds;
	daemon = benchlib_daemon_start(bench_creamasd, slaves, BENCH_READ_TIMEOUT);
	before = bench_rss_all(daemon);
	snprintf(params, sizeof params, "{\"gs\":[%zu,%zu]}", side / slaves,
	    side);
	bench_do(daemon, "set_gs", params);
	bench_do(daemon, "set_origin", "{\"origin\":[0,0]}");
	out->spawn_s = bench_spawn(daemon, cells);
	out->wire_s = bench_do(daemon, "set_neighbors", NULL);
	after = bench_rss_all(daemon);
	out->bytes_per_agent = after > before ?
	    (double)(after - before) / (double)cells : 0;
	bench_round(daemon, cells, &ms);	/* warm-up */
	rtts = xcalloc(rounds, sizeof *rtts);
	elapsed = xcalloc(rounds, sizeof *elapsed);
	for (r = 0; r < rounds; r++)
		rtts[r] = bench_round(daemon, cells, &elapsed[r]);
	out->rtt_ms = bench_quantile(rtts, rounds, 0.5);
	out->elapsed_ms = bench_quantile(elapsed, rounds, 0.5);
	free(rtts);
	free(elapsed);
	bench_messages(side, slaves, &out->local, &out->across);
	benchlib_daemon_stop(daemon);
	printf("# %zux%zu, %zu slave%s: spawn %.2f s, set_neighbors %.2f s, "
	    "round %.1f ms (elapsed_us %.1f ms), median of %zu\n", side, side,
	    slaves, slaves > 1 ? "s" : "", out->spawn_s, out->wire_s,
	    out->rtt_ms, out->elapsed_ms, rounds);
	return (out);
}

/* Print the table of every grid measured. */
static void
bench_print(void)
{
	struct bench_result	*res;
	char			 size[32], msgs[48];
	size_t			 i;

	printf("\n%-11s | %6s | %9s | %9s | %-27s | %10s\n", "size",
	    "slaves", "round ms", "elap. ms", "messages/s (local / across)",
	    "bytes/agent");
	printf("------------+--------+-----------+-----------+"
	    "-----------------------------+------------\n");
	for (i = 0; i < bench_nresults; i++) {
		res = &bench_results[i];
		snprintf(size, sizeof size, "%zux%zu", res->side, res->side);
		snprintf(msgs, sizeof msgs, "%.3g / %.3g",
		    res->local / (res->rtt_ms / 1e3),
		    res->across / (res->rtt_ms / 1e3));
		printf("%-11s | %6zu | %9.1f | %9.1f | %-27s | %10.0f\n", size,
		    res->slaves, res->rtt_ms, res->elapsed_ms, msgs,
		    res->bytes_per_agent);
	}
}

int
main(int argc, char *argv[])
{
	struct bench_result	*one, *two, *big = NULL;
	uint64_t		 start = benchlib_now_ns();
	double			 worst, projected, setup, rsum, cost, spent;
	char			 why[256];
	size_t			 side, rounds, last = 0;

	if ((bench_creamasd = getenv("CREAMASD")) == NULL ||
	    *bench_creamasd == '\0') {
		fprintf(stderr, "usage: CREAMASD=/path/to/creamasd %s\n",
		    argv[0]);
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench_grid: %s, %ld online CPUs\n", bench_creamasd,
	    sysconf(_SC_NPROCESSORS_ONLN));
	why[0] = '\0';
	worst = setup = rsum = 0;
	for (side = 100; side <= BENCH_BIG_SIDE / 2; side *= 2) {
		rounds = side * side <= 40000 ? 7 : 5;
		one = bench_grid(side, 1, rounds);
		two = bench_grid(side, 2, rounds);
		last = side;
		worst = one->rtt_ms > two->rtt_ms ? one->rtt_ms : two->rtt_ms;
		setup = one->spawn_s + one->wire_s + two->spawn_s + two->wire_s;
		rsum = (one->rtt_ms + two->rtt_ms) / 1e3;
		cost = setup + (double)(rounds + 1) * rsum;
		spent = (benchlib_now_ns() - start) / 1e9;
		if (worst > BENCH_ROUND_MAX_MS || one->spawn_s * 4 >
		    BENCH_SPAWN_MAX_S || two->spawn_s * 4 > BENCH_SPAWN_MAX_S ||
		    spent + 4 * cost > BENCH_BUDGET_S / 2)
			break;
	}

	/* The size: only if the last size's rounds were short. */
	projected = worst * ((double)BENCH_BIG_SIDE * BENCH_BIG_SIDE) /
	    ((double)last * last);
	cost = (setup + 4 * rsum) * ((double)BENCH_BIG_SIDE * BENCH_BIG_SIDE) /
	    ((double)last * last);
	spent = (benchlib_now_ns() - start) / 1e9;
	if (worst > BENCH_BIG_GATE_MS)
		snprintf(why, sizeof why, "%dx%d skipped: a round at %zux%zu "
		    "took %.0f ms (> %.0f ms); projected round %.0f ms",
		    BENCH_BIG_SIDE, BENCH_BIG_SIDE, last, last, worst,
		    BENCH_BIG_GATE_MS, projected);
	else if (spent + cost > BENCH_BUDGET_S)
		snprintf(why, sizeof why, "%dx%d skipped: projected %.0f s "
		    "with %.0f s spent, over the %.0f s budget; projected "
		    "round %.0f ms", BENCH_BIG_SIDE, BENCH_BIG_SIDE, cost,
		    spent, BENCH_BUDGET_S, projected);
	else {
		printf("# %dx%d: projected round %.0f ms, run %.0f s\n",
		    BENCH_BIG_SIDE, BENCH_BIG_SIDE, projected, cost);
		bench_grid(BENCH_BIG_SIDE, 1, 3);
		big = bench_grid(BENCH_BIG_SIDE, 2, 3);
	}
	if (why[0] != '\0')
		printf("# %s\n", why);

	bench_print();
	printf("\nround ms: the client's trigger_all round trip; elap. ms: "
	    "the master's own\nelapsed_us; both medians. Messages are the "
	    "get_value calls of one round\n(each agent asks its up to 4 "
	    "neighbours), counted from the grid's shape,\nover the round trip; "
	    "across = between the two slaves' slabs. bytes/agent:\nRSS of the "
	    "master and its slaves after spawning and wiring minus before,\n"
	    "over the agents. Medians on a shared machine: reported, not "
	    "asserted.\n");
	if (big != NULL)
		printf("target: a %dx%d round under %.0f ms with 2 slaves: "
		    "%s (%.1f ms)\n", BENCH_BIG_SIDE, BENCH_BIG_SIDE,
		    BENCH_TARGET_MS, big->rtt_ms < BENCH_TARGET_MS ? "met" :
		    "not met", big->rtt_ms);
	else
		printf("target: a %dx%d round under %.0f ms with 2 slaves: "
		    "not measured (%s)\n", BENCH_BIG_SIDE, BENCH_BIG_SIDE,
		    BENCH_TARGET_MS, why);
	printf("\nwall time %.1f s\n", (benchlib_now_ns() - start) / 1e9);
	return (0);
}
