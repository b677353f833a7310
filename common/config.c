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

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "quote.h"
#include "xmalloc.h"

#define CONFIG_FILE_MAX	(1024 * 1024)

static int	 config_parse_line(char *, const char *, size_t,
		    config_entry_cb, void *, char **);

/* Strip leading and trailing white space in place. */
static char *
config_trim(char *string)
{
	char	*end;

	while (isspace((unsigned char)*string))
		string++;
	end = string + strlen(string);
	while (end > string && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return (string);
}

/* Split one line into key and value and hand them to the callback. */
static int
config_parse_line(char *line, const char *name, size_t number,
    config_entry_cb entry, void *arg, char **cause)
{
	char	*key, *value, *equals, *hash, *why;
	size_t	 length;
	int	 quoted;

	/* A '#' starts a comment, except inside double quotes. */
	for (hash = line, quoted = 0; *hash != '\0'; hash++) {
		if (*hash == '"')
			quoted = !quoted;
		else if (*hash == '#' && !quoted) {
			*hash = '\0';
			break;
		}
	}
	line = config_trim(line);
	if (*line == '\0')
		return (0);
	if ((equals = strchr(line, '=')) == NULL) {
		xasprintf(cause, "%s:%zu: expected 'key = value'", name,
		    number);
		return (-1);
	}
	*equals = '\0';
	key = config_trim(line);
	value = config_trim(equals + 1);
	if (*key == '\0') {
		xasprintf(cause, "%s:%zu: missing key", name, number);
		return (-1);
	}
	length = strlen(value);
	if (length > 0 && value[0] == '"') {
		if (length < 2 || value[length - 1] != '"') {
			xasprintf(cause, "%s:%zu: %s: unterminated quote",
			    name, number, key);
			return (-1);
		}
		value[length - 1] = '\0';
		value++;
	}
	if (entry(key, value, arg, &why) != 0) {
		xasprintf(cause, "%s:%zu: %s: %s", name, number, key, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Parse a configuration held in memory; name is used in errors. */
int
config_parse_buffer(const char *name, const char *buffer, size_t size,
    config_entry_cb entry, void *arg, char **cause)
{
	char		*copy, *line, *next;
	size_t		 number = 0;
	int		 rc = 0;

	if (memchr(buffer, '\0', size) != NULL) {
		xasprintf(cause, "%s: contains a NUL byte", name);
		return (-1);
	}
	copy = xmalloc(size + 1);
	memcpy(copy, buffer, size);
	copy[size] = '\0';
	for (line = copy; line != NULL && rc == 0; line = next) {
		number++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		rc = config_parse_line(line, name, number, entry, arg, cause);
	}
	free(copy);
	return (rc);
}

/* Read and parse a configuration file. */
int
config_parse_file(const char *path, config_entry_cb entry, void *arg,
    char **cause)
{
	FILE	*file;
	char	*buffer;
	size_t	 size;
	int	 rc;

	if ((file = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	buffer = xmalloc(CONFIG_FILE_MAX + 1);
	size = fread(buffer, 1, CONFIG_FILE_MAX + 1, file);
	if (ferror(file) || size > CONFIG_FILE_MAX) {
		xasprintf(cause, "%s: %s", path, ferror(file) ?
		    strerror(errno) : "file too large");
		free(buffer);
		fclose(file);
		return (-1);
	}
	fclose(file);
	rc = config_parse_buffer(path, buffer, size, entry, arg, cause);
	free(buffer);
	return (rc);
}

/* Parse a size with an optional K, M or G suffix (powers of 1024). */
int
config_parse_size(const char *value, size_t *size, char **cause)
{
	char			*end;
	unsigned long long	 number, scale = 1;

	errno = 0;
	if (!isdigit((unsigned char)*value)) {
		xasprintf(cause, "invalid size " QUOTE_FMT, QUOTE(value));
		return (-1);
	}
	number = strtoull(value, &end, 10);
	switch (*end) {
	case 'k': case 'K':
		scale = 1024;
		end++;
		break;
	case 'm': case 'M':
		scale = 1024 * 1024;
		end++;
		break;
	case 'g': case 'G':
		scale = 1024 * 1024 * 1024;
		end++;
		break;
	}
	if (errno != 0 || *end != '\0' || number == 0 ||
	    number > (unsigned long long)SIZE_MAX / scale) {
		xasprintf(cause, "invalid size " QUOTE_FMT, QUOTE(value));
		return (-1);
	}
	*size = number * scale;
	return (0);
}

/* Parse a whole number in [min, max]. */
int
config_parse_count(const char *value, unsigned long min, unsigned long max,
    unsigned long *count, char **cause)
{
	char		*end;
	unsigned long	 number;

	errno = 0;
	if (!isdigit((unsigned char)*value)) {
		xasprintf(cause, "invalid number " QUOTE_FMT, QUOTE(value));
		return (-1);
	}
	number = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || number < min || number > max) {
		xasprintf(cause, "invalid number " QUOTE_FMT " (%lu to %lu)",
		    QUOTE(value), min, max);
		return (-1);
	}
	*count = number;
	return (0);
}

/* Parse a non-negative number of seconds, fractions allowed. */
int
config_parse_seconds(const char *value, double *seconds, char **cause)
{
	char	*end;
	double	 number;

	errno = 0;
	if (!isdigit((unsigned char)*value) && *value != '.') {
		xasprintf(cause, "invalid time " QUOTE_FMT, QUOTE(value));
		return (-1);
	}
	number = strtod(value, &end);
	if (errno != 0 || *end != '\0' || !isfinite(number) ||
	    number < 0 || number > 1e9) {
		xasprintf(cause, "invalid time " QUOTE_FMT, QUOTE(value));
		return (-1);
	}
	*seconds = number;
	return (0);
}
