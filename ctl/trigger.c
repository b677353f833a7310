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

#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "creamasctl.h"
#include "jsonrpc.h"
#include "quote.h"
#include "xmalloc.h"

/*
 * trigger: one simulation round is one trigger_all on every node at once;
 * the round is over when every node has answered. A node that fails a
 * round (an error, a lost connection, no answer in time) is named and
 * left out of the rounds that follow; the others go on. Given a folder,
 * trigger checkpoints the nodes into it every N rounds, and on SIGUSR1
 * (what a batch system sends before a job's time is up) checkpoints
 * after the round in progress and exits.
 */

#define TRIGGER_GRACE		2.0	/* seconds past the round timeout */
#define TRIGGER_ERRORS_SHOWN	5	/* agent errors shown a round, -v */

/* What one round came to over every node. */
struct trigger_round {
	unsigned long	 index;		/* 1 for the first of this run */
	int64_t		 round;		/* the nodes' own count, or index */
	int64_t		 agents;
	int64_t		 failed;
	size_t		 nodes;		/* that answered */
	size_t		 nodes_failed;	/* that did not */
	size_t		 slaves_lost;	/* of nodes that answered */
	double		 elapsed;	/* seconds, as seen from here */
};

/* Return an integer member of a JSON object, or 0. */
static int64_t
trigger_member(struct json_object *object, const char *key)
{
	struct json_object	*value;

	if (json_object_object_get_ex(object, key, &value) &&
	    json_object_is_type(value, json_type_int))
		return (json_object_get_int64(value));
	return (0);
}

/*
 * Count a node's lost slaves in a round (error entries naming a slave)
 * and name the ones not named before; a node that lost a slave goes on
 * with the others, but the run will not end well.
 */
static size_t
trigger_slaves_lost(struct cluster *cluster, size_t i, size_t *known,
    struct json_object *result)
{
	struct json_object	*errors, *entry, *slave;
	size_t			 k, length, lost = 0;
	char			*text;

	if (!json_object_object_get_ex(result, "errors", &errors) ||
	    !json_object_is_type(errors, json_type_array))
		return (0);
	length = json_object_array_length(errors);
	for (k = 0; k < length; k++) {
		entry = json_object_array_get_idx(errors, k);
		if (!json_object_object_get_ex(entry, "slave", &slave) ||
		    trigger_member(entry, "code") != RPC_SLAVE_LOST)
			continue;
		if (++lost > *known) {
			text = ctl_error_text(entry);
			warnx("%s: slave %s lost: %s", cluster->node[i]->name,
			    json_object_get_string(slave), text);
			free(text);
		}
	}
	if (lost > *known)
		*known = lost;
	return (lost);
}

/* With -v, show the errors of failed agents in a node's round. */
static void
trigger_show_errors(struct cluster *cluster, size_t i, int64_t round,
    struct json_object *result)
{
	struct json_object	*errors, *entry, *agent = NULL;
	size_t			 k, length;
	char			*text;

	if (cluster->options->verbose == 0 ||
	    !json_object_object_get_ex(result, "errors", &errors) ||
	    !json_object_is_type(errors, json_type_array))
		return;
	length = json_object_array_length(errors);
	for (k = 0; k < length && k < TRIGGER_ERRORS_SHOWN; k++) {
		entry = json_object_array_get_idx(errors, k);
		text = ctl_error_text(entry);
		if (!json_object_object_get_ex(entry, "agent", &agent))
			agent = NULL;
		warnx("%s: round %lld: agent %s: %s", cluster->node[i]->name,
		    (long long)round, agent != NULL ?
		    json_object_get_string(agent) : "?", text);
		free(text);
	}
	if (length > TRIGGER_ERRORS_SHOWN)
		warnx("%s: round %lld: %zu more agent errors",
		    cluster->node[i]->name, (long long)round,
		    length - TRIGGER_ERRORS_SHOWN);
}

/* Print one round: a line for people or a JSON object. */
static void
trigger_report(struct cluster *cluster, const struct trigger_round *round)
{
	struct json_object	*object;
	char			*time_text;

	if (cluster->options->json) {
		object = json_object_new_object();
		json_object_object_add(object, "step",
		    json_object_new_string("trigger"));
		json_object_object_add(object, "round",
		    json_object_new_int64(round->round));
		json_object_object_add(object, "agents",
		    json_object_new_int64(round->agents));
		json_object_object_add(object, "failed",
		    json_object_new_int64(round->failed));
		json_object_object_add(object, "nodes",
		    json_object_new_int64((int64_t)round->nodes));
		json_object_object_add(object, "nodes_failed",
		    json_object_new_int64((int64_t)round->nodes_failed));
		json_object_object_add(object, "slaves_lost",
		    json_object_new_int64((int64_t)round->slaves_lost));
		json_object_object_add(object, "elapsed_us",
		    json_object_new_int64((int64_t)(round->elapsed * 1e6)));
		ctl_json_print(object);
		return;
	}
	time_text = ctl_format_seconds(round->elapsed);
	printf("round %lld: %lld agents, %lld failed, %zu/%zu nodes, ",
	    (long long)round->round, (long long)round->agents,
	    (long long)round->failed, round->nodes,
	    round->nodes + round->nodes_failed);
	if (round->slaves_lost > 0)
		printf("%zu slave%s lost, ", round->slaves_lost,
		    round->slaves_lost == 1 ? "" : "s");
	printf("%s\n", time_text);
	fflush(stdout);
	free(time_text);
}

/* SIGUSR1: checkpoint after the round in progress, then stop. */
static void
trigger_usr1_cb(evutil_socket_t signo, short events, void *arg)
{
	int	*asked = arg;

	*asked = 1;
}

/*
 * After round r: checkpoint into dir every every rounds, or now if asked
 * by SIGUSR1. Return 1 when the rounds must end here.
 */
static int
trigger_checkpoint(struct cluster *cluster, const char *dir,
    unsigned long every, unsigned long r, int asked)
{
	if (dir == NULL || (!asked && (every == 0 || r % every != 0)))
		return (asked);
	if (checkpoint_cluster(cluster, dir, 0) > 0)
		return (1);
	if (asked)
		warnx("SIGUSR1: checkpoint in %s after round %lu", dir, r);
	return (asked);
}

/*
 * Run rounds rounds, each one trigger_all (with args, borrowed) on every
 * node still well, writing each node's timings to a file if one is
 * given; with dir, checkpoint into it every every rounds (0: never) and
 * on SIGUSR1. Return 0 when every node did every round, or all rounds
 * until SIGUSR1 and the checkpoint after.
 */
int
trigger_rounds(struct cluster *cluster, unsigned long rounds,
    struct json_object *args, FILE *timings, const char *dir,
    unsigned long every)
{
	struct event		 *usr1;
	int			  asked = 0, stopped = 0;
	const struct ctl_options *options = cluster->options;
	struct trigger_round	  round;
	struct fanout_reply	 *replies;
	struct json_object	**params;
	size_t			 *active, nactive, k, i;
	unsigned long		  r;
	size_t			 *lost;
	int			  degraded = 0;
	double			  started, wait;
	char			 *text;

	active = xcalloc(cluster->count + 1, sizeof *active);
	params = xcalloc(cluster->count + 1, sizeof *params);
	lost = xcalloc(cluster->count + 1, sizeof *lost);
	/* The nodes time the round out; this side waits a little longer. */
	wait = options->timeout + TRIGGER_GRACE;
	usr1 = evsignal_new(cluster->base, SIGUSR1, trigger_usr1_cb, &asked);
	evsignal_add(usr1, NULL);
	for (r = 1; r <= rounds && !cluster->interrupted && !stopped; r++) {
		nactive = 0;
		for (i = 0; i < cluster->count; i++) {
			if (cluster->failure[i] == NULL)
				active[nactive++] = i;
		}
		if (nactive == 0)
			break;
		for (k = 0; k < nactive; k++) {
			params[k] = json_object_new_object();
			if (args != NULL)
				json_object_object_add(params[k], "args",
				    json_object_get(args));
			if (options->timeout_set)
				json_object_object_add(params[k], "timeout",
				    json_object_new_double(options->timeout));
		}
		started = ctl_now();
		replies = cluster_call(cluster, active, nactive,
		    "trigger_all", params, wait);
		memset(&round, 0, sizeof round);
		round.index = r;
		round.elapsed = ctl_now() - started;
		round.round = -1;
		for (k = 0; k < nactive; k++) {
			i = active[k];
			if (replies[k].error != NULL) {
				text = ctl_error_text(replies[k].error);
				cluster_fail(cluster, i, "round %lu: %s", r,
				    text);
				free(text);
				round.nodes_failed++;
				continue;
			}
			round.nodes++;
			round.agents += trigger_member(replies[k].result,
			    "agents");
			round.failed += trigger_member(replies[k].result,
			    "failed");
			if (trigger_member(replies[k].result, "round") >
			    round.round)
				round.round = trigger_member(
				    replies[k].result, "round");
			round.slaves_lost += trigger_slaves_lost(cluster, i,
			    &lost[i], replies[k].result);
			trigger_show_errors(cluster, i, trigger_member(
			    replies[k].result, "round"), replies[k].result);
			if (timings != NULL)
				timings_round(timings, cluster->node[i]->name,
				    replies[k].result);
		}
		cluster_replies_free(replies, nactive);
		if (round.round <= 0)
			round.round = (int64_t)r;
		trigger_report(cluster, &round);
		stopped = trigger_checkpoint(cluster, dir, every, r, asked);
	}
	event_free(usr1);
	free(active);
	free(params);
	for (i = 0; i < cluster->count; i++) {
		if (lost[i] > 0)
			degraded = 1;
	}
	free(lost);
	if (asked && stopped)
		return (cluster_exit_status(cluster));
	if (stopped)
		return (CTL_EXIT_FAILURE);
	if (cluster->interrupted && r <= rounds) {
		warnx("interrupted after %lu of %lu rounds", r - 1, rounds);
		return (CTL_EXIT_FAILURE);
	}
	/* Agents of a lost slave did not act: not every node did it all. */
	if (degraded)
		return (CTL_EXIT_FAILURE);
	return (cluster_exit_status(cluster));
}

/*
 * Take a rounds option (-r, or -n as it was spelt before; at least
 * min_rounds) or an arguments option (--args JSON) of trigger or run;
 * return 1 if ch was one of them.
 */
int
trigger_option(int ch, const char *value, unsigned long min_rounds,
    unsigned long *rounds, struct json_object **args)
{
	char	*cause;

	switch (ch) {
	case 'a':
		json_object_put(*args);
		if (ctl_json_parse(value, args, &cause) != 0)
			errx(CTL_EXIT_USAGE, "--args: %s", cause);
		return (1);
	case 'n':
	case 'r':
		if (config_parse_count(value, min_rounds, 1000000000UL, rounds,
		    &cause) == 0)
			return (1);
		if (ch == 'n' && strspn(value, "0123456789") != strlen(value))
			errx(CTL_EXIT_USAGE, "-n " QUOTE_FMT ": after trigger "
			    "or run, -n is the number of rounds, as -r is; "
			    "choose a node with -n before the command",
			    QUOTE(value));
		errx(CTL_EXIT_USAGE, "-%c: %s", ch, cause);
	}
	return (0);
}

/* trigger's options. */
const struct option trigger_options[] = {
	{ "args", required_argument, NULL, 'a' },
	{ "checkpoint-every", required_argument, NULL, 'c' },
	{ "rounds", required_argument, NULL, 'r' },
	{ "timings", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

/*
 * creamasctl trigger [-r rounds] [--args json] [--timings file]
 * [--checkpoint-every n] [dir].
 */
int
cmd_trigger(struct cluster *cluster, int argc, char **argv)
{
	struct json_object		*args = NULL;
	unsigned long			 rounds = 1, every = 0;
	const char			*path = NULL, *dir = NULL;
	FILE				*timings = NULL;
	char				*cause;
	int				 ch, status;

	while ((ch = getopt_long(argc, argv, TRIGGER_SHORT_OPTIONS,
	    trigger_options, NULL)) != -1) {
		if (ch == 'T')
			path = optarg;
		else if (ch == 'c') {
			if (config_parse_count(optarg, 1, 1000000000UL, &every,
			    &cause) != 0)
				errx(CTL_EXIT_USAGE, "--checkpoint-every: %s",
				    cause);
		} else if (!trigger_option(ch, optarg, 1, &rounds, &args))
			ctl_usage_command("trigger");
	}
	if (optind + 1 == argc && *argv[optind] != '\0')
		dir = argv[optind++];
	if (optind != argc || (every > 0 && dir == NULL))
		ctl_usage_command("trigger");
	if (path != NULL && (timings = timings_open(path, &cause)) == NULL)
		errx(CTL_EXIT_FAILURE, "--timings %s", cause);
	status = trigger_rounds(cluster, rounds, args, timings, dir, every);
	if (timings != NULL && timings_close(timings, path, &cause) != 0) {
		warnx("--timings %s", cause);
		free(cause);
		status = CTL_EXIT_FAILURE;
	}
	json_object_put(args);
	return (status);
}
