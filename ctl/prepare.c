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
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "creamasctl.h"
#include "xmalloc.h"

/*
 * prepare: make the nodes ready for the rounds, in steps, each step on
 * every node at once: host managers (masters), log folders, agents,
 * random connections over every agent of every node, then a plan file of
 * managing-function calls. The steps are idempotent where they can be:
 * agents are spawned up to N of the type per node, and an agent gets new
 * connections only up to K. A failure names the node and the step, and
 * the steps after it are not run.
 */

#define PREPARE_AGENTS_MAX	100000000UL
#define PREPARE_PLAN_MAX	(16 * 1024 * 1024)

/* One agent of the cluster, for the random graph. */
struct prepare_agent {
	const char		*address;	/* borrowed from a reply */
	size_t			 node;		/* index in the cluster */
	struct json_object	*connections;	/* borrowed: its addresses */
	struct json_object	*added;		/* new: addresses to add */
};

/* Take one prepare option; 1 if it was one. */
int
prepare_option(struct prepare_options *options, int ch, const char *arg)
{
	char		*cause;
	unsigned long	 seed;

	switch (ch) {
	case 'A':
		options->agents = arg;
		return (1);
	case 'C':
		options->connections = arg;
		return (1);
	case 'L':
		options->log_folder = arg;
		return (1);
	case 'P':
		options->plan_file = arg;
		return (1);
	case 'G':
		options->grid = arg;
		return (1);
	case 'R':
		options->node_grid = arg;
		return (1);
	case 'S':
		if (config_parse_count(arg, 0, ULONG_MAX, &seed, &cause) != 0)
			errx(CTL_EXIT_USAGE, "--seed: %s", cause);
		options->seed = seed;
		options->seed_set = 1;
		return (1);
	}
	return (0);
}

/* Parse --agents TYPE:N[:JSON]. */
static int
prepare_parse_agents(struct prepare_options *options, char **cause)
{
	const char	*spec = options->agents, *colon, *json;
	char		*count, *why;

	if ((colon = strchr(spec, ':')) == NULL || colon == spec) {
		xasprintf(cause, "--agents %s: expected TYPE:N[:JSON]", spec);
		return (-1);
	}
	options->agent_type = xstrndup(spec, colon - spec);
	if ((json = strchr(colon + 1, ':')) != NULL) {
		count = xstrndup(colon + 1, json - colon - 1);
		json++;
	} else
		count = xstrdup(colon + 1);
	if (config_parse_count(count, 1, PREPARE_AGENTS_MAX,
	    &options->agent_count, &why) != 0) {
		xasprintf(cause, "--agents %s: %s", spec, why);
		free(why);
		free(count);
		return (-1);
	}
	free(count);
	if (json != NULL && ctl_json_parse(json, &options->agent_params,
	    &why) != 0) {
		xasprintf(cause, "--agents %s: parameters: %s", spec, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Parse --connections random:K. */
static int
prepare_parse_connections(struct prepare_options *options, char **cause)
{
	const char	*spec = options->connections;
	char		*why;

	if (strncmp(spec, "random:", 7) != 0) {
		xasprintf(cause, "--connections %s: expected random:K", spec);
		return (-1);
	}
	if (config_parse_count(spec + 7, 1, PREPARE_AGENTS_MAX,
	    &options->random_k, &why) != 0) {
		xasprintf(cause, "--connections %s: %s", spec, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Read and check the plan file: a JSON list of calls. */
static int
prepare_parse_plan(struct cluster *cluster, struct prepare_options *options,
    char **cause)
{
	struct json_object	*entry, *value;
	const char		*file = options->plan_file;
	char			*text = NULL, *why;
	size_t			 length, k, index, j;
	FILE			*f;

	if ((f = fopen(file, "r")) == NULL) {
		xasprintf(cause, "--plan %s: %s", file, strerror(errno));
		return (-1);
	}
	text = xmalloc(PREPARE_PLAN_MAX + 1);
	length = fread(text, 1, PREPARE_PLAN_MAX + 1, f);
	fclose(f);
	if (length > PREPARE_PLAN_MAX) {
		xasprintf(cause, "%s: larger than %d bytes", file,
		    PREPARE_PLAN_MAX);
		free(text);
		return (-1);
	}
	text[length] = '\0';
	if (ctl_json_parse(text, &options->plan, &why) != 0) {
		xasprintf(cause, "%s: %s", file, why);
		goto fail;
	}
	free(text);
	text = NULL;
	if (!json_object_is_type(options->plan, json_type_array)) {
		xasprintf(cause, "%s: expected a JSON list of calls", file);
		return (-1);
	}
	length = json_object_array_length(options->plan);
	options->plan_node = xcalloc(length + 1, sizeof *options->plan_node);
	for (k = 0; k < length; k++) {
		entry = json_object_array_get_idx(options->plan, k);
		options->plan_node[k] = -1;
		if (!json_object_is_type(entry, json_type_object)) {
			xasprintf(cause, "%s: entry %zu: expected an object "
			    "{\"method\": ..., \"params\": ..., \"node\": "
			    "...}", file, k + 1);
			return (-1);
		}
		json_object_object_foreach(entry, key, member) {
			(void)member;
			if (strcmp(key, "method") != 0 &&
			    strcmp(key, "params") != 0 &&
			    strcmp(key, "node") != 0) {
				xasprintf(cause, "%s: entry %zu: unknown key "
				    "'%s' (method, params or node)", file,
				    k + 1, key);
				return (-1);
			}
		}
		if (!json_object_object_get_ex(entry, "method", &value) ||
		    !json_object_is_type(value, json_type_string)) {
			xasprintf(cause, "%s: entry %zu: method: expected a "
			    "string", file, k + 1);
			return (-1);
		}
		if (json_object_object_get_ex(entry, "params", &value) &&
		    value != NULL &&
		    !json_object_is_type(value, json_type_object)) {
			xasprintf(cause, "%s: entry %zu: params: expected an "
			    "object of named parameters", file, k + 1);
			return (-1);
		}
		if (!json_object_object_get_ex(entry, "node", &value))
			continue;
		if (!json_object_is_type(value, json_type_string)) {
			xasprintf(cause, "%s: entry %zu: node: expected a "
			    "string", file, k + 1);
			return (-1);
		}
		if (nodes_find(&cluster->nodes, json_object_get_string(value),
		    &index, &why) != 0) {
			xasprintf(cause, "%s: entry %zu: node %s", file,
			    k + 1, why);
			free(why);
			return (-1);
		}
		for (j = 0; j < cluster->count; j++) {
			if (cluster->node[j] == &cluster->nodes.list[index])
				break;
		}
		if (j == cluster->count) {
			xasprintf(cause, "%s: entry %zu: node %s is not "
			    "selected", file, k + 1,
			    json_object_get_string(value));
			return (-1);
		}
		options->plan_node[k] = (long)j;
	}
	return (0);

fail:
	free(why);
	free(text);
	return (-1);
}

/* Check every prepare option before any node is asked anything. */
int
prepare_check(struct cluster *cluster, struct prepare_options *options,
    char **cause)
{
	if (options->agents != NULL &&
	    prepare_parse_agents(options, cause) != 0)
		return (-1);
	if (options->connections != NULL &&
	    prepare_parse_connections(options, cause) != 0)
		return (-1);
	if (options->log_folder != NULL && *options->log_folder == '\0') {
		xasprintf(cause, "--log-folder: empty path");
		return (-1);
	}
	if (options->plan_file != NULL &&
	    prepare_parse_plan(cluster, options, cause) != 0)
		return (-1);
	if ((options->grid != NULL || options->node_grid != NULL) &&
	    grid_parse(cluster, options, cause) != 0)
		return (-1);
	if (!options->seed_set)
		options->seed = (uint64_t)time(NULL) ^
		    ((uint64_t)getpid() << 32) ^ (uint64_t)(ctl_now() * 1e9);
	return (0);
}

/* Free what prepare_check() made. */
void
prepare_clear(struct prepare_options *options)
{
	free(options->agent_type);
	free(options->grid_type);
	json_object_put(options->agent_params);
	json_object_put(options->plan);
	free(options->plan_node);
	options->agent_type = NULL;
	options->grid_type = NULL;
	options->agent_params = NULL;
	options->plan = NULL;
	options->plan_node = NULL;
}

/* Name every node that failed a step; return how many did. */
size_t
prepare_failures(struct cluster *cluster, const size_t *which, size_t count,
    const char *step, struct fanout_reply *replies)
{
	size_t	 k, failed = 0;
	char	*text;

	for (k = 0; k < count; k++) {
		if (replies[k].error == NULL)
			continue;
		text = ctl_error_text(replies[k].error);
		cluster_fail(cluster, which != NULL ? which[k] : k,
		    "prepare: %s: %s", step, text);
		free(text);
		failed++;
	}
	return (failed);
}

/*
 * Report a step that went well: a line for people, or a JSON object made
 * of fields (taken) and the step's name and time.
 */
void
prepare_report(struct cluster *cluster, const char *step, double started,
    struct json_object *fields, const char *fmt, ...)
{
	struct json_object	*object;
	va_list			 ap;
	char			*text, *time_text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	if (cluster->options->json) {
		object = json_object_new_object();
		json_object_object_add(object, "step",
		    json_object_new_string("prepare"));
		json_object_object_add(object, "part",
		    json_object_new_string(step));
		json_object_object_add(object, "ok",
		    json_object_new_boolean(1));
		json_object_object_foreach(fields, key, value)
			json_object_object_add(object, key,
			    json_object_get(value));
		json_object_object_add(object, "elapsed",
		    ctl_json_seconds(ctl_now() - started));
		ctl_json_print(object);
	} else {
		time_text = ctl_format_seconds(ctl_now() - started);
		printf("%s: %s, %s\n", step, text, time_text);
		fflush(stdout);
		free(time_text);
	}
	json_object_put(fields);
	free(text);
}

/* Make a JSON object of one integer field, to add more to. */
struct json_object *
prepare_fields(const char *key, int64_t value)
{
	struct json_object	*object;

	object = json_object_new_object();
	json_object_object_add(object, key, json_object_new_int64(value));
	return (object);
}

/* Tell each master's slaves who their host manager is. */
static int
prepare_host_managers(struct cluster *cluster)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *role;
	size_t			 *masters, nmasters = 0, i;
	double			  started = ctl_now();
	int			  rc = 0;

	replies = cluster_call_all(cluster, "status", NULL,
	    cluster->options->timeout);
	if (prepare_failures(cluster, NULL, cluster->count, "status",
	    replies) != 0) {
		cluster_replies_free(replies, cluster->count);
		return (-1);
	}
	masters = xcalloc(cluster->count + 1, sizeof *masters);
	for (i = 0; i < cluster->count; i++) {
		if (json_object_object_get_ex(replies[i].result, "role",
		    &role) && strcmp(json_object_get_string(role),
		    "master") == 0)
			masters[nmasters++] = i;
	}
	cluster_replies_free(replies, cluster->count);
	if (nmasters > 0) {
		params = xcalloc(nmasters + 1, sizeof *params);
		replies = cluster_call(cluster, masters, nmasters,
		    "set_host_managers", params, cluster->options->timeout);
		free(params);
		if (prepare_failures(cluster, masters, nmasters,
		    "set_host_managers", replies) != 0)
			rc = -1;
		else
			prepare_report(cluster, "host managers", started,
			    prepare_fields("masters", (int64_t)nmasters),
			    "set on %zu master%s", nmasters,
			    nmasters == 1 ? "" : "s");
		cluster_replies_free(replies, nmasters);
	}
	free(masters);
	return (rc);
}

/* Set the log folder of every node. */
static int
prepare_log_folder(struct cluster *cluster, const char *folder)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *fields;
	double			  started = ctl_now();
	size_t			  i;
	char			 *path;
	int			  rc = 0;

	params = xcalloc(cluster->count + 1, sizeof *params);
	for (i = 0; i < cluster->count; i++) {
		params[i] = json_object_new_object();
		path = ctl_node_log_folder(cluster, i, folder);
		json_object_object_add(params[i], "path",
		    json_object_new_string(path));
		free(path);
	}
	replies = cluster_call(cluster, NULL, cluster->count,
	    "set_log_folder", params, cluster->options->timeout);
	free(params);
	if (prepare_failures(cluster, NULL, cluster->count, "set_log_folder",
	    replies) != 0)
		rc = -1;
	else
	{
		fields = prepare_fields("nodes", (int64_t)cluster->count);
		json_object_object_add(fields, "path",
		    json_object_new_string(folder));
		prepare_report(cluster, "log folder", started, fields,
		    "%s on %zu node%s", folder, cluster->count,
		    cluster->count == 1 ? "" : "s");
	}
	cluster_replies_free(replies, cluster->count);
	return (rc);
}

/* Spawn agents on every node up to N of the type. */
static int
prepare_agents(struct cluster *cluster, const struct prepare_options *options)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *param, *fields;
	size_t			 *which, nwhich = 0, i, have;
	unsigned long		 *missing;
	double			  started = ctl_now();
	int64_t			  spawned = 0;
	int			  rc = -1;

	/* How many of the type each node already has. */
	params = xcalloc(cluster->count + 1, sizeof *params);
	for (i = 0; i < cluster->count; i++) {
		params[i] = json_object_new_object();
		json_object_object_add(params[i], "type",
		    json_object_new_string(options->agent_type));
	}
	replies = cluster_call(cluster, NULL, cluster->count, "get_agents",
	    params, cluster->options->timeout);
	which = xcalloc(cluster->count + 1, sizeof *which);
	missing = xcalloc(cluster->count + 1, sizeof *missing);
	if (prepare_failures(cluster, NULL, cluster->count, "get_agents",
	    replies) != 0) {
		cluster_replies_free(replies, cluster->count);
		goto out;
	}
	for (i = 0; i < cluster->count; i++) {
		have = json_object_is_type(replies[i].result,
		    json_type_array) ?
		    json_object_array_length(replies[i].result) : 0;
		if (have < options->agent_count) {
			missing[nwhich] = options->agent_count - have;
			which[nwhich++] = i;
		}
	}
	cluster_replies_free(replies, cluster->count);

	if (nwhich > 0) {
		for (i = 0; i < nwhich; i++) {
			param = json_object_new_object();
			json_object_object_add(param, "type",
			    json_object_new_string(options->agent_type));
			json_object_object_add(param, "n",
			    json_object_new_int64((int64_t)missing[i]));
			if (options->agent_params != NULL)
				json_object_object_add(param, "params",
				    json_object_get(options->agent_params));
			params[i] = param;
		}
		replies = cluster_call(cluster, which, nwhich, "spawn_n",
		    params, cluster->options->timeout);
		if (prepare_failures(cluster, which, nwhich, "spawn_n",
		    replies) != 0) {
			cluster_replies_free(replies, nwhich);
			goto out;
		}
		for (i = 0; i < nwhich; i++) {
			if (json_object_is_type(replies[i].result,
			    json_type_array))
				spawned += (int64_t)json_object_array_length(
				    replies[i].result);
		}
		cluster_replies_free(replies, nwhich);
	}
	fields = prepare_fields("spawned", spawned);
	json_object_object_add(fields, "per_node",
	    json_object_new_int64((int64_t)options->agent_count));
	json_object_object_add(fields, "type",
	    json_object_new_string(options->agent_type));
	prepare_report(cluster, "agents", started, fields, "spawned %lld, "
	    "%lu %s per node on %zu node%s", (long long)spawned,
	    options->agent_count, options->agent_type, cluster->count,
	    cluster->count == 1 ? "" : "s");
	rc = 0;
out:
	free(params);
	free(which);
	free(missing);
	return (rc);
}

/* The next number of a splitmix64 sequence: small, fast, reproducible. */
static uint64_t
prepare_random(uint64_t *state)
{
	uint64_t	 z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Return 1 if an address is in a JSON list of addresses. */
static int
prepare_has(struct json_object *list, const char *address)
{
	size_t	 k, length;

	if (list == NULL)
		return (0);
	length = json_object_array_length(list);
	for (k = 0; k < length; k++) {
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(list, k)), address) == 0)
			return (1);
	}
	return (0);
}

/*
 * Give agent a (of count) up to k connections to distinct other agents,
 * chosen at random among those it is not connected to yet.
 */
static void
prepare_choose(struct prepare_agent *agents, size_t count, size_t a,
    unsigned long k, uint64_t *state)
{
	struct prepare_agent	*agent = &agents[a];
	size_t			*order, have, need, j, t, swap, tries = 0;

	have = agent->connections != NULL ?
	    json_object_array_length(agent->connections) : 0;
	if (have >= k)
		return;
	need = k - have;
	agent->added = json_object_new_array();
	/* Few wanted among many: draw at random until enough. */
	while (need > 0 && need * 4 < count && tries++ < count * 8) {
		j = (size_t)(prepare_random(state) % count);
		if (j == a || prepare_has(agent->connections,
		    agents[j].address) ||
		    prepare_has(agent->added, agents[j].address))
			continue;
		json_object_array_add(agent->added,
		    json_object_new_string(agents[j].address));
		need--;
	}
	if (need == 0)
		return;
	/* Many wanted: a random order of every agent, then the first fit. */
	order = xcalloc(count + 1, sizeof *order);
	for (j = 0; j < count; j++)
		order[j] = j;
	for (j = count; j > 1; j--) {
		t = (size_t)(prepare_random(state) % j);
		swap = order[j - 1];
		order[j - 1] = order[t];
		order[t] = swap;
	}
	for (j = 0; j < count && need > 0; j++) {
		t = order[j];
		if (t == a || prepare_has(agent->connections,
		    agents[t].address) ||
		    prepare_has(agent->added, agents[t].address))
			continue;
		json_object_array_add(agent->added,
		    json_object_new_string(agents[t].address));
		need--;
	}
	free(order);
}

/*
 * A random K-out graph over every agent of every node, no agent to
 * itself: each agent gets connections to K others, chosen uniformly, and
 * each node adds those of its own agents with create_connections.
 */
static int
prepare_connections(struct cluster *cluster,
    const struct prepare_options *options)
{
	struct fanout_reply	 *replies, *applied;
	struct json_object	**params, *entry, *list, *map, *fields;
	struct prepare_agent	 *agents = NULL;
	size_t			 *which, nwhich = 0, count = 0, i, k, j, length;
	uint64_t		  state = options->seed;
	double			  started = ctl_now();
	int64_t			  added = 0;
	int			  rc = -1;

	replies = cluster_call_all(cluster, "get_connections", NULL,
	    cluster->options->timeout);
	params = xcalloc(cluster->count + 1, sizeof *params);
	which = xcalloc(cluster->count + 1, sizeof *which);
	if (prepare_failures(cluster, NULL, cluster->count,
	    "get_connections", replies) != 0)
		goto out;

	/* Every agent of every node, in node order. */
	for (i = 0; i < cluster->count; i++) {
		if (!json_object_is_type(replies[i].result, json_type_array))
			continue;
		length = json_object_array_length(replies[i].result);
		agents = xreallocarray(agents, count + length + 1,
		    sizeof *agents);
		for (k = 0; k < length; k++) {
			entry = json_object_array_get_idx(replies[i].result,
			    k);
			if (!json_object_is_type(entry, json_type_array) ||
			    json_object_array_length(entry) < 1)
				continue;
			list = json_object_array_get_idx(entry, 1);
			agents[count].address = json_object_get_string(
			    json_object_array_get_idx(entry, 0));
			agents[count].node = i;
			agents[count].connections = json_object_is_type(list,
			    json_type_array) ? list : NULL;
			agents[count].added = NULL;
			count++;
		}
	}
	if (options->random_k >= count) {
		cluster_progress_end(cluster);
		warnx("prepare: connections: random:%lu needs more than %lu "
		    "agents; the nodes have %zu", options->random_k,
		    options->random_k, count);
		goto out;
	}
	if (cluster->options->verbose)
		warnx("random connections: seed %llu",
		    (unsigned long long)options->seed);
	for (j = 0; j < count; j++)
		prepare_choose(agents, count, j, options->random_k, &state);

	/* Each node gets the map of its own agents. */
	for (i = 0; i < cluster->count; i++) {
		map = NULL;
		for (j = 0; j < count; j++) {
			if (agents[j].node != i || agents[j].added == NULL ||
			    json_object_array_length(agents[j].added) == 0)
				continue;
			if (map == NULL)
				map = json_object_new_object();
			json_object_object_add(map, agents[j].address,
			    json_object_get(agents[j].added));
		}
		if (map == NULL)
			continue;
		params[nwhich] = json_object_new_object();
		json_object_object_add(params[nwhich], "map", map);
		which[nwhich++] = i;
	}
	if (nwhich > 0) {
		applied = cluster_call(cluster, which, nwhich,
		    "create_connections", params, cluster->options->timeout);
		if (prepare_failures(cluster, which, nwhich,
		    "create_connections", applied) != 0) {
			cluster_replies_free(applied, nwhich);
			goto out;
		}
		for (i = 0; i < nwhich; i++) {
			if (!json_object_is_type(applied[i].result,
			    json_type_array))
				continue;
			length = json_object_array_length(applied[i].result);
			for (k = 0; k < length; k++) {
				list = json_object_array_get_idx(
				    applied[i].result, k);
				for (j = 0; json_object_is_type(list,
				    json_type_array) &&
				    j < json_object_array_length(list); j++)
					added += json_object_get_boolean(
					    json_object_array_get_idx(list, j));
			}
		}
		cluster_replies_free(applied, nwhich);
	}
	fields = prepare_fields("added", added);
	json_object_object_add(fields, "k",
	    json_object_new_int64((int64_t)options->random_k));
	json_object_object_add(fields, "agents",
	    json_object_new_int64((int64_t)count));
	json_object_object_add(fields, "seed",
	    json_object_new_uint64(options->seed));
	prepare_report(cluster, "connections", started, fields, "added %lld, "
	    "random:%lu over %zu agents", (long long)added,
	    options->random_k, count);
	rc = 0;
out:
	for (j = 0; j < count; j++)
		json_object_put(agents[j].added);
	free(agents);
	cluster_replies_free(replies, cluster->count);
	free(params);
	free(which);
	return (rc);
}

/* Run the plan's calls in order, each on every node or on its one node. */
static int
prepare_plan(struct cluster *cluster, const struct prepare_options *options)
{
	struct fanout_reply	 *replies;
	struct json_object	**params, *entry, *value, *fields;
	const char		 *method;
	size_t			 *which, nwhich, k, i, length;
	double			  started;
	char			 *step;
	int			  rc = 0;

	length = json_object_array_length(options->plan);
	params = xcalloc(cluster->count + 1, sizeof *params);
	which = xcalloc(cluster->count + 1, sizeof *which);
	for (k = 0; k < length && rc == 0 && !cluster->interrupted; k++) {
		started = ctl_now();
		entry = json_object_array_get_idx(options->plan, k);
		json_object_object_get_ex(entry, "method", &value);
		method = json_object_get_string(value);
		nwhich = 0;
		if (options->plan_node[k] >= 0)
			which[nwhich++] = (size_t)options->plan_node[k];
		else {
			for (i = 0; i < cluster->count; i++)
				which[nwhich++] = i;
		}
		for (i = 0; i < nwhich; i++) {
			params[i] = NULL;
			if (json_object_object_get_ex(entry, "params",
			    &value) && value != NULL)
				params[i] = json_object_get(value);
		}
		replies = cluster_call(cluster, which, nwhich, method, params,
		    cluster->options->timeout);
		xasprintf(&step, "plan %zu (%s)", k + 1, method);
		if (prepare_failures(cluster, which, nwhich, step,
		    replies) != 0)
			rc = -1;
		else {
			fields = prepare_fields("index", (int64_t)k + 1);
			json_object_object_add(fields, "method",
			    json_object_new_string(method));
			json_object_object_add(fields, "nodes",
			    json_object_new_int64((int64_t)nwhich));
			prepare_report(cluster, "plan", started, fields,
			    "entry %zu, %s on %zu node%s", k + 1, method,
			    nwhich, nwhich == 1 ? "" : "s");
		}
		free(step);
		cluster_replies_free(replies, nwhich);
	}
	free(params);
	free(which);
	return (rc);
}

/* Run every step asked for; return 0 when every node did every one. */
int
prepare_nodes(struct cluster *cluster, struct prepare_options *options)
{
	/* A step's call may take long (a million agents): show it. */
	cluster->call_label = "prepare";
	if (prepare_host_managers(cluster) != 0)
		goto fail;
	if (options->log_folder != NULL &&
	    prepare_log_folder(cluster, options->log_folder) != 0)
		goto fail;
	if (options->grid_type != NULL && grid_prepare(cluster, options) != 0)
		goto fail;
	if (options->agent_type != NULL &&
	    prepare_agents(cluster, options) != 0)
		goto fail;
	if (options->random_k > 0 &&
	    prepare_connections(cluster, options) != 0)
		goto fail;
	if (options->plan != NULL && prepare_plan(cluster, options) != 0)
		goto fail;
	cluster->call_label = NULL;
	return (cluster_exit_status(cluster));
fail:
	cluster->call_label = NULL;
	return (CTL_EXIT_FAILURE);
}

/* prepare's options. */
const struct option prepare_long_options[] = {
	PREPARE_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* creamasctl prepare [options]. */
int
cmd_prepare(struct cluster *cluster, int argc, char **argv)
{
	struct prepare_options		 options;
	char				*cause;
	int				 ch, status;

	memset(&options, 0, sizeof options);
	while ((ch = getopt_long(argc, argv, "", prepare_long_options,
	    NULL)) != -1) {
		if (!prepare_option(&options, ch, optarg))
			ctl_usage_command("prepare");
	}
	if (optind != argc)
		ctl_usage_command("prepare");
	if (prepare_check(cluster, &options, &cause) != 0)
		errx(CTL_EXIT_USAGE, "prepare: %s", cause);
	status = prepare_nodes(cluster, &options);
	prepare_clear(&options);
	return (status);
}
