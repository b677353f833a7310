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
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "addr.h"
#include "clock.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * GET /metrics: the environment's status in the Prometheus text format,
 * served by libevent's HTTP server from the daemon's own event loop. A
 * master asks its slaves for their status over the connections it holds
 * anyway (the status method) and renders itself and every slave; scrapes
 * that come while that is under way wait for the same answer. HTTP
 * requests are small and bounded: headers, bodies and idle connections
 * are limited, and at most METRICS_WAITING_MAX scrapes wait at a time.
 */

#define METRICS_HEADERS_MAX	8192	/* bytes of request headers */
#define METRICS_BODY_MAX	1024	/* bytes of a request body */
#define METRICS_TIMEOUT		10	/* seconds for a request to come */
#define METRICS_WAITING_MAX	64	/* scrapes waiting for the slaves */
#define METRICS_ACCEPT_RETRY	1	/* seconds paused when accept fails */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* The token a scraper shows: a proof made with the cluster key. */
#define METRICS_TOKEN_ROLE	"metrics"
#define METRICS_TOKEN_FIRST	"bearer"
#define METRICS_TOKEN_SECOND	"v1"

struct metrics_waiter {
	TAILQ_ENTRY(metrics_waiter) entry;
	struct evhttp_request	*request;
};

static struct {
	struct evhttp		*http;
	struct evconnlistener	*listener;
	struct event		*accept_retry;
	uint16_t		 port;
	int			 token;		/* a bearer token is needed */
	int			 gathering;	/* a status is being made */
	size_t			 nwaiting;
	TAILQ_HEAD(, metrics_waiter) waiting;
} metrics;

/* Write the bearer token of a key (AUTH_PROOF_HEX + 1 bytes). */
void
metrics_token(const struct auth_key *key, char *token)
{
	auth_proof(key, METRICS_TOKEN_ROLE, METRICS_TOKEN_FIRST,
	    METRICS_TOKEN_SECOND, token);
}

/* Return 1 if a request may read the metrics. */
static int
metrics_authorized(struct evhttp_request *request)
{
	const char	*value;

	if (!metrics.token)
		return (1);
	value = evhttp_find_header(evhttp_request_get_input_headers(request),
	    "Authorization");
	if (value == NULL || strncasecmp(value, "Bearer ", 7) != 0)
		return (0);
	return (auth_proof_check(env->config->key, METRICS_TOKEN_ROLE,
	    METRICS_TOKEN_FIRST, METRICS_TOKEN_SECOND, value + 7));
}

/* Answer with an error status and a line of text saying why. */
static void
metrics_error(struct evhttp_request *request, int code, const char *reason)
{
	struct evbuffer	*body;

	body = evbuffer_new();
	evbuffer_add_printf(body, "%s\n", reason);
	evhttp_add_header(evhttp_request_get_output_headers(request),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(request, code, reason, body);
	evbuffer_free(body);
}

/* Answer one scrape with a status, or 503 if there is none. */
static void
metrics_answer(struct evhttp_request *request, struct json_object *status)
{
	struct evbuffer	*body;

	if (status == NULL) {
		metrics_error(request, HTTP_SERVUNAVAIL,
		    "the environment is shutting down");
		return;
	}
	body = evbuffer_new();
	metrics_text(status, body);
	evhttp_add_header(evhttp_request_get_output_headers(request),
	    "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(request, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* Answer every waiting scrape. */
static void
metrics_answer_waiting(struct json_object *status)
{
	struct metrics_waiter	*waiter;

	while ((waiter = TAILQ_FIRST(&metrics.waiting)) != NULL) {
		TAILQ_REMOVE(&metrics.waiting, waiter, entry);
		metrics_answer(waiter->request, status);
		free(waiter);
	}
	metrics.nwaiting = 0;
}

/* The master's status came back: answer everyone who asked for it. */
static void
metrics_status_done(struct json_object *result, struct json_object *error,
    void *arg)
{
	metrics.gathering = 0;
	if (metrics.http == NULL)
		return;		/* stopped meanwhile; nobody waits */
	metrics_answer_waiting(result);
}

/* A scrape on a master: wait for the slaves' status, asked once. */
static void
metrics_gather(struct evhttp_request *request)
{
	struct metrics_waiter	*waiter;

	if (metrics.nwaiting >= METRICS_WAITING_MAX) {
		metrics_error(request, HTTP_SERVUNAVAIL,
		    "too many scrapes waiting");
		return;
	}
	waiter = xcalloc(1, sizeof *waiter);
	waiter->request = request;
	TAILQ_INSERT_TAIL(&metrics.waiting, waiter, entry);
	metrics.nwaiting++;
	if (metrics.gathering)
		return;
	metrics.gathering = 1;
	methods_dispatch(request_local(metrics_status_done, NULL), "status",
	    NULL);
}

/* Every HTTP request: GET or HEAD /metrics, else an error. */
static void
metrics_request_cb(struct evhttp_request *request, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(request);
	const char		*path = uri != NULL ?
				    evhttp_uri_get_path(uri) : NULL;
	struct json_object	*status;

	if (!metrics_authorized(request)) {
		evhttp_add_header(evhttp_request_get_output_headers(request),
		    "WWW-Authenticate", "Bearer");
		metrics_error(request, 401, "a bearer token is needed");
		return;
	}
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		metrics_error(request, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	if (env->stopping) {
		metrics_answer(request, NULL);
		return;
	}
	if (master != NULL) {
		metrics_gather(request);
		return;
	}
	status = status_get();
	metrics_answer(request, status);
	json_object_put(status);
}

/* Accept again after a pause. */
static void
metrics_accept_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	if (metrics.listener != NULL)
		evconnlistener_enable(metrics.listener);
}

/* An accept failed (out of descriptors): pause instead of spinning. */
static void
metrics_accept_error_cb(struct evconnlistener *listener, void *arg)
{
	struct timeval	 retry = { METRICS_ACCEPT_RETRY, 0 };

	log_warnx("%s: accept: %s; pausing for %d s", __func__,
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()),
	    METRICS_ACCEPT_RETRY);
	evconnlistener_disable(listener);
	evtimer_add(metrics.accept_retry, &retry);
}

/*
 * Decide who may read the metrics, as for the JSON-RPC port: anyone on
 * loopback; elsewhere only with the cluster key's bearer token, or
 * anyone if the user says --insecure.
 */
static int
metrics_check_exposure(const char *host, char **cause)
{
	if (env_is_loopback(host))
		return (0);
	if (env->config->key != NULL) {
		metrics.token = 1;
		return (0);
	}
	if (!env->config->insecure) {
		xasprintf(cause, "refusing to serve metrics on %s without a "
		    "key: give --key FILE (scrapers then show its bearer "
		    "token, see --metrics-token), or --insecure", host);
		return (-1);
	}
	log_warnx("serving metrics on %s to anyone (--insecure)", host);
	return (0);
}

/* Return the port metrics are served on, 0 if they are not. */
uint16_t
metrics_port(void)
{
	return (metrics.port);
}

/* Serve metrics on the configured address, if one is. */
int
metrics_start(char **cause)
{
	struct evhttp_bound_socket	*bound;
	struct sockaddr_storage		 ss;
	socklen_t			 length = sizeof ss;
	struct addr			 listen;
	evutil_socket_t			 fd;
	char				*hostport;

	if (env->config->metrics == NULL)
		return (0);
	TAILQ_INIT(&metrics.waiting);
	if (addr_parse_hostport(env->config->metrics, &listen, cause) != 0)
		return (-1);
	if (metrics_check_exposure(listen.host, cause) != 0)
		return (-1);
	if ((metrics.http = evhttp_new(env->base)) == NULL) {
		xasprintf(cause, "metrics: cannot make an HTTP server");
		return (-1);
	}
	evhttp_set_max_headers_size(metrics.http, METRICS_HEADERS_MAX);
	evhttp_set_max_body_size(metrics.http, METRICS_BODY_MAX);
	evhttp_set_timeout(metrics.http, METRICS_TIMEOUT);
	evhttp_set_allowed_methods(metrics.http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(metrics.http, metrics_request_cb, NULL);
	bound = evhttp_bind_socket_with_handle(metrics.http, listen.host,
	    listen.port);
	if (bound == NULL) {
		xasprintf(cause, "metrics: cannot listen on %s",
		    env->config->metrics);
		return (-1);
	}
	fd = evhttp_bound_socket_get_fd(bound);
	evutil_make_socket_closeonexec(fd);
	metrics.listener = evhttp_bound_socket_get_listener(bound);
	metrics.accept_retry = evtimer_new(env->base, metrics_accept_retry_cb,
	    NULL);
	evconnlistener_set_error_cb(metrics.listener, metrics_accept_error_cb);
	if (getsockname(fd, (struct sockaddr *)&ss, &length) == 0)
		metrics.port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	hostport = addr_format_hostport(listen.host, metrics.port);
	log_info("metrics at http://%s/metrics", hostport);
	free(hostport);
	return (0);
}

/* Stop serving metrics; scrapes still waiting get 503. */
void
metrics_free(void)
{
	if (metrics.http == NULL)
		return;
	metrics_answer_waiting(NULL);
	evhttp_free(metrics.http);
	metrics.http = NULL;
	metrics.listener = NULL;
	event_free(metrics.accept_retry);
}
