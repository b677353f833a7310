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

#include "combine.h"
#include "xmalloc.h"

/* The rules by name, indexed by CR_COMBINE_*. */
static const char *const combine_names[] = {
	"custom", "concat", "null", "sum", "min", "max", "top", "first"
};
#define COMBINE_RULES	(sizeof combine_names / sizeof combine_names[0])

/* One item of a top-N combination: its score and where it came from. */
struct combine_item {
	struct json_object	*value;
	double			 score;
	size_t			 order;
};

/* Name a rule; "custom" for any number not a rule. */
const char *
combine_name(int rule)
{
	if (rule < 0 || (size_t)rule >= COMBINE_RULES)
		return (combine_names[CR_COMBINE_CUSTOM]);
	return (combine_names[rule]);
}

/* Return the rule of a name, or -1. */
int
combine_parse(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < COMBINE_RULES; i++) {
		if (strcmp(combine_names[i], name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Add the numbers answered; an integer sum while every one is. */
static int
combine_sum(const struct fanout_reply *replies, size_t count,
    struct json_object **result, char **cause)
{
	int64_t		 integer = 0;
	double		 real = 0;
	int		 integral = 1;
	size_t		 i;

	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL)
			continue;
		if (json_object_is_type(replies[i].result, json_type_int)) {
			integer += json_object_get_int64(replies[i].result);
			real += json_object_get_double(replies[i].result);
		} else if (json_object_is_type(replies[i].result,
		    json_type_double)) {
			integral = 0;
			real += json_object_get_double(replies[i].result);
		} else {
			xasprintf(cause, "answer %zu is not a number", i);
			return (-1);
		}
	}
	*result = integral ? json_object_new_int64(integer) :
	    json_object_new_double(real);
	return (0);
}

/* Keep the least (sign 1) or the greatest (sign -1) number answered. */
static int
combine_extreme(const struct fanout_reply *replies, size_t count, int sign,
    struct json_object **result, char **cause)
{
	struct json_object	*best = NULL, *value;
	size_t			 i;

	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL)
			continue;
		value = replies[i].result;
		if (!json_object_is_type(value, json_type_int) &&
		    !json_object_is_type(value, json_type_double)) {
			xasprintf(cause, "answer %zu is not a number", i);
			return (-1);
		}
		if (best == NULL || sign * json_object_get_double(value) <
		    sign * json_object_get_double(best))
			best = value;
	}
	*result = json_object_get(best);
	return (0);
}

/* Order items by score, highest first, then in the order answered. */
static int
combine_item_compare(const void *a, const void *b)
{
	const struct combine_item	*left = a, *right = b;

	if (left->score != right->score)
		return (left->score > right->score ? -1 : 1);
	return (left->order < right->order ? -1 : 1);
}

/*
 * Keep the n items of the answers' arrays with the highest number in
 * their member key, best first; equal scores keep the answers' order.
 */
static int
combine_top(const struct fanout_reply *replies, size_t count,
    const char *key, int64_t n, struct json_object **result, char **cause)
{
	struct combine_item	*items = NULL;
	struct json_object	*item, *score;
	size_t			 nitems = 0, i, j, length;

	if (key == NULL || n < 0) {
		xasprintf(cause, "top needs a key and n >= 0");
		return (-1);
	}
	for (i = 0; i < count; i++) {
		if (replies[i].error != NULL)
			continue;
		if (!json_object_is_type(replies[i].result, json_type_array)) {
			xasprintf(cause, "answer %zu is not an array", i);
			goto fail;
		}
		length = json_object_array_length(replies[i].result);
		items = xreallocarray(items, nitems + length + 1,
		    sizeof *items);
		for (j = 0; j < length; j++) {
			item = json_object_array_get_idx(replies[i].result, j);
			if (!json_object_object_get_ex(item, key, &score) ||
			    (!json_object_is_type(score, json_type_int) &&
			    !json_object_is_type(score, json_type_double))) {
				xasprintf(cause, "answer %zu: item %zu has no "
				    "number '%s'", i, j, key);
				goto fail;
			}
			items[nitems].value = item;
			items[nitems].score = json_object_get_double(score);
			items[nitems].order = nitems;
			nitems++;
		}
	}
	if (nitems > 0)
		qsort(items, nitems, sizeof *items, combine_item_compare);
	*result = json_object_new_array();
	for (i = 0; i < nitems && i < (uint64_t)n; i++)
		json_object_array_add(*result, json_object_get(items[i].value));
	free(items);
	return (0);

fail:
	free(items);
	return (-1);
}

/*
 * Combine the answers that are not errors by a rule: key and n are for
 * CR_COMBINE_TOP. On success *result is a new reference (NULL for JSON
 * null); on an answer the rule cannot take, -1 and *cause says which.
 */
int
combine_replies(int rule, const char *key, int64_t n,
    const struct fanout_reply *replies, size_t count,
    struct json_object **result, char **cause)
{
	size_t	 i;

	*result = NULL;
	switch (rule) {
	case CR_COMBINE_CONCAT:
		*result = fanout_concat(replies, count);
		return (0);
	case CR_COMBINE_NULL:
		return (0);
	case CR_COMBINE_SUM:
		return (combine_sum(replies, count, result, cause));
	case CR_COMBINE_MIN:
		return (combine_extreme(replies, count, 1, result, cause));
	case CR_COMBINE_MAX:
		return (combine_extreme(replies, count, -1, result, cause));
	case CR_COMBINE_TOP:
		return (combine_top(replies, count, key, n, result, cause));
	case CR_COMBINE_FIRST:
		for (i = 0; i < count; i++) {
			if (replies[i].error == NULL) {
				*result = json_object_get(replies[i].result);
				break;
			}
		}
		return (0);
	}
	xasprintf(cause, "no declared rule to combine by");
	return (-1);
}
