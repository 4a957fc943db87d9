/// A worker's one timer service, in one unit: monotonic nanoseconds, from
/// the loop's one clock reading per turn.
///
/// - Coarse deadlines, one per slot of any kind (a served connection's
///   header, body, idle, send, handler or linger timeout; an outbound
///   connection's connect, response or idle timeout), on a ``TimerWheel``:
///   moved on every request at O(1), fired at most a wheel bucket late.
/// - Exact deadlines (delayed answers, ``WorkerClock`` sleeps, the waiting
///   lines of outbound pools) in ``ExactTimers``.
///
/// The loop reads both once per turn and routes what is due to its owner;
/// the HTTP core, the outbound table and handler tasks (through
/// `WorkerRuntime`) set them. A class, because they share it.
final class TimerService {
    // @exclusivity(unchecked): confined to the worker thread, and no method
    // here calls out while it changes these, so accesses cannot overlap.
    /// The turn's monotonic reading, nanoseconds.
    @exclusivity(unchecked) private(set) var now: Int64
    @exclusivity(unchecked) private var wheel: TimerWheel
    @exclusivity(unchecked) private var exact = ExactTimers()
    /// Sleeping tasks' continuations, by the index their timer carries; free places reused.
    @exclusivity(unchecked) private var sleepers: [CheckedContinuation<Void, Never>?] = []
    @exclusivity(unchecked) private var freeSleepers: [Int32] = []

    init(capacities: SlotCapacities, now: Int64) {
        self.now = now
        wheel = TimerWheel(capacities: capacities, now: now)
    }

    /// The loop's reading for this turn.
    @inline(__always)
    func advance(to now: Int64) { self.now = now }

    // MARK: Coarse: one deadline per slot

    /// (Re)sets `id`'s deadline, `nanoseconds` after `start`.
    @inline(__always)
    func setDeadline(_ id: SlotID, after nanoseconds: Int64, from start: Int64) {
        wheel.schedule(id, at: TimerService.adding(nanoseconds, to: start))
    }

    /// Sets `id`'s deadline `nanoseconds` from now.
    @inline(__always)
    func setDeadline(_ id: SlotID, after nanoseconds: Int64) { setDeadline(id, after: nanoseconds, from: now) }

    @inline(__always)
    func clearDeadline(_ id: SlotID) { wheel.unschedule(id) }

    /// The next slot whose deadline passed (unscheduled), nil when none.
    @inline(__always)
    func popExpiredSlot() -> SlotID? { wheel.popExpired(now: now) }

    // MARK: Exact

    /// `timer` fires `nanoseconds` after `start` (now by default).
    func add(_ timer: ExactTimer, after nanoseconds: Int64, from start: Int64? = nil) {
        exact.add(timer, at: TimerService.adding(nanoseconds, to: start ?? now))
    }

    /// A sleeping task resumes `nanoseconds` after `start`.
    func addSleep(_ continuation: CheckedContinuation<Void, Never>, after nanoseconds: Int64, from start: Int64) {
        let index: Int32
        if let free = freeSleepers.popLast() {
            index = free
            sleepers[Int(index)] = continuation
        } else {
            index = Int32(sleepers.count)
            sleepers.append(continuation)
        }
        add(.sleep(index), after: nanoseconds, from: start)
    }

    /// What an exact timer that is due hands its owner.
    enum Due {
        case answer(LaterAnswer)
        case resume(CheckedContinuation<Void, Never>)
        case clientQueue(pool: Int)
    }

    /// The next exact timer that is due, nil when none.
    @inline(__always)
    func popDue() -> Due? {
        guard !exact.isEmpty, let timer = exact.popDue(now: now) else { return nil }
        switch timer {
        case .answer(let answer):
            return .answer(answer)
        case .clientQueue(let pool):
            return .clientQueue(pool: Int(pool))
        case .sleep(let index):
            let continuation = sleepers[Int(index)]!
            sleepers[Int(index)] = nil
            freeSleepers.append(index)
            return .resume(continuation)
        }
    }

    var exactCount: Int { exact.count }

    // MARK: For the loop's wait

    /// Nanoseconds from now until the next deadline of either kind (0: due),
    /// nil without any. Exact ones are rounded up to a whole millisecond, so
    /// thousands of answers due microseconds apart go out in batches, one
    /// wake a millisecond at most, instead of one wake each.
    /// - Parameter clock: the reading exact deadlines are measured from (nil:
    ///   the clock is read afresh, as the wait starts after this turn's work,
    ///   not at its start; only when an exact timer waits).
    func nanosecondsUntilNext(clock: Int64? = nil) -> Int64? {
        var next = wheel.nextWake == .max ? nil : max(0, wheel.nextWake - now)
        if let earliest = exact.earliest {
            let reference = clock ?? MonotonicClock.nanoseconds
            let exactNext = (min(max(0, earliest - reference), 1 << 62) + 999_999) / 1_000_000 * 1_000_000
            next = min(next ?? .max, exactNext)
        }
        return next
    }

    /// `start + nanoseconds`, `.max` past the end of time.
    @inline(__always)
    static func adding(_ nanoseconds: Int64, to start: Int64) -> Int64 {
        let (sum, overflow) = start.addingReportingOverflow(nanoseconds)
        return overflow ? .max : sum
    }
}
