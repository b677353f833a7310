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

#ifndef CREAMAS_AUTH_H
#define CREAMAS_AUTH_H

#include <stddef.h>

/*
 * The cluster key and the proofs made with it. Both ends of a connection
 * prove they hold the key by HMAC-SHA256 over fresh nonces from both, so
 * the key never crosses the wire and a recorded proof is worth nothing
 * on another connection. It is authentication only, not encryption.
 */

#define AUTH_KEY_MIN		16	/* bytes */
#define AUTH_KEY_MAX		4096
#define AUTH_KEY_GENERATED	32
#define AUTH_NONCE_BYTES	32
#define AUTH_HEX_MAX		128	/* longest nonce or proof in hex */
#define AUTH_PROOF_HEX		64	/* SHA-256 in hex */

struct auth_key {
	unsigned char	*bytes;
	size_t		 length;
};

int	 auth_key_load(const char *, struct auth_key **, char **);
int	 auth_key_generate(const char *, char **);
void	 auth_key_free(struct auth_key *);
int	 auth_nonce(char *, size_t);
void	 auth_proof(const struct auth_key *, const char *, const char *,
	    const char *, char *);
int	 auth_proof_check(const struct auth_key *, const char *, const char *,
	    const char *, const char *);
int	 auth_is_hex(const char *, size_t, size_t);

#endif
