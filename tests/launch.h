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

#ifndef TESTS_LAUNCH_H
#define TESTS_LAUNCH_H

/*
 * Starting creamasd as a user would, for the tests (testlib.c) and the
 * benchmarks (bench/benchlib.c) alike: a child that dies with its
 * parent, and the port it prints on its first stdout line. Errors are
 * returned; each caller fails in its own way.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define LAUNCH_LINE_MAX	64	/* the port line, NUL included */

pid_t	launch_spawn(const char *const *, int, int);
int	launch_read_port(int, double, uint16_t *, char *, const char **);

#endif
