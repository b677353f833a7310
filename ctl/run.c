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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "config.h"
#include "creamasctl.h"
#include "quote.h"
#include "xmalloc.h"

/*
 * run: the main job in one command: spawn, wait, prepare, the rounds, and
 * stop. Whatever fails, the nodes this run started are stopped at the end,
 * so a failed run leaves nothing behind.
 */

/* run's options: prepare's and its own. */
const struct option run_options[] = {
	PREPARE_LONG_OPTIONS,
	{ "args", required_argument, NULL, 'a' },
	{ "rounds", required_argument, NULL, 'r' },
	{ "wait", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Check what only the nodes could refuse, before any is started: an
 * agent type that nodes loading no plugin (the default command) lack,
 * and random connections that need more agents than run makes.
 */
static int
run_check(struct cluster *cluster, const struct prepare_options *prepare,
    char **cause)
{
	static const char	*names[] = BUILTIN_TYPE_NAMES;
	unsigned long		 agents;
	size_t			 i, k;

	/* Only nodes this run starts with the default command are known. */
	for (i = 0; i < cluster->count; i++) {
		if (cluster->node[i]->command != NULL ||
		    cluster->node[i]->launch == LAUNCH_NONE)
			break;
	}
	if (prepare->agent_type != NULL && i == cluster->count) {
		for (k = 0; names[k] != NULL; k++) {
			if (strcmp(names[k], prepare->agent_type) == 0)
				break;
		}
		if (names[k] == NULL) {
			xasprintf(cause, "--agents %s: no agent type "
			    QUOTE_FMT " on nodes started with the default "
			    "command (noop, counter, grid, diffusion, "
			    "diffusion_rpc; a plugin's type needs cmd= with "
			    "--plugin)", prepare->agents,
			    QUOTE(prepare->agent_type));
			return (-1);
		}
	}
	if (prepare->random_k == 0 || prepare->plan != NULL)
		return (0);
	agents = prepare->agent_count * cluster->count +
	    prepare->grid_width * prepare->grid_height;
	if (prepare->random_k >= agents) {
		xasprintf(cause, "--connections random:%lu needs more than "
		    "%lu agents; run makes %lu (%lu on each of %zu nodes%s)",
		    prepare->random_k, prepare->random_k, agents,
		    prepare->agent_count, cluster->count,
		    prepare->grid_type != NULL ? ", and the grid's" : "");
		return (-1);
	}
	return (0);
}

/* Return 1 if a status's list of types lacks type (0 if it has no list). */
static int
run_type_missing(struct json_object *status, const char *type)
{
	struct json_object	*types;
	size_t			 k;

	if (!json_object_object_get_ex(status, "types", &types) ||
	    !json_object_is_type(types, json_type_array))
		return (0);
	for (k = 0; k < json_object_array_length(types); k++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(
		    types, k)), type) == 0)
			return (0);
	}
	return (1);
}

/*
 * Right after the nodes are up, before any other work: ask every node
 * (every slave of a master) which agent types it has, and name each node
 * that lacks the one asked for; return 0 when all have it.
 */
static int
run_check_types(struct cluster *cluster, const char *option,
    const char *type)
{
	struct fanout_reply	*replies;
	struct json_object	*slaves;
	size_t			 i, k;
	int			 missing, rc = 0;

	replies = cluster_call_all(cluster, "status", NULL,
	    cluster->options->timeout);
	for (i = 0; i < cluster->count; i++) {
		if (replies[i].error != NULL)
			continue;	/* prepare names it */
		missing = run_type_missing(replies[i].result, type);
		if (json_object_object_get_ex(replies[i].result, "slaves",
		    &slaves) && json_object_is_type(slaves, json_type_array)) {
			for (k = 0; k < json_object_array_length(slaves); k++)
				missing |= run_type_missing(
				    json_object_array_get_idx(slaves, k), type);
		}
		if (missing) {
			cluster_fail(cluster, i, "run: %s: no agent type "
			    QUOTE_FMT " on this node", option, QUOTE(type));
			rc = -1;
		}
	}
	cluster_replies_free(replies, cluster->count);
	return (rc);
}

/* creamasctl run [-r rounds] [--args json] [-w seconds] [prepare options]. */
int
cmd_run(struct cluster *cluster, int argc, char **argv)
{
	struct prepare_options		 prepare;
	struct json_object		*args = NULL;
	unsigned long			 rounds = 1;
	double				 wait_seconds;
	size_t				*up, nup = 0, i;
	char				*cause;
	int				 ch, status = 0;

	memset(&prepare, 0, sizeof prepare);
	wait_seconds = cluster->options->timeout;
	while ((ch = getopt_long(argc, argv, RUN_SHORT_OPTIONS, run_options,
	    NULL)) != -1) {
		if (prepare_option(&prepare, ch, optarg) ||
		    trigger_option(ch, optarg, 0, &rounds, &args))
			continue;
		switch (ch) {
		case 'w':
			if (config_parse_seconds(optarg, &wait_seconds,
			    &cause) != 0)
				errx(CTL_EXIT_USAGE, "-w: %s", cause);
			break;
		default:
			ctl_usage_command("run");
		}
	}
	if (optind != argc)
		ctl_usage_command("run");
	/* Everything is checked before any node is started. */
	if (prepare_check(cluster, &prepare, &cause) != 0 ||
	    run_check(cluster, &prepare, &cause) != 0)
		errx(CTL_EXIT_USAGE, "run: %s", cause);

	status = launch_spawn(cluster);
	if (status == 0)
		status = wait_ready(cluster, wait_seconds);
	if (status == 0 && ((prepare.agent_type != NULL &&
	    run_check_types(cluster, "--agents", prepare.agent_type) != 0) ||
	    (prepare.grid_type != NULL &&
	    run_check_types(cluster, "--grid", prepare.grid_type) != 0)))
		status = CTL_EXIT_FAILURE;
	if (status == 0 && !cluster->interrupted)
		status = prepare_nodes(cluster, &prepare);
	if (status == 0 && rounds > 0 && !cluster->interrupted)
		status = trigger_rounds(cluster, rounds, args, NULL, NULL,
		    0);

	/* Stop what this run started: never a node it could not spawn. */
	up = xcalloc(cluster->count + 1, sizeof *up);
	for (i = 0; i < cluster->count; i++) {
		if (cluster->failure[i] == NULL ||
		    strncmp(cluster->failure[i], "spawn", 5) != 0)
			up[nup++] = i;
	}
	cluster->interrupted = 0;
	if (nup > 0 && stop_nodes(cluster, prepare.log_folder, up, nup) != 0)
		status = CTL_EXIT_FAILURE;
	free(up);
	json_object_put(args);
	prepare_clear(&prepare);
	if (status == 0)
		status = cluster_exit_status(cluster);
	return (status);
}
