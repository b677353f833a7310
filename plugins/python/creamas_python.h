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

#ifndef CREAMAS_PYTHON_H
#define CREAMAS_PYTHON_H

/*
 * creamas_python.so: agents written in Python. One CPython interpreter
 * per slave process, started at the first spawn of a "python" agent;
 * the module creamas_agent is built in. Everything Python runs on the
 * daemon's one thread, which holds the GIL for good; a watchdog thread
 * only ever asks the interpreter to raise ActTimeout.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "creamas/agent.h"
#include "creamas/grid.h"

/* A creamas_agent.Agent: the Python object of one agent. */
struct module_agent {
	PyObject_HEAD
	struct cr_agent	*agent;		/* NULL once closed */
	PyObject	*addr;		/* its address, made once */
};

/* agent.c */
extern const struct cr_agent_type agent_python_type;
void		 agent_report_error(struct cr_agent *, const char *);

/* config.c */
int		 config_set(const char *, const char *, char **);
const char	*config_get_path(void);
double		 config_get_act_limit(void);

/* convert.c */
PyObject	*convert_to_python(const struct json_object *);
int		 convert_to_json(PyObject *, struct json_object **);
char		*convert_error_text(void);

/* interp.c */
int		 interp_start(char **);
int		 interp_running(void);
int		 interp_add_list(const char *, char **);
int		 interp_add_path(PyObject *, char **);

/* module.c */
extern PyTypeObject	 module_agent_type;
extern PyObject		*module_call_error;
extern PyObject		*module_act_timeout;
PyObject	*module_init(void);
PyObject	*module_new_agent(PyObject *, struct cr_agent *, PyObject *,
		    PyObject *);
PyObject	*module_restore_agent(PyObject *, struct cr_agent *);
int		 module_is_exposed(PyObject *);

/* task.c */
extern PyTypeObject	 task_call_type;
PyObject	*task_call_start(struct module_agent *, const char *,
		    const char *, PyObject *);
int		 task_run(struct cr_agent *, PyObject *, int, PyObject **);

/* watchdog.c */
int		 watchdog_start(double, char **);
void		 watchdog_stop(void);
void		 watchdog_set_limit(double);
uint64_t	 watchdog_timeouts(void);
void		 watchdog_enter(struct cr_agent *);
void		 watchdog_leave(void);

#endif
