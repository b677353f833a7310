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

/* Helpers shared by the benchmark programs of bench/. */

#include <sys/types.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <inttypes.h>
#include <math.h>
#include <fcntl.h>
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
#include "sshd.h"
#include "xmalloc.h"

/*
 * What every benchmark does first: return the daemon's path from
 * $CREAMASD (or say how to run it and exit 1), ignore SIGPIPE and make
 * stdout line-buffered.
 */
const char *
benchlib_begin(const char *program)
{
	const char	*creamasd = getenv("CREAMASD");

	if (creamasd == NULL || *creamasd == '\0') {
		fprintf(stderr, "usage: CREAMASD=/path/to/creamasd %s\n",
		    program);
		exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return (creamasd);
}

/* The test SSH server (tests/sshd.c) could not go on: give up. */
void
sshd_failed(const char *message)
{
	bench_fatal("%s", message);
}

/* Return the monotonic clock in nanoseconds. */
uint64_t
benchlib_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* Sleep for a number of milliseconds. */
void
benchlib_sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * Read /proc/PID/stat into buf; return what follows the command's ")",
 * the state first, or NULL if the process is not there.
 */
static const char *
benchlib_stat(pid_t pid, char *buf, size_t size)
{
	char	 path[64], *paren;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((paren = strrchr(buf, ')')) == NULL)
		return (NULL);
	return (paren + 1);
}

/* Return 1 if a process exists and is not a zombie. */
int
benchlib_pid_alive(pid_t pid)
{
	const char	*fields;
	char		 buf[512], state;

	if ((fields = benchlib_stat(pid, buf, sizeof buf)) == NULL ||
	    sscanf(fields, " %c", &state) != 1)
		return (0);
	return (state != 'Z' && state != 'X');
}

/*
 * Return the CPU time a process has used (user and system, all its
 * threads), in ns: its CPU-time clock, the same time /proc/PID/stat
 * gives as utime + stime but to the ns rather than in clock ticks.
 */
uint64_t
benchlib_cpu_ns(pid_t pid)
{
	struct timespec	 ts;
	clockid_t	 clock;
	int		 error;

	if ((error = clock_getcpuclockid(pid, &clock)) != 0)
		bench_fatal("clock_getcpuclockid %ld: %s", (long)pid,
		    strerror(error));
	if (clock_gettime(clock, &ts) == -1)
		bench_fatal("the CPU time of %ld: %s", (long)pid,
		    strerror(errno));
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* Return a process's VmRSS in bytes; 0 if unknown, or fail if must is set. */
uint64_t
benchlib_rss(pid_t pid, int must)
{
	FILE			*f;
	char			 path[64], line[256];
	unsigned long long	 kb;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL) {
		if (must)
			bench_fatal("%s: %s", path, strerror(errno));
		return (0);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
			fclose(f);
			return ((uint64_t)kb * 1024);
		}
	}
	fclose(f);
	if (must)
		bench_fatal("%s: no VmRSS line", path);
	return (0);
}

/* Compare two uint64_t samples, for qsort. */
int
benchlib_compare_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Compare two doubles, for qsort. */
int
benchlib_compare_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* Return the median of samples (the mean of the middle two), sorting them. */
double
benchlib_median(double *samples, size_t n)
{
	qsort(samples, n, sizeof *samples, benchlib_compare_double);
	return (n % 2 == 1 ? samples[n / 2] :
	    (samples[n / 2 - 1] + samples[n / 2]) / 2);
}

/* Return the q-quantile (0.5: the median) of samples, sorting them. */
double
benchlib_quantile(double *samples, size_t n, double q)
{
	qsort(samples, n, sizeof *samples, benchlib_compare_double);
	return (samples[(size_t)(q * (double)(n - 1) + 0.5)]);
}

/*
 * Give the mean of n samples and a 95 % confidence interval of it (the
 * t distribution's, for samples drawn from a normal one). Return -1
 * (the interval untouched) below 2 samples.
 */
int
benchlib_mean_ci(const double *samples, size_t n, double *mean, double *low,
    double *high)
{
	/* The t distribution's 97.5th percentile for 1 to 15 degrees. */
	static const double	 t975[] = { 12.706, 4.303, 3.182, 2.776,
				    2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
				    2.201, 2.179, 2.160, 2.145, 2.131 };
	double			 sum = 0, squares = 0, t, half;
	size_t			 i;

	for (i = 0; i < n; i++)
		sum += samples[i];
	*mean = n > 0 ? sum / (double)n : 0;
	if (n < 2)
		return (-1);
	for (i = 0; i < n; i++)
		squares += (samples[i] - *mean) * (samples[i] - *mean);
	t = n - 1 <= sizeof t975 / sizeof t975[0] ? t975[n - 2] : 2.0;
	half = t * sqrt(squares / (double)(n - 1) / (double)n);
	*low = *mean - half;
	*high = *mean + half;
	return (0);
}

/*
 * Give a 95 % confidence interval of the median of what n samples are
 * drawn from, sorting them: the samples whose ranks leave at most 2.5 %
 * of the binomial distribution of the count below the median outside
 * on each side. Return -1 (bounds untouched) below 6 samples, too few
 * for such an interval.
 */
int
benchlib_median_ci(double *samples, size_t n, double *low, double *high)
{
	double	 term = 1, below = 0;
	size_t	 k;

	for (k = 0; k < n; k++)
		term /= 2;
	/* term: the chance that exactly k samples lie below the median. */
	for (k = 0; k < n; k++) {
		below += term;
		if (below > 0.025)
			break;
		term *= (double)(n - k) / (double)(k + 1);
	}
	if (k == 0 || k >= n)
		return (-1);
	qsort(samples, n, sizeof *samples, benchlib_compare_double);
	*low = samples[k - 1];
	*high = samples[n - k];
	return (0);
}

/* Connect to a port on the loopback, failing after timeout idle seconds. */
void
benchlib_conn_open(struct benchlib_conn *conn, uint16_t port,
    const char *peer, int timeout)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { timeout, 0 };
	int			fd, one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bench_fatal("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		bench_fatal("%s: connect to port %u: %s", peer, port,
		    strerror(errno));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
		bench_fatal("%s: TCP_NODELAY: %s", peer, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1)
		bench_fatal("%s: SO_RCVTIMEO: %s", peer, strerror(errno));
	conn->fd = fd;
	conn->size = 64 * 1024;
	conn->buf = xmalloc(conn->size);
	conn->start = conn->end = 0;
	conn->peer = peer;
	conn->timeout = timeout;
}

/* Close a connection and free its buffer. */
void
benchlib_conn_close(struct benchlib_conn *conn)
{
	if (conn->fd != -1)
		close(conn->fd);
	conn->fd = -1;
	free(conn->buf);
	conn->buf = NULL;
}

/* Write all of buf to a connection. */
void
benchlib_conn_write(struct benchlib_conn *conn, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(conn->fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			bench_fatal("%s: write: %s", conn->peer,
			    strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Return the next line, its newline made a NUL and its length in *lenp. */
char *
benchlib_conn_read_line(struct benchlib_conn *conn, size_t *lenp)
{
	char	*line, *newline;
	size_t	 scanned = conn->start;
	ssize_t	 n;

	for (;;) {
		newline = memchr(conn->buf + scanned, '\n',
		    conn->end - scanned);
		if (newline != NULL) {
			line = conn->buf + conn->start;
			*newline = '\0';
			if (lenp != NULL)
				*lenp = (size_t)(newline - line);
			conn->start = (size_t)(newline + 1 - conn->buf);
			return (line);
		}
		if (conn->start == conn->end)
			conn->start = conn->end = 0;
		else if (conn->end == conn->size && conn->start > 0) {
			memmove(conn->buf, conn->buf + conn->start,
			    conn->end - conn->start);
			conn->end -= conn->start;
			conn->start = 0;
		} else if (conn->end == conn->size) {
			if (conn->size >= BENCHLIB_LINE_MAX)
				bench_fatal("%s: line longer than %d bytes",
				    conn->peer, BENCHLIB_LINE_MAX);
			conn->size *= 2;
			conn->buf = xrealloc(conn->buf, conn->size);
		}
		scanned = conn->end;
		n = read(conn->fd, conn->buf + conn->end,
		    conn->size - conn->end);
		if (n == 0)
			return (NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				bench_fatal("%s: no reply within %d s",
				    conn->peer, conn->timeout);
			bench_fatal("%s: read: %s", conn->peer,
			    strerror(errno));
		}
		conn->end += (size_t)n;
	}
}

/* Print a heading then the last 20 lines of a file on stderr, if any. */
void
benchlib_print_tail(const char *path, int skip_empty, const char *fmt, ...)
{
	char	 lines[20][512], line[512];
	size_t	 n = 0, i;
	FILE	*f;
	va_list	 ap;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		memcpy(lines[n++ % 20], line, sizeof line);
	fclose(f);
	if (n == 0 && skip_empty)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	for (i = n > 20 ? n - 20 : 0; i < n; i++)
		fprintf(stderr, "  | %s", lines[i % 20]);
}

/*
 * Daemons started for a benchmark: creamasd -d on an ephemeral loopback
 * port, a master with slaves or a plain slave, kept on a list so that a
 * failure can kill them all.
 */

static struct benchlib_daemon	*benchlib_daemons;

/* Kill a daemon and its slaves by pid and reap it. */
static void
benchlib_daemon_kill(struct benchlib_daemon *daemon)
{
	size_t	 i;

	if (!daemon->reaped) {
		kill(daemon->pid, SIGKILL);
		while (waitpid(daemon->pid, &daemon->status, 0) == -1 &&
		    errno == EINTR)
			continue;
		daemon->reaped = 1;
	}
	for (i = 0; i < daemon->nslaves; i++) {
		if (daemon->slave_pids[i] > 0 &&
		    benchlib_pid_alive(daemon->slave_pids[i]))
			kill(daemon->slave_pids[i], SIGKILL);
	}
}

/*
 * Call method(params as JSON text, or NULL) on a connection and return
 * its result (a reference the caller owns); an error reply is fatal.
 * The round trip goes in rtt_ns if given.
 */
struct json_object *
benchlib_call(struct benchlib_conn *conn, int64_t *next_id, const char *method,
    const char *params, uint64_t *rtt_ns)
{
	struct json_object	*reply, *value, *result;
	char			*request, *line;
	int64_t			 id = (*next_id)++;
	uint64_t		 start;

	xasprintf(&request, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64
	    ",\"method\":\"%s\",\"params\":%s}\n", id, method,
	    params != NULL ? params : "{}");
	start = benchlib_now_ns();
	benchlib_conn_write(conn, request, strlen(request));
	free(request);
	if ((line = benchlib_conn_read_line(conn, NULL)) == NULL)
		bench_fatal("%s: connection closed during %s", conn->peer,
		    method);
	if (rtt_ns != NULL)
		*rtt_ns = benchlib_now_ns() - start;
	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_is_type(reply, json_type_object))
		bench_fatal("%s: %s: unparseable reply '%.200s'", conn->peer,
		    method, line);
	if (!json_object_object_get_ex(reply, "id", &value) ||
	    json_object_get_int64(value) != id)
		bench_fatal("%s: %s: reply with the wrong id: '%.200s'",
		    conn->peer, method, line);
	if (json_object_object_get_ex(reply, "error", &value))
		bench_fatal("%s: %s: error %s", conn->peer, method,
		    json_object_to_json_string_ext(value,
		    JSON_C_TO_STRING_PLAIN));
	if (!json_object_object_get_ex(reply, "result", &result))
		bench_fatal("%s: %s: no result in '%.200s'", conn->peer,
		    method, line);
	json_object_get(result);
	json_object_put(reply);
	return (result);
}

/* benchlib_call() on a daemon's own connection. */
struct json_object *
benchlib_rpc(struct benchlib_daemon *daemon, const char *method,
    const char *params, uint64_t *rtt_ns)
{
	return (benchlib_call(&daemon->conn, &daemon->next_id, method, params,
	    rtt_ns));
}

/* Connect the agent at callers[i] to the one at callees[i], for each i. */
void
benchlib_pair(struct benchlib_daemon *daemon, struct json_object *callers,
    struct json_object *callees)
{
	char	*params;
	size_t	 i;

	for (i = 0; i < json_object_array_length(callers); i++) {
		xasprintf(&params, "{\"agent\":\"%s\",\"addr\":\"%s\"}",
		    json_object_get_string(json_object_array_get_idx(callers,
		    i)), json_object_get_string(json_object_array_get_idx(
		    callees, i)));
		json_object_put(benchlib_rpc(daemon, "agent.add_connection",
		    params, NULL));
		free(params);
	}
}

/* Return an integer member of an object; a missing one is fatal. */
int64_t
benchlib_int(struct json_object *object, const char *key, const char *what)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_int))
		bench_fatal("%s: no integer '%s' in %.300s", what, key,
		    json_object_to_json_string_ext(object,
		    JSON_C_TO_STRING_PLAIN));
	return (json_object_get_int64(value));
}

/* Return the port of a tcp://127.0.0.1:PORT/N address. */
static uint16_t
benchlib_address_port(const char *address)
{
	const char	*colon;

	if (strncmp(address, "tcp://", 6) != 0 ||
	    (colon = strrchr(address, ':')) == NULL)
		bench_fatal("bad address %s", address);
	return ((uint16_t)strtoul(colon + 1, NULL, 10));
}

/* Learn a master's slaves (pids and ports) from its status. */
static void
benchlib_read_slaves(struct benchlib_daemon *daemon, size_t expected)
{
	struct json_object	*status, *slaves, *slave, *address;
	size_t			 i;

	status = benchlib_rpc(daemon, "status", NULL, NULL);
	if (!json_object_object_get_ex(status, "slaves", &slaves) ||
	    json_object_array_length(slaves) != expected)
		bench_fatal("%s: status lists no %zu slaves: %.300s",
		    daemon->name, expected, json_object_to_json_string(status));
	daemon->nslaves = expected;
	for (i = 0; i < expected; i++) {
		slave = json_object_array_get_idx(slaves, i);
		daemon->slave_pids[i] = (pid_t)benchlib_int(slave, "pid",
		    daemon->name);
		if (!json_object_object_get_ex(slave, "address", &address))
			bench_fatal("%s: slave %zu without an address",
			    daemon->name, i);
		daemon->slave_ports[i] = benchlib_address_port(
		    json_object_get_string(address));
	}
	json_object_put(status);
}

/*
 * Start creamasd -d --listen 127.0.0.1:0, as a master with slaves
 * slaves unless slaves is 0, read its port and connect to it.
 */
struct benchlib_daemon *
benchlib_daemon_start(const char *creamasd, size_t slaves, int read_timeout)
{
	return (benchlib_daemon_startv(creamasd, slaves, read_timeout, NULL));
}

/*
 * benchlib_daemon_start() with more arguments for creamasd: a
 * NULL-terminated array, or NULL for none.
 */
struct benchlib_daemon *
benchlib_daemon_startv(const char *creamasd, size_t slaves, int read_timeout,
    const char *const *extra)
{
	const char		*argv[64], *why;
	size_t			 argc = 0;
	struct benchlib_daemon	*daemon;
	char			 line[LAUNCH_LINE_MAX], count[24];
	int			 out[2], logfd;

	daemon = xcalloc(1, sizeof *daemon);
	if (slaves == 0)
		snprintf(daemon->name, sizeof daemon->name, "slave");
	else
		snprintf(daemon->name, sizeof daemon->name, "master S=%zu",
		    slaves);
	snprintf(count, sizeof count, "%zu", slaves);
	argv[argc++] = creamasd;
	argv[argc++] = "-d";
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	if (slaves > 0) {
		argv[argc++] = "--role";
		argv[argc++] = "master";
		argv[argc++] = "--slaves";
		argv[argc++] = count;
	}
	while (extra != NULL && *extra != NULL && argc < 63)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	snprintf(daemon->log_path, sizeof daemon->log_path,
	    "/tmp/creamas-bench.XXXXXX");
	if ((logfd = mkstemp(daemon->log_path)) == -1)
		bench_fatal("mkstemp: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) == -1)
		bench_fatal("pipe: %s", strerror(errno));
	if ((daemon->pid = launch_spawn(argv, out[1], logfd)) == -1)
		bench_fatal("fork: %s", strerror(errno));
	close(out[1]);
	close(logfd);
	daemon->next = benchlib_daemons;
	benchlib_daemons = daemon;

	/* The first stdout line is the port, once every slave is ready. */
	if (launch_read_port(out[0], BENCHLIB_START_TIMEOUT / 1000.0,
	    &daemon->port, line, &why) != 0)
		bench_fatal("%s: no port on stdout (got '%s'; %s)",
		    daemon->name, line, why);
	close(out[0]);
	daemon->next_id = 1;
	benchlib_conn_open(&daemon->conn, daemon->port, daemon->name,
	    read_timeout);
	if (slaves > 0)
		benchlib_read_slaves(daemon, slaves);
	return (daemon);
}

/*
 * Stop a daemon with the stop method: it must answer true, exit 0 and,
 * for a master, leave no slave running.
 */
void
benchlib_daemon_stop(struct benchlib_daemon *daemon)
{
	struct json_object	*result;
	uint64_t		 deadline;
	struct benchlib_daemon	**link;
	pid_t			 pid;
	size_t			 i;

	result = benchlib_rpc(daemon, "stop", NULL, NULL);
	if (!json_object_get_boolean(result))
		bench_fatal("%s: stop answered %s", daemon->name,
		    json_object_to_json_string(result));
	json_object_put(result);
	deadline = benchlib_now_ns() +
	    (uint64_t)BENCHLIB_STOP_TIMEOUT * 1000000000;
	while ((pid = waitpid(daemon->pid, &daemon->status, WNOHANG)) == 0) {
		if (benchlib_now_ns() > deadline)
			bench_fatal("%s (pid %ld) did not exit within %d s "
			    "of stop", daemon->name, (long)daemon->pid,
			    BENCHLIB_STOP_TIMEOUT);
		benchlib_sleep_ms(5);
	}
	daemon->reaped = 1;
	if (pid == -1 || !WIFEXITED(daemon->status) ||
	    WEXITSTATUS(daemon->status) != 0)
		bench_fatal("%s (pid %ld) did not exit 0 (status %#x)",
		    daemon->name, (long)daemon->pid, daemon->status);
	for (i = 0; i < daemon->nslaves; i++) {
		if (benchlib_pid_alive(daemon->slave_pids[i]))
			bench_fatal("%s: slave pid %ld outlives it",
			    daemon->name, (long)daemon->slave_pids[i]);
	}
	benchlib_conn_close(&daemon->conn);
	unlink(daemon->log_path);
	for (link = &benchlib_daemons; *link != NULL; link = &(*link)->next) {
		if (*link == daemon) {
			*link = daemon->next;
			break;
		}
	}
	free(daemon);
}

/*
 * After a failure: show each running daemon's last log lines, kill it
 * and its slaves, and remove its log.
 */
void
benchlib_daemon_kill_all(const char *program)
{
	struct benchlib_daemon	*daemon;

	for (daemon = benchlib_daemons; daemon != NULL;
	    daemon = daemon->next) {
		benchlib_print_tail(daemon->log_path, 0,
		    "%s: last stderr lines of %s (pid %ld):\n", program,
		    daemon->name, (long)daemon->pid);
		benchlib_daemon_kill(daemon);
		unlink(daemon->log_path);
	}
}
