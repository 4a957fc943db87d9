import CLinuxShim  // eventfd
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The in-process backend: the worker loop, HTTP core, router and handlers
/// of a real worker, fed by ``InProcessWire`` pipes instead of sockets. It is
/// what `RingsideTesting`'s `.inProcess` runs: no port, no socket, no thread
/// beyond the worker's.
///
/// It behaves like the epoll backend (sends complete at once or block on a
/// full buffer, one receive per ready connection per turn) so the loop and
/// core take the same paths. Each accepted connection gets an eventfd as
/// its descriptor: a real one, so the loop's closes at drain and shutdown
/// stay correct, but no socket (`Request.remoteAddress` is nil).
///
/// A handler's outbound calls (``HTTPClient``) are real TCP connections:
/// the outbound slots, and the waiting itself, are an ``EpollBackend``'s, which
/// also watches the worker signal the wire's clients write. So a service
/// that calls another is tested in process against a real upstream.
struct InProcessBackend: Backend, ~Copyable {
    /// Outbound sockets, and the wait for them, the worker signal and the wire.
    private var sockets: EpollBackend
    private let wire: InProcessWire
    /// Per served slot: its pipe (0: none), whether the loop reads it, whether a send waits for room.
    private let pipes: UnsafeMutableBufferPointer<Int>
    private let receiving: UnsafeMutableBufferPointer<Bool>
    private let blocked: UnsafeMutableBufferPointer<Bool>
    /// Pipe id → served slot, for the wire's news.
    private var slots: [Int: Int] = [:]
    /// Accepted descriptors not yet given a slot → their pipe.
    private var accepted: [Int32: Int] = [:]
    private var accepting = false
    /// Slots to look at on the next wait (news, or reading turned on).
    private var candidates: [Int] = []
    private var news: [Int] = []
    /// Slots with input, handed out one event each.
    private var ready: [Int] = []
    /// Events decided before `nextEvent` (room to send again).
    private var queued: [IOEvent] = []
    private let buffer: UnsafeMutableRawBufferPointer

    init(_ setup: BackendSetup) throws {
        guard let wire = setup.wire else { throw SystemCallError(step: "in-process backend without a wire", errno: EINVAL) }
        sockets = try EpollBackend(setup)  // never accepts: it has no listener and accepting stays off
        self.wire = wire
        let served = max(setup.slots.served, 1)
        pipes = .allocate(capacity: served)
        pipes.initialize(repeating: 0)
        receiving = .allocate(capacity: served)
        receiving.initialize(repeating: false)
        blocked = .allocate(capacity: served)
        blocked.initialize(repeating: false)
        buffer = .allocate(byteCount: setup.configuration.receiveBufferSize, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        pipes.deallocate()
        receiving.deallocate()
        blocked.deallocate()
    }

    // MARK: Waiting and events

    mutating func wait(timeoutNanoseconds: Int64) -> Bool {
        gather()
        // The epoll wait ends on outbound sockets and on the worker signal, which the wire's clients write.
        guard sockets.wait(timeoutNanoseconds: hasEvents ? 0 : timeoutNanoseconds) else { return false }
        gather()
        return true
    }

    private var hasEvents: Bool {
        !queued.isEmpty || !ready.isEmpty || (accepting && wire.hasPending)
    }

    /// Turns the wire's news and the slots to look at into ready slots and queued events.
    private mutating func gather() {
        wire.takeNews(into: &news)
        for id in news {
            if let slot = slots[id] { candidates.append(slot) }
        }
        news.removeAll(keepingCapacity: true)
        for slot in candidates {
            let id = pipes[slot]
            guard id != 0 else { continue }
            if blocked[slot] && wire.hasRoom(id) {
                blocked[slot] = false
                queued.append(.changed(SlotID(.served, slot)))
            }
            if receiving[slot] && !ready.contains(slot) && wire.hasInput(id) { ready.append(slot) }
        }
        candidates.removeAll(keepingCapacity: true)
    }

    mutating func nextEvent() -> IOEvent? {
        if let event = sockets.nextEvent() { return event }
        if !queued.isEmpty { return queued.removeFirst() }
        if accepting, let (fd, listener) = acceptQueued() { return .accepted(fd: fd, listener: listener) }
        while !ready.isEmpty {
            let slot = ready.removeFirst()
            let id = pipes[slot]
            guard id != 0, receiving[slot] else { continue }
            switch wire.receive(id, into: buffer) {
            case .bytes(let count):
                candidates.append(slot)  // more may wait: looked at again on the next wait
                return .received(SlotID(.served, slot), bytes: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            case .end:
                return .peerFinished(SlotID(.served, slot))
            case .nothing:
                continue
            }
        }
        return nil
    }

    // MARK: The listener

    var isAccepting: Bool { accepting }
    mutating func startAccepting() { accepting = true }
    mutating func stopAccepting() { accepting = false }

    mutating func discard(_ fd: Int32) {
        if let id = accepted.removeValue(forKey: fd) { wire.closeByServer(id) }
        Glibc.close(fd)
    }

    mutating func acceptQueued() -> (fd: Int32, listener: Int)? {
        guard let id = wire.accept() else { return nil }
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else {
            wire.closeByServer(id)
            return nil
        }
        accepted[fd] = id
        return (fd, 0)
    }

    // MARK: Sockets

    mutating func open(_ socket: SocketHandle) {
        guard socket.id.kind == .served else { return sockets.open(socket) }
        guard let id = accepted.removeValue(forKey: socket.fd) else { return }
        let slot = socket.id.index
        pipes[slot] = id
        receiving[slot] = false
        blocked[slot] = false
        slots[id] = slot
    }

    mutating func setReceiving(_ socket: SocketHandle, _ wanted: Bool) {
        guard socket.id.kind == .served else { return sockets.setReceiving(socket, wanted) }
        let slot = socket.id.index
        guard receiving[slot] != wanted else { return }
        receiving[slot] = wanted
        if wanted { candidates.append(slot) }  // bytes may already wait
    }

    func isSending(_ socket: SocketHandle) -> Bool {
        socket.id.kind == .served ? blocked[socket.id.index] : sockets.isSending(socket)
    }

    mutating func send(_ socket: SocketHandle, _ message: UnsafeMutablePointer<msghdr>) -> SendResult {
        guard socket.id.kind == .served else { return sockets.send(socket, message) }
        let slot = socket.id.index
        let iovecs = UnsafeBufferPointer(start: message.pointee.msg_iov, count: Int(message.pointee.msg_iovlen))
        switch wire.send(pipes[slot], iovecs) {
        case .sent(let count):
            return .sent(count)
        case .blocked:
            blocked[slot] = true
            candidates.append(slot)  // the client may have read in the meantime
            return .blocked
        case .failed:
            return .failed
        }
    }

    func shutdownWrite(_ socket: SocketHandle) {
        guard socket.id.kind == .served else { return sockets.shutdownWrite(socket) }
        wire.shutdownWrite(pipes[socket.id.index])
    }

    mutating func close(_ socket: SocketHandle) -> Bool {
        guard socket.id.kind == .served else { return sockets.close(socket) }
        let slot = socket.id.index
        let id = pipes[slot]
        if id != 0 { wire.closeByServer(id) }
        slots[id] = nil
        pipes[slot] = 0
        receiving[slot] = false
        blocked[slot] = false
        Glibc.close(socket.fd)
        return true
    }

    mutating func connect(_ socket: SocketHandle, to address: UnsafePointer<sockaddr>, length: socklen_t) {
        sockets.connect(socket, to: address, length: length)
    }

    mutating func finish() {
        sockets.finish()
        wire.finish()
        for (fd, _) in accepted { Glibc.close(fd) }
        accepted.removeAll()
    }
}
