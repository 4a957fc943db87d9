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

extension MonotonicClock {
    /// CLOCK_MONOTONIC in nanoseconds: the worker's turn clock for request durations.
    @inline(__always)
    static var nanoseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec)
    }
}
