import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/1.1 side of a worker, shared by every engine.
///
/// Engines hand it received bytes and send results; it parses requests in
/// place, routes them, answers prebuilt routes from laid-out bytes, runs
/// handlers (see `HTTPCore+Handlers.swift`), queues responses per connection
/// in order, and records what the connection needs next (send, stop reading,
/// close) in the slot's state and the dirty list. Timeouts run on a wheel
/// checked once a second. It performs no I/O; on the prebuilt path it
/// allocates nothing.
struct HTTPCore: ~Copyable {
    /// Bytes of requests a client may send beyond those waiting for responses.
    static let pipelinedAhead = 128 << 10

    var connections: ConnectionTable
    let routes: RouteTable
    var responses: PrebuiltResponses
    let runtime: WorkerRuntime
    /// Per route: its action, parameter names, and prebuilt response index (-1: a handler).
    let actions: [Router.Action]
    let parameterNames: [[String]]
    private let routeResponses: UnsafeMutableBufferPointer<Int32>
    /// Prebuilt index by `StaticResponse.id` (-1: not prebuilt here).
    private let prebuiltByID: UnsafeMutableBufferPointer<Int32>
    /// Prebuilt 405s: one per distinct method set of the route trie's tables,
    /// from `methodNotAllowedBase` on, in `methodNotAllowedMasks` order.
    private let methodNotAllowedBase: Int
    private let methodNotAllowedMasks: [UInt16]
    private let limits: ParserLimits
    let maxBodyBytes: Int
    private let timeouts: ServerConfiguration.Timeouts
    private let headers: UnsafeMutableBufferPointer<HeaderField>
    let parameters: UnsafeMutablePointer<ByteSpan>
    /// The configuration's server fields as bytes (`engine: Ringside\r\n`), for encoded responses.
    let serverFields: UnsafeMutableRawBufferPointer
    /// Bytes sent as-is: `connection` lines, 100 Continue, the last chunk.
    let fixedBytes: FixedBytes
    private var head = RequestHead()
    /// Monotonic seconds as of the last tick: the clock of every timeout.
    private(set) var now: Int

    init(configuration: ServerConfiguration, router: Router, runtime: WorkerRuntime) {
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
        routes = RouteTable(router.routes)
        self.runtime = runtime
        actions = router.routes.map(\.action)
        parameterNames = router.routes.map(\.pattern.parameterNames)

        // Prebuilt, in order: the server's own answers, a 405 per method
        // table, then every response the router knows (routes, `prebuild`).
        let allMethods = RouteTable.allowValue(union: router.routes.map(\.method))
        var prebuilt = PrebuiltResponses.ID.allCases.map { $0.response(allow: allMethods) }
        methodNotAllowedBase = prebuilt.count
        var masks: [UInt16] = []
        for mask in routes.tableMasks where !masks.contains(mask) { masks.append(mask) }
        methodNotAllowedMasks = masks
        prebuilt += masks.map { StaticResponse.jsonError(.methodNotAllowed, headerFields: [.allow: RouteTable.allowValue(mask: $0)]) }
        let known = router.prebuilt + [ServerResponses.serviceUnavailable, ServerResponses.internalServerError]
        let maxID = known.map(\.id).max() ?? 0
        prebuiltByID = .allocate(capacity: maxID + 1)
        prebuiltByID.initialize(repeating: -1)
        for response in known where prebuiltByID[response.id] < 0 {
            prebuiltByID[response.id] = Int32(prebuilt.count)
            prebuilt.append(response)
        }
        routeResponses = .allocate(capacity: max(router.routes.count, 1))
        routeResponses.initialize(repeating: -1)
        for (index, route) in router.routes.enumerated() {
            if case .prebuilt(let response) = route.action { routeResponses[index] = prebuiltByID[response.id] }
        }
        responses = PrebuiltResponses(prebuilt, serverHeaders: configuration.serverHeaders, now: WallClock.seconds)

        self.limits = limits
        maxBodyBytes = configuration.maxBodyBytes
        timeouts = configuration.timeouts
        headers = .allocate(capacity: limits.maxHeaderCount)
        parameters = .allocate(capacity: RouteTable.maxParameters)
        let fields = configuration.serverHeaders.map { "\($0.name): \($0.value)\r\n" }.joined()
        serverFields = .allocate(byteCount: max(fields.utf8.count, 1), alignment: 8)
        serverFields.copyBytes(from: fields.utf8)
        fixedBytes = FixedBytes()
    }

    deinit {
        headers.deallocate()
        parameters.deallocate()
        routeResponses.deallocate()
        prebuiltByID.deallocate()
        serverFields.deallocate()
    }

    /// The prebuilt index of `response`, or nil when this worker did not lay it out.
    @inline(__always)
    func prebuiltIndex(of response: StaticResponse) -> Int? {
        let id = response.id
        guard id < prebuiltByID.count else { return nil }
        let index = prebuiltByID[id]
        return index >= 0 ? Int(index) : nil
    }

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
        if connection.pointee.spillCount == 0 && connection.pointee.state.isDisjoint(with: [.paused, .waiting]) {
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
    mutating func processSpill(_ slot: Int) {
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
            // A handler is producing the previous response: later requests wait.
            if connection.pointee.state.contains(.waiting) { return offset }
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
                guard let bodyUsed = answer(slot, request, headLength: headLength) else { return input.count }
                offset += headLength + bodyUsed
            }
        }
        return offset
    }

    /// Routes the head just parsed from `request` and answers it, or starts
    /// reading its body. Returns the body bytes it used beyond the head, or
    /// nil when the connection is done reading.
    private mutating func answer(_ slot: Int, _ request: UnsafeRawBufferPointer, headLength: Int) -> Int? {
        let connection = connections[slot]
        let hasBody = head.contentLength > 0 || head.isChunked
        if head.unmetExpectation {
            fail(slot, .expectationFailed)
            return nil
        }
        if head.contentLength > maxBodyBytes {
            fail(slot, .contentTooLarge)  // refused before a byte of it is read
            return nil
        }
        let variant: PrebuiltResponses.Variant =
            !head.keepAlive ? .close : (head.versionMinor == 0 ? .keepAlive10 : .keepAlive)
        let response: Int
        switch route(request) {
        case .prebuilt(let index):
            response = index
        case .handler(let route, let parameterCount):
            return answer(slot, request, headLength: headLength, route: route,
                          parameterCount: parameterCount, variant: variant)
        case .methodNotAllowed(let allowed):
            // Methods of several patterns together (rare): encoded now; the body is not read.
            connection.pointee.responseVariant = .close
            connection.pointee.responseHeadOnly = head.method == .head
            let allow = RouteTable.allowValue(mask: allowed)
            respond(slot, HTTPError(.methodNotAllowed, message: "Method Not Allowed", headerFields: [.allow: allow]).response)
            return nil
        }

        // Closing anyway, or the client waits for 100 Continue that a
        // prebuilt route does not give: answer now, read no body, close.
        // issue 9: a body sent with `Connection: close` is still read and judged first.
        let closes = hasBody ? head.expectContinue : variant == .close
        let bytes = responses.bytes(response, closes ? .close : variant, headOnly: head.method == .head)
        if closes {
            enqueue(slot, bytes)
            connection.pointee.state.insert(.closeAfterFlush)
            return nil
        }
        if hasBody {
            // Prebuilt routes answer from the head; the body is read past and dropped,
            // and the answer waits for its end so a bad body still gets one answer.
            startBody(slot)
            connection.pointee.deferredResponse = bytes
            connection.pointee.responseVariant = variant  // issue 9: close after the deferred answer
        } else {
            enqueue(slot, bytes)
        }
        return 0
    }

    /// Starts reading the body of the head just parsed.
    mutating func startBody(_ slot: Int) {
        connections[slot].pointee.body = head.isChunked
            ? .chunked(ChunkedDecoder(maxTrailerBytes: limits.maxHeaderBytes))
            : .length(remaining: head.contentLength)
    }

    /// The head just parsed, as a handler's request over `request`'s bytes
    /// (body not included).
    func parts(_ slot: Int, _ request: UnsafeRawBufferPointer, route: Int, parameterCount: Int) -> RequestParts {
        // Parameter spans come relative to the path; make them relative to the request.
        for index in 0..<parameterCount { parameters[index].offset += head.path.offset }
        let hasQueryMark = head.path.end < head.target.end && request[head.path.end] == UInt8(ascii: "?")
        return RequestParts(
            method: HTTPCore.method(head), base: request.baseAddress!, head: head, hasQueryMark: hasQueryMark,
            fields: UnsafeBufferPointer(start: headers.baseAddress, count: head.headerCount),
            parameters: UnsafeBufferPointer(start: parameters, count: parameterCount),
            parameterNames: parameterNames[route],
            body: UnsafeRawBufferPointer(start: nil, count: 0), socket: connections[slot].pointee.fd)
    }

    enum Decision {
        /// Send prebuilt response `index`.
        case prebuilt(Int)
        /// Run route `route`'s handler; `parameterCount` values were captured.
        case handler(route: Int, parameterCount: Int)
        /// 405 for a method set no prebuilt answer has.
        case methodNotAllowed(UInt16)
    }

    /// What answers the head just parsed.
    @inline(__always)
    private func route(_ request: UnsafeRawBufferPointer) -> Decision {
        switch head.method {
        case .other:
            return .prebuilt(PrebuiltResponses.ID.notImplemented.rawValue)
        case .options where head.target.count == 1 && request[head.target.start] == UInt8(ascii: "*"):
            return .prebuilt(PrebuiltResponses.ID.options.rawValue)
        default:
            let path = UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end])
            switch routes.match(head.method, path, parameters: parameters) {
            case .route(let index, let parameterCount):
                let response = routeResponses[index]
                return response >= 0 ? .prebuilt(Int(response)) : .handler(route: index, parameterCount: parameterCount)
            case .methodNotAllowed(let allowed):
                guard let index = methodNotAllowedMasks.firstIndex(of: allowed) else { return .methodNotAllowed(allowed) }
                return .prebuilt(methodNotAllowedBase + index)
            case .notFound:
                return .prebuilt(PrebuiltResponses.ID.notFound.rawValue)
            }
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
            connection.pointee.pending?.body.append(contentsOf: input[offset..<offset + count])
            offset += count
            connection.pointee.progressed = true
            connection.pointee.body = remaining == count ? .none : .length(remaining: remaining - count)
        case .chunked(var decoder):
            connection.pointee.progressed = true
            decoding: while true {
                switch decoder.step(UnsafeRawBufferPointer(rebasing: input[offset...])) {
                case .data(let start, let count, let consumed):
                    connection.pointee.pending?.body.append(contentsOf: input[(offset + start)..<(offset + start + count)])
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
        if case .none = connection.pointee.body {
            if let response = connection.pointee.deferredResponse {
                connection.pointee.deferredResponse = nil
                enqueue(slot, response)
                // issue 9: a `Connection: close` request whose body was read.
                if connection.pointee.responseVariant == .close { connection.pointee.state.insert(.closeAfterFlush) }
            } else if let pending = connection.pointee.pending {
                connection.pointee.pending = nil
                run(slot, pending)
            }
        }
        return offset
    }

    /// Answers with one of the server's own responses and closes after it.
    mutating func fail(_ slot: Int, _ response: PrebuiltResponses.ID) {
        let connection = connections[slot]
        connection.pointee.body = .none
        connection.pointee.deferredResponse = nil
        connection.pointee.pending = nil
        enqueue(slot, responses.bytes(response.rawValue, .close, headOnly: false))
        connection.pointee.state.insert(.closeAfterFlush)
    }

    /// Queues `bytes` for sending; `owner` (retained until sent) keeps them alive.
    @inline(__always)
    mutating func enqueue(_ slot: Int, _ bytes: UnsafeRawBufferPointer, owner: OutputBuffer? = nil) {
        let connection = connections[slot]
        let index = connection.pointee.queuedCount
        precondition(index < connections.responsesPerConnection, "response queue overflow")
        connections.iovecs(slot)[index] = iovec(
            iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        if let owner { connections.owners(slot)[index] = Unmanaged.passRetained(owner).toOpaque() }
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
        let owners = connections.owners(slot)
        for index in 0..<done where owners[index] != nil {
            Unmanaged<AnyObject>.fromOpaque(owners[index]!).release()
            owners[index] = nil
        }
        if done > 0 && left > 0 {
            iov.update(from: iov + done, count: left)
            owners.update(from: owners + done, count: left)
            (owners + left).update(repeating: nil, count: done)
        }
        connection.pointee.queuedCount = left
        connection.pointee.sendingCount = 0
        if count > 0 { connection.pointee.progressed = true }
        connections.markDirty(slot)

        if let stream = connection.pointee.stream {
            pump(slot, stream)
        } else if connection.pointee.state.contains(.paused) && left < connections.responsesPerConnection {
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
        } else if state.contains(.waiting) {
            // A stream's progress is guarded by the send timeout once it has queued output.
            timer = connection.pointee.stream == nil ? .handler : .none
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
        case .handler: seconds = timeouts.handler
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
        case .handler:
            // The handler's late answer, if any, is dropped: the connection no longer waits.
            connection.pointee.state.remove(.waiting)
            connection.pointee.task?.cancel()
            connection.pointee.task = nil
            connection.pointee.spillCount = 0
            fail(slot, .handlerTimedOut)
            runtime.logger.warning("handler timed out", metadata: ["seconds": "\(timeouts.handler)"])
        case .idle, .send, .none:
            connection.pointee.state.insert(.closing)
        }
        connection.pointee.timer = .none
        connections.markDirty(slot)
    }
}
