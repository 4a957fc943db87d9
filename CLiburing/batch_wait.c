// A batched wait: io_uring_enter with Linux 6.12's minimum wait time, which
// liburing 2.3 cannot pass (its io_uring_getevents_arg still has `pad`).
#include "CLiburing.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

// io_uring_getevents_arg from Linux 6.12 on.
struct rs_getevents_arg {
    __u64 sigmask;
    __u32 sigmask_sz;
    __u32 min_wait_usec;
    __u64 ts;
};

// liburing 2.3's internal INT_FLAG_REG_RING: the ring's descriptor is registered
// (io_uring_register_ring_fd) and enter_ring_fd is its index.
#define RS_INT_FLAG_REG_RING 1

int rs_submit_and_wait_batch(struct io_uring *ring, unsigned wait_nr, unsigned min_wait_usec,
                             const struct __kernel_timespec *timeout) {
    // What io_uring_submit does first (liburing's __io_uring_flush_sq): publish
    // the SQEs queued since the last submit; 2.3 filled the SQ array at set-up.
    struct io_uring_sq *sq = &ring->sq;
    unsigned tail = sq->sqe_tail;
    if (sq->sqe_head != tail) {
        sq->sqe_head = tail;
        io_uring_smp_store_release(sq->ktail, tail);
    }
    unsigned submit = tail - *sq->khead;

    struct rs_getevents_arg arg = {
        .sigmask = 0,
        .sigmask_sz = _NSIG / 8,
        .min_wait_usec = min_wait_usec,
        .ts = (__u64)(uintptr_t)timeout,
    };
    unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
    int fd = ring->ring_fd;
    if (ring->int_flags & RS_INT_FLAG_REG_RING) {
        flags |= IORING_ENTER_REGISTERED_RING;
        fd = ring->enter_ring_fd;
    }
    long result = syscall(__NR_io_uring_enter, fd, submit, wait_nr, flags, &arg, sizeof(arg));
    return result < 0 ? -errno : (int)result;
}
