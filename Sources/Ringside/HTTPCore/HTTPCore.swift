import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/1.1 side of a worker, the same for every backend.
///
/// The loop hands it what the kernel said (bytes, EOF, a failure, a finished
/// send); it parses requests in place, routes them, answers prebuilt routes
/// from laid-out bytes (``ResponseCatalog``), runs handlers
/// (`HTTPCore+Handlers.swift`), queues responses in order (``SendQueues``) and
/// records through ``Connection``'s transitions what each connection needs
/// next, marking it on the dirty list for the loop. It performs no I/O; on
/// the prebuilt path it allocates nothing.
///
/// This file is request processing: input, parsing, routing and the prebuilt
/// answer. Bodies, handlers, results, timeouts and the connection events the
/// loop reports each have their own file.
struct HTTPCore: ~Copyable {
    /// Bytes of requests a client may send beyond those waiting for responses.
    static let pipelinedAhead = 128 << 10

    /// The served slots, each with its send queue (``SlotTable``).
    var connections: SlotTable<Connection>
    let spill: SpillBuffers
    /// The worker's deadlines: connection timeouts, delayed answers.
    let timers: TimerService
    var catalog: ResponseCatalog
    let routes: RouteTable
    let runtime: WorkerRuntime
    /// Starts handlers.
    let handlers: HandlerBridge
    /// Reads request bodies.
    let bodies: BodyReader
    let limits: ParserLimits
    let maxBodyBytes: Int
    let maxLingerBytes: Int
    let timeoutPolicy: TimeoutPolicy
    let headers: UnsafeMutableBufferPointer<HeaderField>
    private let parameters: UnsafeMutablePointer<ByteSpan>
    /// The configuration's server fields as bytes (`engine: Ringside\r\n`), for encoded responses.
    let serverFields: UnsafeMutableRawBufferPointer
    /// Bytes sent as-is: `connection` lines, 100 Continue, the last chunk.
    let fixedBytes: FixedBytes
    /// Whether the server is ready, for the readiness check's answer.
    let readiness: Readiness
    /// Shutting down: every answer closes its connection (see `HTTPCore+Connections.swift`).
    var draining = false
    /// Metrics, access log, request ids (`HTTPCore+Observe.swift`).
    var observer: RequestObserver
    /// The few delayed answers that are not plain laid-out ones, by slot.
    var laterResponses: [Int: (generation: UInt32, response: Response)] = [:]

    init(
        configuration: ServerConfiguration, router: Router, runtime: WorkerRuntime, readiness: Readiness,
        observer: consuming RequestObserver, dirty: DirtySlots, timers: TimerService
    ) {
        let limits = configuration.parserLimits
        self.timers = timers
        // A spill buffer holds the largest allowed head, one more receive, and
        // what a pipelining client may send ahead while its responses back up
        // (io_uring receives a burst before its cancel lands).
        let spill = (limits.maxHeaderBytes + configuration.receiveBufferSize + HTTPCore.pipelinedAhead + 4095) & ~4095
        self.spill = SpillBuffers(slots: configuration.maxConnectionsPerWorker, size: spill)
        // A prebuilt answer with a request id takes three iovecs.
        connections = SlotTable(
            .served, capacity: configuration.maxConnectionsPerWorker,
            queueDepth: configuration.maxQueuedResponses * (configuration.requestIDs ? 3 : 1), dirty: dirty)
        routes = RouteTable(router.routes)
        catalog = ResponseCatalog(router: router, routes: routes, serverHeaders: configuration.serverHeaders)
        self.runtime = runtime
        handlers = HandlerBridge(router: router, runtime: runtime)
        bodies = BodyReader(maxBodyBytes: configuration.maxBodyBytes, maxTrailerBytes: limits.maxHeaderBytes)
        self.limits = limits
        maxBodyBytes = configuration.maxBodyBytes
        maxLingerBytes = configuration.maxLingerBytes
        timeoutPolicy = TimeoutPolicy(timeouts: configuration.timeouts)
        headers = .allocate(capacity: limits.maxHeaderCount)
        parameters = .allocate(capacity: RouteTable.maxParameters)
        let fields = configuration.serverHeaders.map { "\($0.name): \($0.value)\r\n" }.joined()
        serverFields = .allocate(byteCount: max(fields.utf8.count, 1), alignment: 8)
        serverFields.copyBytes(from: fields.utf8)
        fixedBytes = FixedBytes()
        self.readiness = readiness
        self.observer = observer
    }

    deinit {
        headers.deallocate()
        parameters.deallocate()
        serverFields.deallocate()
    }

    /// Once a wall-clock second: the date in every response.
    mutating func refreshDate(wallSeconds: Int) {
        catalog.refreshDate(now: wallSeconds)
    }

    // MARK: Input

    /// Bytes arrived on `slot`; every complete request among them is answered.
    mutating func receive(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        observer.metrics?.add(.bytesReceived, UInt64(bytes.count))
        let connection = connections[slot]
        switch connection.pointee.phase {
        case .serving:
            break
        case .lingering:
            dropLingering(slot, bytes.count)
            return
        case .free, .finishing, .closing:
            return  // reading nothing new
        }
        if connection.pointee.spillCount == 0 && !connection.isPaused && !connection.isWaiting {
            // The common case: whole requests, parsed where the kernel put them.
            let consumed = process(slot, bytes)
            keep(slot, UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
        } else {
            let spill = self.spill[slot]
            let held = connection.pointee.spillCount
            guard held + bytes.count <= self.spill.size else {
                // Only a client that keeps writing while not reading its responses gets here.
                connection.pointee.abort()
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
        let spill = self.spill[slot]
        let held = connection.pointee.spillCount
        let consumed = process(slot, UnsafeRawBufferPointer(start: spill, count: held))
        let left = connection.acceptsRequests ? held - consumed : 0
        if consumed > 0 && left > 0 { spill.copyMemory(from: spill + consumed, byteCount: left) }
        connection.pointee.spillCount = left
    }

    /// Copies bytes not yet answered into the spill buffer: a request split
    /// across receives, or requests waiting while the connection is paused.
    private mutating func keep(_ slot: Int, _ rest: UnsafeRawBufferPointer) {
        let connection = connections[slot]
        guard !rest.isEmpty, connection.acceptsRequests else { return }
        spill[slot].copyMemory(from: rest.baseAddress!, byteCount: rest.count)
        connection.pointee.spillCount = rest.count
        connections.markDirty(slot)  // its timer becomes the header timeout
    }

    /// Lingering: drops what the client still sends, up to the limit.
    private mutating func dropLingering(_ slot: Int, _ count: Int) {
        let connection = connections[slot]
        connection.pointee.discarded += count
        if connection.pointee.discarded > maxLingerBytes { connection.pointee.abort() }
        connections.markDirty(slot)
    }

    /// Answers the complete requests at the start of `input`, consuming their
    /// bodies; returns the bytes used (all of them once the connection stops
    /// reading requests).
    private mutating func process(_ slot: Int, _ input: UnsafeRawBufferPointer) -> Int {
        let connection = connections[slot]
        var head = RequestHead()
        var offset = 0
        while offset < input.count {
            guard connection.acceptsRequests else { return stopReading(slot, input, at: offset) }
            // A handler is producing the previous response: later requests wait.
            if connection.isWaiting { return offset }
            if case .none = connection.pointee.body {} else {
                offset = consumeBody(slot, input, from: offset)
                if case .none = connection.pointee.body {} else { return offset }  // needs more bytes
                continue
            }
            if !hasRoomForAnswer(slot) {
                // Backpressure: stop answering until a send completes.
                connection.pointee.pause()
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
                closeWithError(slot, PrebuiltResponses.ID(error))
                return input.count
            case .complete(let headLength):
                connection.pointee.scanned = 0
                guard let bodyUsed = dispatch(slot, request, head, headLength: headLength) else {
                    return stopReading(slot, input, at: offset + headLength)
                }
                offset += headLength + bodyUsed
            }
        }
        return offset
    }

    /// The connection reads no more requests from `offset` on: bytes after it
    /// are dropped, and their sender gets a lingering close.
    private mutating func stopReading(_ slot: Int, _ input: UnsafeRawBufferPointer, at offset: Int) -> Int {
        if offset < input.count { connections[slot].pointee.finishAfterFlush(linger: true) }
        return input.count
    }

    /// Routes `head`, just parsed from `request`, and answers it or starts
    /// reading its body. Returns the body bytes it used beyond the head, or
    /// nil when the connection reads no more requests.
    private mutating func dispatch(
        _ slot: Int, _ request: UnsafeRawBufferPointer, _ head: RequestHead, headLength: Int
    ) -> Int? {
        startRequest(slot, request, head)
        if head.unmetExpectation {
            closeWithError(slot, .expectationFailed)
            return nil
        }
        if head.contentLength > maxBodyBytes {
            closeWithError(slot, .contentTooLarge)  // refused before a byte of it is read
            return nil
        }
        let framing = ResponseFraming(head, close: draining)
        let response: Int
        switch route(request, head) {
        case .prebuilt(let index, let route):
            response = index
            if route >= 0 { routed(slot, route) }
        case .handler(let route, let parameterCount):
            routed(slot, route)
            return startHandler(slot, request, head, headLength: headLength, route: route,
                          parameterCount: parameterCount, framing: framing)
        case .methodNotAllowed(let allowed):
            // Methods of several patterns together (rare): encoded now; the body is not read.
            let allow = RouteTable.allowValue(mask: allowed)
            respond(slot, HTTPError(.methodNotAllowed, message: "Method Not Allowed", headerFields: [.allow: allow]).response,
                    ResponseFraming(head, close: true))
            return nil
        }

        let hasBody = head.contentLength > 0 || head.isChunked
        if hasBody && head.expectContinue {
            // The client waits for a 100 Continue that a prebuilt route does
            // not give, so it has sent no body: answer now and close.
            queueAnswer(slot, response, ResponseFraming(head, close: true))
            connections[slot].pointee.finishAfterFlush()
            return nil
        }
        if hasBody {
            // Prebuilt routes answer from the head; the body is read past and
            // dropped, and the answer waits for its end so that a bad body
            // gets one answer (400), whatever the request's `connection` says.
            startBody(slot, head)
            connections[slot].pointee.heldAnswer = HeldAnswer(index: response, framing: framing)
            markAnswerPending(slot)
            return 0
        }
        queueAnswer(slot, response, framing)
        if framing.variant == .close {
            connections[slot].pointee.finishAfterFlush()
            return nil
        }
        return 0
    }

    enum Decision {
        /// Send prebuilt response `index`; `route` matched (-1: none did).
        case prebuilt(Int, route: Int)
        /// Run route `route`'s handler; `parameterCount` values were captured.
        case handler(route: Int, parameterCount: Int)
        /// 405 for a method set no prebuilt answer has.
        case methodNotAllowed(UInt16)
    }

    /// What answers `head`; captured parameters go to `parameters`, relative to `request`.
    @inline(__always)
    private func route(_ request: UnsafeRawBufferPointer, _ head: RequestHead) -> Decision {
        switch head.method {
        case .other:
            return .prebuilt(PrebuiltResponses.ID.notImplemented.rawValue, route: -1)
        case .options where head.target.count == 1 && request[head.target.start] == UInt8(ascii: "*"):
            return .prebuilt(PrebuiltResponses.ID.options.rawValue, route: -1)
        default:
            let path = UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end])
            switch routes.match(head.method, path, parameters: parameters, base: head.path.start) {
            case .route(let index, let parameterCount):
                if let response = catalog.response(ofRoute: index) {
                    if index == catalog.readinessRoute && !readiness.isReady {
                        return .prebuilt(catalog.notReady, route: index)
                    }
                    return .prebuilt(response, route: index)
                }
                return .handler(route: index, parameterCount: parameterCount)
            case .methodNotAllowed(let allowed):
                guard let index = catalog.methodNotAllowed(allowed) else { return .methodNotAllowed(allowed) }
                return .prebuilt(index, route: -1)
            case .notFound:
                return .prebuilt(PrebuiltResponses.ID.notFound.rawValue, route: -1)
            }
        }
    }

    /// `head` with its route's parameters, as a handler's request over
    /// `request`'s bytes (body not included).
    func parts(
        _ slot: Int, _ request: UnsafeRawBufferPointer, _ head: RequestHead, route: Int, parameterCount: Int
    ) -> RequestParts {
        let hasQueryMark = head.path.end < head.target.end && request[head.path.end] == UInt8(ascii: "?")
        return RequestParts(
            base: request.baseAddress!, head: head, hasQueryMark: hasQueryMark,
            fields: UnsafeBufferPointer(start: headers.baseAddress, count: head.headerCount),
            parameters: UnsafeBufferPointer(start: parameters, count: parameterCount),
            parameterNames: handlers.parameterNames[route],
            body: UnsafeRawBufferPointer(start: nil, count: 0), socket: connections[slot].pointee.fd)
    }

    // MARK: Queuing answers

    /// Answers with one of the server's own responses, then closes after
    /// lingering: the client may still be sending.
    mutating func closeWithError(_ slot: Int, _ response: PrebuiltResponses.ID) {
        let connection = connections[slot]
        connection.pointee.body = .none
        connection.pointee.heldAnswer = nil
        connection.pointee.pending = nil
        queueAnswer(slot, response.rawValue, HTTPCore.closingFraming)
        connection.pointee.finishAfterFlush(linger: true)
    }

    /// Queues `bytes` for sending; `owner` (retained until sent) keeps them alive.
    @inline(__always)
    mutating func enqueue(_ slot: Int, _ bytes: UnsafeRawBufferPointer, owner: OutputBuffer? = nil) {
        connections.queues.append(slot, bytes, owner: owner)
        connections.markDirty(slot)
    }
}

/// A prebuilt answer held back until its request's body was read past.
struct HeldAnswer {
    /// The prebuilt response and its framing.
    var index: Int
    var framing: ResponseFraming
    /// The connection closes after it.
    var closes: Bool { framing.variant == .close }
}
