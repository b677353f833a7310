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

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "creamasctl.h"
#include "xmalloc.h"

/*
 * wait: ask every node that is not ready yet whether it is (is_ready),
 * all at once, again and again until every node is or the time is up;
 * then name every node that is not, with the last reason seen.
 */

#define WAIT_POLL_FIRST		0.02	/* seconds between polls, at first */
#define WAIT_POLL_MAX		0.25	/* ... growing to this */
#define WAIT_CALL_MAX		2.0	/* seconds one is_ready may take */
#define WAIT_CALL_MIN		0.2	/* ... and at least, even at the end */
#define WAIT_NOT_READY		"it says it is not ready"

/* Report one node's wait, for people or as JSON. */
static void
wait_report(struct cluster *cluster, size_t i, int ready, double elapsed)
{
	struct json_object	*object;
	char			*time_text;

	if (cluster->options->json) {
		object = ctl_json_node("wait", cluster->node[i], ready);
		json_object_object_add(object, "ready",
		    json_object_new_boolean(ready));
		json_object_object_add(object, "elapsed",
		    ctl_json_seconds(elapsed));
		if (!ready)
			json_object_object_add(object, "error",
			    json_object_new_string(cluster->failure[i]));
		ctl_json_print(object);
	} else if (ready) {
		time_text = ctl_format_seconds(elapsed);
		ctl_print_node(cluster, i, "ready after %s", time_text);
		free(time_text);
	}
}

/*
 * Ask the nodes in which (those that said they are not ready) for their
 * status, and add the slaves that are not ready to their reasons.
 */
static void
wait_name_slaves(struct cluster *cluster, const size_t *which, size_t count,
    char **reason)
{
	struct fanout_reply	 *replies;
	struct json_object	**params;
	size_t			  k, i;
	char			 *trouble, *text;

	if (count == 0)
		return;
	params = xcalloc(count + 1, sizeof *params);
	replies = cluster_call(cluster, which, count, "status", params,
	    WAIT_CALL_MAX);
	for (k = 0; k < count; k++) {
		i = which[k];
		if (replies[k].error != NULL || (trouble =
		    query_slaves_trouble(replies[k].result, 0, NULL)) == NULL)
			continue;
		xasprintf(&text, "%s: %s", reason[i], trouble);
		free(reason[i]);
		reason[i] = text;
		free(trouble);
	}
	cluster_replies_free(replies, count);
	free(params);
}

/*
 * Wait up to seconds for every selected node to be ready; return 0 when
 * all are.
 */
int
wait_ready(struct cluster *cluster, double seconds)
{
	struct fanout_reply	 *replies;
	struct json_object	**params;
	char			**reason;
	size_t			 *pending, npending, *still, nstill, k, i;
	double			  started = ctl_now(), now, left, poll;
	double			 *elapsed;
	int			 *ready, polls = 0;

	pending = xcalloc(cluster->count + 1, sizeof *pending);
	still = xcalloc(cluster->count + 1, sizeof *still);
	reason = xcalloc(cluster->count + 1, sizeof *reason);
	elapsed = xcalloc(cluster->count + 1, sizeof *elapsed);
	ready = xcalloc(cluster->count + 1, sizeof *ready);
	params = xcalloc(cluster->count + 1, sizeof *params);
	for (i = 0; i < cluster->count; i++)
		pending[i] = i;
	npending = cluster->count;
	poll = WAIT_POLL_FIRST;

	while (npending > 0) {
		/* Always ask once, even with no time at all. */
		left = started + seconds - ctl_now();
		if ((left <= 0 && polls > 0) || cluster->interrupted)
			break;
		polls++;
		if (left > WAIT_CALL_MAX)
			left = WAIT_CALL_MAX;
		if (left < WAIT_CALL_MIN)
			left = WAIT_CALL_MIN;
		for (k = 0; k < npending; k++)
			params[k] = NULL;
		replies = cluster_call(cluster, pending, npending, "is_ready",
		    params, left);
		now = ctl_now();
		nstill = 0;
		for (k = 0; k < npending; k++) {
			i = pending[k];
			free(reason[i]);
			reason[i] = NULL;
			if (replies[k].error != NULL) {
				reason[i] = ctl_error_text(replies[k].error);
				/* Connect again on the next poll. */
				if (client_is_lost(cluster->client[i]))
					cluster_disconnect(cluster, i);
			} else if (json_object_is_type(replies[k].result,
			    json_type_boolean) &&
			    json_object_get_boolean(replies[k].result)) {
				ready[i] = 1;
				elapsed[i] = now - started;
				continue;
			} else
				reason[i] = xstrdup(WAIT_NOT_READY);
			still[nstill++] = i;
		}
		cluster_replies_free(replies, npending);
		memcpy(pending, still, nstill * sizeof *pending);
		npending = nstill;
		if (npending == 0)
			break;
		if (now - started > 1.0)
			cluster_progress(cluster, "%zu/%zu nodes ready...",
			    cluster->count - npending, cluster->count);
		left = started + seconds - ctl_now();
		cluster_sleep(cluster, poll < left ? poll : left);
		poll *= 2;
		if (poll > WAIT_POLL_MAX)
			poll = WAIT_POLL_MAX;
	}
	cluster_progress_end(cluster);

	/* A master that is not ready: which of its slaves is not. */
	nstill = 0;
	for (i = 0; i < cluster->count; i++) {
		if (!ready[i] && reason[i] != NULL &&
		    strcmp(reason[i], WAIT_NOT_READY) == 0)
			still[nstill++] = i;
	}
	wait_name_slaves(cluster, still, nstill, reason);

	for (i = 0; i < cluster->count; i++) {
		if (!ready[i])
			cluster_fail(cluster, i, "not ready after %g s: %s",
			    seconds, reason[i] != NULL ? reason[i] :
			    "interrupted");
		wait_report(cluster, i, ready[i], ready[i] ? elapsed[i] :
		    ctl_now() - started);
	}
	for (i = 0; i < cluster->count; i++)
		free(reason[i]);
	free(reason);
	free(pending);
	free(still);
	free(elapsed);
	free(ready);
	free(params);
	return (cluster_exit_status(cluster));
}

/* creamasctl wait [-t seconds]. */
int
cmd_wait(struct cluster *cluster, int argc, char **argv)
{
	double	 seconds = cluster->options->timeout;
	char	*cause;
	int	 ch;

	while ((ch = getopt(argc, argv, WAIT_SHORT_OPTIONS)) != -1) {
		switch (ch) {
		case 't':
			if (config_parse_seconds(optarg, &seconds,
			    &cause) != 0) {
				fprintf(stderr, "creamasctl: wait -t %s: %s\n",
				    optarg, cause);
				free(cause);
				ctl_usage_command("wait");
			}
			break;
		default:
			ctl_usage_command("wait");
		}
	}
	if (optind != argc)
		ctl_usage_command("wait");
	return (wait_ready(cluster, seconds));
}
