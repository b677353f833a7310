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
 * Tests for ctl/remote.c against a real OpenSSH server (tests/sshd.c):
 * output, stderr and exit status, stdin, quoting through the remote shell,
 * jobs at once, and the refusals: a closed port, an unknown or changed
 * host key, a key the server does not accept.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "remote.h"
#include "sshd.h"
#include "xmalloc.h"

#define JOBS_AT_ONCE	8
#define SIGNAL_COUNT	200	/* signals test_signals sends during a job */

Suite	*suite_remote(void);

/* remote_run() in a thread of its own, for test_signals. */
struct runner {
	struct remote_job	*jobs;
	size_t			 count;
	struct remote_options	*options;
	int			 done;
};

/* Threads test_signals expects signals in, and how many others got one. */
static pid_t	 signal_main_tid;
static pid_t	 signal_runner_tid;
static int	 signal_strays;

/* Seconds on a monotonic clock. */
static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* A job running a command on the test server with its user key. */
static void
job_init(struct remote_job *job, const struct sshd *s, const char *command)
{
	memset(job, 0, sizeof *job);
	job->host = SSHD_HOST;
	job->port = s->port;
	job->identity = s->user_key;
	job->command = command;
}

/* Options that trust exactly the test server's known_hosts. */
static void
options_init(struct remote_options *options, const struct sshd *s)
{
	memset(options, 0, sizeof *options);
	options->connect_timeout = 10;
	options->known_hosts = s->known_hosts;
}

/* Check a job ran to the end: no failure, the given status. */
static void
assert_ran(const struct remote_job *job, int status)
{
	ck_assert_msg(job->failure == NULL, "job failed: %s", job->failure);
	ck_assert_int_eq(job->exit_status, status);
	ck_assert_ptr_nonnull(job->out);
	ck_assert_ptr_nonnull(job->err);
}

/* Check a job never ran and its failure says all of some words. */
static void
assert_failed(const struct remote_job *job, const char *word1,
    const char *word2)
{
	ck_assert_msg(job->failure != NULL, "job did not fail: status %d, "
	    "out '%s'", job->exit_status, job->out);
	ck_assert_int_eq(job->exit_status, -1);
	ck_assert_msg(strstr(job->failure, word1) != NULL,
	    "'%s' not in '%s'", word1, job->failure);
	if (word2 != NULL)
		ck_assert_msg(strstr(job->failure, word2) != NULL,
		    "'%s' not in '%s'", word2, job->failure);
	ck_assert_str_eq(job->out, "");
	ck_assert_str_eq(job->err, "");
}

/* "127.0.0.1:PORT", as failures name the server. */
static char *
server_name(uint16_t port)
{
	char	*name;

	xasprintf(&name, "%s:%u", SSHD_HOST, port);
	return (name);
}

/* A loopback TCP socket bound to a free port, listening or not. */
static int
loopback_socket(int listening, uint16_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;
	int			 fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &length), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 16), 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* Stdout, stderr and exit status come back, a failing status included. */
START_TEST(test_exec_output)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 jobs[3];

	options_init(&options, s);
	job_init(&jobs[0], s, "echo out; echo err >&2; exit 3");
	job_init(&jobs[1], s, "printf 'no newline'");
	job_init(&jobs[2], s, "true");
	remote_run(jobs, 3, &options);

	assert_ran(&jobs[0], 3);
	ck_assert_str_eq(jobs[0].out, "out\n");
	ck_assert_str_eq(jobs[0].err, "err\n");
	assert_ran(&jobs[1], 0);
	ck_assert_str_eq(jobs[1].out, "no newline");
	ck_assert_str_eq(jobs[1].err, "");
	assert_ran(&jobs[2], 0);
	ck_assert_str_eq(jobs[2].out, "");

	remote_job_clear(&jobs[0]);
	ck_assert_ptr_null(jobs[0].out);
	ck_assert_ptr_null(jobs[0].err);
	ck_assert_int_eq(jobs[0].exit_status, -1);
	remote_job_clear(&jobs[1]);
	remote_job_clear(&jobs[2]);
	remote_job_clear(NULL);
	sshd_stop(s);
}
END_TEST

/* Stdin reaches the command and ends; without stdin_data it is empty. */
START_TEST(test_stdin)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 jobs[3];
	char			*big, *count;
	size_t			 big_length = 3 * 1000 * 1000 + 7;

	/* More than any channel window, so the window is waited on. */
	big = xmalloc(big_length + 1);
	memset(big, 'x', big_length);
	big[big_length] = '\0';
	xasprintf(&count, "%zu\n", big_length);

	options_init(&options, s);
	job_init(&jobs[0], s, "cat");
	jobs[0].stdin_data = "line one\nline 'two'\n\n";
	job_init(&jobs[1], s, "cat; echo done");
	job_init(&jobs[2], s, "wc -c | tr -d ' '");
	jobs[2].stdin_data = big;
	remote_run(jobs, 3, &options);

	assert_ran(&jobs[0], 0);
	ck_assert_str_eq(jobs[0].out, "line one\nline 'two'\n\n");
	assert_ran(&jobs[1], 0);
	ck_assert_str_eq(jobs[1].out, "done\n");
	assert_ran(&jobs[2], 0);
	ck_assert_str_eq(jobs[2].out, count);

	remote_job_clear(&jobs[0]);
	remote_job_clear(&jobs[1]);
	remote_job_clear(&jobs[2]);
	free(count);
	free(big);
	sshd_stop(s);
}
END_TEST

/* Output past the bound is cut with a note; both streams flow at once. */
START_TEST(test_output_bound)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;
	char			*note;
	size_t			 i;

	options_init(&options, s);
	job_init(&job, s, "head -c 3000000 /dev/zero | tr '\\0' a & "
	    "head -c 2500000 /dev/zero | tr '\\0' b >&2; wait; exit 4");
	remote_run(&job, 1, &options);

	assert_ran(&job, 4);
	ck_assert_uint_gt(strlen(job.out), REMOTE_OUTPUT_MAX);
	for (i = 0; i < REMOTE_OUTPUT_MAX; i++) {
		if (job.out[i] != 'a' || job.err[i] != 'b')
			ck_abort_msg("byte %zu is not the command's", i);
	}
	xasprintf(&note, "\n[creamasctl: output truncated, %d more bytes "
	    "dropped after %d]\n", 3000000 - REMOTE_OUTPUT_MAX,
	    REMOTE_OUTPUT_MAX);
	ck_assert_str_eq(job.out + REMOTE_OUTPUT_MAX, note);
	free(note);
	xasprintf(&note, "\n[creamasctl: output truncated, %d more bytes "
	    "dropped after %d]\n", 2500000 - REMOTE_OUTPUT_MAX,
	    REMOTE_OUTPUT_MAX);
	ck_assert_str_eq(job.err + REMOTE_OUTPUT_MAX, note);
	free(note);

	remote_job_clear(&job);
	sshd_stop(s);
}
END_TEST

/* remote_quote() wraps in single quotes and escapes only the quote. */
START_TEST(test_quote_text)
{
	char	*quoted;

	quoted = remote_quote("");
	ck_assert_str_eq(quoted, "''");
	free(quoted);
	quoted = remote_quote("plain");
	ck_assert_str_eq(quoted, "'plain'");
	free(quoted);
	quoted = remote_quote("it's");
	ck_assert_str_eq(quoted, "'it'\\''s'");
	free(quoted);
	quoted = remote_quote("''");
	ck_assert_str_eq(quoted, "''\\'''\\'''");
	free(quoted);
}
END_TEST

/* Nasty arguments arrive unchanged through the real remote shell. */
START_TEST(test_quote_round_trip)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;
	char			*marker, *command, *expected, *quoted, *next;
	char			*aimed[2] = { NULL, NULL };
	size_t			 aimed_count = 0;
	const char		*args[] = {
		"plain", "with space", "  leading and trailing  ", "it's",
		"'", "''", "\"double\"", "$HOME", "${HOME}", "$(touch MARK)",
		"`touch MARK`", "a\nb", "ends with newline\n", "tab\there",
		"back\\slash\\", "\\'", "*", "?", "[a]", "~", "~root", "#hash",
		"!bang", "-n", "--", "a;b", "a|b", "a&b", "a>b", "a<b",
		"{a,b}", "(x)", "", "%s%d", "\xc3\xa9t\xc3\xa9",
	};
	size_t			 i, count = sizeof args / sizeof args[0];

	marker = sshd_path(s, "pwned");
	command = xstrdup("printf '[%s]\\n'");
	expected = xstrdup("");
	for (i = 0; i < count; i++) {
		/* Let the substitutions aim at a file we can look for. */
		if (strstr(args[i], "MARK") != NULL) {
			xasprintf(&next, "%.*s%s%s", (int)(strstr(args[i],
			    "MARK") - args[i]), args[i], marker,
			    strstr(args[i], "MARK") + 4);
			ck_assert_uint_lt(aimed_count, 2);
			args[i] = aimed[aimed_count++] = next;
		}
		quoted = remote_quote(args[i]);
		xasprintf(&next, "%s %s", command, quoted);
		free(command);
		command = next;
		xasprintf(&next, "%s[%s]\n", expected, args[i]);
		free(expected);
		expected = next;
		free(quoted);
	}

	options_init(&options, s);
	job_init(&job, s, command);
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	ck_assert_str_eq(job.out, expected);
	ck_assert_str_eq(job.err, "");
	ck_assert_msg(access(marker, F_OK) == -1, "a substitution ran");

	/* The same arguments through a quoted remote "sh -c". */
	quoted = remote_quote(command);
	free(command);
	xasprintf(&command, "sh -c %s", quoted);
	free(quoted);
	remote_job_clear(&job);
	job_init(&job, s, command);
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	ck_assert_str_eq(job.out, expected);
	ck_assert_msg(access(marker, F_OK) == -1, "a substitution ran");

	remote_job_clear(&job);
	free(aimed[0]);
	free(aimed[1]);
	free(command);
	free(expected);
	free(marker);
	sshd_stop(s);
}
END_TEST

/* Jobs run at once: eight one-second jobs take about a second. */
START_TEST(test_concurrent)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 jobs[JOBS_AT_ONCE];
	char			*commands[JOBS_AT_ONCE], *expected;
	double			 start, elapsed;
	size_t			 i;

	options_init(&options, s);
	for (i = 0; i < JOBS_AT_ONCE; i++) {
		xasprintf(&commands[i], "sleep 1; echo job %zu; "
		    "echo warning %zu >&2; exit %zu", i, i, i);
		job_init(&jobs[i], s, commands[i]);
	}
	start = now();
	remote_run(jobs, JOBS_AT_ONCE, &options);
	elapsed = now() - start;

	for (i = 0; i < JOBS_AT_ONCE; i++) {
		assert_ran(&jobs[i], (int)i);
		xasprintf(&expected, "job %zu\n", i);
		ck_assert_str_eq(jobs[i].out, expected);
		free(expected);
		xasprintf(&expected, "warning %zu\n", i);
		ck_assert_str_eq(jobs[i].err, expected);
		free(expected);
		remote_job_clear(&jobs[i]);
		free(commands[i]);
	}
	/* One after another would take eight seconds. */
	ck_assert_msg(elapsed < 4.0, "%d jobs took %.1f s: not at once",
	    JOBS_AT_ONCE, elapsed);
	sshd_stop(s);
}
END_TEST

/* A failing job does not disturb the others run with it. */
START_TEST(test_mixed)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 jobs[3];
	char			*name;
	uint16_t		 closed;
	int			 fd;

	fd = loopback_socket(0, &closed);	/* bound, not listening */
	options_init(&options, s);
	job_init(&jobs[0], s, "echo fine");
	job_init(&jobs[1], s, "echo unreachable");
	jobs[1].port = closed;
	job_init(&jobs[2], s, "echo fine too");
	jobs[2].identity = "/nonexistent/key";
	remote_run(jobs, 3, &options);

	assert_ran(&jobs[0], 0);
	ck_assert_str_eq(jobs[0].out, "fine\n");
	name = server_name(closed);
	assert_failed(&jobs[1], name, "connect");
	free(name);
	assert_failed(&jobs[2], "cannot read identity", "/nonexistent/key");

	remote_job_clear(&jobs[0]);
	remote_job_clear(&jobs[1]);
	remote_job_clear(&jobs[2]);
	close(fd);
	sshd_stop(s);
}
END_TEST

/* A closed port fails at once, naming host:port. */
START_TEST(test_connect_refused)
{
	struct remote_options	 options;
	struct remote_job	 job;
	char			*name;
	uint16_t		 port;
	int			 fd;

	fd = loopback_socket(0, &port);
	memset(&options, 0, sizeof options);
	options.known_hosts = "/nonexistent/known_hosts";
	memset(&job, 0, sizeof job);
	job.host = SSHD_HOST;
	job.port = port;
	job.command = "true";
	remote_run(&job, 1, &options);

	name = server_name(port);
	assert_failed(&job, name, "refused");
	ck_assert_msg(strncmp(job.failure, name, strlen(name)) == 0,
	    "failure does not start with %s: %s", name, job.failure);
	free(name);
	remote_job_clear(&job);

	/* An IPv6 address is named in brackets. */
	job.host = "::1";
	remote_run(&job, 1, &options);
	xasprintf(&name, "[::1]:%u: cannot connect: ", port);
	assert_failed(&job, name, NULL);
	ck_assert_msg(strncmp(job.failure, name, strlen(name)) == 0,
	    "failure does not start with %s: %s", name, job.failure);
	free(name);
	remote_job_clear(&job);
	close(fd);
}
END_TEST

/* A server that never speaks fails after the connect timeout. */
START_TEST(test_connect_timeout)
{
	struct remote_options	 options;
	struct remote_job	 job;
	char			*name;
	double			 start, elapsed;
	uint16_t		 port;
	int			 fd;

	fd = loopback_socket(1, &port);	/* accepts, says nothing */
	memset(&options, 0, sizeof options);
	options.connect_timeout = 1.5;
	options.known_hosts = "/nonexistent/known_hosts";
	memset(&job, 0, sizeof job);
	job.host = SSHD_HOST;
	job.port = port;
	job.command = "true";
	start = now();
	remote_run(&job, 1, &options);
	elapsed = now() - start;

	name = server_name(port);
	assert_failed(&job, name, "connect");
	free(name);
	ck_assert_msg(elapsed >= 1.0 && elapsed < 6.0,
	    "timed out after %.1f s, not about 1.5", elapsed);
	remote_job_clear(&job);
	close(fd);
}
END_TEST

/* An unknown host key is refused with its fingerprint unless opted in. */
START_TEST(test_unknown_host_key)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;
	char			*empty, *missing, *public, *fingerprint;
	char			*text, *entry;
	FILE			*f;

	xasprintf(&public, "%s.pub", s->host_key);
	fingerprint = sshd_fingerprint(public);
	empty = sshd_path(s, "empty_known_hosts");
	missing = sshd_path(s, "missing_known_hosts");
	ck_assert_ptr_nonnull(f = fopen(empty, "w"));
	fclose(f);

	/* Refused whether the file is empty or missing. */
	options_init(&options, s);
	options.known_hosts = empty;
	job_init(&job, s, "echo hello");
	remote_run(&job, 1, &options);
	assert_failed(&job, fingerprint, "unknown host key");
	ck_assert_ptr_nonnull(strstr(job.failure, "--accept-new-host-keys"));
	remote_job_clear(&job);
	options.known_hosts = missing;
	remote_run(&job, 1, &options);
	assert_failed(&job, fingerprint, "unknown host key");
	remote_job_clear(&job);
	ck_assert_int_eq(access(missing, F_OK), -1);

	/* Accepted and added when asked, to either file. */
	options.accept_new_host_keys = 1;
	options.known_hosts = empty;
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	ck_assert_str_eq(job.out, "hello\n");
	remote_job_clear(&job);
	options.known_hosts = missing;
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	remote_job_clear(&job);

	/* Then known: it passes without the option. */
	options.accept_new_host_keys = 0;
	options.known_hosts = empty;
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	ck_assert_str_eq(job.out, "hello\n");
	remote_job_clear(&job);
	options.known_hosts = missing;
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	remote_job_clear(&job);

	/* Both files now name the server with its key. */
	xasprintf(&entry, "[%s]:%u ssh-ed25519 ", SSHD_HOST, s->port);
	text = sshd_read_file(empty);
	ck_assert_msg(strncmp(text, entry, strlen(entry)) == 0,
	    "known_hosts holds '%s'", text);
	free(text);
	text = sshd_read_file(missing);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strncmp(text, entry, strlen(entry)) == 0,
	    "known_hosts holds '%s'", text);
	free(text);

	free(entry);
	free(empty);
	free(missing);
	free(public);
	free(fingerprint);
	sshd_stop(s);
}
END_TEST

/*
 * A changed host key, or one of another type, is refused with its
 * fingerprint, opted in to new keys or not.
 */
START_TEST(test_changed_host_key)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;
	char			*public, *old_fingerprint, *new_fingerprint;
	char			*before, *after;

	xasprintf(&public, "%s.pub", s->host_key);
	old_fingerprint = sshd_fingerprint(public);
	options_init(&options, s);
	job_init(&job, s, "echo hello");
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);		/* the old key passes */
	remote_job_clear(&job);

	sshd_new_host_key(s, NULL);
	new_fingerprint = sshd_fingerprint(public);
	ck_assert_str_ne(old_fingerprint, new_fingerprint);
	before = sshd_read_file(s->known_hosts);

	remote_run(&job, 1, &options);
	assert_failed(&job, new_fingerprint, "HOST KEY CHANGED");
	remote_job_clear(&job);
	options.accept_new_host_keys = 1;
	remote_run(&job, 1, &options);
	assert_failed(&job, new_fingerprint, "HOST KEY CHANGED");
	remote_job_clear(&job);

	after = sshd_read_file(s->known_hosts);
	ck_assert_str_eq(before, after);
	free(after);

	/* A key of another type than known_hosts holds is refused too. */
	sshd_new_host_key(s, "ecdsa");
	free(new_fingerprint);
	new_fingerprint = sshd_fingerprint(public);
	remote_run(&job, 1, &options);		/* accept_new_host_keys */
	assert_failed(&job, new_fingerprint, "another type");
	ck_assert_ptr_nonnull(strstr(job.failure, "ecdsa"));
	remote_job_clear(&job);
	after = sshd_read_file(s->known_hosts);
	ck_assert_str_eq(before, after);

	free(before);
	free(after);
	free(public);
	free(old_fingerprint);
	free(new_fingerprint);
	sshd_stop(s);
}
END_TEST

/* A key the server does not know fails authentication, clearly. */
START_TEST(test_wrong_user_key)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;
	char			*stranger, *name;

	stranger = sshd_new_user_key(s, "stranger_key", NULL, 0);
	options_init(&options, s);
	job_init(&job, s, "echo hello");
	job.identity = stranger;
	remote_run(&job, 1, &options);
	assert_failed(&job, "authentication", "denied");
	ck_assert_ptr_nonnull(strstr(job.failure, stranger));
	name = server_name(s->port);
	ck_assert_ptr_nonnull(strstr(job.failure, name));
	remote_job_clear(&job);

	/* A user the server has no key for fails the same way. */
	job.identity = s->user_key;
	job.user = "nobody";
	remote_run(&job, 1, &options);
	assert_failed(&job, "authentication as nobody", "denied");
	remote_job_clear(&job);

	free(name);
	free(stranger);
	sshd_stop(s);
}
END_TEST

/* Without identity=, the key comes from the agent. */
START_TEST(test_agent)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;

	options_init(&options, s);
	job_init(&job, s, "echo via agent");
	job.identity = NULL;

	unsetenv("SSH_AUTH_SOCK");
	remote_run(&job, 1, &options);
	assert_failed(&job, "the agent or the default keys", "denied");
	remote_job_clear(&job);

	sshd_agent_start(s);
	remote_run(&job, 1, &options);		/* an empty agent */
	assert_failed(&job, "the agent or the default keys", "denied");
	remote_job_clear(&job);
	sshd_agent_add(s, s->user_key, NULL);
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	ck_assert_str_eq(job.out, "via agent\n");
	remote_job_clear(&job);
	sshd_agent_stop(s);

	sshd_stop(s);
}
END_TEST

/* An identity that needs a passphrase is used through the agent. */
START_TEST(test_identity_passphrase)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;
	char			*locked;

	locked = sshd_new_user_key(s, "locked_key", "open sesame", 1);
	options_init(&options, s);
	job_init(&job, s, "echo unlocked");
	job.identity = locked;

	unsetenv("SSH_AUTH_SOCK");
	remote_run(&job, 1, &options);
	assert_failed(&job, "cannot load identity", "passphrase");
	ck_assert_ptr_nonnull(strstr(job.failure, locked));
	remote_job_clear(&job);

	sshd_agent_start(s);
	remote_run(&job, 1, &options);		/* not in the agent yet */
	assert_failed(&job, "denied", "needs a passphrase");
	remote_job_clear(&job);
	sshd_agent_add(s, locked, "open sesame");
	remote_run(&job, 1, &options);
	assert_ran(&job, 0);
	ck_assert_str_eq(job.out, "unlocked\n");
	remote_job_clear(&job);
	sshd_agent_stop(s);

	free(locked);
	sshd_stop(s);
}
END_TEST

/* A command killed by a signal has no status and says why. */
START_TEST(test_killed)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 job;

	options_init(&options, s);
	job_init(&job, s, "echo before; kill -TERM $$; echo after");
	remote_run(&job, 1, &options);
	ck_assert_msg(job.failure != NULL, "no failure");
	ck_assert_ptr_nonnull(strstr(job.failure, "killed by signal TERM"));
	ck_assert_int_eq(job.exit_status, -1);
	ck_assert_str_eq(job.out, "before\n");
	remote_job_clear(&job);
	sshd_stop(s);
}
END_TEST

/* Count a signal that reached a thread other than the caller's. */
static void
signal_count(int signo)
{
	pid_t	 tid = gettid();

	if (tid != signal_main_tid &&
	    tid != __atomic_load_n(&signal_runner_tid, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&signal_strays, 1, __ATOMIC_SEQ_CST);
}

/* Thread body: run the jobs, then say so. */
static void *
runner_main(void *arg)
{
	struct runner	*runner = arg;

	__atomic_store_n(&signal_runner_tid, gettid(), __ATOMIC_SEQ_CST);
	remote_run(runner->jobs, runner->count, runner->options);
	__atomic_store_n(&runner->done, 1, __ATOMIC_SEQ_CST);
	return (NULL);
}

/* Send a signal to every thread of this process but the calling one. */
static void
signal_other_threads(int signo)
{
	DIR		*dir;
	struct dirent	*entry;
	pid_t		 tid;

	ck_assert_ptr_nonnull(dir = opendir("/proc/self/task"));
	while ((entry = readdir(dir)) != NULL) {
		tid = (pid_t)atol(entry->d_name);
		if (tid > 0 && tid != gettid())
			tgkill(getpid(), tid, signo);
	}
	closedir(dir);
}

/*
 * Signals sent while jobs run (SIGCHLD, SIGINT for the caller's event
 * loop) reach only the caller's threads, never a job's, and the jobs go on.
 * The first job waits for a file the test makes once it has sent
 * SIGNAL_COUNT signals, so that they all come while it runs.
 */
START_TEST(test_signals)
{
	struct sshd		*s = sshd_start(NULL);
	struct remote_options	 options;
	struct remote_job	 jobs[2];
	struct runner		 runner;
	struct sigaction	 action, saved;
	pthread_t		 thread;
	char			*go, *command;
	int			 signals = 0;

	memset(&action, 0, sizeof action);
	action.sa_handler = signal_count;	/* no SA_RESTART */
	sigemptyset(&action.sa_mask);
	signal_main_tid = gettid();
	signal_runner_tid = -1;
	ck_assert_int_eq(sigaction(SIGUSR1, &action, &saved), 0);

	options_init(&options, s);
	go = sshd_path(s, "go");
	xasprintf(&command, "while [ ! -e '%s' ]; do sleep 0.01; done; "
	    "echo still here", go);
	job_init(&jobs[0], s, command);
	job_init(&jobs[1], s, "cat");
	jobs[1].stdin_data = "fed\n";
	memset(&runner, 0, sizeof runner);
	runner.jobs = jobs;
	runner.count = 2;
	runner.options = &options;
	ck_assert_int_eq(pthread_create(&thread, NULL, runner_main, &runner),
	    0);
	while (__atomic_load_n(&signal_runner_tid, __ATOMIC_SEQ_CST) == -1)
		usleep(1000);
	while (!__atomic_load_n(&runner.done, __ATOMIC_SEQ_CST)) {
		signal_other_threads(SIGUSR1);
		if (++signals == SIGNAL_COUNT)
			ck_assert_int_eq(close(open(go, O_WRONLY | O_CREAT |
			    O_CLOEXEC, 0600)), 0);
		usleep(2000);
	}
	pthread_join(thread, NULL);
	sigaction(SIGUSR1, &saved, NULL);

	ck_assert_int_ge(signals, SIGNAL_COUNT);
	ck_assert_int_eq(__atomic_load_n(&signal_strays, __ATOMIC_SEQ_CST), 0);
	assert_ran(&jobs[0], 0);
	ck_assert_str_eq(jobs[0].out, "still here\n");
	assert_ran(&jobs[1], 0);
	ck_assert_str_eq(jobs[1].out, "fed\n");
	remote_job_clear(&jobs[0]);
	remote_job_clear(&jobs[1]);
	free(command);
	free(go);
	sshd_stop(s);
}
END_TEST

/* Nothing to run is nothing done. */
START_TEST(test_no_jobs)
{
	struct remote_job	 job;

	memset(&job, 0, sizeof job);
	remote_run(&job, 0, NULL);
	ck_assert_ptr_null(job.out);
	job.command = "true";
	remote_run(&job, 1, NULL);
	assert_failed(&job, "no host", NULL);
	remote_job_clear(&job);
}
END_TEST

/* The remote suite. */
Suite *
suite_remote(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("remote");

	tc = tcase_create("quote");
	tcase_add_test(tc, test_quote_text);
	tcase_add_test(tc, test_no_jobs);
	suite_add_tcase(suite, tc);

	tc = tcase_create("connect");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_connect_timeout);
	suite_add_tcase(suite, tc);

	tc = tcase_create("sshd");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, sshd_fixture_setup,
	    sshd_fixture_teardown);
	tcase_add_test(tc, test_exec_output);
	tcase_add_test(tc, test_stdin);
	tcase_add_test(tc, test_output_bound);
	tcase_add_test(tc, test_quote_round_trip);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_mixed);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_signals);
	suite_add_tcase(suite, tc);

	tc = tcase_create("refusals");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, sshd_fixture_setup,
	    sshd_fixture_teardown);
	tcase_add_test(tc, test_unknown_host_key);
	tcase_add_test(tc, test_changed_host_key);
	tcase_add_test(tc, test_wrong_user_key);
	tcase_add_test(tc, test_agent);
	tcase_add_test(tc, test_identity_passphrase);
	suite_add_tcase(suite, tc);

	return (suite);
}
