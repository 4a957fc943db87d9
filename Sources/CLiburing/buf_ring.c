// Provided-buffer ring set-up, as liburing 2.4's io_uring_setup_buf_ring does it.
#include "CLiburing.h"

#include <errno.h>
#include <sys/mman.h>

struct io_uring_buf_ring *rs_setup_buf_ring(struct io_uring *ring, unsigned entries,
                                            int bgid, int *error) {
    size_t length = (size_t)entries * sizeof(struct io_uring_buf);
    // The kernel reads the ring from this memory, so it must be page aligned.
    void *memory = mmap(NULL, length, PROT_READ | PROT_WRITE,
                        MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (memory == MAP_FAILED) {
        *error = -errno;
        return NULL;
    }
    struct io_uring_buf_ring *br = memory;
    io_uring_buf_ring_init(br);

    struct io_uring_buf_reg reg = {
        .ring_addr = (unsigned long)memory,
        .ring_entries = entries,
        .bgid = (unsigned short)bgid,
    };
    int result = io_uring_register_buf_ring(ring, &reg, 0);
    if (result != 0) {
        munmap(memory, length);
        *error = result;
        return NULL;
    }
    return br;
}

void rs_free_buf_ring(struct io_uring *ring, struct io_uring_buf_ring *br,
                      unsigned entries, int bgid) {
    io_uring_unregister_buf_ring(ring, bgid);
    munmap(br, (size_t)entries * sizeof(struct io_uring_buf));
}
