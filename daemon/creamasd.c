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

#include <sys/resource.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/* creamasd: a Creamas environment as a daemon. */

/*
 * Print the usage to stderr (an error) or, with the configuration keys,
 * to stdout (--help), and exit.
 */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: creamasd [-dv] [-f file] [-o key=value] "
	    "[--role slave|master]\n"
	    "                [--listen host:port] [--advertise host] "
	    "[--plugin path]\n"
	    "                [--log-folder dir] [--slaves n|auto] "
	    "[--slave-ports first|any]\n"
	    "                [--key file] [--insecure] [--syslog] "
	    "[--metrics host:port]\n"
	    "       creamasd [-f file] [--key file] --metrics-token\n");
	if (status == 0) {
		printf("\nConfiguration keys (in the file, or -o key=value; "
		    "see creamasd.conf(5)):\n\n");
		settings_print(stdout);
	}
	exit(status);
}

/* Give an extension its NAME.KEY=VALUE, as set at start. */
static int
configure_extension_key(const char *setting, char **cause)
{
	char	*key, *value, *why;
	int	 rc;

	key = xstrdup(setting);
	value = strchr(key, '=');
	*value++ = '\0';
	if ((rc = extension_configure(key, value, &why)) != 0) {
		xasprintf(cause, "%s: %s", key, why);
		free(why);
	}
	free(key);
	return (rc);
}

/* Apply "-o key=value". */
static void
config_option(struct daemon_config *config, const char *option)
{
	char	*key, *value, *cause;

	key = xstrdup(option);
	if ((value = strchr(key, '=')) == NULL) {
		fprintf(stderr, "creamasd: -o %s: expected key=value\n",
		    option);
		exit(2);
	}
	*value++ = '\0';
	if (settings_set(key, value, config, &cause) != 0) {
		fprintf(stderr, "creamasd: -o %s: %s\n", key, cause);
		exit(2);
	}
	free(key);
}

/* A signal: TERM and INT stop gracefully, HUP reopens logs. */
static void
signal_cb(evutil_socket_t signo, short events, void *arg)
{
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: stopping", (int)signo);
		env_stop(NULL);
		break;
	case SIGHUP:
		log_reopen();
		env_reopen_log();
		if (master != NULL)
			slaves_signal_all(SIGHUP);
		log_info("SIGHUP: logs reopened");
		break;
	}
}

/*
 * The loop is over: free the signal events and ignore TERM and INT, so
 * that a late one cannot cut the exit short (agents closing, their logs
 * written). Freeing an event puts back the default action, which would
 * kill the process, so the signals are held blocked until they are
 * ignored: one that came meanwhile is then dropped.
 */
static void
signals_ignore(struct event **signals, size_t count)
{
	sigset_t	 held;
	size_t		 i;

	sigemptyset(&held);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGINT);
	sigprocmask(SIG_BLOCK, &held, NULL);
	for (i = 0; i < count; i++)
		event_free(signals[i]);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &held, NULL);
}

/* --metrics-token: print the bearer token scrapers show; 0 if done. */
static int
print_metrics_token(const struct auth_key *key)
{
	char	 token[AUTH_PROOF_HEX + 1];

	if (key == NULL) {
		fprintf(stderr, "creamasd: --metrics-token needs a key "
		    "(--key FILE or key in the configuration)\n");
		return (1);
	}
	metrics_token(key, token);
	printf("%s\n", token);
	return (0);
}

/* Allow as many descriptors as the hard limit permits. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("setrlimit");
	}
}

int
main(int argc, char **argv)
{
	static const struct option	 options[] = {
		{ "advertise", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "key", required_argument, NULL, 'K' },
		{ "listen", required_argument, NULL, 'L' },
		{ "log-folder", required_argument, NULL, 'F' },
		{ "metrics", required_argument, NULL, 'E' },
		{ "metrics-token", no_argument, NULL, 'T' },
		{ "plugin", required_argument, NULL, 'P' },
		{ "role", required_argument, NULL, 'R' },
		{ "slave-of-master", no_argument, NULL, 'M' },
		{ "slave-ports", required_argument, NULL, 'S' },
		{ "slaves", required_argument, NULL, 'N' },
		{ "syslog", no_argument, NULL, 'Y' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_config	 config;
	struct event_base	*base;
	struct event		*signals[3];
	const int		 signos[3] = { SIGTERM, SIGINT, SIGHUP };
	const char		*file = NULL;
	char			**overrides = NULL, *cause;
	size_t			 noverrides = 0, i;
	int			 ch, print_token = 0;

	settings_defaults(&config);

	/* Options are applied after the file, so that they win. */
	while ((ch = getopt_long(argc, argv, "df:ho:vV", options,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			config.foreground = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'v':
			config.verbose++;
			break;
		case 'M':
			config.slave_of_master = 1;
			break;
		case 'I':
			overrides = xreallocarray(overrides, noverrides + 1,
			    sizeof *overrides);
			overrides[noverrides++] = xstrdup("insecure=yes");
			break;
		case 'Y':
			config.syslog = 1;
			break;
		case 'T':
			print_token = 1;
			break;
		case 'V':
			printf("creamasd %s\n", CREAMASD_VERSION);
			settings_free(&config);
			return (0);
		case 'o':
		case 'A':
		case 'L':
		case 'F':
		case 'P':
		case 'R':
		case 'K':
		case 'S':
		case 'N':
		case 'E':
			overrides = xreallocarray(overrides, noverrides + 1,
			    sizeof *overrides);
			xasprintf(&overrides[noverrides++], "%s=%s",
			    ch == 'o' ? "" : ch == 'A' ? "advertise" :
			    ch == 'L' ? "listen" : ch == 'F' ? "log_folder" :
			    ch == 'P' ? "plugin" : ch == 'K' ? "key" :
			    ch == 'S' ? "slave_ports" :
			    ch == 'E' ? "metrics" :
			    ch == 'N' ? "slaves" : "role", optarg);
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init(1, config.verbose, "creamasd");

	if (file != NULL && config_parse_file(file, settings_set, &config,
	    &cause) != 0) {
		fprintf(stderr, "creamasd: %s\n", cause);
		exit(1);
	}
	for (i = 0; i < noverrides; i++) {
		config_option(&config, overrides[i][0] == '=' ?
		    overrides[i] + 1 : overrides[i]);
		free(overrides[i]);
	}
	free(overrides);

	if (config.key_path != NULL) {
		if (auth_key_load(config.key_path, &config.key, &cause) != 0) {
			fprintf(stderr, "creamasd: %s\n", cause);
			exit(1);
		}
		config.limits.key = config.key;
	}
	if (print_token)
		exit(print_metrics_token(config.key));
	if (config.syslog)
		log_set_foreground(0);
	detach_start(config.foreground, config.slave_of_master);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if ((base = event_base_new()) == NULL)
		detach_fail("cannot create an event base");
	daemon_init(base, &config);
	for (i = 0; i < config.nplugins; i++) {
		if (plugin_load(config.plugins[i], &cause) != 0)
			detach_fail("%s", cause);
	}
	for (i = 0; i < config.nextension_keys; i++) {
		if (configure_extension_key(config.extension_keys[i],
		    &cause) != 0)
			detach_fail("%s", cause);
	}
	if (env_listen(&cause) != 0)
		detach_fail("%s", cause);
	if (metrics_start(&cause) != 0)
		detach_fail("%s", cause);
	if (config.slave_of_master)
		env_watch_stdin();
	for (i = 0; i < 3; i++) {
		signals[i] = evsignal_new(base, signos[i], signal_cb, NULL);
		evsignal_add(signals[i], NULL);
	}
	env_touch();	/* idle_exit counts from the start */
	if (strcmp(config.role, "master") == 0) {
		/* Ready only once every slave answers: see master.c. */
		if (master_start(&cause) != 0)
			detach_fail("%s", cause);
	} else {
		detach_ready(config.foreground, env->port);
		log_info("%s environment at %s0", config.role, env->prefix);
	}

	event_base_dispatch(base);

	log_info("stopped");
	signals_ignore(signals, 3);
	daemon_free();
	event_base_free(base);
	settings_free(&config);
	return (0);
}
