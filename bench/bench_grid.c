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
 * Benchmark of a diffusion grid, side x side for sides 100 to 1000, on
 * one master with 1 and 2 slaves, for the two agent types that compute
 * the same diffusion: diffusion (neighbours' values read from memory,
 * one batched get_cell_values call per neighbouring slave per round)
 * and diffusion_rpc, the baseline (one get_value call per neighbour per
 * round). For each grid: the round time (the client's trigger_all round
 * trip, the master's elapsed_us and the CPU time, user and system, the
 * master and its slaves used), per round over blocks of rounds
 * that last about BENCH_BLOCK_MS each, their median and quartiles over
 * the blocks, after a warm-up round; the spawn and set_neighbors times,
 * the memory per agent (RSS of the master and its slaves after spawning
 * and wiring minus before, over the agents), the peak RSS after the
 * rounds, and the neighbour messages, counted by the daemons (their
 * status counters before and after the measured rounds) and checked
 * against the count the grid's shape implies.
 *
 * With CREAMASD_BASELINE naming a second daemon binary, each grid runs
 * on both at once, their blocks interleaved (the order flipped every
 * block), so that the machine's load falls on both alike; each pair of
 * blocks gives a ratio, creamasd's over the baseline's, and the
 * medians and quartiles of those ratios are printed, with a 95 %
 * confidence interval of their median and whether it puts creamasd
 * within 5 % of the baseline. The two grids' published values must then
 * be equal, bit for bit, after the same rounds.
 *
 * Then the cost of one message each way: a published value read in
 * memory, a value in a get_cell_values batch and a get_value call, the
 * last two also timed directly from this client against one slave.
 *
 * The diffusion_rpc grids run after every diffusion grid, each size
 * with 2 slaves before 1, and a grid whose run, projected from the size
 * before it, would take the program over its budget of wall time (twice
 * as long with a baseline) is skipped, and the output says so.
 * Timings are medians on a shared machine, reported and never asserted:
 * the program fails only when a daemon misbehaves functionally.
 */

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
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
#define BENCH_READ_TIMEOUT	120	/* seconds without a byte read */
#define BENCH_BUDGET_S		120.0	/* the whole run, roughly */
#define BENCH_MARGIN		1.5	/* on a projected run */
#define BENCH_BIG_CELLS		250000	/* big_blocks above this */
#define BENCH_BLOCK_MS		150.0	/* a block of rounds, at least */
#define BENCH_BLOCK_ROUNDS_MAX	1000
#define BENCH_DAEMONS		2	/* creamasd and its baseline */
#define BENCH_WITHIN		1.05	/* creamasd against the baseline */
#define BENCH_COMPARE_CHUNK	50000	/* values per get_cell_values */
#define BENCH_TARGET_MS		200.0	/* a round of the target grid */
#define BENCH_TARGET_SIDE	1000
#define BENCH_TARGET_SLAVES	2
#define BENCH_CALLS		50	/* timed get_cell_values calls */
#define BENCH_BATCHES		20	/* timed get_value batches */
#define BENCH_WARMUP		5	/* untimed calls or batches */
#define BENCH_RESULTS_MAX	16
#define BENCH_SKIPS_MAX		16

/* An agent type measured, and how many blocks of rounds it gets. */
struct bench_type {
	const char	*name;
	int		 published;	/* reads published values */
	size_t		 blocks;	/* measured, after a warm-up */
	size_t		 big_blocks;	/* above BENCH_BIG_CELLS */
};

/* The median and the quartiles of a figure over blocks. */
struct bench_spread {
	double		 p25;
	double		 median;
	double		 p75;
};

/* Ratios of creamasd's blocks to the baseline's, paired. */
struct bench_ratio {
	size_t			 n;		/* 0: none measured */
	struct bench_spread	 spread;
	int			 has_ci;	/* enough pairs for one */
	double			 ci_low;	/* 95 % of the median */
	double			 ci_high;
};

/* The slaves' status counters, added up over the slaves. */
struct bench_counts {
	uint64_t	 local_reads;
	uint64_t	 edge_reads;
	uint64_t	 edge_calls;
	uint64_t	 edge_values;
	uint64_t	 served_calls;
	uint64_t	 calls_local;
	uint64_t	 calls_remote;
	int		 has_grid[BENCHLIB_SLAVES_MAX];
	uint64_t	 generation[BENCHLIB_SLAVES_MAX];
};

/* What one daemon (a master and its slaves) measured on one grid. */
struct bench_figures {
	struct benchlib_daemon	*daemon;
	struct bench_spread	 rtt;		/* client's, ms per round */
	struct bench_spread	 elapsed;	/* elapsed_us, ms per round */
	struct bench_spread	 cpu;		/* master, slaves: ms/round */
	double			 cpu_ms;	/* all measured rounds' CPU */
	double			 first_ms;	/* the warm-up round */
	double			 busy_s;	/* the rounds' rtt, summed */
	double			 spawn_s;
	double			 wire_s;	/* set_neighbors */
	double			 bytes_per_agent;
	double			 peak_mb;	/* VmHWM, summed */
	double			 local;		/* per round, counted */
	double			 across;	/* the same, between slaves */
	double			 batches;	/* get_cell_values calls */
	int			 has_edge;	/* the two below are timed */
	double			 batch_us;	/* one of side values */
	double			 get_value_us;	/* side of them at once */
};

/*
 * What one grid of one type measured: on creamasd (figures[0]) and, if
 * there is one, on the baseline (figures[1]), and creamasd's figures
 * over the baseline's, block by block.
 */
struct bench_result {
	const struct bench_type	*type;
	size_t			 side;		/* side x side cells */
	size_t			 slaves;
	size_t			 blocks;	/* measured */
	size_t			 per_block;	/* rounds in a block */
	size_t			 rounds;	/* measured, per daemon */
	double			 run_s;		/* daemons included */
	double			 blocks_s;	/* the measured blocks' */
	struct bench_figures	 figures[BENCH_DAEMONS];
	struct bench_ratio	 wall_ratio;	/* rtt, paired blocks */
	struct bench_ratio	 cpu_ratio;	/* CPU, paired blocks */
	double			 cpu_total_ratio; /* CPU, all blocks */
};

static const struct bench_type	 bench_diffusion = { "diffusion", 1, 31, 31 };
static const struct bench_type	 bench_rpc = { "diffusion_rpc", 0, 7, 2 };
static const struct bench_type	*bench_types[] = { &bench_diffusion,
				    &bench_rpc };
static const size_t		 bench_sides[] = { 100, 200, 400, 1000 };
static const size_t		 bench_slave_counts[] = { 2, 1 };

#define BENCH_NTYPES	(sizeof bench_types / sizeof bench_types[0])
#define BENCH_NSIDES	(sizeof bench_sides / sizeof bench_sides[0])
#define BENCH_NSLAVES	(sizeof bench_slave_counts / \
			    sizeof bench_slave_counts[0])

static const char		*bench_binaries[BENCH_DAEMONS];
static const char		*bench_labels[BENCH_DAEMONS] = { "creamasd",
				    "baseline" };
static size_t			 bench_ndaemons;	/* 2 with a baseline */
static double			 bench_budget_s;
static uint64_t			 bench_start_ns;
static struct bench_result	 bench_results[BENCH_RESULTS_MAX];
static size_t			 bench_nresults;
static char			*bench_skips[BENCH_SKIPS_MAX];
static size_t			 bench_nskips;

static void	bench_skip(const struct bench_type *, size_t, size_t,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

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

/* Return the seconds since the program started. */
static double
bench_spent(void)
{
	return ((benchlib_now_ns() - bench_start_ns) / 1e9);
}

/* Return "s" unless there is one slave. */
static const char *
bench_plural(size_t slaves)
{
	return (slaves == 1 ? "" : "s");
}

/* Return a process's RSS in bytes; fail if it cannot be read. */
static uint64_t
bench_rss(pid_t pid)
{
	return (benchlib_rss(pid, 1));
}

/* Return a process's peak RSS (VmHWM) in bytes. */
static uint64_t
bench_hwm(pid_t pid)
{
	FILE			*f;
	char			 path[64], line[256];
	unsigned long long	 kb;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		bench_fatal("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
			fclose(f);
			return ((uint64_t)kb * 1024);
		}
	}
	fclose(f);
	bench_fatal("%s: no VmHWM line", path);
}

/*
 * Return a figure of a process (RSS, peak RSS, CPU time) summed over a
 * master and its slaves.
 */
static uint64_t
bench_sum_all(struct benchlib_daemon *daemon, uint64_t (*figure)(pid_t))
{
	uint64_t	 sum;
	size_t		 i;

	sum = figure(daemon->pid);
	for (i = 0; i < daemon->nslaves; i++)
		sum += figure(daemon->slave_pids[i]);
	return (sum);
}

/* Return a member of an object; a missing one is fatal. */
static struct json_object *
bench_member(struct json_object *object, const char *key, const char *what)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(object, key, &value))
		bench_fatal("%s: no '%s' in %.300s", what, key,
		    json_object_to_json_string_ext(object,
		    JSON_C_TO_STRING_PLAIN));
	return (value);
}

/* Return a number (a double or an integer), or fail saying what it is. */
static double
bench_number(struct json_object *value, const char *what)
{
	if (!json_object_is_type(value, json_type_double) &&
	    !json_object_is_type(value, json_type_int))
		bench_fatal("%s: %s is not a number", what,
		    json_object_to_json_string(value));
	return (json_object_get_double(value));
}

/* Call a method whose result does not matter, timing it in seconds. */
static double
bench_do(struct benchlib_daemon *daemon, const char *method, const char *params)
{
	uint64_t	 start = benchlib_now_ns();

	json_object_put(benchlib_rpc(daemon, method, params, NULL));
	return ((benchlib_now_ns() - start) / 1e9);
}

/* Spawn agents of a type in chunks until the master holds want of them. */
static double
bench_spawn(struct benchlib_daemon *daemon, const char *type, size_t want)
{
	struct json_object	*result;
	char			 params[96];
	uint64_t		 start = benchlib_now_ns();
	size_t			 chunk, have = 0;

	while (have < want) {
		chunk = want - have < BENCH_SPAWN_CHUNK ? want - have :
		    BENCH_SPAWN_CHUNK;
		snprintf(params, sizeof params, "{\"type\":\"%s\",\"n\":%zu}",
		    type, chunk);
		result = benchlib_rpc(daemon, "spawn_n", params, NULL);
		if (!json_object_is_type(result, json_type_array) ||
		    json_object_array_length(result) != chunk)
			bench_fatal("%s: spawn_n of %zu %s gave %zu addresses",
			    daemon->name, chunk, type, json_object_is_type(
			    result, json_type_array) ?
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
	struct json_object	*result, *errors;
	uint64_t		 rtt;

	result = benchlib_rpc(daemon, "trigger_all", NULL, &rtt);
	errors = bench_member(result, "errors", daemon->name);
	if (benchlib_int(result, "agents", daemon->name) != (int64_t)agents ||
	    benchlib_int(result, "failed", daemon->name) != 0 ||
	    !json_object_is_type(errors, json_type_array) ||
	    json_object_array_length(errors) != 0)
		bench_fatal("%s: trigger_all on %zu agents: %.300s",
		    daemon->name, agents, json_object_to_json_string(result));
	*elapsed_ms = benchlib_int(result, "elapsed_us", daemon->name) / 1e3;
	json_object_put(result);
	return (rtt / 1e6);
}

/* Add one slave's status counters to counts; index is the slave's. */
static void
bench_counts_add(struct bench_counts *counts, size_t index,
    struct json_object *slave, const char *what)
{
	struct json_object	*calls, *grid;

	calls = bench_member(slave, "calls", what);
	counts->calls_local += benchlib_int(calls, "local", what);
	counts->calls_remote += benchlib_int(calls, "remote", what);
	if (!json_object_object_get_ex(slave, "grid", &grid))
		return;
	counts->has_grid[index] = 1;
	counts->generation[index] = benchlib_int(grid, "generation", what);
	counts->local_reads += benchlib_int(grid, "local_reads", what);
	counts->edge_reads += benchlib_int(grid, "edge_reads", what);
	counts->edge_calls += benchlib_int(grid, "edge_calls", what);
	counts->edge_values += benchlib_int(grid, "edge_values", what);
	counts->served_calls += benchlib_int(grid, "served_calls", what);
}

/* Read the counters of every slave of a master from its status. */
static void
bench_counts_read(struct benchlib_daemon *daemon, struct bench_counts *counts)
{
	struct json_object	*status, *slaves;
	size_t			 i;

	memset(counts, 0, sizeof *counts);
	status = benchlib_rpc(daemon, "status", NULL, NULL);
	slaves = bench_member(status, "slaves", daemon->name);
	if (!json_object_is_type(slaves, json_type_array) ||
	    json_object_array_length(slaves) != daemon->nslaves)
		bench_fatal("%s: status lists no %zu slaves: %.300s",
		    daemon->name, daemon->nslaves,
		    json_object_to_json_string(status));
	for (i = 0; i < daemon->nslaves; i++)
		bench_counts_add(counts, i,
		    json_object_array_get_idx(slaves, i), daemon->name);
	json_object_put(status);
}

/*
 * Count what one round of a side x side grid cut into slaves slabs side
 * by side implies: each agent reads (or asks) its up to 4 neighbours,
 * within its slab (local) or from the next slab (across), and each slab
 * asks each neighbouring slab once for a batch.
 */
static void
bench_expect(size_t side, size_t slaves, double *local, double *across,
    double *batches)
{
	double	 width = (double)(side / slaves), height = (double)side;

	*local = (double)slaves * 2.0 * ((width - 1) * height +
	    width * (height - 1));
	*across = 2.0 * height * (double)(slaves - 1);
	*batches = 2.0 * (double)(slaves - 1);
}

/* Fail unless a daemon's count over the rounds is the shape's. */
static void
bench_check(const struct bench_result *res, const struct bench_figures *fig,
    const char *what, uint64_t got, double per_round)
{
	double	 want = per_round * (double)res->rounds;

	if ((double)got != want)
		bench_fatal("%s %zux%zu, %s: the daemons counted %" PRIu64
		    " %s in %zu rounds; the grid's shape implies %.0f",
		    res->type->name, res->side, res->side, fig->daemon->name,
		    got, what, res->rounds, want);
}

/*
 * Check a daemon's counters' growth over the measured rounds against the
 * grid's shape, and keep the per-round counts: reads for diffusion,
 * get_value calls for diffusion_rpc.
 */
static void
bench_verify(const struct bench_result *res, struct bench_figures *fig,
    const struct bench_counts *b, const struct bench_counts *a)
{
	double	 local, across, batches;
	int	 fast = res->type->published;
	size_t	 i;

	bench_expect(res->side, res->slaves, &local, &across, &batches);
	for (i = 0; i < res->slaves; i++) {
		if (fast && !a->has_grid[i])
			bench_fatal("%s: %s: slave %zu has no grid in its "
			    "status", res->type->name, fig->daemon->name, i);
		if (a->has_grid[i] && b->has_grid[i])
			bench_check(res, fig, "rounds (grid.generation)",
			    a->generation[i] - b->generation[i], 1);
	}
	bench_check(res, fig, "local reads", a->local_reads -
	    b->local_reads, fast ? local : 0);
	bench_check(res, fig, "reads across slaves", a->edge_reads -
	    b->edge_reads, fast ? across : 0);
	bench_check(res, fig, "values fetched across", a->edge_values -
	    b->edge_values, fast ? across : 0);
	bench_check(res, fig, "get_cell_values calls", a->edge_calls -
	    b->edge_calls, fast ? batches : 0);
	bench_check(res, fig, "get_cell_values served", a->served_calls -
	    b->served_calls, fast ? batches : 0);
	bench_check(res, fig, "in-process calls", a->calls_local -
	    b->calls_local, fast ? 0 : local);
	bench_check(res, fig, "calls across processes", a->calls_remote -
	    b->calls_remote, fast ? batches : across);
	fig->local = (double)(fast ? a->local_reads - b->local_reads :
	    a->calls_local - b->calls_local) / (double)res->rounds;
	fig->across = (double)(fast ? a->edge_reads - b->edge_reads :
	    a->calls_remote - b->calls_remote) / (double)res->rounds;
	fig->batches = (double)(a->edge_calls - b->edge_calls) /
	    (double)res->rounds;
}

/* Return the port of a tcp://127.0.0.1:PORT/0 manager address. */
static uint16_t
bench_manager_port(const char *address)
{
	const char	*colon;
	unsigned long	 port;
	char		*end;

	if (strncmp(address, "tcp://127.0.0.1:", 16) != 0 ||
	    (colon = strrchr(address, ':')) == NULL)
		bench_fatal("get_slave_managers: bad address %s", address);
	port = strtoul(colon + 1, &end, 10);
	if (port == 0 || port > 65535 || strcmp(end, "/0") != 0)
		bench_fatal("get_slave_managers: bad address %s", address);
	return ((uint16_t)port);
}

/* Connect to a slave of a master, found by get_slave_managers. */
static void
bench_slave_open(struct benchlib_daemon *daemon, size_t index,
    struct benchlib_conn *conn)
{
	struct json_object	*list;
	uint16_t		 port;

	list = benchlib_rpc(daemon, "get_slave_managers", NULL, NULL);
	if (!json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) != daemon->nslaves)
		bench_fatal("%s: get_slave_managers: %.300s", daemon->name,
		    json_object_to_json_string(list));
	port = bench_manager_port(json_object_get_string(
	    json_object_array_get_idx(list, index)));
	json_object_put(list);
	benchlib_conn_open(conn, port, daemon->name, BENCH_READ_TIMEOUT);
}

/* Return a slave's grid.generation, from its own status. */
static int64_t
bench_slave_generation(struct benchlib_conn *conn, int64_t *next_id)
{
	struct json_object	*status;
	int64_t			 generation;

	status = benchlib_call(conn, next_id, "status", NULL, NULL);
	generation = benchlib_int(bench_member(status, "grid", conn->peer),
	    "generation", conn->peer);
	json_object_put(status);
	return (generation);
}

/* Return get_cell_values params asking for count agents from first. */
static char *
bench_cell_params(int64_t generation, size_t first, size_t count)
{
	char	*params;
	size_t	 size = 64 + count * 21, used, i;

	params = xmalloc(size);
	used = (size_t)snprintf(params, size, "{\"generation\":%" PRId64
	    ",\"agents\":[", generation);
	for (i = 0; i < count; i++)
		used += (size_t)snprintf(params + used, size - used, "%s%zu",
		    i > 0 ? "," : "", first + i);
	snprintf(params + used, size - used, "]}");
	return (params);
}

/*
 * Call get_cell_values with params asking for count agents at a
 * generation, check the reply and keep the values in values[]; return
 * the call's time in us, the reply parsed.
 */
static double
bench_cell_fetch(struct benchlib_conn *conn, int64_t *next_id,
    const char *params, int64_t generation, size_t count, double *values)
{
	struct json_object	*result, *list;
	uint64_t		 start = benchlib_now_ns();
	double			 us;
	size_t			 i;

	result = benchlib_call(conn, next_id, "get_cell_values", params, NULL);
	us = (benchlib_now_ns() - start) / 1e3;
	list = bench_member(result, "values", conn->peer);
	if (benchlib_int(result, "generation", conn->peer) != generation ||
	    !json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) != count)
		bench_fatal("%s: get_cell_values of %zu agents at generation "
		    "%" PRId64 ": %.300s", conn->peer, count, generation,
		    json_object_to_json_string(result));
	for (i = 0; i < count; i++)
		values[i] = bench_number(json_object_array_get_idx(list, i),
		    "get_cell_values");
	json_object_put(result);
	return (us);
}

/*
 * Time get_cell_values calls of count agents from first on a slave, the
 * reply parsed; keep the values in values[] and return the median in us.
 */
static double
bench_cell_values(struct benchlib_conn *conn, int64_t *next_id,
    int64_t generation, size_t first, size_t count, double *values)
{
	double	 samples[BENCH_CALLS], us;
	char	*params;
	size_t	 k;

	params = bench_cell_params(generation, first, count);
	for (k = 0; k < BENCH_WARMUP + BENCH_CALLS; k++) {
		us = bench_cell_fetch(conn, next_id, params, generation, count,
		    values);
		if (k >= BENCH_WARMUP)
			samples[k - BENCH_WARMUP] = us;
	}
	free(params);
	return (benchlib_median(samples, BENCH_CALLS));
}

/* Return count agent.get_value requests, one a line, ids from base. */
static char *
bench_get_value_requests(int64_t base, int64_t generation, size_t first,
    size_t count, size_t *lenp)
{
	char	*buf;
	size_t	 size = 128 * count + 1, used = 0, i;

	buf = xmalloc(size);
	for (i = 0; i < count; i++)
		used += (size_t)snprintf(buf + used, size - used,
		    "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"method\":"
		    "\"agent.get_value\",\"params\":{\"agent\":%zu,"
		    "\"round\":%" PRId64 "}}\n", base + (int64_t)i, first + i,
		    generation);
	*lenp = used;
	return (buf);
}

/* Read and check the count answers to a batch of get_value calls. */
static void
bench_get_value_replies(struct benchlib_conn *conn, int64_t base,
    size_t count, const double *values)
{
	struct json_object	*reply, *id;
	char			*line, *seen;
	int64_t			 k;
	size_t			 i;

	seen = xcalloc(count, 1);
	for (i = 0; i < count; i++) {
		if ((line = benchlib_conn_read_line(conn, NULL)) == NULL)
			bench_fatal("%s: closed during get_value", conn->peer);
		if ((reply = json_tokener_parse(line)) == NULL ||
		    !json_object_object_get_ex(reply, "id", &id))
			bench_fatal("%s: get_value: bad reply '%.200s'",
			    conn->peer, line);
		k = json_object_get_int64(id) - base;
		if (k < 0 || k >= (int64_t)count || seen[k])
			bench_fatal("%s: get_value: unexpected reply '%.200s'",
			    conn->peer, line);
		seen[k] = 1;
		if (bench_number(bench_member(reply, "result", conn->peer),
		    "get_value") != values[k])
			bench_fatal("%s: get_value: reply '%.200s' is not the "
			    "value get_cell_values gave (%.17g)", conn->peer,
			    line, values[k]);
		json_object_put(reply);
	}
	free(seen);
}

/*
 * Time batches of count agent.get_value calls written at once, as a
 * neighbouring slave sends them, every answer read and checked against
 * values[]; return the median batch in us.
 */
static double
bench_get_values(struct benchlib_conn *conn, int64_t *next_id,
    int64_t generation, size_t first, size_t count, const double *values)
{
	double		 samples[BENCH_BATCHES];
	char		*requests;
	uint64_t	 start;
	size_t		 len, k;

	for (k = 0; k < BENCH_WARMUP + BENCH_BATCHES; k++) {
		requests = bench_get_value_requests(*next_id, generation,
		    first, count, &len);
		start = benchlib_now_ns();
		benchlib_conn_write(conn, requests, len);
		bench_get_value_replies(conn, *next_id, count, values);
		if (k >= BENCH_WARMUP)
			samples[k - BENCH_WARMUP] =
			    (benchlib_now_ns() - start) / 1e3;
		*next_id += (int64_t)count;
		free(requests);
	}
	return (benchlib_median(samples, BENCH_BATCHES));
}

/*
 * From this client, time what crosses an edge each round, on the first
 * slave's last column of side agents: one get_cell_values call for them
 * all, and side get_value calls.
 */
static void
bench_edge_calls(const struct bench_result *res, struct bench_figures *fig)
{
	struct benchlib_conn	 conn;
	double			*values;
	int64_t			 next_id = 1, generation;
	size_t			 first;

	bench_slave_open(fig->daemon, 0, &conn);
	generation = bench_slave_generation(&conn, &next_id);
	if (generation != (int64_t)res->rounds + 1)
		bench_fatal("%s: slave 0: grid.generation %" PRId64 " after "
		    "%zu rounds", fig->daemon->name, generation,
		    res->rounds + 1);
	first = res->side / res->slaves * res->side - res->side + 1;
	values = xcalloc(res->side, sizeof *values);
	fig->batch_us = bench_cell_values(&conn, &next_id, generation, first,
	    res->side, values);
	fig->get_value_us = bench_get_values(&conn, &next_id, generation,
	    first, res->side, values);
	fig->has_edge = 1;
	free(values);
	benchlib_conn_close(&conn);
}

/*
 * Fail unless one slave of creamasd and the same slave of the baseline
 * publish the same values, bit for bit, after the same rounds: every
 * agent's, read in chunks.
 */
static void
bench_compare_slave(const struct bench_result *res, size_t index)
{
	struct benchlib_conn	 conns[BENCH_DAEMONS];
	double			*values[BENCH_DAEMONS];
	int64_t			 next_ids[BENCH_DAEMONS], generation;
	char			*params;
	size_t			 agents = res->side / res->slaves * res->side;
	size_t			 first, count, d, i;

	for (d = 0; d < BENCH_DAEMONS; d++) {
		bench_slave_open(res->figures[d].daemon, index, &conns[d]);
		next_ids[d] = 1;
		if ((generation = bench_slave_generation(&conns[d],
		    &next_ids[d])) != (int64_t)res->rounds + 1)
			bench_fatal("%s: slave %zu: grid.generation %" PRId64
			    " after %zu rounds", conns[d].peer, index,
			    generation, res->rounds + 1);
		values[d] = xcalloc(BENCH_COMPARE_CHUNK, sizeof *values[d]);
	}
	generation = (int64_t)res->rounds + 1;
	for (first = 1; first <= agents; first += count) {
		count = agents - first + 1 < BENCH_COMPARE_CHUNK ?
		    agents - first + 1 : BENCH_COMPARE_CHUNK;
		params = bench_cell_params(generation, first, count);
		for (d = 0; d < BENCH_DAEMONS; d++)
			bench_cell_fetch(&conns[d], &next_ids[d], params,
			    generation, count, values[d]);
		free(params);
		for (i = 0; i < count; i++)
			if (memcmp(&values[0][i], &values[1][i],
			    sizeof values[0][i]) != 0)
				bench_fatal("%s %zux%zu: slave %zu, agent %zu: "
				    "creamasd's value %.17g, the baseline's "
				    "%.17g, after %zu rounds", res->type->name,
				    res->side, res->side, index, first + i,
				    values[0][i], values[1][i],
				    res->rounds + 1);
	}
	for (d = 0; d < BENCH_DAEMONS; d++) {
		free(values[d]);
		benchlib_conn_close(&conns[d]);
	}
}

/* Give a grid its size and agents, wire it, and note the memory taken. */
static void
bench_setup(const struct bench_result *res, struct bench_figures *fig)
{
	char		 params[64];
	uint64_t	 before, after;
	size_t		 cells = res->side * res->side;

	before = bench_sum_all(fig->daemon, bench_rss);
	snprintf(params, sizeof params, "{\"gs\":[%zu,%zu]}",
	    res->side / res->slaves, res->side);
	bench_do(fig->daemon, "set_gs", params);
	bench_do(fig->daemon, "set_origin", "{\"origin\":[0,0]}");
	fig->spawn_s = bench_spawn(fig->daemon, res->type->name, cells);
	fig->wire_s = bench_do(fig->daemon, "set_neighbors", NULL);
	after = bench_sum_all(fig->daemon, bench_rss);
	fig->bytes_per_agent = after > before ?
	    (double)(after - before) / (double)cells : 0;
}

/*
 * Run one block of rounds on a daemon; give its client round trips, its
 * elapsed_us and the CPU time of its processes, in ms per round.
 */
static void
bench_block(const struct bench_result *res, struct bench_figures *fig,
    double *rtt, double *elapsed, double *cpu)
{
	uint64_t	 cpu_before;
	double		 ms;
	size_t		 r;

	*rtt = *elapsed = 0;
	cpu_before = bench_sum_all(fig->daemon, benchlib_cpu_ns);
	for (r = 0; r < res->per_block; r++) {
		*rtt += bench_round(fig->daemon, res->side * res->side, &ms);
		*elapsed += ms;
	}
	*cpu = (double)(bench_sum_all(fig->daemon, benchlib_cpu_ns) -
	    cpu_before) / 1e6;
	fig->busy_s += *rtt / 1e3;
	fig->cpu_ms += *cpu;
	*rtt /= (double)res->per_block;
	*elapsed /= (double)res->per_block;
	*cpu /= (double)res->per_block;
}

/* Return the quartiles and median of n samples, sorting them. */
static struct bench_spread
bench_spread_of(double *samples, size_t n)
{
	struct bench_spread	 spread;

	spread.p25 = benchlib_quantile(samples, n, 0.25);
	spread.median = benchlib_quantile(samples, n, 0.5);
	spread.p75 = benchlib_quantile(samples, n, 0.75);
	return (spread);
}

/* Keep the spread of n paired ratios and the interval of their median. */
static void
bench_ratio_of(struct bench_ratio *ratio, double *samples, size_t n)
{
	ratio->n = n;
	if (n == 0)
		return;
	ratio->spread = bench_spread_of(samples, n);
	ratio->has_ci = benchlib_median_ci(samples, n, &ratio->ci_low,
	    &ratio->ci_high) == 0;
}

/*
 * Choose the rounds of a block from the warm-up rounds (the slower's), so
 * that a block lasts about BENCH_BLOCK_MS.
 */
static void
bench_plan(struct bench_result *res)
{
	double	 first = 0;
	size_t	 d;

	for (d = 0; d < bench_ndaemons; d++)
		if (res->figures[d].first_ms > first)
			first = res->figures[d].first_ms;
	res->per_block = first > 0 ? (size_t)(BENCH_BLOCK_MS / first) + 1 :
	    BENCH_BLOCK_ROUNDS_MAX;
	if (res->per_block > BENCH_BLOCK_ROUNDS_MAX)
		res->per_block = BENCH_BLOCK_ROUNDS_MAX;
	res->rounds = res->blocks * res->per_block;
}

/*
 * Run the measured blocks of a grid on each daemon, interleaved with the
 * order flipped every block, and keep each daemon's spreads and, with a
 * baseline, those of the ratios of each pair of blocks.
 */
static void
bench_blocks(struct bench_result *res)
{
	double		*rtt[BENCH_DAEMONS], *elapsed[BENCH_DAEMONS];
	double		*cpu[BENCH_DAEMONS], *wall_ratio, *cpu_ratio;
	size_t		 b, i, d, n = bench_ndaemons, ncpu = 0;

	for (d = 0; d < n; d++) {
		rtt[d] = xcalloc(res->blocks, sizeof *rtt[d]);
		elapsed[d] = xcalloc(res->blocks, sizeof *elapsed[d]);
		cpu[d] = xcalloc(res->blocks, sizeof *cpu[d]);
	}
	wall_ratio = xcalloc(res->blocks, sizeof *wall_ratio);
	cpu_ratio = xcalloc(res->blocks, sizeof *cpu_ratio);
	for (b = 0; b < res->blocks; b++) {
		for (i = 0; i < n; i++) {
			d = b % 2 == 0 ? i : n - 1 - i;
			bench_block(res, &res->figures[d], &rtt[d][b],
			    &elapsed[d][b], &cpu[d][b]);
		}
		if (n < BENCH_DAEMONS)
			continue;
		wall_ratio[b] = rtt[0][b] / rtt[1][b];
		/* A block whose CPU time reads as none has no ratio. */
		if (cpu[0][b] > 0 && cpu[1][b] > 0)
			cpu_ratio[ncpu++] = cpu[0][b] / cpu[1][b];
	}
	if (n == BENCH_DAEMONS) {
		bench_ratio_of(&res->wall_ratio, wall_ratio, res->blocks);
		bench_ratio_of(&res->cpu_ratio, cpu_ratio, ncpu);
		if (res->figures[1].cpu_ms > 0)
			res->cpu_total_ratio = res->figures[0].cpu_ms /
			    res->figures[1].cpu_ms;
	}
	for (d = 0; d < n; d++) {
		res->figures[d].rtt = bench_spread_of(rtt[d], res->blocks);
		res->figures[d].elapsed = bench_spread_of(elapsed[d],
		    res->blocks);
		res->figures[d].cpu = bench_spread_of(cpu[d], res->blocks);
		free(rtt[d]);
		free(elapsed[d]);
		free(cpu[d]);
	}
	free(wall_ratio);
	free(cpu_ratio);
}

/* Return a new result for a grid, its blocks chosen by its size. */
static struct bench_result *
bench_result_new(const struct bench_type *type, size_t side, size_t slaves)
{
	struct bench_result	*res;

	if (bench_nresults == BENCH_RESULTS_MAX)
		bench_fatal("too many results");
	res = &bench_results[bench_nresults++];
	memset(res, 0, sizeof *res);
	res->type = type;
	res->side = side;
	res->slaves = slaves;
	res->blocks = side * side > BENCH_BIG_CELLS ? type->big_blocks :
	    type->blocks;
	return (res);
}

/* Start a daemon for a grid, named after its binary's label. */
static struct benchlib_daemon *
bench_daemon_start(size_t d, size_t slaves)
{
	struct benchlib_daemon	*daemon;

	daemon = benchlib_daemon_start(bench_binaries[d], slaves,
	    BENCH_READ_TIMEOUT);
	snprintf(daemon->name, sizeof daemon->name, "%s, %zu slave%s",
	    bench_labels[d], slaves, bench_plural(slaves));
	return (daemon);
}

/*
 * Measure one side x side grid of a type on a master with slaves slaves,
 * and on the baseline's beside it if there is one.
 */
static void
bench_run(const struct bench_type *type, size_t side, size_t slaves)
{
	struct bench_result	*res = bench_result_new(type, side, slaves);
	struct bench_figures	*fig;
	struct bench_counts	 before[BENCH_DAEMONS], after;
	uint64_t		 start = benchlib_now_ns(), blocks_start;
	double			 ms;
	size_t			 d, i;

	for (d = 0; d < bench_ndaemons; d++) {
		fig = &res->figures[d];
		fig->daemon = bench_daemon_start(d, slaves);
		bench_setup(res, fig);
		fig->first_ms = bench_round(fig->daemon, side * side, &ms);
	}
	bench_plan(res);
	for (d = 0; d < bench_ndaemons; d++)
		bench_counts_read(res->figures[d].daemon, &before[d]);
	blocks_start = benchlib_now_ns();
	bench_blocks(res);
	res->blocks_s = (benchlib_now_ns() - blocks_start) / 1e9;
	for (d = 0; d < bench_ndaemons; d++) {
		fig = &res->figures[d];
		bench_counts_read(fig->daemon, &after);
		fig->peak_mb = bench_sum_all(fig->daemon, bench_hwm) / 1e6;
		bench_verify(res, fig, &before[d], &after);
	}
	if (type->published && bench_ndaemons == BENCH_DAEMONS)
		for (i = 0; i < slaves; i++)
			bench_compare_slave(res, i);
	if (type->published && slaves > 1)
		bench_edge_calls(res, &res->figures[0]);
	for (d = 0; d < bench_ndaemons; d++)
		benchlib_daemon_stop(res->figures[d].daemon);
	res->run_s = (benchlib_now_ns() - start) / 1e9;
	fig = &res->figures[0];
	printf("# %s %zux%zu, %zu slave%s: round %.2f ms (median of %zu "
	    "blocks of %zu, p25 %.2f, p75 %.2f, 1st %.1f ms), CPU %.2f ms",
	    type->name, side, side, slaves, bench_plural(slaves),
	    fig->rtt.median, res->blocks, res->per_block, fig->rtt.p25,
	    fig->rtt.p75, fig->first_ms, fig->cpu.median);
	if (bench_ndaemons == BENCH_DAEMONS)
		printf("; baseline round %.2f ms, CPU %.2f ms; ratios %.3f, "
		    "%.3f", res->figures[1].rtt.median,
		    res->figures[1].cpu.median, res->wall_ratio.spread.median,
		    res->cpu_ratio.spread.median);
	printf("; run %.1f s\n", res->run_s);
}

/* Return the result of a grid, or NULL if it was not measured. */
static const struct bench_result *
bench_find(const struct bench_type *type, size_t side, size_t slaves)
{
	size_t	 i;

	for (i = 0; i < bench_nresults; i++) {
		if (bench_results[i].type == type &&
		    bench_results[i].side == side &&
		    bench_results[i].slaves == slaves)
			return (&bench_results[i]);
	}
	return (NULL);
}

/* Say, now and at the end, that a grid is skipped and why. */
static void
bench_skip(const struct bench_type *type, size_t side, size_t slaves,
    const char *fmt, ...)
{
	char	*why, *line;
	va_list	 ap;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	xasprintf(&line, "skipped: %s %zux%zu, %zu slave%s: %s", type->name,
	    side, side, slaves, bench_plural(slaves), why);
	free(why);
	printf("# %s\n", line);
	if (bench_nskips < BENCH_SKIPS_MAX)
		bench_skips[bench_nskips++] = line;
	else
		free(line);
}

/*
 * Return 1 if a grid fits in what is left of the budget: its run is
 * projected from the size before it, with a margin: what is not the
 * measured blocks grows with the cells, and each block lasts
 * BENCH_BLOCK_MS or a round, grown with the cells, if that is longer.
 * A grid whose smaller size was skipped is skipped too.
 */
static int
bench_afford(const struct bench_type *type, size_t k, size_t slaves)
{
	const struct bench_result	*prev;
	double				 ratio, projected, spent, block_s;
	size_t				 side = bench_sides[k], blocks, d;

	if (k == 0)
		return (1);
	if ((prev = bench_find(type, bench_sides[k - 1], slaves)) == NULL) {
		bench_skip(type, side, slaves, "%zux%zu was skipped",
		    bench_sides[k - 1], bench_sides[k - 1]);
		return (0);
	}
	ratio = (double)(side * side) / (double)(prev->side * prev->side);
	block_s = BENCH_BLOCK_MS / 1e3;
	for (d = 0; d < bench_ndaemons; d++)
		if (prev->figures[d].first_ms * ratio / 1e3 > block_s)
			block_s = prev->figures[d].first_ms * ratio / 1e3;
	blocks = side * side > BENCH_BIG_CELLS ? type->big_blocks :
	    type->blocks;
	projected = ((prev->run_s - prev->blocks_s) * ratio +
	    (double)(blocks * bench_ndaemons) * block_s) * BENCH_MARGIN;
	spent = bench_spent();
	if (spent + projected <= bench_budget_s)
		return (1);
	bench_skip(type, side, slaves, "projected %.0f s (%zux%zu took "
	    "%.1f s, x%.2f cells, x%.1f margin) with %.0f s spent would "
	    "pass the %.0f s budget", projected, prev->side, prev->side,
	    prev->run_s, ratio, BENCH_MARGIN, spent, bench_budget_s);
	return (0);
}

/* Call row for every grid measured: by type, size, then slaves. */
static void
bench_each(void (*row)(const struct bench_result *))
{
	const struct bench_result	*res;
	size_t				 t, k, s;

	for (t = 0; t < BENCH_NTYPES; t++)
		for (k = 0; k < BENCH_NSIDES; k++)
			for (s = BENCH_NSLAVES; s-- > 0; )
				if ((res = bench_find(bench_types[t],
				    bench_sides[k], bench_slave_counts[s])) !=
				    NULL)
					row(res);
}

/* Print the first columns of a grid's row: type, size and slaves. */
static void
bench_row_start(const struct bench_result *res)
{
	char	 size[32];

	snprintf(size, sizeof size, "%zux%zu", res->side, res->side);
	printf("%-13s %-9s %2zu", res->type->name, size, res->slaves);
}

/* Print a grid's round times, set-up times and memory. */
static void
bench_row_rounds(const struct bench_result *res)
{
	const struct bench_figures	*fig = &res->figures[0];

	bench_row_start(res);
	printf(" %9.2f %8.2f %8.2f %9.2f %8.2f %8.1f %7.2f %7.3f %7.0f "
	    "%7.0f\n", fig->rtt.median, fig->rtt.p25, fig->rtt.p75,
	    fig->elapsed.median, fig->cpu.median, fig->first_ms, fig->spawn_s,
	    fig->wire_s, fig->bytes_per_agent, fig->peak_mb);
}

/* Print a grid's neighbour messages, as the daemons counted them. */
static void
bench_row_messages(const struct bench_result *res)
{
	const struct bench_figures	*fig = &res->figures[0];

	bench_row_start(res);
	printf(" %11.0f %10.0f %9.0f %10.2f %10.3f\n", fig->local,
	    fig->across, fig->batches, fig->local * (double)res->rounds /
	    fig->busy_s / 1e6, fig->across * (double)res->rounds /
	    fig->busy_s / 1e6);
}

/* Print the tables of rounds and of messages. */
static void
bench_print_tables(void)
{
	printf("\n%-13s %-9s %2s %9s %8s %8s %9s %8s %8s %7s %7s %7s %7s\n",
	    "type", "size", "sl", "round ms", "p25", "p75", "elap. ms",
	    "CPU ms", "1st ms", "spawn s", "wire s", "B/agent", "peak MB");
	bench_each(bench_row_rounds);
	printf("\n%-13s %-9s %2s %11s %10s %9s %10s %10s\n", "type", "size",
	    "sl", "local/rnd", "across/rnd", "batch/rnd", "local M/s",
	    "across M/s");
	bench_each(bench_row_messages);
}

/*
 * Return what the 95 % interval of the median of paired ratios says of
 * "within 5 %".
 */
static const char *
bench_verdict(const struct bench_ratio *ratio)
{
	if (ratio->n == 0)
		return ("unmeasured");
	if (!ratio->has_ci)
		return ("undecided");
	if (ratio->ci_high <= BENCH_WITHIN)
		return ("yes");
	if (ratio->ci_low > BENCH_WITHIN)
		return ("no");
	return ("undecided");
}

/* Print a figure's median and quartiles, in the comparison's columns. */
static void
bench_print_spread(const struct bench_spread *spread, int decimals)
{
	char	 text[96];

	snprintf(text, sizeof text, "%.*f (%.*f-%.*f)", decimals,
	    spread->median, decimals, spread->p25, decimals, spread->p75);
	printf(" %-24s", text);
}

/*
 * Print a figure of a grid on creamasd and on the baseline, their ratio
 * and its interval; the verdict comes after any more columns.
 */
static void
bench_row_compare(const struct bench_result *res,
    const struct bench_spread *creamasd, const struct bench_spread *baseline,
    const struct bench_ratio *ratio)
{
	char	 text[64];

	bench_row_start(res);
	bench_print_spread(creamasd, 2);
	bench_print_spread(baseline, 2);
	bench_print_spread(&ratio->spread, 3);
	if (ratio->has_ci)
		snprintf(text, sizeof text, "%.3f-%.3f", ratio->ci_low,
		    ratio->ci_high);
	else
		snprintf(text, sizeof text, "-");
	printf(" %-12s", text);
}

/* Print a grid's wall time per round on creamasd and on the baseline. */
static void
bench_row_wall(const struct bench_result *res)
{
	bench_row_compare(res, &res->figures[0].rtt, &res->figures[1].rtt,
	    &res->wall_ratio);
	printf(" %s\n", bench_verdict(&res->wall_ratio));
}

/* Print a grid's CPU time per round on creamasd and on the baseline. */
static void
bench_row_cpu(const struct bench_result *res)
{
	bench_row_compare(res, &res->figures[0].cpu, &res->figures[1].cpu,
	    &res->cpu_ratio);
	printf(" %5.3f %s\n", res->cpu_total_ratio,
	    bench_verdict(&res->cpu_ratio));
}

/* Count the grids whose ratio's verdict (wall or CPU) is verdict. */
static size_t
bench_count_verdicts(int cpu, const char *verdict)
{
	const struct bench_result	*res;
	size_t				 i, n = 0;

	for (i = 0; i < bench_nresults; i++) {
		res = &bench_results[i];
		if (strcmp(bench_verdict(cpu ? &res->cpu_ratio :
		    &res->wall_ratio), verdict) == 0)
			n++;
	}
	return (n);
}

/*
 * Print, for each type, the mean over its grids of their median ratios
 * (wall, then CPU) with a 95 % interval of it, and what it says of
 * "within 5 %": each grid has its own daemons, so the spread between
 * grids holds what one grid's blocks cannot, how a daemon's cost moves
 * from one start to the next.
 */
static void
bench_print_across(void)
{
	const struct bench_result	*res;
	const struct bench_ratio	*ratio;
	struct bench_ratio		 across;
	double				 ratios[BENCH_RESULTS_MAX], mean;
	size_t				 t, i, n, cpu;

	for (t = 0; t < BENCH_NTYPES; t++) {
		for (cpu = 0; cpu < 2; cpu++) {
			for (i = n = 0; i < bench_nresults; i++) {
				res = &bench_results[i];
				ratio = cpu ? &res->cpu_ratio :
				    &res->wall_ratio;
				if (res->type == bench_types[t] &&
				    ratio->n > 0)
					ratios[n++] = ratio->spread.median;
			}
			memset(&across, 0, sizeof across);
			across.n = n;
			across.has_ci = benchlib_mean_ci(ratios, n, &mean,
			    &across.ci_low, &across.ci_high) == 0;
			across.spread.median = mean;
			printf("%s, %s, the mean of %zu grids' median ratios: "
			    "%.3f", bench_types[t]->name, cpu ? "CPU" :
			    "wall", n, mean);
			if (across.has_ci)
				printf(" (95 %%: %.3f-%.3f)", across.ci_low,
				    across.ci_high);
			printf(", within 5 %%: %s\n", bench_verdict(&across));
		}
	}
}

/* Print creamasd against the baseline, wall and CPU, and the verdicts. */
static void
bench_print_comparison(void)
{
	size_t	 cpu;

	printf("\ncreamasd (%s) against the baseline (%s), blocks "
	    "interleaved:\n", bench_binaries[0], bench_binaries[1]);
	printf("\n%-26s %-24s %-24s %-24s %-12s %s\n", "wall ms per round",
	    "creamasd (p25-p75)", "baseline (p25-p75)", "ratio (p25-p75)",
	    "95 % median", "within 5 %");
	bench_each(bench_row_wall);
	printf("\n%-26s %-24s %-24s %-24s %-12s %s\n", "CPU ms per round",
	    "creamasd (p25-p75)", "baseline (p25-p75)", "ratio (p25-p75)",
	    "95 % median", "total within 5 %");
	bench_each(bench_row_cpu);
	printf("\nratio: creamasd's block over the baseline's block run "
	    "beside it, median and\nquartiles over the blocks; 95 %% median: "
	    "a 95 %% confidence interval of the\nratios' median (order "
	    "statistics; none below 6 blocks); total: creamasd's\nCPU time "
	    "over the baseline's, all blocks. within 5 %%: yes if the "
	    "interval's\ntop is at most %.2f, no if its bottom is above it, "
	    "undecided if it straddles\n%.2f or there is none.\n",
	    BENCH_WITHIN, BENCH_WITHIN);
	for (cpu = 0; cpu < 2; cpu++)
		printf("within 5 %% of the baseline, %s: %zu yes, %zu "
		    "undecided, %zu no, %zu unmeasured, of %zu grids\n",
		    cpu ? "CPU" : "wall", bench_count_verdicts(cpu, "yes"),
		    bench_count_verdicts(cpu, "undecided"),
		    bench_count_verdicts(cpu, "no"),
		    bench_count_verdicts(cpu, "unmeasured"), bench_nresults);
	bench_print_across();
}

/* Print a cost in a column, or a dash if it was not measured. */
static void
bench_print_cost(int known, double value, int decimals)
{
	if (known)
		printf(" %11.*f", decimals, value);
	else
		printf(" %11s", "-");
}

/* Return (a) for a side: ns of a diffusion round per read, 1 slave. */
static int
bench_cost_read(size_t side, double *ns)
{
	const struct bench_result	*res;
	const struct bench_figures	*fig;

	if ((res = bench_find(&bench_diffusion, side, 1)) == NULL)
		return (0);
	fig = &res->figures[0];
	*ns = fig->elapsed.median * 1e6 / (fig->local + fig->across);
	return (1);
}

/* Return (c) for a side: ns of a diffusion_rpc round per call, 1 slave. */
static int
bench_cost_rpc(size_t side, double *ns)
{
	const struct bench_result	*res;
	const struct bench_figures	*fig;

	if ((res = bench_find(&bench_rpc, side, 1)) == NULL)
		return (0);
	fig = &res->figures[0];
	*ns = fig->elapsed.median * 1e6 / (fig->local + fig->across);
	return (1);
}

/* Return the grid whose edge calls were timed, for a side, or NULL. */
static const struct bench_result *
bench_cost_edge(size_t side)
{
	const struct bench_result	*res;

	res = bench_find(&bench_diffusion, side, BENCH_TARGET_SLAVES);
	return (res != NULL && res->figures[0].has_edge ? res : NULL);
}

/* Print the table of the cost of one message, each way, per size. */
static void
bench_print_costs(void)
{
	const struct bench_result	*edge;
	const struct bench_figures	*fig;
	char				 size[32];
	double				 read = 0, rpc = 0, side;
	int				 has_read, has_rpc;
	size_t				 k;

	printf("\n%-9s %11s %11s %11s %11s %11s\n", "size", "(a) read",
	    "(b) batch", "(b) call", "(c) rpc", "(d) get_val");
	printf("%-9s %11s %11s %11s %11s %11s\n", "", "ns", "ns/value", "us",
	    "ns/call", "ns/call");
	for (k = 0; k < BENCH_NSIDES; k++) {
		side = (double)bench_sides[k];
		has_read = bench_cost_read(bench_sides[k], &read);
		has_rpc = bench_cost_rpc(bench_sides[k], &rpc);
		edge = bench_cost_edge(bench_sides[k]);
		fig = edge != NULL ? &edge->figures[0] : NULL;
		snprintf(size, sizeof size, "%zux%zu", bench_sides[k],
		    bench_sides[k]);
		printf("%-9s", size);
		bench_print_cost(has_read, read, 2);
		bench_print_cost(fig != NULL, fig != NULL ?
		    fig->batch_us * 1e3 / side : 0, 1);
		bench_print_cost(fig != NULL, fig != NULL ? fig->batch_us : 0,
		    1);
		bench_print_cost(has_rpc, rpc, 1);
		bench_print_cost(fig != NULL, fig != NULL ?
		    fig->get_value_us * 1e3 / side : 0, 1);
		printf("\n");
	}
}

/* Print what each column means. */
static void
bench_print_legend(void)
{
	printf("\nround ms: the client's trigger_all round trip, per round of "
	    "a block of rounds\nlasting about %.0f ms: the median over the "
	    "blocks, and their p25 and p75;\nelap. ms: the master's own "
	    "elapsed_us, the same way; CPU ms: the CPU time\n(utime and "
	    "stime) of the master and its slaves over a block, per round, "
	    "median\nover the blocks. 1st ms: the warm-up round before the "
	    "blocks.\nspawn s: spawn_n of every agent; wire "
	    "s: set_neighbors. B/agent: RSS of the\nmaster and its slaves "
	    "after spawning and wiring minus before, over the agents.\n"
	    "peak MB: the peak RSS (VmHWM) of the master and of each slave, "
	    "summed, after\nthe rounds.\n"
	    "local/rnd, across/rnd: neighbour messages per round as the "
	    "slaves' status\ncounts them (and as the grid's shape implies, "
	    "checked): for diffusion the\nvalues read in memory "
	    "(grid.local_reads) and across slaves (grid.edge_reads),\nfor "
	    "diffusion_rpc the get_value calls in-process (calls.local) and "
	    "across\nprocesses (calls.remote); batch/rnd: get_cell_values "
	    "calls per round\n(grid.edge_calls). M/s: millions of those over "
	    "the measured rounds' round\ntrips.\n", BENCH_BLOCK_MS);
	printf("(a) a published value read in memory: a diffusion round's "
	    "elapsed_us, 1 slave,\nover its reads (the whole act included: an "
	    "upper bound). (b) a value across\nslaves in a batch: one "
	    "get_cell_values call of side ids (one slave's edge)\nfrom this "
	    "client to a slave, median of %d, per value and whole (us).\n(c) "
	    "an in-process get_value call: a diffusion_rpc round's elapsed_us, "
	    "1 slave,\nover its calls. (d) a get_value call across processes: "
	    "side agent.get_value\ncalls written at once from this client to "
	    "a slave, as a neighbouring slave\nsends them, all answers read, "
	    "median of %d batches, per call. (b) and (d) use\nthe 2-slave "
	    "diffusion grid, the same agents and the same generation; each\n"
	    "answer of (d) is checked against (b)'s.\n", BENCH_CALLS,
	    BENCH_BATCHES);
}

/* Print whether the target is met, and the rpc path's slowness. */
static void
bench_print_summary(void)
{
	const struct bench_result	*fast, *slow;
	double				 fast_ms, slow_ms;
	size_t				 k;

	fast = bench_find(&bench_diffusion, BENCH_TARGET_SIDE,
	    BENCH_TARGET_SLAVES);
	printf("\ntarget: a %dx%d round under %.0f ms with %d slaves: ",
	    BENCH_TARGET_SIDE, BENCH_TARGET_SIDE, BENCH_TARGET_MS,
	    BENCH_TARGET_SLAVES);
	if (fast != NULL)
		printf("%s (%.1f ms)\n", fast->figures[0].rtt.median <
		    BENCH_TARGET_MS ? "met" : "not met",
		    fast->figures[0].rtt.median);
	else
		printf("not measured (skipped)\n");
	for (k = 0; k < BENCH_NSIDES; k++) {
		fast = bench_find(&bench_diffusion, bench_sides[k],
		    BENCH_TARGET_SLAVES);
		slow = bench_find(&bench_rpc, bench_sides[k],
		    BENCH_TARGET_SLAVES);
		printf("speed-up over the rpc path at %zux%zu with %d "
		    "slaves: ", bench_sides[k], bench_sides[k],
		    BENCH_TARGET_SLAVES);
		if (fast == NULL || slow == NULL) {
			printf("not measured (skipped)\n");
			continue;
		}
		fast_ms = fast->figures[0].rtt.median;
		slow_ms = slow->figures[0].rtt.median;
		printf("%.0fx (round %.2f ms against %.1f ms)\n",
		    slow_ms / fast_ms, fast_ms, slow_ms);
	}
}

/* Return the grid whose edge calls were timed at the largest size. */
static const struct bench_result *
bench_largest_edge(void)
{
	const struct bench_result	*edge = NULL;
	size_t				 k;

	for (k = BENCH_NSIDES; edge == NULL && k-- > 0; )
		edge = bench_cost_edge(bench_sides[k]);
	return (edge);
}

/* Print each per-message cost at the largest size that measured it. */
static void
bench_print_unit_costs(void)
{
	const struct bench_result	*edge = bench_largest_edge();
	const struct bench_figures	*fig;
	double				 ns;
	size_t				 k;

	for (k = BENCH_NSIDES; k-- > 0 && !bench_cost_read(bench_sides[k],
	    &ns); )
		continue;
	if (k < BENCH_NSIDES)
		printf("(a) a local published-value read at %zux%zu: %.2f ns "
		    "(round elapsed / reads)\n", bench_sides[k],
		    bench_sides[k], ns);
	fig = edge != NULL ? &edge->figures[0] : NULL;
	if (fig != NULL)
		printf("(b) a value across slaves in a batch of %zu: %.1f ns "
		    "(the call: %.1f us)\n", edge->side, fig->batch_us * 1e3 /
		    (double)edge->side, fig->batch_us);
	for (k = BENCH_NSIDES; k-- > 0 && !bench_cost_rpc(bench_sides[k],
	    &ns); )
		continue;
	if (k < BENCH_NSIDES)
		printf("(c) an in-process get_value call at %zux%zu: %.1f ns "
		    "(round elapsed / calls)\n", bench_sides[k],
		    bench_sides[k], ns);
	if (fig != NULL)
		printf("(d) a get_value call across processes, %zu at once: "
		    "%.1f ns (%.1fx (b))\n", edge->side, fig->get_value_us *
		    1e3 / (double)edge->side, fig->get_value_us /
		    fig->batch_us);
}

/*
 * Take creamasd from CREAMASD and a baseline from CREAMASD_BASELINE, if
 * set; with a baseline the budget is twice as long.
 */
static void
bench_begin(const char *program)
{
	const char	*baseline = getenv("CREAMASD_BASELINE");

	bench_binaries[0] = benchlib_begin(program);
	bench_ndaemons = 1;
	bench_budget_s = BENCH_BUDGET_S;
	if (baseline == NULL || *baseline == '\0')
		return;
	if (access(baseline, X_OK) == -1)
		bench_fatal("CREAMASD_BASELINE %s: %s", baseline,
		    strerror(errno));
	bench_binaries[1] = baseline;
	bench_ndaemons = BENCH_DAEMONS;
	bench_budget_s = 2 * BENCH_BUDGET_S;
}

/* Measure every grid the budget allows, then print what was measured. */
int
main(int argc, char *argv[])
{
	size_t	 t, k, s, i;

	bench_start_ns = benchlib_now_ns();
	bench_begin(argv[0]);
	printf("bench_grid: %s, %ld online CPUs, a budget of about %.0f s\n",
	    bench_binaries[0], sysconf(_SC_NPROCESSORS_ONLN), bench_budget_s);
	if (bench_ndaemons == BENCH_DAEMONS)
		printf("bench_grid: baseline %s, each grid beside it, blocks "
		    "interleaved\n", bench_binaries[1]);
	for (t = 0; t < BENCH_NTYPES; t++) {
		for (k = 0; k < BENCH_NSIDES; k++) {
			for (s = 0; s < BENCH_NSLAVES; s++) {
				if (bench_afford(bench_types[t], k,
				    bench_slave_counts[s]))
					bench_run(bench_types[t],
					    bench_sides[k],
					    bench_slave_counts[s]);
			}
		}
	}
	bench_print_tables();
	bench_print_costs();
	bench_print_legend();
	bench_print_summary();
	bench_print_unit_costs();
	if (bench_ndaemons == BENCH_DAEMONS)
		bench_print_comparison();
	for (i = 0; i < bench_nskips; i++)
		printf("%s\n", bench_skips[i]);
	printf("\nwall time %.1f s\n", bench_spent());
	return (0);
}
