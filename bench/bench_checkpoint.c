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
 * Benchmark of checkpoint and restore: 1,000,000 diffusion agents on a
 * master of 2 slaves (a 1000 x 1000 grid, 500 columns a slave, wired,
 * after 3 rounds). checkpoint into a fresh folder, REPEAT times, each
 * timed as the client sees it; then restore, REPEAT times, each into a
 * fresh master on the same port (the same layout). Measured: seconds,
 * bytes on disk per agent, and MB/s; the baseline, in the same run on
 * the same file system, is a plain write of the same number of bytes
 * (1 MiB writes, then fsync and rename, as dd conv=fsync does and as a
 * checkpoint must), REPEAT times. Target: a checkpoint at >= 50 % of the
 * baseline's MB/s. A restored grid must run a round as the original did
 * (the same values read, no failures) or the benchmark fails.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "xmalloc.h"

#define BENCH_SIDE		1000
#define BENCH_SLAVES		2
#define BENCH_AGENTS		(BENCH_SIDE * BENCH_SIDE)
#define BENCH_CHUNK		100000	/* agents a spawn_n */
#define BENCH_ROUNDS		3	/* before the checkpoints */
#define BENCH_REPEAT		3
#define BENCH_READ_TIMEOUT	300	/* seconds an answer may take */
#define BENCH_WRITE_CHUNK	(1024 * 1024)

static const char	*bench_creamasd;
static char		 bench_folder[] = "/tmp/creamas-bench-ckpt.XXXXXX";

void	bench_fatal(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

/* Print, stop every daemon, and exit 1. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bench_checkpoint: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	benchlib_daemon_kill_all("bench_checkpoint");
	exit(1);
}

/* Call a method; an error is fatal. Return the result and the seconds. */
static struct json_object *
bench_call(struct benchlib_daemon *daemon, const char *method,
    const char *params, double *seconds)
{
	struct json_object	*result;
	uint64_t		 start = benchlib_now_ns();

	result = benchlib_rpc(daemon, method, params, NULL);
	if (seconds != NULL)
		*seconds = (benchlib_now_ns() - start) / 1e9;
	return (result);
}

/* Call a method and forget its result. */
static void
bench_do(struct benchlib_daemon *daemon, const char *method,
    const char *params)
{
	json_object_put(bench_call(daemon, method, params, NULL));
}

/* Run a round of every agent; return the reply's round. */
static int64_t
bench_round(struct benchlib_daemon *daemon)
{
	struct json_object	*result;
	int64_t			 round;

	result = bench_call(daemon, "trigger_all", NULL, NULL);
	if (benchlib_int(result, "agents", "trigger_all") != BENCH_AGENTS ||
	    benchlib_int(result, "failed", "trigger_all") != 0)
		bench_fatal("trigger_all: %.300s",
		    json_object_to_json_string(result));
	round = benchlib_int(result, "round", "trigger_all");
	json_object_put(result);
	return (round);
}

/*
 * The values of some agents of each slave after the last round, as
 * text: what a restored grid must give after the same round.
 */
static char *
bench_values(struct benchlib_daemon *daemon, uint16_t port)
{
	static const int	 agents[] = { 1, 999, 1000, 250001, 499999,
				    500000 };
	struct json_object	*result;
	char			*text, *more, params[96];
	size_t			 i;
	int			 k;

	text = xstrdup("");
	for (k = 0; k < BENCH_SLAVES; k++) {
		for (i = 0; i < sizeof agents / sizeof agents[0]; i++) {
			snprintf(params, sizeof params, "{\"agent\":"
			    "\"tcp://127.0.0.1:%d/%d\"}", port + 1 + k,
			    agents[i]);
			result = bench_call(daemon, "agent.get_value", params,
			    NULL);
			xasprintf(&more, "%s %s", text,
			    json_object_to_json_string(result));
			json_object_put(result);
			free(text);
			text = more;
		}
	}
	return (text);
}

/* Is a loopback TCP port free to listen on? */
static int
bench_port_free(uint16_t port)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1, free_port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		bench_fatal("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	free_port = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return (free_port);
}

/*
 * Return a port free with the BENCH_SLAVES after it: the master's, its
 * slaves on the next ones, the same for every master of the run.
 */
static uint16_t
bench_ports(void)
{
	uint16_t	 base;
	int		 try, k;

	for (try = 0; try < 1000; try++) {
		base = (uint16_t)(20000 + (getpid() * 7 + try * 13) % 30000);
		for (k = 0; k <= BENCH_SLAVES && bench_port_free(
		    (uint16_t)(base + k)); k++)
			;
		if (k > BENCH_SLAVES)
			return (base);
	}
	bench_fatal("no %d free ports in a row", BENCH_SLAVES + 1);
}

/* Start a master of BENCH_SLAVES on port, its slaves on the next ones. */
static struct benchlib_daemon *
bench_master(uint16_t port)
{
	struct benchlib_daemon	*daemon;
	const char		*extra[] = { "--listen", NULL, NULL };
	char			 listen[32];

	snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
	extra[1] = listen;
	daemon = benchlib_daemon_startv(bench_creamasd, BENCH_SLAVES,
	    BENCH_READ_TIMEOUT, extra);
	if (daemon->port != port)
		bench_fatal("the master listens on %u, not %u", daemon->port,
		    port);
	return (daemon);
}

/* Fill a master with the wired grid of diffusion agents. */
static void
bench_fill(struct benchlib_daemon *daemon)
{
	char		 params[64];
	size_t		 have;
	int		 r;

	snprintf(params, sizeof params, "{\"gs\":[%d,%d]}",
	    BENCH_SIDE / BENCH_SLAVES, BENCH_SIDE);
	bench_do(daemon, "set_gs", params);
	bench_do(daemon, "set_origin", "{\"origin\":[0,0]}");
	for (have = 0; have < BENCH_AGENTS; have += BENCH_CHUNK) {
		snprintf(params, sizeof params, "{\"type\":\"diffusion\","
		    "\"n\":%d}", BENCH_CHUNK);
		bench_do(daemon, "spawn_n", params);
	}
	bench_do(daemon, "set_neighbors", NULL);
	for (r = 0; r < BENCH_ROUNDS; r++)
		bench_round(daemon);
}

/*
 * Write size bytes to folder/name as a checkpoint must (1 MiB writes,
 * fsync, rename, the folder synced); return the seconds.
 */
static double
bench_plain_write(const char *folder, uint64_t size)
{
	char		*buffer, *path, *temporary;
	uint64_t	 start = benchlib_now_ns(), left = size;
	ssize_t		 n;
	int		 fd;

	buffer = xmalloc(BENCH_WRITE_CHUNK);
	memset(buffer, 0xa5, BENCH_WRITE_CHUNK);
	xasprintf(&path, "%s/plain", folder);
	xasprintf(&temporary, "%s/plain.tmp", folder);
	if ((fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		bench_fatal("%s: %s", temporary, strerror(errno));
	while (left > 0) {
		n = write(fd, buffer, left > BENCH_WRITE_CHUNK ?
		    BENCH_WRITE_CHUNK : (size_t)left);
		if (n <= 0)
			bench_fatal("write %s: %s", temporary,
			    strerror(errno));
		left -= (uint64_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(temporary, path) != 0)
		bench_fatal("%s: %s", path, strerror(errno));
	if ((fd = open(folder, O_RDONLY | O_DIRECTORY)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(buffer);
	free(path);
	free(temporary);
	return ((benchlib_now_ns() - start) / 1e9);
}

/* Remove one file or folder of the benchmark's (for nftw). */
static int
bench_remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return (remove(path) == 0 ? 0 : -1);
}

int
main(int argc, char *argv[])
{
	struct benchlib_daemon	*daemon;
	struct json_object	*result;
	double			 save[BENCH_REPEAT], load[BENCH_REPEAT];
	double			 plain[BENCH_REPEAT], seconds, mb;
	double			 save_s, load_s, plain_s;
	uint64_t		 bytes = 0;
	uint16_t		 port;
	int64_t			 round;
	char			 params[256], folder[128];
	char			*expected, *got;
	int			 i;

	bench_creamasd = benchlib_begin(argv[0]);
	if (mkdtemp(bench_folder) == NULL)
		bench_fatal("mkdtemp: %s", strerror(errno));
	printf("bench_checkpoint: %s, %d diffusion agents on %d slaves, "
	    "files in %s\n", bench_creamasd, BENCH_AGENTS, BENCH_SLAVES,
	    bench_folder);

	port = bench_ports();
	daemon = bench_master(port);
	bench_fill(daemon);
	for (i = 0; i < BENCH_REPEAT; i++) {
		snprintf(folder, sizeof folder, "%s/c%d", bench_folder, i);
		snprintf(params, sizeof params, "{\"folder\":\"%s\"}", folder);
		result = bench_call(daemon, "checkpoint", params, &save[i]);
		if (benchlib_int(result, "agents", "checkpoint") !=
		    BENCH_AGENTS)
			bench_fatal("checkpoint: %.300s",
			    json_object_to_json_string(result));
		bytes = (uint64_t)benchlib_int(result, "bytes", "checkpoint");
		json_object_put(result);
		plain[i] = bench_plain_write(bench_folder, bytes);
	}
	/* What the next round reads, to compare with a restored grid's. */
	round = bench_round(daemon);
	expected = bench_values(daemon, port);
	benchlib_daemon_stop(daemon);

	for (i = 0; i < BENCH_REPEAT; i++) {
		daemon = bench_master(port);
		snprintf(params, sizeof params, "{\"folder\":\"%s/c%d\"}",
		    bench_folder, i);
		result = bench_call(daemon, "restore", params, &load[i]);
		if (benchlib_int(result, "agents", "restore") != BENCH_AGENTS ||
		    benchlib_int(result, "round", "restore") != round - 1)
			bench_fatal("restore: %.300s",
			    json_object_to_json_string(result));
		json_object_put(result);
		if (bench_round(daemon) != round)
			bench_fatal("a restored grid ran another round");
		got = bench_values(daemon, port);
		if (strcmp(got, expected) != 0)
			bench_fatal("after restore %d and a round, values%s; "
			    "without a restart,%s", i, got, expected);
		free(got);
		benchlib_daemon_stop(daemon);
	}
	save_s = benchlib_median(save, BENCH_REPEAT);
	load_s = benchlib_median(load, BENCH_REPEAT);
	plain_s = benchlib_median(plain, BENCH_REPEAT);
	mb = bytes / 1e6;

	printf("\n%-34s %12s %12s %12s\n", "measure (median of 3)", "seconds",
	    "MB/s", "vs plain");
	printf("%-34s %12.3f %12.1f %11.0f%%\n", "checkpoint (client's view)",
	    save_s, mb / save_s, 100.0 * plain_s / save_s);
	printf("%-34s %12.3f %12.1f %11.0f%%\n", "restore (client's view)",
	    load_s, mb / load_s, 100.0 * plain_s / load_s);
	printf("%-34s %12.3f %12.1f %12s\n", "plain write+fsync, same size",
	    plain_s, mb / plain_s, "100%");
	printf("\n%llu bytes on disk in 3 files (2 slaves, master), %.1f bytes "
	    "per agent\n", (unsigned long long)bytes,
	    (double)bytes / BENCH_AGENTS);
	printf("target: checkpoint >= 50%% of the plain write's MB/s: %s\n",
	    plain_s / save_s >= 0.5 ? "met" : "NOT met");
	printf("a round after each restore gave the values of the round "
	    "after the checkpoint:%s\n", expected);
	seconds = 0;
	for (i = 0; i < BENCH_REPEAT; i++)
		seconds += save[i] + load[i];
	printf("checkpoints and restores took %.1f s in all\n", seconds);
	free(expected);
	if (nftw(bench_folder, bench_remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		bench_fatal("cannot remove %s: %s", bench_folder,
		    strerror(errno));
	return (0);
}
