import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// One served connection's TLS: its `SSL`, and the ``rs_tls_io`` its BIO
/// reads ciphertext from (the receive buffer the kernel filled, lent for one
/// event) and writes ciphertext to (a worker buffer the send goes out from).
///
/// Made when the connection is accepted and freed when it closes: the
/// handshake and the records are OpenSSL's, driven by the HTTP core as
/// bytes arrive and as answers are queued (`HTTPCore+TLS.swift`).
final class TLSSession {
    let ssl: OpaquePointer
    let io: UnsafeMutablePointer<rs_tls_io>
    /// One iovec over the ciphertext still to send, and the message over it.
    private let message: UnsafeMutablePointer<msghdr>
    private let iov: UnsafeMutablePointer<iovec>
    /// Of `io.out_len`, the bytes already sent.
    private var sentCount = 0
    private(set) var handshakeDone = false
    /// An outbound connection's session.
    private(set) var isClient = false
    /// Our close_notify is written (it goes out before the connection closes).
    private(set) var closeNotified = false
    /// OpenSSL's reason for the last failure (an outbound call reports it).
    private(set) var failureReason = ""
    /// Counted among the worker's handshakes in progress (`TLSHandshakeGate`).
    var admitted = false
    /// Why an unfinished handshake ended, for the metrics (nil: the peer went away).
    var handshakeEnd: HandshakeEnd?

    enum HandshakeEnd {
        case failed, timedOut
    }

    /// A served connection's session on `context`.
    convenience init?(_ context: TLSContext) {
        guard let ssl = SSL_new(context.context) else { return nil }
        self.init(ssl)
        SSL_set_accept_state(ssl)
    }

    /// An outbound connection's session: the certificate must name `hostName`
    /// (sent as SNI too) or, without one, the address `ip`; `sessions` is the
    /// pool's slot of the session to resume (and to replace with new ones).
    convenience init?(
        client context: TLSClientContext, hostName: String?, ip: String?, sessions: UnsafeMutablePointer<OpaquePointer?>
    ) {
        guard let ssl = SSL_new(context.context) else { return nil }
        self.init(ssl)
        isClient = true
        guard rs_tls_client_prepare(ssl, hostName, ip, sessions) == 1 else {
            ERR_clear_error()
            return nil
        }
    }

    private init(_ ssl: OpaquePointer) {
        self.ssl = ssl
        io = .allocate(capacity: 1)
        io.initialize(to: rs_tls_io(in: nil, in_len: 0, out: nil, out_cap: 0, out_len: 0))
        iov = .allocate(capacity: 1)
        message = .allocate(capacity: 1)
        message.initialize(to: msghdr())
        message.pointee.msg_iov = iov
        message.pointee.msg_iovlen = 1
        let bio = rs_tls_bio_new(io)!  // fails only without memory
        SSL_set_bio(ssl, bio, bio)  // one BIO both ways: takes its one reference
    }

    deinit {
        if isClient && handshakeDone {
            // Freed without a shutdown, OpenSSL marks the session not resumable (a "bad
            // session"), and with it the ticket the pool's next connections offer: a pooled
            // connection closed at its idle timeout would cost every later one a full handshake.
            SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
        }
        SSL_free(ssl)
        io.deallocate()
        iov.deallocate()
        message.deallocate()
    }

    // MARK: Ciphertext out

    /// The buffer OpenSSL writes to; nil between sends (it goes back to the worker's pool).
    var outputBuffer: UnsafeMutableRawBufferPointer? {
        guard let out = io.pointee.out else { return nil }
        return UnsafeMutableRawBufferPointer(start: out, count: io.pointee.out_cap)
    }

    func lend(_ buffer: UnsafeMutableRawBufferPointer) {
        io.pointee.out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        io.pointee.out_cap = buffer.count
        io.pointee.out_len = 0
        sentCount = 0
    }

    /// Takes the output buffer back whatever it holds (the connection closed).
    func detachBuffer() -> UnsafeMutableRawBufferPointer? {
        let buffer = outputBuffer
        io.pointee.out = nil
        io.pointee.out_cap = 0
        io.pointee.out_len = 0
        sentCount = 0
        return buffer
    }

    /// Gives the output buffer back once everything in it was sent.
    func takeBackBuffer() -> UnsafeMutableRawBufferPointer? {
        hasOutput ? nil : detachBuffer()
    }

    /// Ciphertext is waiting to be sent.
    var hasOutput: Bool { io.pointee.out_len > sentCount }

    /// The message over the ciphertext still to send (valid until the next send completes).
    func output() -> UnsafeMutablePointer<msghdr>? {
        guard hasOutput, let out = io.pointee.out else { return nil }
        iov.pointee = iovec(iov_base: UnsafeMutableRawPointer(out + sentCount), iov_len: io.pointee.out_len - sentCount)
        return message
    }

    /// A send wrote `count` bytes of the ciphertext; once all went, OpenSSL writes from the start again.
    func sent(_ count: Int) {
        sentCount += count
        if sentCount >= io.pointee.out_len {
            sentCount = 0
            io.pointee.out_len = 0
        }
    }

    // MARK: Records

    /// Lends the received ciphertext to OpenSSL for the calls that follow.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        io.pointee.in = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        io.pointee.in_len = bytes.count
    }

    enum Step {
        /// Plaintext bytes were read into the buffer.
        case plaintext(Int)
        /// OpenSSL needs more ciphertext (or room to write).
        case needMore
        /// The peer sent close_notify.
        case closed
        /// The connection cannot go on (a protocol error: OpenSSL queued its alert).
        case failed
    }

    /// Drives the handshake as far as the ciphertext received allows.
    func handshake() -> Step {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            handshakeDone = true
            minorVersion = SSL_version(ssl) == TLS1_3_VERSION ? 3 : 2
            return .plaintext(0)
        }
        return step(after: result)
    }

    /// An outbound handshake that failed, as the call's error: the
    /// certificate's verification if that failed, else OpenSSL's reason.
    func clientError(expecting name: String) -> HTTPClientError {
        let result = SSL_get_verify_result(ssl)
        switch Int32(result) {
        case X509_V_OK:
            return .tlsHandshakeFailed(failureReason.isEmpty ? "the upstream closed the connection" : failureReason)
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return .certificateNameMismatch(name)
        default:
            return .certificateNotTrusted(String(cString: X509_verify_cert_error_string(result)))
        }
    }

    /// The version negotiated, TLS 1.`minorVersion` (3 or 2: nothing older is
    /// allowed); 0 until the handshake is done.
    private(set) var minorVersion: UInt8 = 0

    var isTLS13: Bool { minorVersion == 3 }

    /// ALPN chose `h2`.
    var negotiatedHTTP2: Bool {
        var protocolName: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &protocolName, &length)
        return length == 2 && protocolName?[0] == UInt8(ascii: "h") && protocolName?[1] == UInt8(ascii: "2")
    }

    /// The handshake resumed a session from a ticket.
    var resumed: Bool { SSL_session_reused(ssl) == 1 }

    /// Writes our close_notify, so the peer can tell the end of the
    /// connection from a truncation; the connection closes once it is sent
    /// (whether the peer answers with its own is not waited for).
    func notifyClose() {
        guard handshakeDone, !closeNotified else { return }
        closeNotified = true
        if SSL_shutdown(ssl) < 0 { ERR_clear_error() }
    }

    /// Decrypts the next record's plaintext into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Step {
        var count = 0
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 { return .plaintext(count) }
        return step(after: 0)
    }

    /// Encrypts the queued cleartext `message` points at, iovec by iovec,
    /// while the output buffer has room; returns the cleartext bytes taken.
    func encrypt(_ message: UnsafeMutablePointer<msghdr>) -> Int {
        var taken = 0
        for index in 0..<Int(message.pointee.msg_iovlen) {
            let iov = message.pointee.msg_iov[index]
            let count = write(UnsafeRawBufferPointer(start: iov.iov_base, count: iov.iov_len))
            taken += count
            if count < iov.iov_len { break }  // the output buffer is full
        }
        return taken
    }

    /// Encrypts as much of `bytes` as the output buffer has room for; returns the bytes taken.
    private func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard !bytes.isEmpty else { return 0 }
        var written = 0
        if SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &written) == 1 { return written }
        ERR_clear_error()
        return 0
    }

    private func step(after result: Int32) -> Step {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needMore
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            // The error queue is per thread: emptied for the next connection, its reason kept.
            failureReason = TLSContext.lastError()
            return .failed
        }
    }
}
