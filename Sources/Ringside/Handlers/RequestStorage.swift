import HTTP1
import Synchronization

/// A request's own copy of its bytes, for handlers that outlive the receive:
/// async handlers (which may suspend while the connection's memory moves on)
/// and offloaded ones (which run on another thread).
///
/// One allocation holds the head, the header spans, the parameter spans and
/// the body; the copy is immutable once made.
final class RequestStorage: Sendable {
    // The copy is written once in `init` and only read afterwards, from any thread.
    nonisolated(unsafe) private let memory: UnsafeMutableRawPointer
    let parts: RequestParts
    /// Taken at copy time (from the connection's cache): the socket may be
    /// closed and reused by the time a handler asks.
    let remoteAddress: SocketAddress?
    /// Its connection closed: an offloaded handler still queued for it is skipped.
    private let abandoned = Atomic<Bool>(false)
    /// What middleware handed to the handler (`RequestContext`). Middleware, the handler and an
    /// offloaded handler after them take turns, never at once; the lock makes that safe to rely
    /// on, and an empty dictionary allocates nothing.
    private let context = Mutex<[ObjectIdentifier: any Sendable]>([:])

    init(copying source: RequestParts, headLength: Int, remoteAddress: SocketAddress?) {
        let fieldsBytes = source.fields.count * MemoryLayout<HeaderField>.stride
        let parametersBytes = source.parameters.count * MemoryLayout<ByteSpan>.stride
        let alignment = MemoryLayout<HeaderField>.alignment
        let headEnd = (headLength + alignment - 1) & ~(alignment - 1)
        let id = source.requestIDBytes
        let idBytes = id.map { $0.count + 1 } ?? 0
        let total = headEnd + fieldsBytes + parametersBytes + source.body.count + idBytes
        memory = .allocate(byteCount: max(total, 1), alignment: alignment)  // not 16: that takes posix_memalign

        memory.copyMemory(from: source.base, byteCount: headLength)
        let fields = UnsafeMutableBufferPointer(
            start: (memory + headEnd).bindMemory(to: HeaderField.self, capacity: source.fields.count),
            count: source.fields.count)
        _ = fields.initialize(from: source.fields)
        let parameters = UnsafeMutableBufferPointer(
            start: (memory + headEnd + fieldsBytes).bindMemory(to: ByteSpan.self, capacity: source.parameters.count),
            count: source.parameters.count)
        _ = parameters.initialize(from: source.parameters)
        let body = memory + headEnd + fieldsBytes + parametersBytes
        if !source.body.isEmpty { body.copyMemory(from: source.body.baseAddress!, byteCount: source.body.count) }

        var parts = source
        parts.base = UnsafeRawPointer(memory)
        parts.fields = UnsafeBufferPointer(fields)
        parts.parameters = UnsafeBufferPointer(parameters)
        parts.body = UnsafeRawBufferPointer(start: body, count: source.body.count)
        parts.socket = -1
        if let id, !id.isEmpty {
            // The worker reuses its id lines: the handler gets its own copy, CR included.
            let copy = body + source.body.count
            copy.copyMemory(from: id.baseAddress!, byteCount: id.count)
            copy.storeBytes(of: 0x0D, toByteOffset: id.count, as: UInt8.self)
            parts.requestID = UnsafeRawPointer(copy)
        }
        self.parts = parts
        self.remoteAddress = remoteAddress
    }

    deinit { memory.deallocate() }

    /// Whether the request's connection closed before its offloaded handler ran.
    var isAbandoned: Bool { abandoned.load(ordering: .acquiring) }

    /// The connection closed (worker thread; read by an offload thread).
    func abandon() { abandoned.store(true, ordering: .releasing) }

    func contextValue(_ key: ObjectIdentifier) -> (any Sendable)? {
        context.withLock { $0[key] }
    }

    func setContextValue(_ value: (any Sendable)?, _ key: ObjectIdentifier) {
        context.withLock { $0[key] = value }
    }

    /// A request backed by this copy.
    var request: Request { Request(parts: parts, storage: self) }
}
