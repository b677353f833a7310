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

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Agents' logs: each line, prefixed with the number of the round running
 * (or last run), goes to FOLDER/agent_PORT_N.log as it is written, once
 * the environment has a log folder. Until then lines are kept, up to
 * AGENT_LOG_MAX bytes per agent, and written when a folder is set. A few
 * files stay open (AGENT_LOG_FILES, by agent number) so that agents that
 * log every round cost a write each, not an open.
 */

#define AGENT_LOG_FILES		64

static struct {
	uint32_t	 id;
	int		 fd;		/* -1: none */
}			 agent_log_files[AGENT_LOG_FILES];
static int		 agent_log_ready;

/* Mark every cached file closed (the first time). */
static void
agent_log_init(void)
{
	size_t	 i;

	if (agent_log_ready)
		return;
	for (i = 0; i < AGENT_LOG_FILES; i++)
		agent_log_files[i].fd = -1;
	agent_log_ready = 1;
}

/* Close the cached file of a slot. */
static void
agent_log_close_slot(size_t slot)
{
	if (agent_log_files[slot].fd == -1)
		return;
	if (close(agent_log_files[slot].fd) != 0)
		log_warn("%s: agent %u", __func__, agent_log_files[slot].id);
	agent_log_files[slot].fd = -1;
}

/*
 * Return the agent's log file in the folder, opened if need be: emptied
 * the first time in this folder, appended to after; -1 if it fails.
 */
static int
agent_log_fd(struct cr_agent *agent)
{
	struct agent_extra	*extra = agent_extra(agent);
	size_t			 slot = agent->id % AGENT_LOG_FILES;
	char			*path;
	int			 fd, flags;

	agent_log_init();
	if (agent_log_files[slot].fd != -1 &&
	    agent_log_files[slot].id == agent->id)
		return (agent_log_files[slot].fd);
	agent_log_close_slot(slot);
	flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
	if (!extra->log_started)
		flags |= O_TRUNC;
	xasprintf(&path, "%s/agent_%u_%u.log", env->log_folder, env->port,
	    agent->id);
	if ((fd = open(path, flags, 0644)) == -1)
		log_warn("%s: %s", __func__, path);
	else {
		extra->log_started = 1;
		agent_log_files[slot].id = agent->id;
		agent_log_files[slot].fd = fd;
	}
	free(path);
	return (fd);
}

/* Write bytes to the agent's file, all of them. */
static void
agent_log_write(struct cr_agent *agent, const char *text, size_t length)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = agent_log_fd(agent)) == -1)
		return;
	while (length > 0) {
		if ((n = write(fd, text, length)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: agent %u", __func__, agent->id);
			return;
		}
		text += n;
		length -= (size_t)n;
	}
}

/* Write out what an agent logged before there was a folder. */
static void
agent_log_flush(struct cr_agent *agent)
{
	struct evbuffer	*pending = agent->extra->log;

	agent_log_write(agent, (const char *)evbuffer_pullup(pending, -1),
	    evbuffer_get_length(pending));
	evbuffer_free(pending);
	agent->extra->log = NULL;
}

/* Add a line to the agent's log; see creamas_agent(3). */
void
cr_agent_log(struct cr_agent *agent, const char *fmt, ...)
{
	struct agent_extra	*extra = agent_extra(agent);
	va_list			 ap;
	char			*text, *line;
	int			 length;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	length = xasprintf(&line, "round %llu: %s\n",
	    (unsigned long long)env->round_number, text);
	free(text);
	if (env->log_folder != NULL) {
		if (extra->log != NULL)
			agent_log_flush(agent);
		agent_log_write(agent, line, (size_t)length);
	} else {
		if (extra->log == NULL)
			extra->log = evbuffer_new();
		if (evbuffer_get_length(extra->log) < AGENT_LOG_MAX) {
			evbuffer_add(extra->log, line, (size_t)length);
			if (evbuffer_get_length(extra->log) >= AGENT_LOG_MAX)
				evbuffer_add_printf(extra->log, "(log "
				    "truncated at %d bytes: no log folder yet)"
				    "\n", AGENT_LOG_MAX);
		}
	}
	free(line);
}

/*
 * The environment's log folder changed: start every agent's file afresh
 * there and write out what was kept for want of a folder.
 */
void
agent_log_folder_changed(void)
{
	struct cr_agent	*agent;
	size_t		 i;

	agent_log_close_all();
	for (i = 1; i < env->nagents; i++) {
		if ((agent = env->agents[i]) == NULL || agent->extra == NULL)
			continue;
		agent->extra->log_started = 0;
		if (agent->extra->log != NULL)
			agent_log_flush(agent);
	}
}

/* The agent closes: close its file if it is open. */
void
agent_log_close(const struct cr_agent *agent)
{
	size_t	 slot = agent->id % AGENT_LOG_FILES;

	if (agent_log_ready && agent_log_files[slot].fd != -1 &&
	    agent_log_files[slot].id == agent->id)
		agent_log_close_slot(slot);
}

/* Close every open agent log file. */
void
agent_log_close_all(void)
{
	size_t	 i;

	agent_log_init();
	for (i = 0; i < AGENT_LOG_FILES; i++)
		agent_log_close_slot(i);
}
