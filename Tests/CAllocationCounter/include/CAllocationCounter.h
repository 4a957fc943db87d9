// Counts heap allocations, for the allocation probe only.
//
// Linked into an executable, the definitions of malloc and friends in
// allocation_counter.c take the place of glibc's for the whole process
// (shared libraries included), count, and forward to glibc's own.
// Threads that call rs_allocations_exclude_this_thread() are not counted,
// so a probe can count its server threads and not its client thread.
#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

long rs_allocations(void);
void rs_allocations_exclude_this_thread(void);

#endif
