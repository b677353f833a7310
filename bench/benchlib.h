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

#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define BENCHLIB_LINE_MAX	(256 * 1024 * 1024)

/* A blocking, line-buffered connection to a peer on the loopback. */
struct benchlib_conn {
	int		 fd;
	char		*buf;
	size_t		 size;
	size_t		 start;		/* first byte not yet returned */
	size_t		 end;		/* one past the last byte read */
	const char	*peer;
	int		 timeout;	/* seconds without a byte read */
};

#define BENCHLIB_SLAVES_MAX	8
#define BENCHLIB_START_TIMEOUT	30000	/* milliseconds to print a port */
#define BENCHLIB_STOP_TIMEOUT	30	/* seconds for a daemon to exit */

/* A creamasd started by a benchmark, with its slaves if a master. */
struct benchlib_daemon {
	struct benchlib_daemon	*next;
	pid_t			 pid;
	int			 reaped;
	int			 status;
	uint16_t		 port;
	char			 name[32];
	char			 log_path[64];
	struct benchlib_conn	 conn;
	int64_t			 next_id;
	size_t			 nslaves;	/* 0: a plain slave */
	pid_t			 slave_pids[BENCHLIB_SLAVES_MAX];
	uint16_t		 slave_ports[BENCHLIB_SLAVES_MAX];
};

struct json_object;

/* Each program defines bench_fatal: print, clean up and exit 1. */
void		bench_fatal(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

const char	*benchlib_begin(const char *);
uint64_t	benchlib_now_ns(void);
void		benchlib_sleep_ms(long);
int		benchlib_pid_alive(pid_t);
uint64_t	benchlib_rss(pid_t, int);
uint64_t	benchlib_cpu_ns(pid_t);
int		benchlib_compare_u64(const void *, const void *);
int		benchlib_compare_double(const void *, const void *);
double		benchlib_median(double *, size_t);
double		benchlib_quantile(double *, size_t, double);
int		benchlib_median_ci(double *, size_t, double *, double *);
int		benchlib_mean_ci(const double *, size_t, double *, double *,
		    double *);
void		benchlib_conn_open(struct benchlib_conn *, uint16_t,
		    const char *, int);
void		benchlib_conn_close(struct benchlib_conn *);
void		benchlib_conn_write(struct benchlib_conn *, const char *,
		    size_t);
char		*benchlib_conn_read_line(struct benchlib_conn *, size_t *);
void		benchlib_print_tail(const char *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
struct json_object *benchlib_call(struct benchlib_conn *, int64_t *,
		    const char *, const char *, uint64_t *);
struct json_object *benchlib_rpc(struct benchlib_daemon *, const char *,
		    const char *, uint64_t *);
void		benchlib_pair(struct benchlib_daemon *, struct json_object *,
		    struct json_object *);
int64_t		benchlib_int(struct json_object *, const char *, const char *);
struct benchlib_daemon *benchlib_daemon_start(const char *, size_t, int);
struct benchlib_daemon *benchlib_daemon_startv(const char *, size_t, int,
		    const char *const *);
void		benchlib_daemon_stop(struct benchlib_daemon *);
void		benchlib_daemon_kill_all(const char *);

#endif /* BENCHLIB_H */
