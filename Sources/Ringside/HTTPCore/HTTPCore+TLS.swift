#if canImport(Glibc)
import Glibc
#endif

/// TLS as a layer of a served connection, inside its slot: ciphertext in
/// becomes plaintext for the same request processing as cleartext; answers
/// queued in cleartext (prebuilt ones from their laid-out bytes) are
/// encrypted as the flush sends them, into a worker buffer lent to the
/// connection only while it has ciphertext to send.
///
/// Backpressure is the cleartext one: answers leave the queue only once
/// encrypted, and only as much is encrypted as the output buffer holds,
/// which is sent before more is.
///
/// Threats here: a client that never finishes its handshake (closed at the
/// header timeout, `HTTPCore+Timeouts.swift`), one that sends cleartext or a
/// broken record (OpenSSL's alert if it has one, then a close), one that
/// sends without reading (memory per connection stays one output buffer and
/// the queue's depth of answers). Downgrades and renegotiation: `TLSContext`.
extension HTTPCore {
    /// Ciphertext arrived on a TLS connection: the handshake goes on, or
    /// each record's plaintext is processed as received bytes are.
    mutating func receiveTLS(_ slot: Int, _ tls: TLSSession, _ bytes: UnsafeRawBufferPointer) {
        lendOutput(to: tls)  // a handshake or an alert writes
        tls.feed(bytes)
        defer { tls.feed(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if !tls.handshakeDone {
            switch tls.handshake() {
            case .plaintext:
                handshakeCompleted(tls)
                if tls.negotiatedHTTP2 { startHTTP2(slot) }
            case .needMore:
                return
            case .closed, .failed:
                tls.handshakeEnd = .failed
                return tlsFailed(slot)
            }
        }
        while true {
            let phase = connections[slot].pointee.phase
            // Reading nothing new: the rest of the ciphertext goes with the connection.
            guard phase == .serving || phase == .lingering else { return }
            switch tls.read(into: tlsBuffers.plaintext) {
            case .plaintext(let count):
                receive(slot, UnsafeRawBufferPointer(rebasing: tlsBuffers.plaintext[..<count]))
            case .needMore:
                return
            case .closed:
                return peerFinished(slot)  // close_notify: as an EOF
            case .failed:
                return tlsFailed(slot)
            }
        }
    }

    /// The ciphertext to send now: what is left of the last encryption, else
    /// the queued answers encrypted while the output buffer has room.
    mutating func outputTLS(_ slot: Int, _ tls: TLSSession) -> UnsafeMutablePointer<msghdr>? {
        if !tls.hasOutput && tls.handshakeDone && connections.queues.count(slot) > 0 {
            lendOutput(to: tls)
            let taken = tls.encrypt(connections.queues.message(slot))
            if taken > 0 { answersSent(slot, taken) }
        }
        if !tls.hasOutput && connections[slot].pointee.phase == .finishing && connections.queues.count(slot) == 0
            && !connections[slot].isWaiting && !tls.closeNotified && tls.handshakeDone {
            // Every answer is out and the connection ends: say so.
            lendOutput(to: tls)
            tls.notifyClose()
        }
        if let message = tls.output() { return message }
        if let buffer = tls.takeBackBuffer() { tlsBuffers.giveBack(buffer) }
        return nil
    }

    private mutating func handshakeCompleted(_ tls: TLSSession) {
        handshakeEnded(tls)
        guard let metrics = observer.metrics else { return }
        metrics.add(tls.isTLS13 ? .tlsHandshakes13 : .tlsHandshakes12)
        if tls.resumed { metrics.add(.tlsResumed) }
    }

    /// A TLS connection closes: a handshake it never finished is counted by why.
    mutating func tlsReleased(_ slot: Int, _ tls: TLSSession) {
        guard !tls.handshakeDone else { return }
        handshakeEnded(tls)
        guard let metrics = observer.metrics else { return }
        switch tls.handshakeEnd {
        case .failed: metrics.add(.tlsHandshakesFailed)
        case .timedOut: metrics.add(.tlsHandshakesTimedOut)
        case nil: metrics.add(.tlsHandshakesAbandoned)
        }
    }

    /// A handshake the gate counted ended: the oldest waiting connections still open get their turn.
    private mutating func handshakeEnded(_ tls: TLSSession) {
        guard tls.admitted else { return }
        tls.admitted = false
        tlsGate.finished()
        while let (slot, generation) = tlsGate.nextWaiting() {
            let connection = connections[slot]
            guard connections.isCurrent(slot, generation), connection.isPaused, let waiting = connection.pointee.tls,
                  !waiting.admitted, !waiting.handshakeDone else { continue }
            tlsGate.started()
            waiting.admitted = true
            connection.pointee.unpause()
            connections.markDirty(slot)  // its receive is armed in this turn's flush
        }
    }

    private mutating func lendOutput(to tls: TLSSession) {
        if tls.outputBuffer == nil { tls.lend(tlsBuffers.take()) }
    }

    /// A handshake or record the connection cannot go on from: OpenSSL's
    /// alert, if it wrote one, goes out, then the connection closes.
    private mutating func tlsFailed(_ slot: Int) {
        let connection = connections[slot]
        switch connection.pointee.phase {
        case .serving, .finishing:
            connection.pointee.spillCount = 0
            connection.pointee.finishAfterFlush()
        default:
            connection.pointee.abort()
        }
    }
}
