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
 * A real OpenSSH server for the SSH tests (see sshd.h): keys made with
 * ssh-keygen, sshd run with -D -e -f on a free loopback port, readiness
 * taken from its banner, and everything stopped by pid.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sshd.h"
#include "xmalloc.h"

#define SSHD_PATH		"/usr/sbin/sshd"
#define SSHD_PRIVSEP_DIR	"/run/sshd"
#define SSHD_READY_WAIT		10.0	/* seconds for sshd to answer */
#define SSHD_STOP_WAIT		5.0	/* seconds after SIGTERM */
#define SSHD_PORT_TRIES		10	/* free ports tried */
#define SSHD_LOG_TAIL		2000	/* bytes of log in a failure */

static void	 sshd_fail(const struct sshd *, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));

/* Where servers make their directories while a fixture holds one. */
static char	*sshd_base_dir;

/* Seconds on a monotonic clock. */
static double
sshd_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Read a whole file into a string, or return NULL. */
char *
sshd_read_file(const char *path)
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
		n = fread(text + used, 1, size - used - 1, f);
		used += n;
		if (n == 0)
			break;
	}
	fclose(f);
	text[used] = '\0';
	return (text);
}

/* Give up through sshd_failed(), with the end of sshd's log if any. */
static void
sshd_fail(const struct sshd *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*message, *full, *log = NULL;
	size_t	 length;

	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	if (s != NULL && s->log != NULL)
		log = sshd_read_file(s->log);
	if (log != NULL && (length = strlen(log)) > SSHD_LOG_TAIL)
		memmove(log, log + length - SSHD_LOG_TAIL, SSHD_LOG_TAIL + 1);
	xasprintf(&full, "sshd: %s%s%s", message,
	    log != NULL ? "; its log ends:\n" : "", log != NULL ? log : "");
	sshd_failed(full);
}

/* Write a string to a new file with a mode. */
static void
sshd_write_file(const struct sshd *s, const char *path, const char *text,
    mode_t mode)
{
	FILE	*f;
	int	 fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		sshd_fail(s, "cannot create %s: %s", path, strerror(errno));
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		sshd_fail(s, "cannot write %s: %s", path, strerror(errno));
}

/* A path inside the server's directory; the caller frees it. */
char *
sshd_path(const struct sshd *s, const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", s->dir, name);
	return (path);
}

/*
 * Start a program that dies with the test process: stdin from /dev/null,
 * stdout and stderr to a file (or to a pipe when one is given).
 */
static pid_t
sshd_spawn(const struct sshd *s, const char *const argv[],
    const char *output, int pipe_fd)
{
	pid_t	 parent = getpid(), pid;
	int	 fd;

	if ((pid = fork()) == -1)
		sshd_fail(s, "fork: %s", strerror(errno));
	if (pid != 0)
		return (pid);

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	if (pipe_fd != -1)
		fd = pipe_fd;
	else
		fd = open(output, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd != -1) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	execvp(argv[0], (char *const *)(uintptr_t)argv);
	fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Run a program to its end and return its exit status and output. */
static int
sshd_command(const struct sshd *s, const char *const argv[], char **output)
{
	char	 chunk[4096], *text = NULL;
	size_t	 used = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 fds[2], status;

	if (pipe(fds) == -1)
		sshd_fail(s, "pipe: %s", strerror(errno));
	pid = sshd_spawn(s, argv, NULL, fds[1]);
	close(fds[1]);
	for (;;) {
		n = read(fds[0], chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		text = xrealloc(text, used + n + 1);
		memcpy(text + used, chunk, n);
		used += n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			sshd_fail(s, "waitpid %s: %s", argv[0],
			    strerror(errno));
	}
	if (text == NULL)
		text = xstrdup("");
	else
		text[used] = '\0';
	if (output != NULL)
		*output = text;
	else
		free(text);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Make a new key pair at a path: ed25519 unless a type is given. */
static void
sshd_keygen(const struct sshd *s, const char *path, const char *type,
    const char *comment, const char *passphrase)
{
	const char	*argv[] = { "ssh-keygen", "-q", "-t",
			    type != NULL ? type : "ed25519", "-N",
			    passphrase != NULL ? passphrase : "", "-C", comment,
			    "-f", path, NULL };
	char		*public, *output;

	xasprintf(&public, "%s.pub", path);
	unlink(path);
	unlink(public);
	if (sshd_command(s, argv, &output) != 0)
		sshd_fail(s, "ssh-keygen -f %s failed: %s", path, output);
	free(output);
	free(public);
}

/* The SHA256 fingerprint of a public key file, as ssh-keygen -l gives it. */
char *
sshd_fingerprint(const char *public_key)
{
	const char	*argv[] = { "ssh-keygen", "-l", "-E", "sha256", "-f",
			    public_key, NULL };
	char		*output, *start, *end, *fingerprint;

	if (sshd_command(NULL, argv, &output) != 0 ||
	    (start = strstr(output, "SHA256:")) == NULL)
		sshd_fail(NULL, "ssh-keygen -l -f %s failed: %s", public_key,
		    output);
	end = start + strcspn(start, " \n");
	fingerprint = xstrndup(start, end - start);
	free(output);
	return (fingerprint);
}

/* A loopback port nothing listens on right now. */
static uint16_t
sshd_free_port(const struct sshd *s)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;
	int			 fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &length) == -1)
		sshd_fail(s, "cannot find a free port: %s", strerror(errno));
	close(fd);
	return (ntohs(sin.sin_port));
}

/* Write sshd_config and known_hosts for the current port. */
static void
sshd_write_config(struct sshd *s)
{
	char	*config, *public, *known, *type, *key;

	xasprintf(&config,
	    "ListenAddress %s\n"
	    "Port %u\n"
	    "HostKey %s\n"
	    "PidFile %s/sshd.pid\n"
	    "AuthorizedKeysFile %s\n"
	    "StrictModes no\n"
	    "UsePAM no\n"
	    "PubkeyAuthentication yes\n"
	    "PasswordAuthentication no\n"
	    "KbdInteractiveAuthentication no\n"
	    "PermitRootLogin prohibit-password\n"
	    "UseDNS no\n"
	    "PrintMotd no\n"
	    "PrintLastLog no\n"
	    "X11Forwarding no\n"
	    "MaxStartups 200\n"
	    "MaxSessions 50\n"
	    "LogLevel VERBOSE\n"
	    "SetEnv HOME=%s\n"
	    "%s",
	    SSHD_HOST, s->port, s->host_key, s->dir, s->authorized_keys,
	    s->home, s->extra_config != NULL ? s->extra_config : "");
	sshd_write_file(s, s->config, config, 0600);
	free(config);

	/* "TYPE BASE64 COMMENT" becomes "[host]:port TYPE BASE64". */
	xasprintf(&public, "%s.pub", s->host_key);
	if ((key = sshd_read_file(public)) == NULL)
		sshd_fail(s, "cannot read %s: %s", public, strerror(errno));
	type = strtok(key, " \n");
	xasprintf(&known, "[%s]:%u %s %s\n", SSHD_HOST, s->port,
	    type != NULL ? type : "", strtok(NULL, " \n"));
	sshd_write_file(s, s->known_hosts, known, 0600);
	free(known);
	free(key);
	free(public);
}

/* Stop a process of ours by pid: SIGTERM, then SIGKILL if it lingers. */
static void
sshd_kill(pid_t pid)
{
	double	 deadline = sshd_now() + SSHD_STOP_WAIT;
	pid_t	 done;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while ((done = waitpid(pid, NULL, WNOHANG)) == 0 &&
	    sshd_now() < deadline)
		usleep(10000);
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Whether something on the port sends an SSH banner. */
static int
sshd_banner(uint16_t port)
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	char			 banner[8];
	ssize_t			 n;
	size_t			 used = 0;
	int			 fd, ok = 0;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (used < sizeof banner && poll(&pfd, 1, 2000) == 1) {
			n = read(fd, banner + used, sizeof banner - used);
			if (n <= 0)
				break;
			used += n;
		}
		ok = used == sizeof banner &&
		    memcmp(banner, "SSH-2.0-", sizeof banner) == 0;
	}
	close(fd);
	return (ok);
}

/*
 * Run sshd on s->port and wait for its banner: 0 when it answers, -1 when
 * it exited (the port was taken, most likely).
 */
static int
sshd_launch(struct sshd *s)
{
	const char	*sshd, *argv[6];
	double		 deadline;
	int		 status;

	/* sshd re-executes itself, so it must be started by absolute path. */
	if ((sshd = getenv("SSHD")) == NULL || *sshd == '\0')
		sshd = SSHD_PATH;
	argv[0] = sshd;
	argv[1] = "-D";		/* foreground, our child */
	argv[2] = "-e";		/* log to stderr: s->log */
	argv[3] = "-f";
	argv[4] = s->config;
	argv[5] = NULL;

	s->pid = sshd_spawn(s, argv, s->log, -1);
	deadline = sshd_now() + SSHD_READY_WAIT;
	while (sshd_now() < deadline) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return (-1);
		}
		if (sshd_banner(s->port))
			return (0);
		usleep(10000);
	}
	sshd_kill(s->pid);
	s->pid = -1;
	sshd_fail(s, "%s did not answer on port %u within %.0f seconds",
	    sshd, s->port, SSHD_READY_WAIT);
}

/* Whether sshd's log says its port was taken. */
static int
sshd_port_taken(const struct sshd *s)
{
	char	*log;
	int	 taken;

	log = sshd_read_file(s->log);
	taken = log != NULL && strstr(log, "Address already in use") != NULL;
	free(log);
	return (taken);
}

/* Make a new temporary directory in $TMPDIR or /tmp. */
static char *
sshd_make_temporary_dir(const char *parent)
{
	const char	*tmpdir;
	char		*template;

	if (parent == NULL &&
	    ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0'))
		tmpdir = "/tmp";
	xasprintf(&template, "%s/%s.XXXXXX", parent != NULL ? parent : tmpdir,
	    parent != NULL ? "server" : "creamas-sshd");
	if (mkdtemp(template) == NULL)
		sshd_fail(NULL, "mkdtemp %s: %s", template, strerror(errno));
	return (template);
}

/* Remove one entry of a temporary directory, for nftw(). */
static int
sshd_remove(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	remove(path);
	return (0);
}

/*
 * Unchecked fixture setup (run in Check's parent process): servers of the
 * test case make their directories in one directory, which the teardown
 * removes, so a test that fails before sshd_stop() leaves nothing behind.
 */
void
sshd_fixture_setup(void)
{
	sshd_base_dir = sshd_make_temporary_dir(NULL);
}

/* Unchecked fixture teardown: remove what the test case's servers left. */
void
sshd_fixture_teardown(void)
{
	if (sshd_base_dir != NULL)
		nftw(sshd_base_dir, sshd_remove, 16, FTW_DEPTH | FTW_PHYS);
	free(sshd_base_dir);
	sshd_base_dir = NULL;
}

/* Start a server with its own keys; extra lines go into sshd_config. */
struct sshd *
sshd_start(const char *extra_config)
{
	struct sshd	*s;
	char		*public, *authorized;
	int		 try;

	s = xcalloc(1, sizeof *s);
	s->pid = s->agent_pid = -1;
	if (extra_config != NULL)
		s->extra_config = xstrdup(extra_config);
	s->dir = sshd_make_temporary_dir(sshd_base_dir);
	s->config = sshd_path(s, "sshd_config");
	s->host_key = sshd_path(s, "host_key");
	s->user_key = sshd_path(s, "user_key");
	s->authorized_keys = sshd_path(s, "authorized_keys");
	s->known_hosts = sshd_path(s, "known_hosts");
	s->log = sshd_path(s, "sshd.log");
	s->home = sshd_path(s, "home");
	if (mkdir(s->home, 0700) == -1)
		sshd_fail(s, "mkdir %s: %s", s->home, strerror(errno));

	/* sshd started as root insists on its privilege separation dir. */
	if (geteuid() == 0 && mkdir(SSHD_PRIVSEP_DIR, 0755) == -1 &&
	    errno != EEXIST)
		sshd_fail(s, "mkdir %s: %s", SSHD_PRIVSEP_DIR, strerror(errno));

	sshd_keygen(s, s->host_key, NULL, "creamas-test-host", NULL);
	sshd_keygen(s, s->user_key, NULL, "creamas-test-user", NULL);
	xasprintf(&public, "%s.pub", s->user_key);
	if ((authorized = sshd_read_file(public)) == NULL)
		sshd_fail(s, "cannot read %s: %s", public, strerror(errno));
	sshd_write_file(s, s->authorized_keys, authorized, 0600);
	free(authorized);
	free(public);

	for (try = 0; try < SSHD_PORT_TRIES; try++) {
		s->port = sshd_free_port(s);
		sshd_write_config(s);
		if (sshd_launch(s) == 0)
			return (s);
		if (!sshd_port_taken(s))
			break;
	}
	sshd_fail(s, "sshd exited at start on port %u", s->port);
}

/* Stop sshd by pid and start it again on the same port. */
void
sshd_restart(struct sshd *s)
{
	int	 try;

	sshd_kill(s->pid);
	s->pid = -1;
	for (try = 0; try < SSHD_PORT_TRIES; try++) {
		if (sshd_launch(s) == 0)
			return;
		if (!sshd_port_taken(s))
			break;
		usleep(200000);
	}
	sshd_fail(s, "sshd did not start again on port %u", s->port);
}

/*
 * Give the server a new host key, of a type (ssh-keygen -t) or ed25519,
 * leaving known_hosts with the old one.
 */
void
sshd_new_host_key(struct sshd *s, const char *type)
{
	sshd_keygen(s, s->host_key, type, "creamas-test-host-2", NULL);
	sshd_restart(s);
}

/*
 * Make another user key in the directory, with a passphrase or none, added
 * to authorized_keys or not; return its path.
 */
char *
sshd_new_user_key(struct sshd *s, const char *name, const char *passphrase,
    int authorise)
{
	FILE	*f;
	char	*path, *public, *text;

	path = sshd_path(s, name);
	sshd_keygen(s, path, NULL, name, passphrase);
	if (authorise) {
		xasprintf(&public, "%s.pub", path);
		if ((text = sshd_read_file(public)) == NULL ||
		    (f = fopen(s->authorized_keys, "a")) == NULL ||
		    fputs(text, f) == EOF || fclose(f) == EOF)
			sshd_fail(s, "cannot authorise %s", public);
		free(text);
		free(public);
	}
	return (path);
}

/* What sshd logged so far. */
char *
sshd_read_log(const struct sshd *s)
{
	char	*log;

	if ((log = sshd_read_file(s->log)) == NULL)
		return (xstrdup(""));
	return (log);
}

/* Run an empty ssh-agent and point SSH_AUTH_SOCK at it. */
void
sshd_agent_start(struct sshd *s)
{
	const char	*argv[] = { "ssh-agent", "-D", "-a", NULL, NULL };
	char		*agent_log;
	double		 deadline;
	struct stat	 sb;

	s->agent_socket = sshd_path(s, "agent.sock");
	argv[3] = s->agent_socket;
	agent_log = sshd_path(s, "agent.log");
	unlink(s->agent_socket);
	s->agent_pid = sshd_spawn(s, argv, agent_log, -1);
	free(agent_log);

	deadline = sshd_now() + SSHD_READY_WAIT;
	while (stat(s->agent_socket, &sb) == -1) {
		if (sshd_now() > deadline ||
		    waitpid(s->agent_pid, NULL, WNOHANG) == s->agent_pid) {
			s->agent_pid = -1;
			sshd_fail(s, "ssh-agent did not make %s",
			    s->agent_socket);
		}
		usleep(10000);
	}
	if (setenv("SSH_AUTH_SOCK", s->agent_socket, 1) == -1)
		sshd_fail(s, "setenv: %s", strerror(errno));
}

/*
 * Add a key to the agent; ssh-add reads a passphrase from SSH_ASKPASS, a
 * script printing it.
 */
void
sshd_agent_add(struct sshd *s, const char *key, const char *passphrase)
{
	const char	*add[] = { "ssh-add", "-q", key, NULL };
	char		*askpass, *output;

	askpass = sshd_path(s, "askpass");
	sshd_write_file(s, askpass,
	    "#!/bin/sh\nprintf '%s\\n' \"$SSHD_PASSPHRASE\"\n", 0700);
	if (setenv("SSH_ASKPASS", askpass, 1) == -1 ||
	    setenv("SSH_ASKPASS_REQUIRE", "force", 1) == -1 ||
	    setenv("SSHD_PASSPHRASE", passphrase != NULL ? passphrase : "",
	    1) == -1)
		sshd_fail(s, "setenv: %s", strerror(errno));
	if (sshd_command(s, add, &output) != 0)
		sshd_fail(s, "ssh-add %s failed: %s", key, output);
	unsetenv("SSH_ASKPASS");
	unsetenv("SSH_ASKPASS_REQUIRE");
	unsetenv("SSHD_PASSPHRASE");
	free(output);
	free(askpass);
}

/* Stop the agent by pid and forget SSH_AUTH_SOCK. */
void
sshd_agent_stop(struct sshd *s)
{
	sshd_kill(s->agent_pid);
	s->agent_pid = -1;
	unsetenv("SSH_AUTH_SOCK");
}

/* Stop sshd (and the agent) by pid, remove the directory, free it all. */
void
sshd_stop(struct sshd *s)
{
	if (s == NULL)
		return;
	if (s->agent_pid != -1)
		sshd_agent_stop(s);
	sshd_kill(s->pid);
	s->pid = -1;
	if (s->dir != NULL)
		nftw(s->dir, sshd_remove, 16, FTW_DEPTH | FTW_PHYS);
	free(s->dir);
	free(s->config);
	free(s->host_key);
	free(s->user_key);
	free(s->authorized_keys);
	free(s->known_hosts);
	free(s->log);
	free(s->home);
	free(s->agent_socket);
	free(s->extra_config);
	free(s);
}
