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
    /// Which route answers a request, and its parameters.
    let routing: RequestRouting
    let runtime: WorkerRuntime
    /// Starts handlers.
    let handlers: HandlerBridge
    /// Reads request bodies.
    let bodies: BodyReader
    let limits: ParserLimits
    let maxLingerBytes: Int
    let timeoutPolicy: TimeoutPolicy
    /// The parser's fields of the request being read.
    let headers: UnsafeMutableBufferPointer<HeaderField>
    /// The configuration's server fields as bytes (`engine: Ringside\r\n`), for encoded responses.
    let serverFields: UnsafeMutableRawBufferPointer
    /// Bytes sent as-is: `connection` lines, 100 Continue, the last chunk.
    let fixedBytes: FixedBytes
    /// Shutting down: every answer closes its connection (see `HTTPCore+Connections.swift`).
    var draining = false
    /// Metrics, access log, request ids (told of answers in `HTTPCore+Answers.swift`).
    var observer: RequestObserver
    /// HTTPS: the server's TLS context as this worker last read it, and its TLS buffers (`HTTPCore+TLS.swift`).
    var tlsContexts: TLSContextStore.Reader?
    /// The index of the listener whose connections speak TLS (-1: none).
    let tlsListener: Int
    var tlsBuffers = TLSBuffers()
    /// At most so many handshakes in progress; later connections wait unread (`HTTPCore+TLS.swift`).
    var tlsGate: TLSHandshakeGate
    /// HTTP/2's settings, and where a stream's answer head is read back (`HTTPCore+HTTP2.swift`).
    let http2Settings: ServerConfiguration.HTTP2
    let http2Scratch: UnsafeMutableRawBufferPointer
    let responseFields: UnsafeMutableBufferPointer<HeaderField>
    /// Output buffers for HTTP/2 connections' frames, lent while they wait to be sent.
    var http2Buffers: [OutputBuffer] = []
    /// The few delayed answers that are not plain laid-out ones, by slot.
    var laterResponses: [Int: (generation: UInt32, response: Response)] = [:]

    init(
        configuration: ServerConfiguration, router: Router, runtime: WorkerRuntime, readiness: Readiness,
        observer: consuming RequestObserver, dirty: DirtySlots, timers: TimerService, tls: TLSContextStore? = nil
    ) {
        tlsContexts = tls.map { TLSContextStore.Reader($0) }
        tlsGate = TLSHandshakeGate(limit: max(configuration.tls?.maxHandshakesInProgress ?? 1, 1))
        tlsListener = tls == nil ? -1 : configuration.tls?.port == nil ? 0 : 1
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
        let routes = RouteTable(router.routes)
        catalog = ResponseCatalog(router: router, routes: routes, serverHeaders: configuration.serverHeaders)
        routing = RequestRouting(routes: routes, router: router, readiness: readiness)
        self.runtime = runtime
        handlers = HandlerBridge(router: router, runtime: runtime)
        bodies = BodyReader(maxBodyBytes: configuration.maxBodyBytes, maxTrailerBytes: limits.maxHeaderBytes)
        self.limits = limits
        maxLingerBytes = configuration.maxLingerBytes
        timeoutPolicy = TimeoutPolicy(timeouts: configuration.timeouts)
        headers = .allocate(capacity: limits.maxHeaderCount)
        let fields = configuration.serverHeaders.map { "\($0.name): \($0.value)\r\n" }.joined()
        serverFields = .allocate(byteCount: max(fields.utf8.count, 1), alignment: 8)
        serverFields.copyBytes(from: fields.utf8)
        fixedBytes = FixedBytes()
        self.observer = observer
        http2Settings = configuration.http2
        http2Scratch = .allocate(byteCount: 64 << 10, alignment: 8)
        responseFields = .allocate(capacity: 256)
    }

    deinit {
        headers.deallocate()
        serverFields.deallocate()
        http2Scratch.deallocate()
        responseFields.deallocate()
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
        if let session = connection.pointee.http2 { return receiveHTTP2(slot, session, bytes) }
        if !connection.pointee.sawInput && startsHTTP2(slot, bytes), let session = connection.pointee.http2 {
            return receiveHTTP2(slot, session, bytes)
        }
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
        if head.contentLength > bodies.maxBodyBytes {
            closeWithError(slot, .contentTooLarge)  // refused before a byte of it is read
            return nil
        }
        let framing = ResponseFraming(head, close: draining)
        let response: Int
        switch routing.decide(request, head, catalog) {
        case .prebuilt(let index, let route):
            response = index
            if route >= 0 { observer.routed(slot, route) }
        case .handler(let route, let parameterCount):
            observer.routed(slot, route)
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
            observer.answerPending(slot)
            return 0
        }
        queueAnswer(slot, response, framing)
        if framing.variant == .close {
            connections[slot].pointee.finishAfterFlush()
            return nil
        }
        return 0
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
