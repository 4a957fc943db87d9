import CLiburing
import IOUring
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A worker's event loop over io_uring.
///
/// One multishot accept on the worker's own listener, one multishot receive
/// per connection into the provided-buffer ring, responses sent straight from
/// prebuilt memory. Each turn drains every ready CQE, lets the HTTP core
/// answer what arrived, queues the resulting SQEs, and makes one
/// `io_uring_submit_and_wait`. Needs Linux 6.0 (multishot receive); prefers
/// 6.1 (`DEFER_TASKRUN`).
///
/// Slot lifetime: every `user_data` carries the slot's generation, so a
/// completion that arrives after its slot was freed and reused is recognised
/// and dropped. A slot is freed when it closes, except while a send is in
/// flight: that send's iovecs live in the slot.
struct IOUringEngine: Engine, ~Copyable {
    /// The `kind` byte of `UserData`.
    enum Kind: UInt8 {
        case accept = 1, receive, send, cancel, close, tick, wake
        /// The runtime's eventfd was written / an offload thread's MSG_RING: handler results wait.
        case notify, message
    }

    private let ring: Ring
    private var buffers: BufferRing
    private var core: HTTPCore
    private var taskEvents: [WorkerRuntime.Event] = []
    private let listener: Int32
    private let wakeFD: Int32
    /// Kernel-written memory that must outlive its SQE: the eventfd counter and the tick's deadline.
    private let wakeValue: UnsafeMutablePointer<UInt64>
    private let notifyValue: UnsafeMutablePointer<UInt64>
    private let tickDeadline: UnsafeMutablePointer<__kernel_timespec>
    /// A multishot accept is armed (a cancel may be on its way).
    private var accepting = false
    private var acceptCancelled = false
    /// Accept failed (EMFILE, ENFILE, ...): wait for the next tick before trying again.
    private var acceptBackingOff = false
    /// The accept failure already logged in this burst (0: none); a tick ends the burst.
    private var acceptFailureLogged: Int32 = 0
    private var connectionLimitLogged = false
    /// Sockets a multishot accept delivered after the connection limit was
    /// reached (before its cancel landed): they wait here, unread, as they
    /// would in the listen backlog, and get the next free slots.
    private let parked: UnsafeMutablePointer<Int32>
    private let parkCapacity: Int
    private var parkedCount = 0
    private var stopping = false
    private var drainTicksLeft = 0
    private let drainTimeout: Int
    private let logger: Logger

    init(context: WorkerContext) throws {
        let configuration = context.configuration
        let runtime = try WorkerRuntime(pool: context.pool, middleware: context.router.middleware, logger: context.logger)
        let ring = try Ring(entries: UInt32(configuration.ringEntries))
        buffers = try BufferRing(
            on: ring, group: 0,
            count: UInt32(configuration.receiveBufferCount),
            size: UInt32(configuration.receiveBufferSize))
        runtime.ringFD.store(ring.fileDescriptor, ordering: .releasing)
        self.ring = ring
        runtime.messageUserData = UserData(kind: Kind.message.rawValue)
        core = HTTPCore(configuration: configuration, router: context.router, runtime: runtime)
        taskEvents.reserveCapacity(64)
        listener = context.listener
        wakeFD = context.wakeFD
        wakeValue = .allocate(capacity: 1)
        notifyValue = .allocate(capacity: 1)
        tickDeadline = .allocate(capacity: 1)
        logger = context.logger
        drainTimeout = configuration.timeouts.drain
        parkCapacity = Int(configuration.backlog)
        parked = .allocate(capacity: parkCapacity)
    }

    deinit {
        // Offload jobs finishing after this worker must not message a closed (or reused) descriptor.
        core.runtime.ringFD.store(-1, ordering: .releasing)
        buffers.release(from: ring)
        wakeValue.deallocate()
        notifyValue.deallocate()
        tickDeadline.deallocate()
        for index in 0..<parkedCount { Glibc.close(parked[index]) }
        parked.deallocate()
    }

    mutating func run() {
        armAccept()
        ring.read(fd: wakeFD, into: wakeValue, count: 8, userData: UserData(kind: Kind.wake.rawValue))
        armNotify()
        armTick()

        while !(stopping && core.connections.openCount == 0 && !accepting) {
            // Tasks ready to run: look at completions without sleeping.
            let submitted: Int32
            if core.runtime.hasWork {
                submitted = ring.submitAndWait(0)
            } else if let timer = core.runtime.nanosecondsUntilNextTimer() {
                submitted = ring.submitAndWait(timeoutNanoseconds: max(timer, 1000))  // a WorkerClock sleep ends
            } else {
                submitted = ring.submitAndWait(1)
            }
            if submitted < 0 && submitted != -EINTR && submitted != -EAGAIN && submitted != -EBUSY && submitted != -ETIME {
                logger.critical("io_uring_submit_and_wait failed", metadata: ["errno": "\(-submitted)"])
                break
            }
            let batch = ring.readyCompletions()
            for index in 0..<batch.count {
                handle(ring.completion(batch, at: index))
            }
            ring.advance(batch)
            core.runTasks(into: &taskEvents)
            buffers.publish()
            flushDirty()
            if stopping && drainTicksLeft < 0 { break }
        }
        ring.submit()  // the last turn's closes
        core.finishTasks(into: &taskEvents)
        if accepting || core.connections.openCount > 0 {
            logger.warning("drain timed out", metadata: ["open": "\(core.connections.openCount)"])
            // Their operations die with the ring; the descriptors must not outlive the worker.
            core.connections.closeOpenDescriptors()
        }
    }

    // MARK: Completions, one function per kind

    private mutating func handle(_ completion: Completion) {
        switch Kind(rawValue: completion.userData.kind) {
        case .receive: received(completion)
        case .send: sent(completion)
        case .accept: accepted(completion)
        case .cancel: cancelled(completion)
        case .tick: ticked()
        case .wake: stop()
        case .notify: armNotify()
        case .message, .close, nil: break  // messages only wake the loop; closes post a CQE only on failure  // closes post a CQE only on failure; nothing to undo
        }
    }

    /// The slot a completion belongs to, or nil if the slot moved on since.
    @inline(__always)
    private func slot(of completion: Completion) -> Int? {
        let slot = Int(completion.userData.slot)
        let connection = core.connections[slot]
        guard connection.pointee.state.contains(.open),
              connection.pointee.generation == completion.userData.generation else { return nil }
        return slot
    }

    private mutating func received(_ completion: Completion) {
        guard let slot = slot(of: completion) else {
            if let id = completion.bufferID { buffers.recycle(id) }
            return
        }
        let connection = core.connections[slot]
        if !completion.hasMore { connection.pointee.state.remove(.receiving) }
        let result = completion.result
        if result > 0, let id = completion.bufferID {
            if !connection.pointee.state.contains(.closing) {
                core.receive(slot, UnsafeRawBufferPointer(start: buffers.buffer(id), count: Int(result)))
            }
            buffers.recycle(id)
        } else if result == 0 {
            // The peer finished sending: answer what it asked, then close.
            connection.pointee.state.insert(.closeAfterFlush)
        } else if result != -ENOBUFS && result != -ECANCELED {
            connection.pointee.state.insert(.closing)  // ECONNRESET and friends
        }
        // ENOBUFS (buffers ran out) and a receive that stopped without
        // MORE are re-armed by `flush`, after this turn's buffers are published.
        core.connections.markDirty(slot)
    }

    private mutating func sent(_ completion: Completion) {
        guard let slot = slot(of: completion) else { return }
        let connection = core.connections[slot]
        connection.pointee.state.remove(.sending)
        if completion.result < 0 {
            connection.pointee.state.insert(.closing)  // EPIPE, ECONNRESET: drop what is queued
            connection.pointee.sendingCount = 0
            core.connections.markDirty(slot)
        } else {
            core.sent(slot, Int(completion.result))
        }
    }

    private mutating func cancelled(_ completion: Completion) {
        guard let slot = slot(of: completion) else { return }
        core.connections[slot].pointee.state.remove(.cancelling)
        core.connections.markDirty(slot)
    }

    private mutating func accepted(_ completion: Completion) {
        if !completion.hasMore {
            accepting = false
            acceptCancelled = false
        }
        let fd = completion.result
        if fd >= 0 {
            if stopping {
                ring.close(fd: fd, userData: UserData(kind: Kind.close.rawValue))
            } else if !core.connections.isFull {
                adopt(fd)
            } else if parkedCount < parkCapacity {
                // Accepted before the cancel for the connection limit took effect.
                parked[parkedCount] = fd
                parkedCount += 1
            } else {
                ring.close(fd: fd, userData: UserData(kind: Kind.close.rawValue))
            }
        } else if fd != -ECANCELED {
            // EMFILE/ENFILE and the like: keep serving, try again on the next tick.
            acceptBackingOff = true
            if acceptFailureLogged != -fd {
                acceptFailureLogged = -fd
                logger.warning("accept failed; retrying every second", metadata: ["errno": "\(-fd)"])
            }
        }
        resumeAccepting()
    }

    /// Gives an accepted socket a slot and starts reading it.
    private mutating func adopt(_ fd: Int32) {
        guard let slot = core.connections.open(fd: fd) else { return }
        armReceive(slot)
        core.connections.markDirty(slot)  // starts its idle timer
        if core.connections.isFull {
            pauseAccepting()
            if !connectionLimitLogged {
                connectionLimitLogged = true
                logger.warning("connection limit reached; accepting again when one closes",
                               metadata: ["limit": "\(core.connections.capacity)"])
            }
        }
    }

    /// Whether the worker should be accepting now.
    private var wantsToAccept: Bool {
        !stopping && !acceptBackingOff && !core.connections.isFull && parkedCount == 0
    }

    private mutating func resumeAccepting() {
        if !accepting && wantsToAccept { armAccept() }
    }

    /// At the connection limit: new connections wait in the listen backlog.
    private mutating func pauseAccepting() {
        guard accepting && !acceptCancelled else { return }
        acceptCancelled = true
        // The cancel's own CQE is of no interest: tag it like a close, which is ignored.
        ring.cancel(UserData(kind: Kind.accept.rawValue), userData: UserData(kind: Kind.close.rawValue))
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
        armTick()
    }

    /// Stop accepting, finish what is queued, close every connection.
    private mutating func stop() {
        guard !stopping else { return }
        stopping = true
        drainTicksLeft = drainTimeout
        pauseAccepting()
        core.closeAllAfterFlush()
        for index in 0..<parkedCount { ring.close(fd: parked[index], userData: UserData(kind: Kind.close.rawValue)) }
        parkedCount = 0
    }

    // MARK: Turning connection state into SQEs

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

    /// Queues what `slot` needs next: a send, a receive, a cancel or its close.
    private mutating func flush(_ slot: Int) {
        let connection = core.connections[slot]
        var state = connection.pointee.state
        guard state.contains(.open) else { return }

        if !state.contains(.closing) {
            if connection.pointee.queuedCount > 0 {
                if !state.contains(.sending) { send(slot) }
            } else if state.contains(.closeAfterFlush) && state.isDisjoint(with: [.sending, .waiting]) {
                connection.pointee.state.insert(.closing)
            }
            state = connection.pointee.state
        }

        let wantsInput = state.isDisjoint(with: [.closing, .closeAfterFlush, .paused])
        if wantsInput {
            if !state.contains(.receiving) && !state.contains(.cancelling) { armReceive(slot) }
        } else if state.contains(.receiving) && !state.contains(.cancelling) && !state.contains(.closing) {
            // Stop reading: the connection is closing or its responses are backed up.
            connection.pointee.state.insert(.cancelling)
            ring.cancel(receiveUserData(slot), userData: userData(.cancel, slot))
        }

        if !connection.pointee.state.contains(.closing) {
            core.updateTimer(slot)
        } else if !connection.pointee.state.contains(.sending) {
            close(slot)
        } else if !connection.pointee.state.contains(.cancellingSend) {
            // A send can wait forever on a peer that does not read: cancel it,
            // its CQE then lets the close go ahead.
            connection.pointee.state.insert(.cancellingSend)
            ring.cancel(userData(.send, slot), userData: UserData(kind: Kind.close.rawValue))
        }
    }

    /// Cancels the receive (if armed) and closes the socket in one hard-linked
    /// pair, and frees the slot now: completions still on their way carry the
    /// old generation and are ignored (their buffers recycled). A send in
    /// flight is waited for, as its iovecs live in the slot.
    private mutating func close(_ slot: Int) {
        let connection = core.connections[slot]
        let ignored = UserData(kind: Kind.close.rawValue)
        if connection.pointee.state.contains(.receiving) && !connection.pointee.state.contains(.cancelling) {
            ring.cancel(receiveUserData(slot), userData: ignored, thenNext: true)
        }
        ring.close(fd: connection.pointee.fd, userData: ignored)
        core.connections.free(slot)
        if parkedCount > 0 && !stopping {
            // First come, first served: the oldest parked socket takes the slot.
            let fd = parked[0]
            parkedCount -= 1
            parked.update(from: parked + 1, count: parkedCount)
            adopt(fd)
        }
        resumeAccepting()
    }

    private mutating func send(_ slot: Int) {
        let connection = core.connections[slot]
        let iov = core.connections.iovecs(slot)
        let count = connection.pointee.queuedCount
        if count == 1 {
            ring.send(fd: connection.pointee.fd, bytes: iov.pointee.iov_base, count: iov.pointee.iov_len,
                      userData: userData(.send, slot))
        } else {
            let message = core.connections.message(slot)
            message.pointee.msg_iovlen = count
            ring.sendMessage(fd: connection.pointee.fd, message: message, userData: userData(.send, slot))
        }
        connection.pointee.sendingCount = count
        connection.pointee.state.insert(.sending)
    }

    private mutating func armReceive(_ slot: Int) {
        let connection = core.connections[slot]
        ring.receiveMultishot(fd: connection.pointee.fd, bufferGroup: buffers.group, userData: receiveUserData(slot))
        connection.pointee.state.insert(.receiving)
    }

    private mutating func armAccept() {
        ring.acceptMultishot(listener: listener, userData: UserData(kind: Kind.accept.rawValue))
        accepting = true
    }

    /// A read on the runtime's eventfd: completes when another thread wakes this worker.
    private func armNotify() {
        ring.read(fd: core.runtime.notifyFD, into: notifyValue, count: 8, userData: UserData(kind: Kind.notify.rawValue))
    }

    /// Next whole second of CLOCK_REALTIME, so dates flip when the second does.
    private func armTick() {
        tickDeadline.pointee = __kernel_timespec(tv_sec: Int64(WallClock.seconds + 1), tv_nsec: 0)
        ring.timeout(at: tickDeadline, userData: UserData(kind: Kind.tick.rawValue))
    }

    @inline(__always)
    private func userData(_ kind: Kind, _ slot: Int) -> UserData {
        UserData(kind: kind.rawValue, slot: UInt32(slot), generation: core.connections[slot].pointee.generation)
    }

    @inline(__always)
    private func receiveUserData(_ slot: Int) -> UserData { userData(.receive, slot) }
}
