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


/*
 * artists: the worked example of creamas_env(3), a plugin of both kinds.
 *
 * Agents of type "artist" each make an artifact every round, scored by a
 * number in [0, 1) that depends only on the artist's seed and the round
 * (spawn params {"seed": S}; by default the agent's number). The
 * environment extension "artists" keeps, in every slave, the best
 * artifacts made so far (a round-end hook) and serves
 *
 *	top_artifacts {"n": N}
 *
 * the N best of them, best first, each {"artist", "round", "score"}; a
 * master combines its slaves' answers as the N best of all (top by
 * "score"), and creamasctl call does the same across nodes. The key
 * artists.keep (default 100) is how many a slave keeps.
 *
 * Build it against an installed creamasd:
 *
 *	cc -shared -fPIC $(pkg-config --cflags --libs creamas) \
 *	    -o artists.so artists.c
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <creamas/agent.h>
#include <creamas/env.h>

#define ARTISTS_KEEP	100
#define ARTISTS_KEEP_MAX 1000000

/* An artifact: who made it, in which round, and how good it is. */
struct artifact {
	char		 artist[CR_ADDRESS_MAX];
	uint64_t	 round;
	double		 score;
};

/* An artist: its seed and its artifact of the last round it acted. */
struct artist {
	uint64_t	 seed;
	struct artifact	 last;
	int		 made;
};

/* This slave's best artifacts so far, best first. */
static struct artifact	*best;
static size_t		 nbest;
static size_t		 keep = ARTISTS_KEEP;

/* Mix a 64-bit number (SplitMix64's finaliser). */
static uint64_t
artists_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31));
}

/* The score of a seed's artifact of a round: 53 bits into [0, 1). */
static double
artists_score(uint64_t seed, uint64_t round)
{
	return ((double)(artists_mix(artists_mix(seed) ^ round) >> 11) *
	    0x1.0p-53);
}

/* An artist takes {"seed": S}, a non-negative integer, or its number. */
static int
artist_init(struct cr_agent *agent, const struct json_object *params)
{
	struct artist		*artist = cr_agent_state(agent);
	struct json_object	*seed;

	artist->seed = (uint64_t)cr_agent_id(agent);
	if (params != NULL && json_object_object_get_ex(params, "seed",
	    &seed)) {
		if (!json_object_is_type(seed, json_type_int) ||
		    json_object_get_int64(seed) < 0) {
			cr_agent_fail(agent, "seed must be an integer >= 0");
			return (CR_BAD_PARAMS);
		}
		artist->seed = (uint64_t)json_object_get_int64(seed);
	}
	return (CR_OK);
}

/* Describe an artifact as {"artist", "round", "score"}. */
static struct json_object *
artists_json(const struct artifact *artifact)
{
	struct json_object	*object;

	object = json_object_new_object();
	json_object_object_add(object, "artist",
	    json_object_new_string(artifact->artist));
	json_object_object_add(object, "round",
	    json_object_new_int64((int64_t)artifact->round));
	json_object_object_add(object, "score",
	    json_object_new_double(artifact->score));
	return (object);
}

/* Make this round's artifact; the act's result is the artifact. */
static int
artist_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct artist	*artist = cr_agent_state(agent);

	cr_agent_address(agent, artist->last.artist,
	    sizeof artist->last.artist);
	artist->last.round = cr_agent_round(agent);
	artist->last.score = artists_score(artist->seed, artist->last.round);
	artist->made = 1;
	*result = artists_json(&artist->last);
	return (CR_OK);
}

/* Keep an artifact if it is among the best kept, in order. */
static void
artists_consider(const struct artifact *artifact)
{
	size_t	 at;

	if (nbest == keep && (keep == 0 ||
	    artifact->score <= best[nbest - 1].score))
		return;
	if (best == NULL && (best = calloc(keep, sizeof *best)) == NULL)
		return;
	/* After the equal ones: an earlier artifact stays ahead. */
	for (at = nbest; at > 0 && best[at - 1].score < artifact->score; at--)
		;
	if (nbest < keep)
		nbest++;
	memmove(&best[at + 1], &best[at], (nbest - 1 - at) * sizeof *best);
	best[at] = *artifact;
}

/* A round ended: every artist that acted in it offers its artifact. */
static void
artists_round_end(uint64_t round)
{
	struct cr_agent	*agent;
	struct artist	*artist;
	size_t		 i;

	for (i = 0; i < cr_env_agent_count(); i++) {
		agent = cr_env_agent(i);
		if (strcmp(cr_agent_type_name(agent), "artist") != 0)
			continue;
		artist = cr_agent_state(agent);
		if (artist->made && artist->last.round == round)
			artists_consider(&artist->last);
	}
}

/* top_artifacts {"n": N}: the N best artifacts of this slave so far. */
static void
artists_top(struct cr_call *call, const struct json_object *params)
{
	struct json_object	*list;
	int64_t			 n;
	size_t			 i;

	n = json_object_get_int64(json_object_object_get(params, "n"));
	if (n < 0) {
		cr_call_fail(call, "n must be 0 or more");
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < nbest && i < (uint64_t)n; i++)
		json_object_array_add(list, artists_json(&best[i]));
	cr_call_reply(call, list);
}

/* artists.keep: how many artifacts a slave keeps (forgets the rest). */
static int
artists_configure(const char *key, const char *value, char **cause)
{
	struct artifact	*kept;
	char		*end;
	unsigned long	 count;

	count = strtoul(value, &end, 10);
	if (*value == '\0' || *end != '\0' || count > ARTISTS_KEEP_MAX) {
		if ((*cause = malloc(64)) != NULL)
			snprintf(*cause, 64, "keep must be 0 to %d",
			    ARTISTS_KEEP_MAX);
		return (-1);
	}
	if (count > 0 && (kept = calloc(count, sizeof *kept)) == NULL) {
		*cause = strdup("out of memory");
		return (-1);
	}
	if (count == 0)
		kept = NULL;
	if (nbest > count)
		nbest = count;
	if (nbest > 0)
		memcpy(kept, best, nbest * sizeof *best);
	free(best);
	best = kept;
	keep = count;
	return (0);
}

/* Forget the kept artifacts when the plugin is unloaded. */
static void __attribute__((destructor))
artists_unload(void)
{
	free(best);
	best = NULL;
	nbest = 0;
}

/* Status: how many artifacts this environment keeps, and the best. */
static void
artists_status(struct json_object *status)
{
	struct json_object	*artists;

	artists = json_object_new_object();
	json_object_object_add(artists, "kept",
	    json_object_new_int64((int64_t)nbest));
	json_object_object_add(artists, "best", nbest > 0 ?
	    json_object_new_double(best[0].score) : NULL);
	json_object_object_add(status, "artists", artists);
}

static const struct cr_param top_params[] = {
	{ "n", CR_PARAM_INTEGER, 1 },
	{ NULL, 0, 0 }
};

static const struct cr_method artists_methods[] = {
	{ "top_artifacts", top_params, artists_top, CR_COMBINE_TOP, "score",
	    NULL },
	{ NULL, NULL, NULL, 0, NULL, NULL }
};

static const char *const artists_keys[] = { "keep", NULL };

static const struct cr_extension artists_extension = {
	CR_EXTENSION_HEADER,
	.name = "artists",
	.methods = artists_methods,
	.keys = artists_keys,
	.configure = artists_configure,
	.round_end = artists_round_end,
	.status = artists_status,
};

static const struct cr_agent_type artist_type = {
	.name = "artist",
	.state_size = sizeof(struct artist),
	.init = artist_init,
	.act = artist_act,
};

static const struct cr_agent_type *const artists_types[] = {
	&artist_type, NULL
};

CR_PLUGIN_DEFINE(artists_types, &artists_extension);
