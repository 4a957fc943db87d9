/// What the loop tells the HTTP core about its connections, and what the
/// core wants done with each next.
extension HTTPCore {
    /// What a connection needs from the kernel after a turn.
    enum NextStep {
        /// Keep it open, reading or not.
        case serve(receiving: Bool)
        /// Every answer is out: shut the write side, read on (it lingers now).
        case halfClose
        /// Close it.
        case close
    }

    /// Takes a slot for an accepted socket, or nil when the table is full.
    mutating func open(fd: Int32) -> Int? {
        guard let slot = connections.open(fd: fd) else { return nil }
        observer.metrics?.add(.connectionsAccepted)
        connections.markDirty(slot)  // starts its idle timer and its receive
        return slot
    }

    /// The peer finished sending (EOF): answer what it asked, then close.
    mutating func peerFinished(_ slot: Int) {
        let connection = connections[slot]
        if connection.pointee.phase == .lingering {
            connection.pointee.abort()  // what lingering waited for
        } else {
            connection.pointee.finishAfterFlush()
        }
        connections.markDirty(slot)
    }

    /// The socket failed (reset, broken pipe): drop what is queued and close.
    mutating func failed(_ slot: Int) {
        connections[slot].pointee.abort()
        connections.markDirty(slot)
    }

    /// A send wrote `count` bytes of `slot`'s queue.
    mutating func sent(_ slot: Int, _ count: Int) {
        let connection = connections[slot]
        observer.metrics?.add(.bytesSent, UInt64(count))
        queues.consume(slot, count)
        if count > 0 { connection.pointee.progressed = true }
        connections.markDirty(slot)
        if let stream = connection.pointee.stream {
            pump(slot, stream)
        } else if connection.isPaused && !queues.isFull(slot) {
            connection.pointee.unpause()
            processSpill(slot)
        }
    }

    /// Whether `slot` has bytes to send now.
    @inline(__always)
    func hasOutput(_ slot: Int) -> Bool {
        queues.count(slot) > 0 && connections[slot].pointee.phase != .closing
    }

    /// Decides what `slot` needs after this turn, moving a finished
    /// connection on to lingering or closing.
    mutating func nextStep(_ slot: Int) -> NextStep {
        let connection = connections[slot]
        switch connection.pointee.phase {
        case .serving:
            return .serve(receiving: connection.wantsInput)
        case .finishing:
            guard queues.count(slot) == 0 && !connection.isWaiting else { return .serve(receiving: false) }
            if connection.lingersAfter {
                connection.pointee.startLingering()
                return .halfClose
            }
            connection.pointee.abort()
            return .close
        case .lingering:
            return .serve(receiving: true)
        case .closing, .free:
            return .close
        }
    }

    /// The backend closed `slot`'s socket: the slot and its queue are free.
    mutating func release(_ slot: Int) {
        requestEnded(slot)
        observer.metrics?.add(.connectionsClosed)
        queues.clear(slot)
        connections.free(slot)
    }

    /// Shutdown: the next answer on every connection says `connection: close`
    /// and ends it, so a client never has a request in flight on a
    /// connection the server closes without saying so. A connection idle
    /// since before this second is closed within a second or two
    /// (`TimeoutPolicy`): a client sending continuously has sent its next
    /// request by then.
    mutating func beginDrain() {
        draining = true
        for slot in 0..<connections.capacity where connections[slot].isOpen {
            connections.markDirty(slot)  // its idle timer shortens
        }
    }
}
