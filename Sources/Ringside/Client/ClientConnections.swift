import CLinuxShim  // TCP_NODELAY
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// A worker's outbound connections: their slots and send queues (the
/// outbound ``SlotTable``), their pools (one per ``HTTPClient`` used on this
/// worker) and their deadlines (the worker's ``TimerService``).
///
/// Confined to the worker thread: handler tasks reach it through
/// `WorkerRuntime.current` (they run on the worker's executor), the loop as
/// the owner of the outbound slots (``SlotOwner``). It decides; the loop's
/// flush turns what it decided into backend operations, and the loop hands
/// it the backend's events for its slots (`ClientConnections+Events.swift`).
final class ClientConnections {
    // @exclusivity(unchecked): confined to the worker thread; no method holds
    // an access to the table across a call that could re-enter this object.
    @exclusivity(unchecked) var table: SlotTable<ClientConnection>
    var pools: [ClientPool] = []
    /// Pool index by `ClientTarget.id`; -1 where this worker has none yet.
    private var poolByTarget: [Int] = []
    /// Where `HTTPClient.thisServer()` connects from this worker.
    private let serverAddress: UpstreamAddress?
    /// Scratch space for the response parser's fields.
    private(set) var fields: UnsafeMutableBufferPointer<HeaderField>
    let timers: TimerService
    private var exchanges: UInt64 = 0
    private var isShutDown = false
    /// The worker's counters, for its pools' gauges (nil: metrics off).
    private let metrics: WorkerMetrics.Writer?
    /// HTTPS: the plaintext buffer responses are decrypted into, and output buffers lent while a connection sends.
    var tlsBuffers = TLSBuffers()

    /// - Parameters:
    ///   - capacity: outbound connections on this worker, all clients together.
    ///   - dirty: the worker's dirty list.
    ///   - timers: the worker's timer service.
    ///   - serverAddress: this server's own address, for `HTTPClient.thisServer()`.
    ///   - metrics: the worker's counters (nil: metrics off).
    init(
        capacity: Int, dirty: DirtySlots, timers: TimerService, serverAddress: UpstreamAddress?,
        metrics: WorkerMetrics.Writer? = nil
    ) {
        self.metrics = metrics
        self.serverAddress = serverAddress
        self.timers = timers
        table = SlotTable(.outbound, capacity: capacity, queueDepth: 3, dirty: dirty)
        fields = .allocate(capacity: 100)
    }

    deinit {
        shutdown()
        pools.forEach { $0.deallocate() }
        fields.deallocate()
    }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutablePointer<ClientConnection> { table[slot] }

    /// Where `slot` connects.
    func address(_ slot: Int) -> (UnsafePointer<sockaddr>, socklen_t) {
        let pool = pools[table[slot].pointee.pool]
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
            waiting.deadline = TimerService.adding(pools[pool].queueTimeout, to: timers.now)
            if pools[pool].wait(waiting) {
                timers.add(.clientQueue(pool: Int32(pool)), after: pools[pool].queueTimeout)
            } else {
                exchange.finish(.failure(.poolExhausted))
            }
        }
    }

    /// A client's call was cancelled: its connection closes, or it leaves the line.
    func cancel(_ id: UInt64) {
        for slot in 0..<table.capacity where table[slot].pointee.exchange?.id == id {
            let exchange = table[slot].pointee.takeExchange()!
            let pool = table[slot].pointee.pool
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
        // The slot first: a full table refuses the call without a socket made and closed.
        guard let slot = table.take() else { return exchange.finish(.failure(.poolExhausted)) }
        let family = Int32(pools[pool].address.pointee.ss_family)
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = errno
            table.free(slot)
            return exchange.finish(.failure(.connectFailed(errno: code)))
        }
        var one: Int32 = 1
        // A request is one write; Nagle would hold a second one back for an ACK.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        table[slot].pointee.open(fd: fd, pool: pool, for: exchange)
        pools[pool].opened()
        setTimer(slot, .connect, pools[pool].connectTimeout)
        table.markDirty(slot)
    }

    /// `slot` serves `exchange`: its request is queued, its response awaited.
    func begin(_ slot: Int, _ exchange: ClientExchange, reused: Bool) {
        let connection = table[slot]
        let pool = connection.pointee.pool
        connection.pointee.begin(exchange, reused: reused)
        let request = exchange.request
        table.queues.append(slot, request.line, owner: request.bytes)
        table.queues.append(slot, UnsafeRawBufferPointer(pools[pool].hostBlock), owner: nil)
        table.queues.append(slot, request.rest, owner: request.bytes)
        connection.pointee.reader.begin(
            requestWasHead: request.method == .head, maxHeadBytes: pools[pool].maxHeadBytes,
            maxBodyBytes: pools[pool].maxBodyBytes)
        setTimer(slot, .responseHead, pools[pool].headTimeout)
        table.markDirty(slot)
    }

    /// Connections left `pool`: calls in line take their place.
    func serveWaiting(_ pool: Int) {
        while pools[pool].hasRoom, let exchange = pools[pool].nextWaiting() {
            open(exchange, pool: pool)
        }
    }

    /// Takes `slot` out of its pool and has the flush close it.
    func close(_ slot: Int) {
        let connection = table[slot]
        guard connection.pointee.phase != .closing && connection.pointee.phase != .free else { return }
        pools[connection.pointee.pool].closed(slot)
        connection.pointee.close()
        clearTimer(slot)
        table.markDirty(slot)
    }

    // MARK: The worker's end

    /// After the loop: every call still open fails with `cancelled`, every
    /// socket still open is closed, and later calls fail at once.
    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        for slot in 0..<table.capacity where table[slot].pointee.isOpen {
            let connection = table[slot]
            connection.pointee.takeExchange()?.finish(.failure(.cancelled))
            if connection.pointee.phase != .closing { pools[connection.pointee.pool].closed(slot) }  // the gauges
            Glibc.close(connection.pointee.fd)
            table.queues.clear(slot)
            connection.pointee.reader.reset()
        }
        for pool in pools.indices {
            while let exchange = pools[pool].nextWaiting() { exchange.finish(.failure(.cancelled)) }
        }
    }
}
