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
 * End-to-end tests of watching a simulation with creamasctl, on two
 * local nodes of two slaves each. top: the live view in a detached tmux
 * session (its own server socket) read back with capture-pane; every
 * node and slave shows, a slave killed with SIGKILL shows lost, q ends
 * it with status 0; top -j prints one JSON line per refresh, -n of
 * them. trigger --timings: a CSV line per round, node and slave whose
 * numbers add up. plot: an SVG that python3's XML parser reads, one
 * polyline per node, a straggler above the others and named in the
 * legend. stop --log-folder: every node's logs in DIR/NODE (logs over
 * SSH are tested in check_ctl_ssh.c).
 */

#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

#define TOP_TEST_TIMEOUT	120
#define TOP_WAIT		20.0	/* seconds for the screen to show */
#define TOP_NODES		2
#define TOP_SLAVES		2

Suite	*suite_watch(void);

/* Two local masters, their nodes file and what their status says. */
struct top_cluster {
	char		*file;
	char		 names[TOP_NODES][32];
	uint16_t	 ports[TOP_NODES];
	pid_t		 pids[TOP_NODES];
	char		*slaves[TOP_NODES][TOP_SLAVES];
	pid_t		 slave_pids[TOP_NODES][TOP_SLAVES];
};

/* Run creamasctl -f FILE with more arguments; it must exit 0. */
static void
top_ctl(struct top_cluster *cluster, const char *command, const char *arg)
{
	struct tl_ctl	 run;

	tl_ctl_run(&run, TOP_WAIT, "-f", cluster->file, command, arg, NULL);
	tl_ctl_expect(&run, 0, command);
	tl_ctl_free(&run);
}

/* Spawn two nodes of two slaves on free ports and read their pids. */
static void
top_cluster_start(struct top_cluster *cluster)
{
	struct json_object	*status, *slave;
	struct tl_conn		*conn;
	char			*text = NULL, *line;
	uint16_t		 first;
	size_t			 i, k;

	memset(cluster, 0, sizeof *cluster);
	tl_adopt_orphans();
	first = tl_free_ports(TOP_NODES * (TOP_SLAVES + 1));
	for (i = 0; i < TOP_NODES; i++) {
		cluster->ports[i] = first + i * (TOP_SLAVES + 1);
		snprintf(cluster->names[i], sizeof cluster->names[i],
		    "127.0.0.1:%u", cluster->ports[i]);
		line = tl_printf("%s127.0.0.1 port=%u slaves=%d launch=local\n",
		    text != NULL ? text : "", cluster->ports[i], TOP_SLAVES);
		free(text);
		text = line;
	}
	cluster->file = tl_path(tl_tempdir(), "nodes");
	tl_write_file(cluster->file, text);
	free(text);
	top_ctl(cluster, "spawn", NULL);
	top_ctl(cluster, "wait", NULL);
	for (i = 0; i < TOP_NODES; i++) {
		conn = tl_connect(cluster->ports[i]);
		status = tl_ok(conn, "status", NULL);
		cluster->pids[i] = (pid_t)tl_int(status, "pid");
		tl_track_pid(cluster->pids[i]);
		for (k = 0; k < TOP_SLAVES; k++) {
			slave = tl_index(tl_member(status, "slaves"), k);
			cluster->slaves[i][k] = tl_strdup(tl_string(slave,
			    "address"));
			cluster->slave_pids[i][k] = (pid_t)tl_int(slave, "pid");
		}
		json_object_put(status);
		tl_close(conn);
	}
}

/*
 * Stop the nodes with creamasctl stop, with one more argument if given;
 * every process must be gone.
 */
static void
top_cluster_stop(struct top_cluster *cluster, const char *arg)
{
	struct tl_exit	 e;
	size_t		 i, k;

	top_ctl(cluster, "stop", arg);
	for (i = 0; i < TOP_NODES; i++) {
		e = tl_stop_pid(cluster->pids[i], 0, TOP_WAIT);
		ck_assert_msg(!e.killed, "%s still ran after stop",
		    cluster->names[i]);
		for (k = 0; k < TOP_SLAVES; k++) {
			ck_assert_msg(!tl_pid_alive(cluster->slave_pids[i][k]),
			    "slave %s outlived stop", cluster->slaves[i][k]);
			free(cluster->slaves[i][k]);
		}
	}
	free(cluster->file);
}

/* Run tmux on the test's own server socket; its exit status. */
static int
top_tmux(const char *socket, const char *const *args, char **out)
{
	const char	*argv[16];
	struct tl_run	 run;
	size_t		 n = 0;
	int		 status;

	argv[n++] = "/usr/bin/env";
	argv[n++] = "tmux";
	argv[n++] = "-S";
	argv[n++] = socket;
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	tl_run_program(&run, TL_TIMEOUT, argv);
	status = tl_exit_code(&run.exit);
	if (out != NULL)
		*out = tl_strdup(run.out);
	tl_run_free(&run);
	return (status);
}

/* What the pane shows now. */
static char *
top_capture(const char *socket)
{
	const char	*args[] = { "capture-pane", "-p", "-t", "top", NULL };
	char		*screen;

	ck_assert_int_eq(top_tmux(socket, args, &screen), 0);
	return (screen);
}

/* Return the line of a screen that holds text, as a new string, or NULL. */
static char *
top_line_with(const char *screen, const char *text)
{
	const char	*at, *start, *end;

	if ((at = strstr(screen, text)) == NULL)
		return (NULL);
	for (start = at; start > screen && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	return (strndup(start, end != NULL ? (size_t)(end - start) :
	    strlen(start)));
}

/* Does the line holding text also hold word? */
static int
top_line_has(const char *screen, const char *text, const char *word)
{
	char	*line;
	int	 found;

	if ((line = top_line_with(screen, text)) == NULL)
		return (0);
	found = strstr(line, word) != NULL;
	free(line);
	return (found);
}

/* Does the screen show every node and slave, each ready? */
static int
top_shows_all(const struct top_cluster *cluster, const char *screen)
{
	size_t	 i, k;

	for (i = 0; i < TOP_NODES; i++) {
		if (!top_line_has(screen, cluster->names[i], "ready"))
			return (0);
		for (k = 0; k < TOP_SLAVES; k++) {
			if (!top_line_has(screen, cluster->slaves[i][k],
			    "ready"))
				return (0);
		}
	}
	return (1);
}

/* Wait until the screen passes a check; fail with it if it never does. */
static char *
top_wait_screen(const char *socket, const char *what,
    int (*check)(const void *, const char *), const void *arg)
{
	double	 deadline = tl_now() + TOP_WAIT;
	char	*screen;

	for (;;) {
		screen = top_capture(socket);
		if (check(arg, screen))
			return (screen);
		ck_assert_msg(tl_now() < deadline, "top never showed %s; the "
		    "screen:\n%s", what, screen);
		free(screen);
		usleep(50000);
	}
}

/* top_shows_all() for top_wait_screen(). */
static int
top_check_all(const void *arg, const char *screen)
{
	return (top_shows_all(arg, screen));
}

/* The killed slave (node 0, slave 0) shows lost. */
static int
top_check_lost(const void *arg, const char *screen)
{
	const struct top_cluster	*cluster = arg;

	return (top_line_has(screen, cluster->slaves[0][0], "lost"));
}

/* The command in the pane has ended, with status 0. */
static int
top_check_exited(const void *arg, const char *screen)
{
	return (strstr(screen, "top exited 0") != NULL);
}

/*
 * top in a detached tmux session shows both nodes and their slaves
 * ready; a slave killed with SIGKILL turns lost on the screen while the
 * rest stay ready; q ends top with status 0.
 */
START_TEST(test_top_tmux)
{
	struct top_cluster	 cluster;
	char			*socket, *command, *screen;
	const char		*start[] = { "new-session", "-d", "-s", "top",
				    "-x", "200", "-y", "40", NULL, NULL };
	const char		*quit[] = { "send-keys", "-t", "top", "q",
				    NULL };
	const char		*kill[] = { "kill-server", NULL };

	top_cluster_start(&cluster);
	socket = tl_path(tl_tempdir(), "tmux.socket");
	command = tl_printf("CREAMASD='%s' '%s' -f '%s' top -d 0.2; "
	    "echo \"top exited $?\"; sleep 600", tl_creamasd(), tl_ctl_path(),
	    cluster.file);
	start[8] = command;
	ck_assert_int_eq(top_tmux(socket, start, NULL), 0);

	free(top_wait_screen(socket, "every node and slave ready",
	    top_check_all, &cluster));
	tl_signal(cluster.slave_pids[0][0], SIGKILL);
	screen = top_wait_screen(socket, "the killed slave lost",
	    top_check_lost, &cluster);
	ck_assert_msg(top_line_has(screen, cluster.slaves[0][1], "ready") &&
	    top_line_has(screen, cluster.slaves[1][0], "ready") &&
	    top_line_has(screen, cluster.names[1], "ready"), "more than the "
	    "killed slave changed:\n%s", screen);
	free(screen);

	ck_assert_int_eq(top_tmux(socket, quit, NULL), 0);
	free(top_wait_screen(socket, "top's exit after q", top_check_exited,
	    NULL));
	ck_assert_int_eq(top_tmux(socket, kill, NULL), 0);
	ck_assert_msg(tl_wait_no_stray(TOP_WAIT) == 0, "tmux left a process");
	free(command);
	free(socket);
	top_cluster_stop(&cluster, NULL);
}
END_TEST

/*
 * top -j -n 3 prints three JSON lines, each with both nodes and their
 * slaves, the node's agents the sum of its slaves', and rounds per
 * second known from the second refresh on.
 */
START_TEST(test_top_json)
{
	struct top_cluster	 cluster;
	struct json_object	*view, *node, *slaves;
	struct tl_ctl		 run;
	char			*line, *rest;
	size_t			 count = 0, i, k;
	int64_t			 sum;

	top_cluster_start(&cluster);
	top_ctl(&cluster, "prepare", "--agents=counter:10");
	top_ctl(&cluster, "trigger", "-n3");
	tl_ctl_run(&run, TOP_WAIT, "-j", "-f", cluster.file, "top", "-n", "3",
	    "-d", "0.1", NULL);
	tl_ctl_expect(&run, 0, "top -j");
	for (line = strtok_r(run.out, "\n", &rest); line != NULL;
	    line = strtok_r(NULL, "\n", &rest), count++) {
		view = tl_json(line);
		ck_assert_str_eq(tl_string(view, "step"), "top");
		for (i = 0; i < TOP_NODES; i++) {
			node = tl_index(tl_member(view, "nodes"), i);
			ck_assert_str_eq(tl_string(node, "node"),
			    cluster.names[i]);
			ck_assert_str_eq(tl_string(node, "state"), "ready");
			ck_assert_int_eq(tl_int(node, "rounds"), 3);
			slaves = tl_member(node, "slaves");
			sum = 0;
			for (k = 0; k < TOP_SLAVES; k++) {
				ck_assert_str_eq(tl_string(tl_index(slaves, k),
				    "slave"), cluster.slaves[i][k]);
				sum += tl_int(tl_index(slaves, k), "agents");
			}
			ck_assert_int_eq(tl_int(node, "agents"), 10);
			ck_assert_int_eq(sum, 10);
			ck_assert_msg(json_object_is_type(tl_member(node,
			    "rounds_per_s"), count == 0 ? json_type_null :
			    json_type_double), "refresh %zu: rounds_per_s %s",
			    count, tl_json_text(tl_member(node,
			    "rounds_per_s")));
		}
		json_object_put(view);
	}
	ck_assert_uint_eq(count, 3);
	tl_ctl_free(&run);
	top_cluster_stop(&cluster, NULL);
}
END_TEST

/* Return the lines of a text as an array of new strings; how many. */
static size_t
top_lines(const char *text, char ***lines)
{
	char	*copy, *line, *rest;
	size_t	 count = 0;

	*lines = NULL;
	copy = tl_strdup(text);
	for (line = strtok_r(copy, "\n", &rest); line != NULL;
	    line = strtok_r(NULL, "\n", &rest)) {
		ck_assert_msg((*lines = realloc(*lines, (count + 1) *
		    sizeof **lines)) != NULL, "out of memory");
		(*lines)[count++] = tl_strdup(line);
	}
	free(copy);
	return (count);
}

/* Free what top_lines() made. */
static void
top_lines_free(char **lines, size_t count)
{
	size_t	 i;

	for (i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
}

/*
 * trigger -n 3 --timings: a header, then per round and node a line of
 * its own (no slave) and one per slave; rounds 1 to 3, the slaves'
 * agents adding up to the node's, act and wait adding up to the total.
 */
START_TEST(test_timings)
{
	struct top_cluster	 cluster;
	struct tl_ctl		 run;
	char			*csv, *text, **lines, node[64], slave[64];
	size_t			 count, i, n, k, node_index;
	long			 round, agents, sum = 0;
	double			 act, wait, total;

	top_cluster_start(&cluster);
	top_ctl(&cluster, "prepare", "--agents=counter:10");
	csv = tl_path(tl_tempdir(), "timings.csv");
	tl_ctl_run(&run, TOP_WAIT, "-f", cluster.file, "trigger", "-n", "3",
	    "--timings", csv, NULL);
	tl_ctl_expect(&run, 0, "trigger --timings");
	tl_ctl_free(&run);
	text = tl_read_file(csv);
	count = top_lines(text, &lines);
	ck_assert_msg(count == 1 + 3 * TOP_NODES * (1 + TOP_SLAVES),
	    "%zu lines:\n%s", count, text);
	ck_assert_str_eq(lines[0],
	    "round,node,slave,agents,act_s,wait_s,total_s");
	for (i = 1; i < count; i++) {
		slave[0] = '\0';
		n = sscanf(lines[i], "%ld,%63[^,],%63[^,],%ld,%lf,%lf,%lf",
		    &round, node, slave, &agents, &act, &wait, &total);
		if (n != 7)
			n = sscanf(lines[i], "%ld,%63[^,],,%ld,%lf,%lf,%lf",
			    &round, node, &agents, &act, &wait, &total) + 1;
		ck_assert_msg(n == 7, "line %zu: %s", i, lines[i]);
		/* Node by node in file order, each with its slaves after. */
		node_index = ((i - 1) / (1 + TOP_SLAVES)) % TOP_NODES;
		k = (i - 1) % (1 + TOP_SLAVES);
		ck_assert_int_eq(round, (long)((i - 1) / (TOP_NODES *
		    (1 + TOP_SLAVES)) + 1));
		ck_assert_str_eq(node, cluster.names[node_index]);
		if (k == 0) {
			ck_assert_msg(slave[0] == '\0', "line %zu: %s", i,
			    lines[i]);
			ck_assert_int_eq(agents, 10);
			sum = 0;
		} else {
			ck_assert_str_eq(slave,
			    cluster.slaves[node_index][k - 1]);
			sum += agents;
			if (k == TOP_SLAVES)
				ck_assert_int_eq(sum, 10);
		}
		ck_assert_msg(act >= 0 && wait >= 0 && act <= total &&
		    act + wait <= total + 2e-6 && act + wait >= total - 2e-6,
		    "line %zu: act and wait do not add up: %s", i, lines[i]);
	}
	top_lines_free(lines, count);
	free(text);
	free(csv);
	top_cluster_stop(&cluster, NULL);
}
END_TEST

/* Read an SVG with python3's XML parser: a line per polyline, its ys. */
static size_t
top_svg_polylines(const char *path, char ***lines)
{
	static const char	 script[] =
	    "import sys, xml.etree.ElementTree as ET\n"
	    "ns = '{http://www.w3.org/2000/svg}'\n"
	    "root = ET.parse(sys.argv[1]).getroot()\n"
	    "assert root.tag == ns + 'svg', root.tag\n"
	    "for p in root.iter(ns + 'polyline'):\n"
	    "    ys = [pt.split(',')[1] for pt in p.get('points').split()]\n"
	    "    print(p.get('data-node'), len(ys), ' '.join(ys))\n";
	const char		*argv[] = { "/usr/bin/env", "python3", "-c",
				    script, path, NULL };
	struct tl_run		 run;
	size_t			 count;

	tl_run_program(&run, TL_TIMEOUT, argv);
	ck_assert_msg(tl_exit_ok(&run.exit), "%s is not well-formed SVG: "
	    "%s\n%s", path, tl_exit_string(&run.exit), run.err);
	count = top_lines(run.out, lines);
	tl_run_free(&run);
	return (count);
}

/*
 * plot: a hand-made timings file where node "b" takes twice as long as
 * "a" and "c" every round (slave lines and a quoted name in it too)
 * makes an SVG with a polyline per node, in order, b's above the others
 * at every round, and a legend naming b slowest in all 5 rounds. A file
 * that is not one is refused, naming its line.
 */
START_TEST(test_plot)
{
	struct tl_ctl	 run;
	char		*csv, *svg, *text, **lines, *line, *bad;
	size_t		 count, i;
	double		 y[3][5];
	int		 r, offset, used;

	csv = tl_path(tl_tempdir(), "made.csv");
	svg = tl_path(tl_tempdir(), "made.svg");
	text = tl_strdup("round,node,slave,agents,act_s,wait_s,total_s\n");
	for (r = 1; r <= 5; r++) {
		line = tl_printf("%s%d,a,,10,0.01,0.001,0.011\n"
		    "%d,a,tcp://h:1/0,10,0.01,0.0,0.5\n"
		    "%d,b,,10,0.02,0.002,0.022\n"
		    "%d,\"c, the \"\"third\"\"\",,10,0.01,0.002,0.012\n",
		    text, r, r, r, r);
		free(text);
		text = line;
	}
	tl_write_file(csv, text);
	free(text);
	tl_ctl_run(&run, TOP_WAIT, "plot", csv, "-o", svg, NULL);
	tl_ctl_expect(&run, 0, "plot");
	tl_ctl_free(&run);
	count = top_svg_polylines(svg, &lines);
	ck_assert_uint_eq(count, 3);
	ck_assert_msg(strncmp(lines[0], "a 5 ", 4) == 0 &&
	    strncmp(lines[1], "b 5 ", 4) == 0 &&
	    strncmp(lines[2], "c, the \"third\" 5 ", 17) == 0,
	    "polylines:\n%s\n%s\n%s", lines[0], lines[1], lines[2]);
	for (i = 0; i < 3; i++) {
		line = strstr(lines[i], " 5 ") + 3;
		for (r = 0, offset = 0; r < 5; r++, offset += used)
			ck_assert_int_eq(sscanf(line + offset, "%lf%n",
			    &y[i][r], &used), 1);
	}
	for (r = 0; r < 5; r++)
		ck_assert_msg(y[1][r] < y[0][r] && y[1][r] < y[2][r],
		    "round %d: b is not above a and c", r + 1);
	top_lines_free(lines, count);
	text = tl_read_file(svg);
	ck_assert_msg(strstr(text, "b: slowest in 5 of 5 rounds") != NULL &&
	    strstr(text, "a: slowest in 0 of 5 rounds") != NULL,
	    "the legend does not name b:\n%s", text);
	free(text);

	bad = tl_path(tl_tempdir(), "bad.csv");
	tl_write_file(bad, "round,node,slave,agents,act_s,wait_s,total_s\n"
	    "1,a,,10,0.01,0.001\n");
	tl_ctl_run(&run, TOP_WAIT, "plot", bad, "-o", svg, NULL);
	tl_ctl_expect(&run, 1, "plot of a bad file");
	ck_assert_msg(strstr(run.err, "bad.csv:2:") != NULL, "no line named:"
	    " %s", run.err);
	tl_ctl_free(&run);
	tl_ctl_run(&run, TOP_WAIT, "plot", csv, NULL);
	tl_ctl_expect(&run, 2, "plot without -o");
	tl_ctl_free(&run);
	free(bad);
	free(svg);
	free(csv);
}
END_TEST

/*
 * stop --log-folder DIR on nodes that have no log folder: each is given
 * DIR/NODE before it stops, and there are its master's and slaves'
 * environment logs, each saying it stopped, and every counter's log,
 * its one line with the last round's number.
 */
START_TEST(test_stop_log_folder)
{
	struct top_cluster	 cluster;
	struct json_object	*agents;
	struct tl_conn		*conn;
	char			*dir, *arg, *path, *text;
	size_t			 i, k;

	top_cluster_start(&cluster);
	top_ctl(&cluster, "prepare", "--agents=counter:3");
	top_ctl(&cluster, "trigger", "-n2");
	dir = tl_path(tl_tempdir(), "at-stop");
	arg = tl_printf("--log-folder=%s", dir);
	agents = json_object_new_array();
	for (i = 0; i < TOP_NODES; i++) {
		conn = tl_connect(cluster.ports[i]);
		json_object_array_add(agents, tl_ok(conn, "get_agents", NULL));
		tl_close(conn);
	}
	top_cluster_stop(&cluster, arg);
	for (i = 0; i < TOP_NODES; i++) {
		for (k = 0; k <= TOP_SLAVES; k++) {
			path = tl_printf("%s/%s/env_%u.log", dir,
			    cluster.names[i], cluster.ports[i] + (unsigned)k);
			text = tl_read_file(path);
			ck_assert_msg(text != NULL && strstr(text, "stopped") !=
			    NULL, "%s: %s", path, text != NULL ? text :
			    "missing");
			free(text);
			free(path);
		}
		for (k = 0; k < 3; k++) {
			path = tl_printf("%s/%s/agent_%u_%ld.log", dir,
			    cluster.names[i], tl_address_port(
			    json_object_get_string(tl_index(tl_index(agents,
			    i), k))), tl_address_agent(json_object_get_string(
			    tl_index(tl_index(agents, i), k))));
			text = tl_read_file(path);
			ck_assert_msg(text != NULL &&
			    strcmp(text, "round 2: count 2\n") == 0, "%s: %s",
			    path, text != NULL ? text : "missing");
			free(text);
			free(path);
		}
	}
	json_object_put(agents);
	free(arg);
	free(dir);
}
END_TEST

/* The suite: top under tmux and as JSON, timings and their plot, logs. */
Suite *
suite_watch(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("watch");
	tc = tcase_create("top");
	tcase_set_timeout(tc, TOP_TEST_TIMEOUT);
	tcase_add_test(tc, test_top_tmux);
	tcase_add_test(tc, test_top_json);
	suite_add_tcase(suite, tc);
	tc = tcase_create("timings");
	tcase_set_timeout(tc, TOP_TEST_TIMEOUT);
	tcase_add_test(tc, test_timings);
	tcase_add_test(tc, test_plot);
	tcase_add_test(tc, test_stop_log_folder);
	suite_add_tcase(suite, tc);
	return (suite);
}
