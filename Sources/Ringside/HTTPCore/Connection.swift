import HTTP1

/// One connection slot as HTTP sees it: plain data in a preallocated table,
/// no object per connection.
///
/// Its life is a ``Phase`` and three ``Flags``, changed only through the named
/// transitions below, which are the one place that says which combinations
/// are legal (checked in debug builds). I/O state (is a receive armed, a send
/// in flight) is not here: it belongs to the worker's backend.
struct Connection {
    /// Where the connection is in its life.
    enum Phase: UInt8 {
        /// The slot holds no connection.
        case free
        /// Reading requests and answering them.
        case serving
        /// Reading nothing new: answer what is queued or being produced, then
        /// close (or linger, with ``Flags/lingerAfter``).
        case finishing
        /// Every answer sent and the write side shut: reading and dropping what
        /// the client still sends, until it closes or a limit is reached, so
        /// the client reads the answers instead of a reset.
        case lingering
        /// To be closed now; queued output is dropped.
        case closing
    }

    struct Flags: BitFlags {
        var rawValue: UInt8
        /// Too many responses queued: requests wait in the spill buffer, reading stops.
        static let paused = Flags(rawValue: 1 << 0)
        /// A handler is producing the next response (async, offloaded or a
        /// stream): later requests wait in the spill buffer.
        static let waiting = Flags(rawValue: 1 << 1)
        /// Finishing: half-close and linger instead of closing outright.
        static let lingerAfter = Flags(rawValue: 1 << 2)
        /// On the worker's dirty list for this loop turn (see ``DirtySlots``).
        static let dirty = Flags(rawValue: 1 << 3)
    }

    /// The request body being read, if any: collected for a handler, or read
    /// past and dropped for a prebuilt route (to keep the connection in sync).
    enum Body {
        case none
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    /// Which timeout guards the connection now (see `TimeoutPolicy`).
    enum Timer: UInt8 {
        case none, idle, header, body, send, handler, linger
    }

    var fd: Int32 = -1
    /// Bumped when the slot is freed, so late completions and handler results are recognised.
    var generation: UInt32 = 0
    private(set) var phase: Phase = .free
    private(set) var flags = Flags(rawValue: 0)
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
    var heldAnswer: HeldAnswer?
    /// Lingering: bytes read and dropped so far.
    var discarded: Int = 0
    /// What only handler requests need, allocated the first time one does
    /// and kept by the slot for its next connections (see `HTTPCore.release`),
    /// so prebuilt-only connections carry a nil pointer instead of these fields.
    var handler: HandlerState?
    /// HTTPS: the connection's TLS layer (nil: cleartext).
    var tls: TLSSession?
    /// HTTP/2: the connection's protocol state (nil: HTTP/1.1), see `HTTPCore+HTTP2.swift`.
    var http2: HTTP2Connection?
    /// A stream slot: the slot of the HTTP/2 connection it serves a stream of (-1: a connection of its own).
    var parent: Int32 = -1
    /// A stream slot's stream.
    var streamID: Int32 = 0
    /// Bytes arrived on the connection (the HTTP/2 preface is looked for in its first ones).
    var sawInput = false
    /// How to frame the response a waiting handler will produce (set by ``beginWaiting(_:)``).
    private(set) var waitingFraming = ResponseFraming.keepAlive

    // Timer state: which timeout runs and since when (monotonic nanoseconds);
    // the deadline itself is the worker's `TimerService`'s.
    var timer: Timer = .none
    var timerStart: Int64 = 0
    /// Bytes of a body were consumed or sent since the timer was last updated.
    var progressed = false
}

extension Connection: TableSlot {
    @inline(__always) static func isOpen(_ slot: UnsafeMutablePointer<Connection>) -> Bool { slot.isOpen }
    @inline(__always) static func isDirty(_ slot: UnsafeMutablePointer<Connection>) -> Bool { slot.isDirty }
    static func ownsDescriptor(_ slot: UnsafeMutablePointer<Connection>) -> Bool { slot.pointee.parent < 0 }
}

// MARK: - Reading the state

/// Reading a connection's state where it lies. These read stored fields
/// through the pointer: a computed property called on `pointee` makes the
/// compiler copy the whole `Connection` first (retains included), three times
/// a request before these moved here (callgrind).
extension UnsafeMutablePointer where Pointee == Connection {
    @inline(__always) var isOpen: Bool { pointee.phase != .free }
    /// New requests are parsed and answered.
    @inline(__always) var acceptsRequests: Bool { pointee.phase == .serving }
    @inline(__always) var isPaused: Bool { pointee.flags.contains(.paused) }
    @inline(__always) var isWaiting: Bool { pointee.flags.contains(.waiting) }
    @inline(__always) var lingersAfter: Bool { pointee.flags.contains(.lingerAfter) }
    @inline(__always) var isDirty: Bool { pointee.flags.contains(.dirty) }

    /// The kernel should deliver this connection's input now.
    @inline(__always) var wantsInput: Bool {
        let phase = pointee.phase
        return (phase == .serving && !pointee.flags.contains(.paused)) || phase == .lingering
    }
}

// MARK: - Transitions

extension Connection {
    /// A new socket takes the slot.
    mutating func open(fd: Int32) {
        assert(phase == .free)
        let generation = self.generation
        let handler = self.handler  // already reset by the slot's last `release`
        self = Connection()
        self.fd = fd
        self.generation = generation
        self.handler = handler
        phase = .serving
    }

    /// The socket closed: the slot holds no connection (its table bumps the generation).
    mutating func release() {
        tls = nil
        http2 = nil
        phase = .free
        flags = Flags(rawValue: 0)
        fd = -1
    }

    /// Read no new request: answer what is queued or being produced, then
    /// close, or with `linger` half-close and drain the client's input first.
    mutating func finishAfterFlush(linger: Bool = false) {
        guard phase == .serving || phase == .finishing else { return }
        phase = .finishing
        flags.remove(.paused)
        if linger { flags.insert(.lingerAfter) }
        checkInvariants()
    }

    /// Every answer went out: shut the write side and drain input (see ``Phase/lingering``).
    mutating func startLingering() {
        assert(phase == .finishing && flags.contains(.lingerAfter) && !flags.contains(.waiting))
        phase = .lingering
        flags.remove(.lingerAfter)
        discarded = 0
        checkInvariants()
    }

    /// Close now, dropping what is queued (a failed socket, a timeout, shutdown's end).
    mutating func abort() {
        guard phase != .free else { return }
        phase = .closing
        flags.remove(.paused)
        flags.remove(.waiting)
        flags.remove(.lingerAfter)
    }

    /// Backpressure: the response queue is full.
    mutating func pause() {
        assert(phase == .serving)
        flags.insert(.paused)
    }

    mutating func unpause() { flags.remove(.paused) }

    /// A handler produces the next response, framed as `framing`.
    mutating func beginWaiting(_ framing: ResponseFraming) {
        assert(phase == .serving || phase == .finishing)
        flags.insert(.waiting)
        waitingFraming = framing
        checkInvariants()
    }

    mutating func endWaiting() { flags.remove(.waiting) }

    /// The dirty-list flag (see ``DirtySlots``).
    @inline(__always) mutating func setDirty(_ dirty: Bool) {
        if dirty { flags.insert(.dirty) } else { flags.remove(.dirty) }
    }

    /// The legal combinations, in one place.
    @inline(__always)
    func checkInvariants() {
        assert(phase != .free || flags.rawValue & ~Flags.dirty.rawValue == 0, "a free slot has no state")
        assert(!flags.contains(.paused) || phase == .serving, "only a serving connection pauses")
        assert(!flags.contains(.waiting) || phase == .serving || phase == .finishing,
               "only a serving or finishing connection waits for a handler")
        assert(!flags.contains(.lingerAfter) || phase == .finishing, "lingerAfter belongs to finishing")
    }
}

/// How a response is framed for the request it answers.
struct ResponseFraming: Equatable {
    var variant: PrebuiltResponses.Variant
    /// A HEAD request: the head alone.
    var headOnly: Bool
    /// An HTTP/1.0 request: no chunked coding.
    var http10: Bool

    static let keepAlive = ResponseFraming(variant: .keepAlive, headOnly: false, http10: false)

    /// The framing `head` asks for (`close` when the server closes anyway).
    init(_ head: RequestHead, close: Bool) {
        variant = close || !head.keepAlive ? .close : (head.versionMinor == 0 ? .keepAlive10 : .keepAlive)
        headOnly = head.method == .head
        http10 = head.versionMinor == 0
    }

    init(variant: PrebuiltResponses.Variant, headOnly: Bool, http10: Bool) {
        self.variant = variant
        self.headOnly = headOnly
        self.http10 = http10
    }
}

extension Connection {
    /// A handler's request whose body is being collected (split across receives).
    var pending: PendingRequest? {
        get { handler?.pending }
        set { handlerState(for: newValue)?.pending = newValue }
    }

    /// The streamed body being written, while waiting.
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

    /// The request an offloaded handler is queued or running for: marked
    /// abandoned if the connection closes first.
    var offloaded: RequestStorage? {
        get { handler?.offloaded }
        set { handlerState(for: newValue)?.offloaded = newValue }
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
    var offloaded: RequestStorage?
    var peer: SocketAddress?

    /// Forgets the connection that ended; the object serves the slot's next one.
    func reset() {
        pending = nil
        stream = nil
        task = nil
        offloaded = nil
        peer = nil
    }
}
