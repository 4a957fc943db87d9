// CLiburing: the parts of liburing 2.3 that Swift cannot import on its own.
//
// liburing's static inline helpers (io_uring_get_sqe, io_uring_prep_*,
// io_uring_cq_ready, io_uring_buf_ring_add, ...) import into Swift and inline
// there. What does not import is defined here, prefixed `rs_`:
//   - flag macros built from enum bits, e.g. IOSQE_FIXED_FILE;
//   - io_uring_for_each_cqe (a function-like macro): rs_cq_head/rs_cq_entry;
//   - io_uring_setup_buf_ring, which liburing only gained in 2.4.
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

#endif
