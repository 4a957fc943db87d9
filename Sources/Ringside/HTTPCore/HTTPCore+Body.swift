import HTTP1

/// Request bodies on a connection: the ``BodyReader`` reads them, and the
/// end of one answers its request (the held-back prebuilt answer, or the
/// handler that waited for it).
extension HTTPCore {
    /// Starts reading the body `head` announced.
    mutating func startBody(_ slot: Int, _ head: RequestHead) {
        connections[slot].pointee.body = bodies.start(head)
    }

    /// Reads body bytes from `start`; returns the offset after them (all of
    /// `input` once the connection ends on a bad body).
    mutating func consumeBody(_ slot: Int, _ input: UnsafeRawBufferPointer, from start: Int) -> Int {
        let connection = connections[slot]
        var offset = start
        connection.pointee.progressed = true
        switch bodies.read(&connection.pointee.body, input, offset: &offset, into: connection.pointee.pending) {
        case .needMore:
            return offset
        case .tooLarge:
            closeWithError(slot, .contentTooLarge)
            return input.count
        case .invalid:
            closeWithError(slot, .badRequest)
            return input.count
        case .ended:
            bodyEnded(slot)
            return offset
        }
    }

    /// The body was read: its request is answered.
    private mutating func bodyEnded(_ slot: Int) {
        let connection = connections[slot]
        if let held = connection.pointee.heldAnswer {
            connection.pointee.heldAnswer = nil
            queueAnswer(slot, held.index, held.framing)
            if held.closes { connection.pointee.finishAfterFlush() }
        } else if let pending = connection.pointee.pending {
            connection.pointee.pending = nil
            runPending(slot, pending)
        }
    }
}
