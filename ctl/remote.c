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
 * Run one command on each of many hosts over SSH with libssh, a thread per
 * job, as libssh's examples/exec.c and examples/knownhosts.c do it for one:
 * connect with a timeout, check the host key strictly against known_hosts,
 * authenticate with a key, exec on one channel, feed stdin, collect
 * stdout, stderr and the exit status, and free everything in reverse.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "remote.h"
#include "xmalloc.h"

#define REMOTE_CHUNK		(32 * 1024)	/* bytes read or sent at once */
#define REMOTE_POLL_MS		1000		/* longest wait between looks */
#define REMOTE_KNOWN_HOSTS	"~/.ssh/known_hosts"

/*
 * One output stream of a job, kept up to REMOTE_OUTPUT_MAX bytes, or all
 * written to a file.
 */
struct remote_buffer {
	char	*data;
	size_t	 used;
	size_t	 size;
	size_t	 dropped;		/* bytes that came past the limit */
	FILE	*file;			/* NULL, or where it all goes */
	int	 file_error;		/* errno of a failed write, or 0 */
};

/* A job and the thread running it. */
struct remote_thread {
	pthread_t			 thread;
	int				 started;
	struct remote_job		*job;
	const struct remote_options	*options;
};

/*
 * Jobs run at once may share one known_hosts file: checking it and adding
 * to it happen one job at a time so that no job reads a half-written line
 * and two new keys do not interleave.
 */
static pthread_mutex_t	 remote_known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct remote_options remote_default_options;

static void	 remote_fail(struct remote_job *, const char *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));

/* Set a job's failure to "NAME: message" unless it already has one. */
static void
remote_fail(struct remote_job *job, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*message;

	if (job->failure != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	xasprintf(&job->failure, "%s: %s", name, message);
	free(message);
}

/* Name a host and port as host:port, or [host]:port for IPv6. */
static char *
remote_name(const char *host, unsigned int port)
{
	char	*name;

	if (host == NULL)
		host = "(no host)";
	if (strchr(host, ':') != NULL)
		xasprintf(&name, "[%s]:%u", host, port);
	else
		xasprintf(&name, "%s:%u", host, port);
	return (name);
}

/* Keep what fits of some output and count the rest. */
static void
remote_buffer_add(struct remote_buffer *buffer, const char *data,
    size_t length)
{
	size_t	 keep, size;

	if (buffer->file != NULL) {
		if (fwrite(data, 1, length, buffer->file) != length &&
		    buffer->file_error == 0)
			buffer->file_error = errno != 0 ? errno : EIO;
		return;
	}
	keep = REMOTE_OUTPUT_MAX - buffer->used;
	if (keep > length)
		keep = length;
	buffer->dropped += length - keep;
	if (keep == 0)
		return;
	if (buffer->used + keep > buffer->size) {
		size = buffer->size == 0 ? 4096 : buffer->size;
		while (size < buffer->used + keep)
			size *= 2;
		if (size > REMOTE_OUTPUT_MAX)
			size = REMOTE_OUTPUT_MAX;
		buffer->data = xrealloc(buffer->data, size);
		buffer->size = size;
	}
	memcpy(buffer->data + buffer->used, data, keep);
	buffer->used += keep;
}

/* Turn a buffer into a string, with a note if output was dropped. */
static char *
remote_buffer_finish(struct remote_buffer *buffer)
{
	char	*note = NULL, *text;
	size_t	 note_length = 0;

	if (buffer->dropped != 0) {
		note_length = xasprintf(&note,
		    "%s[creamasctl: output truncated, %zu more bytes dropped "
		    "after %d]\n",
		    buffer->used > 0 && buffer->data[buffer->used - 1] != '\n' ?
		    "\n" : "", buffer->dropped, REMOTE_OUTPUT_MAX);
	}
	text = xmalloc(buffer->used + note_length + 1);
	if (buffer->used > 0)
		memcpy(text, buffer->data, buffer->used);
	if (note_length > 0)
		memcpy(text + buffer->used, note, note_length);
	text[buffer->used + note_length] = '\0';
	free(note);
	free(buffer->data);
	memset(buffer, 0, sizeof *buffer);
	return (text);
}

/* Expand a leading "~/" in a path to $HOME, as ssh does for IdentityFile. */
static char *
remote_expand_home(const char *path)
{
	const char	*home;
	char		*expanded;

	if (strncmp(path, "~/", 2) != 0 || (home = getenv("HOME")) == NULL)
		return (xstrdup(path));
	xasprintf(&expanded, "%s%s", home, path + 1);
	return (expanded);
}

/*
 * Set a session's options: host, user and port first so ssh_config's Host
 * blocks match, then ssh_config, then again what the caller gave, which
 * wins over ssh_config as it would on an ssh command line.
 */
static int
remote_configure(ssh_session session, const struct remote_job *job,
    const struct remote_options *options, char **cause)
{
	unsigned int	 port = job->port;
	double		 timeout = options->connect_timeout;
	long		 seconds, microseconds;

	if (ssh_options_set(session, SSH_OPTIONS_HOST, job->host) != SSH_OK)
		goto fail;
	if (job->user != NULL &&
	    ssh_options_set(session, SSH_OPTIONS_USER, job->user) != SSH_OK)
		goto fail;
	if (port != 0 &&
	    ssh_options_set(session, SSH_OPTIONS_PORT, &port) != SSH_OK)
		goto fail;
	if (ssh_options_parse_config(session, NULL) != SSH_OK) {
		xasprintf(cause, "cannot read ssh_config: %s",
		    ssh_get_error(session));
		return (-1);
	}
	if (job->user != NULL &&
	    ssh_options_set(session, SSH_OPTIONS_USER, job->user) != SSH_OK)
		goto fail;
	if (port != 0 &&
	    ssh_options_set(session, SSH_OPTIONS_PORT, &port) != SSH_OK)
		goto fail;
	if (options->known_hosts != NULL &&
	    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS,
	    options->known_hosts) != SSH_OK)
		goto fail;

	if (timeout <= 0)
		timeout = REMOTE_CONNECT_TIMEOUT;
	if (timeout > 86400)
		timeout = 86400;
	seconds = (long)timeout;
	microseconds = (long)((timeout - seconds) * 1000000);
	if (ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds) != SSH_OK ||
	    ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC,
	    &microseconds) != SSH_OK)
		goto fail;
	return (0);

fail:
	xasprintf(cause, "bad ssh option: %s", ssh_get_error(session));
	return (-1);
}

/* Describe the server's host key as its type and SHA256 fingerprint. */
static char *
remote_fingerprint(ssh_session session)
{
	ssh_key		 key = NULL;
	unsigned char	*hash = NULL;
	size_t		 hash_length;
	char		*fingerprint, *text;

	if (ssh_get_server_publickey(session, &key) != SSH_OK)
		return (xstrdup("(no host key)"));
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hash_length) != 0) {
		ssh_key_free(key);
		return (xstrdup("(unreadable host key)"));
	}
	fingerprint = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
	    hash_length);
	xasprintf(&text, "%s %s", ssh_key_type_to_char(ssh_key_type(key)),
	    fingerprint != NULL ? fingerprint : "(no fingerprint)");
	ssh_string_free_char(fingerprint);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return (text);
}

/*
 * Check the server's host key: only a key known_hosts already holds for
 * this host passes; an unknown host is added only when the user opted in;
 * a changed key, or one of another type, is always refused.
 */
static int
remote_check_host_key(ssh_session session,
    const struct remote_options *options, char **cause)
{
	const char	*file = options->known_hosts;
	char		*fingerprint;
	int		 result = -1;

	if (file == NULL)
		file = REMOTE_KNOWN_HOSTS;
	fingerprint = remote_fingerprint(session);

	pthread_mutex_lock(&remote_known_hosts_lock);
	switch (ssh_session_is_known_server(session)) {
	case SSH_KNOWN_HOSTS_OK:
		result = 0;
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (!options->accept_new_host_keys) {
			xasprintf(cause, "unknown host key %s: not in %s "
			    "(check it, then use --accept-new-host-keys to "
			    "add it)", fingerprint, file);
			break;
		}
		if (ssh_session_update_known_hosts(session) != SSH_OK) {
			xasprintf(cause, "cannot add host key %s to %s: %s",
			    fingerprint, file, ssh_get_error(session));
			break;
		}
		result = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
		xasprintf(cause, "HOST KEY CHANGED: the server offers %s, "
		    "not the key recorded in %s; refusing (someone may be "
		    "intercepting the connection; if the change is expected, "
		    "remove the old key from %s)", fingerprint, file, file);
		break;
	case SSH_KNOWN_HOSTS_OTHER:
		xasprintf(cause, "HOST KEY CHANGED: the server offers %s, "
		    "but %s holds a key of another type for it; refusing",
		    fingerprint, file);
		break;
	default:
		xasprintf(cause, "cannot check host key %s against %s: %s",
		    fingerprint, file, ssh_get_error(session));
		break;
	}
	pthread_mutex_unlock(&remote_known_hosts_lock);

	free(fingerprint);
	return (result);
}

/*
 * Authenticate with the job's identity file if it has one (through the
 * agent when the file needs a passphrase), otherwise with the agent and
 * the default keys (~/.ssh/id_*).
 */
static int
remote_authenticate(ssh_session session, const struct remote_job *job,
    char **cause)
{
	ssh_key		 key = NULL;
	char		*user = NULL, *path = NULL, *with = NULL;
	const char	*who;
	char		 error[128];
	int		 status, result = -1;

	if (ssh_options_get(session, SSH_OPTIONS_USER, &user) != SSH_OK)
		user = NULL;
	who = user != NULL ? user : "the current user";

	if (job->identity != NULL) {
		path = remote_expand_home(job->identity);
		if (access(path, R_OK) == -1) {
			xasprintf(cause, "cannot read identity %s: %s", path,
			    strerror_r(errno, error, sizeof error));
			goto out;
		}
		if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL,
		    &key) == SSH_OK) {
			with = xstrdup(path);
			status = ssh_userauth_publickey(session, NULL, key);
		} else if (getenv("SSH_AUTH_SOCK") != NULL) {
			/* Needs a passphrase: the agent may hold the key. */
			xasprintf(&with, "the agent (%s needs a passphrase)",
			    path);
			status = ssh_userauth_agent(session, NULL);
		} else {
			xasprintf(cause, "cannot load identity %s: not a "
			    "private key, or protected by a passphrase and no "
			    "agent is running (SSH_AUTH_SOCK) to hold it",
			    path);
			goto out;
		}
	} else {
		with = xstrdup("the agent or the default keys");
		status = ssh_userauth_publickey_auto(session, NULL, NULL);
	}

	switch (status) {
	case SSH_AUTH_SUCCESS:
		result = 0;
		break;
	case SSH_AUTH_DENIED:
		xasprintf(cause, "authentication as %s with %s denied (is the "
		    "public key in the remote authorized_keys?)", who, with);
		break;
	case SSH_AUTH_PARTIAL:
		xasprintf(cause, "authentication as %s with %s is not "
		    "enough: the server wants more than a public key", who,
		    with);
		break;
	default:
		xasprintf(cause, "authentication as %s with %s failed: %s",
		    who, with, ssh_get_error(session));
		break;
	}

out:
	ssh_key_free(key);
	free(with);
	free(path);
	ssh_string_free_char(user);
	return (result);
}

/* Read everything one stream of a channel has for now. */
static int
remote_drain(ssh_channel channel, int is_stderr,
    struct remote_buffer *buffer)
{
	char	 chunk[REMOTE_CHUNK];
	int	 length;

	for (;;) {
		length = ssh_channel_read_nonblocking(channel, chunk,
		    sizeof chunk, is_stderr);
		if (length == SSH_ERROR)
			return (-1);
		if (length <= 0)
			return (0);
		remote_buffer_add(buffer, chunk, length);
	}
}

/*
 * Send stdin and collect stdout and stderr until the command ends. Stdin
 * goes no faster than the channel's window and both streams are read as
 * data comes, so neither side can wait on the other forever.
 */
static int
remote_transfer(ssh_session session, ssh_channel channel, const char *input,
    struct remote_buffer *out, struct remote_buffer *err, char **cause)
{
	ssh_event	 event;
	size_t		 left, length;
	uint32_t	 window;
	int		 input_done = 0, written, timeout, result = -1;

	left = input != NULL ? strlen(input) : 0;
	if ((event = ssh_event_new()) == NULL) {
		*cause = xstrdup("out of memory for an ssh event");
		return (-1);
	}
	if (ssh_event_add_session(event, session) != SSH_OK) {
		*cause = xstrdup("cannot watch the ssh session");
		ssh_event_free(event);
		return (-1);
	}

	for (;;) {
		if (!input_done && left > 0 &&
		    !ssh_channel_is_closed(channel) &&
		    (window = ssh_channel_window_size(channel)) > 0) {
			length = left < REMOTE_CHUNK ? left : REMOTE_CHUNK;
			if (length > window)
				length = window;
			written = ssh_channel_write(channel, input, length);
			if (written == SSH_ERROR) {
				/*
				 * The command closed its end without reading
				 * all its input; that is its business.
				 */
				left = 0;
				input_done = 1;
			} else {
				input += written;
				left -= written;
			}
		}
		if (!input_done && left == 0) {
			if (!ssh_channel_is_closed(channel))
				ssh_channel_send_eof(channel);
			input_done = 1;
		}

		if (remote_drain(channel, 0, out) != 0 ||
		    remote_drain(channel, 1, err) != 0) {
			xasprintf(cause, "connection lost while the command "
			    "ran: %s", ssh_get_error(session));
			goto out;
		}
		if (ssh_channel_is_eof(channel) ||
		    ssh_channel_is_closed(channel))
			break;

		/* Wait only when there is no input the window would take. */
		timeout = REMOTE_POLL_MS;
		if (!input_done && ssh_channel_window_size(channel) > 0)
			timeout = 0;
		if (ssh_event_dopoll(event, timeout) == SSH_ERROR) {
			xasprintf(cause, "connection lost while the command "
			    "ran: %s", ssh_get_error(session));
			goto out;
		}
	}
	result = 0;

out:
	ssh_event_remove_session(event, session);
	ssh_event_free(event);
	return (result);
}

/* Remember the signal that ended the remote command. */
static void
remote_exit_signal(ssh_session session, ssh_channel channel,
    const char *signal_name, int core, const char *error_message,
    const char *language, void *data)
{
	char	**name = data;

	if (*name == NULL && signal_name != NULL)
		*name = xstrdup(signal_name);
}

/* Run the job's command on one channel of an authenticated session. */
static void
remote_execute(ssh_session session, struct remote_job *job,
    const char *name)
{
	struct ssh_channel_callbacks_struct	 callbacks;
	struct remote_buffer			 out, err;
	ssh_channel				 channel;
	char					*cause = NULL;
	char					*signal_name = NULL;
	int					 status;

	memset(&out, 0, sizeof out);
	memset(&err, 0, sizeof err);

	if (job->out_path != NULL &&
	    (out.file = fopen(job->out_path, "w")) == NULL) {
		remote_fail(job, name, "%s: %s", job->out_path,
		    strerror(errno));
		job->out = remote_buffer_finish(&out);
		job->err = remote_buffer_finish(&err);
		return;
	}
	if ((channel = ssh_channel_new(session)) == NULL) {
		remote_fail(job, name, "cannot make a channel: %s",
		    ssh_get_error(session));
		goto out;
	}
	if (ssh_channel_open_session(channel) != SSH_OK) {
		remote_fail(job, name, "cannot open a session channel: %s",
		    ssh_get_error(session));
		goto free;
	}
	memset(&callbacks, 0, sizeof callbacks);
	callbacks.userdata = &signal_name;
	callbacks.channel_exit_signal_function = remote_exit_signal;
	ssh_callbacks_init(&callbacks);
	ssh_set_channel_callbacks(channel, &callbacks);

	if (ssh_channel_request_exec(channel, job->command) != SSH_OK) {
		remote_fail(job, name, "cannot run the command: %s",
		    ssh_get_error(session));
		goto close;
	}
	if (remote_transfer(session, channel, job->stdin_data, &out, &err,
	    &cause) != 0) {
		remote_fail(job, name, "%s", cause);
		goto close;
	}

	status = ssh_channel_get_exit_status(channel);
	if (status >= 0)
		job->exit_status = status;
	else if (signal_name != NULL)
		remote_fail(job, name, "the command was killed by signal %s",
		    signal_name);
	else
		remote_fail(job, name, "the command ended without an exit "
		    "status");

close:
	ssh_channel_close(channel);
free:
	ssh_channel_free(channel);
out:
	if (out.file != NULL && (fclose(out.file) != 0 || out.file_error != 0))
		remote_fail(job, name, "%s: %s", job->out_path,
		    strerror(out.file_error != 0 ? out.file_error : errno));
	job->out = remote_buffer_finish(&out);
	job->err = remote_buffer_finish(&err);
	free(signal_name);
	free(cause);
}

/* Run one job from start to end in the calling thread. */
static void
remote_job_run(struct remote_job *job, const struct remote_options *options)
{
	ssh_session	 session;
	unsigned int	 port;
	char		*name, *cause = NULL;

	name = remote_name(job->host, job->port != 0 ? job->port : 22);
	if (job->host == NULL || *job->host == '\0' || job->command == NULL) {
		remote_fail(job, name, "no host or no command");
		goto out;
	}
	if ((session = ssh_new()) == NULL) {
		remote_fail(job, name, "cannot make an ssh session");
		goto out;
	}
	if (remote_configure(session, job, options, &cause) != 0) {
		remote_fail(job, name, "%s", cause);
		goto free;
	}
	if (ssh_options_get_port(session, &port) == SSH_OK) {
		free(name);
		name = remote_name(job->host, port);
	}

	if (ssh_connect(session) != SSH_OK) {
		remote_fail(job, name, "cannot connect: %s",
		    ssh_get_error(session));
		goto free;
	}
	if (remote_check_host_key(session, options, &cause) != 0 ||
	    remote_authenticate(session, job, &cause) != 0) {
		remote_fail(job, name, "%s", cause);
		goto disconnect;
	}
	remote_execute(session, job, name);

disconnect:
	ssh_disconnect(session);
free:
	ssh_free(session);
out:
	if (job->out == NULL)
		job->out = xstrdup("");
	if (job->err == NULL)
		job->err = xstrdup("");
	free(cause);
	free(name);
}

/* Thread body: run one job. */
static void *
remote_thread_main(void *arg)
{
	struct remote_thread	*thread = arg;

	remote_job_run(thread->job, thread->options);
	return (NULL);
}

/*
 * Run every job at once, a thread each, and return when all are done. The
 * job threads block every signal a process can be sent, so signals go to
 * the caller's threads: libssh gives up a session whose poll() a signal
 * interrupts.
 */
void
remote_run(struct remote_job *jobs, size_t count,
    const struct remote_options *options)
{
	struct remote_thread	*threads;
	sigset_t		 blocked, saved;
	size_t			 i;

	if (options == NULL)
		options = &remote_default_options;
	for (i = 0; i < count; i++) {
		jobs[i].exit_status = -1;
		jobs[i].out = jobs[i].err = jobs[i].failure = NULL;
	}
	if (count == 0)
		return;

	if (ssh_init() != SSH_OK) {
		for (i = 0; i < count; i++) {
			jobs[i].failure = xstrdup("cannot initialise libssh");
			jobs[i].out = xstrdup("");
			jobs[i].err = xstrdup("");
		}
		return;
	}
	sigfillset(&blocked);
	sigdelset(&blocked, SIGSEGV);
	sigdelset(&blocked, SIGBUS);
	sigdelset(&blocked, SIGFPE);
	sigdelset(&blocked, SIGILL);
	sigdelset(&blocked, SIGABRT);
	pthread_sigmask(SIG_SETMASK, &blocked, &saved);

	threads = xcalloc(count, sizeof *threads);
	for (i = 0; i < count; i++) {
		threads[i].job = &jobs[i];
		threads[i].options = options;
		if (pthread_create(&threads[i].thread, NULL,
		    remote_thread_main, &threads[i]) == 0)
			threads[i].started = 1;
		else
			remote_job_run(&jobs[i], options);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);

	for (i = 0; i < count; i++) {
		if (threads[i].started)
			pthread_join(threads[i].thread, NULL);
	}
	free(threads);
	ssh_finalize();
}

/* Free a job's results and mark it as never run. */
void
remote_job_clear(struct remote_job *job)
{
	if (job == NULL)
		return;
	free(job->out);
	free(job->err);
	free(job->failure);
	job->out = job->err = job->failure = NULL;
	job->exit_status = -1;
}

/*
 * Quote one argument for a POSIX shell: inside single quotes nothing is
 * special but the single quote itself, written as '\'' (close, escaped
 * quote, reopen).
 */
char *
remote_quote(const char *arg)
{
	const char	*from;
	char		*quoted, *to;
	size_t		 length = 3;

	for (from = arg; *from != '\0'; from++)
		length += *from == '\'' ? 4 : 1;
	quoted = to = xmalloc(length);
	*to++ = '\'';
	for (from = arg; *from != '\0'; from++) {
		if (*from == '\'') {
			memcpy(to, "'\\''", 4);
			to += 4;
		} else
			*to++ = *from;
	}
	*to++ = '\'';
	*to = '\0';
	return (quoted);
}
