import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One worker's built-in metrics, in memory that only the worker writes.
///
/// Every value is an `Atomic<UInt64>` that the owning thread bumps with a
/// relaxed load and a relaxed store of the new value (a plain `inc` on
/// x86-64: no lock prefix, no read-modify-write shared with anyone), and
/// that a scrape on another thread reads with relaxed loads and sums over
/// the workers. Nothing here allocates after `init`, takes a lock or is
/// written by two threads; each worker's block is its own 128-byte-aligned
/// allocation, so no cache line is shared between workers.
///
/// The request-duration histogram is a table of series, one per
/// (method, route, status) the worker has answered, each with fixed
/// log-spaced buckets and a sum. The worker finds a series through a
/// private open-addressing index; a new series is published to scrapes by
/// a release store of the series count after its key is written.
final class WorkerMetrics: @unchecked Sendable {
    // @unchecked: the memory is written only through the owning worker's
    // `Writer` (atomics, and keys published by a release store); this class
    // owns it and reads it for scrapes.

    /// The plain counters (and gauges, kept as wrapping sums of +1/-1).
    enum Counter: Int, CaseIterable {
        case connectionsAccepted, connectionsClosed
        case bytesReceived, bytesSent
        /// Requests whose head was read and whose answer is not queued yet (a gauge).
        case activeRequests
        /// Offloaded jobs refused because the pool's queue was full.
        case offloadRejected
        /// Upstream client: connections open in this worker's pools (a gauge), and idle among them (a gauge).
        case clientPoolConnections, clientPoolIdle
        /// Answers that found the series table full (not in the histogram).
        case seriesOverflow
        /// TLS handshakes completed by version, of them the resumed ones, and
        /// those that ended unfinished: an error or alert, the header timeout,
        /// the peer gone.
        case tlsHandshakes12, tlsHandshakes13, tlsResumed
        case tlsHandshakesFailed, tlsHandshakesTimedOut, tlsHandshakesAbandoned
        // One counter per `ClientOutcome`, from here on.
        case clientOutcomes
    }

    static let counterCount = Counter.clientOutcomes.rawValue + ClientOutcome.allCases.count

    /// Upper bounds of the duration buckets, in seconds (then +Inf): log-spaced
    /// 1-2.5-5 steps from 100 µs to 10 s.
    static let bucketBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    fileprivate static let boundNanoseconds: [Int64] = bucketBounds.map { Int64(($0 * 1e9).rounded()) }
    /// Buckets per series, +Inf included (literals, not derived: a derived
    /// static is initialised lazily and checked at every use).
    static let bucketCount = 17
    /// Values per series: the buckets (not cumulative), then the sum in nanoseconds.
    static let seriesStride = 18
    /// Series a worker can hold; answers beyond count in `seriesOverflow`.
    static let seriesCapacity = 512
    fileprivate static let indexSize = 1024  // a power of two, twice the capacity

    let worker: Int
    fileprivate let counters: UnsafeMutablePointer<Atomic<UInt64>>
    fileprivate let values: UnsafeMutablePointer<Atomic<UInt64>>
    /// Series keys in creation order; key `i` is valid once `seriesCount > i`.
    fileprivate let keys: UnsafeMutablePointer<UInt64>
    fileprivate let seriesCount: UnsafeMutablePointer<Atomic<Int>>
    /// The worker's own: series number + 1 by hashed key (0: empty).
    fileprivate let index: UnsafeMutablePointer<Int32>

    init(worker: Int) {
        precondition(WorkerMetrics.bucketCount == WorkerMetrics.bucketBounds.count + 1)
        self.worker = worker
        counters = WorkerMetrics.allocateAtomics(WorkerMetrics.counterCount)
        values = WorkerMetrics.allocateAtomics(WorkerMetrics.seriesCapacity * WorkerMetrics.seriesStride)
        keys = .allocate(capacity: WorkerMetrics.seriesCapacity)
        keys.initialize(repeating: 0, count: WorkerMetrics.seriesCapacity)
        seriesCount = .allocate(capacity: 1)
        seriesCount.initialize(to: Atomic(0))
        index = .allocate(capacity: WorkerMetrics.indexSize)
        index.initialize(repeating: 0, count: WorkerMetrics.indexSize)
    }

    deinit {
        counters.deinitialize(count: WorkerMetrics.counterCount)
        counters.deallocate()
        values.deinitialize(count: WorkerMetrics.seriesCapacity * WorkerMetrics.seriesStride)
        values.deallocate()
        keys.deallocate()
        seriesCount.deinitialize(count: 1)
        seriesCount.deallocate()
        index.deallocate()
    }

    /// Atomics on their own cache lines (128 bytes: adjacent-line prefetch included).
    private static func allocateAtomics(_ count: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        let bytes = (count * MemoryLayout<Atomic<UInt64>>.stride + 127) & ~127
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 128)
        let atomics = raw.bindMemory(to: Atomic<UInt64>.self, capacity: count)
        for offset in 0..<count { (atomics + offset).initialize(to: Atomic(0)) }
        return atomics
    }

    /// The worker's handle for counting; one per worker, kept while this object lives.
    func writer() -> Writer { Writer(self) }

    // MARK: Reading (any thread)

    /// The current value of `counter`.
    func value(_ counter: Counter) -> UInt64 { counters[counter.rawValue].load(ordering: .relaxed) }

    /// Requests that ended as `outcome`.
    func value(_ outcome: ClientOutcome) -> UInt64 {
        counters[Counter.clientOutcomes.rawValue + outcome.rawValue].load(ordering: .relaxed)
    }

    /// Adds every series' buckets and sum into `totals`, by key.
    func addSeries(into totals: inout [UInt64: [UInt64]]) {
        let count = seriesCount.pointee.load(ordering: .acquiring)
        for series in 0..<count {
            let base = values + series * WorkerMetrics.seriesStride
            var sums = totals[keys[series]] ?? Array(repeating: 0, count: WorkerMetrics.seriesStride)
            for offset in 0..<WorkerMetrics.seriesStride { sums[offset] &+= base[offset].load(ordering: .relaxed) }
            totals[keys[series]] = sums
        }
    }

    /// The owning worker's side: plain pointers into the object's memory, so
    /// counting touches no reference count.
    struct Writer {
        private let counters: UnsafeMutablePointer<Atomic<UInt64>>
        private let values: UnsafeMutablePointer<Atomic<UInt64>>
        private let keys: UnsafeMutablePointer<UInt64>
        private let seriesCount: UnsafeMutablePointer<Atomic<Int>>
        private let index: UnsafeMutablePointer<Int32>
        /// How many series exist (the worker's copy of `seriesCount`).
        private var count = 0
        /// The last series used and its key: a run of one route's answers skips the lookup.
        private var lastKey: UInt64 = 0
        private var lastSeries = 0

        fileprivate init(_ metrics: WorkerMetrics) {
            counters = metrics.counters
            values = metrics.values
            keys = metrics.keys
            seriesCount = metrics.seriesCount
            index = metrics.index
        }

        /// Adds `amount` to `counter`.
        @inline(__always)
        func add(_ counter: Counter, _ amount: UInt64 = 1) {
            WorkerMetrics.bump(counters + counter.rawValue, amount)
        }

        /// Adds one to the gauge or subtracts one from it.
        @inline(__always)
        func adjust(_ counter: Counter, up: Bool) {
            WorkerMetrics.bump(counters + counter.rawValue, up ? 1 : UInt64.max)
        }

        /// Counts one upstream client request that ended as `outcome`.
        @inline(__always)
        func add(_ outcome: ClientOutcome) {
            WorkerMetrics.bump(counters + Counter.clientOutcomes.rawValue + outcome.rawValue, 1)
        }

        /// One answer of series `key` (never 0) that took `nanoseconds`.
        @inline(__always)
        mutating func observe(_ key: UInt64, nanoseconds: Int64) {
            let series: Int
            if key == lastKey {
                series = lastSeries
            } else {
                guard let found = self.series(key) else {
                    add(.seriesOverflow)
                    return
                }
                series = found
                lastKey = key
                lastSeries = found
            }
            let base = values + series &* WorkerMetrics.seriesStride
            WorkerMetrics.bump(base + WorkerMetrics.bucket(nanoseconds), 1)
            if nanoseconds > 0 { WorkerMetrics.bump(base + WorkerMetrics.bucketCount, UInt64(nanoseconds)) }
        }

        /// The series of `key`, created on first use; nil when the table is full.
        @inline(never)
        private mutating func series(_ key: UInt64) -> Int? {
            var position = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 54)
            while true {
                let entry = Int(index[position])
                if entry == 0 { return create(key, at: position) }
                if keys[entry - 1] == key { return entry - 1 }
                position = (position + 1) & (WorkerMetrics.indexSize - 1)
            }
        }

        private mutating func create(_ key: UInt64, at position: Int) -> Int? {
            guard count < WorkerMetrics.seriesCapacity else { return nil }
            let series = count
            keys[series] = key
            index[position] = Int32(series + 1)
            count += 1
            seriesCount.pointee.store(count, ordering: .releasing)  // publishes the key
            return series
        }
    }

    /// The single writer's increment: a relaxed load and a relaxed store.
    @inline(__always)
    fileprivate static func bump(_ atomic: UnsafeMutablePointer<Atomic<UInt64>>, _ amount: UInt64) {
        atomic.pointee.store(atomic.pointee.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// The bucket of a duration: the first whose bound is not below it.
    @inline(__always)
    static func bucket(_ nanoseconds: Int64) -> Int {
        // Answers within the turn that read them (0 ns) are the common case.
        if nanoseconds <= 100_000 { return 0 }
        return boundNanoseconds.firstIndex { nanoseconds <= $0 } ?? bucketBounds.count
    }
}

/// How an upstream (client) request ended, for `ringside_http_client_requests_total`.
///
/// ``HTTPClient/execute(_:)`` records one per call (a retried request is one
/// call) with `WorkerMetrics.Writer.add(_:)` on the worker that made it
/// (`WorkerRuntime.metrics`); each `ClientPool` keeps `clientPoolConnections`
/// and `clientPoolIdle` with `adjust(_:up:)` as connections join, leave,
/// idle and get taken.
enum ClientOutcome: Int, CaseIterable {
    /// A complete response arrived (whatever its status).
    case response
    /// The connection could not be opened (refused, unreachable, no usable address).
    case connectFailed
    /// A connect, head or body timeout fired.
    case timedOut
    /// The upstream reset or closed the connection before the response ended.
    case connectionLost
    /// The response broke HTTP's rules or a limit (head, body size).
    case invalidResponse
    /// No connection and no place in the pool's waiting line (or no outbound
    /// slot left on the worker): the request was never sent.
    case rejected
    /// The handler's client left and the request was cancelled.
    case cancelled
    /// HTTPS: the upstream's certificate was not trusted or did not name it, or the handshake failed.
    case tlsFailed

    /// How a call that returned `result` ended.
    init(_ result: Result<HTTPClient.Response, HTTPClientError>) {
        switch result {
        case .success: self = .response
        case .failure(.connectFailed), .failure(.invalidUpstream): self = .connectFailed
        case .failure(.timedOut): self = .timedOut
        case .failure(.closedEarly): self = .connectionLost
        case .failure(.malformedResponse), .failure(.tooLarge): self = .invalidResponse
        case .failure(.poolExhausted), .failure(.notOnWorker), .failure(.invalidRequest): self = .rejected
        case .failure(.cancelled): self = .cancelled
        case .failure(.certificateNotTrusted), .failure(.certificateNameMismatch), .failure(.tlsHandshakeFailed):
            self = .tlsFailed
        }
    }

    /// The `outcome` label value.
    var label: String {
        switch self {
        case .response: "response"
        case .connectFailed: "connect_failed"
        case .timedOut: "timeout"
        case .connectionLost: "connection_lost"
        case .invalidResponse: "invalid_response"
        case .tlsFailed: "tls_failed"
        case .rejected: "rejected"
        case .cancelled: "cancelled"
        }
    }
}
