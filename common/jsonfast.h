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

#ifndef CREAMAS_JSONFAST_H
#define CREAMAS_JSONFAST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct evbuffer;

/* Text being written, on the stack while it is short. */
struct jsonfast_text {
	char	*data;
	size_t	 length;
	size_t	 size;
	char	 stack[512];
};

int		 jsonfast_parse(const char *, size_t, struct json_object **);
int		 jsonfast_reply(const char *, size_t, size_t *, uint64_t *,
		    struct json_object **);
int		 jsonfast_request(const char *, size_t, size_t *, size_t *,
		    size_t *, struct json_object **, uint64_t *);
void		 jsonfast_text_init(struct jsonfast_text *);
void		 jsonfast_text_add(struct jsonfast_text *, const char *,
		    size_t);
void		 jsonfast_text_int(struct jsonfast_text *, int64_t);
void		 jsonfast_text_string(struct jsonfast_text *, const char *,
		    size_t);
void		 jsonfast_text_value(struct jsonfast_text *,
		    struct json_object *);
void		 jsonfast_text_send(struct jsonfast_text *, struct evbuffer *);
void		 jsonfast_text_free(struct jsonfast_text *);
void		 jsonfast_write(struct evbuffer *, struct json_object *);

#endif
