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
 * End-to-end tests of creamasd's life: daemonising, start-up failures,
 * signals, options, configuration files and systemd readiness. Each test
 * runs the real binary and stops whatever it started by pid.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testlib.h"

Suite	*suite_lifecycle(void);

/* Parse stdout that must be exactly a port number and a newline. */
static uint16_t
port_from_stdout(const char *out)
{
	char		*end;
	unsigned long	 port;

	ck_assert_msg(isdigit((unsigned char)out[0]), "stdout is not a port "
	    "number: \"%s\"", out);
	port = strtoul(out, &end, 10);
	ck_assert_msg(strcmp(end, "\n") == 0 && port > 0 && port <= 65535,
	    "stdout is not just a port number and a newline: \"%s\"", out);
	return ((uint16_t)port);
}

/*
 * After a daemonising start: find the adopted daemon, track it at once,
 * and check through the port that it is the process listening there.
 */
static pid_t
find_daemon(uint16_t port)
{
	struct json_object	*status;
	struct tl_conn		*conn;
	pid_t			 pid;
	double			 deadline = tl_now() + 2.0;

	while ((pid = tl_stray_child()) == 0 && tl_now() < deadline)
		usleep(10000);
	if (pid != 0)
		tl_track_pid(pid);
	conn = tl_connect(port);
	status = tl_ok(conn, "status", "{}");
	ck_assert_msg(pid != 0, "no daemon left after the parent exited, yet "
	    "port %u answers with pid %lld", port,
	    (long long)tl_int(status, "pid"));
	ck_assert_msg(tl_int(status, "pid") == pid, "status says pid %lld, "
	    "the daemonised child is %ld", (long long)tl_int(status, "pid"),
	    (long)pid);
	json_object_put(status);
	tl_close(conn);
	return (pid);
}

/* Fail if a process the test did not track is still running. */
static void
check_no_stray(const char *what)
{
	double	 deadline = tl_now() + 2.0;
	pid_t	 pid;

	while ((pid = tl_stray_child()) != 0 && tl_now() < deadline)
		usleep(10000);
	if (pid != 0) {
		tl_track_pid(pid);
		ck_abort_msg("%s: pid %ld is still running", what, (long)pid);
	}
}

/* Check a failed start: a non-zero exit and a message naming needle. */
static void
check_start_failed(struct tl_run *run, const char *what, const char *needle)
{
	ck_assert_msg(tl_exit_code(&run->exit) > 0, "%s: %s, expected a "
	    "non-zero exit; stderr:\n%s", what, tl_exit_string(&run->exit),
	    run->err);
	ck_assert_msg(strcmp(run->out, "") == 0, "%s: printed \"%s\" on "
	    "stdout", what, run->out);
	ck_assert_msg(strstr(run->err, needle) != NULL, "%s: stderr does not "
	    "name \"%s\":\n%s", what, needle, run->err);
	/* In a sanitizer build a report would bury the message. */
	ck_assert_msg(strstr(run->err, "Sanitizer") == NULL &&
	    strstr(run->err, "runtime error:") == NULL, "%s: a sanitizer "
	    "report on stderr:\n%s", what, run->err);
	check_no_stray(what);
}

/* Return the contents of folder/name, failing if it is missing. */
static char *
read_log(const char *folder, const char *fmt, unsigned int port, long n)
{
	char	 name[128], *path, *text;

	snprintf(name, sizeof name, fmt, port, n);
	path = tl_path(folder, name);
	text = tl_read_file(path);
	ck_assert_msg(text != NULL, "no %s", path);
	free(path);
	return (text);
}

/* Without -d: the parent exits 0 once listening and prints the port. */
START_TEST(test_daemonise)
{
	struct tl_conn	*conn;
	struct tl_run	 run;
	struct tl_exit	 e;
	uint16_t	 port;
	pid_t		 pid;

	tl_adopt_orphans();
	tl_run(&run, TL_TIMEOUT, "--listen", "127.0.0.1:0", NULL);
	ck_assert_msg(tl_exit_ok(&run.exit), "the parent %s; stderr:\n%s",
	    tl_exit_string(&run.exit), run.err);
	port = port_from_stdout(run.out);

	/* Listening already: one immediate attempt must connect. */
	conn = tl_connect_try(port, 1.0);
	ck_assert_msg(conn != NULL, "port %u not listening when the parent "
	    "exited: %s", port, strerror(errno));
	tl_close(conn);

	pid = find_daemon(port);
	ck_assert_msg(getsid(pid) == pid, "the daemon (pid %ld) is not a "
	    "session leader (session %ld)", (long)pid, (long)getsid(pid));

	e = tl_stop_pid(pid, SIGTERM, TL_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: the daemon %s",
	    tl_exit_string(&e));
	ck_assert_msg(tl_wait_port_closed(port, 5.0), "port %u still "
	    "listening", port);
	tl_run_free(&run);
}
END_TEST

/* A port already in use: both ways of starting fail, saying so. */
START_TEST(test_port_in_use)
{
	struct tl_daemon	*first;
	struct tl_run		 run;
	struct tl_exit		 e;
	char			 listen[64], port[16];

	tl_adopt_orphans();
	first = tl_daemon_start(NULL);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", first->port);
	snprintf(port, sizeof port, "%u", first->port);

	tl_start_fail(&run, "--listen", listen, NULL);
	check_start_failed(&run, "-d, port in use", port);
	ck_assert_msg(strstr(run.err, "in use") != NULL, "no reason in "
	    "stderr:\n%s", run.err);
	tl_run_free(&run);

	tl_run(&run, TL_TIMEOUT, "--listen", listen, NULL);
	check_start_failed(&run, "daemonising, port in use", port);
	ck_assert_msg(strstr(run.err, "in use") != NULL, "no reason in "
	    "stderr:\n%s", run.err);
	tl_run_free(&run);

	/* The first daemon did not notice. */
	ck_assert(tl_port_listening(first->port));
	e = tl_daemon_stop(first);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(first);
}
END_TEST

/* A bad configuration file: the error names file:line, nothing runs. */
START_TEST(test_bad_config)
{
	const char	*dir = tl_tempdir();
	struct tl_run	 run;
	char		*path, *where, *missing;

	tl_adopt_orphans();
	path = tl_path(dir, "creamasd.conf");
	tl_write_file(path, "# a comment\n\nmax_line = x\n");
	if (asprintf(&where, "%s:3: max_line", path) == -1)
		ck_abort_msg("asprintf");

	tl_start_fail(&run, "-f", path, NULL);
	check_start_failed(&run, "-d, bad max_line", where);
	ck_assert_msg(strstr(run.err, "'x'") != NULL, "the bad value is not "
	    "named:\n%s", run.err);
	tl_run_free(&run);
	tl_run(&run, TL_TIMEOUT, "-f", path, NULL);
	check_start_failed(&run, "daemonising, bad max_line", where);
	tl_run_free(&run);
	free(where);

	/* An unknown key and a line that is no assignment. */
	tl_write_file(path, "idle_timeout = 5\nno_such_key = 1\n");
	if (asprintf(&where, "%s:2: no_such_key", path) == -1)
		ck_abort_msg("asprintf");
	tl_start_fail(&run, "-f", path, NULL);
	check_start_failed(&run, "-d, unknown key", where);
	tl_run_free(&run);
	free(where);
	tl_write_file(path, "\n\n\n\njust words\n");
	if (asprintf(&where, "%s:5:", path) == -1)
		ck_abort_msg("asprintf");
	tl_start_fail(&run, "-f", path, NULL);
	check_start_failed(&run, "-d, no '='", where);
	tl_run_free(&run);
	free(where);

	/* A file that does not exist. */
	missing = tl_path(dir, "missing.conf");
	tl_start_fail(&run, "-f", missing, NULL);
	check_start_failed(&run, "-d, missing file", missing);
	tl_run_free(&run);
	free(missing);
	free(path);
}
END_TEST

/* An unknown -o key, a bad -o value, an unknown role: refused at start. */
START_TEST(test_bad_options)
{
	struct tl_run	 run;

	tl_adopt_orphans();
	tl_start_fail(&run, "-o", "nosuch=1", NULL);
	check_start_failed(&run, "-o nosuch=1", "nosuch");
	tl_run_free(&run);
	tl_run(&run, TL_TIMEOUT, "--listen", "127.0.0.1:0", "-o", "nosuch=1",
	    NULL);
	check_start_failed(&run, "daemonising, -o nosuch=1", "nosuch");
	tl_run_free(&run);

	tl_start_fail(&run, "-o", "max_inflight=lots", NULL);
	check_start_failed(&run, "-o max_inflight=lots", "lots");
	tl_run_free(&run);
	tl_start_fail(&run, "-o", "max_line", NULL);
	check_start_failed(&run, "-o max_line", "max_line");
	tl_run_free(&run);
	tl_start_fail(&run, "--role", "nosuch", NULL);
	check_start_failed(&run, "--role nosuch", "nosuch");
	tl_run_free(&run);
	tl_start_fail(&run, "--listen", "127.0.0.1", NULL);
	check_start_failed(&run, "--listen without a port", "127.0.0.1");
	tl_run_free(&run);
	tl_start_fail(&run, "--no-such-option", NULL);
	check_start_failed(&run, "--no-such-option", "usage");
	tl_run_free(&run);
}
END_TEST

/* A plugin path that does not exist: refused, naming the path. */
START_TEST(test_missing_plugin)
{
	const char	*dir = tl_tempdir();
	struct tl_run	 run;
	char		*path, *junk;

	tl_adopt_orphans();
	path = tl_path(dir, "nosuch.so");
	tl_start_fail(&run, "--plugin", path, NULL);
	check_start_failed(&run, "-d, missing plugin", path);
	tl_run_free(&run);
	tl_run(&run, TL_TIMEOUT, "--listen", "127.0.0.1:0", "--plugin", path,
	    NULL);
	check_start_failed(&run, "daemonising, missing plugin", path);
	tl_run_free(&run);

	/* A file that is no shared object. */
	junk = tl_path(dir, "junk.so");
	tl_write_file(junk, "not an ELF file\n");
	tl_start_fail(&run, "--plugin", junk, NULL);
	check_start_failed(&run, "-d, junk plugin", junk);
	tl_run_free(&run);
	free(junk);
	free(path);
}
END_TEST

/* Stop a daemon with a signal: exit 0, the logs written, port closed. */
static void
check_signal_stop(int signo)
{
	const char		*folder = tl_tempdir();
	struct tl_daemon	*d;
	struct tl_conn		*conn, *idle;
	struct tl_exit		 e;
	char			*text, *err;
	long			 i;

	d = tl_daemon_start("--log-folder", folder, NULL);
	conn = tl_connect(d->port);
	json_object_put(tl_ok(conn, "spawn_n",
	    "{\"type\":\"counter\",\"n\":2}"));
	json_object_put(tl_ok(conn, "trigger_all", "{}"));
	/* An idle client must not hold the stop up. */
	idle = tl_connect(d->port);
	json_object_put(tl_ok(idle, "is_ready", "{}"));

	/* Well before the daemon's own 5 s drain grace. */
	e = tl_daemon_signal(d, signo, 4.0);
	err = tl_daemon_stderr(d);
	ck_assert_msg(tl_exit_ok(&e), "signal %d: the daemon %s; stderr:\n%s",
	    signo, tl_exit_string(&e), err);
	free(err);
	tl_expect_eof(conn, 2.0);
	tl_expect_eof(idle, 2.0);
	ck_assert_msg(tl_wait_port_closed(d->port, 5.0), "port %u still "
	    "listening", d->port);

	text = read_log(folder, "env_%u.log", d->port, 0);
	ck_assert_msg(strstr(text, "stopped") != NULL, "no stop in the "
	    "environment log:\n%s", text);
	free(text);
	for (i = 1; i <= 2; i++) {
		text = read_log(folder, "agent_%u_%ld.log", d->port, i);
		/* The one round's number, then the line. */
		ck_assert_str_eq(text, "round 1: count 1\n");
		free(text);
	}
	tl_close(conn);
	tl_close(idle);
	tl_daemon_free(d);
}

/* SIGTERM stops gracefully. */
START_TEST(test_sigterm)
{
	check_signal_stop(SIGTERM);
}
END_TEST

/* SIGINT stops gracefully. */
START_TEST(test_sigint)
{
	check_signal_stop(SIGINT);
}
END_TEST

/*
 * SIGTERM sent again and again while a daemon exits after "stop" (its
 * agents closing) never kills it: it exits 0 each time. The signal
 * events are freed as the exit begins, which puts back the default
 * action; before the signals were held blocked meanwhile, this killed
 * the daemon in 14 runs of 20.
 */
START_TEST(test_sigterm_while_exiting)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	pid_t			 pid;
	int			 run, status;
	double			 deadline;

	for (run = 0; run < 3; run++) {
		d = tl_daemon_start(NULL);
		conn = tl_connect(d->port);
		tl_expect_result(conn, "spawn_n", "{\"type\":\"noop\","
		    "\"n\":200000,\"addresses\":false}", "200000");
		tl_expect_result(conn, "stop", NULL, "true");
		pid = d->pid;
		deadline = tl_now() + 60;
		while (waitpid(pid, &status, WNOHANG) == 0) {
			ck_assert_msg(tl_now() < deadline, "pid %ld did not "
			    "exit within 60 s of stop", (long)pid);
			kill(pid, SIGTERM);
		}
		d->pid = -1;
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "run %d: the daemon ended with status %#x", run, status);
		tl_close(conn);
		tl_daemon_free(d);
	}
}
END_TEST

/* SIGHUP (reopen logs) and SIGPIPE (ignored) leave it running. */
START_TEST(test_sighup_sigpipe)
{
	struct tl_daemon	*d;
	struct tl_conn		*conn, *later;
	struct json_object	*status;
	struct tl_exit		 e;
	int			 i;

	d = tl_daemon_start(NULL);
	conn = tl_connect(d->port);
	json_object_put(tl_ok(conn, "spawn", "{\"type\":\"counter\"}"));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(kill(d->pid, SIGHUP), 0);
		usleep(100000);
	}
	ck_assert_int_eq(kill(d->pid, SIGPIPE), 0);
	usleep(100000);
	ck_assert_msg(tl_pid_alive(d->pid), "the daemon died of SIGHUP or "
	    "SIGPIPE");

	/* The same connection and a new one both work, state kept. */
	status = tl_ok(conn, "status", "{}");
	ck_assert_int_eq(tl_int(status, "agents"), 1);
	json_object_put(status);
	later = tl_connect(d->port);
	status = tl_ok(later, "status", "{}");
	ck_assert_int_eq(tl_int(status, "pid"), d->pid);
	json_object_put(status);
	tl_close(later);
	tl_close(conn);

	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
}
END_TEST

/* Every key as -o (and the long options) is accepted and applied. */
START_TEST(test_options_accepted)
{
	const char		*folder = tl_tempdir();
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*status, *reply;
	struct tl_exit		 e;
	char			*option, *text, *line, expected[64];
	struct stat		 st;

	if (asprintf(&option, "log_folder=%s", folder) == -1)
		ck_abort_msg("asprintf");
	d = tl_daemon_start("-v", "-o", "role=slave", "-o", "max_line=1K",
	    "-o", "max_output=64K", "-o", "max_inflight=8",
	    "-o", "max_connections=16", "-o", "idle_timeout=30",
	    "-o", "call_timeout=2.5", "-o", "round_timeout=5",
	    "-o", "advertise=localhost", "-o", option, NULL);
	free(option);
	conn = tl_connect(d->port);
	status = tl_ok(conn, "status", "{}");
	snprintf(expected, sizeof expected, "tcp://localhost:%u/0", d->port);
	ck_assert_str_eq(tl_string(status, "address"), expected);
	json_object_put(status);
	text = read_log(folder, "env_%u.log", d->port, 0);
	free(text);

	/* max_line=1K is applied: a longer line is refused and closed. */
	line = calloc(1, 2001);
	ck_assert_ptr_nonnull(line);
	memset(line, ' ', 2000);
	tl_send_line(conn, line);
	free(line);
	reply = tl_read_json(conn, TL_TIMEOUT);
	ck_assert_int_eq(tl_response_code(reply), -32700);
	ck_assert_msg(strstr(tl_json_text(reply), "1024") != NULL,
	    "max_line not in %s", tl_json_text(reply));
	json_object_put(reply);
	tl_expect_eof(conn, TL_TIMEOUT);
	tl_close(conn);
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);

	/* The long options, and sizes with other suffixes. */
	d = tl_daemon_start("-vv", "--role", "slave", "--advertise",
	    "127.0.0.1", "--log-folder", folder, "-o", "max_line=1048576",
	    "-o", "max_output=1g", "-o", "idle_timeout=0", NULL);
	ck_assert_msg(stat(folder, &st) == 0, "%s", folder);
	conn = tl_connect(d->port);
	reply = tl_ok(conn, "is_ready", "{}");
	tl_assert_json(reply, "true");
	json_object_put(reply);
	tl_close(conn);
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
}
END_TEST

/* Return the path of a built test plugin (the first, by name). */
static char *
any_plugin(void)
{
	struct dirent	**entries;
	const char	*dir = getenv("CREAMAS_PLUGINS");
	char		*path = NULL;
	size_t		 length;
	int		 n, i;

	ck_assert_msg(dir != NULL, "CREAMAS_PLUGINS is not set");
	n = scandir(dir, &entries, NULL, alphasort);
	ck_assert_msg(n >= 0, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		length = strlen(entries[i]->d_name);
		if (path == NULL && length > 3 &&
		    strcmp(entries[i]->d_name + length - 3, ".so") == 0)
			path = tl_path(dir, entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	ck_assert_msg(path != NULL, "no test plugin in %s", dir);
	return (path);
}

/* A configuration file with every key: accepted, and each one applied. */
START_TEST(test_config_every_key)
{
	const char		*dir = tl_tempdir();
	struct tl_conn		*conn;
	struct json_object	*status;
	struct tl_run		 run;
	struct tl_exit		 e;
	char			*path, *folder, *plugin, *contents, *text;
	char			 expected[64];
	uint16_t		 port;
	pid_t			 pid;

	tl_adopt_orphans();
	path = tl_path(dir, "creamasd.conf");
	folder = tl_path(dir, "logs");
	plugin = any_plugin();
	if (asprintf(&contents,
	    "# Every key creamasd.conf(5) knows.\n"
	    "role = slave\n"
	    "listen = 127.0.0.1:0\n"
	    "advertise = \"localhost\"\n"
	    "plugin = %s\n"
	    "log_folder = %s\n"
	    "max_line = 64K\n"
	    "max_output = 2M\n"
	    "max_inflight = 16   # a comment after a value\n"
	    "max_connections = 32\n"
	    "idle_timeout = 0\n"
	    "call_timeout = 1.5\n"
	    "round_timeout = 10\n", plugin, folder) == -1)
		ck_abort_msg("asprintf");
	tl_write_file(path, contents);
	free(contents);

	/* Daemonising, so that the file's listen is the only one. */
	tl_run(&run, TL_TIMEOUT, "-f", path, NULL);
	ck_assert_msg(tl_exit_ok(&run.exit), "the parent %s; stderr:\n%s",
	    tl_exit_string(&run.exit), run.err);
	port = port_from_stdout(run.out);
	pid = find_daemon(port);

	conn = tl_connect(port);
	status = tl_ok(conn, "status", "{}");
	ck_assert_str_eq(tl_string(status, "role"), "slave");
	snprintf(expected, sizeof expected, "tcp://localhost:%u/0", port);
	ck_assert_str_eq(tl_string(status, "address"), expected);
	ck_assert_msg(json_object_array_length(tl_member(status, "types")) >
	    2, "the plugin's types are missing: %s", tl_json_text(status));
	json_object_put(status);
	tl_close(conn);

	e = tl_stop_pid(pid, SIGTERM, TL_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	text = read_log(folder, "env_%u.log", port, 0);
	ck_assert_msg(strstr(text, "stopped") != NULL, "log:\n%s", text);
	free(text);
	tl_run_free(&run);
	free(plugin);
	free(folder);
	free(path);
}
END_TEST

/* Start a daemon with a one-line configuration and check its address. */
static void
check_advertised(const char *line, const char *host)
{
	const char		*dir = tl_tempdir();
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*status;
	struct tl_exit		 e;
	char			*path, expected[128];

	path = tl_path(dir, "creamasd.conf");
	tl_write_file(path, line);
	d = tl_daemon_start("-f", path, NULL);
	conn = tl_connect(d->port);
	status = tl_ok(conn, "status", "{}");
	snprintf(expected, sizeof expected, "tcp://%s:%u/0", host, d->port);
	ck_assert_msg(strcmp(tl_string(status, "address"), expected) == 0,
	    "with the line '%s' the address is %s, expected %s", line,
	    tl_string(status, "address"), expected);
	json_object_put(status);
	tl_close(conn);
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
	free(path);
}

/* Quoted values keep a '#' inside; a '#' after the quotes is a comment. */
START_TEST(test_config_quotes_and_comments)
{
	check_advertised("advertise = plain.example # comment\n",
	    "plain.example");
	check_advertised("advertise = \"quoted.example\"\n",
	    "quoted.example");
	check_advertised("advertise = \"hash#inside\"\n", "hash#inside");
	check_advertised("advertise = \"quoted.example\" # comment\n",
	    "quoted.example");
}
END_TEST

/* Options given on the command line win over the file. */
START_TEST(test_options_override_config)
{
	const char		*dir = tl_tempdir();
	struct tl_daemon	*d;
	struct tl_conn		*conn;
	struct json_object	*status;
	struct tl_exit		 e;
	char			*path, expected[64];

	path = tl_path(dir, "creamasd.conf");
	tl_write_file(path, "listen = 127.0.0.1:1\nadvertise = file.example\n"
	    "max_connections = 1\n");
	d = tl_daemon_start("-f", path, "--advertise", "cli.example",
	    "-o", "max_connections=5", NULL);
	conn = tl_connect(d->port);
	status = tl_ok(conn, "status", "{}");
	snprintf(expected, sizeof expected, "tcp://cli.example:%u/0",
	    d->port);
	ck_assert_str_eq(tl_string(status, "address"), expected);
	json_object_put(status);
	tl_close(conn);
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
	free(path);
}
END_TEST

/* The shipped example configuration (every key commented) is accepted. */
START_TEST(test_example_config)
{
	struct tl_daemon	*d;
	struct tl_exit		 e;
	char			*copy, *path;

	copy = strdup(tl_creamasd());
	ck_assert_ptr_nonnull(copy);
	if (asprintf(&path, "%s/../conf/creamasd.conf", dirname(copy)) == -1)
		ck_abort_msg("asprintf");
	ck_assert_msg(access(path, R_OK) == 0, "%s: %s", path,
	    strerror(errno));
	d = tl_daemon_start("-f", path, NULL);
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
	free(path);
	free(copy);
}
END_TEST

/* -V, -h and a bad option: what they print and how they exit. */
START_TEST(test_version_help)
{
	struct tl_run	 run;

	tl_run(&run, TL_TIMEOUT, "-V", NULL);
	ck_assert_msg(tl_exit_ok(&run.exit), "-V: %s",
	    tl_exit_string(&run.exit));
	ck_assert_msg(strncmp(run.out, "creamasd ", 9) == 0, "-V printed "
	    "\"%s\"", run.out);
	tl_run_free(&run);
	tl_run(&run, TL_TIMEOUT, "--version", NULL);
	ck_assert_msg(tl_exit_ok(&run.exit) &&
	    strncmp(run.out, "creamasd ", 9) == 0, "--version: %s, \"%s\"",
	    tl_exit_string(&run.exit), run.out);
	tl_run_free(&run);
	tl_run(&run, TL_TIMEOUT, "-h", NULL);
	ck_assert_msg(tl_exit_ok(&run.exit), "-h: %s",
	    tl_exit_string(&run.exit));
	ck_assert_msg(strstr(run.out, "usage") != NULL, "-h printed \"%s\"",
	    run.out);
	tl_run_free(&run);
	tl_run(&run, TL_TIMEOUT, "-d", "surplus-argument", NULL);
	ck_assert_msg(tl_exit_code(&run.exit) > 0, "a surplus argument: %s",
	    tl_exit_string(&run.exit));
	ck_assert_msg(strstr(run.err, "usage") != NULL, "no usage on stderr:"
	    " \"%s\"", run.err);
	tl_run_free(&run);
}
END_TEST

/* Make an AF_UNIX datagram socket at dir/notify; its path in *path. */
static int
notify_socket(const char *dir, char **path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	*path = tl_path(dir, "notify");
	ck_assert_msg(strlen(*path) < sizeof sun.sun_path, "%s too long",
	    *path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, *path, strlen(*path));
	ck_assert_msg(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0,
	    "bind %s: %s", *path, strerror(errno));
	return (fd);
}

/* Wait for a datagram saying READY=1 (and MAINPID=pid if it says one). */
static void
expect_ready(int fd, pid_t pid)
{
	struct pollfd	 pfd;
	char		 message[512], *mainpid;
	ssize_t		 length;

	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_msg(poll(&pfd, 1, (int)(TL_TIMEOUT * 1000)) == 1,
	    "no notification on NOTIFY_SOCKET within %.0f s", TL_TIMEOUT);
	length = recv(fd, message, sizeof message - 1, 0);
	ck_assert_msg(length > 0, "recv: %s", strerror(errno));
	message[length] = '\0';
	ck_assert_msg(strncmp(message, "READY=1\n", 8) == 0 ||
	    strstr(message, "\nREADY=1\n") != NULL ||
	    strcmp(message, "READY=1") == 0, "no READY=1 in \"%s\"", message);
	if ((mainpid = strstr(message, "MAINPID=")) != NULL)
		ck_assert_msg(strtol(mainpid + 8, NULL, 10) == (long)pid,
		    "MAINPID is not %ld in \"%s\"", (long)pid, message);
}

/* NOTIFY_SOCKET: READY=1 arrives once the daemon listens. */
START_TEST(test_notify_socket)
{
	const char		*dir = tl_tempdir();
	struct tl_daemon	*d;
	struct tl_exit		 e;
	char			*path;
	int			 fd;

	fd = notify_socket(dir, &path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	d = tl_daemon_start(NULL);
	unsetenv("NOTIFY_SOCKET");
	expect_ready(fd, d->pid);
	ck_assert(tl_port_listening(d->port));
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
	close(fd);
	free(path);
}
END_TEST

/* NOTIFY_SOCKET when daemonising: the daemon itself says READY=1. */
START_TEST(test_notify_socket_daemonised)
{
	const char	*dir = tl_tempdir();
	struct tl_run	 run;
	struct tl_exit	 e;
	char		*path;
	uint16_t	 port;
	pid_t		 pid;
	int		 fd;

	tl_adopt_orphans();
	fd = notify_socket(dir, &path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	tl_run(&run, TL_TIMEOUT, "--listen", "127.0.0.1:0", NULL);
	unsetenv("NOTIFY_SOCKET");
	ck_assert_msg(tl_exit_ok(&run.exit), "the parent %s; stderr:\n%s",
	    tl_exit_string(&run.exit), run.err);
	port = port_from_stdout(run.out);
	pid = find_daemon(port);
	expect_ready(fd, pid);
	e = tl_stop_pid(pid, SIGTERM, TL_STOP_WAIT);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_run_free(&run);
	close(fd);
	free(path);
}
END_TEST

/*
 * A master says READY=1 once, from its own pid, when every slave
 * answers; its slaves, which inherit the environment, say nothing.
 */
START_TEST(test_notify_socket_master)
{
	const char		*dir = tl_tempdir();
	struct tl_daemon	*d;
	struct tl_exit		 e;
	struct pollfd		 pfd;
	char			*path;
	int			 fd;

	fd = notify_socket(dir, &path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	d = tl_daemon_start("--role", "master", "--slaves", "2", NULL);
	unsetenv("NOTIFY_SOCKET");
	expect_ready(fd, d->pid);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_msg(poll(&pfd, 1, 500) == 0, "a second notification came: "
	    "a slave spoke to systemd");
	e = tl_daemon_stop(d);
	ck_assert_msg(tl_exit_ok(&e), "SIGTERM: %s", tl_exit_string(&e));
	tl_daemon_free(d);
	close(fd);
	free(path);
}
END_TEST

/*
 * Write a copy of a shipped unit with this build's creamasd in ExecStart
 * and a configuration that exists, for systemd-analyze to check.
 */
static char *
unit_copy(const char *dir, const char *name, const char *conf)
{
	char	*source, *text, *line, *out, *target;
	size_t	 size = 0;
	FILE	*stream;

	/* make check runs the tests from the top of the source tree. */
	ck_assert_int_ne(asprintf(&source, "conf/%s", name), -1);
	ck_assert_msg((text = tl_read_file(source)) != NULL, "no %s", source);
	ck_assert((stream = open_memstream(&out, &size)) != NULL);
	for (line = strtok(text, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (strncmp(line, "ExecStart=", 10) == 0)
			fprintf(stream, "ExecStart=%s -d --role master -f %s\n",
			    tl_creamasd(), conf);
		else
			fprintf(stream, "%s\n", line);
	}
	fclose(stream);
	/* A template is verified as one of its instances. */
	if (strcmp(name, "creamasd@.service") == 0)
		name = "creamasd@test.service";
	ck_assert_int_ne(asprintf(&target, "%s/%s", dir, name), -1);
	tl_write_file(target, out);
	free(out);
	free(text);
	free(source);
	return (target);
}

/* The shipped systemd units pass systemd-analyze verify. */
START_TEST(test_units_verify)
{
	static const char	*units[] = { "creamasd.service",
				    "creamasd@.service" };
	const char		*dir = tl_tempdir();
	char			*conf, *unit, *command, *output, *text;
	size_t			 i;
	int			 status;

	ck_assert_msg(access("/usr/bin/systemd-analyze", X_OK) == 0,
	    "systemd-analyze is missing: install Debian's systemd");
	ck_assert_int_ne(asprintf(&conf, "%s/creamasd.conf", dir), -1);
	tl_write_file(conf, "listen = 127.0.0.1:0\n");
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		unit = unit_copy(dir, units[i], conf);
		ck_assert_int_ne(asprintf(&command, "systemd-analyze verify "
		    "--man=no %s > %s.out 2>&1", unit, unit), -1);
		status = system(command);
		ck_assert_int_ne(asprintf(&output, "%s.out", unit), -1);
		text = tl_read_file(output);
		/* It exits 0 on a key it cannot parse: any word is a fault. */
		ck_assert_msg(status == 0 && text != NULL && *text == '\0',
		    "systemd-analyze verify %s: %s", units[i],
		    text != NULL ? text : "(no output file)");
		free(text);
		free(output);
		free(command);
		free(unit);
	}
	free(conf);
}
END_TEST

/*
 * The shipped units sandbox creamasd: systemd-analyze security rates the
 * exposure of each at most 2.5, on its scale from 0 (the safest) to 10.
 */
START_TEST(test_units_security)
{
	static const char	*units[] = { "creamasd.service",
				    "creamasd@.service" };
	char			*command, *line = NULL, *found;
	size_t			 i, size = 0;
	double			 score;
	FILE			*stream;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		/* make check runs the tests from the top of the source tree. */
		ck_assert_int_ne(asprintf(&command, "systemd-analyze security "
		    "--offline=true conf/%s 2>&1", units[i]), -1);
		ck_assert((stream = popen(command, "r")) != NULL);
		score = -1;
		while (getline(&line, &size, stream) != -1) {
			if ((found = strstr(line, "Overall exposure level "
			    "for ")) != NULL &&
			    (found = strstr(found, ": ")) != NULL)
				score = strtod(found + 2, NULL);
		}
		ck_assert_msg(pclose(stream) == 0, "%s failed", command);
		ck_assert_msg(score >= 0, "%s: no exposure level", units[i]);
		ck_assert_msg(score <= 2.5, "%s: exposure %.1f, over 2.5",
		    units[i], score);
		free(command);
	}
	free(line);
}
END_TEST

/* The lifecycle suite. */
Suite *
suite_lifecycle(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("lifecycle");
	tc = tcase_create("start");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_daemonise);
	tcase_add_test(tc, test_port_in_use);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_missing_plugin);
	tcase_add_test(tc, test_version_help);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_sigint);
	tcase_add_test(tc, test_sigterm_while_exiting);
	tcase_add_test(tc, test_sighup_sigpipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("configuration");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_options_accepted);
	tcase_add_test(tc, test_config_every_key);
	tcase_add_test(tc, test_config_quotes_and_comments);
	tcase_add_test(tc, test_options_override_config);
	tcase_add_test(tc, test_example_config);
	tcase_add_test(tc, test_notify_socket);
	tcase_add_test(tc, test_notify_socket_daemonised);
	tcase_add_test(tc, test_notify_socket_master);
	tcase_add_test(tc, test_units_verify);
	tcase_add_test(tc, test_units_security);
	suite_add_tcase(s, tc);
	return (s);
}
