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
 * Benchmark of a creamasd slave against baselines measured in the same
 * run: is_ready round trips against a forked blocking TCP echo server,
 * pipelined calls per second, trigger_all rounds on up to 1,000,000 noop
 * agents against an in-process loop over as many records, and resident
 * memory per agent. Timings are reported (medians), never asserted: the
 * program fails only when the daemon misbehaves functionally.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
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
#include "launch.h"
#include "xmalloc.h"

#define BENCH_LATENCY_WARMUP	2000
#define BENCH_LATENCY_BLOCK	1000
#define BENCH_LATENCY_BLOCKS	15
#define BENCH_PIPELINE_CALLS	100000
#define BENCH_PIPELINE_WINDOW	1000
#define BENCH_PIPELINE_REPEATS	3
#define BENCH_SPAWN_CHUNK	100000
#define BENCH_MAX_AGENTS	1000000
#define BENCH_COUNTER_ROUNDS	3
#define BENCH_READ_TIMEOUT	60	/* seconds without a byte from a peer */
#define BENCH_STOP_TIMEOUT	30	/* seconds for a daemon to exit */
#define BENCH_MAX_DAEMONS	4
#define BENCH_MAX_ROWS		40
#define BENCH_MAX_FAILURES	20

/* Ids are seven digits wide so that every request has the same size. */
#define BENCH_IS_READY_FORMAT \
	"{\"jsonrpc\":\"2.0\",\"id\":%07" PRId64 \
	",\"method\":\"is_ready\",\"params\":{}}\n"
#define BENCH_ID_FIRST		1000000

/* A creamasd process started by the benchmark. */
struct bench_daemon {
	pid_t			 pid;
	int			 reaped;
	int			 status;
	uint16_t		 port;
	char			 name[32];
	char			 log_path[64];
	struct benchlib_conn	 conn;
	int64_t			 next_id;
};

/* The fork-and-exec'd echo server used as the floor. */
struct bench_echo {
	pid_t			 pid;
	uint16_t		 port;
	struct benchlib_conn	 conn;
	int64_t			 next_id;
};

/* A record standing for an agent in the in-process baseline loop. */
struct bench_record {
	int		(*act)(struct bench_record *, void *, void **);
	void		*extra;
	uint32_t	 id;
};

/* One line of the result table. */
struct bench_row {
	char	measure[56];
	char	creamasd[32];
	char	baseline[32];
	char	target[12];
	char	ok[6];
};

/* Statistics of a sample set, in the sample's unit. */
struct bench_stats {
	double	median;
	double	p90;
};

/* A trigger_all size and the rounds measured for it. */
struct bench_size {
	size_t	agents;
	size_t	rounds;
	size_t	warmup;
};

static const struct bench_size bench_sizes[] = {
	{ 1, 1000, 20 },
	{ 1000, 300, 10 },
	{ 100000, 30, 2 },
	{ BENCH_MAX_AGENTS, 11, 1 },
};

/* Where the servers run relative to the client during round trips. */
enum bench_placement {
	BENCH_SAME_CPU,
	BENCH_SPLIT_CPUS,
};

static const char		*bench_creamasd;
static int			 bench_cpus[2] = { -1, -1 };
static struct bench_daemon	*bench_daemons[BENCH_MAX_DAEMONS];
static struct bench_echo	 bench_echo_server;
static struct bench_row		 bench_rows[BENCH_MAX_ROWS];
static size_t			 bench_nrows;
static char			*bench_failures[BENCH_MAX_FAILURES];
static size_t			 bench_nfailures;

static void	bench_daemon_reap(struct bench_daemon *, int);

/* Find two CPUs this process may run on (the second -1 if only one). */
static void
bench_cpus_init(void)
{
	cpu_set_t	set;
	int		cpu, n = 0;

	if (sched_getaffinity(0, sizeof set, &set) == -1)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
		if (CPU_ISSET(cpu, &set))
			bench_cpus[n++] = cpu;
	}
}

/* Pin every thread of a process (0: this one) to one CPU, if known. */
static void
bench_pin(pid_t pid, int cpu)
{
	cpu_set_t	 set;
	DIR		*dir;
	struct dirent	*entry;
	char		 path[64];

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pid == 0) {
		sched_setaffinity(0, sizeof set, &set);
		return;
	}
	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] != '.')
			sched_setaffinity((pid_t)atol(entry->d_name),
			    sizeof set, &set);
	}
	closedir(dir);
}

/* Return the CPU for servers: the client's own, or the other one. */
static int
bench_server_cpu(enum bench_placement placement)
{
	if (placement == BENCH_SPLIT_CPUS && bench_cpus[1] >= 0)
		return (bench_cpus[1]);
	return (bench_cpus[0]);
}

/* Record a functional failure; the run goes on but will exit 1. */
static void
bench_fail(const char *fmt, ...)
{
	va_list	 ap;
	char	*message;

	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	fprintf(stderr, "bench_slave: FAIL: %s\n", message);
	if (bench_nfailures < BENCH_MAX_FAILURES)
		bench_failures[bench_nfailures++] = message;
	else
		free(message);
}

/* Describe how a child exited, for failure messages. */
static const char *
bench_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "wait status 0x%x", status);
	return (buf);
}

/* Stop the echo server: it has no protocol, so a signal. */
static void
bench_echo_stop(void)
{
	struct bench_echo	*echo = &bench_echo_server;

	if (echo->conn.fd != -1) {
		close(echo->conn.fd);
		echo->conn.fd = -1;
	}
	if (echo->pid > 0) {
		kill(echo->pid, SIGTERM);
		while (waitpid(echo->pid, NULL, 0) == -1 && errno == EINTR)
			continue;
		echo->pid = 0;
	}
}

/* Give up: say why and what state each daemon is in, then clean up. */
void
bench_fatal(const char *fmt, ...)
{
	struct bench_daemon	*daemon;
	va_list			 ap;
	char			 buf[128];
	size_t			 i;

	fprintf(stderr, "bench_slave: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	for (i = 0; i < BENCH_MAX_DAEMONS; i++) {
		if ((daemon = bench_daemons[i]) == NULL)
			continue;
		if (!daemon->reaped &&
		    waitpid(daemon->pid, &daemon->status, WNOHANG) ==
		    daemon->pid)
			daemon->reaped = 1;
		if (daemon->reaped)
			fprintf(stderr, "bench_slave: %s (pid %ld) %s\n",
			    daemon->name, (long)daemon->pid,
			    bench_describe_status(daemon->status, buf,
			    sizeof buf));
		else
			fprintf(stderr, "bench_slave: %s (pid %ld) still "
			    "running; terminating it\n", daemon->name,
			    (long)daemon->pid);
		benchlib_print_tail(daemon->log_path, 0,
		    "bench_slave: last stderr lines of %s (pid %ld):\n",
		    daemon->name, (long)daemon->pid);
		bench_daemon_reap(daemon, SIGTERM);
		unlink(daemon->log_path);
	}
	bench_echo_stop();
	exit(1);
}

/* Wait for a daemon to exit, signalling it first when sig is not 0. */
static void
bench_daemon_reap(struct bench_daemon *daemon, int sig)
{
	uint64_t	deadline;
	pid_t		pid;

	if (daemon->reaped)
		return;
	if (sig != 0)
		kill(daemon->pid, sig);
	deadline = benchlib_now_ns() +
	    (uint64_t)BENCH_STOP_TIMEOUT * 1000000000;
	for (;;) {
		pid = waitpid(daemon->pid, &daemon->status, WNOHANG);
		if (pid == daemon->pid) {
			daemon->reaped = 1;
			return;
		}
		if (pid == -1 && errno != EINTR) {
			daemon->reaped = 1;
			daemon->status = 0;
			return;
		}
		if (benchlib_now_ns() > deadline)
			break;
		benchlib_sleep_ms(5);
	}
	bench_fail("%s (pid %ld) did not exit within %d s; SIGKILL",
	    daemon->name, (long)daemon->pid, BENCH_STOP_TIMEOUT);
	kill(daemon->pid, SIGKILL);
	while (waitpid(daemon->pid, &daemon->status, 0) == -1 &&
	    errno == EINTR)
		continue;
	daemon->reaped = 1;
}

/* Start the echo server: a forked child with a blocking loop. */
static void
bench_echo_start(void)
{
	struct bench_echo	*echo = &bench_echo_server;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	char			 buf[64 * 1024];
	ssize_t			 n, done, w;
	int			 listener, fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bench_fatal("echo: socket: %s", strerror(errno));
	if (bind(listener, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(listener, 16) == -1 ||
	    getsockname(listener, (struct sockaddr *)&sin, &len) == -1)
		bench_fatal("echo: listen: %s", strerror(errno));
	echo->port = ntohs(sin.sin_port);
	echo->next_id = BENCH_ID_FIRST;
	echo->conn.fd = -1;
	fflush(NULL);
	switch (echo->pid = fork()) {
	case -1:
		bench_fatal("echo: fork: %s", strerror(errno));
	case 0:
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			if ((fd = accept(listener, NULL, NULL)) == -1) {
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			while ((n = read(fd, buf, sizeof buf)) != 0) {
				if (n == -1 && errno == EINTR)
					continue;
				if (n == -1)
					break;
				for (done = 0; done < n; done += w) {
					w = write(fd, buf + done,
					    (size_t)(n - done));
					if (w == -1 && errno == EINTR)
						w = 0;
					else if (w == -1)
						break;
				}
			}
			close(fd);
		}
	default:
		break;
	}
	close(listener);
	benchlib_conn_open(&echo->conn, echo->port, "echo server",
	    BENCH_READ_TIMEOUT);
}

/* Start a creamasd slave on a free loopback port and connect to it. */
static struct bench_daemon *
bench_daemon_start(const char *name)
{
	const char		*argv[] = { bench_creamasd, "-d", "--listen",
				    "127.0.0.1:0", NULL }, *why;
	struct bench_daemon	*daemon;
	char			 line[LAUNCH_LINE_MAX];
	size_t			 i;
	int			 out[2], logfd;

	daemon = xcalloc(1, sizeof *daemon);
	snprintf(daemon->name, sizeof daemon->name, "creamasd[%s]", name);
	snprintf(daemon->log_path, sizeof daemon->log_path,
	    "/tmp/bench_slave.XXXXXX");
	if ((logfd = mkstemp(daemon->log_path)) == -1)
		bench_fatal("mkstemp: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) == -1)
		bench_fatal("pipe: %s", strerror(errno));
	if ((daemon->pid = launch_spawn(argv, out[1], logfd)) == -1)
		bench_fatal("fork: %s", strerror(errno));
	bench_pin(daemon->pid, bench_server_cpu(BENCH_SPLIT_CPUS));
	close(out[1]);
	close(logfd);
	for (i = 0; i < BENCH_MAX_DAEMONS; i++) {
		if (bench_daemons[i] == NULL) {
			bench_daemons[i] = daemon;
			break;
		}
	}

	/* The first stdout line is the bound port. */
	if (launch_read_port(out[0], 10, &daemon->port, line, &why) != 0)
		bench_fatal("%s: no port on stdout (got '%s'; %s)",
		    daemon->name, line, why);
	close(out[0]);
	daemon->next_id = BENCH_ID_FIRST;
	benchlib_conn_open(&daemon->conn, daemon->port, daemon->name,
	    BENCH_READ_TIMEOUT);
	return (daemon);
}

/*
 * Call a method and return its result (a reference the caller owns);
 * params are taken. Any error reply or malformed reply is fatal. The
 * round trip up to the reply's last byte is stored in rtt_ns if given.
 */
static struct json_object *
bench_rpc(struct bench_daemon *daemon, const char *method,
    struct json_object *params, uint64_t *rtt_ns)
{
	struct json_object	*request, *reply, *value, *result;
	struct json_object	*error;
	const char		*text;
	char			*line;
	size_t			 len;
	uint64_t		 start;
	int64_t			 id = daemon->next_id++;

	request = json_object_new_object();
	json_object_object_add(request, "jsonrpc",
	    json_object_new_string("2.0"));
	json_object_object_add(request, "id", json_object_new_int64(id));
	json_object_object_add(request, "method",
	    json_object_new_string(method));
	json_object_object_add(request, "params",
	    params != NULL ? params : json_object_new_object());
	text = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	xasprintf(&line, "%s\n", text);
	json_object_put(request);

	start = benchlib_now_ns();
	benchlib_conn_write(&daemon->conn, line, strlen(line));
	free(line);
	if ((line = benchlib_conn_read_line(&daemon->conn, &len)) == NULL)
		bench_fatal("%s: connection closed during %s", daemon->name,
		    method);
	if (rtt_ns != NULL)
		*rtt_ns = benchlib_now_ns() - start;

	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_is_type(reply, json_type_object))
		bench_fatal("%s: %s: unparseable reply '%.200s'",
		    daemon->name, method, line);
	if (!json_object_object_get_ex(reply, "id", &value) ||
	    json_object_get_int64(value) != id)
		bench_fatal("%s: %s: reply with the wrong id: '%.200s'",
		    daemon->name, method, line);
	if (json_object_object_get_ex(reply, "error", &error)) {
		bench_fatal("%s: %s: error reply %s", daemon->name, method,
		    json_object_to_json_string_ext(error,
		    JSON_C_TO_STRING_PLAIN));
	}
	if (!json_object_object_get_ex(reply, "result", &result))
		bench_fatal("%s: %s: reply without a result: '%.200s'",
		    daemon->name, method, line);
	json_object_get(result);
	json_object_put(reply);
	return (result);
}

/* Return an integer member of a result object; a missing one is fatal. */
static int64_t
bench_member_int(struct bench_daemon *daemon, struct json_object *object,
    const char *method, const char *key)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_int))
		bench_fatal("%s: %s: no integer '%s' in %s", daemon->name,
		    method, key, json_object_to_json_string_ext(object,
		    JSON_C_TO_STRING_PLAIN));
	return (json_object_get_int64(value));
}

/* Stop a daemon with the stop method, then wait for it to exit 0. */
static void
bench_daemon_stop(struct bench_daemon *daemon)
{
	struct json_object	*result;
	char			 buf[128];
	size_t			 i;

	result = bench_rpc(daemon, "stop", NULL, NULL);
	if (!json_object_is_type(result, json_type_boolean) ||
	    !json_object_get_boolean(result))
		bench_fail("%s: stop returned %s, not true", daemon->name,
		    json_object_to_json_string(result));
	json_object_put(result);
	benchlib_conn_close(&daemon->conn);
	bench_daemon_reap(daemon, 0);
	if (!WIFEXITED(daemon->status) || WEXITSTATUS(daemon->status) != 0) {
		bench_fail("%s (pid %ld) %s after stop", daemon->name,
		    (long)daemon->pid, bench_describe_status(daemon->status,
		    buf, sizeof buf));
		benchlib_print_tail(daemon->log_path, 0,
		    "bench_slave: last stderr lines of %s (pid %ld):\n",
		    daemon->name, (long)daemon->pid);
	}
	unlink(daemon->log_path);
	for (i = 0; i < BENCH_MAX_DAEMONS; i++) {
		if (bench_daemons[i] == daemon)
			bench_daemons[i] = NULL;
	}
	free(daemon);
}

/* Sort samples in place and return their median and 90th percentile. */
static struct bench_stats
bench_stats(uint64_t *samples, size_t n)
{
	struct bench_stats	stats;

	qsort(samples, n, sizeof *samples, benchlib_compare_u64);
	if (n % 2 == 1)
		stats.median = (double)samples[n / 2];
	else
		stats.median = ((double)samples[n / 2 - 1] +
		    (double)samples[n / 2]) / 2;
	stats.p90 = (double)samples[(n - 1) * 9 / 10];
	return (stats);
}

/* Add a row to the result table. */
static void
bench_row(const char *measure, const char *creamasd, const char *baseline,
    const char *target, const char *ok)
{
	struct bench_row	*row;

	if (bench_nrows == BENCH_MAX_ROWS)
		bench_fatal("%s: too many table rows", __func__);
	row = &bench_rows[bench_nrows++];
	snprintf(row->measure, sizeof row->measure, "%s", measure);
	snprintf(row->creamasd, sizeof row->creamasd, "%s", creamasd);
	snprintf(row->baseline, sizeof row->baseline, "%s", baseline);
	snprintf(row->target, sizeof row->target, "%s", target);
	snprintf(row->ok, sizeof row->ok, "%s", ok);
}

/* Add a row of numbers with a printf format for both values. */
static void
bench_row_numbers(const char *measure, const char *format, double creamasd,
    double baseline, const char *target, const char *ok)
{
	char	a[32], b[32];

	snprintf(a, sizeof a, format, creamasd);
	if (baseline < 0)
		snprintf(b, sizeof b, "-");
	else
		snprintf(b, sizeof b, format, baseline);
	bench_row(measure, a, b, target, ok);
}

/*
 * Time n is_ready round trips on one connection: write one line, read one
 * line. The echo server and the daemon go through exactly this code; the
 * reply is checked (expected text and id) only after the clock stops.
 */
static void
bench_round_trips(struct benchlib_conn *conn, int64_t *next_id,
    const char *expect, uint64_t *samples, size_t n)
{
	char		 request[128], id[32];
	char		*line;
	size_t		 i, len, request_len;
	uint64_t	 start, end;

	for (i = 0; i < n; i++) {
		request_len = (size_t)snprintf(request, sizeof request,
		    BENCH_IS_READY_FORMAT, *next_id);
		start = benchlib_now_ns();
		benchlib_conn_write(conn, request, request_len);
		line = benchlib_conn_read_line(conn, &len);
		end = benchlib_now_ns();
		if (line == NULL)
			bench_fatal("%s: connection closed during is_ready",
			    conn->peer);
		snprintf(id, sizeof id, "\"id\":%" PRId64, (*next_id)++);
		if (strstr(line, expect) == NULL || strstr(line, id) == NULL)
			bench_fatal("%s: is_ready: unexpected reply '%.200s'",
			    conn->peer, line);
		if (samples != NULL)
			samples[i] = end - start;
	}
}

/* Set or clear O_NONBLOCK on a descriptor. */
static void
bench_set_nonblocking(int fd, int on)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) ==
	    -1)
		bench_fatal("fcntl: %s", strerror(errno));
}

/*
 * Send the n request lines in requests (line i ends at ends[i]) with at
 * most window unanswered, reading replies as they come; every reply must
 * contain expect. Return the elapsed nanoseconds.
 */
static uint64_t
bench_pipeline(struct benchlib_conn *conn, const char *requests,
    const size_t *ends, size_t n, size_t window, const char *expect)
{
	struct pollfd	 pfd;
	char		*buf = conn->buf, *line, *newline;
	size_t		 size = conn->size, have = 0, sent_bytes = 0;
	size_t		 sent = 0, received = 0, matched = 0, limit, used;
	size_t		 expect_len = strlen(expect);
	uint64_t	 start;
	ssize_t		 nbytes;

	if (conn->start != conn->end)
		bench_fatal("%s: unread data before the pipeline", conn->peer);
	bench_set_nonblocking(conn->fd, 1);
	pfd.fd = conn->fd;
	start = benchlib_now_ns();
	while (received < n) {
		limit = received + window < n ? received + window : n;
		pfd.events = POLLIN;
		if (sent < limit)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, BENCH_READ_TIMEOUT * 1000) != 1) {
			if (errno == EINTR)
				continue;
			bench_fatal("%s: pipeline stalled: %zu sent, %zu "
			    "received", conn->peer, sent, received);
		}
		if (pfd.revents & POLLOUT && sent < limit) {
			nbytes = write(conn->fd, requests + sent_bytes,
			    ends[limit - 1] - sent_bytes);
			if (nbytes == -1 && errno != EAGAIN && errno != EINTR)
				bench_fatal("%s: write: %s", conn->peer,
				    strerror(errno));
			if (nbytes > 0)
				sent_bytes += (size_t)nbytes;
			while (sent < n && ends[sent] <= sent_bytes)
				sent++;
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		nbytes = read(conn->fd, buf + have, size - have);
		if (nbytes == 0)
			bench_fatal("%s: connection closed in the pipeline "
			    "after %zu replies", conn->peer, received);
		if (nbytes == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			bench_fatal("%s: read: %s", conn->peer,
			    strerror(errno));
		}
		have += (size_t)nbytes;
		line = buf;
		while ((newline = memchr(line, '\n',
		    have - (size_t)(line - buf))) != NULL) {
			received++;
			if (memmem(line, (size_t)(newline - line), expect,
			    expect_len) != NULL)
				matched++;
			line = newline + 1;
		}
		used = (size_t)(line - buf);
		if (used == 0 && have == size)
			bench_fatal("%s: reply longer than %zu bytes",
			    conn->peer, size);
		memmove(buf, line, have - used);
		have -= used;
	}
	start = benchlib_now_ns() - start;
	bench_set_nonblocking(conn->fd, 0);
	if (have != 0 || matched != n)
		bench_fatal("%s: pipeline: %zu of %zu replies as expected "
		    "('%s'), %zu bytes left over", conn->peer, matched, n,
		    expect, have);
	return (start);
}

/* The baseline's act: nothing, through a function pointer like a type's. */
static __attribute__((noinline)) int
bench_record_act(struct bench_record *record, void *args, void **result)
{
	*result = NULL;
	__asm__ volatile("" ::: "memory");
	return (0);
}

/* One baseline round: act on the first n records, as round_act_all does. */
static uint64_t
bench_record_round(struct bench_record **records, size_t n)
{
	void		*result;
	size_t		 i, failed = 0;
	uint64_t	 start = benchlib_now_ns();

	for (i = 0; i < n; i++) {
		if (records[i]->act(records[i], NULL, &result) != 0)
			failed++;
		if (result != NULL)
			free(result);
	}
	if (failed != 0)
		bench_fatal("%s: baseline act failed", __func__);
	return (benchlib_now_ns() - start);
}

/* Spawn agents of a type in chunks until the daemon has total of them. */
static void
bench_spawn_to(struct bench_daemon *daemon, const char *type, size_t have,
    size_t total)
{
	struct json_object	*params, *result, *last;
	char			 expected[96];
	size_t			 n;

	while (have < total) {
		n = total - have < BENCH_SPAWN_CHUNK ? total - have :
		    BENCH_SPAWN_CHUNK;
		params = json_object_new_object();
		json_object_object_add(params, "type",
		    json_object_new_string(type));
		json_object_object_add(params, "n",
		    json_object_new_int64((int64_t)n));
		result = bench_rpc(daemon, "spawn_n", params, NULL);
		if (!json_object_is_type(result, json_type_array) ||
		    json_object_array_length(result) != n)
			bench_fatal("%s: spawn_n %zu %s: %zu addresses back",
			    daemon->name, n, type,
			    json_object_is_type(result, json_type_array) ?
			    json_object_array_length(result) : 0);
		have += n;
		snprintf(expected, sizeof expected, "tcp://127.0.0.1:%u/%zu",
		    daemon->port, have);
		last = json_object_array_get_idx(result, n - 1);
		if (!json_object_is_type(last, json_type_string) ||
		    strcmp(json_object_get_string(last), expected) != 0)
			bench_fatal("%s: spawn_n: last address %s, expected %s",
			    daemon->name, json_object_to_json_string(last),
			    expected);
		json_object_put(result);
	}
}

/*
 * Run one trigger_all on a daemon with agents agents, check its reply and
 * return the daemon's elapsed_us; the client's round trip goes in rtt_ns.
 */
static uint64_t
bench_trigger_all(struct bench_daemon *daemon, size_t agents,
    int64_t *round, uint64_t *rtt_ns)
{
	struct json_object	*result, *errors;
	int64_t			 elapsed;

	result = bench_rpc(daemon, "trigger_all", NULL, rtt_ns);
	if (!json_object_is_type(result, json_type_object))
		bench_fatal("%s: trigger_all: result %s is not an object",
		    daemon->name, json_object_to_json_string(result));
	if (bench_member_int(daemon, result, "trigger_all", "agents") !=
	    (int64_t)agents ||
	    bench_member_int(daemon, result, "trigger_all", "failed") != 0 ||
	    bench_member_int(daemon, result, "trigger_all", "round") !=
	    *round + 1 ||
	    !json_object_object_get_ex(result, "errors", &errors) ||
	    !json_object_is_type(errors, json_type_array) ||
	    json_object_array_length(errors) != 0)
		bench_fatal("%s: trigger_all on %zu agents (round %" PRId64
		    " expected): %.300s", daemon->name, agents, *round + 1,
		    json_object_to_json_string_ext(result,
		    JSON_C_TO_STRING_PLAIN));
	elapsed = bench_member_int(daemon, result, "trigger_all",
	    "elapsed_us");
	if (elapsed < 0)
		bench_fatal("%s: trigger_all: elapsed_us %" PRId64,
		    daemon->name, elapsed);
	(*round)++;
	json_object_put(result);
	return ((uint64_t)elapsed);
}

/* Check status agrees with what was spawned and return its rss_bytes. */
static uint64_t
bench_status(struct bench_daemon *daemon, size_t agents)
{
	struct json_object	*result;
	int64_t			 n, rss;

	result = bench_rpc(daemon, "status", NULL, NULL);
	n = bench_member_int(daemon, result, "status", "agents");
	rss = bench_member_int(daemon, result, "status", "rss_bytes");
	if (n != (int64_t)agents)
		bench_fail("%s: status says %" PRId64 " agents, %zu spawned",
		    daemon->name, n, agents);
	if (bench_member_int(daemon, result, "status", "pid") !=
	    (int64_t)daemon->pid)
		bench_fail("%s: status pid differs from %ld", daemon->name,
		    (long)daemon->pid);
	json_object_put(result);
	return (rss < 0 ? 0 : (uint64_t)rss);
}

/*
 * Measure is_ready round trips against the echo floor, in alternating
 * blocks, with both servers on the client's CPU or on another one; a
 * wake-up across CPUs costs far more than one on the same CPU on some
 * virtual machines, so the placement must be the same for both.
 */
static void
bench_latency(struct bench_daemon *daemon, enum bench_placement placement,
    double *floor_median)
{
	struct bench_echo	*echo = &bench_echo_server;
	struct bench_stats	 ours, floor;
	uint64_t		*samples_ours, *samples_floor;
	size_t			 total = BENCH_LATENCY_BLOCK *
				    BENCH_LATENCY_BLOCKS, i;
	const char		*where;
	char			 measure[64];
	double			 ratio;

	where = placement == BENCH_SAME_CPU ? "1 CPU" : "2 CPUs";
	if (placement == BENCH_SPLIT_CPUS && bench_cpus[1] < 0) {
		printf("# only one CPU allowed: no round trips across CPUs\n");
		return;
	}
	bench_pin(0, bench_cpus[0]);
	bench_pin(daemon->pid, bench_server_cpu(placement));
	bench_pin(echo->pid, bench_server_cpu(placement));
	samples_ours = xcalloc(total, sizeof *samples_ours);
	samples_floor = xcalloc(total, sizeof *samples_floor);
	bench_round_trips(&daemon->conn, &daemon->next_id, "\"result\":true",
	    NULL, BENCH_LATENCY_WARMUP);
	bench_round_trips(&echo->conn, &echo->next_id, "\"is_ready\"", NULL,
	    BENCH_LATENCY_WARMUP);
	/* Alternate blocks so that machine noise hits both alike. */
	for (i = 0; i < BENCH_LATENCY_BLOCKS; i++) {
		bench_round_trips(&daemon->conn, &daemon->next_id,
		    "\"result\":true", samples_ours + i * BENCH_LATENCY_BLOCK,
		    BENCH_LATENCY_BLOCK);
		bench_round_trips(&echo->conn, &echo->next_id, "\"is_ready\"",
		    samples_floor + i * BENCH_LATENCY_BLOCK,
		    BENCH_LATENCY_BLOCK);
	}
	ours = bench_stats(samples_ours, total);
	floor = bench_stats(samples_floor, total);
	printf("# is_ready round trips, servers on %s CPU %d (client CPU %d): "
	    "%zu samples each after %d warm-up, %d-byte request\n",
	    placement == BENCH_SAME_CPU ? "the client's" : "another",
	    bench_server_cpu(placement), bench_cpus[0], total,
	    BENCH_LATENCY_WARMUP, snprintf(NULL, 0, BENCH_IS_READY_FORMAT,
	    (int64_t)BENCH_ID_FIRST));
	snprintf(measure, sizeof measure, "is_ready round trip, %s: median "
	    "(us)", where);
	bench_row_numbers(measure, "%.1f", ours.median / 1000,
	    floor.median / 1000, "-", "-");
	snprintf(measure, sizeof measure, "is_ready round trip, %s: p90 (us)",
	    where);
	bench_row_numbers(measure, "%.1f", ours.p90 / 1000, floor.p90 / 1000,
	    "-", "-");
	ratio = ours.median / floor.median;
	snprintf(measure, sizeof measure, "is_ready / floor, %s: median",
	    where);
	bench_row_numbers(measure, "%.2f", ratio, 1.0, "<= 1.50",
	    ratio <= 1.5 ? "yes" : "NO");
	snprintf(measure, sizeof measure, "is_ready / floor, %s: p90", where);
	bench_row_numbers(measure, "%.2f", ours.p90 / floor.p90, 1.0, "-",
	    "-");
	*floor_median = floor.median;
	free(samples_ours);
	free(samples_floor);
}

/* Measure pipelined is_ready calls per second against the echo server. */
static void
bench_pipelined(struct bench_daemon *daemon)
{
	struct bench_echo	*echo = &bench_echo_server;
	struct bench_stats	 ours, floor;
	uint64_t		 samples_ours[BENCH_PIPELINE_REPEATS];
	uint64_t		 samples_floor[BENCH_PIPELINE_REPEATS];
	size_t			*ends, used = 0, size, i;
	char			*requests;
	int			 len;

	len = snprintf(NULL, 0, BENCH_IS_READY_FORMAT,
	    (int64_t)BENCH_ID_FIRST);
	size = (size_t)len * BENCH_PIPELINE_CALLS + 1;
	requests = xmalloc(size);
	ends = xcalloc(BENCH_PIPELINE_CALLS, sizeof *ends);
	for (i = 0; i < BENCH_PIPELINE_CALLS; i++) {
		used += (size_t)snprintf(requests + used, size - used,
		    BENCH_IS_READY_FORMAT, (int64_t)(BENCH_ID_FIRST * 2 + i));
		ends[i] = used;
	}
	for (i = 0; i < BENCH_PIPELINE_REPEATS; i++) {
		samples_ours[i] = bench_pipeline(&daemon->conn, requests,
		    ends, BENCH_PIPELINE_CALLS, BENCH_PIPELINE_WINDOW,
		    "\"result\":true");
		samples_floor[i] = bench_pipeline(&echo->conn, requests, ends,
		    BENCH_PIPELINE_CALLS, BENCH_PIPELINE_WINDOW,
		    "\"is_ready\"");
	}
	ours = bench_stats(samples_ours, BENCH_PIPELINE_REPEATS);
	floor = bench_stats(samples_floor, BENCH_PIPELINE_REPEATS);
	printf("# pipelined: %d is_ready per run, window %d, %d runs each\n",
	    BENCH_PIPELINE_CALLS, BENCH_PIPELINE_WINDOW,
	    BENCH_PIPELINE_REPEATS);
	bench_row_numbers("pipelined is_ready (calls/s)", "%.0f",
	    BENCH_PIPELINE_CALLS * 1e9 / ours.median,
	    BENCH_PIPELINE_CALLS * 1e9 / floor.median, "-", "-");
	free(requests);
	free(ends);
}

/* Allocate the baseline records, one allocation each like agents. */
static struct bench_record **
bench_records_new(double *bytes_per_record)
{
	struct bench_record	**records;
	uint64_t		  before, after;
	size_t			  i;

	before = benchlib_rss(getpid(), 1);
	records = xcalloc(BENCH_MAX_AGENTS, sizeof *records);
	for (i = 0; i < BENCH_MAX_AGENTS; i++) {
		records[i] = xcalloc(1, sizeof **records);
		records[i]->act = bench_record_act;
		records[i]->id = (uint32_t)i + 1;
	}
	after = benchlib_rss(getpid(), 1);
	*bytes_per_record = after > before ?
	    (double)(after - before) / BENCH_MAX_AGENTS : 0;
	return (records);
}

/* Free the baseline records. */
static void
bench_records_free(struct bench_record **records)
{
	size_t	i;

	for (i = 0; i < BENCH_MAX_AGENTS; i++)
		free(records[i]);
	free(records);
}

/* Rounds of trigger_all on growing numbers of noop agents, and memory. */
static void
bench_noop_rounds(struct bench_record **records, double floor_median,
    double bytes_per_record)
{
	struct bench_daemon	*daemon;
	const struct bench_size	*size;
	struct bench_stats	 elapsed, rtt, loop;
	uint64_t		*samples_elapsed, *samples_rtt, *samples_loop;
	uint64_t		 rss_before, rss_after = 0, rss_status = 0;
	uint64_t		 start;
	uint64_t		 spawn_ns = 0;
	size_t			 have = 0, i, s;
	int64_t			 round = 0;
	double			 per_agent, baseline_per_agent;
	char			 measure[64];

	daemon = bench_daemon_start("noop");
	bench_round_trips(&daemon->conn, &daemon->next_id, "\"result\":true",
	    NULL, 100);
	rss_before = benchlib_rss(daemon->pid, 1);
	for (s = 0; s < sizeof bench_sizes / sizeof bench_sizes[0]; s++) {
		size = &bench_sizes[s];
		start = benchlib_now_ns();
		bench_spawn_to(daemon, "noop", have, size->agents);
		spawn_ns += benchlib_now_ns() - start;
		have = size->agents;
		if (have == BENCH_MAX_AGENTS) {
			rss_after = benchlib_rss(daemon->pid, 1);
			rss_status = bench_status(daemon, have);
		}
		samples_elapsed = xcalloc(size->rounds,
		    sizeof *samples_elapsed);
		samples_rtt = xcalloc(size->rounds, sizeof *samples_rtt);
		samples_loop = xcalloc(size->rounds, sizeof *samples_loop);
		for (i = 0; i < size->warmup; i++) {
			bench_trigger_all(daemon, have, &round, NULL);
			bench_record_round(records, have);
		}
		for (i = 0; i < size->rounds; i++) {
			samples_elapsed[i] = 1000 * bench_trigger_all(daemon,
			    have, &round, &samples_rtt[i]);
			samples_loop[i] = bench_record_round(records, have);
		}
		elapsed = bench_stats(samples_elapsed, size->rounds);
		rtt = bench_stats(samples_rtt, size->rounds);
		loop = bench_stats(samples_loop, size->rounds);
		printf("# trigger_all on %zu noop agents: %zu rounds after "
		    "%zu warm-up\n", have, size->rounds, size->warmup);
		snprintf(measure, sizeof measure,
		    "trigger_all %zu: elapsed_us median", have);
		bench_row_numbers(measure, "%.0f", elapsed.median / 1000,
		    loop.median / 1000, "-", "-");
		snprintf(measure, sizeof measure,
		    "trigger_all %zu: round trip median (us)", have);
		bench_row_numbers(measure, "%.0f", rtt.median / 1000,
		    (floor_median + loop.median) / 1000, "-", "-");
		per_agent = elapsed.median / (double)have;
		baseline_per_agent = loop.median / (double)have;
		snprintf(measure, sizeof measure,
		    "trigger_all %zu: ns/agent/round", have);
		if (have >= 1000)
			bench_row_numbers(measure, "%.1f", per_agent,
			    baseline_per_agent, "<= 20",
			    per_agent <= 20 ? "yes" : "NO");
		else
			bench_row_numbers(measure, "%.1f", per_agent,
			    baseline_per_agent, "-", "-");
		free(samples_elapsed);
		free(samples_rtt);
		free(samples_loop);
	}
	printf("# spawned %zu noop agents in %.2f s (%.0f agents/s, chunks "
	    "of %d)\n", have, spawn_ns / 1e9, have * 1e9 / (double)spawn_ns,
	    BENCH_SPAWN_CHUNK);
	printf("# noop daemon VmRSS: %.1f MiB before spawning, %.1f MiB after "
	    "%zu agents (status rss_bytes %.1f MiB), %.1f MiB after the "
	    "rounds\n", rss_before / 1048576.0, rss_after / 1048576.0, have,
	    rss_status / 1048576.0, benchlib_rss(daemon->pid, 1) / 1048576.0);
	per_agent = rss_after > rss_before ?
	    (double)(rss_after - rss_before) / (double)have : 0;
	bench_row_numbers("RSS per noop agent (bytes)", "%.1f", per_agent,
	    bytes_per_record, "<= 128", per_agent <= 128 ? "yes" : "NO");
	bench_daemon_stop(daemon);
}

/* Memory and rounds for counter agents, in a fresh daemon. */
static void
bench_counter(double bytes_per_record)
{
	struct bench_daemon	*daemon;
	struct bench_stats	 elapsed;
	uint64_t		 samples[BENCH_COUNTER_ROUNDS];
	uint64_t		 rss_before, rss_after, start, spawn_ns;
	int64_t			 round = 0;
	size_t			 i;
	double			 per_agent;

	daemon = bench_daemon_start("counter");
	bench_round_trips(&daemon->conn, &daemon->next_id, "\"result\":true",
	    NULL, 100);
	rss_before = benchlib_rss(daemon->pid, 1);
	start = benchlib_now_ns();
	bench_spawn_to(daemon, "counter", 0, BENCH_MAX_AGENTS);
	spawn_ns = benchlib_now_ns() - start;
	rss_after = benchlib_rss(daemon->pid, 1);
	bench_status(daemon, BENCH_MAX_AGENTS);
	bench_trigger_all(daemon, BENCH_MAX_AGENTS, &round, NULL);
	for (i = 0; i < BENCH_COUNTER_ROUNDS; i++)
		samples[i] = 1000 * bench_trigger_all(daemon, BENCH_MAX_AGENTS,
		    &round, NULL);
	elapsed = bench_stats(samples, BENCH_COUNTER_ROUNDS);
	printf("# spawned %d counter agents in %.2f s; VmRSS %.1f -> %.1f "
	    "MiB; %d rounds after 1 warm-up\n", BENCH_MAX_AGENTS,
	    spawn_ns / 1e9, rss_before / 1048576.0, rss_after / 1048576.0,
	    BENCH_COUNTER_ROUNDS);
	per_agent = rss_after > rss_before ?
	    (double)(rss_after - rss_before) / BENCH_MAX_AGENTS : 0;
	bench_row_numbers("RSS per counter agent (bytes)", "%.1f", per_agent,
	    bytes_per_record, "-", "-");
	bench_row_numbers("trigger_all 1000000 counter: ns/agent", "%.1f",
	    elapsed.median / BENCH_MAX_AGENTS, -1, "-", "-");
	bench_daemon_stop(daemon);
}

/* Print the result table. */
static void
bench_print_table(void)
{
	const struct bench_row	*row;
	size_t			 i;

	printf("\n%-44s | %10s | %10s | %7s | %s\n", "measure", "creamasd",
	    "baseline", "target", "ok?");
	printf("%.44s-+-%.10s-+-%.10s-+-%.7s-+-%s\n",
	    "--------------------------------------------------", "----------",
	    "----------", "-------", "---");
	for (i = 0; i < bench_nrows; i++) {
		row = &bench_rows[i];
		printf("%-44s | %10s | %10s | %7s | %s\n", row->measure,
		    row->creamasd, row->baseline, row->target, row->ok);
	}
	printf("\nbaselines: round trips and calls/s = a forked blocking "
	    "TCP echo server,\nsame client code, same CPU placement "
	    "(\"1 CPU\": "
	    "client and server share\none; \"2 CPUs\": they do not, as for "
	    "everything after); trigger_all\nelapsed = an in-process loop "
	    "calling an empty act through a function\npointer on as many heap "
	    "records; its round trip = echo median (2 CPUs) +\nthat loop; "
	    "RSS = "
	    "this process' VmRSS growth for 1000000 calloc(%zu)\nrecords and "
	    "their pointer array. Timings are medians on a shared\nmachine: "
	    "reported, not asserted.\n", sizeof(struct bench_record));
}

/* Run every measure and print the table; exit 1 on functional failure. */
int
main(int argc, char *argv[])
{
	struct bench_daemon	 *daemon;
	struct bench_record	**records;
	double			  floor_median, bytes_per_record;
	uint64_t		  start = benchlib_now_ns();
	size_t			  i;

	bench_creamasd = benchlib_begin(argv[0]);
	bench_cpus_init();
	printf("bench_slave: %s, %ld online CPUs\n", bench_creamasd,
	    sysconf(_SC_NPROCESSORS_ONLN));

	bench_echo_start();
	daemon = bench_daemon_start("latency");
	bench_latency(daemon, BENCH_SAME_CPU, &floor_median);
	/* From here on the client and the servers run on different CPUs. */
	bench_latency(daemon, BENCH_SPLIT_CPUS, &floor_median);
	bench_pipelined(daemon);
	bench_daemon_stop(daemon);

	records = bench_records_new(&bytes_per_record);
	bench_noop_rounds(records, floor_median, bytes_per_record);
	bench_records_free(records);
	bench_counter(bytes_per_record);
	bench_echo_stop();

	bench_print_table();
	printf("\nwall time %.1f s\n", (benchlib_now_ns() - start) / 1e9);
	if (bench_nfailures == 0)
		return (0);
	printf("\n%zu functional failure(s):\n", bench_nfailures);
	for (i = 0; i < bench_nfailures; i++)
		printf("  %s\n", bench_failures[i]);
	return (1);
}
