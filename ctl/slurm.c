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
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "creamasctl.h"
#include "hostlist.h"
#include "quote.h"
#include "xmalloc.h"

/*
 * Slurm: nodes --from-slurm prints a nodes file for the allocation the
 * command runs in, and launch=slurm starts a node as a job step of it,
 *	srun --nodes=1 --ntasks=1 --nodelist=HOST --overlap --jobid=ID
 *	    creamasd -d ...
 * creamasd stays in the foreground (a step ends, killing what is left in
 * it, when its task exits), prints its port once ready, and Slurm
 * signals it with the job. spawn's child starts srun in a session of its
 * own, passes the port on as a daemonising creamasd would, and exits,
 * leaving srun running; srun's own output goes to a file in $TMPDIR.
 */

#define SLURM_ARGV_MAX		(8 + LAUNCH_ARGV_MAX)
#define SLURM_LOG_TAIL		4096	/* bytes of srun's output shown */
#define SLURM_PORT_LINE		32

/* nodes' options: --from-slurm and what it prints. */
const struct option nodes_options[] = {
	{ "from-slurm", no_argument, NULL, 'F' },
	{ "port", required_argument, NULL, 'p' },
	{ "slaves", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

/* The srun started by slurm_step(), for its SIGTERM handler. */
static volatile pid_t	slurm_srun_pid;

/* Return 1 when a command is nodes --from-slurm (its own arguments). */
int
slurm_wanted(const char *name, int argc, char **argv)
{
	int	 k;

	if (strcmp(name, "nodes") != 0)
		return (0);
	for (k = 1; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strcmp(argv[k], "--from-slurm") == 0)
			return (1);
	}
	return (0);
}

/*
 * creamasctl nodes --from-slurm [--port P] [--slaves S]: a nodes file of
 * the allocation's hosts, each launch=slurm.
 */
int
slurm_nodes(int argc, char **argv)
{
	struct hostlist	 list;
	const char	*text, *job;
	unsigned long	 port = NODES_PORT, slaves = 0;
	char		*cause;
	size_t		 k;
	int		 ch, slaves_set = 0;

	while ((ch = getopt_long(argc, argv, "", nodes_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'F':
			break;
		case 'p':
			if (config_parse_count(optarg, 1, UINT16_MAX, &port,
			    &cause) != 0)
				errx(CTL_EXIT_USAGE, "--port: %s", cause);
			break;
		case 's':
			if (config_parse_count(optarg, 0, CONFIG_SLAVES_MAX,
			    &slaves, &cause) != 0)
				errx(CTL_EXIT_USAGE, "--slaves: %s", cause);
			slaves_set = 1;
			break;
		default:
			ctl_usage_command("nodes");
		}
	}
	if (optind != argc)
		ctl_usage_command("nodes");
	if ((text = getenv("SLURM_JOB_NODELIST")) == NULL &&
	    (text = getenv("SLURM_NODELIST")) == NULL)
		errx(CTL_EXIT_USAGE, "nodes --from-slurm: SLURM_JOB_NODELIST "
		    "is not set: run within a Slurm allocation (sbatch, "
		    "salloc)");
	if (hostlist_expand(text, &list, &cause) != 0)
		errx(CTL_EXIT_USAGE, "SLURM_JOB_NODELIST: %s", cause);
	job = getenv("SLURM_JOB_ID");
	printf("# Slurm job %s: %s\n", job != NULL ? job : "?", text);
	for (k = 0; k < list.count; k++) {
		printf("%s port=%lu", list.hosts[k], port);
		if (slaves_set)
			printf(" slaves=%lu", slaves);
		printf(" launch=slurm\n");
	}
	hostlist_free(&list);
	return (fflush(stdout) == 0 ? 0 : CTL_EXIT_FAILURE);
}

/*
 * Fill argv with srun's command line for a node: the job step, then
 * command under sh, or the default command in the foreground.
 */
static void
slurm_argv(const struct node *node, const char *creamasd,
    const char *key_path, const char *command, const char *job,
    char **argv)
{
	size_t	 n = 0;

	argv[n++] = xstrdup("srun");
	argv[n++] = xstrdup("--nodes=1");
	argv[n++] = xstrdup("--ntasks=1");
	xasprintf(&argv[n++], "--nodelist=%s", node->host);
	argv[n++] = xstrdup("--overlap");
	xasprintf(&argv[n++], "--jobid=%s", job);
	if (command != NULL) {
		argv[n++] = xstrdup("/bin/sh");
		argv[n++] = xstrdup("-c");
		argv[n++] = xstrdup(command);
		argv[n] = NULL;
	} else
		launch_default_argv(node, creamasd, key_path, 1, argv + n);
}

/* Return the node's command as sh would read it, for nodes. */
char *
slurm_command(const struct node *node, const char *creamasd,
    const char *key_path)
{
	const char	*job = getenv("SLURM_JOB_ID");
	char		*argv[SLURM_ARGV_MAX], *text, *word, *next, *command;
	size_t		 k;

	command = node->command != NULL ? launch_command(node, creamasd,
	    key_path) : NULL;
	slurm_argv(node, creamasd, key_path, command, job != NULL ? job :
	    "$SLURM_JOB_ID", argv);
	text = xstrdup("");
	for (k = 0; argv[k] != NULL; k++) {
		word = launch_quote(argv[k]);
		xasprintf(&next, "%s%s%s", text, k > 0 ? " " : "", word);
		free(word);
		free(text);
		free(argv[k]);
		text = next;
	}
	free(command);
	return (text);
}

/* SIGTERM in slurm_step(): spawn gave up; end srun too. */
static void
slurm_kill_srun(int signo)
{
	if (slurm_srun_pid > 0)
		kill(slurm_srun_pid, SIGTERM);
	_exit(128 + signo);
}

/* Write all of a buffer, through short writes; -1 on an error. */
static int
slurm_write_all(int fd, const char *buffer, size_t length)
{
	ssize_t	 written;

	while (length > 0) {
		written = write(fd, buffer, length);
		if (written == -1 && errno == EINTR)
			continue;
		if (written <= 0)
			return (-1);
		buffer += written;
		length -= (size_t)written;
	}
	return (0);
}

/* Copy the end of srun's output to stderr, for spawn's message. */
static void
slurm_show_log(const char *path)
{
	char	 buffer[SLURM_LOG_TAIL];
	off_t	 size;
	ssize_t	 length;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > SLURM_LOG_TAIL)
		lseek(fd, size - SLURM_LOG_TAIL, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	while ((length = read(fd, buffer, sizeof buffer)) > 0) {
		if (slurm_write_all(STDERR_FILENO, buffer, (size_t)length) != 0)
			break;
	}
	close(fd);
	dprintf(STDERR_FILENO, "(srun's output: %s)\n", path);
}

/*
 * In spawn's child (stdout and stderr spawn's pipes): start the node's
 * job step and exit once its creamasd has printed its port (0, the port
 * on stdout) or srun has ended (1, with srun's output on stderr).
 * command is the node's cmd= expanded, or NULL for the default.
 */
void
slurm_step(const struct node *node, const char *creamasd,
    const char *key_path, const char *command)
{
	char		*argv[SLURM_ARGV_MAX], *log_path, line[SLURM_PORT_LINE];
	const char	*job, *tmp;
	size_t		 used = 0;
	ssize_t		 length;
	pid_t		 pid;
	int		 fds[2], log_fd, status;

	if ((job = getenv("SLURM_JOB_ID")) == NULL || *job == '\0') {
		dprintf(STDERR_FILENO, "SLURM_JOB_ID is not set: launch=slurm "
		    "starts the node as a job step of the allocation; run "
		    "creamasctl within sbatch or salloc\n");
		_exit(1);
	}
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&log_path, "%s/creamasd-slurm-%s-%s-%u.log", tmp, job,
	    node->host, node->port);
	if ((log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		dprintf(STDERR_FILENO, "%s: %s\n", log_path, strerror(errno));
		_exit(1);
	}
	if (pipe(fds) == -1) {
		dprintf(STDERR_FILENO, "pipe: %s\n", strerror(errno));
		_exit(1);
	}
	slurm_argv(node, creamasd, key_path, command, job, argv);
	switch (pid = fork()) {
	case -1:
		dprintf(STDERR_FILENO, "fork: %s\n", strerror(errno));
		_exit(1);
	case 0:
		/* Out of spawn's process group: it outlives spawn. */
		setsid();
		signal(SIGPIPE, SIG_IGN);
		if (dup2(fds[1], STDOUT_FILENO) == -1 ||
		    dup2(log_fd, STDERR_FILENO) == -1)
			_exit(126);
		closefrom(STDERR_FILENO + 1);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "exec srun: %s\n", strerror(errno));
		_exit(127);
	}
	slurm_srun_pid = pid;
	signal(SIGTERM, slurm_kill_srun);
	close(fds[1]);
	dprintf(log_fd, "creamasctl: srun pid %ld\n", (long)pid);

	/* creamasd's first line is its port, once it is ready. */
	while (used < sizeof line - 1) {
		length = read(fds[0], line + used, 1);
		if (length == -1 && errno == EINTR)
			continue;
		if (length <= 0)
			break;
		if (line[used++] == '\n')
			_exit(slurm_write_all(STDOUT_FILENO, line, used) == 0 ?
			    0 : 1);
	}
	/* srun ended (or printed nonsense) before creamasd was ready. */
	if (length > 0)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	slurm_show_log(log_path);
	_exit(1);
}
