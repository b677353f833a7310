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
 * Tests for ctl/slurm.c without a Slurm: nodes --from-slurm from the
 * variables an allocation sets, and spawn's launch=slurm with a stand-in
 * srun first on PATH, which records its arguments and runs the command
 * after its options (or fails as srun does). tests/slurm/run.sh runs the
 * real one.
 */

#include <sys/stat.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

#define CTL_TIMEOUT	30.0	/* seconds any creamasctl run may take */

Suite	*suite_slurm(void);

/* nodes --from-slurm prints the allocation's hosts as launch=slurm nodes. */
START_TEST(test_nodes_from_slurm)
{
	struct tl_ctl	 run;

	ck_assert_int_eq(setenv("SLURM_JOB_NODELIST", "n[01-02],gpu1", 1), 0);
	ck_assert_int_eq(setenv("SLURM_JOB_ID", "42", 1), 0);
	tl_ctl_run(&run, CTL_TIMEOUT, "nodes", "--from-slurm", "--port",
	    "7100", "--slaves", "2", NULL);
	tl_ctl_expect(&run, 0, "nodes --from-slurm");
	ck_assert_str_eq(run.out, "# Slurm job 42: n[01-02],gpu1\n"
	    "n01 port=7100 slaves=2 launch=slurm\n"
	    "n02 port=7100 slaves=2 launch=slurm\n"
	    "gpu1 port=7100 slaves=2 launch=slurm\n");
	tl_ctl_free(&run);

	/* Without --slaves, the nodes file's default (one per core). */
	tl_ctl_run(&run, CTL_TIMEOUT, "nodes", "--from-slurm", NULL);
	tl_ctl_expect(&run, 0, "nodes --from-slurm");
	ck_assert_ptr_nonnull(strstr(run.out,
	    "\nn01 port=7000 launch=slurm\n"));
	tl_ctl_free(&run);

	/* A list Slurm refuses too. */
	ck_assert_int_eq(setenv("SLURM_JOB_NODELIST", "gpu[1-2]x", 1), 0);
	tl_ctl_run(&run, CTL_TIMEOUT, "nodes", "--from-slurm", NULL);
	tl_ctl_expect(&run, 2, "nodes --from-slurm, a bad list");
	ck_assert_str_eq(run.err, "creamasctl: SLURM_JOB_NODELIST: host list "
	    "'gpu[1-2]x': x after the last ']'\n");
	tl_ctl_free(&run);

	/* Outside an allocation. */
	unsetenv("SLURM_JOB_NODELIST");
	unsetenv("SLURM_NODELIST");
	tl_ctl_run(&run, CTL_TIMEOUT, "nodes", "--from-slurm", NULL);
	tl_ctl_expect(&run, 2, "nodes --from-slurm, no allocation");
	ck_assert_ptr_nonnull(strstr(run.err, "SLURM_JOB_NODELIST is not "
	    "set"));
	ck_assert_str_eq(run.out, "");
	tl_ctl_free(&run);

	/* --port is --from-slurm's. */
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", "/nonexistent", "nodes",
	    "--port", "7100", NULL);
	tl_ctl_expect(&run, 2, "nodes --port");
	tl_ctl_free(&run);
	unsetenv("SLURM_JOB_ID");
}
END_TEST

/*
 * Write a stand-in srun into a folder put first on PATH: it writes its
 * arguments to srun.args there, then fails when SRUN_FAIL is set or runs
 * what follows its options.
 */
static char *
slurm_fake_srun(const char *tmp)
{
	char	*dir, *path, *search;

	dir = tl_path(tmp, "bin");
	mkdir(dir, 0755);
	path = tl_path(dir, "srun");
	tl_write_file(path, "#!/bin/sh\n"
	    "echo \"$*\" > \"$(dirname \"$0\")/srun.args\"\n"
	    "if [ -n \"${SRUN_FAIL:-}\" ]; then\n"
	    "\techo 'srun: error: Unable to create step for job 42' >&2\n"
	    "\texit 1\n"
	    "fi\n"
	    "while [ $# -gt 0 ]; do\n"
	    "\tcase $1 in --*) shift ;; *) break ;; esac\n"
	    "done\n"
	    "exec \"$@\"\n");
	ck_assert_int_eq(chmod(path, 0755), 0);
	search = tl_printf("%s:%s", dir, getenv("PATH"));
	ck_assert_int_eq(setenv("PATH", search, 1), 0);
	free(search);
	free(path);
	return (dir);
}

/* Return the srun pid spawn wrote at the top of srun's output file. */
static pid_t
slurm_srun_pid(const char *tmp, uint16_t port)
{
	char	*path, *text, *p;
	pid_t	 pid;

	path = tl_printf("%s/creamasd-slurm-42-127.0.0.1-%u.log", tmp, port);
	text = tl_read_file(path);
	ck_assert_ptr_nonnull(text);
	p = strstr(text, "creamasctl: srun pid ");
	ck_assert_ptr_nonnull(p);
	pid = (pid_t)strtol(p + strlen("creamasctl: srun pid "), NULL, 10);
	free(text);
	free(path);
	return (pid);
}

/*
 * spawn runs the node as a job step: srun with the step's options and
 * creamasd in the foreground; it returns once the node is ready and
 * leaves srun running; stop ends it.
 */
START_TEST(test_spawn_slurm)
{
	struct tl_ctl	 run;
	uint16_t	 port = tl_free_ports(2);
	const char	*tmp = tl_tempdir();
	char		*bin, *nodes, *args, *expected, *text;
	pid_t		 srun;

	tl_adopt_orphans();
	bin = slurm_fake_srun(tmp);
	ck_assert_int_eq(setenv("SLURM_JOB_ID", "42", 1), 0);
	ck_assert_int_eq(setenv("TMPDIR", tmp, 1), 0);
	nodes = tl_path(tmp, "nodes");
	text = tl_printf("127.0.0.1 port=%u slaves=1 launch=slurm "
	    "idle_exit=60\n", port);
	tl_write_file(nodes, text);
	free(text);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", nodes, "spawn", NULL);
	tl_ctl_expect(&run, 0, "spawn launch=slurm");
	ck_assert_ptr_nonnull(strstr(run.out, "started (slurm)"));
	tl_ctl_free(&run);
	srun = slurm_srun_pid(tmp, port);
	tl_track_pid(srun);
	ck_assert(tl_pid_alive(srun));

	text = tl_path(bin, "srun.args");
	args = tl_read_file(text);
	free(text);
	expected = tl_printf("--nodes=1 --ntasks=1 --nodelist=127.0.0.1 "
	    "--overlap --jobid=42 %s -d --role master --slaves 1 --listen "
	    "127.0.0.1:%u -o idle_exit=60\n", tl_creamasd(), port);
	ck_assert_str_eq(args, expected);

	tl_ctl_run(&run, CTL_TIMEOUT, "-f", nodes, "wait", NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", nodes, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	/* The step (srun, here creamasd itself) ends with the node. */
	ck_assert_int_eq(tl_stop_pid(srun, 0, TL_STOP_WAIT).killed, 0);
	ck_assert(tl_wait_port_closed(port, TL_TIMEOUT));
	unsetenv("SLURM_JOB_ID");
	free(args);
	free(expected);
	free(nodes);
	free(bin);
}
END_TEST

/* spawn says why a step did not start: srun's error, or no allocation. */
START_TEST(test_spawn_slurm_fails)
{
	struct tl_ctl	 run;
	uint16_t	 port = tl_free_ports(2);
	const char	*tmp = tl_tempdir();
	char		*bin, *nodes, *text;

	bin = slurm_fake_srun(tmp);
	ck_assert_int_eq(setenv("TMPDIR", tmp, 1), 0);
	nodes = tl_path(tmp, "nodes");
	text = tl_printf("127.0.0.1 port=%u launch=slurm\n", port);
	tl_write_file(nodes, text);
	free(text);

	unsetenv("SLURM_JOB_ID");
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", nodes, "spawn", NULL);
	tl_ctl_expect(&run, 1, "spawn launch=slurm outside a job");
	ck_assert_ptr_nonnull(strstr(run.err, "SLURM_JOB_ID is not set"));
	tl_ctl_free(&run);

	ck_assert_int_eq(setenv("SLURM_JOB_ID", "42", 1), 0);
	ck_assert_int_eq(setenv("SRUN_FAIL", "1", 1), 0);
	tl_ctl_run(&run, CTL_TIMEOUT, "-f", nodes, "spawn", NULL);
	tl_ctl_expect(&run, 1, "spawn launch=slurm, srun fails");
	ck_assert_ptr_nonnull(strstr(run.err, "srun: error: Unable to "
	    "create step for job 42"));
	tl_ctl_free(&run);
	unsetenv("SRUN_FAIL");
	unsetenv("SLURM_JOB_ID");
	free(nodes);
	free(bin);
}
END_TEST

/* The suite. */
Suite *
suite_slurm(void)
{
	Suite	*s = suite_create("slurm");
	TCase	*tc = tcase_create("ctl");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_nodes_from_slurm);
	tcase_add_test(tc, test_spawn_slurm);
	tcase_add_test(tc, test_spawn_slurm_fails);
	suite_add_tcase(s, tc);
	return (s);
}
