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

/*
 * Fuzz the nodes-file parser of creamasctl (ctl/nodes.c) through
 * nodes_parse_buffer(). What is accepted must hold nodes within their
 * ranges, each found again by its name; written back as a nodes file
 * (every field given, every value quoted), it must parse to the same
 * nodes. What is refused must leave the list empty and name the file.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "addr.h"
#include "config.h"
#include "creamasctl.h"
#include "fuzz.h"

static const char	fuzz_file[] = "nodes";

/* Add a value to a line in double quotes, escaping '"' and '\'. */
static void
fuzz_add_quoted(struct evbuffer *text, const char *value)
{
	const char	*p;

	evbuffer_add(text, "\"", 1);
	for (p = value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			evbuffer_add(text, "\\", 1);
		evbuffer_add(text, p, 1);
	}
	evbuffer_add(text, "\"", 1);
}

/* Write the nodes back as the text of a nodes file. */
static char *
fuzz_write_nodes(const struct nodes *nodes, size_t *length)
{
	const struct node	*node;
	struct evbuffer		*text;
	char			*copy;
	size_t			 i;

	text = evbuffer_new();
	evbuffer_add_printf(text, "# written back by %s\n", __func__);
	for (i = 0; i < nodes->count; i++) {
		node = &nodes->list[i];
		if (node->user != NULL)
			evbuffer_add_printf(text, "%s@", node->user);
		if (strchr(node->host, ':') != NULL)
			evbuffer_add_printf(text, "[%s]:%u", node->host,
			    node->ssh_port);
		else
			evbuffer_add_printf(text, "%s:%u", node->host,
			    node->ssh_port);
		evbuffer_add_printf(text, " port=%u slaves=%lu launch=%s "
		    "idle_exit=%.17g", node->port, node->slaves,
		    nodes_launch_name(node->launch), node->idle_exit);
		if (node->identity != NULL) {
			evbuffer_add_printf(text, " identity=");
			fuzz_add_quoted(text, node->identity);
		}
		if (node->command != NULL) {
			evbuffer_add_printf(text, "\tcmd=");
			fuzz_add_quoted(text, node->command);
		}
		evbuffer_add(text, "\n", 1);
	}
	*length = evbuffer_get_length(text);
	copy = malloc(*length);
	FUZZ_CHECK(copy != NULL, "out of memory");
	evbuffer_remove(text, copy, *length);
	evbuffer_free(text);
	return (copy);
}

/* Return 1 if two optional strings are the same. */
static int
fuzz_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Check the nodes one by one. */
static void
fuzz_check_nodes(const struct nodes *nodes)
{
	const struct node	*node;
	size_t			 i, index;
	char			*name, *cause;

	FUZZ_CHECK(nodes->count > 0, "no nodes and no error");
	FUZZ_CHECK(strcmp(nodes->file, fuzz_file) == 0, "file %s",
	    nodes->file);
	for (i = 0; i < nodes->count; i++) {
		node = &nodes->list[i];
		FUZZ_CHECK(node->host != NULL && *node->host != '\0' &&
		    strlen(node->host) < ADDR_HOST_MAX, "node %zu: host", i);
		FUZZ_CHECK(node->user == NULL || *node->user != '\0',
		    "node %zu: empty user", i);
		FUZZ_CHECK(node->port >= 1 && node->ssh_port >= 1,
		    "node %zu: port %u ssh port %u", i, node->port,
		    node->ssh_port);
		FUZZ_CHECK(node->slaves <= CONFIG_SLAVES_MAX,
		    "node %zu: %lu slaves", i, node->slaves);
		FUZZ_CHECK(node->idle_exit >= 0 && node->idle_exit <= 1e9,
		    "node %zu: idle_exit %g", i, node->idle_exit);
		FUZZ_CHECK(node->launch == LAUNCH_SSH ||
		    node->launch == LAUNCH_LOCAL || node->launch == LAUNCH_NONE,
		    "node %zu: launch %d", i, (int)node->launch);
		FUZZ_CHECK(node->line >= 1, "node %zu: line 0", i);
		name = addr_format_hostport(node->host, node->port);
		FUZZ_CHECK(strcmp(node->name, name) == 0,
		    "node %zu: name %s, not %s", i, node->name, name);
		free(name);
		FUZZ_CHECK(nodes_find(nodes, node->name, &index, &cause) == 0 &&
		    index == i, "node %zu: %s is not found again", i,
		    node->name);
	}
}

/* Check that the nodes written back parse to the same nodes. */
static void
fuzz_check_written_back(const struct nodes *nodes)
{
	const struct node	*a, *b;
	struct nodes		 again;
	size_t			 length, i;
	char			*text, *cause;

	text = fuzz_write_nodes(nodes, &length);
	FUZZ_CHECK(nodes_parse_buffer(fuzz_file, text, length, &again,
	    &cause) == 0, "written back, the nodes are refused: %s: %.*s",
	    cause, (int)length, text);
	FUZZ_CHECK(again.count == nodes->count, "%zu nodes, not %zu",
	    again.count, nodes->count);
	for (i = 0; i < nodes->count; i++) {
		a = &nodes->list[i];
		b = &again.list[i];
		FUZZ_CHECK(fuzz_same(a->name, b->name) &&
		    fuzz_same(a->user, b->user) &&
		    fuzz_same(a->host, b->host) &&
		    a->ssh_port == b->ssh_port && a->port == b->port &&
		    a->slaves == b->slaves && a->launch == b->launch &&
		    fuzz_same(a->identity, b->identity) &&
		    fuzz_same(a->command, b->command) &&
		    a->idle_exit == b->idle_exit,
		    "node %zu (%s) changed when written back: %.*s", i,
		    a->name, (int)length, text);
	}
	nodes_free(&again);
	free(text);
}

/* A fixed home, so that "~/" in identity= expands the same every time. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("HOME", "/home/fuzz", 1);
	return (0);
}

/* Parse the input as a nodes file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nodes	 nodes;
	char		*cause = NULL;

	if (nodes_parse_buffer(fuzz_file, (const char *)data, size, &nodes,
	    &cause) == 0) {
		FUZZ_CHECK(cause == NULL, "a cause for a success: %s", cause);
		fuzz_check_nodes(&nodes);
		fuzz_check_written_back(&nodes);
		nodes_free(&nodes);
	} else {
		FUZZ_CHECK(cause != NULL && strncmp(cause, fuzz_file,
		    sizeof fuzz_file - 1) == 0 &&
		    cause[sizeof fuzz_file - 1] == ':',
		    "an error that does not name the file: %s", cause);
		FUZZ_CHECK(nodes.count == 0 && nodes.list == NULL &&
		    nodes.file == NULL, "a refused file left nodes behind");
		free(cause);
	}
	return (0);
}
