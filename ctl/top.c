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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "creamasctl.h"
#include "xmalloc.h"

/*
 * creamasctl top: every node's status, refreshed, as a table on the
 * whole terminal (plain ANSI escapes) or, with -j, one JSON line per
 * refresh. A refresh is one status call to every node; a master's answer
 * carries its slaves'. Rounds per second are counted between refreshes.
 */

#define TOP_INTERVAL	1.0	/* seconds between refreshes */
#define TOP_TIMEOUT	5.0	/* seconds a node may take to answer */

struct top {
	struct cluster		*cluster;
	double			 interval;
	unsigned long		 count;		/* refreshes; 0: until q */
	int			 expanded;	/* slaves shown */
	int			 quit;
	int			 screen;	/* drawing on a terminal */
	int			 keys;		/* reading keys from one */
	struct termios		 saved;
	struct json_object	*view;		/* the last refresh */
	struct json_object	*previous;	/* name -> rounds, last time */
	double			 previous_time;
};

/* A member of a status as a number, 0 when absent. */
static double
top_number(struct json_object *status, const char *key)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(status, key, &value))
		return (0);
	return (json_object_get_double(value));
}

/* Calls a status says were started, local and remote. */
static double
top_calls(struct json_object *status)
{
	struct json_object	*calls;

	if (!json_object_object_get_ex(status, "calls", &calls))
		return (0);
	return (top_number(calls, "local") + top_number(calls, "remote"));
}

/*
 * Make the row of a node or a slave from its status: state, agents,
 * rounds, last and mean round, rounds per second since the last refresh,
 * calls and resident memory.
 */
static struct json_object *
top_row(struct top *top, const char *kind, const char *name,
    const char *state, struct json_object *status, double now)
{
	struct json_object	*row, *before;
	double			 rounds = top_number(status, "rounds");

	row = json_object_new_object();
	json_object_object_add(row, kind, json_object_new_string(name));
	json_object_object_add(row, "state", json_object_new_string(state));
	json_object_object_add(row, "agents", json_object_new_int64(
	    (int64_t)top_number(status, "agents")));
	json_object_object_add(row, "rounds",
	    json_object_new_int64((int64_t)rounds));
	json_object_object_add(row, "last_round_s", ctl_json_seconds(
	    top_number(status, "last_round_us") / 1e6));
	json_object_object_add(row, "mean_round_s", ctl_json_seconds(
	    rounds > 0 ? top_number(status, "round_us_total") / 1e6 / rounds :
	    0));
	if (status != NULL && json_object_object_get_ex(top->previous, name,
	    &before) && now > top->previous_time)
		json_object_object_add(row, "rounds_per_s", ctl_json_seconds(
		    (rounds - json_object_get_double(before)) /
		    (now - top->previous_time)));
	else
		json_object_object_add(row, "rounds_per_s", NULL);
	json_object_object_add(row, "calls",
	    json_object_new_int64((int64_t)top_calls(status)));
	json_object_object_add(row, "rss_bytes", json_object_new_int64(
	    (int64_t)top_number(status, "rss_bytes")));
	json_object_object_add(row, "slowest", json_object_new_boolean(0));
	return (row);
}

/* Mark the row of rows (an array) whose last round took longest. */
static void
top_mark_slowest(struct json_object *rows)
{
	struct json_object	*row, *slowest = NULL;
	double			 longest = 0, last;
	size_t			 i;

	for (i = 0; i < json_object_array_length(rows); i++) {
		row = json_object_array_get_idx(rows, i);
		last = top_number(row, "last_round_s");
		if (last > longest) {
			longest = last;
			slowest = row;
		}
	}
	if (slowest != NULL && json_object_array_length(rows) > 1)
		json_object_object_add(slowest, "slowest",
		    json_object_new_boolean(1));
}

/*
 * A node's row with its slaves': a master's calls and memory are its
 * own and its slaves' together; its state is "round" while a slave runs
 * one.
 */
static struct json_object *
top_node(struct top *top, size_t i, struct fanout_reply *reply, double now)
{
	struct json_object	*row, *slaves, *entry, *rows, *slave;
	const char		*name = top->cluster->node[i]->name;
	const char		*state = "ready";
	double			 calls, rss;
	size_t			 k;
	char			*why;

	if (reply->error != NULL) {
		row = top_row(top, "node", name, "down", NULL, now);
		why = ctl_error_text(reply->error);
		json_object_object_add(row, "error",
		    json_object_new_string(why));
		free(why);
		return (row);
	}
	if (json_object_get_boolean(json_object_object_get(reply->result,
	    "round_running")))
		state = "round";
	rows = json_object_new_array();
	calls = top_calls(reply->result);
	rss = top_number(reply->result, "rss_bytes");
	json_object_object_get_ex(reply->result, "slaves", &slaves);
	for (k = 0; k < json_object_array_length(slaves); k++) {
		entry = json_object_array_get_idx(slaves, k);
		if (json_object_get_boolean(json_object_object_get(entry,
		    "round_running")))
			state = "round";
		slave = top_row(top, "slave", json_object_get_string(
		    json_object_object_get(entry, "address")),
		    json_object_get_string(json_object_object_get(entry,
		    "state")), entry, now);
		calls += top_calls(entry);
		rss += top_number(entry, "rss_bytes");
		json_object_array_add(rows, slave);
	}
	top_mark_slowest(rows);
	row = top_row(top, "node", name, state, reply->result, now);
	json_object_object_add(row, "calls",
	    json_object_new_int64((int64_t)calls));
	json_object_object_add(row, "rss_bytes",
	    json_object_new_int64((int64_t)rss));
	json_object_object_add(row, "slaves", rows);
	return (row);
}

/* Remember every row's rounds, for the next refresh's rates. */
static void
top_remember(struct top *top, struct json_object *nodes, double now)
{
	struct json_object	*node, *slaves, *slave;
	size_t			 i, k;

	json_object_put(top->previous);
	top->previous = json_object_new_object();
	for (i = 0; i < json_object_array_length(nodes); i++) {
		node = json_object_array_get_idx(nodes, i);
		json_object_object_add(top->previous, json_object_get_string(
		    json_object_object_get(node, "node")),
		    json_object_new_double(top_number(node, "rounds")));
		if (!json_object_object_get_ex(node, "slaves", &slaves))
			continue;
		for (k = 0; k < json_object_array_length(slaves); k++) {
			slave = json_object_array_get_idx(slaves, k);
			json_object_object_add(top->previous,
			    json_object_get_string(json_object_object_get(
			    slave, "slave")), json_object_new_double(
			    top_number(slave, "rounds")));
		}
	}
	top->previous_time = now;
}

/* Ask every node for its status and make the refresh's view. */
static void
top_refresh(struct top *top)
{
	struct cluster		*cluster = top->cluster;
	struct fanout_reply	*replies;
	struct json_object	*nodes;
	double			 now, timeout = TOP_TIMEOUT;
	size_t			 i;

	if (cluster->options->timeout_set)
		timeout = cluster->options->timeout;
	replies = cluster_call_all(cluster, "status", NULL, timeout);
	now = ctl_now();
	nodes = json_object_new_array();
	for (i = 0; i < cluster->count; i++)
		json_object_array_add(nodes, top_node(top, i, &replies[i],
		    now));
	cluster_replies_free(replies, cluster->count);
	top_mark_slowest(nodes);
	top_remember(top, nodes, now);
	json_object_put(top->view);
	top->view = json_object_new_object();
	json_object_object_add(top->view, "step",
	    json_object_new_string("top"));
	json_object_object_add(top->view, "time",
	    ctl_json_seconds((double)time(NULL)));
	json_object_object_add(top->view, "nodes", nodes);
}

/* Format a size for people: "812 KiB", "3.2 MiB". */
static void
top_format_bytes(double bytes, char *text, size_t size)
{
	if (bytes < 1024 * 1024)
		snprintf(text, size, "%.0f KiB", bytes / 1024);
	else if (bytes < 1024.0 * 1024 * 1024)
		snprintf(text, size, "%.1f MiB", bytes / 1024 / 1024);
	else
		snprintf(text, size, "%.2f GiB", bytes / 1024 / 1024 / 1024);
}

/* Draw one row: a node, or a slave indented under it. */
static void
top_draw_row(struct json_object *row, const char *kind, int width)
{
	struct json_object	*value;
	char			 rate[32], rss[32], *last, *mean;
	const char		*error;

	last = ctl_format_seconds(top_number(row, "last_round_s"));
	mean = ctl_format_seconds(top_number(row, "mean_round_s"));
	if (json_object_object_get_ex(row, "rounds_per_s", &value) &&
	    value != NULL)
		snprintf(rate, sizeof rate, "%.1f",
		    json_object_get_double(value));
	else
		snprintf(rate, sizeof rate, "-");
	top_format_bytes(top_number(row, "rss_bytes"), rss, sizeof rss);
	printf("%c %s%-*s %-6s", json_object_get_boolean(
	    json_object_object_get(row, "slowest")) ? '*' : ' ',
	    strcmp(kind, "slave") == 0 ? "  " : "",
	    width - (strcmp(kind, "slave") == 0 ? 2 : 0),
	    json_object_get_string(json_object_object_get(row, kind)),
	    json_object_get_string(json_object_object_get(row, "state")));
	error = json_object_get_string(json_object_object_get(row, "error"));
	if (error != NULL)
		printf(" %s", error);
	else
		printf(" %9lld %8lld %9s %9s %8s %10lld %10s",
		    (long long)top_number(row, "agents"),
		    (long long)top_number(row, "rounds"), last, mean, rate,
		    (long long)top_number(row, "calls"), rss);
	printf("\033[K\n");
	free(last);
	free(mean);
}

/* Draw the view on the whole terminal. */
static void
top_draw(struct top *top)
{
	struct json_object	*nodes, *node, *slaves;
	size_t			 i, k, length;
	int			 width = top->cluster->width;

	nodes = json_object_object_get(top->view, "nodes");
	for (i = 0; i < json_object_array_length(nodes); i++) {
		node = json_object_array_get_idx(nodes, i);
		if (!top->expanded ||
		    !json_object_object_get_ex(node, "slaves", &slaves))
			continue;
		for (k = 0; k < json_object_array_length(slaves); k++) {
			length = strlen(json_object_get_string(
			    json_object_object_get(json_object_array_get_idx(
			    slaves, k), "slave"))) + 2;
			if ((int)length > width)
				width = (int)length;
		}
	}
	printf("\033[H");
	printf("creamasctl top: %zu nodes, every %g s; q quits, e %s slaves; "
	    "* slowest last round\033[K\n\033[K\n", top->cluster->count,
	    top->interval, top->expanded ? "folds" : "shows");
	printf("  %-*s %-6s %9s %8s %9s %9s %8s %10s %10s\033[K\n", width,
	    "NODE", "STATE", "AGENTS", "ROUNDS", "LAST", "MEAN", "ROUNDS/S",
	    "CALLS", "RSS");
	for (i = 0; i < json_object_array_length(nodes); i++) {
		node = json_object_array_get_idx(nodes, i);
		top_draw_row(node, "node", width);
		if (!top->expanded ||
		    !json_object_object_get_ex(node, "slaves", &slaves))
			continue;
		for (k = 0; k < json_object_array_length(slaves); k++)
			top_draw_row(json_object_array_get_idx(slaves, k),
			    "slave", width);
	}
	printf("\033[J");
	fflush(stdout);
}

/* A key: q quits, e shows or folds the slaves. */
static void
top_key_cb(evutil_socket_t fd, short events, void *arg)
{
	struct top	*top = arg;
	char		 keys[64];
	ssize_t		 n, i;

	if ((n = read(fd, keys, sizeof keys)) <= 0) {
		top->quit = 1;	/* the terminal went away */
		return;
	}
	for (i = 0; i < n; i++) {
		if (keys[i] == 'q' || keys[i] == 'Q')
			top->quit = 1;
		else if (keys[i] == 'e' || keys[i] == 'E') {
			top->expanded = !top->expanded;
			if (top->view != NULL)
				top_draw(top);
		}
	}
}

/* Take the terminal: keys one at a time, unechoed; a screen of our own. */
static void
top_screen_begin(struct top *top)
{
	struct termios	 raw;

	top->screen = isatty(STDOUT_FILENO);
	if (top->screen)
		printf("\033[?1049h\033[?25l\033[H\033[2J");
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &top->saved) == 0) {
		raw = top->saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			top->keys = 1;
	}
}

/* Give the terminal back as it was. */
static void
top_screen_end(struct top *top)
{
	if (top->keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &top->saved);
	if (top->screen)
		printf("\033[?25h\033[?1049l");
	fflush(stdout);
}

/* creamasctl top [-d seconds] [-n count]: a live view of every node. */
int
cmd_top(struct cluster *cluster, int argc, char **argv)
{
	struct top	 top;
	struct event	*keys = NULL;
	unsigned long	 done;
	char		*cause;
	int		 ch, json = cluster->options->json;

	memset(&top, 0, sizeof top);
	top.cluster = cluster;
	top.interval = TOP_INTERVAL;
	top.expanded = 1;
	while ((ch = getopt(argc, argv, TOP_SHORT_OPTIONS)) != -1) {
		switch (ch) {
		case 'd':
			if (config_parse_seconds(optarg, &top.interval,
			    &cause) != 0 || top.interval <= 0)
				errx(CTL_EXIT_USAGE, "top -d %s: %s", optarg,
				    top.interval <= 0 ? "must be above 0" :
				    cause);
			break;
		case 'n':
			if (config_parse_count(optarg, 1, 1000000000,
			    &top.count, &cause) != 0)
				errx(CTL_EXIT_USAGE, "top -n %s: %s", optarg,
				    cause);
			break;
		default:
			ctl_usage_command("top");
		}
	}
	if (optind != argc)
		ctl_usage_command("top");
	if (!json) {
		top_screen_begin(&top);
		if (top.keys) {
			keys = event_new(cluster->base, STDIN_FILENO,
			    EV_READ | EV_PERSIST, top_key_cb, &top);
			event_add(keys, NULL);
		}
	}
	for (done = 0; !top.quit && !cluster->interrupted; ) {
		top_refresh(&top);
		if (json)
			ctl_json_print(json_object_get(top.view));
		else if (!top.quit)
			top_draw(&top);
		if (top.count != 0 && ++done == top.count)
			break;
		cluster_sleep_until(cluster, top.interval, &top.quit);
	}
	if (keys != NULL)
		event_free(keys);
	if (!json)
		top_screen_end(&top);
	json_object_put(top.view);
	json_object_put(top.previous);
	return (0);
}
