#if canImport(Glibc)
import Glibc
#endif

/// The HTTP core as the owner of the served slots (``SlotOwner``): what the
/// loop tells it about its connections, and what it wants done with each.
extension HTTPCore: SlotOwner {
    @inline(__always)
    func socket(_ slot: Int) -> SocketHandle { connections.socket(slot) }

    /// Bytes arrived: every complete request among them is answered (over
    /// TLS, once decrypted: `HTTPCore+TLS.swift`).
    @inline(__always)
    mutating func received(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        if let tls = connections[slot].pointee.tls {
            receiveTLS(slot, tls, bytes)
        } else {
            receive(slot, bytes)
        }
        connections.markDirty(slot)
    }

    /// A send wrote `count` bytes of `slot`'s queue (over TLS, of its ciphertext).
    mutating func sent(_ slot: Int, _ count: Int) {
        observer.metrics?.add(.bytesSent, UInt64(count))
        if let tls = connections[slot].pointee.tls {
            tls.sent(count)
            if count > 0 { connections[slot].pointee.progressed = true }
            connections.markDirty(slot)
            return
        }
        answersSent(slot, count)
    }

    /// `count` bytes of `slot`'s answers went out (or, over TLS, were encrypted):
    /// what they freed may let a stream or paused requests go on.
    mutating func answersSent(_ slot: Int, _ count: Int) {
        let connection = connections[slot]
        connections.queues.consume(slot, count)
        if let session = connection.pointee.http2, connections.queues.count(slot) == 0 { giveBackHTTP2Buffer(session) }
        if count > 0 { connection.pointee.progressed = true }
        connections.markDirty(slot)
        if let stream = connection.pointee.stream {
            pump(slot, stream)
        } else if connection.isPaused && !connections.queues.isFull(slot) {
            connection.pointee.unpause()
            processSpill(slot)
        }
    }

    @inline(__always)
    mutating func changed(_ slot: Int) { connections.markDirty(slot) }

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

    /// Served sockets never connect.
    func connected(_ slot: Int, _ result: Int32) {}

    // MARK: The flush

    /// `slot`'s queue, while it has one to send (over TLS, its ciphertext).
    @inline(__always)
    mutating func output(_ slot: Int) -> UnsafeMutablePointer<msghdr>? {
        let connection = connections[slot]
        if connection.pointee.parent >= 0 {
            stageHTTP2(slot)  // a stream slot: its answer goes to its connection's HTTP/2 layer
            return nil
        }
        guard connection.pointee.phase != .closing else { return nil }
        if let session = connection.pointee.http2 { outputHTTP2(slot, session) }
        if let tls = connection.pointee.tls { return outputTLS(slot, tls) }
        guard connections.queues.count(slot) > 0 else { return nil }
        return connections.queues.message(slot)
    }

    /// Decides what `slot` needs after this turn, moving a finished
    /// connection on to lingering or closing, and points its timer at what
    /// its state calls for.
    mutating func nextStep(_ slot: Int) -> SlotStep {
        let connection = connections[slot]
        if connection.pointee.parent >= 0 {
            // A stream slot has no socket: the backend never hears of it.
            if connection.isOpen { updateTimer(slot) }
            return .none
        }
        let step: SlotStep
        switch connection.pointee.phase {
        case .free:
            return .none
        case .serving:
            step = .serve(receiving: connection.wantsInput)
        case .finishing:
            if connections.queues.count(slot) > 0 || connection.isWaiting || connection.pointee.tls?.hasOutput == true {
                step = .serve(receiving: false)
            } else if connection.lingersAfter {
                connection.pointee.startLingering()
                step = .halfClose
            } else {
                connection.pointee.abort()
                step = .close
            }
        case .lingering:
            step = .serve(receiving: true)
        case .closing:
            step = .close
        }
        updateTimer(slot)
        return step
    }

    /// The backend closed `slot`'s socket: the slot, its queue and its spill buffer are free.
    mutating func release(_ slot: Int) {
        let connection = connections[slot]
        observer.connectionClosed(slot)
        observer.metrics?.add(.connectionsClosed)
        timers.clearDeadline(SlotID(.served, slot))
        if let handler = connection.pointee.handler {
            if let stream = handler.stream {
                stream.closed = true
                stream.resume()  // the writer's next write throws
            }
            // The client is gone: a handler still working for it sees
            // `Task.isCancelled`; one still queued for the offload pool is skipped.
            handler.task?.cancel()
            handler.offloaded?.abandon()
            handler.reset()  // the object serves the slot's next connection
        }
        if let session = connection.pointee.http2 { releaseHTTP2(session) }
        if let tls = connection.pointee.tls {
            tlsReleased(slot, tls)
            if let buffer = tls.detachBuffer() { tlsBuffers.giveBack(buffer) }
        }
        spill.release(slot, highWater: connection.pointee.spillHighWater)
        connection.pointee.release()
        connections.free(slot)
    }

    @inline(__always)
    func generation(_ slot: Int) -> UInt32 { connections[slot].pointee.generation }

    @inline(__always)
    func flushed(_ slot: Int, generation: UInt32) { connections.flushed(slot, generation: generation) }
}

/// The rest of what the loop asks of the HTTP core.
extension HTTPCore {
    /// Takes a slot for a socket `listener` accepted, or nil when the table is full.
    mutating func open(fd: Int32, listener: Int) -> Int? {
        guard let slot = connections.take() else { return nil }
        connections[slot].pointee.open(fd: fd)
        if listener == tlsListener, let context = tlsContexts?.current() {
            guard let session = TLSSession(context) else {
                connections[slot].pointee.release()
                connections.free(slot)
                return nil
            }
            connections[slot].pointee.tls = session
            if tlsGate.admit(slot, generation: connections[slot].pointee.generation) {
                session.admitted = true
            } else {
                connections[slot].pointee.pause()  // its turn comes in `admitWaiting`
            }
        }
        observer.metrics?.add(.connectionsAccepted)
        connections.markDirty(slot)  // starts its idle timer and its receive
        return slot
    }

    var openCount: Int { connections.openCount }
    var isFull: Bool { connections.isFull }
    var capacity: Int { connections.capacity }

    /// The turn began (its clock reading is the timer service's `now`).
    @inline(__always)
    mutating func beginTurn() { observer.beginTurn(timers.now) }

    /// The turn ends: the access log's lines go out.
    @inline(__always)
    mutating func endTurn() { observer.endTurn() }

    /// Shutdown: the next answer on every connection says `connection: close`
    /// and ends it, so a client never has a request in flight on a
    /// connection the server closes without saying so. A connection idle
    /// since before the drain began is closed within a second or two
    /// (`TimeoutPolicy`): a client sending continuously has sent its next
    /// request by then.
    mutating func beginDrain() {
        draining = true
        connections.markAllOpen()  // their idle timers shorten
        drainHTTP2()
    }

    /// After a drain timed out: the descriptors of connections still open are closed.
    func closeOpenDescriptors() { connections.closeOpenDescriptors() }
}
