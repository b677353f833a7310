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
 * Benchmark of creamasctl, each figure beside a baseline measured in the
 * same run, the two taken in turn so that a noisy machine weighs on both:
 *
 *   - spawn of 8 masters (2 slaves each) over SSH, through an OpenSSH
 *     server the benchmark starts on a free loopback port with keys and a
 *     known_hosts file of its own, against 8 parallel "ssh host true" of
 *     the OpenSSH client to the same server; target: within 1.5x;
 *   - one "creamasctl trigger" from process start to exit on 1, 4 and 8
 *     local masters of 2 slaves without agents, against running /bin/true
 *     the same way; target: under 5 ms for 1 node;
 *   - "creamasctl trigger -n 1000" on 4 of those masters, in rounds per
 *     second, against a minimal blocking client of the benchmark's own
 *     sending trigger_all to the 4 masters and reading the 4 replies.
 *
 * creamasctl is $CREAMASCTL, else creamasctl next to $CREAMASD. Timings
 * are medians, printed and never asserted: the program fails only when
 * something misbehaves (an exit status, a reply, a process left), and
 * every process it starts is stopped by pid.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
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

#include "benchlib.h"
#include "sshd.h"
#include "xmalloc.h"

#define BENCH_SSH		"ssh"
#define BENCH_NODES_MAX		8
#define BENCH_SLAVES		2	/* slaves of every master */
#define BENCH_SSH_NODES		8
#define BENCH_SSH_REPS		9	/* spawns over SSH, baselines */
#define BENCH_TRIGGER_WARMUP	10
#define BENCH_TRIGGER_REPS	151	/* per node count, baselines */
#define BENCH_ROUNDS		1000	/* rounds of trigger -n */
#define BENCH_ROUNDS_REPS	5
#define BENCH_ROUNDS_NODES	4
#define BENCH_RUN_TIMEOUT	60.0	/* seconds a command may take */
#define BENCH_STOP_WAIT		10.0	/* seconds for a process to end */
#define BENCH_READ_TIMEOUT	30	/* seconds a reply may take */
#define BENCH_PIDS_MAX		256
#define BENCH_ARGS_MAX		32
#define BENCH_LINE_MAX		(1024 * 1024)

/* A blocking line-oriented JSON-RPC connection to a node. */
struct bench_conn {
	int		 fd;
	uint16_t	 port;
	char		*buffer;
	size_t		 size;
	size_t		 start;		/* first byte not yet returned */
	size_t		 end;		/* one past the last byte read */
	int64_t		 next_id;
};

/* Masters on loopback ports and the nodes files naming them. */
struct bench_cluster {
	size_t		 count;
	uint16_t	 ports[BENCH_NODES_MAX];
	pid_t		 pids[BENCH_NODES_MAX];
	pid_t		 slave_pids[BENCH_NODES_MAX][BENCH_SLAVES];
	char		*file;		/* every node */
	char		*subsets[BENCH_NODES_MAX + 1]; /* the first n */
};

/* One line of the table: a measure, its baseline, their ratio. */
struct bench_row {
	char	 measure[64];
	char	 value[32];
	char	 baseline[48];
	char	 ratio[16];
	char	 target[24];
};

static const char	*bench_creamasd;
static char		*bench_creamasctl;
static char		*bench_dir;		/* temporary files */
static pid_t		 bench_pids[BENCH_PIDS_MAX];	/* to stop */
static struct bench_row	 bench_rows[16];
static size_t		 bench_nrows;
static struct sshd	*bench_sshd;	/* the SSH server, while it runs */


/* Seconds on the monotonic clock. */
static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Sleep a number of seconds. */
static void
bench_sleep(double seconds)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Return dir/name as a new string. */
static char *
bench_path(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", bench_dir, name);
	return (path);
}

/* Remember a process to stop at the end, or on a failure. */
static void
bench_track(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < BENCH_PIDS_MAX; i++) {
		if (bench_pids[i] == pid)
			return;
	}
	for (i = 0; i < BENCH_PIDS_MAX; i++) {
		if (bench_pids[i] == 0) {
			bench_pids[i] = pid;
			return;
		}
	}
	kill(pid, SIGKILL);
	bench_fatal("more than %d processes to watch", BENCH_PIDS_MAX);
}

/* Forget a process: it has ended. */
static void
bench_untrack(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < BENCH_PIDS_MAX; i++) {
		if (bench_pids[i] == pid)
			bench_pids[i] = 0;
	}
}

/*
 * Wait until a process has ended (reaping it if it is ours), up to a
 * time; return 1 if it has.
 */
static int
bench_wait_end(pid_t pid, double seconds, int *status)
{
	double	 deadline = bench_now() + seconds;
	pid_t	 rc;

	for (;;) {
		rc = waitpid(pid, status, WNOHANG);
		if (rc == pid)
			return (1);
		if (rc == -1 && errno == ECHILD && !benchlib_pid_alive(pid)) {
			if (status != NULL)
				*status = -1;
			return (1);
		}
		if (bench_now() >= deadline)
			return (0);
		bench_sleep(0.002);
	}
}

/*
 * Stop one process by pid: signo (0: none, it should end by itself), then
 * SIGKILL if it outlives the wait; return 1 if it had to be killed.
 */
static int
bench_stop_pid(pid_t pid, int signo, int *status)
{
	int	 killed = 0;

	if (pid <= 0)
		return (0);
	if (signo != 0)
		kill(pid, signo);
	if (!bench_wait_end(pid, BENCH_STOP_WAIT, status)) {
		kill(pid, SIGKILL);
		bench_wait_end(pid, BENCH_STOP_WAIT, status);
		killed = 1;
	}
	bench_untrack(pid);
	return (killed);
}

/* Remove one entry of the temporary directory, for nftw(). */
static int
bench_remove(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return (0);
}

/* Kill every process still tracked, and any child adopted, by pid. */
static void
bench_kill_all(void)
{
	DIR		*dir;
	struct dirent	*entry;
	char		 path[64], buffer[512], *paren, state;
	long		 parent;
	pid_t		 pid;
	FILE		*f;
	size_t		 i, n;
	int		 pass;

	for (i = 0; i < BENCH_PIDS_MAX; i++) {
		if (bench_pids[i] > 0)
			kill(bench_pids[i], SIGKILL);
	}
	for (i = 0; i < BENCH_PIDS_MAX; i++) {
		if (bench_pids[i] > 0)
			bench_stop_pid(bench_pids[i], 0, NULL);
	}
	/* Daemons that detached before we knew them are our children. */
	for (pass = 0; pass < 3; pass++) {
		if ((dir = opendir("/proc")) == NULL)
			return;
		while ((entry = readdir(dir)) != NULL) {
			if ((pid = (pid_t)atol(entry->d_name)) <= 0)
				continue;
			snprintf(path, sizeof path, "/proc/%ld/stat",
			    (long)pid);
			if ((f = fopen(path, "r")) == NULL)
				continue;
			n = fread(buffer, 1, sizeof buffer - 1, f);
			fclose(f);
			buffer[n] = '\0';
			if ((paren = strrchr(buffer, ')')) == NULL ||
			    sscanf(paren + 1, " %c %ld", &state,
			    &parent) != 2 || parent != (long)getpid())
				continue;
			if (state != 'Z')
				kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		closedir(dir);
		bench_sleep(0.05);
	}
}

/* Give up: say why, show the last output, stop everything. */
void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*path;

	fprintf(stderr, "bench_ctl: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (bench_dir != NULL) {
		path = bench_path("stderr");
		benchlib_print_tail(path, 1,
		    "bench_ctl: the last lines of %s:\n",
		    "the last command's stderr");
		free(path);
	}
	if (bench_sshd != NULL)
		benchlib_print_tail(bench_sshd->log, 1,
		    "bench_ctl: the last lines of %s:\n", "sshd's log");
	bench_kill_all();
	if (bench_dir != NULL)
		nftw(bench_dir, bench_remove, 16, FTW_DEPTH | FTW_PHYS);
	exit(1);
}

/* Read a whole file into a new string, or NULL. */
static char *
bench_read_file(const char *path)
{
	FILE	*f;
	char	*text = NULL;
	size_t	 size = 0, used = 0, n;

	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	for (;;) {
		if (size - used < 4096) {
			size = size == 0 ? 8192 : size * 2;
			text = xrealloc(text, size);
		}
		if ((n = fread(text + used, 1, size - used - 1, f)) == 0)
			break;
		used += n;
	}
	fclose(f);
	text[used] = '\0';
	return (text);
}

/* Write a string to a new file with a mode. */
static void
bench_write_file(const char *path, const char *text, mode_t mode)
{
	size_t	 length = strlen(text);
	int	 fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1 || write(fd, text, length) != (ssize_t)length ||
	    close(fd) != 0)
		bench_fatal("cannot write %s: %s", path, strerror(errno));
}

/*
 * Start a program with stdin from /dev/null and stdout and stderr into
 * files (NULL: /dev/null); it dies with the benchmark.
 */
static pid_t
bench_start(const char *const *argv, const char *out, const char *err)
{
	pid_t	 pid, parent = getpid();
	int	 fd;

	if ((pid = fork()) == -1)
		bench_fatal("fork: %s", strerror(errno));
	if (pid != 0)
		return (pid);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1)
		_exit(126);
	if ((fd = open(out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT |
	    O_TRUNC, 0600)) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		_exit(126);
	if ((fd = open(err != NULL ? err : "/dev/null", O_WRONLY | O_CREAT |
	    O_TRUNC, 0600)) == -1 || dup2(fd, STDERR_FILENO) == -1)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)(uintptr_t)argv);
	dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Wait for a program we started; its exit status, or -1 if killed. A
 * pidfd wakes us the moment it exits: polling would round every time up
 * to its interval.
 */
static int
bench_finish(pid_t pid, const char *what)
{
	struct pollfd	 pfd;
	int		 status, fd, ended;

	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) != -1) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, (int)(BENCH_RUN_TIMEOUT * 1000)) == -1 &&
		    errno == EINTR)
			;
		close(fd);
	}
	ended = bench_wait_end(pid, fd != -1 ? 0 : BENCH_RUN_TIMEOUT,
	    &status);
	if (!ended) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		bench_fatal("%s: still running after %.0f s", what,
		    BENCH_RUN_TIMEOUT);
	}
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/*
 * Run a command to its end, stdout into out (NULL: /dev/null), stderr
 * into the "stderr" file; fail unless it exits 0. Return how long it took
 * from before the fork to after the wait, in seconds.
 */
static double
bench_run(const char *const *argv, const char *out)
{
	char	*err;
	double	 started, elapsed;
	pid_t	 pid;
	int	 status;
	size_t	 last;

	err = bench_path("stderr");
	started = bench_now();
	pid = bench_start(argv, out, err);
	status = bench_finish(pid, argv[0]);
	elapsed = bench_now() - started;
	if (status != 0) {
		for (last = 0; argv[last + 1] != NULL; last++)
			;
		bench_fatal("%s ... %s: exit status %d", argv[0], argv[last],
		    status);
	}
	free(err);
	return (elapsed);
}

/* Run creamasctl with a NULL-terminated list of arguments; the time. */
static double __attribute__((sentinel))
bench_ctl(const char *out, ...)
{
	const char	*argv[BENCH_ARGS_MAX + 2];
	va_list		 ap;
	size_t		 n = 0;

	argv[n++] = bench_creamasctl;
	va_start(ap, out);
	while ((argv[n] = va_arg(ap, const char *)) != NULL) {
		if (++n > BENCH_ARGS_MAX)
			bench_fatal("too many arguments");
	}
	va_end(ap);
	return (bench_run(argv, out));
}

/* Return 1 if ports port to port + count - 1 can be listened on now. */
static int
bench_ports_free(uint16_t port, size_t count)
{
	struct sockaddr_in	 sin;
	size_t			 i;
	int			 fd, ok = 1, on = 1;

	for (i = 0; i < count && ok; i++) {
		if ((unsigned long)port + i > 65535)
			return (0);
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			bench_fatal("socket: %s", strerror(errno));
		/* As the daemons bind: TIME-WAIT leftovers do not count. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)(port + i));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
		close(fd);
	}
	return (ok);
}

/*
 * Return a free loopback port with count - 1 free ports after it, its
 * range apart from the ranges (of the same size) of those taken.
 */
static uint16_t
bench_free_port(size_t count, const uint16_t *taken, size_t ntaken)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;
	uint16_t		 port;
	size_t			 i, tries;
	int			 fd, clash;

	for (tries = 0; tries < 500; tries++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			bench_fatal("socket: %s", strerror(errno));
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
		    getsockname(fd, (struct sockaddr *)&sin, &length) == -1)
			bench_fatal("bind: %s", strerror(errno));
		close(fd);
		port = ntohs(sin.sin_port);
		clash = 0;
		for (i = 0; i < ntaken; i++) {
			if (port < taken[i] + count && taken[i] < port + count)
				clash = 1;
		}
		if (!clash && bench_ports_free(port, count))
			return (port);
	}
	bench_fatal("no free range of %zu loopback ports", count);
}

/* Connect to a node on 127.0.0.1, blocking, with a read timeout. */
static void
bench_conn_open(struct bench_conn *conn, uint16_t port)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { BENCH_READ_TIMEOUT, 0 };

	memset(conn, 0, sizeof *conn);
	conn->port = port;
	conn->next_id = 1;
	conn->size = 65536;
	conn->buffer = xmalloc(conn->size);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((conn->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bench_fatal("socket: %s", strerror(errno));
	if (connect(conn->fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		bench_fatal("connect to port %u: %s", port, strerror(errno));
	setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Close a connection. */
static void
bench_conn_close(struct bench_conn *conn)
{
	close(conn->fd);
	free(conn->buffer);
	memset(conn, 0, sizeof *conn);
}

/* Send a call, without waiting for its reply. */
static void
bench_conn_send(struct bench_conn *conn, const char *method)
{
	char	 line[256];
	ssize_t	 n;
	size_t	 length, done = 0;

	length = (size_t)snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\","
	    "\"id\":%lld,\"method\":\"%s\",\"params\":{}}\n",
	    (long long)conn->next_id++, method);
	while (done < length) {
		n = write(conn->fd, line + done, length - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			bench_fatal("port %u: write: %s", conn->port,
			    strerror(errno));
		done += (size_t)n;
	}
}

/* Read one reply line and return its result (a new reference). */
static struct json_object *
bench_conn_result(struct bench_conn *conn, const char *method)
{
	struct json_object	*reply, *result;
	char			*newline;
	ssize_t			 n;

	for (;;) {
		newline = memchr(conn->buffer + conn->start, '\n',
		    conn->end - conn->start);
		if (newline != NULL)
			break;
		if (conn->start > 0) {
			memmove(conn->buffer, conn->buffer + conn->start,
			    conn->end - conn->start);
			conn->end -= conn->start;
			conn->start = 0;
		}
		if (conn->end == conn->size) {
			if (conn->size >= BENCH_LINE_MAX)
				bench_fatal("port %u: %s: a reply line over "
				    "%d bytes", conn->port, method,
				    BENCH_LINE_MAX);
			conn->size *= 2;
			conn->buffer = xrealloc(conn->buffer, conn->size);
		}
		n = read(conn->fd, conn->buffer + conn->end,
		    conn->size - conn->end);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			bench_fatal("port %u: %s: %s", conn->port, method,
			    n == 0 ? "connection closed" : strerror(errno));
		conn->end += (size_t)n;
	}
	*newline = '\0';
	reply = json_tokener_parse(conn->buffer + conn->start);
	conn->start = newline + 1 - conn->buffer;
	if (reply == NULL || !json_object_object_get_ex(reply, "result",
	    &result))
		bench_fatal("port %u: %s: not a result: %s", conn->port,
		    method, reply != NULL ? json_object_to_json_string(reply) :
		    "(not JSON)");
	json_object_get(result);
	json_object_put(reply);
	return (result);
}

/* Return an integer member of a result, failing if there is none. */
static int64_t
bench_member(struct json_object *object, const char *key, uint16_t port)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_int))
		bench_fatal("port %u: no integer %s in %s", port, key,
		    json_object_to_json_string(object));
	return (json_object_get_int64(value));
}

/*
 * Write a nodes file of the first count nodes of a cluster, each on host
 * (127.0.0.1, with an SSH port or not) with options.
 */
static char *
bench_nodes_file(const struct bench_cluster *cluster, size_t count,
    const char *name, const char *host, const char *options)
{
	char	*path, *text = xstrdup(""), *line;
	size_t	 i;

	for (i = 0; i < count; i++) {
		xasprintf(&line, "%s%s port=%u slaves=%d idle_exit=600 %s\n",
		    text, host, cluster->ports[i], BENCH_SLAVES, options);
		free(text);
		text = line;
	}
	path = bench_path(name);
	bench_write_file(path, text, 0600);
	free(text);
	return (path);
}

/*
 * Ask every master of a cluster for its pid and its slaves' pids, and
 * track them all.
 */
static void
bench_cluster_read_pids(struct bench_cluster *cluster)
{
	struct bench_conn	 conn;
	struct json_object	*status, *slaves;
	size_t			 i, k;

	for (i = 0; i < cluster->count; i++) {
		bench_conn_open(&conn, cluster->ports[i]);
		bench_conn_send(&conn, "status");
		status = bench_conn_result(&conn, "status");
		cluster->pids[i] = (pid_t)bench_member(status, "pid",
		    conn.port);
		bench_track(cluster->pids[i]);
		if (!json_object_object_get_ex(status, "slaves", &slaves) ||
		    json_object_array_length(slaves) != BENCH_SLAVES)
			bench_fatal("port %u: not %d slaves: %s", conn.port,
			    BENCH_SLAVES, json_object_to_json_string(status));
		for (k = 0; k < BENCH_SLAVES; k++) {
			cluster->slave_pids[i][k] = (pid_t)bench_member(
			    json_object_array_get_idx(slaves, k), "pid",
			    conn.port);
			bench_track(cluster->slave_pids[i][k]);
		}
		json_object_put(status);
		bench_conn_close(&conn);
	}
}

/*
 * After creamasctl stop: every master and slave must end by itself;
 * reap them, by pid.
 */
static void
bench_cluster_expect_gone(struct bench_cluster *cluster)
{
	size_t	 i, k;
	int	 status;

	for (i = 0; i < cluster->count; i++) {
		if (bench_stop_pid(cluster->pids[i], 0, &status))
			bench_fatal("port %u: master %ld still running after "
			    "stop", cluster->ports[i], (long)cluster->pids[i]);
		if (status != -1 && !(WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0))
			bench_fatal("port %u: master %ld ended with status "
			    "0x%x", cluster->ports[i], (long)cluster->pids[i],
			    status);
		cluster->pids[i] = 0;
		for (k = 0; k < BENCH_SLAVES; k++) {
			if (bench_stop_pid(cluster->slave_pids[i][k], 0,
			    NULL))
				bench_fatal("port %u: slave %ld still running "
				    "after stop", cluster->ports[i],
				    (long)cluster->slave_pids[i][k]);
			cluster->slave_pids[i][k] = 0;
		}
	}
}

/* Format seconds for the table: us, ms or s with 3 digits. */
static void
bench_format_seconds(char *buffer, size_t size, double seconds)
{
	if (seconds < 1e-3)
		snprintf(buffer, size, "%.0f us", seconds * 1e6);
	else if (seconds < 1)
		snprintf(buffer, size, "%.3g ms", seconds * 1e3);
	else
		snprintf(buffer, size, "%.3g s", seconds);
}

/* Add a line to the table. */
static void
bench_add_row(const char *measure, const char *value, const char *baseline,
    double ratio, const char *target)
{
	struct bench_row	*row = &bench_rows[bench_nrows++];

	snprintf(row->measure, sizeof row->measure, "%s", measure);
	snprintf(row->value, sizeof row->value, "%s", value);
	snprintf(row->baseline, sizeof row->baseline, "%s", baseline);
	snprintf(row->ratio, sizeof row->ratio, "%.2fx", ratio);
	snprintf(row->target, sizeof row->target, "%s", target);
}

/* The baseline of spawn: n parallel "ssh host true"; the time. */
static double
bench_ssh_true(const struct sshd *sshd, size_t n)
{
	char		 port[8], *known;
	const char	*argv[] = { BENCH_SSH, "-F", "/dev/null", "-p", port,
			    "-i", sshd->user_key, "-o", "IdentitiesOnly=yes",
			    "-o", "IdentityAgent=none", "-o", NULL,
			    "-o", "GlobalKnownHostsFile=/dev/null",
			    "-o", "StrictHostKeyChecking=yes",
			    "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
			    "127.0.0.1", "true", NULL };
	pid_t		 pids[BENCH_NODES_MAX];
	double		 started, elapsed;
	size_t		 i;
	char		*err;

	snprintf(port, sizeof port, "%u", sshd->port);
	xasprintf(&known, "UserKnownHostsFile=%s", sshd->known_hosts);
	argv[12] = known;
	err = bench_path("stderr");
	started = bench_now();
	for (i = 0; i < n; i++)
		pids[i] = bench_start(argv, NULL, err);
	for (i = 0; i < n; i++) {
		if (bench_finish(pids[i], "ssh host true") != 0)
			bench_fatal("ssh -p %s 127.0.0.1 true failed", port);
	}
	elapsed = bench_now() - started;
	free(err);
	free(known);
	return (elapsed);
}

/*
 * Spawn over SSH against its baseline, taken in turn: 8 masters of 2
 * slaves each started by one creamasctl spawn, stopped (untimed) after
 * each.
 */
static void
bench_ssh_spawn(void)
{
	struct sshd		*sshd;
	struct bench_cluster	 cluster;
	double			 spawns[BENCH_SSH_REPS];
	double			 baselines[BENCH_SSH_REPS];
	double			 singles[BENCH_SSH_REPS];
	double			 spawn, baseline, single;
	char			 options[PATH_MAX * 2 + 128], a[32], b[32];
	char			 label[64], host[32], *out, *text;
	size_t			 rep, i;

	/* The tests' OpenSSH server (tests/sshd.c): keys of its own. */
	bench_sshd = sshd = sshd_start(NULL);
	memset(&cluster, 0, sizeof cluster);
	cluster.count = BENCH_SSH_NODES;
	for (i = 0; i < cluster.count; i++)
		cluster.ports[i] = bench_free_port(BENCH_SLAVES + 1,
		    cluster.ports, i);
	/* Over SSH, creamasd by its absolute path: no PATH to set. */
	snprintf(options, sizeof options, "launch=ssh identity=%s "
	    "cmd=\"%s --role master --slaves {slaves} --listen {listen} "
	    "-o idle_exit={idle_exit}\"", sshd->user_key, bench_creamasd);
	snprintf(host, sizeof host, "127.0.0.1:%u", sshd->port);
	cluster.file = bench_nodes_file(&cluster, cluster.count, "nodes.ssh",
	    host, options);
	out = bench_path("stdout");

	printf("spawn over ssh: %d nodes of %d slaves through OpenSSH on "
	    "port %u, and 1 and %d ssh true, %d times each\n",
	    BENCH_SSH_NODES, BENCH_SLAVES, sshd->port, BENCH_SSH_NODES,
	    BENCH_SSH_REPS);
	for (rep = 0; rep < BENCH_SSH_REPS; rep++) {
		singles[rep] = bench_ssh_true(sshd, 1);
		baselines[rep] = bench_ssh_true(sshd, BENCH_SSH_NODES);
		spawns[rep] = bench_ctl(out, "--known-hosts",
		    sshd->known_hosts, "-f", cluster.file, "spawn", NULL);
		text = bench_read_file(out);
		for (i = 0; i < cluster.count; i++) {
			snprintf(label, sizeof label, "127.0.0.1:%u ",
			    cluster.ports[i]);
			if (text == NULL || strstr(text, label) == NULL)
				bench_fatal("spawn said nothing of %s: %s",
				    label, text != NULL ? text : "");
		}
		free(text);
		bench_cluster_read_pids(&cluster);
		bench_ctl(NULL, "-f", cluster.file, "stop", NULL);
		bench_cluster_expect_gone(&cluster);
	}
	spawn = benchlib_median(spawns, BENCH_SSH_REPS);
	baseline = benchlib_median(baselines, BENCH_SSH_REPS);
	single = benchlib_median(singles, BENCH_SSH_REPS);
	bench_format_seconds(a, sizeof a, spawn);
	bench_format_seconds(b, sizeof b, baseline);
	snprintf(label, sizeof label, "%s (%d ssh true at once)", b,
	    BENCH_SSH_NODES);
	bench_add_row("spawn 8 nodes over ssh", a, label, spawn / baseline,
	    "<= 1.5x");
	bench_format_seconds(b, sizeof b, single);
	snprintf(label, sizeof label, "%s (1 ssh true alone)", b);
	bench_add_row("spawn 8 nodes over ssh", a, label, spawn / single,
	    "");

	free(out);
	free(cluster.file);
	bench_sshd = NULL;
	sshd_stop(sshd);
}

/*
 * One trigger from process start to exit on 1, 4 and 8 local masters,
 * against /bin/true started the same way, taken in turn.
 */
static void
bench_trigger_once(struct bench_cluster *cluster)
{
	static const size_t	 counts[] = { 1, 4, 8 };
	const char		*true_argv[] = { "/bin/true", NULL };
	double			*samples[4], medians[4];
	char			 a[32], b[32], label[64], expected[64];
	char			*out, *text;
	size_t			 rep, k;

	out = bench_path("stdout");
	for (k = 0; k < 4; k++)
		samples[k] = xcalloc(BENCH_TRIGGER_REPS, sizeof *samples[k]);
	/* Warm up, and check what a trigger says. */
	for (k = 0; k < 3; k++) {
		for (rep = 0; rep < BENCH_TRIGGER_WARMUP; rep++)
			bench_ctl(out, "-f", cluster->subsets[counts[k]],
			    "trigger", NULL);
		text = bench_read_file(out);
		snprintf(expected, sizeof expected, ": 0 agents, 0 failed, "
		    "%zu/%zu nodes, ", counts[k], counts[k]);
		if (text == NULL || strncmp(text, "round ", 6) != 0 ||
		    strstr(text, expected) == NULL)
			bench_fatal("trigger on %zu nodes said: %s",
			    counts[k], text != NULL ? text : "");
		free(text);
	}
	printf("trigger, process start to exit: 1, 4, 8 nodes and "
	    "/bin/true, %d times each\n", BENCH_TRIGGER_REPS);
	for (rep = 0; rep < BENCH_TRIGGER_REPS; rep++) {
		samples[3][rep] = bench_run(true_argv, out);
		for (k = 0; k < 3; k++)
			samples[k][rep] = bench_ctl(out, "-f",
			    cluster->subsets[counts[k]], "trigger", NULL);
	}
	for (k = 0; k < 4; k++)
		medians[k] = benchlib_median(samples[k], BENCH_TRIGGER_REPS);
	bench_format_seconds(b, sizeof b, medians[3]);
	snprintf(expected, sizeof expected, "%s (/bin/true)", b);
	for (k = 0; k < 3; k++) {
		bench_format_seconds(a, sizeof a, medians[k]);
		snprintf(label, sizeof label, "one trigger, %zu node%s of 2 "
		    "slaves", counts[k], counts[k] == 1 ? "" : "s");
		bench_add_row(label, a, expected, medians[k] / medians[3],
		    counts[k] == 1 ? "< 5 ms" : "");
	}
	for (k = 0; k < 4; k++)
		free(samples[k]);
	free(out);
}

/*
 * The baseline of trigger -n: a blocking client sending trigger_all to
 * every node and reading every reply, rounds times; the time.
 */
static double
bench_client_rounds(const struct bench_cluster *cluster, size_t nodes,
    size_t rounds)
{
	struct bench_conn	 conns[BENCH_NODES_MAX];
	struct json_object	*result;
	double			 started, elapsed;
	size_t			 r, i;

	for (i = 0; i < nodes; i++)
		bench_conn_open(&conns[i], cluster->ports[i]);
	started = bench_now();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nodes; i++)
			bench_conn_send(&conns[i], "trigger_all");
		for (i = 0; i < nodes; i++) {
			result = bench_conn_result(&conns[i], "trigger_all");
			if (bench_member(result, "agents", conns[i].port) != 0)
				bench_fatal("port %u: agents in a cluster "
				    "without any", conns[i].port);
			json_object_put(result);
		}
	}
	elapsed = bench_now() - started;
	for (i = 0; i < nodes; i++)
		bench_conn_close(&conns[i]);
	return (elapsed);
}

/* Rounds per second of trigger -n 1000 on 4 nodes, beside the client's. */
static void
bench_trigger_rounds(struct bench_cluster *cluster)
{
	double	 ctl[BENCH_ROUNDS_REPS], client[BENCH_ROUNDS_REPS];
	double	 ctl_rate, client_rate;
	char	 rounds[16], a[32], b[48], label[64], *out, *text, *last;
	size_t	 rep, lines;

	out = bench_path("stdout");
	snprintf(rounds, sizeof rounds, "%d", BENCH_ROUNDS);
	printf("trigger -n %d on %d nodes and the blocking client, %d times "
	    "each\n", BENCH_ROUNDS, BENCH_ROUNDS_NODES, BENCH_ROUNDS_REPS);
	for (rep = 0; rep < BENCH_ROUNDS_REPS; rep++) {
		client[rep] = BENCH_ROUNDS / bench_client_rounds(cluster,
		    BENCH_ROUNDS_NODES, BENCH_ROUNDS);
		ctl[rep] = BENCH_ROUNDS / bench_ctl(out, "-f",
		    cluster->subsets[BENCH_ROUNDS_NODES], "trigger", "-n",
		    rounds, NULL);
		text = bench_read_file(out);
		lines = 0;
		for (last = text; last != NULL && *last != '\0'; last++)
			lines += *last == '\n';
		if (text == NULL || lines != BENCH_ROUNDS ||
		    strstr(text, "failed, 4/4 nodes") == NULL)
			bench_fatal("trigger -n %d printed %zu lines",
			    BENCH_ROUNDS, lines);
		free(text);
	}
	ctl_rate = benchlib_median(ctl, BENCH_ROUNDS_REPS);
	client_rate = benchlib_median(client, BENCH_ROUNDS_REPS);
	snprintf(a, sizeof a, "%.0f/s", ctl_rate);
	snprintf(b, sizeof b, "%.0f/s (blocking client)", client_rate);
	snprintf(label, sizeof label, "trigger -n %d, %d nodes: rounds/s",
	    BENCH_ROUNDS, BENCH_ROUNDS_NODES);
	bench_add_row(label, a, b, ctl_rate / client_rate, "");
	free(out);
}

/* Start 8 local masters of 2 slaves, with files for 1, 4 and 8 of them. */
static void
bench_local_start(struct bench_cluster *cluster)
{
	char	 name[32];
	size_t	 i;

	memset(cluster, 0, sizeof *cluster);
	cluster->count = BENCH_NODES_MAX;
	for (i = 0; i < cluster->count; i++)
		cluster->ports[i] = bench_free_port(BENCH_SLAVES + 1,
		    cluster->ports, i);
	cluster->file = bench_nodes_file(cluster, cluster->count,
	    "nodes.local", "127.0.0.1", "launch=local");
	for (i = 1; i <= cluster->count; i++) {
		snprintf(name, sizeof name, "nodes.%zu", i);
		cluster->subsets[i] = bench_nodes_file(cluster, i, name,
		    "127.0.0.1", "launch=local");
	}
	bench_ctl(NULL, "-f", cluster->file, "spawn", NULL);
	bench_cluster_read_pids(cluster);
	bench_ctl(NULL, "-f", cluster->file, "wait", NULL);
}

/* Stop the local masters with creamasctl stop, and check by pid. */
static void
bench_local_stop(struct bench_cluster *cluster)
{
	size_t	 i;

	bench_ctl(NULL, "-f", cluster->file, "stop", NULL);
	bench_cluster_expect_gone(cluster);
	free(cluster->file);
	for (i = 0; i <= cluster->count; i++)
		free(cluster->subsets[i]);
}

/* Print the table. */
static void
bench_print(void)
{
	const struct bench_row	*row;
	size_t			 i;

	printf("\n%-40s | %9s | %-28s | %6s | %s\n", "measure", "creamasctl",
	    "baseline", "ratio", "target");
	printf("%.40s-+-%.10s-+-%.28s-+-%.6s-+-%s\n",
	    "--------------------------------------------------",
	    "----------", "------------------------------", "------",
	    "--------");
	for (i = 0; i < bench_nrows; i++) {
		row = &bench_rows[i];
		printf("%-40s | %10s | %-28s | %6s | %s\n", row->measure,
		    row->value, row->baseline, row->ratio, row->target);
	}
	printf("\nMedians. spawn: from fork to exit of creamasctl spawn, "
	    "each node a master\nthat is up with its slaves when its command "
	    "returns; baseline: fork to\nexit of the last of 8 parallel "
	    "\"ssh -p PORT 127.0.0.1 true\" (OpenSSH\nclient, the same user "
	    "key, known_hosts and server). One trigger: fork to\nexit of "
	    "creamasctl trigger (stdout to a file), beside /bin/true run "
	    "the\nsame way. Rounds/s: the blocking client sends trigger_all "
	    "to the 4\nmasters and reads the 4 replies, one round at a time, "
	    "on connections\nopened beforehand. Reported, not asserted.\n");
}

/* Run every measure and print the table; exit 1 if anything misbehaves. */
int
main(int argc, char *argv[])
{
	struct bench_cluster	 cluster;
	const char		*env, *tmpdir;
	char			*copy, *template;
	double			 started = bench_now();

	(void)argc;
	if ((bench_creamasd = getenv("CREAMASD")) == NULL ||
	    *bench_creamasd == '\0' || bench_creamasd[0] != '/') {
		fprintf(stderr, "usage: CREAMASD=/absolute/path/to/creamasd "
		    "[CREAMASCTL=...] %s\n", argv[0]);
		return (1);
	}
	if ((env = getenv("CREAMASCTL")) != NULL && *env != '\0')
		bench_creamasctl = xstrdup(env);
	else {
		copy = xstrdup(bench_creamasd);
		xasprintf(&bench_creamasctl, "%s/creamasctl", dirname(copy));
		free(copy);
	}
	if (access(bench_creamasctl, X_OK) != 0) {
		fprintf(stderr, "bench_ctl: %s: %s (set CREAMASCTL)\n",
		    bench_creamasctl, strerror(errno));
		return (1);
	}
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	xasprintf(&template, "%s/creamas-bench-ctl.XXXXXX", tmpdir);
	if ((bench_dir = mkdtemp(template)) == NULL) {
		fprintf(stderr, "bench_ctl: mkdtemp %s: %s\n", template,
		    strerror(errno));
		return (1);
	}
	/* Detached daemons become our children, to be waited for by pid. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		bench_fatal("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* creamasd for launch=local nodes. */
	setenv("CREAMASD", bench_creamasd, 1);
	printf("bench_ctl: %s, %s, %ld online CPUs\n", bench_creamasctl,
	    bench_creamasd, sysconf(_SC_NPROCESSORS_ONLN));

	bench_ssh_spawn();
	bench_local_start(&cluster);
	bench_trigger_once(&cluster);
	bench_trigger_rounds(&cluster);
	bench_local_stop(&cluster);

	bench_print();
	nftw(bench_dir, bench_remove, 16, FTW_DEPTH | FTW_PHYS);
	free(bench_dir);
	free(bench_creamasctl);
	printf("\nwall time %.1f s\n", bench_now() - started);
	return (0);
}
