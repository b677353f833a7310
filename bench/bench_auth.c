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
 * Benchmark of the cluster key and of load.
 *
 * First, what authentication costs a new connection: a slave with --key
 * and one without run side by side, and new connections alternate
 * between them: connect, is_ready, close against the one without a key;
 * connect, auth.challenge (the server's proof checked), auth.prove,
 * is_ready, close against the other. Median and p90 of each over a few
 * thousand connections, after a warm-up, and the difference, also in
 * is_ready round trips on an open connection measured in the same run.
 *
 * Then the load test of check_load.c, shorter: 500 clients at once,
 * each making mixed calls eight at a time through a master with two
 * slaves, once without a key and once with one (every client proving it
 * first); calls per second and the peak memory of the master and its
 * slaves together (VmRSS from /proc, sampled every 100 ms).
 *
 * Timings are reported, never asserted: the program fails only when a
 * daemon misbehaves (a wrong or missing reply, a refused connection, an
 * unclean exit), printing its last stderr lines.
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
#include <limits.h>
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

#include "auth.h"
#include "benchlib.h"
#include "launch.h"
#include "xmalloc.h"

#define BENCH_CONNECTIONS	3000	/* new connections, each */
#define BENCH_WARMUP		200
#define BENCH_RTT_SAMPLES	3000
#define BENCH_LOAD_CLIENTS	500
#define BENCH_LOAD_CALLS	200	/* per client */
#define BENCH_LOAD_WINDOW	8
#define BENCH_LOAD_NOOPS	4
#define BENCH_LOAD_DEADLINE	300	/* seconds */
#define BENCH_READ_TIMEOUT	30	/* seconds without a reply */
#define BENCH_START_TIMEOUT	30000	/* ms to print a port */
#define BENCH_STOP_TIMEOUT	30	/* seconds for a daemon to exit */
#define BENCH_DAEMONS_MAX	4
#define BENCH_AUTH_CHALLENGE	1000001	/* the handshake's ids */
#define BENCH_AUTH_PROVE	1000002

/* A blocking line-oriented connection. */
struct bench_conn {
	int		 fd;
	char		 buf[65536];
	size_t		 start;
	size_t		 end;
	int64_t		 next_id;
};

/* A creamasd started by the benchmark. */
struct bench_daemon {
	pid_t			 pid;
	int			 reaped;
	uint16_t		 port;
	char			 name[32];
	char			 log_path[PATH_MAX];
	int			 keyed;
	size_t			 nslaves;
	pid_t			 slave_pids[2];
	uint16_t		 slave_ports[2];
	struct bench_conn	 conn;
};

/* Where a load client is in its life. */
enum bench_phase {
	BENCH_CHALLENGING,
	BENCH_PROVING,
	BENCH_CALLING,
	BENCH_DONE,
};

/* One client of the load. */
struct bench_client {
	int			 fd;
	int			 index;
	enum bench_phase	 phase;
	const char		*agent;
	unsigned char		 kinds[BENCH_LOAD_CALLS + 1];
	unsigned char		 answered[BENCH_LOAD_CALLS + 1];
	int			 sent;
	int			 received;
	int			 inflight;
	int64_t			 increments;
	uint32_t		 random;
	char			 nonce[AUTH_HEX_MAX + 1];
	char			*in;
	size_t			 in_used;
	size_t			 in_size;
	char			*out;
	size_t			 out_start;
	size_t			 out_used;
	size_t			 out_size;
};

/* What one load run measured. */
struct bench_load_result {
	double		 seconds;
	double		 handshakes_ms;	/* until all are in */
	long long	 baseline;
	long long	 peak;
	long long	 after;
};

static const char		*bench_creamasd;
static struct auth_key		*bench_key;
static char			 bench_dir[64];
static char			 bench_key_path[PATH_MAX];
static struct bench_daemon	*bench_daemons[BENCH_DAEMONS_MAX];


/* Kill a daemon and its slaves by pid and reap it. */
static void
bench_kill(struct bench_daemon *daemon)
{
	size_t	 i;

	if (!daemon->reaped) {
		kill(daemon->pid, SIGKILL);
		while (waitpid(daemon->pid, NULL, 0) == -1 && errno == EINTR)
			continue;
		daemon->reaped = 1;
	}
	for (i = 0; i < daemon->nslaves; i++) {
		if (daemon->slave_pids[i] > 0)
			kill(daemon->slave_pids[i], SIGKILL);
	}
}

/* Remove the key and the folder holding it. */
static void
bench_cleanup(void)
{
	if (bench_key_path[0] != '\0')
		unlink(bench_key_path);
	if (bench_dir[0] != '\0')
		rmdir(bench_dir);
}

/* Give up: say why, show the daemons' logs, kill what runs. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;
	size_t	 i;

	fprintf(stderr, "bench_auth: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	for (i = 0; i < BENCH_DAEMONS_MAX; i++) {
		if (bench_daemons[i] == NULL)
			continue;
		benchlib_print_tail(bench_daemons[i]->log_path, 0,
		    "bench_auth: last stderr lines of %s (pid %ld):\n",
		    bench_daemons[i]->name, (long)bench_daemons[i]->pid);
		bench_kill(bench_daemons[i]);
		unlink(bench_daemons[i]->log_path);
	}
	bench_cleanup();
	exit(1);
}

/* Connect to 127.0.0.1:port, blocking, with a read timeout; the socket. */
static int
bench_connect(uint16_t port)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { BENCH_READ_TIMEOUT, 0 };
	int			 fd, one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bench_fatal("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		bench_fatal("connect to port %u: %s", port, strerror(errno));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1)
		bench_fatal("setsockopt: %s", strerror(errno));
	return (fd);
}

/* Open a connection object on port. */
static void
bench_conn_open(struct bench_conn *conn, uint16_t port)
{
	conn->fd = bench_connect(port);
	conn->start = conn->end = 0;
	conn->next_id = 1;
}

/* Write all of a string, blocking. */
static void
bench_conn_write(struct bench_conn *conn, const char *text)
{
	size_t	 length = strlen(text);
	ssize_t	 n;

	while (length > 0) {
		if ((n = write(conn->fd, text, length)) == -1) {
			if (errno == EINTR)
				continue;
			bench_fatal("write: %s", strerror(errno));
		}
		text += n;
		length -= (size_t)n;
	}
}

/* Read one line (valid until the next read), or NULL at end of file. */
static char *
bench_conn_read_line(struct bench_conn *conn)
{
	char	*line, *newline;
	ssize_t	 n;

	for (;;) {
		newline = memchr(conn->buf + conn->start, '\n',
		    conn->end - conn->start);
		if (newline != NULL) {
			line = conn->buf + conn->start;
			*newline = '\0';
			conn->start = (size_t)(newline + 1 - conn->buf);
			return (line);
		}
		if (conn->start > 0) {
			memmove(conn->buf, conn->buf + conn->start,
			    conn->end - conn->start);
			conn->end -= conn->start;
			conn->start = 0;
		}
		if (conn->end == sizeof conn->buf)
			bench_fatal("a reply over %zu bytes", sizeof conn->buf);
		n = read(conn->fd, conn->buf + conn->end,
		    sizeof conn->buf - conn->end);
		if (n == 0)
			return (NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			bench_fatal("read: %s", errno == EAGAIN ?
			    "no reply in time" : strerror(errno));
		}
		conn->end += (size_t)n;
	}
}

/*
 * Call method(params as JSON text, or NULL) and return its result (a
 * reference the caller owns); an error reply is fatal.
 */
static struct json_object *
bench_call(struct bench_conn *conn, const char *method, const char *params)
{
	struct json_object	*reply, *value, *result;
	char			*request, *line;
	int64_t			 id = conn->next_id++;

	xasprintf(&request, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64
	    ",\"method\":\"%s\",\"params\":%s}\n", id, method,
	    params != NULL ? params : "{}");
	bench_conn_write(conn, request);
	free(request);
	if ((line = bench_conn_read_line(conn)) == NULL)
		bench_fatal("connection closed during %s", method);
	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_is_type(reply, json_type_object))
		bench_fatal("%s: unparseable reply '%.200s'", method, line);
	if (!json_object_object_get_ex(reply, "id", &value) ||
	    json_object_get_int64(value) != id)
		bench_fatal("%s: reply with the wrong id: '%.200s'", method,
		    line);
	if (json_object_object_get_ex(reply, "error", &value) ||
	    !json_object_object_get_ex(reply, "result", &result))
		bench_fatal("%s: %.300s", method, line);
	json_object_get(result);
	json_object_put(reply);
	return (result);
}

/* Check a result is true. */
static void
bench_expect_true(struct json_object *result, const char *what)
{
	if (!json_object_is_type(result, json_type_boolean) ||
	    !json_object_get_boolean(result))
		bench_fatal("%s: %s", what, json_object_to_json_string(result));
	json_object_put(result);
}

/*
 * The handshake's client side: check the server's proof over our nonce,
 * prove ours; fatal when either does not hold.
 */
static void
bench_handshake(struct bench_conn *conn)
{
	struct json_object	*result, *nonce, *proof;
	char			 ours[AUTH_HEX_MAX + 1], *params;
	char			 mine[AUTH_PROOF_HEX + 1];

	if (auth_nonce(ours, sizeof ours) != 0)
		bench_fatal("no random bytes");
	xasprintf(&params, "{\"nonce\":\"%s\"}", ours);
	result = bench_call(conn, "auth.challenge", params);
	free(params);
	if (!json_object_object_get_ex(result, "nonce", &nonce) ||
	    !json_object_object_get_ex(result, "proof", &proof) ||
	    !auth_proof_check(bench_key, "server", ours,
	    json_object_get_string(nonce), json_object_get_string(proof)))
		bench_fatal("the server did not prove the key: %s",
		    json_object_to_json_string(result));
	auth_proof(bench_key, "client", json_object_get_string(nonce), ours,
	    mine);
	json_object_put(result);
	xasprintf(&params, "{\"proof\":\"%s\"}", mine);
	bench_expect_true(bench_call(conn, "auth.prove", params), "auth.prove");
	free(params);
}

/* Return an integer member of an object; a missing one is fatal. */
static int64_t
bench_int(struct json_object *object, const char *key)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_int))
		bench_fatal("no integer '%s' in %.300s", key,
		    json_object_to_json_string(object));
	return (json_object_get_int64(value));
}

/*
 * Start creamasd -d --listen 127.0.0.1:0 with the key or not, as a
 * master with two slaves or a plain slave; read its port, connect (and
 * authenticate) its control connection.
 */
static struct bench_daemon *
bench_start(const char *name, int keyed, int master)
{
	struct bench_daemon	*daemon;
	struct json_object	*status, *slaves, *slave, *address;
	const char		*argv[16], *why;
	char			 line[LAUNCH_LINE_MAX];
	size_t			 i, argc = 0;
	int			 out[2], logfd;

	daemon = xcalloc(1, sizeof *daemon);
	snprintf(daemon->name, sizeof daemon->name, "%s", name);
	daemon->keyed = keyed;
	snprintf(daemon->log_path, sizeof daemon->log_path, "%s/log.XXXXXX",
	    bench_dir);
	if ((logfd = mkstemp(daemon->log_path)) == -1)
		bench_fatal("mkstemp: %s", strerror(errno));
	argv[argc++] = bench_creamasd;
	argv[argc++] = "-d";
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	if (keyed) {
		argv[argc++] = "--key";
		argv[argc++] = bench_key_path;
	}
	if (master) {
		argv[argc++] = "--role";
		argv[argc++] = "master";
		argv[argc++] = "--slaves";
		argv[argc++] = "2";
	}
	argv[argc] = NULL;
	if (pipe2(out, O_CLOEXEC) == -1)
		bench_fatal("pipe: %s", strerror(errno));
	if ((daemon->pid = launch_spawn(argv, out[1], logfd)) == -1)
		bench_fatal("fork: %s", strerror(errno));
	close(out[1]);
	close(logfd);
	for (i = 0; i < BENCH_DAEMONS_MAX; i++) {
		if (bench_daemons[i] == NULL) {
			bench_daemons[i] = daemon;
			break;
		}
	}
	if (launch_read_port(out[0], BENCH_START_TIMEOUT / 1000.0,
	    &daemon->port, line, &why) != 0)
		bench_fatal("%s: no port on stdout (got '%s'; %s)", name, line,
		    why);
	close(out[0]);
	bench_conn_open(&daemon->conn, daemon->port);
	if (keyed)
		bench_handshake(&daemon->conn);
	if (!master)
		return (daemon);

	status = bench_call(&daemon->conn, "status", NULL);
	if (!json_object_object_get_ex(status, "slaves", &slaves) ||
	    json_object_array_length(slaves) != 2)
		bench_fatal("%s: status lists no 2 slaves", name);
	daemon->nslaves = 2;
	for (i = 0; i < 2; i++) {
		slave = json_object_array_get_idx(slaves, i);
		daemon->slave_pids[i] = (pid_t)bench_int(slave, "pid");
		if (!json_object_object_get_ex(slave, "address", &address) ||
		    strncmp(json_object_get_string(address),
		    "tcp://127.0.0.1:", 16) != 0)
			bench_fatal("%s: slave %zu has no loopback address",
			    name, i);
		daemon->slave_ports[i] = (uint16_t)strtoul(
		    json_object_get_string(address) + 16, NULL, 10);
	}
	json_object_put(status);
	return (daemon);
}

/* Stop a daemon with the stop method; it must exit 0, slaves and all. */
static void
bench_stop(struct bench_daemon *daemon)
{
	uint64_t	 deadline;
	pid_t		 pid;
	size_t		 i;
	int		 status;

	bench_expect_true(bench_call(&daemon->conn, "stop", NULL), "stop");
	deadline = benchlib_now_ns() + BENCH_STOP_TIMEOUT * 1000000000ULL;
	while ((pid = waitpid(daemon->pid, &status, WNOHANG)) == 0) {
		if (benchlib_now_ns() > deadline)
			bench_fatal("%s: still running %d s after stop",
			    daemon->name, BENCH_STOP_TIMEOUT);
		benchlib_sleep_ms(10);
	}
	daemon->reaped = 1;
	if (pid != daemon->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		bench_fatal("%s: exit status %#x after stop", daemon->name,
		    status);
	for (i = 0; i < daemon->nslaves; i++) {
		if (kill(daemon->slave_pids[i], 0) == 0)
			bench_fatal("%s: slave %ld outlives its master",
			    daemon->name, (long)daemon->slave_pids[i]);
	}
	close(daemon->conn.fd);
	unlink(daemon->log_path);
	for (i = 0; i < BENCH_DAEMONS_MAX; i++) {
		if (bench_daemons[i] == daemon)
			bench_daemons[i] = NULL;
	}
	free(daemon);
}

/* Sort samples; return the median and the 90th percentile in us. */
static void
bench_stats(uint64_t *samples, size_t count, double *median, double *p90)
{
	qsort(samples, count, sizeof *samples, benchlib_compare_u64);
	*median = samples[count / 2] / 1e3;
	*p90 = samples[count * 9 / 10] / 1e3;
}

/*
 * One new connection: connect, the handshake if keyed, is_ready, close;
 * its time in nanoseconds.
 */
static uint64_t
bench_new_connection(struct bench_daemon *daemon)
{
	struct bench_conn	*conn;
	uint64_t		 start, took;

	conn = xcalloc(1, sizeof *conn);
	start = benchlib_now_ns();
	bench_conn_open(conn, daemon->port);
	if (daemon->keyed)
		bench_handshake(conn);
	bench_expect_true(bench_call(conn, "is_ready", NULL), "is_ready");
	took = benchlib_now_ns() - start;
	close(conn->fd);
	free(conn);
	return (took);
}

/* The cost of authentication per new connection. */
static void
bench_connections(void)
{
	struct bench_daemon	*plain, *keyed;
	uint64_t		*open_samples, *auth_samples, *rtt_samples;
	uint64_t		 start;
	double			 open_median, open_p90;
	double			 auth_median, auth_p90;
	double			 rtt_median, rtt_p90;
	size_t			 i;

	plain = bench_start("slave without a key", 0, 0);
	keyed = bench_start("slave with a key", 1, 0);
	open_samples = xcalloc(BENCH_CONNECTIONS, sizeof *open_samples);
	auth_samples = xcalloc(BENCH_CONNECTIONS, sizeof *auth_samples);
	rtt_samples = xcalloc(BENCH_RTT_SAMPLES, sizeof *rtt_samples);

	for (i = 0; i < BENCH_WARMUP; i++) {
		bench_new_connection(plain);
		bench_new_connection(keyed);
	}
	/* Alternate, so that the noise of the machine falls on both. */
	for (i = 0; i < BENCH_CONNECTIONS; i++) {
		if (i % 2 == 0) {
			open_samples[i] = bench_new_connection(plain);
			auth_samples[i] = bench_new_connection(keyed);
		} else {
			auth_samples[i] = bench_new_connection(keyed);
			open_samples[i] = bench_new_connection(plain);
		}
	}
	for (i = 0; i < BENCH_RTT_SAMPLES; i++) {
		start = benchlib_now_ns();
		bench_expect_true(bench_call(&keyed->conn, "is_ready", NULL),
		    "is_ready");
		rtt_samples[i] = benchlib_now_ns() - start;
	}
	bench_stats(open_samples, BENCH_CONNECTIONS, &open_median, &open_p90);
	bench_stats(auth_samples, BENCH_CONNECTIONS, &auth_median, &auth_p90);
	bench_stats(rtt_samples, BENCH_RTT_SAMPLES, &rtt_median, &rtt_p90);

	printf("new connection: connect, is_ready, close; %d connections "
	    "each, interleaved, after %d warm-up\n", BENCH_CONNECTIONS,
	    BENCH_WARMUP);
	printf("  %-44s %10s %10s\n", "measure", "median us", "p90 us");
	printf("  %-44s %10.1f %10.1f\n", "without a key", open_median,
	    open_p90);
	printf("  %-44s %10.1f %10.1f\n", "with the key (challenge, prove "
	    "first)", auth_median, auth_p90);
	printf("  %-44s %10.1f %10.1f\n", "is_ready on an open connection",
	    rtt_median, rtt_p90);
	printf("  authentication adds %.1f us per new connection (median), "
	    "%.2fx the unauthenticated connect, %.1f is_ready round trips\n",
	    auth_median - open_median, auth_median / open_median,
	    (auth_median - open_median) / rtt_median);
	fflush(stdout);
	free(open_samples);
	free(auth_samples);
	free(rtt_samples);
	bench_stop(plain);
	bench_stop(keyed);
}

/* A small deterministic generator. */
static uint32_t
bench_random(uint32_t *state)
{
	uint32_t	 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return (*state = x);
}

/* Return the memory of a master and its slaves together. */
static long long
bench_master_rss(const struct bench_daemon *daemon)
{
	return (benchlib_rss(daemon->pid, 0) +
	    benchlib_rss(daemon->slave_pids[0], 0) +
	    benchlib_rss(daemon->slave_pids[1], 0));
}

/* Queue text on a load client's output. */
static void
bench_queue(struct bench_client *c, const char *text)
{
	size_t	 length = strlen(text);

	if (c->out_used + length > c->out_size) {
		c->out_size = (c->out_used + length) * 2;
		c->out = xrealloc(c->out, c->out_size);
	}
	memcpy(c->out + c->out_used, text, length);
	c->out_used += length;
}

/* Queue the next call of a load client, chosen at random. */
static void
bench_send_one(struct bench_client *c)
{
	char		 line[512];
	int		 id = ++c->sent, kind;
	uint32_t	 r = bench_random(&c->random) % 100;

	/* 0 act, 1 trigger_act, 2 get, 3 is_ready, 4 get_time, 5 status. */
	if (id == BENCH_LOAD_CALLS)
		kind = 2;
	else
		kind = r < 30 ? 0 : r < 45 ? 1 : r < 65 ? 2 : r < 85 ? 3 :
		    r < 97 ? 4 : 5;
	c->kinds[id] = (unsigned char)kind;
	switch (kind) {
	case 0:
		c->increments++;
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"agent.act\",\"params\":{\"agent\":\"%s\","
		    "\"args\":{\"by\":1}}}\n", id, c->agent);
		break;
	case 1:
		c->increments++;
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"trigger_act\",\"params\":{\"agent\":\"%s\"}}"
		    "\n", id, c->agent);
		break;
	case 2:
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"agent.get\",\"params\":{\"agent\":\"%s\"}}\n",
		    id, c->agent);
		break;
	default:
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"%s\"}\n", id, kind == 3 ? "is_ready" :
		    kind == 4 ? "get_time" : "status");
		break;
	}
	bench_queue(c, line);
	c->inflight++;
}

/* Queue calls up to the window; the last, a check, once all are in. */
static void
bench_fill(struct bench_client *c)
{
	if (c->phase != BENCH_CALLING)
		return;
	while (c->inflight < BENCH_LOAD_WINDOW &&
	    c->sent < BENCH_LOAD_CALLS - 1)
		bench_send_one(c);
	if (c->sent == BENCH_LOAD_CALLS - 1 && c->inflight == 0)
		bench_send_one(c);
}

/* Start a load client: its challenge, or its first calls. */
static void
bench_client_start(struct bench_client *c, int keyed)
{
	char	 line[256];

	if (!keyed) {
		c->phase = BENCH_CALLING;
		bench_fill(c);
		return;
	}
	if (auth_nonce(c->nonce, sizeof c->nonce) != 0)
		bench_fatal("no random bytes");
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
	    "\"auth.challenge\",\"params\":{\"nonce\":\"%s\"}}\n",
	    BENCH_AUTH_CHALLENGE, c->nonce);
	bench_queue(c, line);
	c->phase = BENCH_CHALLENGING;
}

/* Handle the reply to a handshake call. */
static void
bench_client_auth(struct bench_client *c, int64_t id,
    struct json_object *result)
{
	struct json_object	*nonce, *proof;
	char			 mine[AUTH_PROOF_HEX + 1], line[256];

	if (c->phase == BENCH_CHALLENGING && id == BENCH_AUTH_CHALLENGE &&
	    json_object_object_get_ex(result, "nonce", &nonce) &&
	    json_object_object_get_ex(result, "proof", &proof) &&
	    auth_proof_check(bench_key, "server", c->nonce,
	    json_object_get_string(nonce), json_object_get_string(proof))) {
		auth_proof(bench_key, "client", json_object_get_string(nonce),
		    c->nonce, mine);
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"auth.prove\",\"params\":{\"proof\":\"%s\"}}"
		    "\n", BENCH_AUTH_PROVE, mine);
		bench_queue(c, line);
		c->phase = BENCH_PROVING;
		return;
	}
	if (c->phase == BENCH_PROVING && id == BENCH_AUTH_PROVE &&
	    json_object_is_type(result, json_type_boolean) &&
	    json_object_get_boolean(result)) {
		c->phase = BENCH_CALLING;
		return;
	}
	bench_fatal("client %d: the handshake failed at id %" PRId64 ": %s",
	    c->index, id, json_object_to_json_string(result));
}

/* Check one reply of a load client. */
static void
bench_client_reply(struct bench_client *c, const char *line)
{
	struct json_object	*reply, *value, *result;
	int64_t			 id, count;

	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(reply, "id", &value) ||
	    !json_object_is_type(value, json_type_int))
		bench_fatal("client %d: a reply without an id (refused?): "
		    "%.300s", c->index, line);
	id = json_object_get_int64(value);
	if (json_object_object_get_ex(reply, "error", &value) ||
	    !json_object_object_get_ex(reply, "result", &result))
		bench_fatal("client %d: %.300s", c->index, line);
	if (c->phase != BENCH_CALLING) {
		bench_client_auth(c, id, result);
		json_object_put(reply);
		return;
	}
	if (id < 1 || id > c->sent || c->answered[id])
		bench_fatal("client %d: id %" PRId64 " not asked or answered "
		    "twice", c->index, id);
	c->answered[id] = 1;
	c->inflight--;
	c->received++;
	switch (c->kinds[id]) {
	case 0:
	case 1:
	case 2:
		count = json_object_get_int64(result);
		if (!json_object_is_type(result, json_type_int) || count < 0 ||
		    count > c->increments ||
		    (c->kinds[id] != 2 && count == 0))
			bench_fatal("client %d: count %.100s after %" PRId64
			    " increments", c->index, line, c->increments);
		if (id == BENCH_LOAD_CALLS && count != c->increments)
			bench_fatal("client %d: counter %" PRId64 " after %"
			    PRId64 " increments", c->index, count,
			    c->increments);
		break;
	case 3:
		if (!json_object_get_boolean(result))
			bench_fatal("client %d: %.100s", c->index, line);
		break;
	default:
		break;
	}
	if (c->received == BENCH_LOAD_CALLS)
		c->phase = BENCH_DONE;
	json_object_put(reply);
}

/* Read what a load client has, handle every line, queue more. */
static void
bench_client_read(struct bench_client *c)
{
	char	*start, *newline;
	ssize_t	 n;

	if (c->in_size - c->in_used < 65536) {
		c->in_size = c->in_size * 2 + 65536;
		c->in = xrealloc(c->in, c->in_size);
	}
	n = recv(c->fd, c->in + c->in_used, c->in_size - c->in_used,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		bench_fatal("client %d: connection %s after %d replies",
		    c->index, n == 0 ? "closed" : strerror(errno),
		    c->received);
	c->in_used += (size_t)n;
	start = c->in;
	while ((newline = memchr(start, '\n', c->in_used -
	    (size_t)(start - c->in))) != NULL) {
		*newline = '\0';
		bench_client_reply(c, start);
		start = newline + 1;
	}
	c->in_used -= (size_t)(start - c->in);
	memmove(c->in, start, c->in_used);
	bench_fill(c);
}

/* Write what a load client has queued, as much as the socket takes. */
static void
bench_client_write(struct bench_client *c)
{
	ssize_t	 n;

	while (c->out_start < c->out_used) {
		n = send(c->fd, c->out + c->out_start, c->out_used -
		    c->out_start, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			bench_fatal("client %d: send: %s", c->index,
			    strerror(errno));
		c->out_start += (size_t)n;
	}
	c->out_start = c->out_used = 0;
}

/*
 * The load of check_load.c, shorter: every client connects at once
 * (and proves the key if keyed), then makes its calls; one poll() loop.
 */
static void
bench_load(int keyed, struct bench_load_result *r)
{
	struct bench_daemon	*master;
	struct bench_client	*clients;
	struct json_object	*counters;
	struct pollfd		*pfds;
	int			*which;
	uint64_t		 started, deadline, next_sample;
	long long		 rss;
	int			 i, n, finished = 0, ready = 0, one = 1;
	char			 params[64];

	memset(r, 0, sizeof *r);
	master = bench_start(keyed ? "master with a key" :
	    "master without a key", keyed, 1);
	snprintf(params, sizeof params, "{\"type\":\"noop\",\"n\":%d}",
	    BENCH_LOAD_NOOPS);
	json_object_put(bench_call(&master->conn, "spawn_n", params));
	snprintf(params, sizeof params, "{\"type\":\"counter\",\"n\":%d}",
	    BENCH_LOAD_CLIENTS);
	counters = bench_call(&master->conn, "spawn_n", params);
	if (json_object_array_length(counters) != BENCH_LOAD_CLIENTS)
		bench_fatal("spawn_n: %zu counters",
		    json_object_array_length(counters));
	r->baseline = r->peak = bench_master_rss(master);

	clients = xcalloc(BENCH_LOAD_CLIENTS, sizeof *clients);
	pfds = xcalloc(BENCH_LOAD_CLIENTS, sizeof *pfds);
	which = xcalloc(BENCH_LOAD_CLIENTS, sizeof *which);
	started = benchlib_now_ns();
	for (i = 0; i < BENCH_LOAD_CLIENTS; i++) {
		clients[i].index = i;
		clients[i].agent = json_object_get_string(
		    json_object_array_get_idx(counters, (size_t)i));
		clients[i].random = 2463534242U + (uint32_t)i * 7919U;
		clients[i].fd = bench_connect(master->port);
		setsockopt(clients[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		bench_client_start(&clients[i], keyed);
		bench_client_write(&clients[i]);
	}
	deadline = started + BENCH_LOAD_DEADLINE * 1000000000ULL;
	next_sample = started;
	while (finished < BENCH_LOAD_CLIENTS) {
		if (benchlib_now_ns() > deadline)
			bench_fatal("load: %d of %d clients done after %d s",
			    finished, BENCH_LOAD_CLIENTS, BENCH_LOAD_DEADLINE);
		for (i = n = 0; i < BENCH_LOAD_CLIENTS; i++) {
			if (clients[i].fd == -1)
				continue;
			pfds[n].fd = clients[i].fd;
			pfds[n].events = POLLIN;
			if (clients[i].out_used > clients[i].out_start)
				pfds[n].events |= POLLOUT;
			pfds[n].revents = 0;
			which[n++] = i;
		}
		if (poll(pfds, (nfds_t)n, 100) == -1 && errno != EINTR)
			bench_fatal("poll: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			struct bench_client	*c = &clients[which[i]];
			enum bench_phase	 before = c->phase;

			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
				bench_client_read(c);
			if (before != BENCH_CALLING &&
			    c->phase == BENCH_CALLING) {
				/* The handshakes: timed until the last. */
				if (++ready == BENCH_LOAD_CLIENTS)
					r->handshakes_ms = (benchlib_now_ns() -
					    started) / 1e6;
				bench_fill(c);
			}
			if (c->out_used > c->out_start)
				bench_client_write(c);
			if (c->phase == BENCH_DONE) {
				close(c->fd);
				c->fd = -1;
				finished++;
			}
		}
		if (benchlib_now_ns() >= next_sample) {
			if ((rss = bench_master_rss(master)) > r->peak)
				r->peak = rss;
			next_sample = benchlib_now_ns() + 100000000ULL;
		}
	}
	r->seconds = (benchlib_now_ns() - started) / 1e9;
	benchlib_sleep_ms(500);
	r->after = bench_master_rss(master);
	for (i = 0; i < BENCH_LOAD_CLIENTS; i++) {
		free(clients[i].in);
		free(clients[i].out);
	}
	free(clients);
	free(pfds);
	free(which);
	json_object_put(counters);
	bench_stop(master);
}

/* Measure new connections with and without the key, then the load. */
int
main(void)
{
	struct bench_load_result	 plain, keyed;
	char				*cause;
	double				 calls;

	if ((bench_creamasd = getenv("CREAMASD")) == NULL ||
	    access(bench_creamasd, X_OK) != 0) {
		fprintf(stderr, "bench_auth: set CREAMASD to the daemon's "
		    "path (make bench does)\n");
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(bench_dir, sizeof bench_dir, "/tmp/bench_auth.XXXXXX");
	if (mkdtemp(bench_dir) == NULL) {
		bench_dir[0] = '\0';
		bench_fatal("mkdtemp: %s", strerror(errno));
	}
	snprintf(bench_key_path, sizeof bench_key_path, "%s/key", bench_dir);
	if (auth_key_generate(bench_key_path, &cause) != 0 ||
	    auth_key_load(bench_key_path, &bench_key, &cause) != 0)
		bench_fatal("%s", cause);

	printf("bench_auth: creamasd %s\n\n", bench_creamasd);
	bench_connections();

	bench_load(0, &plain);
	bench_load(1, &keyed);
	calls = (double)BENCH_LOAD_CLIENTS * BENCH_LOAD_CALLS;
	printf("\nload: %d clients at once, %d mixed calls each, window %d, "
	    "through a master with 2 slaves\n", BENCH_LOAD_CLIENTS,
	    BENCH_LOAD_CALLS, BENCH_LOAD_WINDOW);
	printf("  %-14s %10s %9s %14s %12s %12s\n", "", "calls/s", "seconds",
	    "handshakes ms", "RSS MiB", "peak MiB");
	printf("  %-14s %10.0f %9.2f %14s %12.1f %12.1f\n", "without a key",
	    calls / plain.seconds, plain.seconds, "-",
	    plain.baseline / 1048576.0, plain.peak / 1048576.0);
	printf("  %-14s %10.0f %9.2f %14.1f %12.1f %12.1f\n", "with the key",
	    calls / keyed.seconds, keyed.seconds, keyed.handshakes_ms,
	    keyed.baseline / 1048576.0, keyed.peak / 1048576.0);
	printf("  (RSS: the master and both slaves together, before the "
	    "clients and at the peak; %.1f and %.1f MiB 0.5 s after they "
	    "left)\n", plain.after / 1048576.0, keyed.after / 1048576.0);
	auth_key_free(bench_key);
	bench_cleanup();
	return (0);
}
