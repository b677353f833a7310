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
	{ "agents", 1, cmd_agents, "agents", "", NULL },
	{ "call", 1, cmd_call, "call method [json]", "", NULL },
	{ "checkpoint", 1, cmd_checkpoint, "checkpoint dir", "", NULL },
	{ "grid", 1, cmd_grid, "grid [--image file]", GRID_SHORT_OPTIONS,
	    grid_options },
	{ "keygen", 0, cmd_keygen, "keygen file", "", NULL },
	{ "logs", 1, cmd_logs, "logs dir", "", NULL },
	{ "nodes", 1, cmd_nodes, "nodes [--from-slurm [--port port] "
	    "[--slaves n]]", "", nodes_options },
	{ "plot", 0, cmd_plot, "plot file.csv -o file.svg", PLOT_SHORT_OPTIONS,
	    NULL },
	{ "prepare", 1, cmd_prepare, "prepare [--agents type:n[:json]] "
	    "[--connections random:k]\n"
	    "\t\t[--grid WxH[:type] [--node-grid CxR]]\n"
	    "\t\t[--log-folder dir] [--plan file] [--seed n]", "",
	    prepare_long_options },
	{ "restore", 1, cmd_restore, "restore dir", "", NULL },
	{ "run", 1, cmd_run, "run [-r rounds] [--args json] [-w seconds] "
	    "[prepare options]", RUN_SHORT_OPTIONS, run_options },
	{ "spawn", 1, cmd_spawn, "spawn", "", NULL },
	{ "status", 1, cmd_status, "status", "", NULL },
	{ "stop", 1, cmd_stop, "stop [--log-folder dir]", STOP_SHORT_OPTIONS,
	    stop_options },
	{ "top", 1, cmd_top, "top [-d seconds] [-n count]", TOP_SHORT_OPTIONS,
	    NULL },
	{ "trigger", 1, cmd_trigger, "trigger [-r rounds] [--args json] "
	    "[--timings file] [--checkpoint-every n] [dir]",
	    TRIGGER_SHORT_OPTIONS, trigger_options },
	{ "wait", 1, cmd_wait, "wait [-t seconds]", WAIT_SHORT_OPTIONS, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

/* The global options, before or after the command. */
#define CTL_GLOBAL_SHORT_OPTIONS	"f:jk:n:t:v"
static const struct option ctl_global_options[] = {
	{ "accept-new-host-keys", no_argument, NULL, 'A' },
	{ "connect-timeout", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ "key", required_argument, NULL, 'k' },
	{ "known-hosts", required_argument, NULL, 'K' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};
#define CTL_GLOBAL_LONG_OPTIONS \
	(sizeof ctl_global_options / sizeof ctl_global_options[0] - 1)

/* Print the usage and exit with the usage status. */
static void __attribute__((noreturn))
usage(int status)
{
	const struct ctl_command	*command;

	fprintf(status == 0 ? stdout : stderr,
	    "usage: creamasctl [-jv] [-f nodes] [-n node] [-t seconds] "
	    "[--accept-new-host-keys]\n"
	    "                  [--connect-timeout seconds] [--known-hosts "
	    "file] [-k keyfile]\n"
	    "                  command [arguments]\n"
	    "commands (global options may also follow the command):\n");
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

	while (getopt(argc, argv, "") != -1)
		ctl_usage_command("keygen");
	if (argc - optind != 1)
		ctl_usage_command("keygen");
	if (auth_key_generate(argv[optind], &cause) != 0) {
		warnx("keygen: %s", cause);
		free(cause);
		return (CTL_EXIT_FAILURE);
	}
	if (!cluster->options->json)
		printf("%s: a new cluster key (mode 0600); give it to creamasd "
		    "with --key and to creamasctl with -k\n", argv[optind]);
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

/* Take one global option; return 1 if ch was one. */
static int
ctl_global_option(struct ctl_options *opts, int ch, const char *arg)
{
	char	*cause;

	switch (ch) {
	case 'A':
		opts->accept_new_host_keys = 1;
		return (1);
	case 'f':
		opts->nodes_file = arg;
		return (1);
	case 'K':
		opts->known_hosts = arg;
		return (1);
	case 'j':
		opts->json = 1;
		return (1);
	case 'k':
		free(opts->key_path);
		if ((opts->key_path = realpath(arg, NULL)) == NULL)
			err(CTL_EXIT_USAGE, "-k %s", arg);
		return (1);
	case 'n':
		opts->select = xreallocarray(opts->select, opts->nselect + 1,
		    sizeof *opts->select);
		opts->select[opts->nselect++] = arg;
		return (1);
	case 't':
		if (config_parse_seconds(arg, &opts->timeout, &cause) != 0 ||
		    opts->timeout <= 0)
			errx(CTL_EXIT_USAGE, "-t %s: expected a number of "
			    "seconds above 0", arg);
		opts->timeout_set = 1;
		return (1);
	case 'T':
		if (config_parse_seconds(arg, &opts->connect_timeout,
		    &cause) != 0 || opts->connect_timeout <= 0)
			errx(CTL_EXIT_USAGE, "--connect-timeout %s: expected a "
			    "number of seconds above 0", arg);
		return (1);
	case 'v':
		opts->verbose++;
		return (1);
	}
	return (0);
}

/*
 * Take the global options from a command's arguments, wherever they are,
 * and return the command's own, rewritten one option a word with its
 * value apart and "--" before the operands, for the command to parse.
 * Where a command's option has a global option's letter (-n after
 * trigger and run, -t after wait), it is the command's.
 */
static char **
ctl_split_options(const struct ctl_command *command, struct ctl_options *opts,
    int argc, char **argv, int *count)
{
	struct option	*longs;
	char		 shorts[64], **out, flag[3];
	const char	*p;
	size_t		 nlong = 0, n = 0, used;
	int		 ch, index, outc = 0;

	/* The command's options first, then the global ones not taken. */
	used = (size_t)snprintf(shorts, sizeof shorts, "%s",
	    command->short_options);
	for (p = CTL_GLOBAL_SHORT_OPTIONS; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (strchr(command->short_options, *p) != NULL)
			continue;
		shorts[used++] = *p;
		if (p[1] == ':')
			shorts[used++] = ':';
	}
	shorts[used] = '\0';
	while (command->long_options != NULL &&
	    command->long_options[nlong].name != NULL)
		nlong++;
	longs = xcalloc(nlong + CTL_GLOBAL_LONG_OPTIONS + 1, sizeof *longs);
	if (nlong > 0)
		memcpy(longs, command->long_options, nlong * sizeof *longs);
	memcpy(longs + nlong, ctl_global_options,
	    CTL_GLOBAL_LONG_OPTIONS * sizeof *longs);

	out = xcalloc(2 * (size_t)argc + 3, sizeof *out);
	out[outc++] = xstrdup(argv[0]);
	optind = 0;
	for (;;) {
		index = -1;
		if ((ch = getopt_long(argc, argv, shorts, longs, &index)) == -1)
			break;
		if (ch == '?' || ch == ':')
			ctl_usage_command(command->name);
		if ((index >= 0 && (size_t)index >= nlong) || (index < 0 &&
		    strchr(command->short_options, ch) == NULL)) {
			/* --help or --version: only before the command. */
			if (!ctl_global_option(opts, ch, optarg))
				ctl_usage_command(command->name);
			continue;
		}
		if (index >= 0)
			xasprintf(&out[outc++], "--%s", longs[index].name);
		else {
			flag[0] = '-';
			flag[1] = (char)ch;
			flag[2] = '\0';
			out[outc++] = xstrdup(flag);
		}
		if (optarg != NULL)
			out[outc++] = xstrdup(optarg);
	}
	out[outc++] = xstrdup("--");
	for (n = (size_t)optind; n < (size_t)argc; n++)
		out[outc++] = xstrdup(argv[n]);
	out[outc] = NULL;
	free(longs);
	*count = outc;
	return (out);
}

/* Read the global options and the nodes file, then run the command. */
int
main(int argc, char **argv)
{
	const struct ctl_command	*command;
	struct ctl_options		 opts;
	struct cluster			 cluster;
	struct auth_key			*key = NULL;
	char				*path = NULL, *cause, **args;
	int				 ch, status, nargs, i;

	memset(&opts, 0, sizeof opts);
	opts.timeout = CTL_TIMEOUT;
	opts.connect_timeout = CTL_CONNECT_TIMEOUT;
	/* '+': the command's own options are read after it is known. */
	while ((ch = getopt_long(argc, argv, "+" CTL_GLOBAL_SHORT_OPTIONS "hV",
	    ctl_global_options, NULL)) != -1) {
		if (ctl_global_option(&opts, ch, optarg))
			continue;
		switch (ch) {
		case 'h':
			usage(0);
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
	args = ctl_split_options(command, &opts, argc, argv, &nargs);

	log_init(1, opts.verbose > 1 ? opts.verbose - 1 : 0, "creamasctl");
	signal(SIGPIPE, SIG_IGN);

	cluster_init(&cluster, &opts);
	if (opts.key_path != NULL) {
		if (auth_key_load(opts.key_path, &key, &cause) != 0)
			errx(CTL_EXIT_USAGE, "%s", cause);
		cluster.limits.key = key;
	}
	/* nodes --from-slurm makes a nodes file: it reads none. */
	if (command->needs_nodes && !slurm_wanted(command->name, nargs, args)) {
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

	/* Commands parse their own options from args[0] on. */
	optind = 0;
	status = command->run(&cluster, nargs, args);

	cluster_free(&cluster);
	auth_key_free(key);
	for (i = 0; i < nargs; i++)
		free(args[i]);
	free(args);
	free(opts.key_path);
	free(opts.select);
	free(path);
	return (status);
}
