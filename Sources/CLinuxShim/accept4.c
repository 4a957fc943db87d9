// accept4 for the epoll backend: glibc declares it only under _GNU_SOURCE.
#define _GNU_SOURCE
#include "CLinuxShim.h"

#include <sys/socket.h>

int rs_accept4(int listener, int flags) {
    return accept4(listener, NULL, NULL, flags);
}
