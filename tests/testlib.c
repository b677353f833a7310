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
 * The end-to-end test library; see testlib.h. It deliberately shares no
 * code with the daemon (no libcommon JSON-RPC framing): the tests speak
 * the wire protocol as an outside client would.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "launch.h"
#include "sshd.h"
#include "testlib.h"

#define TL_MAX_PIDS		256
#define TL_MAX_DIRS		64
#define TL_MAX_ARGS		128
#define TL_MAX_READ		(256 * 1024 * 1024)
#define TL_KILL_WAIT		5.0	/* seconds after SIGKILL */
#define TL_KEY_MAX		8192	/* bytes of a key read back */

/* A pid to kill at exit, and the process that started it. */
struct tl_tracked {
	pid_t	 pid;
	pid_t	 owner;
};

static struct tl_tracked	 tl_pids[TL_MAX_PIDS];
static int			 tl_guard_fd = -1;
static pid_t			 tl_guard_pid;
static pid_t			 tl_guard_owner;
static struct tl_tracked	 tl_dir_owners[TL_MAX_DIRS];
static char			*tl_dirs[TL_MAX_DIRS];
static char			*tl_scratch;
static pid_t			 tl_scratch_owner;
static pid_t			 tl_atexit_owner;
static unsigned int		 tl_serial;

static void	 tl_cleanup(void);
static void	 tl_guard_tell(char, const char *);
static int	 tl_remove_entry(const char *, const struct stat *, int,
		    struct FTW *);

/* Allocate or fail the test. */
static void *
tl_alloc(size_t size)
{
	void	*p;

	if ((p = calloc(1, size == 0 ? 1 : size)) == NULL)
		ck_abort_msg("out of memory (%zu bytes)", size);
	return (p);
}

/* Return a monotonic clock in seconds. */
double
tl_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Sleep for a number of seconds. */
static void
tl_sleep(double seconds)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Return the milliseconds left until deadline, for poll(). */
static int
tl_poll_ms(double deadline)
{
	double	 left = deadline - tl_now();

	if (left <= 0)
		return (0);
	if (left > 3600)
		return (3600 * 1000);
	return ((int)(left * 1000) + 1);
}

/*
 * The guard: a process of its own group, forked once per test process,
 * that learns every pid and folder through a pipe and, when the pipe
 * closes (the test process ended, however: exit, _exit after a failed
 * check, a crash, Check's timeout SIGKILL), kills the pids still listed
 * and removes the folders. It catches what atexit and PR_SET_PDEATHSIG
 * cannot: a failed check leaves with _exit, and a daemonised creamasd
 * is no child of ours.
 */
static void __attribute__((noreturn))
tl_guard_main(int fd)
{
	char	 buffer[8192], **dirs = NULL, *line, *newline;
	pid_t	*pids = NULL;
	size_t	 used = 0, npids = 0, ndirs = 0, i;
	ssize_t	 n;
	long	 pid;

	for (;;) {
		n = read(fd, buffer + used, sizeof buffer - 1 - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buffer[used] = '\0';
		line = buffer;
		while ((newline = strchr(line, '\n')) != NULL) {
			*newline = '\0';
			if (line[0] == 'd' && line[1] == ' ') {
				dirs = realloc(dirs, (ndirs + 1) *
				    sizeof *dirs);
				if (dirs == NULL ||
				    (dirs[ndirs] = strdup(line + 2)) == NULL)
					_exit(1);
				ndirs++;
			} else if (line[0] == '+' || line[0] == '-') {
				pid = strtol(line + 1, NULL, 10);
				for (i = 0; i < npids; i++) {
					if (pids[i] == (pid_t)pid)
						break;
				}
				if (line[0] == '-' && i < npids)
					pids[i] = pids[--npids];
				else if (line[0] == '+' && i == npids) {
					pids = realloc(pids, (npids + 1) *
					    sizeof *pids);
					if (pids == NULL)
						_exit(1);
					pids[npids++] = (pid_t)pid;
				}
			}
			line = newline + 1;
		}
		used = strlen(line);
		memmove(buffer, line, used);
	}
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGKILL);
	if (getenv("TL_KEEP") == NULL) {
		/* Give the killed a moment to let go of their files. */
		if (npids > 0)
			tl_sleep(0.1);
		for (i = 0; i < ndirs; i++)
			nftw(dirs[i], tl_remove_entry, 16,
			    FTW_DEPTH | FTW_PHYS);
	}
	_exit(0);
}

/* Start this process's guard, if it has none yet. */
static void
tl_guard_start(void)
{
	int	 fds[2];
	pid_t	 pid;

	if (tl_guard_owner == getpid())
		return;
	/* A dead guard must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(fds, O_CLOEXEC) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
	switch (pid = fork()) {
	case -1:
		ck_abort_msg("fork: %s", strerror(errno));
		break;
	case 0:
		/* Out of the test's group, which Check kills at its end. */
		setpgid(0, 0);
		if (dup2(fds[0], STDIN_FILENO) == -1)
			_exit(1);
		/* Hold nothing of the test's open, so EOFs still come. */
		close_range(STDERR_FILENO + 1, ~0U, 0);
		tl_guard_main(STDIN_FILENO);
	default:
		break;
	}
	close(fds[0]);
	tl_guard_fd = fds[1];
	tl_guard_pid = pid;
	tl_guard_owner = getpid();
}

/* Tell the guard about a pid ('+' or '-') or a folder ('d'). */
static void
tl_guard_tell(char kind, const char *what)
{
	char	 line[PATH_MAX + 8];
	int	 length;

	tl_guard_start();
	if (kind == 'd')
		length = snprintf(line, sizeof line, "d %s\n", what);
	else
		length = snprintf(line, sizeof line, "%c%s\n", kind, what);
	if (length < 0 || (size_t)length >= sizeof line)
		ck_abort_msg("path too long for the guard: %s", what);
	/*
	 * Lines are below PIPE_BUF: written whole or not at all. A guard
	 * that is gone loses a safety net, not the test: ignore it.
	 */
	if (write(tl_guard_fd, line, (size_t)length) != length)
		return;
}

/* Tell the guard about a pid. */
static void
tl_guard_pid_tell(char kind, pid_t pid)
{
	char	 number[32];

	snprintf(number, sizeof number, "%ld", (long)pid);
	tl_guard_tell(kind, number);
}

/* Make sure the exit handler runs in this process. */
static void
tl_need_cleanup(void)
{
	if (tl_atexit_owner == getpid())
		return;
	tl_atexit_owner = getpid();
	if (atexit(tl_cleanup) != 0)
		ck_abort_msg("atexit failed");
}

/* Remember a pid so the exit handler kills it if the test does not. */
void
tl_track_pid(pid_t pid)
{
	size_t	 i;

	tl_need_cleanup();
	tl_guard_pid_tell('+', pid);
	for (i = 0; i < TL_MAX_PIDS; i++) {
		if (tl_pids[i].pid == 0 || tl_pids[i].owner != getpid()) {
			tl_pids[i].pid = pid;
			tl_pids[i].owner = getpid();
			return;
		}
	}
	kill(pid, SIGKILL);
	ck_abort_msg("more than %d processes started by one test",
	    TL_MAX_PIDS);
}

/* Forget a pid: it has been stopped. */
void
tl_untrack_pid(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < TL_MAX_PIDS; i++) {
		if (tl_pids[i].pid == pid && tl_pids[i].owner == getpid())
			tl_pids[i].pid = 0;
	}
	/* The guard may know it without the table (tl_guard_strays()). */
	if (tl_guard_owner == getpid())
		tl_guard_pid_tell('-', pid);
}

/* Return 1 if a pid is tracked by this process (or is its guard). */
static int
tl_is_tracked(pid_t pid)
{
	size_t	 i;

	if (tl_guard_owner == getpid() && pid == tl_guard_pid)
		return (1);

	for (i = 0; i < TL_MAX_PIDS; i++) {
		if (tl_pids[i].pid == pid && tl_pids[i].owner == getpid())
			return (1);
	}
	return (0);
}

/* Read a process's state letter and parent from /proc; 0 if gone. */
static int
tl_proc_state(pid_t pid, char *state, pid_t *parent)
{
	char	 path[64], buffer[1024], *close_paren;
	FILE	*file;
	size_t	 length;
	int	 ppid;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((file = fopen(path, "r")) == NULL)
		return (0);
	length = fread(buffer, 1, sizeof buffer - 1, file);
	fclose(file);
	buffer[length] = '\0';
	/* The command name may hold spaces and parentheses: skip past it. */
	if ((close_paren = strrchr(buffer, ')')) == NULL ||
	    sscanf(close_paren + 1, " %c %d", state, &ppid) != 2)
		return (0);
	if (parent != NULL)
		*parent = (pid_t)ppid;
	return (1);
}

/* Return 1 if a process exists and is not a zombie. */
int
tl_pid_alive(pid_t pid)
{
	char	 state;

	if (pid <= 0)
		return (0);
	if (!tl_proc_state(pid, &state, NULL))
		return (0);
	return (state != 'Z' && state != 'X' && state != 'x');
}

/*
 * Return a size of a process from /proc/PID/status in bytes: field is
 * "VmRSS" (resident now), "VmHWM" (resident at the peak), and so on.
 */
long long
tl_proc_bytes(pid_t pid, const char *field)
{
	char		 path[64], line[256];
	FILE		*file;
	size_t		 length = strlen(field);
	long long	 kib = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((file = fopen(path, "r")) == NULL)
		ck_abort_msg("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, file) != NULL) {
		if (strncmp(line, field, length) == 0 && line[length] == ':' &&
		    sscanf(line + length + 1, "%lld kB", &kib) == 1)
			break;
	}
	fclose(file);
	ck_assert_msg(kib >= 0, "no %s in %s", field, path);
	return (kib * 1024);
}

/*
 * Start a daemon with a plugin of the test build (by name) and, unless
 * NULL, one -o key=value option.
 */
struct tl_daemon *
tl_daemon_start_plugin(const char *plugin, const char *option)
{
	const char	*args[] = { "--plugin", tl_plugin_path(plugin), "-o",
			    option, NULL };

	if (option == NULL)
		args[2] = NULL;
	return (tl_daemon_startv(args));
}

/*
 * Checkpoint a daemon into the folder name of the test's temporary one,
 * close conn (the daemon's) and stop the daemon cleanly. Return the
 * folder; *listen gets the address it listened on, where a daemon may
 * restore it (both to free).
 */
char *
tl_checkpoint_and_stop(struct tl_daemon *d, struct tl_conn *conn,
    const char *name, char **listen)
{
	char	*dir;

	dir = tl_path(tl_tempdir(), name);
	json_object_put(tl_okf(conn, "checkpoint", "{\"folder\":\"%s\"}",
	    dir));
	tl_close(conn);
	*listen = tl_printf("127.0.0.1:%u", d->port);
	tl_daemon_stop_clean(d);
	return (dir);
}

/*
 * Stop a daemon by pid (SIGTERM), fail unless it exited 0 by itself,
 * showing its stderr, and free it.
 */
void
tl_daemon_stop_clean(struct tl_daemon *d)
{
	struct tl_exit	 e;
	char		*err;
	unsigned int	 port = d->port;

	e = tl_daemon_stop(d);
	err = tl_daemon_stderr(d);
	ck_assert_msg(tl_exit_ok(&e), "daemon on port %u: %s; stderr:\n%s",
	    port, tl_exit_string(&e), err);
	free(err);
	tl_daemon_free(d);
}

/* Fail unless a daemon still runs and answers a new client. */
void
tl_daemon_assert_alive(struct tl_daemon *d)
{
	struct tl_conn	*conn;

	ck_assert_msg(tl_pid_alive(d->pid), "daemon on port %u is gone",
	    d->port);
	conn = tl_connect(d->port);
	tl_expect_result(conn, "is_ready", NULL, "true");
	tl_close(conn);
}

/*
 * Send a signal to a process and wait until it takes effect: stopped
 * (SIGSTOP), running again (SIGCONT) or gone (SIGKILL); fail after
 * TL_SIGNAL_WAIT seconds.
 */
void
tl_signal(pid_t pid, int signo)
{
	double	 deadline = tl_now() + TL_SIGNAL_WAIT;
	char	 state = '-';
	int	 done;

	ck_assert_msg(kill(pid, signo) == 0, "kill -%d %ld: %s", signo,
	    (long)pid, strerror(errno));
	for (;;) {
		if (signo == SIGKILL)
			done = !tl_pid_alive(pid);
		else
			done = tl_proc_state(pid, &state, NULL) &&
			    (state == 'T' || state == 't') ==
			    (signo == SIGSTOP);
		if (done)
			return;
		ck_assert_msg(tl_now() < deadline, "pid %ld: state %c %.0f s "
		    "after signal %d", (long)pid, state, TL_SIGNAL_WAIT,
		    signo);
		usleep(1000);
	}
}

/*
 * Fail unless every slave of a master is gone (its manager address in
 * the message) and no child of this process is left running.
 */
void
tl_assert_slaves_gone(size_t count, const pid_t *pids, char *const *managers)
{
	pid_t	 stray;
	size_t	 i;

	for (i = 0; i < count; i++) {
		ck_assert_msg(!tl_pid_alive(pids[i]), "slave %s (pid %ld) is "
		    "still running", managers[i], (long)pids[i]);
	}
	stray = tl_stray_child();
	ck_assert_msg(stray == 0, "process %ld is left running",
	    (long)stray);
}

/*
 * Fail unless the slaves of a master that has exited are gone too, and
 * free their manager addresses.
 */
void
tl_forget_slaves(size_t count, const pid_t *pids, char **managers)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		ck_assert_msg(!tl_pid_alive(pids[i]), "slave %s (pid %ld) "
		    "outlived its master", managers[i], (long)pids[i]);
		free(managers[i]);
		managers[i] = NULL;
	}
}

/* Return the first live child of this process that is not tracked. */
pid_t
tl_stray_child(void)
{
	DIR		*dir;
	struct dirent	*entry;
	pid_t		 pid, parent, found = 0;
	char		 state, *end;
	long		 number;

	if ((dir = opendir("/proc")) == NULL)
		ck_abort_msg("opendir /proc: %s", strerror(errno));
	while (found == 0 && (entry = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)entry->d_name[0]))
			continue;
		number = strtol(entry->d_name, &end, 10);
		if (*end != '\0')
			continue;
		pid = (pid_t)number;
		if (!tl_proc_state(pid, &state, &parent) ||
		    parent != getpid() || state == 'Z' || state == 'X')
			continue;
		if (!tl_is_tracked(pid))
			found = pid;
	}
	closedir(dir);
	return (found);
}

/*
 * Wait up to seconds for every untracked child to be gone (a daemon
 * whose port has closed may still be on its way out); return the one
 * left, or 0.
 */
pid_t
tl_wait_no_stray(double seconds)
{
	double	 deadline = tl_now() + seconds;
	pid_t	 pid;

	while ((pid = tl_stray_child()) != 0 && tl_now() < deadline)
		tl_sleep(0.01);
	return (pid);
}

/* Become the parent of orphaned descendants, such as daemonised ones. */
void
tl_adopt_orphans(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		ck_abort_msg("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
}

/* Remove a file tree, for nftw(). */
static int
tl_remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return (0);
}

/* At exit: kill whatever this process started and remove its files. */
static void
tl_cleanup(void)
{
	pid_t	 pid, me = getpid();
	double	 deadline;
	size_t	 i;

	if (tl_atexit_owner != me)
		return;
	for (i = 0; i < TL_MAX_PIDS; i++) {
		if (tl_pids[i].pid > 0 && tl_pids[i].owner == me) {
			kill(tl_pids[i].pid, SIGKILL);
			deadline = tl_now() + TL_KILL_WAIT;
			while (waitpid(tl_pids[i].pid, NULL, WNOHANG) == 0 &&
			    tl_now() < deadline)
				tl_sleep(0.01);
			tl_guard_pid_tell('-', tl_pids[i].pid);
			tl_pids[i].pid = 0;
		}
	}
	/* Adopted orphans (see tl_adopt_orphans()) are ours too. */
	while ((pid = tl_stray_child()) != 0) {
		kill(pid, SIGKILL);
		deadline = tl_now() + TL_KILL_WAIT;
		while (waitpid(pid, NULL, WNOHANG) == 0 && tl_now() < deadline)
			tl_sleep(0.01);
		if (tl_pid_alive(pid))
			break;
	}
	if (getenv("TL_KEEP") == NULL) {
		for (i = 0; i < TL_MAX_DIRS; i++) {
			if (tl_dirs[i] != NULL &&
			    tl_dir_owners[i].owner == me) {
				nftw(tl_dirs[i], tl_remove_entry, 16,
				    FTW_DEPTH | FTW_PHYS);
				free(tl_dirs[i]);
				tl_dirs[i] = NULL;
			}
		}
	}
	/* Nothing is left to guard: let the guard go and reap it. */
	if (tl_guard_owner == me) {
		close(tl_guard_fd);
		tl_guard_fd = -1;
		deadline = tl_now() + TL_KILL_WAIT;
		while (waitpid(tl_guard_pid, NULL, WNOHANG) == 0 &&
		    tl_now() < deadline)
			tl_sleep(0.005);
		tl_guard_owner = 0;
	}
}

/* Return the path of the daemon under test, from $CREAMASD. */
const char *
tl_creamasd(void)
{
	const char	*path = getenv("CREAMASD");

	ck_assert_msg(path != NULL && *path != '\0',
	    "CREAMASD is not set: run the tests with make check");
	ck_assert_msg(access(path, X_OK) == 0, "CREAMASD=%s: %s", path,
	    strerror(errno));
	return (path);
}

/* Return $CREAMAS_PLUGINS/name.so; the string lives until exit. */
const char *
tl_plugin_path(const char *name)
{
	static char	*paths[TL_MAX_DIRS];
	static size_t	 next;
	const char	*dir = getenv("CREAMAS_PLUGINS");
	char		*path;

	ck_assert_msg(dir != NULL && *dir != '\0',
	    "CREAMAS_PLUGINS is not set: run the tests with make check");
	path = tl_printf("%s/%s.so", dir, name);
	free(paths[next]);
	paths[next] = path;
	next = (next + 1) % TL_MAX_DIRS;
	return (path);
}

/* The test SSH server (sshd.c) could not go on: fail the running test. */
void
sshd_failed(const char *message)
{
	ck_abort_msg("%s", message);
	abort();	/* not reached: Check ends the test */
}

/* Make a new temporary folder, removed at exit; it lives until then. */
const char *
tl_tempdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*path;
	size_t		 i;

	tl_need_cleanup();
	if (base == NULL || *base == '\0')
		base = "/tmp";
	path = tl_printf("%s/creamasd-test.XXXXXX", base);
	if (mkdtemp(path) == NULL)
		ck_abort_msg("mkdtemp %s: %s", path, strerror(errno));
	tl_guard_tell('d', path);
	for (i = 0; i < TL_MAX_DIRS; i++) {
		if (tl_dirs[i] == NULL || tl_dir_owners[i].owner != getpid()) {
			tl_dirs[i] = path;
			tl_dir_owners[i].owner = getpid();
			return (path);
		}
	}
	ck_abort_msg("more than %d temporary folders in one test",
	    TL_MAX_DIRS);
	return (NULL);
}

/* Return dir/name as a new string. */
char *
tl_path(const char *dir, const char *name)
{
	return (tl_printf("%s/%s", dir, name));
}

/* Return a file's contents as a new string, or NULL if unreadable. */
char *
tl_read_file(const char *path)
{
	FILE	*file;
	char	*data;
	size_t	 used = 0, size = 4096, length;

	if ((file = fopen(path, "r")) == NULL)
		return (NULL);
	data = tl_alloc(size);
	while ((length = fread(data + used, 1, size - used - 1, file)) > 0) {
		used += length;
		if (size - used - 1 == 0) {
			size *= 2;
			if ((data = realloc(data, size)) == NULL)
				ck_abort_msg("out of memory");
		}
	}
	fclose(file);
	data[used] = '\0';
	return (data);
}

/* Write a string to a file, replacing it. */
void
tl_write_file(const char *path, const char *contents)
{
	FILE	*file;

	if ((file = fopen(path, "w")) == NULL)
		ck_abort_msg("cannot create %s: %s", path, strerror(errno));
	ck_assert_msg(fputs(contents, file) >= 0 && fclose(file) == 0,
	    "cannot write %s: %s", path, strerror(errno));
}

/* Return this process's scratch folder, for daemons' stderr files. */
static const char *
tl_scratch_dir(void)
{
	if (tl_scratch == NULL || tl_scratch_owner != getpid()) {
		tl_scratch = tl_strdup(tl_tempdir());
		tl_scratch_owner = getpid();
	}
	return (tl_scratch);
}

/* Describe how a process ended; the string is static. */
const char *
tl_exit_string(const struct tl_exit *e)
{
	static char	 text[128];
	const char	*killed = e->killed ? " (SIGKILL sent after the "
			    "wait)" : "";

	if (!e->known)
		snprintf(text, sizeof text, "ended, status unknown (not our "
		    "child)%s", killed);
	else if (WIFEXITED(e->status))
		snprintf(text, sizeof text, "exit %d%s",
		    WEXITSTATUS(e->status), killed);
	else if (WIFSIGNALED(e->status))
		snprintf(text, sizeof text, "signal %d (%s)%s%s",
		    WTERMSIG(e->status), strsignal(WTERMSIG(e->status)),
		    WCOREDUMP(e->status) ? ", core dumped" : "", killed);
	else
		snprintf(text, sizeof text, "wait status %#x%s", e->status,
		    killed);
	return (text);
}

/* Return 1 if the process exited 0 by itself (no SIGKILL needed). */
int
tl_exit_ok(const struct tl_exit *e)
{
	return (e->known && !e->killed && WIFEXITED(e->status) &&
	    WEXITSTATUS(e->status) == 0);
}

/* Return the exit code, or -1 if it did not exit normally. */
int
tl_exit_code(const struct tl_exit *e)
{
	if (!e->known || !WIFEXITED(e->status))
		return (-1);
	return (WEXITSTATUS(e->status));
}

/*
 * Wait until deadline for a process to end; fills e and returns 1 when it
 * ended. A child is reaped; another process is watched through /proc.
 */
static int
tl_wait_end(pid_t pid, double deadline, struct tl_exit *e)
{
	pid_t	 rc;
	int	 status;

	for (;;) {
		rc = waitpid(pid, &status, WNOHANG);
		if (rc == pid) {
			e->known = 1;
			e->status = status;
			return (1);
		}
		if (rc == -1 && errno == ECHILD && !tl_pid_alive(pid)) {
			e->known = 0;
			return (1);
		}
		if (rc == -1 && errno != ECHILD && errno != EINTR)
			ck_abort_msg("waitpid %ld: %s", (long)pid,
			    strerror(errno));
		if (tl_now() >= deadline)
			return (0);
		tl_sleep(0.005);
	}
}

/*
 * Send signo (none if 0) to pid and wait up to seconds for it to end;
 * then SIGKILL it. Returns how it ended; the pid is no longer tracked.
 */
struct tl_exit
tl_stop_pid(pid_t pid, int signo, double seconds)
{
	struct tl_exit	 e;

	memset(&e, 0, sizeof e);
	ck_assert_msg(pid > 0, "stopping pid %ld", (long)pid);
	if (signo != 0 && kill(pid, signo) == -1 && errno != ESRCH)
		ck_abort_msg("kill %ld %d: %s", (long)pid, signo,
		    strerror(errno));
	if (!tl_wait_end(pid, tl_now() + seconds, &e)) {
		e.killed = 1;
		kill(pid, SIGKILL);
		if (!tl_wait_end(pid, tl_now() + TL_KILL_WAIT, &e))
			ck_abort_msg("pid %ld survives SIGKILL", (long)pid);
	}
	tl_untrack_pid(pid);
	return (e);
}

/* Return 1 if something accepts TCP connections on 127.0.0.1:port. */
int
tl_port_listening(uint16_t port)
{
	struct tl_conn	*conn;

	if ((conn = tl_connect_try(port, 2.0)) == NULL)
		return (0);
	tl_close(conn);
	return (1);
}

/* Return 1 if a TCP port on 127.0.0.1 can be bound now, as creamasd binds. */
int
tl_port_free(uint16_t port)
{
	struct sockaddr_in	 sin;
	int			 fd, ok, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		ck_abort_msg("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* As creamasd binds: a port that only TIME_WAIT holds is free. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
		ck_abort_msg("SO_REUSEADDR: %s", strerror(errno));
	ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return (ok);
}

/*
 * The range tl_free_ports() draws from: $TL_PORTS ("FIRST-LAST"), which
 * the parallel runner gives each suite its own slice of, or 20000-31999.
 */
static void
tl_port_range(unsigned int *first, unsigned int *count)
{
	const char	*range = getenv("TL_PORTS");
	unsigned int	 low, high;

	*first = 20000;
	*count = 12000;
	if (range == NULL || *range == '\0')
		return;
	ck_assert_msg(sscanf(range, "%u-%u", &low, &high) == 2 && low > 1024 &&
	    low <= high && high < 32768, "TL_PORTS=%s is not FIRST-LAST "
	    "within 1025-32767", range);
	*first = low;
	*count = high - low + 1;
}

/*
 * Find count consecutive free ports on 127.0.0.1 below the usual
 * ephemeral range (32768 up), where no connection's own port lands, so
 * a master on the first can put its slaves on the next ones.
 */
uint16_t
tl_free_ports(size_t count)
{
	static int	 seeded;
	unsigned int	 range_first, range_count;
	uint16_t	 first;
	size_t		 tries, i;

	if (!seeded) {
		srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));
		seeded = 1;
	}
	tl_port_range(&range_first, &range_count);
	ck_assert_msg(count <= range_count, "%zu ports asked of a range of %u",
	    count, range_count);
	for (tries = 0; tries < 500; tries++) {
		first = (uint16_t)(range_first + (unsigned int)random() %
		    (range_count - count + 1));
		for (i = 0; i < count; i++) {
			if (!tl_port_free((uint16_t)(first + i)))
				break;
		}
		if (i == count)
			return (first);
	}
	ck_abort_msg("no %zu consecutive free ports found", count);
	return (0);
}

/*
 * Find count consecutive free ports as tl_free_ports() does, their first
 * at least room + 1 ports away from each of the ntaken ports taken (the
 * masters of a nodes file, each with room ports after it for slaves).
 */
uint16_t
tl_free_ports_apart(size_t count, const uint16_t *taken, size_t ntaken,
    size_t room)
{
	uint16_t	 port;
	size_t		 i, tries;

	for (tries = 0; tries < 100; tries++) {
		port = tl_free_ports(count);
		for (i = 0; i < ntaken; i++) {
			if (port <= taken[i] + room && taken[i] <= port + room)
				break;
		}
		if (i == ntaken)
			return (port);
	}
	ck_abort_msg("no %zu free ports apart from %zu others", count, ntaken);
	return (0);
}

/* Wait up to seconds for a port to stop listening; 1 if it did. */
int
tl_wait_port_closed(uint16_t port, double seconds)
{
	double	 deadline = tl_now() + seconds;

	for (;;) {
		if (!tl_port_listening(port))
			return (1);
		if (tl_now() >= deadline)
			return (0);
		tl_sleep(0.02);
	}
}

/* Build "$CREAMASD [-d --listen 127.0.0.1:0] args..." into argv. */
static void
tl_build_argv(const char **argv, int daemon_options,
    const char *const *args)
{
	size_t	 n = 0, i;

	argv[n++] = tl_creamasd();
	if (daemon_options) {
		argv[n++] = "-d";
		argv[n++] = "--listen";
		argv[n++] = "127.0.0.1:0";
	}
	for (i = 0; args[i] != NULL; i++) {
		ck_assert_msg(n < TL_MAX_ARGS - 1, "too many arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
}

/* Collect NULL-terminated variable arguments into an array. */
static void
tl_collect_args(const char **args, const char *first, va_list ap)
{
	const char	*arg;
	size_t		 n = 0;

	for (arg = first; arg != NULL; arg = va_arg(ap, const char *)) {
		ck_assert_msg(n < TL_MAX_ARGS - 1, "too many arguments");
		args[n++] = arg;
	}
	args[n] = NULL;
}

/* Describe an argument vector for messages; the string is static. */
static const char *
tl_argv_string(const char *const *argv)
{
	static char	 text[1024];
	size_t		 used = 0, i;
	int		 n;

	text[0] = '\0';
	for (i = 0; argv[i] != NULL && used < sizeof text; i++) {
		n = snprintf(text + used, sizeof text - used, "%s%s",
		    i == 0 ? "" : " ", argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return (text);
}

/*
 * Fork and exec argv with stdin from /dev/null and stdout and stderr on
 * the given descriptors. The child dies with the test process.
 */
static pid_t
tl_spawn(const char *const *argv, int out_fd, int err_fd)
{
	pid_t	 pid;

	tl_need_cleanup();
	if ((pid = launch_spawn(argv, out_fd, err_fd)) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	tl_track_pid(pid);
	return (pid);
}

/* Start $CREAMASD -d --listen 127.0.0.1:0 ARGS... (NULL-terminated). */
struct tl_daemon *
tl_daemon_start(const char *first, ...)
{
	const char	*args[TL_MAX_ARGS];
	va_list		 ap;

	va_start(ap, first);
	tl_collect_args(args, first, ap);
	va_end(ap);
	return (tl_daemon_startv(args));
}

/*
 * Start the daemon in the foreground on an ephemeral port, with the extra
 * arguments of a NULL-terminated array, and read the port it prints.
 */
struct tl_daemon *
tl_daemon_startv(const char *const *args)
{
	struct tl_daemon	*d;
	const char		*argv[TL_MAX_ARGS + 4];
	struct tl_exit		 e;
	char			 line[LAUNCH_LINE_MAX], *err;
	const char		*why;
	int			 fds[2], err_fd, rc;

	tl_build_argv(argv, 1, args);
	d = tl_alloc(sizeof *d);
	d->stderr_path = tl_printf("%s/daemon-%u.stderr", tl_scratch_dir(),
	    tl_serial++);
	if ((err_fd = open(d->stderr_path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644)) == -1)
		ck_abort_msg("%s: %s", d->stderr_path, strerror(errno));
	if (pipe2(fds, O_CLOEXEC) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
	d->pid = tl_spawn(argv, fds[1], err_fd);
	close(fds[1]);
	close(err_fd);

	/* The first line on stdout is the port. */
	rc = launch_read_port(fds[0], TL_TIMEOUT, &d->port, line, &why);
	close(fds[0]);
	if (rc != 0) {
		e = tl_stop_pid(d->pid, SIGKILL, TL_KILL_WAIT);
		err = tl_read_file(d->stderr_path);
		ck_abort_msg("%s: no port on stdout (got \"%s\"; %s); %s; "
		    "stderr:\n%s", tl_argv_string(argv), line, why,
		    tl_exit_string(&e), err != NULL ? err : "");
	}
	return (d);
}

/* Wait up to seconds for a daemon to exit by itself (after "stop"). */
struct tl_exit
tl_daemon_wait(struct tl_daemon *d, double seconds)
{
	return (tl_daemon_signal(d, 0, seconds));
}

/* Send a signal (none if 0) to a daemon and wait up to seconds for it. */
struct tl_exit
tl_daemon_signal(struct tl_daemon *d, int signo, double seconds)
{
	struct tl_exit	 e;

	ck_assert_msg(d->pid > 0, "daemon on port %u already stopped",
	    d->port);
	e = tl_stop_pid(d->pid, signo, seconds);
	d->pid = -1;
	return (e);
}

/* Stop a daemon by pid: SIGTERM, then SIGKILL after TL_STOP_WAIT. */
struct tl_exit
tl_daemon_stop(struct tl_daemon *d)
{
	return (tl_daemon_signal(d, SIGTERM, TL_STOP_WAIT));
}

/* Return what the daemon wrote on stderr so far, as a new string. */
char *
tl_daemon_stderr(const struct tl_daemon *d)
{
	char	*text;

	if ((text = tl_read_file(d->stderr_path)) == NULL)
		text = tl_strdup("");
	return (text);
}

/* Free a daemon, stopping it first if the test did not. */
void
tl_daemon_free(struct tl_daemon *d)
{
	if (d == NULL)
		return;
	if (d->pid > 0)
		tl_daemon_stop(d);
	unlink(d->stderr_path);
	free(d->stderr_path);
	free(d);
}

/* Append what can be read from fd to a growing buffer; 0 at EOF. */
static int
tl_drain_fd(int fd, char **buffer, size_t *used, size_t *size)
{
	ssize_t	 length;

	if (*size - *used < 4096) {
		ck_assert_msg(*size < TL_MAX_READ, "output over %d bytes",
		    TL_MAX_READ);
		*size = *size * 2 + 4096;
		if ((*buffer = realloc(*buffer, *size)) == NULL)
			ck_abort_msg("out of memory");
	}
	length = read(fd, *buffer + *used, *size - *used - 1);
	if (length == -1 && (errno == EINTR || errno == EAGAIN))
		return (1);
	if (length <= 0)
		return (0);
	*used += (size_t)length;
	(*buffer)[*used] = '\0';
	return (1);
}

/*
 * Have the guard kill, when the test ends, whatever children we have not
 * tracked: daemons adopted after a daemonising run. They stay untracked,
 * so tl_stray_child() still sees them.
 */
static void
tl_guard_strays(void)
{
	DIR		*dir;
	struct dirent	*entry;
	pid_t		 pid, parent;
	char		 state, *end;
	long		 number;

	if ((dir = opendir("/proc")) == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		number = strtol(entry->d_name, &end, 10);
		if (!isdigit((unsigned char)entry->d_name[0]) || *end != '\0')
			continue;
		pid = (pid_t)number;
		if (tl_proc_state(pid, &state, &parent) &&
		    parent == getpid() && !tl_is_tracked(pid))
			tl_guard_pid_tell('+', pid);
	}
	closedir(dir);
}

/*
 * Run argv to its exit, collecting stdout and stderr, within seconds.
 * With expect_failure, a process still running that printed a line on
 * stdout has started: that fails the test at once.
 */
static void
tl_run_argv(struct tl_run *run, double seconds, const char *const *argv,
    int expect_failure)
{
	struct pollfd	 pfd[2];
	size_t		 used[2] = { 0, 0 }, size[2] = { 0, 0 };
	char		*buffer[2] = { NULL, NULL };
	int		 out[2], err[2], open_fds = 2, i, ended = 0;
	double		 deadline = tl_now() + seconds;
	pid_t		 pid;

	memset(run, 0, sizeof *run);
	/* A daemonising run leaves a daemon: make it ours to find and stop. */
	tl_adopt_orphans();
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
	pid = tl_spawn(argv, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	for (i = 0; i < 2; i++) {
		size[i] = 4096;
		buffer[i] = tl_alloc(size[i]);
	}
	while (open_fds > 0 || !ended) {
		if (!ended)
			ended = tl_wait_end(pid, 0, &run->exit);
		if (expect_failure && !ended &&
		    memchr(buffer[0], '\n', used[0]) != NULL) {
			run->exit = tl_stop_pid(pid, SIGKILL, TL_KILL_WAIT);
			ck_abort_msg("%s: started (stdout \"%s\") where a "
			    "start-up failure was expected; stderr:\n%s",
			    tl_argv_string(argv), buffer[0], buffer[1]);
		}
		if (tl_now() >= deadline) {
			if (!ended)
				run->exit = tl_stop_pid(pid, SIGKILL,
				    TL_KILL_WAIT);
			ck_abort_msg("%s: %s after %.1f s (stdout %s); stdout:"
			    "\n%s\nstderr:\n%s", tl_argv_string(argv),
			    ended ? "exited but its output is still open" :
			    "still running", seconds, open_fds > 0 ? "open" :
			    "closed", buffer[0], buffer[1]);
		}
		for (i = 0; i < 2; i++)
			pfd[i].events = pfd[i].fd != -1 ? POLLIN : 0;
		if (poll(pfd, 2, open_fds > 0 ? 20 : 5) == -1 &&
		    errno != EINTR)
			ck_abort_msg("poll: %s", strerror(errno));
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (!tl_drain_fd(pfd[i].fd, &buffer[i], &used[i],
			    &size[i])) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	tl_untrack_pid(pid);
	tl_guard_strays();
	run->out = buffer[0];
	run->err = buffer[1];
}

/* Run $CREAMASD with exactly the given arguments, to its exit. */
void
tl_run(struct tl_run *run, double seconds, const char *first, ...)
{
	const char	*args[TL_MAX_ARGS];
	va_list		 ap;

	va_start(ap, first);
	tl_collect_args(args, first, ap);
	va_end(ap);
	tl_runv(run, seconds, args);
}

/* Run $CREAMASD with the arguments of a NULL-terminated array. */
void
tl_runv(struct tl_run *run, double seconds, const char *const *args)
{
	const char	*argv[TL_MAX_ARGS + 4];

	tl_build_argv(argv, 0, args);
	tl_run_argv(run, seconds, argv, 0);
}

/*
 * Run $CREAMASD -d --listen 127.0.0.1:0 with more arguments, expecting
 * it to fail to start: it must exit within TL_TIMEOUT without printing a
 * port. The caller checks the exit status and the message.
 */
void
tl_start_fail(struct tl_run *run, const char *first, ...)
{
	const char	*args[TL_MAX_ARGS], *argv[TL_MAX_ARGS + 4];
	va_list		 ap;

	va_start(ap, first);
	tl_collect_args(args, first, ap);
	va_end(ap);
	tl_build_argv(argv, 1, args);
	tl_run_argv(run, TL_TIMEOUT, argv, 1);
}

/*
 * Run another program (argv[0] a path, as /bin/sh) to its exit within
 * seconds, collecting what it prints.
 */
void
tl_run_program(struct tl_run *run, double seconds, const char *const *argv)
{
	tl_run_argv(run, seconds, argv, 0);
}

/* Free what a run collected. */
void
tl_run_free(struct tl_run *run)
{
	free(run->out);
	free(run->err);
	run->out = run->err = NULL;
}

/* Connect to 127.0.0.1:port within seconds; NULL (and errno) if not. */
struct tl_conn *
tl_connect_try(uint16_t port, double seconds)
{
	struct sockaddr_in	 sin;
	struct tl_conn		*conn;
	struct pollfd		 pfd;
	socklen_t		 length = sizeof(int);
	int			 fd, error = 0, flags, rc;
	double			 deadline = tl_now() + seconds;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		ck_abort_msg("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		while ((rc = poll(&pfd, 1, tl_poll_ms(deadline))) == -1 &&
		    errno == EINTR)
			;
		if (rc == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
		    &length) == -1)
			goto fail;
		if (error != 0) {
			errno = error;
			goto fail;
		}
	}
	/* Blocking from now on; every wait below goes through poll(). */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	conn = tl_alloc(sizeof *conn);
	conn->fd = fd;
	conn->port = port;
	conn->timeout = TL_TIMEOUT;
	conn->next_id = 1;
	return (conn);

fail:
	error = errno;
	close(fd);
	errno = error;
	return (NULL);
}

/* Connect to 127.0.0.1:port or fail the test. */
struct tl_conn *
tl_connect(uint16_t port)
{
	struct tl_conn	*conn;

	if ((conn = tl_connect_try(port, TL_TIMEOUT)) == NULL)
		ck_abort_msg("connect to 127.0.0.1:%u: %s", port,
		    strerror(errno));
	return (conn);
}

/* Close a connection and free it. */
void
tl_close(struct tl_conn *conn)
{
	if (conn == NULL)
		return;
	close(conn->fd);
	free(conn->buffer);
	free(conn);
}

/*
 * Send up to length bytes within seconds without ever blocking longer;
 * returns how many were sent (fewer if the peer stops reading or closes).
 */
size_t
tl_send_some(struct tl_conn *conn, const void *data, size_t length,
    double seconds)
{
	const char	*p = data;
	struct pollfd	 pfd;
	size_t		 sent = 0;
	ssize_t		 n;
	double		 deadline = tl_now() + seconds;

	while (sent < length) {
		n = send(conn->fd, p + sent, length - sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if (tl_now() >= deadline) {
			errno = ETIMEDOUT;
			break;
		}
		pfd.fd = conn->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, tl_poll_ms(deadline)) == -1 &&
		    errno != EINTR)
			break;
	}
	return (sent);
}

/* Send bytes exactly as given, all of them within conn->timeout. */
void
tl_send_raw(struct tl_conn *conn, const void *data, size_t length)
{
	size_t	 sent;

	sent = tl_send_some(conn, data, length, conn->timeout);
	ck_assert_msg(sent == length, "port %u: sent %zu of %zu bytes "
	    "within %.1f s: %s", conn->port, sent, length, conn->timeout,
	    strerror(errno));
}

/* Send a line: the text and "\n". */
void
tl_send_line(struct tl_conn *conn, const char *text)
{
	size_t	 length = strlen(text);
	char	*line;

	line = tl_alloc(length + 2);
	memcpy(line, text, length);
	line[length] = '\n';
	tl_send_raw(conn, line, length + 1);
	free(line);
}

/* Send a formatted line; "\n" is added. */
void
tl_send_linef(struct tl_conn *conn, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		ck_abort_msg("out of memory");
	va_end(ap);
	tl_send_line(conn, text);
	free(text);
}

/*
 * Read one line within seconds. TL_READ_LINE fills *line (a new string
 * without "\n"); otherwise *line is NULL and a partial line stays
 * buffered (at EOF it is dropped).
 */
enum tl_read
tl_read_line(struct tl_conn *conn, double seconds, char **line)
{
	struct pollfd	 pfd;
	char		*newline;
	size_t		 length;
	ssize_t		 n;
	double		 deadline = tl_now() + seconds;
	int		 rc;

	*line = NULL;
	for (;;) {
		if (conn->used > 0 && (newline = memchr(conn->buffer, '\n',
		    conn->used)) != NULL) {
			length = (size_t)(newline - conn->buffer);
			*line = tl_alloc(length + 1);
			memcpy(*line, conn->buffer, length);
			conn->used -= length + 1;
			memmove(conn->buffer, newline + 1, conn->used);
			return (TL_READ_LINE);
		}
		if (conn->size - conn->used < 65536) {
			ck_assert_msg(conn->size < TL_MAX_READ, "port %u: a "
			    "line over %d bytes", conn->port, TL_MAX_READ);
			conn->size = conn->size * 2 + 65536;
			if ((conn->buffer = realloc(conn->buffer,
			    conn->size)) == NULL)
				ck_abort_msg("out of memory");
		}
		pfd.fd = conn->fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, tl_poll_ms(deadline));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			ck_abort_msg("poll: %s", strerror(errno));
		if (rc == 0)
			return (TL_READ_TIMEOUT);
		n = recv(conn->fd, conn->buffer + conn->used,
		    conn->size - conn->used, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && (errno == ECONNRESET ||
		    errno == EPIPE))) {
			conn->used = 0;
			return (TL_READ_EOF);
		}
		if (n == -1)
			ck_abort_msg("port %u: recv: %s", conn->port,
			    strerror(errno));
		conn->used += (size_t)n;
	}
}

/* Read a line or fail the test; a new string. */
char *
tl_expect_line(struct tl_conn *conn, double seconds)
{
	char		*line;
	enum tl_read	 rc;

	rc = tl_read_line(conn, seconds, &line);
	ck_assert_msg(rc == TL_READ_LINE, "port %u: expected a line within "
	    "%.1f s, got %s", conn->port, seconds, rc == TL_READ_EOF ?
	    "the connection closed" : "nothing");
	return (line);
}

/* Fail the test unless the peer closes within seconds, sending nothing. */
void
tl_expect_eof(struct tl_conn *conn, double seconds)
{
	char		*line;
	enum tl_read	 rc;

	rc = tl_read_line(conn, seconds, &line);
	if (rc == TL_READ_LINE)
		ck_abort_msg("port %u: expected the connection to close, got "
		    "the line %.300s", conn->port, line);
	ck_assert_msg(rc == TL_READ_EOF, "port %u: the connection is still "
	    "open after %.1f s", conn->port, seconds);
}

/* Send {"jsonrpc":"2.0","id":id,"method":method,"params":params}. */
void
tl_send_call(struct tl_conn *conn, int64_t id, const char *method,
    const char *params)
{
	struct json_object	*name;

	name = json_object_new_string(method);
	if (params != NULL)
		tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
		    "\"method\":%s,\"params\":%s}", (long long)id,
		    json_object_to_json_string_ext(name,
		    JSON_C_TO_STRING_PLAIN), params);
	else
		tl_send_linef(conn, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
		    "\"method\":%s}", (long long)id,
		    json_object_to_json_string_ext(name,
		    JSON_C_TO_STRING_PLAIN));
	json_object_put(name);
}

/* Parse a whole JSON text, or NULL; *error describes why not. */
static struct json_object *
tl_json_try(const char *text, const char **error)
{
	struct json_tokener	*tokener;
	struct json_object	*value;
	enum json_tokener_error	 rc;
	size_t			 length = strlen(text);

	if ((tokener = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH)) ==
	    NULL)
		ck_abort_msg("out of memory");
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	/* The NUL is passed too, so that a number at the end is complete. */
	value = json_tokener_parse_ex(tokener, text, (int)length + 1);
	rc = json_tokener_get_error(tokener);
	if (rc == json_tokener_continue)
		*error = "truncated";
	else if (rc != json_tokener_success)
		*error = json_tokener_error_desc(rc);
	else if (json_tokener_get_parse_end(tokener) != length) {
		*error = "trailing data";
		json_object_put(value);
		value = NULL;
		rc = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tokener);
	if (rc != json_tokener_success) {
		json_object_put(value);
		return (NULL);
	}
	*error = NULL;
	return (value);
}

/* Parse a whole JSON text or fail the test. "null" gives NULL. */
struct json_object *
tl_json(const char *text)
{
	struct json_object	*value;
	const char		*error;

	value = tl_json_try(text, &error);
	ck_assert_msg(error == NULL, "invalid JSON (%s): %.500s", error,
	    text);
	return (value);
}

/* Read one line and parse it as a JSON object, or fail the test. */
struct json_object *
tl_read_json(struct tl_conn *conn, double seconds)
{
	struct json_object	*value;
	const char		*error;
	char			*line;

	line = tl_expect_line(conn, seconds);
	value = tl_json_try(line, &error);
	ck_assert_msg(error == NULL && json_object_is_type(value,
	    json_type_object), "port %u: a reply that is no JSON object "
	    "(%s): %.500s", conn->port, error != NULL ? error : "not an "
	    "object", line);
	free(line);
	return (value);
}

/* Describe a call for messages; the string is static. */
static const char *
tl_call_string(const char *method, const char *params)
{
	static char	 text[512];

	snprintf(text, sizeof text, "%s %.400s", method, params != NULL ?
	    params : "(no params)");
	return (text);
}

/*
 * Call a method (params a JSON text, or NULL for none) and return the
 * whole response, checked to be JSON-RPC 2.0 with the call's id.
 */
struct json_object *
tl_call(struct tl_conn *conn, const char *method, const char *params)
{
	struct json_object	*response, *version, *id;
	int64_t			 want = conn->next_id++;

	tl_send_call(conn, want, method, params);
	response = tl_read_json(conn, conn->timeout);
	ck_assert_msg(json_object_object_get_ex(response, "jsonrpc",
	    &version) && json_object_is_type(version, json_type_string) &&
	    strcmp(json_object_get_string(version), "2.0") == 0,
	    "%s: no \"jsonrpc\":\"2.0\" in %s", tl_call_string(method,
	    params), tl_json_text(response));
	ck_assert_msg(json_object_object_get_ex(response, "id", &id) &&
	    json_object_is_type(id, json_type_int) &&
	    json_object_get_int64(id) == want, "%s: expected id %lld in %s",
	    tl_call_string(method, params), (long long)want,
	    tl_json_text(response));
	return (response);
}

/* tl_call() with params formatted. */
struct json_object *
tl_callf(struct tl_conn *conn, const char *method, const char *fmt, ...)
{
	struct json_object	*response;
	va_list			 ap;
	char			*params;

	va_start(ap, fmt);
	if (vasprintf(&params, fmt, ap) == -1)
		ck_abort_msg("out of memory");
	va_end(ap);
	response = tl_call(conn, method, params);
	free(params);
	return (response);
}

/* Return a response's result (borrowed), failing on an error. */
struct json_object *
tl_response_result(struct json_object *response)
{
	struct json_object	*result, *error;

	ck_assert_msg(!json_object_object_get_ex(response, "error", &error),
	    "expected a result, got %s", tl_json_text(response));
	ck_assert_msg(json_object_object_get_ex(response, "result", &result),
	    "no result in %s", tl_json_text(response));
	return (result);
}

/* Return a response's error code, failing unless it is an error. */
int
tl_response_code(struct json_object *response)
{
	struct json_object	*error, *code, *message;

	ck_assert_msg(json_object_object_get_ex(response, "error", &error) &&
	    json_object_is_type(error, json_type_object),
	    "expected an error, got %s", tl_json_text(response));
	ck_assert_msg(!json_object_object_get_ex(response, "result", NULL),
	    "both a result and an error in %s", tl_json_text(response));
	ck_assert_msg(json_object_object_get_ex(error, "code", &code) &&
	    json_object_is_type(code, json_type_int), "no integer code in %s",
	    tl_json_text(response));
	ck_assert_msg(json_object_object_get_ex(error, "message", &message) &&
	    json_object_is_type(message, json_type_string),
	    "no message string in %s", tl_json_text(response));
	return (json_object_get_int(code));
}

/* Call a method and return its result (a new reference; NULL is null). */
struct json_object *
tl_ok(struct tl_conn *conn, const char *method, const char *params)
{
	struct json_object	*response, *result, *error;

	response = tl_call(conn, method, params);
	ck_assert_msg(!json_object_object_get_ex(response, "error", &error),
	    "%s: expected a result, got %s", tl_call_string(method, params),
	    tl_json_text(response));
	result = json_object_get(tl_response_result(response));
	json_object_put(response);
	return (result);
}

/* tl_ok() with params formatted. */
struct json_object *
tl_okf(struct tl_conn *conn, const char *method, const char *fmt, ...)
{
	struct json_object	*result;
	va_list			 ap;
	char			*params;

	va_start(ap, fmt);
	if (vasprintf(&params, fmt, ap) == -1)
		ck_abort_msg("out of memory");
	va_end(ap);
	result = tl_ok(conn, method, params);
	free(params);
	return (result);
}

/* Call a method expecting error code; return the error (a new reference). */
struct json_object *
tl_err(struct tl_conn *conn, int code, const char *method,
    const char *params)
{
	struct json_object	*response, *error = NULL;
	int			 got;

	response = tl_call(conn, method, params);
	ck_assert_msg(json_object_object_get_ex(response, "error", &error),
	    "%s: expected error %d, got %s", tl_call_string(method, params),
	    code, tl_json_text(response));
	got = tl_response_code(response);
	ck_assert_msg(got == code, "%s: expected error %d, got %s",
	    tl_call_string(method, params), code, tl_json_text(response));
	json_object_get(error);
	json_object_put(response);
	return (error);
}

/* tl_err() with params formatted. */
struct json_object *
tl_errf(struct tl_conn *conn, int code, const char *method,
    const char *fmt, ...)
{
	struct json_object	*error;
	va_list			 ap;
	char			*params;

	va_start(ap, fmt);
	if (vasprintf(&params, fmt, ap) == -1)
		ck_abort_msg("out of memory");
	va_end(ap);
	error = tl_err(conn, code, method, params);
	free(params);
	return (error);
}

/* Return a value as plain JSON text, owned by the value ("null" for NULL). */
const char *
tl_json_text(struct json_object *value)
{
	if (value == NULL)
		return ("null");
	return (json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
}

/* Return the last line of a text, parsed as JSON (a new reference). */
struct json_object *
tl_last_json_line(const char *text)
{
	const char	*start, *end;
	char		*line;
	struct json_object *value;

	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		end--;
	for (start = end; start > text && start[-1] != '\n'; start--)
		;
	ck_assert_msg(start < end, "no JSON line in \"%s\"", text);
	line = strndup(start, (size_t)(end - start));
	value = tl_json(line);
	free(line);
	return (value);
}

/* Return 1 if a value equals the JSON text (objects in any key order). */
int
tl_json_equal(struct json_object *value, const char *text)
{
	struct json_object	*expected;
	int			 equal;

	expected = tl_json(text);
	if (value == NULL || expected == NULL)
		equal = value == expected;
	else
		equal = json_object_equal(value, expected);
	json_object_put(expected);
	return (equal);
}

/* Fail the test unless a value equals the JSON text. */
void
tl_assert_json(struct json_object *value, const char *text)
{
	ck_assert_msg(tl_json_equal(value, text), "expected %.1000s, got "
	    "%.1000s", text, tl_json_text(value));
}

/* Return an object's member (borrowed; NULL for null), which must exist. */
struct json_object *
tl_member(struct json_object *object, const char *key)
{
	struct json_object	*value;

	ck_assert_msg(json_object_is_type(object, json_type_object),
	    "expected an object with \"%s\", got %s", key,
	    tl_json_text(object));
	ck_assert_msg(json_object_object_get_ex(object, key, &value),
	    "no \"%s\" in %.1000s", key, tl_json_text(object));
	return (value);
}

/* Return an array's element i (borrowed), which must exist. */
struct json_object *
tl_index(struct json_object *array, size_t i)
{
	ck_assert_msg(json_object_is_type(array, json_type_array),
	    "expected an array, got %.1000s", tl_json_text(array));
	ck_assert_msg(i < json_object_array_length(array), "no element %zu "
	    "in %.1000s", i, tl_json_text(array));
	return (json_object_array_get_idx(array, i));
}

/* Return an object's integer member, failing if it is not an integer. */
int64_t
tl_int(struct json_object *object, const char *key)
{
	struct json_object	*value = tl_member(object, key);

	ck_assert_msg(json_object_is_type(value, json_type_int),
	    "\"%s\" is no integer in %.1000s", key, tl_json_text(object));
	return (json_object_get_int64(value));
}

/* Return an object's string member (borrowed), failing if no string. */
const char *
tl_string(struct json_object *object, const char *key)
{
	struct json_object	*value = tl_member(object, key);

	ck_assert_msg(json_object_is_type(value, json_type_string),
	    "\"%s\" is no string in %.1000s", key, tl_json_text(object));
	return (json_object_get_string(value));
}

/* Write bytes as lowercase hex into text (2 * length + 1 bytes). */
static void
tl_hex(const unsigned char *bytes, size_t length, char *text)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < length; i++) {
		text[2 * i] = digits[bytes[i] >> 4];
		text[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	text[2 * length] = '\0';
}

/*
 * Write a key file of length random bytes with exactly the given mode
 * (set after creation, so the umask does not change it).
 */
void
tl_write_key(const char *path, size_t length, mode_t mode)
{
	unsigned char	*bytes;
	int		 fd;

	bytes = tl_alloc(length);
	ck_assert_msg(length == 0 || RAND_bytes(bytes, (int)length) == 1,
	    "RAND_bytes failed");
	/* A final newline is not part of a key: keep the length asked. */
	if (length > 0 && bytes[length - 1] == '\n')
		bytes[length - 1] = 'k';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		ck_abort_msg("cannot create %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, bytes, length) == (ssize_t)length &&
	    fchmod(fd, mode) == 0 && close(fd) == 0, "cannot write %s: %s",
	    path, strerror(errno));
	free(bytes);
}

/* Make a fresh 32-byte nonce in hex (TL_AUTH_HEX bytes). */
void
tl_auth_nonce(char *nonce)
{
	unsigned char	 bytes[32];

	ck_assert_msg(RAND_bytes(bytes, sizeof bytes) == 1,
	    "RAND_bytes failed");
	tl_hex(bytes, sizeof bytes, nonce);
}

/*
 * The proof of one side (role "client" or "server") under the key in a
 * file: HMAC-SHA256 over "creamas-auth-v1\nROLE\nFIRST\nSECOND", in hex
 * (TL_AUTH_HEX bytes), as the handshake defines it.
 */
void
tl_auth_proof(const char *key_path, const char *role, const char *first,
    const char *second, char *proof)
{
	unsigned char	 key[TL_KEY_MAX], digest[EVP_MAX_MD_SIZE];
	unsigned int	 length = 0;
	ssize_t		 key_length;
	char		*message;
	int		 fd;

	if ((fd = open(key_path, O_RDONLY | O_CLOEXEC)) == -1)
		ck_abort_msg("%s: %s", key_path, strerror(errno));
	key_length = read(fd, key, sizeof key);
	close(fd);
	/* As the daemon reads it: a final newline is not part of the key. */
	if (key_length > 0 && key[key_length - 1] == '\n')
		key_length--;
	ck_assert_msg(key_length > 0, "%s: no key in it", key_path);
	message = tl_printf("creamas-auth-v1\n%s\n%s\n%s", role, first,
	    second);
	ck_assert_msg(HMAC(EVP_sha256(), key, (int)key_length,
	    (const unsigned char *)message, strlen(message), digest,
	    &length) != NULL && length == 32, "HMAC failed");
	free(message);
	tl_hex(digest, length, proof);
}

/*
 * Prove to the daemon on conn that we hold the key in key_path, checking
 * on the way that it holds it too (its proof over our nonce); fails the
 * test otherwise.
 */
void
tl_auth(struct tl_conn *conn, const char *key_path)
{
	struct json_object	*result;
	char			 nonce[TL_AUTH_HEX], proof[TL_AUTH_HEX];
	char			 server_nonce[TL_AUTH_HEX];
	char			 expected[TL_AUTH_HEX];
	const char		*theirs;

	tl_auth_nonce(nonce);
	result = tl_okf(conn, "auth.challenge", "{\"nonce\":\"%s\"}", nonce);
	theirs = tl_string(result, "nonce");
	ck_assert_msg(strlen(theirs) == TL_AUTH_HEX - 1 &&
	    strspn(theirs, "0123456789abcdef") == TL_AUTH_HEX - 1,
	    "port %u: auth.challenge: a server nonce that is no 64 hex "
	    "digits: %s", conn->port, tl_json_text(result));
	memcpy(server_nonce, theirs, TL_AUTH_HEX);
	tl_auth_proof(key_path, "server", nonce, server_nonce, expected);
	ck_assert_msg(strcmp(tl_string(result, "proof"), expected) == 0,
	    "port %u: the server's proof is not made with %s: %s",
	    conn->port, key_path, tl_json_text(result));
	json_object_put(result);
	tl_auth_proof(key_path, "client", server_nonce, nonce, proof);
	result = tl_okf(conn, "auth.prove", "{\"proof\":\"%s\"}", proof);
	tl_assert_json(result, "true");
	json_object_put(result);
}

/* Listen on 127.0.0.1 on a free port (filled in); the socket. */
int
tl_listen(uint16_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 length = sizeof sin;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		ck_abort_msg("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &length) == -1)
		ck_abort_msg("listen on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* Accept a connection on a tl_listen() socket within seconds, or NULL. */
struct tl_conn *
tl_accept(int listen_fd, double seconds)
{
	struct tl_conn		*conn;
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	socklen_t		 length = sizeof sin;
	double			 deadline = tl_now() + seconds;
	int			 fd, rc;

	pfd.fd = listen_fd;
	pfd.events = POLLIN;
	while ((rc = poll(&pfd, 1, tl_poll_ms(deadline))) == -1 &&
	    errno == EINTR)
		;
	if (rc <= 0)
		return (NULL);
	if ((fd = accept4(listen_fd, (struct sockaddr *)&sin, &length,
	    SOCK_CLOEXEC)) == -1)
		ck_abort_msg("accept: %s", strerror(errno));
	conn = tl_alloc(sizeof *conn);
	conn->fd = fd;
	conn->port = ntohs(sin.sin_port);
	conn->timeout = TL_TIMEOUT;
	conn->next_id = 1;
	return (conn);
}

/* Return the path of the controller under test, from $CREAMASCTL. */
const char *
tl_ctl_path(void)
{
	const char	*path = getenv("CREAMASCTL");

	ck_assert_msg(path != NULL && *path != '\0',
	    "CREAMASCTL is not set: run the tests with make check");
	ck_assert_msg(access(path, X_OK) == 0, "CREAMASCTL=%s: %s", path,
	    strerror(errno));
	return (path);
}

/* Put $CREAMASCTL and the arguments of an array into argv. */
static void
tl_ctl_argv(const char **argv, const char *const *args)
{
	size_t	 n = 0;

	argv[n++] = tl_ctl_path();
	for (; *args != NULL; args++) {
		ck_assert_msg(n < TL_MAX_ARGS, "too many arguments");
		argv[n++] = *args;
	}
	argv[n] = NULL;
}

/* Append what fd has to a growing string; 0 at end of file. */
static int
tl_ctl_drain(int fd, char **buffer, size_t *used, size_t *size)
{
	ssize_t	 n;

	if (*size - *used < 4096) {
		*size = *size * 2 + 4096;
		*buffer = realloc(*buffer, *size);
		ck_assert_ptr_nonnull(*buffer);
	}
	n = read(fd, *buffer + *used, *size - *used - 1);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return (1);
	if (n <= 0)
		return (0);
	*used += (size_t)n;
	(*buffer)[*used] = '\0';
	return (1);
}

/*
 * Run $CREAMASCTL with the arguments of a NULL-terminated array, in dir
 * (if not NULL), with one more environment variable (if not NULL), with
 * stderr on err_fd instead of a pipe (if not -1) and stdin from
 * /dev/null; fail after seconds, else wait for its exit and collect what
 * it printed until both pipes are closed.
 */
void
tl_ctl_runv(struct tl_ctl *run, double seconds, const char *dir,
    const char *env, int err_fd, const char *const *args)
{
	const char	*argv[TL_MAX_ARGS + 2];
	struct pollfd	 pfd[2];
	char		*buffer[2];
	size_t		 used[2] = { 0, 0 }, size[2];
	int		 out[2], errp[2], status, open_fds = 2, k;
	double		 started = tl_now();

	memset(run, 0, sizeof *run);
	tl_ctl_argv(argv, args);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	if ((run->pid = fork()) == 0) {
		int	 null_fd = open("/dev/null", O_RDONLY);

		if (null_fd == -1)
			_exit(126);
		if (dir != NULL && chdir(dir) != 0)
			_exit(126);
		if (env != NULL && putenv((char *)(uintptr_t)env) != 0)
			_exit(126);
		dup2(null_fd, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err_fd != -1 ? err_fd : errp[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	ck_assert_int_gt(run->pid, 0);
	tl_track_pid(run->pid);
	close(out[1]);
	close(errp[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = errp[0];
	for (k = 0; k < 2; k++) {
		size[k] = 4096;
		buffer[k] = calloc(1, size[k]);
		ck_assert_ptr_nonnull(buffer[k]);
	}
	while (open_fds > 0) {
		ck_assert_msg(tl_now() - started < seconds,
		    "creamasctl %s: still running after %.0f s; stdout:\n%s\n"
		    "stderr:\n%s", args[0] != NULL ? args[0] : "", seconds,
		    buffer[0], buffer[1]);
		for (k = 0; k < 2; k++)
			pfd[k].events = pfd[k].fd != -1 ? POLLIN : 0;
		if (poll(pfd, 2, 100) == -1 && errno != EINTR)
			ck_abort_msg("poll: %s", strerror(errno));
		for (k = 0; k < 2; k++) {
			if (pfd[k].fd == -1 || pfd[k].revents == 0)
				continue;
			if (!tl_ctl_drain(pfd[k].fd, &buffer[k], &used[k],
			    &size[k])) {
				close(pfd[k].fd);
				pfd[k].fd = -1;
				open_fds--;
			}
		}
	}
	while (waitpid(run->pid, &status, 0) == -1)
		ck_assert_int_eq(errno, EINTR);
	tl_untrack_pid(run->pid);
	run->elapsed = tl_now() - started;
	run->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	run->out = buffer[0];
	run->err = buffer[1];
}

/* tl_ctl_runv() with the arguments as a list ending in NULL. */
void
tl_ctl_run(struct tl_ctl *run, double seconds, const char *first, ...)
{
	const char	*args[TL_MAX_ARGS];
	va_list		 ap;

	va_start(ap, first);
	tl_collect_args(args, first, ap);
	va_end(ap);
	tl_ctl_runv(run, seconds, NULL, NULL, -1, args);
}

/*
 * Start $CREAMASCTL in the background with the arguments of a
 * NULL-terminated array, stdin from /dev/null and its stdout and stderr
 * in files (so it never blocks on a full pipe); it is tracked until
 * tl_ctl_wait().
 */
void
tl_ctl_start(struct tl_ctl *run, const char *const *args)
{
	static unsigned int	 serial;
	const char		*argv[TL_MAX_ARGS + 2];
	int			 out, err, rc;

	memset(run, 0, sizeof *run);
	tl_ctl_argv(argv, args);
	rc = asprintf(&run->out_path, "%s/ctl-%u.out", tl_tempdir(), serial);
	ck_assert_msg(rc != -1, "out of memory");
	rc = asprintf(&run->err_path, "%s/ctl-%u.err", tl_tempdir(),
	    serial++);
	ck_assert_msg(rc != -1, "out of memory");
	out = open(run->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	err = open(run->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	ck_assert_msg(out != -1 && err != -1, "%s: %s", run->out_path,
	    strerror(errno));
	fflush(stdout);
	fflush(stderr);
	run->started = tl_now();
	if ((run->pid = fork()) == 0) {
		int	 null_fd = open("/dev/null", O_RDONLY);

		if (null_fd == -1 || dup2(null_fd, STDIN_FILENO) == -1 ||
		    dup2(out, STDOUT_FILENO) == -1 ||
		    dup2(err, STDERR_FILENO) == -1)
			_exit(126);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	ck_assert_msg(run->pid != -1, "fork: %s", strerror(errno));
	tl_track_pid(run->pid);
	close(out);
	close(err);
}

/* Wait up to seconds for a started run to end, then read what it printed. */
void
tl_ctl_wait(struct tl_ctl *run, double seconds)
{
	double	 deadline = tl_now() + seconds;
	int	 status;
	pid_t	 pid;

	while ((pid = waitpid(run->pid, &status, WNOHANG)) == 0) {
		if (tl_now() > deadline) {
			tl_stop_pid(run->pid, SIGKILL, 5.0);
			ck_abort_msg("creamasctl: still running after %.0f s; "
			    "stdout:\n%s\nstderr:\n%s", seconds,
			    tl_read_file(run->out_path),
			    tl_read_file(run->err_path));
		}
		usleep(10000);
	}
	ck_assert_msg(pid == run->pid, "waitpid: %s", strerror(errno));
	tl_untrack_pid(run->pid);
	run->elapsed = tl_now() - run->started;
	run->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	run->out = tl_read_file(run->out_path);
	run->err = tl_read_file(run->err_path);
	ck_assert_msg(run->out != NULL && run->err != NULL, "creamasctl's "
	    "output is gone");
}

/* Fail the test unless a run exited with status, showing its output. */
void
tl_ctl_expect(const struct tl_ctl *run, int status, const char *what)
{
	ck_assert_msg(run->status == status, "creamasctl %s: exit status %d,"
	    " expected %d; stdout:\n%s\nstderr:\n%s", what, run->status,
	    status, run->out, run->err);
}

/* Free what a run collected and remove its files, if any. */
void
tl_ctl_free(struct tl_ctl *run)
{
	if (run->out_path != NULL)
		unlink(run->out_path);
	if (run->err_path != NULL)
		unlink(run->err_path);
	free(run->out_path);
	free(run->err_path);
	free(run->out);
	free(run->err);
	memset(run, 0, sizeof *run);
}

/* Duplicate a string or fail the test. */
char *
tl_strdup(const char *s)
{
	char	*copy;

	ck_assert_msg((copy = strdup(s)) != NULL, "out of memory");
	return (copy);
}

/* Format a new string or fail the test. */
char *
tl_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_msg(rc != -1, "out of memory");
	return (s);
}

/* Allocate a zeroed array or fail the test. */
void *
tl_calloc(size_t count, size_t size)
{
	void	*p;

	ck_assert_msg((p = calloc(count, size)) != NULL, "out of memory");
	return (p);
}

/* Return the port of a tcp://127.0.0.1:PORT/N address. */
uint16_t
tl_address_port(const char *address)
{
	unsigned long	 port;
	char		*end;

	ck_assert_msg(strncmp(address, "tcp://127.0.0.1:", 16) == 0,
	    "address %s is not on 127.0.0.1", address);
	port = strtoul(address + 16, &end, 10);
	ck_assert_msg(*end == '/' && port > 0 && port <= 65535,
	    "no port in address %s", address);
	return ((uint16_t)port);
}

/* Return the agent number N of a tcp://HOST:PORT/N address. */
long
tl_address_agent(const char *address)
{
	const char	*slash = strrchr(address, '/');
	char		*end;
	long		 n;

	ck_assert_msg(slash != NULL && slash[1] != '\0', "no agent number in "
	    "%s", address);
	n = strtol(slash + 1, &end, 10);
	ck_assert_msg(*end == '\0' && n >= 0, "bad agent number in %s",
	    address);
	return (n);
}

/* Call a method and fail unless its result is the JSON text expected. */
void
tl_expect_result(struct tl_conn *conn, const char *method, const char *params,
    const char *expected)
{
	struct json_object	*result;

	result = tl_ok(conn, method, params);
	ck_assert_msg(tl_json_equal(result, expected), "%s %s: expected %s, "
	    "got %.1000s", method, params != NULL ? params : "", expected,
	    tl_json_text(result));
	json_object_put(result);
}
