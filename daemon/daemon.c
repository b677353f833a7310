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
 * An environment's whole life in the daemon's library: what creamasd's
 * main() and an in-process test do alike to set one up on an event base
 * and to free it all once it has stopped.
 */

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "creamasd.h"

#define DAEMON_MMAP_THRESHOLD	(32 * 1024 * 1024)	/* bytes */
#define DAEMON_TRIM_THRESHOLD	(64 * 1024 * 1024)

/*
 * Set up an environment of this configuration (which it keeps) on base:
 * the agent calls, the managing functions, the built-in agent types and
 * extensions.
 */
void
daemon_init(struct event_base *base, struct daemon_config *config)
{
#ifdef __GLIBC__
	/*
	 * Replies and batches of megabytes come and go: keep their memory
	 * in the heap for the next one instead of mapping and unmapping it
	 * (page faults on every reply); after bulk work the daemon gives it
	 * back itself (xmalloc_trim_later).
	 */
	mallopt(M_MMAP_THRESHOLD, DAEMON_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, DAEMON_TRIM_THRESHOLD);
#endif
	env_init(base, config);
	call_init();
	methods_init();
	builtin_register();
}

/* Free everything an environment holds, plugins last. */
void
daemon_free(void)
{
	metrics_free();
	env_free();
	stats_free();
	round_free_cache();
	checkpoint_free();
	types_free();
	methods_free();
	extension_free_all();
	plugin_unload_all();
}
