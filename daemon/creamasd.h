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

#ifndef CREAMASD_H
#define CREAMASD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "creamas/agent.h"
#include "creamas/env.h"
#include "addr.h"
#include "auth.h"
#include "client.h"
#include "fanout.h"
#include "jsonrpc.h"
#include "limit.h"
#include "server.h"
#include "valueruns.h"

#define CREAMASD_VERSION	"0.1.0"
#define STOP_GRACE		5.0	/* seconds to flush replies on stop */
#define AGENT_LOG_MAX		(1024 * 1024)
#define SPAWN_N_MAX		100000000	/* agents in one spawn_n */
#define ENV_LOG_PENDING_MAX	(1024 * 1024)

/* What the command line and the configuration file set. */
struct daemon_config {
	char		*role;
	char		*listen;
	char		*advertise;
	char		**plugins;
	size_t		 nplugins;
	char		**extension_keys;	/* NAME.KEY=VALUE */
	size_t		 nextension_keys;
	char		*log_folder;
	char		*metrics;	/* HOST:PORT to serve /metrics on */
	struct limits	 limits;
	double		 round_timeout;
	unsigned long	 slaves;	/* master: 0 means one per core */
	long		 slave_ports;	/* master: first port; 0 any; -1 port+1 */
	double		 idle_exit;	/* stop after this long idle; 0 never */
	double		 stop_grace;	/* master: wait for slaves to close */
	char		*key_path;	/* the cluster key file */
	struct auth_key	*key;
	int		 insecure;	/* listen beyond loopback, no key */
	int		 foreground;
	int		 syslog;
	int		 slave_of_master;
	int		 verbose;
};

enum slave_state {
	SLAVE_STARTING,
	SLAVE_READY,
	SLAVE_LOST,
	SLAVE_STOPPED,
};

/* One slave environment of a master. */
struct slave {
	size_t			 index;
	pid_t			 pid;
	uint16_t		 port;
	char			*address;	/* tcp://HOST:PORT/0 */
	struct client		*client;
	enum slave_state	 state;
	char			*reason;	/* why it was lost */
	int			 exited;
	int			 status;	/* from waitpid */
	int			 killed;	/* had to be signalled */
	uint64_t		 agents;	/* as far as the master knows */
	int			 stdin_fd;
	int			 stdout_fd;
};

/* The master of a node: its slaves and what it does with them. */
struct master {
	struct slave		*slaves;
	size_t			 nslaves;
	struct event		*sigchld;
	struct event		*stop_timer;
	struct event		*heartbeat;
	int			 stop_phase;
	struct request		*stop_request;
	uint64_t		 stop_started_us;
	struct json_object	*reports;
};

/* A fan-out of a master on behalf of one request. */
struct master_call {
	struct request		*request;
	struct json_object	*params;	/* kept for the combination */
	uint64_t		 start_us;
	size_t			 target;	/* a single slave's index */
	int			 text;		/* answers kept as text */
};

/* The rarely used parts of an agent, allocated on first use. */
struct agent_extra {
	struct json_object	*connections;	/* address -> data */
	struct evbuffer		*log;		/* lines before a folder */
	int			 log_started;	/* its file is begun */
};

/* An agent: its type, optional extras, its number and its state. */
struct cr_agent {
	const struct cr_agent_type *type;
	struct agent_extra	*extra;
	uint32_t		 id;
	max_align_t		 state[];
};

#define SAVEFILE_VERSION	2
#define SAVEFILE_SLAVE		1	/* an environment's checkpoint */
#define SAVEFILE_MASTER		2	/* a master's */

/* A checkpoint file being written (cr_checkpoint_write appends to it). */
struct savefile {
	char		*data;
	size_t		 length;
	size_t		 size;
	uint32_t	 kind;
};

/* What an agent's or extension's save callback writes to. */
struct cr_checkpoint {
	struct savefile	*file;
	char		*failure;	/* cr_checkpoint_fail()'s */
};

/* A checkpoint file read and checked, and where reading it has got. */
struct savefile_reader {
	char		*buffer;
	char		*path;
	const char	*at;
	size_t		 left;
	int		 short_read;	/* a read went past the end */
};

/* A request to a managing function, from a socket or from an agent. */
struct request {
	struct server_request	*server;
	const struct method	*method;	/* set by methods_dispatch */
	void			(*done)(struct json_object *,
				    struct json_object *, void *);
	void			*done_arg;
};

typedef void	(*method_fn)(struct request *, struct json_object *);
typedef int	(*method_check_fn)(struct json_object *,
		    struct json_object **);
/*
 * Writes item n of a list into a reply, or changes agent n (the list is
 * NULL then), with its listing's arg (listing.c); -1 without memory.
 */
typedef int	(*listing_item_cb)(struct evbuffer *, size_t, void *);

#define METHOD_MASTER_LOCAL	0x1	/* a master runs the slave handler */
#define METHOD_SLAVE_ONLY	0x2	/* a master refuses it */

/*
 * A managing function, built-in or from an extension: one entry of the
 * process's one table. A slave runs the slave handler (none: a master's
 * only); a master runs the master handler, or fans the call out to its
 * slaves and combines their answers by the rule (CR_COMBINE_*). Both
 * first check the params with check, when there is one, so that a
 * master refuses what a slave would, with the same error.
 */
struct method {
	const char		*name;
	const struct rpc_param	*params;
	method_fn		 slave;
	method_fn		 master;
	int			 combine;
	const char		*key;		/* CR_COMBINE_TOP: ranked by */
	int			 flags;
	const char		*owner;		/* NULL: built in */
	method_check_fn		 check;		/* NULL: the types only */
	const struct cr_method	*extension;	/* NULL: built in */
};

/* A trigger_all in progress. */
struct round {
	struct request		*request;
	uint64_t		 sequence;	/* unique, for its calls */
	uint64_t		 number;	/* what agents see */
	int			 given;		/* number came from the caller */
	int			 acting;
	int			 fetching;	/* round_prepare hooks awaited */
	size_t			 next;		/* the next agent to act */
	size_t			 end;		/* agents acting: [1, end) */
	struct event		*slice;		/* acts the next slice */
	struct json_object	*args;		/* for the agents' act */
	size_t			 pending;	/* agent calls unanswered */
	size_t			 calls;		/* agent calls started */
	size_t			 failed;
	struct evbuffer		*results;	/* as text; NULL unless asked */
	uint64_t		 nulls;		/* not yet written as results */
	int			 results_failed; /* memory ran out */
	int			 result_runs;	/* results written as runs */
	struct valueruns	 runs;		/* of the results so */
	struct json_object	*errors;
	uint64_t		 start_us;
	uint64_t		 act_us;	/* spent in the agents' act */
	struct event		*timer;
};

/* A round as extensions see it (<creamas/env.h>) is the round itself. */
static inline struct cr_round *
round_handle(struct round *round)
{
	return ((struct cr_round *)(void *)round);
}

/* The round of a handle given to an extension. */
static inline struct round *
round_of(struct cr_round *handle)
{
	return ((struct round *)(void *)handle);
}

/* The environment: one per process. */
struct env {
	struct event_base	*base;
	struct server		*server;
	struct daemon_config	*config;
	char			*host;		/* advertised */
	uint16_t		 port;
	char			*listen_host;
	uint16_t		 listen_port;	/* as asked: 0 for any */
	struct event		*idle_timer;
	struct event		*stdin_event;
	char			*prefix;	/* tcp://HOST:PORT/ */
	struct cr_agent		**agents;	/* [0] is NULL: the manager */
	size_t			 nagents;	/* counting the manager */
	size_t			 agents_size;
	size_t			 agents_ready;	/* bytes of it prefaulted */
	struct json_object	*artifacts;
	double			 time;
	char			*host_manager;
	char			*log_folder;
	FILE			*log_file;
	struct evbuffer		*log_pending;	/* lines before a folder */
	struct round		*round;
	uint64_t		 rounds;
	uint64_t		 last_round_us;
	uint64_t		 round_number;	/* of the round running or last */
	uint64_t		 started_us;
	int			 stopping;
	uint32_t		 random_state;
};

extern struct env	*env;
extern struct master	*master;

/* agent.c */
struct cr_agent	*agent_new(const struct cr_agent_type *, uint32_t);
size_t		 agent_slab_bytes(const struct cr_agent_type *);
void		 agent_free(struct cr_agent *);
void		 agent_free_slabs(void);
char		*agent_address(const struct cr_agent *);
size_t		 agent_address_bytes(void);
int		 agent_address_append(struct evbuffer *, uint32_t, int);
int		 agent_prefix_append(struct evbuffer *);
int		 agent_of_type(const struct cr_agent *, const char *);
struct evbuffer	*agent_runs(size_t, size_t, const char *);
struct agent_extra *agent_extra(struct cr_agent *);
void		 agent_close(struct cr_agent *, const char *);
char		*agent_take_failure(void);

/* agent_log.c */
void		 agent_log_folder_changed(void);
void		 agent_log_close(const struct cr_agent *);
void		 agent_log_close_all(void);

/* agent_methods.c */
int		 agent_dispatch(struct cr_agent *, const char *,
		    struct json_object *, struct json_object **,
		    struct json_object **);
struct json_object *agent_get_connections(struct cr_agent *, int);
int		 agent_connection_list_check(struct json_object *,
		    const char *, struct json_object **);
struct json_object *agent_connection_list_apply(struct cr_agent *,
		    struct json_object *);

/* builtin.c */
void		 builtin_register(void);

/* call.c */
void		 call_init(void);
int		 call_manager(const char *, const char *, struct json_object *,
		    cr_reply_fn, void *);
struct json_object *call_counts(void);
void		 call_free_all(void);
void		 call_round_unanswered(uint64_t, void (*)(const struct cr_agent *,
		    const char *, void *), void *);

/* checkpoint.c */
int		 checkpoint_write(const char *, uint64_t *, char **);
int		 checkpoint_restore(const char *, int, char **);
void		 checkpoint_method(struct request *, struct json_object *);
void		 checkpoint_round_ended(void);
void		 checkpoint_restore_method(struct request *,
		    struct json_object *);
void		 checkpoint_free(void);

/* daemon.c */
void		 daemon_init(struct event_base *, struct daemon_config *);
void		 daemon_free(void);

/* detach.c */
void		 detach_start(int, int);
void		 detach_ready(int, uint16_t);
void		 detach_fail(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

/* env.c */
void		 env_init(struct event_base *, struct daemon_config *);
int		 env_listen(char **);
int		 env_is_loopback(const char *);
struct cr_agent	*env_agent(size_t);
int		 env_names_this(const char *, const struct addr *,
		    struct json_object **);
int		 env_parse_agent_param(struct json_object *, struct addr *,
		    struct json_object **);
struct cr_agent	*env_find_agent(struct json_object *, struct json_object **);
int		 env_spawn(const char *, struct json_object *,
		    struct cr_agent **, struct json_object **);
void		 env_undo_agent(struct cr_agent *);
int		 env_reserve(size_t, struct json_object **);
void		 env_shrink(void);
struct json_object *env_memory_error(const char *, size_t);
int		 env_set_log_folder(const char *, char **);
void		 env_log(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 env_stop(const char *);
void		 env_stop_finish(void);
void		 env_touch(void);
void		 env_reopen_log(void);
void		 env_watch_stdin(void);
void		 env_free(void);
uint64_t	 env_now_us(void);
uint32_t	 env_random(uint32_t);

/* hostcache.c */
int		 hostcache_same(const char *, const char *, char **);

/* env_api.c */
void		 extension_run(struct request *, struct json_object *);

/* extension.c */
int		 extension_add(const struct cr_extension *, char **);
int		 extension_is_key(const char *);
int		 extension_configure(const char *, const char *, char **);
int		 extension_combine(const struct method *, struct json_object *,
		    const struct fanout_reply *, size_t, const char *const *,
		    struct json_object **, char **);
void		 extension_round_begin(uint64_t);
void		 extension_round_end(uint64_t);
void		 extension_agent_spawned(struct cr_agent *);
void		 extension_agent_removed(struct cr_agent *);
void		 extension_status(struct json_object *);
int		 extension_ready(void);
int		 extension_round_prepare(struct round *);
void		 extension_round_acted(uint64_t);
void		 extension_round_abandon(struct round *);
int		 extension_agent_spawning(const char *, struct json_object **);
void		 extension_close(void);
void		 extension_free_all(void);
int		 extension_save(struct savefile *, char **);
int		 extension_load(struct savefile_reader *, int, char **);
const char	*extension_has_state(void);
void		 extension_reset(void);

/* hold.c */
void		 hold_begin(void (*)(const char *));
void		 hold_end(void);
int		 hold_defer(struct request *, const char *,
		    struct json_object *);
void		 hold_abort(const char *);

/* listing.c */
void		 listing_start(struct request *, struct json_object *, size_t,
		    size_t, listing_item_cb, void *);
void		 listing_walk(struct request *, struct json_object *, size_t,
		    size_t, listing_item_cb, void *);

/* master.c */
struct json_object *master_failure(const struct fanout_reply *, size_t);
void		 master_fanout(struct master_call *, const char *,
		    struct json_object **, double, fanout_done_cb);
void		 master_fanout_all(struct master_call *, const char *,
		    struct json_object *, double, fanout_done_cb);
struct master_call *master_call_new(struct request *, struct json_object *);
struct json_object *master_params_with(struct json_object *, const char *,
		    struct json_object *);
void		 master_call_free(struct master_call *);
int		 master_start(char **);
void		 master_combine(struct request *, struct json_object *);
void		 master_route(struct request *, const char *,
		    struct json_object *);
void		 master_configure(struct request *, struct json_object *);
void		 master_create_connections(struct request *,
		    struct json_object *);
void		 master_create_random_connections(struct request *,
		    struct json_object *);
void		 master_get_slave_managers(struct request *,
		    struct json_object *);
void		 master_is_ready(struct request *, struct json_object *);
void		 master_report(struct request *, struct json_object *);
void		 master_set_host_managers(struct request *,
		    struct json_object *);
void		 master_set_log_folder(struct request *, struct json_object *);
void		 master_set_time(struct request *, struct json_object *);
void		 master_spawn(struct request *, struct json_object *);
void		 master_spawn_n(struct request *, struct json_object *);
void		 master_status(struct request *, struct json_object *);
void		 master_stop_method(struct request *, struct json_object *);
void		 master_trigger_act(struct request *, struct json_object *);
void		 master_trigger_all(struct request *, struct json_object *);
void		 master_stop(const char *);
void		 master_free(void);

/* master_agents.c */
void		 master_get_agents(struct request *, struct json_object *);
void		 master_agents_answer(struct master_call *,
		    struct fanout_reply *, size_t, uint64_t *);
void		 master_agents_abort(void);

/* master_checkpoint.c */
void		 master_checkpoint(struct request *, struct json_object *);
void		 master_restore(struct request *, struct json_object *);

/* metrics.c */
int		 metrics_start(char **);
uint16_t	 metrics_port(void);
void		 metrics_token(const struct auth_key *, char *);
void		 metrics_free(void);

/* metrics_text.c */
void		 metrics_text(struct json_object *, struct evbuffer *);

/* methods.c */
void		 methods_init(void);
int		 methods_register(const struct method *, size_t, char **);
const struct method *methods_find(const char *);
void		 methods_free(void);
int		 methods_check_random_n(int64_t, size_t,
		    struct json_object **);
void		 methods_dispatch(struct request *, const char *,
		    struct json_object *);
void		 methods_server_dispatch(struct server_request *,
		    const struct rpc_request *, void *);

/* plugin.c */
int		 plugin_load(const char *, char **);
void		 plugin_unload_all(void);

/* request.c */
struct request	*request_from_server(struct server_request *);
struct request	*request_local(void (*)(struct json_object *,
		    struct json_object *, void *), void *);
void		 request_reply(struct request *, struct json_object *);
void		 request_reply_text(struct request *, struct evbuffer *);
void		 request_reply_list(struct request *, struct evbuffer *, int);
struct evbuffer	*request_object_text(struct json_object *, const char *,
		    struct evbuffer *);
void		 request_error(struct request *, struct json_object *);

/* round.c */
int		 round_check_params(struct json_object *, double *,
		    struct json_object **);
void		 round_start(struct request *, struct json_object *);
void		 round_fetched(struct round *);
void		 round_error(struct round *, const struct cr_agent *, int,
		    const char *);
void		 round_call_started(void);
void		 round_call_done(uint64_t, const struct cr_agent *,
		    const struct json_object *);
void		 round_abort(const char *);
void		 round_free_cache(void);

/* savefile.c */
uint64_t	 savefile_sum(const void *, size_t);
void		 savefile_init(struct savefile *, uint32_t);
void		 savefile_free(struct savefile *);
void		*savefile_reserve(struct savefile *, size_t);
void		 savefile_put(struct savefile *, const void *, size_t);
void		 savefile_u32(struct savefile *, uint32_t);
void		 savefile_u64(struct savefile *, uint64_t);
void		 savefile_double(struct savefile *, double);
void		 savefile_string(struct savefile *, const char *);
void		 savefile_json(struct savefile *, struct json_object *);
int		 savefile_mkdir(const char *, char **);
int		 savefile_write(struct savefile *, const char *, const char *,
		    char **);
int		 savefile_read(const char *, const char *, uint32_t,
		    struct savefile_reader *, char **);
void		 savefile_reader_free(struct savefile_reader *);
const void	*savefile_get(struct savefile_reader *, size_t);
uint32_t	 savefile_get_u32(struct savefile_reader *);
uint64_t	 savefile_get_u64(struct savefile_reader *);
double		 savefile_get_double(struct savefile_reader *);
char		*savefile_get_string(struct savefile_reader *);
struct json_object *savefile_get_json(struct savefile_reader *);
int		 savefile_get_done(const struct savefile_reader *);

/* settings.c */
int		 settings_set(const char *, const char *, void *, char **);
void		 settings_defaults(struct daemon_config *);
void		 settings_free(struct daemon_config *);
void		 settings_print(FILE *);
const char	*settings_name(size_t);

/* slaves.c */
int		 slaves_start(const char *, long, char **);
void		 slaves_kill_all(void);
void		 slaves_signal_all(int);
void		 slaves_lost(struct slave *, const char *);
void		 slaves_reap(void);
int		 slaves_all_exited(void);
void		 slaves_signal_remaining(int);
void		 slaves_free(void);

/* spawn.c */
void		 spawn_start(struct request *, struct json_object *);

/* stats.c */
void		 stats_round_done(uint64_t, uint64_t);
void		 stats_request(const char *);
void		 stats_add_status(struct json_object *);
void		 stats_free(void);

/* status.c */
struct json_object *status_get(void);
size_t		 status_rss_bytes(void);

/* types.c */
int		 types_register(const struct cr_agent_type *, char **);
const struct cr_agent_type *types_find(const char *);
struct json_object *types_names(void);
void		 types_free(void);

#endif
