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

#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "creamasctl.h"
#include "log.h"
#include "xmalloc.h"

/*
 * creamasctl: the distributed environment of Creamas as a command-line
 * tool. Each run reads the nodes file, does one command on every node at
 * once, and exits; it keeps no state of its own.
 */

const struct ctl_command ctl_commands[] = {
	{ "agents", 1, cmd_agents, "agents" },
	{ "call", 1, cmd_call, "call method [json]" },
	{ "grid", 1, cmd_grid, "grid [--image file]" },
	{ "keygen", 0, cmd_keygen, "keygen file" },
	{ "nodes", 1, cmd_nodes, "nodes" },
	{ "prepare", 1, cmd_prepare, "prepare [--agents type:n[:json]] "
	    "[--connections random:k]\n"
	    "\t\t[--grid WxH[:type] [--node-grid CxR]]\n"
	    "\t\t[--log-folder dir] [--plan file] [--seed n]" },
	{ "run", 1, cmd_run, "run [-n rounds] [--args json] [-w seconds] "
	    "[prepare options]" },
	{ "spawn", 1, cmd_spawn, "spawn" },
	{ "status", 1, cmd_status, "status" },
	{ "stop", 1, cmd_stop, "stop [--log-folder dir]" },
	{ "top", 1, cmd_top, "top [-d seconds] [-n count]" },
	{ "trigger", 1, cmd_trigger, "trigger [-n rounds] [--args json]" },
	{ "wait", 1, cmd_wait, "wait [-t seconds]" },
	{ NULL, 0, NULL, NULL }
};

/* Print the usage and exit with the usage status. */
static void __attribute__((noreturn))
usage(int status)
{
	const struct ctl_command	*command;

	fprintf(status == 0 ? stdout : stderr,
	    "usage: creamasctl [-jv] [-f nodes] [-n node] [-t seconds] "
	    "[--accept-new-host-keys]\n"
	    "                  [--known-hosts file] [-k keyfile] command "
	    "[arguments]\n"
	    "commands:\n");
	for (command = ctl_commands; command->name != NULL; command++)
		fprintf(status == 0 ? stdout : stderr, "\t%s\n",
		    command->usage);
	exit(status);
}

/* Print one command's usage and exit with the usage status. */
void
ctl_usage_command(const char *name)
{
	const struct ctl_command	*command;

	for (command = ctl_commands; command->name != NULL; command++) {
		if (strcmp(command->name, name) == 0) {
			fprintf(stderr, "usage: creamasctl %s\n",
			    command->usage);
			exit(CTL_EXIT_USAGE);
		}
	}
	usage(CTL_EXIT_USAGE);
}

/* keygen FILE: write a new cluster key, readable by its owner only. */
int
cmd_keygen(struct cluster *cluster, int argc, char **argv)
{
	char	*cause;

	if (argc != 2)
		ctl_usage_command("keygen");
	if (auth_key_generate(argv[1], &cause) != 0) {
		warnx("keygen: %s", cause);
		free(cause);
		return (CTL_EXIT_FAILURE);
	}
	if (!cluster->options->json)
		printf("%s: a new cluster key (mode 0600); give it to creamasd "
		    "with --key and to creamasctl with -k\n", argv[1]);
	return (0);
}

/* Find a command by its name or an unambiguous prefix of it. */
static const struct ctl_command *
find_command(const char *name)
{
	const struct ctl_command	*command, *found = NULL;

	for (command = ctl_commands; command->name != NULL; command++) {
		if (strcmp(command->name, name) == 0)
			return (command);
	}
	for (command = ctl_commands; command->name != NULL; command++) {
		if (strncmp(command->name, name, strlen(name)) == 0) {
			if (found != NULL)
				errx(CTL_EXIT_USAGE, "ambiguous command: %s",
				    name);
			found = command;
		}
	}
	if (found == NULL)
		errx(CTL_EXIT_USAGE, "unknown command: %s", name);
	return (found);
}

/* Read the global options and the nodes file, then run the command. */
int
main(int argc, char **argv)
{
	static const struct option	 options[] = {
		{ "accept-new-host-keys", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_command	*command;
	struct ctl_options		 opts;
	struct cluster			 cluster;
	struct auth_key			*key = NULL;
	char				*path = NULL, *cause;
	int				 ch, status;

	memset(&opts, 0, sizeof opts);
	opts.timeout = CTL_TIMEOUT;
	/* '+': options after the command belong to the command. */
	while ((ch = getopt_long(argc, argv, "+f:hjk:n:t:vV", options,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
			opts.accept_new_host_keys = 1;
			break;
		case 'f':
			opts.nodes_file = optarg;
			break;
		case 'K':
			opts.known_hosts = optarg;
			break;
		case 'h':
			usage(0);
		case 'j':
			opts.json = 1;
			break;
		case 'k':
			if ((opts.key_path = realpath(optarg, NULL)) == NULL)
				err(CTL_EXIT_USAGE, "-k %s", optarg);
			break;
		case 'n':
			opts.select = xreallocarray(opts.select,
			    opts.nselect + 1, sizeof *opts.select);
			opts.select[opts.nselect++] = optarg;
			break;
		case 't':
			if (config_parse_seconds(optarg, &opts.timeout,
			    &cause) != 0 || opts.timeout <= 0)
				errx(CTL_EXIT_USAGE, "-t %s: expected a "
				    "number of seconds above 0", optarg);
			opts.timeout_set = 1;
			break;
		case 'v':
			opts.verbose++;
			break;
		case 'V':
			printf("creamasctl %s\n", CREAMASCTL_VERSION);
			return (0);
		default:
			usage(CTL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(CTL_EXIT_USAGE);
	command = find_command(argv[0]);

	log_init(1, opts.verbose > 1 ? opts.verbose - 1 : 0, "creamasctl");
	signal(SIGPIPE, SIG_IGN);

	cluster_init(&cluster, &opts);
	if (opts.key_path != NULL) {
		if (auth_key_load(opts.key_path, &key, &cause) != 0)
			errx(CTL_EXIT_USAGE, "%s", cause);
		cluster.limits.key = key;
	}
	if (command->needs_nodes) {
		if (opts.nodes_file == NULL) {
			if (nodes_default_path(&path, &cause) != 0)
				errx(CTL_EXIT_USAGE, "%s", cause);
			opts.nodes_file = path;
		}
		if (nodes_parse_file(opts.nodes_file, &cluster.nodes,
		    &cause) != 0)
			errx(CTL_EXIT_USAGE, "%s", cause);
		if (cluster_select(&cluster, &cause) != 0)
			errx(CTL_EXIT_USAGE, "-n %s", cause);
	}

	/* Commands parse their own options from argv[0] on. */
	optind = 0;
	status = command->run(&cluster, argc, argv);

	cluster_free(&cluster);
	auth_key_free(key);
	free(opts.key_path);
	free(opts.select);
	free(path);
	return (status);
}
