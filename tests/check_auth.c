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
 * End-to-end tests of the cluster key, against the real daemon: with
 * --key, nothing but the handshake (auth.challenge, auth.prove) is served
 * until the peer has proved it holds the key, unauthorised calls get
 * -32005 and the third closes the connection, the log names the peer; a
 * wrong key, a replayed or reflected proof and a reused server nonce are
 * refused; the daemon's own client (agent calls, master to slaves) checks
 * the server's proof and will not talk to an impostor; key files that
 * others can read, or of the wrong size, stop the daemon at start; and
 * without a key nothing but loopback is listened on unless --insecure.
 *
 * The handshake is computed here with OpenSSL (testlib's tl_auth*), from
 * the definition, not with the daemon's code: every test fails if the
 * protection it names is taken out.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "testlib.h"

#define E_METHOD_NOT_FOUND	-32601
#define E_UNAUTHORISED		-32005
#define E_CONNECTION_LOST	-32009

#define AUTH_TEST_TIMEOUT	60	/* seconds per test */
#define AUTH_LOG_WAIT		3.0	/* seconds for a log line */
#define AUTH_STOP_WAIT		20.0	/* seconds to stop a master */

Suite	*suite_auth(void);

/* Make a key file of length random bytes and mode in dir; a new path. */
static char *
new_key(const char *dir, const char *name, size_t length, mode_t mode)
{
	char	*path;

	path = tl_path(dir, name);
	tl_write_key(path, length, mode);
	return (path);
}

/* Call a method expecting -32005 unauthorised, with a message. */
static void
expect_unauthorised(struct tl_conn *conn, const char *method,
    const char *params)
{
	struct json_object	*error;

	error = tl_err(conn, E_UNAUTHORISED, method, params);
	ck_assert_msg(strlen(tl_string(error, "message")) > 0, "%s: an empty "
	    "message", method);
	json_object_put(error);
}

/* Check that a connection is served: is_ready answers true. */
static void
assert_served(struct tl_conn *conn)
{
	struct json_object	*ready;

	ready = tl_ok(conn, "is_ready", NULL);
	tl_assert_json(ready, "true");
	json_object_put(ready);
}

/*
 * auth.challenge with a client nonce; copies the server's nonce and
 * proof (TL_AUTH_HEX bytes each) after checking their form.
 */
static void
challenge(struct tl_conn *conn, const char *nonce, char *server_nonce,
    char *server_proof)
{
	struct json_object	*result;
	const char		*text;

	result = tl_okf(conn, "auth.challenge", "{\"nonce\":\"%s\"}", nonce);
	text = tl_string(result, "nonce");
	ck_assert_msg(strlen(text) == TL_AUTH_HEX - 1, "server nonce %s",
	    text);
	memcpy(server_nonce, text, TL_AUTH_HEX);
	text = tl_string(result, "proof");
	ck_assert_msg(strlen(text) == TL_AUTH_HEX - 1, "server proof %s",
	    text);
	memcpy(server_proof, text, TL_AUTH_HEX);
	json_object_put(result);
}

/* auth.prove with a proof, expecting -32005. */
static void
prove_refused(struct tl_conn *conn, const char *proof)
{
	struct json_object	*error;

	error = tl_errf(conn, E_UNAUTHORISED, "auth.prove",
	    "{\"proof\":\"%s\"}", proof);
	json_object_put(error);
}

/* auth.prove with a proof, expecting true. */
static void
prove_accepted(struct tl_conn *conn, const char *proof)
{
	struct json_object	*result;

	result = tl_okf(conn, "auth.prove", "{\"proof\":\"%s\"}", proof);
	tl_assert_json(result, "true");
	json_object_put(result);
}

/* The whole handshake with a given client nonce, checking both proofs. */
static void
auth_with_nonce(struct tl_conn *conn, const char *key, const char *nonce)
{
	char	 server_nonce[TL_AUTH_HEX], server_proof[TL_AUTH_HEX];
	char	 expected[TL_AUTH_HEX], proof[TL_AUTH_HEX];

	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(key, "server", nonce, server_nonce, expected);
	ck_assert_str_eq(server_proof, expected);
	tl_auth_proof(key, "client", server_nonce, nonce, proof);
	prove_accepted(conn, proof);
}

/* Return the local port of a connection (the daemon's peer port). */
static unsigned int
local_port(const struct tl_conn *conn)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;

	ck_assert_msg(getsockname(conn->fd, (struct sockaddr *)&sin,
	    &length) == 0, "getsockname: %s", strerror(errno));
	return (ntohs(sin.sin_port));
}

/*
 * Wait for the daemon's stderr to hold a line with both needles; fail
 * the test (showing the log) if it does not within AUTH_LOG_WAIT.
 */
static void
expect_log(const struct tl_daemon *d, const char *first, const char *second)
{
	double	 deadline = tl_now() + AUTH_LOG_WAIT;
	char	*log, *line, *end;
	int	 found = 0;

	for (;;) {
		log = tl_daemon_stderr(d);
		for (line = log; !found && line != NULL && *line != '\0';
		    line = end != NULL ? end + 1 : NULL) {
			if ((end = strchr(line, '\n')) != NULL)
				*end = '\0';
			found = strstr(line, first) != NULL &&
			    strstr(line, second) != NULL;
			if (end != NULL)
				*end = '\n';
		}
		if (found || tl_now() >= deadline)
			break;
		free(log);
		usleep(20000);
	}
	ck_assert_msg(found, "no line with \"%s\" and \"%s\" in the log:\n%s",
	    first, second, log);
	free(log);
}

/* Check that a run refused to start: no port, exit non-zero, a reason. */
static void
expect_refused(struct tl_run *run, const char *what, const char *needle)
{
	ck_assert_msg(tl_exit_code(&run->exit) > 0, "%s: %s (want a non-zero "
	    "exit); stderr:\n%s", what, tl_exit_string(&run->exit), run->err);
	ck_assert_msg(run->out[0] == '\0', "%s: printed \"%s\" on stdout",
	    what, run->out);
	ck_assert_msg(strstr(run->err, needle) != NULL, "%s: no \"%s\" in "
	    "stderr:\n%s", what, needle, run->err);
}

/*
 * Without the key every method is refused with -32005, requests,
 * notifications and batches alike, nothing runs, and the third refusal
 * closes the connection.
 */
START_TEST(test_unauthorised_calls)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response, *agents;
	const char		*dir = tl_tempdir();
	char			*key, *line;
	size_t			 i;

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);

	conn = tl_connect(d->port);
	expect_unauthorised(conn, "is_ready", NULL);
	expect_unauthorised(conn, "spawn", "{\"type\":\"counter\"}");
	expect_unauthorised(conn, "stop", NULL);
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	/* Notifications are refused silently, and count. */
	conn = tl_connect(d->port);
	for (i = 0; i < 3; i++)
		tl_send_line(conn, "{\"jsonrpc\":\"2.0\",\"method\":\"spawn\","
		    "\"params\":{\"type\":\"counter\"}}");
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	/* In a batch, each element is refused. */
	conn = tl_connect(d->port);
	tl_send_line(conn, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"is_ready\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"spawn\","
	    "\"params\":{\"type\":\"counter\"}}]");
	line = tl_expect_line(conn, TL_TIMEOUT);
	response = tl_json(line);
	free(line);
	ck_assert_msg(json_object_is_type(response, json_type_array) &&
	    json_object_array_length(response) == 2, "batch: %s",
	    tl_json_text(response));
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(tl_response_code(tl_index(response, i)),
		    E_UNAUTHORISED);
		ck_assert_int_eq(tl_int(tl_index(response, i), "id"),
		    (int64_t)i + 1);
	}
	json_object_put(response);
	conn->next_id = 3;
	expect_unauthorised(conn, "get_agents", NULL);
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	/* Nothing ran: no agent, no stop. */
	ck_assert_msg(tl_pid_alive(d->pid), "an unauthorised stop stopped "
	    "the daemon");
	conn = tl_connect(d->port);
	tl_auth(conn, key);
	agents = tl_ok(conn, "get_agents", NULL);
	tl_assert_json(agents, "[]");
	json_object_put(agents);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/*
 * Three unauthorised calls in one batch: each gets its -32005 in the
 * batch's reply, and then the connection closes ("closed once that
 * reply has been sent", creamasd(8)).
 */
START_TEST(test_unauthorised_batch)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response;
	const char		*dir = tl_tempdir();
	char			*key, *line;
	size_t			 i;

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);
	conn = tl_connect(d->port);
	tl_send_line(conn, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"is_ready\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"get_agents\"},{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
	    "\"stop\"}]");
	line = tl_expect_line(conn, TL_TIMEOUT);
	response = tl_json(line);
	free(line);
	ck_assert_msg(json_object_is_type(response, json_type_array) &&
	    json_object_array_length(response) == 3, "batch: %s",
	    tl_json_text(response));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(tl_response_code(tl_index(response, i)),
		    E_UNAUTHORISED);
	json_object_put(response);
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);
	ck_assert(tl_pid_alive(d->pid));
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/*
 * The right handshake opens every method: spawn, trigger_all, an agent
 * call; client nonces of 32 and of 128 hex digits both do.
 */
START_TEST(test_handshake)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*result;
	const char		*dir = tl_tempdir();
	char			*key, nonce[129];

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);

	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	result = tl_ok(conn, "spawn_n", "{\"type\":\"counter\",\"n\":3}");
	ck_assert_int_eq(json_object_array_length(result), 3);
	json_object_put(result);
	result = tl_ok(conn, "trigger_all", "{\"results\":true}");
	ck_assert_int_eq(tl_int(result, "agents"), 3);
	ck_assert_int_eq(tl_int(result, "failed"), 0);
	tl_assert_json(tl_member(result, "results"), "[1,1,1]");
	json_object_put(result);
	result = tl_ok(conn, "agent.get", "{\"agent\":2}");
	tl_assert_json(result, "1");
	json_object_put(result);
	tl_close(conn);

	conn = tl_connect(d->port);
	memset(nonce, '7', 32);
	nonce[32] = '\0';
	auth_with_nonce(conn, key, nonce);
	assert_served(conn);
	tl_close(conn);

	conn = tl_connect(d->port);
	memset(nonce, 'a', 128);
	nonce[128] = '\0';
	auth_with_nonce(conn, key, nonce);
	assert_served(conn);
	tl_close(conn);

	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/* Client nonces that are too short, too long or no lowercase hex. */
START_TEST(test_bad_nonces)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*dir = tl_tempdir();
	char			*key, nonce[160];

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);

	conn = tl_connect(d->port);
	memset(nonce, '1', 31);
	nonce[31] = '\0';
	json_object_put(tl_errf(conn, E_UNAUTHORISED, "auth.challenge",
	    "{\"nonce\":\"%s\"}", nonce));
	memset(nonce, '1', 129);
	nonce[129] = '\0';
	json_object_put(tl_errf(conn, E_UNAUTHORISED, "auth.challenge",
	    "{\"nonce\":\"%s\"}", nonce));
	expect_unauthorised(conn, "auth.challenge", "{\"nonce\":"
	    "\"ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEF\"}");
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	conn = tl_connect(d->port);
	expect_unauthorised(conn, "auth.challenge", "{\"nonce\":12345}");
	expect_unauthorised(conn, "auth.challenge", "{}");
	expect_unauthorised(conn, "auth.challenge", "{\"nonce\":"
	    "\"gggggggggggggggggggggggggggggggggggggggg\"}");
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/*
 * Three challenges on one connection are answered, each with a new
 * server nonce; a fourth is an unauthorised call, and so on to the
 * close.
 */
START_TEST(test_challenge_limit)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*dir = tl_tempdir();
	char			*key, nonce[TL_AUTH_HEX];
	char			 server_nonces[3][TL_AUTH_HEX];
	char			 server_proof[TL_AUTH_HEX];
	size_t			 i;

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);
	conn = tl_connect(d->port);
	tl_auth_nonce(nonce);
	for (i = 0; i < 3; i++) {
		challenge(conn, nonce, server_nonces[i], server_proof);
		ck_assert_msg(i == 0 || strcmp(server_nonces[i],
		    server_nonces[i - 1]) != 0, "the same server nonce twice");
	}
	for (i = 0; i < 3; i++)
		json_object_put(tl_errf(conn, E_UNAUTHORISED, "auth.challenge",
		    "{\"nonce\":\"%s\"}", nonce));
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);
	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/*
 * A client with another key: the server's proof does not check out
 * under that key (it does under the right one), and the client's proof
 * is refused; the connection stays unauthorised and is closed.
 */
START_TEST(test_wrong_key)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*dir = tl_tempdir();
	char			*key, *other;
	char			 nonce[TL_AUTH_HEX], mine[TL_AUTH_HEX];
	char			 server_nonce[TL_AUTH_HEX];
	char			 server_proof[TL_AUTH_HEX];

	key = new_key(dir, "key", 32, 0600);
	other = new_key(dir, "other", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);

	conn = tl_connect(d->port);
	tl_auth_nonce(nonce);
	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(other, "server", nonce, server_nonce, mine);
	ck_assert_msg(strcmp(server_proof, mine) != 0, "a client with another "
	    "key takes the server's proof for good");
	tl_auth_proof(key, "server", nonce, server_nonce, mine);
	ck_assert_msg(strcmp(server_proof, mine) == 0, "the server's proof is "
	    "not HMAC-SHA256 under its key: %s", server_proof);
	tl_auth_proof(other, "client", server_nonce, nonce, mine);
	prove_refused(conn, mine);
	expect_unauthorised(conn, "is_ready", NULL);
	expect_unauthorised(conn, "is_ready", NULL);
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	/* A proof that is no hex at all, or of the wrong length. */
	conn = tl_connect(d->port);
	challenge(conn, nonce, server_nonce, server_proof);
	prove_refused(conn, "not a proof");
	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(key, "client", server_nonce, nonce, mine);
	mine[TL_AUTH_HEX - 2] = '\0';
	prove_refused(conn, mine);
	tl_close(conn);

	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
	free(other);
}
END_TEST

/*
 * The daemon's own client checks the server's proof: a daemon with one
 * key calling an agent on a daemon with another key gives up after the
 * challenge ("did not prove"), while a daemon with the same key gets its
 * answer.
 */
START_TEST(test_daemon_checks_server)
{
	struct tl_daemon	*a, *b, *c;
	struct tl_conn		*ca, *cb, *cc;
	struct json_object	*ponger, *result;
	const char		*dir = tl_tempdir();
	char			*key, *other;

	key = new_key(dir, "key", 32, 0600);
	other = new_key(dir, "other", 32, 0600);
	a = tl_daemon_start("--key", key, "--plugin",
	    tl_plugin_path("pingpong"), NULL);
	b = tl_daemon_start("--key", other, "--plugin",
	    tl_plugin_path("pingpong"), NULL);
	c = tl_daemon_start("--key", key, "--plugin",
	    tl_plugin_path("pingpong"), NULL);
	ca = tl_connect(a->port);
	cb = tl_connect(b->port);
	cc = tl_connect(c->port);
	tl_auth(ca, key);
	tl_auth(cb, other);
	tl_auth(cc, key);
	ponger = tl_ok(ca, "spawn", "{\"type\":\"ponger\"}");
	json_object_put(tl_ok(cb, "spawn", "{\"type\":\"pinger\"}"));
	json_object_put(tl_ok(cc, "spawn", "{\"type\":\"pinger\"}"));
	json_object_put(tl_okf(cb, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", json_object_get_string(ponger)));
	json_object_put(tl_okf(cc, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"%s\"}", json_object_get_string(ponger)));

	/* The same key: the call goes through. */
	json_object_put(tl_ok(cc, "trigger_all", "{\"timeout\":5}"));
	result = tl_ok(cc, "agent.replies", "{\"agent\":1}");
	tl_assert_json(result, "1");
	json_object_put(result);
	result = tl_ok(cc, "agent.errors", "{\"agent\":1}");
	tl_assert_json(result, "0");
	json_object_put(result);

	/* Another key: b sees that a's proof is not made with its key. */
	json_object_put(tl_ok(cb, "trigger_all", "{\"timeout\":5}"));
	result = tl_ok(cb, "agent.errors", "{\"agent\":1}");
	tl_assert_json(result, "1");
	json_object_put(result);
	result = tl_ok(cb, "agent.last_error", "{\"agent\":1}");
	ck_assert_msg(strstr(tl_string(result, "message"), "did not prove") !=
	    NULL, "the caller with another key did not find the server's "
	    "proof wrong: %s", tl_json_text(result));
	json_object_put(result);
	result = tl_ok(ca, "agent.pings", "{\"agent\":1}");
	tl_assert_json(result, "1");
	json_object_put(result);

	json_object_put(ponger);
	tl_close(ca);
	tl_close(cb);
	tl_close(cc);
	tl_daemon_stop_clean(a);
	tl_daemon_stop_clean(b);
	tl_daemon_stop_clean(c);
	free(key);
	free(other);
}
END_TEST

/*
 * Play an impostor that holds no key for a pinger on a daemon with one:
 * start the daemon and the round, take the daemon's connection, check
 * that the challenge comes first and answer it with a made-up proof.
 * Returns the impostor's end; the round's reply is still to be read.
 */
static struct tl_conn *
impostor_start(const char *key, struct tl_daemon **d, struct tl_conn **conn,
    int *listen_fd)
{
	struct tl_conn		*peer;
	struct json_object	*request, *params;
	char			 nonce[TL_AUTH_HEX], proof[TL_AUTH_HEX];
	uint16_t		 port;

	*d = tl_daemon_start("--key", key, "--plugin",
	    tl_plugin_path("pingpong"), NULL);
	*conn = tl_connect((*d)->port);
	tl_auth(*conn, key);
	json_object_put(tl_ok(*conn, "spawn", "{\"type\":\"pinger\"}"));
	*listen_fd = tl_listen(&port);
	json_object_put(tl_okf(*conn, "agent.add_connection",
	    "{\"agent\":1,\"addr\":\"tcp://127.0.0.1:%u/1\"}", port));
	tl_send_call(*conn, 100, "trigger_all", "{\"timeout\":5}");
	(*conn)->next_id = 101;

	peer = tl_accept(*listen_fd, TL_TIMEOUT);
	ck_assert_msg(peer != NULL, "the pinger never connected");
	request = tl_read_json(peer, TL_TIMEOUT);
	ck_assert_msg(strcmp(tl_string(request, "method"), "auth.challenge") ==
	    0, "the first thing a daemon with a key sends is %s",
	    tl_json_text(request));
	params = tl_member(request, "params");
	ck_assert_msg(strlen(tl_string(params, "nonce")) >= 32, "%s",
	    tl_json_text(request));
	tl_auth_nonce(nonce);
	tl_auth_nonce(proof);
	tl_send_linef(peer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":"
	    "{\"nonce\":\"%s\",\"proof\":\"%s\"}}",
	    (long long)tl_int(request, "id"), nonce, proof);
	json_object_put(request);
	return (peer);
}

/* Read the round's reply and the pinger's failed call; stop the daemon. */
static void
impostor_finish(struct tl_daemon *d, struct tl_conn *conn)
{
	struct json_object	*response, *result;

	response = tl_read_json(conn, TL_TIMEOUT);
	ck_assert_int_eq(tl_int(response, "id"), 100);
	ck_assert_int_eq(tl_int(tl_response_result(response), "agents"), 1);
	json_object_put(response);
	result = tl_ok(conn, "agent.errors", "{\"agent\":1}");
	tl_assert_json(result, "1");
	json_object_put(result);
	result = tl_ok(conn, "agent.last_error", "{\"agent\":1}");
	ck_assert_msg(strstr(tl_string(result, "message"), "did not prove") !=
	    NULL, "%s", tl_json_text(result));
	json_object_put(result);
	tl_close(conn);
	tl_daemon_stop_clean(d);
}

/*
 * An impostor that holds no key answers the daemon's challenge with a
 * made-up proof and would accept anything: the daemon sends it nothing
 * more (no proof of its own, no call) and the call fails.
 */
START_TEST(test_impostor_server)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *peer;
	const char		*dir = tl_tempdir();
	char			*key, *line;
	enum tl_read		 rc;
	int			 listen_fd;

	key = new_key(dir, "key", 32, 0600);
	peer = impostor_start(key, &d, &conn, &listen_fd);
	rc = tl_read_line(peer, 1.0, &line);
	ck_assert_msg(rc != TL_READ_LINE, "after a made-up server proof the "
	    "daemon went on with %s", line);
	tl_close(peer);
	close(listen_fd);
	impostor_finish(d, conn);
	free(key);
}
END_TEST

/*
 * Having found the impostor out, the daemon hangs up on it rather than
 * holding the connection (and a descriptor) until its next call there.
 */
START_TEST(test_impostor_hung_up)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *peer;
	const char		*dir = tl_tempdir();
	char			*key;
	int			 listen_fd;

	key = new_key(dir, "key", 32, 0600);
	peer = impostor_start(key, &d, &conn, &listen_fd);
	tl_expect_eof(peer, TL_TIMEOUT);
	tl_close(peer);
	close(listen_fd);
	impostor_finish(d, conn);
	free(key);
}
END_TEST

/*
 * A recorded proof is worth nothing elsewhere: replayed on another
 * connection, without a challenge or after one with the same client
 * nonce, it is refused (the server's nonce is new); so are the server's
 * own proof sent back, and a proof the server was made to compute on
 * another connection.
 */
START_TEST(test_replay)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *other;
	const char		*dir = tl_tempdir();
	char			*key;
	char			 nonce[TL_AUTH_HEX], proof[TL_AUTH_HEX];
	char			 server_nonce[TL_AUTH_HEX];
	char			 server_proof[TL_AUTH_HEX];
	char			 again[TL_AUTH_HEX];
	char			 again_proof[TL_AUTH_HEX];

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);

	/* The exchange recorded. */
	conn = tl_connect(d->port);
	tl_auth_nonce(nonce);
	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(key, "client", server_nonce, nonce, proof);
	prove_accepted(conn, proof);
	assert_served(conn);
	tl_close(conn);

	/* Replayed: alone, then after the same challenge. */
	conn = tl_connect(d->port);
	prove_refused(conn, proof);
	challenge(conn, nonce, again, again_proof);
	ck_assert_msg(strcmp(again, server_nonce) != 0, "the server gave the "
	    "same nonce twice: %s", again);
	prove_refused(conn, proof);
	expect_unauthorised(conn, "is_ready", NULL);
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);

	/* Reflected: the server's proof is no client's proof. */
	conn = tl_connect(d->port);
	tl_auth_nonce(nonce);
	challenge(conn, nonce, server_nonce, server_proof);
	prove_refused(conn, server_proof);
	tl_close(conn);

	/*
	 * The server as an oracle: a second connection challenges with the
	 * first one's server nonce; the proof it gets does not open the
	 * first.
	 */
	conn = tl_connect(d->port);
	other = tl_connect(d->port);
	tl_auth_nonce(nonce);
	challenge(conn, nonce, server_nonce, server_proof);
	challenge(other, server_nonce, again, again_proof);
	prove_refused(conn, again_proof);
	challenge(other, nonce, again, again_proof);
	prove_refused(conn, again_proof);
	tl_close(conn);
	tl_close(other);

	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/*
 * A server nonce proves once: after a wrong proof the right one for the
 * same nonce is refused (no guessing), a newer challenge voids the older
 * nonce, and a second auth.prove after success opens nothing new.
 */
START_TEST(test_nonce_single_use)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*response;
	const char		*dir = tl_tempdir();
	char			*key, *other;
	char			 nonce[TL_AUTH_HEX], proof[TL_AUTH_HEX];
	char			 server_nonce[TL_AUTH_HEX];
	char			 server_proof[TL_AUTH_HEX];
	char			 newer[TL_AUTH_HEX];

	key = new_key(dir, "key", 32, 0600);
	other = new_key(dir, "other", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);

	conn = tl_connect(d->port);
	tl_auth_nonce(nonce);
	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(other, "client", server_nonce, nonce, proof);
	prove_refused(conn, proof);
	tl_auth_proof(key, "client", server_nonce, nonce, proof);
	prove_refused(conn, proof);
	/* Two failures: a fresh challenge still gets through. */
	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(key, "client", server_nonce, nonce, proof);
	prove_accepted(conn, proof);
	assert_served(conn);
	tl_close(conn);

	conn = tl_connect(d->port);
	tl_auth_nonce(nonce);
	challenge(conn, nonce, server_nonce, server_proof);
	challenge(conn, nonce, newer, server_proof);
	tl_auth_proof(key, "client", server_nonce, nonce, proof);
	prove_refused(conn, proof);
	challenge(conn, nonce, server_nonce, server_proof);
	tl_auth_proof(key, "client", server_nonce, nonce, proof);
	prove_accepted(conn, proof);
	/* Once in, auth.prove is no method to call again. */
	response = tl_callf(conn, "auth.prove", "{\"proof\":\"%s\"}", proof);
	ck_assert_msg(!json_object_object_get_ex(response, "result", NULL),
	    "a second auth.prove with a used nonce: %s",
	    tl_json_text(response));
	tl_response_code(response);
	json_object_put(response);
	assert_served(conn);
	tl_close(conn);

	tl_daemon_stop_clean(d);
	free(key);
	free(other);
}
END_TEST

/*
 * A key file with any group or other permission bit is refused at start
 * (exit non-zero, a message saying chmod), whether given by --key, -o or
 * the configuration file; 0600 and 0400 are fine.
 */
START_TEST(test_key_file_mode)
{
	static const mode_t	 bad[] = { 0644, 0640, 0604, 0660, 0620,
				    0610, 0606, 0602, 0601, 0666, 0777 };
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct tl_run		 run;
	const char		*dir = tl_tempdir();
	char			*key, *config, *text, what[64];
	char			 option[4200];
	size_t			 i;

	key = tl_path(dir, "key");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tl_write_key(key, 32, bad[i]);
		snprintf(what, sizeof what, "--key with mode %04o",
		    (unsigned)bad[i]);
		tl_start_fail(&run, "--key", key, NULL);
		expect_refused(&run, what, "chmod");
		tl_run_free(&run);
	}

	tl_write_key(key, 32, 0644);
	snprintf(option, sizeof option, "key=%s", key);
	tl_start_fail(&run, "-o", option, NULL);
	expect_refused(&run, "-o key= with mode 0644", "chmod");
	tl_run_free(&run);
	config = tl_path(dir, "creamasd.conf");
	if (asprintf(&text, "# a key others can read\nkey = \"%s\"\n", key) ==
	    -1)
		ck_abort_msg("out of memory");
	tl_write_file(config, text);
	free(text);
	tl_start_fail(&run, "-f", config, NULL);
	expect_refused(&run, "key = in a configuration file, mode 0644",
	    "chmod");
	tl_run_free(&run);

	/* The owner's bits alone are fine, read-only or read-write. */
	tl_write_key(key, 32, 0400);
	d = tl_daemon_start("-f", config, NULL);
	conn = tl_connect(d->port);
	expect_unauthorised(conn, "is_ready", NULL);
	tl_close(conn);
	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	ck_assert_int_eq(chmod(key, 0600), 0);
	d = tl_daemon_start("--key", key, NULL);
	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(config);
	free(key);
}
END_TEST

/*
 * Keys are 16 to 4096 bytes: shorter or longer files, an empty one, a
 * missing one and a folder are refused at start.
 */
START_TEST(test_key_size)
{
	static const size_t	 bad[] = { 0, 1, 8, 15, 4097, 8192 };
	static const size_t	 good[] = { 16, 4096 };
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct tl_run		 run;
	const char		*dir = tl_tempdir();
	char			*key, *missing, what[64];
	size_t			 i;

	key = tl_path(dir, "key");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tl_write_key(key, bad[i], 0600);
		snprintf(what, sizeof what, "a key of %zu bytes", bad[i]);
		tl_start_fail(&run, "--key", key, NULL);
		expect_refused(&run, what, "16");
		tl_run_free(&run);
	}
	missing = tl_path(dir, "missing");
	tl_start_fail(&run, "--key", missing, NULL);
	expect_refused(&run, "a missing key file", missing);
	tl_run_free(&run);
	free(missing);
	tl_start_fail(&run, "--key", dir, NULL);
	expect_refused(&run, "a folder as key file", dir);
	tl_run_free(&run);

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		tl_write_key(key, good[i], 0600);
		d = tl_daemon_start("--key", key, NULL);
		conn = tl_connect(d->port);
		tl_auth(conn, key);
		assert_served(conn);
		tl_close(conn);
		tl_daemon_stop_clean(d);
	}
	free(key);
}
END_TEST

/*
 * Without a key, listening beyond loopback is refused at start with a
 * message naming --key and --insecure; --insecure (or insecure = yes)
 * allows it with a warning, and so does a key. Only 127.0.0.1 is
 * connected to.
 */
START_TEST(test_exposure)
{
	static const char	*wildcards[] = { "0.0.0.0:0", "[::]:0" };
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct tl_run		 run;
	const char		*dir = tl_tempdir();
	char			*key, *err, option[64];
	size_t			 i;

	for (i = 0; i < sizeof wildcards / sizeof wildcards[0]; i++) {
		tl_start_fail(&run, "--listen", wildcards[i], NULL);
		expect_refused(&run, wildcards[i], "--key");
		expect_refused(&run, wildcards[i], "--insecure");
		tl_run_free(&run);
		snprintf(option, sizeof option, "listen=%s", wildcards[i]);
		tl_start_fail(&run, "-o", option, "-o", "insecure=no", NULL);
		expect_refused(&run, option, "--insecure");
		tl_run_free(&run);
	}

	d = tl_daemon_start("--listen", "0.0.0.0:0", "--insecure", NULL);
	conn = tl_connect(d->port);
	assert_served(conn);
	tl_close(conn);
	err = tl_daemon_stderr(d);
	ck_assert_msg(strstr(err, "without a key") != NULL, "no warning for "
	    "--insecure in:\n%s", err);
	free(err);
	tl_daemon_stop_clean(d);

	d = tl_daemon_start("-o", "listen=0.0.0.0:0", "-o", "insecure=yes",
	    NULL);
	conn = tl_connect(d->port);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);

	/* With a key, any address will do; the key is asked for. */
	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--listen", "0.0.0.0:0", "--key", key, NULL);
	conn = tl_connect(d->port);
	expect_unauthorised(conn, "is_ready", NULL);
	tl_close(conn);
	conn = tl_connect(d->port);
	tl_auth(conn, key);
	assert_served(conn);
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/* Return 1 if a process's command line holds the bytes of a file. */
static int
cmdline_holds_file(pid_t pid, const char *path)
{
	char		 name[64], cmdline[65536], key[8192];
	ssize_t		 cmdline_length, key_length;
	int		 fd;

	snprintf(name, sizeof name, "/proc/%ld/cmdline", (long)pid);
	ck_assert_msg((fd = open(name, O_RDONLY)) != -1, "%s: %s", name,
	    strerror(errno));
	cmdline_length = read(fd, cmdline, sizeof cmdline);
	close(fd);
	ck_assert_msg((fd = open(path, O_RDONLY)) != -1, "%s: %s", path,
	    strerror(errno));
	key_length = read(fd, key, sizeof key);
	close(fd);
	ck_assert(cmdline_length > 0 && key_length >= 16);
	/* Any 8 bytes of the key in a row would be too many. */
	return (memmem(cmdline, (size_t)cmdline_length, key, 8) != NULL);
}

/*
 * A master with --key: its slaves ask for the key too (a direct call
 * without it is refused, logged with the caller's address), and the
 * master works end to end through them, agent calls from one slave to
 * the other included: master to slave and slave to slave authenticate.
 */
START_TEST(test_master_key)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *direct;
	struct json_object	*status, *slaves, *result, *address;
	const char		*dir = tl_tempdir();
	struct tl_exit		 e;
	char			*key, *pinger, *ponger, needle[64];
	pid_t			 pids[2];
	uint16_t		 ports[2];
	size_t			 i;

	key = new_key(dir, "key", 32, 0600);
	tl_adopt_orphans();
	d = tl_daemon_start("--role", "master", "--slaves", "2", "--key", key,
	    "--plugin", tl_plugin_path("pingpong"), NULL);
	conn = tl_connect(d->port);
	conn->timeout = AUTH_STOP_WAIT;
	expect_unauthorised(conn, "status", NULL);
	tl_auth(conn, key);
	status = tl_ok(conn, "status", NULL);
	slaves = tl_member(status, "slaves");
	ck_assert_int_eq(json_object_array_length(slaves), 2);
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(tl_string(tl_index(slaves, i), "state"),
		    "ready");
		pids[i] = (pid_t)tl_int(tl_index(slaves, i), "pid");
		address = tl_member(tl_index(slaves, i), "address");
		ports[i] = (uint16_t)strtoul(strrchr(
		    json_object_get_string(address), ':') + 1, NULL, 10);
		ck_assert_msg(ports[i] != 0, "%s", tl_json_text(address));
	}
	json_object_put(status);

	for (i = 0; i < 2; i++) {
		ck_assert_msg(!cmdline_holds_file(pids[i], key), "slave %ld "
		    "has the key on its command line", (long)pids[i]);
		direct = tl_connect(ports[i]);
		expect_unauthorised(direct, "is_ready", NULL);
		snprintf(needle, sizeof needle, "127.0.0.1:%u",
		    local_port(direct));
		expect_unauthorised(direct, "spawn", "{\"type\":\"counter\"}");
		expect_unauthorised(direct, "stop", NULL);
		tl_expect_eof(direct, TL_TIMEOUT);
		tl_close(direct);
		expect_log(d, needle, "unauthorised");
		ck_assert_msg(tl_pid_alive(pids[i]), "slave %ld stopped by an "
		    "unauthorised stop", (long)pids[i]);
		direct = tl_connect(ports[i]);
		tl_auth(direct, key);
		assert_served(direct);
		tl_close(direct);
	}

	/* End to end through the master. */
	result = tl_ok(conn, "spawn_n", "{\"type\":\"counter\",\"n\":4}");
	ck_assert_int_eq(json_object_array_length(result), 4);
	json_object_put(result);
	result = tl_ok(conn, "trigger_all", "{\"results\":true}");
	ck_assert_int_eq(tl_int(result, "agents"), 4);
	ck_assert_int_eq(tl_int(result, "failed"), 0);
	tl_assert_json(tl_member(result, "results"), "[1,1,1,1]");
	json_object_put(result);

	/* From a pinger on slave 0 to a ponger on slave 1. */
	result = tl_ok(conn, "spawn_n", "{\"type\":\"pinger\",\"n\":1,"
	    "\"slave\":0}");
	pinger = strdup(json_object_get_string(tl_index(result, 0)));
	json_object_put(result);
	result = tl_ok(conn, "spawn_n", "{\"type\":\"ponger\",\"n\":1,"
	    "\"slave\":1}");
	ponger = strdup(json_object_get_string(tl_index(result, 0)));
	json_object_put(result);
	ck_assert(pinger != NULL && ponger != NULL);
	json_object_put(tl_okf(conn, "agent.add_connection",
	    "{\"agent\":\"%s\",\"addr\":\"%s\"}", pinger, ponger));
	result = tl_ok(conn, "trigger_all", "{\"timeout\":5}");
	ck_assert_int_eq(tl_int(result, "failed"), 0);
	json_object_put(result);
	result = tl_okf(conn, "agent.errors", "{\"agent\":\"%s\"}", pinger);
	tl_assert_json(result, "0");
	json_object_put(result);
	result = tl_okf(conn, "agent.replies", "{\"agent\":\"%s\"}", pinger);
	tl_assert_json(result, "1");
	json_object_put(result);
	result = tl_okf(conn, "agent.pings", "{\"agent\":\"%s\"}", ponger);
	tl_assert_json(result, "1");
	json_object_put(result);

	result = tl_ok(conn, "stop", NULL);
	tl_assert_json(result, "true");
	json_object_put(result);
	e = tl_daemon_wait(d, AUTH_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "master: %s", tl_exit_string(&e));
	for (i = 0; i < 2; i++)
		ck_assert_msg(!tl_pid_alive(pids[i]), "slave %ld still runs",
		    (long)pids[i]);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	tl_close(conn);
	tl_daemon_free(d);
	free(pinger);
	free(ponger);
	free(key);
}
END_TEST

/*
 * The log names the peer address of every unauthorised call, and of the
 * connection it closes.
 */
START_TEST(test_log_names_peer)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	const char		*dir = tl_tempdir();
	char			*key, needle[64];

	key = new_key(dir, "key", 32, 0600);
	d = tl_daemon_start("--key", key, NULL);
	conn = tl_connect(d->port);
	snprintf(needle, sizeof needle, "127.0.0.1:%u", local_port(conn));
	expect_unauthorised(conn, "get_agents", NULL);
	expect_log(d, needle, "get_agents");
	expect_log(d, needle, "unauthorised");
	json_object_put(tl_err(conn, E_UNAUTHORISED, "auth.prove",
	    "{\"proof\":\"00\"}"));
	expect_log(d, needle, "auth.prove");
	expect_unauthorised(conn, "spawn", "{\"type\":\"noop\"}");
	tl_expect_eof(conn, TL_TIMEOUT);
	expect_log(d, needle, "closing");
	tl_close(conn);
	tl_daemon_stop_clean(d);
	free(key);
}
END_TEST

/* The authentication suite. */
Suite *
suite_auth(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("auth");
	tcase = tcase_create("handshake");
	tcase_set_timeout(tcase, AUTH_TEST_TIMEOUT);
	tcase_add_test(tcase, test_unauthorised_calls);
	tcase_add_test(tcase, test_unauthorised_batch);
	tcase_add_test(tcase, test_handshake);
	tcase_add_test(tcase, test_bad_nonces);
	tcase_add_test(tcase, test_challenge_limit);
	tcase_add_test(tcase, test_wrong_key);
	tcase_add_test(tcase, test_daemon_checks_server);
	tcase_add_test(tcase, test_impostor_server);
	tcase_add_test(tcase, test_impostor_hung_up);
	tcase_add_test(tcase, test_replay);
	tcase_add_test(tcase, test_nonce_single_use);
	tcase_add_test(tcase, test_log_names_peer);
	suite_add_tcase(suite, tcase);

	tcase = tcase_create("start-up");
	tcase_set_timeout(tcase, AUTH_TEST_TIMEOUT);
	tcase_add_test(tcase, test_key_file_mode);
	tcase_add_test(tcase, test_key_size);
	tcase_add_test(tcase, test_exposure);
	suite_add_tcase(suite, tcase);

	tcase = tcase_create("master");
	tcase_set_timeout(tcase, 2 * AUTH_TEST_TIMEOUT);
	tcase_add_test(tcase, test_master_key);
	suite_add_tcase(suite, tcase);
	return (suite);
}
