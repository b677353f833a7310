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
 * Tests for common/hostlist.c: Slurm host lists expanded as Slurm 22.05's
 * scontrol show hostnames does (the expected lists are its output), and,
 * where scontrol is installed, compared with what it prints.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "hostlist.h"
#include "testlib.h"

Suite	*suite_hostlist(void);

/*
 * A host list and what it expands to, hosts apart by spaces (NULL: it is
 * refused); ours_only where scontrol's answer is not ours: a list far
 * over HOSTLIST_MAX, a bracket never closed (scontrol makes "n]" of
 * "n[1-2"). The ours_only cases come last: they are not compared.
 */
static const struct hostlist_case {
	const char	*list;
	const char	*hosts;
	int		 ours_only;
} hostlist_cases[] = {
	{ "n[01-03,7]", "n01 n02 n03 n7", 0 },
	{ "n[7,01-03]", "n7 n01 n02 n03", 0 },
	{ "r[1-2]n[08-10],a,b[9-11],c[0001-0002]",
	    "r1n08 r1n09 r1n10 r2n08 r2n09 r2n10 a b9 b10 b11 c0001 c0002", 0 },
	{ "n[1-3]x[1-2]", "n1x1 n1x2 n2x1 n2x2 n3x1 n3x2", 0 },
	{ "n[1-3]-[5-6]", "n1-5 n1-6 n2-5 n2-6 n3-5 n3-6", 0 },
	{ "a,a,b c", "a a b c", 0 },
	{ "n[9-11]", "n9 n10 n11", 0 },
	{ "n[009-011]", "n009 n010 n011", 0 },
	{ "n0[1-2]", "n01 n02", 0 },
	{ "n[01-3]", "n01 n02 n03", 0 },
	{ "n[1-03]", "n1 n2 n3", 0 },
	{ "n[1-3,2]", "n1 n2 n3 n2", 0 },
	{ "n[1-1]", "n1", 0 },
	{ "n[5,1]", "n5 n1", 0 },
	{ "n[1-2],,m", "n1 n2 m", 0 },
	{ ",m", "m", 0 },
	{ "node-1.example.org", "node-1.example.org", 0 },
	{ "n[98-101]", "n98 n99 n100 n101", 0 },
	{ "gpu[1-2]x", NULL, 0 },
	{ "n[01-03,7],gpu[1-2]x", NULL, 0 },
	{ "n[1-2]-x", NULL, 0 },
	{ "n[3-1]", NULL, 0 },
	{ "a[]", NULL, 0 },
	{ "n[a-b]", NULL, 0 },
	{ "n[1-2]y[01-2]z", NULL, 0 },
	{ "", NULL, 0 },
	{ "n[1-2", NULL, 1 },
	{ "n[0-99999999]", NULL, 1 },
	{ "a[0-999]b[0-999]", NULL, 1 },
};

/* Join a list's hosts with spaces. */
static char *
hostlist_join(const struct hostlist *list)
{
	char	*text, *next;
	size_t	 k;

	text = tl_strdup("");
	for (k = 0; k < list->count; k++) {
		next = tl_printf("%s%s%s", text, k > 0 ? " " : "",
		    list->hosts[k]);
		free(text);
		text = next;
	}
	return (text);
}

/* Every known case expands as scontrol does, or is refused with why. */
START_TEST(test_hostlist_cases)
{
	const struct hostlist_case	*c = &hostlist_cases[_i];
	struct hostlist			 list;
	char				*cause = NULL, *hosts;

	if (c->hosts == NULL) {
		ck_assert_int_eq(hostlist_expand(c->list, &list, &cause), -1);
		ck_assert_ptr_nonnull(cause);
		ck_assert_ptr_nonnull(strstr(cause, "host list"));
		ck_assert_uint_eq(list.count, 0);
		free(cause);
		return;
	}
	ck_assert_msg(hostlist_expand(c->list, &list, &cause) == 0,
	    "%s: %s", c->list, cause);
	hosts = hostlist_join(&list);
	ck_assert_str_eq(hosts, c->hosts);
	free(hosts);
	hostlist_free(&list);
}
END_TEST

/* Return the path of scontrol, or NULL when it is not installed. */
static char *
hostlist_scontrol(void)
{
	static const char	*dirs[] = { "/usr/bin", "/usr/local/bin",
				    NULL };
	char			*path;
	size_t			 k;

	for (k = 0; dirs[k] != NULL; k++) {
		path = tl_printf("%s/scontrol", dirs[k]);
		if (access(path, X_OK) == 0)
			return (path);
		free(path);
	}
	return (NULL);
}

/*
 * Each case but the ours_only ones expands to what Slurm's scontrol show
 * hostnames prints (it needs a configuration, not a controller); a
 * machine without scontrol fails this rather than passing unchecked.
 */
START_TEST(test_hostlist_scontrol)
{
	const struct hostlist_case	*c = &hostlist_cases[_i];
	struct tl_run			 run;
	struct hostlist			 list;
	char				*scontrol, *conf, *hosts, *cause;
	const char			*argv[8];

	ck_assert_msg(!c->ours_only, "%s is not scontrol's", c->list);
	ck_assert_msg((scontrol = hostlist_scontrol()) != NULL, "no scontrol "
	    "in /usr/bin or /usr/local/bin: install slurm-wlm (tools/setup.sh "
	    "does)");
	conf = tl_path(tl_tempdir(), "hostlist-slurm.conf");
	tl_write_file(conf, "ClusterName=check\nSlurmctldHost=localhost\n");
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = "SLURM_CONF=\"$1\" exec \"$2\" show hostnames \"$3\"";
	argv[3] = "sh";
	argv[4] = conf;
	argv[5] = scontrol;
	argv[6] = c->list;
	argv[7] = NULL;
	tl_run_program(&run, TL_TIMEOUT, argv);
	if (hostlist_expand(c->list, &list, &cause) != 0) {
		ck_assert_msg(!tl_exit_ok(&run.exit) || *run.out == '\0',
		    "%s: refused (%s) but scontrol prints %s", c->list,
		    cause, run.out);
		free(cause);
	} else {
		ck_assert_msg(tl_exit_ok(&run.exit), "%s: scontrol: %s",
		    c->list, run.err);
		hosts = hostlist_join(&list);
		for (cause = run.out; *cause != '\0'; cause++) {
			if (*cause == '\n')
				*cause = cause[1] == '\0' ? '\0' : ' ';
		}
		ck_assert_str_eq(hosts, run.out);
		free(hosts);
		hostlist_free(&list);
	}
	tl_run_free(&run);
	unlink(conf);
	free(conf);
	free(scontrol);
}
END_TEST

/* The suite. */
Suite *
suite_hostlist(void)
{
	Suite	*s = suite_create("hostlist");
	TCase	*tc = tcase_create("expand");
	int	 count = (int)(sizeof hostlist_cases /
		    sizeof hostlist_cases[0]), compared = count;

	while (compared > 0 && hostlist_cases[compared - 1].ours_only)
		compared--;
	tcase_add_loop_test(tc, test_hostlist_cases, 0, count);
	tcase_add_loop_test(tc, test_hostlist_scontrol, 0, compared);
	suite_add_tcase(s, tc);
	return (s);
}
