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
 * The agent type "python": spawned with {"class": "module.Class"}, it
 * makes an object of that creamas_agent.Agent subclass, with the other
 * members of the spawn's params as keyword arguments; act and the
 * methods marked with @creamas_agent.expose run its Python code. A
 * Python exception is the agent's error, as text, never the daemon's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamas_python.h"

/*
 * The method an agent calls on itself to put an exception raised after
 * an await into the round's errors: the act has returned by then.
 */
#define AGENT_ERROR_METHOD	"act_after_await"

/* The state of a python agent. */
struct agent_state {
	PyObject	*self;		/* its creamas_agent.Agent */
};

/* A round's args as act's arguments, made once for all its agents. */
static struct json_object	*agent_args_json;	/* held: the key */
static PyObject			*agent_args;		/* a tuple */
static PyObject			*agent_kwargs;		/* dict or NULL */
static PyObject			*agent_act_name;	/* "act" */

/* Store text (or a word, if there is none) as a callback's *result. */
static int
agent_fail_text(struct json_object **result, const char *text)
{
	*result = json_object_new_string(text != NULL ? text :
	    "Python error");
	return (CR_ERROR);
}

/*
 * Put an exception raised after an await, text, into the agent's log and
 * into the round's errors, by a call to itself that fails with it.
 */
void
agent_report_error(struct cr_agent *agent, const char *text)
{
	struct json_object	*params;
	char			 address[CR_ADDRESS_MAX];

	if (text == NULL)
		text = "Python error";
	cr_agent_log(agent, "%s", text);
	cr_agent_address(agent, address, sizeof address);
	params = json_object_new_object();
	json_object_object_add(params, "message",
	    json_object_new_string(text));
	cr_agent_call(agent, address, AGENT_ERROR_METHOD, params, NULL, NULL);
}

/* Split JSON params into Python args and kwargs, new references. */
static int
agent_arguments(const struct json_object *json, PyObject **args,
    PyObject **kwargs)
{
	PyObject	*value;

	*args = *kwargs = NULL;
	if (json == NULL)
		return ((*args = PyTuple_New(0)) == NULL ? -1 : 0);
	if ((value = convert_to_python(json)) == NULL)
		return (-1);
	if (PyDict_Check(value)) {
		*kwargs = value;
		*args = PyTuple_New(0);
	} else if (PyList_Check(value)) {
		*args = PyList_AsTuple(value);
		Py_DECREF(value);
	} else {
		*args = PyTuple_Pack(1, value);
		Py_DECREF(value);
	}
	if (*args == NULL) {
		Py_CLEAR(*kwargs);
		return (-1);
	}
	return (0);
}

/* Forget the round's args made for act. */
static void
agent_args_forget(void)
{
	json_object_put(agent_args_json);
	agent_args_json = NULL;
	Py_CLEAR(agent_args);
	Py_CLEAR(agent_kwargs);
}

/*
 * The Python arguments of act for args: made once per round, the JSON
 * held so that its address stays its own while it is the key.
 */
static int
agent_act_arguments(const struct json_object *borrowed)
{
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} args = { borrowed };

	if (args.plain == agent_args_json)
		return (0);
	agent_args_forget();
	if (agent_arguments(args.plain, &agent_args, &agent_kwargs) != 0)
		return (-1);
	agent_args_json = json_object_get(args.plain);
	return (0);
}

/* Find the class of "module.Class" (a new reference). */
static PyObject *
agent_class(const char *name)
{
	PyObject	*module, *cls;
	const char	*dot;
	char		*module_name;

	if ((dot = strrchr(name, '.')) == NULL || dot == name ||
	    dot[1] == '\0') {
		PyErr_Format(PyExc_ValueError, "class must be \"module.Class"
		    "\", not \"%s\"", name);
		return (NULL);
	}
	if ((module_name = strndup(name, (size_t)(dot - name))) == NULL)
		return (PyErr_NoMemory());
	module = PyImport_ImportModule(module_name);
	free(module_name);
	if (module == NULL)
		return (NULL);
	cls = PyObject_GetAttrString(module, dot + 1);
	Py_DECREF(module);
	return (cls);
}

/* Make the agent's object from the spawn's params. */
static PyObject *
agent_object(struct cr_agent *agent, struct json_object *params,
    const char *name)
{
	PyObject	*cls = NULL, *args = NULL, *kwargs = NULL, *object;
	struct json_object	*path;
	char		*cause;

	if (json_object_object_get_ex(params, "path", &path)) {
		if ((args = convert_to_python(path)) == NULL)
			return (NULL);
		if (interp_add_path(args, &cause) != 0) {
			Py_DECREF(args);
			PyErr_SetString(PyExc_ValueError, cause);
			free(cause);
			return (NULL);
		}
		Py_CLEAR(args);
	}
	if ((cls = agent_class(name)) == NULL ||
	    agent_arguments(params, &args, &kwargs) != 0)
		goto fail;
	if (PyDict_DelItemString(kwargs, "class") != 0 ||
	    (PyDict_GetItemString(kwargs, "path") != NULL &&
	    PyDict_DelItemString(kwargs, "path") != 0))
		goto fail;
	Py_CLEAR(args);
	if ((args = PyTuple_New(0)) == NULL)
		goto fail;
	object = module_new_agent(cls, agent, args, kwargs);
	Py_DECREF(cls);
	Py_DECREF(args);
	Py_DECREF(kwargs);
	return (object);

fail:
	Py_XDECREF(cls);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
	return (NULL);
}

/*
 * Start the interpreter if need be and enter it for the agent: 0, or -1
 * with the agent failed saying why.
 */
static int
agent_enter(struct cr_agent *agent)
{
	char	*cause;

	if (interp_start(&cause) != 0) {
		cr_agent_fail(agent, "%s", cause != NULL ? cause :
		    "cannot start Python");
		free(cause);
		return (-1);
	}
	watchdog_enter(agent);
	if (agent_act_name == NULL)
		agent_act_name = PyUnicode_InternFromString("act");
	return (0);
}

/*
 * Leave the interpreter with the agent's object made, self (taken), or
 * NULL when Python raised: CR_OK, or CR_ERROR with the agent failed by
 * the exception.
 */
static int
agent_leave_made(struct cr_agent *agent, PyObject *self)
{
	struct agent_state	*state = cr_agent_state(agent);
	char			*cause;

	if ((state->self = self) == NULL) {
		cause = convert_error_text();
		cr_agent_fail(agent, "%s", cause != NULL ? cause :
		    "Python error");
		free(cause);
	}
	watchdog_leave();
	return (self == NULL ? CR_ERROR : CR_OK);
}

/* python: start the interpreter if need be and make the agent's object. */
static int
agent_init(struct cr_agent *agent, const struct json_object *borrowed)
{
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} params = { borrowed };
	struct json_object	*name;

	if (params.plain == NULL || !json_object_is_type(params.plain,
	    json_type_object) || !json_object_object_get_ex(params.plain,
	    "class", &name) || !json_object_is_type(name, json_type_string)) {
		cr_agent_fail(agent, "params need \"class\": "
		    "\"module.Class\"");
		return (CR_BAD_PARAMS);
	}
	if (agent_enter(agent) != 0)
		return (CR_ERROR);
	return (agent_leave_made(agent, agent_act_name == NULL ? NULL :
	    agent_object(agent, params.plain, json_object_get_string(name))));
}

/* Convert what Python code gave, value (taken), into *result. */
static int
agent_result(PyObject *value, struct json_object **result)
{
	int	 rc;

	rc = convert_to_json(value, result);
	Py_DECREF(value);
	return (rc);
}

/* The exception set now as the callback's error, in the agent's log too. */
static int
agent_python_error(struct cr_agent *agent, struct json_object **result)
{
	char	*text;

	text = convert_error_text();
	cr_agent_log(agent, "%s", text != NULL ? text : "Python error");
	agent_fail_text(result, text);
	free(text);
	return (CR_ERROR);
}

/*
 * End an act or a call that Python answered with value (NULL: it
 * raised): run a coroutine until it ends or, when may_await, awaits a
 * call; turn the answer into JSON, or the exception into the agent's
 * error; then leave the watchdog.
 */
static int
agent_finish(struct cr_agent *agent, PyObject *value, int may_await,
    struct json_object **result)
{
	int	 rc = CR_OK;

	if (value == NULL || task_run(agent, value, may_await, &value) < 0 ||
	    agent_result(value, result) != 0)
		rc = agent_python_error(agent, result);
	watchdog_leave();
	return (rc);
}

/*
 * python: self.act(*args, **kwargs), the round's args as the arguments;
 * an async act runs until its first await of a call under way, and goes
 * on as the answers come.
 */
static int
agent_act(struct cr_agent *agent, const struct json_object *args,
    struct json_object **result)
{
	struct agent_state	*state = cr_agent_state(agent);
	PyObject		*stack[2] = { NULL, state->self };
	PyObject		*method, *value;

	watchdog_enter(agent);
	if (args == NULL)
		value = PyObject_VectorcallMethod(agent_act_name, stack + 1,
		    1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	else if (agent_act_arguments(args) != 0 || (method =
	    PyObject_GetAttr(state->self, agent_act_name)) == NULL)
		value = NULL;
	else {
		value = PyObject_Call(method, agent_args, agent_kwargs);
		Py_DECREF(method);
	}
	return (agent_finish(agent, value, 1, result));
}

/*
 * python: a method marked with @expose, the params as its arguments;
 * it answers at once, so it may not await a call under way.
 */
static int
agent_call(struct cr_agent *agent, const char *name,
    const struct json_object *params, struct json_object **result)
{
	struct agent_state	*state = cr_agent_state(agent);
	struct json_object	*message;
	PyObject		*method, *args, *kwargs, *value;

	if (strcmp(name, AGENT_ERROR_METHOD) == 0) {
		if (json_object_object_get_ex(params, "message", &message))
			*result = json_object_get(message);
		return (CR_ERROR);
	}
	watchdog_enter(agent);
	if ((method = PyObject_GetAttrString(state->self, name)) == NULL ||
	    !PyCallable_Check(method) || !module_is_exposed(method)) {
		PyErr_Clear();
		Py_XDECREF(method);
		watchdog_leave();
		return (CR_NO_METHOD);
	}
	if (agent_arguments(params, &args, &kwargs) != 0)
		value = NULL;
	else {
		value = PyObject_Call(method, args, kwargs);
		Py_DECREF(args);
		Py_XDECREF(kwargs);
	}
	Py_DECREF(method);
	return (agent_finish(agent, value, 0, result));
}

/* python: self.close(folder), then the object is the agent's no more. */
static void
agent_close(struct cr_agent *agent, const char *log_folder)
{
	struct agent_state	*state = cr_agent_state(agent);
	PyObject		*value;
	char			*text;

	watchdog_enter(agent);
	value = PyObject_CallMethod(state->self, "close", "z", log_folder);
	if (value == NULL) {
		text = convert_error_text();
		cr_agent_log(agent, "close: %s", text != NULL ? text :
		    "Python error");
		free(text);
	}
	Py_XDECREF(value);
	((struct module_agent *)state->self)->agent = NULL;
	Py_CLEAR(state->self);
	agent_args_forget();
	watchdog_leave();
}

/*
 * The pickled (module.Class, sys.path, attributes) of an agent: what its
 * checkpoint keeps. A new reference, or NULL with an exception.
 */
static PyObject *
agent_pickle(PyObject *self)
{
	PyObject	*pickle, *attributes, *saved, *bytes = NULL;
	PyObject	*type = (PyObject *)Py_TYPE(self);

	if ((pickle = PyImport_ImportModule("pickle")) == NULL)
		return (NULL);
	if ((attributes = PyObject_GenericGetDict(self, NULL)) == NULL) {
		Py_DECREF(pickle);
		return (NULL);
	}
	saved = Py_BuildValue("(NNOO)", PyObject_GetAttrString(type,
	    "__module__"), PyObject_GetAttrString(type, "__qualname__"),
	    PySys_GetObject("path"), attributes);
	if (saved != NULL)
		bytes = PyObject_CallMethod(pickle, "dumps", "(O)", saved);
	Py_XDECREF(saved);
	Py_DECREF(attributes);
	Py_DECREF(pickle);
	return (bytes);
}

/*
 * python: a checkpoint keeps the agent's class and its attributes
 * (__dict__), pickled, with sys.path to find the class again.
 */
static int
agent_save(struct cr_agent *agent, struct cr_checkpoint *checkpoint)
{
	struct agent_state	*state = cr_agent_state(agent);
	PyObject		*bytes;
	char			*text;

	watchdog_enter(agent);
	if ((bytes = agent_pickle(state->self)) == NULL ||
	    !PyBytes_Check(bytes)) {
		text = convert_error_text();
		cr_agent_fail(agent, "%s", text != NULL ? text :
		    "Python error");
		free(text);
		Py_XDECREF(bytes);
		watchdog_leave();
		return (CR_ERROR);
	}
	cr_checkpoint_write(checkpoint, PyBytes_AS_STRING(bytes),
	    (size_t)PyBytes_GET_SIZE(bytes));
	Py_DECREF(bytes);
	watchdog_leave();
	return (CR_OK);
}

/* Make the agent's object again from what agent_pickle made. */
static PyObject *
agent_unpickle(struct cr_agent *agent, const void *data, size_t size)
{
	PyObject	*pickle, *saved = NULL, *cls = NULL, *object = NULL;
	PyObject	*module, *qualname, *path, *attributes, *dict;
	char		*name = NULL, *cause;

	if ((pickle = PyImport_ImportModule("pickle")) == NULL)
		return (NULL);
	saved = PyObject_CallMethod(pickle, "loads", "y#", (const char *)data,
	    (Py_ssize_t)size);
	Py_DECREF(pickle);
	if (saved == NULL || !PyArg_ParseTuple(saved, "UUOO!", &module,
	    &qualname, &path, &PyDict_Type, &attributes))
		goto fail;
	if (interp_add_path(path, &cause) != 0) {
		PyErr_SetString(PyExc_ValueError, cause);
		free(cause);
		goto fail;
	}
	if (asprintf(&name, "%s.%s", PyUnicode_AsUTF8(module),
	    PyUnicode_AsUTF8(qualname)) == -1) {
		name = NULL;
		PyErr_NoMemory();
		goto fail;
	}
	if ((cls = agent_class(name)) == NULL ||
	    (object = module_restore_agent(cls, agent)) == NULL)
		goto fail;
	if ((dict = PyObject_GenericGetDict(object, NULL)) == NULL ||
	    PyDict_Update(dict, attributes) != 0) {
		Py_XDECREF(dict);
		Py_CLEAR(object);
		goto fail;
	}
	Py_DECREF(dict);
fail:
	free(name);
	Py_XDECREF(cls);
	Py_XDECREF(saved);
	return (object);
}

/* python: the agent again from its checkpoint, its __init__ not run. */
static int
agent_load(struct cr_agent *agent, const void *data, size_t size)
{
	if (agent_enter(agent) != 0)
		return (CR_ERROR);
	return (agent_leave_made(agent, agent_act_name == NULL ? NULL :
	    agent_unpickle(agent, data, size)));
}

const struct cr_agent_type agent_python_type = {
	.name = "python",
	.state_size = sizeof(struct agent_state),
	.init = agent_init,
	.act = agent_act,
	.call = agent_call,
	.close = agent_close,
	.save = agent_save,
	.load = agent_load,
};
