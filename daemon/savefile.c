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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Checkpoint files. A file is a header of SAVEFILE_HEADER bytes (magic,
 * format version, kind, byte order, payload length, payload checksum)
 * and the payload, the numbers in the machine's own byte order. It is
 * written whole to NAME.tmp, synced, and renamed over NAME, the folder
 * synced after, so NAME is either the old file or the new one, whole.
 * A reader checks all of the header and the checksum before it hands
 * out a byte.
 */

#define SAVEFILE_MAGIC		"CREAMASD"
#define SAVEFILE_CHECKPOINT	"CHECKPNT"
#define SAVEFILE_HEADER		48
#define SAVEFILE_ORDER		UINT32_C(0x01020304)
#define SAVEFILE_NULL		UINT32_MAX	/* a string that is NULL */

#define SAVEFILE_P1	UINT64_C(0x9e3779b185ebca87)
#define SAVEFILE_P2	UINT64_C(0xc2b2ae3d27d4eb4f)
#define SAVEFILE_P3	UINT64_C(0x165667b19e3779f9)

/* Rotate left. */
static uint64_t
savefile_rotate(uint64_t x, int bits)
{
	return ((x << bits) | (x >> (64 - bits)));
}

/* Mix one word into a lane. */
static uint64_t
savefile_round(uint64_t lane, uint64_t word)
{
	return (savefile_rotate(lane + word * SAVEFILE_P2, 31) * SAVEFILE_P1);
}

/*
 * Return the checksum of data: four lanes of multiply-rotate over
 * 64-bit words, then the tail and a final avalanche. Fast enough to
 * keep up with a disk, and any changed, missing or moved byte changes
 * it with near certainty (it is no defence against a forger).
 */
uint64_t
savefile_sum(const void *data, size_t length)
{
	const unsigned char	*p = data;
	uint64_t		 lane[4], word, sum;
	size_t			 left = length;
	int			 i;

	lane[0] = SAVEFILE_P1 + SAVEFILE_P2;
	lane[1] = SAVEFILE_P2;
	lane[2] = 0;
	lane[3] = -SAVEFILE_P1;
	for (; left >= 32; left -= 32) {
		for (i = 0; i < 4; i++, p += 8) {
			memcpy(&word, p, 8);
			lane[i] = savefile_round(lane[i], word);
		}
	}
	sum = savefile_rotate(lane[0], 1) + savefile_rotate(lane[1], 7) +
	    savefile_rotate(lane[2], 12) + savefile_rotate(lane[3], 18);
	sum += (uint64_t)length;
	for (; left >= 8; left -= 8, p += 8) {
		memcpy(&word, p, 8);
		sum = savefile_rotate(sum ^ savefile_round(0, word), 27) *
		    SAVEFILE_P1 + SAVEFILE_P3;
	}
	for (; left > 0; left--, p++)
		sum = savefile_rotate(sum ^ (*p * SAVEFILE_P3), 11) *
		    SAVEFILE_P1;
	sum ^= sum >> 33;
	sum *= SAVEFILE_P2;
	sum ^= sum >> 29;
	sum *= SAVEFILE_P3;
	return (sum ^ (sum >> 32));
}

/* Start a file of a kind (SAVEFILE_SLAVE, ...): room for the header. */
void
savefile_init(struct savefile *file, uint32_t kind)
{
	memset(file, 0, sizeof *file);
	file->kind = kind;
	file->size = 64 * 1024;
	file->data = xmalloc(file->size);
	file->length = SAVEFILE_HEADER;
}

/* Free a file being written. */
void
savefile_free(struct savefile *file)
{
	free(file->data);
	file->data = NULL;
}

/* Make room for size more bytes and return where they go. */
void *
savefile_reserve(struct savefile *file, size_t size)
{
	void	*at;

	if (size > SIZE_MAX / 2 - file->length)
		fatalx("%s: %zu bytes is too large", __func__, size);
	if (file->length + size > file->size) {
		while (file->length + size > file->size)
			file->size *= 2;
		file->data = xrealloc(file->data, file->size);
	}
	at = file->data + file->length;
	file->length += size;
	return (at);
}

/* Append bytes. */
void
savefile_put(struct savefile *file, const void *data, size_t size)
{
	if (size > 0)
		memcpy(savefile_reserve(file, size), data, size);
}

/* Append a 32-bit number. */
void
savefile_u32(struct savefile *file, uint32_t value)
{
	savefile_put(file, &value, sizeof value);
}

/* Append a 64-bit number. */
void
savefile_u64(struct savefile *file, uint64_t value)
{
	savefile_put(file, &value, sizeof value);
}

/* Append a double, bit for bit. */
void
savefile_double(struct savefile *file, double value)
{
	savefile_put(file, &value, sizeof value);
}

/* Append a string, or NULL. */
void
savefile_string(struct savefile *file, const char *string)
{
	size_t	 length;

	if (string == NULL) {
		savefile_u32(file, SAVEFILE_NULL);
		return;
	}
	length = strlen(string);
	if (length >= SAVEFILE_NULL)
		fatalx("%s: string too long", __func__);
	savefile_u32(file, (uint32_t)length);
	savefile_put(file, string, length);
}

/* Append a JSON value (NULL for null) as its text. */
void
savefile_json(struct savefile *file, struct json_object *value)
{
	savefile_string(file, json_object_to_json_string_ext(value,
	    JSON_C_TO_STRING_PLAIN));
}

/* Write all of a buffer to fd; 0, or -1 with errno. */
static int
savefile_write_all(int fd, const char *data, size_t length)
{
	ssize_t	 n;

	while (length > 0) {
		n = write(fd, data, length > (1 << 30) ? (1 << 30) : length);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		data += n;
		length -= (size_t)n;
	}
	return (0);
}

/* Make a folder and its parents; 0, or -1 with *cause. */
int
savefile_mkdir(const char *path, char **cause)
{
	char	*copy, *slash;
	int	 rc = 0, end;

	if (*path == '\0') {
		xasprintf(cause, "the folder's name is empty");
		return (-1);
	}
	copy = xstrdup(path);
	for (slash = copy + 1;; slash++) {
		if (*slash != '/' && *slash != '\0')
			continue;
		end = *slash == '\0';
		*slash = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
			xasprintf(cause, "cannot create %s: %s", copy,
			    strerror(errno));
			rc = -1;
			break;
		}
		if (end)
			break;
		*slash = '/';
	}
	free(copy);
	return (rc);
}

/*
 * Finish the header and write the file as folder/name, atomically (a
 * temporary file, fsync, rename, the folder synced). 0, or -1 with
 * *cause; the file is freed either way.
 */
int
savefile_write(struct savefile *file, const char *folder, const char *name,
    char **cause)
{
	char		*path = NULL, *temporary = NULL;
	uint64_t	 payload = file->length - SAVEFILE_HEADER, sum;
	uint32_t	 version = SAVEFILE_VERSION, order = SAVEFILE_ORDER;
	int		 fd = -1, dirfd = -1, rc = -1;

	sum = savefile_sum(file->data + SAVEFILE_HEADER, payload);
	memcpy(file->data, SAVEFILE_MAGIC, 8);
	memcpy(file->data + 8, SAVEFILE_CHECKPOINT, 8);
	memcpy(file->data + 16, &version, 4);
	memcpy(file->data + 20, &file->kind, 4);
	memcpy(file->data + 24, &order, 4);
	memset(file->data + 28, 0, 4);
	memcpy(file->data + 32, &payload, 8);
	memcpy(file->data + 40, &sum, 8);

	if (savefile_mkdir(folder, cause) != 0)
		goto fail;
	xasprintf(&path, "%s/%s", folder, name);
	xasprintf(&temporary, "%s.tmp", path);
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || savefile_write_all(fd, file->data, file->length) != 0 ||
	    fsync(fd) != 0) {
		xasprintf(cause, "cannot write %s: %s", temporary,
		    strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		xasprintf(cause, "cannot write %s: %s", temporary,
		    strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(temporary, path) != 0) {
		xasprintf(cause, "cannot rename %s to %s: %s", temporary,
		    path, strerror(errno));
		goto fail;
	}
	if ((dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dirfd);
		close(dirfd);
	}
	rc = 0;

fail:
	if (fd != -1) {
		close(fd);
		unlink(temporary);
	}
	free(temporary);
	free(path);
	savefile_free(file);
	return (rc);
}

/* The name of a kind of file, for messages. */
static const char *
savefile_kind_name(uint32_t kind)
{
	switch (kind) {
	case SAVEFILE_SLAVE:
		return ("an environment's (slave)");
	case SAVEFILE_MASTER:
		return ("a master's");
	}
	return ("an unknown kind of");
}

/* Check a file's header and checksum; 0, or -1 with *cause. */
static int
savefile_check(const char *path, const char *data, size_t size,
    uint32_t kind, char **cause)
{
	uint32_t	 version, found_kind, order;
	uint64_t	 payload, sum;

	if (size < 16 || memcmp(data, SAVEFILE_MAGIC, 8) != 0 ||
	    memcmp(data + 8, SAVEFILE_CHECKPOINT, 8) != 0) {
		xasprintf(cause, "%s is not a creamasd checkpoint", path);
		return (-1);
	}
	if (size < SAVEFILE_HEADER) {
		xasprintf(cause, "%s is truncated: %zu bytes, not even a "
		    "header", path, size);
		return (-1);
	}
	memcpy(&version, data + 16, 4);
	memcpy(&found_kind, data + 20, 4);
	memcpy(&order, data + 24, 4);
	memcpy(&payload, data + 32, 8);
	memcpy(&sum, data + 40, 8);
	if (order != SAVEFILE_ORDER) {
		xasprintf(cause, "%s was written on a machine of another "
		    "byte order", path);
		return (-1);
	}
	if (version != SAVEFILE_VERSION) {
		xasprintf(cause, "%s is in checkpoint format %u; this "
		    "creamasd reads format %d", path, version,
		    SAVEFILE_VERSION);
		return (-1);
	}
	if (found_kind != kind) {
		xasprintf(cause, "%s is %s checkpoint, not %s", path,
		    savefile_kind_name(found_kind), savefile_kind_name(kind));
		return (-1);
	}
	if (payload != size - SAVEFILE_HEADER) {
		xasprintf(cause, "%s is %s: %zu bytes, its header says "
		    "%llu", path, payload > size - SAVEFILE_HEADER ?
		    "truncated" : "too long", size, (unsigned long long)
		    (payload + SAVEFILE_HEADER));
		return (-1);
	}
	if (savefile_sum(data + SAVEFILE_HEADER, payload) != sum) {
		xasprintf(cause, "%s is corrupt: its checksum does not match",
		    path);
		return (-1);
	}
	return (0);
}

/*
 * Read and check folder/name, a file of a kind, into reader; 0, or -1
 * with *cause (nothing to free then).
 */
int
savefile_read(const char *folder, const char *name, uint32_t kind,
    struct savefile_reader *reader, char **cause)
{
	struct stat	 st;
	char		*path, *data = NULL;
	size_t		 done = 0;
	ssize_t		 n;
	int		 fd;

	memset(reader, 0, sizeof *reader);
	xasprintf(&path, "%s/%s", folder, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0) {
		xasprintf(cause, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	data = xmalloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	while (done < (size_t)st.st_size) {
		n = read(fd, data + done, (size_t)st.st_size - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			xasprintf(cause, "cannot read %s: %s", path,
			    n == 0 ? "it shrank" : strerror(errno));
			goto fail;
		}
		done += (size_t)n;
	}
	if (savefile_check(path, data, done, kind, cause) != 0)
		goto fail;
	close(fd);
	reader->buffer = data;
	reader->at = data + SAVEFILE_HEADER;
	reader->left = done - SAVEFILE_HEADER;
	reader->path = path;
	return (0);

fail:
	if (fd != -1)
		close(fd);
	free(data);
	free(path);
	return (-1);
}

/* Free a reader. */
void
savefile_reader_free(struct savefile_reader *reader)
{
	free(reader->buffer);
	free(reader->path);
	memset(reader, 0, sizeof *reader);
}

/* Return the next size bytes, or NULL (and mark the reader short). */
const void *
savefile_get(struct savefile_reader *reader, size_t size)
{
	const char	*at = reader->at;

	if (reader->short_read || size > reader->left) {
		reader->short_read = 1;
		return (NULL);
	}
	reader->at += size;
	reader->left -= size;
	return (at);
}

/* Read a 32-bit number (0 once short). */
uint32_t
savefile_get_u32(struct savefile_reader *reader)
{
	const void	*p = savefile_get(reader, 4);
	uint32_t	 value = 0;

	if (p != NULL)
		memcpy(&value, p, 4);
	return (value);
}

/* Read a 64-bit number (0 once short). */
uint64_t
savefile_get_u64(struct savefile_reader *reader)
{
	const void	*p = savefile_get(reader, 8);
	uint64_t	 value = 0;

	if (p != NULL)
		memcpy(&value, p, 8);
	return (value);
}

/* Read a double (0 once short). */
double
savefile_get_double(struct savefile_reader *reader)
{
	const void	*p = savefile_get(reader, 8);
	double		 value = 0;

	if (p != NULL)
		memcpy(&value, p, 8);
	return (value);
}

/* Read a string: a copy, or NULL (for NULL, or once short). */
char *
savefile_get_string(struct savefile_reader *reader)
{
	uint32_t	 length = savefile_get_u32(reader);
	const char	*p;

	if (length == SAVEFILE_NULL || reader->short_read)
		return (NULL);
	if ((p = savefile_get(reader, length)) == NULL)
		return (NULL);
	return (xstrndup(p, length));
}

/* Read a JSON value; NULL for null, or marks the reader bad. */
struct json_object *
savefile_get_json(struct savefile_reader *reader)
{
	struct json_object	*value;
	char			*text;

	if ((text = savefile_get_string(reader)) == NULL) {
		reader->short_read = 1;
		return (NULL);
	}
	value = json_tokener_parse(text);
	if (value == NULL && strcmp(text, "null") != 0)
		reader->short_read = 1;
	free(text);
	return (value);
}

/* Has the reader read all of its payload, and nothing beyond? */
int
savefile_get_done(const struct savefile_reader *reader)
{
	return (!reader->short_read && reader->left == 0);
}
