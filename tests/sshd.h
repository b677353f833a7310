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

#ifndef TESTS_SSHD_H
#define TESTS_SSHD_H

/*
 * A real OpenSSH server for tests: Debian's /usr/sbin/sshd ($SSHD to use
 * another), run in the foreground as the user the tests run as, on a free
 * 127.0.0.1 port, from a temporary directory holding a generated host key,
 * a generated and authorised user key, its config and a known_hosts file
 * naming the host key for [127.0.0.1]:port. Sessions get HOME set to an
 * empty directory there, so the user's shell start-up files (~/.bashrc,
 * which bash reads for ssh commands) add nothing to a command's output.
 *
 * Anything that goes wrong ends in sshd_failed() with sshd's log, which
 * each program linking sshd.c defines: the tests fail the running Check
 * test (testlib.c), a benchmark gives up (bench/benchlib.c).
 * sshd also gets SIGTERM through PR_SET_PDEATHSIG when the test process
 * dies, so a failing test does not leak it; tests still stop it by pid
 * with sshd_stop(). With sshd_fixture_setup/teardown as a test case's
 * unchecked fixture, the directories of servers a failing test could not
 * stop are removed too.
 */

#include <sys/types.h>

#include <stdint.h>

#define SSHD_HOST	"127.0.0.1"

struct sshd {
	pid_t		 pid;		/* -1 when not running */
	pid_t		 agent_pid;	/* ssh-agent, -1 when none */
	uint16_t	 port;
	char		*dir;		/* the temporary directory */
	char		*config;	/* dir/sshd_config */
	char		*host_key;	/* dir/host_key, .pub beside it */
	char		*user_key;	/* dir/user_key, in authorized_keys */
	char		*authorized_keys;
	char		*known_hosts;	/* dir/known_hosts: the host key */
	char		*log;		/* dir/sshd.log: sshd's stderr */
	char		*home;		/* dir/home: HOME in sessions */
	char		*agent_socket;	/* dir/agent.sock once started */
	char		*extra_config;	/* more sshd_config lines, or NULL */
};

void		 sshd_failed(const char *) __attribute__((noreturn));
void		 sshd_fixture_setup(void);
void		 sshd_fixture_teardown(void);
struct sshd	*sshd_start(const char *);
void		 sshd_stop(struct sshd *);
void		 sshd_restart(struct sshd *);
void		 sshd_new_host_key(struct sshd *, const char *);
char		*sshd_new_user_key(struct sshd *, const char *, const char *,
		    int);
char		*sshd_fingerprint(const char *);
char		*sshd_read_log(const struct sshd *);
char		*sshd_read_file(const char *);
char		*sshd_path(const struct sshd *, const char *);
void		 sshd_agent_start(struct sshd *);
void		 sshd_agent_add(struct sshd *, const char *, const char *);
void		 sshd_agent_stop(struct sshd *);

#endif
