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
 * End-to-end tests of creamasctl top: two local nodes of two slaves
 * each, the live view in a detached tmux session (its own server socket)
 * read back with capture-pane; every node and slave shows, a slave
 * killed with SIGKILL shows lost, q ends it with status 0. top -j
 * prints one JSON line per refresh, -n of them.
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

Suite	*suite_top(void);

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

/* Stop the nodes with creamasctl stop; every process must be gone. */
static void
top_cluster_stop(struct top_cluster *cluster)
{
	struct tl_exit	 e;
	size_t		 i, k;

	top_ctl(cluster, "stop", NULL);
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
	top_cluster_stop(&cluster);
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
	top_cluster_stop(&cluster);
}
END_TEST

/* The suite: the live view under tmux, and its JSON lines. */
Suite *
suite_top(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("top");
	tc = tcase_create("view");
	tcase_set_timeout(tc, TOP_TEST_TIMEOUT);
	tcase_add_test(tc, test_top_tmux);
	tcase_add_test(tc, test_top_json);
	suite_add_tcase(suite, tc);
	return (suite);
}
