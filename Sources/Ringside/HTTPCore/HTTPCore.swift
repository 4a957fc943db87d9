import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/1.1 side of a worker, shared by every engine.
///
/// Engines hand it received bytes and send results; it parses requests in
/// place, picks prebuilt responses, queues them per connection in order, and
/// records what the connection needs next (send, stop reading, close) in the
/// slot's state and the dirty list. It performs no I/O and allocates nothing.
struct HTTPCore: ~Copyable {
    var connections: ConnectionTable
    private let routes: RouteTable
    private var responses: PrebuiltResponses
    private let limits: ParserLimits
    private let headers: UnsafeMutableBufferPointer<HeaderField>
    private var head = RequestHead()

    init(configuration: ServerConfiguration, router: Router, now: Int) {
        let limits = configuration.parserLimits
        // A spill buffer holds the largest allowed head plus one more receive.
        let spill = (limits.maxHeaderBytes + configuration.receiveBufferSize + 4095) & ~4095
        connections = ConnectionTable(
            capacity: configuration.maxConnectionsPerWorker,
            responsesPerConnection: configuration.maxQueuedResponses,
            spillSize: spill)
        routes = RouteTable(router)
        responses = PrebuiltResponses(router: router, serverHeaders: configuration.serverHeaders, now: now)
        self.limits = limits
        headers = .allocate(capacity: limits.maxHeaderCount)
    }

    deinit { headers.deallocate() }

    mutating func refreshDate(now: Int) { responses.refreshDate(now: now) }

    /// Shutdown: every connection finishes what is queued, reads nothing more, and closes.
    mutating func closeAllAfterFlush() {
        for slot in 0..<connections.capacity where connections[slot].pointee.state.contains(.open) {
            connections[slot].pointee.state.insert(.closeAfterFlush)
            connections.markDirty(slot)
        }
    }

    /// Bytes arrived on `slot`; every complete request among them is answered.
    mutating func receive(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        let connection = connections[slot]
        guard connection.pointee.state.isDisjoint(with: [.closeAfterFlush, .closing]) else { return }
        var input = bytes

        // The rest of a body whose request was already answered.
        if connection.pointee.discardCount > 0 {
            let count = min(connection.pointee.discardCount, input.count)
            connection.pointee.discardCount -= count
            input = UnsafeRawBufferPointer(rebasing: input[count...])
            if input.isEmpty { return }
        }

        if connection.pointee.spillCount == 0 && !connection.pointee.state.contains(.paused) {
            // The common case: whole requests, parsed where the kernel put them.
            let consumed = process(slot, input)
            keep(slot, UnsafeRawBufferPointer(rebasing: input[consumed...]))
        } else {
            let spill = connections.spill(slot)
            let held = connection.pointee.spillCount
            guard held + input.count <= connections.spillSize else {
                // Only a client that keeps writing while not reading its responses gets here.
                connection.pointee.state.insert(.closing)
                connections.markDirty(slot)
                return
            }
            (spill + held).copyMemory(from: input.baseAddress!, byteCount: input.count)
            connection.pointee.spillCount = held + input.count
            processSpill(slot)
        }
    }

    /// The send in flight on `slot` wrote `count` bytes.
    mutating func sent(_ slot: Int, _ count: Int) {
        let connection = connections[slot]
        let iov = connections.iovecs(slot)
        var remaining = count
        var done = 0
        while done < connection.pointee.sendingCount && remaining >= iov[done].iov_len {
            remaining -= iov[done].iov_len
            done += 1
        }
        if remaining > 0 {
            // A partial send: resume from inside this response.
            iov[done].iov_base += remaining
            iov[done].iov_len -= remaining
        }
        let left = connection.pointee.queuedCount - done
        if done > 0 && left > 0 { iov.update(from: iov + done, count: left) }
        connection.pointee.queuedCount = left
        connection.pointee.sendingCount = 0
        connections.markDirty(slot)

        if connection.pointee.state.contains(.paused) && left < connections.responsesPerConnection {
            connection.pointee.state.remove(.paused)
            processSpill(slot)
        }
    }

    /// Parses the spill buffer and keeps what it could not answer yet.
    private mutating func processSpill(_ slot: Int) {
        let connection = connections[slot]
        let spill = connections.spill(slot)
        let held = connection.pointee.spillCount
        let consumed = process(slot, UnsafeRawBufferPointer(start: spill, count: held))
        let left = held - consumed
        if consumed > 0 && left > 0 { spill.copyMemory(from: spill + consumed, byteCount: left) }
        connection.pointee.spillCount = left
    }

    /// Copies bytes not yet answered into the spill buffer: a request split
    /// across receives, or requests waiting while the connection is paused.
    private mutating func keep(_ slot: Int, _ rest: UnsafeRawBufferPointer) {
        let connection = connections[slot]
        guard !rest.isEmpty, !connection.pointee.state.contains(.closeAfterFlush) else { return }
        connections.spill(slot).copyMemory(from: rest.baseAddress!, byteCount: rest.count)
        connection.pointee.spillCount = rest.count
    }

    /// Answers the complete requests at the start of `input`; returns the bytes used.
    private mutating func process(_ slot: Int, _ input: UnsafeRawBufferPointer) -> Int {
        let connection = connections[slot]
        var offset = 0
        while offset < input.count {
            if connection.pointee.queuedCount == connections.responsesPerConnection {
                // Backpressure: stop answering until a send completes.
                connection.pointee.state.insert(.paused)
                connection.pointee.scanned = 0
                connections.markDirty(slot)
                return offset
            }
            let request = UnsafeRawBufferPointer(rebasing: input[offset...])
            let seen = offset == 0 ? connection.pointee.scanned : 0
            switch RequestParser.parse(request, headers: headers, limits: limits, previousLength: seen, into: &head) {
            case .incomplete:
                connection.pointee.scanned = request.count
                return offset
            case .invalid(let error):
                enqueue(slot, responses.bytes(PrebuiltResponses.ID(error).rawValue, .close, headOnly: false))
                connection.pointee.state.insert(.closeAfterFlush)
                return input.count
            case .complete(let headLength):
                connection.pointee.scanned = 0
                let closes = !head.keepAlive || head.isChunked
                respond(slot, request, closes: closes)
                offset += headLength
                if closes {
                    // Chunked bodies are not decoded yet: answer, then close.
                    connection.pointee.state.insert(.closeAfterFlush)
                    return input.count
                }
                if head.contentLength > 0 {
                    let available = min(head.contentLength, input.count - offset)
                    offset += available
                    connection.pointee.discardCount = head.contentLength - available
                    if connection.pointee.discardCount > 0 { return offset }
                }
            }
        }
        return offset
    }

    /// Queues the prebuilt response for the head just parsed from `request`.
    @inline(__always)
    private mutating func respond(_ slot: Int, _ request: UnsafeRawBufferPointer, closes: Bool) {
        let variant: PrebuiltResponses.Variant = closes ? .close : (head.versionMinor == 0 ? .keepAlive10 : .keepAlive)
        let response: Int
        if head.method == .other {
            response = PrebuiltResponses.ID.notImplemented.rawValue
        } else {
            if let route = routes.match(UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end])) {
                response = head.method == .get || head.method == .head
                    ? PrebuiltResponses.route(route)
                    : PrebuiltResponses.methodNotAllowed(route)
            } else {
                response = PrebuiltResponses.ID.notFound.rawValue
            }
        }
        enqueue(slot, responses.bytes(response, variant, headOnly: head.method == .head))
    }

    @inline(__always)
    private mutating func enqueue(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        let connection = connections[slot]
        let iov = connections.iovecs(slot) + connection.pointee.queuedCount
        iov.pointee = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        connection.pointee.queuedCount += 1
        connections.markDirty(slot)
    }
}
