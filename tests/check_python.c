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
 * End-to-end tests of Python agents (creamas_python.so, the "python"
 * type) with real daemons: the counter model in Python against the C
 * one through a master of two slaves and through creamasctl on two
 * local nodes; Python and C agents calling each other in one slave;
 * exceptions, spawn errors, endless loops; a call to a killed slave.
 * The agents are tests/python/pyagents.py, found through the spawn's
 * "path" ($CREAMAS_PYTHON_TESTS).
 */

#include <sys/types.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

#define PY_AGENT_FAILED		-32008
#define PY_INVALID_PARAMS	-32602
#define PY_METHOD_NOT_FOUND	-32601
#define PY_ROUNDS		3

Suite	*suite_python(void);

/* The folder of the test agents' modules. */
static const char *
py_dir(void)
{
	const char	*dir = getenv("CREAMAS_PYTHON_TESTS");

	ck_assert_msg(dir != NULL, "CREAMAS_PYTHON_TESTS is not set");
	return (dir);
}

/* The params of a spawn of class (in pyagents) with more members. */
static char *
py_params(const char *cls, const char *more)
{
	return (tl_printf("{\"class\":\"pyagents.%s\",\"path\":\"%s\"%s%s}",
	    cls, py_dir(), more != NULL ? "," : "", more != NULL ? more : ""));
}

/* Spawn one agent of class with more params; return its address. */
static char *
py_spawn(struct tl_conn *conn, const char *cls, const char *more)
{
	struct json_object	*result;
	char			*params, *address;

	params = py_params(cls, more);
	result = tl_okf(conn, "spawn", "{\"type\":\"python\",\"params\":%s}",
	    params);
	address = tl_strdup(json_object_get_string(result));
	json_object_put(result);
	free(params);
	return (address);
}

/* Spawn one agent of class on a master's slave; return its address. */
static char *
py_spawn_on(struct tl_conn *conn, const char *cls, int slave)
{
	struct json_object	*result;
	char			*params, *address;

	params = py_params(cls, NULL);
	result = tl_okf(conn, "spawn_n", "{\"type\":\"python\",\"n\":1,"
	    "\"slave\":%d,\"params\":%s}", slave, params);
	address = tl_strdup(json_object_get_string(tl_index(result, 0)));
	json_object_put(result);
	free(params);
	return (address);
}

/* Connect agent to addr. */
static void
py_connect(struct tl_conn *conn, const char *agent, const char *addr)
{
	json_object_put(tl_okf(conn, "agent.add_connection", "{\"agent\":"
	    "\"%s\",\"addr\":\"%s\"}", agent, addr));
}

/* Run one round; return its result (a new reference). */
static struct json_object *
py_round(struct tl_conn *conn, const char *params)
{
	return (tl_ok(conn, "trigger_all", params));
}

/* Return agent's method's result (a new reference). */
static struct json_object *
py_agent_call(struct tl_conn *conn, const char *agent, const char *method)
{
	return (tl_okf(conn, method, "{\"agent\":\"%s\"}", agent));
}

/* Fail unless one of the round's errors is agent's and contains text. */
static void
py_expect_error(struct json_object *round, const char *agent,
    const char *text)
{
	struct json_object	*errors = tl_member(round, "errors"), *error;
	size_t			 i;

	for (i = 0; i < json_object_array_length(errors); i++) {
		error = tl_index(errors, i);
		if (json_object_get_type(tl_member(error, "agent")) ==
		    json_type_string && strcmp(tl_string(error, "agent"),
		    agent) == 0 && strstr(tl_string(error, "message"), text) !=
		    NULL)
			return;
	}
	ck_abort_msg("no error of %s with \"%s\" in %s", agent, text,
	    tl_json_text(errors));
}

/* Fail unless agent's method answers expected (JSON text). */
static void
py_expect(struct tl_conn *conn, const char *agent, const char *method,
    const char *expected)
{
	char	*params;

	params = tl_printf("{\"agent\":\"%s\"}", agent);
	tl_expect_result(conn, method, params, expected);
	free(params);
}

/*
 * A slave with the Python plugin, the pingpong one if asked, and an
 * option ("-o" KEY=VALUE) if not NULL.
 */
static struct tl_daemon *
py_slave(int pingpong, const char *option)
{
	const char	*args[8];
	size_t		 n = 0;

	args[n++] = "--plugin";
	args[n++] = tl_plugin_path("creamas_python");
	if (pingpong) {
		args[n++] = "--plugin";
		args[n++] = tl_plugin_path("pingpong");
	}
	if (option != NULL) {
		args[n++] = "-o";
		args[n++] = option;
	}
	args[n] = NULL;
	return (tl_daemon_startv(args));
}

/*
 * Ten Python counters and ten C counters through a master of two
 * slaves, PY_ROUNDS rounds with args {"by": 2}: every Python count
 * equals every C count, and the rounds' results are the same numbers.
 */
START_TEST(test_counter_equals_c)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*py, *c, *round, *results, *value;
	char			*params;
	size_t			 i;
	int			 r;

	tl_adopt_orphans();
	d = tl_daemon_start("--role", "master", "--slaves", "2", "--plugin",
	    tl_plugin_path("creamas_python"), NULL);
	conn = tl_connect(d->port);
	params = py_params("Counter", "\"start\":3");
	py = tl_okf(conn, "spawn_n", "{\"type\":\"python\",\"n\":10,"
	    "\"params\":%s}", params);
	free(params);
	c = tl_ok(conn, "spawn_n", "{\"type\":\"counter\",\"n\":10,"
	    "\"params\":{\"start\":3}}");
	ck_assert_uint_eq(json_object_array_length(py), 10);
	for (r = 1; r <= PY_ROUNDS; r++) {
		round = py_round(conn, "{\"results\":true,"
		    "\"args\":{\"by\":2}}");
		ck_assert_int_eq(tl_int(round, "agents"), 20);
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		results = tl_member(round, "results");
		ck_assert_uint_eq(json_object_array_length(results), 20);
		for (i = 0; i < 20; i++)
			ck_assert_int_eq(json_object_get_int64(tl_index(
			    results, i)), 3 + 2 * r);
		json_object_put(round);
	}
	for (i = 0; i < 10; i++) {
		value = py_agent_call(conn, json_object_get_string(tl_index(py,
		    i)), "agent.get");
		ck_assert_int_eq(json_object_get_int64(value), 3 + 2 *
		    PY_ROUNDS);
		json_object_put(value);
		value = py_agent_call(conn, json_object_get_string(tl_index(c,
		    i)), "agent.get");
		ck_assert_int_eq(json_object_get_int64(value), 3 + 2 *
		    PY_ROUNDS);
		json_object_put(value);
	}
	json_object_put(py);
	json_object_put(c);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/* Write a nodes file of two local masters of two slaves with the plugin. */
static char *
py_nodes_file(void)
{
	char		*file, *text;
	uint16_t	 port;

	file = tl_path(tl_tempdir(), "nodes");
	port = tl_free_ports(6);
	text = tl_printf("127.0.0.1 port=%u launch=local cmd=\"{creamasd} "
	    "--role master --slaves 2 --listen {listen} --plugin %s\"\n"
	    "127.0.0.1 port=%u launch=local cmd=\"{creamasd} --role master "
	    "--slaves 2 --listen {listen} --plugin %s\"\n", port,
	    tl_plugin_path("creamas_python"), port + 3,
	    tl_plugin_path("creamas_python"));
	tl_write_file(file, text);
	free(text);
	tl_adopt_orphans();
	return (file);
}

/* Fail unless a creamasctl run printed rounds 1 to n of agents, none failed. */
static void
py_expect_rounds(const struct tl_ctl *run, int n, int agents)
{
	char	*text;
	int	 r;

	for (r = 1; r <= n; r++) {
		text = tl_printf("round %d: %d agents, 0 failed, 2/2 nodes", r,
		    agents);
		ck_assert_msg(strstr(run->out, text) != NULL, "no \"%s\" in:"
		    "\n%s\n%s", text, run->out, run->err);
		free(text);
	}
}

/*
 * Track every node creamasctl left running (daemonised, adopted by this
 * process), up to max, so that a failing test still stops them; return
 * how many.
 */
static size_t
py_track_nodes(pid_t *pids, size_t max)
{
	size_t	 n = 0;
	pid_t	 pid;

	while (n < max && (pid = tl_stray_child()) != 0) {
		tl_track_pid(pid);
		pids[n++] = pid;
	}
	return (n);
}

/* Fail unless no node is left running after creamasctl ended. */
static void
py_expect_no_nodes(void)
{
	pid_t	 pid;

	if ((pid = tl_wait_no_stray(10.0)) != 0) {
		tl_track_pid(pid);
		ck_abort_msg("pid %ld outlived creamasctl", (long)pid);
	}
}

/*
 * Fail unless folder holds count agent logs (agent_PORT_N.log), each
 * the one line line.
 */
static void
py_expect_logs(const char *folder, size_t count, const char *line)
{
	struct dirent	*entry;
	DIR		*dir;
	char		*path, *text;
	size_t		 n = 0;

	ck_assert_msg((dir = opendir(folder)) != NULL, "%s", folder);
	while ((entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, "agent_", 6) != 0)
			continue;
		path = tl_path(folder, entry->d_name);
		text = tl_read_file(path);
		ck_assert_msg(strcmp(text, line) == 0, "%s: \"%s\", expected "
		    "\"%s\"", path, text, line);
		free(text);
		free(path);
		n++;
	}
	closedir(dir);
	ck_assert_uint_eq(n, count);
}

/*
 * creamasctl run on two local nodes (a master and two slaves each), 3
 * rounds with args {"by": 2}: ten Python counters per node (the
 * example's), then ten C counters, each logging its count when the
 * nodes stop: every one of the 20 logs of both says "count 6". Then
 * Python summers awaiting "get" of three random others across the
 * nodes: no round has a failed agent.
 */
START_TEST(test_ctl_two_nodes)
{
	struct tl_ctl	 run;
	char		*file, *agents, *params, *logs;
	int		 i;

	file = py_nodes_file();
	for (i = 0; i < 3; i++) {
		params = py_params(i == 0 ? "Counter" : "Summer", NULL);
		agents = i == 1 ? tl_strdup("counter:10") :
		    tl_printf("python:10:%s", params);
		free(params);
		logs = tl_strdup(tl_tempdir());
		tl_ctl_run(&run, 120, "-f", file, "run", "--agents", agents,
		    "--connections", "random:3", "--seed", "7", "-n", "3",
		    "--args", "{\"by\":2}", "--log-folder", logs, NULL);
		py_expect_no_nodes();
		tl_ctl_expect(&run, 0, "run");
		py_expect_rounds(&run, 3, 20);
		if (i < 2)
			py_expect_logs(logs, 20, "round 3: count 6\n");
		tl_ctl_free(&run);
		free(agents);
		free(logs);
	}
	free(file);
}
END_TEST

/*
 * The example's Python diffusion on a grid of 8x4 over two nodes, made
 * by creamasctl prepare --grid with the agents' params: rounds with
 * none failed, and every cell has a value in [0, 1).
 */
START_TEST(test_grid_diffusion)
{
	struct tl_ctl		 run;
	struct tl_exit		 e;
	struct json_object	*grid, *cells;
	char			*file, *spec;
	pid_t			 nodes[2];
	size_t			 i, nnodes;
	double			 value;

	file = py_nodes_file();
	spec = tl_printf("8x4:python:{\"class\":\"diffusion.Diffusion\","
	    "\"path\":\"%s/../../examples/python\"}", py_dir());
	tl_ctl_run(&run, 60, "-f", file, "spawn", NULL);
	nnodes = py_track_nodes(nodes, 2);
	tl_ctl_expect(&run, 0, "spawn");
	ck_assert_uint_eq(nnodes, 2);
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-f", file, "wait", NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-f", file, "prepare", "--node-grid", "2x1",
	    "--grid", spec, NULL);
	tl_ctl_expect(&run, 0, "prepare");
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-f", file, "trigger", "-n", "3", NULL);
	tl_ctl_expect(&run, 0, "trigger");
	py_expect_rounds(&run, 3, 32);
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-j", "-f", file, "grid", NULL);
	tl_ctl_expect(&run, 0, "grid");
	grid = tl_json(run.out);
	cells = tl_member(grid, "cells");
	ck_assert_uint_eq(json_object_array_length(cells), 32);
	for (i = 0; i < 32; i++) {
		value = json_object_get_double(tl_member(tl_index(cells, i),
		    "value"));
		ck_assert_msg(value >= 0 && value < 1, "cell %zu: %g", i,
		    value);
	}
	json_object_put(grid);
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-f", file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	for (i = 0; i < nnodes; i++) {
		e = tl_stop_pid(nodes[i], 0, 10.0);
		ck_assert_msg(!e.killed, "node pid %ld outlived stop",
		    (long)nodes[i]);
	}
	free(spec);
	free(file);
}
END_TEST

/*
 * One slave, Python and C agents calling each other: a Python summer
 * awaits "get" of a C counter and of a Python counter; a C pinger calls
 * "ping" of a Python agent; methods not marked with expose are not
 * callable.
 */
START_TEST(test_cross_calls)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*result, *round;
	char			*summer, *pycounter, *pong, *ccounter;
	char			*pinger;

	d = py_slave(1, NULL);
	conn = tl_connect(d->port);
	result = tl_ok(conn, "spawn", "{\"type\":\"counter\",\"params\":"
	    "{\"start\":5}}");
	ccounter = tl_strdup(json_object_get_string(result));
	json_object_put(result);
	pycounter = py_spawn(conn, "Counter", "\"start\":7");
	summer = py_spawn(conn, "Summer", NULL);
	pong = py_spawn(conn, "Pong", NULL);
	result = tl_ok(conn, "spawn", "{\"type\":\"pinger\"}");
	pinger = tl_strdup(json_object_get_string(result));
	json_object_put(result);
	py_connect(conn, summer, ccounter);
	py_connect(conn, summer, pycounter);
	py_connect(conn, pinger, pong);

	round = py_round(conn, "{\"results\":true}");
	ck_assert_int_eq(tl_int(round, "failed"), 0);
	tl_assert_json(tl_member(round, "errors"), "[]");
	json_object_put(round);
	/* The counters acted too (6 and 8) before or after the summer. */
	result = py_agent_call(conn, summer, "agent.total");
	ck_assert_msg(json_object_get_int64(result) >= 12 &&
	    json_object_get_int64(result) <= 14, "sum %s",
	    tl_json_text(result));
	json_object_put(result);
	result = tl_ok(conn, "get_artifacts", NULL);
	ck_assert_uint_eq(json_object_array_length(result), 1);
	ck_assert_str_eq(tl_string(tl_index(result, 0), "creator"), summer);
	json_object_put(result);
	py_expect(conn, pinger, "agent.replies", "1");
	py_expect(conn, pinger, "agent.errors", "0");
	py_expect(conn, pong, "agent.count", "1");
	json_object_put(tl_errf(conn, PY_METHOD_NOT_FOUND,
	    "agent.not_exposed", "{\"agent\":\"%s\"}", pycounter));
	json_object_put(tl_errf(conn, PY_METHOD_NOT_FOUND, "agent.nosuch",
	    "{\"agent\":\"%s\"}", pycounter));
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(summer);
	free(pycounter);
	free(pong);
	free(ccounter);
	free(pinger);
}
END_TEST

/*
 * Exceptions are the agent's error, with type, message and frames: in
 * act, in an exposed method, after an await (when act has returned),
 * and an exposed method that would await; the daemon goes on.
 */
START_TEST(test_exceptions)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*round, *response;
	char			*boom, *late, *counter;

	d = py_slave(0, NULL);
	conn = tl_connect(d->port);
	boom = py_spawn(conn, "Boom", NULL);
	round = py_round(conn, "{\"results\":true}");
	ck_assert_int_eq(tl_int(round, "failed"), 1);
	py_expect_error(round, boom, "ZeroDivisionError: division by zero "
	    "(at pyagents.py:");
	py_expect_error(round, boom, "in act, pyagents.py:");
	py_expect_error(round, boom, "in divide)");
	json_object_put(round);

	response = tl_errf(conn, PY_AGENT_FAILED, "agent.fail",
	    "{\"agent\":\"%s\"}", boom);
	ck_assert_msg(strstr(tl_json_text(response), "ValueError: no") !=
	    NULL, "%s", tl_json_text(response));
	json_object_put(response);
	response = tl_errf(conn, PY_AGENT_FAILED, "agent.wait",
	    "{\"agent\":\"%s\"}", boom);
	ck_assert_msg(strstr(tl_json_text(response), "cannot await") !=
	    NULL, "%s", tl_json_text(response));
	json_object_put(response);

	counter = py_spawn(conn, "Counter", NULL);
	late = py_spawn(conn, "LateBoom", NULL);
	py_connect(conn, late, counter);
	round = py_round(conn, "{\"results\":true}");
	ck_assert_int_eq(tl_int(round, "agents"), 3);
	ck_assert_int_eq(tl_int(round, "failed"), 1);
	ck_assert_uint_eq(json_object_array_length(tl_member(round,
	    "errors")), 2);
	py_expect_error(round, boom, "ZeroDivisionError");
	py_expect_error(round, late, "KeyError: 'late' (at pyagents.py:");
	json_object_put(round);
	py_expect(conn, counter, "agent.get", "1");
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(boom);
	free(late);
	free(counter);
}
END_TEST

/* A spawn that cannot make its agent fails with Python's reason. */
START_TEST(test_spawn_errors)
{
	static const struct {
		const char	*params;
		int		 code;
		const char	*text;
	} cases[] = {
		{ "{\"class\":\"pyagents_nosuch.X\",\"path\":\"%s\"}",
		    PY_AGENT_FAILED, "ModuleNotFoundError: No module named "
		    "'pyagents_nosuch'" },
		{ "{\"class\":\"pybroken.X\",\"path\":\"%s\"}",
		    PY_AGENT_FAILED, "SyntaxError" },
		{ "{\"class\":\"pyagents.NotAgent\",\"path\":\"%s\"}",
		    PY_AGENT_FAILED, "is not a subclass of "
		    "creamas_agent.Agent" },
		{ "{\"class\":\"pyagents.Missing\",\"path\":\"%s\"}",
		    PY_AGENT_FAILED, "AttributeError" },
		{ "{\"class\":\"pyagents.Counter\",\"path\":\"%s\","
		    "\"stop\":1}", PY_AGENT_FAILED, "TypeError: "
		    "Counter.__init__() got an unexpected keyword argument "
		    "'stop'" },
		{ "{\"class\":\"pyagents.Boom\",\"path\":\"%s\",\"x\":1}",
		    PY_AGENT_FAILED, "Boom takes no parameters" },
		{ "{\"class\":\"pyagents\",\"path\":\"%s\"}",
		    PY_AGENT_FAILED, "class must be \\\"module.Class\\\"" },
		{ "{\"class\":\"pyagents.Counter\",\"path\":7,\"x\":\"%s\"}",
		    PY_AGENT_FAILED, "path must be" },
		{ "{\"path\":\"%s\"}", PY_INVALID_PARAMS, "\\\"class\\\"" },
	};
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response;
	char			*params;
	size_t			 i;

	d = py_slave(0, NULL);
	conn = tl_connect(d->port);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		params = tl_printf(cases[i].params, py_dir());
		response = tl_errf(conn, cases[i].code, "spawn",
		    "{\"type\":\"python\",\"params\":%s}", params);
		ck_assert_msg(strstr(tl_json_text(response), cases[i].text) !=
		    NULL, "%s: expected %s in %s", params, cases[i].text,
		    tl_json_text(response));
		json_object_put(response);
		free(params);
	}
	tl_close(conn);
	tl_daemon_assert_alive(d);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * The extension's keys: python.act_limit and python.path are checked at
 * start; python.path, given with -o to a master, reaches its slaves,
 * and given later with configure, serves the next spawn.
 */
START_TEST(test_configuration)
{
	struct tl_run		 run;
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*result;
	char			*option;

	tl_start_fail(&run, "--plugin", tl_plugin_path("creamas_python"),
	    "-o", "python.act_limit=0", NULL);
	ck_assert_msg(strstr(run.err, "act_limit 0: not seconds") != NULL,
	    "%s", run.err);
	tl_run_free(&run);
	tl_start_fail(&run, "--plugin", tl_plugin_path("creamas_python"),
	    "-o", "python.nosuch=1", NULL);
	ck_assert_msg(strstr(run.err, "nosuch") != NULL, "%s", run.err);
	tl_run_free(&run);

	option = tl_printf("python.path=/nonexistent:%s", py_dir());
	tl_adopt_orphans();
	d = tl_daemon_start("--role", "master", "--slaves", "2", "--plugin",
	    tl_plugin_path("creamas_python"), "-o", option, NULL);
	free(option);
	conn = tl_connect(d->port);
	result = tl_ok(conn, "spawn_n", "{\"type\":\"python\",\"n\":2,"
	    "\"params\":{\"class\":\"pyagents.Counter\"}}");
	ck_assert_uint_eq(json_object_array_length(result), 2);
	json_object_put(result);
	tl_close(conn);
	tl_daemon_stop_clean(d);

	d = py_slave(0, NULL);
	conn = tl_connect(d->port);
	json_object_put(tl_err(conn, PY_AGENT_FAILED, "spawn", "{\"type\":"
	    "\"python\",\"params\":{\"class\":\"pyagents.Counter\"}}"));
	json_object_put(tl_okf(conn, "configure", "{\"key\":\"python.path\","
	    "\"value\":\"%s\"}", py_dir()));
	json_object_put(tl_ok(conn, "spawn", "{\"type\":\"python\","
	    "\"params\":{\"class\":\"pyagents.Counter\"}}"));
	tl_close(conn);
	tl_daemon_stop_clean(d);
}
END_TEST

/*
 * Endless loops: with a limit of 0.5 s, a looping act (and one that
 * catches every Exception) is stopped with ActTimeout, named in the
 * round's errors, while the other agents act; a stop sent during such
 * a loop is served once it is stopped, and the daemon exits cleanly.
 */
START_TEST(test_endless_loop)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *other;
	struct json_object	*round, *response;
	struct tl_exit		 e;
	struct json_object	*status, *python;
	char			*loop, *stubborn, *counter, *marker;
	char			*params;
	double			 started;

	d = py_slave(0, "python.act_limit=0.5");
	conn = tl_connect(d->port);
	conn->timeout = 30;
	marker = tl_path(tl_tempdir(), "looping");
	params = tl_printf("\"marker\":\"%s\"", marker);
	loop = py_spawn(conn, "Loop", params);
	free(params);
	stubborn = py_spawn(conn, "Stubborn", NULL);
	counter = py_spawn(conn, "Counter", NULL);
	round = py_round(conn, "{\"results\":true}");
	ck_assert_int_eq(tl_int(round, "failed"), 2);
	py_expect_error(round, loop, "ActTimeout: ");
	py_expect_error(round, loop, "ran for more than 0.5 s");
	py_expect_error(round, stubborn, "ActTimeout: ");
	tl_assert_json(tl_member(round, "results"), "[null,null,1]");
	json_object_put(round);
	status = tl_ok(conn, "status", NULL);
	python = tl_member(status, "python");
	ck_assert_msg(json_object_get_boolean(tl_member(python, "running")),
	    "%s", tl_json_text(python));
	ck_assert_int_ge(tl_int(python, "act_timeouts"), 2);
	ck_assert_msg(strncmp(tl_string(python, "version"), "3.", 2) == 0,
	    "%s", tl_json_text(python));
	json_object_put(status);

	/*
	 * A stop sent while the loop runs (it has made its marker) is
	 * served once the loop is stopped and the round is over.
	 */
	ck_assert_int_eq(unlink(marker), 0);
	tl_send_call(conn, 77, "trigger_all", NULL);
	started = tl_now();
	while (access(marker, F_OK) != 0) {
		ck_assert_msg(tl_now() - started < 30, "the loop never ran");
		usleep(10000);
	}
	other = tl_connect(d->port);
	other->timeout = 30;
	response = tl_call(other, "stop", NULL);
	ck_assert_msg(tl_json_equal(tl_member(response, "result"), "true"),
	    "%s", tl_json_text(response));
	json_object_put(response);
	response = tl_read_json(conn, 30);
	ck_assert_int_eq(tl_int(tl_response_result(response), "failed"), 2);
	json_object_put(response);
	e = tl_daemon_wait(d, 30);
	ck_assert_msg(tl_exit_ok(&e), "%s", tl_exit_string(&e));
	tl_close(other);
	tl_close(conn);
	tl_daemon_free(d);
	free(loop);
	free(stubborn);
	free(counter);
	free(marker);
}
END_TEST

/*
 * A Python agent calling an agent of a slave killed with SIGKILL gets
 * a CallError (and its round an error entry); before, the call worked.
 */
START_TEST(test_killed_slave)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*result, *status, *round, *error;
	char			*caller, *target;
	pid_t			 victim;

	tl_adopt_orphans();
	d = tl_daemon_start("--role", "master", "--slaves", "2", "--plugin",
	    tl_plugin_path("creamas_python"), NULL);
	conn = tl_connect(d->port);
	conn->timeout = 60;
	caller = py_spawn_on(conn, "Caller", 0);
	target = py_spawn_on(conn, "Counter", 1);
	py_connect(conn, caller, target);
	round = py_round(conn, NULL);
	ck_assert_int_eq(tl_int(round, "failed"), 0);
	json_object_put(round);
	py_expect(conn, caller, "agent.answered", "1");
	py_expect(conn, caller, "agent.last_error", "null");

	status = tl_ok(conn, "status", NULL);
	victim = (pid_t)tl_int(tl_index(tl_member(status, "slaves"), 1),
	    "pid");
	json_object_put(status);
	tl_signal(victim, SIGKILL);
	round = py_round(conn, NULL);
	py_expect_error(round, caller, "");
	json_object_put(round);
	py_expect(conn, caller, "agent.answered", "1");
	result = py_agent_call(conn, caller, "agent.last_error");
	error = tl_index(result, 0);
	ck_assert_msg(json_object_get_int(error) < 0, "%s",
	    tl_json_text(result));
	json_object_put(result);
	tl_close(conn);
	tl_daemon_stop(d);
	tl_daemon_free(d);
	free(caller);
	free(target);
}
END_TEST

/*
 * A Python agent's state (a random.Random and a list it grows) is kept
 * by checkpoint, pickled: 3 rounds, checkpoint, 3 rounds give what 3
 * rounds, checkpoint, stop, a new slave at the same address, restore, 3
 * rounds give, bit for bit.
 */
START_TEST(test_checkpoint)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*round;
	char			*agent, *dir, *listen, *straight;
	const char		*args[8];
	int			 i;

	d = py_slave(0, NULL);
	conn = tl_connect(d->port);
	for (i = 0; i < 3; i++) {
		agent = py_spawn(conn, "Drawer", i == 0 ? NULL : "\"seed\":7");
		free(agent);
	}
	for (i = 0; i < PY_ROUNDS; i++)
		json_object_put(py_round(conn, NULL));
	dir = tl_path(tl_tempdir(), "python-checkpoint");
	json_object_put(tl_okf(conn, "checkpoint", "{\"folder\":\"%s\"}",
	    dir));
	for (i = 0; i < PY_ROUNDS; i++) {
		round = py_round(conn, "{\"results\":true}");
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		if (i == PY_ROUNDS - 1)
			straight = tl_strdup(tl_json_text(tl_member(round,
			    "results")));
		json_object_put(round);
	}
	tl_close(conn);
	listen = tl_printf("127.0.0.1:%u", d->port);
	tl_daemon_stop_clean(d);

	args[0] = "--plugin";
	args[1] = tl_plugin_path("creamas_python");
	args[2] = "--listen";
	args[3] = listen;
	args[4] = NULL;
	d = tl_daemon_startv(args);
	conn = tl_connect(d->port);
	json_object_put(tl_okf(conn, "restore", "{\"folder\":\"%s\"}",
	    dir));
	for (i = 0; i < PY_ROUNDS; i++) {
		round = py_round(conn, "{\"results\":true}");
		ck_assert_int_eq(tl_int(round, "failed"), 0);
		if (i == PY_ROUNDS - 1)
			ck_assert_str_eq(tl_json_text(tl_member(round,
			    "results")), straight);
		json_object_put(round);
	}
	ck_assert_msg(strstr(straight, "[6,") != NULL, "%s", straight);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(straight);
	free(listen);
	free(dir);
}
END_TEST

/* The suite, if the plugin was built (Python's headers were there). */
Suite *
suite_python(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("python");
	if (getenv("CREAMAS_PYTHON_TESTS") == NULL)
		return (suite);
	tcase = tcase_create("agents");
	tcase_set_timeout(tcase, 180);
	tcase_add_test(tcase, test_counter_equals_c);
	tcase_add_test(tcase, test_ctl_two_nodes);
	tcase_add_test(tcase, test_grid_diffusion);
	tcase_add_test(tcase, test_cross_calls);
	tcase_add_test(tcase, test_exceptions);
	tcase_add_test(tcase, test_spawn_errors);
	tcase_add_test(tcase, test_configuration);
	tcase_add_test(tcase, test_endless_loop);
	tcase_add_test(tcase, test_killed_slave);
	tcase_add_test(tcase, test_checkpoint);
	suite_add_tcase(suite, tcase);
	return (suite);
}
