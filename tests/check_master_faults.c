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
 * End-to-end fault tests of creamasd --role master, each asserting what
 * a user sees: a slave killed with SIGKILL before or during trigger_all
 * (or any other call), a slave that stops answering (SIGSTOP), the
 * master killed, stop and SIGTERM with the agents' logs, a slave that
 * ignores stop, and slaves that cannot start (port taken, bad plugin).
 *
 * Timings are asserted only with generous bounds: "returns within 5 s"
 * where the alternative is a 30 or 60 s timeout. Every test stops what
 * it started by pid and checks that no process is left; the test process
 * adopts orphans, so a slave that outlives its master is a stray child.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
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

#define FAULT_SLAVES_MAX	8
#define FAULT_TEST_TIMEOUT	120	/* seconds per test */
#define FAULT_STOP_WAIT		20.0	/* seconds for a master to exit */
#define FAULT_PROMPT		5.0	/* "at once", on a loaded machine */
#define FAULT_ORPHAN_WAIT	5.0	/* seconds for orphans to stop */

Suite	*suite_master_faults(void);

/* A master under test, its connection and what it says of its slaves. */
struct fault_node {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	size_t			 nslaves;
	pid_t			 pids[FAULT_SLAVES_MAX];
	uint16_t		 ports[FAULT_SLAVES_MAX];
	char			*managers[FAULT_SLAVES_MAX];
};

/* Read the slaves' addresses, ports and pids from the master's status. */
static void
fault_read_slaves(struct fault_node *node)
{
	struct json_object	*status, *slaves, *slave;
	size_t			 i;

	status = tl_ok(node->conn, "status", NULL);
	slaves = tl_member(status, "slaves");
	node->nslaves = json_object_array_length(slaves);
	ck_assert_msg(node->nslaves > 0 && node->nslaves <= FAULT_SLAVES_MAX,
	    "status lists %zu slaves: %s", node->nslaves,
	    tl_json_text(status));
	for (i = 0; i < node->nslaves; i++) {
		slave = tl_index(slaves, i);
		node->managers[i] = tl_strdup(tl_string(slave, "address"));
		node->ports[i] = tl_address_port(node->managers[i]);
		node->pids[i] = (pid_t)tl_int(slave, "pid");
		ck_assert_msg(tl_pid_alive(node->pids[i]), "slave %s: pid %ld "
		    "is not running", node->managers[i], (long)node->pids[i]);
		ck_assert_str_eq(tl_string(slave, "state"), "ready");
	}
	json_object_put(status);
}

/*
 * Start a master with two slaves and more arguments (NULL-terminated) in
 * the foreground on an ephemeral port; the test adopts orphans.
 */
static struct fault_node *
fault_start(const char *first, ...)
{
	const char		*args[64], *arg;
	struct fault_node	*node;
	va_list			 ap;
	size_t			 n = 0;

	tl_adopt_orphans();
	args[n++] = "--role";
	args[n++] = "master";
	args[n++] = "--slaves";
	args[n++] = "2";
	va_start(ap, first);
	for (arg = first; arg != NULL; arg = va_arg(ap, const char *)) {
		ck_assert_msg(n < 63, "too many arguments");
		args[n++] = arg;
	}
	va_end(ap);
	args[n] = NULL;
	ck_assert_msg((node = calloc(1, sizeof *node)) != NULL,
	    "out of memory");
	node->daemon = tl_daemon_startv(args);
	node->conn = tl_connect(node->daemon->port);
	fault_read_slaves(node);
	ck_assert_uint_eq(node->nslaves, 2);
	return (node);
}

/* Fail unless every slave process is gone and no child is left. */
static void
fault_assert_all_gone(const struct fault_node *node)
{
	tl_assert_slaves_gone(node->nslaves, node->pids, node->managers);
}

/* Free a node's memory (its processes are gone). */
static void
fault_free(struct fault_node *node)
{
	size_t	 i;

	tl_close(node->conn);
	for (i = 0; i < node->nslaves; i++)
		free(node->managers[i]);
	tl_daemon_free(node->daemon);
	free(node);
}

/* Wait for a master that was told to stop: exit 0, nothing left. */
static void
fault_finish(struct fault_node *node)
{
	struct tl_exit	 e;

	e = tl_daemon_wait(node->daemon, FAULT_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "master after stop: %s",
	    tl_exit_string(&e));
	fault_assert_all_gone(node);
	fault_free(node);
}

/*
 * Stop a master with the stop method: true only once every slave has
 * exited, then exit 0 and nothing left.
 */
static void
fault_stop(struct fault_node *node)
{
	size_t	 i;

	node->conn->timeout = FAULT_STOP_WAIT;
	tl_expect_result(node->conn, "stop", NULL, "true");
	for (i = 0; i < node->nslaves; i++) {
		ck_assert_msg(!tl_pid_alive(node->pids[i]), "stop answered "
		    "true while slave %s (pid %ld) still runs",
		    node->managers[i], (long)node->pids[i]);
	}
	fault_finish(node);
}

/* Signal a slave of the node and wait until the signal takes effect. */
static void
fault_signal_slave(const struct fault_node *node, size_t slave, int signo)
{
	tl_signal(node->pids[slave], signo);
}

/* Return the agents of one slave, asked of it directly. */
static struct json_object *
fault_slave_agents(const struct fault_node *node, size_t slave)
{
	struct json_object	*agents;
	struct tl_conn		*conn;

	conn = tl_connect(node->ports[slave]);
	agents = tl_ok(conn, "get_agents", NULL);
	tl_close(conn);
	return (agents);
}

/* Return 1 if a JSON value's text (slashes unescaped) mentions text. */
static int
fault_mentions(struct json_object *value, const char *text)
{
	return (value != NULL && strstr(json_object_to_json_string_ext(value,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    text) != NULL);
}

/*
 * Fail unless errors (trigger_all's "errors") is exactly one entry
 * naming slave manager with code.
 */
static void
fault_assert_one_slave_error(struct json_object *errors, const char *manager,
    int code)
{
	struct json_object	*entry;

	ck_assert_msg(json_object_is_type(errors, json_type_array) &&
	    json_object_array_length(errors) == 1, "expected one error entry "
	    "for slave %s, got %.1000s", manager, tl_json_text(errors));
	entry = tl_index(errors, 0);
	ck_assert_str_eq(tl_string(entry, "slave"), manager);
	ck_assert_msg(tl_int(entry, "code") == code, "expected code %d for "
	    "slave %s, got %s", code, manager, tl_json_text(entry));
	ck_assert_msg(strlen(tl_string(entry, "message")) > 0, "an empty "
	    "message: %s", tl_json_text(entry));
}

/*
 * Fail unless a whole response is either a result or an error with code
 * naming the slave manager (in its message or data).
 */
static void
fault_assert_result_or_error(struct json_object *response,
    const char *method, int code, const char *manager)
{
	struct json_object	*error;

	if (!json_object_object_get_ex(response, "error", &error))
		return;
	ck_assert_msg(tl_response_code(response) == code, "%s: expected a "
	    "result or error %d, got %.1000s", method, code,
	    tl_json_text(response));
	ck_assert_msg(fault_mentions(error, manager), "%s: the error does "
	    "not name slave %s: %.1000s", method, manager,
	    tl_json_text(response));
}

/* Fail unless a whole response is an error with code naming manager. */
static void
fault_assert_error_naming(struct json_object *response, const char *method,
    int code, const char *manager)
{
	ck_assert_msg(tl_response_code(response) == code, "%s: expected "
	    "error %d, got %.1000s", method, code, tl_json_text(response));
	fault_assert_result_or_error(response, method, code, manager);
}

/* Return the state of slave i in the master's status, as a new string. */
static char *
fault_slave_state(struct fault_node *node, size_t slave)
{
	struct json_object	*status;
	char			*state;

	status = tl_ok(node->conn, "status", NULL);
	state = tl_strdup(tl_string(tl_index(tl_member(status, "slaves"),
	    slave), "state"));
	json_object_put(status);
	return (state);
}

/* Wait up to seconds for the master to show slave i as lost; 1 if so. */
static int
fault_wait_lost(struct fault_node *node, size_t slave, double seconds)
{
	double	 deadline = tl_now() + seconds;
	char	*state;
	int	 lost;

	for (;;) {
		state = fault_slave_state(node, slave);
		lost = strcmp(state, "lost") == 0;
		free(state);
		if (lost || tl_now() >= deadline)
			return (lost);
		usleep(10000);
	}
}

/*
 * A slave killed with SIGKILL before trigger_all: the round returns at
 * once with the other slave's results and one error entry naming the
 * lost slave (-32004); status and is_ready show it lost; the master
 * goes on serving with the slave that is left.
 */
START_TEST(test_kill_before_trigger)
{
	struct fault_node	*node;
	struct json_object	*result, *response, *status, *slave, *agents;
	char			*state, *lost_agent;
	double			 start;

	node = fault_start(NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":10}");
	json_object_put(result);
	agents = fault_slave_agents(node, 0);
	lost_agent = tl_strdup(json_object_get_string(tl_index(agents, 0)));
	json_object_put(agents);
	fault_signal_slave(node, 0, SIGKILL);

	start = tl_now();
	result = tl_ok(node->conn, "trigger_all", "{\"args\":{\"by\":2},"
	    "\"results\":true}");
	ck_assert_msg(tl_now() - start < FAULT_PROMPT, "trigger_all took "
	    "%.1f s with a slave killed", tl_now() - start);
	ck_assert_int_eq(tl_int(result, "agents"), 5);
	ck_assert_int_eq(tl_int(result, "failed"), 0);
	fault_assert_one_slave_error(tl_member(result, "errors"),
	    node->managers[0], -32004);
	tl_assert_json(tl_member(result, "results"), "[2,2,2,2,2]");
	json_object_put(result);

	/* status and is_ready say so. */
	status = tl_ok(node->conn, "status", NULL);
	slave = tl_index(tl_member(status, "slaves"), 0);
	ck_assert_str_eq(tl_string(slave, "address"), node->managers[0]);
	ck_assert_str_eq(tl_string(slave, "state"), "lost");
	ck_assert_msg(strlen(tl_string(slave, "reason")) > 0, "no reason: %s",
	    tl_json_text(slave));
	ck_assert_str_eq(tl_string(tl_index(tl_member(status, "slaves"), 1),
	    "state"), "ready");
	ck_assert_int_eq(tl_int(tl_index(tl_member(status, "slaves"), 1),
	    "agents"), 5);
	json_object_put(status);
	tl_expect_result(node->conn, "is_ready", NULL, "false");

	/* The master keeps serving with the slave left. */
	result = tl_ok(node->conn, "spawn", "{\"type\":\"counter\"}");
	ck_assert_msg(tl_address_port(json_object_get_string(result)) ==
	    node->ports[1], "spawn after slave 0 was lost: %s",
	    tl_json_text(result));
	json_object_put(result);
	result = tl_ok(node->conn, "spawn", "{\"type\":\"counter\"}");
	json_object_put(result);
	result = tl_ok(node->conn, "trigger_all", NULL);
	ck_assert_int_eq(tl_int(result, "agents"), 7);
	fault_assert_one_slave_error(tl_member(result, "errors"),
	    node->managers[0], -32004);
	json_object_put(result);

	/* Calls for the lost slave fail at once, naming it. */
	start = tl_now();
	response = tl_callf(node->conn, "agent.get", "{\"agent\":\"%s\"}",
	    lost_agent);
	fault_assert_error_naming(response, "agent.get", -32004,
	    node->managers[0]);
	json_object_put(response);
	response = tl_call(node->conn, "get_agents", NULL);
	fault_assert_result_or_error(response, "get_agents", -32004,
	    node->managers[0]);
	json_object_put(response);
	ck_assert_msg(tl_now() - start < FAULT_PROMPT, "calls for the lost "
	    "slave took %.1f s", tl_now() - start);
	free(lost_agent);

	state = fault_slave_state(node, 0);
	ck_assert_str_eq(state, "lost");
	free(state);
	fault_stop(node);
}
END_TEST

/* Return 1 once slave i reports a round running, within seconds. */
static int
fault_wait_round_running(const struct fault_node *node, size_t slave,
    double seconds)
{
	struct json_object	*status;
	struct tl_conn		*conn;
	double			 deadline = tl_now() + seconds;
	int			 running = 0;

	conn = tl_connect(node->ports[slave]);
	while (!running && tl_now() < deadline) {
		status = tl_ok(conn, "status", NULL);
		running = json_object_get_boolean(tl_member(status,
		    "round_running"));
		json_object_put(status);
		if (!running)
			usleep(10000);
	}
	tl_close(conn);
	return (running);
}

/* Listen on a loopback port that never answers; return the socket. */
static int
fault_black_hole(uint16_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;
	int			 fd;

	ck_assert_msg((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) != -1, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    listen(fd, 16) == 0 && getsockname(fd, (struct sockaddr *)&sin,
	    &length) == 0, "listen: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return (fd);
}

/*
 * A slave killed with SIGKILL in the middle of its round: a pinger on
 * slave 1 calls an agent whose peer never answers, which keeps slave 1's
 * round open for the 30 s call timeout; killed then, the master's
 * trigger_all returns at once with slave 0's results and an error entry
 * naming slave 1, and the master goes on.
 */
START_TEST(test_kill_during_trigger)
{
	struct fault_node	*node;
	struct json_object	*result, *response;
	const char		*plugin;
	char			*pinger;
	uint16_t		 hole_port;
	double			 start;
	int			 hole;

	plugin = tl_plugin_path("pingpong");
	ck_assert_msg(access(plugin, R_OK) == 0, "%s: %s (built by make "
	    "check from tests/plugins/pingpong.c)", plugin, strerror(errno));
	hole = fault_black_hole(&hole_port);
	node = fault_start("--plugin", plugin, NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":4}");
	json_object_put(result);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"pinger\","
	    "\"n\":1,\"slave\":1}");
	pinger = tl_strdup(json_object_get_string(tl_index(result, 0)));
	json_object_put(result);
	result = tl_okf(node->conn, "agent.add_connection", "{\"agent\":"
	    "\"%s\",\"addr\":\"tcp://127.0.0.1:%u/1\"}", pinger, hole_port);
	json_object_put(result);
	free(pinger);

	tl_send_call(node->conn, 1000, "trigger_all", "{\"results\":true}");
	ck_assert_msg(fault_wait_round_running(node, 1, 10.0), "slave 1's "
	    "round is not running");
	fault_signal_slave(node, 1, SIGKILL);
	start = tl_now();
	response = tl_read_json(node->conn, FAULT_PROMPT + 5);
	ck_assert_msg(tl_now() - start < FAULT_PROMPT, "trigger_all returned "
	    "%.1f s after the slave was killed", tl_now() - start);
	ck_assert_int_eq(tl_int(response, "id"), 1000);
	result = tl_response_result(response);
	ck_assert_int_eq(tl_int(result, "agents"), 2);
	fault_assert_one_slave_error(tl_member(result, "errors"),
	    node->managers[1], -32004);
	tl_assert_json(tl_member(result, "results"), "[1,1]");
	json_object_put(response);

	/* The master keeps serving. */
	result = tl_ok(node->conn, "trigger_all", "{\"results\":true}");
	tl_assert_json(tl_member(result, "results"), "[2,2]");
	fault_assert_one_slave_error(tl_member(result, "errors"),
	    node->managers[1], -32004);
	json_object_put(result);
	tl_expect_result(node->conn, "is_ready", NULL, "false");
	fault_stop(node);
	close(hole);
}
END_TEST

/* Find the response with an id among responses[count]; borrowed. */
static struct json_object *
fault_response(struct json_object **responses, size_t count, int64_t id)
{
	struct json_object	*value;
	size_t			 i;

	for (i = 0; i < count; i++) {
		if (json_object_object_get_ex(responses[i], "id", &value) &&
		    json_object_get_int64(value) == id)
			return (responses[i]);
	}
	ck_abort_msg("no response with id %lld", (long long)id);
	return (NULL);
}

/*
 * Any call in flight when a slave dies ends at once: with slave 0
 * stopped (SIGSTOP), get_agents, status, spawn_n, agent.get, is_ready
 * and trigger_all wait for it; killed with SIGKILL, every one of them
 * is answered within seconds, naming the lost slave where it failed.
 */
START_TEST(test_kill_during_calls)
{
	struct fault_node	*node;
	struct json_object	*responses[6], *result, *slaves, *agents;
	char			*agent, *line;
	double			 start;
	size_t			 i;

	node = fault_start(NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":4}");
	json_object_put(result);
	agents = fault_slave_agents(node, 0);
	agent = tl_strdup(json_object_get_string(tl_index(agents, 0)));
	json_object_put(agents);

	tl_track_pid(node->pids[0]);
	fault_signal_slave(node, 0, SIGSTOP);
	tl_send_call(node->conn, 1, "get_agents", NULL);
	tl_send_call(node->conn, 2, "status", NULL);
	tl_send_call(node->conn, 3, "spawn_n", "{\"type\":\"noop\",\"n\":2}");
	line = tl_printf("{\"agent\":\"%s\"}", agent);
	tl_send_call(node->conn, 4, "agent.get", line);
	free(line);
	tl_send_call(node->conn, 5, "is_ready", NULL);
	tl_send_call(node->conn, 6, "trigger_all", NULL);
	ck_assert_msg(tl_read_line(node->conn, 0.3, &line) ==
	    TL_READ_TIMEOUT, "an answer while slave 0 is stopped: %s", line);

	fault_signal_slave(node, 0, SIGKILL);
	start = tl_now();
	for (i = 0; i < 6; i++)
		responses[i] = tl_read_json(node->conn, FAULT_PROMPT + 5);
	ck_assert_msg(tl_now() - start < FAULT_PROMPT, "the calls in flight "
	    "were answered %.1f s after the slave was killed",
	    tl_now() - start);
	tl_untrack_pid(node->pids[0]);

	fault_assert_result_or_error(fault_response(responses, 6, 1),
	    "get_agents", -32004, node->managers[0]);
	fault_assert_result_or_error(fault_response(responses, 6, 3),
	    "spawn_n", -32004, node->managers[0]);
	fault_assert_error_naming(fault_response(responses, 6, 4),
	    "agent.get", -32004, node->managers[0]);
	tl_assert_json(tl_response_result(fault_response(responses, 6, 5)),
	    "false");
	result = tl_response_result(fault_response(responses, 6, 6));
	fault_assert_one_slave_error(tl_member(result, "errors"),
	    node->managers[0], -32004);
	/* status in flight shows the slave lost, as a later one does. */
	result = tl_response_result(fault_response(responses, 6, 2));
	slaves = tl_member(result, "slaves");
	ck_assert_str_eq(tl_string(tl_index(slaves, 1), "state"), "ready");
	ck_assert_msg(strcmp(tl_string(tl_index(slaves, 0), "state"),
	    "lost") == 0, "status in flight when slave %s was killed shows it "
	    "as %s", node->managers[0], tl_json_text(tl_index(slaves, 0)));
	for (i = 0; i < 6; i++)
		json_object_put(responses[i]);
	free(agent);
	fault_stop(node);
}
END_TEST

/*
 * A slave that stops answering (SIGSTOP): with call_timeout and
 * round_timeout at 1 s, trigger_all ends at its timeout with the other
 * slave's results and an error entry naming the stopped one (-32003);
 * calls for its agents time out naming it; the other slave is not
 * affected. Once continued, the node is whole again.
 */
START_TEST(test_stopped_slave)
{
	struct fault_node	*node;
	struct json_object	*result, *response, *agents, *status, *slave;
	char			*stopped_agent, *other_agent;
	double			 start, took, deadline;
	int			 ready;

	node = fault_start("-o", "call_timeout=1", "-o", "round_timeout=1",
	    NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":4}");
	json_object_put(result);
	agents = fault_slave_agents(node, 0);
	stopped_agent = tl_strdup(json_object_get_string(tl_index(agents,
	    0)));
	json_object_put(agents);
	agents = fault_slave_agents(node, 1);
	other_agent = tl_strdup(json_object_get_string(tl_index(agents,
	    0)));
	json_object_put(agents);

	tl_track_pid(node->pids[0]);
	fault_signal_slave(node, 0, SIGSTOP);
	start = tl_now();
	result = tl_ok(node->conn, "trigger_all", "{\"results\":true}");
	took = tl_now() - start;
	ck_assert_msg(took >= 0.9 && took < 10, "trigger_all with a stopped "
	    "slave took %.2f s; its timeout is 1 s (+1 s for the trip)", took);
	ck_assert_int_eq(tl_int(result, "agents"), 2);
	fault_assert_one_slave_error(tl_member(result, "errors"),
	    node->managers[0], -32003);
	tl_assert_json(tl_member(result, "results"), "[1,1]");
	json_object_put(result);

	/* The other slave answers as before; the stopped one times out. */
	start = tl_now();
	response = tl_callf(node->conn, "agent.get", "{\"agent\":\"%s\"}",
	    other_agent);
	tl_assert_json(tl_response_result(response), "1");
	json_object_put(response);
	response = tl_callf(node->conn, "trigger_act", "{\"agent\":\"%s\","
	    "\"args\":{\"by\":10}}", other_agent);
	tl_assert_json(tl_response_result(response), "11");
	json_object_put(response);
	ck_assert_msg(tl_now() - start < 0.9, "calls to the slave that "
	    "answers took %.2f s", tl_now() - start);
	response = tl_callf(node->conn, "agent.get", "{\"agent\":\"%s\"}",
	    stopped_agent);
	fault_assert_error_naming(response, "agent.get", -32003,
	    node->managers[0]);
	json_object_put(response);
	tl_expect_result(node->conn, "is_ready", NULL, "false");
	status = tl_ok(node->conn, "status", NULL);
	slave = tl_index(tl_member(status, "slaves"), 0);
	ck_assert_str_eq(tl_string(slave, "address"), node->managers[0]);
	ck_assert_msg(tl_int(tl_member(slave, "error"), "code") == -32003,
	    "status of the stopped slave: %s", tl_json_text(slave));
	slave = tl_index(tl_member(status, "slaves"), 1);
	ck_assert_str_eq(tl_string(slave, "state"), "ready");
	ck_assert_int_eq(tl_int(slave, "agents"), 2);
	json_object_put(status);

	/* Continued, it answers again and the node is whole. */
	fault_signal_slave(node, 0, SIGCONT);
	tl_untrack_pid(node->pids[0]);
	deadline = tl_now() + 10;
	do {
		result = tl_ok(node->conn, "is_ready", NULL);
		ready = json_object_get_boolean(result);
		json_object_put(result);
	} while (!ready && tl_now() < deadline);
	ck_assert_msg(ready, "is_ready stays false after SIGCONT");
	result = tl_ok(node->conn, "trigger_all", NULL);
	ck_assert_int_eq(tl_int(result, "agents"), 4);
	tl_assert_json(tl_member(result, "errors"), "[]");
	json_object_put(result);
	response = tl_callf(node->conn, "agent.get", "{\"agent\":\"%s\"}",
	    stopped_agent);
	ck_assert_msg(json_object_is_type(tl_response_result(response),
	    json_type_int), "agent.get after SIGCONT: %s",
	    tl_json_text(response));
	json_object_put(response);
	free(stopped_agent);
	free(other_agent);
	fault_stop(node);
}
END_TEST

/*
 * Fail unless spawn_n's result lists n agents, all on slave, and that
 * slave now holds exactly had + n agents (none made behind an error).
 */
static void
fault_assert_spawned_on(struct fault_node *node, struct json_object *response,
    size_t n, size_t slave, size_t had)
{
	struct json_object	*result, *agents;
	size_t			 i;

	ck_assert_msg(!json_object_object_get_ex(response, "error", NULL),
	    "spawn_n of %zu on a node with a slave gone: %.1000s", n,
	    tl_json_text(response));
	result = tl_response_result(response);
	ck_assert_msg(json_object_is_type(result, json_type_array) &&
	    json_object_array_length(result) == n, "spawn_n of %zu: %.1000s",
	    n, tl_json_text(result));
	for (i = 0; i < n; i++) {
		ck_assert_msg(tl_address_port(json_object_get_string(
		    json_object_array_get_idx(result, i))) ==
		    node->ports[slave], "spawn_n put %s on a slave gone",
		    json_object_get_string(json_object_array_get_idx(result,
		    i)));
	}
	agents = fault_slave_agents(node, slave);
	ck_assert_msg(json_object_array_length(agents) == had + n, "slave "
	    "%s holds %zu agents, expected %zu + %zu", node->managers[slave],
	    json_object_array_length(agents), had, n);
	json_object_put(agents);
}

/*
 * With slave 0 lost, spawn_n still works: with "slave": 1 it goes to
 * slave 1 only, and without it the agents are spread over the slaves
 * that are left; either way the reply lists every agent made.
 */
START_TEST(test_spawn_n_lost_slave)
{
	struct fault_node	*node;
	struct json_object	*response;

	node = fault_start(NULL);
	fault_signal_slave(node, 0, SIGKILL);
	/* Let the master notice, so that this is not a call in flight. */
	ck_assert_msg(fault_wait_lost(node, 0, FAULT_PROMPT), "slave %s is "
	    "not lost %.0f s after SIGKILL", node->managers[0], FAULT_PROMPT);

	response = tl_call(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":2,\"slave\":1}");
	fault_assert_spawned_on(node, response, 2, 1, 0);
	json_object_put(response);
	response = tl_call(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":4}");
	fault_assert_spawned_on(node, response, 4, 1, 2);
	json_object_put(response);
	fault_stop(node);
}
END_TEST

/*
 * With slave 0 stopped (SIGSTOP), spawn_n with "slave": 1 involves only
 * slave 1: it answers at once instead of waiting for the stopped one.
 */
START_TEST(test_spawn_n_stopped_slave)
{
	struct fault_node	*node;
	struct json_object	*response;
	double			 start;

	node = fault_start("-o", "call_timeout=3", NULL);
	tl_track_pid(node->pids[0]);
	fault_signal_slave(node, 0, SIGSTOP);
	start = tl_now();
	response = tl_call(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":2,\"slave\":1}");
	fault_assert_spawned_on(node, response, 2, 1, 0);
	ck_assert_msg(tl_now() - start < 2.5, "spawn_n to slave 1 waited "
	    "%.1f s for the stopped slave 0", tl_now() - start);
	json_object_put(response);
	fault_signal_slave(node, 0, SIGCONT);
	tl_untrack_pid(node->pids[0]);
	fault_stop(node);
}
END_TEST

/* Read a file of the log folder, or fail; a new string. */
static char *
fault_read_log(const char *folder, const char *name)
{
	char	*path, *text;

	path = tl_printf("%s/%s", folder, name);
	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "no log %s", path);
	free(path);
	return (text);
}

/*
 * Fail unless every slave wrote complete logs in folder: its environment
 * log ends with the stop line for agents agents and rounds rounds, and
 * each counter's log says "count N".
 */
static void
fault_assert_logs(const struct fault_node *node, const char *folder,
    size_t slave, size_t agents, size_t rounds, long count)
{
	char	*name, *text, *expected;
	size_t	 n;

	name = tl_printf("env_%u.log", node->ports[slave]);
	text = fault_read_log(folder, name);
	expected = tl_printf("stopped: %zu agents, %zu rounds", agents,
	    rounds);
	ck_assert_msg(strstr(text, expected) != NULL, "%s/%s lacks \"%s\":\n"
	    "%s", folder, name, expected, text);
	free(expected);
	free(text);
	free(name);
	for (n = 1; n <= agents; n++) {
		name = tl_printf("agent_%u_%zu.log", node->ports[slave], n);
		text = fault_read_log(folder, name);
		expected = tl_printf("round %zu: count %ld\n", rounds, count);
		ck_assert_msg(strcmp(text, expected) == 0, "%s/%s is \"%s\", "
		    "expected \"%s\"", folder, name, text, expected);
		free(expected);
		free(text);
		free(name);
	}
}

/* Spawn counters (spread) and run rounds with {"by": by}. */
static void
fault_count(struct fault_node *node, size_t counters, size_t rounds,
    long by)
{
	struct json_object	*result;
	size_t			 i;

	result = tl_okf(node->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":%zu}", counters);
	json_object_put(result);
	for (i = 0; i < rounds; i++) {
		result = tl_okf(node->conn, "trigger_all", "{\"args\":"
		    "{\"by\":%ld}}", by);
		ck_assert_int_eq(tl_int(result, "agents"), (int64_t)counters);
		tl_assert_json(tl_member(result, "errors"), "[]");
		json_object_put(result);
	}
}

/*
 * The master killed with SIGKILL: its slaves see it go (parent death,
 * end of the pipe) and stop by themselves within seconds, exit 0 after
 * running their agents' close, so the counters' logs are written.
 */
START_TEST(test_master_killed)
{
	struct fault_node	*node;
	struct tl_exit		 e;
	const char		*folder = tl_tempdir();
	size_t			 i;

	node = fault_start("--log-folder", folder, NULL);
	fault_count(node, 6, 2, 7);
	e = tl_daemon_signal(node->daemon, SIGKILL, FAULT_STOP_WAIT);
	ck_assert_msg(e.known && WIFSIGNALED(e.status), "master: %s",
	    tl_exit_string(&e));
	/* Orphans are ours now: wait for each to end by itself. */
	for (i = 0; i < 2; i++) {
		e = tl_stop_pid(node->pids[i], 0, FAULT_ORPHAN_WAIT);
		ck_assert_msg(!e.killed, "slave %s still ran %.0f s after its "
		    "master was killed", node->managers[i], FAULT_ORPHAN_WAIT);
		ck_assert_msg(!e.known || tl_exit_ok(&e), "slave %s: %s",
		    node->managers[i], tl_exit_string(&e));
		ck_assert_msg(tl_wait_port_closed(node->ports[i], 2.0),
		    "port %u still listens", node->ports[i]);
	}
	fault_assert_all_gone(node);
	for (i = 0; i < 2; i++)
		fault_assert_logs(node, folder, i, 3, 2, 14);
	fault_free(node);
}
END_TEST

/*
 * stop: true comes once every slave has finished closing; the agents'
 * logs are complete at that moment; the master exits 0. stop's own
 * log_folder reaches the slaves too.
 */
START_TEST(test_stop_logs)
{
	struct fault_node	*node;
	const char		*folder = tl_tempdir();
	char			*params;
	size_t			 i;

	node = fault_start("--log-folder", folder, NULL);
	fault_count(node, 4, 3, 5);
	fault_stop(node);
	/* fault_stop() freed node: start again for the second half. */
	node = fault_start("--log-folder", folder, NULL);
	fault_count(node, 6, 1, 2);
	node->conn->timeout = FAULT_STOP_WAIT;
	tl_expect_result(node->conn, "stop", NULL, "true");
	/* The logs are complete when stop answers, not later. */
	for (i = 0; i < 2; i++)
		fault_assert_logs(node, folder, i, 3, 1, 2);
	fault_finish(node);

	/* A folder given to stop only. */
	folder = tl_tempdir();
	node = fault_start(NULL);
	fault_count(node, 2, 1, 9);
	params = tl_printf("{\"log_folder\":\"%s\"}", folder);
	node->conn->timeout = FAULT_STOP_WAIT;
	tl_expect_result(node->conn, "stop", params, "true");
	free(params);
	for (i = 0; i < 2; i++)
		fault_assert_logs(node, folder, i, 1, 1, 9);
	fault_finish(node);
}
END_TEST

/* SIGTERM: the same graceful stop; logs complete, exit 0, nothing left. */
START_TEST(test_sigterm)
{
	struct fault_node	*node;
	struct tl_exit		 e;
	const char		*folder = tl_tempdir();
	size_t			 i;

	node = fault_start("--log-folder", folder, NULL);
	fault_count(node, 8, 2, 3);
	e = tl_daemon_signal(node->daemon, SIGTERM, FAULT_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "master after SIGTERM: %s",
	    tl_exit_string(&e));
	fault_assert_all_gone(node);
	for (i = 0; i < 2; i++) {
		fault_assert_logs(node, folder, i, 4, 2, 6);
		ck_assert_msg(!tl_port_listening(node->ports[i]), "port %u "
		    "still listens", node->ports[i]);
	}
	fault_free(node);
}
END_TEST

/*
 * A slave that ignores stop (SIGSTOP): with stop_grace=1 the master
 * waits 1 s, sends SIGTERM, then SIGKILL 2 s later, names the slave it
 * killed, answers true and exits 0 with no process left; the other
 * slave closed normally and wrote its logs.
 */
START_TEST(test_stop_escalates)
{
	struct fault_node	*node;
	struct tl_exit		 e;
	const char		*folder = tl_tempdir();
	char			*err, *line, *end;
	double			 start, took;

	node = fault_start("-o", "stop_grace=1", "--log-folder", folder,
	    NULL);
	fault_count(node, 4, 1, 1);
	tl_track_pid(node->pids[0]);
	fault_signal_slave(node, 0, SIGSTOP);
	start = tl_now();
	node->conn->timeout = FAULT_STOP_WAIT;
	tl_expect_result(node->conn, "stop", NULL, "true");
	took = tl_now() - start;
	ck_assert_msg(took >= 0.9 && took < 15, "stop with a slave that "
	    "ignores it took %.2f s (grace 1 s, then 2 s to SIGKILL)", took);
	ck_assert_msg(!tl_pid_alive(node->pids[0]) &&
	    !tl_pid_alive(node->pids[1]), "stop answered with a slave left");
	tl_untrack_pid(node->pids[0]);
	e = tl_daemon_wait(node->daemon, FAULT_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "master: %s", tl_exit_string(&e));
	fault_assert_all_gone(node);
	fault_assert_logs(node, folder, 1, 2, 1, 1);

	/* The master named the slave it killed, and only that one. */
	err = tl_daemon_stderr(node->daemon);
	ck_assert_msg(strstr(err, "SIGKILL") != NULL, "no SIGKILL named in "
	    "the master's log:\n%s", err);
	for (line = err; line != NULL && *line != '\0'; line = end) {
		if ((end = strchr(line, '\n')) != NULL)
			*end++ = '\0';
		if (strstr(line, "SIGKILL") != NULL ||
		    strstr(line, "SIGTERM") != NULL)
			ck_assert_msg(strstr(line, node->managers[0]) != NULL,
			    "\"%s\" does not name %s", line,
			    node->managers[0]);
	}
	free(err);
	fault_free(node);
}
END_TEST

/*
 * stop while a round runs (slave 1's pinger waits for a peer that never
 * answers): the round ends at once with an error entry saying the
 * environment is shutting down, stop answers true once every slave has
 * closed, the logs are complete and the master exits 0.
 */
START_TEST(test_stop_during_round)
{
	struct fault_node	*node;
	struct json_object	*response, *result, *errors;
	const char		*folder = tl_tempdir();
	char			*pinger;
	double			 start;
	uint16_t		 hole_port;
	int			 hole;
	size_t			 i;

	hole = fault_black_hole(&hole_port);
	node = fault_start("--plugin", tl_plugin_path("pingpong"),
	    "--log-folder", folder, NULL);
	fault_count(node, 2, 0, 0);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"pinger\","
	    "\"n\":1,\"slave\":1}");
	pinger = tl_strdup(json_object_get_string(tl_index(result, 0)));
	json_object_put(result);
	result = tl_okf(node->conn, "agent.add_connection", "{\"agent\":"
	    "\"%s\",\"addr\":\"tcp://127.0.0.1:%u/1\"}", pinger, hole_port);
	json_object_put(result);
	free(pinger);

	tl_send_call(node->conn, 500, "trigger_all", "{\"args\":{\"by\":4}}");
	ck_assert_msg(fault_wait_round_running(node, 1, 10.0), "slave 1's "
	    "round is not running");
	start = tl_now();
	tl_send_call(node->conn, 501, "stop", NULL);
	response = tl_read_json(node->conn, FAULT_STOP_WAIT);
	ck_assert_int_eq(tl_int(response, "id"), 500);
	result = tl_response_result(response);
	ck_assert_int_eq(tl_int(result, "agents"), 3);
	errors = tl_member(result, "errors");
	ck_assert_msg(json_object_array_length(errors) >= 1 &&
	    tl_int(tl_index(errors, 0), "code") == -32007, "trigger_all "
	    "ended by stop: %s", tl_json_text(result));
	json_object_put(response);
	response = tl_read_json(node->conn, FAULT_STOP_WAIT);
	ck_assert_int_eq(tl_int(response, "id"), 501);
	tl_assert_json(tl_response_result(response), "true");
	json_object_put(response);
	ck_assert_msg(tl_now() - start < FAULT_PROMPT, "stop during a round "
	    "took %.1f s", tl_now() - start);
	for (i = 0; i < 2; i++)
		ck_assert_msg(!tl_pid_alive(node->pids[i]), "stop answered "
		    "with slave %s running", node->managers[i]);
	fault_assert_logs(node, folder, 0, 1, 1, 4);
	fault_finish(node);
	close(hole);
}
END_TEST

/*
 * A round, a stop on another connection, and the master frozen
 * (SIGSTOP) for 0.5 s just after it passed both on: meanwhile its slaves
 * end the round, stop and exit, so that on waking it may find every
 * slave gone with their answers still unread. It answers the round all
 * the same before it closes that connection, and stop with true. Before
 * the drain waited for requests in flight, the round went unanswered in
 * 8 runs of 15; each run of this test is one try.
 */
START_TEST(test_stop_frozen_master)
{
	struct fault_node	*node;
	struct tl_conn		*stopper;
	struct json_object	*response, *result;

	node = fault_start(NULL);
	result = tl_ok(node->conn, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":2000000,\"addresses\":false}");
	json_object_put(result);
	stopper = tl_connect(node->daemon->port);
	tl_send_call(node->conn, 700, "trigger_all", "{\"results\":false}");
	tl_send_call(stopper, 701, "stop", NULL);
	usleep(2000);
	tl_signal(node->daemon->pid, SIGSTOP);
	usleep(500000);
	tl_signal(node->daemon->pid, SIGCONT);
	response = tl_read_json(node->conn, FAULT_STOP_WAIT);
	ck_assert_int_eq(tl_int(response, "id"), 700);
	json_object_put(response);
	response = tl_read_json(stopper, FAULT_STOP_WAIT);
	ck_assert_int_eq(tl_int(response, "id"), 701);
	tl_assert_json(tl_response_result(response), "true");
	json_object_put(response);
	tl_close(stopper);
	fault_finish(node);
}
END_TEST

/* Fail unless a failed run exited non-zero saying all of the words. */
static void
fault_assert_failed(struct tl_run *run, const char *what, const char *words[],
    size_t count)
{
	size_t	 i;

	ck_assert_msg(run->exit.known && tl_exit_code(&run->exit) > 0, "%s: "
	    "%s, expected a non-zero exit; stderr:\n%s", what,
	    tl_exit_string(&run->exit), run->err);
	ck_assert_msg(run->out[0] == '\0', "%s: printed \"%s\" on stdout",
	    what, run->out);
	for (i = 0; i < count; i++)
		ck_assert_msg(strstr(run->err, words[i]) != NULL, "%s: stderr "
		    "does not say \"%s\":\n%s", what, words[i], run->err);
	ck_assert_msg(tl_wait_no_stray(2.0) == 0, "%s: process %ld is left "
	    "running", what, (long)tl_stray_child());
}

/* Return a listening loopback socket whose port + 1 is free too. */
static int
fault_hold_port(uint16_t *port)
{
	struct sockaddr_in	 sin;
	int			 fd;

	*port = tl_free_ports(2);
	ck_assert_msg((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) != -1, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(*port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    listen(fd, 16) == 0, "holding port %u: %s", *port,
	    strerror(errno));
	return (fd);
}

/*
 * A slave that cannot listen (its port is taken): the master exits
 * non-zero naming the slave, its port and why, in the foreground and
 * without -d, and leaves no process behind.
 */
START_TEST(test_port_taken)
{
	struct tl_run	 run;
	const char	*words[3];
	char		 port_text[16], port_words[32];
	uint16_t	 port;
	int		 fd;

	tl_adopt_orphans();
	fd = fault_hold_port(&port);
	snprintf(port_text, sizeof port_text, "%u", port);
	snprintf(port_words, sizeof port_words, "port %u", port);
	words[0] = "slave 1";
	words[1] = port_words;
	words[2] = "in use";

	tl_start_fail(&run, "--role", "master", "--slaves", "2",
	    "--slave-ports", port_text, NULL);
	fault_assert_failed(&run, "-d, a slave's port taken", words, 3);
	ck_assert_msg(!tl_port_listening((uint16_t)(port + 1)), "the second "
	    "slave still listens on %u", port + 1);
	tl_run_free(&run);

	tl_run(&run, 30, "--role", "master", "--slaves", "2", "--listen",
	    "127.0.0.1:0", "--slave-ports", port_text, NULL);
	fault_assert_failed(&run, "without -d, a slave's port taken", words,
	    3);
	ck_assert_msg(!tl_port_listening((uint16_t)(port + 1)), "the second "
	    "slave still listens on %u", port + 1);
	tl_run_free(&run);
	close(fd);
}
END_TEST

/*
 * A plugin that cannot be loaded (missing, or no shared object): the
 * master exits non-zero naming the plugin and why, and nothing is left.
 */
START_TEST(test_bad_plugin)
{
	struct tl_run	 run;
	const char	*words[2];
	char		*not_elf;

	tl_adopt_orphans();
	words[0] = "/nonexistent/creamas-plugin.so";
	words[1] = "No such file";
	tl_start_fail(&run, "--role", "master", "--slaves", "2", "--plugin",
	    words[0], NULL);
	fault_assert_failed(&run, "-d, a missing plugin", words, 2);
	tl_run_free(&run);

	not_elf = tl_path(tl_tempdir(), "not-a-plugin.so");
	tl_write_file(not_elf, "this is no shared object\n");
	words[0] = not_elf;
	tl_run(&run, 30, "--role", "master", "--slaves", "2", "--listen",
	    "127.0.0.1:0", "--plugin", not_elf, NULL);
	fault_assert_failed(&run, "without -d, a plugin that is no shared "
	    "object", words, 1);
	tl_run_free(&run);
	free(not_elf);
}
END_TEST

/* The suite: slaves lost, slaves stopped, masters killed and stopped. */
Suite *
suite_master_faults(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("master_faults");

	tc = tcase_create("lost");
	tcase_set_timeout(tc, FAULT_TEST_TIMEOUT);
	tcase_add_test(tc, test_kill_before_trigger);
	tcase_add_test(tc, test_kill_during_trigger);
	tcase_add_test(tc, test_kill_during_calls);
	tcase_add_test(tc, test_spawn_n_lost_slave);
	suite_add_tcase(suite, tc);

	tc = tcase_create("unresponsive");
	tcase_set_timeout(tc, FAULT_TEST_TIMEOUT);
	tcase_add_test(tc, test_stopped_slave);
	tcase_add_test(tc, test_spawn_n_stopped_slave);
	suite_add_tcase(suite, tc);

	tc = tcase_create("stop");
	tcase_set_timeout(tc, FAULT_TEST_TIMEOUT);
	tcase_add_test(tc, test_master_killed);
	tcase_add_test(tc, test_stop_logs);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_stop_escalates);
	tcase_add_test(tc, test_stop_during_round);
	tcase_add_loop_test(tc, test_stop_frozen_master, 0, 5);
	suite_add_tcase(suite, tc);

	tc = tcase_create("startup");
	tcase_set_timeout(tc, FAULT_TEST_TIMEOUT);
	tcase_add_test(tc, test_port_taken);
	tcase_add_test(tc, test_bad_plugin);
	suite_add_tcase(suite, tc);
	return (suite);
}
