#if canImport(Glibc)
import Glibc
#endif

/// The outbound connections as the owner of their slots (``SlotOwner``):
/// what the backend said about them, as the loop hands it over, what each
/// needs at the turn's end, and how a call ends: answered, failed (retried
/// once if it may be), or cancelled.
extension ClientConnections: SlotOwner {
    @inline(__always)
    func socket(_ slot: Int) -> SocketHandle { table.socket(slot) }

    /// The connect finished: 0 or `-errno`.
    func connected(_ slot: Int, _ result: Int32) {
        let connection = self[slot]
        guard connection.pointee.phase == .connecting, let exchange = connection.pointee.exchange else { return }
        guard result == 0 else { return failCall(slot, .connectFailed(errno: -result)) }
        if pools[connection.pointee.pool].target.tls != nil {
            startHandshake(slot)  // the call begins once it is done (`ClientConnections+TLS.swift`)
        } else {
            begin(slot, exchange, reused: false)
        }
    }

    /// Bytes arrived (over TLS, ciphertext: decrypted first, `ClientConnections+TLS.swift`).
    func received(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        if let tls = self[slot].pointee.tls {
            receiveTLS(slot, tls, bytes)
        } else {
            receivePlaintext(slot, bytes)
        }
    }

    /// Response bytes, or bytes on an idle connection (an upstream out of step: closed).
    func receivePlaintext(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        let connection = self[slot]
        switch connection.pointee.phase {
        case .active:
            connection.pointee.progressed = true
            let pool = connection.pointee.pool
            let fields = UnsafeMutableBufferPointer(rebasing: fields[..<pools[pool].maxHeaderCount])
            switch connection.pointee.reader.read(bytes, fields: fields) {
            case .needMore:
                if connection.pointee.timer == .responseHead && connection.pointee.reader.isReadingBody {
                    setTimer(slot, .bodyProgress, pools[pool].bodyTimeout)
                }
            case .complete(let reusable):
                completeCall(slot, reusable: reusable)
            case .failed(let error):
                failCall(slot, error)
            }
        case .idle:
            close(slot)
        case .free, .connecting, .handshaking, .closing:
            break
        }
    }

    /// EOF: ends a close-delimited body; anything else under way ended early.
    func peerFinished(_ slot: Int) {
        let connection = self[slot]
        switch connection.pointee.phase {
        case .active:
            switch connection.pointee.reader.peerFinished() {
            case .complete: completeCall(slot, reusable: false)
            case .failed(let error): failCall(slot, error)
            case .needMore: break
            }
        case .connecting:
            failCall(slot, .closedEarly)
        case .handshaking:
            failCall(slot, self[slot].pointee.tls?.clientError(expecting: pools[connection.pointee.pool].target.tlsExpectedName) ?? .closedEarly)
        case .idle:
            close(slot)  // the upstream closed a pooled connection: it is replaced when needed
        case .free, .closing:
            break
        }
    }

    @inline(__always)
    func changed(_ slot: Int) { table.markDirty(slot) }

    /// The socket failed (reset, broken pipe).
    func failed(_ slot: Int) {
        switch self[slot].pointee.phase {
        case .active, .connecting, .handshaking: failCall(slot, .closedEarly)
        case .idle: close(slot)
        case .closing: table.markDirty(slot)  // a cancelled send landed: the close can go on
        case .free: break
        }
    }

    /// A send wrote `count` bytes of the request (over TLS, of its ciphertext).
    func sent(_ slot: Int, _ count: Int) {
        if let tls = self[slot].pointee.tls {
            tls.sent(count)
        } else {
            table.queues.consume(slot, count)
        }
        table.markDirty(slot)
    }

    // MARK: The flush

    /// The request bytes to send now (over TLS, the handshake's or the request's ciphertext), or nil.
    @inline(__always)
    func output(_ slot: Int) -> UnsafeMutablePointer<msghdr>? {
        if let tls = table[slot].pointee.tls { return outputTLS(slot, tls) }
        guard table[slot].pointee.phase == .active && table.queues.count(slot) > 0 else { return nil }
        return table.queues.message(slot)
    }

    /// What `slot` needs from the backend now.
    func nextStep(_ slot: Int) -> SlotStep {
        let connection = table[slot]
        switch connection.pointee.phase {
        case .free:
            return .none
        case .connecting:
            if connection.pointee.connectQueued { return .none }
            connection.pointee.queueConnect()
            let (address, length) = address(slot)
            return .connect(address, length)
        case .handshaking, .active, .idle:
            return .serve(receiving: connection.pointee.wantsInput)
        case .closing:
            return .close
        }
    }

    /// The backend closed `slot`'s socket: the slot and its queue are free.
    func release(_ slot: Int) {
        if let tls = table[slot].pointee.tls, let buffer = tls.detachBuffer() { tlsBuffers.giveBack(buffer) }
        table[slot].pointee.release()
        table.free(slot)
    }

    @inline(__always)
    func generation(_ slot: Int) -> UInt32 { table[slot].pointee.generation }

    @inline(__always)
    func flushed(_ slot: Int, generation: UInt32) { table.flushed(slot, generation: generation) }

    // MARK: Ends of a call

    /// The response is complete: the call resumes, the connection goes back
    /// to the pool (to the oldest call in line, if any) or closes.
    private func completeCall(_ slot: Int, reusable: Bool) {
        let connection = self[slot]
        guard let exchange = connection.pointee.takeExchange() else { return }
        let pool = connection.pointee.pool
        exchange.finish(.success(connection.pointee.reader.takeResponse()))
        // An upstream that answered before reading the whole request is out of step.
        guard reusable && table.queues.count(slot) == 0 else {
            close(slot)
            return serveWaiting(pool)
        }
        connection.pointee.becomeIdle()
        if let next = pools[pool].nextWaiting() {
            begin(slot, next, reused: true)
        } else {
            pools[pool].putIdle(slot)
            setTimer(slot, .idle, pools[pool].idleTimeout)
            table.markDirty(slot)
        }
    }

    /// The call on `slot` failed with `error`. An idempotent request that
    /// failed on a reused connection before a byte of the response arrived
    /// (the upstream closed the pooled connection as it was sent) goes once
    /// more on a new connection; otherwise the call resumes with the error.
    func failCall(_ slot: Int, _ error: HTTPClientError) {
        let connection = self[slot]
        let pool = connection.pointee.pool
        guard var exchange = connection.pointee.takeExchange() else { return close(slot) }
        let retry = error == .closedEarly && connection.pointee.isReused && !connection.pointee.reader.started
            && exchange.request.isIdempotent && !exchange.retried
        close(slot)
        if retry {
            exchange.retried = true
            dispatch(exchange, pool: pool, fresh: true)
        } else {
            exchange.finish(.failure(error))
        }
        serveWaiting(pool)
    }
}
