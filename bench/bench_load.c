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
 * Benchmark of a normal client beside broken ones (the figures the load
 * suite of the tests no longer asserts): through a master with two
 * slaves and max_output=65536, as in that suite, a client makes pairs
 * of calls, an increment of its counter
 * (agent.act, through a slave) and get_agents (through both), a pair
 * every 20 ms, while other clients misbehave:
 *
 *	quiet		nobody else (the baseline, measured in the same run)
 *	never reads	a client that sends get_agents as fast as the master
 *			takes them and never reads a reply
 *	trickle		20 clients sending a request a byte per pair
 *	disconnects	per pair, a client that sends 400 calls to the
 *			slaves and leaves at once (half of them by a reset)
 *
 * For each, the pair's round trip: median, 99th percentile and worst,
 * and the median over the quiet one. Every reply the normal client gets
 * is checked (its counter goes up by one each time): a wrong one is
 * fatal. Timings are reported, never asserted.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
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

#define BENCH_READ_TIMEOUT	60	/* seconds without a byte from a peer */
#define BENCH_SECONDS		3.0	/* per scenario */
#define BENCH_STEP_MS		20	/* between pairs */
#define BENCH_TRICKLERS		20
#define BENCH_BURST		200	/* pairs of calls of a leaving client */
#define BENCH_MAX_SAMPLES	4096

/* The broken clients of a scenario. */
enum bench_kind {
	BENCH_QUIET,
	BENCH_NEVER_READS,
	BENCH_TRICKLE,
	BENCH_DISCONNECTS,
};

static const char *const bench_names[] = {
	"quiet", "never reads", "trickle", "disconnects",
};
#define BENCH_NKINDS	(sizeof bench_names / sizeof bench_names[0])

/* The client served while others misbehave. */
struct bench_normal {
	struct benchlib_conn	 conn;
	int64_t			 next_id;
	char			*agent;
	int64_t			 count;
};

/* What a scenario measured (milliseconds). */
struct bench_result {
	size_t	pairs;
	double	median;
	double	p99;
	double	worst;
};

static const char		*bench_creamasd;
static struct benchlib_daemon	*bench_master;
static struct bench_result	 bench_results[BENCH_NKINDS];

/* Give up: say why, show the daemons' logs, kill what runs. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_load: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_load");
	exit(1);
}

/* Open a non-blocking connection to the master, for a broken client. */
static int
bench_raw_connect(void)
{
	struct sockaddr_in	 sin;
	int			 fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(bench_master->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bench_fatal("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		bench_fatal("connect to port %u: %s", bench_master->port,
		    strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		bench_fatal("fcntl: %s", strerror(errno));
	return (fd);
}

/* Send what the socket takes now of data; return how much it took. */
static size_t
bench_send_some(int fd, const char *data, size_t length)
{
	ssize_t	 n;

	n = send(fd, data, length, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n == -1)
		bench_fatal("send: %s", strerror(errno));
	return ((size_t)n);
}

/* Close a connection with a reset rather than a FIN. */
static void
bench_close_reset(int fd)
{
	struct linger	 linger = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
	close(fd);
}

/* One pair of the normal client; its round trip in milliseconds. */
static double
bench_pair(struct bench_normal *n)
{
	struct json_object	*result;
	char			 params[256];
	uint64_t		 start = benchlib_now_ns();

	snprintf(params, sizeof params, "{\"agent\":\"%s\",\"args\":"
	    "{\"by\":1}}", n->agent);
	result = benchlib_call(&n->conn, &n->next_id, "agent.act", params,
	    NULL);
	if (!json_object_is_type(result, json_type_int) ||
	    json_object_get_int64(result) != n->count + 1)
		bench_fatal("the normal client's counter is %s after %lld",
		    json_object_to_json_string(result), (long long)n->count);
	json_object_put(result);
	n->count++;
	result = benchlib_call(&n->conn, &n->next_id, "get_agents", NULL,
	    NULL);
	if (!json_object_is_type(result, json_type_array) ||
	    json_object_array_length(result) == 0)
		bench_fatal("get_agents answered %s",
		    json_object_to_json_string(result));
	json_object_put(result);
	return ((double)(benchlib_now_ns() - start) / 1e6);
}

/* A burst of calls to the slaves from a client that leaves at once. */
static void
bench_disconnect(const struct bench_normal *n, size_t which)
{
	char	*burst, *p;
	size_t	 i, sent = 0, length;
	int	 fd;

	burst = p = xmalloc(BENCH_BURST * 400);
	for (i = 0; i < BENCH_BURST; i++) {
		p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":"
		    "\"agent.get\",\"params\":{\"agent\":\"%s\"}}\n", i,
		    n->agent);
		p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":"
		    "\"get_agents\"}\n", i + BENCH_BURST);
	}
	length = (size_t)(p - burst);
	fd = bench_raw_connect();
	while (sent < length && (i = bench_send_some(fd, burst + sent,
	    length - sent)) > 0)
		sent += i;
	if (which % 2)
		bench_close_reset(fd);
	else
		close(fd);
	free(burst);
}

/* Run a scenario for BENCH_SECONDS and keep its figures. */
static void
bench_scenario(struct bench_normal *n, enum bench_kind kind)
{
	static const char	 request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"get_agents\"}\n";
	static double		 samples[BENCH_MAX_SAMPLES];
	struct bench_result	*r = &bench_results[kind];
	char			*flood = NULL;
	size_t			 count = 0, flood_size = 0, flooded = 0, i;
	size_t			 trickled = 0;
	int			 fds[BENCH_TRICKLERS], nfds = 0;
	uint64_t		 end;

	if (kind == BENCH_NEVER_READS) {
		flood_size = 100000 * (sizeof request - 1);
		flood = xmalloc(flood_size);
		for (i = 0; i < 100000; i++)
			memcpy(flood + i * (sizeof request - 1), request,
			    sizeof request - 1);
		fds[nfds++] = bench_raw_connect();
	} else if (kind == BENCH_TRICKLE) {
		while (nfds < BENCH_TRICKLERS)
			fds[nfds++] = bench_raw_connect();
	}
	end = benchlib_now_ns() + (uint64_t)(BENCH_SECONDS * 1e9);
	while (benchlib_now_ns() < end && count < BENCH_MAX_SAMPLES) {
		if (kind == BENCH_NEVER_READS && flooded < flood_size)
			flooded += bench_send_some(fds[0], flood + flooded,
			    flood_size - flooded);
		else if (kind == BENCH_TRICKLE &&
		    trickled < sizeof request - 2) {
			for (i = 0; i < (size_t)nfds; i++)
				bench_send_some(fds[i], request + trickled, 1);
			trickled++;
		} else if (kind == BENCH_DISCONNECTS)
			bench_disconnect(n, count);
		samples[count++] = bench_pair(n);
		benchlib_sleep_ms(BENCH_STEP_MS);
	}
	for (i = 0; i < (size_t)nfds; i++)
		close(fds[i]);
	free(flood);
	r->pairs = count;
	r->median = benchlib_quantile(samples, count, 0.5);
	r->p99 = benchlib_quantile(samples, count, 0.99);
	r->worst = samples[count - 1];
}

/* Print the figures beside the quiet baseline. */
static void
bench_print(void)
{
	const struct bench_result	*quiet = &bench_results[BENCH_QUIET];
	size_t				 i;

	printf("\nthe normal client's pair (agent.act + get_agents) through "
	    "a master with 2 slaves, ms\n\n");
	printf("  %-12s %6s %8s %8s %8s %10s\n", "beside", "pairs", "median",
	    "p99", "worst", "vs quiet");
	for (i = 0; i < BENCH_NKINDS; i++)
		printf("  %-12s %6zu %8.2f %8.2f %8.2f %9.1fx\n",
		    bench_names[i], bench_results[i].pairs,
		    bench_results[i].median, bench_results[i].p99,
		    bench_results[i].worst,
		    bench_results[i].median / quiet->median);
}

/* Measure the normal client beside each kind of broken client. */
int
main(int argc, char *argv[])
{
	static const char *const options[] = { "-o", "max_output=65536",
				    NULL };
	struct bench_normal	 normal;
	struct json_object	*result;
	uint64_t		 start = benchlib_now_ns();
	size_t			 i;

	bench_creamasd = benchlib_begin(argv[0]);
	printf("bench_load: %s, %ld online CPUs\n", bench_creamasd,
	    sysconf(_SC_NPROCESSORS_ONLN));
	bench_master = benchlib_daemon_startv(bench_creamasd, 2,
	    BENCH_READ_TIMEOUT, options);
	memset(&normal, 0, sizeof normal);
	benchlib_conn_open(&normal.conn, bench_master->port, "normal client",
	    BENCH_READ_TIMEOUT);
	result = benchlib_call(&normal.conn, &normal.next_id, "spawn",
	    "{\"type\":\"counter\"}", NULL);
	normal.agent = xstrdup(json_object_get_string(result));
	json_object_put(result);
	for (i = 0; i < BENCH_NKINDS; i++)
		bench_scenario(&normal, (enum bench_kind)i);
	benchlib_conn_close(&normal.conn);
	free(normal.agent);
	benchlib_daemon_stop(bench_master);
	bench_print();
	printf("\nwall time %.1f s\n", (benchlib_now_ns() - start) / 1e9);
	return (0);
}
