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

#ifndef CREAMAS_COMBINE_H
#define CREAMAS_COMBINE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "creamas/env.h"
#include "fanout.h"

/*
 * The declared ways of putting many environments' answers to one
 * managing function together: a master combines its slaves' answers so,
 * and creamasctl its nodes' answers, reading the rule from the daemon's
 * "methods" listing. The rules are the CR_COMBINE_* of <creamas/env.h>.
 */

const char	*combine_name(int);
int		 combine_parse(const char *);
int		 combine_replies(int, const char *, int64_t,
		    const struct fanout_reply *, size_t, struct json_object **,
		    char **);

#endif
