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

#ifndef CREAMAS_CONFIG_H
#define CREAMAS_CONFIG_H

#include <stddef.h>

/* The most slaves a master starts; creamasd and creamasctl share it. */
#define CONFIG_SLAVES_MAX	1024

/*
 * A configuration file is lines of "key = value"; '#' starts a comment,
 * a value may be put in double quotes. The callback gets each entry and
 * fills cause when the entry is wrong; errors name the file and line.
 */
typedef int	(*config_entry_cb)(const char *, const char *, void *,
		    char **);

int	config_parse_file(const char *, config_entry_cb, void *, char **);
int	config_parse_buffer(const char *, const char *, size_t,
	    config_entry_cb, void *, char **);
int	config_parse_size(const char *, size_t *, char **);
int	config_parse_count(const char *, unsigned long, unsigned long,
	    unsigned long *, char **);
int	config_parse_seconds(const char *, double *, char **);

#endif
