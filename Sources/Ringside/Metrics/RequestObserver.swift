import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// What the HTTP core keeps for operators: the worker's metrics, its access
/// log and request ids, the turn clock, and per slot the request being
/// answered, changed through the transitions in `RequestObserver+Requests.swift`.
///
/// Timing: the loop reads `CLOCK_MONOTONIC` once per turn, after the wait
/// (`LoopClock`, the reading timeouts and dates use too), and every request
/// of the turn shares that reading. A request's duration
/// runs from the turn that read its head to the turn that queued its
/// answer, so one answered in the turn that read it counts as 0 s (the
/// first bucket), and a handler's or a body's time is measured to the turn.
/// One clock read per turn instead of two per request keeps the cost off
/// the prebuilt path; what it misses is the part of a turn a request spends
/// being parsed and answered, a few microseconds at most, below the first
/// bucket's 100 µs.
struct RequestObserver: ~Copyable {
    // Structs of pointers, not objects: counting an answer touches no
    // reference count (each retain is an atomic add).
    var metrics: WorkerMetrics.Writer?
    var accessLog: AccessLogWriter?
    let requestIDs: RequestIDs?
    /// Owns the memory `metrics` writes to.
    private let metricsOwner: WorkerMetrics?
    /// Anything is on: records are kept.
    let isOn: Bool
    /// Monotonic nanoseconds of this turn (the loop clock's reading).
    private(set) var turnStart: Int64 = 0
    private let records: UnsafeMutablePointer<RequestRecord>
    private let capacity: Int

    init(metrics: WorkerMetrics?, accessLog: AccessLogWriter?, requestIDs: RequestIDs?, slots capacity: Int) {
        metricsOwner = metrics
        self.metrics = metrics?.writer()
        self.accessLog = accessLog
        self.requestIDs = requestIDs
        self.capacity = capacity
        isOn = metrics != nil || accessLog != nil || requestIDs != nil
        // Zero pages are idle records: memory is committed only for slots that serve requests.
        let bytes = max(capacity, 1) * MemoryLayout<RequestRecord>.stride
        let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(memory != MAP_FAILED && memory != nil, "cannot reserve request records")
        records = memory!.bindMemory(to: RequestRecord.self, capacity: max(capacity, 1))
    }

    deinit {
        munmap(records, max(capacity, 1) * MemoryLayout<RequestRecord>.stride)
        if var accessLog { accessLog.close() }
        requestIDs?.deallocate()
    }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutablePointer<RequestRecord> { records + slot }

    /// The loop's turn begins (after its wait); `nanoseconds` is the loop
    /// clock's reading for the turn (no second clock read).
    @inline(__always)
    mutating func beginTurn(_ nanoseconds: Int64) { turnStart = nanoseconds }

    /// The loop's turn ends: the access log's lines of the turn go out.
    @inline(__always)
    mutating func endTurn() { accessLog?.flush() }

    /// The histogram key of an answer: method, route (+1; 0 = unmatched), status, and the
    /// protocol's version (10, 11, 20; 0: no request was read, an HTTP/1.1 connection's).
    @inline(__always)
    static func key(method: UInt8, route: UInt16, status: Int, version: UInt8) -> UInt64 {
        UInt64(method) | UInt64(route) &<< 8 | UInt64(UInt16(truncatingIfNeeded: status)) &<< 24 | UInt64(version) &<< 40
    }
}

/// The request a slot is answering (zero bytes: none).
struct RequestRecord {
    enum State: UInt8 {
        /// No request head is waiting for its answer.
        case idle = 0
        /// The head was read; the answer is being decided in this turn.
        case answering
        /// The answer comes in a later turn (a handler, a body): counted in active requests.
        case deferred
    }

    /// Monotonic nanoseconds of the turn that read the head.
    var start: Int64
    /// Route index + 1; 0: no route matched.
    var route: UInt16
    var method: UInt8
    var state: State
    /// The request id's line in `RequestIDs`, and the id's length (0: none).
    var idEntry: UInt16
    var idLength: UInt8
    /// The protocol it came in: 10 and 11 for HTTP/1.x, 20 for HTTP/2.
    var version: UInt8
}

extension RequestObserver {
    /// The observer of the worker `context` describes.
    init(context: WorkerContext) {
        let configuration = context.configuration
        let slots = configuration.maxConnectionsPerWorker
        let accessLog = context.accessLog >= 0
            ? AccessLogWriter(fd: context.accessLog, format: configuration.accessLog?.format ?? .text, slots: slots)
            : nil
        let requestIDs = configuration.requestIDs
            ? RequestIDs(slots: slots, queueDepth: configuration.maxQueuedResponses * 3, worker: context.index) : nil
        self.init(metrics: context.metrics, accessLog: accessLog, requestIDs: requestIDs, slots: slots)
    }
}
