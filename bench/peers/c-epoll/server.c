/* SPDX-License-Identifier: MIT */
/*
 * c-epoll: a minimal single-threaded epoll HTTP server, the "plain C epoll"
 * row of Ringside's bench/compare. It answers GET /v1/avatar with the same
 * bytes as Ringside (see ../c-common/plainhttp.h) the classic way:
 *
 * - level-triggered epoll, up to 512 events per epoll_wait;
 * - a non-blocking listener; up to 64 accept4(SOCK_NONBLOCK) per readiness
 *   (Ringside's batch);
 * - read(2) into one 4 KiB buffer, again while it comes back full;
 * - the answers to every complete request in a read go out with write(2)
 *   (one response) or writev(2) (several, up to 16 per call), straight from
 *   the prebuilt response: no copy, no allocation per request;
 * - a connection whose socket buffer is full waits for EPOLLOUT and stops
 *   reading meanwhile (one epoll_ctl each way, only when interest changes);
 * - close(2) once a Connection: close answer is written or the peer is done;
 * - the date is checked after every epoll_wait (time(2) is a vDSO call) and
 *   the wait never sleeps past the next whole second.
 *
 * epoll_event.data.u64 layout:
 *
 *   63                 32 31                    0
 *   +---------------------+-----------------------+
 *   |  generation (32)    |  fd (32)              |
 *   +---------------------+-----------------------+
 *
 * The connection table is indexed by descriptor; a connection closed and
 * its descriptor reused within one epoll_wait batch would otherwise take the
 * old connection's remaining events. The listener has generation 0 and a
 * connection never does.
 *
 *   c-epoll --port N --fixture PATH      (SIGTERM exits)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../c-common/plainhttp.h"

#define MAX_EVENTS 512
#define ACCEPT_BATCH 64

struct conn {
	uint32_t generation; /* never 0 once used: 0 is the listener's */
	uint8_t open;
	uint32_t interest;   /* what epoll watches now: EPOLLIN or EPOLLOUT */
	struct pc_http http;
};

static int ep;
static int listener;
static struct conn *conns; /* indexed by descriptor */
static char rbuf[PC_MAX_READ];

static void fail(const char *what)
{
	fprintf(stderr, "c-epoll: %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline uint64_t data_of(int fd, uint32_t generation)
{
	return (uint64_t)generation << 32 | (uint32_t)fd;
}

static void watch(int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	if (epoll_ctl(ep, op, fd, &ev) != 0)
		fail("epoll_ctl");
}

static void close_conn(int fd, struct conn *c)
{
	close(fd); /* also leaves the epoll set */
	pc_reset(&c->http);
	c->open = 0;
}

/* Writes what is owed until done or EAGAIN. Returns -1 on a write error. */
static int write_output(int fd, struct conn *c)
{
	struct iovec iov[PC_IOV_MAX];
	int n;
	while ((n = pc_output(&c->http, iov, PC_IOV_MAX)) > 0) {
		ssize_t written = n == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len) : writev(fd, iov, n);
		if (written < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		pc_sent(&c->http, (size_t)written);
	}
	return 0;
}

/* Writes, then closes or sets the interest the connection's state asks for. */
static void flush(int fd, struct conn *c)
{
	if (write_output(fd, c) != 0 || (!pc_has_output(&c->http) && c->http.close_after)) {
		close_conn(fd, c);
		return;
	}
	uint32_t interest = pc_has_output(&c->http) ? EPOLLOUT : EPOLLIN;
	if (interest != c->interest) {
		c->interest = interest;
		watch(EPOLL_CTL_MOD, fd, interest, data_of(fd, c->generation));
	}
}

static void on_readable(int fd, struct conn *c)
{
	for (;;) {
		ssize_t n = read(fd, rbuf, sizeof(rbuf));
		if (n > 0) {
			if (pc_receive(&c->http, rbuf, (size_t)n) != 0) {
				close_conn(fd, c);
				return;
			}
			if ((size_t)n < sizeof(rbuf) || c->http.close_after)
				break; /* drained: spare the EAGAIN round trip */
		} else if (n == 0) {
			c->http.close_after = 1; /* the peer is done sending: answer, then close */
			break;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			break;
		} else {
			close_conn(fd, c); /* ECONNRESET and the like */
			return;
		}
	}
	flush(fd, c);
}

static void on_listener(void)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				perror("c-epoll: accept4");
			return;
		}
		struct conn *c = &conns[fd];
		uint32_t generation = c->generation + 1;
		memset(c, 0, sizeof(*c));
		c->generation = generation ? generation : 1;
		c->open = 1;
		c->interest = EPOLLIN;
		watch(EPOLL_CTL_ADD, fd, EPOLLIN, data_of(fd, c->generation));
	}
}

int main(int argc, char **argv)
{
	int port;
	int max_fds = pc_setup(argc, argv, "epoll(7)", &port);

	conns = calloc((size_t)max_fds, sizeof(*conns)); /* untouched pages cost no memory */
	if (!conns)
		fail("calloc");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		fail("epoll_create1");
	listener = pc_listen(port, SOCK_NONBLOCK);
	watch(EPOLL_CTL_ADD, listener, EPOLLIN, data_of(listener, 0));

	static struct epoll_event events[MAX_EVENTS];
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int timeout = 1000 - (int)(now.tv_nsec / 1000000); /* the next whole second */
		int n = epoll_wait(ep, events, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait");
		pc_refresh_date();
		for (int i = 0; i < n; i++) {
			uint64_t data = events[i].data.u64;
			int fd = (int)(uint32_t)data;
			uint32_t generation = (uint32_t)(data >> 32);
			if (generation == 0) {
				on_listener();
				continue;
			}
			struct conn *c = &conns[fd];
			if (!c->open || c->generation != generation)
				continue; /* closed earlier in this batch */
			if (events[i].events & EPOLLOUT)
				flush(fd, c);
			else
				on_readable(fd, c); /* EPOLLIN, EPOLLHUP, EPOLLERR: read tells which */
		}
	}
}
