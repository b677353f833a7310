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
 * The daemon's table of configuration keys (daemon/settings.c), in
 * process through the daemon's library: the defaults, what each kind of
 * key takes and the messages it refuses with, the --help listing, and
 * creamasd.conf(5) describing exactly the keys of the table.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "config.h"
#include "creamasd.h"
#include "testlib.h"

#define SETTINGS_MAN	"man/creamasd.conf.5"	/* from the source tree */

Suite	*suite_settings(void);

/* Set key=value on a configuration; the cause of a refusal, or NULL. */
static char *
set(struct daemon_config *config, const char *key, const char *value)
{
	char	*cause = NULL;
	int	 rc;

	rc = settings_set(key, value, config, &cause);
	ck_assert_msg((rc == 0) == (cause == NULL), "%s=%s: rc %d, cause %s",
	    key, value, rc, cause != NULL ? cause : "none");
	return (cause);
}

/* The defaults: the documented ones, the limits those of limit.c. */
START_TEST(test_defaults)
{
	struct daemon_config	 config;
	struct limits		 limits;

	memset(&limits, 0, sizeof limits);
	limit_default(&limits);
	settings_defaults(&config);
	ck_assert_str_eq(config.role, "slave");
	ck_assert_str_eq(config.listen, "127.0.0.1:7000");
	ck_assert_ptr_null(config.advertise);
	ck_assert_ptr_null(config.key_path);
	ck_assert_ptr_null(config.log_folder);
	ck_assert_ptr_null(config.metrics);
	ck_assert_uint_eq(config.nplugins, 0);
	ck_assert_int_eq(config.insecure, 0);
	ck_assert_uint_eq(config.slaves, 0);
	ck_assert_int_eq(config.slave_ports, -1);
	ck_assert_double_eq(config.idle_exit, 0);
	ck_assert_double_eq(config.stop_grace, 10);
	ck_assert_double_eq(config.round_timeout, 60);
	ck_assert_int_eq(memcmp(&config.limits, &limits, sizeof limits), 0);
	settings_free(&config);
}
END_TEST

/* Each kind of key takes what it should and keeps it. */
START_TEST(test_set)
{
	struct daemon_config	 config;

	settings_defaults(&config);
	ck_assert_ptr_null(set(&config, "role", "master"));
	ck_assert_ptr_null(set(&config, "listen", "0.0.0.0:7100"));
	ck_assert_ptr_null(set(&config, "insecure", "yes"));
	ck_assert_ptr_null(set(&config, "plugin", "/a.so"));
	ck_assert_ptr_null(set(&config, "plugin", "/b.so"));
	ck_assert_ptr_null(set(&config, "slaves", "1024"));
	ck_assert_ptr_null(set(&config, "slave_ports", "any"));
	ck_assert_ptr_null(set(&config, "round_timeout", "0.5"));
	ck_assert_ptr_null(set(&config, "max_line", "1K"));
	ck_assert_ptr_null(set(&config, "call_timeout", "2.5"));
	ck_assert_str_eq(config.role, "master");
	ck_assert_str_eq(config.listen, "0.0.0.0:7100");
	ck_assert_int_eq(config.insecure, 1);
	ck_assert_uint_eq(config.nplugins, 2);
	ck_assert_str_eq(config.plugins[1], "/b.so");
	ck_assert_uint_eq(config.slaves, 1024);
	ck_assert_int_eq(config.slave_ports, 0);
	ck_assert_double_eq(config.round_timeout, 0.5);
	ck_assert_uint_eq(config.limits.max_line, 1024);
	ck_assert_double_eq(config.limits.call_timeout, 2.5);
	ck_assert_ptr_null(set(&config, "slaves", "auto"));
	ck_assert_ptr_null(set(&config, "slave_ports", "7001"));
	ck_assert_uint_eq(config.slaves, 0);
	ck_assert_int_eq(config.slave_ports, 7001);
	settings_free(&config);
}
END_TEST

/* Refused settings: the message of each, and nothing changed. */
static const struct {
	const char	*key;
	const char	*value;
	const char	*cause;
} refused[] = {
	{ "nope", "1", "unknown key" },
	{ "Role", "slave", "unknown key" },
	{ "role", "boss", "unknown role 'boss' (slave or master)" },
	{ "listen", "", "empty value" },
	{ "insecure", "1", "must be yes or no" },
	{ "slaves", "1025", "invalid number '1025' (0 to 1024)" },
	{ "slave_ports", "0", "invalid number '0' (1 to 65535)" },
	{ "slave_ports", "65536", "invalid number '65536' (1 to 65535)" },
	{ "idle_exit", "-1", "invalid time '-1'" },
	{ "round_timeout", "0", "must be above 0" },
	{ "max_inflight", "0", "invalid number '0' (1 to 1000000)" },
	{ "max_output", "1X", "invalid size '1X'" },
};

/* Check one refused setting. */
START_TEST(test_refused)
{
	struct daemon_config	 config, before;
	char			*cause;

	settings_defaults(&config);
	before = config;
	cause = set(&config, refused[_i].key, refused[_i].value);
	ck_assert_msg(cause != NULL, "%s=%s accepted", refused[_i].key,
	    refused[_i].value);
	ck_assert_str_eq(cause, refused[_i].cause);
	free(cause);
	ck_assert_int_eq(memcmp(&config, &before, sizeof config), 0);
	settings_free(&config);
}
END_TEST

/* Return the whole of a file of the source tree, or fail. */
static char *
source_file(const char *path)
{
	char	*text;

	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "cannot read %s (tests run from the "
	    "top of the source tree)", path);
	return (text);
}

/*
 * creamasd.conf(5) describes every key of the table (".It Ic key"), and
 * no key the table does not have.
 */
START_TEST(test_manual)
{
	char		*man, *line, *next, *item, name[64];
	const char	*key;
	size_t		 i;
	int		 described;

	man = source_file(SETTINGS_MAN);
	for (i = 0; (key = settings_name(i)) != NULL; i++) {
		item = tl_printf("\n.It Ic %s ", key);
		ck_assert_msg(strstr(man, item) != NULL, "%s does not describe "
		    "the key %s", SETTINGS_MAN, key);
		free(item);
	}
	for (line = man; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (sscanf(line, ".It Ic %63s", name) != 1)
			continue;
		for (described = 0, i = 0; (key = settings_name(i)) != NULL;
		    i++)
			described |= strcmp(key, name) == 0;
		ck_assert_msg(described, "%s describes %s, a key creamasd "
		    "does not have", SETTINGS_MAN, name);
	}
	free(man);
}
END_TEST

/* The listing of --help names every key with its default. */
START_TEST(test_listing)
{
	FILE		*out;
	char		*text = NULL, *row;
	const char	*key;
	size_t		 size = 0, i;

	ck_assert_ptr_nonnull(out = open_memstream(&text, &size));
	settings_print(out);
	ck_assert_int_eq(fclose(out), 0);
	for (i = 0; (key = settings_name(i)) != NULL; i++) {
		row = tl_printf("\n%s ", key);
		ck_assert_msg(strstr(text, row) != NULL, "no row for %s in:\n%s",
		    key, text);
		free(row);
	}
	ck_assert_ptr_nonnull(strstr(text, "\nmax_line         size"
	    "                   16M "));
	ck_assert_ptr_nonnull(strstr(text, "\nslaves           count|auto "
	    "0-1024      auto "));
	ck_assert_ptr_nonnull(strstr(text, "\nround_timeout    seconds"
	    "                60 "));
	free(text);
}
END_TEST

/* The settings suite. */
Suite *
suite_settings(void)
{
	Suite	*suite;
	TCase	*tcase;

	suite = suite_create("settings");
	tcase = tcase_create("table");
	tcase_add_test(tcase, test_defaults);
	tcase_add_test(tcase, test_set);
	tcase_add_loop_test(tcase, test_refused, 0,
	    sizeof refused / sizeof refused[0]);
	tcase_add_test(tcase, test_manual);
	tcase_add_test(tcase, test_listing);
	suite_add_tcase(suite, tcase);
	return (suite);
}
