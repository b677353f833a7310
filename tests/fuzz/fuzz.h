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

#ifndef CREAMAS_FUZZ_H
#define CREAMAS_FUZZ_H

/*
 * What the fuzz targets share: libFuzzer's entry points and a check that
 * turns a broken invariant into a crash libFuzzer keeps, with a message
 * that survives -close_fd_mask=2.
 */

#include <stddef.h>
#include <stdint.h>

#define FUZZ_CHECK(condition, ...) do {					\
	if (!(condition))						\
		fuzz_fail(__FILE__, __LINE__, #condition, __VA_ARGS__);	\
} while (0)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz.c */
void	fuzz_keep_stderr(void);
void	fuzz_fail(const char *, int, const char *, const char *, ...)
	    __attribute__((noreturn, format(printf, 4, 5)));
char	*fuzz_string(const uint8_t *, size_t);

#endif
