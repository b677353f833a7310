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
 * End-to-end tests of the cluster key in creamasctl ($CREAMASCTL):
 * keygen, and -k with real masters ($CREAMASD) started by spawn, on this
 * machine (the key goes by path) and through a real OpenSSH server (the
 * key goes over the channel into the remote home directory, never on a
 * command line). The nodes must then refuse whoever lacks the key: a
 * direct call, creamasctl without -k, creamasctl with another key.
 * Over SSH, the remote command runs the default "creamasd ..." from
 * PATH: sshd runs every command through a script (ForceCommand) that
 * puts $CREAMASD's directory first in PATH and notes the command.
 *
 * This process becomes a subreaper, so daemonised masters become its
 * children; every pid is read back, tracked and stopped by the test.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <ctype.h>
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

#define KEY_RUN_TIMEOUT	30.0	/* seconds a creamasctl run may take */
#define KEY_NODES_MAX	4
#define KEY_ADOPTED_MAX	16	/* daemons adopted by one test */
#define KEY_SLAVES	1	/* slaves of every master */
#define KEY_HEX		64	/* hex digits in a generated key */
#define KEY_REMOTE	".config/creamas/cluster.key"
#define RPC_UNAUTHORISED -32005

Suite	*suite_ctl_key(void);

/* Masters on free ports, with their nodes file and their processes. */
struct key_cluster {
	size_t	 count;
	uint16_t ports[KEY_NODES_MAX];
	char	 names[KEY_NODES_MAX][32];
	pid_t	 pids[KEY_NODES_MAX];
	pid_t	 slave_pids[KEY_NODES_MAX][KEY_SLAVES];
	pid_t	 adopted[KEY_ADOPTED_MAX];	/* detached masters */
	size_t	 nadopted;
	char	*dir;
	char	*file;
};

/* Fail unless stderr has a line naming each node and saying why. */
static void
key_expect_named(const struct tl_ctl *run, const struct key_cluster *c,
    const char *why, const char *what)
{
	const char	*line, *end;
	size_t		 i, length;
	int		 found;

	for (i = 0; i < c->count; i++) {
		found = 0;
		length = strlen(c->names[i]);
		for (line = run->err; *line != '\0' && !found; line = end) {
			if ((end = strchr(line, '\n')) == NULL)
				end = line + strlen(line);
			else
				end++;
			found = memmem(line, end - line, c->names[i],
			    length) != NULL && memmem(line, end - line, why,
			    strlen(why)) != NULL;
		}
		ck_assert_msg(found, "creamasctl %s: no line of stderr names "
		    "%s with \"%s\":\n%s", what, c->names[i], why, run->err);
	}
}

/*
 * Make a nodes file of count masters of KEY_SLAVES slaves, each line
 * "127.0.0.1[:sshport] port=P ..." with extra (if not NULL) added.
 */
static void
key_cluster_make(struct key_cluster *c, size_t count, uint16_t ssh_port,
    const char *extra)
{
	FILE	*f;
	size_t	 i;
	char	 host[32];

	memset(c, 0, sizeof *c);
	ck_assert_uint_le(count, KEY_NODES_MAX);
	c->count = count;
	c->dir = strdup(tl_tempdir());
	c->file = tl_path(c->dir, "nodes");
	if (ssh_port != 0)
		snprintf(host, sizeof host, "127.0.0.1:%u", ssh_port);
	else
		snprintf(host, sizeof host, "127.0.0.1");
	f = fopen(c->file, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < count; i++) {
		c->ports[i] = tl_free_ports_apart(KEY_SLAVES + 1, c->ports, i,
		    KEY_SLAVES);
		snprintf(c->names[i], sizeof c->names[i], "127.0.0.1:%u",
		    c->ports[i]);
		fprintf(f, "%s port=%u slaves=%d idle_exit=120 %s\n", host,
		    c->ports[i], KEY_SLAVES, extra != NULL ? extra : "");
	}
	ck_assert_int_eq(fclose(f), 0);
	tl_adopt_orphans();
}

/*
 * Track every daemon that became our child (spawned masters detach and
 * are adopted here), so that a failing test never leaves one behind, and
 * note it, to be waited for.
 */
static void
key_cluster_adopt(struct key_cluster *c)
{
	pid_t	 pid;

	while ((pid = tl_stray_child()) != 0) {
		tl_track_pid(pid);
		ck_assert_uint_lt(c->nadopted, KEY_ADOPTED_MAX);
		c->adopted[c->nadopted++] = pid;
	}
}

/*
 * Read every master's pid and its slaves' pids with an authenticated
 * status call, and track them.
 */
static void
key_cluster_read_pids(struct key_cluster *c, const char *key_path)
{
	struct tl_conn		*conn;
	struct json_object	*status, *slaves;
	size_t			 i, k;

	for (i = 0; i < c->count; i++) {
		conn = tl_connect(c->ports[i]);
		tl_auth(conn, key_path);
		status = tl_ok(conn, "status", NULL);
		ck_assert_str_eq(tl_string(status, "role"), "master");
		c->pids[i] = (pid_t)tl_int(status, "pid");
		ck_assert_int_gt(c->pids[i], 1);
		ck_assert_msg(tl_pid_alive(c->pids[i]), "pid %ld of %s is "
		    "not alive", (long)c->pids[i], c->names[i]);
		/* Tracked already if adopted: once is enough. */
		tl_untrack_pid(c->pids[i]);
		tl_track_pid(c->pids[i]);
		slaves = tl_member(status, "slaves");
		ck_assert_uint_eq(json_object_array_length(slaves),
		    KEY_SLAVES);
		for (k = 0; k < KEY_SLAVES; k++) {
			c->slave_pids[i][k] = (pid_t)tl_int(tl_index(slaves,
			    k), "pid");
			ck_assert(tl_pid_alive(c->slave_pids[i][k]));
			tl_untrack_pid(c->slave_pids[i][k]);
			tl_track_pid(c->slave_pids[i][k]);
		}
		json_object_put(status);
		tl_close(conn);
	}
}

/*
 * Fail unless every process of the cluster has ended and no port
 * answers; reap them. Stop nothing: the nodes must be gone already.
 */
static void
key_cluster_expect_gone(struct key_cluster *c)
{
	struct tl_exit	 e;
	size_t		 i, k;

	for (i = 0; i < c->count; i++) {
		ck_assert_msg(!tl_port_listening(c->ports[i]),
		    "%s still listens", c->names[i]);
		if (c->pids[i] > 0) {
			e = tl_stop_pid(c->pids[i], 0, 5.0);
			ck_assert_msg(!e.killed, "master %ld of %s was still "
			    "running", (long)c->pids[i], c->names[i]);
			c->pids[i] = -1;
		}
		for (k = 0; k < KEY_SLAVES; k++) {
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

/* Stop whatever processes of a cluster still run, by pid, and free it. */
static void
key_cluster_free(struct key_cluster *c)
{
	size_t	 i, k;

	for (i = 0; i < c->count; i++) {
		if (c->pids[i] > 0)
			tl_stop_pid(c->pids[i], SIGTERM, 5.0);
		for (k = 0; k < KEY_SLAVES; k++) {
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

/* Make a key with creamasctl keygen in dir; its path. */
static char *
key_generate(const char *dir, const char *name)
{
	struct tl_ctl	 run;
	char		*path;

	path = tl_path(dir, name);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "keygen", path, NULL);
	tl_ctl_expect(&run, 0, "keygen");
	tl_ctl_free(&run);
	return (path);
}

/* The text of a key file without its final newline. */
static char *
key_text(const char *path)
{
	char	*text;
	size_t	 length;

	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	length = strlen(text);
	if (length > 0 && text[length - 1] == '\n')
		text[length - 1] = '\0';
	ck_assert_uint_eq(strlen(text), KEY_HEX);
	return (text);
}

/*
 * A copy of a key file without its final newline, for tl_auth(), which
 * takes a file's bytes as they are (creamasd and creamasctl drop the
 * newline); its path.
 */
static char *
key_auth_copy(const char *path)
{
	char	*text, *copy;

	text = key_text(path);
	ck_assert_int_ne(asprintf(&copy, "%s.bytes", path), -1);
	tl_write_file(copy, text);
	ck_assert_int_eq(chmod(copy, 0600), 0);
	free(text);
	return (copy);
}

/* A process's command line, its arguments joined by spaces. */
static char *
key_cmdline(pid_t pid)
{
	char	*path, *text;
	ssize_t	 n;
	size_t	 used = 0, size = 65536, i;
	int	 fd;

	ck_assert_int_ne(asprintf(&path, "/proc/%ld/cmdline", (long)pid), -1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	text = calloc(1, size);
	ck_assert_ptr_nonnull(text);
	while ((n = read(fd, text + used, size - used - 1)) > 0)
		used += (size_t)n;
	close(fd);
	free(path);
	for (i = 0; i + 1 < used; i++) {
		if (text[i] == '\0')
			text[i] = ' ';
	}
	return (text);
}

/*
 * Fail unless each master's and slave's command line passes the key as
 * path (and never its text).
 */
static void
key_cluster_expect_key_args(const struct key_cluster *c, const char *path,
    const char *text)
{
	char	*line, *master_arg, *slave_arg;
	size_t	 i, k;

	ck_assert_int_ne(asprintf(&master_arg, " --key %s", path), -1);
	ck_assert_int_ne(asprintf(&slave_arg, " --key=%s", path), -1);
	for (i = 0; i < c->count; i++) {
		line = key_cmdline(c->pids[i]);
		ck_assert_msg(strstr(line, master_arg) != NULL, "master of %s "
		    "without \"%s\": %s", c->names[i], master_arg, line);
		ck_assert_msg(strstr(line, text) == NULL, "the key is on the "
		    "command line of %s: %s", c->names[i], line);
		free(line);
		for (k = 0; k < KEY_SLAVES; k++) {
			line = key_cmdline(c->slave_pids[i][k]);
			ck_assert_msg(strstr(line, slave_arg) != NULL, "slave "
			    "of %s without \"%s\": %s", c->names[i],
			    slave_arg, line);
			ck_assert_msg(strstr(line, text) == NULL, "the key is "
			    "on the command line of a slave of %s: %s",
			    c->names[i], line);
			free(line);
		}
	}
	free(master_arg);
	free(slave_arg);
}

/*
 * Fail unless a direct call to each node, without the key, is refused
 * with -32005, and a few such calls close the connection.
 */
static void
key_cluster_expect_refusal(const struct key_cluster *c)
{
	struct tl_conn		*conn;
	struct json_object	*error;
	size_t			 i;

	for (i = 0; i < c->count; i++) {
		conn = tl_connect(c->ports[i]);
		error = tl_err(conn, RPC_UNAUTHORISED, "status", NULL);
		json_object_put(error);
		error = tl_err(conn, RPC_UNAUTHORISED, "trigger_all", NULL);
		json_object_put(error);
		error = tl_err(conn, RPC_UNAUTHORISED, "stop", NULL);
		json_object_put(error);
		tl_expect_eof(conn, 5.0);
		tl_close(conn);
		ck_assert_msg(tl_pid_alive(c->pids[i]), "%s is gone after "
		    "unauthorised calls", c->names[i]);
	}
}

/*
 * Fail unless every node of the cluster has done rounds rounds, asked
 * with the key.
 */
static void
key_cluster_expect_rounds(const struct key_cluster *c, const char *key_path,
    int64_t rounds)
{
	struct tl_conn		*conn;
	struct json_object	*status;
	size_t			 i;

	for (i = 0; i < c->count; i++) {
		conn = tl_connect(c->ports[i]);
		tl_auth(conn, key_path);
		status = tl_ok(conn, "status", NULL);
		ck_assert_msg(tl_int(status, "rounds") == rounds, "%s: %s, "
		    "expected %lld rounds", c->names[i], tl_json_text(status),
		    (long long)rounds);
		json_object_put(status);
		tl_close(conn);
	}
}

/*
 * keygen: 32 random bytes as 64 hex digits and a newline, mode 0600 even
 * under umask 0, never over an existing file; two keys differ.
 */
START_TEST(test_keygen)
{
	struct tl_ctl	 run;
	struct stat	 st;
	const char	*dir = tl_tempdir();
	char		*first, *second, *text, *again, *missing;
	mode_t		 saved;
	size_t		 i;

	/* No nodes file is needed, nor looked for. */
	saved = umask(0);
	first = tl_path(dir, "cluster.key");
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-f", "/nonexistent/nodes", "keygen",
	    first, NULL);
	umask(saved);
	tl_ctl_expect(&run, 0, "keygen");
	ck_assert_msg(strstr(run.out, first) != NULL, "%s", run.out);
	tl_ctl_free(&run);

	ck_assert_int_eq(lstat(first, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_msg((st.st_mode & 07777) == 0600, "mode %04o",
	    (unsigned)(st.st_mode & 07777));
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_int_eq(st.st_size, KEY_HEX + 1);
	text = tl_read_file(first);
	for (i = 0; i < KEY_HEX; i++)
		ck_assert_msg(isxdigit((unsigned char)text[i]) &&
		    !isupper((unsigned char)text[i]), "not lowercase hex: %s",
		    text);
	ck_assert_int_eq(text[KEY_HEX], '\n');
	ck_assert_msg(strspn(text, "0") < KEY_HEX, "an all-zero key");

	/* An existing file is left alone, with a message naming it. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "keygen", first, NULL);
	tl_ctl_expect(&run, 1, "keygen over an existing file");
	ck_assert_msg(strstr(run.err, first) != NULL &&
	    strstr(run.err, "exists") != NULL, "%s", run.err);
	tl_ctl_free(&run);
	again = tl_read_file(first);
	ck_assert_str_eq(again, text);
	free(again);

	/* Not even through a symbolic link to a file not there yet. */
	missing = tl_path(dir, "target");
	second = tl_path(dir, "link.key");
	ck_assert_int_eq(symlink(missing, second), 0);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "keygen", second, NULL);
	tl_ctl_expect(&run, 1, "keygen over a symbolic link");
	tl_ctl_free(&run);
	ck_assert_int_eq(access(missing, F_OK), -1);
	free(second);
	free(missing);

	/* Another key is another key. */
	second = tl_path(dir, "other.key");
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "keygen", second, NULL);
	tl_ctl_expect(&run, 0, "keygen");
	tl_ctl_free(&run);
	again = tl_read_file(second);
	ck_assert_uint_eq(strlen(again), KEY_HEX + 1);
	ck_assert_msg(strcmp(again, text) != 0, "two keys alike: %s", text);
	free(again);
	free(second);

	/* Errors: no directory, no argument. */
	missing = tl_path(dir, "no/such/dir/key");
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "keygen", missing, NULL);
	tl_ctl_expect(&run, 1, "keygen into no directory");
	ck_assert_msg(strstr(run.err, missing) != NULL, "%s", run.err);
	tl_ctl_free(&run);
	free(missing);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "keygen", NULL);
	tl_ctl_expect(&run, 2, "keygen without a file");
	ck_assert_msg(strstr(run.err, "usage") != NULL, "%s", run.err);
	tl_ctl_free(&run);

	free(text);
	free(first);
}
END_TEST

/*
 * -k with launch=local masters: run works end to end; spawned nodes get
 * the key's path and require it from everyone: a direct call, creamasctl
 * without -k, creamasctl with another key (each node named, exit 1);
 * creamasctl refuses a key file others can read.
 */
START_TEST(test_local)
{
	struct key_cluster	 c;
	struct tl_ctl		 run;
	char			*key, *other, *text, *line, *open_key;
	char			*bytes;
	size_t			 i;

	key_cluster_make(&c, 2, 0, NULL);
	key = key_generate(c.dir, "cluster.key");
	other = key_generate(c.dir, "other.key");
	text = key_text(key);
	bytes = key_auth_copy(key);

	/* run, end to end. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "run", "-n",
	    "3", "--agents", "counter:4", "--connections", "random:2", NULL);
	key_cluster_adopt(&c);
	tl_ctl_expect(&run, 0, "-k run");
	ck_assert_msg(strstr(run.out, "round 3: 8 agents, 0 failed, 2/2 "
	    "nodes") != NULL, "%s", run.out);
	tl_ctl_free(&run);
	key_cluster_expect_gone(&c);

	/* nodes shows the command spawn runs: the key by its path. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "nodes",
	    NULL);
	tl_ctl_expect(&run, 0, "-k nodes");
	ck_assert_int_ne(asprintf(&line, "--key %s\n", key), -1);
	ck_assert_msg(strstr(run.out, line) != NULL, "no \"%s\" in %s", line,
	    run.out);
	free(line);
	tl_ctl_free(&run);

	/* spawn: the nodes have the path, never the key itself. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-v", "-k", key, "-f", c.file,
	    "spawn", NULL);
	key_cluster_adopt(&c);
	tl_ctl_expect(&run, 0, "-k spawn");
	ck_assert_msg(strstr(run.err, text) == NULL, "%s", run.err);
	tl_ctl_free(&run);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "wait",
	    NULL);
	tl_ctl_expect(&run, 0, "-k wait");
	tl_ctl_free(&run);
	key_cluster_read_pids(&c, bytes);
	key_cluster_expect_key_args(&c, key, text);

	/* Nothing without the key. */
	key_cluster_expect_refusal(&c);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-f", c.file, "status", NULL);
	tl_ctl_expect(&run, 1, "status without -k");
	key_expect_named(&run, &c, "unauthorised", "status without -k");
	tl_ctl_free(&run);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-f", c.file, "trigger", "-n", "2",
	    NULL);
	tl_ctl_expect(&run, 1, "trigger without -k");
	key_expect_named(&run, &c, "unauthorised", "trigger without -k");
	tl_ctl_free(&run);
	/* stop waits -t for ports that stay open: keep it short. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-t", "2", "-f", c.file, "stop",
	    NULL);
	tl_ctl_expect(&run, 1, "stop without -k");
	key_expect_named(&run, &c, "unauthorised", "stop without -k");
	tl_ctl_free(&run);

	/* Nor with another key. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", other, "-f", c.file, "status",
	    NULL);
	tl_ctl_expect(&run, 1, "status with another key");
	key_expect_named(&run, &c, "cluster key", "status with another key");
	tl_ctl_free(&run);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", other, "-f", c.file, "trigger",
	    NULL);
	tl_ctl_expect(&run, 1, "trigger with another key");
	key_expect_named(&run, &c, "cluster key", "trigger with another key");
	tl_ctl_free(&run);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-t", "2", "-k", other, "-f", c.file,
	    "stop", NULL);
	tl_ctl_expect(&run, 1, "stop with another key");
	key_expect_named(&run, &c, "cluster key", "stop with another key");
	tl_ctl_free(&run);
	for (i = 0; i < c.count; i++)
		ck_assert_msg(tl_pid_alive(c.pids[i]) &&
		    tl_port_listening(c.ports[i]), "%s stopped without the "
		    "key", c.names[i]);
	key_cluster_expect_rounds(&c, bytes, 0);

	/* A key others can read, or none there: refused before anything. */
	open_key = tl_path(c.dir, "open.key");
	tl_write_file(open_key, text);
	ck_assert_int_eq(chmod(open_key, 0644), 0);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", open_key, "-f", c.file,
	    "trigger", NULL);
	tl_ctl_expect(&run, 2, "-k with a key others can read");
	ck_assert_msg(strstr(run.err, "chmod 600") != NULL, "%s", run.err);
	tl_ctl_free(&run);
	free(open_key);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", "/nonexistent/key", "-f",
	    c.file, "trigger", NULL);
	tl_ctl_expect(&run, 2, "-k with no such file");
	ck_assert_msg(strstr(run.err, "/nonexistent/key") != NULL, "%s",
	    run.err);
	tl_ctl_free(&run);
	key_cluster_expect_rounds(&c, bytes, 0);

	/* With the key, all is well. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "trigger",
	    "-n", "2", NULL);
	tl_ctl_expect(&run, 0, "-k trigger");
	ck_assert_msg(strstr(run.out, "round 2: 0 agents, 0 failed, 2/2 "
	    "nodes") != NULL, "%s", run.out);
	tl_ctl_free(&run);
	key_cluster_expect_rounds(&c, bytes, 2);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "stop",
	    NULL);
	tl_ctl_expect(&run, 0, "-k stop");
	tl_ctl_free(&run);
	key_cluster_expect_gone(&c);

	free(bytes);
	free(text);
	free(key);
	free(other);
	key_cluster_free(&c);
}
END_TEST

/*
 * Make the script sshd runs instead of every command (ForceCommand): it
 * notes the command and runs it with the build directory first in PATH,
 * as on a machine where creamasd is installed. Return its path.
 */
static char *
key_ssh_wrapper(const char *dir, const char *commands)
{
	char	*creamasd, *wrapper, *text;

	creamasd = strdup(tl_creamasd());
	ck_assert_ptr_nonnull(creamasd);
	wrapper = tl_path(dir, "wrapper.sh");
	ck_assert_int_ne(asprintf(&text, "#!/bin/sh\n"
	    "printf '%%s\\n' \"$SSH_ORIGINAL_COMMAND\" >> '%s'\n"
	    "PATH='%s':\"$PATH\"\n"
	    "export PATH\n"
	    "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n", commands,
	    dirname(creamasd)), -1);
	tl_write_file(wrapper, text);
	ck_assert_int_eq(chmod(wrapper, 0755), 0);
	free(text);
	free(creamasd);
	return (wrapper);
}

/*
 * -k with launch=ssh masters through a real sshd: spawn copies the key
 * over the channel to ~/.config/creamas/cluster.key (mode 0600) on the
 * remote side, the key is on no command line (creamasctl -v, the command
 * sshd ran, the daemons') nor in sshd's log, and the nodes require it.
 */
START_TEST(test_ssh)
{
	struct key_cluster	 c;
	struct tl_ctl		 run;
	struct sshd		*sshd;
	struct stat		 st;
	const char		*args[16], *dir;
	char			*key, *text, *wrapper, *commands, *config;
	char			*remote, *remote_dir, *copied, *log, *line;
	char			*bytes;
	char			 extra[256];
	size_t			 i, n = 0;

	/* sshd runs every command through the wrapper, which notes it. */
	dir = tl_tempdir();
	commands = tl_path(dir, "commands");
	wrapper = key_ssh_wrapper(dir, commands);
	ck_assert_int_ne(asprintf(&config, "ForceCommand %s\n", wrapper), -1);
	sshd = sshd_start(config);
	free(config);
	/* Ours to stop, and no stray daemon. */
	tl_track_pid(sshd->pid);
	/*
	 * One node: nodes sharing a remote home race on the key file
	 * (each run truncates it while another daemon may be reading it).
	 */
	snprintf(extra, sizeof extra, "launch=ssh identity=%s",
	    sshd->user_key);
	key_cluster_make(&c, 1, sshd->port, extra);
	key = key_generate(c.dir, "cluster.key");
	text = key_text(key);
	bytes = key_auth_copy(key);

	args[n++] = "-v";
	args[n++] = "--known-hosts";
	args[n++] = sshd->known_hosts;
	args[n++] = "-k";
	args[n++] = key;
	args[n++] = "-f";
	args[n++] = c.file;
	args[n++] = "spawn";
	args[n] = NULL;
	tl_ctl_runv(&run, KEY_RUN_TIMEOUT, NULL, NULL, -1, args);
	key_cluster_adopt(&c);
	tl_ctl_expect(&run, 0, "-k spawn over ssh");
	for (i = 0; i < c.count; i++) {
		ck_assert_msg(strstr(run.out, c.names[i]) != NULL &&
		    strstr(run.out, "started (ssh) in ") != NULL, "%s",
		    run.out);
	}
	/* -v shows the remote command: the key goes by stdin, by path. */
	ck_assert_msg(strstr(run.err, "running over ssh: ") != NULL &&
	    strstr(run.err, "cat > \"$t\" && mv -f \"$t\" " KEY_REMOTE
	    " && creamasd ") != NULL &&
	    strstr(run.err, " --key " KEY_REMOTE) != NULL, "%s", run.err);
	ck_assert_msg(strstr(run.err, text) == NULL, "the key in -v: %s",
	    run.err);
	tl_ctl_free(&run);

	/* What sshd ran: one command per node, never the key. */
	log = tl_read_file(commands);
	ck_assert_msg(log != NULL && *log != '\0', "sshd ran no command");
	for (i = 0, line = log; (line = strstr(line, "cat > ")) != NULL;
	    line++)
		i++;
	ck_assert_msg(i == c.count, "%zu commands with a key copy: %s", i,
	    log);
	ck_assert_msg(strstr(log, text) == NULL, "the key on the remote "
	    "command line: %s", log);
	free(log);
	log = sshd_read_log(sshd);
	ck_assert_msg(strstr(log, text) == NULL, "the key in sshd's log: %s",
	    log);
	free(log);

	/* The key, copied into the remote home: the owner's only. */
	remote_dir = tl_path(sshd->home, ".config/creamas");
	ck_assert_int_eq(lstat(remote_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_msg((st.st_mode & 077) == 0, "%s: mode %04o", remote_dir,
	    (unsigned)(st.st_mode & 07777));
	remote = tl_path(sshd->home, KEY_REMOTE);
	ck_assert_int_eq(lstat(remote, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_msg((st.st_mode & 07777) == 0600, "%s: mode %04o", remote,
	    (unsigned)(st.st_mode & 07777));
	copied = tl_read_file(remote);
	ck_assert_msg(copied != NULL, "cannot read %s", remote);
	ck_assert_msg(strncmp(copied, text, KEY_HEX) == 0 &&
	    strspn(copied + KEY_HEX, "\n") == strlen(copied + KEY_HEX),
	    "%s holds \"%s\", not the key", remote, copied);
	free(copied);

	/* The nodes run with that key, by its path, and require it. */
	key_cluster_read_pids(&c, bytes);
	key_cluster_expect_key_args(&c, KEY_REMOTE, text);
	key_cluster_expect_refusal(&c);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-f", c.file, "status", NULL);
	tl_ctl_expect(&run, 1, "status without -k");
	key_expect_named(&run, &c, "unauthorised", "status without -k");
	tl_ctl_free(&run);

	/* Then as for any node: only spawn goes over SSH. */
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "wait",
	    NULL);
	tl_ctl_expect(&run, 0, "-k wait");
	tl_ctl_free(&run);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "trigger",
	    "-n", "2", NULL);
	tl_ctl_expect(&run, 0, "-k trigger");
	ck_assert_msg(strstr(run.out, "round 2: 0 agents, 0 failed, 1/1 "
	    "node") != NULL, "%s", run.out);
	tl_ctl_free(&run);
	tl_ctl_run(&run, KEY_RUN_TIMEOUT, "-k", key, "-f", c.file, "stop",
	    NULL);
	tl_ctl_expect(&run, 0, "-k stop");
	tl_ctl_free(&run);
	key_cluster_expect_gone(&c);

	free(remote);
	free(remote_dir);
	free(bytes);
	free(text);
	free(key);
	free(wrapper);
	free(commands);
	key_cluster_free(&c);
	tl_untrack_pid(sshd->pid);
	sshd_stop(sshd);
}
END_TEST

/* The cluster key suite: keygen, and -k with local and SSH nodes. */
Suite *
suite_ctl_key(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ctl_key");
	tc = tcase_create("keygen");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_keygen);
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_local);
	suite_add_tcase(s, tc);

	tc = tcase_create("ssh");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, sshd_fixture_setup,
	    sshd_fixture_teardown);
	tcase_add_test(tc, test_ssh);
	suite_add_tcase(s, tc);
	return (s);
}
