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

#include "creamasctl.h"
#include "xmalloc.h"

/*
 * checkpoint DIR and restore DIR: every node saves itself into, or
 * restores itself from, DIR/node-K, K its line's rank in the nodes file
 * (from 1); a relative DIR is made absolute for nodes on this machine.
 * A restore first has every node check its part (files, checksums,
 * layout, agent types), and restores only when all of them can.
 */

/* Build each node's params {"folder": DIR/node-K} (and check). */
static struct json_object **
checkpoint_params(struct cluster *cluster, const char *dir, int check)
{
	struct json_object	**params;
	size_t			  i;
	char			 *base, *folder;

	params = xcalloc(cluster->count, sizeof *params);
	for (i = 0; i < cluster->count; i++) {
		base = ctl_node_path(cluster->node[i], dir);
		xasprintf(&folder, "%s/node-%zu", base,
		    (size_t)(cluster->node[i] - cluster->nodes.list) + 1);
		params[i] = json_object_new_object();
		json_object_object_add(params[i], "folder",
		    json_object_new_string(folder));
		if (check)
			json_object_object_add(params[i], "check",
			    json_object_new_boolean(1));
		free(folder);
		free(base);
	}
	return (params);
}

/* Print what a node's checkpoint or restore did, for people. */
static void
checkpoint_print(struct cluster *cluster, size_t i, const char *method,
    struct json_object *result)
{
	struct json_object	*bytes;
	char			*size = NULL;

	if (json_object_object_get_ex(result, "bytes", &bytes))
		xasprintf(&size, ", %lld bytes", (long long)
		    json_object_get_int64(bytes));
	ctl_print_node(cluster, i, "%s: %lld agents, round %lld%s", method,
	    (long long)json_object_get_int64(json_object_object_get(result,
	    "agents")), (long long)json_object_get_int64(
	    json_object_object_get(result, "round")), size != NULL ? size : "");
	free(size);
}

/*
 * Call method (checkpoint or restore) on every node with its folder;
 * name the nodes that fail, and print what each did unless quiet.
 * Return how many failed.
 */
static size_t
checkpoint_call(struct cluster *cluster, const char *method, const char *dir,
    int check, int quiet)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *object, *result;
	size_t			  i, failed = 0;
	char			 *text;

	params = checkpoint_params(cluster, dir, check);
	replies = cluster_call(cluster, NULL, 0, method, params,
	    cluster->options->timeout);
	free(params);
	for (i = 0; i < cluster->count; i++) {
		result = replies[i].result;
		if (replies[i].error != NULL) {
			text = ctl_error_text(replies[i].error);
			cluster_fail(cluster, i, "%s: %s", method, text);
			free(text);
			failed++;
		}
		if (quiet)
			continue;
		if (cluster->options->json) {
			object = ctl_json_node(method, cluster->node[i],
			    replies[i].error == NULL);
			if (replies[i].error == NULL)
				json_object_object_add(object, "result",
				    json_object_get(result));
			else
				json_object_object_add(object, "error",
				    json_object_new_string(
				    cluster->failure[i]));
			ctl_json_print(object);
		} else if (replies[i].error == NULL)
			checkpoint_print(cluster, i, method, result);
	}
	cluster_replies_free(replies, cluster->count);
	return (failed);
}

/* Save every node into dir; return how many nodes failed. */
size_t
checkpoint_cluster(struct cluster *cluster, const char *dir, int quiet)
{
	return (checkpoint_call(cluster, "checkpoint", dir, 0, quiet));
}

/* Read the one argument, DIR, of checkpoint or restore. */
static const char *
checkpoint_argument(const char *name, int argc, char **argv)
{
	while (getopt(argc, argv, "") != -1)
		ctl_usage_command(name);
	if (optind + 1 != argc || *argv[optind] == '\0')
		ctl_usage_command(name);
	return (argv[optind]);
}

/* creamasctl checkpoint DIR. */
int
cmd_checkpoint(struct cluster *cluster, int argc, char **argv)
{
	checkpoint_cluster(cluster, checkpoint_argument("checkpoint", argc,
	    argv), 0);
	return (cluster_exit_status(cluster));
}

/* creamasctl restore DIR: every node checks its part, then restores. */
int
cmd_restore(struct cluster *cluster, int argc, char **argv)
{
	const char	*dir = checkpoint_argument("restore", argc, argv);

	if (checkpoint_call(cluster, "restore", dir, 1, 1) > 0) {
		warnx("nothing restored: %zu of %zu nodes cannot restore "
		    "from %s", cluster_failures(cluster), cluster->count, dir);
		return (cluster_exit_status(cluster));
	}
	checkpoint_call(cluster, "restore", dir, 0, 0);
	return (cluster_exit_status(cluster));
}
