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
 * Benchmark of creamasd --metrics: a master with 2 slaves holding
 * 1,000,000 noop agents. The scrape latency (GET /metrics, a new
 * connection each, as Prometheus makes them at most) beside a status
 * call on an open JSON-RPC connection, which gathers the same values;
 * and the round time (the master's elapsed_us for trigger_all) with and
 * without a scrape every 100 ms, in alternating blocks of the same run,
 * so that the noise of a shared machine falls on both alike, compared
 * as two medians and block by block. Target: a median round no more
 * than 2 % slower while scraped.
 *
 * Timings are reported, never asserted: the program fails only when the
 * daemon misbehaves (an error reply, a scrape not answered 200).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BENCH_AGENTS		1000000
#define BENCH_SPAWN_CHUNK	100000
#define BENCH_READ_TIMEOUT	120
#define BENCH_SCRAPES		50
#define BENCH_BLOCKS		100	/* alternating, half of them scraped */
#define BENCH_BLOCK_ROUNDS	10
#define BENCH_SCRAPE_EVERY_MS	100

static atomic_int	 bench_scraping;
static atomic_int	 bench_quit;
static atomic_ulong	 bench_scrapes_done;
static uint16_t		 bench_metrics_port;

/* Give up: say why, show the daemon's log, kill what runs. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_metrics: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_metrics");
	exit(1);
}

/* GET /metrics on a new connection; the bytes of the answer. */
static size_t
bench_scrape(void)
{
	static const char	 request[] = "GET /metrics HTTP/1.1\r\n"
				    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
	struct sockaddr_in	 sin;
	char			 buffer[65536];
	size_t			 total = 0;
	ssize_t			 n;
	int			 fd, status = 0;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(bench_metrics_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    write(fd, request, sizeof request - 1) != sizeof request - 1)
		bench_fatal("metrics port %u: %s", bench_metrics_port,
		    strerror(errno));
	while ((n = read(fd, buffer, sizeof buffer)) > 0) {
		if (total == 0)
			sscanf(buffer, "HTTP/1.%*d %d", &status);
		total += (size_t)n;
	}
	close(fd);
	if (status != 200)
		bench_fatal("GET /metrics: status %d", status);
	return (total);
}

/* The scraper: while asked to, scrape every BENCH_SCRAPE_EVERY_MS. */
static void *
bench_scraper(void *arg)
{
	uint64_t	 started;
	long		 left;

	while (!atomic_load(&bench_quit)) {
		if (!atomic_load(&bench_scraping)) {
			benchlib_sleep_ms(5);
			continue;
		}
		started = benchlib_now_ns();
		bench_scrape();
		atomic_fetch_add(&bench_scrapes_done, 1);
		left = BENCH_SCRAPE_EVERY_MS -
		    (long)((benchlib_now_ns() - started) / 1000000);
		if (left > 0)
			benchlib_sleep_ms(left);
	}
	return (NULL);
}

/* Spawn the agents in chunks, each reply checked. */
static void
bench_spawn(struct benchlib_daemon *daemon)
{
	struct json_object	*result;
	char			 params[64];
	size_t			 have;

	for (have = 0; have < BENCH_AGENTS; have += BENCH_SPAWN_CHUNK) {
		snprintf(params, sizeof params,
		    "{\"type\":\"noop\",\"n\":%d}", BENCH_SPAWN_CHUNK);
		result = benchlib_rpc(daemon, "spawn_n", params, NULL);
		if (json_object_array_length(result) != BENCH_SPAWN_CHUNK)
			bench_fatal("spawn_n gave %zu addresses",
			    json_object_array_length(result));
		json_object_put(result);
	}
}

/* Run one round; its elapsed_us as the master saw it. */
static double
bench_round(struct benchlib_daemon *daemon)
{
	struct json_object	*result;
	int64_t			 elapsed, agents;

	result = benchlib_rpc(daemon, "trigger_all", NULL, NULL);
	agents = benchlib_int(result, "agents", "trigger_all");
	elapsed = benchlib_int(result, "elapsed_us", "trigger_all");
	json_object_put(result);
	if (agents != BENCH_AGENTS)
		bench_fatal("trigger_all acted %lld agents",
		    (long long)agents);
	return ((double)elapsed);
}

/* Return the q-quantile of samples, sorting them. */
static double
bench_quantile(double *samples, size_t n, double q)
{
	qsort(samples, n, sizeof *samples, benchlib_compare_double);
	return (samples[(size_t)(q * (double)(n - 1) + 0.5)]);
}

int
main(int argc, char *argv[])
{
	struct benchlib_daemon	*daemon;
	const char		*creamasd = getenv("CREAMASD");
	struct json_object	*result;
	const char		*extra[3];
	double			 scrape[BENCH_SCRAPES], status[BENCH_SCRAPES];
	double			 plain[BENCH_BLOCKS / 2 * BENCH_BLOCK_ROUNDS];
	double			 scraped[BENCH_BLOCKS / 2 * BENCH_BLOCK_ROUNDS];
	double			 median_plain, median_scraped;
	double			 pairs[BENCH_BLOCKS / 2], block_plain;
	size_t			 i, j, nplain = 0, nscraped = 0, bytes = 0;
	uint64_t		 started, rtt;
	unsigned long		 scrapes;
	pthread_t		 thread;

	if (creamasd == NULL || *creamasd == '\0') {
		fprintf(stderr, "usage: CREAMASD=/path/to/creamasd %s\n",
		    argv[0]);
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	started = benchlib_now_ns();
	extra[0] = "--metrics";
	extra[1] = "127.0.0.1:0";
	extra[2] = NULL;
	daemon = benchlib_daemon_startv(creamasd, 2, BENCH_READ_TIMEOUT,
	    extra);
	result = benchlib_rpc(daemon, "status", NULL, NULL);
	bench_metrics_port = (uint16_t)benchlib_int(result, "metrics_port",
	    "status");
	json_object_put(result);
	printf("bench_metrics: %s, a master with 2 slaves, %d noop agents\n",
	    creamasd, BENCH_AGENTS);
	bench_spawn(daemon);
	for (i = 0; i < 3; i++)
		bench_round(daemon);

	for (i = 0; i < BENCH_SCRAPES; i++) {
		rtt = benchlib_now_ns();
		bytes = bench_scrape();
		scrape[i] = (benchlib_now_ns() - rtt) / 1e3;
		json_object_put(benchlib_rpc(daemon, "status", NULL, &rtt));
		status[i] = rtt / 1e3;
	}
	printf("\n  %-34s %12s %12s\n", "measure", "median", "p90");
	printf("  %-34s %9.0f us %9.0f us\n", "GET /metrics (new connection)",
	    bench_quantile(scrape, BENCH_SCRAPES, 0.5),
	    bench_quantile(scrape, BENCH_SCRAPES, 0.9));
	printf("  %-34s %9.0f us %9.0f us\n", "baseline: status (open conn.)",
	    bench_quantile(status, BENCH_SCRAPES, 0.5),
	    bench_quantile(status, BENCH_SCRAPES, 0.9));
	printf("  scrape size %zu bytes\n", bytes);

	if (pthread_create(&thread, NULL, bench_scraper, NULL) != 0)
		bench_fatal("pthread_create failed");
	for (i = 0; i < BENCH_BLOCKS; i++) {
		atomic_store(&bench_scraping, (int)(i % 2));
		for (j = 0; j < BENCH_BLOCK_ROUNDS; j++) {
			if (i % 2)
				scraped[nscraped++] = bench_round(daemon);
			else
				plain[nplain++] = bench_round(daemon);
		}
	}
	atomic_store(&bench_quit, 1);
	pthread_join(thread, NULL);
	scrapes = atomic_load(&bench_scrapes_done);
	/* Each block against the one before it: slow drifts of load cancel. */
	for (i = 0; i < BENCH_BLOCKS / 2; i++) {
		block_plain = bench_quantile(plain + i * BENCH_BLOCK_ROUNDS,
		    BENCH_BLOCK_ROUNDS, 0.5);
		pairs[i] = 100.0 * (bench_quantile(scraped +
		    i * BENCH_BLOCK_ROUNDS, BENCH_BLOCK_ROUNDS, 0.5) -
		    block_plain) / block_plain;
	}
	median_plain = bench_quantile(plain, nplain, 0.5);
	median_scraped = bench_quantile(scraped, nscraped, 0.5);
	printf("\n  round of %d agents (median of %zu)  %9.0f us\n",
	    BENCH_AGENTS, nplain, median_plain);
	printf("  the same, scraped every %d ms       %9.0f us  (%lu "
	    "scrapes)\n", BENCH_SCRAPE_EVERY_MS, median_scraped, scrapes);
	printf("  difference %+.2f %%; median of the %d paired blocks' "
	    "differences %+.2f %% (target: at most +2 %%)\n",
	    100.0 * (median_scraped - median_plain) / median_plain,
	    BENCH_BLOCKS / 2, bench_quantile(pairs, BENCH_BLOCKS / 2, 0.5));
	benchlib_daemon_stop(daemon);
	printf("\nwall time %.1f s\n", (benchlib_now_ns() - started) / 1e9);
	return (0);
}
