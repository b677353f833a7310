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

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "socket.h"

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
