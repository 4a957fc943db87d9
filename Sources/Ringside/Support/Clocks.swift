#if canImport(Glibc)
import Glibc
#endif

// Every clock reading and unit conversion of the library, in one place. CLOCK_MONOTONIC for
// timeouts, deadlines and durations (a wall-clock step must not fire or stall them),
// CLOCK_REALTIME only for what a person reads: `date`, log times, request ids. The worker loop
// reads the monotonic clock once per turn (`LoopClock`); the rest read it here.

/// CLOCK_MONOTONIC.
enum MonotonicClock {
    /// Whole seconds: the unit of the connection timeouts.
    static var seconds: Int { now().tv_sec }

    /// Nanoseconds: deadlines of delayed answers, client calls and offloaded jobs.
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

    /// Whole seconds, rounded up (none below zero): the unit of the workers' once-a-second timeouts.
    var wholeSecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
