import CLinuxShim  // TCP_NODELAY
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// A worker's outbound connections: their slots, send queues, pools (one per
/// ``HTTPClient`` used on this worker), dirty list and deadlines, allocated
/// when the worker starts.
///
/// Confined to the worker thread: handler tasks reach it through
/// `WorkerRuntime.current` (they run on the worker's executor), the loop
/// through `WorkerLoop.clients`. Client slot *k* is backend slot `base + k`,
/// after the served connections' slots, so one backend and one `Token`
/// layout serve both. The table decides; the loop's flush turns what it
/// decided into backend operations (`WorkerLoop+Client.swift`), and the loop
/// hands it the backend's events for its slots (`ClientConnections+Events.swift`).
final class ClientConnections {
    /// What a client slot needs from the backend after a turn.
    enum Step {
        case none
        /// Track the socket and connect it to its pool's address.
        case connect
        /// Keep it open, reading or not.
        case serve(receiving: Bool)
        case close
    }

    /// The backend slot of client slot 0.
    let base: Int
    let capacity: Int
    private let slots: UnsafeMutablePointer<ClientConnection>
    private var freeSlots: [Int]
    /// Each slot's request bytes: request line, the pool's `host` block, the rest.
    var queues: SendQueues
    var pools: [ClientPool] = []
    /// Pool index by `ClientTarget.id`; -1 where this worker has none yet.
    private var poolByTarget: [Int] = []
    /// Where `HTTPClient.thisServer()` connects from this worker.
    private let serverAddress: UpstreamAddress?
    /// Scratch space for the response parser's fields.
    private(set) var fields: UnsafeMutableBufferPointer<HeaderField>
    private var dirty: DirtyList
    /// No deadline is earlier than this (a lower bound; `.max` without any).
    var nextDeadline = Int64.max
    private var exchanges: UInt64 = 0
    private var isShutDown = false
    /// The worker's counters, for its pools' gauges (nil: metrics off).
    private let metrics: WorkerMetrics.Writer?

    /// - Parameters:
    ///   - base: the first backend slot after the served connections'.
    ///   - capacity: outbound connections on this worker, all clients together.
    ///   - serverAddress: this server's own address, for `HTTPClient.thisServer()`.
    ///   - metrics: the worker's counters (nil: metrics off).
    init(base: Int, capacity: Int, serverAddress: UpstreamAddress?, metrics: WorkerMetrics.Writer? = nil) {
        self.base = base
        self.metrics = metrics
        self.capacity = capacity
        self.serverAddress = serverAddress
        slots = .allocate(capacity: max(capacity, 1))
        slots.initialize(repeating: ClientConnection(), count: capacity)
        freeSlots = Array((0..<capacity).reversed())  // lowest slots first
        queues = SendQueues(slots: max(capacity, 1), depth: 3)
        fields = .allocate(capacity: 100)
        dirty = DirtyList(slots: capacity)
    }

    deinit {
        shutdown()
        slots.deinitialize(count: capacity)
        slots.deallocate()
        pools.forEach { $0.deallocate() }
        fields.deallocate()
    }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutablePointer<ClientConnection> { slots + slot }

    /// What the backend needs to address client slot `slot`.
    @inline(__always)
    func socket(_ slot: Int) -> SocketHandle {
        SocketHandle(slot: base + slot, generation: slots[slot].generation, fd: slots[slot].fd)
    }

    /// Where `slot` connects.
    func address(_ slot: Int) -> (UnsafePointer<sockaddr>, socklen_t) {
        let pool = pools[slots[slot].pool]
        return (UnsafeRawPointer(pool.address).assumingMemoryBound(to: sockaddr.self), pool.addressLength)
    }

    func nextExchangeID() -> UInt64 {
        exchanges &+= 1
        return exchanges
    }

    // MARK: Calls

    /// Starts a call: an idle connection of `target`'s pool, a new one, or a place in line.
    func start(_ target: ClientTarget, _ request: HTTPClient.Request, id: UInt64, _ continuation: ClientContinuation) {
        let exchange = ClientExchange(id: id, request: request, continuation: continuation)
        guard !isShutDown else { return exchange.finish(.failure(.cancelled)) }
        guard let pool = pool(for: target) else {
            return exchange.finish(.failure(.invalidUpstream("this server's address is unknown")))
        }
        dispatch(exchange, pool: pool, fresh: false)
    }

    /// Gives `exchange` a connection of `pool` (not an idle one if `fresh`), or a place in line.
    func dispatch(_ exchange: ClientExchange, pool: Int, fresh: Bool) {
        if !fresh, let slot = pools[pool].takeIdle() {
            begin(slot, exchange, reused: true)
        } else if pools[pool].hasRoom {
            open(exchange, pool: pool)
        } else {
            var waiting = exchange
            waiting.deadline = MonotonicClock.nanoseconds + pools[pool].queueTimeout
            if pools[pool].wait(waiting) {
                nextDeadline = min(nextDeadline, waiting.deadline)
            } else {
                exchange.finish(.failure(.poolExhausted))
            }
        }
    }

    /// A client's call was cancelled: its connection closes, or it leaves the line.
    func cancel(_ id: UInt64) {
        for slot in 0..<capacity where slots[slot].exchange?.id == id {
            let exchange = slots[slot].takeExchange()!
            let pool = slots[slot].pool
            close(slot)
            exchange.finish(.failure(.cancelled))
            serveWaiting(pool)
            return
        }
        for pool in pools.indices {
            if let exchange = pools[pool].removeWaiting(id: id) { return exchange.finish(.failure(.cancelled)) }
        }
    }

    /// The pool of `target` on this worker, made on first use.
    private func pool(for target: ClientTarget) -> Int? {
        if target.id < poolByTarget.count, poolByTarget[target.id] >= 0 { return poolByTarget[target.id] }
        let address: UpstreamAddress
        switch target.upstream {
        case .address(let upstream): address = upstream
        case .thisServer:
            guard let serverAddress else { return nil }
            address = serverAddress
        }
        if target.id >= poolByTarget.count {
            poolByTarget.append(contentsOf: repeatElement(-1, count: target.id + 1 - poolByTarget.count))
        }
        let pool = ClientPool(target: target, address: address, metrics: metrics)
        if pool.maxHeaderCount > fields.count {
            fields.deallocate()
            fields = .allocate(capacity: pool.maxHeaderCount)
        }
        pools.append(pool)
        poolByTarget[target.id] = pools.count - 1
        return pools.count - 1
    }

    /// Opens a socket for `exchange`; the flush connects it.
    private func open(_ exchange: ClientExchange, pool: Int) {
        guard let slot = freeSlots.popLast() else { return exchange.finish(.failure(.poolExhausted)) }
        let family = Int32(pools[pool].address.pointee.ss_family)
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = errno
            freeSlots.append(slot)
            return exchange.finish(.failure(.connectFailed(errno: code)))
        }
        var one: Int32 = 1
        // A request is one write; Nagle would hold a second one back for an ACK.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        slots[slot].open(fd: fd, pool: pool, for: exchange)
        pools[pool].opened()
        setTimer(slot, .connect, pools[pool].connectTimeout)
        markDirty(slot)
    }

    /// `slot` serves `exchange`: its request is queued, its response awaited.
    func begin(_ slot: Int, _ exchange: ClientExchange, reused: Bool) {
        let connection = slots + slot
        let pool = connection.pointee.pool
        connection.pointee.begin(exchange, reused: reused)
        let request = exchange.request
        queues.append(slot, request.line, owner: request.bytes)
        queues.append(slot, UnsafeRawBufferPointer(pools[pool].hostBlock), owner: nil)
        queues.append(slot, request.rest, owner: request.bytes)
        connection.pointee.reader.begin(
            requestWasHead: request.method == .head, maxHeadBytes: pools[pool].maxHeadBytes,
            maxBodyBytes: pools[pool].maxBodyBytes)
        setTimer(slot, .responseHead, pools[pool].headTimeout)
        markDirty(slot)
    }

    /// Connections left `pool`: calls in line take their place.
    func serveWaiting(_ pool: Int) {
        while pools[pool].hasRoom, let exchange = pools[pool].nextWaiting() {
            open(exchange, pool: pool)
        }
    }

    /// Takes `slot` out of its pool and has the flush close it.
    func close(_ slot: Int) {
        let connection = slots + slot
        guard connection.pointee.phase != .closing && connection.pointee.phase != .free else { return }
        pools[connection.pointee.pool].closed(slot)
        connection.pointee.close()
        connection.pointee.timer = .none
        markDirty(slot)
    }

    // MARK: For the loop's flush

    /// What `slot` needs from the backend now.
    func nextStep(_ slot: Int) -> Step {
        let connection = slots + slot
        switch connection.pointee.phase {
        case .free:
            return .none
        case .connecting:
            if connection.pointee.connectQueued { return .none }
            connection.pointee.queueConnect()
            return .connect
        case .active, .idle:
            return .serve(receiving: connection.pointee.wantsInput)
        case .closing:
            return .close
        }
    }

    /// Whether `slot` has request bytes to send.
    @inline(__always)
    func hasOutput(_ slot: Int) -> Bool { slots[slot].phase == .active && queues.count(slot) > 0 }

    /// The backend closed `slot`'s socket: the slot and its queue are free.
    func release(_ slot: Int) {
        queues.clear(slot)
        slots[slot].release()
        freeSlots.append(slot)
    }

    // MARK: Dirty list (see `DirtyList`)

    var dirtyCount: Int { dirty.count }
    @inline(__always) func markDirty(_ slot: Int) { dirty.mark(slot, in: slots) }
    @inline(__always) func dirtySlot(at index: Int) -> Int { dirty[index] }
    @inline(__always) func flushed(_ slot: Int, generation: UInt32) { dirty.flushed(slot, generation: generation, in: slots) }
    @inline(__always) func clearDirty() { dirty.clear() }

    // MARK: The worker's end

    /// After the loop: every call still open fails with `cancelled`, every
    /// socket still open is closed, and later calls fail at once.
    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        for slot in 0..<capacity where slots[slot].isOpen {
            slots[slot].takeExchange()?.finish(.failure(.cancelled))
            if slots[slot].phase != .closing { pools[slots[slot].pool].closed(slot) }  // the gauges
            Glibc.close(slots[slot].fd)
            queues.clear(slot)
            slots[slot].reader.reset()
        }
        for pool in pools.indices {
            while let exchange = pools[pool].nextWaiting() { exchange.finish(.failure(.cancelled)) }
        }
    }
}

extension ClientConnection: DirtyListSlot {
    @inline(__always) static func isDirty(_ slot: UnsafeMutablePointer<ClientConnection>) -> Bool { slot.pointee.flags.contains(.dirty) }
}
