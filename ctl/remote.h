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

#ifndef CREAMASCTL_REMOTE_H
#define CREAMASCTL_REMOTE_H

/*
 * ctl/remote.c: run one command on each of many hosts over SSH (libssh),
 * all at once, behind one small interface. Host keys are checked strictly
 * against known_hosts; keys come from identity= or the agent and the
 * default files; every argument must be quoted with remote_quote() by the
 * caller, since the remote shell parses the command string.
 */

#include <stddef.h>
#include <stdint.h>

#define REMOTE_OUTPUT_MAX	(1024 * 1024)	/* bytes kept per stream */
#define REMOTE_CONNECT_TIMEOUT	10.0		/* seconds, when none given */

/* Settings shared by every job of one remote_run(). */
struct remote_options {
	int		 accept_new_host_keys;	/* --accept-new-host-keys */
	double		 connect_timeout;	/* seconds; <= 0: the default */
	const char	*known_hosts;		/* NULL: ~/.ssh/known_hosts */
};

/*
 * One command on one host. The caller fills the first part; remote_run()
 * overwrites the results (call remote_job_clear() before running a job
 * again). out and err are always allocated, empty when nothing came, and
 * end with a note when the stream went past REMOTE_OUTPUT_MAX.
 */
struct remote_job {
	const char	*user;		/* NULL: the current user */
	const char	*host;
	uint16_t	 port;		/* ssh port; 0: 22 (or ssh_config) */
	const char	*identity;	/* NULL: agent + default keys */
	const char	*command;	/* quoted for the remote shell */
	const char	*stdin_data;	/* NULL or the command's stdin */
	const char	*out_path;	/* NULL, or a file that takes all of
					   stdout (out is then empty) */

	/* Results. */
	int		 exit_status;	/* -1 when it never ran or no
					   status came back (failure
					   says why) */
	char		*out;		/* stdout, NUL-terminated, malloc'd */
	char		*err;		/* stderr, the same */
	char		*failure;	/* NULL, or why it failed, naming
					   host:port (connect, host key with
					   its fingerprint, auth, a lost
					   connection, a signal) */
};

/* remote.c */
void	 remote_run(struct remote_job *, size_t,
	    const struct remote_options *);
void	 remote_job_clear(struct remote_job *);
char	*remote_quote(const char *);

#endif
