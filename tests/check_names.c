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
 * Agents calling peers by host name, as they do across nodes. Each test
 * runs in a network namespace of its own (so as root) with only a
 * loopback, where it serves the name server that /etc/resolv.conf names
 * itself: one that answers, one that says no such name, or one that
 * never answers. No query leaves the namespace.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

#define E_CONNECTION_LOST	-32009
#define NAMES_PEER		"creamas-peer.test"	/* in no hosts file */
#define NAMES_DNS_PORT		53
#define NAMES_TTL		60
#define NAMES_KEYS		1000	/* keys of a map naming one host */

Suite	*suite_names(void);

/* How the name server of a test answers. */
enum names_server {
	NAMES_ANSWER,		/* 127.0.0.1 and ::1 for any name */
	NAMES_NO_SUCH_NAME,	/* NXDOMAIN for any name */
	NAMES_SILENT		/* never */
};

/* Bring this namespace's loopback up. */
static void
names_loopback_up(void)
{
	struct ifreq	 ifr;
	int		 s;

	ck_assert_int_ge(s = socket(AF_INET, SOCK_DGRAM, 0), 0);
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
	ck_assert_msg(ioctl(s, SIOCGIFFLAGS, &ifr) == 0, "lo: %s",
	    strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	ck_assert_msg(ioctl(s, SIOCSIFFLAGS, &ifr) == 0, "lo up: %s",
	    strerror(errno));
	close(s);
}

/*
 * Move this test (and the daemons it starts) into a network namespace
 * of its own, with its loopback up.
 */
static void
names_isolate(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "a network namespace of "
	    "its own (needs root): %s", strerror(errno));
	names_loopback_up();
}

/*
 * The address of the first name server /etc/resolv.conf names, as the
 * C library's resolver finds it (127.0.0.1 when it names none).
 */
static void
names_server_address(struct sockaddr_storage *ss, socklen_t *length)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 line[256], host[128];
	FILE			*f;

	memset(ss, 0, sizeof *ss);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*length = sizeof *sin;
	if ((f = fopen("/etc/resolv.conf", "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, " nameserver %127s", host) != 1)
			continue;
		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
			break;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			*length = sizeof *sin6;
			break;
		}
	}
	fclose(f);
}

/* Give the loopback an IPv4 address of its own, as an alias. */
static void
names_add_address4(const struct sockaddr_in *sin)
{
	struct ifreq	 ifr;
	int		 s;

	ck_assert_int_ge(s = socket(AF_INET, SOCK_DGRAM, 0), 0);
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, "lo:1", sizeof ifr.ifr_name - 1);
	memcpy(&ifr.ifr_addr, sin, sizeof *sin);
	ck_assert_msg(ioctl(s, SIOCSIFADDR, &ifr) == 0, "lo:1: %s",
	    strerror(errno));
	close(s);
}

/* Give the loopback an IPv6 address of its own. */
static void
names_add_address6(const struct sockaddr_in6 *sin6)
{
	struct {
		struct in6_addr	 addr;
		uint32_t	 prefixlen;
		int		 ifindex;
	}		 req;
	int		 s;

	ck_assert_int_ge(s = socket(AF_INET6, SOCK_DGRAM, 0), 0);
	memset(&req, 0, sizeof req);
	req.addr = sin6->sin6_addr;
	req.prefixlen = 128;
	req.ifindex = (int)if_nametoindex("lo");
	ck_assert_msg(ioctl(s, SIOCSIFADDR, &req) == 0, "lo, IPv6: %s",
	    strerror(errno));
	close(s);
}

/*
 * Bind a UDP socket where the resolver sends its queries, giving the
 * loopback that address first if it is not a loopback address.
 */
static int
names_server_socket(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 length;
	int			 s;

	names_server_address(&ss, &length);
	if (ss.ss_family == AF_INET) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			names_add_address4(sin);
		sin->sin_port = htons(NAMES_DNS_PORT);
	} else {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			names_add_address6(sin6);
		sin6->sin6_port = htons(NAMES_DNS_PORT);
	}
	ck_assert_int_ge(s = socket(ss.ss_family, SOCK_DGRAM, 0), 0);
	ck_assert_msg(bind(s, (struct sockaddr *)&ss, length) == 0,
	    "the name server's address: %s", strerror(errno));
	return (s);
}

/*
 * Make the answer to a query of length bytes in place; its new length,
 * or 0 for a query not of the form. The question is kept; anything after
 * it (EDNS) is not.
 */
static size_t
names_answer(unsigned char *q, size_t length, size_t room,
    enum names_server how)
{
	static const unsigned char	 v4[4] = { 127, 0, 0, 1 };
	static const unsigned char	 v6[16] = { [15] = 1 };
	const unsigned char		*data = NULL;
	size_t				 end = 12, size = 0;
	unsigned int			 type;

	while (end < length && q[end] != 0)
		end += 1 + q[end];
	end += 1 + 4;
	if (length < 12 || end > length)
		return (0);
	type = (unsigned int)q[end - 4] << 8 | q[end - 3];
	if (how == NAMES_ANSWER && type == 1)
		data = v4, size = sizeof v4;
	else if (how == NAMES_ANSWER && type == 28)
		data = v6, size = sizeof v6;
	if (end + 12 + size > room)
		return (0);
	q[2] = 0x84 | (q[2] & 0x01);		/* an answer, with authority */
	q[3] = how == NAMES_NO_SUCH_NAME ? 0x83 : 0x80;
	q[4] = 0, q[5] = 1;			/* one question */
	q[6] = 0, q[7] = data != NULL;		/* and its answer, if any */
	memset(q + 8, 0, 4);
	if (data == NULL)
		return (end);
	memcpy(q + end, (const unsigned char[]){ 0xc0, 12,
	    (unsigned char)(type >> 8), (unsigned char)type, 0, 1,
	    0, 0, 0, NAMES_TTL, 0, (unsigned char)size }, 12);
	memcpy(q + end + 12, data, size);
	return (end + 12 + size);
}

/*
 * The name server's process: answer every query as told, for ever, and
 * write a byte into tally for each.
 */
static void __attribute__((noreturn))
names_serve(int s, enum names_server how, int tally)
{
	unsigned char		 q[512];
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	ssize_t			 n;
	size_t			 length;

	for (;;) {
		fromlen = sizeof from;
		n = recvfrom(s, q, sizeof q, 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n <= 0)
			continue;
		length = names_answer(q, (size_t)n, sizeof q, how);
		if (length > 0 && write(tally, "q", 1) == 1)
			sendto(s, q, length, 0, (struct sockaddr *)&from,
			    fromlen);
	}
}

/*
 * Serve the resolver's name server in this namespace: a process that
 * answers (its pid; *fd then reads a byte for each query answered), or
 * for NAMES_SILENT a socket that is never read (*fd; the pid is -1).
 */
static pid_t
names_server_start(enum names_server how, int *fd)
{
	pid_t	 pid;
	int	 s, tally[2];

	s = names_server_socket();
	if (how == NAMES_SILENT) {
		*fd = s;
		return (-1);
	}
	ck_assert_int_eq(pipe2(tally, O_NONBLOCK), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(tally[0]);
		names_serve(s, how, tally[1]);
	}
	tl_track_pid(pid);
	close(s);
	close(tally[1]);
	*fd = tally[0];
	return (pid);
}

/* Count the queries answered since the last count. */
static size_t
names_server_queries(int tally)
{
	char	 bytes[512];
	ssize_t	 n;
	size_t	 count = 0;

	while ((n = read(tally, bytes, sizeof bytes)) > 0)
		count += (size_t)n;
	return (count);
}

/*
 * Move into a namespace of its own and serve its name server there, as
 * names_server_start() does.
 */
static pid_t
names_setup(enum names_server how, int *fd)
{
	names_isolate();
	return (names_server_start(how, fd));
}

/* Stop a name server process by pid, and close its tally. */
static void
names_server_stop(pid_t pid, int tally)
{
	tl_stop_pid(pid, SIGKILL, TL_SIGNAL_WAIT);
	close(tally);
}

/* Spawn n agents of a type; their addresses (a new reference). */
static struct json_object *
names_spawn(struct tl_conn *conn, const char *type, int n)
{
	return (tl_okf(conn, "spawn_n", "{\"type\":\"%s\",\"n\":%d}", type,
	    n));
}

/*
 * Connect the first pinger of a daemon to count pongers at their
 * addresses by name; the pinger's address (a new reference).
 */
static char *
names_pinger(struct tl_conn *conn, uint16_t port, int count)
{
	struct json_object	*pinger, *added;
	char			*address, *list, *more;
	int			 i;

	pinger = names_spawn(conn, "pinger", 1);
	address = tl_strdup(json_object_get_string(
	    json_object_array_get_idx(pinger, 0)));
	json_object_put(pinger);
	list = tl_strdup("");
	for (i = 1; i <= count; i++) {
		more = tl_printf("%s%s\"tcp://%s:%u/%d\"", list, i > 1 ?
		    "," : "", NAMES_PEER, port, i);
		free(list);
		list = more;
	}
	added = tl_okf(conn, "create_connections", "{\"map\":{\"%s\":[%s]}}",
	    address, list);
	json_object_put(added);
	free(list);
	return (address);
}

/* Return the number of a round's error entries with a code. */
static size_t
names_errors(struct json_object *round, int code, const char *words)
{
	struct json_object	*errors, *entry, *message;
	size_t			 i, count = 0;

	errors = json_object_object_get(round, "errors");
	for (i = 0; i < json_object_array_length(errors); i++) {
		entry = json_object_array_get_idx(errors, i);
		message = json_object_object_get(entry, "message");
		if (json_object_get_int(json_object_object_get(entry,
		    "code")) == code && strstr(json_object_get_string(
		    message), words) != NULL)
			count++;
	}
	return (count);
}

/* Ask an agent for an integer (agent.METHOD). */
static int64_t
names_agent_int(struct tl_conn *conn, const char *agent, const char *method)
{
	struct json_object	*result;
	int64_t			 value;

	result = tl_okf(conn, method, "{\"agent\":\"%s\"}", agent);
	value = json_object_get_int64(result);
	json_object_put(result);
	return (value);
}

/*
 * A pinger calls pongers of another daemon by name: the name's first
 * address is ::1, where nothing listens, so the calls get through only
 * on its next address, 127.0.0.1; every round, every ponger answers.
 */
START_TEST(test_peer_by_name)
{
	struct tl_daemon	*a, *b;
	struct tl_conn		*ca, *cb;
	struct json_object	*round;
	char			*pinger;
	pid_t			 server;
	int			 r, tally;

	server = names_setup(NAMES_ANSWER, &tally);
	a = tl_daemon_start_plugin("pingpong", NULL);
	b = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	json_object_put(names_spawn(cb, "ponger", 3));
	pinger = names_pinger(ca, b->port, 3);
	for (r = 1; r <= 3; r++) {
		round = tl_ok(ca, "trigger_all", NULL);
		ck_assert_msg(json_object_array_length(json_object_object_get(
		    round, "errors")) == 0, "round %d: %s", r,
		    tl_json_text(round));
		json_object_put(round);
		ck_assert_int_eq(names_agent_int(ca, pinger, "agent.replies"),
		    3 * r);
	}
	free(pinger);
	tl_close(ca);
	tl_close(cb);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
	names_server_stop(server, tally);
}
END_TEST

/*
 * A name with no address: every call to it fails with -32009, saying
 * that the name cannot be resolved, and the next round tries again.
 */
START_TEST(test_peer_name_unknown)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*round;
	char			*pinger;
	pid_t			 server;
	int			 r, tally;

	server = names_setup(NAMES_NO_SUCH_NAME, &tally);
	a = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	pinger = names_pinger(ca, 9, 2);
	for (r = 1; r <= 2; r++) {
		round = tl_ok(ca, "trigger_all", NULL);
		ck_assert_msg(names_errors(round, E_CONNECTION_LOST,
		    "cannot resolve " NAMES_PEER) == 2, "round %d: %s", r,
		    tl_json_text(round));
		json_object_put(round);
	}
	ck_assert_int_eq(names_agent_int(ca, pinger, "agent.errors"), 4);
	free(pinger);
	tl_close(ca);
	tl_daemon_stop_clean(a);
	names_server_stop(server, tally);
}
END_TEST

/*
 * A name server that never answers: while the round waits for the
 * lookup, the daemon answers other requests (the lookup is not made in
 * its loop), and it stops cleanly with the lookup still under way.
 */
START_TEST(test_lookup_off_loop)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca, *other;
	struct json_object	*ready;
	struct pollfd		 pfd;
	char			*pinger, *line;
	int			 silent;

	/* The C library's longest wait, and as many tries as it makes. */
	setenv("RES_OPTIONS", "timeout:30 attempts:5", 1);
	names_setup(NAMES_SILENT, &silent);
	a = tl_daemon_start_plugin("pingpong", NULL);
	ca = tl_connect(a->port);
	other = tl_connect(a->port);
	pinger = names_pinger(ca, 9, 1);
	tl_send_call(ca, 1, "trigger_all", NULL);
	pfd.fd = silent;
	pfd.events = POLLIN;
	ck_assert_msg(poll(&pfd, 1, (int)(TL_TIMEOUT * 1000)) == 1,
	    "the round's lookup never reached the name server");
	ready = tl_ok(other, "is_ready", NULL);
	tl_assert_json(ready, "true");
	json_object_put(ready);
	ck_assert_msg(tl_read_line(ca, 0, &line) == TL_READ_TIMEOUT,
	    "the round ended before its lookup: %s", line);
	free(pinger);
	tl_close(other);
	tl_close(ca);
	tl_daemon_stop_clean(a);
	close(silent);
}
END_TEST

/*
 * A create_connections map whose keys name this environment's agents by
 * a name (as a map sent to every node does): the name is looked up once,
 * not once a key, and every key finds its agent.
 */
START_TEST(test_map_keys_by_name)
{
	struct tl_daemon	*a;
	struct tl_conn		*ca;
	struct json_object	*added;
	char			*map, *more;
	size_t			 queries;
	pid_t			 server;
	int			 i, tally;

	server = names_setup(NAMES_ANSWER, &tally);
	a = tl_daemon_start(NULL);
	ca = tl_connect(a->port);
	json_object_put(names_spawn(ca, "noop", NAMES_KEYS));
	map = tl_strdup("");
	for (i = 1; i <= NAMES_KEYS; i++) {
		more = tl_printf("%s%s\"tcp://%s:%u/%d\":[\"tcp://127.0.0.1:"
		    "%u/1\"]", map, i > 1 ? "," : "", NAMES_PEER, a->port, i,
		    a->port);
		free(map);
		map = more;
	}
	for (i = 0; i < 2; i++) {
		added = tl_okf(ca, "create_connections", "{\"map\":{%s}}",
		    map);
		ck_assert_int_eq(json_object_array_length(added), NAMES_KEYS);
		json_object_put(added);
	}
	queries = names_server_queries(tally);
	ck_assert_msg(queries >= 1 && queries <= 4, "%zu queries for %d "
	    "keys of one name, twice", queries, NAMES_KEYS);
	free(map);
	tl_close(ca);
	tl_daemon_stop_clean(a);
	names_server_stop(server, tally);
}
END_TEST

/* Collect the name tests. */
Suite *
suite_names(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("names");
	tc = tcase_create("peers");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_peer_by_name);
	tcase_add_test(tc, test_peer_name_unknown);
	tcase_add_test(tc, test_lookup_off_loop);
	tcase_add_test(tc, test_map_keys_by_name);
	suite_add_tcase(suite, tc);
	return (suite);
}
