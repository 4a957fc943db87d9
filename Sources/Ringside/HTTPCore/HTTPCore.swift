import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/1.1 side of a worker, shared by every engine.
///
/// Engines hand it received bytes and send results; it parses requests in
/// place, consumes their bodies, picks prebuilt responses, queues them per
/// connection in order, and records what the connection needs next (send,
/// stop reading, close) in the slot's state and the dirty list. Timeouts run
/// on a wheel checked once a second. It performs no I/O and allocates nothing.
struct HTTPCore: ~Copyable {
    /// Bytes of requests a client may send beyond those waiting for responses.
    static let pipelinedAhead = 128 << 10

    var connections: ConnectionTable
    private let routes: RouteTable
    private var responses: PrebuiltResponses
    private let limits: ParserLimits
    private let maxBodyBytes: Int
    private let timeouts: ServerConfiguration.Timeouts
    private let headers: UnsafeMutableBufferPointer<HeaderField>
    private var head = RequestHead()
    /// Monotonic seconds as of the last tick: the clock of every timeout.
    private(set) var now: Int

    init(configuration: ServerConfiguration, router: Router) {
        let limits = configuration.parserLimits
        now = MonotonicClock.seconds
        // A spill buffer holds the largest allowed head, one more receive, and
        // what a pipelining client may send ahead while its responses back up
        // (io_uring receives a burst before its cancel lands).
        let spill = (limits.maxHeaderBytes + configuration.receiveBufferSize + HTTPCore.pipelinedAhead + 4095) & ~4095
        connections = ConnectionTable(
            capacity: configuration.maxConnectionsPerWorker,
            responsesPerConnection: configuration.maxQueuedResponses,
            spillSize: spill, now: now)
        routes = RouteTable(router)
        responses = PrebuiltResponses(router: router, serverHeaders: configuration.serverHeaders, now: WallClock.seconds)
        self.limits = limits
        maxBodyBytes = configuration.maxBodyBytes
        timeouts = configuration.timeouts
        headers = .allocate(capacity: limits.maxHeaderCount)
    }

    deinit { headers.deallocate() }

    /// Once a second: the date in every response, and connections past their deadline.
    mutating func tick() {
        responses.refreshDate(now: WallClock.seconds)
        now = MonotonicClock.seconds
        while let slot = connections.popExpired(now: now) {
            expire(slot)
        }
    }

    /// Shutdown: every connection finishes what is queued, reads nothing more, and closes.
    mutating func closeAllAfterFlush() {
        for slot in 0..<connections.capacity where connections[slot].pointee.state.contains(.open) {
            connections[slot].pointee.state.insert(.closeAfterFlush)
            connections.markDirty(slot)
        }
    }

    // MARK: Input

    /// Bytes arrived on `slot`; every complete request among them is answered.
    mutating func receive(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        let connection = connections[slot]
        guard connection.pointee.state.isDisjoint(with: [.closeAfterFlush, .closing]) else { return }
        if connection.pointee.spillCount == 0 && !connection.pointee.state.contains(.paused) {
            // The common case: whole requests, parsed where the kernel put them.
            let consumed = process(slot, bytes)
            keep(slot, UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
        } else {
            let spill = connections.spill(slot)
            let held = connection.pointee.spillCount
            guard held + bytes.count <= connections.spillSize else {
                // Only a client that keeps writing while not reading its responses gets here.
                connection.pointee.state.insert(.closing)
                connections.markDirty(slot)
                return
            }
            (spill + held).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            connection.pointee.spillCount = held + bytes.count
            processSpill(slot)
        }
    }

    /// Parses the spill buffer and keeps what it could not answer yet.
    private mutating func processSpill(_ slot: Int) {
        let connection = connections[slot]
        let spill = connections.spill(slot)
        let held = connection.pointee.spillCount
        let consumed = process(slot, UnsafeRawBufferPointer(start: spill, count: held))
        let left = connection.pointee.state.contains(.closeAfterFlush) ? 0 : held - consumed
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
        connections.markDirty(slot)  // its timer becomes the header timeout
    }

    /// Answers the complete requests at the start of `input`, consuming their
    /// bodies; returns the bytes used.
    private mutating func process(_ slot: Int, _ input: UnsafeRawBufferPointer) -> Int {
        let connection = connections[slot]
        var offset = 0
        while offset < input.count {
            if case .none = connection.pointee.body {} else {
                offset = consumeBody(slot, input, from: offset)
                if case .none = connection.pointee.body {} else { return offset }  // needs more bytes
                if connection.pointee.state.contains(.closeAfterFlush) { return input.count }
                continue
            }
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
                fail(slot, PrebuiltResponses.ID(error))
                return input.count
            case .complete(let headLength):
                connection.pointee.scanned = 0
                offset += headLength
                if !answer(slot, request) { return input.count }
            }
        }
        return offset
    }

    /// Decides the response to the head just parsed from `request` and starts
    /// reading its body, if any. Returns false when the connection is done reading.
    private mutating func answer(_ slot: Int, _ request: UnsafeRawBufferPointer) -> Bool {
        let connection = connections[slot]
        let hasBody = head.contentLength > 0 || head.isChunked
        if head.unmetExpectation {
            fail(slot, .expectationFailed)
            return false
        }
        if head.contentLength > maxBodyBytes {
            fail(slot, .contentTooLarge)  // refused before a byte of it is read
            return false
        }
        // Closing anyway, or the client waits for 100 Continue that no route
        // here gives: answer now, read no body, close.
        let closes = !head.keepAlive || (hasBody && head.expectContinue)
        let variant: PrebuiltResponses.Variant = closes ? .close : (head.versionMinor == 0 ? .keepAlive10 : .keepAlive)
        let bytes = responses.bytes(route(request), variant, headOnly: head.method == .head)
        if closes {
            enqueue(slot, bytes)
            connection.pointee.state.insert(.closeAfterFlush)
            return false
        }
        if hasBody {
            // Routes answer from the head; the body is read past and dropped,
            // and the answer waits for its end so a bad body still gets one answer.
            connection.pointee.body = head.isChunked
                ? .chunked(ChunkedDecoder(maxTrailerBytes: limits.maxHeaderBytes))
                : .length(remaining: head.contentLength)
            connection.pointee.deferredResponse = bytes
        } else {
            enqueue(slot, bytes)
        }
        return true
    }

    /// The prebuilt response for the head just parsed.
    @inline(__always)
    private func route(_ request: UnsafeRawBufferPointer) -> Int {
        switch head.method {
        case .other:
            return PrebuiltResponses.ID.notImplemented.rawValue
        case .options where head.target.count == 1 && request[head.target.start] == UInt8(ascii: "*"):
            return PrebuiltResponses.ID.options.rawValue
        default:
            guard let route = routes.match(UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end]))
            else { return PrebuiltResponses.ID.notFound.rawValue }
            return head.method == .get || head.method == .head
                ? PrebuiltResponses.route(route)
                : PrebuiltResponses.methodNotAllowed(route)
        }
    }

    /// Reads past body bytes from `offset`; returns the new offset.
    private mutating func consumeBody(_ slot: Int, _ input: UnsafeRawBufferPointer, from start: Int) -> Int {
        let connection = connections[slot]
        var offset = start
        switch connection.pointee.body {
        case .none:
            return offset
        case .length(let remaining):
            let count = min(remaining, input.count - offset)
            offset += count
            connection.pointee.progressed = true
            connection.pointee.body = remaining == count ? .none : .length(remaining: remaining - count)
        case .chunked(var decoder):
            connection.pointee.progressed = true
            decoding: while true {
                switch decoder.step(UnsafeRawBufferPointer(rebasing: input[offset...])) {
                case .data(_, _, let consumed):
                    offset += consumed
                    if decoder.bodyBytes > maxBodyBytes {
                        fail(slot, .contentTooLarge)
                        return input.count
                    }
                case .needMore(let consumed):
                    offset += consumed
                    connection.pointee.body = .chunked(decoder)
                    return offset
                case .end(let consumed):
                    offset += consumed
                    connection.pointee.body = .none
                    break decoding
                case .invalid:
                    fail(slot, .badRequest)
                    return input.count
                }
            }
        }
        if case .none = connection.pointee.body, let response = connection.pointee.deferredResponse {
            connection.pointee.deferredResponse = nil
            enqueue(slot, response)
        }
        return offset
    }

    /// Answers with one of the server's own responses and closes after it.
    private mutating func fail(_ slot: Int, _ response: PrebuiltResponses.ID) {
        let connection = connections[slot]
        connection.pointee.body = .none
        connection.pointee.deferredResponse = nil
        enqueue(slot, responses.bytes(response.rawValue, .close, headOnly: false))
        connection.pointee.state.insert(.closeAfterFlush)
    }

    @inline(__always)
    private mutating func enqueue(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        let connection = connections[slot]
        let iov = connections.iovecs(slot) + connection.pointee.queuedCount
        iov.pointee = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        connection.pointee.queuedCount += 1
        connections.markDirty(slot)
    }

    // MARK: Output

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
        if count > 0 { connection.pointee.progressed = true }
        connections.markDirty(slot)

        if connection.pointee.state.contains(.paused) && left < connections.responsesPerConnection {
            connection.pointee.state.remove(.paused)
            processSpill(slot)
        }
    }

    // MARK: Timeouts

    /// Points the slot's timer at the timeout its state calls for. Engines call
    /// it for every open slot they flush; a state change restarts the clock,
    /// and so does progress while sending or reading a body, but not more bytes
    /// of an unfinished head (a slow-drip client).
    mutating func updateTimer(_ slot: Int) {
        let connection = connections[slot]
        let state = connection.pointee.state
        let timer: Connection.Timer
        if !state.contains(.open) || state.contains(.closing) {
            timer = .none
        } else if connection.pointee.queuedCount > 0 || state.contains(.sending) {
            timer = .send
        } else if case .none = connection.pointee.body {
            if connection.pointee.spillCount > 0 {
                timer = .header
            } else {
                timer = state.contains(.closeAfterFlush) ? .none : .idle
            }
        } else {
            timer = .body
        }

        if timer != connection.pointee.timer || connection.pointee.progressed {
            connection.pointee.timer = timer
            connection.pointee.timerStart = now
            connection.pointee.progressed = false
        }
        let seconds: Int
        switch timer {
        case .none:
            connections.unschedule(slot)
            return
        case .idle: seconds = timeouts.idle
        case .header: seconds = timeouts.header
        case .body: seconds = timeouts.body
        case .send: seconds = timeouts.send
        }
        // `now` is whole seconds: +1 so a timeout never fires early.
        connections.schedule(slot, at: connection.pointee.timerStart + seconds + 1)
    }

    private mutating func expire(_ slot: Int) {
        let connection = connections[slot]
        switch connection.pointee.timer {
        case .header, .body:
            // Nothing was answered for this request yet: say why the connection ends.
            connection.pointee.spillCount = 0
            fail(slot, .requestTimeout)
        case .idle, .send, .none:
            connection.pointee.state.insert(.closing)
        }
        connection.pointee.timer = .none
        connections.markDirty(slot)
    }
}
