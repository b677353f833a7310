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

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Start-up in two halves: without -d the process forks at once and the
 * parent waits on a pipe until the child says it listens (or why not),
 * so the caller of creamasd knows the daemon is up when it returns.
 */

static int	detach_pipe = -1;
static int	detach_errors_on_stdout;	/* a slave tells its master */

/* Wait in the parent for the child's word and exit with it. */
static void
detach_wait_child(int fd)
{
	char	 message[1024];
	ssize_t	 length;
	size_t	 used = 0;

	while (used < sizeof message - 1) {
		length = read(fd, message + used, sizeof message - 1 - used);
		if (length == -1 && errno == EINTR)
			continue;
		if (length <= 0)
			break;
		used += length;
	}
	message[used] = '\0';
	if (strncmp(message, "OK ", 3) == 0) {
		fputs(message + 3, stdout);
		fflush(stdout);
		_exit(0);
	}
	if (strncmp(message, "ERR ", 4) == 0)
		fprintf(stderr, "creamasd: %s\n", message + 4);
	else
		fprintf(stderr, "creamasd: exited during start-up\n");
	_exit(1);
}

/*
 * Fork into the background unless in the foreground. A slave started by
 * a master reports a failed start-up on stdout, where the master reads.
 */
void
detach_start(int foreground, int errors_on_stdout)
{
	int	 fds[2];
	pid_t	 pid;

	detach_errors_on_stdout = errors_on_stdout;
	if (foreground)
		return;
	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("pipe");
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(fds[0]);
		detach_pipe = fds[1];
		if (setsid() == -1)
			fatal("setsid");
		return;
	default:
		close(fds[1]);
		detach_wait_child(fds[0]);
	}
}

/* Tell systemd we are ready when it asked to be told. */
static void
detach_notify_systemd(void)
{
	struct sockaddr_un	 sun;
	const char		*path;
	char			 message[64];
	socklen_t		 length;
	int			 fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return;
	if (strlen(path) >= sizeof sun.sun_path) {
		log_warnx("NOTIFY_SOCKET too long");
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract socket */
	length = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	snprintf(message, sizeof message, "READY=1\nMAINPID=%ld\n",
	    (long)getpid());
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		return;
	}
	if (sendto(fd, message, strlen(message), 0, (struct sockaddr *)&sun,
	    length) == -1)
		log_warn("NOTIFY_SOCKET %s", path);
	close(fd);
}

/* Listening: print the port, tell systemd, and let the parent go. */
void
detach_ready(int foreground, uint16_t port)
{
	char	 message[32];
	int	 fd;

	detach_notify_systemd();
	if (foreground) {
		printf("%u\n", port);
		fflush(stdout);
		return;
	}
	snprintf(message, sizeof message, "OK %u\n", port);
	if (write(detach_pipe, message, strlen(message)) == -1)
		log_warn("start-up pipe");
	close(detach_pipe);
	detach_pipe = -1;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_set_foreground(0);
}

/* Start-up failed: say why (to the waiting parent, if any) and exit 1. */
void
detach_fail(const char *fmt, ...)
{
	va_list	 ap;
	char	*reason, *message;

	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	if (detach_pipe != -1) {
		xasprintf(&message, "ERR %s", reason);
		if (write(detach_pipe, message, strlen(message)) == -1)
			log_warn("start-up pipe");
		free(message);
	} else
		log_warnx("%s", reason);
	if (detach_errors_on_stdout) {
		printf("ERR %s\n", reason);
		fflush(stdout);
	}
	free(reason);
	exit(1);
}
