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

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "creamasctl.h"
#include "quote.h"
#include "xmalloc.h"

/*
 * The nodes file: one node a line,
 *	[user@]host[:sshport] [port=P] [slaves=S]
 *	    [launch=ssh|local|none|slurm]
 *	    [identity=KEYFILE] [cmd=TEMPLATE] [idle_exit=SECONDS]
 * with '#' comments. A value may be quoted as in sh ("..." with \" and \\
 * escapes, or '...'). Every error names the file, the line and the field.
 */

#define NODES_WORDS_MAX	64

/* The words of one line, unquoted. */
struct nodes_line {
	char	*words[NODES_WORDS_MAX];
	size_t	 count;
};

/* Which fields a line has set, to refuse one given twice. */
enum nodes_field {
	NODES_FIELD_PORT = 0x01,
	NODES_FIELD_SLAVES = 0x02,
	NODES_FIELD_LAUNCH = 0x04,
	NODES_FIELD_IDENTITY = 0x08,
	NODES_FIELD_CMD = 0x10,
	NODES_FIELD_IDLE_EXIT = 0x20,
};

/* Fill cause with "FILE:LINE: FIELD: why". */
static int __attribute__((format(printf, 5, 6)))
nodes_error(char **cause, const char *file, size_t line, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	xasprintf(cause, "%s:%zu: %.*s%s: %s", file, line, QUOTE(field), why);
	free(why);
	return (-1);
}

/* Free the words of a line. */
static void
nodes_line_clear(struct nodes_line *words)
{
	size_t	 i;

	for (i = 0; i < words->count; i++)
		free(words->words[i]);
	words->count = 0;
}

/*
 * Return the field a word being read belongs to, for errors: the key of
 * key=value, or "host" for the first word.
 */
static char *
nodes_word_field(const char *start, size_t index)
{
	const char	*equals;

	if (index == 0)
		return (xstrdup("host"));
	if ((equals = strchr(start, '=')) != NULL && equals != start)
		return (xstrndup(start, equals - start));
	return (xstrdup(start));
}

/*
 * Split a line into words as sh would: white space separates, quotes
 * group, '#' at the start of a word starts a comment.
 */
static int
nodes_split(const char *text, struct nodes_line *words, const char *file,
    size_t line, char **cause)
{
	const char	*p = text;
	char		*word, *field;
	size_t		 used;
	char		 quote;

	words->count = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			return (0);
		if (words->count == NODES_WORDS_MAX) {
			nodes_line_clear(words);
			return (nodes_error(cause, file, line, "line",
			    "more than %d words", NODES_WORDS_MAX));
		}
		word = xmalloc(strlen(p) + 1);
		used = 0;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r') {
			if (*p != '"' && *p != '\'') {
				word[used++] = *p++;
				continue;
			}
			quote = *p++;
			while (*p != '\0' && *p != quote) {
				if (quote == '"' && *p == '\\' &&
				    (p[1] == '"' || p[1] == '\\'))
					p++;
				word[used++] = *p++;
			}
			if (*p == '\0') {
				word[used] = '\0';
				field = nodes_word_field(word, words->count);
				nodes_error(cause, file, line, field,
				    "unterminated %s", quote == '"' ?
				    "double quote" : "single quote");
				free(field);
				free(word);
				nodes_line_clear(words);
				return (-1);
			}
			p++;
		}
		word[used] = '\0';
		words->words[words->count++] = word;
	}
}

/* Return 1 if a host is this machine's loopback: localhost, 127/8, ::1. */
int
nodes_is_local_host(const char *host)
{
	struct in_addr	 in4;
	struct in6_addr	 in6;

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.localdomain") == 0 ||
	    strcasecmp(host, "ip6-localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &in4) == 1)
		return ((ntohl(in4.s_addr) >> 24) == 127);
	if (inet_pton(AF_INET6, host, &in6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&in6));
	return (0);
}

/* Check a host name or address: letters, digits, '.', '-', '_', ':' '%'. */
static int
nodes_check_host(const char *host, const char **why)
{
	const char	*p;

	if (*host == '\0') {
		*why = "empty host";
		return (-1);
	}
	if (strlen(host) >= ADDR_HOST_MAX) {
		*why = "host name too long";
		return (-1);
	}
	if (*host == '-') {
		*why = "a host may not start with '-'";
		return (-1);
	}
	for (p = host; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) &&
		    strchr(".-_:%", *p) == NULL) {
			*why = "invalid character in host";
			return (-1);
		}
	}
	return (0);
}

/* Check a user name: letters, digits, '.', '-', '_'. */
static int
nodes_check_user(const char *user, const char **why)
{
	const char	*p;

	if (*user == '\0') {
		*why = "empty user before '@'";
		return (-1);
	}
	if (*user == '-') {
		*why = "a user may not start with '-'";
		return (-1);
	}
	for (p = user; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(".-_", *p) == NULL) {
			*why = "invalid character in user";
			return (-1);
		}
	}
	return (0);
}

/* Parse "[user@]host[:sshport]" (host may be [v6] or a bare v6 address). */
static int
nodes_parse_host(struct node *node, const char *word, const char *file,
    size_t line, char **cause)
{
	const char	*at, *rest, *close_bracket, *colon, *why;
	char		*host = NULL, *portcause;
	unsigned long	 port;

	if ((at = strchr(word, '@')) != NULL) {
		node->user = xstrndup(word, at - word);
		if (nodes_check_user(node->user, &why) != 0)
			return (nodes_error(cause, file, line, "user", "%s "
			    QUOTE_FMT, why, QUOTE(word)));
		rest = at + 1;
	} else
		rest = word;

	colon = NULL;
	if (*rest == '[') {
		if ((close_bracket = strchr(rest, ']')) == NULL)
			return (nodes_error(cause, file, line, "host",
			    "missing ']' in " QUOTE_FMT, QUOTE(word)));
		host = xstrndup(rest + 1, close_bracket - rest - 1);
		if (close_bracket[1] == ':')
			colon = close_bracket + 1;
		else if (close_bracket[1] != '\0') {
			free(host);
			return (nodes_error(cause, file, line, "host",
			    "unexpected " QUOTE_FMT " after ']'",
			    QUOTE(close_bracket + 1)));
		}
	} else if ((colon = strchr(rest, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL)
		host = xstrndup(rest, colon - rest);
	else {
		/* No colon, or a bare IPv6 address (several): no ssh port. */
		colon = NULL;
		host = xstrdup(rest);
	}
	if (nodes_check_host(host, &why) != 0) {
		nodes_error(cause, file, line, "host", "%s " QUOTE_FMT, why,
		    QUOTE(word));
		free(host);
		return (-1);
	}
	node->host = host;

	node->ssh_port = NODES_SSH_PORT;
	if (colon != NULL) {
		if (config_parse_count(colon + 1, 1, UINT16_MAX, &port,
		    &portcause) != 0) {
			nodes_error(cause, file, line, "sshport", "%s",
			    portcause);
			free(portcause);
			return (-1);
		}
		node->ssh_port = (uint16_t)port;
	}
	return (0);
}

/* Return a copy of path with a leading "~/" made $HOME. */
static char *
nodes_expand_home(const char *path)
{
	const char	*home;
	char		*expanded;

	if (strncmp(path, "~/", 2) == 0 && (home = getenv("HOME")) != NULL &&
	    *home != '\0') {
		xasprintf(&expanded, "%s/%s", home, path + 2);
		return (expanded);
	}
	return (xstrdup(path));
}

/* Apply one key=value word to a node. */
static int
nodes_parse_field(struct node *node, const char *word, int *seen,
    const char *file, size_t line, char **cause)
{
	const char	*equals, *value;
	char		*key, *why;
	unsigned long	 number;
	int		 field, rc = -1;

	if ((equals = strchr(word, '=')) == NULL || equals == word)
		return (nodes_error(cause, file, line, word,
		    "expected key=value"));
	key = xstrndup(word, equals - word);
	value = equals + 1;

	if (strcmp(key, "port") == 0)
		field = NODES_FIELD_PORT;
	else if (strcmp(key, "slaves") == 0)
		field = NODES_FIELD_SLAVES;
	else if (strcmp(key, "launch") == 0)
		field = NODES_FIELD_LAUNCH;
	else if (strcmp(key, "identity") == 0)
		field = NODES_FIELD_IDENTITY;
	else if (strcmp(key, "cmd") == 0)
		field = NODES_FIELD_CMD;
	else if (strcmp(key, "idle_exit") == 0)
		field = NODES_FIELD_IDLE_EXIT;
	else {
		nodes_error(cause, file, line, key, "unknown field (port, "
		    "slaves, launch, identity, cmd or idle_exit)");
		goto out;
	}
	if (*seen & field) {
		nodes_error(cause, file, line, key, "given twice");
		goto out;
	}
	*seen |= field;
	if (*value == '\0') {
		nodes_error(cause, file, line, key, "empty value");
		goto out;
	}

	switch (field) {
	case NODES_FIELD_PORT:
		if (config_parse_count(value, 1, UINT16_MAX, &number,
		    &why) != 0)
			goto bad;
		node->port = (uint16_t)number;
		break;
	case NODES_FIELD_SLAVES:
		if (config_parse_count(value, 0, CONFIG_SLAVES_MAX, &number,
		    &why) != 0)
			goto bad;
		node->slaves = number;
		break;
	case NODES_FIELD_LAUNCH:
		if (strcmp(value, "ssh") == 0)
			node->launch = LAUNCH_SSH;
		else if (strcmp(value, "local") == 0)
			node->launch = LAUNCH_LOCAL;
		else if (strcmp(value, "none") == 0)
			node->launch = LAUNCH_NONE;
		else if (strcmp(value, "slurm") == 0)
			node->launch = LAUNCH_SLURM;
		else {
			nodes_error(cause, file, line, key, "unknown launcher "
			    QUOTE_FMT " (ssh, local, none or slurm)",
			    QUOTE(value));
			goto out;
		}
		break;
	case NODES_FIELD_IDENTITY:
		node->identity = nodes_expand_home(value);
		break;
	case NODES_FIELD_CMD:
		node->command = xstrdup(value);
		break;
	case NODES_FIELD_IDLE_EXIT:
		if (config_parse_seconds(value, &node->idle_exit, &why) != 0)
			goto bad;
		break;
	}
	rc = 0;
	goto out;

bad:
	nodes_error(cause, file, line, key, "%s", why);
	free(why);
out:
	free(key);
	return (rc);
}

/* Free what one node holds. */
static void
nodes_node_clear(struct node *node)
{
	free(node->name);
	free(node->user);
	free(node->host);
	free(node->identity);
	free(node->command);
	memset(node, 0, sizeof *node);
}

/* Return 1 if two nodes' port ranges (manager and slaves) overlap. */
static int
nodes_ports_overlap(const struct node *a, const struct node *b)
{
	unsigned long	 a_end, b_end;

	if (a->port == b->port)
		return (1);
	if (a->slaves == 0 || b->slaves == 0)
		return (0);	/* one per core: not known here */
	a_end = (unsigned long)a->port + a->slaves;
	b_end = (unsigned long)b->port + b->slaves;
	return (a->port <= b_end && b->port <= a_end);
}

/* A node's host resolved, once, when it must be compared. */
struct nodes_resolved {
	struct addrinfo	*list;		/* NULL if it did not resolve */
	int		 done;
};

/* Return 1 if two resolved addresses are the same host address. */
static int
nodes_address_equal(const struct addrinfo *a, const struct addrinfo *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ai_family != b->ai_family)
		return (0);
	if (a->ai_family == AF_INET) {
		a4 = (const struct sockaddr_in *)a->ai_addr;
		b4 = (const struct sockaddr_in *)b->ai_addr;
		return (a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	}
	if (a->ai_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)a->ai_addr;
		b6 = (const struct sockaddr_in6 *)b->ai_addr;
		return (memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof a6->sin6_addr) == 0);
	}
	return (0);
}

/*
 * Return 1 if nodes i and j name the same host: the same spelling, or
 * spellings that resolve to a common address (localhost and 127.0.0.1).
 * A host that does not resolve is taken as different.
 */
static int
nodes_same_host(const struct nodes *nodes, struct nodes_resolved *resolved,
    size_t i, size_t j)
{
	struct addrinfo		 hints, *a, *b;
	size_t			 k, which[2] = { i, j };

	if (strcasecmp(nodes->list[i].host, nodes->list[j].host) == 0)
		return (1);
	for (k = 0; k < 2; k++) {
		if (resolved[which[k]].done)
			continue;
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(nodes->list[which[k]].host, NULL, &hints,
		    &resolved[which[k]].list) != 0)
			resolved[which[k]].list = NULL;
		resolved[which[k]].done = 1;
	}
	for (a = resolved[i].list; a != NULL; a = a->ai_next) {
		for (b = resolved[j].list; b != NULL; b = b->ai_next) {
			if (nodes_address_equal(a, b))
				return (1);
		}
	}
	return (0);
}

/*
 * Refuse two nodes that reach the same endpoint, or whose slaves' ports
 * overlap on one host: each would be spawned, prepared and triggered
 * once per line. Hosts are resolved only for nodes whose ports meet.
 */
static int
nodes_check_endpoints(struct nodes *nodes, char **cause)
{
	struct nodes_resolved	*resolved;
	const struct node	*a, *b;
	size_t			 i, j;
	int			 rc = 0;

	resolved = xcalloc(nodes->count + 1, sizeof *resolved);
	for (j = 1; j < nodes->count && rc == 0; j++) {
		b = &nodes->list[j];
		for (i = 0; i < j && rc == 0; i++) {
			a = &nodes->list[i];
			if (!nodes_ports_overlap(a, b) ||
			    !nodes_same_host(nodes, resolved, i, j))
				continue;
			rc = -1;
			if (strcmp(a->name, b->name) == 0)
				nodes_error(cause, nodes->file, b->line, "port",
				    "%s is already the node on line %zu",
				    b->name, a->line);
			else if (a->port == b->port)
				nodes_error(cause, nodes->file, b->line, "port",
				    "%s is the same endpoint as %s, the node "
				    "at %s:%zu", b->name, a->name, nodes->file,
				    a->line);
			else
				nodes_error(cause, nodes->file, b->line, "port",
				    "ports %u-%lu overlap those of %s (line "
				    "%zu, ports %u-%lu)", b->port, b->port +
				    b->slaves, a->name, a->line, a->port,
				    a->port + a->slaves);
		}
	}
	for (i = 0; i < nodes->count; i++) {
		if (resolved[i].list != NULL)
			freeaddrinfo(resolved[i].list);
	}
	free(resolved);
	return (rc);
}

/* Parse one line into a new node; 1 if the line holds none. */
static int
nodes_parse_line(struct nodes *nodes, char *text, size_t line,
    char **cause)
{
	struct nodes_line	 words;
	struct node		 node;
	size_t			 i;
	int			 seen = 0;

	if (nodes_split(text, &words, nodes->file, line, cause) != 0)
		return (-1);
	if (words.count == 0)
		return (1);

	memset(&node, 0, sizeof node);
	node.port = NODES_PORT;
	node.idle_exit = NODES_IDLE_EXIT;
	node.line = line;
	if (strchr(words.words[0], '=') != NULL) {
		nodes_error(cause, nodes->file, line, "host", "missing (the "
		    "line starts with " QUOTE_FMT ")", QUOTE(words.words[0]));
		goto fail;
	}
	if (nodes_parse_host(&node, words.words[0], nodes->file, line,
	    cause) != 0)
		goto fail;
	node.launch = nodes_is_local_host(node.host) ? LAUNCH_LOCAL :
	    LAUNCH_SSH;
	for (i = 1; i < words.count; i++) {
		if (nodes_parse_field(&node, words.words[i], &seen,
		    nodes->file, line, cause) != 0)
			goto fail;
	}
	node.name = addr_format_hostport(node.host, node.port);

	nodes_line_clear(&words);
	nodes->list = xreallocarray(nodes->list, nodes->count + 1,
	    sizeof *nodes->list);
	nodes->list[nodes->count++] = node;
	return (0);

fail:
	nodes_line_clear(&words);
	nodes_node_clear(&node);
	return (-1);
}

/* Parse a nodes file held in memory; name is used in errors. */
int
nodes_parse_buffer(const char *name, const char *buffer, size_t size,
    struct nodes *nodes, char **cause)
{
	char	*copy, *text, *next;
	size_t	 line = 0;
	int	 rc = 0;

	memset(nodes, 0, sizeof *nodes);
	nodes->file = xstrdup(name);
	if (memchr(buffer, '\0', size) != NULL) {
		xasprintf(cause, "%s: contains a NUL byte", name);
		nodes_free(nodes);
		return (-1);
	}
	copy = xmalloc(size + 1);
	memcpy(copy, buffer, size);
	copy[size] = '\0';
	for (text = copy; text != NULL && rc != -1; text = next) {
		line++;
		if ((next = strchr(text, '\n')) != NULL)
			*next++ = '\0';
		rc = nodes_parse_line(nodes, text, line, cause);
	}
	free(copy);
	if (rc != -1 && nodes->count == 0) {
		xasprintf(cause, "%s: no nodes", name);
		rc = -1;
	}
	if (rc != -1)
		rc = nodes_check_endpoints(nodes, cause);
	if (rc == -1) {
		nodes_free(nodes);
		return (-1);
	}
	return (0);
}

/* Read and parse a nodes file. */
int
nodes_parse_file(const char *path, struct nodes *nodes, char **cause)
{
	FILE	*file;
	char	*buffer;
	size_t	 size;
	int	 rc;

	memset(nodes, 0, sizeof *nodes);
	if ((file = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	buffer = xmalloc(NODES_FILE_MAX + 1);
	size = fread(buffer, 1, NODES_FILE_MAX + 1, file);
	if (ferror(file) || size > NODES_FILE_MAX) {
		xasprintf(cause, "%s: %s", path, ferror(file) ?
		    strerror(errno) : "file too large");
		free(buffer);
		fclose(file);
		return (-1);
	}
	fclose(file);
	rc = nodes_parse_buffer(path, buffer, size, nodes, cause);
	free(buffer);
	return (rc);
}

/*
 * Find the nodes file when -f is not given: ./nodes, then
 * $XDG_CONFIG_HOME/creamas/nodes (~/.config/creamas/nodes).
 */
int
nodes_default_path(char **path, char **cause)
{
	const char	*config, *home;
	char		*user_path = NULL;

	if (access("nodes", F_OK) == 0) {
		*path = xstrdup("nodes");
		return (0);
	}
	if ((config = getenv("XDG_CONFIG_HOME")) != NULL && *config == '/')
		xasprintf(&user_path, "%s/creamas/nodes", config);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		xasprintf(&user_path, "%s/.config/creamas/nodes", home);
	if (user_path != NULL && access(user_path, F_OK) == 0) {
		*path = user_path;
		return (0);
	}
	xasprintf(cause, "no nodes file: neither ./nodes nor %s exists "
	    "(give one with -f)", user_path != NULL ? user_path :
	    "~/.config/creamas/nodes");
	free(user_path);
	return (-1);
}

/*
 * Find a node by HOST:PORT, or by its host alone when only one node is
 * on that host.
 */
int
nodes_find(const struct nodes *nodes, const char *name, size_t *index,
    char **cause)
{
	struct addr	 addr;
	char		*why;
	size_t		 i, found = 0, which = 0;

	for (i = 0; i < nodes->count; i++) {
		if (strcmp(nodes->list[i].name, name) == 0) {
			*index = i;
			return (0);
		}
	}
	if (addr_parse_hostport(name, &addr, &why) == 0) {
		for (i = 0; i < nodes->count; i++) {
			if (strcmp(nodes->list[i].host, addr.host) == 0 &&
			    nodes->list[i].port == addr.port) {
				*index = i;
				return (0);
			}
		}
	} else
		free(why);
	for (i = 0; i < nodes->count; i++) {
		if (strcmp(nodes->list[i].host, name) == 0) {
			if (found++ == 0)
				which = i;
		}
	}
	if (found == 1) {
		*index = which;
		return (0);
	}
	if (found > 1) {
		xasprintf(cause, "%.*s%s: %zu nodes of %s are on that host; "
		    "name one as HOST:PORT", QUOTE(name), found, nodes->file);
		return (-1);
	}
	xasprintf(cause, "%.*s%s: no such node in %s", QUOTE(name),
	    nodes->file);
	return (-1);
}

/* Return a launcher's name as the nodes file spells it. */
const char *
nodes_launch_name(enum launch_kind launch)
{
	switch (launch) {
	case LAUNCH_SSH:
		return ("ssh");
	case LAUNCH_LOCAL:
		return ("local");
	case LAUNCH_NONE:
		return ("none");
	case LAUNCH_SLURM:
		return ("slurm");
	}
	return ("?");
}

/* Free every node; accepts an empty (zeroed) list. */
void
nodes_free(struct nodes *nodes)
{
	size_t	 i;

	if (nodes == NULL)
		return;
	for (i = 0; i < nodes->count; i++)
		nodes_node_clear(&nodes->list[i]);
	free(nodes->list);
	free(nodes->file);
	memset(nodes, 0, sizeof *nodes);
}
