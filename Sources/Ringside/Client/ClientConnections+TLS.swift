#if canImport(Glibc)
import Glibc
#endif

/// TLS as a layer of an outbound connection, inside its slot (as
/// `HTTPCore+TLS.swift` is for served ones): once connected the handshake
/// runs on the worker's loop, then the call begins; its request, queued in
/// cleartext, is encrypted as the flush sends it, and the response's
/// records are decrypted into the same reader as cleartext bytes.
///
/// Threats here: an upstream whose certificate is not trusted or does not
/// name it (the handshake fails, and the call with
/// ``HTTPClientError/certificateNotTrusted(_:)`` or
/// ``HTTPClientError/certificateNameMismatch(_:)``; nothing is sent), one
/// that stalls the handshake (the connect timeout, again, from the connect).
extension ClientConnections {
    /// Connected: the handshake starts (the ClientHello goes out in this turn's flush).
    func startHandshake(_ slot: Int) {
        let connection = self[slot]
        let pool = connection.pointee.pool
        guard let tls = pools[pool].makeTLSSession() else {
            return failCall(slot, .tlsHandshakeFailed("OpenSSL could not make a session"))
        }
        connection.pointee.startHandshake(tls)
        setTimer(slot, .tlsHandshake, pools[pool].connectTimeout)
        lendOutput(to: tls)
        handshake(slot, tls)
    }

    /// Ciphertext arrived: the handshake goes on, or records are decrypted and read as response bytes.
    func receiveTLS(_ slot: Int, _ tls: TLSSession, _ bytes: UnsafeRawBufferPointer) {
        lendOutput(to: tls)
        tls.feed(bytes)
        defer { tls.feed(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if !tls.handshakeDone {
            guard handshake(slot, tls) else { return }
        }
        while true {
            let phase = self[slot].pointee.phase
            guard phase == .active || phase == .idle, self[slot].pointee.tls === tls else { return }
            switch tls.read(into: tlsBuffers.plaintext) {
            case .plaintext(let count):
                receivePlaintext(slot, UnsafeRawBufferPointer(rebasing: tlsBuffers.plaintext[..<count]))
            case .needMore:
                return table.markDirty(slot)  // a ticket or KeyUpdate may have written
            case .closed:
                return peerFinished(slot)
            case .failed where phase == .active:
                // In TLS 1.3 the upstream can refuse the client's certificate after the
                // client's side of the handshake ended: its alert arrives in place of the response.
                return failCall(slot, tls.clientError(expecting: pools[self[slot].pointee.pool].target.tlsExpectedName))
            case .failed:
                return close(slot)
            }
        }
    }

    /// Drives the handshake; once done, the waiting call begins. Returns whether it is done.
    @discardableResult
    private func handshake(_ slot: Int, _ tls: TLSSession) -> Bool {
        table.markDirty(slot)  // what the handshake wrote goes out
        switch tls.handshake() {
        case .plaintext:
            guard let exchange = self[slot].pointee.exchange else {
                close(slot)
                return false
            }
            begin(slot, exchange, reused: false)
            return true
        case .needMore:
            return false
        case .closed, .failed:
            failCall(slot, tls.clientError(expecting: pools[self[slot].pointee.pool].target.tlsExpectedName))
            return false
        }
    }

    /// The ciphertext to send now: what is left of the last encryption, else
    /// the queued request encrypted while the output buffer has room.
    func outputTLS(_ slot: Int, _ tls: TLSSession) -> UnsafeMutablePointer<msghdr>? {
        let phase = table[slot].pointee.phase
        guard phase != .closing && phase != .free else { return nil }
        if !tls.hasOutput && tls.handshakeDone && phase == .active && table.queues.count(slot) > 0 {
            lendOutput(to: tls)
            let taken = tls.encrypt(table.queues.message(slot))
            if taken > 0 { table.queues.consume(slot, taken) }
        }
        if let message = tls.output() { return message }
        if let buffer = tls.takeBackBuffer() { tlsBuffers.giveBack(buffer) }
        return nil
    }

    private func lendOutput(to tls: TLSSession) {
        if tls.outputBuffer == nil { tls.lend(tlsBuffers.take()) }
    }
}
