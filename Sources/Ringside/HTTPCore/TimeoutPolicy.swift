/// Which timeout guards a connection, given its state, and for how long.
///
/// One timer per connection at a time, on the worker's wheel: a change of
/// timer restarts the clock, and so does progress while sending or reading a
/// body, but not more bytes of an unfinished head (a slow-drip client).
struct TimeoutPolicy {
    /// Each timeout in whole seconds (rounded up), read on every state change: the wheel's unit.
    private let header: Int, body: Int, idle: Int, send: Int, handler: Int, linger: Int

    init(timeouts: ServerConfiguration.Timeouts) {
        header = timeouts.header.wholeSecondsRoundedUp
        body = timeouts.body.wholeSecondsRoundedUp
        idle = timeouts.idle.wholeSecondsRoundedUp
        send = timeouts.send.wholeSecondsRoundedUp
        handler = timeouts.handler.wholeSecondsRoundedUp
        linger = timeouts.linger.wholeSecondsRoundedUp
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
            if connection.isWaiting {
                // A stream's progress is guarded by the send timeout once it has queued output.
                return connection.pointee.handler?.stream == nil ? .handler : .none
            }
            if case .none = connection.pointee.body {} else { return .body }
            if connection.pointee.spillCount > 0 { return .header }
            return connection.pointee.phase == .serving ? .idle : .none
        }
    }

    /// How long `timer` runs, in whole seconds; nil for `.none`. Draining, an
    /// idle connection waits one second for a request, not the idle timeout.
    @inline(__always)
    func seconds(_ timer: Connection.Timer, draining: Bool) -> Int? {
        switch timer {
        case .none: nil
        case .idle: draining ? min(idle, 1) : idle
        case .header: header
        case .body: body
        case .send: send
        case .handler: handler
        case .linger: linger
        }
    }
}
