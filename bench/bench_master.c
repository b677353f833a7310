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
 * Benchmark of creamasd --role master: trigger_all through a master with
 * 1, 2 and 4 slaves on 0, 1,000 and 1,000,000 noop agents spread over
 * them, beside the same agents triggered directly on one slave in the
 * same run. For every round through a master, the fan-out overhead is
 * the client's round trip minus the slowest slave's own elapsed_us
 * (read back from the master's status, which carries each slave's
 * last_round_us); it is printed in microseconds and in units of the
 * loopback is_ready round trip to one of that master's slaves, measured
 * in the same run. The speed-up is the round trip with one slave over
 * the round trip with S slaves. Every set-up runs at once and they take
 * their rounds in turn, so that the noise of a shared machine falls on
 * all of them alike.
 *
 * Timings are medians, reported and never asserted: the program fails
 * only when a daemon misbehaves functionally (a wrong reply, a count
 * that does not add up, a process that does not exit 0 or is left).
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

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
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BENCH_SPAWN_CHUNK	100000	/* agents per spawn_n, at most */
#define BENCH_READ_TIMEOUT	120	/* seconds without a byte from a peer */
#define BENCH_READY_WARMUP	200
#define BENCH_READY_SAMPLES	2000


/* A number of agents and the rounds measured on it. */
struct bench_size {
	size_t	agents;
	size_t	warmup;
	size_t	rounds;
};

static const struct bench_size bench_sizes[] = {
	{ 0, 100, 2001 },
	{ 1000, 100, 2001 },
	{ 1000000, 3, 101 },
};
#define BENCH_NSIZES	(sizeof bench_sizes / sizeof bench_sizes[0])

/* The set-ups compared: a plain slave, then masters with S slaves. */
static const size_t bench_setups[] = { 0, 1, 2, 4 };
#define BENCH_NSETUPS	(sizeof bench_setups / sizeof bench_setups[0])

/* What one set-up measured at one size (medians, microseconds). */
struct bench_result {
	double	rtt;		/* the client's trigger_all round trip */
	double	rtt_p90;
	double	slowest;	/* the slowest slave's elapsed_us */
	double	elapsed;	/* the reply's own elapsed_us */
	double	overhead;	/* rtt - slowest, per round */
	double	ready;		/* is_ready to a slave between rounds */
	double	spawn_s;	/* seconds to spawn up to this size */
};

/* What one set-up measured besides rounds. */
struct bench_setup_result {
	double			 ready_slave;	/* is_ready to a slave (us) */
	double			 ready_master;	/* is_ready to the master */
	struct bench_result	 sizes[BENCH_NSIZES];
};

static const char		*bench_creamasd;
static struct benchlib_daemon	*bench_daemons[BENCH_NSETUPS];
static struct benchlib_conn	 bench_unit_conns[BENCH_NSETUPS];
static int64_t			 bench_unit_ids[BENCH_NSETUPS];
static int64_t			 bench_rounds[BENCH_NSETUPS];
static struct bench_setup_result bench_results[BENCH_NSETUPS];



/* Give up: say why, show the daemons' logs, kill what runs. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_master: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_master");
	exit(1);
}








/* Median is_ready round trip (us) on a connection. */
static double
bench_ready_rtt(struct benchlib_conn *conn, int64_t *next_id)
{
	struct json_object	*result;
	double			*samples, median;
	uint64_t		 rtt;
	size_t			 i;

	samples = xcalloc(BENCH_READY_SAMPLES, sizeof *samples);
	for (i = 0; i < BENCH_READY_WARMUP + BENCH_READY_SAMPLES; i++) {
		result = benchlib_call(conn, next_id, "is_ready", NULL, &rtt);
		if (!json_object_get_boolean(result))
			bench_fatal("%s: is_ready is false", conn->peer);
		json_object_put(result);
		if (i >= BENCH_READY_WARMUP)
			samples[i - BENCH_READY_WARMUP] = rtt / 1e3;
	}
	median = benchlib_quantile(samples, BENCH_READY_SAMPLES, 0.5);
	free(samples);
	return (median);
}

/* Spawn noop agents in chunks until the daemon holds want of them. */
static void
bench_spawn_to(struct benchlib_daemon *daemon, size_t have, size_t want)
{
	struct json_object	*result;
	char			 params[64];
	size_t			 chunk;

	while (have < want) {
		chunk = want - have < BENCH_SPAWN_CHUNK ? want - have :
		    BENCH_SPAWN_CHUNK;
		snprintf(params, sizeof params, "{\"type\":\"noop\",\"n\":%zu}",
		    chunk);
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
}

/*
 * Run one trigger_all, check it, and return the client's round trip;
 * the reply's elapsed_us goes in elapsed_us and the slowest slave's in
 * slowest_us: the reply's own for a plain slave, the largest
 * last_round_us in a master's status.
 */
static uint64_t
bench_round(struct benchlib_daemon *daemon, size_t agents, int64_t round,
    int64_t *slowest_us, int64_t *elapsed_us)
{
	struct json_object	*result, *errors, *status, *slaves, *slave;
	uint64_t		 rtt;
	int64_t			 elapsed;
	size_t			 i;

	result = benchlib_rpc(daemon, "trigger_all", NULL, &rtt);
	if (benchlib_int(result, "agents", daemon->name) != (int64_t)agents ||
	    benchlib_int(result, "failed", daemon->name) != 0 ||
	    benchlib_int(result, "round", daemon->name) != round ||
	    !json_object_object_get_ex(result, "errors", &errors) ||
	    json_object_array_length(errors) != 0)
		bench_fatal("%s: trigger_all %" PRId64 " on %zu agents: "
		    "%.300s", daemon->name, round, agents,
		    json_object_to_json_string(result));
	elapsed = benchlib_int(result, "elapsed_us", daemon->name);
	*elapsed_us = elapsed;
	json_object_put(result);
	if (daemon->nslaves == 0) {
		*slowest_us = elapsed;
		return (rtt);
	}
	status = benchlib_rpc(daemon, "status", NULL, NULL);
	json_object_object_get_ex(status, "slaves", &slaves);
	*slowest_us = 0;
	for (i = 0; i < daemon->nslaves; i++) {
		slave = json_object_array_get_idx(slaves, i);
		if (benchlib_int(slave, "rounds", daemon->name) != round)
			bench_fatal("%s: slave %zu ran %" PRId64 " rounds, "
			    "not %" PRId64, daemon->name, i, benchlib_int(slave,
			    "rounds", daemon->name), round);
		elapsed = benchlib_int(slave, "last_round_us", daemon->name);
		if (elapsed > *slowest_us)
			*slowest_us = elapsed;
	}
	json_object_put(status);
	return (rtt);
}

/* Start every set-up and measure is_ready round trips on each. */
static void
bench_start_all(void)
{
	struct bench_setup_result	*out;
	struct benchlib_daemon		*daemon;
	size_t				 i;

	for (i = 0; i < BENCH_NSETUPS; i++) {
		out = &bench_results[i];
		daemon = bench_daemons[i] = benchlib_daemon_start(
		    bench_creamasd, bench_setups[i], BENCH_READ_TIMEOUT);
		/* A second connection to a slave: the unit round trip. */
		benchlib_conn_open(&bench_unit_conns[i], daemon->nslaves > 0 ?
		    daemon->slave_ports[0] : daemon->port, "slave 0",
		    BENCH_READ_TIMEOUT);
		out->ready_slave = bench_ready_rtt(&bench_unit_conns[i],
		    &bench_unit_ids[i]);
		out->ready_master = daemon->nslaves > 0 ?
		    bench_ready_rtt(&daemon->conn, &daemon->next_id) : -1;
	}
}

/*
 * Bring every set-up to a size, then run its rounds, one set-up after
 * the other in turn, so that the machine's noise falls on all alike.
 */
static void
bench_measure(size_t s)
{
	const struct bench_size	*size = &bench_sizes[s];
	struct bench_result	*out;
	struct json_object	*result;
	double			*rtts[BENCH_NSETUPS], *slowest[BENCH_NSETUPS];
	double			*overheads[BENCH_NSETUPS];
	double			*ready[BENCH_NSETUPS], *elapsed[BENCH_NSETUPS];
	uint64_t		 start, rtt;
	int64_t			 slowest_us, elapsed_us;
	size_t			 i, r, have;

	have = s == 0 ? 0 : bench_sizes[s - 1].agents;
	for (i = 0; i < BENCH_NSETUPS; i++) {
		start = benchlib_now_ns();
		bench_spawn_to(bench_daemons[i], have, size->agents);
		bench_results[i].sizes[s].spawn_s =
		    (benchlib_now_ns() - start) / 1e9;
		rtts[i] = xcalloc(size->rounds, sizeof *rtts[i]);
		slowest[i] = xcalloc(size->rounds, sizeof *slowest[i]);
		overheads[i] = xcalloc(size->rounds, sizeof *overheads[i]);
		ready[i] = xcalloc(size->rounds, sizeof *ready[i]);
		elapsed[i] = xcalloc(size->rounds, sizeof *elapsed[i]);
	}
	for (r = 0; r < size->warmup; r++) {
		for (i = 0; i < BENCH_NSETUPS; i++)
			bench_round(bench_daemons[i], size->agents,
			    ++bench_rounds[i], &slowest_us, &elapsed_us);
	}
	for (r = 0; r < size->rounds; r++) {
		for (i = 0; i < BENCH_NSETUPS; i++) {
			rtt = bench_round(bench_daemons[i], size->agents,
			    ++bench_rounds[i], &slowest_us, &elapsed_us);
			rtts[i][r] = rtt / 1e3;
			elapsed[i][r] = (double)elapsed_us;
			slowest[i][r] = (double)slowest_us;
			overheads[i][r] = rtts[i][r] - slowest[i][r];
			result = benchlib_call(&bench_unit_conns[i],
			    &bench_unit_ids[i], "is_ready", NULL, &rtt);
			json_object_put(result);
			ready[i][r] = rtt / 1e3;
		}
	}
	for (i = 0; i < BENCH_NSETUPS; i++) {
		out = &bench_results[i].sizes[s];
		out->rtt_p90 = benchlib_quantile(rtts[i], size->rounds, 0.9);
		out->rtt = benchlib_quantile(rtts[i], size->rounds, 0.5);
		out->slowest = benchlib_quantile(slowest[i], size->rounds, 0.5);
		out->overhead = benchlib_quantile(overheads[i], size->rounds,
		    0.5);
		out->ready = benchlib_quantile(ready[i], size->rounds, 0.5);
		out->elapsed = benchlib_quantile(elapsed[i], size->rounds, 0.5);
		free(elapsed[i]);
		free(rtts[i]);
		free(slowest[i]);
		free(overheads[i]);
		free(ready[i]);
	}
	printf("# %zu noop agents: %zu rounds per set-up after %zu warm-up, "
	    "in turn\n", size->agents, size->rounds, size->warmup);
}

/* Stop every set-up by its stop method and check nothing is left. */
static void
bench_stop_all(void)
{
	size_t	 i;

	for (i = 0; i < BENCH_NSETUPS; i++) {
		benchlib_conn_close(&bench_unit_conns[i]);
		benchlib_daemon_stop(bench_daemons[i]);
		bench_daemons[i] = NULL;
	}
}

/* Print one row: a label, then one formatted number per set-up. */
static void
bench_print_row(const char *label, const char *format, const double *values)
{
	char	 cell[32];
	size_t	 i;

	printf("%-34s", label);
	for (i = 0; i < BENCH_NSETUPS; i++) {
		if (values[i] < 0)
			snprintf(cell, sizeof cell, "-");
		else
			snprintf(cell, sizeof cell, format, values[i]);
		printf(" | %11s", cell);
	}
	printf("\n");
}

/* Print the tables of every set-up side by side. */
static void
bench_print(void)
{
	double	 values[BENCH_NSETUPS];
	char	 label[64];
	size_t	 i, s;

	printf("\n%-34s", "");
	for (i = 0; i < BENCH_NSETUPS; i++) {
		if (bench_setups[i] == 0)
			printf(" | %11s", "slave alone");
		else
			printf(" | master S=%zu", bench_setups[i]);
	}
	printf("\n%.34s", "----------------------------------------");
	for (i = 0; i < BENCH_NSETUPS; i++)
		printf("-+------------");
	printf("\n");
	for (i = 0; i < BENCH_NSETUPS; i++)
		values[i] = bench_results[i].ready_slave;
	bench_print_row("is_ready to a slave (us)", "%.1f", values);
	for (i = 0; i < BENCH_NSETUPS; i++)
		values[i] = bench_results[i].ready_master;
	bench_print_row("is_ready to the master (us)", "%.1f", values);
	for (s = 0; s < BENCH_NSIZES; s++) {
		printf("-- %zu noop agents\n", bench_sizes[s].agents);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].rtt;
		bench_print_row("  trigger_all round trip (us)", "%.0f",
		    values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].rtt_p90;
		bench_print_row("  round trip p90 (us)", "%.0f", values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].elapsed;
		bench_print_row("  reply's elapsed_us", "%.0f", values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].slowest;
		bench_print_row("  slowest slave elapsed_us", "%.0f", values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].overhead;
		bench_print_row("  overhead = RT - slowest (us)", "%.0f",
		    values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].ready;
		bench_print_row("  is_ready to a slave = 1 RT (us)", "%.1f",
		    values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].overhead /
			    bench_results[i].sizes[s].ready;
		bench_print_row("  overhead in RTs (target < 2)", "%.2f",
		    values);
		for (i = 0; i < BENCH_NSETUPS; i++) {
			values[i] = bench_setups[i] == 0 ? -1 :
			    bench_results[1].sizes[s].rtt /
			    bench_results[i].sizes[s].rtt;
		}
		snprintf(label, sizeof label, "  speed-up over S=1 (x)");
		bench_print_row(label, "%.2f", values);
		for (i = 0; i < BENCH_NSETUPS; i++) {
			values[i] = bench_results[0].sizes[s].rtt /
			    bench_results[i].sizes[s].rtt;
		}
		bench_print_row("  speed-up over slave alone (x)", "%.2f",
		    values);
		for (i = 0; i < BENCH_NSETUPS; i++)
			values[i] = bench_results[i].sizes[s].spawn_s;
		bench_print_row("  spawn_n up to this size (s)", "%.2f",
		    values);
	}
	printf("\nRound trips are the client's, medians. \"slave alone\" is "
	    "one slave called\ndirectly: its overhead is its round trip minus "
	    "its own elapsed_us, one\nloopback round trip and the JSON. A "
	    "master's reply's elapsed_us is its own\ntime from request to "
	    "answer, the fan-out and the slaves' rounds; the\nslowest slave's "
	    "elapsed_us is the largest last_round_us in the master's\nstatus "
	    "after each round. The unit RT is the median is_ready round trip "
	    "to\none of the set-up's slaves on a second connection, one after "
	    "each round.\nThe client, the masters and the slaves share this "
	    "machine's %ld online\nCPUs, unpinned: with more slaves than CPUs "
	    "a slave waiting for a CPU is not\nin its elapsed_us, so the "
	    "overhead then includes that wait. Medians on a\nshared machine: "
	    "reported, not asserted.\n", sysconf(_SC_NPROCESSORS_ONLN));
}

int
main(int argc, char *argv[])
{
	uint64_t	 start = benchlib_now_ns();
	size_t		 i;

	bench_creamasd = benchlib_begin(argv[0]);
	printf("bench_master: %s, %ld online CPUs\n", bench_creamasd,
	    sysconf(_SC_NPROCESSORS_ONLN));
	bench_start_all();
	for (i = 0; i < BENCH_NSIZES; i++)
		bench_measure(i);
	bench_stop_all();
	bench_print();
	printf("\nwall time %.1f s\n", (benchlib_now_ns() - start) / 1e9);
	return (0);
}
