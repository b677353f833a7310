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

#include <netdb.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "creamasctl.h"
#include "jsonrpc.h"
#include "xmalloc.h"

/*
 * stop: send stop to every node at once, then watch every node's port
 * until nothing answers there any more: a node has stopped when its
 * manager no longer accepts connections on any of its addresses. A node
 * that was not running is fine (it is stopped); one that still answers
 * when the time is up is named.
 */

#define STOP_PROBE_FIRST	0.01	/* seconds between probes, at first */
#define STOP_PROBE_MAX		0.2	/* ... growing to this */
#define STOP_PROBE_TIMEOUT	1.0	/* seconds one connect may take */

/* One connection attempt to one address of a node. */
struct stop_probe {
	int		*pending;	/* probes of this round still running */
	int		*answered;	/* set when it connected */
	int		 fd;
	struct event	*event;
};

/* What is known of one node's addresses. */
struct stop_target {
	struct addrinfo	*addresses;	/* NULL: could not resolve */
	int		 refused;	/* stop answered an error: no wait */
	int		 closed;
	double		 elapsed;
};

/* A connection attempt ended: connected, refused, or timed out. */
static void
stop_probe_cb(evutil_socket_t fd, short events, void *arg)
{
	struct stop_probe	*probe = arg;
	socklen_t		 length = sizeof(int);
	int			 error = 0;

	/* Only a refused connection says the port is closed. */
	if (!(events & EV_WRITE) || getsockopt(fd, SOL_SOCKET, SO_ERROR,
	    &error, &length) != 0 || error != ECONNREFUSED)
		*probe->answered = 1;
	event_free(probe->event);
	close(probe->fd);
	(*probe->pending)--;
	free(probe);
}

/* Start connecting to one address; 1 if it is already known to answer. */
static int
stop_probe_start(struct cluster *cluster, const struct addrinfo *ai,
    int *pending, int *answered)
{
	struct stop_probe	*probe;
	struct timeval		 tv;
	int			 fd;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		/* Out of descriptors says nothing of the node: try again. */
		*answered = 1;
		return (1);
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		close(fd);
		*answered = 1;
		return (1);
	}
	if (errno != EINPROGRESS) {
		/* Refused or unreachable is closed; anything else, unknown. */
		if (errno != ECONNREFUSED && errno != ENETUNREACH &&
		    errno != EHOSTUNREACH && errno != EAFNOSUPPORT)
			*answered = 1;
		close(fd);
		return (*answered);
	}
	probe = xcalloc(1, sizeof *probe);
	probe->pending = pending;
	probe->answered = answered;
	probe->fd = fd;
	probe->event = event_new(cluster->base, fd, EV_WRITE, stop_probe_cb,
	    probe);
	tv.tv_sec = (time_t)STOP_PROBE_TIMEOUT;
	tv.tv_usec = 0;
	event_add(probe->event, &tv);
	(*pending)++;
	return (0);
}

/* Find every address of node i's manager. */
static void
stop_resolve(struct cluster *cluster, size_t i, struct stop_target *target)
{
	struct addrinfo	 hints;
	char		 service[8];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof service, "%u", cluster->node[i]->port);
	if (getaddrinfo(cluster->node[i]->host, service, &hints,
	    &target->addresses) != 0)
		target->addresses = NULL;
}

/*
 * Probe every node not known to be closed until each is or the time is
 * up; a node is closed when none of its addresses accepts a connection.
 */
static void
stop_watch(struct cluster *cluster, struct stop_target *targets,
    size_t count, double started, double seconds)
{
	const struct addrinfo	*ai;
	size_t			 k, open_count;
	int			 pending, *answered;
	double			 interval = STOP_PROBE_FIRST, now;

	answered = xcalloc(count + 1, sizeof *answered);
	for (;;) {
		pending = 0;
		for (k = 0; k < count; k++) {
			answered[k] = 0;
			if (targets[k].closed || targets[k].refused ||
			    targets[k].addresses == NULL)
				continue;
			for (ai = targets[k].addresses; ai != NULL;
			    ai = ai->ai_next)
				stop_probe_start(cluster, ai, &pending,
				    &answered[k]);
		}
		while (pending > 0)
			event_base_loop(cluster->base, EVLOOP_ONCE);
		now = ctl_now();
		open_count = 0;
		for (k = 0; k < count; k++) {
			if (targets[k].closed || targets[k].refused)
				continue;
			if (answered[k] || targets[k].addresses == NULL) {
				open_count++;
				continue;
			}
			targets[k].closed = 1;
			targets[k].elapsed = now - started;
		}
		if (open_count == 0 || now - started >= seconds ||
		    cluster->interrupted)
			break;
		if (now - started > 1.0)
			cluster_progress(cluster, "%zu/%zu nodes stopped...",
			    count - open_count, count);
		cluster_sleep(cluster, interval);
		if ((interval *= 2) > STOP_PROBE_MAX)
			interval = STOP_PROBE_MAX;
	}
	cluster_progress_end(cluster);
	free(answered);
}

/* Report one node's stop, for people or as JSON. */
static void
stop_report(struct cluster *cluster, size_t i, const struct stop_target
    *target, int was_running, const char *failure, const char *note)
{
	struct json_object	*object;
	char			*time_text;

	if (cluster->options->json) {
		object = ctl_json_node("stop", cluster->node[i],
		    failure == NULL);
		json_object_object_add(object, "stopped",
		    json_object_new_boolean(target->closed));
		json_object_object_add(object, "was_running",
		    json_object_new_boolean(was_running));
		json_object_object_add(object, "elapsed",
		    ctl_json_seconds(target->elapsed));
		if (failure != NULL)
			json_object_object_add(object, "error",
			    json_object_new_string(failure));
		else if (note != NULL)
			json_object_object_add(object, "note",
			    json_object_new_string(note));
		ctl_json_print(object);
	} else if (failure == NULL) {
		time_text = ctl_format_seconds(target->elapsed);
		if (was_running)
			ctl_print_node(cluster, i, "stopped in %s", time_text);
		else
			ctl_print_node(cluster, i, "was not running (%s)",
			    note);
		free(time_text);
	}
}

/*
 * Stop the nodes listed in which (every selected node when NULL), with
 * the log folder if any, and wait until none answers; return 0 when every
 * node has stopped.
 */
int
stop_nodes(struct cluster *cluster, const char *log_folder,
    const size_t *which, size_t count)
{
	struct stop_target	 *targets;
	struct fanout_reply	 *replies;
	struct json_object	**params;
	double			  started = ctl_now();
	size_t			  i, k;
	int			  code, was_running, rc = 0;
	char			 *text, *path, *failure;

	if (which == NULL)
		count = cluster->count;
	targets = xcalloc(count + 1, sizeof *targets);
	params = xcalloc(count + 1, sizeof *params);
	for (k = 0; k < count; k++) {
		i = which != NULL ? which[k] : k;
		stop_resolve(cluster, i, &targets[k]);
		if (log_folder == NULL)
			continue;
		params[k] = json_object_new_object();
		path = ctl_node_log_folder(cluster, i, log_folder);
		json_object_object_add(params[k], "log_folder",
		    json_object_new_string(path));
		free(path);
	}
	replies = cluster_call(cluster, which, count, "stop", params,
	    cluster->options->timeout);
	free(params);
	/* Our connections must not keep anything open. */
	for (k = 0; k < count; k++) {
		cluster_disconnect(cluster, which != NULL ? which[k] : k);
		/* An error (unauthorised, say) is a node up that said no. */
		code = replies[k].error != NULL ?
		    rpc_error_code(replies[k].error) : 0;
		targets[k].refused = code != 0 &&
		    code != RPC_CONNECTION_LOST && code != RPC_TIMED_OUT &&
		    code != RPC_SHUTTING_DOWN;
	}
	stop_watch(cluster, targets, count, started,
	    cluster->options->timeout);

	for (k = 0; k < count; k++) {
		i = which != NULL ? which[k] : k;
		text = NULL;
		failure = NULL;
		code = 0;
		if (replies[k].error != NULL) {
			text = ctl_error_text(replies[k].error);
			code = rpc_error_code(replies[k].error);
		}
		/* Refused at once: nothing was listening there. */
		was_running = !(code == RPC_CONNECTION_LOST &&
		    targets[k].closed);
		if (targets[k].addresses == NULL)
			xasprintf(&failure, "stop: cannot resolve %s",
			    cluster->node[i]->host);
		else if (code == CTL_NOT_CREAMASD)
			xasprintf(&failure, "stop: %s", text);
		else if (targets[k].refused)
			xasprintf(&failure, "stop refused: %s", text);
		else if (cluster->interrupted && !targets[k].closed)
			xasprintf(&failure, "stop: interrupted while it was "
			    "still answering");
		else if (!targets[k].closed)
			xasprintf(&failure, "stop: still answering after "
			    "%g s%s%s", cluster->options->timeout,
			    text != NULL ? "; stop: " : "",
			    text != NULL ? text : "");
		if (failure != NULL) {
			cluster_fail(cluster, i, "%s", failure);
			rc = CTL_EXIT_FAILURE;
		} else if (text != NULL && cluster->options->verbose)
			warnx("%s: stopped, though stop said: %s",
			    cluster->node[i]->name, text);
		stop_report(cluster, i, &targets[k], was_running, failure,
		    text);
		free(failure);
		free(text);
		if (targets[k].addresses != NULL)
			freeaddrinfo(targets[k].addresses);
	}
	cluster_replies_free(replies, count);
	free(targets);
	return (rc);
}

/* stop's options. */
const struct option stop_options[] = {
	{ "log-folder", required_argument, NULL, 'l' },
	{ NULL, 0, NULL, 0 }
};

/* creamasctl stop [--log-folder dir]. */
int
cmd_stop(struct cluster *cluster, int argc, char **argv)
{
	const char			*log_folder = NULL;
	struct logs_node		*nodes = NULL;
	int				 ch, rc = 0;

	while ((ch = getopt_long(argc, argv, STOP_SHORT_OPTIONS, stop_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'l':
			log_folder = optarg;
			break;
		default:
			ctl_usage_command("stop");
		}
	}
	if (optind != argc)
		ctl_usage_command("stop");
	/* Every node writes into a folder; then the logs come to DIR/NODE. */
	if (log_folder != NULL) {
		nodes = logs_query(cluster);
		logs_prepare_stop(cluster, nodes, log_folder);
	}
	if (stop_nodes(cluster, NULL, NULL, 0) != 0)
		rc = CTL_EXIT_FAILURE;
	if (nodes != NULL) {
		if (logs_fetch(cluster, nodes, log_folder) != 0)
			rc = CTL_EXIT_FAILURE;
		logs_free(nodes, cluster->count);
	}
	return (rc != 0 ? rc : cluster_exit_status(cluster));
}
