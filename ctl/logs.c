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

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "creamasctl.h"
#include "path.h"
#include "xmalloc.h"

/*
 * creamasctl logs DIR: every node's environment and agent logs into
 * DIR/NODE/. Each node says where its logs are (status: log_folder) and
 * which ports are its own (its master's and its slaves'): the files
 * env_PORT.log and agent_PORT_N.log of those ports are copied for a node
 * on this machine, and sent as a tar stream over the SSH channel for an
 * SSH node. stop --log-folder DIR brings the logs the same way once the
 * nodes have stopped and written their last lines.
 */

extern char	**environ;

/* Where a node's logs are and which files are its own. */
struct logs_node {
	char		*folder;	/* on the node; NULL: none */
	uint16_t	*ports;
	size_t		 nports;
	int		 known;		/* its status came back */
};

/* Read the port of a manager address, 0 if there is none. */
static uint16_t
logs_port(const char *address)
{
	struct addr	 parsed;
	char		*cause;

	if (address == NULL || addr_parse(address, &parsed, &cause) != 0) {
		if (address != NULL)
			free(cause);
		return (0);
	}
	return (parsed.port);
}

/* Take a node's folder and ports from its status. */
static void
logs_take_status(struct logs_node *node, struct json_object *status)
{
	struct json_object	*folder, *slaves;
	size_t			 i, n;

	if (json_object_object_get_ex(status, "log_folder", &folder) &&
	    json_object_is_type(folder, json_type_string))
		node->folder = xstrdup(json_object_get_string(folder));
	n = json_object_object_get_ex(status, "slaves", &slaves) ?
	    json_object_array_length(slaves) : 0;
	node->ports = xcalloc(n + 1, sizeof *node->ports);
	node->ports[node->nports++] = logs_port(json_object_get_string(
	    json_object_object_get(status, "address")));
	for (i = 0; i < n; i++)
		node->ports[node->nports++] = logs_port(json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(slaves, i),
		    "address")));
	node->known = 1;
}

/* Ask every node where its logs are; a node that fails is named. */
struct logs_node *
logs_query(struct cluster *cluster)
{
	struct logs_node	*nodes;
	struct fanout_reply	*replies;
	size_t			 i;
	char			*text;

	nodes = xcalloc(cluster->count + 1, sizeof *nodes);
	replies = cluster_call_all(cluster, "status", NULL,
	    cluster->options->timeout);
	for (i = 0; i < cluster->count; i++) {
		if (replies[i].error == NULL) {
			logs_take_status(&nodes[i], replies[i].result);
			continue;
		}
		text = ctl_error_text(replies[i].error);
		cluster_fail(cluster, i, "logs: status: %s", text);
		free(text);
	}
	cluster_replies_free(replies, cluster->count);
	return (nodes);
}

/* Free what logs_query() made. */
void
logs_free(struct logs_node *nodes, size_t count)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		free(nodes[i].folder);
		free(nodes[i].ports);
	}
	free(nodes);
}

/* Is a file name one of a node's logs (env_PORT.log, agent_PORT_N.log)? */
static int
logs_is_own(const struct logs_node *node, const char *name)
{
	unsigned long	 port;
	size_t		 i;
	char		*end;

	if (strncmp(name, "env_", 4) == 0)
		port = strtoul(name + 4, &end, 10);
	else if (strncmp(name, "agent_", 6) == 0) {
		port = strtoul(name + 6, &end, 10);
		if (*end != '_' || strspn(end + 1, "0123456789") == 0)
			return (0);
		end += 1 + strspn(end + 1, "0123456789");
	} else
		return (0);
	if (strcmp(end, ".log") != 0)
		return (0);
	for (i = 0; i < node->nports; i++) {
		if (node->ports[i] != 0 && node->ports[i] == port)
			return (1);
	}
	return (0);
}

/* Copy one file; -1 with errno set if it fails. */
static int
logs_copy_file(const char *from, const char *to)
{
	char	 buffer[65536];
	ssize_t	 n;
	int	 in, out, saved;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		saved = errno;
		close(in);
		errno = saved;
		return (-1);
	}
	while ((n = read(in, buffer, sizeof buffer)) > 0) {
		if (write(out, buffer, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	saved = errno;
	close(in);
	if (close(out) != 0 || n < 0) {
		errno = n < 0 ? saved : errno;
		return (-1);
	}
	return (0);
}

/* Count the files of a folder that are a node's own logs. */
static long
logs_count(const struct logs_node *node, const char *folder)
{
	DIR		*dir;
	struct dirent	*entry;
	long		 count = 0;

	if ((dir = opendir(folder)) == NULL)
		return (0);
	while ((entry = readdir(dir)) != NULL)
		count += logs_is_own(node, entry->d_name);
	closedir(dir);
	return (count);
}

/* Copy a local node's own logs into to; how many, or -1 (cause set). */
static long
logs_copy_local(const struct logs_node *node, const char *to, char **cause)
{
	DIR		*dir;
	struct dirent	*entry;
	struct stat	 source, target;
	char		*from, *path;
	long		 count = 0;

	/* Written there already (stop --log-folder): nothing to copy. */
	if (stat(node->folder, &source) == 0 && stat(to, &target) == 0 &&
	    source.st_dev == target.st_dev && source.st_ino == target.st_ino)
		return (logs_count(node, to));
	if ((dir = opendir(node->folder)) == NULL) {
		xasprintf(cause, "%s: %s", node->folder, strerror(errno));
		return (-1);
	}
	while ((entry = readdir(dir)) != NULL) {
		if (!logs_is_own(node, entry->d_name))
			continue;
		xasprintf(&from, "%s/%s", node->folder, entry->d_name);
		xasprintf(&path, "%s/%s", to, entry->d_name);
		if (logs_copy_file(from, path) != 0) {
			xasprintf(cause, "%s: %s", from, strerror(errno));
			count = -1;
		}
		free(from);
		free(path);
		if (count < 0)
			break;
		count++;
	}
	closedir(dir);
	return (count);
}

/*
 * The command that sends a node's own logs as a tar stream: the names
 * listed in its folder and kept by a pattern of its ports.
 */
static char *
logs_remote_command(const struct logs_node *node)
{
	char	*ports = NULL, *next, *pattern, *quoted_folder, *quoted, *cmd;
	size_t	 i;

	for (i = 0; i < node->nports; i++) {
		xasprintf(&next, "%s%s%u", ports != NULL ? ports : "",
		    ports != NULL ? "|" : "", node->ports[i]);
		free(ports);
		ports = next;
	}
	xasprintf(&pattern, "^(env_(%s)|agent_(%s)_[0-9]+)\\.log$", ports,
	    ports);
	quoted_folder = remote_quote(node->folder);
	quoted = remote_quote(pattern);
	xasprintf(&cmd, "cd %s && ls -f | grep -E %s | tar -cf - -T -",
	    quoted_folder, quoted);
	free(quoted);
	free(quoted_folder);
	free(pattern);
	free(ports);
	return (cmd);
}

/* Unpack a tar file into a folder with tar(1); 0 if it went well. */
static int
logs_untar(const char *archive, const char *to)
{
	char	*argv[] = { "tar", "-xf", NULL, "-C", NULL, NULL };
	pid_t	 pid;
	int	 status;

	argv[2] = (char *)(uintptr_t)archive;
	argv[4] = (char *)(uintptr_t)to;
	if (posix_spawnp(&pid, "tar", NULL, NULL, argv, environ) != 0)
		return (-1);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return (-1);
	}
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
}

/* Say how a node's logs came: a line for people or a JSON object. */
static void
logs_report(struct cluster *cluster, size_t i, const char *to, long count)
{
	struct json_object	*object;

	if (cluster->options->json) {
		object = ctl_json_node("logs", cluster->node[i], 1);
		json_object_object_add(object, "folder",
		    json_object_new_string(to));
		json_object_object_add(object, "files",
		    json_object_new_int64(count));
		ctl_json_print(object);
	} else
		ctl_print_node(cluster, i, "%ld log files in %s", count, to);
}

/* Make DIR/NODE for node i; NULL (the node named) if it cannot. */
static char *
logs_folder(struct cluster *cluster, size_t i, const char *dir)
{
	char	*to;

	xasprintf(&to, "%s/%s", dir, cluster->node[i]->name);
	if (mkdir(to, 0755) == -1 && errno != EEXIST) {
		cluster_fail(cluster, i, "logs: %s: %s", to, strerror(errno));
		free(to);
		return (NULL);
	}
	return (to);
}

/*
 * Bring every node's logs into DIR/NODE: copied for nodes on this
 * machine, over SSH for SSH nodes, all of those at once; 0 if every node
 * gave its logs.
 */
int
logs_fetch(struct cluster *cluster, struct logs_node *nodes, const char *dir)
{
	struct remote_options	 options;
	struct remote_job	*jobs;
	const struct node	*node;
	size_t			*index, njobs = 0, i, k;
	char			*to, **archives, *cause;
	long			 count;
	int			 rc = 0;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		warn("logs: %s", dir);
		return (-1);
	}
	jobs = xcalloc(cluster->count + 1, sizeof *jobs);
	index = xcalloc(cluster->count + 1, sizeof *index);
	archives = xcalloc(cluster->count + 1, sizeof *archives);
	for (i = 0; i < cluster->count; i++) {
		node = cluster->node[i];
		if (!nodes[i].known) {
			rc = -1;
			continue;
		}
		if (nodes[i].folder == NULL) {
			cluster_fail(cluster, i, "logs: the node has no log "
			    "folder (prepare --log-folder, or creamasd "
			    "--log-folder)");
			rc = -1;
			continue;
		}
		if ((to = logs_folder(cluster, i, dir)) == NULL) {
			rc = -1;
			continue;
		}
		/* launch=slurm: the cluster's file system is shared. */
		if (node->launch == LAUNCH_LOCAL ||
		    node->launch == LAUNCH_SLURM ||
		    (node->launch == LAUNCH_NONE &&
		    nodes_is_local_host(node->host))) {
			if ((count = logs_copy_local(&nodes[i], to,
			    &cause)) < 0) {
				cluster_fail(cluster, i, "logs: %s", cause);
				free(cause);
				rc = -1;
			} else
				logs_report(cluster, i, to, count);
			free(to);
			continue;
		}
		if (node->launch != LAUNCH_SSH) {
			cluster_fail(cluster, i, "logs: a launch=none node on "
			    "another machine: its logs stay in %s there",
			    nodes[i].folder);
			free(to);
			rc = -1;
			continue;
		}
		xasprintf(&archives[njobs], "%s/.logs.tar", to);
		free(to);
		jobs[njobs].user = node->user;
		jobs[njobs].host = node->host;
		jobs[njobs].port = node->ssh_port;
		jobs[njobs].identity = node->identity;
		jobs[njobs].command = logs_remote_command(&nodes[i]);
		jobs[njobs].out_path = archives[njobs];
		jobs[njobs].exit_status = -1;
		index[njobs++] = i;
	}
	if (njobs > 0) {
		memset(&options, 0, sizeof options);
		options.accept_new_host_keys =
		    cluster->options->accept_new_host_keys;
		options.known_hosts = cluster->options->known_hosts;
		options.connect_timeout = cluster->options->timeout;
		remote_run(jobs, njobs, &options);
	}
	for (k = 0; k < njobs; k++) {
		i = index[k];
		xasprintf(&to, "%s/%s", dir, cluster->node[i]->name);
		if (jobs[k].failure != NULL || jobs[k].exit_status != 0) {
			cluster_fail(cluster, i, "logs: over ssh: %s%s",
			    jobs[k].failure != NULL ? jobs[k].failure :
			    "the command failed: ", jobs[k].failure != NULL ?
			    "" : jobs[k].err);
			rc = -1;
		} else if (logs_untar(archives[k], to) != 0) {
			cluster_fail(cluster, i, "logs: tar -xf %s failed",
			    archives[k]);
			rc = -1;
		} else
			logs_report(cluster, i, to, logs_count(&nodes[i], to));
		unlink(archives[k]);
		free(archives[k]);
		free((char *)(uintptr_t)jobs[k].command);
		remote_job_clear(&jobs[k]);
		free(to);
	}
	free(archives);
	free(index);
	free(jobs);
	return (rc);
}

/*
 * Before stop --log-folder DIR: a node without a log folder gets
 * DIR/NODE (as the node sees it), so that it writes its logs there as
 * it stops; 0 if every node has a folder now.
 */
int
logs_prepare_stop(struct cluster *cluster, struct logs_node *nodes,
    const char *dir)
{
	struct fanout_reply	*replies;
	struct json_object	**params;
	size_t			*which, count = 0, k, i;
	char			*to, *path, *text;
	int			 rc = 0;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		warn("stop: %s", dir);
		return (-1);
	}
	which = xcalloc(cluster->count + 1, sizeof *which);
	params = xcalloc(cluster->count + 1, sizeof *params);
	for (i = 0; i < cluster->count; i++) {
		if (!nodes[i].known || nodes[i].folder != NULL)
			continue;
		xasprintf(&to, "%s/%s", dir, cluster->node[i]->name);
		/* Into dir, for a node of this machine however started. */
		path = nodes_is_local_host(cluster->node[i]->host) ?
		    path_absolute(to) : ctl_node_path(cluster->node[i], to);
		free(to);
		params[count] = json_object_new_object();
		json_object_object_add(params[count], "path",
		    json_object_new_string(path));
		nodes[i].folder = path;
		which[count++] = i;
	}
	if (count > 0) {
		replies = cluster_call(cluster, which, count, "set_log_folder",
		    params, cluster->options->timeout);
		for (k = 0; k < count; k++) {
			if (replies[k].error == NULL)
				continue;
			text = ctl_error_text(replies[k].error);
			cluster_fail(cluster, which[k], "stop: set_log_folder: "
			    "%s", text);
			free(text);
			rc = -1;
		}
		cluster_replies_free(replies, count);
	}
	free(params);
	free(which);
	return (rc);
}

/* creamasctl logs DIR. */
int
cmd_logs(struct cluster *cluster, int argc, char **argv)
{
	struct logs_node	*nodes;

	while (getopt(argc, argv, "") != -1)
		ctl_usage_command("logs");
	if (optind != argc - 1)
		ctl_usage_command("logs");
	nodes = logs_query(cluster);
	logs_fetch(cluster, nodes, argv[optind]);
	logs_free(nodes, cluster->count);
	return (cluster_exit_status(cluster));
}
