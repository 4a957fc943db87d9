import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// One client's connections on one worker: the upstream's address, its
/// `host` line laid out once, the idle connections most recently used last,
/// and the calls waiting in line while every connection is busy.
struct ClientPool {
    let target: ClientTarget
    let maxConnections: Int
    let maxHeadBytes: Int
    let maxHeaderCount: Int
    let maxBodyBytes: Int
    /// Timeouts in nanoseconds.
    let connectTimeout, queueTimeout, headTimeout, bodyTimeout, idleTimeout: Int64
    /// Where to connect; stays put while a connect reads it.
    let address: UnsafeMutablePointer<sockaddr_storage>
    let addressLength: socklen_t
    /// `host: …\r\n` and the configuration's fields, sent after each request line.
    let hostBlock: UnsafeMutableRawBufferPointer
    /// Connections that count against `maxConnections` (connecting, busy, idle).
    private(set) var openCount = 0
    /// Idle connections' slots, the most recently used last.
    private var idle: [Int] = []
    /// Calls waiting for a connection, oldest first.
    private var waiting: WaitingLine<ClientExchange>
    /// The worker's gauges of pooled and idle connections (nil: metrics off).
    private let metrics: WorkerMetrics.Writer?
    /// HTTPS: the session the pool's next connection resumes (an `SSL_SESSION`,
    /// replaced as the upstream issues tickets; `TLSSession` points OpenSSL here).
    let tlsSession: UnsafeMutablePointer<OpaquePointer?>

    init(target: ClientTarget, address upstream: UpstreamAddress, metrics: WorkerMetrics.Writer? = nil) {
        self.metrics = metrics
        let configuration = target.configuration
        self.target = target
        maxConnections = configuration.maxConnections
        waiting = WaitingLine(capacity: configuration.maxQueuedRequests)
        maxHeadBytes = configuration.maxResponseHeadBytes
        maxHeaderCount = configuration.maxResponseHeaderCount
        maxBodyBytes = configuration.maxResponseBodyBytes
        let timeouts = configuration.timeouts
        connectTimeout = timeouts.connect.clampedNanoseconds
        queueTimeout = timeouts.queue.clampedNanoseconds
        headTimeout = timeouts.responseHead.clampedNanoseconds
        bodyTimeout = timeouts.bodyProgress.clampedNanoseconds
        idleTimeout = timeouts.idle.clampedNanoseconds
        address = .allocate(capacity: 1)
        address.initialize(to: upstream.storage)
        addressLength = upstream.length
        var block: [UInt8] = []
        block.append("host: \(upstream.authority)\r\n")
        ClientFields.append(configuration.headerFields.filter { !ClientFields.isClientOwned($0.name) }, to: &block)
        hostBlock = .allocate(byteCount: block.count, alignment: 16)
        hostBlock.copyBytes(from: block)
        idle.reserveCapacity(maxConnections)
        tlsSession = .allocate(capacity: 1)
        tlsSession.initialize(to: nil)
    }

    /// The pool's memory; the table calls it once, at the worker's end.
    func deallocate() {
        address.deallocate()
        hostBlock.deallocate()
        if let session = tlsSession.pointee { SSL_SESSION_free(session) }
        tlsSession.deallocate()
    }

    /// HTTPS: a new connection's TLS session (nil for cleartext, or when OpenSSL cannot make one).
    func makeTLSSession() -> TLSSession? {
        guard let context = target.tls else { return nil }
        return TLSSession(client: context, hostName: target.tlsHostName, ip: target.tlsAddress, sessions: tlsSession)
    }

    // MARK: Connections

    var hasRoom: Bool { openCount < maxConnections }

    /// A connection joined the pool (it is connecting).
    mutating func opened() {
        openCount += 1
        metrics?.adjust(.clientPoolConnections, up: true)
    }

    /// A connection left the pool (it is being closed).
    mutating func closed(_ slot: Int) {
        openCount -= 1
        metrics?.adjust(.clientPoolConnections, up: false)
        removeIdle(slot)
    }

    /// The most recently used idle connection, taken out of the idle list.
    mutating func takeIdle() -> Int? {
        guard let slot = idle.popLast() else { return nil }
        metrics?.adjust(.clientPoolIdle, up: false)
        return slot
    }

    mutating func putIdle(_ slot: Int) {
        idle.append(slot)
        metrics?.adjust(.clientPoolIdle, up: true)
    }

    private mutating func removeIdle(_ slot: Int) {
        guard let index = idle.lastIndex(of: slot) else { return }
        idle.remove(at: index)
        metrics?.adjust(.clientPoolIdle, up: false)
    }

    // MARK: Waiting line

    /// Queues `exchange`; false when the line is full.
    mutating func wait(_ exchange: ClientExchange) -> Bool { waiting.append(exchange) }

    /// The oldest waiting call.
    mutating func nextWaiting() -> ClientExchange? { waiting.popFirst() }

    /// The oldest waiting call's deadline, if any.
    var nextWaitingDeadline: Int64? { waiting.first?.deadline }

    /// Takes the waiting call `id` out of the line.
    mutating func removeWaiting(id: UInt64) -> ClientExchange? { waiting.remove { $0.id == id } }
}
