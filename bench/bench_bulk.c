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
 * Benchmark of bulk answers (issue 12), each figure printed beside its
 * baseline measured in the same run and its target, never asserted:
 *
 *   get_agents through a master of 2 slaves with 10,000 agents each,
 *     against one slave answering get_agents for 20,000 agents;
 *   trigger_all with results through that master, against the slower
 *     of its slaves answering the same call directly;
 *   spawn_n of 1,000,000 noop agents in one slave, reply included, and
 *     is_ready from another client meanwhile, against is_ready idle;
 *     then get_agents of them and is_ready meanwhile;
 *   a spawn_n that fails after 1,000,000 noop agents (a grid of as
 *     many cells refuses the next), its agents undone before the
 *     error, and is_ready meanwhile (making and undoing apart), against
 *     is_ready idle;
 *   resident memory per noop agent after that spawn_n (reply sent), and
 *     per agent of a slave after 100 rounds with results at 10,000 per
 *     slave, against the same slave before the rounds;
 *   a 15 MB batch of 300,000 get_time calls: the daemon's peak resident
 *     memory growth against the line's size, its memory a moment later
 *     against its memory before, and is_ready meanwhile;
 *   a storm of 1,000,000 calls in one round from a pinger on one slave
 *     to a ponger on the other (the pingpong plugin, from
 *     CREAMAS_PLUGINS): the caller's peak and kept memory;
 *   after each of those, the worst is_ready in the window where the
 *     daemon gives the memory back (a second after the work), against
 *     the worst is_ready idle over as long (through the master for the
 *     storm: a master asks its slaves).
 *
 * "Meanwhile" is from the request's first byte sent to its reply's last
 * read: the client writes the line and reads the reply a piece at a
 * time between is_ready calls on a connection of their own, so the calls
 * see the daemon read the line, work, and write the reply. The medians
 * are given apart for before the reply's first byte and after it, and
 * for a spawn_n that fails, apart for its undoing (from the is_ready
 * after which status first counts fewer agents than before).
 * The program fails only when a daemon misbehaves (an error reply, a
 * wrong count, a process that does not stop cleanly).
 */

#include <sys/param.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BULK_READ_TIMEOUT	300	/* seconds without a byte */
#define BULK_PER_SLAVE		10000
#define BULK_SAMPLES		201	/* calls per median */
#define BULK_SPAWN		1000000
#define BULK_UNDO_GRID		"[1000,1000]"	/* BULK_SPAWN cells */
#define BULK_ROUNDS		100
#define BULK_BATCH_CALLS	300000
#define BULK_TRIM_WAIT_MS	1500	/* the daemon trims after 1 s calm */
#define BULK_STORM_CALLS	1000000

static const char	*bulk_creamasd;

/* Give up: say why, show the daemons' logs, kill what runs. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_bulk: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_bulk");
	exit(1);
}

/* Return a process's peak resident memory (VmHWM) in bytes. */
static uint64_t
bulk_peak(pid_t pid)
{
	FILE			*f;
	char			 path[64], line[256];
	unsigned long long	 kb = 0;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		bench_fatal("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return ((uint64_t)kb * 1024);
}

/* A connection to time calls on, with its ids. */
struct bulk_target {
	struct benchlib_conn	*conn;
	int64_t			*ids;
};

/* Return the median of n samples (ns) in ms; the samples get sorted. */
static double
bulk_median(uint64_t *samples, size_t n)
{
	qsort(samples, n, sizeof *samples, benchlib_compare_u64);
	return ((double)samples[n / 2] / 1e6);
}

/*
 * Call a method on two targets in turn, n times each, and give each
 * one's median round trip in ms: alternating, both see the same noise
 * of a shared machine.
 */
static void
bulk_alternate(struct bulk_target *a, struct bulk_target *b,
    const char *method, const char *params, size_t n, double *median_a,
    double *median_b)
{
	uint64_t	*sa, *sb;
	size_t		 i;

	sa = xcalloc(n, sizeof *sa);
	sb = xcalloc(n, sizeof *sb);
	for (i = 0; i < n; i++) {
		json_object_put(benchlib_call(a->conn, a->ids, method, params,
		    &sa[i]));
		json_object_put(benchlib_call(b->conn, b->ids, method, params,
		    &sb[i]));
	}
	*median_a = bulk_median(sa, n);
	*median_b = bulk_median(sb, n);
	free(sa);
	free(sb);
}

/* Call a method n times and return the median round trip in ms. */
static double
bulk_median_ms(struct benchlib_daemon *d, const char *method,
    const char *params, size_t n)
{
	uint64_t	*samples;
	double		 median;
	size_t		 i;

	samples = xcalloc(n, sizeof *samples);
	for (i = 0; i < n; i++)
		json_object_put(benchlib_rpc(d, method, params, &samples[i]));
	median = bulk_median(samples, n);
	free(samples);
	return (median);
}

/* Print one figure: its value, its baseline, their ratio, the target. */
static void
bulk_print(const char *what, double value, const char *unit,
    double baseline, const char *baseline_what, const char *target)
{
	printf("  %-44s %10.3f %-3s  %-30s %10.3f  ratio %5.2f  target %s\n",
	    what, value, unit, baseline_what, baseline,
	    baseline > 0 ? value / baseline : 0, target);
}

/* Spawn n agents of a type on a daemon, checking the count answered. */
static void
bulk_spawn(struct benchlib_daemon *d, const char *type, size_t n)
{
	struct json_object	*result;
	char			*params;

	xasprintf(&params, "{\"type\":\"%s\",\"n\":%zu,\"addresses\":false}",
	    type, n);
	result = benchlib_rpc(d, "spawn_n", params, NULL);
	if ((size_t)json_object_get_int64(result) != n)
		bench_fatal("%s: spawn_n %zu answered %s", d->name, n,
		    json_object_to_json_string(result));
	json_object_put(result);
	free(params);
}

/* A reply being read while other calls are timed. */
struct bulk_reply {
	char		 head[4096];	/* its first bytes, for an error */
	size_t		 length;	/* bytes before its newline */
	int		 done;		/* its newline came */
};

/* Read what has come of a reply, without waiting. */
static void
bulk_reply_read(struct benchlib_daemon *d, struct bulk_reply *reply)
{
	static char	 buf[65536];
	char		*newline;
	size_t		 take, keep;
	ssize_t		 n;

	while (!reply->done && (n = recv(d->conn.fd, buf, sizeof buf,
	    MSG_DONTWAIT)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1)
			bench_fatal("%s: read: %s", d->name, strerror(errno));
		newline = memchr(buf, '\n', (size_t)n);
		take = newline != NULL ? (size_t)(newline - buf) : (size_t)n;
		if (newline != NULL && (size_t)n > take + 1)
			bench_fatal("%s: more than one reply", d->name);
		if (reply->length < sizeof reply->head - 1) {
			keep = sizeof reply->head - 1 - reply->length;
			memcpy(reply->head + reply->length, buf,
			    take < keep ? take : keep);
		}
		reply->length += take;
		reply->done = newline != NULL;
	}
	if (!reply->done)
		bench_fatal("%s: connection closed", d->name);
}

/*
 * The parts of a request's time: sending it, its work, undoing that
 * work when it fails (spawn_n), its reply.
 */
enum bulk_phase {
	BULK_SENDING,
	BULK_WORKING,
	BULK_UNDOING,
	BULK_REPLYING,
	BULK_PHASES
};

/* is_ready timed from a request's first byte to its reply's last. */
struct bulk_during {
	double		 seconds;	/* to the reply's last byte */
	size_t		 reply_length;
	double		 worst_ms;
	size_t		 n[BULK_PHASES];	/* calls in each part */
	double		 median_ms[BULK_PHASES];
	double		 part_worst_ms[BULK_PHASES];
};

/* Return the worst of n samples (ns) in ms. */
static double
bulk_worst(const uint64_t *samples, size_t n)
{
	uint64_t	 worst = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		worst = samples[i] > worst ? samples[i] : worst;
	return ((double)worst / 1e6);
}

/*
 * Ask status on a connection for the agents a daemon holds; return 1
 * once they are fewer than the most seen so far (a spawn is undone).
 */
static int
bulk_undoing(struct benchlib_conn *conn, int64_t *id, int64_t *most)
{
	struct json_object	*status;
	int64_t			 agents;

	status = benchlib_call(conn, id, "status", NULL, NULL);
	agents = benchlib_int(status, "agents", "status");
	json_object_put(status);
	if (agents < *most)
		return (1);
	*most = agents;
	return (0);
}

/*
 * Send a line on one connection and, from its first byte sent until the
 * last of its reply is read, time is_ready round trips on another (the
 * line is written and the reply read a piece at a time between them, so
 * the calls see the daemon read, work and write): the time that took,
 * the worst round trip, and the median (ms) of each part. A request
 * that fails must answer an error, and status after each is_ready
 * tells when its undoing began.
 */
static void
bulk_during(struct benchlib_daemon *d, const char *line, size_t length,
    int fails, struct bulk_during *during)
{
	struct benchlib_conn	 other;
	struct bulk_reply	 reply;
	uint64_t		 start, rtt, *samples = NULL;
	size_t			 i, n = 0, size = 0, sent = 0;
	size_t			 first[BULK_PHASES + 1] = { 0 };
	int64_t			 id = 1, most = 0;
	ssize_t			 written;
	int			 undoing = 0, failed;

	if (d->conn.start != d->conn.end)
		bench_fatal("%s: bytes left unread", d->name);
	memset(&reply, 0, sizeof reply);
	benchlib_conn_open(&other, d->port, "other", BULK_READ_TIMEOUT);
	start = benchlib_now_ns();
	for (;;) {
		if (sent < length && (written = send(d->conn.fd, line + sent,
		    length - sent, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
			sent += (size_t)written;
		else if (sent < length && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR)
			bench_fatal("%s: write: %s", d->name, strerror(errno));
		bulk_reply_read(d, &reply);
		if (reply.done)
			break;
		first[BULK_WORKING] = sent < length ? n + 1 :
		    first[BULK_WORKING];
		first[BULK_REPLYING] = reply.length == 0 ? n + 1 :
		    first[BULK_REPLYING];
		json_object_put(benchlib_call(&other, &id, "is_ready", NULL,
		    &rtt));
		if (n == size) {
			size = size == 0 ? 1024 : size * 2;
			samples = xreallocarray(samples, size,
			    sizeof *samples);
		}
		samples[n++] = rtt;
		if (fails && !undoing && !(undoing = bulk_undoing(&other, &id,
		    &most)))
			first[BULK_UNDOING] = n;
	}
	during->seconds = (double)(benchlib_now_ns() - start) / 1e9;
	failed = strstr(reply.head, "\"error\"") != NULL &&
	    strstr(reply.head, "\"result\"") == NULL;
	if (failed != fails)
		bench_fatal("%s: %.300s", d->name, reply.head);
	during->reply_length = reply.length;
	during->worst_ms = bulk_worst(samples, n);
	first[BULK_REPLYING] = MAX(first[BULK_REPLYING], first[BULK_WORKING]);
	first[BULK_UNDOING] = fails ? MIN(MAX(first[BULK_UNDOING],
	    first[BULK_WORKING]), first[BULK_REPLYING]) : first[BULK_REPLYING];
	first[BULK_PHASES] = n;
	for (i = 0; i < BULK_PHASES; i++) {
		during->n[i] = first[i + 1] - first[i];
		during->part_worst_ms[i] = bulk_worst(samples + first[i],
		    during->n[i]);
		during->median_ms[i] = during->n[i] > 0 ?
		    bulk_median(samples + first[i], during->n[i]) : 0;
	}
	free(samples);
	benchlib_conn_close(&other);
}

/*
 * The worst is_ready round trip over seconds: on an idle daemon the
 * scheduler of a shared machine alone makes some wait, and the worst
 * during or after bulk work is to be read against it.
 */
static double
bulk_worst_ms(struct benchlib_daemon *d, double seconds)
{
	uint64_t	 end = benchlib_now_ns() + (uint64_t)(seconds * 1e9);
	uint64_t	 rtt, worst = 0;

	while (benchlib_now_ns() < end) {
		json_object_put(benchlib_rpc(d, "is_ready", NULL, &rtt));
		if (rtt > worst)
			worst = rtt;
	}
	return ((double)worst / 1e6);
}

/*
 * Print is_ready during a request against is_ready idle: the worst, the
 * target's figure, and the median of each part of the request that had
 * calls (sending it, its work, its undoing, its reply), with how many;
 * for the undoing, its worst too.
 */
static void
bulk_print_during(struct benchlib_daemon *d, const struct bulk_during *during,
    double idle_median)
{
	static const char *const parts[BULK_PHASES] = {
		"sending", "working", "undoing", "replying",
	};
	char	 what[64];
	size_t	 i;
	double	 idle_worst = bulk_worst_ms(d, during->seconds);

	bulk_print("is_ready during it, worst", during->worst_ms, "ms",
	    idle_worst, "is_ready idle, worst", "<= 10 ms");
	for (i = 0; i < BULK_PHASES; i++) {
		if (during->n[i] == 0)
			continue;
		snprintf(what, sizeof what, "is_ready median, %s (%zu calls)",
		    parts[i], during->n[i]);
		bulk_print(what, during->median_ms[i], "ms", idle_median,
		    "is_ready idle, median", "-");
		if (i != BULK_UNDOING)
			continue;
		bulk_print("is_ready worst, undoing", during->part_worst_ms[i],
		    "ms", idle_worst, "is_ready idle, worst", "<= 10 ms");
	}
}

/*
 * Wait out the window after bulk work where the daemon gives memory back
 * (in its event loop, so it may keep other clients waiting), timing
 * is_ready all along: return the worst round trip (ms).
 */
static double
bulk_trim_window_ms(struct benchlib_daemon *d)
{
	return (bulk_worst_ms(d, BULK_TRIM_WAIT_MS / 1000.0));
}

/* Print the worst is_ready of a trim window against as long idle. */
static void
bulk_print_trim_window(struct benchlib_daemon *d, double worst)
{
	bulk_print("is_ready in the trim window, worst", worst, "ms",
	    bulk_worst_ms(d, BULK_TRIM_WAIT_MS / 1000.0),
	    "is_ready idle, worst", "<= 10 ms");
}

/*
 * get_agents and trigger_all with results through a master, each call
 * alternating with its baseline.
 */
static void
bulk_fan_in(void)
{
	struct benchlib_daemon	*master, *single;
	struct benchlib_conn	 slaves[2];
	struct bulk_target	 through, direct, each[2];
	int64_t			 ids[2] = { 1, 1 };
	double			 a, b, slave[2];
	size_t			 i;

	master = benchlib_daemon_start(bulk_creamasd, 2, BULK_READ_TIMEOUT);
	single = benchlib_daemon_start(bulk_creamasd, 0, BULK_READ_TIMEOUT);
	bulk_spawn(master, "noop", 2 * BULK_PER_SLAVE);
	bulk_spawn(single, "noop", 2 * BULK_PER_SLAVE);
	through.conn = &master->conn;
	through.ids = &master->next_id;
	direct.conn = &single->conn;
	direct.ids = &single->next_id;
	for (i = 0; i < 2; i++) {
		benchlib_conn_open(&slaves[i], master->slave_ports[i], "slave",
		    BULK_READ_TIMEOUT);
		each[i].conn = &slaves[i];
		each[i].ids = &ids[i];
	}

	bulk_alternate(&through, &direct, "get_agents", NULL, BULK_SAMPLES,
	    &a, &b);
	bulk_print("get_agents, master of 2 x 10,000", a, "ms", b,
	    "one slave, 20,000 agents", "<= 1.3");

	/* Each slave's own time, then the master's against the slower. */
	bulk_alternate(&each[0], &each[1], "trigger_all",
	    "{\"results\":true}", BULK_SAMPLES, &slave[0], &slave[1]);
	bulk_alternate(&through, slave[0] > slave[1] ? &each[0] : &each[1],
	    "trigger_all", "{\"results\":true}", BULK_SAMPLES, &a, &b);
	bulk_print("trigger_all results, master of 2 x 10,000", a, "ms", b,
	    "the slower slave, directly", "<= 1.3");
	for (i = 0; i < 2; i++)
		benchlib_conn_close(&slaves[i]);
	benchlib_daemon_stop(single);
	benchlib_daemon_stop(master);
}

/*
 * spawn_n of a million agents through a master of 2 slaves, against one
 * slave making them all, in turns, three times: the time, reply
 * included, and the worst is_ready meanwhile on each.
 */
static void
bulk_spawn_through_master(void)
{
	struct benchlib_daemon	*master, *single;
	struct bulk_during	 through, direct;
	char			*spawn;
	int			 i;

	master = benchlib_daemon_start(bulk_creamasd, 2, BULK_READ_TIMEOUT);
	single = benchlib_daemon_start(bulk_creamasd, 0, BULK_READ_TIMEOUT);
	xasprintf(&spawn, "{\"jsonrpc\":\"2.0\",\"id\":999999,\"method\":"
	    "\"spawn_n\",\"params\":{\"type\":\"noop\",\"n\":%d}}\n",
	    BULK_SPAWN);
	for (i = 0; i < 3; i++) {
		bulk_during(master, spawn, strlen(spawn), 0, &through);
		bulk_during(single, spawn, strlen(spawn), 0, &direct);
		bulk_print("spawn_n 1,000,000 noop, master of 2",
		    through.seconds, "s", direct.seconds,
		    "one slave making them all", "-");
		bulk_print("is_ready on the master during it, worst",
		    through.worst_ms, "ms", direct.worst_ms,
		    "on that slave, worst", "<= 10 ms");
	}
	free(spawn);
	benchlib_daemon_stop(single);
	benchlib_daemon_stop(master);
}

/*
 * spawn_n of a million agents: time, is_ready meanwhile, memory; then
 * get_agents of them and is_ready meanwhile.
 */
static void
bulk_spawn_million(void)
{
	struct benchlib_daemon	*d;
	struct bulk_during	 during;
	const char		*line;
	char			*spawn;
	double			 idle, trim;
	uint64_t		 before, after;

	d = benchlib_daemon_start(bulk_creamasd, 0, BULK_READ_TIMEOUT);
	idle = bulk_median_ms(d, "is_ready", NULL, 1001);
	before = benchlib_rss(d->pid, 1);
	xasprintf(&spawn, "{\"jsonrpc\":\"2.0\",\"id\":999999,\"method\":"
	    "\"spawn_n\",\"params\":{\"type\":\"noop\",\"n\":%d}}\n",
	    BULK_SPAWN);
	bulk_during(d, spawn, strlen(spawn), 0, &during);
	free(spawn);
	trim = bulk_trim_window_ms(d);
	after = benchlib_rss(d->pid, 1);
	bulk_print("spawn_n 1,000,000 noop, reply included", during.seconds,
	    "s", 0.3, "the target", "<= 0.3 s");
	bulk_print_during(d, &during, idle);
	bulk_print_trim_window(d, trim);
	bulk_print("RSS per agent after it (reply sent)",
	    (double)(after - before) / BULK_SPAWN, "B", 64,
	    "the target", "<= 64 B");
	printf("  (the reply was %zu bytes)\n", during.reply_length);
	line = "{\"jsonrpc\":\"2.0\",\"id\":999998,\"method\":"
	    "\"get_agents\"}\n";
	bulk_during(d, line, strlen(line), 0, &during);
	trim = bulk_trim_window_ms(d);
	after = benchlib_rss(d->pid, 1);
	printf("  get_agents of them, reply included: %.3f s\n",
	    during.seconds);
	bulk_print_during(d, &during, idle);
	bulk_print_trim_window(d, trim);
	bulk_print("RSS per agent after get_agents too",
	    (double)(after - before) / BULK_SPAWN, "B", 64,
	    "the target", "<= 64 B");
	benchlib_daemon_stop(d);
}

/*
 * A spawn_n of 1,000,000 + 1 noop agents that a grid of 1,000,000 cells
 * fails at its last: the time to its error, the agents made and undone
 * meanwhile, and is_ready meanwhile.
 */
static void
bulk_spawn_undone(void)
{
	struct benchlib_daemon	*d;
	struct bulk_during	 during;
	struct json_object	*status;
	char			*spawn;
	double			 idle, trim;

	d = benchlib_daemon_start(bulk_creamasd, 0, BULK_READ_TIMEOUT);
	idle = bulk_median_ms(d, "is_ready", NULL, 1001);
	json_object_put(benchlib_rpc(d, "set_gs", "{\"gs\":" BULK_UNDO_GRID
	    "}", NULL));
	xasprintf(&spawn, "{\"jsonrpc\":\"2.0\",\"id\":999997,\"method\":"
	    "\"spawn_n\",\"params\":{\"type\":\"noop\",\"n\":%d,"
	    "\"addresses\":false}}\n", BULK_SPAWN + 1);
	bulk_during(d, spawn, strlen(spawn), 1, &during);
	free(spawn);
	trim = bulk_trim_window_ms(d);
	status = benchlib_rpc(d, "status", NULL, NULL);
	if (benchlib_int(status, "agents", d->name) != 0)
		bench_fatal("%s: agents left after the undo", d->name);
	json_object_put(status);
	printf("  spawn_n failing after 1,000,000 noop, error in: %.3f s\n",
	    during.seconds);
	bulk_print_during(d, &during, idle);
	bulk_print_trim_window(d, trim);
	benchlib_daemon_stop(d);
}

/* 100 rounds with results at 10,000 agents per slave: memory. */
static void
bulk_rounds_memory(void)
{
	struct benchlib_daemon	*d;
	uint64_t		 start, spawned, after;
	double			 trim;
	size_t			 i;

	d = benchlib_daemon_start(bulk_creamasd, 0, BULK_READ_TIMEOUT);
	start = benchlib_rss(d->pid, 1);
	bulk_spawn(d, "noop", BULK_PER_SLAVE);
	spawned = benchlib_rss(d->pid, 1);
	for (i = 0; i < BULK_ROUNDS; i++)
		json_object_put(benchlib_rpc(d, "trigger_all",
		    "{\"results\":true}", NULL));
	trim = bulk_trim_window_ms(d);
	after = benchlib_rss(d->pid, 1);
	bulk_print("RSS per agent after 100 rounds, results",
	    (double)(after - start) / BULK_PER_SLAVE, "B",
	    (double)(spawned - start) / BULK_PER_SLAVE,
	    "before the rounds", "<= 64 B");
	bulk_print_trim_window(d, trim);
	benchlib_daemon_stop(d);
}

/* A batch of 300,000 get_time calls: peak and kept memory. */
static void
bulk_batch(void)
{
	struct benchlib_daemon	*d;
	struct bulk_during	 during;
	char			*line, *p;
	double			 idle, trim;
	uint64_t		 before, peak, after;
	size_t			 i, size;

	d = benchlib_daemon_start(bulk_creamasd, 0, BULK_READ_TIMEOUT);
	idle = bulk_median_ms(d, "is_ready", NULL, 1001);
	size = 64 * (size_t)BULK_BATCH_CALLS + 16;
	line = p = xmalloc(size);
	*p++ = '[';
	for (i = 0; i < BULK_BATCH_CALLS; i++)
		p += sprintf(p, "%s{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":"
		    "\"get_time\"}", i > 0 ? "," : "", i);
	p += sprintf(p, "]\n");
	before = benchlib_rss(d->pid, 1);
	bulk_during(d, line, (size_t)(p - line), 0, &during);
	peak = bulk_peak(d->pid);
	trim = bulk_trim_window_ms(d);
	after = benchlib_rss(d->pid, 1);
	printf("  a batch of %d get_time, %zu bytes, answered in %.3f s "
	    "(%zu bytes)\n", BULK_BATCH_CALLS, (size_t)(p - line),
	    during.seconds, during.reply_length);
	bulk_print("batch: peak RSS growth, times the line",
	    (double)(peak - before) / (double)(p - line), "x", 4,
	    "the target", "<= 4");
	bulk_print("batch: RSS after it, over before, MiB",
	    ((double)after - (double)before) / 1048576.0, "MiB", 16,
	    "the target", "<= 16 MiB");
	bulk_print_during(d, &during, idle);
	bulk_print_trim_window(d, trim);
	free(line);
	benchlib_daemon_stop(d);
}

/* Spawn one agent of a type on a master's slave; its address list. */
static struct json_object *
bulk_spawn_on(struct benchlib_daemon *master, const char *type, int slave)
{
	struct json_object	*result;
	char			*params;

	xasprintf(&params, "{\"type\":\"%s\",\"n\":1,\"slave\":%d}", type,
	    slave);
	result = benchlib_rpc(master, "spawn_n", params, NULL);
	if (!json_object_is_type(result, json_type_array) ||
	    json_object_array_length(result) != 1)
		bench_fatal("spawn_n %s: %s", params,
		    json_object_to_json_string(result));
	free(params);
	return (result);
}

/*
 * A storm of cross-slave calls in one round: the caller slave's memory
 * at the peak and once given back, and is_ready while it is given back.
 */
static void
bulk_call_storm(void)
{
	struct benchlib_daemon	*master;
	struct json_object	*pinger, *ponger, *round;
	const char		*plugins, *more[] = { "--plugin", NULL, NULL };
	char			*pingpong, *params;
	uint64_t		 before, peak, after;
	double			 trim;

	if ((plugins = getenv("CREAMAS_PLUGINS")) == NULL) {
		printf("  (no CREAMAS_PLUGINS: the call storm is left out)\n");
		return;
	}
	xasprintf(&pingpong, "%s/pingpong.so", plugins);
	more[1] = pingpong;
	master = benchlib_daemon_startv(bulk_creamasd, 2, BULK_READ_TIMEOUT,
	    more);
	pinger = bulk_spawn_on(master, "pinger", 0);
	ponger = bulk_spawn_on(master, "ponger", 1);
	benchlib_pair(master, pinger, ponger);
	before = benchlib_rss(master->slave_pids[0], 1);
	xasprintf(&params, "{\"args\":{\"times\":%d}}", BULK_STORM_CALLS);
	round = benchlib_rpc(master, "trigger_all", params, NULL);
	if (benchlib_int(round, "failed", "trigger_all") != 0)
		bench_fatal("the storm failed: %s",
		    json_object_to_json_string(round));
	peak = bulk_peak(master->slave_pids[0]);
	trim = bulk_trim_window_ms(master);
	after = benchlib_rss(master->slave_pids[0], 1);
	printf("  a round of %d cross-slave calls, the caller's memory:\n",
	    BULK_STORM_CALLS);
	bulk_print("calls: RSS kept after it, MiB",
	    ((double)after - (double)before) / 1048576.0, "MiB",
	    ((double)peak - (double)before) / 1048576.0, "taken at the peak",
	    "-");
	bulk_print_trim_window(master, trim);
	json_object_put(round);
	json_object_put(pinger);
	json_object_put(ponger);
	free(params);
	free(pingpong);
	benchlib_daemon_stop(master);
}

/* The parts, by the names given on the command line. */
static const struct bulk_part {
	const char	*name;
	void		(*run)(void);
} bulk_parts[] = {
	{ "fan_in",	bulk_fan_in },
	{ "spawn",	bulk_spawn_million },
	{ "spawn_master", bulk_spawn_through_master },
	{ "undo",	bulk_spawn_undone },
	{ "rounds",	bulk_rounds_memory },
	{ "batch",	bulk_batch },
	{ "calls",	bulk_call_storm },
};

/* Run the parts named as arguments, or every part, in turn. */
int
main(int argc, char **argv)
{
	const size_t	 nparts = sizeof bulk_parts / sizeof bulk_parts[0];
	size_t		 i;
	int		 k;

	if ((bulk_creamasd = getenv("CREAMASD")) == NULL)
		bulk_creamasd = "build/creamasd";
	for (k = 1; k < argc; k++) {
		for (i = 0; i < nparts; i++)
			if (strcmp(argv[k], bulk_parts[i].name) == 0)
				break;
		if (i == nparts) {
			fprintf(stderr, "usage: bench_bulk [fan_in|spawn|"
			    "spawn_master|undo|rounds|batch|calls ...]\n");
			return (2);
		}
	}
	printf("bench_bulk: bulk answers (issue 12), medians of %d calls\n",
	    BULK_SAMPLES);
	for (i = 0; i < nparts; i++) {
		for (k = 1; k < argc; k++)
			if (strcmp(argv[k], bulk_parts[i].name) == 0)
				break;
		if (argc == 1 || k < argc)
			bulk_parts[i].run();
	}
	return (0);
}
