import HTTP1

/// One connection slot: plain data in a preallocated table, no object per connection.
struct Connection {
    /// The request body being read, if any: collected for a handler, or read
    /// past and dropped for a prebuilt route (to keep the connection in sync).
    enum Body {
        case none
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    /// Which timeout guards the connection now (see `HTTPCore.updateTimer`).
    enum Timer: UInt8 {
        case none, idle, header, body, send, handler
    }

    struct State: OptionSet {
        var rawValue: UInt16
        /// The slot holds a live socket.
        static let open = State(rawValue: 1 << 0)
        /// A receive is armed (io_uring: a multishot recv may still complete).
        static let receiving = State(rawValue: 1 << 1)
        /// A send is in flight; it covers the first `sendingCount` queued iovecs.
        static let sending = State(rawValue: 1 << 2)
        /// A cancel for the receive is in flight.
        static let cancelling = State(rawValue: 1 << 3)
        /// Close once every queued byte is sent; read no more requests.
        static let closeAfterFlush = State(rawValue: 1 << 4)
        /// Closing now: queued output is dropped, the slot is freed when nothing is in flight.
        static let closing = State(rawValue: 1 << 5)
        /// Too many responses queued: requests wait in the spill buffer, reading stops.
        static let paused = State(rawValue: 1 << 6)
        /// On the worker's dirty list for this loop turn.
        static let dirty = State(rawValue: 1 << 7)
        /// io_uring: a cancel for the send in flight was queued (closing a stalled connection).
        static let cancellingSend = State(rawValue: 1 << 8)
        /// A handler is producing this connection's next response (async,
        /// offloaded or streaming): later requests wait in the spill buffer.
        static let waiting = State(rawValue: 1 << 9)

        // Plain bit operations: OptionSet's defaults reach these through
        // protocol witnesses on the hot path (seen in the flamegraph).
        @inline(__always) func contains(_ member: State) -> Bool { rawValue & member.rawValue == member.rawValue }
        @inline(__always) func isDisjoint(with other: State) -> Bool { rawValue & other.rawValue == 0 }
        @inline(__always) mutating func insert(_ member: State) { rawValue |= member.rawValue }
        @inline(__always) mutating func remove(_ member: State) { rawValue &= ~member.rawValue }
    }

    var fd: Int32 = -1
    /// Bumped when the slot is freed, so stale completions are recognised.
    var generation: UInt32 = 0
    var state: State = []
    /// Bytes held in this slot's spill buffer (a split or paused request).
    var spillCount: Int = 0 {
        didSet { spillHighWater = max(spillHighWater, spillCount) }
    }
    /// The most the spill buffer held on this connection.
    var spillHighWater: Int = 0
    /// Of those, how many the parser already found incomplete.
    var scanned: Int = 0
    var body: Body = .none
    /// The response of the request whose body is being read, sent once the body ends.
    var deferredResponse: UnsafeRawBufferPointer?
    /// What only handler requests need, allocated the first time one does
    /// and kept by the slot for its next connections (see `ConnectionTable`),
    /// so prebuilt-only connections carry a nil pointer instead of these fields.
    var handler: HandlerState?
    /// How to frame the response a waiting handler will produce.
    var responseVariant: PrebuiltResponses.Variant = .keepAlive
    var responseHeadOnly = false
    var responseHTTP10 = false
    /// Queued response iovecs, and how many of them the send in flight covers.
    var queuedCount: Int = 0
    var sendingCount: Int = 0
    /// epoll only: the events registered for this socket, to skip redundant `epoll_ctl`.
    var interest: UInt32 = 0

    // Timer state: which timeout runs, since when (monotonic seconds), and the
    // slot's links in the worker's timer wheel.
    var timer: Timer = .none
    var timerStart: Int = 0
    /// Bytes of a body were consumed or sent since the timer was last updated.
    var progressed = false
    var timerDeadline: Int = 0
    var timerBucket: Int32 = -1
    var timerNext: Int32 = -1
    var timerPrevious: Int32 = -1
}

extension Connection {
    /// A handler's request whose body is being collected (split across receives).
    var pending: PendingRequest? {
        get { handler?.pending }
        set { handlerState(for: newValue)?.pending = newValue }
    }

    /// The streamed body being written, while `.waiting`.
    var stream: StreamState? {
        get { handler?.stream }
        set { handlerState(for: newValue)?.stream = newValue }
    }

    /// The handler (or stream writer) task this connection waits for:
    /// cancelled if the connection closes first.
    var task: Task<Void, Never>? {
        get { handler?.task }
        set { handlerState(for: newValue)?.task = newValue }
    }

    /// The peer's address, looked up on the first request that needs a copy.
    var peer: SocketAddress? {
        get { handler?.peer }
        set { handlerState(for: newValue)?.peer = newValue }
    }

    /// The side object to store `value` in: created for a value, not for a nil.
    private mutating func handlerState<Value>(for value: Value?) -> HandlerState? {
        if handler == nil && value != nil { handler = HandlerState() }
        return handler
    }
}

/// A connection's handler-side state (see `Connection.handler`).
final class HandlerState {
    var pending: PendingRequest?
    var stream: StreamState?
    var task: Task<Void, Never>?
    var peer: SocketAddress?

    /// Forgets the connection that ended; the object serves the slot's next one.
    func reset() {
        pending = nil
        stream = nil
        task = nil
        peer = nil
    }
}
