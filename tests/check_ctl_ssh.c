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
 * End-to-end tests of creamasctl ($CREAMASCTL) with masters ($CREAMASD)
 * spawned through a real OpenSSH server (tests/sshd.h) and locally: the
 * main job step by step over SSH, a node whose SSH port is closed, a
 * changed host key, and Creamas' distributed test ported to two local
 * masters of two slaves. sshd runs every command through a script
 * (ForceCommand) that puts $CREAMASD's directory first in PATH, so the
 * default remote command "creamasd --role master ..." is found.
 *
 * This process becomes a subreaper, so daemonised masters become its
 * children; every pid is read back, tracked and stopped by the test.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "sshd.h"
#include "testlib.h"

#define SSH_RUN_TIMEOUT	60.0	/* seconds a creamasctl run may take */
#define SSH_ARGS_MAX	32
#define SSH_NODES_MAX	3
#define SSH_SLAVES_MAX	2
#define SSH_ADOPTED_MAX	32	/* daemons adopted by one test */
#define SSH_GRAPH_SEED	0x5eed2026ULL
#define SSH_AGENTS	40	/* agents per node in the distributed test */

Suite	*suite_ctl_ssh(void);

/* Masters on free ports, with their nodes file and their processes. */
struct ssh_cluster {
	size_t	 count;
	uint16_t ports[SSH_NODES_MAX];
	int	 slaves[SSH_NODES_MAX];
	char	 names[SSH_NODES_MAX][32];
	pid_t	 pids[SSH_NODES_MAX];
	pid_t	 slave_pids[SSH_NODES_MAX][SSH_SLAVES_MAX];
	pid_t	 adopted[SSH_ADOPTED_MAX];	/* detached daemons */
	size_t	 nadopted;
	char	*dir;
	char	*file;
};

/* Return line i (from 0) of a text, a new string, or NULL past the end. */
static char *
ssh_line(const char *text, size_t i)
{
	const char	*end;

	for (; i > 0; i--) {
		if ((text = strchr(text, '\n')) == NULL)
			return (NULL);
		text++;
	}
	if (*text == '\0')
		return (NULL);
	end = text + strcspn(text, "\n");
	return (strndup(text, end - text));
}

/* Return the number of lines of a text. */
static size_t
ssh_count_lines(const char *text)
{
	size_t	 n = 0;
	char	*line;

	while ((line = ssh_line(text, n)) != NULL) {
		free(line);
		n++;
	}
	return (n);
}

/* Return 1 if some line of a text holds both a and b. */
static int
ssh_line_has(const char *text, const char *a, const char *b)
{
	char	*line;
	size_t	 i;
	int	 found = 0;

	for (i = 0; !found && (line = ssh_line(text, i)) != NULL; i++) {
		found = strstr(line, a) != NULL && strstr(line, b) != NULL;
		free(line);
	}
	return (found);
}

/*
 * Make a nodes file of count masters of slaves[i] slaves each, with
 * ranges of free ports apart, launched as launch says; ssh_ports[i], when
 * ssh_ports is not NULL, is node i's SSH port; extra is added to each.
 */
static void
ssh_cluster_make(struct ssh_cluster *c, size_t count, const int *slaves,
    const uint16_t *ssh_ports, const char *extra)
{
	FILE		*f;
	size_t		 i;
	uint16_t	 port;

	memset(c, 0, sizeof *c);
	ck_assert_uint_le(count, SSH_NODES_MAX);
	c->count = count;
	c->dir = strdup(tl_tempdir());
	c->file = tl_path(c->dir, "nodes");
	f = fopen(c->file, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < count; i++) {
		ck_assert_int_le(slaves[i], SSH_SLAVES_MAX);
		c->slaves[i] = slaves[i];
		port = tl_free_ports_apart((size_t)slaves[i] + 1, c->ports, i,
		    SSH_SLAVES_MAX);
		c->ports[i] = port;
		snprintf(c->names[i], sizeof c->names[i], "127.0.0.1:%u",
		    port);
		if (ssh_ports != NULL)
			fprintf(f, "127.0.0.1:%u ", ssh_ports[i]);
		else
			fprintf(f, "127.0.0.1 ");
		fprintf(f, "port=%u slaves=%d idle_exit=120 %s\n", port,
		    slaves[i], extra);
	}
	ck_assert_int_eq(fclose(f), 0);
	tl_adopt_orphans();
}

/*
 * Return 1 if pid is one of sshd's own processes: a session's privilege
 * separated child is orphaned to this test when its connection closes
 * first, and ends by itself.
 */
static int
ssh_is_sshd_session(pid_t pid)
{
	char	 path[64], *comm;
	int	 sshd;

	snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
	if ((comm = tl_read_file(path)) == NULL)
		return (0);
	sshd = strncmp(comm, "sshd", 4) == 0;
	free(comm);
	return (sshd);
}

/* Track every daemon that became our child, to be waited for. */
static void
ssh_cluster_adopt(struct ssh_cluster *c)
{
	pid_t	 pid;

	while ((pid = tl_stray_child()) != 0) {
		tl_track_pid(pid);
		if (ssh_is_sshd_session(pid)) {
			tl_stop_pid(pid, 0, 5.0);
			continue;
		}
		ck_assert_uint_lt(c->nadopted, SSH_ADOPTED_MAX);
		c->adopted[c->nadopted++] = pid;
	}
}

/* Track a pid once, adopted or not. */
static void
ssh_track(pid_t pid)
{
	ck_assert_int_gt(pid, 1);
	ck_assert_msg(tl_pid_alive(pid), "pid %ld is not alive", (long)pid);
	tl_untrack_pid(pid);
	tl_track_pid(pid);
}

/*
 * Learn the pids of the first c->count masters and their slaves from
 * creamasctl -j -n NODE... status (checked against a direct status
 * call), and track them.
 */
static void
ssh_cluster_read_pids(struct ssh_cluster *c)
{
	struct tl_ctl		 run;
	struct json_object	*object, *result, *slaves, *direct;
	struct tl_conn		*conn;
	const char		*args[SSH_ARGS_MAX];
	char			*line;
	size_t			 i, k, n = 0;

	args[n++] = "-j";
	args[n++] = "-f";
	args[n++] = c->file;
	for (i = 0; i < c->count; i++) {
		args[n++] = "-n";
		args[n++] = c->names[i];
	}
	args[n++] = "status";
	args[n] = NULL;
	tl_ctl_runv(&run, SSH_RUN_TIMEOUT, NULL, NULL, -1, args);
	tl_ctl_expect(&run, 0, "status");
	ck_assert_uint_eq(ssh_count_lines(run.out), c->count);
	for (i = 0; i < c->count; i++) {
		line = ssh_line(run.out, i);
		object = tl_json(line);
		free(line);
		ck_assert_str_eq(tl_string(object, "step"), "status");
		ck_assert_str_eq(tl_string(object, "node"), c->names[i]);
		ck_assert(json_object_get_boolean(tl_member(object, "ok")));
		result = tl_member(object, "result");
		ck_assert_str_eq(tl_string(result, "role"), "master");
		c->pids[i] = (pid_t)tl_int(result, "pid");
		ssh_track(c->pids[i]);
		slaves = tl_member(result, "slaves");
		ck_assert_uint_eq(json_object_array_length(slaves),
		    (size_t)c->slaves[i]);
		for (k = 0; k < (size_t)c->slaves[i]; k++) {
			c->slave_pids[i][k] = (pid_t)tl_int(tl_index(slaves,
			    k), "pid");
			ck_assert_int_ne(c->slave_pids[i][k], c->pids[i]);
			ssh_track(c->slave_pids[i][k]);
		}
		conn = tl_connect(c->ports[i]);
		direct = tl_ok(conn, "status", NULL);
		ck_assert_int_eq(tl_int(direct, "pid"), c->pids[i]);
		json_object_put(direct);
		tl_close(conn);
		json_object_put(object);
	}
	tl_ctl_free(&run);
}

/*
 * Fail unless every process of the cluster has ended and no port of it
 * listens; reap them. Stop nothing: the nodes must be gone already.
 */
static void
ssh_cluster_expect_gone(struct ssh_cluster *c)
{
	struct tl_exit	 e;
	size_t		 i, k;

	for (i = 0; i < c->count; i++) {
		for (k = 0; k <= (size_t)c->slaves[i]; k++)
			ck_assert_msg(!tl_port_listening((uint16_t)(
			    c->ports[i] + k)), "port %u of %s still listens",
			    c->ports[i] + (unsigned)k, c->names[i]);
		if (c->pids[i] > 0) {
			e = tl_stop_pid(c->pids[i], 0, 5.0);
			ck_assert_msg(!e.killed, "master %ld of %s was still "
			    "running", (long)c->pids[i], c->names[i]);
			c->pids[i] = -1;
		}
		for (k = 0; k < (size_t)c->slaves[i]; k++) {
			if (c->slave_pids[i][k] <= 0)
				continue;
			e = tl_stop_pid(c->slave_pids[i][k], 0, 5.0);
			ck_assert_msg(!e.killed, "slave %ld of %s was still "
			    "running", (long)c->slave_pids[i][k],
			    c->names[i]);
			c->slave_pids[i][k] = -1;
		}
	}
	for (i = 0; i < c->nadopted; i++) {
		e = tl_stop_pid(c->adopted[i], 0, 5.0);
		ck_assert_msg(!e.killed, "daemon %ld was still running",
		    (long)c->adopted[i]);
	}
	c->nadopted = 0;
	ck_assert_int_eq(tl_wait_no_stray(5.0), 0);
}

/*
 * Spawn and wait for every node of a cluster (with a known_hosts file
 * for SSH nodes, if given), then learn and track their pids.
 */
static void
ssh_cluster_start(struct ssh_cluster *c, const char *known_hosts)
{
	struct tl_ctl	 run;

	if (known_hosts != NULL)
		tl_ctl_run(&run, SSH_RUN_TIMEOUT, "--known-hosts", known_hosts,
		    "-f", c->file, "spawn", NULL);
	else
		tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c->file, "spawn",
		    NULL);
	ssh_cluster_adopt(c);
	tl_ctl_expect(&run, 0, "spawn");
	tl_ctl_free(&run);
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c->file, "wait", "-t", "20",
	    NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	ssh_cluster_read_pids(c);
}

/* Stop whatever processes of a cluster still run, by pid, and free it. */
static void
ssh_cluster_free(struct ssh_cluster *c)
{
	size_t	 i, k;

	for (i = 0; i < c->count; i++) {
		if (c->pids[i] > 0)
			tl_stop_pid(c->pids[i], SIGTERM, 5.0);
		for (k = 0; k < (size_t)c->slaves[i]; k++) {
			if (c->slave_pids[i][k] > 0)
				tl_stop_pid(c->slave_pids[i][k], SIGTERM,
				    5.0);
		}
	}
	for (i = 0; i < c->nadopted; i++)
		tl_stop_pid(c->adopted[i], SIGTERM, 5.0);
	free(c->dir);
	free(c->file);
	memset(c, 0, sizeof *c);
}

/*
 * Start sshd with every command run through a script that puts the
 * build directory first in PATH, as on a machine where creamasd is
 * installed; the server is tracked, to be stopped by ssh_sshd_stop().
 */
static struct sshd *
ssh_sshd_start(void)
{
	struct sshd	*sshd;
	char		*creamasd, *wrapper, *text, *config;

	creamasd = strdup(tl_creamasd());
	ck_assert_ptr_nonnull(creamasd);
	wrapper = tl_path(tl_tempdir(), "wrapper.sh");
	ck_assert_int_ne(asprintf(&text, "#!/bin/sh\n"
	    "PATH='%s':\"$PATH\"\n"
	    "export PATH\n"
	    "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n",
	    dirname(creamasd)), -1);
	tl_write_file(wrapper, text);
	ck_assert_int_eq(chmod(wrapper, 0755), 0);
	ck_assert_int_ne(asprintf(&config, "ForceCommand %s\n", wrapper), -1);
	sshd = sshd_start(config);
	tl_track_pid(sshd->pid);
	free(config);
	free(text);
	free(wrapper);
	free(creamasd);
	return (sshd);
}

/*
 * Stop a server of ssh_sshd_start(), by pid, once its sessions have
 * ended (none outlives the test).
 */
static void
ssh_sshd_stop(struct sshd *sshd)
{
	char	*path, *children = NULL;
	double	 deadline = tl_now() + 10.0;

	ck_assert_int_ne(asprintf(&path, "/proc/%ld/task/%ld/children",
	    (long)sshd->pid, (long)sshd->pid), -1);
	for (;;) {
		free(children);
		children = tl_read_file(path);
		if (children == NULL || *children == '\0' ||
		    tl_now() > deadline)
			break;
		usleep(20000);
	}
	ck_assert_msg(children == NULL || *children == '\0', "sshd %ld "
	    "still has sessions: %s", (long)sshd->pid, children);
	free(children);
	free(path);
	tl_untrack_pid(sshd->pid);
	sshd_stop(sshd);
}

/*
 * The main job step by step over a real sshd: three nodes of one or two
 * slaves go through spawn, wait, prepare with agents and random
 * connections, 20 rounds, status and stop; then no daemon is left.
 */
START_TEST(test_lifecycle)
{
	struct ssh_cluster	 c;
	struct tl_ctl		 run;
	struct sshd		*sshd;
	const int		 slaves[3] = { 1, 2, 1 };
	uint16_t		 ssh_ports[3];
	char			 extra[512], *line, *expected;
	size_t			 i;

	sshd = ssh_sshd_start();
	for (i = 0; i < 3; i++)
		ssh_ports[i] = sshd->port;
	snprintf(extra, sizeof extra, "launch=ssh identity=%s",
	    sshd->user_key);
	ssh_cluster_make(&c, 3, slaves, ssh_ports, extra);

	/* spawn: a line per node, each started over ssh. */
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "--known-hosts", sshd->known_hosts,
	    "-f", c.file, "spawn", NULL);
	ssh_cluster_adopt(&c);
	tl_ctl_expect(&run, 0, "spawn over ssh");
	ck_assert_uint_eq(ssh_count_lines(run.out), 3);
	for (i = 0; i < 3; i++)
		ck_assert_msg(ssh_line_has(run.out, c.names[i],
		    "started (ssh) in "), "%s not started: %s", c.names[i],
		    run.out);
	tl_ctl_free(&run);

	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "wait", "-t", "20",
	    NULL);
	tl_ctl_expect(&run, 0, "wait");
	for (i = 0; i < 3; i++)
		ck_assert_msg(ssh_line_has(run.out, c.names[i],
		    "ready after"), "%s", run.out);
	tl_ctl_free(&run);
	ssh_cluster_read_pids(&c);

	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "prepare", "--agents",
	    "counter:5", "--connections", "random:2", "--seed", "7", NULL);
	tl_ctl_expect(&run, 0, "prepare");
	ck_assert_msg(strstr(run.out, "agents: spawned 15, 5 counter per "
	    "node on 3 nodes") != NULL, "%s", run.out);
	ck_assert_msg(strstr(run.out, "connections: added 30, random:2 over "
	    "15 agents") != NULL, "%s", run.out);
	tl_ctl_free(&run);

	/* trigger -n 20: a line per round, every agent, every node. */
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "trigger", "-n", "20",
	    NULL);
	tl_ctl_expect(&run, 0, "trigger");
	ck_assert_msg(ssh_count_lines(run.out) == 20, "%s", run.out);
	for (i = 0; i < 20; i++) {
		line = ssh_line(run.out, i);
		ck_assert_int_ne(asprintf(&expected, "round %zu: 15 agents, "
		    "0 failed, 3/3 nodes, ", i + 1), -1);
		ck_assert_msg(strncmp(line, expected, strlen(expected)) == 0,
		    "line %zu: \"%s\", expected \"%s...\"", i + 1, line,
		    expected);
		free(expected);
		free(line);
	}
	ck_assert_str_eq(run.err, "");
	tl_ctl_free(&run);

	/* status: a line per node, each a master with its 5 agents. */
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "status", NULL);
	tl_ctl_expect(&run, 0, "status");
	ck_assert_uint_eq(ssh_count_lines(run.out), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_ne(asprintf(&expected, "%ld", (long)c.pids[i]),
		    -1);
		ck_assert_msg(ssh_line_has(run.out, c.names[i], expected),
		    "no line of %s with pid %s: %s", c.names[i], expected,
		    run.out);
		free(expected);
	}
	tl_ctl_free(&run);

	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	ssh_cluster_adopt(&c);
	ssh_cluster_expect_gone(&c);

	ssh_cluster_free(&c);
	ssh_sshd_stop(sshd);
}
END_TEST

/*
 * A node whose SSH port is closed: spawn names it and exits 1, the two
 * others come up all the same and stop cleanly.
 */
START_TEST(test_closed_port)
{
	struct ssh_cluster	 c;
	struct tl_ctl		 run;
	struct sshd		*sshd;
	const int		 slaves[3] = { 1, 1, 1 };
	uint16_t		 ssh_ports[3];
	char			 extra[512];
	size_t			 i;

	sshd = ssh_sshd_start();
	ssh_ports[0] = ssh_ports[1] = sshd->port;
	ssh_ports[2] = tl_free_ports(1);
	snprintf(extra, sizeof extra, "launch=ssh identity=%s",
	    sshd->user_key);
	ssh_cluster_make(&c, 3, slaves, ssh_ports, extra);

	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-t", "10", "--known-hosts",
	    sshd->known_hosts, "-f", c.file, "spawn", NULL);
	ssh_cluster_adopt(&c);
	tl_ctl_expect(&run, 1, "spawn with an SSH port closed");
	ck_assert_msg(strstr(run.err, c.names[2]) != NULL, "%s not named:\n"
	    "stdout:\n%s\nstderr:\n%s", c.names[2], run.out, run.err);
	for (i = 0; i < 2; i++)
		ck_assert_msg(ssh_line_has(run.out, c.names[i],
		    "started (ssh) in "), "%s not started: %s", c.names[i],
		    run.out);
	tl_ctl_free(&run);
	ck_assert(!tl_port_listening(c.ports[2]));

	/* The two that came up work; stop them. */
	c.count = 2;
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "-n", c.names[0], "-n",
	    c.names[1], "wait", "-t", "20", NULL);
	tl_ctl_expect(&run, 0, "wait");
	tl_ctl_free(&run);
	ssh_cluster_read_pids(&c);
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "-n", c.names[0], "-n",
	    c.names[1], "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	c.count = 3;
	ssh_cluster_adopt(&c);
	ssh_cluster_expect_gone(&c);

	ssh_cluster_free(&c);
	ssh_sshd_stop(sshd);
}
END_TEST

/*
 * A changed host key: known_hosts holds another key for the server, so
 * spawn refuses the node, naming it and showing the server key's SHA256
 * fingerprint, even with --accept-new-host-keys; nothing is started.
 */
START_TEST(test_changed_host_key)
{
	struct ssh_cluster	 c;
	struct tl_ctl		 run;
	struct sshd		*sshd;
	const int		 slaves[1] = { 1 };
	uint16_t		 ssh_ports[1];
	char			 extra[512], *other, *command, *public;
	char			*text, *known, *line, *fingerprint;
	const char		*dir = tl_tempdir();
	int			 pass;

	sshd = ssh_sshd_start();
	ssh_ports[0] = sshd->port;
	snprintf(extra, sizeof extra, "launch=ssh identity=%s",
	    sshd->user_key);
	ssh_cluster_make(&c, 1, slaves, ssh_ports, extra);

	/* Another ed25519 key, as sshd's own, recorded for the server. */
	other = tl_path(dir, "other_host_key");
	ck_assert_int_ne(asprintf(&command, "ssh-keygen -q -t ed25519 -N '' "
	    "-C other -f '%s' </dev/null >/dev/null", other), -1);
	ck_assert_int_eq(system(command), 0);
	free(command);
	ck_assert_int_ne(asprintf(&public, "%s.pub", other), -1);
	text = tl_read_file(public);
	ck_assert_ptr_nonnull(text);
	known = tl_path(dir, "known_hosts");
	ck_assert_int_ne(asprintf(&line, "[127.0.0.1]:%u %s", sshd->port,
	    text), -1);
	tl_write_file(known, line);
	free(line);
	free(text);
	free(public);

	ck_assert_int_ne(asprintf(&public, "%s.pub", sshd->host_key), -1);
	fingerprint = sshd_fingerprint(public);
	free(public);

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			tl_ctl_run(&run, SSH_RUN_TIMEOUT, "--known-hosts",
			    known, "-f", c.file, "spawn", NULL);
		else
			tl_ctl_run(&run, SSH_RUN_TIMEOUT,
			    "--accept-new-host-keys", "--known-hosts", known,
			    "-f", c.file, "spawn", NULL);
		ssh_cluster_adopt(&c);
		tl_ctl_expect(&run, 1, "spawn with a changed host key");
		ck_assert_msg(ssh_line_has(run.err, c.names[0], fingerprint),
		    "no line names %s with %s:\n%s", c.names[0], fingerprint,
		    run.err);
		tl_ctl_free(&run);
		ck_assert_uint_eq(c.nadopted, 0);
		ck_assert(!tl_port_listening(c.ports[0]));
		ck_assert(!tl_port_listening((uint16_t)(c.ports[0] + 1)));
	}
	/* The file still holds the other key only. */
	text = tl_read_file(known);
	ck_assert_msg(ssh_count_lines(text) == 1 && strstr(text, " other") !=
	    NULL, "known_hosts changed: %s", text);
	free(text);

	free(fingerprint);
	free(known);
	free(other);
	ssh_cluster_expect_gone(&c);
	ssh_cluster_free(&c);
	ssh_sshd_stop(sshd);
}
END_TEST

/* Return a pseudo-random number (xorshift64*), the same for a seed. */
static uint64_t
ssh_random(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 2685821657736338717ULL);
}

/* Return 1 if a JSON array of strings holds s. */
static int
ssh_list_has(struct json_object *list, const char *s)
{
	size_t	 i;

	for (i = 0; i < json_object_array_length(list); i++) {
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(list, i)), s) == 0)
			return (1);
	}
	return (0);
}

/*
 * Creamas' distributed test, ported: two local masters of two slaves;
 * get_slave_managers gives four addresses; 80 agents by spawn_n;
 * trigger_all with args returns 80 results; a random graph over all 80
 * agents is applied and read back unchanged; creamasctl stops it all.
 */
START_TEST(test_distributed)
{
	struct ssh_cluster	 c;
	struct tl_ctl		 run;
	struct tl_conn		*conn[2];
	struct json_object	*result, *agents[2], *all, *map, *list;
	struct json_object	*params, *managers, *pair, *conns;
	static int		 edge[2 * SSH_AGENTS][2 * SSH_AGENTS];
	const int		 slaves[2] = { 2, 2 };
	const int64_t		 starts[2] = { 100, 200 };
	uint64_t		 state = SSH_GRAPH_SEED;
	const size_t		 n = 2 * SSH_AGENTS;
	size_t			 i, j, k, degree, edges = 0, crossing = 0;
	size_t			 seen = 0;
	const char		*address;

	ssh_cluster_make(&c, 2, slaves, NULL, "launch=local");
	ssh_cluster_start(&c, NULL);

	/* Four slave managers in all, two a master, each its own. */
	managers = json_object_new_array();
	for (i = 0; i < 2; i++) {
		conn[i] = tl_connect(c.ports[i]);
		conn[i]->timeout = 30;
		result = tl_ok(conn[i], "get_slave_managers", NULL);
		ck_assert_msg(json_object_is_type(result, json_type_array) &&
		    json_object_array_length(result) == 2,
		    "get_slave_managers of %s: %s", c.names[i],
		    tl_json_text(result));
		for (k = 0; k < 2; k++) {
			address = json_object_get_string(tl_index(result, k));
			ck_assert_msg(!ssh_list_has(managers, address),
			    "%s twice", address);
			json_object_array_add(managers,
			    json_object_new_string(address));
		}
		json_object_put(result);
	}
	ck_assert_uint_eq(json_object_array_length(managers), 4);
	json_object_put(managers);

	/* 40 counters a node by spawn_n, a start of their node's each. */
	all = json_object_new_array();
	for (i = 0; i < 2; i++) {
		result = tl_okf(conn[i], "spawn_n", "{\"type\":\"counter\","
		    "\"n\":%d,\"params\":{\"start\":%lld}}", SSH_AGENTS,
		    (long long)starts[i]);
		ck_assert_msg(json_object_is_type(result, json_type_array) &&
		    json_object_array_length(result) == SSH_AGENTS,
		    "spawn_n: %.1000s", tl_json_text(result));
		json_object_put(result);
		agents[i] = tl_ok(conn[i], "get_agents", NULL);
		ck_assert_uint_eq(json_object_array_length(agents[i]),
		    SSH_AGENTS);
		for (k = 0; k < SSH_AGENTS; k++)
			json_object_array_add(all, json_object_get(
			    tl_index(agents[i], k)));
	}

	/* trigger_all with args: 80 results, each start + 3. */
	for (i = 0; i < 2; i++) {
		result = tl_ok(conn[i], "trigger_all", "{\"args\":{\"by\":3},"
		    "\"results\":true}");
		ck_assert_int_eq(tl_int(result, "agents"), SSH_AGENTS);
		ck_assert_int_eq(tl_int(result, "failed"), 0);
		list = tl_member(result, "results");
		ck_assert_msg(json_object_is_type(list, json_type_array) &&
		    json_object_array_length(list) == SSH_AGENTS,
		    "results: %.1000s", tl_json_text(list));
		for (k = 0; k < SSH_AGENTS; k++) {
			ck_assert_msg(json_object_get_int64(tl_index(list,
			    k)) == starts[i] + 3, "%s: results[%zu] is %s, "
			    "expected %lld", c.names[i], k,
			    tl_json_text(tl_index(list, k)),
			    (long long)starts[i] + 3);
			seen++;
		}
		json_object_put(result);
	}
	ck_assert_uint_eq(seen, n);

	/* A random graph over all 80, edge probability 0.1. */
	memset(edge, 0, sizeof edge);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (ssh_random(&state) % 1000 < 100) {
				edge[i][j] = edge[j][i] = 1;
				edges++;
				if ((i < SSH_AGENTS) != (j < SSH_AGENTS))
					crossing++;
			}
		}
	}
	ck_assert_msg(edges > 150 && crossing > 50, "the test graph has %zu "
	    "edges, %zu crossing nodes", edges, crossing);
	map = json_object_new_object();
	for (i = 0; i < n; i++) {
		list = json_object_new_array();
		for (j = 0; j < n; j++) {
			if (edge[i][j])
				json_object_array_add(list, json_object_get(
				    tl_index(all, j)));
		}
		json_object_object_add(map, json_object_get_string(
		    tl_index(all, i)), list);
	}
	params = json_object_new_object();
	json_object_object_add(params, "map", map);

	/* The whole map to both masters: each applies its own agents'. */
	for (i = 0; i < 2; i++) {
		result = tl_ok(conn[i], "create_connections",
		    tl_json_text(params));
		ck_assert_msg(json_object_is_type(result, json_type_array) &&
		    json_object_array_length(result) == SSH_AGENTS,
		    "create_connections on %s: %.1000s", c.names[i],
		    tl_json_text(result));
		for (k = 0; k < SSH_AGENTS; k++) {
			for (j = degree = 0; j < n; j++)
				degree += edge[i * SSH_AGENTS + k][j];
			ck_assert_msg(json_object_array_length(tl_index(
			    result, k)) == degree, "create_connections[%zu] "
			    "on %s: %s for %zu connections", k, c.names[i],
			    tl_json_text(tl_index(result, k)), degree);
		}
		json_object_put(result);
	}
	json_object_put(params);

	/* Read back: exactly the graph, on both nodes. */
	for (i = 0; i < 2; i++) {
		result = tl_ok(conn[i], "get_connections", NULL);
		ck_assert_msg(json_object_is_type(result, json_type_array) &&
		    json_object_array_length(result) == SSH_AGENTS,
		    "get_connections on %s: %.1000s", c.names[i],
		    tl_json_text(result));
		for (k = 0; k < SSH_AGENTS; k++) {
			pair = tl_index(result, k);
			address = json_object_get_string(tl_index(pair, 0));
			ck_assert_str_eq(address, json_object_get_string(
			    tl_index(agents[i], k)));
			conns = tl_index(pair, 1);
			for (j = degree = 0; j < n; j++) {
				degree += edge[i * SSH_AGENTS + k][j];
				ck_assert_msg(ssh_list_has(conns,
				    json_object_get_string(tl_index(all, j))) ==
				    edge[i * SSH_AGENTS + k][j], "%s: "
				    "connection to %s %s in %.1000s", address,
				    json_object_get_string(tl_index(all, j)),
				    edge[i * SSH_AGENTS + k][j] ? "missing" :
				    "not in the graph", tl_json_text(conns));
			}
			ck_assert_msg(json_object_array_length(conns) ==
			    degree, "%s: %zu connections, expected %zu",
			    address, json_object_array_length(conns), degree);
		}
		json_object_put(result);
		tl_close(conn[i]);
		json_object_put(agents[i]);
	}
	json_object_put(all);

	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "stop", NULL);
	tl_ctl_expect(&run, 0, "stop");
	tl_ctl_free(&run);
	ssh_cluster_adopt(&c);
	ssh_cluster_expect_gone(&c);
	ssh_cluster_free(&c);
}
END_TEST

#define SSH_LOG_LINES	11000	/* lines an agent logs a round */
#define SSH_LOG_ROUNDS	6	/* past the old 1 MiB cap: about 1.3 MB */

/* Fail unless a log file holds every round's lines, in order. */
static void
ssh_expect_agent_log(const char *path)
{
	char	*text, *expected, *at;
	size_t	 r, k;
	int	 length;

	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "no %s", path);
	at = text;
	for (r = 1; r <= SSH_LOG_ROUNDS; r++) {
		for (k = 1; k <= SSH_LOG_LINES; k++) {
			length = asprintf(&expected, "round %zu: line %zu\n",
			    r, k);
			ck_assert_int_ne(length, -1);
			ck_assert_msg(strncmp(at, expected, (size_t)length) ==
			    0, "%s: at byte %zu, expected \"%.*s\", found "
			    "\"%.40s\"", path, (size_t)(at - text), length - 1,
			    expected, at);
			at += length;
			free(expected);
		}
	}
	ck_assert_msg(*at == '\0', "%s: more after the last round: %.40s",
	    path, at);
	free(text);
}

/*
 * Check that DIR/NODE holds every agent's log, complete, for agents
 * listed by creamasctl -j agents, and the environment logs of each
 * master and slave, with its last rounds.
 */
static void
ssh_expect_logs(const struct ssh_cluster *c, const char *dir,
    struct json_object *agents)
{
	struct json_object	*line, *list;
	const char		*address, *node;
	char			*path, *text;
	size_t			 i, k, files = 0;
	int			 s;

	for (i = 0; i < json_object_array_length(agents); i++) {
		line = json_object_array_get_idx(agents, i);
		node = tl_string(line, "node");
		list = tl_member(line, "result");
		for (k = 0; k < json_object_array_length(list); k++) {
			address = json_object_get_string(
			    json_object_array_get_idx(list, k));
			path = tl_printf("%s/%s/agent_%u_%ld.log", dir, node,
			    tl_address_port(address),
			    tl_address_agent(address));
			ssh_expect_agent_log(path);
			free(path);
			files++;
		}
	}
	ck_assert_uint_eq(files, 6);
	for (i = 0; i < c->count; i++) {
		for (s = 0; s <= c->slaves[i]; s++) {
			path = tl_printf("%s/%s/env_%u.log", dir, c->names[i],
			    c->ports[i] + (unsigned)s);
			text = tl_read_file(path);
			ck_assert_msg(text != NULL && (s == 0 || strstr(text,
			    "round 6: round 6 done") != NULL), "%s: %s", path,
			    text != NULL ? text : "missing");
			free(text);
			free(path);
		}
	}
}

/*
 * Logs in one place: two local nodes and one over the test's sshd, each
 * agent logging 11000 lines a round for 6 rounds into the nodes' log
 * folder as it goes; creamasctl logs DIR brings every node's logs into
 * DIR/NODE (copied, or over SSH), every agent's lines complete and in
 * order, and stop --log-folder DIR2 does the same once the nodes have
 * stopped.
 */
START_TEST(test_logs)
{
	struct ssh_cluster	 c;
	struct tl_ctl		 run;
	struct sshd		*sshd;
	struct json_object	*agents;
	const int		 slaves[3] = { 1, 2, 1 };
	char			*text, *line, *source, *dir, *params, *ssh_port;
	size_t			 i;

	sshd = ssh_sshd_start();
	ssh_cluster_make(&c, 3, slaves, NULL, "");
	text = tl_strdup("");
	ssh_port = tl_printf(":%u", sshd->port);
	for (i = 0; i < 3; i++) {
		line = tl_printf("%s127.0.0.1%s port=%u idle_exit=120 "
		    "launch=%s%s cmd=\"{creamasd} --role master --slaves %d "
		    "--listen {listen} --plugin %s\"\n", text, i == 2 ?
		    ssh_port : "", c.ports[i], i == 2 ? "ssh identity=" :
		    "local", i == 2 ? sshd->user_key : "", c.slaves[i],
		    tl_plugin_path("pingpong"));
		free(text);
		text = line;
	}
	free(ssh_port);
	tl_write_file(c.file, text);
	free(text);

	ssh_cluster_start(&c, sshd->known_hosts);
	source = tl_path(c.dir, "node-logs");
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "prepare", "--agents",
	    "logger:2", "--log-folder", source, NULL);
	tl_ctl_expect(&run, 0, "prepare");
	tl_ctl_free(&run);
	params = tl_printf("{\"lines\":%d}", SSH_LOG_LINES);
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-f", c.file, "trigger", "-n", "6",
	    "--args", params, NULL);
	tl_ctl_expect(&run, 0, "trigger");
	tl_ctl_free(&run);
	free(params);
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "-j", "-f", c.file, "agents", NULL);
	tl_ctl_expect(&run, 0, "agents");
	agents = json_object_new_array();
	for (i = 0; (line = ssh_line(run.out, i)) != NULL; i++) {
		json_object_array_add(agents, tl_json(line));
		free(line);
	}
	tl_ctl_free(&run);

	/* While they run: logs DIR, the SSH node's over the channel. */
	dir = tl_path(c.dir, "collected");
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "--known-hosts", sshd->known_hosts,
	    "-f", c.file, "logs", dir, NULL);
	tl_ctl_expect(&run, 0, "logs");
	for (i = 0; i < 3; i++)
		ck_assert_msg(ssh_line_has(run.out, c.names[i], "log files in"),
		    "%s", run.out);
	tl_ctl_free(&run);
	ssh_expect_logs(&c, dir, agents);
	free(dir);

	dir = tl_path(c.dir, "at-stop");
	tl_ctl_run(&run, SSH_RUN_TIMEOUT, "--known-hosts", sshd->known_hosts,
	    "-f", c.file, "stop", "--log-folder", dir, NULL);
	tl_ctl_expect(&run, 0, "stop --log-folder");
	tl_ctl_free(&run);
	ssh_cluster_adopt(&c);
	ssh_cluster_expect_gone(&c);
	ssh_expect_logs(&c, dir, agents);
	for (i = 0; i < 3; i++) {
		line = tl_printf("%s/%s/env_%u.log", dir, c.names[i],
		    c.ports[i] + 1);
		text = tl_read_file(line);
		ck_assert_msg(strstr(text, "stopped: ") != NULL, "%s: %s",
		    line, text);
		free(text);
		free(line);
	}
	free(dir);
	free(source);
	json_object_put(agents);
	ssh_cluster_free(&c);
	ssh_sshd_stop(sshd);
}
END_TEST

/* The SSH suite: the main job over sshd, its faults, and local nodes. */
Suite *
suite_ctl_ssh(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ctl_ssh");
	tc = tcase_create("ssh");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sshd_fixture_setup,
	    sshd_fixture_teardown);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_closed_port);
	tcase_add_test(tc, test_changed_host_key);
	tcase_add_test(tc, test_logs);
	suite_add_tcase(s, tc);

	tc = tcase_create("distributed");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_distributed);
	suite_add_tcase(s, tc);
	return (s);
}
