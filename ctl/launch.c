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
#include <sys/wait.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "addr.h"
#include "auth.h"
#include "creamasctl.h"
#include "jsonrpc.h"
#include "xmalloc.h"

/*
 * spawn: start every node at once. launch=local forks and execs the
 * node's command here, launch=ssh runs it over SSH (ctl/remote.c, in a
 * thread of its own so the event loop keeps running), launch=none only
 * checks that the node answers. The command daemonises once the node is
 * ready, so its exit is the moment the node is up; its exit status and
 * stderr are the verdict.
 */

#define LAUNCH_OUTPUT_MAX	(64 * 1024)
#define LAUNCH_KILL_WAIT	2.0	/* seconds from SIGTERM to SIGKILL */
#define LAUNCH_PROBE_TIMEOUT	2.0	/* seconds to see if a node is up */

#define LAUNCH_DEFAULT_TEMPLATE	"{creamasd} --role master --slaves {slaves} " \
				"--listen {listen} -o idle_exit={idle_exit}"
#define LAUNCH_KEY_TEMPLATE	LAUNCH_DEFAULT_TEMPLATE " --key {key}"

/*
 * Over SSH the cluster key travels on the channel's stdin, never on a
 * command line, into a new file only its owner may read (mktemp), put
 * in place by a rename: an old file's mode, a symbolic link or another
 * node reading the key at that moment cannot spoil it.
 */
#define LAUNCH_REMOTE_KEY	".config/creamas/cluster.key"
#define LAUNCH_REMOTE_KEY_COPY	"cd \"$HOME\" && umask 077 && " \
				"mkdir -p .config/creamas && " \
				"t=$(mktemp " LAUNCH_REMOTE_KEY ".XXXXXX) && " \
				"cat > \"$t\" && mv -f \"$t\" " \
				LAUNCH_REMOTE_KEY " && "

/* One local command being run. */
struct launch_child {
	struct launch	*launch;
	size_t		 index;		/* in the cluster */
	pid_t		 pid;		/* 0 once reaped */
	int		 fds[2];	/* stdout, stderr; -1 when closed */
	struct event	*events[2];
	struct evbuffer	*output[2];
	int		 status;
	double		 started;
	double		 elapsed;
	int		 timed_out;
};

/* A spawn in progress. */
struct launch {
	struct cluster		*cluster;
	struct launch_child	*children;
	size_t			 nchildren;
	size_t			 running;
	struct remote_job	*jobs;
	char			**job_commands;	/* what jobs[k].command is */
	size_t			*job_index;
	size_t			 njobs;
	struct remote_options	 remote;
	int			 remote_pipe[2];
	int			 remote_done;
	double			 remote_started;
	double			 remote_elapsed;
	size_t			 done;		/* nodes finished */
};

/* Return 1 if a value needs no quoting for sh. */
static int
launch_is_plain(const char *value)
{
	const char	*p;

	if (*value == '\0')
		return (0);
	for (p = value; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("@%+=:,./-_",
		    *p) == NULL)
			return (0);
	}
	return (1);
}

/* Return a copy of a value, quoted for sh when it must be. */
char *
launch_quote(const char *value)
{
	return (launch_is_plain(value) ? xstrdup(value) :
	    remote_quote(value));
}

/* Append a value to a command, quoted for sh when it must be. */
static void
launch_append_value(char **command, size_t *used, const char *value)
{
	char	*quoted;
	size_t	 length;

	quoted = launch_quote(value);
	length = strlen(quoted);
	*command = xrealloc(*command, *used + length + 1);
	memcpy(*command + *used, quoted, length + 1);
	*used += length;
	free(quoted);
}

/* Format seconds as the daemon's configuration reads them. */
static char *
launch_seconds(double seconds)
{
	char	*text;

	xasprintf(&text, "%.15g", seconds);
	return (text);
}

/*
 * Expand a node's command template: {creamasd} {host} {port} {listen}
 * {slaves} {idle_exit} {key} become the (quoted) values; any other text,
 * braces included, is kept as it is. With a key, the default command
 * passes it with --key.
 */
char *
launch_command(const struct node *node, const char *creamasd,
    const char *key_path)
{
	static const char	*names[] = { "creamasd", "host", "port",
				    "listen", "slaves", "idle_exit", "key", NULL };
	const char		*template, *p;
	char			*command, *values[7];
	size_t			 used = 0, length, i;

	values[0] = xstrdup(creamasd);
	values[1] = xstrdup(node->host);
	xasprintf(&values[2], "%u", node->port);
	values[3] = addr_format_hostport(node->host, node->port);
	xasprintf(&values[4], "%lu", node->slaves);
	values[5] = launch_seconds(node->idle_exit);
	values[6] = xstrdup(key_path != NULL ? key_path : "");

	if (node->command != NULL)
		template = node->command;
	else
		template = key_path != NULL ? LAUNCH_KEY_TEMPLATE :
		    LAUNCH_DEFAULT_TEMPLATE;
	command = xmalloc(1);
	command[0] = '\0';
	for (p = template; *p != '\0'; p++) {
		if (*p == '{') {
			for (i = 0; names[i] != NULL; i++) {
				length = strlen(names[i]);
				if (strncmp(p + 1, names[i], length) == 0 &&
				    p[1 + length] == '}')
					break;
			}
			if (names[i] != NULL) {
				launch_append_value(&command, &used,
				    values[i]);
				p += strlen(names[i]) + 1;
				continue;
			}
		}
		command = xrealloc(command, used + 2);
		command[used++] = *p;
		command[used] = '\0';
	}
	for (i = 0; i < 7; i++)
		free(values[i]);
	return (command);
}

/*
 * Find creamasd for launch=local: $CREAMASD, else next to creamasctl
 * (or in ../sbin, as installed), else "creamasd" from PATH.
 */
const char *
launch_creamasd_path(void)
{
	static char	 path[PATH_MAX];
	const char	*env;
	char		 self[PATH_MAX], *dir;
	ssize_t		 length;

	if ((env = getenv("CREAMASD")) != NULL && *env != '\0')
		return (env);
	length = readlink("/proc/self/exe", self, sizeof self - 1);
	if (length > 0) {
		self[length] = '\0';
		dir = dirname(self);
		snprintf(path, sizeof path, "%s/creamasd", dir);
		if (access(path, X_OK) == 0)
			return (path);
		snprintf(path, sizeof path, "%s/../sbin/creamasd", dir);
		if (access(path, X_OK) == 0)
			return (path);
	}
	return ("creamasd");
}

/* The command run over SSH: copy the key in first when there is one. */
static char *
launch_remote_command(struct cluster *cluster, const struct node *node)
{
	char	*command, *full;

	if (cluster->limits.key == NULL)
		return (launch_command(node, "creamasd", NULL));
	command = launch_command(node, "creamasd", LAUNCH_REMOTE_KEY);
	xasprintf(&full, "%s%s", LAUNCH_REMOTE_KEY_COPY, command);
	free(command);
	return (full);
}

/*
 * Fill argv (LAUNCH_ARGV_MAX words at most, NULL-terminated) with the
 * default command: creamasd as a master of the node's slaves, listening
 * on its port; with -d too when foreground is set.
 */
void
launch_default_argv(const struct node *node, const char *creamasd,
    const char *key_path, int foreground, char **argv)
{
	char	*idle;
	size_t	 n = 0;

	idle = launch_seconds(node->idle_exit);
	argv[n++] = xstrdup(creamasd);
	if (foreground)
		argv[n++] = xstrdup("-d");
	argv[n++] = xstrdup("--role");
	argv[n++] = xstrdup("master");
	argv[n++] = xstrdup("--slaves");
	xasprintf(&argv[n++], "%lu", node->slaves);
	argv[n++] = xstrdup("--listen");
	argv[n++] = addr_format_hostport(node->host, node->port);
	argv[n++] = xstrdup("-o");
	xasprintf(&argv[n++], "idle_exit=%s", idle);
	if (key_path != NULL) {
		argv[n++] = xstrdup("--key");
		argv[n++] = xstrdup(key_path);
	}
	argv[n] = NULL;
	free(idle);
}

/*
 * In the child: set up descriptors and exec the node's command; a
 * launch=slurm node's command is a job step (ctl/slurm.c).
 */
static void __attribute__((noreturn))
launch_exec(const struct node *node, const char *creamasd,
    const char *key_path, const char *command, int out_fd, int err_fd)
{
	char		*argv[LAUNCH_ARGV_MAX];
	int		 fd;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(err_fd, STDERR_FILENO) == -1)
		_exit(126);
	closefrom(STDERR_FILENO + 1);

	if (node->launch == LAUNCH_SLURM)
		slurm_step(node, creamasd, key_path,
		    node->command != NULL ? command : NULL);
	if (node->command != NULL) {
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		dprintf(STDERR_FILENO, "exec /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	/* The default command needs no shell: exec creamasd itself. */
	launch_default_argv(node, creamasd, key_path, 0, argv);
	execvp(creamasd, argv);
	dprintf(STDERR_FILENO, "exec %s: %s\n", creamasd, strerror(errno));
	_exit(127);
}

/* Read what a child wrote; stop watching at end of file. */
static void
launch_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct launch_child	*child = arg;
	char			 buffer[4096];
	ssize_t			 length;
	int			 k = (fd == child->fds[0]) ? 0 : 1;

	(void)events;
	for (;;) {
		length = read(fd, buffer, sizeof buffer);
		if (length == -1 && errno == EINTR)
			continue;
		if (length == -1 && errno == EAGAIN)
			return;
		if (length <= 0)
			break;
		if (evbuffer_get_length(child->output[k]) < LAUNCH_OUTPUT_MAX)
			evbuffer_add(child->output[k], buffer, length);
	}
	event_free(child->events[k]);
	child->events[k] = NULL;
	close(child->fds[k]);
	child->fds[k] = -1;
}

/* A child has exited: collect what is left of its output. */
static void
launch_child_exited(struct launch_child *child, int status)
{
	int	 k;

	child->pid = 0;
	child->status = status;
	child->elapsed = ctl_now() - child->started;
	for (k = 0; k < 2; k++) {
		if (child->fds[k] != -1)
			launch_read_cb(child->fds[k], EV_READ, child);
		/* A grandchild may hold the pipe: stop reading it anyway. */
		if (child->fds[k] != -1) {
			event_free(child->events[k]);
			child->events[k] = NULL;
			close(child->fds[k]);
			child->fds[k] = -1;
		}
	}
	child->launch->running--;
	child->launch->done++;
}

/* Reap every child that has exited. */
static void
launch_reap(struct launch *launch)
{
	struct launch_child	*child;
	size_t			 i;
	pid_t			 pid;
	int			 status;

	for (i = 0; i < launch->nchildren; i++) {
		child = &launch->children[i];
		if (child->pid == 0)
			continue;
		pid = waitpid(child->pid, &status, WNOHANG);
		if (pid == child->pid)
			launch_child_exited(child, status);
		else if (pid == -1 && errno == ECHILD)
			launch_child_exited(child, -1);
	}
}

/* SIGCHLD: some child has exited. */
static void
launch_sigchld_cb(evutil_socket_t signo, short events, void *arg)
{
	(void)signo;
	(void)events;
	launch_reap(arg);
}

/* Start node i's command as a child of this process. */
static int
launch_start_local(struct launch *launch, size_t i, const char *creamasd)
{
	struct cluster		*cluster = launch->cluster;
	const struct node	*node = cluster->node[i];
	struct launch_child	*child;
	int			 out[2], errp[2], k;
	char			*command;

	child = &launch->children[launch->nchildren];
	memset(child, 0, sizeof *child);
	child->launch = launch;
	child->index = i;
	child->fds[0] = child->fds[1] = -1;
	command = launch_command(node, creamasd, cluster->options->key_path);
	if (cluster->options->verbose)
		warnx("%s: running %s", node->name, command);
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) == -1) {
		cluster_fail(cluster, i, "spawn: pipe: %s", strerror(errno));
		free(command);
		return (-1);
	}
	if (pipe2(errp, O_CLOEXEC | O_NONBLOCK) == -1) {
		cluster_fail(cluster, i, "spawn: pipe: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		free(command);
		return (-1);
	}
	fflush(stdout);
	fflush(stderr);
	child->started = ctl_now();
	switch (child->pid = fork()) {
	case -1:
		cluster_fail(cluster, i, "spawn: fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		free(command);
		return (-1);
	case 0:
		launch_exec(node, creamasd, cluster->options->key_path,
		    command, out[1], errp[1]);
	}
	/* Here too, so that a kill of the group never misses it. */
	setpgid(child->pid, child->pid);
	free(command);
	close(out[1]);
	close(errp[1]);
	child->fds[0] = out[0];
	child->fds[1] = errp[0];
	for (k = 0; k < 2; k++) {
		child->output[k] = evbuffer_new();
		child->events[k] = event_new(cluster->base, child->fds[k],
		    EV_READ | EV_PERSIST, launch_read_cb, child);
		event_add(child->events[k], NULL);
	}
	launch->nchildren++;
	launch->running++;
	return (0);
}

/* Return a copy of a child's output, trailing white space removed. */
static char *
launch_output(struct evbuffer *buffer)
{
	size_t	 length = evbuffer_get_length(buffer);
	char	*text;

	text = xmalloc(length + 1);
	evbuffer_remove(buffer, text, length);
	text[length] = '\0';
	while (length > 0 && isspace((unsigned char)text[length - 1]))
		text[--length] = '\0';
	return (text);
}

/*
 * Say why a launch=none node does not answer; when nothing listens on
 * its port, say too that it is started outside creamasctl, and how.
 */
static char *
launch_none_why(const struct node *node, const struct json_object *error)
{
	const char	*message = rpc_error_message(error);
	const char	*refused = strerror(ECONNREFUSED);
	size_t		 length = strlen(message), tail = strlen(refused);
	char		*where, *why;

	if (rpc_error_code(error) != RPC_CONNECTION_LOST || length < tail ||
	    strcmp(message + length - tail, refused) != 0)
		return (ctl_error_text(error));
	where = addr_format_hostport(node->host, node->port);
	xasprintf(&why, "nothing listens on %s; launch=none nodes are "
	    "started outside creamasctl: start it (systemctl start creamasd, "
	    "or creamasd@NAME for an instance)", where);
	free(where);
	return (why);
}

/* Report how a command ended: a line on success, a failure otherwise. */
static int
launch_report(struct cluster *cluster, size_t i, int ok, const char *out,
    const char *err_text, double elapsed, const char *why)
{
	const struct node	*node = cluster->node[i];
	struct json_object	*object;
	char			*time_text, *end;
	unsigned long		 port = 0;

	if (!ok) {
		if (err_text != NULL && *err_text != '\0')
			cluster_fail(cluster, i, "spawn (%s): %s: %s",
			    nodes_launch_name(node->launch), why, err_text);
		else
			cluster_fail(cluster, i, "spawn (%s): %s",
			    nodes_launch_name(node->launch), why);
	}
	if (out != NULL)
		port = strtoul(out, &end, 10);
	if (cluster->options->json) {
		object = ctl_json_node("spawn", node, ok);
		json_object_object_add(object, "launch",
		    json_object_new_string(nodes_launch_name(node->launch)));
		json_object_object_add(object, "elapsed",
		    ctl_json_seconds(elapsed));
		if (port > 0 && port <= UINT16_MAX)
			json_object_object_add(object, "port",
			    json_object_new_int((int)port));
		if (!ok)
			json_object_object_add(object, "error",
			    json_object_new_string(cluster->failure[i]));
		ctl_json_print(object);
	} else if (ok) {
		time_text = ctl_format_seconds(elapsed);
		ctl_print_node(cluster, i, "%s (%s) in %s",
		    node->launch == LAUNCH_NONE ? "answers" : "started",
		    nodes_launch_name(node->launch), time_text);
		free(time_text);
	}
	return (ok ? 0 : -1);
}

/* Say how a local command ended. */
static void
launch_finish_local(struct launch_child *child)
{
	struct cluster	*cluster = child->launch->cluster;
	char		*out, *err_text, *why;
	int		 status = child->status;

	out = launch_output(child->output[0]);
	err_text = launch_output(child->output[1]);
	if (child->timed_out && cluster->interrupted)
		why = xstrdup("interrupted (killed)");
	else if (child->timed_out)
		xasprintf(&why, "not up within %g s (killed)",
		    cluster->options->timeout);
	else if (status == -1)
		why = xstrdup("lost track of the process");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		why = NULL;
	else if (WIFEXITED(status))
		xasprintf(&why, "exit status %d", WEXITSTATUS(status));
	else
		xasprintf(&why, "killed by signal %d", WTERMSIG(status));
	launch_report(cluster, child->index, why == NULL, out, err_text,
	    child->elapsed, why);
	free(why);
	free(out);
	free(err_text);
	evbuffer_free(child->output[0]);
	evbuffer_free(child->output[1]);
}

/* The SSH thread: run every job, then wake the event loop. */
static void *
launch_remote_thread(void *arg)
{
	struct launch	*launch = arg;
	char		 byte = 1;

	remote_run(launch->jobs, launch->njobs, &launch->remote);
	launch->remote_elapsed = ctl_now() - launch->remote_started;
	while (write(launch->remote_pipe[1], &byte, 1) == -1 &&
	    errno == EINTR)
		;
	return (NULL);
}

/* The SSH jobs are done. */
static void
launch_remote_done_cb(evutil_socket_t fd, short events, void *arg)
{
	struct launch	*launch = arg;

	(void)fd;
	(void)events;
	launch->remote_done = 1;
}

/* Say how each SSH job ended. */
static void
launch_finish_remote(struct launch *launch)
{
	struct remote_job	*job;
	size_t			 k;
	char			*why, *err_text;
	size_t			 length;

	for (k = 0; k < launch->njobs; k++) {
		job = &launch->jobs[k];
		err_text = xstrdup(job->err != NULL ? job->err : "");
		length = strlen(err_text);
		while (length > 0 &&
		    isspace((unsigned char)err_text[length - 1]))
			err_text[--length] = '\0';
		if (job->failure != NULL)
			why = xstrdup(job->failure);
		else if (job->exit_status != 0)
			xasprintf(&why, "exit status %d", job->exit_status);
		else
			why = NULL;
		launch_report(launch->cluster, launch->job_index[k],
		    why == NULL, job->out, err_text, launch->remote_elapsed,
		    why);
		free(why);
		free(err_text);
		free(launch->job_commands[k]);
		remote_job_clear(job);
	}
}

/* Wake the loop now and then, to check the time. */
static void
launch_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
}

/* Kill the children that are still running after the timeout. */
static void
launch_kill_late(struct launch *launch, int signo)
{
	size_t	 i;

	for (i = 0; i < launch->nchildren; i++) {
		if (launch->children[i].pid > 0) {
			launch->children[i].timed_out = 1;
			/* Its own process group: the shell and its command. */
			kill(-launch->children[i].pid, signo);
		}
	}
}

/*
 * Find the nodes to be spawned that already answer on their port and
 * report them; return how many do.
 */
static size_t
launch_find_running(struct cluster *cluster, int *running)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *object, *pid;
	size_t			 *which, nwhich = 0, k, i, count = 0;
	double			  timeout, started = ctl_now();

	which = xcalloc(cluster->count + 1, sizeof *which);
	params = xcalloc(cluster->count + 1, sizeof *params);
	for (i = 0; i < cluster->count; i++) {
		if (cluster->node[i]->launch != LAUNCH_NONE)
			which[nwhich++] = i;
	}
	timeout = cluster->options->timeout < LAUNCH_PROBE_TIMEOUT ?
	    cluster->options->timeout : LAUNCH_PROBE_TIMEOUT;
	replies = cluster_call(cluster, which, nwhich, "status", params,
	    timeout);
	for (k = 0; k < nwhich; k++) {
		i = which[k];
		if (replies[k].error != NULL) {
			/* Not up: spawn connects afresh when it is. */
			cluster_disconnect(cluster, i);
			continue;
		}
		running[i] = 1;
		count++;
		if (!json_object_object_get_ex(replies[k].result, "pid", &pid))
			pid = NULL;
		if (cluster->options->json) {
			object = ctl_json_node("spawn", cluster->node[i], 1);
			json_object_object_add(object, "launch",
			    json_object_new_string(nodes_launch_name(
			    cluster->node[i]->launch)));
			json_object_object_add(object, "already_running",
			    json_object_new_boolean(1));
			json_object_object_add(object, "elapsed",
			    ctl_json_seconds(ctl_now() - started));
			ctl_json_print(object);
		} else
			ctl_print_node(cluster, i, "already running%s%s",
			    pid != NULL ? " as pid " : "",
			    pid != NULL ? json_object_get_string(pid) : "");
	}
	cluster_replies_free(replies, nwhich);
	free(params);
	free(which);
	return (count);
}

/*
 * Spawn every selected node at once and report each; return 0 when all
 * are up.
 */
int
launch_spawn(struct cluster *cluster)
{
	struct launch		 launch;
	struct event		*sigchld = NULL, *remote_event = NULL;
	struct fanout_reply	*replies;
	struct json_object	**params;
	struct remote_job	*job;
	pthread_t		 thread;
	const char		*creamasd;
	char			*why;
	struct event		*tick;
	struct timeval		 tick_tv = { 0, 100000 };
	size_t			*which, nwhich = 0, i, nrunning;
	double			 started = ctl_now(), deadline, killed = 0, now;
	int			 thread_started = 0, *running;

	memset(&launch, 0, sizeof launch);
	launch.cluster = cluster;
	launch.children = xcalloc(cluster->count + 1,
	    sizeof *launch.children);
	launch.jobs = xcalloc(cluster->count + 1, sizeof *launch.jobs);
	launch.job_index = xcalloc(cluster->count + 1,
	    sizeof *launch.job_index);
	launch.job_commands = xcalloc(cluster->count + 1,
	    sizeof *launch.job_commands);
	launch.remote_pipe[0] = launch.remote_pipe[1] = -1;
	which = xcalloc(cluster->count + 1, sizeof *which);
	running = xcalloc(cluster->count + 1, sizeof *running);
	deadline = started + cluster->options->timeout;

	/* A node already up is left as it is: spawn is idempotent. */
	nrunning = launch_find_running(cluster, running);

	/* Local nodes: fork and exec each, watched by SIGCHLD. */
	sigchld = evsignal_new(cluster->base, SIGCHLD, launch_sigchld_cb,
	    &launch);
	evsignal_add(sigchld, NULL);
	creamasd = launch_creamasd_path();
	for (i = 0; i < cluster->count; i++) {
		if ((cluster->node[i]->launch == LAUNCH_LOCAL ||
		    cluster->node[i]->launch == LAUNCH_SLURM) && !running[i])
			launch_start_local(&launch, i, creamasd);
	}

	/* SSH nodes: all at once in a thread of their own. */
	for (i = 0; i < cluster->count; i++) {
		if (cluster->node[i]->launch != LAUNCH_SSH || running[i])
			continue;
		if (cluster->limits.key != NULL &&
		    memchr(cluster->limits.key->bytes, '\0',
		    cluster->limits.key->length) != NULL) {
			cluster_fail(cluster, i, "spawn: the cluster key holds "
			    "NUL bytes and cannot travel over SSH as text; "
			    "make one with creamasctl keygen");
			continue;
		}
		job = &launch.jobs[launch.njobs];
		job->user = cluster->node[i]->user;
		job->host = cluster->node[i]->host;
		job->port = cluster->node[i]->ssh_port;
		job->identity = cluster->node[i]->identity;
		launch.job_commands[launch.njobs] = launch_remote_command(
		    cluster, cluster->node[i]);
		job->command = launch.job_commands[launch.njobs];
		if (cluster->limits.key != NULL)
			job->stdin_data = (const char *)
			    cluster->limits.key->bytes;
		job->exit_status = -1;
		if (cluster->options->verbose)
			warnx("%s: running over ssh: %s",
			    cluster->node[i]->name, job->command);
		launch.job_index[launch.njobs++] = i;
	}
	if (launch.njobs > 0) {
		launch.remote.accept_new_host_keys =
		    cluster->options->accept_new_host_keys;
		launch.remote.connect_timeout = cluster->options->timeout;
		launch.remote.known_hosts = cluster->options->known_hosts;
		if (pipe2(launch.remote_pipe, O_CLOEXEC) == -1)
			err(CTL_EXIT_FAILURE, "pipe");
		remote_event = event_new(cluster->base, launch.remote_pipe[0],
		    EV_READ, launch_remote_done_cb, &launch);
		event_add(remote_event, NULL);
		launch.remote_started = ctl_now();
		if (pthread_create(&thread, NULL, launch_remote_thread,
		    &launch) != 0)
			errx(CTL_EXIT_FAILURE, "cannot start the ssh thread");
		thread_started = 1;
	} else
		launch.remote_done = 1;

	/* launch=none: the node is started elsewhere; does it answer? */
	for (i = 0; i < cluster->count; i++) {
		if (cluster->node[i]->launch == LAUNCH_NONE)
			which[nwhich++] = i;
	}
	if (nwhich > 0) {
		params = xcalloc(nwhich + 1, sizeof *params);
		replies = cluster_call(cluster, which, nwhich, "is_ready",
		    params, cluster->options->timeout);
		free(params);
		for (i = 0; i < nwhich; i++) {
			why = NULL;
			if (replies[i].error != NULL)
				why = launch_none_why(
				    cluster->node[which[i]], replies[i].error);
			launch_report(cluster, which[i], why == NULL, NULL,
			    NULL, ctl_now() - started, why);
			free(why);
		}
		cluster_replies_free(replies, nwhich);
	}

	/* Wait for the local commands and the SSH thread. */
	tick = event_new(cluster->base, -1, EV_PERSIST, launch_tick_cb, NULL);
	event_add(tick, &tick_tv);
	launch_reap(&launch);
	while (launch.running > 0 || !launch.remote_done) {
		now = ctl_now();
		/* Late, or interrupted: the children are killed. */
		if (launch.running > 0 && (now >= deadline ||
		    cluster->interrupted)) {
			if (killed == 0) {
				launch_kill_late(&launch, SIGTERM);
				killed = now;
			} else if (now - killed > LAUNCH_KILL_WAIT)
				launch_kill_late(&launch, SIGKILL);
		}
		if (now - started > 1.0)
			cluster_progress(cluster, "%zu/%zu nodes started...",
			    launch.done + nwhich + nrunning +
			    (launch.remote_done ? launch.njobs : 0),
			    cluster->count);
		event_base_loop(cluster->base, EVLOOP_ONCE);
		launch_reap(&launch);
	}
	event_free(tick);
	cluster_progress_end(cluster);
	for (i = 0; i < launch.nchildren; i++)
		launch_finish_local(&launch.children[i]);
	if (thread_started) {
		pthread_join(thread, NULL);
		launch_finish_remote(&launch);
		event_free(remote_event);
		close(launch.remote_pipe[0]);
		close(launch.remote_pipe[1]);
	}
	event_free(sigchld);
	free(launch.children);
	free(launch.jobs);
	free(launch.job_index);
	free(launch.job_commands);
	free(which);
	free(running);
	return (cluster_exit_status(cluster));
}

/* creamasctl spawn: start every node. */
int
cmd_spawn(struct cluster *cluster, int argc, char **argv)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		ctl_usage_command("spawn");
	if (optind != argc)
		ctl_usage_command("spawn");
	return (launch_spawn(cluster));
}
