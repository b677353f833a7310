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
 * The configuration keys of creamasd, in one table: each key's name, its
 * type and range, its default and the setter that parses it. The file
 * (-f), -o and the long options all go through settings_set(); the
 * defaults come from settings_defaults(); --help lists the table with
 * settings_print(); creamasd.conf(5) describes every key (a test checks
 * it names each one). A key of no row may be an extension's (NAME.KEY).
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/* The words of a setting, as the listing shows its type. */
enum setting_type {
	SETTING_TEXT,		/* a non-empty string (char *) */
	SETTING_LIST,		/* a string, each one added (char **) */
	SETTING_ROLE,		/* slave or master (char *) */
	SETTING_FLAG,		/* yes or no (int) */
	SETTING_COUNT,		/* min to max, or "auto" for 0 (unsigned long) */
	SETTING_PORT,		/* 1 to 65535, "any" for 0; -1 unset (long) */
	SETTING_SECONDS,	/* 0 to 1e9 seconds (double) */
	SETTING_TIMEOUT,	/* seconds, above 0 (double) */
	SETTING_LIMIT,		/* a limit of limit.c: its setter's range */
};

struct setting;
typedef int	(*setting_set_cb)(const struct setting *,
		    struct daemon_config *, const char *, char **);

/* One configuration key. */
struct setting {
	const char	*name;
	enum setting_type type;
	const char	*kind;		/* what the value is, for the listing */
	size_t		 offset;	/* of its value in struct daemon_config */
	double		 min;		/* COUNT, PORT, a number: the range */
	double		 max;
	const char	*initial;	/* the default as text; NULL: none */
	setting_set_cb	 set;
	const char	*about;
};

static int	setting_text(const struct setting *, struct daemon_config *,
		    const char *, char **);
static int	setting_list(const struct setting *, struct daemon_config *,
		    const char *, char **);
static int	setting_role(const struct setting *, struct daemon_config *,
		    const char *, char **);
static int	setting_flag(const struct setting *, struct daemon_config *,
		    const char *, char **);
static int	setting_count(const struct setting *, struct daemon_config *,
		    const char *, char **);
static int	setting_port(const struct setting *, struct daemon_config *,
		    const char *, char **);
static int	setting_seconds(const struct setting *,
		    struct daemon_config *, const char *, char **);
static int	setting_timeout(const struct setting *,
		    struct daemon_config *, const char *, char **);
static int	setting_limit(const struct setting *, struct daemon_config *,
		    const char *, char **);

#define AT(member)	offsetof(struct daemon_config, member)

static const struct setting settings[] = {
	{ "role", SETTING_ROLE, "slave|master", AT(role), 0, 0, "slave",
	  setting_role, "slave: holds agents; master: starts slaves" },
	{ "listen", SETTING_TEXT, "host:port", AT(listen), 0, 0,
	  "127.0.0.1:7000", setting_text, "address to listen on (port 0: "
	  "any)" },
	{ "advertise", SETTING_TEXT, "host", AT(advertise), 0, 0, NULL,
	  setting_text, "host in agents' addresses (default: listen's)" },
	{ "key", SETTING_TEXT, "path", AT(key_path), 0, 0, NULL,
	  setting_text, "cluster key file every peer must prove" },
	{ "insecure", SETTING_FLAG, "yes|no", AT(insecure), 0, 0, "no",
	  setting_flag, "listen beyond loopback without a key" },
	{ "plugin", SETTING_LIST, "path", AT(plugins), 0, 0, NULL,
	  setting_list, "agent types to load (repeatable)" },
	{ "log_folder", SETTING_TEXT, "path", AT(log_folder), 0, 0, NULL,
	  setting_text, "folder of the environment's and agents' logs" },
	{ "metrics", SETTING_TEXT, "host:port", AT(metrics), 0, 0, NULL,
	  setting_text, "serve GET /metrics there" },
	{ "slaves", SETTING_COUNT, "count|auto", AT(slaves), 0,
	  CONFIG_SLAVES_MAX, "auto", setting_count,
	  "master: slaves to start (auto: one per core)" },
	{ "slave_ports", SETTING_PORT, "first|any", AT(slave_ports), 1, 65535,
	  NULL, setting_port, "master: slaves' first port (default: the "
	  "ports after listen's)" },
	{ "idle_exit", SETTING_SECONDS, "seconds", AT(idle_exit), 0, 0, "0",
	  setting_seconds, "stop after this long without a request (0: "
	  "never)" },
	{ "stop_grace", SETTING_SECONDS, "seconds", AT(stop_grace), 0, 0,
	  "10", setting_seconds, "master: wait for slaves to close" },
	{ "round_timeout", SETTING_TIMEOUT, "seconds", AT(round_timeout), 0,
	  0, "60", setting_timeout, "longest round (above 0)" },
	{ "max_line", SETTING_LIMIT, "size", AT(limits.max_line), 0, 0, NULL,
	  setting_limit, "longest request line" },
	{ "max_reply", SETTING_LIMIT, "size", AT(limits.max_reply), 0, 0, NULL,
	  setting_limit, "longest reply line taken from a peer" },
	{ "max_output", SETTING_LIMIT, "size", AT(limits.max_output), 0, 0,
	  NULL, setting_limit, "output queued for a client before its "
	  "reads stop" },
	{ "max_inflight", SETTING_LIMIT, "number", AT(limits.max_inflight), 1,
	  1000000, NULL, setting_limit, "requests in flight per connection" },
	{ "max_connections", SETTING_LIMIT, "number",
	  AT(limits.max_connections), 1, 1000000, NULL, setting_limit,
	  "connections at once" },
	{ "idle_timeout", SETTING_LIMIT, "seconds", AT(limits.idle_timeout), 0,
	  0, NULL, setting_limit, "close a connection this long idle (0: "
	  "never)" },
	{ "call_timeout", SETTING_LIMIT, "seconds", AT(limits.call_timeout), 0,
	  0, NULL, setting_limit, "longest call to another environment" },
};
#define SETTINGS_COUNT	(sizeof settings / sizeof settings[0])

/* Return where a setting's value lives in a configuration. */
static void *
setting_slot(const struct setting *setting, struct daemon_config *config)
{
	return ((char *)config + setting->offset);
}

/* A string, not empty, replacing the one before. */
static int
setting_text(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	char	**slot = setting_slot(setting, config);

	if (*value == '\0') {
		xasprintf(cause, "empty value");
		return (-1);
	}
	free(*slot);
	*slot = xstrdup(value);
	return (0);
}

/* A string added to the list (plugins). */
static int
setting_list(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	config->plugins = xreallocarray(config->plugins, config->nplugins + 1,
	    sizeof *config->plugins);
	config->plugins[config->nplugins++] = xstrdup(value);
	return (0);
}

/* The role: slave or master. */
static int
setting_role(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	if (strcmp(value, "slave") != 0 && strcmp(value, "master") != 0) {
		xasprintf(cause, "unknown role '%s' (slave or master)", value);
		return (-1);
	}
	return (setting_text(setting, config, value, cause));
}

/* yes or no. */
static int
setting_flag(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	int	*slot = setting_slot(setting, config);

	if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
		xasprintf(cause, "must be yes or no");
		return (-1);
	}
	*slot = strcmp(value, "yes") == 0;
	return (0);
}

/* A whole number in the setting's range, or "auto" for 0. */
static int
setting_count(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	unsigned long	*slot = setting_slot(setting, config);

	if (strcmp(value, "auto") == 0) {
		*slot = 0;
		return (0);
	}
	return (config_parse_count(value, (unsigned long)setting->min,
	    (unsigned long)setting->max, slot, cause));
}

/* A port in the setting's range, or "any" for 0. */
static int
setting_port(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	long		*slot = setting_slot(setting, config);
	unsigned long	 port;

	if (strcmp(value, "any") == 0) {
		*slot = 0;
		return (0);
	}
	if (config_parse_count(value, (unsigned long)setting->min,
	    (unsigned long)setting->max, &port, cause) != 0)
		return (-1);
	*slot = (long)port;
	return (0);
}

/* Seconds, 0 to 1e9. */
static int
setting_seconds(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	return (config_parse_seconds(value, setting_slot(setting, config),
	    cause));
}

/* Seconds above 0: a timeout. */
static int
setting_timeout(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	double	*slot = setting_slot(setting, config), seconds;

	if (config_parse_seconds(value, &seconds, cause) != 0)
		return (-1);
	if (seconds <= 0) {
		xasprintf(cause, "must be above 0");
		return (-1);
	}
	*slot = seconds;
	return (0);
}

/* A protocol limit, parsed by limit.c as clients' limits are. */
static int
setting_limit(const struct setting *setting, struct daemon_config *config,
    const char *value, char **cause)
{
	return (limit_set(&config->limits, setting->name, value, cause));
}

/* Return the setting named key, or NULL. */
static const struct setting *
settings_find(const char *key)
{
	size_t	 i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (strcmp(settings[i].name, key) == 0)
			return (&settings[i]);
	}
	return (NULL);
}

/*
 * Set one configuration key from its text: the callback of
 * config_parse_file() (arg is the struct daemon_config) and of -o.
 */
int
settings_set(const char *key, const char *value, void *arg, char **cause)
{
	struct daemon_config	*config = arg;
	const struct setting	*setting;

	if ((setting = settings_find(key)) != NULL)
		return (setting->set(setting, config, value, cause));
	if (extension_is_key(key)) {
		/* An extension's: given to it once the plugins are loaded. */
		config->extension_keys = xreallocarray(config->extension_keys,
		    config->nextension_keys + 1,
		    sizeof *config->extension_keys);
		xasprintf(&config->extension_keys[config->nextension_keys++],
		    "%s=%s", key, value);
		return (0);
	}
	xasprintf(cause, "unknown key");
	return (-1);
}

/* Fill a configuration with every key's default. */
void
settings_defaults(struct daemon_config *config)
{
	size_t	 i;
	char	*cause;

	memset(config, 0, sizeof *config);
	limit_default(&config->limits);
	config->slave_ports = -1;
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (settings[i].initial != NULL && settings[i].set(&settings[i],
		    config, settings[i].initial, &cause) != 0)
			fatalx("%s: default %s = %s: %s", __func__,
			    settings[i].name, settings[i].initial, cause);
	}
}

/* Free what settings_set() put in a configuration. */
void
settings_free(struct daemon_config *config)
{
	size_t	 i;

	for (i = 0; i < config->nplugins; i++)
		free(config->plugins[i]);
	free(config->plugins);
	for (i = 0; i < config->nextension_keys; i++)
		free(config->extension_keys[i]);
	free(config->extension_keys);
	free(config->role);
	free(config->listen);
	free(config->advertise);
	free(config->log_folder);
	free(config->metrics);
	free(config->key_path);
	auth_key_free(config->key);
	memset(config, 0, sizeof *config);
}

/* Write a size as the configuration takes it, 16M rather than 16777216. */
static void
settings_format_size(char *text, size_t size, size_t bytes)
{
	static const char	 units[] = "KMG";
	size_t			 i = 0;
	char			 unit = '\0';

	while (i < sizeof units - 1 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		unit = units[i++];
	}
	if (unit != '\0')
		snprintf(text, size, "%zu%c", bytes, unit);
	else
		snprintf(text, size, "%zu", bytes);
}

/* Write a setting's value in a configuration as text. */
static void
settings_format(const struct setting *setting, struct daemon_config *config,
    char *text, size_t size)
{
	void	*slot = setting_slot(setting, config);

	snprintf(text, size, "-");
	switch (setting->type) {
	case SETTING_TEXT:
	case SETTING_ROLE:
		if (*(char **)slot != NULL)
			snprintf(text, size, "%s", *(char **)slot);
		break;
	case SETTING_LIST:
		break;
	case SETTING_FLAG:
		snprintf(text, size, "%s", *(int *)slot ? "yes" : "no");
		break;
	case SETTING_COUNT:
		if (*(unsigned long *)slot == 0)
			snprintf(text, size, "auto");
		else
			snprintf(text, size, "%lu", *(unsigned long *)slot);
		break;
	case SETTING_PORT:
		if (*(long *)slot == 0)
			snprintf(text, size, "any");
		else if (*(long *)slot > 0)
			snprintf(text, size, "%ld", *(long *)slot);
		break;
	case SETTING_SECONDS:
	case SETTING_TIMEOUT:
		snprintf(text, size, "%g", *(double *)slot);
		break;
	case SETTING_LIMIT:
		if (strcmp(setting->kind, "size") == 0)
			settings_format_size(text, size, *(size_t *)slot);
		else if (strcmp(setting->kind, "seconds") == 0)
			snprintf(text, size, "%g", *(double *)slot);
		else
			snprintf(text, size, "%lu", *(unsigned long *)slot);
		break;
	}
}

/* List every key: its name, what it takes, its default and what it does. */
void
settings_print(FILE *out)
{
	struct daemon_config	 config;
	char			 kind[64], initial[64];
	size_t			 i;

	settings_defaults(&config);
	fprintf(out, "%-16s %-22s %-15s %s\n", "key", "value", "default",
	    "meaning");
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (settings[i].max > settings[i].min)
			snprintf(kind, sizeof kind, "%s %.0f-%.0f",
			    settings[i].kind, settings[i].min,
			    settings[i].max);
		else
			snprintf(kind, sizeof kind, "%s", settings[i].kind);
		settings_format(&settings[i], &config, initial,
		    sizeof initial);
		fprintf(out, "%-16s %-22s %-15s %s\n", settings[i].name, kind,
		    initial, settings[i].about);
	}
	settings_free(&config);
}

/* Return the name of the i-th key, or NULL past the last. */
const char *
settings_name(size_t i)
{
	return (i < SETTINGS_COUNT ? settings[i].name : NULL);
}
