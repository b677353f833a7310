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
 * The interpreter: started at the first spawn of a python agent, so that
 * a process that only loads the plugin (a master) never starts one, and
 * finalised when the plugin is unloaded. Its module search path begins
 * with the directories of python.path (config.c) and those that spawns
 * give in their "path".
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamas_python.h"

static int	 interp_started;

/*
 * Make libpython's symbols global: the interpreter loads extension
 * modules (math, _json, ...) that expect to find them there, and this
 * plugin was loaded with RTLD_LOCAL.
 */
static int
interp_global_symbols(char **cause)
{
	Dl_info	 info;

	if (dladdr((void *)Py_InitializeFromConfig, &info) == 0 ||
	    info.dli_fname == NULL) {
		*cause = strdup("cannot find libpython");
		return (-1);
	}
	if (dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) ==
	    NULL) {
		if (asprintf(cause, "%s: %s", info.dli_fname, dlerror()) == -1)
			*cause = NULL;
		return (-1);
	}
	return (0);
}

/* Put each of the colon-separated directories of list on sys.path. */
int
interp_add_list(const char *list, char **cause)
{
	PyObject	*paths, *item;
	char		*copy, *next, *directory;
	int		 rc = 0;

	if ((paths = PyList_New(0)) == NULL || (copy = strdup(list)) == NULL) {
		Py_XDECREF(paths);
		*cause = strdup("out of memory");
		return (-1);
	}
	next = copy;
	while ((directory = strsep(&next, ":")) != NULL) {
		if (*directory == '\0')
			continue;
		if ((item = PyUnicode_FromString(directory)) == NULL ||
		    PyList_Append(paths, item) != 0)
			rc = -1;
		Py_XDECREF(item);
	}
	free(copy);
	if (rc == 0)
		rc = interp_add_path(paths, cause);
	else
		*cause = strdup("cannot read python.path");
	Py_DECREF(paths);
	return (rc);
}

/* Return 1 once the interpreter has started. */
int
interp_running(void)
{
	return (interp_started);
}

/* Start the interpreter, once; return 0, or -1 saying why in *cause. */
int
interp_start(char **cause)
{
	PyConfig	 config;
	PyStatus	 status;
	PyObject	*module;
	const char	*path;

	*cause = NULL;
	if (interp_started)
		return (0);
	if (interp_global_symbols(cause) != 0)
		return (-1);
	if (!Py_IsInitialized() && PyImport_AppendInittab("creamas_agent",
	    module_init) != 0) {
		*cause = strdup("cannot add the module creamas_agent");
		return (-1);
	}
	/* Isolated: no PYTHON* variables, no user site; no signals taken. */
	PyConfig_InitIsolatedConfig(&config);
	config.install_signal_handlers = 0;
	config.site_import = 1;
	status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status)) {
		if (asprintf(cause, "cannot start Python: %s",
		    status.err_msg != NULL ? status.err_msg : "?") == -1)
			*cause = NULL;
		return (-1);
	}
	interp_started = 1;
	if ((module = PyImport_ImportModule("creamas_agent")) == NULL) {
		*cause = convert_error_text();
		return (-1);
	}
	Py_DECREF(module);
	if ((path = config_get_path()) != NULL &&
	    interp_add_list(path, cause) != 0)
		return (-1);
	return (watchdog_start(config_get_act_limit(), cause));
}

/*
 * Put a directory (a str) or directories (a list of str) at the front of
 * sys.path, each once.
 */
int
interp_add_path(PyObject *directories, char **cause)
{
	PyObject	*sys_path, *item, *list;
	Py_ssize_t	 i, n;
	int		 rc;

	if (PyUnicode_Check(directories)) {
		if ((list = Py_BuildValue("[O]", directories)) == NULL) {
			PyErr_Clear();
			*cause = strdup("out of memory");
			return (-1);
		}
		rc = interp_add_path(list, cause);
		Py_DECREF(list);
		return (rc);
	}
	if (!PyList_Check(directories)) {
		*cause = strdup("path must be a directory or a list of them");
		return (-1);
	}
	if ((sys_path = PySys_GetObject("path")) == NULL ||
	    !PyList_Check(sys_path)) {
		*cause = strdup("no sys.path");
		return (-1);
	}
	n = PyList_GET_SIZE(directories);
	for (i = n - 1; i >= 0; i--) {
		item = PyList_GET_ITEM(directories, i);
		if (!PyUnicode_Check(item)) {
			*cause = strdup("path must be a directory or a list "
			    "of them");
			return (-1);
		}
		if (PySequence_Contains(sys_path, item) == 1)
			continue;
		if (PyList_Insert(sys_path, 0, item) != 0) {
			PyErr_Clear();
			*cause = strdup("cannot change sys.path");
			return (-1);
		}
	}
	return (0);
}

/* The plugin is unloaded: stop the watchdog, finalise the interpreter. */
static void __attribute__((destructor))
interp_stop(void)
{
	if (!interp_started)
		return;
	watchdog_stop();
	Py_FinalizeEx();
	interp_started = 0;
}
