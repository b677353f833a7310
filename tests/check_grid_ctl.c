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
 * End-to-end tests of creamasctl grid ($CREAMASCTL) on a grid of two
 * launch=local nodes, each a master of two slaves, side by side: its JSON
 * is every node's get_grid, its PGM image has the grid's size and each
 * cell's gray at the cell's place, its text map has the grid's size and
 * each cell's character at the cell's place. And the issue's fault: a
 * slave killed with SIGKILL while creamasctl runs rounds on the grid; the
 * rounds go on, the next one reports the slave lost (-32004, naming it),
 * grid names it, and creamasctl stop stops the rest with nothing left.
 *
 * The grid is 12 x 5, not square, so that x and y mixed up show. Every
 * daemon is tracked by pid from its status and must be gone at the end.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "testlib.h"

#define GC_TEST_TIMEOUT		120	/* seconds per test */
#define GC_CTL_WAIT		60.0	/* seconds a creamasctl run may take */
#define GC_STOP_WAIT		20.0	/* seconds for a process to be gone */
#define GC_NODES		2
#define GC_SLAVES		2	/* of each node */
#define GC_WIDTH		12
#define GC_HEIGHT		5
#define GC_ROUNDS_BACKGROUND	"1000"	/* rounds run while a slave dies */
#define GC_PROMPT		25.0	/* seconds they may take after */

Suite	*suite_grid_ctl(void);

/* The nodes under test: a nodes file and every process it started. */
struct gc_cluster {
	char		*file;
	char		 names[GC_NODES][32];
	uint16_t	 ports[GC_NODES];
	struct tl_conn	*conns[GC_NODES];
	pid_t		 masters[GC_NODES];
	pid_t		 slaves[GC_NODES][GC_SLAVES];
	char		*managers[GC_NODES][GC_SLAVES];
};

/* A grid read back from the nodes, indexed by cell. */
struct gc_grid {
	struct json_object	*cells;		/* every node's, node order */
	double			 values[GC_WIDTH * GC_HEIGHT];
	double			 min;
	double			 max;
};

/*
 * Start two nodes of two slaves with creamasctl spawn, track every
 * process by pid, and fill a GC_WIDTH x GC_HEIGHT grid of type over
 * them with prepare --grid, side by side.
 */
static void
gc_cluster_start(struct gc_cluster *cluster, const char *type)
{
	struct tl_ctl		 run;
	struct json_object	*status, *slaves;
	uint16_t		 base;
	size_t			 i, k;
	char			*text, *grid;

	memset(cluster, 0, sizeof *cluster);
	tl_adopt_orphans();
	base = tl_free_ports(GC_NODES * (GC_SLAVES + 1));
	cluster->file = tl_path(tl_tempdir(), "nodes");
	for (i = 0; i < GC_NODES; i++) {
		cluster->ports[i] = (uint16_t)(base + i * (GC_SLAVES + 1));
		snprintf(cluster->names[i], sizeof cluster->names[i],
		    "127.0.0.1:%u", cluster->ports[i]);
	}
	text = tl_printf("127.0.0.1 port=%u slaves=%d launch=local\n"
	    "127.0.0.1 port=%u slaves=%d launch=local\n", cluster->ports[0],
	    GC_SLAVES, cluster->ports[1], GC_SLAVES);
	tl_write_file(cluster->file, text);
	free(text);

	tl_ctl_run(&run, GC_CTL_WAIT, "-f", cluster->file, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn");
	tl_ctl_free(&run);
	for (i = 0; i < GC_NODES; i++) {
		cluster->conns[i] = tl_connect(cluster->ports[i]);
		status = tl_ok(cluster->conns[i], "status", NULL);
		cluster->masters[i] = (pid_t)tl_int(status, "pid");
		tl_track_pid(cluster->masters[i]);
		slaves = tl_member(status, "slaves");
		ck_assert_msg(json_object_array_length(slaves) == GC_SLAVES,
		    "%s: %s", cluster->names[i], tl_json_text(status));
		for (k = 0; k < GC_SLAVES; k++) {
			cluster->slaves[i][k] = (pid_t)tl_int(tl_index(slaves,
			    k), "pid");
			tl_track_pid(cluster->slaves[i][k]);
			cluster->managers[i][k] = strdup(tl_string(
			    tl_index(slaves, k), "address"));
		}
		json_object_put(status);
	}
	grid = tl_printf("%dx%d:%s", GC_WIDTH, GC_HEIGHT, type);
	tl_ctl_run(&run, GC_CTL_WAIT, "-f", cluster->file, "prepare", "--grid",
	    grid, "--node-grid", "2x1", NULL);
	tl_ctl_expect(&run, 0, "prepare --grid");
	tl_ctl_free(&run);
	free(grid);
}

/*
 * Stop the nodes with creamasctl stop, which must exit 0 naming each
 * node stopped; then no process of theirs may be left, by pid, nor any
 * of their ports listening.
 */
static void
gc_cluster_stop(struct gc_cluster *cluster)
{
	struct tl_ctl	 run;
	struct tl_exit	 e;
	pid_t		 stray;
	size_t		 i, k;
	char		*expected;

	for (i = 0; i < GC_NODES; i++)
		tl_close(cluster->conns[i]);
	tl_ctl_run(&run, GC_CTL_WAIT, "-f", cluster->file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	for (i = 0; i < GC_NODES; i++) {
		expected = tl_printf("%s  stopped in ", cluster->names[i]);
		ck_assert_msg(strstr(run.out, expected) != NULL, "stop: no "
		    "\"%s\" in:\n%s", expected, run.out);
		free(expected);
	}
	tl_ctl_free(&run);
	for (i = 0; i < GC_NODES; i++) {
		e = tl_stop_pid(cluster->masters[i], 0, GC_STOP_WAIT);
		ck_assert_msg(!e.killed, "master %s (pid %ld) ran on after "
		    "stop", cluster->names[i], (long)cluster->masters[i]);
		for (k = 0; k < GC_SLAVES; k++) {
			e = tl_stop_pid(cluster->slaves[i][k], 0,
			    GC_STOP_WAIT);
			ck_assert_msg(!e.killed, "slave %s (pid %ld) ran on "
			    "after stop", cluster->managers[i][k],
			    (long)cluster->slaves[i][k]);
			ck_assert_msg(!tl_port_listening((uint16_t)
			    (cluster->ports[i] + 1 + k)), "port %u still "
			    "listens", cluster->ports[i] + 1 + (unsigned)k);
			free(cluster->managers[i][k]);
		}
		ck_assert_msg(!tl_port_listening(cluster->ports[i]), "%s still "
		    "listens", cluster->names[i]);
	}
	stray = tl_stray_child();
	ck_assert_msg(stray == 0, "process %ld is left running", (long)stray);
	free(cluster->file);
}

/*
 * Read the grid from every node with get_grid, in node order, and index
 * its values by cell; every cell must be there once, with a value.
 */
static void
gc_grid_read(struct gc_cluster *cluster, struct gc_grid *grid)
{
	struct json_object	*part, *cell, *xy;
	unsigned char		 seen[GC_WIDTH * GC_HEIGHT];
	int64_t			 x, y;
	size_t			 i, k, total = 0;

	memset(grid, 0, sizeof *grid);
	memset(seen, 0, sizeof seen);
	grid->cells = json_object_new_array();
	for (i = 0; i < GC_NODES; i++) {
		part = tl_ok(cluster->conns[i], "get_grid", NULL);
		for (k = 0; k < json_object_array_length(part); k++) {
			cell = tl_index(part, k);
			xy = tl_member(cell, "xy");
			x = json_object_get_int64(tl_index(xy, 0));
			y = json_object_get_int64(tl_index(xy, 1));
			ck_assert_msg(x >= 0 && x < GC_WIDTH && y >= 0 &&
			    y < GC_HEIGHT && !seen[y * GC_WIDTH + x],
			    "get_grid on %s: cell %s outside or twice",
			    cluster->names[i], tl_json_text(cell));
			seen[y * GC_WIDTH + x] = 1;
			grid->values[y * GC_WIDTH + x] = json_object_get_double(
			    tl_member(cell, "value"));
			json_object_array_add(grid->cells,
			    json_object_get(cell));
			total++;
		}
		json_object_put(part);
	}
	ck_assert_msg(total == GC_WIDTH * GC_HEIGHT, "get_grid gave %zu "
	    "cells", total);
	grid->min = grid->max = grid->values[0];
	for (i = 1; i < GC_WIDTH * GC_HEIGHT; i++) {
		if (grid->values[i] < grid->min)
			grid->min = grid->values[i];
		if (grid->values[i] > grid->max)
			grid->max = grid->values[i];
	}
	ck_assert_msg(grid->max > grid->min, "every cell holds %.17g",
	    grid->min);
}

/* Return where a cell's value lies from the smallest to the largest. */
static double
gc_scale(const struct gc_grid *grid, int x, int y)
{
	return ((grid->values[y * GC_WIDTH + x] - grid->min) /
	    (grid->max - grid->min));
}

/* Run some rounds of diffusion with creamasctl trigger. */
static void
gc_rounds(struct gc_cluster *cluster, const char *rounds)
{
	struct tl_ctl	 run;

	tl_ctl_run(&run, GC_CTL_WAIT, "-f", cluster->file, "trigger", "-n",
	    rounds, NULL);
	tl_ctl_expect(&run, 0, "trigger");
	tl_ctl_free(&run);
}

/*
 * grid -j: one line, with the grid's origin and size, the smallest and
 * largest values, and "cells" exactly every node's get_grid in node
 * order.
 */
START_TEST(test_grid_json)
{
	struct gc_cluster	 cluster;
	struct gc_grid		 grid;
	struct tl_ctl		 run;
	struct json_object	*line;
	char			*text;

	gc_cluster_start(&cluster, "diffusion");
	gc_rounds(&cluster, "3");
	gc_grid_read(&cluster, &grid);

	tl_ctl_run(&run, GC_CTL_WAIT, "-j", "-f", cluster.file, "grid", NULL);
	tl_ctl_expect(&run, 0, "-j grid");
	ck_assert_msg(strchr(run.out, '\n') == run.out + strlen(run.out) - 1,
	    "grid -j printed more than a line:\n%.2000s", run.out);
	line = tl_last_json_line(run.out);
	ck_assert_str_eq(tl_string(line, "step"), "grid");
	tl_assert_json(tl_member(line, "ok"), "true");
	ck_assert_int_eq(tl_int(line, "nodes"), GC_NODES);
	tl_assert_json(tl_member(line, "origin"), "[0,0]");
	text = tl_printf("[%d,%d]", GC_WIDTH, GC_HEIGHT);
	tl_assert_json(tl_member(line, "size"), text);
	free(text);
	ck_assert_msg(json_object_get_double(tl_member(line, "min")) ==
	    grid.min && json_object_get_double(tl_member(line, "max")) ==
	    grid.max, "min and max %s %s, expected %.17g %.17g",
	    tl_json_text(tl_member(line, "min")),
	    tl_json_text(tl_member(line, "max")), grid.min, grid.max);
	ck_assert_msg(json_object_equal(tl_member(line, "cells"), grid.cells),
	    "grid -j cells:\n%.2000s\nget_grid:\n%.2000s",
	    tl_json_text(tl_member(line, "cells")), tl_json_text(grid.cells));
	json_object_put(line);
	tl_ctl_free(&run);

	json_object_put(grid.cells);
	gc_cluster_stop(&cluster);
}
END_TEST

/*
 * grid --image: a binary PGM of GC_WIDTH x GC_HEIGHT, maxval 255, with
 * exactly a byte per cell, row y at the top from y 0, column x from the
 * left; each gray is the cell's value scaled from the smallest (0) to
 * the largest (255).
 */
START_TEST(test_grid_image)
{
	struct gc_cluster	 cluster;
	struct gc_grid		 grid;
	struct tl_ctl		 run;
	unsigned char		 data[4096];
	unsigned int		 width, height, maxval;
	size_t			 length;
	int			 offset = 0, x, y, expected, got;
	char			*path;
	FILE			*f;

	gc_cluster_start(&cluster, "diffusion");
	gc_rounds(&cluster, "2");
	gc_grid_read(&cluster, &grid);
	path = tl_path(tl_tempdir(), "grid.pgm");

	tl_ctl_run(&run, GC_CTL_WAIT, "-f", cluster.file, "grid", "--image",
	    path, NULL);
	tl_ctl_expect(&run, 0, "grid --image");
	ck_assert_msg(strstr(run.out, path) != NULL, "grid --image does not "
	    "name %s: %s", path, run.out);
	tl_ctl_free(&run);

	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s: %s", path,
	    strerror(errno));
	length = fread(data, 1, sizeof data, f);
	fclose(f);
	ck_assert_msg(length < sizeof data, "%s: over %zu bytes", path,
	    sizeof data);
	data[length] = '\0';
	ck_assert_msg(sscanf((const char *)data, "P5 %u %u %u%n", &width,
	    &height, &maxval, &offset) == 3 && offset > 0, "%s: no P5 header",
	    path);
	ck_assert_msg(width == GC_WIDTH && height == GC_HEIGHT &&
	    maxval == 255, "%s: %ux%u maxval %u, expected %dx%d maxval 255",
	    path, width, height, maxval, GC_WIDTH, GC_HEIGHT);
	/* A single white space ends the header. */
	ck_assert_msg(data[offset] == '\n', "%s: header ends with %#x", path,
	    data[offset]);
	offset++;
	ck_assert_msg(length - (size_t)offset == GC_WIDTH * GC_HEIGHT, "%s: "
	    "%zu pixels, expected %d", path, length - (size_t)offset,
	    GC_WIDTH * GC_HEIGHT);
	for (y = 0; y < GC_HEIGHT; y++) {
		for (x = 0; x < GC_WIDTH; x++) {
			expected = (int)lround(gc_scale(&grid, x, y) * 255.0);
			got = data[offset + y * GC_WIDTH + x];
			ck_assert_msg(got == expected, "%s: pixel (%d, %d) is "
			    "%d, expected %d for %.17g", path, x, y, got,
			    expected, grid.values[y * GC_WIDTH + x]);
		}
	}
	unlink(path);
	free(path);

	json_object_put(grid.cells);
	gc_cluster_stop(&cluster);
}
END_TEST

/*
 * grid for people: a frame and one line per row, GC_HEIGHT of them, each
 * of GC_WIDTH characters, the character of (x, y) at column x of row y
 * by its band of ten from the smallest value to the largest; then the
 * legend and the smallest and largest values with their cells.
 */
START_TEST(test_grid_text)
{
	static const char	 ramp[] = " .:-=+*#%@";
	struct gc_cluster	 cluster;
	struct gc_grid		 grid;
	struct tl_ctl		 run;
	const char		*line, *end;
	char			*frame, *expected;
	size_t			 rows = 0;
	int			 x, y, band, min_at = 0, max_at = 0;

	gc_cluster_start(&cluster, "diffusion");
	gc_rounds(&cluster, "4");
	gc_grid_read(&cluster, &grid);
	for (x = 0; x < GC_WIDTH * GC_HEIGHT; x++) {
		if (grid.values[x] == grid.min && min_at == 0)
			min_at = x + 1;
		if (grid.values[x] == grid.max && max_at == 0)
			max_at = x + 1;
	}

	tl_ctl_run(&run, GC_CTL_WAIT, "-f", cluster.file, "grid", NULL);
	tl_ctl_expect(&run, 0, "grid");
	frame = tl_printf("\n+%.*s+\n", GC_WIDTH, "--------------------------");
	ck_assert_msg((line = strstr(run.out, frame)) != NULL, "no frame %s"
	    "in:\n%s", frame, run.out);
	for (line += strlen(frame); *line == '|'; line = end + 1) {
		end = strchr(line, '\n');
		ck_assert_msg(end != NULL, "grid: unfinished line");
		ck_assert_msg(end - line == GC_WIDTH + 2 && end[-1] == '|',
		    "grid: row %zu is \"%.*s\", not %d cells wide", rows,
		    (int)(end - line), line, GC_WIDTH);
		ck_assert_msg(rows < GC_HEIGHT, "grid: more than %d rows:\n%s",
		    GC_HEIGHT, run.out);
		y = (int)rows;
		for (x = 0; x < GC_WIDTH; x++) {
			band = (int)(gc_scale(&grid, x, y) * 10);
			if (band > 9)
				band = 9;
			ck_assert_msg(line[1 + x] == ramp[band], "grid: (%d, "
			    "%d) is '%c', expected '%c' for %.17g:\n%s", x, y,
			    line[1 + x], ramp[band],
			    grid.values[y * GC_WIDTH + x], run.out);
		}
		rows++;
	}
	ck_assert_msg(rows == GC_HEIGHT, "grid: %zu rows, expected %d:\n%s",
	    rows, GC_HEIGHT, run.out);
	ck_assert_msg(strncmp(line, frame + 1, strlen(frame) - 1) == 0,
	    "grid: no frame under the rows:\n%s", run.out);
	ck_assert_msg(strstr(run.out, "\nband  ' '      '.'") != NULL &&
	    strstr(run.out, "\nfrom  ") != NULL, "grid: no legend:\n%s",
	    run.out);
	expected = tl_printf("\nmin %.6g at (%d, %d), max %.6g at (%d, %d)\n",
	    grid.min, (min_at - 1) % GC_WIDTH, (min_at - 1) / GC_WIDTH,
	    grid.max, (max_at - 1) % GC_WIDTH, (max_at - 1) / GC_WIDTH);
	ck_assert_msg(strstr(run.out, expected) != NULL, "grid: no \"%s\" in:"
	    "\n%s", expected + 1, run.out);
	free(expected);
	free(frame);
	tl_ctl_free(&run);

	json_object_put(grid.cells);
	gc_cluster_stop(&cluster);
}
END_TEST

/*
 * Usage errors exit 2 before any node is asked; nodes that do not answer
 * are named and make grid exit 1, with no cells and no image written.
 */
START_TEST(test_grid_errors)
{
	struct tl_ctl		 run;
	struct json_object	*line;
	char			*file, *text, *image, *name;
	uint16_t		 port;

	port = tl_free_ports(1);
	file = tl_path(tl_tempdir(), "nodes.none");
	text = tl_printf("127.0.0.1 port=%u launch=none\n", port);
	tl_write_file(file, text);
	free(text);
	name = tl_printf("127.0.0.1:%u", port);
	image = tl_path(tl_tempdir(), "none.pgm");

	tl_ctl_run(&run, GC_CTL_WAIT, "-f", file, "grid", "extra", NULL);
	tl_ctl_expect(&run, 2, "grid extra");
	tl_ctl_free(&run);
	tl_ctl_run(&run, GC_CTL_WAIT, "-f", file, "grid", "--image", NULL);
	tl_ctl_expect(&run, 2, "grid --image");
	tl_ctl_free(&run);
	tl_ctl_run(&run, GC_CTL_WAIT, "-f", file, "grid", "--no-such-option",
	    NULL);
	tl_ctl_expect(&run, 2, "grid --no-such-option");
	tl_ctl_free(&run);

	tl_ctl_run(&run, GC_CTL_WAIT, "-f", file, "grid", "--image", image,
	    NULL);
	tl_ctl_expect(&run, 1, "grid with no node running");
	ck_assert_msg(strstr(run.err, name) != NULL && strstr(run.err,
	    "get_grid") != NULL, "grid does not name %s: %s", name, run.err);
	ck_assert_msg(access(image, F_OK) == -1, "%s written with no cells",
	    image);
	tl_ctl_free(&run);

	tl_ctl_run(&run, GC_CTL_WAIT, "-j", "-f", file, "grid", NULL);
	tl_ctl_expect(&run, 1, "-j grid with no node running");
	line = tl_last_json_line(run.out);
	tl_assert_json(tl_member(line, "ok"), "false");
	tl_assert_json(tl_member(line, "cells"), "[]");
	json_object_put(line);
	ck_assert_msg(strstr(run.out, "\"node\":\"") != NULL && strstr(run.out,
	    name) != NULL, "grid -j has no line naming %s:\n%s", name,
	    run.out);
	tl_ctl_free(&run);

	free(name);
	free(image);
	free(file);
}
END_TEST

/*
 * A slave killed with SIGKILL in the middle of creamasctl trigger on the
 * grid: the rounds go on at once to the end with the agents left (the
 * trigger exits 0: its nodes answered every round); the next round's
 * errors hold one entry {"slave": the slave's address, "code": -32004};
 * grid names the node and the slave and shows the other node's cells;
 * creamasctl stop exits 0 with both nodes stopped and no process left by
 * pid.
 */
START_TEST(test_grid_slave_killed)
{
	static const char	*args[] = { "-f", NULL, "trigger", "-n",
	    GC_ROUNDS_BACKGROUND, NULL };
	const char		*argv[sizeof args / sizeof args[0]];
	struct gc_cluster	 cluster;
	struct tl_ctl		 trigger, run;
	struct json_object	*status, *line, *errors, *entry, *value;
	const char		*last, *victim;
	char			*expected;
	int64_t			 rounds = 0;
	size_t			 i, lost = 0, edges = 0;
	double			 deadline, killed;

	gc_cluster_start(&cluster, "diffusion");
	victim = cluster.managers[0][1];	/* next to the other node */
	memcpy(argv, args, sizeof args);
	argv[1] = cluster.file;
	tl_ctl_start(&trigger, argv);

	/* Kill it once rounds are going. */
	deadline = tl_now() + GC_CTL_WAIT;
	while (rounds < 5) {
		ck_assert_msg(tl_now() < deadline, "no round after %.0f s",
		    GC_CTL_WAIT);
		ck_assert_msg(waitpid(trigger.pid, NULL, WNOHANG) == 0,
		    "trigger ended before the slave was killed: raise "
		    "GC_ROUNDS_BACKGROUND");
		status = tl_ok(cluster.conns[0], "status", NULL);
		rounds = tl_int(status, "rounds");
		json_object_put(status);
		usleep(5000);
	}
	ck_assert_msg(kill(cluster.slaves[0][1], SIGKILL) == 0, "kill %ld: %s",
	    (long)cluster.slaves[0][1], strerror(errno));
	killed = tl_now();
	ck_assert_msg(waitpid(trigger.pid, NULL, WNOHANG) == 0, "trigger "
	    "ended before the slave was killed: raise GC_ROUNDS_BACKGROUND");
	tl_ctl_wait(&trigger, GC_CTL_WAIT);
	/* The rounds go on without it, but the run did not end well. */
	tl_ctl_expect(&trigger, 1, "trigger with a slave killed");
	ck_assert_msg(strstr(trigger.err, victim) != NULL &&
	    strstr(trigger.err, " lost: ") != NULL, "trigger did not name "
	    "the lost slave %s:\n%.2000s", victim, trigger.err);
	/* No round waited for the dead slave (calls time out in 30 s). */
	ck_assert_msg(tl_now() - killed < GC_PROMPT, "the rounds took %.1f s "
	    "after the slave was killed", tl_now() - killed);
	ck_assert_msg(strstr(trigger.out, "round " GC_ROUNDS_BACKGROUND ": ")
	    != NULL, "the rounds stopped short:\n%.2000s", trigger.out);
	for (last = trigger.out + strlen(trigger.out) - 1;
	    last > trigger.out && last[-1] != '\n'; last--)
		;
	/*
	 * The agents of the columns on both sides of the dead slave cannot
	 * know a neighbour's value: they keep theirs and fail.
	 */
	expected = tl_printf(": %d agents, %d failed, 2/2 nodes, ",
	    GC_WIDTH * GC_HEIGHT * (2 * GC_SLAVES - 1) / (2 * GC_SLAVES),
	    2 * GC_HEIGHT);
	ck_assert_msg(strstr(last, expected) != NULL, "the last round is "
	    "\"%s\", expected \"%s\"", last, expected);
	free(expected);
	tl_ctl_free(&trigger);

	/* The next round names the slave lost. */
	tl_ctl_run(&run, GC_CTL_WAIT, "-j", "-f", cluster.file, "-n",
	    cluster.names[0], "call", "trigger_all", NULL);
	tl_ctl_expect(&run, 0, "call trigger_all");
	line = tl_last_json_line(run.out);
	errors = tl_member(tl_member(line, "result"), "errors");
	for (i = 0; i < json_object_array_length(errors); i++) {
		entry = tl_index(errors, i);
		if (!json_object_object_get_ex(entry, "slave", &value))
			continue;
		ck_assert_msg(json_object_is_type(value, json_type_string),
		    "trigger_all: %s: slave is no address",
		    tl_json_text(entry));
		if (tl_int(entry, "code") == -32004) {
			ck_assert_msg(strcmp(json_object_get_string(value),
			    victim) == 0, "trigger_all: %s, expected slave %s "
			    "lost", tl_json_text(entry), victim);
			lost++;
		} else if (strstr(tl_string(entry, "message"), "values of "
		    "round") != NULL && strstr(tl_string(entry, "message"),
		    victim) != NULL)
			edges++;	/* its neighbour could not ask it */
	}
	ck_assert_msg(lost == 1, "trigger_all: %zu entries of lost slaves "
	    "in %s", lost, tl_json_text(errors));
	ck_assert_msg(edges == 1, "trigger_all: %zu entries of values not "
	    "had from %s in %s", edges, victim, tl_json_text(errors));
	json_object_put(line);
	tl_ctl_free(&run);

	/* grid: the node with the slave lost is named, the other shown. */
	tl_ctl_run(&run, GC_CTL_WAIT, "-j", "-f", cluster.file, "grid", NULL);
	tl_ctl_expect(&run, 1, "grid with a slave lost");
	ck_assert_msg(strstr(run.err, cluster.names[0]) != NULL &&
	    strstr(run.err, victim) != NULL, "grid does not name %s and %s:\n"
	    "%s", cluster.names[0], victim, run.err);
	line = tl_last_json_line(run.out);
	tl_assert_json(tl_member(line, "ok"), "false");
	ck_assert_int_eq(tl_int(line, "nodes"), 1);
	ck_assert_uint_eq(json_object_array_length(tl_member(line, "cells")),
	    GC_WIDTH * GC_HEIGHT / GC_NODES);
	expected = tl_printf("[%d,0]", GC_WIDTH / GC_NODES);
	tl_assert_json(tl_member(line, "origin"), expected);
	free(expected);
	json_object_put(line);
	tl_ctl_free(&run);

	gc_cluster_stop(&cluster);
}
END_TEST

/* The creamasctl grid suite. */
Suite *
suite_grid_ctl(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("grid_ctl");

	tc = tcase_create("show");
	tcase_set_timeout(tc, GC_TEST_TIMEOUT);
	tcase_add_test(tc, test_grid_json);
	tcase_add_test(tc, test_grid_image);
	tcase_add_test(tc, test_grid_text);
	tcase_add_test(tc, test_grid_errors);
	suite_add_tcase(suite, tc);

	tc = tcase_create("faults");
	tcase_set_timeout(tc, GC_TEST_TIMEOUT);
	tcase_add_test(tc, test_grid_slave_killed);
	suite_add_tcase(suite, tc);

	return (suite);
}
