/// Which timeout guards a connection, given its state, and for how long.
///
/// One timer per connection at a time, on the worker's timer service: a
/// change of timer restarts the clock, and so does progress while sending or
/// reading a body, but not more bytes of an unfinished head (a slow-drip client).
struct TimeoutPolicy {
    /// Each timeout in nanoseconds.
    private let header: Int64, body: Int64, idle: Int64, send: Int64, handler: Int64, linger: Int64
    /// How long an idle connection may stay once the server drains.
    private static let drainingIdle: Int64 = 1_000_000_000

    init(timeouts: ServerConfiguration.Timeouts) {
        header = timeouts.header.clampedNanoseconds
        body = timeouts.body.clampedNanoseconds
        idle = timeouts.idle.clampedNanoseconds
        send = timeouts.send.clampedNanoseconds
        handler = timeouts.handler.clampedNanoseconds
        linger = timeouts.linger.clampedNanoseconds
    }

    /// The timer `connection` needs while `queued` responses wait to be sent.
    /// (A pointer: a `Connection` passed by value is copied, retains and all.)
    @inline(__always)
    func timer(for connection: UnsafeMutablePointer<Connection>, queued: Int) -> Connection.Timer {
        switch connection.pointee.phase {
        case .free, .closing:
            return .none
        case .lingering:
            return .linger
        case .serving, .finishing:
            if queued > 0 { return .send }
            // An HTTP/2 connection idles only without streams (each stream slot has its own
            // timers); answers waiting for a window the peer does not open are a stalled send.
            if let session = connection.pointee.http2 {
                if session.hasStagedData { return .send }
                return session.streams.isEmpty && connection.pointee.phase == .serving ? .idle : .none
            }
            // A TLS handshake must finish within the header timeout (a client that drips one).
            if let tls = connection.pointee.tls, !tls.handshakeDone { return .header }
            if connection.isWaiting {
                // A stream's progress is guarded by the send timeout once it has queued output.
                return connection.pointee.handler?.stream == nil ? .handler : .none
            }
            if case .none = connection.pointee.body {} else { return .body }
            if connection.pointee.spillCount > 0 { return .header }
            return connection.pointee.phase == .serving ? .idle : .none
        }
    }

    /// How long `timer` runs, in nanoseconds; nil for `.none`. Draining, an
    /// idle connection waits a second for a request, not the idle timeout.
    @inline(__always)
    func nanoseconds(_ timer: Connection.Timer, draining: Bool) -> Int64? {
        switch timer {
        case .none: nil
        case .idle: draining ? min(idle, TimeoutPolicy.drainingIdle) : idle
        case .header: header
        case .body: body
        case .send: send
        case .handler: handler
        case .linger: linger
        }
    }
}
