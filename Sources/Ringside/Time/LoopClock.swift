#if canImport(Glibc)
import Glibc
#endif

/// The loop's time, read once per turn: monotonic nanoseconds for every
/// deadline and duration (immune to wall-clock jumps), a tick when a
/// monotonic second begins (accept back-off), wall-clock seconds for `date`,
/// flipped when the wall second does.
///
/// One monotonic reading per turn (`MonotonicClock`): the wall clock is the
/// monotonic one plus an offset, read again once a second.
struct LoopClock {
    private var monotonic = timespec()
    /// Realtime minus monotonic, in nanoseconds.
    private var wallOffset: Int64 = 0
    private var monotonicSecond: Int
    private(set) var wallSecond: Int

    init() {
        monotonic = MonotonicClock.now()
        monotonicSecond = monotonic.tv_sec
        wallSecond = 0
        wallOffset = LoopClock.offset(from: monotonic)
        wallSecond = Int(wallNanoseconds / 1_000_000_000)
    }

    /// What changed since the last turn.
    struct Ticks {
        /// A monotonic second began.
        var second = false
        /// A wall-clock second began: time to refresh dates.
        var date = false
    }

    /// Reads the clock for this turn.
    mutating func advance() -> Ticks {
        monotonic = MonotonicClock.now()
        var ticks = Ticks()
        if monotonic.tv_sec != monotonicSecond {
            monotonicSecond = monotonic.tv_sec
            wallOffset = LoopClock.offset(from: monotonic)  // follows wall-clock steps within a second
            ticks.second = true
        }
        let wall = Int(wallNanoseconds / 1_000_000_000)
        if wall != wallSecond {
            wallSecond = wall
            ticks.date = true
        }
        return ticks
    }

    /// Nanoseconds from the last reading until either kind of second begins.
    var nanosecondsUntilNextTick: Int64 {
        let untilMonotonic = 1_000_000_000 - Int64(monotonic.tv_nsec)
        let untilWall = 1_000_000_000 - wallNanoseconds % 1_000_000_000
        return min(untilMonotonic, untilWall)
    }

    /// The turn's monotonic reading in nanoseconds (request durations are measured on it).
    var monotonicNanoseconds: Int64 { monotonic.nanoseconds }

    private var wallNanoseconds: Int64 { monotonic.nanoseconds + wallOffset }

    private static func offset(from monotonic: timespec) -> Int64 {
        WallClock.now().nanoseconds - monotonic.nanoseconds
    }
}
