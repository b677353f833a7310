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

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "xmalloc.h"

/*
 * The Prometheus text format (version 0.0.4) of a status: the node's own
 * lines without labels, then each slave's, labelled slave="ADDRESS". A
 * slave that did not answer (lost, or too slow) has only its
 * creamasd_slave_up line.
 */

/* The metrics read straight from one member of a status. */
static const struct {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*key;
	double		 scale;
} metrics_plain[] = {
	{ "creamasd_agents", "gauge",
	    "Agents held (a master: by all its slaves).", "agents", 1 },
	{ "creamasd_rounds_total", "counter",
	    "Rounds run by trigger_all.", "rounds", 1 },
	{ "creamasd_last_round_duration_seconds", "gauge",
	    "Duration of the last round.", "last_round_us", 1e-6 },
	{ "creamasd_round_running", "gauge",
	    "1 while a round runs.", "round_running", 1 },
	{ "creamasd_round_failures_total", "counter",
	    "Agents that failed or went unanswered in rounds.",
	    "round_failures", 1 },
	{ "creamasd_error_responses_total", "counter",
	    "JSON-RPC error responses sent.", "error_replies", 1 },
	{ "creamasd_connections", "gauge",
	    "Open JSON-RPC connections.", "connections", 1 },
	{ "creamasd_received_bytes_total", "counter",
	    "Bytes of JSON-RPC lines read.", "bytes_in", 1 },
	{ "creamasd_sent_bytes_total", "counter",
	    "Bytes of JSON-RPC lines sent.", "bytes_out", 1 },
	{ "creamasd_resident_memory_bytes", "gauge",
	    "Resident memory of the process.", "rss_bytes", 1 },
	{ "creamasd_uptime_seconds", "gauge",
	    "Seconds since the daemon started.", "uptime", 1 },
};

/* Write a family's HELP and TYPE lines. */
static void
metrics_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* Write a label value, escaped. */
static void
metrics_label_value(struct evbuffer *out, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			evbuffer_add_printf(out, "\\%c", *value);
		else if (*value == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, value, 1);
	}
}

/* Write a sample's name and labels: the slave's, then one more if any. */
static void
metrics_sample_name(struct evbuffer *out, const char *name,
    const char *slave, const char *label, const char *value)
{
	evbuffer_add_printf(out, "%s", name);
	if (slave == NULL && label == NULL)
		return;
	evbuffer_add(out, "{", 1);
	if (slave != NULL) {
		evbuffer_add_printf(out, "slave=\"");
		metrics_label_value(out, slave);
		evbuffer_add(out, "\"", 1);
	}
	if (label != NULL) {
		evbuffer_add_printf(out, "%s%s=\"", slave != NULL ? "," : "",
		    label);
		metrics_label_value(out, value);
		evbuffer_add(out, "\"", 1);
	}
	evbuffer_add(out, "}", 1);
}

/* Write one sample of a JSON number (or boolean) times scale. */
static void
metrics_sample(struct evbuffer *out, const char *name, const char *slave,
    const char *label, const char *value, struct json_object *number,
    double scale)
{
	metrics_sample_name(out, name, slave, label, value);
	if (scale == 1 && !json_object_is_type(number, json_type_double))
		evbuffer_add_printf(out, " %" PRId64 "\n",
		    json_object_get_int64(number));
	else
		evbuffer_add_printf(out, " %.9g\n",
		    json_object_get_double(number) * scale);
}

/* The node (slave NULL) and its slaves that answered, one at a time. */
struct metrics_node {
	const char		*slave;
	struct json_object	*status;
};

/* List the node and its slaves; returns how many. */
static size_t
metrics_nodes(struct json_object *status, struct metrics_node **nodes)
{
	struct json_object	*slaves = json_object_object_get(status,
				    "slaves"), *entry;
	size_t			 count = 1, i, n;

	n = json_object_is_type(slaves, json_type_array) ?
	    json_object_array_length(slaves) : 0;
	*nodes = xcalloc(n + 1, sizeof **nodes);
	(*nodes)[0].status = status;
	for (i = 0; i < n; i++) {
		entry = json_object_array_get_idx(slaves, i);
		(*nodes)[count].slave = json_object_get_string(
		    json_object_object_get(entry, "address"));
		(*nodes)[count++].status = entry;
	}
	return (count);
}

/* Write the round duration histogram of every node. */
static void
metrics_histogram(struct evbuffer *out, struct metrics_node *nodes,
    size_t count)
{
	struct json_object	*buckets, *bucket, *rounds, *total;
	const char		*name = "creamasd_round_duration_seconds";
	char			 bound[32];
	size_t			 i, j;

	metrics_family(out, name, "histogram", "Duration of rounds.");
	for (i = 0; i < count; i++) {
		if (!json_object_object_get_ex(nodes[i].status,
		    "round_buckets", &buckets) ||
		    !json_object_object_get_ex(nodes[i].status, "rounds",
		    &rounds) ||
		    !json_object_object_get_ex(nodes[i].status,
		    "round_us_total", &total))
			continue;
		for (j = 0; j < json_object_array_length(buckets); j++) {
			bucket = json_object_array_get_idx(buckets, j);
			snprintf(bound, sizeof bound, "%g",
			    json_object_get_double(
			    json_object_array_get_idx(bucket, 0)));
			metrics_sample(out, "creamasd_round_duration_seconds_"
			    "bucket", nodes[i].slave, "le", bound,
			    json_object_array_get_idx(bucket, 1), 1);
		}
		metrics_sample(out, "creamasd_round_duration_seconds_bucket",
		    nodes[i].slave, "le", "+Inf", rounds, 1);
		metrics_sample(out, "creamasd_round_duration_seconds_sum",
		    nodes[i].slave, NULL, NULL, total, 1e-6);
		metrics_sample(out, "creamasd_round_duration_seconds_count",
		    nodes[i].slave, NULL, NULL, rounds, 1);
	}
}

/* Write a family whose samples are the members of an object member. */
static void
metrics_by_member(struct evbuffer *out, struct metrics_node *nodes,
    size_t count, const char *name, const char *help, const char *key,
    const char *label)
{
	struct json_object	*object;
	size_t			 i;

	metrics_family(out, name, "counter", help);
	for (i = 0; i < count; i++) {
		if (!json_object_object_get_ex(nodes[i].status, key, &object) ||
		    !json_object_is_type(object, json_type_object))
			continue;
		json_object_object_foreach(object, member, value)
			metrics_sample(out, name, nodes[i].slave, label,
			    member, value, 1);
	}
}

/* Write a master's slaves: how many, how many lost, and which are up. */
static void
metrics_slaves(struct evbuffer *out, struct metrics_node *nodes,
    size_t count)
{
	const char	*state;
	size_t		 i, lost = 0;

	if (count == 1)
		return;
	metrics_family(out, "creamasd_slave_up", "gauge",
	    "1 if the slave is ready, 0 if it is starting, lost or stopped.");
	for (i = 1; i < count; i++) {
		state = json_object_get_string(json_object_object_get(
		    nodes[i].status, "state"));
		lost += state != NULL && strcmp(state, "lost") == 0;
		metrics_sample_name(out, "creamasd_slave_up", nodes[i].slave,
		    NULL, NULL);
		evbuffer_add_printf(out, " %d\n",
		    state != NULL && strcmp(state, "ready") == 0);
	}
	metrics_family(out, "creamasd_slaves", "gauge",
	    "Slaves the master started.");
	evbuffer_add_printf(out, "creamasd_slaves %zu\n", count - 1);
	metrics_family(out, "creamasd_slaves_lost", "gauge",
	    "Slaves the master has lost.");
	evbuffer_add_printf(out, "creamasd_slaves_lost %zu\n", lost);
}

/* Render a status (of a slave, or of a master and its slaves) to out. */
void
metrics_text(struct json_object *status, struct evbuffer *out)
{
	struct metrics_node	*nodes;
	struct json_object	*value;
	size_t			 count, i, j;

	count = metrics_nodes(status, &nodes);
	for (i = 0; i < sizeof metrics_plain / sizeof metrics_plain[0]; i++) {
		metrics_family(out, metrics_plain[i].name,
		    metrics_plain[i].type, metrics_plain[i].help);
		for (j = 0; j < count; j++) {
			if (json_object_object_get_ex(nodes[j].status,
			    metrics_plain[i].key, &value))
				metrics_sample(out, metrics_plain[i].name,
				    nodes[j].slave, NULL, NULL, value,
				    metrics_plain[i].scale);
		}
	}
	metrics_histogram(out, nodes, count);
	metrics_by_member(out, nodes, count, "creamasd_calls_started_total",
	    "Agent calls started, to this environment (local) or another "
	    "(remote).", "calls", "kind");
	metrics_by_member(out, nodes, count, "creamasd_requests_total",
	    "JSON-RPC requests read, by method.", "requests", "method");
	metrics_slaves(out, nodes, count);
	free(nodes);
}
