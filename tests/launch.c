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

/* Starting a daemon and reading its port: see launch.h. */

#include <sys/types.h>
#include <sys/prctl.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

/*
 * Fork and exec argv with stdin from /dev/null and stdout and stderr on
 * the given descriptors; the child gets SIGKILL when its parent dies.
 * Return its pid, or -1 (errno set) if it could not be forked.
 */
pid_t
launch_spawn(const char *const *argv, int out_fd, int err_fd)
{
	union {
		const char *const	*in;
		char *const		*out;
	}	 arguments;
	pid_t	 parent = getpid(), pid;
	int	 null_fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) != 0)
		return (pid);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(126);
	if ((null_fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null_fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(err_fd, STDERR_FILENO) == -1)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	/* execv() takes char *const[] but does not change it. */
	arguments.in = argv;
	execv(argv[0], arguments.out);
	dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Return the monotonic clock in seconds. */
static double
launch_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * Read a daemon's first stdout line from fd within seconds: its port.
 * Return 0 with *port set, or -1 with *why saying what came instead;
 * line (LAUNCH_LINE_MAX bytes) holds what was read either way.
 */
int
launch_read_port(int fd, double seconds, uint16_t *port, char *line,
    const char **why)
{
	struct pollfd	 pfd;
	double		 deadline = launch_now() + seconds, left;
	unsigned long	 number;
	size_t		 used = 0;
	ssize_t		 length;
	char		*end;
	int		 rc;

	*why = "timed out";
	line[0] = '\0';
	while (memchr(line, '\n', used) == NULL &&
	    used < LAUNCH_LINE_MAX - 1) {
		if ((left = deadline - launch_now()) <= 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc == -1 && errno != EINTR) {
			*why = "poll failed";
			break;
		}
		if (rc <= 0)
			continue;
		length = read(fd, line + used, LAUNCH_LINE_MAX - 1 - used);
		if (length == -1 && errno == EINTR)
			continue;
		if (length <= 0) {
			*why = "closed its stdout";
			break;
		}
		used += (size_t)length;
		line[used] = '\0';
	}
	line[used] = '\0';
	if (memchr(line, '\n', used) != NULL)
		*why = "not a port number";
	else if (used == LAUNCH_LINE_MAX - 1)
		*why = "a line too long";
	number = strtoul(line, &end, 10);
	if (used == 0 || !isdigit((unsigned char)line[0]) || *end != '\n' ||
	    number == 0 || number > 65535)
		return (-1);
	*port = (uint16_t)number;
	return (0);
}
