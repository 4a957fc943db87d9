#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_REALTIME, for response dates and the once-a-second tick.
enum WallClock {
    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    static var seconds: Int { now().tv_sec }
}
