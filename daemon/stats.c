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

#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "xmalloc.h"

/*
 * Counters kept for status and metrics: how long rounds take (a
 * histogram), how many agents failed in them, and the requests served by
 * method name. Method names come from peers, so only short names of the
 * characters methods are made of are kept, and at most STATS_METHODS_MAX
 * of them; the rest count as "(other)".
 */

#define STATS_METHODS_MAX	64
#define STATS_METHOD_LENGTH	48

/* Upper bounds of the round duration buckets, in seconds. */
static const double	stats_round_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60, 300,
};
#define STATS_ROUND_BUCKETS \
	(sizeof stats_round_bounds / sizeof stats_round_bounds[0])

static uint64_t		 stats_round_counts[STATS_ROUND_BUCKETS];
static uint64_t		 stats_round_total_us;
static uint64_t		 stats_round_failures;

static struct {
	char		*name;
	uint64_t	 count;
}			 stats_methods[STATS_METHODS_MAX];
static size_t		 stats_nmethods;
static uint64_t		 stats_other_requests;

/* A round ended after elapsed_us with failed agents: count it. */
void
stats_round_done(uint64_t elapsed_us, uint64_t failed)
{
	size_t	 i;

	env->rounds++;
	env->last_round_us = elapsed_us;
	stats_round_total_us += elapsed_us;
	stats_round_failures += failed;
	for (i = 0; i < STATS_ROUND_BUCKETS; i++) {
		if (elapsed_us <= stats_round_bounds[i] * 1e6)
			stats_round_counts[i]++;
	}
}

/*
 * Return 1 if a method name is one to count by itself: 1 to
 * STATS_METHOD_LENGTH of a-z, 0-9, "_" and "." (checked byte by byte,
 * which costs less than strspn() with so many bytes to accept).
 */
static int
stats_method_name_ok(const char *name)
{
	size_t	 length;
	char	 c;

	for (length = 0; (c = name[length]) != '\0'; length++) {
		if (length == STATS_METHOD_LENGTH || !((c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return (0);
	}
	return (length > 0);
}

/* A request for method name came in: count it. */
void
stats_request(const char *name)
{
	size_t	 i;

	if (!stats_method_name_ok(name)) {
		stats_other_requests++;
		return;
	}
	for (i = 0; i < stats_nmethods; i++) {
		if (strcmp(stats_methods[i].name, name) == 0) {
			stats_methods[i].count++;
			return;
		}
	}
	if (stats_nmethods == STATS_METHODS_MAX) {
		stats_other_requests++;
		return;
	}
	stats_methods[stats_nmethods].name = xstrdup(name);
	stats_methods[stats_nmethods++].count = 1;
}

/* The round histogram: [[upper bound in seconds, rounds at most that]]. */
static struct json_object *
stats_round_histogram(void)
{
	struct json_object	*buckets, *bucket;
	size_t			 i;

	buckets = json_object_new_array();
	for (i = 0; i < STATS_ROUND_BUCKETS; i++) {
		bucket = json_object_new_array();
		json_object_array_add(bucket,
		    json_object_new_double(stats_round_bounds[i]));
		json_object_array_add(bucket,
		    json_object_new_int64((int64_t)stats_round_counts[i]));
		json_object_array_add(buckets, bucket);
	}
	return (buckets);
}

/* Add the counters to a status object. */
void
stats_add_status(struct json_object *status)
{
	struct json_object	*requests;
	uint64_t		 in = 0, out = 0, errors = 0;
	size_t			 i;

	json_object_object_add(status, "round_us_total",
	    json_object_new_int64((int64_t)stats_round_total_us));
	json_object_object_add(status, "round_buckets",
	    stats_round_histogram());
	json_object_object_add(status, "round_failures",
	    json_object_new_int64((int64_t)stats_round_failures));
	requests = json_object_new_object();
	for (i = 0; i < stats_nmethods; i++)
		json_object_object_add(requests, stats_methods[i].name,
		    json_object_new_int64((int64_t)stats_methods[i].count));
	if (stats_other_requests > 0)
		json_object_object_add(requests, "(other)",
		    json_object_new_int64((int64_t)stats_other_requests));
	json_object_object_add(status, "requests", requests);
	if (env->server != NULL)
		server_traffic(env->server, &in, &out, &errors);
	json_object_object_add(status, "bytes_in",
	    json_object_new_int64((int64_t)in));
	json_object_object_add(status, "bytes_out",
	    json_object_new_int64((int64_t)out));
	json_object_object_add(status, "error_replies",
	    json_object_new_int64((int64_t)errors));
}

/* Forget the method names. */
void
stats_free(void)
{
	size_t	 i;

	for (i = 0; i < stats_nmethods; i++)
		free(stats_methods[i].name);
	stats_nmethods = 0;
}
