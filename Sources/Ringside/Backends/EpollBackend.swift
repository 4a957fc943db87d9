import CLinuxShim
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The epoll backend: the honest baseline io_uring is measured against.
///
/// Level-triggered readiness on non-blocking sockets, `accept4` in batches,
/// one `recv` into the worker's single receive buffer per readiness event
/// (the HTTP core copies what it cannot answer yet), `sendmsg` straight from
/// the queued iovecs. A socket's interest follows what the loop asked: EPOLLIN
/// while it receives, EPOLLOUT while a send is blocked. `epoll_data` carries
/// the same `Token` (kind, slot, generation) as io_uring's `user_data`.
struct EpollBackend: Backend, ~Copyable {
    /// The operation byte of each registration's `Token`.
    enum Kind: UInt8 {
        case listener = 1, signal, socket
    }

    /// Per slot: the generation of its current socket and its registration.
    private struct Slot {
        var generation: UInt32 = UInt32.max
        var fd: Int32 = -1
        /// The events registered (0 and not `registered`: not in the set yet).
        var interest: UInt32 = 0
        var registered = false
        /// The loop wants input.
        var receiving = false
        /// A `sendmsg` met a full socket buffer: waiting for EPOLLOUT.
        var blocked = false
        /// A non-blocking connect is under way: EPOLLOUT says it finished.
        var connecting = false
        /// A connect that failed at once (reported as its completion).
        var connectError: Int32 = 0
    }

    private static let eventCapacity = 512
    /// Accepts per readiness event, so a connection storm cannot starve established connections.
    private static let acceptBatch = 64

    private let epoll: Int32
    private let slots: SlotArray<Slot>
    private let listeners: [Int32]
    private let signal: WorkerSignal
    private let receiveBuffer: UnsafeMutableRawPointer
    private let receiveBufferSize: Int
    private let events: UnsafeMutablePointer<epoll_event>
    private var eventCount = 0
    private var eventIndex = 0
    /// The listener is in the epoll set.
    private var accepting = false
    /// Accepts left in this readiness event's batch, and its listener.
    private var acceptsLeft = 0
    private var acceptListener = 0
    private let logger: Logger

    init(_ setup: BackendSetup) throws {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SystemCallError(step: "epoll_create1", errno: errno) }
        self.epoll = epoll
        slots = SlotArray(capacities: setup.slots, initialValue: Slot())
        listeners = setup.listeners
        signal = setup.signal
        receiveBufferSize = setup.configuration.receiveBufferSize
        receiveBuffer = .allocate(byteCount: receiveBufferSize, alignment: 64)
        events = .allocate(capacity: EpollBackend.eventCapacity)
        logger = setup.logger
        for listener in listeners { _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK) }
        control(EPOLL_CTL_ADD, signal.fd, Token(operation: Kind.signal.rawValue), EPOLLIN.rawValue)
    }

    deinit {
        receiveBuffer.deallocate()
        events.deallocate()
        Glibc.close(epoll)
    }

    // MARK: Waiting and events

    mutating func wait(timeoutNanoseconds: Int64) -> Bool {
        // Rounded up to whole milliseconds: waking a little late beats spinning until the deadline.
        let milliseconds = Int32((timeoutNanoseconds + 999_999) / 1_000_000)
        let count = epoll_wait(epoll, events, Int32(EpollBackend.eventCapacity), milliseconds)
        if count < 0 && errno != EINTR {
            logger.critical("epoll_wait failed", metadata: ["errno": "\(errno)"])
            return false
        }
        eventCount = Int(max(count, 0))
        eventIndex = 0
        return true
    }

    mutating func nextEvent() -> IOEvent? {
        while true {
            if acceptsLeft > 0, let event = acceptOne() { return event }
            guard eventIndex < eventCount else { return nil }
            let event = events[eventIndex]
            eventIndex += 1
            let token = Token(rawValue: event.data.u64)
            switch Kind(rawValue: token.operation) {
            case .socket:
                if let result = ready(token, event.events) { return result }
            case .listener:
                acceptsLeft = EpollBackend.acceptBatch
                acceptListener = token.slot.index
            case .signal:
                signal.drain()
                return .woken
            case nil:
                break
            }
        }
    }

    /// A socket's readiness: one `recv` if the loop wants input, else what changed.
    private mutating func ready(_ token: Token, _ events: UInt32) -> IOEvent? {
        let slot = token.slot
        guard slots.contains(slot), slots[slot].generation == token.generation else { return nil }
        let trouble = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        if slots[slot].connecting && (events & EPOLLOUT.rawValue != 0 || trouble) {
            return connected(slot, SocketHandle(id: slot, generation: token.generation, fd: slots[slot].fd))
        }
        let writable = slots[slot].blocked && (events & EPOLLOUT.rawValue != 0 || trouble)
        if writable {
            slots[slot].blocked = false
            // Stop watching for room: level-triggered, a writable socket would end every wait at once.
            updateInterest(SocketHandle(id: slot, generation: token.generation, fd: slots[slot].fd))
        }
        if slots[slot].receiving && (events & EPOLLIN.rawValue != 0 || trouble) {
            while true {
                let count = recv(slots[slot].fd, receiveBuffer, receiveBufferSize, 0)
                if count > 0 { return .received(slot, bytes: UnsafeRawBufferPointer(start: receiveBuffer, count: count)) }
                if count == 0 { return .peerFinished(slot) }
                if errno == EINTR { continue }
                return errno == EAGAIN ? (writable ? .changed(slot) : nil) : .failed(slot)
            }
        }
        if writable { return .changed(slot) }
        // An error or hang-up on a socket that is not read: level-triggered, it
        // would be reported again every wait.
        return trouble ? .failed(slot) : nil
    }

    func acceptQueued() -> (fd: Int32, listener: Int)? {
        // The listeners are non-blocking (see init).
        for (index, listener) in listeners.enumerated() {
            let fd = rs_accept4(listener, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 { return (fd, index) }
        }
        return nil
    }

    private mutating func acceptOne() -> IOEvent? {
        guard accepting else {
            acceptsLeft = 0
            return nil
        }
        acceptsLeft -= 1
        let fd = rs_accept4(listeners[acceptListener], Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        if fd >= 0 { return .accepted(fd: fd, listener: acceptListener) }
        let code = errno
        acceptsLeft = 0
        if code == EAGAIN || code == EINTR || code == ECONNABORTED { return nil }
        return .acceptFailed(errno: code)
    }

    // MARK: The listener

    var isAccepting: Bool { accepting }

    mutating func startAccepting() {
        guard !accepting else { return }
        for (index, listener) in listeners.enumerated() {
            control(EPOLL_CTL_ADD, listener, Token(operation: Kind.listener.rawValue, listener: index), EPOLLIN.rawValue)
        }
        accepting = true
    }

    mutating func stopAccepting() {
        guard accepting else { return }
        for listener in listeners { _ = epoll_ctl(epoll, EPOLL_CTL_DEL, listener, nil) }
        accepting = false
        acceptsLeft = 0
    }

    func discard(_ fd: Int32) { Glibc.close(fd) }

    // MARK: Sockets

    mutating func open(_ socket: SocketHandle) {
        slots[socket.id] = Slot(generation: socket.generation, fd: socket.fd)
    }

    mutating func setReceiving(_ socket: SocketHandle, _ wanted: Bool) {
        guard slots[socket.id].receiving != wanted else { return }
        slots[socket.id].receiving = wanted
        updateInterest(socket)
    }

    @inline(__always)
    func isSending(_ socket: SocketHandle) -> Bool { slots[socket.id].blocked }

    mutating func send(_ socket: SocketHandle, _ message: UnsafeMutablePointer<msghdr>) -> SendResult {
        while true {
            let written = sendmsg(socket.fd, message, Int32(MSG_NOSIGNAL))
            if written >= 0 { return .sent(written) }
            switch errno {
            case EINTR:
                continue
            case EAGAIN:
                slots[socket.id].blocked = true
                updateInterest(socket)
                return .blocked
            default:
                return .failed
            }
        }
    }

    func shutdownWrite(_ socket: SocketHandle) {
        _ = shutdown(socket.fd, Int32(SHUT_WR))
    }

    mutating func close(_ socket: SocketHandle) -> Bool {
        Glibc.close(socket.fd)  // also leaves the epoll set
        slots[socket.id] = Slot()
        return true
    }

    mutating func connect(_ socket: SocketHandle, to address: UnsafePointer<sockaddr>, length: socklen_t) {
        // Non-blocking: EINPROGRESS now, writability (or an error) once it is done.
        slots[socket.id].connecting = true
        let result = Glibc.connect(socket.fd, address, length)
        if result != 0 && errno != EINPROGRESS {
            // Failed at once: report it through the same event on the next wait.
            slots[socket.id].connectError = errno
        }
        updateInterest(socket)
    }

    /// The outcome of a connect, from `SO_ERROR`.
    private mutating func connected(_ slot: SlotID, _ socket: SocketHandle) -> IOEvent {
        slots[slot].connecting = false
        var code = slots[slot].connectError
        if code == 0 {
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
        }
        slots[slot].connectError = 0
        updateInterest(socket)
        return .connected(slot, result: -code)
    }

    mutating func finish() {}

    // MARK: epoll_ctl

    /// Brings the socket's registration in line with its state; one `epoll_ctl` at most.
    private mutating func updateInterest(_ socket: SocketHandle) {
        var interest: UInt32 = 0
        if slots[socket.id].receiving { interest |= EPOLLIN.rawValue }
        if slots[socket.id].blocked || slots[socket.id].connecting { interest |= EPOLLOUT.rawValue }
        if !slots[socket.id].registered {
            control(EPOLL_CTL_ADD, socket.fd, Token(operation: Kind.socket.rawValue, socket), interest)
            slots[socket.id].registered = true
        } else if interest != slots[socket.id].interest {
            control(EPOLL_CTL_MOD, socket.fd, Token(operation: Kind.socket.rawValue, socket), interest)
        }
        slots[socket.id].interest = interest
    }

    private func control(_ operation: Int32, _ fd: Int32, _ token: Token, _ interest: UInt32) {
        var event = epoll_event(events: interest, data: epoll_data_t(u64: token.rawValue))
        _ = epoll_ctl(epoll, operation, fd, &event)
    }
}
