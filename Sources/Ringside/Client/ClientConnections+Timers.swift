/// Deadlines of outbound slots (connect, response head, body progress, idle)
/// and of calls in line, on the worker's ``TimerService``: one coarse
/// deadline per slot, an exact timer per call in line.
extension ClientConnections {
    /// Starts `timer` on `slot`, due in `nanoseconds`.
    func setTimer(_ slot: Int, _ timer: ClientConnection.Timer, _ nanoseconds: Int64) {
        let connection = self[slot]
        connection.pointee.timer = timer
        connection.pointee.progressed = false
        timers.setDeadline(SlotID(.outbound, slot), after: nanoseconds)
    }

    func clearTimer(_ slot: Int) {
        self[slot].pointee.timer = .none
        timers.clearDeadline(SlotID(.outbound, slot))
    }

    /// `slot`'s deadline passed.
    func expired(_ slot: Int) {
        let connection = self[slot]
        let pool = connection.pointee.pool
        switch connection.pointee.timer {
        case .none:
            break
        case .connect:
            failCall(slot, .timedOut(.connect))
        case .tlsHandshake:
            failCall(slot, .timedOut(.tlsHandshake))
        case .responseHead:
            failCall(slot, .timedOut(.responseHead))
        case .bodyProgress:
            if connection.pointee.progressed {
                setTimer(slot, .bodyProgress, pools[pool].bodyTimeout)
            } else {
                failCall(slot, .timedOut(.bodyProgress))
            }
        case .idle:
            close(slot)
        }
    }

    /// Calls in `pool`'s line that waited their queue timeout out fail.
    func expireWaiting(_ pool: Int) {
        while let deadline = pools[pool].nextWaitingDeadline, deadline <= timers.now {
            pools[pool].nextWaiting()?.finish(.failure(.timedOut(.queue)))
        }
    }
}
