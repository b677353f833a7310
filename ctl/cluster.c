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

#include <err.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "creamasctl.h"
#include "jsonrpc.h"
#include "path.h"
#include "quote.h"
#include "xmalloc.h"

/*
 * The cluster a command works on: the selected nodes, a connection to
 * each, and the one event loop every call to them runs in. A call goes to
 * all nodes at once through the fan-out in common/ and the loop runs until
 * every node has answered, failed or timed out.
 */

#define CLUSTER_PROGRESS_FIRST	1.0	/* seconds a call runs unseen */
#define CLUSTER_PROGRESS_LINES	5.0	/* seconds between -v lines */

/* What one cluster_call() is waiting for. */
struct cluster_wait {
	struct cluster		*cluster;
	struct fanout_reply	*replies;
	size_t			 count;
	int			 done;
	const char		*method;
	double			 started;
	double			 shown;		/* when -v last said so */
};

/* SIGINT or SIGTERM: finish the step in progress, then stop. */
static void
cluster_signal_cb(evutil_socket_t signo, short events, void *arg)
{
	struct cluster	*cluster = arg;

	(void)events;
	if (cluster->interrupted++ > 0) {
		/* A second one: give up at once. */
		signal((int)signo, SIG_DFL);
		raise((int)signo);
	}
	warnx("interrupted: finishing the step in progress (again to quit)");
}

/* Set up an empty cluster with its event loop. */
void
cluster_init(struct cluster *cluster, const struct ctl_options *options)
{
	int	 i;

	memset(cluster, 0, sizeof *cluster);
	cluster->options = options;
	if ((cluster->base = event_base_new()) == NULL)
		errx(CTL_EXIT_FAILURE, "cannot create an event base");
	limit_default(&cluster->limits);
	for (i = 0; i < 2; i++) {
		cluster->signals[i] = evsignal_new(cluster->base,
		    i == 0 ? SIGINT : SIGTERM, cluster_signal_cb, cluster);
		evsignal_add(cluster->signals[i], NULL);
	}
}

/*
 * Keep the nodes chosen with -n (all of them without); 0 or -1 with a
 * cause naming the unknown node.
 */
int
cluster_select(struct cluster *cluster, char **cause)
{
	const struct ctl_options	*options = cluster->options;
	size_t				 i, j, index;

	if (options->nselect == 0) {
		cluster->count = cluster->nodes.count;
		cluster->node = xcalloc(cluster->count + 1,
		    sizeof *cluster->node);
		for (i = 0; i < cluster->count; i++)
			cluster->node[i] = &cluster->nodes.list[i];
	} else {
		cluster->node = xcalloc(options->nselect + 1,
		    sizeof *cluster->node);
		for (i = 0; i < options->nselect; i++) {
			if (nodes_find(&cluster->nodes, options->select[i],
			    &index, cause) != 0)
				return (-1);
			for (j = 0; j < cluster->count; j++) {
				if (cluster->node[j] ==
				    &cluster->nodes.list[index])
					break;
			}
			if (j == cluster->count)
				cluster->node[cluster->count++] =
				    &cluster->nodes.list[index];
		}
	}
	cluster->client = xcalloc(cluster->count + 1, sizeof *cluster->client);
	cluster->failure = xcalloc(cluster->count + 1,
	    sizeof *cluster->failure);
	cluster->greeted = xcalloc(cluster->count + 1,
	    sizeof *cluster->greeted);
	cluster->width = 0;
	for (i = 0; i < cluster->count; i++) {
		if ((int)strlen(cluster->node[i]->name) > cluster->width)
			cluster->width = (int)strlen(cluster->node[i]->name);
	}
	return (0);
}

/* Close every connection and free the cluster. */
void
cluster_free(struct cluster *cluster)
{
	size_t	 i;
	int	 j;

	cluster_progress_end(cluster);
	for (i = 0; i < cluster->count; i++) {
		client_free(cluster->client[i]);
		free(cluster->failure[i]);
	}
	free(cluster->client);
	free(cluster->failure);
	free(cluster->greeted);
	free(cluster->node);
	nodes_free(&cluster->nodes);
	for (j = 0; j < 2; j++) {
		if (cluster->signals[j] != NULL)
			event_free(cluster->signals[j]);
	}
	if (cluster->base != NULL)
		event_base_free(cluster->base);
	memset(cluster, 0, sizeof *cluster);
}

/* Connect to node i unless connected; a lost connection is made again. */
void
cluster_connect(struct cluster *cluster, size_t i)
{
	const struct node	*node = cluster->node[i];

	if (cluster->client[i] != NULL && !client_is_lost(cluster->client[i]))
		return;
	client_free(cluster->client[i]);
	cluster->client[i] = client_new(cluster->base, node->host, node->port,
	    &cluster->limits);
	cluster->greeted[i] = 0;
}

/* Close the connection to node i. */
void
cluster_disconnect(struct cluster *cluster, size_t i)
{
	client_free(cluster->client[i]);
	cluster->client[i] = NULL;
	cluster->greeted[i] = 0;
}

/* Every node has answered: keep the answers and end the loop. */
static void
cluster_call_done(struct fanout_reply *replies, size_t count, void *arg)
{
	struct cluster_wait	*wait = arg;
	size_t			 i;

	for (i = 0; i < count; i++) {
		wait->replies[i] = replies[i];
		json_object_get(replies[i].result);
		json_object_get(replies[i].error);
		/* The text is taken, not copied: the fan-out frees none. */
		replies[i].text = NULL;
	}
	wait->done = 1;
}

/*
 * A call of a step that shows its progress has run a while: say so each
 * second on a terminal, or every few seconds as a line with -v.
 */
static void
cluster_fanout_progress_cb(evutil_socket_t fd, short events, void *arg)
{
	struct cluster_wait	*wait = arg;
	struct cluster		*cluster = wait->cluster;
	double			 now = ctl_now();
	char			*text;

	(void)fd;
	(void)events;
	xasprintf(&text, "%s: %s on %zu node%s, %ld s...",
	    cluster->call_label, wait->method, wait->count, wait->count == 1 ?
	    "" : "s", (long)(now - wait->started));
	if (isatty(STDERR_FILENO))
		cluster_progress(cluster, "%s", text);
	else if (now - wait->shown >= CLUSTER_PROGRESS_LINES) {
		warnx("%s", text);
		wait->shown = now;
	}
	free(text);
}

/*
 * Run one fan-out over clients and wait for every answer, kept as text
 * when text.
 */
static struct fanout_reply *
cluster_fanout(struct cluster *cluster, struct client **clients,
    size_t count, const char *method, struct json_object **params,
    double timeout, int text)
{
	struct cluster_wait	 wait;
	struct event		*progress = NULL;
	struct timeval		 tv;

	memset(&wait, 0, sizeof wait);
	wait.cluster = cluster;
	wait.replies = xcalloc(count + 1, sizeof *wait.replies);
	wait.count = count;
	wait.method = method;
	wait.started = wait.shown = ctl_now();
	if (cluster->call_label != NULL && (isatty(STDERR_FILENO) ||
	    cluster->options->verbose > 0)) {
		progress = event_new(cluster->base, -1, EV_PERSIST,
		    cluster_fanout_progress_cb, &wait);
		tv.tv_sec = (time_t)CLUSTER_PROGRESS_FIRST;
		tv.tv_usec = 0;
		event_add(progress, &tv);
	}
	if (text)
		fanout_call_text(cluster->base, clients, count, method, params,
		    timeout, cluster_call_done, &wait);
	else
		fanout_call(cluster->base, clients, count, method, params,
		    timeout, cluster_call_done, &wait);
	while (!wait.done)
		event_base_loop(cluster->base, EVLOOP_ONCE);
	if (progress != NULL) {
		event_free(progress);
		cluster_progress_end(cluster);
	}
	return (wait.replies);
}

/*
 * Return why a greeting's answer shows the peer is no creamasd (new), or
 * NULL: no answer in time, or a line that is not JSON-RPC.
 */
static char *
cluster_greet_failure(struct cluster *cluster, size_t i,
    struct json_object *error, double seconds)
{
	char	*why = NULL;

	if (error == NULL)
		return (NULL);
	if (rpc_error_code(error) == RPC_TIMED_OUT)
		xasprintf(&why, "no answer from %s within %g s: not a "
		    "creamasd, or not answering", cluster->node[i]->name,
		    seconds);
	else if (rpc_error_code(error) == RPC_CONNECTION_LOST &&
	    strcmp(rpc_error_message(error), CLIENT_UNPARSEABLE) == 0)
		xasprintf(&why, "%s answered what is not JSON-RPC: not a "
		    "creamasd", cluster->node[i]->name);
	return (why);
}

/*
 * Greet the nodes in which whose connection is new: a peer must answer a
 * first call (get_time, answered at once by any creamasd) within the
 * connect timeout, or it is no creamasd and is not asked to do anything
 * else. Return for each an error (new), or NULL when it may be asked.
 */
static struct json_object **
cluster_greet(struct cluster *cluster, const size_t *which, size_t count,
    double timeout)
{
	struct json_object	**errors, **params;
	struct fanout_reply	 *replies;
	struct client		**clients;
	size_t			 *fresh, nfresh = 0, k, i;
	double			  seconds = cluster->options->connect_timeout;
	char			 *message;

	errors = xcalloc(count + 1, sizeof *errors);
	fresh = xcalloc(count + 1, sizeof *fresh);
	clients = xcalloc(count + 1, sizeof *clients);
	for (k = 0; k < count; k++) {
		i = which != NULL ? which[k] : k;
		if (cluster->greeted[i] || client_is_lost(cluster->client[i]))
			continue;
		clients[nfresh] = cluster->client[i];
		fresh[nfresh++] = k;
	}
	if (nfresh == 0)
		goto out;
	if (seconds > timeout)
		seconds = timeout;
	params = xcalloc(nfresh + 1, sizeof *params);
	replies = cluster_fanout(cluster, clients, nfresh, "get_time", params,
	    seconds, 0);
	free(params);
	for (k = 0; k < nfresh; k++) {
		i = which != NULL ? which[fresh[k]] : fresh[k];
		if ((message = cluster_greet_failure(cluster, i,
		    replies[k].error, seconds)) == NULL) {
			/* Any answer, even an error, is a JSON-RPC peer. */
			cluster->greeted[i] = 1;
			continue;
		}
		errors[fresh[k]] = rpc_error_new(CTL_NOT_CREAMASD, message,
		    NULL);
		free(message);
		cluster_disconnect(cluster, i);
	}
	cluster_replies_free(replies, nfresh);
out:
	free(fresh);
	free(clients);
	return (errors);
}

/*
 * Call method on the nodes listed in which (all, in order, when which is
 * NULL), with params[k] (taken) for the k-th of them, all at once, their
 * answers kept as text when text; return the answers in the same order.
 */
static struct fanout_reply *
cluster_call_as(struct cluster *cluster, const size_t *which, size_t count,
    const char *method, struct json_object **params, double timeout,
    int text)
{
	struct fanout_reply	 *replies, *asked;
	struct json_object	**errors, **left;
	struct client		**clients;
	size_t			  k, i, nleft = 0;

	if (which == NULL)
		count = cluster->count;
	for (k = 0; k < count; k++)
		cluster_connect(cluster, which != NULL ? which[k] : k);
	errors = cluster_greet(cluster, which, count, timeout);

	clients = xcalloc(count + 1, sizeof *clients);
	left = xcalloc(count + 1, sizeof *left);
	for (k = 0; k < count; k++) {
		i = which != NULL ? which[k] : k;
		if (errors[k] != NULL) {
			json_object_put(params[k]);
			continue;
		}
		clients[nleft] = cluster->client[i];
		left[nleft++] = params[k];
	}
	asked = cluster_fanout(cluster, clients, nleft, method, left, timeout,
	    text);

	replies = xcalloc(count + 1, sizeof *replies);
	nleft = 0;
	for (k = 0; k < count; k++) {
		if (errors[k] != NULL)
			replies[k].error = errors[k];
		else
			replies[k] = asked[nleft++];
	}
	free(asked);
	free(errors);
	free(left);
	free(clients);
	return (replies);
}

/*
 * Call method on the nodes listed in which (all, in order, when which is
 * NULL), with params[k] (taken) for the k-th of them, all at once; return
 * their answers in the same order once every one has answered, failed or
 * timed out. The caller frees them with cluster_replies_free().
 */
struct fanout_reply *
cluster_call(struct cluster *cluster, const size_t *which, size_t count,
    const char *method, struct json_object **params, double timeout)
{
	return (cluster_call_as(cluster, which, count, method, params, timeout,
	    0));
}

/* Call method with the same params (taken) on every selected node. */
static struct fanout_reply *
cluster_call_all_as(struct cluster *cluster, const char *method,
    struct json_object *params, double timeout, int text)
{
	struct json_object	**each;
	struct fanout_reply	 *replies;
	size_t			  i;

	each = xcalloc(cluster->count + 1, sizeof *each);
	for (i = 0; i < cluster->count; i++)
		each[i] = params != NULL ? json_object_get(params) : NULL;
	json_object_put(params);
	replies = cluster_call_as(cluster, NULL, cluster->count, method, each,
	    timeout, text);
	free(each);
	return (replies);
}

/* Call method with the same params (taken) on every selected node. */
struct fanout_reply *
cluster_call_all(struct cluster *cluster, const char *method,
    struct json_object *params, double timeout)
{
	return (cluster_call_all_as(cluster, method, params, timeout, 0));
}

/*
 * The same, each answer kept as text (the reply's line and its result's
 * span, checked by the scanner), not parsed: for long answers passed on.
 */
struct fanout_reply *
cluster_call_all_text(struct cluster *cluster, const char *method,
    struct json_object *params, double timeout)
{
	return (cluster_call_all_as(cluster, method, params, timeout, 1));
}

/* Free answers from cluster_call(). */
void
cluster_replies_free(struct fanout_reply *replies, size_t count)
{
	size_t	 i;

	if (replies == NULL)
		return;
	for (i = 0; i < count; i++) {
		json_object_put(replies[i].result);
		json_object_put(replies[i].error);
		free(replies[i].text);
	}
	free(replies);
}

/* The sleep is over. */
static void
cluster_sleep_cb(evutil_socket_t fd, short events, void *arg)
{
	int	*done = arg;

	(void)fd;
	(void)events;
	*done = 1;
}

/* Let the loop run for a while, so connections keep being served. */
void
cluster_sleep(struct cluster *cluster, double seconds)
{
	cluster_sleep_until(cluster, seconds, NULL);
}

/* cluster_sleep(), cut short once *stop (if given) becomes non-zero. */
void
cluster_sleep_until(struct cluster *cluster, double seconds, const int *stop)
{
	struct event	*timer;
	struct timeval	 tv;
	int		 done = 0;

	if (seconds <= 0)
		return;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	timer = evtimer_new(cluster->base, cluster_sleep_cb, &done);
	evtimer_add(timer, &tv);
	while (!done && !cluster->interrupted && (stop == NULL || !*stop))
		event_base_loop(cluster->base, EVLOOP_ONCE);
	event_free(timer);
}

/*
 * Node i failed: say so on stderr at once, naming the node, and remember
 * the first reason.
 */
void
cluster_fail(struct cluster *cluster, size_t i, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	cluster_progress_end(cluster);
	fflush(stdout);
	warnx("%s: %s", cluster->node[i]->name, why);
	if (cluster->failure[i] == NULL)
		cluster->failure[i] = why;
	else
		free(why);
}

/* Return how many nodes have failed. */
size_t
cluster_failures(const struct cluster *cluster)
{
	size_t	 i, count = 0;

	for (i = 0; i < cluster->count; i++) {
		if (cluster->failure[i] != NULL)
			count++;
	}
	return (count);
}

/* Return the exit status: 0 when no node failed. */
int
cluster_exit_status(const struct cluster *cluster)
{
	return (cluster_failures(cluster) == 0 ? 0 : CTL_EXIT_FAILURE);
}

/* Show progress on stderr, only when it is a terminal. */
void
cluster_progress(struct cluster *cluster, const char *fmt, ...)
{
	va_list	 ap;

	if (!isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	cluster->progress_shown = 1;
}

/* Clear the progress line, if one is shown. */
void
cluster_progress_end(struct cluster *cluster)
{
	if (!cluster->progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	cluster->progress_shown = 0;
}

/* Return a monotonic clock in seconds. */
double
ctl_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Describe a JSON-RPC error for people: its message and what it names. */
char *
ctl_error_text(const struct json_object *error)
{
	struct json_object	*data;
	const char		*message, *detail;
	char			*text;

	message = rpc_error_message(error);
	if (json_object_object_get_ex(error, "data", &data) &&
	    data != NULL) {
		detail = json_object_is_type(data, json_type_string) ?
		    json_object_get_string(data) :
		    json_object_to_json_string_ext(data,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (strstr(message, detail) == NULL) {
			xasprintf(&text, "%s (%s)", message, detail);
			return (text);
		}
	}
	return (xstrdup(message));
}

/*
 * Parse one whole JSON text (strict: no single quotes, no trailing comma)
 * from the command line or a file; the cause says what is wrong, where,
 * and quotes the start of the text.
 */
int
ctl_json_parse(const char *text, struct json_object **value, char **cause)
{
	struct json_tokener	*tokener;
	enum json_tokener_error	 error;
	size_t			 length = strlen(text), offset;

	tokener = json_tokener_new();
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	/* With the NUL, so that a number at the end is complete. */
	*value = json_tokener_parse_ex(tokener, text, (int)length + 1);
	error = json_tokener_get_error(tokener);
	offset = json_tokener_get_parse_end(tokener);
	json_tokener_free(tokener);
	if (error == json_tokener_success) {
		while (offset < length &&
		    strchr(" \t\r\n", text[offset]) != NULL)
			offset++;
		if (offset == length)
			return (0);
	}
	json_object_put(*value);
	*value = NULL;
	if (length == 0)
		xasprintf(cause, "not valid JSON: empty");
	else if (error == json_tokener_success)
		xasprintf(cause, "not valid JSON: more after the value at "
		    "offset %zu of " QUOTE_FMT, offset, QUOTE(text));
	else
		xasprintf(cause, "not valid JSON: %s at offset %zu of "
		    QUOTE_FMT, error == json_tokener_continue ?
		    "unexpected end" : json_tokener_error_desc(error),
		    offset > length ? length : offset, QUOTE(text));
	return (-1);
}

/* Print a JSON value as one line on stdout, and free it. */
void
ctl_json_print(struct json_object *value)
{
	puts(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(value);
}

/* Start a JSON line about a node: {"step": STEP, "node": NAME, "ok": ok}. */
struct json_object *
ctl_json_node(const char *step, const struct node *node, int ok)
{
	struct json_object	*object;

	object = json_object_new_object();
	json_object_object_add(object, "step", json_object_new_string(step));
	json_object_object_add(object, "node",
	    json_object_new_string(node->name));
	json_object_object_add(object, "ok", json_object_new_boolean(ok));
	return (object);
}

/* Print a line for people about node i: its name in a column, then text. */
void
ctl_print_node(const struct cluster *cluster, size_t i, const char *fmt,
    ...)
{
	va_list	 ap;

	printf("%-*s  ", cluster->width, cluster->node[i]->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Format a duration for people: "812 us", "3.2 ms", "1.25 s". */
char *
ctl_format_seconds(double seconds)
{
	char	*text;

	if (seconds < 1e-3)
		xasprintf(&text, "%.0f us", seconds * 1e6);
	else if (seconds < 1)
		xasprintf(&text, "%.3g ms", seconds * 1e3);
	else
		xasprintf(&text, "%.3g s", seconds);
	return (text);
}

/*
 * Return a path as node's daemon should get it: a relative path is made
 * absolute for a node this command starts on this machine, whose daemon
 * runs elsewhere in the file tree, and for a Slurm job step (the cluster
 * shares its files); a remote node's, and a launch=none node's (started
 * by systemd, say, in its state folder), is left to its own working
 * directory.
 */
char *
ctl_node_path(const struct node *node, const char *path)
{
	if (node->launch == LAUNCH_NONE ||
	    (node->launch != LAUNCH_LOCAL && node->launch != LAUNCH_SLURM &&
	    !nodes_is_local_host(node->host)))
		return (xstrdup(path));
	return (path_absolute(path));
}

/* Return 1 when the nodes file names more than one host. */
static int
ctl_hosts_differ(const struct nodes *nodes)
{
	size_t	 i;

	for (i = 1; i < nodes->count; i++) {
		if (strcmp(nodes->list[i].host, nodes->list[0].host) != 0)
			return (1);
	}
	return (0);
}

/*
 * Return the log folder node i of the cluster gets for a --log-folder,
 * as ctl_node_path() gives it: the folder, or folder/NODE when the nodes
 * are on more than one host, since a node names its files by port only
 * and nodes on two hosts may share a port and a file system.
 */
char *
ctl_node_log_folder(const struct cluster *cluster, size_t i,
    const char *folder)
{
	char	*own, *path;

	if (!ctl_hosts_differ(&cluster->nodes))
		return (ctl_node_path(cluster->node[i], folder));
	xasprintf(&own, "%s/%s", folder, cluster->node[i]->name);
	path = ctl_node_path(cluster->node[i], own);
	free(own);
	return (path);
}

/* A number of seconds for JSON, to the microsecond. */
struct json_object *
ctl_json_seconds(double seconds)
{
	char	 text[32];

	snprintf(text, sizeof text, "%.6f", seconds);
	return (json_object_new_double_s(seconds, text));
}
