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
 * Coroutines on the daemon's event loop, without asyncio. self.call()
 * starts cr_agent_call() at once and returns a Call, an awaitable that
 * yields itself to whoever drives the coroutine while no answer has
 * come. task_run() drives a coroutine (an async act) with send() until
 * it ends or yields a Call; the Call keeps the coroutine, and the reply
 * callback, run by the event loop once the answer is in, resumes it.
 * The round stays open meanwhile, as for any call started in it.
 */

#include <stdlib.h>
#include <string.h>

#include "creamas_python.h"

/* A call of self.call(): under way, or answered. */
struct task_call {
	PyObject_HEAD
	int		 done;
	PyObject	*result;	/* the answer, when done */
	PyObject	*error;		/* or a CallError, when done */
	PyObject	*waiter;	/* the coroutine awaiting it */
};

/* Run coroutine until it ends or awaits a call under way. */
enum task_state {
	TASK_DONE,
	TASK_WAITING,
	TASK_ERROR,
};

static enum task_state	task_step(PyObject *, int, PyObject **);

/* Free a Call. */
static void
task_call_dealloc(PyObject *object)
{
	struct task_call	*call = (struct task_call *)object;

	PyObject_GC_UnTrack(object);
	Py_CLEAR(call->result);
	Py_CLEAR(call->error);
	Py_CLEAR(call->waiter);
	PyObject_GC_Del(object);
}

/* Visit what a Call holds, for the cycle collector. */
static int
task_call_traverse(PyObject *object, visitproc visit, void *arg)
{
	struct task_call	*call = (struct task_call *)object;

	Py_VISIT(call->result);
	Py_VISIT(call->error);
	Py_VISIT(call->waiter);
	return (0);
}

/* Drop what a Call holds, to break a cycle. */
static int
task_call_clear(PyObject *object)
{
	struct task_call	*call = (struct task_call *)object;

	Py_CLEAR(call->result);
	Py_CLEAR(call->error);
	Py_CLEAR(call->waiter);
	return (0);
}

/* await call: the Call is its own iterator. */
static PyObject *
task_call_await(PyObject *object)
{
	Py_INCREF(object);
	return (object);
}

/*
 * send() into a Call: while under way it yields itself; once answered it
 * returns the result or raises the CallError.
 */
static PySendResult
task_call_send(PyObject *object, PyObject *value, PyObject **result)
{
	struct task_call	*call = (struct task_call *)object;

	if (!call->done) {
		Py_INCREF(object);
		*result = object;
		return (PYGEN_NEXT);
	}
	if (call->error != NULL) {
		PyErr_SetObject((PyObject *)Py_TYPE(call->error), call->error);
		*result = NULL;
		return (PYGEN_ERROR);
	}
	Py_INCREF(call->result);
	*result = call->result;
	return (PYGEN_RETURN);
}

/* next() of a Call, for those who iterate it by hand. */
static PyObject *
task_call_next(PyObject *object)
{
	PyObject	*result, *stop;

	switch (task_call_send(object, Py_None, &result)) {
	case PYGEN_NEXT:
		return (result);
	case PYGEN_RETURN:
		if (result != Py_None &&
		    (stop = PyObject_CallOneArg(PyExc_StopIteration,
		    result)) != NULL) {
			PyErr_SetObject(PyExc_StopIteration, stop);
			Py_DECREF(stop);
		}
		Py_DECREF(result);
		return (NULL);
	default:
		return (NULL);
	}
}

static PyAsyncMethods task_call_async = {
	.am_await = task_call_await,
	.am_send = task_call_send,
};

PyTypeObject task_call_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "creamas_agent.Call",
	.tp_doc = "A call to an agent, to await.",
	.tp_basicsize = sizeof(struct task_call),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_dealloc = task_call_dealloc,
	.tp_traverse = task_call_traverse,
	.tp_clear = task_call_clear,
	.tp_as_async = &task_call_async,
	.tp_iter = PyObject_SelfIter,
	.tp_iternext = task_call_next,
};

/* Make the CallError of a JSON-RPC error object. */
static PyObject *
task_call_error(const struct json_object *borrowed)
{
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} error = { borrowed };
	struct json_object	*member;
	PyObject		*exception, *value;
	const char		*message = "error without a message";

	if (json_object_object_get_ex(error.plain, "message", &member))
		message = json_object_get_string(member);
	if ((exception = PyObject_CallFunction(module_call_error, "s",
	    message)) == NULL)
		return (NULL);
	value = PyLong_FromLong(json_object_object_get_ex(error.plain, "code",
	    &member) ? json_object_get_int(member) : 0);
	if (value == NULL || PyObject_SetAttrString(exception, "code",
	    value) != 0)
		goto fail;
	Py_DECREF(value);
	value = json_object_object_get_ex(error.plain, "data", &member) ?
	    convert_to_python(member) : Py_NewRef(Py_None);
	if (value == NULL || PyObject_SetAttrString(exception, "data",
	    value) != 0)
		goto fail;
	Py_DECREF(value);
	return (exception);

fail:
	Py_XDECREF(value);
	Py_DECREF(exception);
	return (NULL);
}

/* Take the exception set now as the Call's error. */
static void
task_call_fail(struct task_call *call)
{
	PyObject	*type, *value, *traceback;

	PyErr_Fetch(&type, &value, &traceback);
	PyErr_NormalizeException(&type, &value, &traceback);
	if (value != NULL && traceback != NULL)
		PyException_SetTraceback(value, traceback);
	call->error = value;
	Py_XDECREF(type);
	Py_XDECREF(traceback);
}

/* The answer to a call: keep it, and resume the coroutine awaiting it. */
static void
task_reply(struct cr_agent *agent, const struct json_object *result,
    const struct json_object *error, void *arg)
{
	struct task_call	*call = arg;
	PyObject		*waiter, *value;
	char			*text;

	call->done = 1;
	if (error != NULL) {
		if ((call->error = task_call_error(error)) == NULL)
			task_call_fail(call);
	} else if ((call->result = convert_to_python(result)) == NULL)
		task_call_fail(call);
	if ((waiter = call->waiter) != NULL) {
		call->waiter = NULL;
		watchdog_enter(agent);
		switch (task_step(waiter, 1, &value)) {
		case TASK_DONE:
			Py_DECREF(value);
			break;
		case TASK_WAITING:
			break;
		case TASK_ERROR:
			text = convert_error_text();
			agent_report_error(agent, text);
			free(text);
			break;
		}
		watchdog_leave();
		Py_DECREF(waiter);
	}
	Py_DECREF(call);	/* the reference the call held */
}

/*
 * self.call(address, method, **params): start the call and return its
 * Call; NULL with an exception if it cannot start.
 */
PyObject *
task_call_start(struct module_agent *self, const char *address,
    const char *method, PyObject *kwargs)
{
	struct task_call	*call;
	struct json_object	*params = NULL;

	if (kwargs != NULL && convert_to_json(kwargs, &params) != 0)
		return (NULL);
	if ((call = PyObject_GC_New(struct task_call, &task_call_type)) ==
	    NULL) {
		json_object_put(params);
		return (NULL);
	}
	call->done = 0;
	call->result = call->error = call->waiter = NULL;
	PyObject_GC_Track((PyObject *)call);
	Py_INCREF(call);	/* for the call, until the reply */
	if (cr_agent_call(self->agent, address, method, params, task_reply,
	    call) != 0) {
		Py_DECREF(call);
		Py_DECREF(call);
		PyErr_Format(PyExc_ValueError, "%s is not an agent address",
		    address);
		return (NULL);
	}
	return ((PyObject *)call);
}

/*
 * Close a coroutine that cannot go on and set the error why; keep the
 * exception of close() instead if it raises one.
 */
static enum task_state
task_abandon(PyObject *coroutine, PyObject *error, const char *format,
    PyObject *what)
{
	PyObject	*closed;

	if ((closed = PyObject_CallMethod(coroutine, "close", NULL)) == NULL)
		return (TASK_ERROR);
	Py_DECREF(closed);
	PyErr_Format(error, format, what);
	return (TASK_ERROR);
}

/*
 * Drive coroutine with send(None) until it returns (*value, a new
 * reference), raises, or awaits a Call under way: then, if may_wait,
 * the Call keeps the coroutine to resume it; if not, the coroutine is
 * closed and that is an error.
 */
static enum task_state
task_step(PyObject *coroutine, int may_wait, PyObject **value)
{
	struct task_call	*call;
	PyObject		*yielded;

	switch (PyIter_Send(coroutine, Py_None, &yielded)) {
	case PYGEN_RETURN:
		*value = yielded;
		return (TASK_DONE);
	case PYGEN_ERROR:
		return (TASK_ERROR);
	case PYGEN_NEXT:
		break;
	}
	if (Py_TYPE(yielded) != &task_call_type) {
		task_abandon(coroutine, PyExc_TypeError, "an agent awaits "
		    "self.call(...) only, not %R", yielded);
		Py_DECREF(yielded);
		return (TASK_ERROR);
	}
	call = (struct task_call *)yielded;
	if (!may_wait || call->waiter != NULL) {
		task_abandon(coroutine, PyExc_RuntimeError, may_wait ?
		    "%R is awaited twice" : "%R: an exposed method must "
		    "answer at once and cannot await a call", yielded);
		Py_DECREF(yielded);
		return (TASK_ERROR);
	}
	Py_INCREF(coroutine);
	call->waiter = coroutine;
	Py_DECREF(yielded);
	return (TASK_WAITING);
}

/*
 * What act or an exposed method returned, object (a new reference,
 * taken): a coroutine is run until it ends or awaits a call (if may_wait;
 * else that is an error). Return 0 with its value in *value, 1 if it
 * waits for a call (*value is None), -1 with an exception set.
 */
int
task_run(struct cr_agent *agent, PyObject *object, int may_wait,
    PyObject **value)
{
	enum task_state	 state;

	if (!PyCoro_CheckExact(object)) {
		*value = object;
		return (0);
	}
	state = task_step(object, may_wait, value);
	Py_DECREF(object);
	switch (state) {
	case TASK_DONE:
		return (0);
	case TASK_WAITING:
		*value = Py_NewRef(Py_None);
		return (1);
	default:
		*value = NULL;
		return (-1);
	}
}
