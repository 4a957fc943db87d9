#if canImport(Glibc)
import Glibc
#endif

/// Deadlines of client slots (connect, response head, body progress, idle)
/// and of calls in line. One deadline per slot, no timer structure: the
/// table keeps a lower bound of them all, the loop wakes for it, and only
/// then are the slots scanned (there are few, and deadlines seconds apart).
extension ClientConnections {
    /// Starts `timer` on `slot`, due in `nanoseconds`.
    func setTimer(_ slot: Int, _ timer: ClientConnection.Timer, _ nanoseconds: Int64) {
        let connection = self[slot]
        let deadline = MonotonicClock.nanoseconds &+ nanoseconds
        connection.pointee.timer = timer
        connection.pointee.deadline = deadline
        connection.pointee.progressed = false
        nextDeadline = min(nextDeadline, deadline)
    }

    /// How long the loop may wait for the deadlines: nil without any.
    func nanosecondsUntilNextDeadline() -> Int64? {
        nextDeadline == .max ? nil : max(0, nextDeadline - MonotonicClock.nanoseconds)
    }

    /// Acts on every deadline that passed. The loop calls it once per turn.
    func fireTimers() {
        guard nextDeadline != .max else { return }
        let now = MonotonicClock.nanoseconds
        guard now >= nextDeadline else { return }
        nextDeadline = .max
        for slot in 0..<capacity where self[slot].pointee.timer != .none {
            if self[slot].pointee.deadline <= now { expire(slot, now: now) }
            let connection = self[slot]
            if connection.pointee.timer != .none { nextDeadline = min(nextDeadline, connection.pointee.deadline) }
        }
        for pool in pools.indices {
            while let deadline = pools[pool].nextWaitingDeadline, deadline <= now {
                pools[pool].nextWaiting()?.finish(.failure(.timedOut(.queue)))
            }
            if let deadline = pools[pool].nextWaitingDeadline { nextDeadline = min(nextDeadline, deadline) }
        }
    }

    private func expire(_ slot: Int, now: Int64) {
        let connection = self[slot]
        let pool = connection.pointee.pool
        switch connection.pointee.timer {
        case .none:
            break
        case .connect:
            fail(slot, .timedOut(.connect))
        case .responseHead:
            fail(slot, .timedOut(.responseHead))
        case .bodyProgress:
            if connection.pointee.progressed {
                setTimer(slot, .bodyProgress, pools[pool].bodyTimeout)
            } else {
                fail(slot, .timedOut(.bodyProgress))
            }
        case .idle:
            close(slot)
        }
    }
}
