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
 * End-to-end tests of creamasd --metrics: the Prometheus text a master
 * serves for itself and its slaves, scraped during and after rounds and
 * checked with promtool (Debian's prometheus package); its values against
 * the status method's; a killed slave lost in both; who may scrape
 * beyond loopback; and a metrics port fed garbage, huge headers and
 * thousands of connections while the JSON-RPC port keeps serving.
 */

#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

Suite	*suite_metrics(void);

#define MT_TEST_TIMEOUT		120
#define MT_CONNECTIONS		2000	/* held open on the metrics port */
#define MT_HUGE_HEADER		(256 * 1024)

/* A master (or slave) with metrics, and what its status says. */
struct mt_node {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	uint16_t		 metrics;	/* the metrics port */
	size_t			 nslaves;
	char			*addresses[2];	/* the slaves' managers */
	pid_t			 pids[2];
};

/* Start a daemon with metrics on a free loopback port; more args after. */
static struct mt_node *
mt_start(const char *role, ...)
{
	const char		*args[32], *arg;
	struct mt_node		*node;
	struct json_object	*status, *slaves;
	char			*listen;
	va_list			 ap;
	size_t			 n = 0, i;

	tl_adopt_orphans();
	node = tl_calloc(1, sizeof *node);
	node->metrics = tl_free_ports(1);
	listen = tl_printf("127.0.0.1:%u", node->metrics);
	args[n++] = "--role";
	args[n++] = role;
	args[n++] = "--metrics";
	args[n++] = listen;
	va_start(ap, role);
	while ((arg = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(n < 31, "too many arguments");
		args[n++] = arg;
	}
	va_end(ap);
	args[n] = NULL;
	node->daemon = tl_daemon_startv(args);
	free(listen);
	node->conn = tl_connect(node->daemon->port);
	status = tl_ok(node->conn, "status", NULL);
	if (json_object_object_get_ex(status, "slaves", &slaves)) {
		node->nslaves = json_object_array_length(slaves);
		ck_assert_uint_le(node->nslaves, 2);
		for (i = 0; i < node->nslaves; i++) {
			node->addresses[i] = tl_strdup(tl_string(
			    tl_index(slaves, i), "address"));
			node->pids[i] = (pid_t)tl_int(tl_index(slaves, i),
			    "pid");
		}
	}
	json_object_put(status);
	return (node);
}

/* Stop a node by pid and check its slaves went with it. */
static void
mt_stop(struct mt_node *node)
{
	size_t	 i;

	tl_close(node->conn);
	tl_daemon_stop_clean(node->daemon);
	for (i = 0; i < node->nslaves; i++) {
		ck_assert_msg(!tl_pid_alive(node->pids[i]), "slave %s outlived "
		    "its master", node->addresses[i]);
		free(node->addresses[i]);
	}
	free(node);
}

/*
 * Send bytes to a port as they are and read until the server closes;
 * return the HTTP status (0 when no status line came back) and, if
 * asked, the whole answer.
 */
static int
mt_http(uint16_t port, const char *request, size_t length, char **answer)
{
	struct tl_conn	*conn;
	struct pollfd	 pfd;
	char		*text = NULL, buffer[65536];
	size_t		 used = 0;
	ssize_t		 got;
	double		 deadline = tl_now() + TL_TIMEOUT;
	int		 status = 0;

	conn = tl_connect(port);
	tl_send_some(conn, request, length, TL_TIMEOUT);
	text = tl_calloc(1, 1);
	for (;;) {
		pfd.fd = conn->fd;
		pfd.events = POLLIN;
		ck_assert_msg(tl_now() < deadline, "port %u: no end of the "
		    "answer within %.0f s", port, TL_TIMEOUT);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((got = read(conn->fd, buffer, sizeof buffer)) <= 0)
			break;
		ck_assert_msg((text = realloc(text, used + got + 1)) != NULL,
		    "out of memory");
		memcpy(text + used, buffer, got);
		used += got;
		text[used] = '\0';
	}
	tl_close(conn);
	sscanf(text, "HTTP/1.%*d %d", &status);
	if (answer != NULL)
		*answer = text;
	else
		free(text);
	return (status);
}

/* GET /metrics, with a bearer token if one is given; the HTTP status. */
static int
mt_get(uint16_t port, const char *token, char **answer)
{
	char	*request;
	int	 status;

	request = tl_printf("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n%s%s%s\r\n", token != NULL ?
	    "Authorization: Bearer " : "", token != NULL ? token : "",
	    token != NULL ? "\r\n" : "");
	status = mt_http(port, request, strlen(request), answer);
	free(request);
	return (status);
}

/* Fail unless promtool finds a scrape well-formed. */
static void
mt_promtool(const char *body)
{
	static unsigned	 serial;
	struct tl_run	 run;
	char		*path, *command, name[64];
	const char	*argv[] = { "/bin/sh", "-c", NULL, NULL };

	snprintf(name, sizeof name, "metrics-%u.txt", serial++);
	path = tl_path(tl_tempdir(), name);
	tl_write_file(path, body);
	command = tl_printf("promtool check metrics < '%s'", path);
	argv[2] = command;
	tl_run_program(&run, TL_TIMEOUT, argv);
	ck_assert_msg(tl_exit_ok(&run.exit), "promtool check metrics: %s\n"
	    "%s%s\nthe scrape:\n%s", tl_exit_string(&run.exit), run.out,
	    run.err, body);
	tl_run_free(&run);
	free(command);
	free(path);
}

/* Scrape a node: 200, a text body that promtool accepts; the body. */
static char *
mt_scrape(const struct mt_node *node, const char *token)
{
	char	*answer, *body;
	int	 status;

	status = mt_get(node->metrics, token, &answer);
	ck_assert_msg(status == 200, "GET /metrics: status %d:\n%s", status,
	    answer);
	ck_assert_msg(strstr(answer, "Content-Type: text/plain; "
	    "version=0.0.4") != NULL, "not the text format:\n%s", answer);
	ck_assert_msg((body = strstr(answer, "\r\n\r\n")) != NULL,
	    "no body:\n%s", answer);
	body = tl_strdup(body + 4);
	free(answer);
	mt_promtool(body);
	return (body);
}

/* Find a sample (name and labels as written); 1 and its value if found. */
static int
mt_find(const char *body, const char *sample, double *value)
{
	const char	*line;
	size_t		 length = strlen(sample);

	for (line = body; line != NULL && *line != '\0';
	    line = strchr(line, '\n'), line = line != NULL ? line + 1 : NULL) {
		if (strncmp(line, sample, length) == 0 && line[length] == ' ')
			return (sscanf(line + length, "%lf", value) == 1);
	}
	return (0);
}

/* The value of a sample, which must be there. */
static double
mt_value(const char *body, const char *sample)
{
	double	 value;

	ck_assert_msg(mt_find(body, sample, &value), "no sample %s in:\n%s",
	    sample, body);
	return (value);
}

/* The value of a sample of a slave: NAME{slave="ADDRESS"EXTRA}. */
static double
mt_slave_value(const char *body, const char *name, const char *address,
    const char *extra)
{
	char	*sample;
	double	 value;

	sample = tl_printf("%s{slave=\"%s\"%s}", name, address,
	    extra != NULL ? extra : "");
	value = mt_value(body, sample);
	free(sample);
	return (value);
}

/* Fail unless a sample has the value of an integer status member. */
static void
mt_assert_member(const char *body, const char *sample, double value,
    struct json_object *status, const char *member)
{
	ck_assert_msg(value == (double)tl_int(status, member), "%s is %.17g, "
	    "status says %s %lld", sample, value, member,
	    (long long)tl_int(status, member));
}

/* Wait until the master's status shows slave i lost; fail if it never does. */
static void
mt_wait_lost(struct mt_node *node, size_t slave)
{
	struct json_object	*status;
	double			 deadline = tl_now() + TL_TIMEOUT;
	int			 lost;

	for (;;) {
		status = tl_ok(node->conn, "status", NULL);
		lost = strcmp(tl_string(tl_index(tl_member(status, "slaves"),
		    slave), "state"), "lost") == 0;
		json_object_put(status);
		if (lost)
			return;
		ck_assert_msg(tl_now() < deadline, "slave %s not lost %.0f s "
		    "after SIGKILL", node->addresses[slave], TL_TIMEOUT);
		usleep(20000);
	}
}

/*
 * A master of two slaves runs a slow round (sleepers): scrapes while it
 * runs pass promtool and show a slave in its round; afterwards every
 * value that does not move by itself matches the status method's, for
 * the master and for each slave.
 */
START_TEST(test_scrape_rounds)
{
	struct mt_node		*node;
	struct json_object	*status, *slave, *reply;
	char			*body, *line, *sample;
	size_t			 i;
	int			 seen = 0;

	node = mt_start("master", "--slaves", "2", "--plugin",
	    tl_plugin_path("pingpong"), NULL);
	ck_assert_uint_eq(node->nslaves, 2);
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"sleeper\",\"n\":1000}"));
	json_object_put(tl_ok(node->conn, "trigger_all", NULL));

	/*
	 * Each slave acts 500 sleepers of 2 ms, serving requests every 64:
	 * scrape until one shows its round running.
	 */
	tl_send_call(node->conn, 99, "trigger_all",
	    "{\"args\":{\"us\":2000}}");
	while (!seen) {
		body = mt_scrape(node, NULL);
		for (i = 0; i < 2; i++)
			seen |= mt_slave_value(body, "creamasd_round_running",
			    node->addresses[i], NULL) == 1;
		free(body);
		if (!seen) {
			ck_assert_msg(tl_read_line(node->conn, 0.0, &line) ==
			    TL_READ_TIMEOUT, "the round ended before any "
			    "scrape saw it running");
		}
	}
	reply = tl_read_json(node->conn, TL_BUSY_WAIT);
	ck_assert_int_eq(tl_int(tl_response_result(reply), "agents"), 1000);
	json_object_put(reply);

	status = tl_ok(node->conn, "status", NULL);
	ck_assert_int_eq(tl_int(status, "metrics_port"), node->metrics);
	body = mt_scrape(node, NULL);
	mt_assert_member(body, "creamasd_agents",
	    mt_value(body, "creamasd_agents"), status, "agents");
	mt_assert_member(body, "creamasd_rounds_total",
	    mt_value(body, "creamasd_rounds_total"), status, "rounds");
	ck_assert_double_eq(mt_value(body, "creamasd_rounds_total"), 2);
	ck_assert_double_eq(mt_value(body,
	    "creamasd_round_duration_seconds_count"), 2);
	ck_assert_double_eq(mt_value(body,
	    "creamasd_requests_total{method=\"trigger_all\"}"), 2);
	ck_assert_double_eq(mt_value(body, "creamasd_slaves"), 2);
	ck_assert_double_eq(mt_value(body, "creamasd_slaves_lost"), 0);
	ck_assert_msg(mt_value(body, "creamasd_resident_memory_bytes") > 0,
	    "no resident memory");
	for (i = 0; i < 2; i++) {
		slave = tl_index(tl_member(status, "slaves"), i);
		ck_assert_double_eq(mt_slave_value(body, "creamasd_slave_up",
		    node->addresses[i], NULL), 1);
		mt_assert_member(body, "agents", mt_slave_value(body,
		    "creamasd_agents", node->addresses[i], NULL), slave,
		    "agents");
		mt_assert_member(body, "rounds", mt_slave_value(body,
		    "creamasd_rounds_total", node->addresses[i], NULL), slave,
		    "rounds");
		mt_assert_member(body, "round count", mt_slave_value(body,
		    "creamasd_round_duration_seconds_count",
		    node->addresses[i], NULL), slave, "rounds");
		ck_assert_double_eq_tol(mt_slave_value(body,
		    "creamasd_last_round_duration_seconds",
		    node->addresses[i], NULL),
		    tl_int(slave, "last_round_us") / 1e6, 1e-6);
		/* The first round was quick, the second took 1 s at least. */
		ck_assert_double_eq(mt_slave_value(body,
		    "creamasd_round_duration_seconds_bucket",
		    node->addresses[i], ",le=\"0.5\""), 1);
		mt_assert_member(body, "local calls", mt_slave_value(body,
		    "creamasd_calls_started_total", node->addresses[i],
		    ",kind=\"local\""), tl_member(slave, "calls"), "local");
		ck_assert_double_eq(mt_slave_value(body,
		    "creamasd_requests_total", node->addresses[i],
		    ",method=\"trigger_all\""), 2);
		sample = tl_printf("creamasd_received_bytes_total{slave=\"%s\"}",
		    node->addresses[i]);
		ck_assert_msg(mt_value(body, sample) > 0, "%s is 0", sample);
		free(sample);
	}
	free(body);
	json_object_put(status);
	mt_stop(node);
}
END_TEST

/*
 * A slave killed with SIGKILL: once status shows it lost, a scrape
 * shows it down and counted lost, with no other value for it, while the
 * other slave is still up.
 */
START_TEST(test_lost_slave)
{
	struct mt_node	*node;
	char		*body, *sample;
	double		 value;

	node = mt_start("master", "--slaves", "2", NULL);
	json_object_put(tl_ok(node->conn, "spawn_n",
	    "{\"type\":\"counter\",\"n\":10}"));
	body = mt_scrape(node, NULL);
	ck_assert_double_eq(mt_value(body, "creamasd_slaves_lost"), 0);
	free(body);

	tl_signal(node->pids[0], SIGKILL);
	mt_wait_lost(node, 0);
	body = mt_scrape(node, NULL);
	ck_assert_double_eq(mt_value(body, "creamasd_slaves_lost"), 1);
	ck_assert_double_eq(mt_slave_value(body, "creamasd_slave_up",
	    node->addresses[0], NULL), 0);
	ck_assert_double_eq(mt_slave_value(body, "creamasd_slave_up",
	    node->addresses[1], NULL), 1);
	ck_assert_double_eq(mt_slave_value(body, "creamasd_agents",
	    node->addresses[1], NULL), 5);
	sample = tl_printf("creamasd_agents{slave=\"%s\"}",
	    node->addresses[0]);
	ck_assert_msg(!mt_find(body, sample, &value), "the lost slave still "
	    "has %s %g", sample, value);
	free(sample);
	free(body);
	mt_stop(node);
}
END_TEST

/* Fail unless the daemon's JSON-RPC port still answers a new client. */
static void
mt_assert_serving(struct mt_node *node, const char *after)
{
	struct tl_conn	*conn;

	conn = tl_connect_try(node->daemon->port, TL_TIMEOUT);
	ck_assert_msg(conn != NULL, "JSON-RPC port refused a client after %s",
	    after);
	tl_expect_result(conn, "is_ready", NULL, "true");
	tl_close(conn);
}

/* Allow this process count descriptors more than it has; how many. */
static size_t
mt_raise_nofile(size_t count)
{
	struct rlimit	 rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < count + 256 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < count + 256 ? rl.rlim_max :
		    count + 256;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	return (rl.rlim_cur > count + 256 ? count : rl.rlim_cur - 256);
}

/*
 * A metrics port fed garbage, a huge header, a huge body, other methods
 * and paths, and thousands of connections answers each with an error or
 * a close, and the daemon keeps serving JSON-RPC and metrics throughout.
 */
START_TEST(test_hostile)
{
	struct mt_node	*node;
	struct tl_conn	**conns;
	char		*request, *body, *listen;
	size_t		 count, i;
	int		 status;

	node = tl_calloc(1, sizeof *node);
	node->metrics = tl_free_ports(1);
	listen = tl_printf("metrics=127.0.0.1:%u", node->metrics);
	node->daemon = tl_daemon_start("-o", listen, NULL);
	free(listen);
	node->conn = tl_connect(node->daemon->port);

	status = mt_http(node->metrics, "\x16\x03\x01\x02\x00garbage\r\n\r\n",
	    17, NULL);
	ck_assert_msg(status != 200, "garbage answered 200");
	mt_assert_serving(node, "garbage");

	request = tl_calloc(1, MT_HUGE_HEADER + 64);
	strcpy(request, "GET /metrics HTTP/1.1\r\nX-Big: ");
	memset(request + strlen(request), 'a', MT_HUGE_HEADER);
	strcat(request, "\r\n\r\n");
	status = mt_http(node->metrics, request, strlen(request), NULL);
	ck_assert_msg(status != 200, "a %d-byte header answered 200",
	    MT_HUGE_HEADER);
	mt_assert_serving(node, "a huge header");
	free(request);

	request = "GET /metrics HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n";
	status = mt_http(node->metrics, request, strlen(request), NULL);
	ck_assert_msg(status != 200, "a huge body answered 200");
	request = "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	status = mt_http(node->metrics, request, strlen(request), NULL);
	ck_assert_msg(status >= 400, "POST answered %d", status);
	request = "GET /etc/passwd HTTP/1.0\r\n\r\n";
	ck_assert_int_eq(mt_http(node->metrics, request, strlen(request),
	    NULL), 404);

	/* Thousands of connections, each with half a request. */
	count = mt_raise_nofile(MT_CONNECTIONS);
	conns = tl_calloc(count, sizeof *conns);
	for (i = 0; i < count; i++) {
		conns[i] = tl_connect(node->metrics);
		tl_send_raw(conns[i], "GET /metr", 9);
	}
	mt_assert_serving(node, "thousands of metrics connections");
	body = mt_scrape(node, NULL);
	ck_assert_double_eq(mt_value(body, "creamasd_agents"), 0);
	free(body);
	for (i = 0; i < count; i++)
		tl_close(conns[i]);
	free(conns);
	mt_assert_serving(node, "the connections closed");
	tl_daemon_assert_alive(node->daemon);
	mt_stop(node);
}
END_TEST

/*
 * Beyond loopback: refused without a key unless --insecure; with a key,
 * a scrape needs the bearer token --metrics-token prints, which is the
 * key's proof of role "metrics" over "bearer" and "v1". Only 127.0.0.1
 * is connected to.
 */
START_TEST(test_exposure)
{
	struct mt_node	 node;
	struct tl_run	 run;
	char		*wildcard, *key, token[TL_AUTH_HEX], *answer;
	const char	*argv[5];

	memset(&node, 0, sizeof node);
	node.metrics = tl_free_ports(1);
	wildcard = tl_printf("0.0.0.0:%u", node.metrics);
	tl_start_fail(&run, "--metrics", wildcard, NULL);
	ck_assert_msg(strstr(run.err, "--insecure") != NULL &&
	    strstr(run.err, "--key") != NULL, "no reason to refuse 0.0.0.0 "
	    "in:\n%s", run.err);
	tl_run_free(&run);

	node.daemon = tl_daemon_start("--metrics", wildcard, "--insecure",
	    NULL);
	free(mt_scrape(&node, NULL));
	tl_daemon_stop_clean(node.daemon);

	key = tl_path(tl_tempdir(), "metrics.key");
	tl_write_key(key, 32, 0600);
	tl_auth_proof(key, "metrics", "bearer", "v1", token);
	argv[0] = tl_creamasd();
	argv[1] = "--key";
	argv[2] = key;
	argv[3] = "--metrics-token";
	argv[4] = NULL;
	tl_run_program(&run, TL_TIMEOUT, argv);
	ck_assert_msg(tl_exit_ok(&run.exit), "--metrics-token: %s",
	    run.err);
	ck_assert_msg(strncmp(run.out, token, strlen(token)) == 0 &&
	    strcmp(run.out + strlen(token), "\n") == 0,
	    "--metrics-token printed %s, expected %s", run.out, token);
	tl_run_free(&run);

	node.daemon = tl_daemon_start("--metrics", wildcard, "--key", key,
	    NULL);
	ck_assert_int_eq(mt_get(node.metrics, NULL, &answer), 401);
	ck_assert_msg(strstr(answer, "WWW-Authenticate: Bearer") != NULL,
	    "401 without WWW-Authenticate:\n%s", answer);
	free(answer);
	ck_assert_int_eq(mt_get(node.metrics, "00", NULL), 401);
	token[0] = token[0] == '0' ? '1' : '0';
	ck_assert_int_eq(mt_get(node.metrics, token, NULL), 401);
	token[0] = token[0] == '0' ? '1' : '0';
	tl_auth_proof(key, "metrics", "bearer", "v1", token);
	free(mt_scrape(&node, token));
	tl_daemon_stop_clean(node.daemon);

	/* On loopback no token is asked for, key or not. */
	free(wildcard);
	wildcard = tl_printf("127.0.0.1:%u", node.metrics);
	node.daemon = tl_daemon_start("--metrics", wildcard, "--key", key,
	    NULL);
	free(mt_scrape(&node, NULL));
	tl_daemon_stop_clean(node.daemon);
	free(wildcard);
	free(key);
}
END_TEST

/* The suite: scrapes during rounds, a lost slave, exposure, abuse. */
Suite *
suite_metrics(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("metrics");
	tc = tcase_create("scrape");
	tcase_set_timeout(tc, MT_TEST_TIMEOUT);
	tcase_add_test(tc, test_scrape_rounds);
	tcase_add_test(tc, test_lost_slave);
	tcase_add_test(tc, test_exposure);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(suite, tc);
	return (suite);
}
