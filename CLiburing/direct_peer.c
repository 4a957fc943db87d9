// The peer address of a direct descriptor: io_uring has no getpeername, and a
// direct descriptor is not in the process's table, so a real descriptor is
// installed for the call and closed after it. Used once per connection at
// most (a handler asking for `remoteAddress`), never on the request path.
#include "CLiburing.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static __thread struct io_uring *thread_ring;

void rs_set_thread_ring(struct io_uring *ring) { thread_ring = ring; }

struct io_uring *rs_thread_ring(void) { return thread_ring; }

int rs_direct_peer_name(struct io_uring *ring, unsigned index, struct sockaddr *address,
                        socklen_t *length, uint64_t user_data) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
        if (!sqe) return -EBUSY;
    }
    // No liburing 2.3 helper: the SQE is all zero but for the opcode, the
    // index, IOSQE_FIXED_FILE (required) and install_fd_flags 0 (O_CLOEXEC).
    memset(sqe, 0, sizeof(*sqe));
    sqe->opcode = RS_IORING_OP_FIXED_FD_INSTALL;
    sqe->fd = (int)index;
    sqe->flags = IOSQE_FIXED_FILE;
    sqe->user_data = user_data;
    int submitted = io_uring_submit(ring);
    if (submitted < 0) return submitted;

    // The install runs inline during the submit and its CQE is posted before
    // io_uring_enter returns. CQEs before it stay where they are: the owner's
    // batch walk reads them, and skips this one once it is re-tagged 0.
    unsigned head = *ring->cq.khead;
    unsigned tail = io_uring_smp_load_acquire(ring->cq.ktail);
    for (; head != tail; head++) {
        struct io_uring_cqe *cqe = &ring->cq.cqes[head & ring->cq.ring_mask];
        if (cqe->user_data != user_data) continue;
        int fd = cqe->res;
        cqe->user_data = 0;
        if (fd < 0) return fd;
        int result = getpeername(fd, address, length) == 0 ? 0 : -errno;
        close(fd);
        return result;
    }
    return -EAGAIN;
}
