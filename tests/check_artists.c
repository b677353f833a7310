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
 * The example plugin, examples/plugins/artists.c, as a user builds it:
 * out of the tree, from what "make install DESTDIR=..." stages, with
 * pkg-config only; then loaded by a master of two slaves and by two
 * local nodes under creamasctl. Its top_artifacts, combined by each
 * master and across nodes by creamasctl call, must equal the best of
 * every artifact made, computed here from the scores' definition.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "testlib.h"

Suite	*suite_artists(void);

#define CA_ROUNDS	3
#define CA_TOP		5
#define CA_ARTISTS	10

/* One artifact of the independent computation. */
struct ca_artifact {
	const char	*artist;
	int64_t		 round;
	double		 score;
	size_t		 order;
};

/*
 * Stage an install in a temporary root ($CREAMAS_INSTALL, set by make
 * check) and build the installed artists.c there with pkg-config only;
 * return the plugin's path.
 */
static char *
ca_build_plugin(void)
{
	const char	*install = getenv("CREAMAS_INSTALL");
	const char	*dir = tl_tempdir();
	char		*root, *plugin, *command, *source;

	ck_assert_msg(install != NULL && *install != '\0',
	    "CREAMAS_INSTALL is not set: run the tests with make check");
	root = tl_path(dir, "root");
	plugin = tl_path(dir, "artists.so");
	source = tl_printf("%s/usr/local/share/doc/creamasd/examples/"
	    "artists.c", root);
	command = tl_printf("%s DESTDIR='%s' PREFIX=/usr/local >/dev/null",
	    install, root);
	ck_assert_msg(system(command) == 0, "%s failed", command);
	free(command);
	command = tl_printf("PKG_CONFIG_PATH='%s/usr/local/share/pkgconfig' "
	    "&& export PKG_CONFIG_PATH && cc -shared -fPIC $(pkg-config "
	    "--define-variable=prefix='%s/usr/local' --cflags --libs creamas) "
	    "-o '%s' '%s'", root, root, plugin, source);
	ck_assert_msg(system(command) == 0, "%s failed", command);
	free(command);
	free(source);
	free(root);
	return (plugin);
}

/* The artifacts' score, as creamas_env(3) defines it: SplitMix64. */
static uint64_t
ca_mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (x ^ (x >> 31));
}

/* The score of seed's artifact of a round, in [0, 1). */
static double
ca_score(uint64_t seed, uint64_t round)
{
	return ((double)(ca_mix(ca_mix(seed) ^ round) >> 11) /
	    9007199254740992.0);
}

/* Best score first; equal ones in the order made. */
static int
ca_compare(const void *a, const void *b)
{
	const struct ca_artifact	*left = a, *right = b;

	if (left->score != right->score)
		return (left->score > right->score ? -1 : 1);
	return (left->order < right->order ? -1 : 1);
}

/*
 * The n best of every artifact made in rounds 1..rounds by the artists
 * at addresses[i] with seeds[i], as top_artifacts answers them.
 */
static struct json_object *
ca_expected(char **addresses, const int64_t *seeds, size_t count,
    size_t n)
{
	struct ca_artifact	 all[CA_ARTISTS * 2 * CA_ROUNDS];
	struct json_object	*list, *entry;
	size_t			 i, total = 0;
	int64_t			 round;

	for (i = 0; i < count; i++) {
		for (round = 1; round <= CA_ROUNDS; round++) {
			all[total].artist = addresses[i];
			all[total].round = round;
			all[total].score = ca_score((uint64_t)seeds[i],
			    (uint64_t)round);
			all[total].order = total;
			total++;
		}
	}
	qsort(all, total, sizeof all[0], ca_compare);
	list = json_object_new_array();
	for (i = 0; i < n && i < total; i++) {
		entry = json_object_new_object();
		json_object_object_add(entry, "artist",
		    json_object_new_string(all[i].artist));
		json_object_object_add(entry, "round",
		    json_object_new_int64(all[i].round));
		json_object_object_add(entry, "score",
		    json_object_new_double(all[i].score));
		json_object_array_add(list, entry);
	}
	return (list);
}

/* Spawn an artist of a seed on a node; return its address. */
static char *
ca_spawn(struct tl_conn *conn, int64_t seed)
{
	struct json_object	*address;
	char			*text;

	address = tl_okf(conn, "spawn", "{\"type\":\"artist\","
	    "\"params\":{\"seed\":%lld}}", (long long)seed);
	text = tl_strdup(json_object_get_string(address));
	json_object_put(address);
	return (text);
}

/* Fail unless a top_artifacts answer equals the independent one. */
static void
ca_assert_top(struct json_object *got, struct json_object *expected,
    const char *where)
{
	ck_assert_msg(json_object_equal(got, expected), "%s: top_artifacts "
	    "%s, expected %s", where, tl_json_text(got),
	    tl_json_text(expected));
}

START_TEST(test_artists_master)
{
	struct tl_daemon	*node;
	struct tl_conn		*conn;
	struct json_object	*got, *expected, *status;
	char			*plugin, *addresses[CA_ARTISTS];
	int64_t			 seeds[CA_ARTISTS];
	size_t			 i;

	plugin = ca_build_plugin();
	tl_adopt_orphans();
	node = tl_daemon_start("--role", "master", "--slaves", "2",
	    "--plugin", plugin, NULL);
	conn = tl_connect(node->port);
	for (i = 0; i < CA_ARTISTS; i++) {
		seeds[i] = 1000 + (int64_t)i * 7;
		addresses[i] = ca_spawn(conn, seeds[i]);
	}
	for (i = 0; i < CA_ROUNDS; i++)
		json_object_put(tl_ok(conn, "trigger_all", NULL));
	expected = ca_expected(addresses, seeds, CA_ARTISTS, CA_TOP);
	got = tl_okf(conn, "top_artifacts", "{\"n\":%d}", CA_TOP);
	ca_assert_top(got, expected, "a master of 2 slaves");
	json_object_put(got);
	json_object_put(expected);
	/* Every artifact, best first: each slave keeps its own. */
	expected = ca_expected(addresses, seeds, CA_ARTISTS, 1000);
	got = tl_ok(conn, "top_artifacts", "{\"n\":1000}");
	ca_assert_top(got, expected, "all of them");
	json_object_put(got);
	json_object_put(expected);
	status = tl_ok(conn, "status", NULL);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(tl_int(tl_member(tl_index(tl_member(status,
		    "slaves"), i), "artists"), "kept"),
		    CA_ARTISTS / 2 * CA_ROUNDS);
	json_object_put(status);
	for (i = 0; i < CA_ARTISTS; i++)
		free(addresses[i]);
	tl_expect_result(conn, "stop", NULL, "true");
	tl_close(conn);
	tl_daemon_stop_clean(node);
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
	free(plugin);
}
END_TEST

START_TEST(test_artists_ctl)
{
	struct tl_ctl		 run;
	struct tl_conn		*conn;
	struct json_object	*got, *expected;
	char			*plugin, *file, *text, *addresses[CA_ARTISTS];
	char			 rounds[16], params[32];
	int64_t			 seeds[CA_ARTISTS];
	uint16_t		 base, ports[2];
	size_t			 i;

	plugin = ca_build_plugin();
	tl_adopt_orphans();
	base = tl_free_ports(4);
	ports[0] = base;
	ports[1] = (uint16_t)(base + 2);
	file = tl_path(tl_tempdir(), "nodes");
	text = tl_printf("127.0.0.1 port=%u slaves=1 launch=local cmd=\""
	    "{creamasd} --role master --slaves {slaves} --listen {listen} "
	    "-o idle_exit={idle_exit} --plugin %s\"\n"
	    "127.0.0.1 port=%u slaves=1 launch=local cmd=\"{creamasd} "
	    "--role master --slaves {slaves} --listen {listen} "
	    "-o idle_exit={idle_exit} --plugin %s\"\n", ports[0], plugin,
	    ports[1], plugin);
	tl_write_file(file, text);
	free(text);
	tl_ctl_run(&run, 60, "-f", file, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn");
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-f", file, "wait", NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	/* Half of the artists on each node, each of its own seed. */
	for (i = 0; i < CA_ARTISTS; i++) {
		conn = tl_connect(ports[i % 2]);
		seeds[i] = 77 + (int64_t)i * 13;
		addresses[i] = ca_spawn(conn, seeds[i]);
		tl_close(conn);
	}
	snprintf(rounds, sizeof rounds, "%d", CA_ROUNDS);
	tl_ctl_run(&run, 60, "-f", file, "trigger", "-n", rounds, NULL);
	tl_ctl_expect(&run, 0, "trigger");
	tl_ctl_free(&run);
	snprintf(params, sizeof params, "{\"n\":%d}", CA_TOP);
	tl_ctl_run(&run, 60, "-f", file, "call", "top_artifacts", params,
	    NULL);
	tl_ctl_expect(&run, 0, "call top_artifacts");
	expected = ca_expected(addresses, seeds, CA_ARTISTS, CA_TOP);
	got = tl_last_json_line(run.out);
	ca_assert_top(got, expected, "two nodes under creamasctl");
	json_object_put(got);
	json_object_put(expected);
	tl_ctl_free(&run);
	tl_ctl_run(&run, 60, "-f", file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	ck_assert_int_eq(tl_wait_no_stray(10.0), 0);
	for (i = 0; i < CA_ARTISTS; i++)
		free(addresses[i]);
	free(file);
	free(plugin);
}
END_TEST

/* The suite. */
Suite *
suite_artists(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("artists");
	tc = tcase_create("artists");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_artists_master);
	tcase_add_test(tc, test_artists_ctl);
	suite_add_tcase(suite, tc);
	return (suite);
}
