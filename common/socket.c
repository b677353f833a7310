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

#include <sys/param.h>
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "socket.h"

#define SOCKET_LIBEVENT_READ	4096	/* libevent 2.1's most in one read */

/*
 * Send small writes at once: requests and replies are single lines and
 * a pipelined peer must not wait for Nagle's algorithm.
 */
void
socket_set_nodelay(evutil_socket_t fd)
{
	int	 on = 1;

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof on) == -1)
		log_debug("%s: %s", __func__,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/*
 * Queue a line, text and a newline, on a bufferevent's output. When the
 * socket is connected (eager) and nothing is queued yet, first write what
 * it takes at once, so that a short request or reply costs one system
 * call and no turn of the event loop; the rest, if any, is queued as
 * usual. A failed write is left for the bufferevent to find.
 */
void
socket_send_line(struct bufferevent *bev, const char *text, size_t length,
    int eager)
{
	struct evbuffer	*output = bufferevent_get_output(bev);
	evutil_socket_t	 fd = bufferevent_getfd(bev);
	struct iovec	 iov[2];
	struct msghdr	 msg;
	ssize_t		 sent = 0;

	if (eager && evbuffer_get_length(output) == 0 && fd >= 0 &&
	    (bufferevent_get_enabled(bev) & EV_WRITE) != 0) {
		iov[0].iov_base = (void *)(uintptr_t)text;
		iov[0].iov_len = length;
		iov[1].iov_base = (void *)(uintptr_t)"\n";
		iov[1].iov_len = 1;
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = iov;
		msg.msg_iovlen = 2;
		if ((sent = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0)
			sent = 0;
	}
	if ((size_t)sent < length)
		evbuffer_add(output, text + sent, length - (size_t)sent);
	if ((size_t)sent <= length)
		evbuffer_add(output, "\n", 1);
}

/*
 * Queue a buffer's text (taken, emptied) and a newline on a bufferevent's
 * output without a copy. When eager and nothing is queued yet, first
 * write what the socket takes at once, as socket_send_line() does: a
 * long reply then goes out in this turn of the loop, not the next. A
 * failed write is left for the bufferevent to find; return -1 only if
 * memory ran out.
 */
int
socket_send_buffer(struct bufferevent *bev, struct evbuffer *text,
    int eager)
{
	struct evbuffer		*output = bufferevent_get_output(bev);
	evutil_socket_t		 fd = bufferevent_getfd(bev);
	struct evbuffer_iovec	 vec[SOCKET_SEND_IOVECS];
	struct iovec		 iov[SOCKET_SEND_IOVECS];
	struct msghdr		 msg;
	ssize_t			 sent;
	size_t			 room;
	int			 n, i;

	if (evbuffer_add(text, "\n", 1) != 0)
		return (-1);
	if (eager && evbuffer_get_length(output) == 0 && fd >= 0 &&
	    (bufferevent_get_enabled(bev) & EV_WRITE) != 0) {
		n = evbuffer_peek(text, SOCKET_MAX_WRITE, NULL, vec,
		    SOCKET_SEND_IOVECS);
		if (n > SOCKET_SEND_IOVECS)
			n = SOCKET_SEND_IOVECS;
		for (i = 0, room = SOCKET_MAX_WRITE; i < n; i++) {
			iov[i].iov_base = vec[i].iov_base;
			iov[i].iov_len = MIN(vec[i].iov_len, room);
			room -= iov[i].iov_len;
		}
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		if ((sent = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
			evbuffer_drain(text, (size_t)sent);
	}
	return (evbuffer_add_buffer(output, text));
}

/*
 * Let a bufferevent write all that is queued in one system call:
 * libevent writes at most 16 KiB a turn of the loop by default, and a
 * reply of megabytes then costs a turn for each of its pieces.
 */
void
socket_write_all_at_once(struct bufferevent *bev)
{
	if (bufferevent_set_max_single_write(bev, SOCKET_MAX_WRITE) != 0)
		log_debug("%s: cannot set the largest write", __func__);
}

/*
 * Move what the socket holds into a bufferevent's input in one read,
 * while the input holds less than limit bytes: libevent 2.1 reads at
 * most 4 KiB a turn of the loop, so a long reply would cost a turn and
 * three system calls for each 4 KiB. EOF and errors are left for the
 * bufferevent to find on its next read.
 */
void
socket_read_more(struct bufferevent *bev, size_t limit)
{
	struct evbuffer		*input = bufferevent_get_input(bev);
	evutil_socket_t		 fd = bufferevent_getfd(bev);
	struct evbuffer_iovec	 vec[2];
	struct iovec		 iov[2];
	size_t			 have = evbuffer_get_length(input), want, left;
	ssize_t			 got;
	int			 ready, n, i;

	if (fd < 0 || have >= limit || ioctl(fd, FIONREAD, &ready) == -1 ||
	    ready <= 0)
		return;
	want = (size_t)ready < limit - have ? (size_t)ready : limit - have;
	/* A bufferevent keeps its input's end frozen but while it reads. */
	evbuffer_unfreeze(input, 0);
	if ((n = evbuffer_reserve_space(input, (ev_ssize_t)want, vec, 2)) >
	    0) {
		for (i = 0, left = want; i < n; i++) {
			iov[i].iov_base = vec[i].iov_base;
			iov[i].iov_len = vec[i].iov_len < left ?
			    vec[i].iov_len : left;
			left -= iov[i].iov_len;
		}
		if ((got = readv(fd, iov, n)) < 0)
			got = 0;
		for (i = 0; i < n && got > 0; i++) {
			vec[i].iov_len = (size_t)got < iov[i].iov_len ?
			    (size_t)got : iov[i].iov_len;
			got -= (ssize_t)vec[i].iov_len;
		}
		evbuffer_commit_space(input, vec, i);
	}
	evbuffer_freeze(input, 0);
}

/*
 * socket_read_more() from a bufferevent's read callback, but only after
 * a read that filled libevent's 4 KiB: an input holding less means the
 * socket had no more, and asking again would cost a system call for
 * nothing (what comes meanwhile wakes the loop anyway).
 */
void
socket_read_after(struct bufferevent *bev, size_t limit)
{
	if (evbuffer_get_length(bufferevent_get_input(bev)) >=
	    SOCKET_LIBEVENT_READ)
		socket_read_more(bev, limit);
}
