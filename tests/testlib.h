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

#ifndef TESTLIB_H
#define TESTLIB_H

/*
 * The end-to-end test library, in the spirit of memcached's testapp.c:
 * start the real creamasd ($CREAMASD) as a user would, on an ephemeral
 * loopback port read back from its stdout, talk JSON-RPC to it over TCP
 * one line at a time, and stop it by pid.
 *
 * Every function that can go wrong in a way a test does not expect fails
 * the running Check test with a message saying what and where; those
 * with "try" in their name, or that return a status, leave that to the
 * caller. Every daemon started is also killed by an atexit handler and,
 * through PR_SET_PDEATHSIG, when the test process dies, so a failing or
 * crashing test never leaks daemons; tests still stop their daemons by pid.
 * A guard process (see testlib.c) kills them even when the test process
 * ends with _exit (a failed check) or SIGKILL (a Check timeout), and
 * removes the folders of tl_tempdir(). tl_run() makes the test process a
 * subreaper (tl_adopt_orphans()), so a daemonised creamasd becomes its
 * child: tl_stray_child() finds it, tl_track_pid() and tl_stop_pid() stop
 * it, and the guard kills it if the test fails first.
 *
 * A typical test:
 *
 *	d = tl_daemon_start("--plugin", tl_plugin_path("pingpong"), NULL);
 *	c = tl_connect(d->port);
 *	r = tl_ok(c, "spawn", "{\"type\":\"counter\"}");	(a new ref)
 *	json_object_put(tl_err(c, -32601, "nosuch", "{}"));
 *	tl_close(c);
 *	e = tl_daemon_stop(d);		(SIGTERM, by pid)
 *	ck_assert_msg(tl_exit_ok(&e), "%s", tl_exit_string(&e));
 *	tl_daemon_free(d);
 *
 * With a cluster key, tl_write_key() makes the key file and tl_auth()
 * does the handshake (auth.challenge, the server's proof checked, then
 * auth.prove) with OpenSSL's HMAC-SHA256, from its definition and not
 * with the daemon's code; tl_auth_proof() computes either side's proof
 * for tests that take the handshake apart. tl_listen() and tl_accept()
 * let a test play a peer that the daemon connects to.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#if defined(__SANITIZE_ADDRESS__)
/* Everything is slower under AddressSanitizer, on a busy machine more so. */
#define TL_TIMEOUT		30.0	/* seconds: a reply, a start */
#else
#define TL_TIMEOUT		10.0	/* seconds: a reply, a start */
#endif
#define TL_STOP_WAIT		10.0	/* seconds after SIGTERM */
#define TL_SIGNAL_WAIT		5.0	/* seconds for a signal to take effect */
#define TL_BUSY_WAIT		50.0	/* seconds for a reply after acts that
					   burn the CPU (a round of sleepers),
					   which a loaded machine stretches */

/* A daemon started by tl_daemon_start(). */
struct tl_daemon {
	pid_t		 pid;		/* -1 once stopped */
	uint16_t	 port;		/* it listens on 127.0.0.1:port */
	char		*stderr_path;	/* a file holding its stderr */
};

/* How a process ended. */
struct tl_exit {
	int		 known;		/* status is known (it was our child) */
	int		 status;	/* as from waitpid() when known */
	int		 killed;	/* it outlived the wait: SIGKILL sent */
};

/* A run of $CREAMASD to its exit: how it ended and what it printed. */
struct tl_run {
	struct tl_exit	 exit;
	char		*out;		/* stdout, NUL-terminated */
	char		*err;		/* stderr, NUL-terminated */
};

/* A run of $CREAMASCTL: its process, how it ended, what it printed. */
struct tl_ctl {
	pid_t		 pid;
	int		 status;	/* exit status, -1 if a signal */
	char		*out;		/* stdout, NUL-terminated */
	char		*err;		/* stderr, NUL-terminated */
	double		 started;	/* tl_now() at tl_ctl_start() */
	double		 elapsed;	/* seconds from start to exit */
	char		*out_path;	/* tl_ctl_start()'s files */
	char		*err_path;
};

/* A client connection with its read buffer. */
struct tl_conn {
	int		 fd;
	uint16_t	 port;
	double		 timeout;	/* tl_call()'s wait, TL_TIMEOUT */
	int64_t		 next_id;	/* id of the next tl_call() */
	char		*buffer;	/* read but not yet returned */
	size_t		 used;
	size_t		 size;
};

/* What tl_read_line() found. */
enum tl_read {
	TL_READ_LINE,			/* a whole line */
	TL_READ_EOF,			/* the peer closed (or reset) */
	TL_READ_TIMEOUT,		/* nothing whole in time */
};

/* Environment, paths and temporary files. */
const char	*tl_creamasd(void);
const char	*tl_plugin_path(const char *);
const char	*tl_tempdir(void);
char		*tl_path(const char *, const char *);
char		*tl_read_file(const char *);
void		 tl_write_file(const char *, const char *);
double		 tl_now(void);

/* Daemons. */
struct tl_daemon *tl_daemon_start(const char *, ...);
struct tl_daemon *tl_daemon_startv(const char *const *);
struct tl_exit	 tl_daemon_stop(struct tl_daemon *);
struct tl_exit	 tl_daemon_wait(struct tl_daemon *, double);
struct tl_exit	 tl_daemon_signal(struct tl_daemon *, int, double);
char		*tl_daemon_stderr(const struct tl_daemon *);
void		 tl_daemon_free(struct tl_daemon *);
void		 tl_start_fail(struct tl_run *, const char *, ...)
		    __attribute__((sentinel));
void		 tl_run(struct tl_run *, double, const char *, ...)
		    __attribute__((sentinel));
void		 tl_runv(struct tl_run *, double, const char *const *);
void		 tl_run_program(struct tl_run *, double, const char *const *);
void		 tl_run_free(struct tl_run *);

/* The controller, $CREAMASCTL. */
const char	*tl_ctl_path(void);
void		 tl_ctl_run(struct tl_ctl *, double, const char *, ...)
		    __attribute__((sentinel));
void		 tl_ctl_runv(struct tl_ctl *, double, const char *,
		    const char *, int, const char *const *);
void		 tl_ctl_start(struct tl_ctl *, const char *const *);
void		 tl_ctl_wait(struct tl_ctl *, double);
void		 tl_ctl_expect(const struct tl_ctl *, int, const char *);
void		 tl_ctl_free(struct tl_ctl *);

/* Processes and ports. */
void		 tl_track_pid(pid_t);
void		 tl_untrack_pid(pid_t);
struct tl_exit	 tl_stop_pid(pid_t, int, double);
int		 tl_pid_alive(pid_t);
long long	 tl_proc_bytes(pid_t, const char *);
void		 tl_signal(pid_t, int);
struct tl_daemon *tl_daemon_start_plugin(const char *, const char *);
void		 tl_daemon_stop_clean(struct tl_daemon *);
char		*tl_checkpoint_and_stop(struct tl_daemon *, struct tl_conn *,
		    const char *, char **);
void		 tl_daemon_assert_alive(struct tl_daemon *);
void		 tl_forget_slaves(size_t, const pid_t *, char **);
void		 tl_assert_slaves_gone(size_t, const pid_t *, char *const *);
int		 tl_port_listening(uint16_t);
int		 tl_port_free(uint16_t);
uint16_t	 tl_free_ports(size_t);
uint16_t	 tl_free_ports_apart(size_t, const uint16_t *, size_t, size_t);
int		 tl_wait_port_closed(uint16_t, double);
void		 tl_adopt_orphans(void);
pid_t		 tl_stray_child(void);
pid_t		 tl_wait_no_stray(double);
char		*tl_strdup(const char *);
char		*tl_printf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		*tl_calloc(size_t, size_t);
uint16_t	 tl_address_port(const char *);
long		 tl_address_agent(const char *);
void		 tl_expect_result(struct tl_conn *, const char *, const char *,
		    const char *);
int		 tl_exit_ok(const struct tl_exit *);
int		 tl_exit_code(const struct tl_exit *);
const char	*tl_exit_string(const struct tl_exit *);

/* Connections and lines. */
struct tl_conn	*tl_connect(uint16_t);
struct tl_conn	*tl_connect_try(uint16_t, double);
void		 tl_close(struct tl_conn *);
void		 tl_send_raw(struct tl_conn *, const void *, size_t);
size_t		 tl_send_some(struct tl_conn *, const void *, size_t,
		    double);
void		 tl_send_line(struct tl_conn *, const char *);
void		 tl_send_linef(struct tl_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
enum tl_read	 tl_read_line(struct tl_conn *, double, char **);
char		*tl_expect_line(struct tl_conn *, double);
void		 tl_expect_eof(struct tl_conn *, double);

/* JSON-RPC. */
void		 tl_send_call(struct tl_conn *, int64_t, const char *,
		    const char *);
struct json_object *tl_read_json(struct tl_conn *, double);
struct json_object *tl_call(struct tl_conn *, const char *, const char *);
struct json_object *tl_callf(struct tl_conn *, const char *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
struct json_object *tl_ok(struct tl_conn *, const char *, const char *);
struct json_object *tl_okf(struct tl_conn *, const char *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
struct json_object *tl_err(struct tl_conn *, int, const char *,
		    const char *);
struct json_object *tl_errf(struct tl_conn *, int, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
struct json_object *tl_response_result(struct json_object *);
int		 tl_response_code(struct json_object *);

/* Cluster keys: the handshake as an outside client does it (OpenSSL). */
#define TL_AUTH_HEX		65	/* a hex nonce or proof, NUL */
void		 tl_write_key(const char *, size_t, mode_t);
void		 tl_auth_nonce(char *);
void		 tl_auth_proof(const char *, const char *, const char *,
		    const char *, char *);
void		 tl_auth(struct tl_conn *, const char *);

/* A listening socket of the test's own, to play a peer of the daemon. */
int		 tl_listen(uint16_t *);
struct tl_conn	*tl_accept(int, double);

/* JSON values. */
struct json_object *tl_json(const char *);
struct json_object *tl_last_json_line(const char *);
const char	*tl_json_text(struct json_object *);
int		 tl_json_equal(struct json_object *, const char *);
void		 tl_assert_json(struct json_object *, const char *);
struct json_object *tl_member(struct json_object *, const char *);
struct json_object *tl_index(struct json_object *, size_t);
int64_t		 tl_int(struct json_object *, const char *);
const char	*tl_string(struct json_object *, const char *);

#endif
