import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The kernel interface one ``WorkerLoop`` runs on: io_uring or epoll.
///
/// A backend turns the loop's requests (arm or pause accept, receive or not,
/// send these iovecs, shut down, close, connect) into kernel calls, and the
/// kernel's answers into ``IOEvent``s. It owns every piece of I/O state (is a
/// receive armed, a send in flight, a cancel on its way, the epoll interest)
/// and nothing else: what HTTP wants of a connection is the loop's and the
/// HTTP core's business. Each backend is one file that holds only what is
/// particular to its kernel interface (h2o's `evloop/*.c.h`, SwiftNIO's
/// `SelectorEpoll`/`SelectorUring`); the loop is generic over it, so every
/// call is statically dispatched.
protocol Backend: ~Copyable {
    /// Sets up the worker's kernel objects (ring or epoll set) on the calling thread.
    init(_ setup: BackendSetup) throws

    /// Submits what was queued and waits until events arrive or
    /// `timeoutNanoseconds` pass (0: only look). Returns false when waiting
    /// failed for good (logged): the loop then ends.
    mutating func wait(timeoutNanoseconds: Int64) -> Bool

    /// The next event of the last wait, or nil when all were handed out. Bytes
    /// of a `.received` event stay valid until the next call.
    mutating func nextEvent() -> IOEvent?

    // MARK: The listener

    /// An accept is armed (or its cancel is still on its way): sockets may still arrive.
    var isAccepting: Bool { get }
    mutating func startAccepting()
    mutating func stopAccepting()
    /// Closes an accepted socket that will not be served (no room to park it).
    mutating func discard(_ fd: Int32)
    /// Once no accept is armed: one connection the kernel already completed, taken from a listen
    /// backlog without waiting (nil when they are empty), set up as an accepted one would be,
    /// with the index of its listener.
    mutating func acceptQueued() -> (fd: Int32, listener: Int)?

    // MARK: Sockets the loop gave a slot

    /// Starts tracking `socket` (nothing is armed yet).
    mutating func open(_ socket: SocketHandle)
    /// Arms or stops receiving; does nothing when already so.
    mutating func setReceiving(_ socket: SocketHandle, _ wanted: Bool)
    /// A send is in flight (io_uring) or blocked until writable (epoll).
    func isSending(_ socket: SocketHandle) -> Bool
    /// Sends the first `message.msg_iovlen` iovecs of `message`, whose memory
    /// stays untouched until the send completes.
    mutating func send(_ socket: SocketHandle, _ message: UnsafeMutablePointer<msghdr>) -> SendResult
    /// Half-closes: what was sent goes out, then a FIN; receiving goes on.
    mutating func shutdownWrite(_ socket: SocketHandle)
    /// Closes the socket. Returns true when the slot's memory is free to reuse
    /// now; false when a send still reads it (it is cancelled, and its
    /// completion's event brings the loop back here).
    mutating func close(_ socket: SocketHandle) -> Bool
    /// Connects an outbound socket (non-blocking on epoll) to `address`, which
    /// stays valid until the `.connected` event.
    mutating func connect(_ socket: SocketHandle, to address: UnsafePointer<sockaddr>, length: socklen_t)

    /// After the loop: queue nothing more, hand the last closes to the kernel.
    mutating func finish()
}

/// What a backend is given to set up.
struct BackendSetup {
    let configuration: ServerConfiguration
    /// The worker's `SO_REUSEPORT` listeners, by index: the cleartext port's,
    /// then (with a TLS port of its own) the TLS port's. None in process.
    let listeners: [Int32]
    /// Wakes the loop from other threads.
    let signal: WorkerSignal
    /// Slots of each kind the loop may hand to ``Backend/open(_:)``.
    let slots: SlotCapacities
    let logger: Logger
    /// In process: the pipes test clients connect through (``InProcessBackend``).
    var wire: InProcessWire? = nil
}

/// One socket the loop gave a slot: which slot (its kind routes its events),
/// which occupant of the slot it is, and its descriptor.
struct SocketHandle {
    var id: SlotID
    var generation: UInt32
    var fd: Int32
}

/// What the kernel said, in the loop's terms. Events for a slot whose
/// occupant changed since the operation was queued never reach the loop;
/// the others name their slot, whose kind says who handles them.
enum IOEvent {
    /// Listener `listener` (an index into ``BackendSetup/listeners``) produced a connected socket.
    case accepted(fd: Int32, listener: Int)
    /// Accepting failed (`EMFILE`, `ENFILE`, ...): the loop backs off.
    case acceptFailed(errno: Int32)
    /// Bytes arrived on `slot`.
    case received(SlotID, bytes: UnsafeRawBufferPointer)
    /// The peer finished sending (EOF).
    case peerFinished(SlotID)
    /// The socket failed (reset, broken pipe): nothing more can be sent.
    case failed(SlotID)
    /// The send in flight wrote `count` bytes.
    case sent(SlotID, count: Int)
    /// The slot's I/O state changed (a cancel landed, a receive stopped, the
    /// socket became writable): the loop looks at it again.
    case changed(SlotID)
    /// An outbound connect finished: 0 or `-errno`.
    case connected(SlotID, result: Int32)
    /// Another thread woke the worker: a stop request, or work it posted.
    case woken
}

/// What became of ``Backend/send(_:_:)``.
enum SendResult {
    /// Queued to the kernel; a `.sent` or `.failed` event follows (io_uring).
    case inFlight
    /// Written now (epoll): `count` bytes.
    case sent(Int)
    /// The socket buffer is full: a `.changed` event follows once it drains (epoll).
    case blocked
    /// The socket failed: nothing more can be sent.
    case failed
}
