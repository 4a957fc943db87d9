/// One outbound connection slot: plain data in the worker's preallocated
/// outbound ``SlotTable``, as ``Connection`` is for served ones.
///
/// Its life is a ``Phase`` and a few ``Flags``, changed only through the
/// named transitions below, which assert the legal combinations. I/O state
/// (a receive armed, a send in flight) belongs to the backend, as for
/// served connections.
struct ClientConnection {
    enum Phase: UInt8 {
        /// The slot holds no connection.
        case free
        /// The socket is connecting; the call that opened it waits.
        case connecting
        /// HTTPS: connected, the TLS handshake under way; the call still waits.
        case handshaking
        /// Sending a call's request and reading its response.
        case active
        /// Pooled between calls; reading only to notice the upstream closing it.
        case idle
        /// To be closed by the loop's flush; never back to the pool.
        case closing
    }

    struct Flags: BitFlags {
        var rawValue: UInt8
        /// The connect was handed to the backend.
        static let connectQueued = Flags(rawValue: 1 << 0)
        /// The call being served is not the connection's first.
        static let reused = Flags(rawValue: 1 << 1)
        /// On the table's dirty list for this loop turn.
        static let dirty = Flags(rawValue: 1 << 2)
    }

    /// Which deadline runs.
    enum Timer: UInt8 {
        case none, connect, tlsHandshake, responseHead, bodyProgress, idle
    }

    var fd: Int32 = -1
    /// Bumped when the slot is freed, so late completions are recognised.
    var generation: UInt32 = 0
    /// Index of its pool in the table.
    var pool = -1
    private(set) var phase = Phase.free
    private(set) var flags = Flags(rawValue: 0)
    /// The call being served (connecting, active).
    var exchange: ClientExchange?
    var reader = ClientResponseReader()
    /// HTTPS: the connection's TLS layer (nil: cleartext).
    var tls: TLSSession?
    /// Which deadline runs (the deadline itself is the worker's `TimerService`'s).
    var timer = Timer.none
    /// Bytes arrived since the body-progress deadline was set.
    var progressed = false
}

extension ClientConnection: TableSlot {
    @inline(__always) static func isOpen(_ slot: UnsafeMutablePointer<ClientConnection>) -> Bool { slot.pointee.phase != .free }
    @inline(__always) static func isDirty(_ slot: UnsafeMutablePointer<ClientConnection>) -> Bool { slot.pointee.flags.contains(.dirty) }
}

extension ClientConnection {
    @inline(__always) var isOpen: Bool { phase != .free }
    @inline(__always) var isReused: Bool { flags.contains(.reused) }
    @inline(__always) var isDirty: Bool { flags.contains(.dirty) }
    @inline(__always) var connectQueued: Bool { flags.contains(.connectQueued) }

    /// The kernel should deliver this connection's input now.
    @inline(__always) var wantsInput: Bool { phase == .active || phase == .idle || phase == .handshaking }

    /// A new socket takes the slot, connecting for `exchange`.
    mutating func open(fd: Int32, pool: Int, for exchange: ClientExchange) {
        assert(phase == .free)
        let generation = self.generation
        self = ClientConnection()
        self.fd = fd
        self.generation = generation
        self.pool = pool
        self.exchange = exchange
        phase = .connecting
    }

    /// The backend was asked to connect.
    mutating func queueConnect() {
        assert(phase == .connecting && !connectQueued)
        flags.insert(.connectQueued)
    }

    /// HTTPS: connected; the handshake over `tls` begins.
    mutating func startHandshake(_ tls: TLSSession) {
        assert(phase == .connecting && self.tls == nil)
        self.tls = tls
        phase = .handshaking
    }

    /// Starts serving `exchange`: just connected or handshaken (`reused` false) or taken from the pool.
    mutating func begin(_ exchange: ClientExchange, reused: Bool) {
        assert(phase == .connecting || phase == .handshaking || phase == .idle)
        assert(phase == .idle || self.exchange?.id == exchange.id)
        phase = .active
        if reused { flags.insert(.reused) } else { flags.remove(.reused) }
        self.exchange = exchange
    }

    /// The call is over (its task resumed); the caller decides what follows.
    mutating func takeExchange() -> ClientExchange? {
        defer { exchange = nil }
        return exchange
    }

    /// Back to the pool after a complete response.
    mutating func becomeIdle() {
        assert(phase == .active && exchange == nil)
        phase = .idle
    }

    /// Close it: every way out of the pool goes through here.
    mutating func close() {
        assert(phase != .free && exchange == nil)
        phase = .closing
    }

    /// The backend closed the socket: the slot holds nothing (its table bumps the generation).
    mutating func release() {
        assert(phase == .closing)
        let generation = self.generation
        reader.reset()
        self = ClientConnection()
        self.generation = generation
    }

    /// The dirty-list flag (see ``DirtySlots``).
    @inline(__always) mutating func setDirty(_ dirty: Bool) {
        if dirty { flags.insert(.dirty) } else { flags.remove(.dirty) }
    }
}
