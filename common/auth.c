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

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"
#include "xmalloc.h"

/* Write bytes as lowercase hex into text (2 * length + 1 bytes). */
static void
auth_hex(const unsigned char *bytes, size_t length, char *text)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < length; i++) {
		text[2 * i] = digits[bytes[i] >> 4];
		text[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	text[2 * length] = '\0';
}

/* Return 1 if text is between min and max hex digits and nothing else. */
int
auth_is_hex(const char *text, size_t min, size_t max)
{
	size_t	 length = strlen(text), i;

	if (length < min || length > max)
		return (0);
	for (i = 0; i < length; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') ||
		    (text[i] >= 'a' && text[i] <= 'f')))
			return (0);
	}
	return (1);
}

/*
 * Load a key file. It must be a regular file that only its owner can
 * read or write: a key others can read protects nothing.
 */
int
auth_key_load(const char *path, struct auth_key **key, char **cause)
{
	struct stat	 st;
	unsigned char	 buffer[AUTH_KEY_MAX + 1];
	ssize_t		 length;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xasprintf(cause, "key %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "key %s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(cause, "key %s: mode %03o lets others read or write "
		    "it; chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	length = read(fd, buffer, sizeof buffer);
	/* A key written as text may end in a newline; it is not the key. */
	if (length > 0 && buffer[length - 1] == '\n')
		length--;
	if (length < AUTH_KEY_MIN || length > AUTH_KEY_MAX) {
		xasprintf(cause, "key %s: %s (keys are %d to %d bytes; make "
		    "one with creamasctl keygen)", path, length < 0 ?
		    strerror(errno) : "wrong size", AUTH_KEY_MIN, AUTH_KEY_MAX);
		goto fail;
	}
	close(fd);
	*key = xcalloc(1, sizeof **key);
	/* NUL-terminated too, for keys made as text; not part of the key. */
	(*key)->bytes = xcalloc(1, (size_t)length + 1);
	memcpy((*key)->bytes, buffer, (size_t)length);
	(*key)->length = (size_t)length;
	OPENSSL_cleanse(buffer, sizeof buffer);
	return (0);

fail:
	OPENSSL_cleanse(buffer, sizeof buffer);
	close(fd);
	return (-1);
}

/*
 * Write a new key to a file made with mode 0600: random bytes written as
 * hex text, so that it can travel as text (over an SSH channel).
 */
int
auth_key_generate(const char *path, char **cause)
{
	unsigned char	 bytes[AUTH_KEY_GENERATED];
	char		 text[2 * AUTH_KEY_GENERATED + 2];
	int		 fd;

	if (RAND_bytes(bytes, sizeof bytes) != 1) {
		xasprintf(cause, "no random bytes to be had");
		return (-1);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		OPENSSL_cleanse(bytes, sizeof bytes);
		return (-1);
	}
	auth_hex(bytes, sizeof bytes, text);
	strcat(text, "\n");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		OPENSSL_cleanse(bytes, sizeof bytes);
		unlink(path);
		return (-1);
	}
	OPENSSL_cleanse(bytes, sizeof bytes);
	OPENSSL_cleanse(text, sizeof text);
	return (0);
}

/* Forget a key, wiping it. */
void
auth_key_free(struct auth_key *key)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key->bytes, key->length);
	free(key->bytes);
	free(key);
}

/* Make a fresh random nonce in hex; text holds 2 * AUTH_NONCE_BYTES + 1. */
int
auth_nonce(char *text, size_t size)
{
	unsigned char	 bytes[AUTH_NONCE_BYTES];

	if (size < 2 * sizeof bytes + 1 || RAND_bytes(bytes,
	    sizeof bytes) != 1)
		return (-1);
	auth_hex(bytes, sizeof bytes, text);
	return (0);
}

/*
 * The proof of one side: HMAC-SHA256 under the key of its role and both
 * nonces, in hex (AUTH_PROOF_HEX + 1 bytes).
 */
void
auth_proof(const struct auth_key *key, const char *role, const char *first,
    const char *second, char *proof)
{
	unsigned char	 digest[EVP_MAX_MD_SIZE];
	unsigned int	 length = 0;
	char		*message;

	xasprintf(&message, "creamas-auth-v1\n%s\n%s\n%s", role, first,
	    second);
	HMAC(EVP_sha256(), key->bytes, (int)key->length,
	    (const unsigned char *)message, strlen(message), digest, &length);
	free(message);
	auth_hex(digest, length, proof);
}

/* Check a proof in constant time; 1 if it is right. */
int
auth_proof_check(const struct auth_key *key, const char *role,
    const char *first, const char *second, const char *proof)
{
	char	 expected[AUTH_PROOF_HEX + 1];

	if (!auth_is_hex(proof, AUTH_PROOF_HEX, AUTH_PROOF_HEX))
		return (0);
	auth_proof(key, role, first, second, expected);
	return (CRYPTO_memcmp(expected, proof, AUTH_PROOF_HEX) == 0);
}
