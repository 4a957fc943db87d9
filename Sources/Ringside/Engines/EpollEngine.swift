import CLiburing
import IOUring
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A worker's event loop over epoll: the honest baseline io_uring is measured against.
///
/// Level-triggered readiness on non-blocking sockets, `accept4` in batches,
/// one `recv` buffer per worker (the HTTP core copies what it cannot answer
/// yet), responses written with `sendmsg` straight from prebuilt memory at the
/// end of each turn. Interest follows the slot's state: EPOLLIN while it may
/// read, EPOLLOUT while a write is blocked (`.sending`).
/// `epoll_data` carries the same `UserData` (kind, slot, generation) as io_uring.
struct EpollEngine: Engine, ~Copyable {
    enum Kind: UInt8 {
        case listener = 1, wake, connection, notify
    }

    private static let eventCapacity = 512
    /// Accepts per readiness event, so a connection storm cannot starve established connections.
    private static let acceptBatch = 64

    private let epoll: Int32
    private var core: HTTPCore
    private var taskEvents: [WorkerRuntime.Event] = []
    private let listener: Int32
    private let wakeFD: Int32
    private let receiveBuffer: UnsafeMutableRawPointer
    private let receiveBufferSize: Int
    private let events: UnsafeMutablePointer<epoll_event>
    private var second: Int
    /// The listener is in the epoll set.
    private var accepting = false
    /// Accept failed (EMFILE, ENFILE, ...): wait for the next tick before trying again.
    private var acceptBackingOff = false
    private var acceptFailureLogged: Int32 = 0
    private var connectionLimitLogged = false
    private var stopping = false
    private var drainTicksLeft = 0
    private let drainTimeout: Int
    private let logger: Logger

    init(context: WorkerContext) throws {
        let configuration = context.configuration
        let runtime = try WorkerRuntime(pool: context.pool, middleware: context.router.middleware, logger: context.logger)
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SystemCallError(step: "epoll_create1", errno: errno) }
        self.epoll = epoll
        second = WallClock.seconds
        core = HTTPCore(configuration: configuration, router: context.router, runtime: runtime)
        taskEvents.reserveCapacity(64)
        listener = context.listener
        wakeFD = context.wakeFD
        receiveBufferSize = configuration.receiveBufferSize
        receiveBuffer = .allocate(byteCount: receiveBufferSize, alignment: 64)
        events = .allocate(capacity: EpollEngine.eventCapacity)
        logger = context.logger
        drainTimeout = configuration.timeouts.drain

        let flags = fcntl(listener, F_GETFL)
        _ = fcntl(listener, F_SETFL, flags | O_NONBLOCK)
        register(wakeFD, UserData(kind: Kind.wake.rawValue), EPOLLIN.rawValue)
        register(runtime.notifyFD, UserData(kind: Kind.notify.rawValue), EPOLLIN.rawValue)
        startAccepting()
    }

    deinit {
        receiveBuffer.deallocate()
        events.deallocate()
        close(epoll)
    }

    mutating func run() {
        while !(stopping && core.connections.openCount == 0) {
            let now = WallClock.now()
            // Wake at the next whole second at the latest, to keep `date` current.
            let timeout = Int32(1000 - now.tv_nsec / 1_000_000)
            // Tasks ready to run: look at readiness without sleeping.
            var wait = core.runtime.hasWork ? 0 : max(timeout, 1)
            if wait > 0, let timer = core.runtime.nanosecondsUntilNextTimer() {
                // Rounded up: waking a little late beats spinning until the deadline.
                wait = min(wait, Int32((timer + 999_999) / 1_000_000))
            }
            let count = epoll_wait(epoll, events, Int32(EpollEngine.eventCapacity), wait)
            if count < 0 && errno != EINTR {
                logger.critical("epoll_wait failed", metadata: ["errno": "\(errno)"])
                break
            }
            for index in 0..<Int(max(count, 0)) {
                handle(events[index])
            }
            let seconds = WallClock.seconds
            if seconds != second {
                second = seconds
                ticked()
            }
            core.runTasks(into: &taskEvents)
            flushDirty()
            if stopping && drainTicksLeft < 0 { break }
        }
        core.finishTasks(into: &taskEvents)
        if core.connections.openCount > 0 {
            logger.warning("drain timed out", metadata: ["open": "\(core.connections.openCount)"])
            core.connections.closeOpenDescriptors()
        }
    }

    // MARK: Readiness

    private mutating func handle(_ event: epoll_event) {
        let userData = UserData(rawValue: event.data.u64)
        switch Kind(rawValue: userData.kind) {
        case .connection:
            let slot = Int(userData.slot)
            let connection = core.connections[slot]
            guard connection.pointee.state.contains(.open),
                  connection.pointee.generation == userData.generation else { return }
            if event.events & (EPOLLOUT.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                connection.pointee.state.remove(.sending)  // flush writes again, or meets the error
            }
            if event.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                readable(slot)
            }
            core.connections.markDirty(slot)
        case .listener:
            acceptReady()
        case .wake:
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
            stop()
        case .notify:
            core.runtime.clearNotification()
        case nil:
            break
        }
    }

    private mutating func readable(_ slot: Int) {
        let connection = core.connections[slot]
        while connection.pointee.state.isDisjoint(with: [.closing, .closeAfterFlush, .paused]) {
            let count = recv(connection.pointee.fd, receiveBuffer, receiveBufferSize, 0)
            if count > 0 {
                core.receive(slot, UnsafeRawBufferPointer(start: receiveBuffer, count: count))
                if count < receiveBufferSize { return }  // drained: spare the EAGAIN round trip
            } else if count == 0 {
                // The peer finished sending: answer what it asked, then close.
                connection.pointee.state.insert(.closeAfterFlush)
            } else if errno == EINTR {
                continue
            } else {
                if errno != EAGAIN { connection.pointee.state.insert(.closing) }
                return
            }
        }
    }

    private mutating func acceptReady() {
        for _ in 0..<EpollEngine.acceptBatch {
            let fd = rs_accept4(listener, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd < 0 {
                let code = errno
                if code == EAGAIN || code == EINTR || code == ECONNABORTED { return }
                // EMFILE/ENFILE and the like: stop watching the listener until the next tick.
                acceptBackingOff = true
                if acceptFailureLogged != code {
                    acceptFailureLogged = code
                    logger.warning("accept failed; retrying every second", metadata: ["errno": "\(code)"])
                }
                stopAccepting()
                return
            }
            guard !stopping, let slot = core.connections.open(fd: fd) else {
                close(fd)
                continue
            }
            core.connections[slot].pointee.interest = EPOLLIN.rawValue
            register(fd, userData(slot), EPOLLIN.rawValue)
            core.connections.markDirty(slot)  // starts its idle timer
            if core.connections.isFull {
                // New connections wait in the listen backlog until one closes.
                stopAccepting()
                if !connectionLimitLogged {
                    connectionLimitLogged = true
                    logger.warning("connection limit reached; accepting again when one closes",
                                   metadata: ["limit": "\(core.connections.capacity)"])
                }
                return
            }
        }
    }

    private mutating func ticked() {
        core.tick()
        if stopping { drainTicksLeft -= 1 }
        if acceptBackingOff {
            acceptBackingOff = false
            acceptFailureLogged = 0
        }
        resumeAccepting()
        connectionLimitLogged = false
    }

    private mutating func resumeAccepting() {
        if !accepting && !stopping && !acceptBackingOff && !core.connections.isFull { startAccepting() }
    }

    private mutating func stop() {
        guard !stopping else { return }
        stopping = true
        drainTicksLeft = drainTimeout
        stopAccepting()
        core.closeAllAfterFlush()
    }

    // MARK: Writing and interest

    private mutating func flushDirty() {
        var index = 0
        while index < core.connections.dirtyCount {
            let slot = core.connections.dirtySlot(at: index)
            let generation = core.connections[slot].pointee.generation
            flush(slot)
            core.connections.flushed(slot, generation: generation)
            index += 1
        }
        core.connections.clearDirty()
    }

    /// Writes what is queued, then brings epoll interest in line with the slot's state.
    private mutating func flush(_ slot: Int) {
        let connection = core.connections[slot]
        guard connection.pointee.state.contains(.open) else { return }
        while !connection.pointee.state.contains(.closing)
            && !connection.pointee.state.contains(.sending)
            && connection.pointee.queuedCount > 0 {
            let message = core.connections.message(slot)
            message.pointee.msg_iovlen = connection.pointee.queuedCount
            let written = sendmsg(connection.pointee.fd, message, Int32(MSG_NOSIGNAL))
            if written >= 0 {
                connection.pointee.sendingCount = connection.pointee.queuedCount
                core.sent(slot, written)
            } else if errno == EAGAIN {
                connection.pointee.state.insert(.sending)  // wait for EPOLLOUT
            } else if errno != EINTR {
                connection.pointee.state.insert(.closing)
            }
        }
        var state = connection.pointee.state
        if state.contains(.closeAfterFlush) && connection.pointee.queuedCount == 0 && !state.contains(.waiting) {
            connection.pointee.state.insert(.closing)
            state = connection.pointee.state
        }
        if state.contains(.closing) {
            close(connection.pointee.fd)  // also leaves the epoll set
            core.connections.free(slot)
            resumeAccepting()
            return
        }
        core.updateTimer(slot)

        var interest: UInt32 = 0
        if state.isDisjoint(with: [.closeAfterFlush, .paused]) { interest |= EPOLLIN.rawValue }
        if state.contains(.sending) { interest |= EPOLLOUT.rawValue }
        if interest != connection.pointee.interest {
            connection.pointee.interest = interest
            modify(connection.pointee.fd, userData(slot), interest)
        }
    }

    // MARK: epoll_ctl

    private func register(_ fd: Int32, _ data: UserData, _ interest: UInt32) {
        var event = epoll_event(events: interest, data: epoll_data_t(u64: data.rawValue))
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
    }

    private func modify(_ fd: Int32, _ data: UserData, _ interest: UInt32) {
        var event = epoll_event(events: interest, data: epoll_data_t(u64: data.rawValue))
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
    }

    private mutating func startAccepting() {
        register(listener, UserData(kind: Kind.listener.rawValue), EPOLLIN.rawValue)
        accepting = true
    }

    private mutating func stopAccepting() {
        guard accepting else { return }
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, listener, nil)
        accepting = false
    }

    @inline(__always)
    private func userData(_ slot: Int) -> UserData {
        UserData(kind: Kind.connection.rawValue, slot: UInt32(slot), generation: core.connections[slot].pointee.generation)
    }
}
