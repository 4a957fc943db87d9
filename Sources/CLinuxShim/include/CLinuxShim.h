// CLinuxShim: the Linux calls and constants Ringside needs that Swift's Glibc
// module does not import (they sit behind _GNU_SOURCE or in headers it leaves
// out). Nothing io_uring: that is CLiburing's. Prefixed `rs_`.
//   - <sys/eventfd.h> and <sys/epoll.h>, which Glibc's module map leaves out;
//   - accept4(2), declared by glibc only under _GNU_SOURCE;
//   - the CPU_* macros, for worker pinning;
//   - pthread_setname_np and gettid, for naming and deprioritising pool threads.
#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H

#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>

// Number of CPUs this process may run on (sched_getaffinity), at least 1.
int rs_allowed_cpu_count(void);

// The index-th CPU this process may run on, or -1.
int rs_allowed_cpu(int index);

// Pins the calling thread to `cpu`. Returns 0 or -errno.
int rs_pin_current_thread(int cpu);

// accept4(2). Sets errno.
int rs_accept4(int listener, int flags);

// Names the calling thread (at most 15 bytes show). Returns 0 or -errno.
int rs_name_current_thread(const char *name);

// Makes the calling thread `steps` nicer than the process (at most 19). Returns 0 or -errno.
int rs_lower_current_thread_priority(int steps);

#endif
