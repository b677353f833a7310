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
 * Fuzz request dispatch through the real server. For each input a fresh
 * creamasd environment (env_init(), the built-in agent types, env_listen()
 * on loopback) serves one TCP connection, which sends the input, shuts
 * its side down and reads every reply until the server closes. The line
 * and batch handling, the limits and the backpressure of common/server.c
 * and the dispatcher of daemon/methods.c, agent_methods.c and round.c run
 * as they do in creamasd.
 *
 * An input that starts with the line "#key" is served with a cluster key
 * set, so only the handshake is reachable; that line is not sent.
 *
 * The harness sits between the server and methods_server_dispatch()
 * (linked with --wrap) to keep an input small, FUZZ_AGENTS agents at
 * most and FUZZ_TIMEOUT for rounds and calls, to confine log folders to
 * a private temporary directory.
 * Agents' calls to other environments are wrapped too (client_new()):
 * they all come back to this one, so nothing leaves the machine.
 *
 * Every reply must be a well-formed JSON-RPC response line, and the
 * server must close the connection within FUZZ_HANG_SECONDS of the end of
 * the input.
 * CREAMAS_FUZZ_VERBOSE=1 prints the replies, to see what an input does.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "creamasd.h"
#include "fuzz.h"
#include "log.h"
#include "xmalloc.h"

#define FUZZ_AGENTS		64	/* agents one input may have */
#define FUZZ_SPAWN_N_MAX	100000000 /* methods.c refuses more itself */
#define FUZZ_PORT		17007	/* fixed, for addresses that repeat */
#define FUZZ_HANG_SECONDS	10
#define FUZZ_TIMEOUT		1.0	/* seconds: rounds and agent calls */
#define FUZZ_KEY_LINE		"#key\n"
#define FUZZ_RANDOM_SEED	0x2545f491U

void	__real_methods_server_dispatch(struct server_request *,
	    const struct rpc_request *, void *);
void	__wrap_methods_server_dispatch(struct server_request *,
	    const struct rpc_request *, void *);
struct client *__real_client_new(struct event_base *, const char *, uint16_t,
	    const struct limits *);
struct client *__wrap_client_new(struct event_base *, const char *, uint16_t,
	    const struct limits *);

/* The client end of one input's connection. */
struct fuzz_client {
	struct bufferevent	*bev;
	int			 shut;		/* the input is all sent */
	int			 done;		/* the server closed */
};

static struct event_base	*fuzz_base;
static struct daemon_config	 fuzz_config;
static unsigned char		 fuzz_key_bytes[AUTH_KEY_GENERATED] =
				    "a fixed key for the fuzz target";
static struct auth_key		 fuzz_key = {
	fuzz_key_bytes, sizeof fuzz_key_bytes
};
static char			*fuzz_directory;	/* in TMPDIR or /tmp */
static char			*fuzz_log_folder;
static int			 fuzz_verbose;	/* CREAMAS_FUZZ_VERBOSE */

/* Return why a request would take more than one input may, or NULL. */
static const char *
fuzz_over_budget(const char *method, struct json_object *params)
{
	struct json_object	*n;
	size_t			 agents = env->nagents - 1;
	int64_t			 count;

	if (strcmp(method, "spawn") == 0 && agents >= FUZZ_AGENTS)
		return ("fuzz: no more agents for this input");
	if (strcmp(method, "spawn_n") == 0 &&
	    (n = rpc_param(params, "n")) != NULL &&
	    json_object_is_type(n, json_type_int)) {
		count = json_object_get_int64(n);
		if (count > 0 && count <= FUZZ_SPAWN_N_MAX &&
		    agents + (uint64_t)count > FUZZ_AGENTS)
			return ("fuzz: no more agents for this input");
	}
	return (NULL);
}

/*
 * Point every folder a request names (set_log_folder, stop) at ours, and
 * keep a round's timeout short (round.c refuses one over 1e6 itself).
 */
static void
fuzz_confine(struct json_object *params)
{
	static const char *const keys[] = { "path", "log_folder" };
	struct json_object	*value;
	size_t			 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		value = rpc_param(params, keys[i]);
		if (value != NULL && json_object_is_type(value,
		    json_type_string))
			json_object_object_add(params, keys[i],
			    json_object_new_string(fuzz_log_folder));
	}
	value = rpc_param(params, "timeout");
	if (value != NULL && (json_object_is_type(value, json_type_int) ||
	    json_object_is_type(value, json_type_double)) &&
	    json_object_get_double(value) > FUZZ_TIMEOUT &&
	    json_object_get_double(value) <= 1e6)
		json_object_object_add(params, "timeout",
		    json_object_new_double(FUZZ_TIMEOUT));
}

/* Stand between the server and the dispatcher: keep within budget. */
void
__wrap_methods_server_dispatch(struct server_request *request,
    const struct rpc_request *rpc, void *arg)
{
	const char	*why;

	why = fuzz_over_budget(rpc->method, rpc->params);
	if (why != NULL) {
		server_reply_error(request, rpc_error_new(RPC_TOO_LARGE, why,
		    NULL));
		return;
	}
	fuzz_confine(rpc->params);
	__real_methods_server_dispatch(request, rpc, arg);
}

/*
 * Connect an agent's calls (cr_agent_call(), call.c) to this environment
 * whatever their address says: the calls still go out through a client
 * and come back in through the server, but nothing leaves the machine
 * and no name is looked up.
 */
struct client *
__wrap_client_new(struct event_base *base, const char *host, uint16_t port,
    const struct limits *limits)
{
	return (__real_client_new(base, "127.0.0.1", env->port, limits));
}

/* Check one response as a client must be able to read it. */
static void
fuzz_check_response(struct json_object *response, const char *line)
{
	struct json_object	*version, *error, *member;
	int			 has_result, has_error;

	FUZZ_CHECK(json_object_is_type(response, json_type_object),
	    "a response that is no object: %s", line);
	FUZZ_CHECK(json_object_object_get_ex(response, "jsonrpc", &version) &&
	    json_object_is_type(version, json_type_string) &&
	    strcmp(json_object_get_string(version), "2.0") == 0,
	    "a response without jsonrpc 2.0: %s", line);
	FUZZ_CHECK(json_object_object_get_ex(response, "id", NULL),
	    "a response without an id: %s", line);
	has_result = json_object_object_get_ex(response, "result", NULL);
	has_error = json_object_object_get_ex(response, "error", &error);
	FUZZ_CHECK(has_result != has_error,
	    "a response needs a result or an error, not both: %s", line);
	if (has_error) {
		FUZZ_CHECK(json_object_is_type(error, json_type_object) &&
		    json_object_object_get_ex(error, "code", &member) &&
		    json_object_is_type(member, json_type_int) &&
		    json_object_object_get_ex(error, "message", &member) &&
		    json_object_is_type(member, json_type_string),
		    "a malformed error: %s", line);
	}
}

/* Check one line from the server: a response or a batch of them. */
static void
fuzz_check_reply(const char *line, size_t length)
{
	struct json_object	*value, *error;
	size_t			 i, count;
	int			 rc;

	rc = rpc_parse_line(line, length, &value, &error);
	FUZZ_CHECK(rc == 0, "a reply that does not parse (%s): %s",
	    rc == -1 ? rpc_error_message(error) : "blank", line);
	if (json_object_is_type(value, json_type_array)) {
		count = json_object_array_length(value);
		FUZZ_CHECK(count > 0, "an empty batch reply: %s", line);
		for (i = 0; i < count; i++) {
			fuzz_check_response(json_object_array_get_idx(value,
			    i), line);
		}
	} else
		fuzz_check_response(value, line);
	json_object_put(value);
}

/* Replies came: check every complete line. */
static void
fuzz_client_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*input = bufferevent_get_input(bev);
	char		*line;
	size_t		 length;

	while ((line = evbuffer_readln(input, &length,
	    EVBUFFER_EOL_LF)) != NULL) {
		if (fuzz_verbose)
			fprintf(stderr, "<- %s\n", line);
		fuzz_check_reply(line, length);
		free(line);
	}
}

/* Say that the input is all sent, so the server answers and closes. */
static void
fuzz_client_shut(struct fuzz_client *client)
{
	if (client->shut)
		return;
	client->shut = 1;
	shutdown(bufferevent_getfd(client->bev), SHUT_WR);
}

/* The input has gone out. */
static void
fuzz_client_write_cb(struct bufferevent *bev, void *arg)
{
	fuzz_client_shut(arg);
}

/* The server closed: cleanly, or with a reset when it cut us off. */
static void
fuzz_client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fuzz_client	*client = arg;
	size_t			 left;

	if (what & BEV_EVENT_EOF) {
		left = evbuffer_get_length(bufferevent_get_input(bev));
		FUZZ_CHECK(left == 0, "a last reply of %zu bytes without "
		    "its newline", left);
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client->done = 1;
}

/* The connection outlived its input by far: the server hangs. */
static void
fuzz_hang_cb(evutil_socket_t fd, short events, void *arg)
{
	fuzz_fail(__FILE__, __LINE__, "hang", "the server kept the "
	    "connection open %d s after the end of its input",
	    FUZZ_HANG_SECONDS);
}

/* Connect to the environment's port. */
static void
fuzz_client_connect(struct fuzz_client *client)
{
	struct sockaddr_in	 sin;
	int			 fd;

	memset(client, 0, sizeof *client);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(env->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	FUZZ_CHECK(fd != -1, "socket: %s", strerror(errno));
	FUZZ_CHECK(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect to port %u: %s", env->port, strerror(errno));
	evutil_make_socket_nonblocking(fd);
	client->bev = bufferevent_socket_new(fuzz_base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(client->bev, fuzz_client_read_cb,
	    fuzz_client_write_cb, fuzz_client_event_cb, client);
	bufferevent_enable(client->bev, EV_READ | EV_WRITE);
}

/* Remove what an input wrote into the log folder, and the folder. */
static void
fuzz_clear_log_folder(void)
{
	DIR		*dir;
	struct dirent	*entry;
	char		*path;

	if ((dir = opendir(fuzz_log_folder)) == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		xasprintf(&path, "%s/%s", fuzz_log_folder, entry->d_name);
		unlink(path);
		free(path);
	}
	closedir(dir);
	rmdir(fuzz_log_folder);
}

/* Remove the private directory at exit. */
static void
fuzz_remove_directory(void)
{
	fuzz_clear_log_folder();
	rmdir(fuzz_directory);
}

/* Set up what every input shares: the event base, types, configuration. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*port, *tmpdir;

	fuzz_keep_stderr();
	fuzz_verbose = getenv("CREAMAS_FUZZ_VERBOSE") != NULL;
	signal(SIGPIPE, SIG_IGN);
	log_init(1, 0, "fuzz_dispatch");
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	xasprintf(&fuzz_directory, "%s/creamas-fuzz.XXXXXX", tmpdir);
	FUZZ_CHECK(mkdtemp(fuzz_directory) != NULL, "mkdtemp %s: %s",
	    fuzz_directory, strerror(errno));
	xasprintf(&fuzz_log_folder, "%s/logs", fuzz_directory);
	atexit(fuzz_remove_directory);

	/* creamasd's defaults, with small limits to reach them. */
	settings_defaults(&fuzz_config);
	fuzz_config.limits.max_line = 4096;
	fuzz_config.limits.max_output = 16384;
	fuzz_config.limits.max_inflight = 8;
	fuzz_config.limits.call_timeout = FUZZ_TIMEOUT;
	fuzz_config.round_timeout = FUZZ_TIMEOUT;
	free(fuzz_config.listen);
	if ((port = getenv("CREAMAS_FUZZ_PORT")) == NULL)
		xasprintf(&fuzz_config.listen, "127.0.0.1:%u", FUZZ_PORT);
	else
		xasprintf(&fuzz_config.listen, "127.0.0.1:%s", port);

	fuzz_base = event_base_new();
	FUZZ_CHECK(fuzz_base != NULL, "no event base");
	methods_init();
	builtin_register();
	return (0);
}

/* Serve the input on a fresh environment and check every reply. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_client	 client;
	struct event		*hang;
	struct timeval		 tv = { FUZZ_HANG_SECONDS, 0 };
	size_t			 skip = strlen(FUZZ_KEY_LINE);
	char			*cause;
	int			 i;

	fuzz_config.key = NULL;
	if (size >= skip && memcmp(data, FUZZ_KEY_LINE, skip) == 0) {
		fuzz_config.key = &fuzz_key;
		data += skip;
		size -= skip;
	}
	fuzz_config.limits.key = fuzz_config.key;

	env_init(fuzz_base, &fuzz_config);
	env->random_state = FUZZ_RANDOM_SEED;
	call_init();
	FUZZ_CHECK(env_listen(&cause) == 0, "%s (set CREAMAS_FUZZ_PORT to "
	    "a free port)", cause);

	fuzz_client_connect(&client);
	bufferevent_write(client.bev, data, size);
	if (size == 0)
		fuzz_client_shut(&client);
	hang = evtimer_new(fuzz_base, fuzz_hang_cb, NULL);
	evtimer_add(hang, &tv);
	while (!client.done)
		event_base_loop(fuzz_base, EVLOOP_ONCE);
	event_free(hang);
	bufferevent_free(client.bev);

	/* Let what the end of the connection set off run: a stop's drain. */
	for (i = 0; i < 4; i++)
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	env_free();
	round_free_cache();
	fuzz_clear_log_folder();
	return (0);
}
