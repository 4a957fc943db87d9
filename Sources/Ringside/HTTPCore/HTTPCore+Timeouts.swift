/// Timeouts on the worker's wheel: pointing each connection's timer at what
/// ``TimeoutPolicy`` calls for, and acting when one expires.
extension HTTPCore {
    /// Points the slot's timer at the timeout its state calls for. The loop
    /// calls it for every open slot it flushes.
    mutating func updateTimer(_ slot: Int) {
        let connection = connections[slot]
        let timer = timeoutPolicy.timer(for: connection, queued: queues.count(slot))
        if timer != connection.pointee.timer || connection.pointee.progressed {
            connection.pointee.timer = timer
            connection.pointee.timerStart = now
            connection.pointee.progressed = false
        }
        guard let seconds = timeoutPolicy.seconds(timer, draining: draining) else {
            connections.unschedule(slot)
            return
        }
        // `now` is whole seconds: +1 so a timeout never fires early. Never in
        // the past, where the wheel has already looked (a shortened timeout).
        connections.schedule(slot, at: max(connection.pointee.timerStart + seconds + 1, now + 1))
    }

    /// `slot`'s timer ran out.
    mutating func expire(_ slot: Int) {
        let connection = connections[slot]
        switch connection.pointee.timer {
        case .header, .body:
            // Nothing was answered for this request yet: say why the connection ends.
            connection.pointee.spillCount = 0
            fail(slot, .requestTimeout)
        case .handler:
            // The handler's late answer, if any, is dropped: the connection no longer waits.
            connection.pointee.endWaiting()
            connection.pointee.task?.cancel()
            connection.pointee.task = nil
            connection.pointee.offloaded?.abandon()  // still queued: it never runs
            connection.pointee.offloaded = nil
            connection.pointee.spillCount = 0
            fail(slot, .handlerTimedOut)
            runtime.logger.warning("handler timed out", metadata: [
                "seconds": "\(timeoutPolicy.seconds(.handler, draining: false) ?? 0)",
            ])
        case .idle, .send, .linger, .none:
            connection.pointee.abort()
        }
        connection.pointee.timer = .none
        connections.markDirty(slot)
    }
}
