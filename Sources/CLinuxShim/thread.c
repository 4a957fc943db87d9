// Naming and deprioritising the calling thread: pthread_setname_np and gettid
// are declared by glibc only under _GNU_SOURCE.
#define _GNU_SOURCE
#include "CLinuxShim.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

int rs_name_current_thread(const char *name) {
    return -pthread_setname_np(pthread_self(), name);
}

int rs_lower_current_thread_priority(int steps) {
    // On Linux, PRIO_PROCESS with a thread id sets that thread alone.
    errno = 0;
    int current = getpriority(PRIO_PROCESS, 0);
    if (current == -1 && errno != 0) return -errno;
    int wanted = current + steps > 19 ? 19 : current + steps;
    return setpriority(PRIO_PROCESS, (id_t)gettid(), wanted) == 0 ? 0 : -errno;
}
