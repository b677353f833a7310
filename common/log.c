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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_verbose;
static const char *log_ident = "creamas";

static void	 log_vwrite(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* Choose where messages go and how many of them. */
void
log_init(int foreground, int verbose, const char *ident)
{
	log_ident = ident;
	log_verbose = verbose;
	log_set_foreground(foreground);
}

/* Switch between stderr and syslog, as when a daemon detaches. */
void
log_set_foreground(int foreground)
{
	log_foreground = foreground;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

/* Set the verbosity: 0 info, 1 and more debug. */
void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

/* Return the verbosity. */
int
log_get_verbose(void)
{
	return (log_verbose);
}

/* Reopen the log after SIGHUP (a rotated syslog socket). */
void
log_reopen(void)
{
	if (!log_foreground) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

/* Write one message at a priority, with an optional errno text. */
static void
log_vwrite(int priority, const char *error_text, const char *fmt, va_list ap)
{
	char	*message;
	int	 saved_errno = errno;

	if (vasprintf(&message, fmt, ap) == -1)
		message = NULL;
	if (log_foreground) {
		fprintf(stderr, "%s[%ld]: %s%s%s\n", log_ident, (long)getpid(),
		    message != NULL ? message : fmt,
		    error_text != NULL ? ": " : "",
		    error_text != NULL ? error_text : "");
		fflush(stderr);
	} else {
		syslog(priority, "%s%s%s", message != NULL ? message : fmt,
		    error_text != NULL ? ": " : "",
		    error_text != NULL ? error_text : "");
	}
	free(message);
	errno = saved_errno;
}

/* Log a warning followed by the text of errno. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, strerror(errno), fmt, ap);
	va_end(ap);
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

/* Log an informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Log a debugging message when verbose. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Log an error with the text of errno and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, strerror(errno), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
