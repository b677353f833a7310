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
 * trip and the master's elapsed_us, medians after a warm-up round), the
 * spawn and set_neighbors times, the memory per agent (RSS of the master
 * and its slaves after spawning and wiring minus before, over the
 * agents), the peak RSS after the rounds, and the neighbour messages,
 * counted by the daemons (their status counters before and after the
 * measured rounds) and checked against the count the grid's shape
 * implies.
 *
 * Then the cost of one message each way: a published value read in
 * memory, a value in a get_cell_values batch and a get_value call, the
 * last two also timed directly from this client against one slave.
 *
 * The diffusion_rpc grids run after every diffusion grid, each size
 * with 2 slaves before 1, and a grid whose run, projected from the size
 * before it, would take the program over its budget of wall time is
 * skipped, and the output says so.
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
#define BENCH_BUDGET_S		80.0	/* the whole run, roughly */
#define BENCH_MARGIN		1.5	/* on a projected run */
#define BENCH_BIG_CELLS		250000	/* big_rounds above this */
#define BENCH_TARGET_MS		200.0	/* a round of the target grid */
#define BENCH_TARGET_SIDE	1000
#define BENCH_TARGET_SLAVES	2
#define BENCH_CALLS		50	/* timed get_cell_values calls */
#define BENCH_BATCHES		20	/* timed get_value batches */
#define BENCH_WARMUP		5	/* untimed calls or batches */
#define BENCH_RESULTS_MAX	16
#define BENCH_SKIPS_MAX		16

/* An agent type measured, and how many rounds it gets. */
struct bench_type {
	const char	*name;
	int		 published;	/* reads published values */
	size_t		 rounds;	/* measured, after a warm-up */
	size_t		 big_rounds;	/* above BENCH_BIG_CELLS */
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

/* What one grid of one type on one master measured. */
struct bench_result {
	const struct bench_type	*type;
	size_t			 side;		/* side x side cells */
	size_t			 slaves;
	size_t			 rounds;	/* measured */
	double			 rtt_ms;	/* client's, median */
	double			 elapsed_ms;	/* elapsed_us, median */
	double			 first_ms;	/* the warm-up round */
	double			 busy_s;	/* the rounds' rtt, summed */
	double			 spawn_s;
	double			 wire_s;	/* set_neighbors */
	double			 run_s;		/* daemons included */
	double			 bytes_per_agent;
	double			 peak_mb;	/* VmHWM, summed */
	double			 local;		/* per round, counted */
	double			 across;	/* the same, between slaves */
	double			 batches;	/* get_cell_values calls */
	int			 has_edge;	/* the two below are timed */
	double			 batch_us;	/* one of side values */
	double			 get_value_us;	/* side of them at once */
};

static const struct bench_type	 bench_diffusion = { "diffusion", 1, 5, 5 };
static const struct bench_type	 bench_rpc = { "diffusion_rpc", 0, 3, 2 };
static const struct bench_type	*bench_types[] = { &bench_diffusion,
				    &bench_rpc };
static const size_t		 bench_sides[] = { 100, 200, 400, 1000 };
static const size_t		 bench_slave_counts[] = { 2, 1 };

#define BENCH_NTYPES	(sizeof bench_types / sizeof bench_types[0])
#define BENCH_NSIDES	(sizeof bench_sides / sizeof bench_sides[0])
#define BENCH_NSLAVES	(sizeof bench_slave_counts / \
			    sizeof bench_slave_counts[0])

static const char		*bench_creamasd;
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

/* Return the peak RSS of a master and of its slaves, summed, in bytes. */
static uint64_t
bench_hwm_all(struct benchlib_daemon *daemon)
{
	uint64_t	 hwm;
	size_t		 i;

	hwm = bench_hwm(daemon->pid);
	for (i = 0; i < daemon->nslaves; i++)
		hwm += bench_hwm(daemon->slave_pids[i]);
	return (hwm);
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
bench_check(const struct bench_result *res, const char *what, uint64_t got,
    double per_round)
{
	double	 want = per_round * (double)res->rounds;

	if ((double)got != want)
		bench_fatal("%s %zux%zu, %zu slave%s: the daemons counted "
		    "%" PRIu64 " %s in %zu rounds; the grid's shape implies "
		    "%.0f", res->type->name, res->side, res->side, res->slaves,
		    bench_plural(res->slaves), got, what, res->rounds, want);
}

/*
 * Check the counters' growth over the measured rounds against the grid's
 * shape, and keep the per-round counts: reads for diffusion, get_value
 * calls for diffusion_rpc.
 */
static void
bench_verify(struct bench_result *res, const struct bench_counts *b,
    const struct bench_counts *a)
{
	double	 local, across, batches;
	int	 fast = res->type->published;
	size_t	 i;

	bench_expect(res->side, res->slaves, &local, &across, &batches);
	for (i = 0; i < res->slaves; i++) {
		if (fast && !a->has_grid[i])
			bench_fatal("%s: slave %zu has no grid in its status",
			    res->type->name, i);
		if (a->has_grid[i] && b->has_grid[i])
			bench_check(res, "rounds (grid.generation)",
			    a->generation[i] - b->generation[i], 1);
	}
	bench_check(res, "local reads", a->local_reads - b->local_reads,
	    fast ? local : 0);
	bench_check(res, "reads across slaves", a->edge_reads - b->edge_reads,
	    fast ? across : 0);
	bench_check(res, "values fetched across", a->edge_values -
	    b->edge_values, fast ? across : 0);
	bench_check(res, "get_cell_values calls", a->edge_calls -
	    b->edge_calls, fast ? batches : 0);
	bench_check(res, "get_cell_values served", a->served_calls -
	    b->served_calls, fast ? batches : 0);
	bench_check(res, "in-process calls", a->calls_local - b->calls_local,
	    fast ? 0 : local);
	bench_check(res, "calls across processes", a->calls_remote -
	    b->calls_remote, fast ? batches : across);
	res->local = (double)(fast ? a->local_reads - b->local_reads :
	    a->calls_local - b->calls_local) / (double)res->rounds;
	res->across = (double)(fast ? a->edge_reads - b->edge_reads :
	    a->calls_remote - b->calls_remote) / (double)res->rounds;
	res->batches = (double)(a->edge_calls - b->edge_calls) /
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

/* Connect to the first slave of a master, found by get_slave_managers. */
static void
bench_slave_open(struct benchlib_daemon *daemon, struct benchlib_conn *conn)
{
	struct json_object	*list;
	uint16_t		 port;

	list = benchlib_rpc(daemon, "get_slave_managers", NULL, NULL);
	if (!json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) != daemon->nslaves)
		bench_fatal("%s: get_slave_managers: %.300s", daemon->name,
		    json_object_to_json_string(list));
	port = bench_manager_port(json_object_get_string(
	    json_object_array_get_idx(list, 0)));
	json_object_put(list);
	benchlib_conn_open(conn, port, "slave 0", BENCH_READ_TIMEOUT);
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
 * Time get_cell_values calls of count agents from first on a slave, the
 * reply parsed; keep the values in values[] and return the median in us.
 */
static double
bench_cell_values(struct benchlib_conn *conn, int64_t *next_id,
    int64_t generation, size_t first, size_t count, double *values)
{
	struct json_object	*result, *list;
	double			 samples[BENCH_CALLS];
	char			*params;
	uint64_t		 start;
	size_t			 i, k;

	params = bench_cell_params(generation, first, count);
	for (k = 0; k < BENCH_WARMUP + BENCH_CALLS; k++) {
		start = benchlib_now_ns();
		result = benchlib_call(conn, next_id, "get_cell_values",
		    params, NULL);
		if (k >= BENCH_WARMUP)
			samples[k - BENCH_WARMUP] =
			    (benchlib_now_ns() - start) / 1e3;
		list = bench_member(result, "values", conn->peer);
		if (benchlib_int(result, "generation", conn->peer) !=
		    generation || !json_object_is_type(list,
		    json_type_array) || json_object_array_length(list) != count)
			bench_fatal("%s: get_cell_values of %zu agents at "
			    "generation %" PRId64 ": %.300s", conn->peer, count,
			    generation, json_object_to_json_string(result));
		for (i = 0; i < count; i++)
			values[i] = bench_number(json_object_array_get_idx(
			    list, i), "get_cell_values");
		json_object_put(result);
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
bench_edge_calls(struct benchlib_daemon *daemon, struct bench_result *res)
{
	struct benchlib_conn	 conn;
	double			*values;
	int64_t			 next_id = 1, generation;
	size_t			 first;

	bench_slave_open(daemon, &conn);
	generation = bench_slave_generation(&conn, &next_id);
	if (generation != (int64_t)res->rounds + 1)
		bench_fatal("slave 0: grid.generation %" PRId64 " after %zu "
		    "rounds", generation, res->rounds + 1);
	first = res->side / res->slaves * res->side - res->side + 1;
	values = xcalloc(res->side, sizeof *values);
	res->batch_us = bench_cell_values(&conn, &next_id, generation, first,
	    res->side, values);
	res->get_value_us = bench_get_values(&conn, &next_id, generation,
	    first, res->side, values);
	res->has_edge = 1;
	free(values);
	benchlib_conn_close(&conn);
}

/* Give a grid its size and agents, wire it, and note the memory taken. */
static void
bench_setup(struct benchlib_daemon *daemon, struct bench_result *res)
{
	char		 params[64];
	uint64_t	 before, after;
	size_t		 cells = res->side * res->side;

	before = bench_rss_all(daemon);
	snprintf(params, sizeof params, "{\"gs\":[%zu,%zu]}",
	    res->side / res->slaves, res->side);
	bench_do(daemon, "set_gs", params);
	bench_do(daemon, "set_origin", "{\"origin\":[0,0]}");
	res->spawn_s = bench_spawn(daemon, res->type->name, cells);
	res->wire_s = bench_do(daemon, "set_neighbors", NULL);
	after = bench_rss_all(daemon);
	res->bytes_per_agent = after > before ?
	    (double)(after - before) / (double)cells : 0;
}

/* Run the measured rounds of a grid and keep their medians. */
static void
bench_rounds(struct benchlib_daemon *daemon, struct bench_result *res)
{
	double		*rtts, *elapsed;
	size_t		 cells = res->side * res->side, r;

	rtts = xcalloc(res->rounds, sizeof *rtts);
	elapsed = xcalloc(res->rounds, sizeof *elapsed);
	res->busy_s = 0;
	for (r = 0; r < res->rounds; r++) {
		rtts[r] = bench_round(daemon, cells, &elapsed[r]);
		res->busy_s += rtts[r] / 1e3;
	}
	res->rtt_ms = benchlib_median(rtts, res->rounds);
	res->elapsed_ms = benchlib_median(elapsed, res->rounds);
	free(rtts);
	free(elapsed);
}

/* Return a new result for a grid, its rounds chosen by its size. */
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
	res->rounds = side * side > BENCH_BIG_CELLS ? type->big_rounds :
	    type->rounds;
	return (res);
}

/* Measure one side x side grid of a type on a master with slaves slaves. */
static void
bench_run(const struct bench_type *type, size_t side, size_t slaves)
{
	struct bench_result	*res = bench_result_new(type, side, slaves);
	struct benchlib_daemon	*daemon;
	struct bench_counts	 before, after;
	uint64_t		 start = benchlib_now_ns();
	double			 ms;

	daemon = benchlib_daemon_start(bench_creamasd, slaves,
	    BENCH_READ_TIMEOUT);
	bench_setup(daemon, res);
	res->first_ms = bench_round(daemon, side * side, &ms);
	bench_counts_read(daemon, &before);
	bench_rounds(daemon, res);
	bench_counts_read(daemon, &after);
	res->peak_mb = bench_hwm_all(daemon) / 1e6;
	bench_verify(res, &before, &after);
	if (type->published && slaves > 1)
		bench_edge_calls(daemon, res);
	benchlib_daemon_stop(daemon);
	res->run_s = (benchlib_now_ns() - start) / 1e9;
	printf("# %s %zux%zu, %zu slave%s: round %.2f ms (median of %zu, "
	    "1st %.1f ms), run %.1f s\n", type->name, side, side, slaves,
	    bench_plural(slaves), res->rtt_ms, res->rounds, res->first_ms,
	    res->run_s);
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
 * projected from the size before it (in cells, with a margin), and a
 * grid whose smaller size was skipped is skipped too.
 */
static int
bench_afford(const struct bench_type *type, size_t k, size_t slaves)
{
	const struct bench_result	*prev;
	double				 ratio, projected, spent;
	size_t				 side = bench_sides[k];

	if (k == 0)
		return (1);
	if ((prev = bench_find(type, bench_sides[k - 1], slaves)) == NULL) {
		bench_skip(type, side, slaves, "%zux%zu was skipped",
		    bench_sides[k - 1], bench_sides[k - 1]);
		return (0);
	}
	ratio = (double)(side * side) / (double)(prev->side * prev->side);
	projected = prev->run_s * ratio * BENCH_MARGIN;
	spent = bench_spent();
	if (spent + projected <= BENCH_BUDGET_S)
		return (1);
	bench_skip(type, side, slaves, "projected %.0f s (%zux%zu took "
	    "%.1f s, x%.2f cells, x%.1f margin) with %.0f s spent would "
	    "pass the %.0f s budget", projected, prev->side, prev->side,
	    prev->run_s, ratio, BENCH_MARGIN, spent, BENCH_BUDGET_S);
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

/* Print a grid's round times, set-up times and memory. */
static void
bench_row_rounds(const struct bench_result *res)
{
	char	 size[32];

	snprintf(size, sizeof size, "%zux%zu", res->side, res->side);
	printf("%-13s %-9s %2zu %9.2f %9.2f %9.1f %7.2f %7.3f %7.0f "
	    "%7.0f\n", res->type->name, size, res->slaves, res->rtt_ms,
	    res->elapsed_ms, res->first_ms, res->spawn_s, res->wire_s,
	    res->bytes_per_agent, res->peak_mb);
}

/* Print a grid's neighbour messages, as the daemons counted them. */
static void
bench_row_messages(const struct bench_result *res)
{
	char	 size[32];

	snprintf(size, sizeof size, "%zux%zu", res->side, res->side);
	printf("%-13s %-9s %2zu %11.0f %10.0f %9.0f %10.2f %10.3f\n",
	    res->type->name, size, res->slaves, res->local, res->across,
	    res->batches, res->local * (double)res->rounds / res->busy_s / 1e6,
	    res->across * (double)res->rounds / res->busy_s / 1e6);
}

/* Print the tables of rounds and of messages. */
static void
bench_print_tables(void)
{
	printf("\n%-13s %-9s %2s %9s %9s %9s %7s %7s %7s %7s\n", "type",
	    "size", "sl", "round ms", "elap. ms", "1st ms", "spawn s",
	    "wire s", "B/agent", "peak MB");
	bench_each(bench_row_rounds);
	printf("\n%-13s %-9s %2s %11s %10s %9s %10s %10s\n", "type", "size",
	    "sl", "local/rnd", "across/rnd", "batch/rnd", "local M/s",
	    "across M/s");
	bench_each(bench_row_messages);
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

	if ((res = bench_find(&bench_diffusion, side, 1)) == NULL)
		return (0);
	*ns = res->elapsed_ms * 1e6 / (res->local + res->across);
	return (1);
}

/* Return (c) for a side: ns of a diffusion_rpc round per call, 1 slave. */
static int
bench_cost_rpc(size_t side, double *ns)
{
	const struct bench_result	*res;

	if ((res = bench_find(&bench_rpc, side, 1)) == NULL)
		return (0);
	*ns = res->elapsed_ms * 1e6 / (res->local + res->across);
	return (1);
}

/* Return the grid whose edge calls were timed, for a side, or NULL. */
static const struct bench_result *
bench_cost_edge(size_t side)
{
	const struct bench_result	*res;

	res = bench_find(&bench_diffusion, side, BENCH_TARGET_SLAVES);
	return (res != NULL && res->has_edge ? res : NULL);
}

/* Print the table of the cost of one message, each way, per size. */
static void
bench_print_costs(void)
{
	const struct bench_result	*edge;
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
		snprintf(size, sizeof size, "%zux%zu", bench_sides[k],
		    bench_sides[k]);
		printf("%-9s", size);
		bench_print_cost(has_read, read, 2);
		bench_print_cost(edge != NULL, edge != NULL ?
		    edge->batch_us * 1e3 / side : 0, 1);
		bench_print_cost(edge != NULL, edge != NULL ?
		    edge->batch_us : 0, 1);
		bench_print_cost(has_rpc, rpc, 1);
		bench_print_cost(edge != NULL, edge != NULL ?
		    edge->get_value_us * 1e3 / side : 0, 1);
		printf("\n");
	}
}

/* Print what each column means. */
static void
bench_print_legend(void)
{
	printf("\nround ms: the client's trigger_all round trip; elap. ms: the "
	    "master's own\nelapsed_us (medians of the measured rounds, after "
	    "a warm-up round: 1st ms).\nspawn s: spawn_n of every agent; wire "
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
	    "the measured rounds' round\ntrips.\n");
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
	size_t				 k;

	fast = bench_find(&bench_diffusion, BENCH_TARGET_SIDE,
	    BENCH_TARGET_SLAVES);
	printf("\ntarget: a %dx%d round under %.0f ms with %d slaves: ",
	    BENCH_TARGET_SIDE, BENCH_TARGET_SIDE, BENCH_TARGET_MS,
	    BENCH_TARGET_SLAVES);
	if (fast != NULL)
		printf("%s (%.1f ms)\n", fast->rtt_ms < BENCH_TARGET_MS ?
		    "met" : "not met", fast->rtt_ms);
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
		if (fast != NULL && slow != NULL)
			printf("%.0fx (round %.2f ms against %.1f ms)\n",
			    slow->rtt_ms / fast->rtt_ms, fast->rtt_ms,
			    slow->rtt_ms);
		else
			printf("not measured (skipped)\n");
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
	double				 ns;
	size_t				 k;

	for (k = BENCH_NSIDES; k-- > 0 && !bench_cost_read(bench_sides[k],
	    &ns); )
		continue;
	if (k < BENCH_NSIDES)
		printf("(a) a local published-value read at %zux%zu: %.2f ns "
		    "(round elapsed / reads)\n", bench_sides[k],
		    bench_sides[k], ns);
	if (edge != NULL)
		printf("(b) a value across slaves in a batch of %zu: %.1f ns "
		    "(the call: %.1f us)\n", edge->side, edge->batch_us * 1e3 /
		    (double)edge->side, edge->batch_us);
	for (k = BENCH_NSIDES; k-- > 0 && !bench_cost_rpc(bench_sides[k],
	    &ns); )
		continue;
	if (k < BENCH_NSIDES)
		printf("(c) an in-process get_value call at %zux%zu: %.1f ns "
		    "(round elapsed / calls)\n", bench_sides[k],
		    bench_sides[k], ns);
	if (edge != NULL)
		printf("(d) a get_value call across processes, %zu at once: "
		    "%.1f ns (%.1fx (b))\n", edge->side, edge->get_value_us *
		    1e3 / (double)edge->side, edge->get_value_us /
		    edge->batch_us);
}

/* Measure every grid the budget allows, then print what was measured. */
int
main(int argc, char *argv[])
{
	size_t	 t, k, s, i;

	bench_start_ns = benchlib_now_ns();
	bench_creamasd = benchlib_begin(argv[0]);
	printf("bench_grid: %s, %ld online CPUs, a budget of about %.0f s\n",
	    bench_creamasd, sysconf(_SC_NPROCESSORS_ONLN), BENCH_BUDGET_S);
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
	for (i = 0; i < bench_nskips; i++)
		printf("%s\n", bench_skips[i]);
	printf("\nwall time %.1f s\n", bench_spent());
	return (0);
}
