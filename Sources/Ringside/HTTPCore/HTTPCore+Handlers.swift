import HTTP1
import HTTPTypes
import Logging

/// Running handlers and sending what they answer.
///
/// A sync handler without middleware is a plain call inside `receive`. Every
/// other kind copies its request (`RequestStorage`) and marks the connection
/// `.waiting`: later pipelined requests wait in the spill buffer, and the
/// answer comes back as a `WorkerRuntime.Event`, matched to its connection by
/// slot and generation (a connection closed meanwhile drops it).
extension HTTPCore {
    /// Answers a handler route's head: runs the handler now when the body
    /// (if any) is already here, else starts collecting the body. Same
    /// contract as `answer(_:_:headLength:)`.
    mutating func answer(
        _ slot: Int, _ request: UnsafeRawBufferPointer, headLength: Int, route: Int,
        parameterCount: Int, variant: PrebuiltResponses.Variant
    ) -> Int? {
        let connection = connections[slot]
        var parts = parts(slot, request, route: route, parameterCount: parameterCount)
        connection.pointee.responseVariant = variant
        connection.pointee.responseHeadOnly = parts.head.method == .head
        connection.pointee.responseHTTP10 = parts.head.versionMinor == 0
        let length = parts.head.contentLength
        let readsOn = variant != .close
        if !parts.head.isChunked && length <= 0 {
            run(slot, route: route, parts, headLength: headLength)
            return readsOn ? 0 : nil
        }
        if !parts.head.isChunked && headLength + length <= request.count {
            // The whole body came with the head: no copy.
            parts.body = UnsafeRawBufferPointer(rebasing: request[headLength..<(headLength + length)])
            run(slot, route: route, parts, headLength: headLength)
            return readsOn ? length : nil
        }
        // 100 Continue only with room for the answer after it; a client that
        // gets none sends the body after a while anyway (RFC 9110 §10.1.1).
        if parts.head.expectContinue && connection.pointee.queuedCount + 2 <= connections.responsesPerConnection {
            enqueue(slot, fixedBytes.continueResponse)
        }
        connection.pointee.pending = PendingRequest(route: route, parts: parts, headLength: headLength, expectedBody: length)
        startBody(slot)
        return 0
    }

    /// The body of a pending request ended: run its handler.
    mutating func run(_ slot: Int, _ pending: PendingRequest) {
        let names = parameterNames[pending.route]
        let socket = connections[slot].pointee.fd
        // `withParts` lends pointers into the pending copy for the call.
        pending.withParts(socket: socket, parameterNames: names) { parts in
            run(slot, route: pending.route, parts, headLength: pending.headLength)
        }
    }

    /// Runs route `route`'s handler for `parts`.
    mutating func run(_ slot: Int, route: Int, _ parts: RequestParts, headLength: Int) {
        let generation = connections[slot].pointee.generation
        let plain = runtime.middleware.isEmpty
        switch actions[route] {
        case .sync(let handler) where plain:
            respond(slot, runtime.respond(to: Request(parts: parts, storage: nil), handler))
        case .sync(let handler):
            wait(slot)
            connections[slot].pointee.task = runtime.startTask(
                storage(slot, parts, headLength), slot: slot, generation: generation
            ) { try handler($0) }
        case .async(let handler):
            wait(slot)
            connections[slot].pointee.task = runtime.startTask(
                storage(slot, parts, headLength), slot: slot, generation: generation, handler)
        case .offload(let handler) where plain:
            let storage = storage(slot, parts, headLength)
            if runtime.offload(storage, slot: slot, generation: generation, handler) {
                wait(slot)
            } else {
                respond(slot, Response(ServerResponses.serviceUnavailable))
            }
        case .offload(let handler):
            wait(slot)
            let storage = storage(slot, parts, headLength)
            connections[slot].pointee.task = runtime.startTask(storage, slot: slot, generation: generation) { _ in
                try await offload { try handler(storage.request) }
            }
        case .prebuilt:
            preconditionFailure("prebuilt routes are answered from their bytes")
        }
    }

    /// The request's own copy, with the peer's address resolved once per connection.
    private func storage(_ slot: Int, _ parts: RequestParts, _ headLength: Int) -> RequestStorage {
        let connection = connections[slot]
        if connection.pointee.peer == nil { connection.pointee.peer = SocketAddress(peerOf: connection.pointee.fd) }
        return RequestStorage(copying: parts, headLength: headLength, remoteAddress: connection.pointee.peer)
    }

    private mutating func wait(_ slot: Int) {
        connections[slot].pointee.state.insert(.waiting)
        connections.markDirty(slot)
    }

    // MARK: Results coming back

    /// Runs the worker's ready tasks and applies what they produced. Engines
    /// call it once per loop turn; bounded, so tasks cannot starve I/O.
    mutating func runTasks(into events: inout [WorkerRuntime.Event]) {
        runtime.fireTimers()
        for _ in 0..<4 {
            runtime.executor.runJobs()
            runtime.takeEvents(into: &events)
            if events.isEmpty && !runtime.executor.hasJobs { return }
            for event in events {
                switch event {
                case .respond(let slot, let generation, let response):
                    complete(slot, generation, response)
                case .pump(let stream):
                    if isCurrent(stream.slot, stream.generation), connections[stream.slot].pointee.stream === stream {
                        pump(stream.slot, stream)
                    }
                case .run(let body):
                    body()
                }
            }
            events.removeAll(keepingCapacity: true)
        }
    }

    /// After the loop: lets tasks resumed by the last closes (a stream writer
    /// told its client left, a handler cancelled) run to their end, so none
    /// is left suspended on an executor that will never run it again.
    mutating func finishTasks(into events: inout [WorkerRuntime.Event]) {
        for _ in 0..<64 where runtime.hasWork {
            runTasks(into: &events)
        }
    }

    private func isCurrent(_ slot: Int, _ generation: UInt32) -> Bool {
        let connection = connections[slot]
        return connection.pointee.state.contains(.open) && connection.pointee.generation == generation
    }

    /// A waiting connection's handler answered.
    private mutating func complete(_ slot: Int, _ generation: UInt32, _ response: Response) {
        guard isCurrent(slot, generation) else { return }  // the connection closed meanwhile
        let connection = connections[slot]
        guard connection.pointee.state.contains(.waiting), !connection.pointee.state.contains(.closing) else { return }
        connection.pointee.state.remove(.waiting)
        connection.pointee.task = nil
        respond(slot, response)
        resumeReading(slot)
    }

    /// After a response: answer the requests that waited behind it.
    private mutating func resumeReading(_ slot: Int) {
        let connection = connections[slot]
        connections.markDirty(slot)
        if !connection.pointee.state.contains(.waiting) && connection.pointee.spillCount > 0
            && !connection.pointee.state.contains(.paused) {
            processSpill(slot)
        }
    }

    // MARK: Encoding

    /// Queues `response` for the request the connection is answering.
    mutating func respond(_ slot: Int, _ response: Response) {
        let connection = connections[slot]
        let variant = connection.pointee.responseVariant
        let headOnly = connection.pointee.responseHeadOnly
        switch response.body {
        case .prebuilt(let prebuilt):
            if response.headerFields.isEmpty && response.status == prebuilt.status, let index = prebuiltIndex(of: prebuilt) {
                enqueue(slot, responses.bytes(index, variant, headOnly: headOnly))
            } else {
                // Changed after the fact, or never laid out here: encode it like any other.
                var fields = prebuilt.headerFields
                fields.append(contentsOf: response.headerFields)
                prebuilt.body.withUnsafeBytes { encode(slot, response.status, fields, $0) }
            }
        case .empty:
            encode(slot, response.status, response.headerFields, UnsafeRawBufferPointer(start: nil, count: 0))
        case .bytes(let bytes):
            bytes.withUnsafeBytes { encode(slot, response.status, response.headerFields, $0) }
        case .text(var text):
            text.withUTF8 { encode(slot, response.status, response.headerFields, UnsafeRawBufferPointer($0)) }
        case .stream(let write):
            startStream(slot, response.status, response.headerFields, write)
            return
        }
        if variant == .close { connection.pointee.state.insert(.closeAfterFlush) }
    }

    private mutating func encode(
        _ slot: Int, _ status: HTTPResponse.Status, _ fields: HTTPFields, _ body: UnsafeRawBufferPointer,
        framing: DynamicResponseEncoder.Framing? = nil, variant: PrebuiltResponses.Variant? = nil
    ) {
        let connection = connections[slot]
        let buffer = DynamicResponseEncoder.encode(
            status: status, fields: fields, body: body, framing: framing ?? .contentLength(body.count),
            headOnly: connection.pointee.responseHeadOnly, serverFields: UnsafeRawBufferPointer(serverFields),
            date: responses.date, connection: fixedBytes.connection(variant ?? connection.pointee.responseVariant))
        enqueue(slot, buffer.written, owner: buffer)
    }

    // MARK: Streams

    private mutating func startStream(
        _ slot: Int, _ status: HTTPResponse.Status, _ fields: HTTPFields,
        _ write: @escaping @Sendable (inout ResponseBodyWriter) async throws -> Void
    ) {
        let connection = connections[slot]
        // HTTP/1.0 has no chunked coding: the body ends when the connection does.
        let chunked = !connection.pointee.responseHTTP10
        if !chunked { connection.pointee.responseVariant = .close }
        encode(slot, status, fields, UnsafeRawBufferPointer(start: nil, count: 0),
               framing: chunked ? .chunked : .untilClose)
        if connection.pointee.responseHeadOnly {
            if connection.pointee.responseVariant == .close { connection.pointee.state.insert(.closeAfterFlush) }
            return
        }
        let stream = StreamState(runtime: runtime, slot: slot, generation: connection.pointee.generation, chunked: chunked)
        connection.pointee.stream = stream
        connection.pointee.state.insert(.waiting)
        connections.markDirty(slot)
        let runtime = self.runtime
        connection.pointee.task = Task(executorPreference: runtime.executor) {
            var writer = ResponseBodyWriter(state: stream)
            do {
                try await write(&writer)
            } catch is ResponseBodyWriter.ConnectionClosed {
                // The client left; nothing to tell anyone.
            } catch {
                stream.failed = true
                runtime.logger.error("response stream threw", metadata: ["error": "\(error)"])
            }
            stream.finished = true
            runtime.post(.pump(stream))
        }
    }

    /// Moves a stream's chunks onto the connection while there is room, lets
    /// its writer go on, and ends the response when the writer is done.
    mutating func pump(_ slot: Int, _ stream: StreamState) {
        let connection = connections[slot]
        let room = min(connections.responsesPerConnection, StreamState.maxQueued)
        var moved = 0
        while moved < stream.pending.count && connection.pointee.queuedCount < room {
            let chunk = stream.pending[moved]
            enqueue(slot, chunk.written, owner: chunk)
            moved += 1
        }
        if moved > 0 { stream.pending.removeFirst(moved) }
        guard stream.pending.isEmpty else { return }
        guard stream.finished else {
            stream.resume()
            return
        }
        // The last chunk needs a queue place; `sent` pumps again when one frees up.
        guard connection.pointee.queuedCount < connections.responsesPerConnection else { return }
        connection.pointee.stream = nil
        connection.pointee.task = nil
        connection.pointee.state.remove(.waiting)
        if stream.failed {
            // Cut short: without the last chunk the client sees an incomplete body.
            connection.pointee.state.insert(.closeAfterFlush)
        } else {
            if stream.chunked { enqueue(slot, fixedBytes.lastChunk) }
            if connection.pointee.responseVariant == .close { connection.pointee.state.insert(.closeAfterFlush) }
        }
        resumeReading(slot)
    }

    // MARK: Helpers

    static func method(_ head: RequestHead) -> HTTPRequest.Method {
        switch head.method {
        case .get: .get
        case .head: .head
        case .post: .post
        case .put: .put
        case .delete: .delete
        case .connect: .connect
        case .options: .options
        case .trace: .trace
        case .patch: .patch
        case .other: preconditionFailure("unknown methods are answered 501 before routing")
        }
    }
}
