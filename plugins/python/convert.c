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
 * JSON values to Python objects and back, and a Python exception as the
 * one line of text that goes into a round's errors or a spawn's error.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamas_python.h"

#define CONVERT_FRAMES		3	/* frames of a traceback */
#define CONVERT_ERROR_MAX	1024	/* bytes of an error's text */

/* Return a new Python object for a JSON value; NULL with an exception. */
PyObject *
convert_to_python(const struct json_object *borrowed)
{
	union {
		const struct json_object	*borrowed;
		struct json_object		*plain;
	} value = { borrowed };
	PyObject	*object, *item;
	size_t		 i, n;

	switch (json_object_get_type(value.plain)) {
	case json_type_null:
		Py_RETURN_NONE;
	case json_type_boolean:
		return (PyBool_FromLong(json_object_get_boolean(value.plain)));
	case json_type_int:
		return (PyLong_FromLongLong(json_object_get_int64(
		    value.plain)));
	case json_type_double:
		return (PyFloat_FromDouble(json_object_get_double(
		    value.plain)));
	case json_type_string:
		return (PyUnicode_FromStringAndSize(json_object_get_string(
		    value.plain), json_object_get_string_len(value.plain)));
	case json_type_array:
		n = json_object_array_length(value.plain);
		if ((object = PyList_New((Py_ssize_t)n)) == NULL)
			return (NULL);
		for (i = 0; i < n; i++) {
			item = convert_to_python(json_object_array_get_idx(
			    value.plain, i));
			if (item == NULL) {
				Py_DECREF(object);
				return (NULL);
			}
			PyList_SET_ITEM(object, (Py_ssize_t)i, item);
		}
		return (object);
	case json_type_object:
		if ((object = PyDict_New()) == NULL)
			return (NULL);
		json_object_object_foreach(value.plain, key, member) {
			if ((item = convert_to_python(member)) == NULL ||
			    PyDict_SetItemString(object, key, item) != 0) {
				Py_XDECREF(item);
				Py_DECREF(object);
				return (NULL);
			}
			Py_DECREF(item);
		}
		return (object);
	}
	PyErr_SetString(PyExc_ValueError, "unknown JSON type");
	return (NULL);
}

/* Convert a list or a tuple's items into a new JSON array. */
static int
convert_sequence(PyObject *object, struct json_object **json)
{
	struct json_object	*item;
	PyObject		*fast;
	Py_ssize_t		 i, n;

	if ((fast = PySequence_Fast(object, "not a sequence")) == NULL)
		return (-1);
	n = PySequence_Fast_GET_SIZE(fast);
	*json = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		if (convert_to_json(PySequence_Fast_GET_ITEM(fast, i),
		    &item) != 0) {
			Py_DECREF(fast);
			json_object_put(*json);
			*json = NULL;
			return (-1);
		}
		json_object_array_add(*json, item);
	}
	Py_DECREF(fast);
	return (0);
}

/* Convert a dict with string keys into a new JSON object. */
static int
convert_dict(PyObject *object, struct json_object **json)
{
	struct json_object	*item;
	PyObject		*key, *value;
	Py_ssize_t		 position = 0;
	const char		*name;

	*json = json_object_new_object();
	while (PyDict_Next(object, &position, &key, &value)) {
		if (!PyUnicode_Check(key)) {
			PyErr_Format(PyExc_TypeError, "a JSON object's keys "
			    "are strings, not %.100s", Py_TYPE(key)->tp_name);
			goto fail;
		}
		if ((name = PyUnicode_AsUTF8(key)) == NULL ||
		    convert_to_json(value, &item) != 0)
			goto fail;
		json_object_object_add(*json, name, item);
	}
	return (0);

fail:
	json_object_put(*json);
	*json = NULL;
	return (-1);
}

/*
 * Convert a Python object into a new JSON value in *json (NULL for None);
 * return 0, or -1 with a Python exception set.
 */
int
convert_to_json(PyObject *object, struct json_object **json)
{
	const char	*text;
	Py_ssize_t	 length;
	long long	 integer;
	double		 number;
	int		 rc = 0, overflow;

	*json = NULL;
	if (object == Py_None)
		return (0);
	if (PyBool_Check(object)) {
		*json = json_object_new_boolean(object == Py_True);
		return (0);
	}
	if (PyLong_Check(object)) {
		integer = PyLong_AsLongLongAndOverflow(object, &overflow);
		if (overflow != 0) {
			PyErr_SetString(PyExc_OverflowError, "an integer "
			    "beyond 64 bits is not JSON");
			return (-1);
		}
		if (integer == -1 && PyErr_Occurred())
			return (-1);
		*json = json_object_new_int64(integer);
		return (0);
	}
	if (PyFloat_Check(object)) {
		number = PyFloat_AS_DOUBLE(object);
		if (!isfinite(number)) {
			PyErr_SetString(PyExc_ValueError, "NaN and infinity "
			    "are not JSON");
			return (-1);
		}
		*json = json_object_new_double(number);
		return (0);
	}
	if (PyUnicode_Check(object)) {
		if ((text = PyUnicode_AsUTF8AndSize(object, &length)) == NULL)
			return (-1);
		*json = json_object_new_string_len(text, (int)length);
		return (0);
	}
	if (Py_EnterRecursiveCall(" converting to JSON") != 0)
		return (-1);
	if (PyList_Check(object) || PyTuple_Check(object))
		rc = convert_sequence(object, json);
	else if (PyDict_Check(object))
		rc = convert_dict(object, json);
	else {
		PyErr_Format(PyExc_TypeError, "a %.100s is not JSON",
		    Py_TYPE(object)->tp_name);
		rc = -1;
	}
	Py_LeaveRecursiveCall();
	return (rc);
}

/* Append "file:line in function" of the traceback's last frames. */
static void
convert_frames(PyObject *traceback, char *text, size_t size)
{
	PyTracebackObject	*tb, *frames[CONVERT_FRAMES];
	PyCodeObject		*code;
	const char		*file, *function, *slash;
	size_t			 n = 0, i, used;

	for (tb = (PyTracebackObject *)traceback; tb != NULL;
	    tb = tb->tb_next) {
		if (n == CONVERT_FRAMES) {
			memmove(frames, frames + 1, (n - 1) * sizeof *frames);
			n--;
		}
		frames[n++] = tb;
	}
	for (i = 0; i < n; i++) {
		code = PyFrame_GetCode(frames[i]->tb_frame);
		file = PyUnicode_AsUTF8(code->co_filename);
		function = PyUnicode_AsUTF8(code->co_name);
		if (file == NULL || function == NULL) {
			PyErr_Clear();
			file = function = "?";
		}
		if ((slash = strrchr(file, '/')) != NULL)
			file = slash + 1;
		used = strlen(text);
		snprintf(text + used, size - used, "%s%s:%d in %s",
		    i == 0 ? " (at " : ", ", file, frames[i]->tb_lineno,
		    function);
		Py_DECREF(code);
	}
	if (n > 0) {
		used = strlen(text);
		snprintf(text + used, size - used, ")");
	}
}

/*
 * Take the Python exception set now and return its text, to free:
 * "Type: message (at file:line in function, ...)", the last frames of
 * its traceback, innermost last.
 */
char *
convert_error_text(void)
{
	PyObject	*type, *value, *traceback, *message = NULL;
	const char	*name = "exception", *said = NULL, *dot;
	char		 text[CONVERT_ERROR_MAX];

	PyErr_Fetch(&type, &value, &traceback);
	if (type == NULL)
		return (strdup("unknown Python error"));
	PyErr_NormalizeException(&type, &value, &traceback);
	name = ((PyTypeObject *)type)->tp_name;
	if ((dot = strrchr(name, '.')) != NULL &&
	    strncmp(name, "creamas_agent.", 14) != 0)
		name = dot + 1;
	if (value != NULL && (message = PyObject_Str(value)) != NULL)
		said = PyUnicode_AsUTF8(message);
	if (said == NULL) {
		PyErr_Clear();
		said = "";
	}
	snprintf(text, sizeof text, "%s%s%s", name, *said != '\0' ? ": " :
	    "", said);
	convert_frames(traceback, text, sizeof text);
	Py_XDECREF(message);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(traceback);
	return (strdup(text));
}
