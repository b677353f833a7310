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
 * Tests for ctl/nodes.c, creamasctl's nodes file: every field, every
 * default, every error (which must name the file, the line and the
 * field), finding a node, and where the file is looked for.
 *
 * The test program links only tests/ and libcommon, so the parser is
 * compiled in here from its source.
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../ctl/nodes.c"
#include "testlib.h"

Suite	*suite_nodes(void);

/* Parse text as a file called "nodes.test"; fail the test on an error. */
static void
parse_ok(const char *text, struct nodes *nodes)
{
	char	*cause = NULL;
	int	 rc;

	rc = nodes_parse_buffer("nodes.test", text, strlen(text), nodes,
	    &cause);
	ck_assert_msg(rc == 0, "parsing \"%s\" failed: %s", text,
	    cause != NULL ? cause : "(no cause)");
	ck_assert_ptr_null(cause);
}

/* Parse text as "nodes.test" expecting exactly the given error. */
static void
parse_error(const char *text, const char *expected)
{
	struct nodes	 nodes;
	char		*cause = NULL;
	int		 rc;

	rc = nodes_parse_buffer("nodes.test", text, strlen(text), &nodes,
	    &cause);
	ck_assert_msg(rc == -1, "\"%s\" was accepted, expected \"%s\"",
	    text, expected);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, expected);
	ck_assert_ptr_null(nodes.list);
	ck_assert_uint_eq(nodes.count, 0);
	free(cause);
}

/* A host alone gets every default. */
START_TEST(test_defaults)
{
	struct nodes	 nodes;
	struct node	*node;

	parse_ok("compute1.example.org\n", &nodes);
	ck_assert_uint_eq(nodes.count, 1);
	ck_assert_str_eq(nodes.file, "nodes.test");
	node = &nodes.list[0];
	ck_assert_str_eq(node->name, "compute1.example.org:7000");
	ck_assert_ptr_null(node->user);
	ck_assert_str_eq(node->host, "compute1.example.org");
	ck_assert_uint_eq(node->ssh_port, 22);
	ck_assert_uint_eq(node->port, 7000);
	ck_assert_uint_eq(node->slaves, 0);
	ck_assert_int_eq(node->launch, LAUNCH_SSH);
	ck_assert_ptr_null(node->identity);
	ck_assert_ptr_null(node->command);
	ck_assert(node->idle_exit == 3600.0);
	ck_assert_uint_eq(node->line, 1);
	nodes_free(&nodes);
	ck_assert_ptr_null(nodes.list);
	nodes_free(&nodes);
	nodes_free(NULL);
}
END_TEST

/* Loopback hosts launch locally by default, others over SSH. */
START_TEST(test_default_launch)
{
	static const struct {
		const char		*line;
		enum launch_kind	 launch;
	} cases[] = {
		{ "localhost", LAUNCH_LOCAL },
		{ "LOCALHOST", LAUNCH_LOCAL },
		{ "localhost.localdomain", LAUNCH_LOCAL },
		{ "ip6-localhost", LAUNCH_LOCAL },
		{ "127.0.0.1", LAUNCH_LOCAL },
		{ "127.1.2.3", LAUNCH_LOCAL },
		{ "::1", LAUNCH_LOCAL },
		{ "[::1]", LAUNCH_LOCAL },
		{ "[::1]:2222", LAUNCH_LOCAL },
		{ "me@127.0.0.2:22", LAUNCH_LOCAL },
		{ "128.0.0.1", LAUNCH_SSH },
		{ "10.0.0.1", LAUNCH_SSH },
		{ "::2", LAUNCH_SSH },
		{ "localhostx", LAUNCH_SSH },
		{ "example.org", LAUNCH_SSH },
		{ "127.0.0.1 launch=ssh", LAUNCH_SSH },
		{ "127.0.0.1 launch=none", LAUNCH_NONE },
		{ "example.org launch=local", LAUNCH_LOCAL },
	};
	struct nodes	 nodes;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse_ok(cases[i].line, &nodes);
		ck_assert_msg(nodes.list[0].launch == cases[i].launch,
		    "%s: launch %s", cases[i].line,
		    nodes_launch_name(nodes.list[0].launch));
		nodes_free(&nodes);
	}
}
END_TEST

/* Every field set at once. */
START_TEST(test_all_fields)
{
	struct nodes	 nodes;
	struct node	*node;

	parse_ok("alice@node-2.example.org:2222 port=7100 slaves=4 "
	    "launch=none identity=/keys/id_ed25519 "
	    "cmd=\"/opt/bin/creamasd --role master --listen {listen}\" "
	    "idle_exit=1.5\n", &nodes);
	ck_assert_uint_eq(nodes.count, 1);
	node = &nodes.list[0];
	ck_assert_str_eq(node->name, "node-2.example.org:7100");
	ck_assert_str_eq(node->user, "alice");
	ck_assert_str_eq(node->host, "node-2.example.org");
	ck_assert_uint_eq(node->ssh_port, 2222);
	ck_assert_uint_eq(node->port, 7100);
	ck_assert_uint_eq(node->slaves, 4);
	ck_assert_int_eq(node->launch, LAUNCH_NONE);
	ck_assert_str_eq(node->identity, "/keys/id_ed25519");
	ck_assert_str_eq(node->command,
	    "/opt/bin/creamasd --role master --listen {listen}");
	ck_assert(node->idle_exit == 1.5);
	nodes_free(&nodes);

	/* Fields in any order; the limits of each range. */
	parse_ok("h idle_exit=0 slaves=1024 port=65535 launch=ssh\n"
	    "h port=1 slaves=0 launch=local", &nodes);
	ck_assert_uint_eq(nodes.count, 2);
	ck_assert(nodes.list[0].idle_exit == 0);
	ck_assert_uint_eq(nodes.list[0].slaves, 1024);
	ck_assert_uint_eq(nodes.list[0].port, 65535);
	ck_assert_int_eq(nodes.list[0].launch, LAUNCH_SSH);
	ck_assert_uint_eq(nodes.list[1].port, 1);
	ck_assert_int_eq(nodes.list[1].launch, LAUNCH_LOCAL);
	ck_assert_uint_eq(nodes.list[1].line, 2);
	nodes_free(&nodes);
}
END_TEST

/* identity=~/... is under $HOME. */
START_TEST(test_identity_home)
{
	struct nodes	 nodes;

	ck_assert_int_eq(setenv("HOME", "/home/tester", 1), 0);
	parse_ok("h identity=~/.ssh/id_rsa\nh port=1 identity=~other/k\n",
	    &nodes);
	ck_assert_str_eq(nodes.list[0].identity, "/home/tester/.ssh/id_rsa");
	ck_assert_str_eq(nodes.list[1].identity, "~other/k");
	nodes_free(&nodes);
}
END_TEST

/* Comments, blank lines and white space; line numbers are the file's. */
START_TEST(test_comments)
{
	struct nodes	 nodes;

	parse_ok("# the cluster\n\n   \n\t# indented comment\n"
	    "a.example   # trailing comment\n"
	    "\tb.example\tport=7001 # port=9\r\n"
	    "c.example cmd=x#y\n"
	    "# end", &nodes);
	ck_assert_uint_eq(nodes.count, 3);
	ck_assert_str_eq(nodes.list[0].host, "a.example");
	ck_assert_uint_eq(nodes.list[0].line, 5);
	ck_assert_str_eq(nodes.list[1].host, "b.example");
	ck_assert_uint_eq(nodes.list[1].port, 7001);
	ck_assert_uint_eq(nodes.list[1].line, 6);
	/* '#' inside a word is not a comment. */
	ck_assert_str_eq(nodes.list[2].command, "x#y");
	ck_assert_uint_eq(nodes.list[2].line, 7);
	nodes_free(&nodes);
}
END_TEST

/* Values quote as in sh. */
START_TEST(test_quoting)
{
	struct nodes	 nodes;

	parse_ok("h1 cmd=\"say \\\"hi\\\" \\\\ {host}\"\n"
	    "h2 cmd='single \"kept\" \\n # not a comment'\n"
	    "h3 cmd=run\" two words\"' and more'\n"
	    "h4 \"identity=/a b/key\"\n", &nodes);
	ck_assert_uint_eq(nodes.count, 4);
	ck_assert_str_eq(nodes.list[0].command, "say \"hi\" \\ {host}");
	ck_assert_str_eq(nodes.list[1].command,
	    "single \"kept\" \\n # not a comment");
	ck_assert_str_eq(nodes.list[2].command, "run two words and more");
	ck_assert_str_eq(nodes.list[3].identity, "/a b/key");
	nodes_free(&nodes);
}
END_TEST

/* IPv6 hosts, bracketed or not, with and without an ssh port. */
START_TEST(test_ipv6)
{
	struct nodes	 nodes;

	parse_ok("[::1]:2200 port=7001\n"
	    "bob@[2001:db8::1]\n"
	    "2001:db8::2 port=7002\n"
	    "fe80::1%eth0\n", &nodes);
	ck_assert_uint_eq(nodes.count, 4);
	ck_assert_str_eq(nodes.list[0].host, "::1");
	ck_assert_uint_eq(nodes.list[0].ssh_port, 2200);
	ck_assert_str_eq(nodes.list[0].name, "[::1]:7001");
	ck_assert_str_eq(nodes.list[1].user, "bob");
	ck_assert_str_eq(nodes.list[1].host, "2001:db8::1");
	ck_assert_uint_eq(nodes.list[1].ssh_port, 22);
	ck_assert_str_eq(nodes.list[2].host, "2001:db8::2");
	ck_assert_uint_eq(nodes.list[2].ssh_port, 22);
	ck_assert_str_eq(nodes.list[2].name, "[2001:db8::2]:7002");
	ck_assert_str_eq(nodes.list[3].host, "fe80::1%eth0");
	nodes_free(&nodes);
}
END_TEST

/* Every error names the file, the line and the field. */
START_TEST(test_errors)
{
	static const struct {
		const char	*text;
		const char	*error;
	} cases[] = {
		{ "h port=abc", "nodes.test:1: port: invalid number 'abc'" },
		{ "h port=0",
		  "nodes.test:1: port: invalid number '0' (1 to 65535)" },
		{ "h port=65536",
		  "nodes.test:1: port: invalid number '65536' (1 to 65535)" },
		{ "h port=70x",
		  "nodes.test:1: port: invalid number '70x' (1 to 65535)" },
		{ "h slaves=-1", "nodes.test:1: slaves: invalid number '-1'" },
		/* creamasd's own limit, --slaves 1024. */
		{ "h slaves=1025",
		  "nodes.test:1: slaves: invalid number '1025' (0 to 1024)" },
		{ "h slaves=2000",
		  "nodes.test:1: slaves: invalid number '2000' (0 to 1024)" },
		{ "h launch=rsh", "nodes.test:1: launch: unknown launcher "
		  "'rsh' (ssh, local, none or slurm)" },
		{ "h launch=SSH", "nodes.test:1: launch: unknown launcher "
		  "'SSH' (ssh, local, none or slurm)" },
		{ "h idle_exit=soon",
		  "nodes.test:1: idle_exit: invalid time 'soon'" },
		{ "h idle_exit=-5",
		  "nodes.test:1: idle_exit: invalid time '-5'" },
		{ "h idle_exit=5s",
		  "nodes.test:1: idle_exit: invalid time '5s'" },
		{ "h colour=blue", "nodes.test:1: colour: unknown field "
		  "(port, slaves, launch, identity, cmd or idle_exit)" },
		{ "h port", "nodes.test:1: port: expected key=value" },
		{ "h =5", "nodes.test:1: =5: expected key=value" },
		{ "h port=1 port=2", "nodes.test:1: port: given twice" },
		{ "h cmd=a cmd=b", "nodes.test:1: cmd: given twice" },
		{ "h port=", "nodes.test:1: port: empty value" },
		{ "h cmd=", "nodes.test:1: cmd: empty value" },
		{ "h cmd=\"\"", "nodes.test:1: cmd: empty value" },
		{ "h identity=", "nodes.test:1: identity: empty value" },
		{ "h slaves=", "nodes.test:1: slaves: empty value" },
		{ "h launch=", "nodes.test:1: launch: empty value" },
		{ "h idle_exit=", "nodes.test:1: idle_exit: empty value" },
		{ "h cmd=\"creamasd -d",
		  "nodes.test:1: cmd: unterminated double quote" },
		{ "h cmd='creamasd -d",
		  "nodes.test:1: cmd: unterminated single quote" },
		{ "\"h", "nodes.test:1: host: unterminated double quote" },
		{ "port=7000", "nodes.test:1: host: missing (the line starts "
		  "with 'port=7000')" },
		{ "@h", "nodes.test:1: user: empty user before '@' '@h'" },
		{ "-o@h",
		  "nodes.test:1: user: a user may not start with '-' '-o@h'" },
		{ "u;x@h",
		  "nodes.test:1: user: invalid character in user 'u;x@h'" },
		{ "-h", "nodes.test:1: host: a host may not start with '-' "
		  "'-h'" },
		{ "u@", "nodes.test:1: host: empty host 'u@'" },
		{ ":22", "nodes.test:1: host: empty host ':22'" },
		{ "h/x",
		  "nodes.test:1: host: invalid character in host 'h/x'" },
		{ "a@b@c",
		  "nodes.test:1: host: invalid character in host 'a@b@c'" },
		{ "h$(id)", "nodes.test:1: host: invalid character in host "
		  "'h$(id)'" },
		{ "[::1", "nodes.test:1: host: missing ']' in '[::1'" },
		{ "[::1]x", "nodes.test:1: host: unexpected 'x' after ']'" },
		{ "[]", "nodes.test:1: host: empty host '[]'" },
		{ "h:0", "nodes.test:1: sshport: invalid number '0' "
		  "(1 to 65535)" },
		{ "h:ssh", "nodes.test:1: sshport: invalid number 'ssh'" },
		{ "h:", "nodes.test:1: sshport: invalid number ''" },
		{ "[::1]:99999", "nodes.test:1: sshport: invalid number "
		  "'99999' (1 to 65535)" },
		/* The line is the file's, after comments and good lines. */
		{ "a\n# b\n\nc port=x",
		  "nodes.test:4: port: invalid number 'x'" },
		{ "h\nh", "nodes.test:2: port: h:7000 is already the node on "
		  "line 1" },
		{ "h port=7001\nk port=7001\n# x\nh port=7001",
		  "nodes.test:4: port: h:7001 is already the node on line 1" },
		{ "h slaves=4\nh port=7003 slaves=2",
		  "nodes.test:2: port: ports 7003-7005 overlap those of "
		  "h:7000 (line 1, ports 7000-7004)" },
		{ "h port=7010 slaves=2\nh port=7005 slaves=5",
		  "nodes.test:2: port: ports 7005-7010 overlap those of "
		  "h:7010 (line 1, ports 7010-7012)" },
		{ "", "nodes.test: no nodes" },
		{ "# only\n   \n# comments\n", "nodes.test: no nodes" },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		parse_error(cases[i].text, cases[i].error);
}
END_TEST

/*
 * Two spellings of one endpoint are one node: refused with the line of
 * each, as are slaves' port ranges that overlap on one host however it is
 * spelt.
 */
START_TEST(test_same_endpoint)
{
	struct nodes	 nodes;

	parse_error("127.0.0.1 port=7500\nlocalhost port=7500\n",
	    "nodes.test:2: port: localhost:7500 is the same endpoint as "
	    "127.0.0.1:7500, the node at nodes.test:1");
	parse_error("# a\nLOCALHOST port=7500\n127.0.0.2 port=7600\n"
	    "localhost port=7500 slaves=2\n",
	    "nodes.test:4: port: localhost:7500 is the same endpoint as "
	    "LOCALHOST:7500, the node at nodes.test:2");
	parse_error("localhost port=7000 slaves=2\n127.0.0.1 port=7002\n"
	    "127.0.0.1 port=7001 slaves=2\n",
	    "nodes.test:3: port: ports 7001-7003 overlap those of "
	    "localhost:7000 (line 1, ports 7000-7002)");

	/* Another address of this machine is another endpoint. */
	parse_ok("127.0.0.1 port=7500\n127.0.0.2 port=7500\n"
	    "localhost port=7501\n", &nodes);
	ck_assert_uint_eq(nodes.count, 3);
	nodes_free(&nodes);
}
END_TEST

/* A huge word is quoted by a short prefix in the error, never whole. */
START_TEST(test_long_word)
{
	static const char	*formats[] = {
		"%s\n", "h port=%s\n", "h launch=%s\n", "h %s=1\n",
		"u@[::1]%s\n", "%s@h\n", "h:%s\n",
	};
	struct nodes		 nodes;
	char			*word, *text, *cause = NULL;
	size_t			 length = 1024 * 1024, i;

	word = tl_calloc(1, length + 1);
	memset(word, 'x', length);
	word[0] = '!';
	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		text = tl_printf(formats[i], word);
		ck_assert_int_eq(nodes_parse_buffer("nodes.test", text,
		    strlen(text), &nodes, &cause), -1);
		ck_assert_msg(strlen(cause) < 200, "%zu bytes: %.100s...",
		    strlen(cause), cause);
		ck_assert_msg(strstr(cause, "!xxxxxxxx") != NULL &&
		    strstr(cause, "...") != NULL, "%s", cause);
		free(cause);
		cause = NULL;
		free(text);
	}
	free(word);
}
END_TEST

/* Port ranges that only touch, or whose size is unknown, are fine. */
START_TEST(test_ports_apart)
{
	struct nodes	 nodes;

	parse_ok("h port=7000 slaves=2\nh port=7003 slaves=2\n"
	    "h port=7006\nh port=7007\n"
	    "other port=7000 slaves=8\n", &nodes);
	ck_assert_uint_eq(nodes.count, 5);
	nodes_free(&nodes);
}
END_TEST

/* A NUL byte and an over-long line of words are refused. */
START_TEST(test_bad_bytes)
{
	struct nodes	 nodes;
	char		*cause = NULL, text[1024];
	size_t		 used, i;

	ck_assert_int_eq(nodes_parse_buffer("nodes.test", "h\0x", 3, &nodes,
	    &cause), -1);
	ck_assert_str_eq(cause, "nodes.test: contains a NUL byte");
	free(cause);

	used = (size_t)snprintf(text, sizeof text, "\nh");
	for (i = 0; i < 64; i++)
		used += (size_t)snprintf(text + used, sizeof text - used,
		    " port=%zu", i + 1);
	parse_error(text, "nodes.test:2: line: more than 64 words");
}
END_TEST

/* Nodes are found by HOST:PORT, or by host when only one is there. */
START_TEST(test_find)
{
	struct nodes	 nodes;
	size_t		 index = 99;
	char		*cause = NULL;

	parse_ok("a.example\nb.example port=7001\nb.example port=7002\n"
	    "[::1] port=7003\n", &nodes);
	ck_assert_int_eq(nodes_find(&nodes, "b.example:7002", &index,
	    &cause), 0);
	ck_assert_uint_eq(index, 2);
	ck_assert_int_eq(nodes_find(&nodes, "a.example", &index, &cause), 0);
	ck_assert_uint_eq(index, 0);
	ck_assert_int_eq(nodes_find(&nodes, "a.example:7000", &index,
	    &cause), 0);
	ck_assert_uint_eq(index, 0);
	ck_assert_int_eq(nodes_find(&nodes, "[::1]:7003", &index, &cause), 0);
	ck_assert_uint_eq(index, 3);
	ck_assert_int_eq(nodes_find(&nodes, "::1", &index, &cause), 0);
	ck_assert_uint_eq(index, 3);

	ck_assert_int_eq(nodes_find(&nodes, "b.example", &index, &cause), -1);
	ck_assert_str_eq(cause, "b.example: 2 nodes of nodes.test are on "
	    "that host; name one as HOST:PORT");
	free(cause);
	ck_assert_int_eq(nodes_find(&nodes, "c.example", &index, &cause), -1);
	ck_assert_str_eq(cause, "c.example: no such node in nodes.test");
	free(cause);
	ck_assert_int_eq(nodes_find(&nodes, "a.example:7001", &index,
	    &cause), -1);
	ck_assert_str_eq(cause, "a.example:7001: no such node in nodes.test");
	free(cause);
	/* A name of any length is quoted by its start. */
	ck_assert_int_eq(nodes_find(&nodes, "a-very-long-name-of-a-host-that-"
	    "is-in-no-nodes-file.example.org", &index, &cause), -1);
	ck_assert_str_eq(cause, "a-very-long-name-of-a-host-that-is-in-no...: "
	    "no such node in nodes.test");
	free(cause);
	nodes_free(&nodes);
}
END_TEST

/* A file on disk: its path is the name in errors. */
START_TEST(test_file)
{
	struct nodes	 nodes;
	char		*path, *cause = NULL, *expected;

	path = tl_path(tl_tempdir(), "cluster");
	tl_write_file(path, "n1 port=7000\nn2 port=oops\n");
	ck_assert_int_eq(nodes_parse_file(path, &nodes, &cause), -1);
	xasprintf(&expected, "%s:2: port: invalid number 'oops'", path);
	ck_assert_str_eq(cause, expected);
	free(expected);
	free(cause);

	tl_write_file(path, "n1 port=7000\nn2 port=7001\n");
	ck_assert_int_eq(nodes_parse_file(path, &nodes, &cause), 0);
	ck_assert_uint_eq(nodes.count, 2);
	ck_assert_str_eq(nodes.file, path);
	nodes_free(&nodes);
	free(path);

	path = tl_path(tl_tempdir(), "missing");
	ck_assert_int_eq(nodes_parse_file(path, &nodes, &cause), -1);
	xasprintf(&expected, "%s: No such file or directory", path);
	ck_assert_str_eq(cause, expected);
	free(expected);
	free(cause);
	free(path);
}
END_TEST

/* Without -f: ./nodes, then $XDG_CONFIG_HOME/creamas, then ~/.config. */
START_TEST(test_default_path)
{
	char	*dir, *home, *config, *path = NULL, *cause = NULL, *file;
	char	*expected;

	dir = tl_path(tl_tempdir(), "work");
	home = tl_path(tl_tempdir(), "home");
	config = tl_path(tl_tempdir(), "xdg");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(mkdir(home, 0755), 0);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(setenv("HOME", home, 1), 0);
	ck_assert_int_eq(unsetenv("XDG_CONFIG_HOME"), 0);

	/* Nowhere: the error says where it looked and about -f. */
	ck_assert_int_eq(nodes_default_path(&path, &cause), -1);
	xasprintf(&expected, "no nodes file: neither ./nodes nor "
	    "%s/.config/creamas/nodes exists (give one with -f)", home);
	ck_assert_str_eq(cause, expected);
	free(expected);
	free(cause);

	/* ~/.config/creamas/nodes. */
	xasprintf(&file, "%s/.config", home);
	ck_assert_int_eq(mkdir(file, 0755), 0);
	free(file);
	xasprintf(&file, "%s/.config/creamas", home);
	ck_assert_int_eq(mkdir(file, 0755), 0);
	free(file);
	xasprintf(&file, "%s/.config/creamas/nodes", home);
	tl_write_file(file, "h\n");
	ck_assert_int_eq(nodes_default_path(&path, &cause), 0);
	ck_assert_str_eq(path, file);
	free(path);

	/* $XDG_CONFIG_HOME wins over ~/.config when set. */
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", config, 1), 0);
	ck_assert_int_eq(nodes_default_path(&path, &cause), -1);
	free(cause);
	free(file);
	xasprintf(&file, "%s/creamas", config);
	ck_assert_int_eq(mkdir(config, 0755), 0);
	ck_assert_int_eq(mkdir(file, 0755), 0);
	free(file);
	xasprintf(&file, "%s/creamas/nodes", config);
	tl_write_file(file, "h\n");
	ck_assert_int_eq(nodes_default_path(&path, &cause), 0);
	ck_assert_str_eq(path, file);
	free(path);
	free(file);

	/* ./nodes first of all. */
	tl_write_file("nodes", "h\n");
	ck_assert_int_eq(nodes_default_path(&path, &cause), 0);
	ck_assert_str_eq(path, "nodes");
	free(path);

	free(dir);
	free(home);
	free(config);
}
END_TEST

/* Launchers are named as the file spells them. */
START_TEST(test_launch_names)
{
	ck_assert_str_eq(nodes_launch_name(LAUNCH_SSH), "ssh");
	ck_assert_str_eq(nodes_launch_name(LAUNCH_LOCAL), "local");
	ck_assert_str_eq(nodes_launch_name(LAUNCH_NONE), "none");
	ck_assert_int_eq(nodes_is_local_host("127.255.255.254"), 1);
	ck_assert_int_eq(nodes_is_local_host("::ffff:127.0.0.1"), 0);
	ck_assert_int_eq(nodes_is_local_host("0.0.0.0"), 0);
}
END_TEST

/* The nodes file suite. */
Suite *
suite_nodes(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("nodes");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_default_launch);
	tcase_add_test(tc, test_all_fields);
	tcase_add_test(tc, test_identity_home);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_ports_apart);
	tcase_add_test(tc, test_same_endpoint);
	tcase_add_test(tc, test_long_word);
	tcase_add_test(tc, test_bad_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("use");
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_launch_names);
	suite_add_tcase(s, tc);
	return (s);
}
