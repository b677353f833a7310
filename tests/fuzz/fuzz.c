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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "xmalloc.h"

/* Where failed checks are reported: stderr, or a copy of it kept aside. */
static int	fuzz_report_fd = STDERR_FILENO;

/*
 * Keep a copy of stderr for reports, so that a target run with
 * -close_fd_mask=2 (to silence the code under test) still says why it
 * failed. Call it from LLVMFuzzerInitialize, before libFuzzer closes 2.
 */
void
fuzz_keep_stderr(void)
{
	int	 fd;

	if ((fd = dup(STDERR_FILENO)) != -1)
		fuzz_report_fd = fd;
}

/* Report a broken invariant and abort, for libFuzzer to keep the input. */
void
fuzz_fail(const char *file, int line, const char *condition, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*message, *text;
	int	 length;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) == -1)
		message = NULL;
	va_end(ap);
	length = asprintf(&text, "%s:%d: check failed: %s: %s\n", file, line,
	    condition, message != NULL ? message : fmt);
	if (length > 0 && write(fuzz_report_fd, text, length) != length) {
		/* Nothing more can be said: the abort speaks for itself. */
	}
	abort();
}

/* Return the input as a NUL-terminated string (it may hold NULs too). */
char *
fuzz_string(const uint8_t *data, size_t size)
{
	char	*string;

	string = xmalloc(size + 1);
	memcpy(string, data, size);
	string[size] = '\0';
	return (string);
}
