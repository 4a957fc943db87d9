import CLinuxShim  // SHUT_WR, accept4
import CLiburing
import IOUring
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The io_uring backend: one multishot accept on the worker's listener, one
/// multishot receive per connection into a provided-buffer ring, sends
/// straight from the queued iovecs, and every turn's SQEs submitted with one
/// `io_uring_submit_and_wait_timeout`. Needs Linux 6.0 (multishot receive);
/// prefers 6.1 (`DEFER_TASKRUN`).
///
/// Each `Token` kind has one handler below (liburing's `examples/proxy.c`).
/// A connection's slot is reused at once on close: the receive is cancelled
/// and the socket closed in one hard-linked pair, and completions still on
/// their way carry the old generation and are dropped (their buffers
/// recycled). A send in flight delays the reuse, as its iovecs live in the slot.
struct IOUringBackend: Backend, ~Copyable {
    /// The operation byte of each SQE's `Token`.
    enum Kind: UInt8 {
        /// Completions nobody needs (a cancel's own, a close's or shutdown's failure).
        case ignored = 0
        case accept, receive, send, cancelReceive, connect
        /// The worker signal's eventfd was written.
        case signal
        /// An offload thread's `IORING_OP_MSG_RING`.
        case message
    }

    /// I/O state of one slot's socket.
    struct IOState: BitFlags {
        var rawValue: UInt8
        /// A multishot receive is armed (it may still complete).
        static let receiving = IOState(rawValue: 1 << 0)
        /// A cancel for the receive is in flight.
        static let cancellingReceive = IOState(rawValue: 1 << 1)
        /// A send is in flight; it reads the slot's iovecs.
        static let sending = IOState(rawValue: 1 << 2)
        /// A cancel for the send in flight was queued (closing a stalled connection).
        static let cancellingSend = IOState(rawValue: 1 << 3)
        /// An outbound connect is in flight.
        static let connecting = IOState(rawValue: 1 << 4)
    }

    /// Per slot: the generation of its current socket (completions of older
    /// ones are stale) and the socket's I/O state.
    private struct Slot {
        var generation: UInt32 = UInt32.max
        var state = IOState(rawValue: 0)
    }

    private let ring: Ring
    private var buffers: BufferRing
    private let slots: SlotArray<Slot>
    private let listeners: [Int32]
    private let signal: WorkerSignal
    /// Kernel-written memory that must outlive its SQE: the eventfd counter.
    private let signalValue: UnsafeMutablePointer<UInt64>
    /// Per listener (bit i: listener i): a multishot accept is armed, its cancel was queued.
    private var acceptArmed: UInt8 = 0
    private var acceptCancelled: UInt8 = 0
    /// The listeners were made non-blocking to take their backlogs after the last accepts.
    private var listenersNonBlocking = false
    /// The batch of CQEs being handed out by `nextEvent`.
    private var batch = CompletionBatch(head: 0, count: 0)
    private var batchIndex: UInt32 = 0
    /// The receive buffer of the last `.received` event, recycled on the next call.
    private var lentBuffer: UInt16?
    private let logger: Logger

    init(_ setup: BackendSetup) throws {
        let configuration = setup.configuration
        let ring = try Ring(entries: UInt32(configuration.ringEntries))
        buffers = try BufferRing(
            on: ring, group: 0,
            count: UInt32(configuration.receiveBufferCount),
            size: UInt32(configuration.receiveBufferSize))
        self.ring = ring
        slots = SlotArray(capacities: setup.slots, initialValue: Slot())
        precondition(setup.listeners.count <= 8, "at most 8 listeners per worker")  // one bit each
        listeners = setup.listeners
        signal = setup.signal
        signalValue = .allocate(capacity: 1)
        logger = setup.logger
        signal.acceptMessages(ring: self.ring.fileDescriptor, userData: Token(operation: Kind.message.rawValue).rawValue)
        armSignal()
    }

    deinit {
        // Offload jobs finishing after this worker must not message a closed (or reused) descriptor.
        signal.acceptMessages(ring: -1, userData: 0)
        buffers.release(from: ring)
        signalValue.deallocate()
    }

    // MARK: Waiting and events

    mutating func wait(timeoutNanoseconds: Int64) -> Bool {
        buffers.publish()  // before the submit: receives armed this turn may need them
        let result = timeoutNanoseconds > 0
            ? ring.submitAndWait(timeoutNanoseconds: timeoutNanoseconds)
            : ring.submitAndWait(0)
        if result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY && result != -ETIME {
            logger.critical("io_uring_submit_and_wait failed", metadata: ["errno": "\(-result)"])
            return false
        }
        batch = ring.readyCompletions()
        batchIndex = 0
        return true
    }

    mutating func nextEvent() -> IOEvent? {
        if let id = lentBuffer {
            buffers.recycle(id)
            lentBuffer = nil
        }
        while batchIndex < batch.count {
            let completion = ring.completion(batch, at: batchIndex)
            batchIndex += 1
            if let event = handle(completion) { return event }
        }
        ring.advance(batch)
        batch.count = 0
        batchIndex = 0
        return nil
    }

    /// One function per completion kind; nil for completions the loop need not hear of.
    @inline(__always)
    private mutating func handle(_ completion: Completion) -> IOEvent? {
        let token = Token(rawValue: completion.userData.rawValue)
        switch Kind(rawValue: token.operation) {
        case .receive: return received(completion, token)
        case .send: return sent(completion, token)
        case .accept: return accepted(completion, token)
        case .cancelReceive: return cancelled(token)
        case .connect: return connected(completion, token)
        case .signal:
            armSignal()
            return .woken
        case .message: return .woken
        case .ignored, nil: return nil
        }
    }

    /// The slot `token` addresses, or nil when its socket moved on since.
    @inline(__always)
    private func current(_ token: Token) -> SlotID? {
        let slot = token.slot
        return slots.contains(slot) && slots[slot].generation == token.generation ? slot : nil
    }

    private mutating func received(_ completion: Completion, _ token: Token) -> IOEvent? {
        guard let slot = current(token) else {
            if let id = completion.bufferID { buffers.recycle(id) }
            return nil
        }
        if !completion.hasMore { slots[slot].state.remove(.receiving) }
        let result = completion.result
        if result > 0, let id = completion.bufferID {
            lentBuffer = id
            return .received(slot, bytes: UnsafeRawBufferPointer(start: buffers.buffer(id), count: Int(result)))
        }
        if result == 0 { return .peerFinished(slot) }
        if result == -ENOBUFS || result == -ECANCELED {
            // Out of buffers, or cancelled: the loop re-arms it if it still wants input.
            return .changed(slot)
        }
        return .failed(slot)  // ECONNRESET and friends
    }

    private mutating func sent(_ completion: Completion, _ token: Token) -> IOEvent? {
        guard let slot = current(token) else { return nil }
        slots[slot].state.remove(.sending)
        slots[slot].state.remove(.cancellingSend)
        if completion.result < 0 { return .failed(slot) }  // EPIPE, ECONNRESET, a cancelled stall
        return .sent(slot, count: Int(completion.result))
    }

    private mutating func cancelled(_ token: Token) -> IOEvent? {
        guard let slot = current(token) else { return nil }
        slots[slot].state.remove(.cancellingReceive)
        return .changed(slot)
    }

    private mutating func accepted(_ completion: Completion, _ token: Token) -> IOEvent? {
        let listener = token.slot.index
        if !completion.hasMore {
            acceptArmed &= ~(1 << UInt8(listener))
            acceptCancelled &= ~(1 << UInt8(listener))
        }
        let fd = completion.result
        if fd >= 0 { return .accepted(fd: fd, listener: listener) }
        return fd == -ECANCELED ? nil : .acceptFailed(errno: -fd)
    }

    private func connected(_ completion: Completion, _ token: Token) -> IOEvent? {
        guard let slot = current(token) else { return nil }
        slots[slot].state.remove(.connecting)
        return .connected(slot, result: completion.result)
    }

    // MARK: The listener

    var isAccepting: Bool { acceptArmed != 0 }

    mutating func startAccepting() {
        for (index, listener) in listeners.enumerated() where acceptArmed & (1 << UInt8(index)) == 0 {
            ring.acceptMultishot(listener: listener, userData: Token(operation: Kind.accept.rawValue, listener: index).userData)
            acceptArmed |= 1 << UInt8(index)
        }
    }

    mutating func stopAccepting() {
        for index in listeners.indices where acceptArmed & ~acceptCancelled & (1 << UInt8(index)) != 0 {
            acceptCancelled |= 1 << UInt8(index)
            ring.cancel(Token(operation: Kind.accept.rawValue, listener: index).userData,
                        userData: Token(operation: Kind.ignored.rawValue).userData)
        }
    }

    mutating func acceptQueued() -> (fd: Int32, listener: Int)? {
        // No accept is armed, and no other worker accepts on these listeners: they can turn
        // non-blocking for good. Sockets stay blocking, as the multishot accept makes them
        // (io_uring would hand EAGAIN back on a non-blocking one).
        if !listenersNonBlocking {
            listenersNonBlocking = true
            for listener in listeners { _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK) }
        }
        for (index, listener) in listeners.enumerated() {
            let fd = rs_accept4(listener, Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 { return (fd, index) }
        }
        return nil
    }

    func discard(_ fd: Int32) {
        ring.close(fd: fd, userData: Token(operation: Kind.ignored.rawValue).userData)
    }

    // MARK: Sockets

    mutating func open(_ socket: SocketHandle) {
        slots[socket.id] = Slot(generation: socket.generation)
    }

    mutating func setReceiving(_ socket: SocketHandle, _ wanted: Bool) {
        let state = slots[socket.id].state
        if wanted {
            // Armed already, or a cancel must land before it can be armed again.
            guard !state.contains(.receiving) && !state.contains(.cancellingReceive) else { return }
            ring.receiveMultishot(fd: socket.fd, bufferGroup: buffers.group, userData: Token(operation: Kind.receive.rawValue, socket).userData)
            slots[socket.id].state.insert(.receiving)
        } else if state.contains(.receiving) && !state.contains(.cancellingReceive) {
            slots[socket.id].state.insert(.cancellingReceive)
            ring.cancel(Token(operation: Kind.receive.rawValue, socket).userData,
                        userData: Token(operation: Kind.cancelReceive.rawValue, socket).userData)
        }
    }

    @inline(__always)
    func isSending(_ socket: SocketHandle) -> Bool { slots[socket.id].state.contains(.sending) }

    mutating func send(_ socket: SocketHandle, _ message: UnsafeMutablePointer<msghdr>) -> SendResult {
        let userData = Token(operation: Kind.send.rawValue, socket).userData
        if message.pointee.msg_iovlen == 1 {
            // One response: a plain send, no msghdr for the kernel to copy.
            let iov = message.pointee.msg_iov!
            ring.send(fd: socket.fd, bytes: iov.pointee.iov_base, count: iov.pointee.iov_len, userData: userData)
        } else {
            ring.sendMessage(fd: socket.fd, message: message, userData: userData)
        }
        slots[socket.id].state.insert(.sending)
        return .inFlight
    }

    /// A plain `shutdown(2)`, not `IORING_OP_SHUTDOWN`: the kernel always
    /// runs that one on an io-wq thread and looks the descriptor up only
    /// then, so a close and an accept in between hand it the next
    /// connection's socket, which then ends before its first answer. Only
    /// lingering closes come here, so the system call costs nothing that counts.
    func shutdownWrite(_ socket: SocketHandle) {
        _ = shutdown(socket.fd, Int32(SHUT_WR))
    }

    mutating func close(_ socket: SocketHandle) -> Bool {
        let state = slots[socket.id].state
        if state.contains(.sending) {
            // A send can wait forever on a peer that does not read: cancel it;
            // its completion brings the loop back here.
            if !state.contains(.cancellingSend) {
                slots[socket.id].state.insert(.cancellingSend)
                ring.cancel(Token(operation: Kind.send.rawValue, socket).userData, userData: Token(operation: Kind.ignored.rawValue).userData)
            }
            return false
        }
        let ignored = Token(operation: Kind.ignored.rawValue).userData
        if state.contains(.receiving) && !state.contains(.cancellingReceive) {
            ring.cancel(Token(operation: Kind.receive.rawValue, socket).userData, userData: ignored, thenNext: true)
        }
        if state.contains(.connecting) {
            // A connect to a silent host would hold the socket for the kernel's SYN retries.
            ring.cancel(Token(operation: Kind.connect.rawValue, socket).userData, userData: ignored, thenNext: true)
        }
        ring.close(fd: socket.fd, userData: ignored)
        slots[socket.id] = Slot()  // whatever of this socket still completes is stale now
        return true
    }

    mutating func connect(_ socket: SocketHandle, to address: UnsafePointer<sockaddr>, length: socklen_t) {
        ring.connect(fd: socket.fd, address: address, length: length, userData: Token(operation: Kind.connect.rawValue, socket).userData)
        slots[socket.id].state.insert(.connecting)
    }

    mutating func finish() {
        ring.submit()  // the last turn's closes
    }

    // MARK: Helpers

    /// A read on the worker signal's eventfd: completes when another thread wakes the worker.
    private func armSignal() {
        ring.read(fd: signal.fd, into: signalValue, count: 8, userData: Token(operation: Kind.signal.rawValue).userData)
    }
}
