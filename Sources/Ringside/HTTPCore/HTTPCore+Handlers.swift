import HTTP1
import HTTPTypes

/// Handler routes on a connection: collecting their bodies, starting them
/// (``HandlerBridge``), and waiting for their answers.
///
/// A sync handler without middleware is a plain call inside `receive`. Every
/// other kind copies its request (`RequestStorage`) and the connection begins
/// waiting: later pipelined requests wait in the spill buffer, and the answer
/// comes back as a `WorkerRuntime.Event` (see `HTTPCore+Results.swift`),
/// matched to its connection by slot and generation.
extension HTTPCore {
    /// Answers a handler route's head: runs the handler now when the body
    /// (if any) is already here, else starts collecting the body. Same
    /// contract as `dispatch`.
    mutating func startHandler(
        _ slot: Int, _ request: UnsafeRawBufferPointer, _ head: RequestHead, headLength: Int, route: Int,
        parameterCount: Int, framing: ResponseFraming
    ) -> Int? {
        var parts = routing.parts(
            request, head, route: route, parameterCount: parameterCount, fields: headers, socket: connections[slot].pointee.fd)
        let length = head.contentLength
        let readsOn = framing.variant != .close
        if !head.isChunked && length <= 0 {
            runHandler(slot, route: route, parts, headLength: headLength, framing: framing)
            return readsOn ? 0 : nil
        }
        if !head.isChunked && headLength + length <= request.count {
            // The whole body came with the head: no copy.
            parts.body = UnsafeRawBufferPointer(rebasing: request[headLength..<(headLength + length)])
            runHandler(slot, route: route, parts, headLength: headLength, framing: framing)
            return readsOn ? length : nil
        }
        // 100 Continue only with room for the answer after it; a client that
        // gets none sends the body after a while anyway (RFC 9110 §10.1.1).
        if head.expectContinue && connections.queues.count(slot) + 2 <= connections.queues.depth {
            enqueue(slot, fixedBytes.continueResponse)
        }
        connections[slot].pointee.pending = PendingRequest(
            route: route, parts: parts, headLength: headLength, expectedBody: length, framing: framing)
        startBody(slot, head)
        observer.answerPending(slot)
        return 0
    }

    /// The body of a pending request ended: run its handler.
    mutating func runPending(_ slot: Int, _ pending: PendingRequest) {
        let names = routing.parameterNames[pending.route]
        let socket = connections[slot].pointee.fd
        // `withParts` lends pointers into the pending copy for the call.
        pending.withParts(socket: socket, parameterNames: names) { parts in
            runHandler(slot, route: pending.route, parts, headLength: pending.headLength, framing: pending.framing)
        }
    }

    /// Runs route `route`'s handler for `parts`; its answer is framed as `framing`.
    mutating func runHandler(_ slot: Int, route: Int, _ parts: RequestParts, headLength: Int, framing: ResponseFraming) {
        var parts = parts
        parts.requestID = observer.requestID(slot)?.baseAddress  // the id line's CR ends it
        parts.runtime = runtime
        let storage = handlers.needsCopy(route) ? storage(slot, parts, headLength) : nil
        let generation = connections[slot].pointee.generation
        switch handlers.start(route, parts, storage, slot: slot, generation: generation) {
        case .answered(let response):
            respond(slot, response, framing)
        case .running(let task):
            wait(slot, framing)
            connections[slot].pointee.task = task
        case .offloaded(let storage):
            wait(slot, framing)
            connections[slot].pointee.offloaded = storage
        case .refused:
            observer.metrics?.add(.offloadRejected)
            respond(slot, Response(ServerResponses.serviceUnavailable), framing)
        }
    }

    /// The request's own copy, with the peer's address resolved once per connection.
    private func storage(_ slot: Int, _ parts: RequestParts, _ headLength: Int) -> RequestStorage {
        let connection = connections[slot]
        if connection.pointee.peer == nil { connection.pointee.peer = SocketAddress(peerOf: connection.pointee.fd) }
        return RequestStorage(copying: parts, headLength: headLength, remoteAddress: connection.pointee.peer)
    }

    private mutating func wait(_ slot: Int, _ framing: ResponseFraming) {
        observer.answerPending(slot)
        connections[slot].pointee.beginWaiting(framing)
        connections.markDirty(slot)
    }
}
