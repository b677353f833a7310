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
 * Fuzz what a client reads from its peer (common/client.c), as a hostile
 * slave could answer its master, or a hostile peer an agent's calls. A
 * client connects over loopback TCP to a socket of this process and has
 * four calls in flight, ids 1 to 4: a plain call, a call kept as text
 * and two batched calls; the input is what the peer writes back before
 * it closes. Every call must be answered exactly once, with a result or
 * an error, whatever came; a reply kept as text must be a line that the
 * scanner finds valid, its result's span within it.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"
#include "fuzz.h"
#include "jsonspan.h"
#include "limit.h"

#define FUZZ_CALLS	4		/* in flight on each input */
#define FUZZ_TURNS	100000		/* of the loop, before giving up */
#define FUZZ_MAX_REPLY	1024		/* a reply line, to reach the cap */

static struct event_base	*fuzz_base;
static int			 fuzz_listener = -1;
static uint16_t			 fuzz_port;

/* How many times each call was answered. */
static int			 fuzz_answered[FUZZ_CALLS];

/* Make the base and the socket clients connect to, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;

	(void)argc;
	(void)argv;
	fuzz_keep_stderr();
	/* As the daemon does: a write to a closed peer is an error. */
	signal(SIGPIPE, SIG_IGN);
	fuzz_base = event_base_new();
	fuzz_listener = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	FUZZ_CHECK(fuzz_base != NULL && fuzz_listener != -1 &&
	    bind(fuzz_listener, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    listen(fuzz_listener, 8) == 0 &&
	    getsockname(fuzz_listener, (struct sockaddr *)&sin,
	    &length) == 0, "%s", "no loopback socket to connect to");
	fuzz_port = ntohs(sin.sin_port);
	return (0);
}

/* Count an answer to call n. */
static void
fuzz_count(int n)
{
	fuzz_answered[n]++;
}

/* A plain or batched call's answer (JSON's null is a NULL result). */
static void
fuzz_reply_cb(struct json_object *result, struct json_object *error,
    void *arg)
{
	(void)result;
	(void)error;
	fuzz_count((int)(intptr_t)arg);
}

/* A text call's answer: a valid line holding its span, or an error. */
static void
fuzz_text_cb(char *line, size_t length, size_t start, size_t end,
    struct json_object *error, void *arg)
{
	int	 n = (int)(intptr_t)arg;

	if (line != NULL) {
		FUZZ_CHECK(start <= end && end <= length &&
		    jsonspan_valid(line, length, JSONSPAN_MAX_DEPTH) == 1,
		    "a text reply [%zu, %zu) of %zu bytes: %.*s", start, end,
		    length, (int)length, line);
		free(line);
	}
	FUZZ_CHECK(line != NULL || error != NULL, "text call %d got neither "
	    "a line nor an error", n + 1);
	fuzz_count(n);
}

/* Put the client's four calls in flight. */
static void
fuzz_calls(struct client *client)
{
	client_call(client, "plain", json_object_new_object(), 10,
	    fuzz_reply_cb, (void *)(intptr_t)0);
	client_call_text(client, "text", NULL, 10, fuzz_text_cb,
	    (void *)(intptr_t)1);
	client_call_batched(client, "batched", "{}", 10, fuzz_reply_cb,
	    (void *)(intptr_t)2);
	client_call_batched(client, "batched", "{\"n\":1}", 10,
	    fuzz_reply_cb, (void *)(intptr_t)3);
}

/* Return how many calls are answered, failing on one answered twice. */
static int
fuzz_done(void)
{
	int	 n, done = 0;

	for (n = 0; n < FUZZ_CALLS; n++) {
		FUZZ_CHECK(fuzz_answered[n] <= 1, "call %d answered %d times",
		    n + 1, fuzz_answered[n]);
		done += fuzz_answered[n];
	}
	return (done);
}

/* One input: the peer's whole answer, then its end. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct limits	 limits;
	struct client	*client;
	ssize_t		 sent;
	size_t		 at = 0;
	int		 peer, turns = 0;

	limit_default(&limits);
	limits.max_reply = FUZZ_MAX_REPLY;
	memset(fuzz_answered, 0, sizeof fuzz_answered);
	client = client_new(fuzz_base, "127.0.0.1", fuzz_port, &limits);
	peer = accept(fuzz_listener, NULL, NULL);
	FUZZ_CHECK(peer != -1, "%s", "the client did not connect");
	fuzz_calls(client);
	while (at < size) {
		sent = write(peer, data + at, size - at);
		FUZZ_CHECK(sent > 0, "%s", "the input could not be sent");
		at += (size_t)sent;
	}
	/* The end of the answer; what the client sends is left unread. */
	shutdown(peer, SHUT_WR);
	while (fuzz_done() < FUZZ_CALLS && turns++ < FUZZ_TURNS)
		event_base_loop(fuzz_base, EVLOOP_ONCE);
	close(peer);
	FUZZ_CHECK(fuzz_done() == FUZZ_CALLS, "%d calls of %d answered",
	    fuzz_done(), FUZZ_CALLS);
	client_free(client);
	return (0);
}
