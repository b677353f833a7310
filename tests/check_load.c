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
 * Load and hostile clients against a master with two slaves, loopback
 * only, bounded in count and time.
 *
 * The load test: 500 clients at once, each making 1,000 mixed calls
 * (is_ready, get_time, get_agents, status, agent.act, trigger_act,
 * agent.get, agent.get_connections, a call to a missing agent) pipelined
 * eight at a time, driven by one poll() loop in the test process. Each
 * client owns a counter agent, so every reply can be checked exactly:
 * ids match, each increment returns a count no other increment returned,
 * and the last agent.get returns how many increments the client made.
 * No connection is refused (max_connections is 4096), and the memory of
 * the master and its slaves (VmRSS from /proc) comes back near its
 * baseline once the clients have gone.
 *
 * Slow and broken clients, each beside a normal client whose every call
 * must be answered, and rightly, meanwhile: one that sends a request a byte a
 * second (not idle, so served; one that stalls mid-line is cut off by
 * idle_timeout), one that never reads its replies (no longer read past
 * max_output, closed when its replies cannot be written for
 * idle_timeout), ones that leave mid-line or with calls in flight to the
 * slaves, and one that opens connections up to max_connections. The
 * same limits against a plain slave are in check_wire.c.
 *
 * Nothing here is timed: how fast the load goes and how long the normal
 * client waits beside broken clients are figures of bench/bench_load.c.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "testlib.h"

#define E_AGENT_NOT_FOUND	-32001
#define E_BUSY			-32010

#define LOAD_CLIENTS		500
#if defined(__SANITIZE_ADDRESS__)
/*
 * Under AddressSanitizer calls are slower, and freed memory sits in
 * quarantines and redzones the allocator keeps (three processes here):
 * the memory bound is looser, and LeakSanitizer checks leaks at exit.
 */
#define LOAD_CALLS		200	/* per client */
#define LOAD_RSS_MARGIN		(256LL * 1024 * 1024)
#else
#define LOAD_CALLS		1000
#define LOAD_RSS_MARGIN		(64LL * 1024 * 1024)
#endif
#define LOAD_WINDOW		8	/* calls in flight per client */
#define LOAD_NOOPS		4
#define LOAD_DEADLINE		240.0	/* seconds for all the load */
#define LOAD_TEST_TIMEOUT	300
#define SLOW_TEST_TIMEOUT	120
#define SLOW_BYTE_INTERVAL	1.0	/* seconds from byte to byte */
#define SLOW_CLOSE_WAIT		30.0	/* seconds for idle_timeout to act */
#define MASTER_STOP_WAIT	20.0

Suite	*suite_load(void);

/* What a load call was, to check its reply. */
enum load_kind {
	LOAD_READY,
	LOAD_TIME,
	LOAD_AGENTS,
	LOAD_STATUS,
	LOAD_ACT,
	LOAD_TRIGGER_ACT,
	LOAD_GET,
	LOAD_CONNECTIONS,
	LOAD_MISSING,
	LOAD_FINAL,
};

/* One client of the load test. */
struct load_client {
	int		 fd;
	int		 index;
	const char	*agent;			/* its own counter */
	unsigned char	 kinds[LOAD_CALLS + 1];	/* by id */
	unsigned char	 answered[LOAD_CALLS + 1];
	unsigned char	 counts[LOAD_CALLS + 1];	/* counts seen */
	int		 sent;
	int		 received;
	int		 inflight;
	int64_t		 increments;		/* sent so far */
	uint32_t	 random;
	char		*in;
	size_t		 in_used;
	size_t		 in_size;
	char		*out;
	size_t		 out_start;
	size_t		 out_used;
	size_t		 out_size;
	int		 done;
};

/* What every load client checks its replies against. */
struct load_expect {
	struct json_object	*noops;		/* the noop agents */
	const char		*missing;	/* an agent not there */
	int64_t			 agents;
};

/* A master under test, with what its status says of its slaves. */
struct master {
	struct tl_daemon	*daemon;
	struct tl_conn		*conn;
	pid_t			 pids[2];
	uint16_t		 ports[2];
};

/* A client that must be served while others misbehave. */
struct normal {
	struct tl_conn	*conn;
	char		*agent;
	int64_t		 count;
	int		 calls;
};

/* A small deterministic generator, so that failures repeat. */
static uint32_t
next_random(uint32_t *state)
{
	uint32_t	 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return (*state = x);
}

/* Keep a sanitised daemon's quarantine small (its children inherit it). */
static void
limit_asan_quarantine(void)
{
	const char	*old = getenv("ASAN_OPTIONS");
	char		*options;

	if (asprintf(&options, "%s%squarantine_size_mb=16", old != NULL ?
	    old : "", old != NULL && *old != '\0' ? ":" : "") == -1)
		ck_abort_msg("out of memory");
	setenv("ASAN_OPTIONS", options, 1);
	free(options);
}

/* Return the resident memory of a master and its slaves together. */
static long long
master_rss(const struct master *m)
{
	return (tl_proc_bytes(m->daemon->pid, "VmRSS") +
	    tl_proc_bytes(m->pids[0], "VmRSS") +
	    tl_proc_bytes(m->pids[1], "VmRSS"));
}

/* Return a master's status member as an integer. */
static int64_t
status_int(struct tl_conn *conn, const char *key)
{
	struct json_object	*status;
	int64_t			 value;

	status = tl_ok(conn, "status", NULL);
	value = tl_int(status, key);
	json_object_put(status);
	return (value);
}

/*
 * Start a master with two slaves and up to two -o options, in the
 * foreground on an ephemeral port; learn its slaves' pids and ports.
 */
static struct master *
master_start(const char *option, const char *another)
{
	const char		*args[16];
	struct master		*m;
	struct json_object	*status, *slaves, *slave;
	const char		*address;
	size_t			 n = 0, i;

	tl_adopt_orphans();
	args[n++] = "--role";
	args[n++] = "master";
	args[n++] = "--slaves";
	args[n++] = "2";
	if (option != NULL) {
		args[n++] = "-o";
		args[n++] = option;
	}
	if (another != NULL) {
		args[n++] = "-o";
		args[n++] = another;
	}
	args[n] = NULL;
	ck_assert((m = calloc(1, sizeof *m)) != NULL);
	m->daemon = tl_daemon_startv(args);
	m->conn = tl_connect(m->daemon->port);
	m->conn->timeout = MASTER_STOP_WAIT;
	status = tl_ok(m->conn, "status", NULL);
	slaves = tl_member(status, "slaves");
	ck_assert_int_eq(json_object_array_length(slaves), 2);
	for (i = 0; i < 2; i++) {
		slave = tl_index(slaves, i);
		m->pids[i] = (pid_t)tl_int(slave, "pid");
		address = tl_string(slave, "address");
		ck_assert_msg(strncmp(address, "tcp://127.0.0.1:", 16) == 0,
		    "slave address %s", address);
		m->ports[i] = (uint16_t)strtoul(address + 16, NULL, 10);
	}
	json_object_put(status);
	return (m);
}

/*
 * Stop a master with the stop method: it and its slaves exit, 0 for
 * the master, and nothing is left.
 */
static void
master_stop(struct master *m)
{
	struct json_object	*result;
	struct tl_exit		 e;
	char			*err;
	size_t			 i;

	result = tl_ok(m->conn, "stop", NULL);
	tl_assert_json(result, "true");
	json_object_put(result);
	e = tl_daemon_wait(m->daemon, MASTER_STOP_WAIT);
	err = tl_daemon_stderr(m->daemon);
	ck_assert_msg(tl_exit_ok(&e), "master: %s; stderr:\n%s",
	    tl_exit_string(&e), err);
	free(err);
	for (i = 0; i < 2; i++)
		ck_assert_msg(!tl_pid_alive(m->pids[i]), "slave %ld still "
		    "runs", (long)m->pids[i]);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	tl_close(m->conn);
	tl_daemon_free(m->daemon);
	free(m);
}

/* Check that the master and both slaves are up and have their agents. */
static void
master_assert_healthy(struct master *m, int64_t agents)
{
	struct json_object	*status, *slaves;
	size_t			 i;

	ck_assert_msg(tl_pid_alive(m->daemon->pid), "the master is gone");
	status = tl_ok(m->conn, "status", NULL);
	ck_assert_int_eq(tl_int(status, "agents"), agents);
	slaves = tl_member(status, "slaves");
	for (i = 0; i < 2; i++) {
		ck_assert_msg(strcmp(tl_string(tl_index(slaves, i), "state"),
		    "ready") == 0, "slave %zu: %s", i, tl_json_text(slaves));
		/* The master's own connection, and no other left over. */
		ck_assert_msg(tl_int(tl_index(slaves, i), "connections") == 1,
		    "slave %zu: %s", i, tl_json_text(slaves));
	}
	json_object_put(status);
}

/* Wait until the master counts connections (ours included), or fail. */
static void
master_wait_connections(struct master *m, int64_t want, double seconds)
{
	double	 deadline = tl_now() + seconds;
	int64_t	 count;

	while ((count = status_int(m->conn, "connections")) != want &&
	    tl_now() < deadline)
		usleep(50000);
	ck_assert_msg(count == want, "the master has %lld connections after "
	    "%.1f s, want %lld", (long long)count, seconds, (long long)want);
}

/*
 * Close the test's control connection, which a short idle_timeout would
 * close anyway, or open it again.
 */
static void
master_control(struct master *m, int open)
{
	tl_close(m->conn);
	m->conn = NULL;
	if (open) {
		m->conn = tl_connect(m->daemon->port);
		m->conn->timeout = MASTER_STOP_WAIT;
	}
}

/* Connect a normal client, with a counter of its own on the master. */
static void
normal_start(struct normal *n, struct master *m)
{
	struct json_object	*result;

	memset(n, 0, sizeof *n);
	n->conn = tl_connect(m->daemon->port);
	result = tl_ok(n->conn, "spawn", "{\"type\":\"counter\"}");
	ck_assert((n->agent = strdup(json_object_get_string(result))) !=
	    NULL);
	json_object_put(result);
}

/*
 * One step of the normal client: an increment of its counter (through a
 * slave) and get_agents (through both), each answered and right.
 */
static void
normal_step(struct normal *n)
{
	struct json_object	*result;

	result = tl_okf(n->conn, "agent.act", "{\"agent\":\"%s\","
	    "\"args\":{\"by\":1}}", n->agent);
	ck_assert_msg(json_object_is_type(result, json_type_int) &&
	    json_object_get_int64(result) == n->count + 1, "the normal "
	    "client's counter: %s after %lld", tl_json_text(result),
	    (long long)n->count);
	n->count++;
	json_object_put(result);
	result = tl_ok(n->conn, "get_agents", "{\"type\":\"counter\"}");
	ck_assert_msg(json_object_is_type(result, json_type_array) &&
	    json_object_array_length(result) > 0, "%s", tl_json_text(result));
	json_object_put(result);
	n->calls += 2;
}

/* Keep the normal client busy for a while, a step every 50 ms. */
static void
normal_run(struct normal *n, double seconds)
{
	double	 end = tl_now() + seconds;

	do {
		normal_step(n);
		usleep(50000);
	} while (tl_now() < end);
}

/* Close the normal client after checking it was served. */
static void
normal_finish(struct normal *n)
{
	ck_assert_msg(n->calls > 0, "the normal client made no call");
	tl_close(n->conn);
	free(n->agent);
}

/* Return whether a connection is closed (1), silent (0), or fail. */
static int
closed_now(struct tl_conn *conn, const char *what)
{
	enum tl_read	 rc;
	char		*line;

	rc = tl_read_line(conn, 0, &line);
	ck_assert_msg(rc != TL_READ_LINE, "%s: unexpected line %.300s", what,
	    line);
	return (rc == TL_READ_EOF);
}

/* Queue text on a load client's output. */
static void
load_queue(struct load_client *c, const char *text, size_t length)
{
	if (c->out_used + length > c->out_size) {
		c->out_size = (c->out_used + length) * 2;
		ck_assert((c->out = realloc(c->out, c->out_size)) != NULL);
	}
	memcpy(c->out + c->out_used, text, length);
	c->out_used += length;
}

/* Queue the load client's next call, chosen at random, or the last. */
static void
load_send_one(struct load_client *c, const struct load_expect *expect)
{
	char		 line[512];
	const char	*method, *agent = c->agent;
	enum load_kind	 kind;
	uint32_t	 r;
	int		 id = ++c->sent, length;

	if (id == LOAD_CALLS)
		kind = LOAD_FINAL;
	else if ((r = next_random(&c->random) % 100) < 30)
		kind = LOAD_ACT;
	else if (r < 45)
		kind = LOAD_TRIGGER_ACT;
	else if (r < 60)
		kind = LOAD_GET;
	else if (r < 72)
		kind = LOAD_READY;
	else if (r < 80)
		kind = LOAD_TIME;
	else if (r < 88)
		kind = LOAD_CONNECTIONS;
	else if (r < 94)
		kind = LOAD_AGENTS;
	else if (r < 97)
		kind = LOAD_STATUS;
	else
		kind = LOAD_MISSING;
	c->kinds[id] = kind;
	switch (kind) {
	case LOAD_READY:
	case LOAD_TIME:
	case LOAD_STATUS:
		method = kind == LOAD_READY ? "is_ready" : kind == LOAD_TIME ?
		    "get_time" : "status";
		length = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\","
		    "\"id\":%d,\"method\":\"%s\"}\n", id, method);
		break;
	case LOAD_AGENTS:
		length = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\","
		    "\"id\":%d,\"method\":\"get_agents\",\"params\":"
		    "{\"type\":\"noop\"}}\n", id);
		break;
	case LOAD_ACT:
		c->increments++;
		length = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\","
		    "\"id\":%d,\"method\":\"agent.act\",\"params\":{\"agent\":"
		    "\"%s\",\"args\":{\"by\":1}}}\n", id, agent);
		break;
	case LOAD_TRIGGER_ACT:
		c->increments++;
		length = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\","
		    "\"id\":%d,\"method\":\"trigger_act\",\"params\":"
		    "{\"agent\":\"%s\"}}\n", id, agent);
		break;
	case LOAD_MISSING:
		agent = expect->missing;
		/* FALLTHROUGH */
	case LOAD_GET:
	case LOAD_FINAL:
	case LOAD_CONNECTIONS:
		method = kind == LOAD_CONNECTIONS ? "agent.get_connections" :
		    "agent.get";
		length = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\","
		    "\"id\":%d,\"method\":\"%s\",\"params\":{\"agent\":"
		    "\"%s\"}}\n", id, method, agent);
		break;
	default:
		ck_abort_msg("kind %d", kind);
	}
	ck_assert((size_t)length < sizeof line);
	load_queue(c, line, (size_t)length);
	c->inflight++;
}

/* Queue calls up to the window; the last one once all others are in. */
static void
load_fill(struct load_client *c, const struct load_expect *expect)
{
	while (c->inflight < LOAD_WINDOW && c->sent < LOAD_CALLS - 1)
		load_send_one(c, expect);
	if (c->sent == LOAD_CALLS - 1 && c->inflight == 0)
		load_send_one(c, expect);
}

/* Return a reply's integer result, failing on anything else. */
static int64_t
load_int(const struct load_client *c, int id, struct json_object *result,
    const char *line)
{
	ck_assert_msg(json_object_is_type(result, json_type_int), "client %d "
	    "id %d: no integer result in %.300s", c->index, id, line);
	return (json_object_get_int64(result));
}

/* Check one reply line against the call its id names. */
static void
load_check(struct load_client *c, const struct load_expect *expect,
    const char *line)
{
	struct json_object	*reply, *member, *result = NULL, *error;
	enum load_kind		 kind;
	int64_t			 value, id;

	reply = json_tokener_parse(line);
	ck_assert_msg(reply != NULL && json_object_is_type(reply,
	    json_type_object), "client %d: no JSON object: %.300s", c->index,
	    line);
	ck_assert_msg(json_object_object_get_ex(reply, "jsonrpc", &member) &&
	    strcmp(json_object_get_string(member), "2.0") == 0, "client %d: "
	    "%.300s", c->index, line);
	ck_assert_msg(json_object_object_get_ex(reply, "id", &member) &&
	    json_object_is_type(member, json_type_int), "client %d: a reply "
	    "without an integer id (refused?): %.300s", c->index, line);
	id = json_object_get_int64(member);
	ck_assert_msg(id >= 1 && id <= c->sent && !c->answered[id], "client "
	    "%d: id %lld was not asked or was answered already: %.300s",
	    c->index, (long long)id, line);
	c->answered[id] = 1;
	c->inflight--;
	c->received++;
	kind = c->kinds[id];
	if (kind == LOAD_MISSING) {
		ck_assert_msg(json_object_object_get_ex(reply, "error",
		    &error) && json_object_object_get_ex(error, "code",
		    &member) && json_object_get_int(member) ==
		    E_AGENT_NOT_FOUND, "client %d id %lld: want -32001, got "
		    "%.300s", c->index, (long long)id, line);
		json_object_put(reply);
		return;
	}
	ck_assert_msg(!json_object_object_get_ex(reply, "error", &error) &&
	    json_object_object_get_ex(reply, "result", &result), "client %d "
	    "id %lld (kind %d): %.300s", c->index, (long long)id, kind, line);
	switch (kind) {
	case LOAD_READY:
		ck_assert_msg(json_object_is_type(result, json_type_boolean) &&
		    json_object_get_boolean(result), "is_ready: %.300s", line);
		break;
	case LOAD_TIME:
		ck_assert_msg((json_object_is_type(result, json_type_double) ||
		    json_object_is_type(result, json_type_int)) &&
		    json_object_get_double(result) == 0, "get_time: %.300s",
		    line);
		break;
	case LOAD_AGENTS:
		ck_assert_msg(json_object_equal(result, expect->noops),
		    "get_agents: %.300s", line);
		break;
	case LOAD_STATUS:
		ck_assert_msg(json_object_is_type(result, json_type_object) &&
		    json_object_object_get_ex(result, "role", &member) &&
		    strcmp(json_object_get_string(member), "master") == 0 &&
		    json_object_object_get_ex(result, "agents", &member) &&
		    json_object_get_int64(member) == expect->agents &&
		    json_object_object_get_ex(result, "slaves", &member) &&
		    json_object_array_length(member) == 2, "status: %.500s",
		    line);
		break;
	case LOAD_ACT:
	case LOAD_TRIGGER_ACT:
		/* Increments are atomic: each count is returned once. */
		value = load_int(c, (int)id, result, line);
		ck_assert_msg(value >= 1 && value <= c->increments &&
		    !c->counts[value], "client %d id %lld: count %lld after "
		    "%lld increments (or seen before)", c->index,
		    (long long)id, (long long)value,
		    (long long)c->increments);
		c->counts[value] = 1;
		break;
	case LOAD_GET:
		value = load_int(c, (int)id, result, line);
		ck_assert_msg(value >= 0 && value <= c->increments, "client "
		    "%d: agent.get %lld after %lld increments", c->index,
		    (long long)value, (long long)c->increments);
		break;
	case LOAD_CONNECTIONS:
		ck_assert_msg(json_object_is_type(result, json_type_array) &&
		    json_object_array_length(result) == 0, "client %d: "
		    "agent.get_connections: %.300s", c->index, line);
		break;
	case LOAD_FINAL:
		value = load_int(c, (int)id, result, line);
		ck_assert_msg(value == c->increments, "client %d: its counter "
		    "is %lld after %lld increments", c->index,
		    (long long)value, (long long)c->increments);
		c->done = 1;
		break;
	default:
		ck_abort_msg("kind %d", kind);
	}
	json_object_put(reply);
}

/* Read what a load client has, check every whole line, queue more. */
static void
load_read(struct load_client *c, const struct load_expect *expect)
{
	char	*start, *newline;
	ssize_t	 n;

	if (c->in_size - c->in_used < 65536) {
		c->in_size = c->in_size * 2 + 65536;
		ck_assert((c->in = realloc(c->in, c->in_size)) != NULL);
	}
	n = recv(c->fd, c->in + c->in_used, c->in_size - c->in_used,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	ck_assert_msg(n > 0, "client %d: the connection %s after %d replies",
	    c->index, n == 0 ? "closed" : strerror(errno), c->received);
	c->in_used += (size_t)n;
	start = c->in;
	while ((newline = memchr(start, '\n', c->in_used -
	    (size_t)(start - c->in))) != NULL) {
		*newline = '\0';
		load_check(c, expect, start);
		start = newline + 1;
	}
	c->in_used -= (size_t)(start - c->in);
	memmove(c->in, start, c->in_used);
	load_fill(c, expect);
}

/* Write what a load client has queued, as much as the socket takes. */
static void
load_write(struct load_client *c)
{
	ssize_t	 n;

	while (c->out_start < c->out_used) {
		n = send(c->fd, c->out + c->out_start, c->out_used -
		    c->out_start, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		ck_assert_msg(n > 0, "client %d: send: %s", c->index,
		    strerror(errno));
		c->out_start += (size_t)n;
	}
	c->out_start = c->out_used = 0;
}

/* Connect every load client without blocking, then wait for them all. */
static void
load_connect(struct load_client *clients, uint16_t port)
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	socklen_t		 length;
	int			 i, error;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < LOAD_CLIENTS; i++) {
		clients[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		ck_assert_msg(clients[i].fd != -1, "socket: %s",
		    strerror(errno));
		ck_assert_msg(connect(clients[i].fd, (struct sockaddr *)&sin,
		    sizeof sin) == 0 || errno == EINPROGRESS, "client %d: "
		    "connect: %s", i, strerror(errno));
	}
	for (i = 0; i < LOAD_CLIENTS; i++) {
		pfd.fd = clients[i].fd;
		pfd.events = POLLOUT;
		ck_assert_msg(poll(&pfd, 1, (int)(TL_TIMEOUT * 1000)) == 1,
		    "client %d: no connection in %.0f s", i, TL_TIMEOUT);
		length = sizeof error;
		ck_assert(getsockopt(clients[i].fd, SOL_SOCKET, SO_ERROR,
		    &error, &length) == 0);
		ck_assert_msg(error == 0, "client %d: connection refused: %s",
		    i, strerror(error));
	}
}

/*
 * 500 clients at once, 1,000 mixed calls each, every reply checked,
 * none refused, and the daemons' memory back near its baseline after.
 */
START_TEST(test_load)
{
	struct master		*m;
	struct load_client	*clients;
	struct load_expect	 expect;
	struct json_object	*counters;
	struct pollfd		*pfds;
	int			*which;
	char			 missing[64];
	long long		 baseline, after = 0;
	double			 deadline;
	int			 i, n, finished = 0, rc;

	limit_asan_quarantine();
	m = master_start(NULL, NULL);
	expect.noops = tl_okf(m->conn, "spawn_n", "{\"type\":\"noop\","
	    "\"n\":%d}", LOAD_NOOPS);
	counters = tl_okf(m->conn, "spawn_n", "{\"type\":\"counter\","
	    "\"n\":%d}", LOAD_CLIENTS);
	ck_assert_int_eq(json_object_array_length(counters), LOAD_CLIENTS);
	snprintf(missing, sizeof missing, "tcp://127.0.0.1:%u/999999",
	    m->ports[0]);
	expect.missing = missing;
	expect.agents = LOAD_CLIENTS + LOAD_NOOPS;
	baseline = master_rss(m);

	clients = calloc(LOAD_CLIENTS, sizeof *clients);
	pfds = calloc(LOAD_CLIENTS, sizeof *pfds);
	which = calloc(LOAD_CLIENTS, sizeof *which);
	ck_assert(clients != NULL && pfds != NULL && which != NULL);
	for (i = 0; i < LOAD_CLIENTS; i++) {
		clients[i].index = i;
		clients[i].agent = json_object_get_string(
		    json_object_array_get_idx(counters, (size_t)i));
		clients[i].random = 2463534242U + (uint32_t)i * 7919U;
	}
	load_connect(clients, m->daemon->port);
	/* All of them at once: the master has accepted every one. */
	master_wait_connections(m, LOAD_CLIENTS + 1, TL_TIMEOUT);

	deadline = tl_now() + LOAD_DEADLINE;
	for (i = 0; i < LOAD_CLIENTS; i++) {
		load_fill(&clients[i], &expect);
		load_write(&clients[i]);
	}
	while (finished < LOAD_CLIENTS) {
		ck_assert_msg(tl_now() < deadline, "the load is not done after "
		    "%.0f s: %d of %d clients finished", LOAD_DEADLINE,
		    finished, LOAD_CLIENTS);
		for (i = n = 0; i < LOAD_CLIENTS; i++) {
			if (clients[i].fd == -1)
				continue;
			pfds[n].fd = clients[i].fd;
			pfds[n].events = POLLIN;
			if (clients[i].out_used > clients[i].out_start)
				pfds[n].events |= POLLOUT;
			pfds[n].revents = 0;
			which[n++] = i;
		}
		rc = poll(pfds, (nfds_t)n, 100);
		ck_assert_msg(rc >= 0 || errno == EINTR, "poll: %s",
		    strerror(errno));
		for (i = 0; i < n && rc > 0; i++) {
			struct load_client	*c = &clients[which[i]];

			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
				load_read(c, &expect);
			if (c->out_used > c->out_start)
				load_write(c);
			if (c->done) {
				ck_assert_int_eq(c->received, LOAD_CALLS);
				close(c->fd);
				c->fd = -1;
				finished++;
			}
		}
	}

	/* Every client has gone: the memory comes back. */
	master_wait_connections(m, 1, TL_TIMEOUT);
	master_assert_healthy(m, LOAD_CLIENTS + LOAD_NOOPS);
	deadline = tl_now() + 10;
	while ((after = master_rss(m)) > baseline + LOAD_RSS_MARGIN &&
	    tl_now() < deadline)
		usleep(100000);
	ck_assert_msg(after <= baseline + LOAD_RSS_MARGIN, "the master and "
	    "slaves hold %lld bytes after the load, %lld before", after,
	    baseline);

	for (i = 0; i < LOAD_CLIENTS; i++) {
		free(clients[i].in);
		free(clients[i].out);
	}
	free(clients);
	free(pfds);
	free(which);
	json_object_put(counters);
	json_object_put(expect.noops);
	master_stop(m);
}
END_TEST

/*
 * Return whether a slow sender has been cut off: its one line must be
 * the -32003 "line unfinished" error, then the end; fail on anything
 * else.
 */
static int
cut_off_now(struct tl_conn *conn)
{
	struct json_object	*response, *error;
	enum tl_read		 rc;
	char			*line;

	rc = tl_read_line(conn, 0, &line);
	if (rc == TL_READ_TIMEOUT)
		return (0);
	ck_assert_msg(rc == TL_READ_LINE, "the slow sender was closed "
	    "without the line-deadline error");
	response = tl_json(line);
	free(line);
	ck_assert_msg(json_object_object_get_ex(response, "error", &error) &&
	    tl_int(error, "code") == -32003 && strstr(json_object_get_string(
	    json_object_object_get(error, "message")), "line unfinished") !=
	    NULL, "the slow sender got %s",
	    json_object_to_json_string(response));
	json_object_put(response);
	ck_assert_msg(tl_read_line(conn, TL_TIMEOUT, &line) == TL_READ_EOF,
	    "the slow sender was not closed after its error");
	return (1);
}

/*
 * A client that trickles its request a byte a second is not idle, but a
 * line must end within idle_timeout of its first byte: it gets -32003
 * and is cut off, not before idle_timeout and long before its line is
 * whole. One that stops sending mid-line is cut off by idle_timeout, not
 * before. The normal client is served all along.
 */
START_TEST(test_slow_sender)
{
	static const char	 request[] = "{\"jsonrpc\":\"2.0\",\"id\":7,"
				    "\"method\":\"is_ready\"}\n";
	struct master		*m;
	struct normal		 normal;
	struct tl_conn		*slow, *stalled;
	double			 started, closed_at = 0, cut_at = 0;
	size_t			 i, length = sizeof request - 1;

	m = master_start("idle_timeout=3", NULL);
	normal_start(&normal, m);
	master_control(m, 0);
	slow = tl_connect(m->daemon->port);
	stalled = tl_connect(m->daemon->port);
	tl_send_raw(stalled, request, length / 2);
	started = tl_now();

	for (i = 0; i < length && cut_at == 0; i++) {
		tl_send_raw(slow, request + i, 1);
		normal_run(&normal, SLOW_BYTE_INTERVAL);
		if (cut_off_now(slow))
			cut_at = tl_now() - started;
		if (closed_at == 0 && closed_now(stalled, "the stalled one"))
			closed_at = tl_now() - started;
	}
	ck_assert_msg(cut_at >= 2.5, "the slow sender was cut off after "
	    "%.1f s (0: not at all, after all %zu bytes); idle_timeout is 3 s",
	    cut_at, length);
	while (closed_at == 0 && tl_now() - started < SLOW_CLOSE_WAIT) {
		normal_run(&normal, 0.1);
		if (closed_now(stalled, "the stalled one"))
			closed_at = tl_now() - started;
	}
	ck_assert_msg(closed_at >= 2.5, "the client that stalled mid-line "
	    "was closed after %.1f s (0: not in %.0f s), idle_timeout is 3 s",
	    closed_at, SLOW_CLOSE_WAIT);
	normal_step(&normal);
	ck_assert_int_eq(status_int(normal.conn, "connections"), 1);
	tl_close(slow);
	tl_close(stalled);
	normal_finish(&normal);
	master_control(m, 1);
	master_assert_healthy(m, 1);
	master_stop(m);
}
END_TEST

/*
 * A client that sends calls and never reads the replies: the master
 * stops reading it once max_output is queued (its sends block), keeps
 * its memory, and closes it when nothing could be written for
 * idle_timeout; the normal client is served all the while.
 */
START_TEST(test_never_reads)
{
	static const char	 request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"get_agents\"}\n";
	const size_t		 count = 500000, size = sizeof request - 1;
	struct master		*m;
	struct normal		 normal;
	struct tl_conn		*slow;
	struct json_object	*agents, *reply;
	long long		 before, during;
	double			 end, stalled;
	enum tl_read		 rc;
	char			*buffer, *line;
	size_t			 i, sent = 0, lines = 0;

	limit_asan_quarantine();
	m = master_start("max_output=65536", "idle_timeout=2");
	agents = tl_ok(m->conn, "spawn_n", "{\"type\":\"noop\",\"n\":40}");
	json_object_put(agents);
	normal_start(&normal, m);
	master_control(m, 0);
	before = master_rss(m);

	ck_assert((buffer = malloc(count * size)) != NULL);
	for (i = 0; i < count; i++)
		memcpy(buffer + i * size, request, size);
	slow = tl_connect(m->daemon->port);
	end = tl_now() + 3;
	stalled = tl_now();
	while (tl_now() < end && sent < count * size) {
		i = tl_send_some(slow, buffer + sent, count * size - sent,
		    0.1);
		if (i > 0)
			stalled = tl_now();
		sent += i;
		normal_step(&normal);
	}
	ck_assert_msg(sent < count * size, "the master read all %zu requests "
	    "of a client that reads no reply", count);
	during = master_rss(m);
	ck_assert_msg(during - before < LOAD_RSS_MARGIN, "the master and "
	    "slaves grew from %lld to %lld bytes for a client that does not "
	    "read (%zu requests sent)", before, during, sent / size);

	/* Closed by idle_timeout (nothing written for 2 s), others served. */
	end = tl_now() + SLOW_CLOSE_WAIT;
	while (status_int(normal.conn, "connections") != 1 && tl_now() < end)
		normal_run(&normal, 0.2);
	ck_assert_msg(status_int(normal.conn, "connections") == 1, "the "
	    "client that never reads is still connected %.1f s after its "
	    "sends stalled (idle_timeout 2 s)", tl_now() - stalled);
	/* What was written reaches it, then the end. */
	end = tl_now() + 10;
	while ((rc = tl_read_line(slow, 1, &line)) == TL_READ_LINE &&
	    tl_now() < end) {
		reply = tl_json(line);
		free(line);
		ck_assert_int_eq(tl_int(reply, "id"), 1);
		ck_assert_int_eq(json_object_array_length(
		    tl_response_result(reply)), 41);
		json_object_put(reply);
		lines++;
	}
	ck_assert_msg(rc == TL_READ_EOF, "no end of the connection after %zu "
	    "replies", lines);
	tl_close(slow);
	free(buffer);
	normal_step(&normal);
	normal_finish(&normal);
	master_control(m, 1);
	master_assert_healthy(m, 41);
	master_stop(m);
}
END_TEST

/* Close a connection with a reset rather than a FIN. */
static void
close_with_reset(struct tl_conn *conn)
{
	struct linger	 linger = { 1, 0 };

	setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
	tl_close(conn);
}

/*
 * Clients that leave mid-line, mid-batch, by a reset, or with hundreds
 * of calls in flight to the slaves: the master forgets them, answers to
 * them go nowhere, the agents stay consistent, and the normal client is
 * served all the while.
 */
START_TEST(test_disconnects)
{
	static const char	 half_line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"agent.ac";
	static const char	 half_batch[] = "[{\"jsonrpc\":\"2.0\","
				    "\"id\":1,\"method\":\"is_ready\"},{\"js";
	struct master		*m;
	struct normal		 normal;
	struct tl_conn		*conn;
	struct json_object	*result;
	char			*burst, *p, *target;
	int64_t			 count;
	int			 i, j;

	m = master_start(NULL, NULL);
	normal_start(&normal, m);
	result = tl_ok(m->conn, "spawn", "{\"type\":\"counter\"}");
	ck_assert((target = strdup(json_object_get_string(result))) != NULL);
	json_object_put(result);
	ck_assert((burst = malloc(400 * 160)) != NULL);

	for (i = 0; i < 40; i++) {
		conn = tl_connect(m->daemon->port);
		tl_send_raw(conn, half_line, strlen(half_line));
		tl_close(conn);

		conn = tl_connect(m->daemon->port);
		tl_send_raw(conn, half_batch, strlen(half_batch));
		close_with_reset(conn);

		/* Calls in flight to both slaves, then gone. */
		conn = tl_connect(m->daemon->port);
		for (p = burst, j = 0; j < 200; j++) {
			p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
			    "\"method\":\"%s\",\"params\":{\"agent\":\"%s\"}}"
			    "\n", j, j % 2 ? "trigger_act" : "agent.get",
			    target);
			p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
			    "\"method\":\"get_agents\"}\n", j + 1000);
		}
		tl_send_raw(conn, burst, (size_t)(p - burst));
		if (i % 2)
			close_with_reset(conn);
		else
			tl_close(conn);
		normal_step(&normal);
	}
	master_wait_connections(m, 2, TL_TIMEOUT);
	normal_step(&normal);

	/* The target counter is whole: the next increment is one more. */
	result = tl_okf(m->conn, "agent.get", "{\"agent\":\"%s\"}", target);
	count = json_object_get_int64(result);
	ck_assert_msg(count > 0 && count <= 40 * 100, "after the bursts the "
	    "counter is %s", tl_json_text(result));
	json_object_put(result);
	result = tl_okf(m->conn, "agent.act", "{\"agent\":\"%s\"}", target);
	ck_assert_int_eq(json_object_get_int64(result), count + 1);
	json_object_put(result);

	free(burst);
	free(target);
	normal_finish(&normal);
	master_assert_healthy(m, 2);
	master_stop(m);
}
END_TEST

/*
 * max_connections 50: with the normal client connected first, 49 more
 * are served, the 51st and later get the -32010 line and are closed,
 * the normal client still works, and once some close, as many new ones
 * are served.
 */
START_TEST(test_connection_limit)
{
	static const char	 refusal[] = "{\"jsonrpc\":\"2.0\",\"id\":"
				    "null,\"error\":{\"code\":-32010,"
				    "\"message\":"
				    "\"too many connections (max_connections "
				    "50)\"}}";
	struct master		*m;
	struct normal		 normal;
	struct tl_conn		*conns[49], *extra;
	struct json_object	*ready;
	char			*line;
	size_t			 i;

	m = master_start("max_connections=50", NULL);
	/* The test's own control connection is the normal client here. */
	memset(&normal, 0, sizeof normal);
	normal.conn = m->conn;
	ready = tl_ok(m->conn, "spawn", "{\"type\":\"counter\"}");
	ck_assert((normal.agent = strdup(json_object_get_string(ready))) !=
	    NULL);
	json_object_put(ready);
	normal_step(&normal);

	for (i = 0; i < 49; i++) {
		conns[i] = tl_connect(m->daemon->port);
		ready = tl_ok(conns[i], "is_ready", NULL);
		tl_assert_json(ready, "true");
		json_object_put(ready);
	}
	ck_assert_int_eq(status_int(m->conn, "connections"), 50);
	for (i = 0; i < 5; i++) {
		extra = tl_connect(m->daemon->port);
		line = tl_expect_line(extra, TL_TIMEOUT);
		ck_assert_msg(strcmp(line, refusal) == 0, "connection %zu "
		    "over the limit got %s", 51 + i, line);
		free(line);
		tl_expect_eof(extra, TL_TIMEOUT);
		tl_close(extra);
		normal_step(&normal);
	}

	/* Ten leave: ten new ones are served, and the next is refused. */
	for (i = 0; i < 10; i++)
		tl_close(conns[i]);
	master_wait_connections(m, 40, TL_TIMEOUT);
	for (i = 0; i < 10; i++) {
		conns[i] = tl_connect(m->daemon->port);
		ready = tl_ok(conns[i], "is_ready", NULL);
		tl_assert_json(ready, "true");
		json_object_put(ready);
	}
	extra = tl_connect(m->daemon->port);
	line = tl_expect_line(extra, TL_TIMEOUT);
	ck_assert_msg(strcmp(line, refusal) == 0, "%s", line);
	free(line);
	tl_close(extra);
	for (i = 0; i < 49; i++) {
		ready = tl_ok(conns[i], "is_ready", NULL);
		json_object_put(ready);
		tl_close(conns[i]);
	}
	normal_step(&normal);
	free(normal.agent);
	master_wait_connections(m, 1, TL_TIMEOUT);
	master_assert_healthy(m, 1);
	master_stop(m);
}
END_TEST

/* The load suite. */
Suite *
suite_load(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("load");
	tcase = tcase_create("load");
	tcase_set_timeout(tcase, LOAD_TEST_TIMEOUT);
	tcase_add_test(tcase, test_load);
	suite_add_tcase(suite, tcase);

	tcase = tcase_create("slow clients");
	tcase_set_timeout(tcase, SLOW_TEST_TIMEOUT);
	tcase_add_test(tcase, test_slow_sender);
	tcase_add_test(tcase, test_never_reads);
	tcase_add_test(tcase, test_disconnects);
	tcase_add_test(tcase, test_connection_limit);
	suite_add_tcase(suite, tcase);
	return (suite);
}
