#if canImport(Glibc)
import Glibc
#endif

// Every clock reading and unit conversion of the library, in one place (this folder).
// CLOCK_MONOTONIC, in nanoseconds, for every timeout, deadline and duration (a wall-clock step
// must not fire or stall them), CLOCK_REALTIME only for what a person reads: `date`, log times,
// request ids. The worker loop reads the monotonic clock once per turn (`LoopClock`) and its
// `TimerService` keeps that reading; code off the loop reads it here.

/// CLOCK_MONOTONIC.
enum MonotonicClock {
    /// Nanoseconds: what offloaded jobs measure their time with.
    static var nanoseconds: Int64 { now().nanoseconds }

    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time
    }
}

/// CLOCK_REALTIME, for response dates, log lines and request ids.
enum WallClock {
    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    static var seconds: Int { now().tv_sec }
}

extension timespec {
    /// The reading in nanoseconds.
    var nanoseconds: Int64 { Int64(tv_sec) * 1_000_000_000 + Int64(tv_nsec) }
}

extension Duration {
    /// Whole nanoseconds, negative ones as 0, huge ones as `Int64.max`: deadlines and timeouts.
    var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow || carry ? .max : total
    }
}
