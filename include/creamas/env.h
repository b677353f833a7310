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

#ifndef CREAMAS_ENV_H
#define CREAMAS_ENV_H

/*
 * The creamasd environment extension API: managing functions of one's
 * own, run in every slave and combined by the master. See
 * creamas_env(3).
 */

/*
 * How a master puts its slaves' answers together, and creamasctl its
 * nodes' answers. An error from some slaves fails the call, naming them.
 */
#define CR_COMBINE_CUSTOM	0	/* the method's own combine code */
#define CR_COMBINE_CONCAT	1	/* arrays joined in slave order */
#define CR_COMBINE_NULL		2	/* null once every slave succeeded */
#define CR_COMBINE_SUM		3	/* numbers added */
#define CR_COMBINE_MIN		4	/* the least number */
#define CR_COMBINE_MAX		5	/* the greatest number */
#define CR_COMBINE_TOP		6	/* arrays of objects: the "n" best */
#define CR_COMBINE_FIRST	7	/* the first slave's answer */

#endif
