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
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * A master's slaves: started as this same program with --role slave, on
 * port+1..port+S by default, each with a pipe on its stdin whose end
 * tells it the master is gone; watched through SIGCHLD and their
 * connections; stopped in parallel, then signalled if they linger.
 */

#define SLAVE_START_TIMEOUT	15000	/* milliseconds to print a port */
#define SLAVE_KILL_GRACE	2.0	/* seconds from SIGTERM to SIGKILL */

/* Add one argument to a growing argv. */
static void
slaves_argv_add(char ***argv, size_t *argc, const char *fmt, ...)
{
	va_list	 ap;

	*argv = xreallocarray(*argv, *argc + 2, sizeof **argv);
	va_start(ap, fmt);
	xvasprintf(&(*argv)[(*argc)++], fmt, ap);
	va_end(ap);
	(*argv)[*argc] = NULL;
}

/* Build the command line of slave k. */
static char **
slaves_argv(const char *listen_host, uint16_t port)
{
	struct daemon_config	*config = env->config;
	const struct limits	*limits = &config->limits;
	char			**argv = NULL, *hostport;
	size_t			  argc = 0, i;

	hostport = addr_format_hostport(listen_host, port);
	slaves_argv_add(&argv, &argc, "creamasd");
	slaves_argv_add(&argv, &argc, "-d");
	slaves_argv_add(&argv, &argc, "--slave-of-master");
	for (i = 0; i < (size_t)config->verbose; i++)
		slaves_argv_add(&argv, &argc, "-v");
	if (!config->foreground || config->syslog)
		slaves_argv_add(&argv, &argc, "--syslog");
	slaves_argv_add(&argv, &argc, "--role=slave");
	slaves_argv_add(&argv, &argc, "--listen=%s", hostport);
	slaves_argv_add(&argv, &argc, "--advertise=%s", env->host);
	for (i = 0; i < config->nplugins; i++)
		slaves_argv_add(&argv, &argc, "--plugin=%s",
		    config->plugins[i]);
	for (i = 0; i < config->nextension_keys; i++)
		slaves_argv_add(&argv, &argc, "-o%s",
		    config->extension_keys[i]);
	if (config->log_folder != NULL)
		slaves_argv_add(&argv, &argc, "--log-folder=%s",
		    config->log_folder);
	if (config->key_path != NULL)
		slaves_argv_add(&argv, &argc, "--key=%s", config->key_path);
	if (config->insecure)
		slaves_argv_add(&argv, &argc, "--insecure");
	slaves_argv_add(&argv, &argc, "-omax_line=%zu", limits->max_line);
	slaves_argv_add(&argv, &argc, "-omax_output=%zu", limits->max_output);
	slaves_argv_add(&argv, &argc, "-omax_reply=%zu", limits->max_reply);
	slaves_argv_add(&argv, &argc, "-omax_inflight=%lu",
	    limits->max_inflight);
	slaves_argv_add(&argv, &argc, "-omax_connections=%lu",
	    limits->max_connections);
	slaves_argv_add(&argv, &argc, "-oidle_timeout=%.17g",
	    limits->idle_timeout);
	slaves_argv_add(&argv, &argc, "-ocall_timeout=%.17g",
	    limits->call_timeout);
	slaves_argv_add(&argv, &argc, "-oround_timeout=%.17g",
	    config->round_timeout);
	free(hostport);
	return (argv);
}

/* Free an argv built by slaves_argv(). */
static void
slaves_argv_free(char **argv)
{
	size_t	 i;

	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Fork and exec one slave; its stdout comes back on a pipe. */
static int
slaves_fork(struct slave *slave, const char *listen_host, char **cause)
{
	char	**argv, exe[4096];
	int	  out[2], in[2], null_fd;
	ssize_t	  length;

	length = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (length <= 0) {
		xasprintf(cause, "cannot find this program: %s",
		    strerror(errno));
		return (-1);
	}
	exe[length] = '\0';
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(in, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (-1);
	}
	argv = slaves_argv(listen_host, slave->port);
	switch (slave->pid = fork()) {
	case -1:
		xasprintf(cause, "fork: %s", strerror(errno));
		slaves_argv_free(argv);
		return (-1);
	case 0:
		/* The slave: stop when the master dies, however it dies. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		if (!env->config->foreground &&
		    (null_fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(null_fd, STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		/* Only the master speaks to systemd. */
		unsetenv("NOTIFY_SOCKET");
		execv(exe, argv);
		_exit(127);
	}
	slaves_argv_free(argv);
	close(in[0]);
	close(out[1]);
	slave->stdin_fd = in[1];
	slave->stdout_fd = out[0];
	return (0);
}

/* Read each slave's first line: its port, or why it could not start. */
static int
slaves_read_ports(char **cause)
{
	struct pollfd	*fds;
	struct slave	*slave;
	char		 line[512];
	size_t		 i, waiting = master->nslaves;
	ssize_t		 length;
	uint64_t	 deadline = env_now_us() + SLAVE_START_TIMEOUT * 1000ULL;
	int		 timeout, rc = 0;

	fds = xcalloc(master->nslaves, sizeof *fds);
	for (i = 0; i < master->nslaves; i++) {
		fds[i].fd = master->slaves[i].stdout_fd;
		fds[i].events = POLLIN;
	}
	while (waiting > 0 && rc == 0) {
		timeout = (int)((deadline - env_now_us()) / 1000);
		if (env_now_us() >= deadline || poll(fds, master->nslaves,
		    timeout) == 0) {
			xasprintf(cause, "%zu of %zu slaves did not start "
			    "within %d s", waiting, master->nslaves,
			    SLAVE_START_TIMEOUT / 1000);
			rc = -1;
			break;
		}
		for (i = 0; i < master->nslaves && rc == 0; i++) {
			if (fds[i].fd == -1 || fds[i].revents == 0)
				continue;
			slave = &master->slaves[i];
			length = read(fds[i].fd, line, sizeof line - 1);
			line[length > 0 ? length : 0] = '\0';
			line[strcspn(line, "\n")] = '\0';
			fds[i].fd = -1;
			waiting--;
			if (length > 0 && line[0] >= '0' && line[0] <= '9') {
				slave->port = (uint16_t)strtoul(line, NULL, 10);
				continue;
			}
			/* Counted from 1, as creamasd(8) says. */
			xasprintf(cause, "slave %zu (pid %ld, port %u) failed "
			    "to start: %s", i + 1, (long)slave->pid, slave->port,
			    strncmp(line, "ERR ", 4) == 0 ? line + 4 :
			    "it exited");
			rc = -1;
		}
	}
	for (i = 0; i < master->nslaves; i++) {
		close(master->slaves[i].stdout_fd);
		master->slaves[i].stdout_fd = -1;
	}
	free(fds);
	return (rc);
}

/* Kill and reap every slave started so far (a failed start-up). */
void
slaves_kill_all(void)
{
	struct slave	*slave;
	size_t		 i;

	for (i = 0; i < master->nslaves; i++) {
		slave = &master->slaves[i];
		if (slave->pid > 0 && !slave->exited) {
			kill(slave->pid, SIGKILL);
			waitpid(slave->pid, NULL, 0);
			slave->exited = 1;
		}
	}
}

/* Note a slave as lost, once, with the reason. */
void
slaves_lost(struct slave *slave, const char *reason)
{
	if (slave->state == SLAVE_LOST || slave->state == SLAVE_STOPPED)
		return;
	slave->state = env->stopping ? SLAVE_STOPPED : SLAVE_LOST;
	free(slave->reason);
	slave->reason = xstrdup(reason);
	if (!env->stopping)
		log_warnx("slave %s lost: %s", slave->address, reason);
}

/* A slave's connection broke. */
static void
slaves_connection_lost(void *arg)
{
	struct slave	*slave = arg;
	const char	*reason = client_lost_reason(slave->client);

	slaves_lost(slave, reason != NULL ? reason : "connection lost");
}

/* Start every slave and connect to each; the caller waits for is_ready. */
int
slaves_start(const char *listen_host, long first_port, char **cause)
{
	struct slave	*slave;
	const char	*connect_host = listen_host;
	size_t		 i;

	for (i = 0; i < master->nslaves; i++) {
		slave = &master->slaves[i];
		slave->index = i;
		slave->stdin_fd = slave->stdout_fd = -1;
		slave->port = first_port == 0 ? 0 : (uint16_t)(first_port + i);
		if (first_port != 0 && first_port + (long)i > UINT16_MAX) {
			xasprintf(cause, "slave ports run past 65535");
			goto fail;
		}
		if (slaves_fork(slave, listen_host, cause) != 0)
			goto fail;
	}
	if (slaves_read_ports(cause) != 0)
		goto fail;
	if (strcmp(listen_host, "0.0.0.0") == 0)
		connect_host = "127.0.0.1";
	else if (strcmp(listen_host, "::") == 0)
		connect_host = "::1";
	for (i = 0; i < master->nslaves; i++) {
		slave = &master->slaves[i];
		slave->address = addr_format(env->host, slave->port, 0);
		slave->client = client_new(env->base, connect_host, slave->port,
		    &env->config->limits);
		client_set_lost_cb(slave->client, slaves_connection_lost,
		    slave);
		slave->state = SLAVE_STARTING;
	}
	return (0);

fail:
	slaves_kill_all();
	return (-1);
}

/* Reap exited slaves (SIGCHLD). */
void
slaves_reap(void)
{
	struct slave	*slave;
	char		*reason;
	pid_t		 pid;
	size_t		 i;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < master->nslaves; i++) {
			slave = &master->slaves[i];
			if (slave->pid != pid)
				continue;
			slave->exited = 1;
			slave->status = status;
			if (WIFEXITED(status))
				xasprintf(&reason, "exited with status %d",
				    WEXITSTATUS(status));
			else
				xasprintf(&reason, "killed by signal %d",
				    WTERMSIG(status));
			/* The exit says more than a lost connection did. */
			if (slave->state == SLAVE_LOST) {
				free(slave->reason);
				slave->reason = reason;
				log_warnx("slave %s %s", slave->address,
				    reason);
			} else {
				slaves_lost(slave, reason);
				free(reason);
			}
		}
	}
}

/* Return 1 when every slave process has exited. */
int
slaves_all_exited(void)
{
	size_t	 i;

	for (i = 0; i < master->nslaves; i++) {
		if (!master->slaves[i].exited)
			return (0);
	}
	return (1);
}

/* Pass a signal on to every slave still running (SIGHUP). */
void
slaves_signal_all(int signo)
{
	size_t	 i;

	for (i = 0; i < master->nslaves; i++) {
		if (!master->slaves[i].exited && master->slaves[i].pid > 0)
			kill(master->slaves[i].pid, signo);
	}
}

/* Signal every slave still running; name them in the log. */
void
slaves_signal_remaining(int signo)
{
	struct slave	*slave;
	size_t		 i;

	for (i = 0; i < master->nslaves; i++) {
		slave = &master->slaves[i];
		if (slave->exited || slave->pid <= 0)
			continue;
		log_warnx("slave %s (pid %ld) has not closed: sending %s",
		    slave->address, (long)slave->pid, signo == SIGKILL ?
		    "SIGKILL" : "SIGTERM");
		slave->killed = 1;
		kill(slave->pid, signo);
	}
}

/* Close the connections and pipes to every slave and free them. */
void
slaves_free(void)
{
	struct slave	*slave;
	size_t		 i;

	for (i = 0; i < master->nslaves; i++) {
		slave = &master->slaves[i];
		client_free(slave->client);
		if (slave->stdin_fd != -1)
			close(slave->stdin_fd);
		free(slave->address);
		free(slave->reason);
	}
	free(master->slaves);
	master->slaves = NULL;
}
