#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC in whole seconds: timeouts must not jump with the wall clock.
enum MonotonicClock {
    static var seconds: Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec
    }
}
