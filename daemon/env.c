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

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "creamasd.h"
#include "log.h"
#include "path.h"
#include "xmalloc.h"

/*
 * The environment: the agents of this process, their artifacts, its time
 * and its log, and the way it stops.
 */

struct env	*env;

static void	env_stop_drained(void *);

/* Return a monotonic clock in microseconds. */
uint64_t
env_now_us(void)
{
	return (clock_now_us());
}

/* Return a pseudo-random number below bound (xorshift; not for secrets). */
uint32_t
env_random(uint32_t bound)
{
	uint32_t	 x = env->random_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	env->random_state = x;
	return (bound == 0 ? x : x % bound);
}

/* Create the environment; it listens only once env_listen() is called. */
void
env_init(struct event_base *base, struct daemon_config *config)
{
	env = xcalloc(1, sizeof *env);
	env->base = base;
	env->config = config;
	env->agents_size = 1024;
	env->agents = xtable_resize(NULL, 0,
	    env->agents_size * sizeof *env->agents);
	if (env->agents == NULL)
		fatal("%s: the table of agents", __func__);
	env->nagents = 1;	/* /0 is the manager */
	env->artifacts = json_object_new_array();
	env->started_us = env_now_us();
	env->random_state = (uint32_t)getpid() ^ (uint32_t)time(NULL) ^
	    0x9e3779b9U;
	if (env->random_state == 0)
		env->random_state = 1;
}

/* Pick the host to advertise: as configured, or the listen host. */
static char *
env_advertised_host(const char *listen_host)
{
	char	 name[256];

	if (env->config->advertise != NULL)
		return (xstrdup(env->config->advertise));
	if (strcmp(listen_host, "0.0.0.0") == 0 ||
	    strcmp(listen_host, "::") == 0 || *listen_host == '\0') {
		if (gethostname(name, sizeof name) == 0) {
			name[sizeof name - 1] = '\0';
			return (xstrdup(name));
		}
	}
	return (xstrdup(listen_host));
}

/* Return 1 if every address host resolves to is a loopback address. */
int
env_is_loopback(const char *host)
{
	struct addrinfo		 hints, *result, *ai;
	const struct sockaddr_in6 *sin6;
	int			 loopback = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, NULL, &hints, &result) != 0)
		return (0);
	for (ai = result; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			loopback &= (ntohl(((const struct sockaddr_in *)
			    ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
		else if (ai->ai_family == AF_INET6) {
			sin6 = (const struct sockaddr_in6 *)ai->ai_addr;
			loopback &= IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		} else
			loopback = 0;
	}
	freeaddrinfo(result);
	return (loopback);
}

/*
 * Without a key, anyone who can connect controls this node: that is
 * allowed on loopback only, unless the user says --insecure.
 */
static int
env_check_exposure(const char *host, char **cause)
{
	if (env->config->key != NULL || env_is_loopback(host))
		return (0);
	if (!env->config->insecure) {
		xasprintf(cause, "refusing to listen on %s without a key: "
		    "anyone who can connect could spawn, call and stop "
		    "agents; give --key FILE (creamasctl keygen makes one), "
		    "or --insecure to accept that", host);
		return (-1);
	}
	log_warnx("listening on %s without a key (--insecure): anyone who "
	    "can connect controls this node", host);
	return (0);
}

/* Start listening and fix the environment's address. */
int
env_listen(char **cause)
{
	struct addr	 listen;
	char		*hostport;

	if (addr_parse_hostport(env->config->listen, &listen, cause) != 0)
		return (-1);
	if (env_check_exposure(listen.host, cause) != 0)
		return (-1);
	env->server = server_new(env->base, &env->config->limits,
	    methods_server_dispatch, NULL);
	if (server_listen(env->server, listen.host, listen.port, cause) != 0)
		return (-1);
	env->port = server_port(env->server);
	env->listen_host = xstrdup(listen.host);
	env->listen_port = listen.port;
	env->host = env_advertised_host(listen.host);
	hostport = addr_format_hostport(env->host, env->port);
	xasprintf(&env->prefix, "tcp://%s/", hostport);
	free(hostport);
	if (env->config->log_folder != NULL &&
	    env_set_log_folder(env->config->log_folder, cause) != 0)
		return (-1);
	env_log("started: %s0, pid %ld", env->prefix, (long)getpid());
	return (0);
}

/* Return agent N, or NULL (the manager /0 is no agent). */
struct cr_agent *
env_agent(size_t id)
{
	if (id == 0 || id >= env->nagents)
		return (NULL);
	return (env->agents[id]);
}

/*
 * Return 1 if an agent address names this environment: it starts with
 * its prefix, or it has its port and another spelling of its host
 * ("localhost" for 127.0.0.1) that resolves to the same address. Return
 * 0 if not, -1 with error -32602 if the host cannot be resolved.
 */
int
env_names_this(const char *address, const struct addr *parsed,
    struct json_object **error)
{
	char	*cause;
	int	 same;

	*error = NULL;
	if (strncmp(address, env->prefix, strlen(env->prefix)) == 0)
		return (1);
	if (parsed->port != env->port)
		return (0);
	if ((same = hostcache_same(parsed->host, env->host, &cause)) == -1) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string(rpc_quote(address)), "%s: %s, and "
		    "its port is this environment's (%s0)", rpc_quote(address),
		    cause, env->prefix);
		free(cause);
	}
	return (same);
}

/*
 * Read a request's "agent" parameter as a slave and a master both do:
 * 1 for an agent number (in parsed->agent), 0 for a valid address, -1
 * with error -32602 for anything else.
 */
int
env_parse_agent_param(struct json_object *which, struct addr *parsed,
    struct json_object **error)
{
	char	*cause;

	memset(parsed, 0, sizeof *parsed);
	if (json_object_is_type(which, json_type_int)) {
		parsed->agent = json_object_get_int64(which) < 0 ? -1 :
		    (long)json_object_get_int64(which);
		return (1);
	}
	if (!json_object_is_type(which, json_type_string)) {
		*error = rpc_error_new(RPC_INVALID_PARAMS, "parameter 'agent' "
		    "must be an agent number or address",
		    json_object_new_string("agent"));
		return (-1);
	}
	if (addr_parse(json_object_get_string(which), parsed, &cause) != 0) {
		*error = rpc_error_newf(RPC_INVALID_PARAMS,
		    json_object_new_string("agent"), "parameter 'agent': %s",
		    cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * Find the agent a request names in its "agent" parameter: a number N or
 * an address of this environment. Fills error when there is none.
 */
struct cr_agent *
env_find_agent(struct json_object *which, struct json_object **error)
{
	struct cr_agent	*agent = NULL;
	const char	*address;
	struct addr	 parsed;
	char		*cause;
	int64_t		 id;

	switch (env_parse_agent_param(which, &parsed, error)) {
	case -1:
		return (NULL);
	case 0:
		address = json_object_get_string(which);
		if (env_names_this(address, &parsed, error) != 1) {
			if (*error != NULL)
				return (NULL);
			*error = rpc_error_newf(RPC_AGENT_NOT_FOUND,
			    json_object_new_string(rpc_quote(address)),
			    "no agent %s in this environment (%s0)",
			    rpc_quote(address), env->prefix);
			return (NULL);
		}
		break;
	}
	id = parsed.agent;
	if (id > 0 && (uint64_t)id < env->nagents)
		agent = env->agents[id];
	if (agent == NULL) {
		xasprintf(&cause, "%s%lld", env->prefix, (long long)id);
		*error = rpc_error_newf(RPC_AGENT_NOT_FOUND,
		    json_object_new_string(cause), "no agent %s", cause);
		free(cause);
	}
	return (agent);
}

/* An error saying that memory for what ran short. */
struct json_object *
env_memory_error(const char *what, size_t bytes)
{
	struct json_object	*error;
	char			*message;

	message = xmalloc_shortage(what, bytes);
	error = rpc_error_new(RPC_TOO_LARGE, message, NULL);
	free(message);
	return (error);
}

/*
 * Make room for more agents in the table, or fill error saying which
 * memory limit stood in the way; the table is left as it was then.
 */
int
env_reserve(size_t more, struct json_object **error)
{
	struct cr_agent	**agents;
	size_t		  size = env->agents_size;

	if (more > UINT32_MAX - env->nagents) {
		*error = rpc_error_new(RPC_TOO_LARGE, "too many agents", NULL);
		return (-1);
	}
	if (env->nagents + more <= size)
		return (0);
	while (size < env->nagents + more)
		size *= 2;
	/* At most 2^33 members (above): the bytes cannot overflow. */
	agents = xtable_resize(env->agents, env->agents_size * sizeof *agents,
	    size * sizeof *agents);
	if (agents == NULL) {
		*error = env_memory_error("the table of agents",
		    (size - env->agents_size) * sizeof *agents);
		return (-1);
	}
	env->agents = agents;
	env->agents_size = size;
	env->agents_ready = env->nagents * sizeof *agents;
	return (0);
}

/* Give back the table's room beyond twice the agents there are. */
void
env_shrink(void)
{
	struct cr_agent	**agents;
	size_t		  size = env->agents_size;

	while (size > 1024 && size / 4 >= env->nagents)
		size /= 2;
	if (size == env->agents_size)
		return;
	if ((agents = xtable_resize(env->agents, env->agents_size *
	    sizeof *agents, size * sizeof *agents)) == NULL)
		return;
	env->agents = agents;
	env->agents_size = size;
	if (env->agents_ready > size * sizeof *agents)
		env->agents_ready = size * sizeof *agents;
}

/* Spawn an agent of a type; fills error on failure. */
int
env_spawn(const char *type_name, struct json_object *params,
    struct cr_agent **spawned, struct json_object **error)
{
	const struct cr_agent_type	*type;
	struct cr_agent			*agent;
	char				*failure;
	int				 rc;

	if ((type = types_find(type_name)) == NULL) {
		*error = rpc_error_newf(RPC_TYPE_NOT_FOUND,
		    json_object_new_string(rpc_quote(type_name)),
		    "unknown agent type '%s'", rpc_quote(type_name));
		return (-1);
	}
	if (extension_agent_spawning(type->name, error) != 0)
		return (-1);
	if (env_reserve(1, error) != 0)
		return (-1);
	if ((agent = agent_new(type, (uint32_t)env->nagents)) == NULL) {
		*error = env_memory_error("agents", agent_slab_bytes(type));
		return (-1);
	}
	free(agent_take_failure());
	if (type->init != NULL && (rc = type->init(agent, params)) != CR_OK) {
		failure = agent_take_failure();
		*error = rpc_error_newf(rc == CR_BAD_PARAMS ?
		    RPC_INVALID_PARAMS : RPC_AGENT_FAILED,
		    json_object_new_string(type_name), "%s: init %s%s%s",
		    type_name, rc == CR_BAD_PARAMS ? "refused its params" :
		    "failed", failure != NULL ? ": " : "",
		    failure != NULL ? failure : "");
		free(failure);
		extension_agent_removed(agent);
		agent_free(agent);
		return (-1);
	}
	xmalloc_prefault_ahead(env->agents, (env->nagents + 1) *
	    sizeof *env->agents, &env->agents_ready,
	    env->agents_size * sizeof *env->agents);
	env->agents[env->nagents++] = agent;
	*spawned = agent;
	extension_agent_spawned(agent);
	return (0);
}

/*
 * Take back an agent that a spawn or a restore made and has to undo:
 * the extensions' agent_removed, its type's close (no log folder), then
 * free it.
 */
void
env_undo_agent(struct cr_agent *agent)
{
	extension_agent_removed(agent);
	if (agent->type->close != NULL)
		agent->type->close(agent, NULL);
	agent_free(agent);
}

/*
 * Set the log folder (made with its parents if missing) and open the
 * environment's log.
 */
int
env_set_log_folder(const char *relative, char **cause)
{
	char	*path, *file_path, *why;
	FILE	*file;

	/* Kept absolute, so that status says where the logs are. */
	path = path_absolute(relative);
	if (savefile_mkdir(path, &why) != 0) {
		xasprintf(cause, "log folder: %s", why);
		free(why);
		free(path);
		return (-1);
	}
	xasprintf(&file_path, "%s/env_%u.log", path, env->port);
	if ((file = fopen(file_path, "a")) == NULL) {
		xasprintf(cause, "cannot open %s: %s", file_path,
		    strerror(errno));
		free(file_path);
		free(path);
		return (-1);
	}
	free(file_path);
	/* A line at a time, so that the file is whole while we run. */
	setvbuf(file, NULL, _IOLBF, 0);
	if (env->log_file != NULL)
		fclose(env->log_file);
	env->log_file = file;
	/* What was logged before there was a folder goes first. */
	if (env->log_pending != NULL) {
		fwrite(evbuffer_pullup(env->log_pending, -1), 1,
		    evbuffer_get_length(env->log_pending), file);
		evbuffer_free(env->log_pending);
		env->log_pending = NULL;
	}
	/* The same folder again (SIGHUP): the agents' files go on. */
	if (env->log_folder == NULL || strcmp(env->log_folder, path) != 0) {
		free(env->log_folder);
		env->log_folder = path;
		agent_log_folder_changed();
	} else
		free(path);
	return (0);
}

/* Reopen the environment's log after SIGHUP (it may have been rotated). */
void
env_reopen_log(void)
{
	char	*folder, *cause;

	if (env->log_folder == NULL)
		return;
	folder = xstrdup(env->log_folder);
	if (env_set_log_folder(folder, &cause) != 0) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
	}
	free(folder);
}

/*
 * Write a line to the environment's log; until there is a folder, keep
 * it (up to ENV_LOG_PENDING_MAX bytes) to write when one is set.
 */
void
env_log(const char *fmt, ...)
{
	va_list		 ap;
	time_t		 now;
	struct tm	 local;
	char		 stamp[32], *line;

	/* localtime_r: glibc's localtime stats the zone file every call. */
	now = time(NULL);
	localtime_r(&now, &local);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &local);
	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	if (env->log_file != NULL)
		fprintf(env->log_file, "%s round %llu: %s\n", stamp,
		    (unsigned long long)env->round_number, line);
	else {
		if (env->log_pending == NULL)
			env->log_pending = evbuffer_new();
		if (evbuffer_get_length(env->log_pending) < ENV_LOG_PENDING_MAX)
			evbuffer_add_printf(env->log_pending, "%s round %llu: "
			    "%s\n", stamp, (unsigned long long)env->round_number,
			    line);
	}
	free(line);
}

/*
 * Stop: refuse new work, end a running round, stop a master's slaves,
 * let replies (the stop's own among them) flush, then close every agent
 * and leave the loop.
 */
void
env_stop(const char *log_folder)
{
	char	*cause;

	if (env->stopping)
		return;
	env->stopping = 1;
	/* Stopping already: a master's death must not kill us midway. */
	if (env->config->slave_of_master)
		prctl(PR_SET_PDEATHSIG, 0);
	if (log_folder != NULL && env_set_log_folder(log_folder, &cause) != 0) {
		log_warnx("stop: %s", cause);
		free(cause);
	}
	log_info("stopping");
	hold_abort("the environment is shutting down");
	round_abort("the environment is shutting down");
	if (master != NULL)
		master_stop(log_folder);
	else
		env_stop_finish();
}

/*
 * Close every agent and write the logs, then drain the server: the port
 * keeps listening until the logs are complete, so whoever waits for it
 * to close finds them written.
 */
static void
env_drain_cb(evutil_socket_t fd, short events, void *arg)
{
	size_t	 i;

	for (i = 1; i < env->nagents; i++)
		agent_close(env->agents[i], env->log_folder);
	env_log("stopped: %zu agents, %llu rounds", env->nagents - 1,
	    (unsigned long long)env->rounds);
	if (env->log_file != NULL) {
		if (fclose(env->log_file) != 0)
			log_warn("%s: closing the environment log", __func__);
		env->log_file = NULL;
	}
	server_drain(env->server, STOP_GRACE, env_stop_drained, NULL);
}

/*
 * The last step of a stop: close the agents, flush every connection,
 * then leave. It waits for the next turn of the loop, so requests
 * already read behind the stop are answered "shutting down".
 */
void
env_stop_finish(void)
{
	event_base_once(env->base, -1, EV_TIMEOUT, env_drain_cb, NULL, NULL);
}

/*
 * Nothing was asked for idle_exit seconds: stop, unless a request is
 * still being worked on (a long round is not idleness).
 */
static void
env_idle_cb(evutil_socket_t fd, short events, void *arg)
{
	if (server_requests_in_flight(env->server) > 0 || env->round != NULL) {
		env_touch();
		return;
	}
	log_info("idle for %g s: stopping", env->config->idle_exit);
	env_stop(NULL);
}

/* A request came: restart the idle countdown. */
void
env_touch(void)
{
	struct timeval	 tv;
	double		 idle = env->config->idle_exit;

	if (idle <= 0 || env->stopping)
		return;
	if (env->idle_timer == NULL)
		env->idle_timer = evtimer_new(env->base, env_idle_cb, NULL);
	tv = clock_timeval(idle);
	evtimer_add(env->idle_timer, &tv);
}

/* Our master's end of the stdin pipe closed: the master is gone. */
static void
env_stdin_cb(evutil_socket_t fd, short events, void *arg)
{
	char	 buffer[256];
	ssize_t	 length;

	length = read(fd, buffer, sizeof buffer);
	if (length > 0)
		return;
	log_warnx("the master is gone: stopping");
	event_del(env->stdin_event);
	env_stop(NULL);
}

/* Stop when stdin (a pipe from the master) reaches its end. */
void
env_watch_stdin(void)
{
	env->stdin_event = event_new(env->base, STDIN_FILENO,
	    EV_READ | EV_PERSIST, env_stdin_cb, NULL);
	event_add(env->stdin_event, NULL);
}

/* Every reply has gone: end the event loop. */
static void
env_stop_drained(void *arg)
{
	event_base_loopexit(env->base, NULL);
}

/* Free the environment and everything in it. */
void
env_free(void)
{
	size_t	 i;

	call_free_all();
	master_free();
	if (env->idle_timer != NULL)
		event_free(env->idle_timer);
	if (env->stdin_event != NULL)
		event_free(env->stdin_event);
	agent_log_close_all();
	for (i = 1; i < env->nagents; i++)
		extension_agent_removed(env->agents[i]);
	extension_close();
	for (i = 1; i < env->nagents; i++)
		agent_free(env->agents[i]);
	agent_free_slabs();
	xtable_free(env->agents, env->agents_size * sizeof *env->agents);
	server_free(env->server);
	json_object_put(env->artifacts);
	if (env->log_file != NULL)
		fclose(env->log_file);
	if (env->log_pending != NULL)
		evbuffer_free(env->log_pending);
	free(env->log_folder);
	free(env->host_manager);
	free(env->prefix);
	free(env->listen_host);
	free(env->host);
	free(env);
	env = NULL;
}
