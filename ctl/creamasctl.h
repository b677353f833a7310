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

#ifndef CREAMASCTL_H
#define CREAMASCTL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"
#include "fanout.h"
#include "limit.h"
#include "remote.h"

#define CREAMASCTL_VERSION	"0.1.0"

#define CTL_TIMEOUT		60.0	/* seconds a step may take per node */
#define CTL_CONNECT_TIMEOUT	5.0	/* seconds a first answer may take */
#define CTL_NOT_CREAMASD	-32090	/* a peer that answered nothing */
#define CTL_EXIT_FAILURE	1	/* a node did not do what was asked */
#define CTL_EXIT_USAGE		2	/* bad command line or nodes file */

#define NODES_PORT		7000
#define NODES_SSH_PORT		22
#define NODES_IDLE_EXIT		3600.0
#define NODES_FILE_MAX		(1024 * 1024)

/* How a node's daemon is started by spawn. */
enum launch_kind {
	LAUNCH_SSH,		/* over SSH (libssh, ctl/remote.c) */
	LAUNCH_LOCAL,		/* fork/exec on this machine */
	LAUNCH_NONE,		/* started elsewhere: only attached to */
	LAUNCH_SLURM,		/* a job step of this allocation (srun) */
};

/* One line of the nodes file, with every default filled in. */
struct node {
	char		*name;		/* HOST:PORT, as in messages and -n */
	char		*user;		/* NULL: the current user */
	char		*host;
	uint16_t	 ssh_port;
	uint16_t	 port;		/* the node manager's JSON-RPC port */
	unsigned long	 slaves;	/* 0: one per core */
	enum launch_kind launch;
	char		*identity;	/* NULL: the agent and default keys */
	char		*command;	/* cmd= template; NULL: the default */
	double		 idle_exit;	/* seconds; 0: never */
	size_t		 line;		/* where it is in the file */
};

/* Every node of a nodes file, in file order. */
struct nodes {
	char		*file;
	struct node	*list;
	size_t		 count;
};

/* What the global options set, shared by every command. */
struct ctl_options {
	const char	*nodes_file;	/* NULL: the default places */
	int		 json;		/* -j: JSON lines for scripts */
	double		 timeout;	/* -t, else CTL_TIMEOUT */
	double		 connect_timeout; /* a first answer, else ... */
	int		 timeout_set;
	int		 verbose;
	int		 accept_new_host_keys;
	const char	*known_hosts;	/* NULL: ~/.ssh/known_hosts */
	char		*key_path;	/* -k: the cluster key, absolute */
	const char	**select;	/* -n NODE, repeatable */
	size_t		 nselect;
};

/*
 * A command's view of the cluster: the selected nodes, one connection to
 * each (made on first use), and what went wrong with each node.
 */
struct cluster {
	struct event_base	*base;
	const struct ctl_options *options;
	struct nodes		 nodes;
	struct node		**node;		/* the selected nodes */
	struct client		**client;	/* NULL until connected */
	char			**failure;	/* NULL while all is well */
	int			 *greeted;	/* it answered on this connection */
	size_t			 count;
	int			 width;		/* longest name, for columns */
	struct limits		 limits;
	int			 interrupted;	/* SIGINT or SIGTERM came */
	struct event		*signals[2];
	int			 progress_shown;
	const char		*call_label;	/* long calls show progress */
};

/*
 * A command: its name, what runs it with its own argv, and its options,
 * which come first where they clash with the global ones.
 */
struct ctl_command {
	const char	*name;
	int		 needs_nodes;
	int		(*run)(struct cluster *, int, char **);
	const char	*usage;
	const char	*short_options;
	const struct option *long_options;	/* NULL: none */
};

/* Each command's short options (long ones: its *_options table). */
#define GRID_SHORT_OPTIONS	"i:"
#define PLOT_SHORT_OPTIONS	"o:"
#define RUN_SHORT_OPTIONS	"a:n:r:w:"
#define STOP_SHORT_OPTIONS	"l:"
#define TOP_SHORT_OPTIONS	"d:n:"
#define TRIGGER_SHORT_OPTIONS	"a:n:r:"
#define WAIT_SHORT_OPTIONS	"t:"

/* creamasctl.c */
extern const struct ctl_command ctl_commands[];
extern const struct option grid_options[];
extern const struct option prepare_long_options[];
extern const struct option run_options[];
extern const struct option stop_options[];
extern const struct option trigger_options[];
void		 ctl_usage_command(const char *) __attribute__((noreturn));

/* nodes.c */
int		 nodes_parse_file(const char *, struct nodes *, char **);
int		 nodes_parse_buffer(const char *, const char *, size_t,
		    struct nodes *, char **);
int		 nodes_default_path(char **, char **);
int		 nodes_find(const struct nodes *, const char *, size_t *,
		    char **);
int		 nodes_is_local_host(const char *);
const char	*nodes_launch_name(enum launch_kind);
void		 nodes_free(struct nodes *);

/* checkpoint.c */
size_t		 checkpoint_cluster(struct cluster *, const char *, int);
int		 cmd_checkpoint(struct cluster *, int, char **);
int		 cmd_restore(struct cluster *, int, char **);

/* cluster.c */
void		 cluster_init(struct cluster *, const struct ctl_options *);
int		 cluster_select(struct cluster *, char **);
void		 cluster_free(struct cluster *);
void		 cluster_connect(struct cluster *, size_t);
void		 cluster_disconnect(struct cluster *, size_t);
struct fanout_reply *cluster_call(struct cluster *, const size_t *, size_t,
		    const char *, struct json_object **, double);
struct fanout_reply *cluster_call_all(struct cluster *, const char *,
		    struct json_object *, double);
struct fanout_reply *cluster_call_all_text(struct cluster *, const char *,
		    struct json_object *, double);
void		 cluster_replies_free(struct fanout_reply *, size_t);
void		 cluster_sleep(struct cluster *, double);
void		 cluster_sleep_until(struct cluster *, double, const int *);
void		 cluster_fail(struct cluster *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
size_t		 cluster_failures(const struct cluster *);
int		 cluster_exit_status(const struct cluster *);
void		 cluster_progress(struct cluster *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 cluster_progress_end(struct cluster *);
double		 ctl_now(void);
char		*ctl_error_text(const struct json_object *);
int		 ctl_json_parse(const char *, struct json_object **, char **);
void		 ctl_json_print(struct json_object *);
struct json_object *ctl_json_seconds(double);
struct json_object *ctl_json_node(const char *, const struct node *,
		    int);
void		 ctl_print_node(const struct cluster *, size_t, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
char		*ctl_format_seconds(double);
char		*ctl_node_path(const struct node *, const char *);
char		*ctl_node_log_folder(const struct cluster *, size_t,
		    const char *);

/* launch.c */
int		 cmd_spawn(struct cluster *, int, char **);
int		 launch_spawn(struct cluster *);
char		*launch_command(const struct node *, const char *,
		    const char *);
const char	*launch_creamasd_path(void);
char		*launch_quote(const char *);
#define LAUNCH_ARGV_MAX	16
void		 launch_default_argv(const struct node *, const char *,
		    const char *, int, char **);

/* slurm.c */
int		 slurm_nodes(int, char **);
int		 slurm_wanted(const char *, int, char **);
char		*slurm_command(const struct node *, const char *,
		    const char *);
void		 slurm_step(const struct node *, const char *, const char *,
		    const char *) __attribute__((noreturn));
extern const struct option nodes_options[];

/* wait.c */
int		 cmd_wait(struct cluster *, int, char **);
int		 cmd_keygen(struct cluster *, int, char **);
int		 wait_ready(struct cluster *, double);

/* trigger.c */
int		 cmd_trigger(struct cluster *, int, char **);
int		 trigger_rounds(struct cluster *, unsigned long,
		    struct json_object *, FILE *, const char *,
		    unsigned long);
int		 trigger_option(int, const char *, unsigned long,
		    unsigned long *, struct json_object **);

/* logs.c */
struct logs_node;
int		 cmd_logs(struct cluster *, int, char **);
struct logs_node *logs_query(struct cluster *);
int		 logs_prepare_stop(struct cluster *, struct logs_node *,
		    const char *);
int		 logs_fetch(struct cluster *, struct logs_node *, const char *);
void		 logs_free(struct logs_node *, size_t);

/* plot.c */
int		 cmd_plot(struct cluster *, int, char **);

/* timings.c */
FILE		*timings_open(const char *, char **);
void		 timings_round(FILE *, const char *, struct json_object *);
int		 timings_close(FILE *, const char *, char **);

/* query.c */
int		 cmd_status(struct cluster *, int, char **);
int		 cmd_agents(struct cluster *, int, char **);
int		 cmd_call(struct cluster *, int, char **);
int		 cmd_nodes(struct cluster *, int, char **);
char		*query_slaves_trouble(struct json_object *, int, size_t *);

/* stop.c */
int		 cmd_stop(struct cluster *, int, char **);
int		 stop_nodes(struct cluster *, const char *, const size_t *,
		    size_t);

/* prepare.c */
struct prepare_options {
	const char		*agents;	/* TYPE:N[:JSON] */
	const char		*connections;	/* random:K */
	const char		*log_folder;
	const char		*plan_file;
	const char		*grid;		/* WxH[:TYPE] */
	const char		*node_grid;	/* CxR */
	uint64_t		 seed;
	int			 seed_set;

	/* Parsed by prepare_check(). */
	char			*agent_type;
	unsigned long		 agent_count;
	struct json_object	*agent_params;
	unsigned long		 random_k;
	struct json_object	*plan;
	long			*plan_node;	/* a node index, -1 for all */
	char			*grid_type;	/* NULL: no --grid */
	unsigned long		 grid_width;	/* of the whole grid */
	unsigned long		 grid_height;
	unsigned long		 node_columns;
	unsigned long		 node_rows;
};
#define PREPARE_LONG_OPTIONS \
	{ "agents", required_argument, NULL, 'A' }, \
	{ "connections", required_argument, NULL, 'C' }, \
	{ "grid", required_argument, NULL, 'G' }, \
	{ "log-folder", required_argument, NULL, 'L' }, \
	{ "node-grid", required_argument, NULL, 'R' }, \
	{ "plan", required_argument, NULL, 'P' }, \
	{ "seed", required_argument, NULL, 'S' }
int		 cmd_prepare(struct cluster *, int, char **);
int		 prepare_option(struct prepare_options *, int, const char *);
int		 prepare_check(struct cluster *, struct prepare_options *,
		    char **);
int		 prepare_nodes(struct cluster *, struct prepare_options *);
void		 prepare_clear(struct prepare_options *);
size_t		 prepare_failures(struct cluster *, const size_t *, size_t,
		    const char *, struct fanout_reply *);
void		 prepare_report(struct cluster *, const char *, double,
		    struct json_object *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
struct json_object *prepare_fields(const char *, int64_t);

/* grid.c */
int		 grid_parse(struct cluster *, struct prepare_options *,
		    char **);
int		 grid_prepare(struct cluster *, const struct prepare_options *);
int		 cmd_grid(struct cluster *, int, char **);

/* top.c */
int		 cmd_top(struct cluster *, int, char **);

/* run.c */
int		 cmd_run(struct cluster *, int, char **);

#endif
