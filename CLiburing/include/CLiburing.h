// CLiburing: the parts of liburing 2.3 that Swift cannot import on its own.
//
// liburing's static inline helpers (io_uring_get_sqe, io_uring_prep_*,
// io_uring_cq_ready, io_uring_buf_ring_add, ...) import into Swift and inline
// there. What does not import is defined here, prefixed `rs_`:
//   - flag macros built from enum bits, e.g. IOSQE_FIXED_FILE;
//   - io_uring_for_each_cqe (a function-like macro): rs_cq_head/rs_cq_entry;
//   - io_uring_setup_buf_ring, which liburing only gained in 2.4;
//   - kernel interfaces newer than liburing 2.3's header (RS_IORING_*),
//     each used only after a run-time probe says the kernel has it;
//   - the peer address of a direct descriptor (rs_direct_peer_name).
// io_uring alone: other Linux calls the server needs are CLinuxShim's.
#ifndef CLIBURING_H
#define CLIBURING_H

// System headers first, with the default feature macros, so they come from
// Swift's Glibc module; liburing.h would otherwise re-read them with its own
// _XOPEN_SOURCE/_GNU_SOURCE and clash with Glibc's definitions (fd_set).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/select.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <inttypes.h>
#include <time.h>
#include <fcntl.h>

#include <liburing.h>

static const unsigned RS_IOSQE_FIXED_FILE = IOSQE_FIXED_FILE;
static const unsigned RS_IOSQE_IO_LINK = IOSQE_IO_LINK;
static const unsigned RS_IOSQE_IO_HARDLINK = IOSQE_IO_HARDLINK;
static const unsigned RS_IOSQE_ASYNC = IOSQE_ASYNC;
static const unsigned RS_IOSQE_BUFFER_SELECT = IOSQE_BUFFER_SELECT;
static const unsigned RS_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;

// IORING_OP_FIXED_FD_INSTALL (Linux 6.8): a real descriptor for a direct one.
// liburing 2.3's enum stops at IORING_OP_SENDMSG_ZC (48); the kernel's goes on
// READ_MULTISHOT, WAITID, FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAITV, FIXED_FD_INSTALL.
#define RS_IORING_OP_FIXED_FD_INSTALL 54

// Walking the CQ by hand: read head once, look at `ready` entries, then
// io_uring_cq_advance(ring, ready) once for the whole batch.
static inline unsigned rs_cq_head(const struct io_uring *ring) {
    return *ring->cq.khead;
}

static inline struct io_uring_cqe *rs_cq_entry(const struct io_uring *ring, unsigned index) {
    // Ringside never sets IORING_SETUP_CQE32, so entries are 16 bytes.
    return &ring->cq.cqes[index & ring->cq.ring_mask];
}

// Maps and registers a provided-buffer ring of `entries` (a power of two)
// for group `bgid`. Returns NULL and stores -errno in *error on failure.
struct io_uring_buf_ring *rs_setup_buf_ring(struct io_uring *ring, unsigned entries,
                                            int bgid, int *error);

// Unregisters and unmaps a ring made by rs_setup_buf_ring.
void rs_free_buf_ring(struct io_uring *ring, struct io_uring_buf_ring *br,
                      unsigned entries, int bgid);

// The ring of the calling thread, for lookups that must reach it from code
// that does not hold it (a handler asking for its peer's address). Set by
// the thread that owns the ring, cleared before the ring goes away.
void rs_set_thread_ring(struct io_uring *ring);
struct io_uring *rs_thread_ring(void);

// getpeername(2) for direct descriptor `index` of `ring`, synchronously:
// installs a real descriptor for it (IORING_OP_FIXED_FD_INSTALL, tagged
// `user_data`), asks it, closes it. Returns 0 or -errno. The install
// completes during the submit; its CQE is found past the CQ head and
// re-tagged 0 (a completion to ignore) so the ring's owner skips it later.
// -EAGAIN: the CQE was not there (CQ overflow): the owner meets it later
// tagged `user_data` and must close the descriptor in its result.
// Only for the ring's own thread (SINGLE_ISSUER), and never while the
// caller is between SQEs of one link chain.
int rs_direct_peer_name(struct io_uring *ring, unsigned index, struct sockaddr *address,
                        socklen_t *length, uint64_t user_data);

#endif
