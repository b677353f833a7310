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
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "xmalloc.h"

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

/* Return 1 if a process exists and is not a zombie. */
int
benchlib_pid_alive(pid_t pid)
{
	char	 path[64], buf[512], *paren, state;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (0);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((paren = strrchr(buf, ')')) == NULL ||
	    sscanf(paren + 1, " %c", &state) != 1)
		return (0);
	return (state != 'Z' && state != 'X');
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
