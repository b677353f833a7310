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
 * The watchdog: a Python callback (act, an exposed method, the rest of
 * a coroutine) that runs longer than the act limit is stopped with
 * creamas_agent.ActTimeout. The daemon's thread marks each entry into
 * Python with two relaxed atomic stores; a thread of our own looks at
 * them every tick and, when one entry has lasted past the limit, sends
 * the daemon's thread SIGURG, for which Python's own signal handler is
 * installed with ours as its Python-level handler: the interpreter runs
 * it in the daemon's thread at the next bytecode boundary, and it raises
 * ActTimeout there if that entry still runs. (Py_AddPendingCall() from
 * another thread would not wake a busy interpreter in CPython 3.11.)
 * The signal comes again every tick if the code catches the exception.
 * Code blocked inside a C call (time.sleep, a socket read) sees it only
 * when that call returns; SIGURG is otherwise ignored, as by default.
 */

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "creamas_python.h"

#define WATCHDOG_SIGNAL		SIGURG
#define WATCHDOG_TICK_MAX	0.1	/* seconds between looks, at most */

static pthread_t	 watchdog_thread;
static pthread_t	 watchdog_target_thread;	/* the daemon's */
static pthread_mutex_t	 watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 watchdog_wake;
static int		 watchdog_running;
static int		 watchdog_stopping;
static double		 watchdog_limit;
static _Atomic uint64_t	 watchdog_entries;	/* entries so far */
static _Atomic uint64_t	 watchdog_overdue;	/* the one to stop */
static _Atomic int	 watchdog_busy;		/* in Python now */
static struct cr_agent	*watchdog_agent;	/* whose code */
static uint64_t		 watchdog_raised;	/* ActTimeouts */

/* Return CLOCK_MONOTONIC in seconds. */
static double
watchdog_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * The Python handler of the signal, in the daemon's thread between two
 * bytecodes: raise ActTimeout if the overdue entry is still running.
 */
static PyObject *
watchdog_handler(PyObject *module, PyObject *args)
{
	char	 address[CR_ADDRESS_MAX] = "an agent";
	char	 message[CR_ADDRESS_MAX + 64];

	if (!atomic_load_explicit(&watchdog_busy, memory_order_relaxed) ||
	    atomic_load_explicit(&watchdog_entries, memory_order_relaxed) !=
	    atomic_load_explicit(&watchdog_overdue, memory_order_relaxed))
		Py_RETURN_NONE;
	if (watchdog_agent != NULL)
		cr_agent_address(watchdog_agent, address, sizeof address);
	snprintf(message, sizeof message, "%s ran for more than %g s (an "
	    "endless loop?)", address, watchdog_limit);
	PyErr_SetString(module_act_timeout, message);
	watchdog_raised++;
	return (NULL);
}

static PyMethodDef watchdog_handler_method = {
	"_act_timeout", watchdog_handler, METH_VARARGS,
	"raise ActTimeout in an overdue agent"
};

/* The watchdog's thread: look every tick; signal when one is overdue. */
static void *
watchdog_main(void *arg)
{
	struct timespec	 until;
	sigset_t	 all;
	double		 tick, since = 0, asked = 0, now;
	uint64_t	 seen = 0, entries;

	/* Every signal is for the daemon's thread, none for this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&watchdog_lock);
	while (!watchdog_stopping) {
		tick = watchdog_limit / 10 < WATCHDOG_TICK_MAX ?
		    watchdog_limit / 10 : WATCHDOG_TICK_MAX;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)(tick * 1e9);
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&watchdog_wake, &watchdog_lock, &until);
		if (watchdog_stopping)
			break;
		now = watchdog_now();
		entries = atomic_load_explicit(&watchdog_entries,
		    memory_order_relaxed);
		if (!atomic_load_explicit(&watchdog_busy,
		    memory_order_relaxed) || entries != seen) {
			seen = entries;
			since = now;
			asked = 0;
			continue;
		}
		if (now - since < watchdog_limit || now - asked < tick)
			continue;
		atomic_store_explicit(&watchdog_overdue, entries,
		    memory_order_relaxed);
		pthread_kill(watchdog_target_thread, WATCHDOG_SIGNAL);
		asked = now;
	}
	pthread_mutex_unlock(&watchdog_lock);
	return (NULL);
}

/* signal.signal(WATCHDOG_SIGNAL, handler), from the daemon's thread. */
static int
watchdog_install(void)
{
	PyObject	*signal_module, *handler, *old;

	if ((signal_module = PyImport_ImportModule("signal")) == NULL)
		return (-1);
	if ((handler = PyCFunction_New(&watchdog_handler_method, NULL)) ==
	    NULL) {
		Py_DECREF(signal_module);
		return (-1);
	}
	old = PyObject_CallMethod(signal_module, "signal", "iO",
	    WATCHDOG_SIGNAL, handler);
	Py_DECREF(handler);
	Py_DECREF(signal_module);
	if (old == NULL)
		return (-1);
	Py_DECREF(old);
	return (0);
}

/* Start the watchdog with a limit of limit seconds. */
int
watchdog_start(double limit, char **cause)
{
	pthread_condattr_t	 attr;
	int			 error;

	if (watchdog_install() != 0) {
		*cause = convert_error_text();
		return (-1);
	}
	watchdog_limit = limit;
	watchdog_stopping = 0;
	watchdog_target_thread = pthread_self();
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&watchdog_wake, &attr);
	pthread_condattr_destroy(&attr);
	if ((error = pthread_create(&watchdog_thread, NULL, watchdog_main,
	    NULL)) != 0) {
		if (asprintf(cause, "watchdog: %s", strerror(error)) == -1)
			*cause = NULL;
		pthread_cond_destroy(&watchdog_wake);
		return (-1);
	}
	watchdog_running = 1;
	return (0);
}
/* Stop the watchdog's thread and wait for it. */
void
watchdog_stop(void)
{
	if (!watchdog_running)
		return;
	pthread_mutex_lock(&watchdog_lock);
	watchdog_stopping = 1;
	pthread_cond_signal(&watchdog_wake);
	pthread_mutex_unlock(&watchdog_lock);
	pthread_join(watchdog_thread, NULL);
	pthread_cond_destroy(&watchdog_wake);
	watchdog_running = 0;
}

/* Set the limit, seconds (python.act_limit given while running). */
void
watchdog_set_limit(double limit)
{
	pthread_mutex_lock(&watchdog_lock);
	watchdog_limit = limit;
	if (watchdog_running)
		pthread_cond_signal(&watchdog_wake);
	pthread_mutex_unlock(&watchdog_lock);
}

/* Return how many times ActTimeout was raised. */
uint64_t
watchdog_timeouts(void)
{
	return (watchdog_raised);
}

/* The daemon's thread enters Python for agent. */
void
watchdog_enter(struct cr_agent *agent)
{
	watchdog_agent = agent;
	/* Only this thread writes the count: a plain store will do. */
	atomic_store_explicit(&watchdog_entries, atomic_load_explicit(
	    &watchdog_entries, memory_order_relaxed) + 1,
	    memory_order_relaxed);
	atomic_store_explicit(&watchdog_busy, 1, memory_order_relaxed);
}

/* The daemon's thread is back from Python. */
void
watchdog_leave(void)
{
	atomic_store_explicit(&watchdog_busy, 0, memory_order_relaxed);
}
