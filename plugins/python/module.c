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
 * The built-in module creamas_agent: the base class Agent, the decorator
 * expose, and the exceptions CallError and ActTimeout. An Agent is made
 * only by a spawn (agent.c), which tells the new object its agent.
 */

#include <string.h>

#include "creamas_python.h"

#define MODULE_EXPOSED	"__creamas_exposed__"

PyObject		*module_call_error;
PyObject		*module_act_timeout;
static struct cr_agent	*module_spawning;	/* being made */

/* Agent.__new__: only while spawning, for the agent being spawned. */
static PyObject *
module_agent_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	struct module_agent	*self;

	if (module_spawning == NULL) {
		PyErr_SetString(PyExc_TypeError, "creamas_agent agents are "
		    "made by creamasd's spawn, with {\"class\": "
		    "\"module.Class\"}");
		return (NULL);
	}
	if ((self = (struct module_agent *)type->tp_alloc(type, 0)) == NULL)
		return (NULL);
	self->agent = module_spawning;
	self->addr = NULL;
	return ((PyObject *)self);
}

/* Agent.__init__: the parameters of a spawn are for a subclass's own. */
static int
module_agent_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
	if (PyTuple_GET_SIZE(args) != 0 || (kwargs != NULL &&
	    PyDict_GET_SIZE(kwargs) != 0)) {
		PyErr_Format(PyExc_TypeError, "%.100s takes no parameters: "
		    "define __init__ to take them", Py_TYPE(self)->tp_name);
		return (-1);
	}
	return (0);
}

/* Free an Agent. */
static void
module_agent_dealloc(PyObject *object)
{
	struct module_agent	*self = (struct module_agent *)object;

	Py_CLEAR(self->addr);
	Py_TYPE(object)->tp_free(object);
}

/* Return the agent of self, or NULL with RuntimeError once it closed. */
static struct cr_agent *
module_agent_of(struct module_agent *self)
{
	if (self->agent == NULL)
		PyErr_SetString(PyExc_RuntimeError, "the agent has closed");
	return (self->agent);
}

/* Agent.addr: tcp://host:port/N. */
static PyObject *
module_agent_addr(PyObject *object, void *closure)
{
	struct module_agent	*self = (struct module_agent *)object;
	struct cr_agent		*agent;
	char			 address[CR_ADDRESS_MAX];

	if (self->addr == NULL) {
		if ((agent = module_agent_of(self)) == NULL)
			return (NULL);
		cr_agent_address(agent, address, sizeof address);
		self->addr = PyUnicode_FromString(address);
	}
	Py_XINCREF(self->addr);
	return (self->addr);
}

/* Agent.round: the number of the round running, or of the last one. */
static PyObject *
module_agent_round(PyObject *object, void *closure)
{
	struct cr_agent	*agent;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL)
		return (NULL);
	return (PyLong_FromUnsignedLongLong(cr_agent_round(agent)));
}

/* Agent.time: the environment's time. */
static PyObject *
module_agent_time(PyObject *object, void *closure)
{
	struct cr_agent	*agent;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL)
		return (NULL);
	return (PyFloat_FromDouble(cr_agent_time(agent)));
}

/* Agent.id: the agent's number N. */
static PyObject *
module_agent_id(PyObject *object, void *closure)
{
	struct cr_agent	*agent;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL)
		return (NULL);
	return (PyLong_FromLong(cr_agent_id(agent)));
}

/* Agent.connections: a new dict, address to the connection's data. */
static PyObject *
module_agent_connections(PyObject *object, void *closure)
{
	struct cr_agent		*agent;
	struct json_object	*connections;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL)
		return (NULL);
	if ((connections = cr_agent_connections(agent)) == NULL)
		return (PyDict_New());
	return (convert_to_python(connections));
}

/* Agent.publish(artifact): publish a JSON-able artifact. */
static PyObject *
module_agent_publish(PyObject *object, PyObject *artifact)
{
	struct cr_agent		*agent;
	struct json_object	*json;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL ||
	    convert_to_json(artifact, &json) != 0)
		return (NULL);
	cr_agent_publish(agent, json);
	Py_RETURN_NONE;
}

/* Agent.log(*args): one line of the agent's log, args joined by spaces. */
static PyObject *
module_agent_log(PyObject *object, PyObject *args)
{
	struct cr_agent	*agent;
	PyObject	*parts, *space, *line;
	Py_ssize_t	 i, n = PyTuple_GET_SIZE(args);
	const char	*text;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL ||
	    (parts = PyList_New(n)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if ((line = PyObject_Str(PyTuple_GET_ITEM(args, i))) == NULL) {
			Py_DECREF(parts);
			return (NULL);
		}
		PyList_SET_ITEM(parts, i, line);
	}
	space = PyUnicode_FromString(" ");
	line = space != NULL ? PyUnicode_Join(space, parts) : NULL;
	Py_XDECREF(space);
	Py_DECREF(parts);
	if (line == NULL || (text = PyUnicode_AsUTF8(line)) == NULL) {
		Py_XDECREF(line);
		return (NULL);
	}
	cr_agent_log(agent, "%s", text);
	Py_DECREF(line);
	Py_RETURN_NONE;
}

/* Agent.call(addr, method, **params): an awaitable call to an agent. */
static PyObject *
module_agent_call(PyObject *object, PyObject *args, PyObject *kwargs)
{
	const char	*address, *method;

	if (module_agent_of((struct module_agent *)object) == NULL ||
	    !PyArg_ParseTuple(args, "ss:call", &address, &method))
		return (NULL);
	return (task_call_start((struct module_agent *)object, address,
	    method, kwargs));
}

/* Agent.add_connection(addr, **data): connect; True if it is new. */
static PyObject *
module_agent_add_connection(PyObject *object, PyObject *args,
    PyObject *kwargs)
{
	struct cr_agent		*agent;
	struct json_object	*data = NULL;
	const char		*address;
	int			 rc;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL ||
	    !PyArg_ParseTuple(args, "s:add_connection", &address))
		return (NULL);
	if (kwargs != NULL && convert_to_json(kwargs, &data) != 0)
		return (NULL);
	if ((rc = cr_agent_add_connection(agent, address, data)) < 0) {
		PyErr_Format(PyExc_ValueError, "%s is not an agent address",
		    address);
		return (NULL);
	}
	return (PyBool_FromLong(rc));
}

/* Agent.remove_connection(addr): True if there was one. */
static PyObject *
module_agent_remove_connection(PyObject *object, PyObject *args)
{
	struct cr_agent	*agent;
	const char	*address;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL ||
	    !PyArg_ParseTuple(args, "s:remove_connection", &address))
		return (NULL);
	return (PyBool_FromLong(cr_agent_remove_connection(agent, address)));
}

/* Agent.xy: the agent's cell (x, y) in a grid, or None. */
static PyObject *
module_agent_xy(PyObject *object, void *closure)
{
	struct cr_agent	*agent;
	int64_t		 x, y;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL)
		return (NULL);
	if (!cr_grid_xy(agent, &x, &y))
		Py_RETURN_NONE;
	return (Py_BuildValue("(LL)", (long long)x, (long long)y));
}

/* Agent.grid_neighbor(direction): the neighbour's address, or None. */
static PyObject *
module_agent_grid_neighbor(PyObject *object, PyObject *args)
{
	struct cr_agent	*agent;
	char		 address[CR_ADDRESS_MAX];
	int		 direction;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL ||
	    !PyArg_ParseTuple(args, "i:grid_neighbor", &direction))
		return (NULL);
	if (direction < 0 || direction >= CR_GRID_DIRECTIONS) {
		PyErr_SetString(PyExc_ValueError, "a direction is 0 to 3: "
		    "NORTH, EAST, SOUTH or WEST");
		return (NULL);
	}
	if (!cr_grid_neighbor(agent, direction, address, sizeof address))
		Py_RETURN_NONE;
	return (PyUnicode_FromString(address));
}

/* Agent.grid_publish(value): the agent's value for its neighbours. */
static PyObject *
module_agent_grid_publish(PyObject *object, PyObject *args)
{
	struct cr_agent	*agent;
	double		 value;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL ||
	    !PyArg_ParseTuple(args, "d:grid_publish", &value))
		return (NULL);
	if (cr_grid_publish(agent, value) != 0) {
		PyErr_SetString(PyExc_ValueError, "not in a grid, or a NaN");
		return (NULL);
	}
	Py_RETURN_NONE;
}

/*
 * Agent.grid_neighbor_values(): the values the neighbours published by
 * the end of the last round, [north, east, south, west], None where
 * there is no neighbour; LookupError if one is not known.
 */
static PyObject *
module_agent_grid_neighbor_values(PyObject *object, PyObject *unused)
{
	struct cr_agent	*agent;
	PyObject	*values, *value;
	double		 got[CR_GRID_DIRECTIONS];
	int		 mask, direction;

	if ((agent = module_agent_of((struct module_agent *)object)) == NULL)
		return (NULL);
	if ((mask = cr_grid_neighbor_values(agent, got)) < 0) {
		PyErr_SetString(PyExc_LookupError, "not in a grid, or the "
		    "value of a neighbour in the last round is not known");
		return (NULL);
	}
	if ((values = PyList_New(CR_GRID_DIRECTIONS)) == NULL)
		return (NULL);
	for (direction = 0; direction < CR_GRID_DIRECTIONS; direction++) {
		value = mask & (1 << direction) ?
		    PyFloat_FromDouble(got[direction]) : Py_NewRef(Py_None);
		if (value == NULL) {
			Py_DECREF(values);
			return (NULL);
		}
		PyList_SET_ITEM(values, direction, value);
	}
	return (values);
}

/* Agent.act(): does nothing; subclasses act. */
static PyObject *
module_agent_act(PyObject *object, PyObject *args, PyObject *kwargs)
{
	Py_RETURN_NONE;
}

/* Agent.close(folder): does nothing; subclasses may save or log. */
static PyObject *
module_agent_close(PyObject *object, PyObject *args)
{
	Py_RETURN_NONE;
}

static PyGetSetDef module_agent_getset[] = {
	{ "addr", module_agent_addr, NULL, "the agent's address", NULL },
	{ "round", module_agent_round, NULL, "the round's number", NULL },
	{ "time", module_agent_time, NULL, "the environment's time", NULL },
	{ "id", module_agent_id, NULL, "the agent's number", NULL },
	{ "connections", module_agent_connections, NULL,
	    "address to data, a copy", NULL },
	{ "xy", module_agent_xy, NULL, "the cell (x, y) in a grid, or None",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyMethodDef module_agent_methods[] = {
	{ "publish", module_agent_publish, METH_O, "publish an artifact" },
	{ "log", module_agent_log, METH_VARARGS, "a line of the log" },
	{ "call", (PyCFunction)(void (*)(void))module_agent_call,
	    METH_VARARGS | METH_KEYWORDS, "await self.call(addr, method, "
	    "**params)" },
	{ "add_connection",
	    (PyCFunction)(void (*)(void))module_agent_add_connection,
	    METH_VARARGS | METH_KEYWORDS, "connect to an agent" },
	{ "remove_connection", module_agent_remove_connection, METH_VARARGS,
	    "disconnect from an agent" },
	{ "grid_neighbor", module_agent_grid_neighbor, METH_VARARGS,
	    "the address of the neighbour on a side, or None" },
	{ "grid_publish", module_agent_grid_publish, METH_VARARGS,
	    "publish the value the neighbours read" },
	{ "grid_neighbor_values", module_agent_grid_neighbor_values,
	    METH_NOARGS, "the neighbours' values of the last round" },
	{ "act", (PyCFunction)(void (*)(void))module_agent_act,
	    METH_VARARGS | METH_KEYWORDS, "the agent's action" },
	{ "close", module_agent_close, METH_VARARGS, "the environment stops" },
	{ NULL, NULL, 0, NULL }
};

PyTypeObject module_agent_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "creamas_agent.Agent",
	.tp_doc = "An agent of creamasd, written in Python.",
	.tp_basicsize = sizeof(struct module_agent),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_new = module_agent_new,
	.tp_init = module_agent_init,
	.tp_dealloc = module_agent_dealloc,
	.tp_getset = module_agent_getset,
	.tp_methods = module_agent_methods,
};

/* creamas_agent.expose(function): make a method callable by agents. */
static PyObject *
module_expose(PyObject *module, PyObject *function)
{
	if (!PyCallable_Check(function)) {
		PyErr_SetString(PyExc_TypeError, "expose decorates a method");
		return (NULL);
	}
	if (PyObject_SetAttrString(function, MODULE_EXPOSED, Py_True) != 0)
		return (NULL);
	Py_INCREF(function);
	return (function);
}

static PyMethodDef module_functions[] = {
	{ "expose", module_expose, METH_O,
	    "mark a method as callable by other agents" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef module_definition = {
	PyModuleDef_HEAD_INIT,
	.m_name = "creamas_agent",
	.m_doc = "Agents of creamasd written in Python; see creamas_agent(3).",
	.m_size = -1,
	.m_methods = module_functions,
};

/* Add an object to the module under name, taking a reference. */
static int
module_add(PyObject *module, const char *name, PyObject *object)
{
	if (PyModule_AddObject(module, name, object) != 0) {
		Py_DECREF(object);
		return (-1);
	}
	return (0);
}

/* Make the module; the interpreter calls it at the first import. */
PyObject *
module_init(void)
{
	PyObject	*module;

	if (PyType_Ready(&module_agent_type) != 0 ||
	    PyType_Ready(&task_call_type) != 0 ||
	    (module = PyModule_Create(&module_definition)) == NULL)
		return (NULL);
	module_call_error = PyErr_NewExceptionWithDoc(
	    "creamas_agent.CallError", "A call to an agent failed; "
	    "code and data are the JSON-RPC error's.", NULL, NULL);
	module_act_timeout = PyErr_NewExceptionWithDoc(
	    "creamas_agent.ActTimeout", "Python code of an agent ran past "
	    "the act limit.", PyExc_BaseException, NULL);
	if (module_call_error == NULL || module_act_timeout == NULL)
		goto fail;
	Py_INCREF(&module_agent_type);
	Py_INCREF(module_call_error);
	Py_INCREF(module_act_timeout);
	if (module_add(module, "Agent", (PyObject *)&module_agent_type) != 0 ||
	    module_add(module, "CallError", module_call_error) != 0 ||
	    module_add(module, "ActTimeout", module_act_timeout) != 0 ||
	    PyModule_AddIntConstant(module, "NORTH", CR_GRID_NORTH) != 0 ||
	    PyModule_AddIntConstant(module, "EAST", CR_GRID_EAST) != 0 ||
	    PyModule_AddIntConstant(module, "SOUTH", CR_GRID_SOUTH) != 0 ||
	    PyModule_AddIntConstant(module, "WEST", CR_GRID_WEST) != 0)
		goto fail;
	return (module);

fail:
	Py_DECREF(module);
	return (NULL);
}

/*
 * Make the object of agent: cls(*args, **kwargs), which must be an
 * Agent; NULL with an exception if not.
 */
PyObject *
module_new_agent(PyObject *cls, struct cr_agent *agent, PyObject *args,
    PyObject *kwargs)
{
	PyObject	*object;

	if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls,
	    &module_agent_type)) {
		PyErr_Format(PyExc_TypeError, "%R is not a subclass of "
		    "creamas_agent.Agent", cls);
		return (NULL);
	}
	module_spawning = agent;
	object = PyObject_Call(cls, args, kwargs);
	module_spawning = NULL;
	if (object != NULL && !PyObject_TypeCheck(object,
	    &module_agent_type)) {
		PyErr_Format(PyExc_TypeError, "%R made a %.100s, not an "
		    "Agent", cls, Py_TYPE(object)->tp_name);
		Py_CLEAR(object);
	}
	return (object);
}

/*
 * Make an object of cls (a subclass of Agent) for agent without running
 * its __init__: a restored agent, whose attributes come from its
 * checkpoint. A new reference, or NULL with an exception.
 */
PyObject *
module_restore_agent(PyObject *cls, struct cr_agent *agent)
{
	PyObject	*args, *object;

	if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls,
	    &module_agent_type)) {
		PyErr_Format(PyExc_TypeError, "%R is not a subclass of "
		    "creamas_agent.Agent", cls);
		return (NULL);
	}
	if ((args = PyTuple_New(0)) == NULL)
		return (NULL);
	module_spawning = agent;
	object = ((PyTypeObject *)cls)->tp_new((PyTypeObject *)cls, args,
	    NULL);
	module_spawning = NULL;
	Py_DECREF(args);
	return (object);
}

/* Return 1 if function has been marked by expose, 0 if not. */
int
module_is_exposed(PyObject *function)
{
	PyObject	*mark;
	int		 exposed;

	if ((mark = PyObject_GetAttrString(function, MODULE_EXPOSED)) ==
	    NULL) {
		PyErr_Clear();
		return (0);
	}
	exposed = PyObject_IsTrue(mark) == 1;
	Py_DECREF(mark);
	return (exposed);
}
