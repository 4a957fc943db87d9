/// Timeouts on the worker's timer service: pointing each connection's
/// deadline at what ``TimeoutPolicy`` calls for, and acting when one passes.
extension HTTPCore {
    /// Points the slot's deadline at the timeout its state calls for. The
    /// flush calls it for every open slot it looks at.
    @inline(__always)
    mutating func updateTimer(_ slot: Int) {
        let connection = connections[slot]
        let pending = connections.queues.count(slot) + (connection.pointee.tls?.hasOutput == true ? 1 : 0)
        let timer = timeoutPolicy.timer(for: connection, queued: pending)
        if timer != connection.pointee.timer || connection.pointee.progressed {
            connection.pointee.timer = timer
            connection.pointee.timerStart = timers.now
            connection.pointee.progressed = false
        }
        guard let nanoseconds = timeoutPolicy.nanoseconds(timer, draining: draining) else {
            timers.clearDeadline(SlotID(.served, slot))
            return
        }
        timers.setDeadline(SlotID(.served, slot), after: nanoseconds, from: connection.pointee.timerStart)
    }

    /// `slot`'s deadline passed.
    mutating func expired(_ slot: Int) {
        let connection = connections[slot]
        switch connection.pointee.timer {
        case .header where connection.pointee.tls?.handshakeDone == false:
            // A TLS handshake that did not finish in time: no HTTP answer can reach the client.
            connection.pointee.tls?.handshakeEnd = .timedOut
            connection.pointee.abort()
        case .idle where connection.pointee.tls != nil:
            // Over TLS the close is announced (close_notify, `HTTPCore+TLS.swift`), under the send timeout.
            connection.pointee.finishAfterFlush()
        case .header, .body:
            // Nothing was answered for this request yet: say why the connection ends.
            connection.pointee.spillCount = 0
            closeWithError(slot, .requestTimeout)
        case .handler:
            // The handler's late answer, if any, is dropped: the connection no longer waits.
            connection.pointee.endWaiting()
            connection.pointee.task?.cancel()
            connection.pointee.task = nil
            connection.pointee.offloaded?.abandon()  // still queued: it never runs
            connection.pointee.offloaded = nil
            connection.pointee.spillCount = 0
            closeWithError(slot, .handlerTimedOut)
            runtime.logger.warning("handler timed out", metadata: [
                "seconds": "\(Double(timeoutPolicy.nanoseconds(.handler, draining: false) ?? 0) / 1e9)",
            ])
        case .idle, .send, .linger, .none:
            connection.pointee.abort()
        }
        connection.pointee.timer = .none
        connections.markDirty(slot)
    }
}
