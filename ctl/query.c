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

#include <event2/buffer.h>

#include "addr.h"
#include "combine.h"
#include "creamasctl.h"
#include "jsonrpc.h"
#include "jsonspan.h"
#include "xmalloc.h"

/*
 * The commands that ask every node one thing and print each answer:
 * status, agents, call; and nodes, which only shows the nodes file.
 */

/* Check that a command has no options and no arguments. */
static void
query_no_arguments(const char *name, int argc, char **argv)
{
	while (getopt(argc, argv, "") != -1)
		ctl_usage_command(name);
	if (optind != argc)
		ctl_usage_command(name);
}

/* Name every node that answered with an error; return how many did. */
static size_t
query_failures(struct cluster *cluster, const char *method,
    struct fanout_reply *replies)
{
	size_t	 i, count = 0;
	char	*text;

	for (i = 0; i < cluster->count; i++) {
		if (replies[i].error == NULL)
			continue;
		text = ctl_error_text(replies[i].error);
		cluster_fail(cluster, i, "%s: %s", method, text);
		free(text);
		count++;
	}
	return (count);
}

/* Return a member of a status object as text, or NULL when absent. */
static const char *
query_member(struct json_object *object, const char *key)
{
	struct json_object	*value;

	if (!json_object_object_get_ex(object, key, &value) || value == NULL)
		return (NULL);
	return (json_object_get_string(value));
}

/*
 * Print node i's answer as a JSON line: its result if it gave one, and
 * what went wrong with it if anything did.
 */
static void
query_json(struct cluster *cluster, const char *step, size_t i,
    struct fanout_reply *reply)
{
	struct json_object	*object;

	object = ctl_json_node(step, cluster->node[i],
	    cluster->failure[i] == NULL);
	if (reply->error == NULL)
		json_object_object_add(object, "result",
		    json_object_get(reply->result));
	if (cluster->failure[i] != NULL)
		json_object_object_add(object, "error",
		    json_object_new_string(cluster->failure[i]));
	ctl_json_print(object);
}

/*
 * Print an object (taken) as a JSON line with one more member, name,
 * whose value is text[0, length) written as it is: a long answer is
 * passed on as it came, not parsed and written again.
 */
static void
query_print_with_text(struct json_object *object, const char *name,
    const char *text, size_t length)
{
	const char	*head;

	head = json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	fwrite(head, 1, strlen(head) - 1, stdout);
	printf("%s\"%s\":", json_object_object_length(object) > 0 ? "," : "",
	    name);
	fwrite(text, 1, length, stdout);
	fputs("}\n", stdout);
	fflush(stdout);
	json_object_put(object);
}

/* The same as query_json() for an answer kept as text. */
static void
query_json_text(struct cluster *cluster, const char *step, size_t i,
    struct fanout_reply *reply)
{
	if (reply->text == NULL || cluster->failure[i] != NULL) {
		query_json(cluster, step, i, reply);
		return;
	}
	query_print_with_text(ctl_json_node(step, cluster->node[i], 1),
	    "result", reply->text + reply->start, reply->end - reply->start);
}

/*
 * Print the elements of an array kept as text a line each, as
 * json_object_get_string() gives them (null as null): a string without
 * escapes as it is written, anything else through the codec. Nothing if
 * it is no array.
 */
static void
query_print_lines(const char *text, size_t length)
{
	struct json_object	*value, *error;
	size_t			 pos = 0, start, end;

	while (jsonspan_next(text, length, &pos, &start, &end) == 1) {
		if (text[start] == '"' &&
		    memchr(text + start, '\\', end - start) == NULL) {
			fwrite(text + start + 1, 1, end - start - 2, stdout);
			putchar('\n');
			continue;
		}
		if (rpc_parse_line(text + start, end - start, &value,
		    &error) != 0) {
			json_object_put(error);
			continue;
		}
		puts(value != NULL ? json_object_get_string(value) : "null");
		json_object_put(value);
	}
}

/*
 * Name the slaves of a master's status that are not ready ("slave
 * tcp://h:p/0 lost: why; ..."), only those lost or stopped with
 * lost_only; NULL when there are none (or it is no master). count, if
 * not NULL, gets how many were named.
 */
char *
query_slaves_trouble(struct json_object *status, int lost_only,
    size_t *count)
{
	struct json_object	*slaves, *entry, *value;
	const char		*state, *address, *reason;
	char			*text = NULL, *previous;
	size_t			 k, named = 0;

	if (json_object_object_get_ex(status, "slaves", &slaves) &&
	    json_object_is_type(slaves, json_type_array)) {
		for (k = 0; k < json_object_array_length(slaves); k++) {
			entry = json_object_array_get_idx(slaves, k);
			state = query_member(entry, "state");
			if (state == NULL || strcmp(state, "ready") == 0 ||
			    (lost_only && strcmp(state, "starting") == 0))
				continue;
			address = query_member(entry, "address");
			reason = query_member(entry, "reason");
			if (reason == NULL && json_object_object_get_ex(entry,
			    "error", &value) && value != NULL)
				reason = rpc_error_message(value);
			previous = text;
			xasprintf(&text, "%s%sslave %s %s%s%s", previous !=
			    NULL ? previous : "", previous != NULL ? "; " : "",
			    address != NULL ? address : "?", state, reason !=
			    NULL ? ": " : "", reason != NULL ? reason : "");
			free(previous);
			named++;
		}
	}
	if (count != NULL)
		*count = named;
	return (text);
}

/* Format an uptime in seconds for people: "42s", "3m12s", "2h05m". */
static char *
query_uptime(double seconds)
{
	char		*text;
	unsigned long	 s = (unsigned long)seconds;

	if (s < 60)
		xasprintf(&text, "%lus", s);
	else if (s < 3600)
		xasprintf(&text, "%lum%02lus", s / 60, s % 60);
	else if (s < 86400)
		xasprintf(&text, "%luh%02lum", s / 3600, (s % 3600) / 60);
	else
		xasprintf(&text, "%lud%02luh", s / 86400, (s % 86400) / 3600);
	return (text);
}

/* Print one node's status on one line for people. */
static void
query_status_line(struct cluster *cluster, size_t i,
    struct json_object *status)
{
	struct json_object	*value;
	const char		*role, *pid, *agents, *rounds;
	char			*uptime = NULL, *last = NULL, *extra = NULL;
	size_t			 lost = 0;

	role = query_member(status, "role");
	pid = query_member(status, "pid");
	agents = query_member(status, "agents");
	rounds = query_member(status, "rounds");
	if (json_object_object_get_ex(status, "uptime", &value))
		uptime = query_uptime(json_object_get_double(value));
	if (json_object_object_get_ex(status, "last_round_us", &value) &&
	    json_object_get_int64(value) > 0)
		last = ctl_format_seconds(json_object_get_double(value) / 1e6);
	if (json_object_object_get_ex(status, "slaves", &value)) {
		if (json_object_is_type(value, json_type_array)) {
			free(query_slaves_trouble(status, 1, &lost));
			if (lost > 0)
				xasprintf(&extra, "  slaves %zu (%zu lost)",
				    json_object_array_length(value), lost);
			else
				xasprintf(&extra, "  slaves %zu",
				    json_object_array_length(value));
		} else
			xasprintf(&extra, "  slaves %s",
			    json_object_get_string(value));
	}
	ctl_print_node(cluster, i, "%s  pid %s  up %s  agents %s  rounds %s"
	    "%s%s%s", role != NULL ? role : "?", pid != NULL ? pid : "?",
	    uptime != NULL ? uptime : "?", agents != NULL ? agents : "?",
	    rounds != NULL ? rounds : "?", last != NULL ? "  last round " : "",
	    last != NULL ? last : "", extra != NULL ? extra : "");
	free(uptime);
	free(last);
	free(extra);
}

/* creamasctl status: every node's status, a line each. */
int
cmd_status(struct cluster *cluster, int argc, char **argv)
{
	struct fanout_reply	*replies;
	char			*trouble;
	size_t			 i;

	query_no_arguments("status", argc, argv);
	replies = cluster_call_all(cluster, "status", NULL,
	    cluster->options->timeout);
	query_failures(cluster, "status", replies);
	/* A master that lost a slave is a node in trouble. */
	for (i = 0; i < cluster->count; i++) {
		if (replies[i].error != NULL || (trouble =
		    query_slaves_trouble(replies[i].result, 1, NULL)) == NULL)
			continue;
		cluster_fail(cluster, i, "status: %s", trouble);
		free(trouble);
	}
	for (i = 0; i < cluster->count; i++) {
		if (cluster->options->json)
			query_json(cluster, "status", i, &replies[i]);
		else if (replies[i].error == NULL)
			query_status_line(cluster, i, replies[i].result);
	}
	cluster_replies_free(replies, cluster->count);
	return (cluster_exit_status(cluster));
}

/* creamasctl agents: every agent's address, a line each, node by node. */
int
cmd_agents(struct cluster *cluster, int argc, char **argv)
{
	struct fanout_reply	*replies;
	size_t			 i;

	query_no_arguments("agents", argc, argv);
	/* The lists are long: kept as text, not parsed into objects. */
	replies = cluster_call_all_text(cluster, "get_agents", NULL,
	    cluster->options->timeout);
	query_failures(cluster, "get_agents", replies);
	for (i = 0; i < cluster->count; i++) {
		if (cluster->options->json)
			query_json_text(cluster, "agents", i, &replies[i]);
		else if (replies[i].text != NULL)
			query_print_lines(replies[i].text + replies[i].start,
			    replies[i].end - replies[i].start);
	}
	fflush(stdout);
	cluster_replies_free(replies, cluster->count);
	return (cluster_exit_status(cluster));
}

/*
 * The rule by which the nodes' answers to an extension's method are
 * combined, as the first node that answers "methods" declares it (so
 * that no plugin code is needed here); -1 for a built-in method or when
 * it declares none (custom, local, unknown). *key gets the rule's key.
 */
static int
query_combine_rule(struct cluster *cluster, const char *method, char **key)
{
	struct fanout_reply	*replies;
	struct json_object	*entry, *value;
	size_t			 i, k;
	int			 rule = -1;

	*key = NULL;
	replies = cluster_call_all(cluster, "methods", NULL,
	    cluster->options->timeout);
	for (i = 0; i < cluster->count; i++) {
		if (replies[i].error != NULL ||
		    !json_object_is_type(replies[i].result, json_type_array))
			continue;
		for (k = 0; k < json_object_array_length(replies[i].result);
		    k++) {
			entry = json_object_array_get_idx(replies[i].result, k);
			if (!json_object_object_get_ex(entry, "name", &value) ||
			    strcmp(json_object_get_string(value), method) != 0)
				continue;
			if (!json_object_object_get_ex(entry, "owner",
			    &value) || strcmp(json_object_get_string(value),
			    "creamasd") == 0)
				break;
			if (json_object_object_get_ex(entry, "combine", &value))
				rule = combine_parse(json_object_get_string(
				    value));
			if (json_object_object_get_ex(entry, "key", &value))
				*key = xstrdup(json_object_get_string(value));
			break;
		}
		break;
	}
	cluster_replies_free(replies, cluster->count);
	return (rule == CR_COMBINE_CUSTOM ? -1 : rule);
}

/* Start the JSON line of answers combined by rule: {step, combine}. */
static struct json_object *
query_combined_head(int rule)
{
	struct json_object	*object;

	object = json_object_new_object();
	json_object_object_add(object, "step", json_object_new_string("call"));
	json_object_object_add(object, "combine",
	    json_object_new_string(combine_name(rule)));
	return (object);
}

/*
 * Print the nodes' answers combined by a declared rule, a line; with
 * --json an object {step, combine, result}. Returns -1 if the answers
 * do not fit the rule.
 */
static int
query_print_combined(struct cluster *cluster, const char *method, int rule,
    const char *key, struct json_object *params, struct fanout_reply *replies)
{
	struct json_object	*combined, *object;
	char			*cause;

	if (combine_replies(rule, key, json_object_get_int64(rpc_param(params,
	    "n")), replies, cluster->count, &combined, &cause) != 0) {
		warnx("call %s: the nodes' answers do not combine by %s: %s",
		    method, combine_name(rule), cause);
		free(cause);
		return (-1);
	}
	if (cluster->options->json) {
		object = query_combined_head(rule);
		json_object_object_add(object, "result", combined);
		ctl_json_print(object);
		return (0);
	}
	puts(json_object_to_json_string_ext(combined, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(combined);
	return (0);
}

/*
 * Parse the answers kept as text into values, for a rule that needs
 * them; an answer the codec refuses fails its node.
 */
static void
query_parse_texts(struct cluster *cluster, const char *method,
    struct fanout_reply *replies)
{
	struct json_object	*error;
	size_t			 i;
	char			*text;

	for (i = 0; i < cluster->count; i++) {
		if (replies[i].text == NULL)
			continue;
		if (rpc_parse_line(replies[i].text + replies[i].start,
		    replies[i].end - replies[i].start, &replies[i].result,
		    &error) == 0)
			continue;
		replies[i].result = NULL;
		replies[i].error = error;
		text = ctl_error_text(error);
		cluster_fail(cluster, i, "%s: %s", method, text);
		free(text);
	}
}

/*
 * Print the nodes' arrays joined as text, as query_print_combined()
 * prints them combined by concat.
 */
static void
query_print_concat(struct cluster *cluster, struct fanout_reply *replies)
{
	struct json_object	*object;
	struct evbuffer		*joined;
	size_t			 length;
	const char		*text;

	if ((joined = fanout_splice(replies, cluster->count)) == NULL)
		errx(CTL_EXIT_FAILURE, "out of memory");
	length = evbuffer_get_length(joined);
	text = (const char *)evbuffer_pullup(joined, -1);
	if (cluster->options->json) {
		object = query_combined_head(CR_COMBINE_CONCAT);
		query_print_with_text(object, "result", text, length);
	} else {
		fwrite(text, 1, length, stdout);
		putchar('\n');
		fflush(stdout);
	}
	evbuffer_free(joined);
}

/*
 * creamasctl call method [json]: one managing function on every node;
 * an extension's answers are combined by the rule the nodes declare for
 * it, others printed node by node.
 */
int
cmd_call(struct cluster *cluster, int argc, char **argv)
{
	struct fanout_reply	*replies;
	struct json_object	*params = NULL;
	const char		*method;
	char			*cause, *key;
	size_t			 i;
	int			 rule, status;

	/* '+': a JSON argument is never an option. */
	while (getopt(argc, argv, "+") != -1)
		ctl_usage_command("call");
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		ctl_usage_command("call");
	method = argv[0];
	if (argc == 2) {
		if (ctl_json_parse(argv[1], &params, &cause) != 0)
			errx(CTL_EXIT_USAGE, "call %s: params: %s", method,
			    cause);
		if (!json_object_is_type(params, json_type_object))
			errx(CTL_EXIT_USAGE, "call %s: the parameters must be "
			    "a JSON object of named parameters", method);
	}
	/* Answers are passed on as text; parsed only to be combined. */
	replies = cluster_call_all_text(cluster, method,
	    json_object_get(params), cluster->options->timeout);
	query_failures(cluster, method, replies);
	/* Only when some node answered is there anything to combine. */
	rule = -1;
	key = NULL;
	if (fanout_failures(replies, cluster->count) < cluster->count)
		rule = query_combine_rule(cluster, method, &key);
	if (rule != -1 && rule != CR_COMBINE_CONCAT)
		query_parse_texts(cluster, method, replies);
	for (i = 0; i < cluster->count; i++) {
		if (cluster->options->json)
			query_json_text(cluster, "call", i, &replies[i]);
		else if (replies[i].text != NULL && rule == -1)
			ctl_print_node(cluster, i, "%.*s",
			    (int)(replies[i].end - replies[i].start),
			    replies[i].text + replies[i].start);
	}
	status = cluster_exit_status(cluster);
	if (rule == CR_COMBINE_CONCAT)
		query_print_concat(cluster, replies);
	else if (rule != -1 && query_print_combined(cluster, method, rule,
	    key, params, replies) != 0)
		status = CTL_EXIT_FAILURE;
	cluster_replies_free(replies, cluster->count);
	json_object_put(params);
	free(key);
	return (status);
}

/* Describe a node's settings for people, on one line. */
static char *
query_node_text(const struct node *node, const char *command)
{
	char	*text, *ssh = NULL, *where;

	if (node->launch == LAUNCH_SSH) {
		where = addr_format_hostport(node->host, node->ssh_port);
		xasprintf(&ssh, " ssh=%s%s%s%s%s", node->user != NULL ?
		    node->user : "", node->user != NULL ? "@" : "", where,
		    node->identity != NULL ? " identity=" : "",
		    node->identity != NULL ? node->identity : "");
		free(where);
	}
	xasprintf(&text, "launch=%s%s slaves=%lu idle_exit=%g%s%s",
	    nodes_launch_name(node->launch), ssh != NULL ? ssh : "",
	    node->slaves, node->idle_exit, command != NULL ? "  " : "",
	    command != NULL ? command : "");
	free(ssh);
	return (text);
}

/* Describe a node's settings as a JSON object. */
static struct json_object *
query_node_json(const struct node *node, const char *command)
{
	struct json_object	*object;

	object = json_object_new_object();
	json_object_object_add(object, "step", json_object_new_string("nodes"));
	json_object_object_add(object, "node",
	    json_object_new_string(node->name));
	json_object_object_add(object, "line",
	    json_object_new_int64((int64_t)node->line));
	json_object_object_add(object, "user", node->user == NULL ? NULL :
	    json_object_new_string(node->user));
	json_object_object_add(object, "host",
	    json_object_new_string(node->host));
	json_object_object_add(object, "sshport",
	    json_object_new_int(node->ssh_port));
	json_object_object_add(object, "port",
	    json_object_new_int(node->port));
	json_object_object_add(object, "slaves",
	    json_object_new_int64((int64_t)node->slaves));
	json_object_object_add(object, "launch",
	    json_object_new_string(nodes_launch_name(node->launch)));
	json_object_object_add(object, "identity", node->identity == NULL ?
	    NULL : json_object_new_string(node->identity));
	json_object_object_add(object, "idle_exit",
	    json_object_new_double(node->idle_exit));
	json_object_object_add(object, "command", command == NULL ? NULL :
	    json_object_new_string(command));
	return (object);
}

/*
 * creamasctl nodes: the nodes file as read, every default filled in, with
 * the command spawn would run.
 */
int
cmd_nodes(struct cluster *cluster, int argc, char **argv)
{
	const struct node	*node;
	char			*command, *text;
	size_t			 i;

	if (slurm_wanted("nodes", argc, argv))
		return (slurm_nodes(argc, argv));
	query_no_arguments("nodes", argc, argv);
	for (i = 0; i < cluster->count; i++) {
		node = cluster->node[i];
		command = NULL;
		if (node->launch == LAUNCH_SLURM)
			command = slurm_command(node, launch_creamasd_path(),
			    cluster->options->key_path);
		else if (node->launch != LAUNCH_NONE)
			command = launch_command(node, node->launch ==
			    LAUNCH_LOCAL ? launch_creamasd_path() : "creamasd",
			    cluster->options->key_path);
		if (cluster->options->json)
			ctl_json_print(query_node_json(node, command));
		else {
			text = query_node_text(node, command);
			ctl_print_node(cluster, i, "%s", text);
			free(text);
		}
		free(command);
	}
	return (0);
}
