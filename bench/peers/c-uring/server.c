/* SPDX-License-Identifier: MIT */
/*
 * c-uring: a minimal single-threaded io_uring HTTP server, the "plain C
 * io_uring" row of Ringside's bench/compare. It answers GET /v1/avatar with
 * the same bytes as Ringside (see ../c-common/plainhttp.h) and does only
 * what a careful hand-written io_uring server does, nothing cleverer:
 *
 * - one ring, IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN | SUBMIT_ALL (6.1),
 *   1024 SQEs and a CQ four times larger, as Ringside's;
 * - one multishot accept on the listener (5.19);
 * - one multishot recv per connection, into a provided-buffer ring of 1024
 *   buffers of 4 KiB (6.0), as Ringside's; buffers go back to the kernel
 *   with one tail store per loop turn;
 * - the answers to every complete request in a read go out in one send
 *   (one response) or one sendmsg (several), straight from the prebuilt
 *   response: no copy, no allocation per request;
 * - closing: a hard-linked cancel of the recv and a close, neither posting
 *   a CQE on success;
 * - the date is rewritten by an absolute CLOCK_REALTIME timeout at every
 *   whole second;
 * - one io_uring_submit_and_wait per loop turn.
 *
 * Not used, on purpose (they are what Ringside may add on top): registered
 * ring fd, direct descriptors, send/recv bundles, zero-copy send.
 *
 * user_data layout (64 bits):
 *
 *   63      56 55                 32 31                    0
 *   +---------+---------------------+-----------------------+
 *   |  kind   |  generation (24)    |  fd (32)              |
 *   +---------+---------------------+-----------------------+
 *
 * The connection table is indexed by descriptor. A connection's generation
 * changes when it closes, so a completion that arrives after its
 * descriptor was closed (and perhaps reused by a new connection) carries a
 * stale generation and is ignored; its buffer, if any, is still recycled.
 *
 *   c-uring --port N --fixture PATH      (needs Linux 6.1; SIGTERM exits)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../c-common/plainhttp.h"

#define SQ_ENTRIES 1024
#define BUF_COUNT 1024
#define BUF_SIZE PC_MAX_READ
#define BUF_GROUP 0

enum kind {
	K_ACCEPT = 1, /* multishot accept on the listener */
	K_RECV,       /* multishot recv of connection fd */
	K_SEND,       /* send / sendmsg of connection fd */
	K_TICK,       /* the whole-second timeout */
	K_IGNORE,     /* cancels and closes: CQEs only on failure, nothing to undo */
};

static inline uint64_t ud(enum kind kind, uint32_t generation, int fd)
{
	return (uint64_t)kind << 56 | (uint64_t)(generation & 0xffffff) << 32 | (uint32_t)fd;
}
static inline enum kind ud_kind(uint64_t u) { return (enum kind)(u >> 56); }
static inline uint32_t ud_generation(uint64_t u) { return (uint32_t)(u >> 32) & 0xffffff; }
static inline int ud_fd(uint64_t u) { return (int)(uint32_t)u; }

struct conn {
	uint32_t generation;
	uint8_t open;
	uint8_t receiving;   /* a multishot recv is armed */
	uint8_t sending;     /* a send is in flight: msg and iov belong to the kernel */
	uint8_t closing;     /* close as soon as no send is in flight */
	uint8_t cancelled;   /* the in-flight send was asked to stop */
	uint8_t dirty;       /* on the dirty list for this turn */
	struct pc_http http;
	struct msghdr msg;
	struct iovec iov[PC_IOV_MAX];
};

static struct io_uring ring;
static struct io_uring_buf_ring *buf_ring;
static char *buf_base;
static unsigned buf_pending;      /* buffers recycled since the last publish */
static struct conn *conns;        /* indexed by descriptor */
static int *dirty;                /* connections to flush at the end of the turn */
static int dirty_count;
static int listener;
static int accepting;             /* the multishot accept is armed */
static int accept_failed;         /* accept failed (EMFILE...): re-arm at the next tick */
static struct __kernel_timespec tick_at;

static void fail(const char *what, int error)
{
	fprintf(stderr, "c-uring: %s: %s\n", what, strerror(error));
	exit(1);
}

/* A free SQE; when the queue is full, what is in it is submitted first. */
static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	if (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			fail("submission queue full", EBUSY);
	}
	return sqe;
}

/* liburing 2.3 has no io_uring_setup_buf_ring: map and register it by hand. */
static void setup_buffers(void)
{
	size_t ring_len = BUF_COUNT * sizeof(struct io_uring_buf);
	buf_ring = mmap(NULL, ring_len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	buf_base = mmap(NULL, (size_t)BUF_COUNT * BUF_SIZE, PROT_READ | PROT_WRITE,
			MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (buf_ring == MAP_FAILED || buf_base == MAP_FAILED)
		fail("mmap", errno);
	io_uring_buf_ring_init(buf_ring);
	struct io_uring_buf_reg reg = {
		.ring_addr = (unsigned long)buf_ring,
		.ring_entries = BUF_COUNT,
		.bgid = BUF_GROUP,
	};
	int ret = io_uring_register_buf_ring(&ring, &reg, 0);
	if (ret)
		fail("io_uring_register_buf_ring", -ret);
	for (int i = 0; i < BUF_COUNT; i++)
		io_uring_buf_ring_add(buf_ring, buf_base + (size_t)i * BUF_SIZE, BUF_SIZE, (unsigned short)i,
				      io_uring_buf_ring_mask(BUF_COUNT), i);
	io_uring_buf_ring_advance(buf_ring, BUF_COUNT);
}

/* Gives buffer `bid` back; the kernel sees it after publish_buffers(). */
static void recycle(unsigned bid)
{
	io_uring_buf_ring_add(buf_ring, buf_base + (size_t)bid * BUF_SIZE, BUF_SIZE, (unsigned short)bid,
			      io_uring_buf_ring_mask(BUF_COUNT), (int)buf_pending);
	buf_pending++;
}

static void publish_buffers(void)
{
	if (buf_pending) {
		io_uring_buf_ring_advance(buf_ring, (int)buf_pending);
		buf_pending = 0;
	}
}

static void arm_accept(void)
{
	struct io_uring_sqe *sqe = sqe_get();
	io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud(K_ACCEPT, 0, listener));
	accepting = 1;
}

static void arm_recv(int fd, struct conn *c)
{
	struct io_uring_sqe *sqe = sqe_get();
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, ud(K_RECV, c->generation, fd));
	c->receiving = 1;
}

/* Next whole second of CLOCK_REALTIME, so the date flips when the second does. */
static void arm_tick(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	tick_at.tv_sec = now.tv_sec + 1;
	tick_at.tv_nsec = 0;
	struct io_uring_sqe *sqe = sqe_get();
	io_uring_prep_timeout(sqe, &tick_at, 0, IORING_TIMEOUT_ABS | IORING_TIMEOUT_REALTIME);
	io_uring_sqe_set_data64(sqe, ud(K_TICK, 0, 0));
}

static void mark_dirty(int fd, struct conn *c)
{
	if (!c->dirty) {
		c->dirty = 1;
		dirty[dirty_count++] = fd;
	}
}

/* The open connection a completion belongs to, or NULL if it moved on. */
static struct conn *conn_of(uint64_t u)
{
	struct conn *c = &conns[ud_fd(u)];
	return c->open && (c->generation & 0xffffff) == ud_generation(u) ? c : NULL;
}

static void send_output(int fd, struct conn *c)
{
	int n = pc_output(&c->http, c->iov, PC_IOV_MAX);
	struct io_uring_sqe *sqe = sqe_get();
	if (n == 1) {
		io_uring_prep_send(sqe, fd, c->iov[0].iov_base, c->iov[0].iov_len, MSG_NOSIGNAL);
	} else {
		c->msg.msg_iov = c->iov;
		c->msg.msg_iovlen = (size_t)n;
		io_uring_prep_sendmsg(sqe, fd, &c->msg, MSG_NOSIGNAL);
	}
	io_uring_sqe_set_data64(sqe, ud(K_SEND, c->generation, fd));
	c->sending = 1;
}

/*
 * Cancels the recv (if armed) and closes, hard-linked so the close runs
 * whether or not the cancel found its target; the slot is free at once,
 * since later CQEs carry the old generation.
 */
static void close_conn(int fd, struct conn *c)
{
	struct io_uring_sqe *sqe;
	if (c->receiving) {
		sqe = sqe_get();
		io_uring_prep_cancel64(sqe, ud(K_RECV, c->generation, fd), 0);
		sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
		io_uring_sqe_set_data64(sqe, ud(K_IGNORE, 0, fd));
	}
	sqe = sqe_get();
	io_uring_prep_close(sqe, fd);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(sqe, ud(K_IGNORE, 0, fd));
	pc_reset(&c->http);
	c->open = 0;
	c->receiving = 0;
	c->generation++;
}

/* What a dirty connection needs next: a send, its close, or a new recv. */
static void flush(int fd, struct conn *c)
{
	c->dirty = 0;
	if (!c->open)
		return;
	if (!c->closing && !c->sending) {
		if (pc_has_output(&c->http))
			send_output(fd, c);
		else if (c->http.close_after)
			c->closing = 1;
	}
	if (c->closing) {
		if (!c->sending) {
			close_conn(fd, c);
		} else if (!c->cancelled) {
			/* A send can wait forever on a peer that does not read. */
			struct io_uring_sqe *sqe = sqe_get();
			io_uring_prep_cancel64(sqe, ud(K_SEND, c->generation, fd), 0);
			io_uring_sqe_set_data64(sqe, ud(K_IGNORE, 0, fd));
			c->cancelled = 1;
		}
		return;
	}
	/* A recv that ended (ENOBUFS, or no IORING_CQE_F_MORE) is re-armed. */
	if (!c->receiving && !c->http.close_after)
		arm_recv(fd, c);
}

static void on_accept(struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		accepting = 0; /* re-armed by the loop, or by the next tick after an error */
	if (cqe->res < 0) {
		if (cqe->res != -ECONNABORTED && cqe->res != -EINTR) {
			fprintf(stderr, "c-uring: accept: %s (retrying at the next tick)\n", strerror(-cqe->res));
			accept_failed = 1;
		}
		return;
	}
	int fd = cqe->res;
	struct conn *c = &conns[fd];
	uint32_t generation = c->generation;
	memset(c, 0, sizeof(*c));
	c->generation = generation;
	c->open = 1;
	arm_recv(fd, c);
}

static void on_recv(struct io_uring_cqe *cqe)
{
	struct conn *c = conn_of(cqe->user_data);
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (c && cqe->res > 0 && !c->closing &&
		    pc_receive(&c->http, buf_base + (size_t)bid * BUF_SIZE, (size_t)cqe->res) != 0)
			c->closing = 1;
		recycle(bid); /* pc_receive copied what it keeps */
	}
	if (!c)
		return;
	int fd = ud_fd(cqe->user_data);
	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->receiving = 0;
	if (cqe->res == 0)
		c->http.close_after = 1; /* the peer is done sending: answer, then close */
	else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED)
		c->closing = 1;          /* ECONNRESET and the like */
	mark_dirty(fd, c);
}

static void on_send(struct io_uring_cqe *cqe)
{
	struct conn *c = conn_of(cqe->user_data);
	if (!c)
		return;
	c->sending = 0;
	if (cqe->res < 0)
		c->closing = 1; /* EPIPE, ECONNRESET, or our cancel */
	else
		pc_sent(&c->http, (size_t)cqe->res);
	mark_dirty(ud_fd(cqe->user_data), c);
}

int main(int argc, char **argv)
{
	int port;
	int max_fds = pc_setup(argc, argv, "liburing", &port);

	conns = calloc((size_t)max_fds, sizeof(*conns)); /* untouched pages cost no memory */
	dirty = calloc((size_t)max_fds, sizeof(*dirty));
	if (!conns || !dirty)
		fail("calloc", ENOMEM);

	struct io_uring_params params = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE,
		.cq_entries = SQ_ENTRIES * 4,
	};
	int ret = io_uring_queue_init_params(SQ_ENTRIES, &ring, &params);
	if (ret < 0)
		fail("io_uring_queue_init_params (needs Linux 6.1)", -ret);
	setup_buffers();
	listener = pc_listen(port, 0);
	arm_accept();
	arm_tick();

	for (;;) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EBUSY)
			fail("io_uring_submit_and_wait", -ret);

		unsigned head, seen = 0;
		struct io_uring_cqe *cqe;
		io_uring_for_each_cqe(&ring, head, cqe) {
			switch (ud_kind(cqe->user_data)) {
			case K_ACCEPT: on_accept(cqe); break;
			case K_RECV: on_recv(cqe); break;
			case K_SEND: on_send(cqe); break;
			case K_TICK:
				pc_refresh_date();
				arm_tick();
				accept_failed = 0;
				break;
			case K_IGNORE: break;
			}
			seen++;
		}
		io_uring_cq_advance(&ring, seen);

		/* Buffers first: a recv re-armed after ENOBUFS needs them. */
		publish_buffers();
		for (int i = 0; i < dirty_count; i++)
			flush(dirty[i], &conns[dirty[i]]);
		dirty_count = 0;
		if (!accepting && !accept_failed)
			arm_accept();
	}
}
