#if canImport(Glibc)
import Glibc
#endif

/// The owner of one kind of slot, as the loop sees it: the HTTP core for
/// served connections, ``ClientConnections`` for outbound ones. The loop
/// hands it the events of its slots and its deadlines that passed, and at
/// the turn's end asks it what each slot it marked dirty needs from the
/// backend; it reaches into none of its state.
protocol SlotOwner: ~Copyable {
    /// What the backend needs to address `slot`'s socket.
    func socket(_ slot: Int) -> SocketHandle
    /// Bytes arrived.
    mutating func received(_ slot: Int, _ bytes: UnsafeRawBufferPointer)
    /// A send wrote `count` bytes of the slot's queue.
    mutating func sent(_ slot: Int, _ count: Int)
    /// The slot's I/O state changed: look at it again at the turn's end.
    mutating func changed(_ slot: Int)
    /// The peer finished sending (EOF).
    mutating func peerFinished(_ slot: Int)
    /// The socket failed: nothing more can be sent.
    mutating func failed(_ slot: Int)
    /// An outbound connect finished: 0 or `-errno`.
    mutating func connected(_ slot: Int, _ result: Int32)
    /// The slot's deadline (``TimerService``) passed.
    mutating func expired(_ slot: Int)

    // MARK: The turn's flush

    /// The bytes to send now, or nil (none queued, or not to be sent).
    mutating func output(_ slot: Int) -> UnsafeMutablePointer<msghdr>?
    /// What the slot needs from the backend after this turn.
    mutating func nextStep(_ slot: Int) -> SlotStep
    /// The backend closed the slot's socket: the slot is free.
    mutating func release(_ slot: Int)
    /// The occupant's generation, and the end of its flush (see ``DirtySlots``).
    func generation(_ slot: Int) -> UInt32
    func flushed(_ slot: Int, generation: UInt32)
}

/// What a slot needs from the backend after a turn.
enum SlotStep {
    /// Nothing (a free slot, a connect already under way).
    case none
    /// Track the socket and connect it to `address`.
    case connect(UnsafePointer<sockaddr>, socklen_t)
    /// Keep it open, reading or not.
    case serve(receiving: Bool)
    /// Everything is sent: shut the write side and read on (a lingering close).
    case halfClose
    /// Close it.
    case close
}

extension SlotOwner where Self: ~Copyable {
    /// Hands `event`, one of `slot`'s, to the transition it calls for.
    @inline(__always)
    mutating func handle(_ event: IOEvent, _ slot: Int) {
        switch event {
        case .received(_, let bytes): received(slot, bytes)
        case .sent(_, let count): sent(slot, count)
        case .changed: changed(slot)
        case .peerFinished: peerFinished(slot)
        case .failed: failed(slot)
        case .connected(_, let result): connected(slot, result)
        case .accepted, .acceptFailed, .woken: break  // the loop's own
        }
    }
}
