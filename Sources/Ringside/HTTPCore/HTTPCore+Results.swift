import HTTP1
import HTTPTypes

/// What handlers answer: their results coming back to the worker, and
/// responses encoded and queued.
extension HTTPCore {
    /// Runs the worker's ready tasks and applies what they produced. The loop
    /// calls it once per turn; bounded, so tasks cannot starve I/O.
    mutating func runTasks(into events: inout [WorkerRuntime.Event]) {
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

    func isCurrent(_ slot: Int, _ generation: UInt32) -> Bool { connections.isCurrent(slot, generation) }

    /// A waiting connection's handler answered (or its delayed answer is due).
    mutating func complete(_ slot: Int, _ generation: UInt32, _ response: Response) {
        guard let framing = finishWaiting(slot, generation) else { return }
        respond(slot, response, framing)
        resumeReading(slot)
    }

    /// Ends `slot`'s wait for an answer and gives the answer's framing; nil
    /// when the connection closed or stopped waiting (timed out) meanwhile.
    mutating func finishWaiting(_ slot: Int, _ generation: UInt32) -> ResponseFraming? {
        guard isCurrent(slot, generation) else { return nil }
        let connection = connections[slot]
        guard connection.isWaiting else { return nil }
        connection.pointee.endWaiting()
        connection.pointee.task = nil
        connection.pointee.offloaded = nil
        var framing = connection.pointee.waitingFraming
        if draining { framing.variant = .close }
        return framing
    }

    /// After a response: answer the requests that waited behind it.
    mutating func resumeReading(_ slot: Int) {
        let connection = connections[slot]
        connections.markDirty(slot)
        if connection.acceptsRequests && !connection.isWaiting && !connection.isPaused
            && connection.pointee.spillCount > 0 {
            processSpill(slot)
        }
    }

    /// Queues `response` framed as `framing`.
    mutating func respond(_ slot: Int, _ response: Response, _ framing: ResponseFraming) {
        switch response.body {
        case .prebuilt(let prebuilt):
            if response.headerFields.isEmpty && response.status == prebuilt.status, let index = catalog.index(of: prebuilt) {
                queueAnswer(slot, index, framing)
            } else {
                // Changed after the fact, or never laid out here: encode it like any other.
                var fields = prebuilt.headerFields
                fields.append(contentsOf: response.headerFields)
                prebuilt.body.withUnsafeBytes { encode(slot, response.status, fields, $0, framing) }
            }
        case .empty:
            encode(slot, response.status, response.headerFields, UnsafeRawBufferPointer(start: nil, count: 0), framing)
        case .bytes(let bytes):
            bytes.withUnsafeBytes { encode(slot, response.status, response.headerFields, $0, framing) }
        case .text(var text):
            text.withUTF8 { encode(slot, response.status, response.headerFields, UnsafeRawBufferPointer($0), framing) }
        case .stream(let write):
            startStream(slot, response.status, response.headerFields, write, framing)
            return
        case .later(let prebuilt, let delay):
            let due = Response(status: response.status, headerFields: response.headerFields, body: .prebuilt(prebuilt))
            guard delay > .zero else { return respond(slot, due, framing) }
            answerLater(slot, due, after: delay, framing)
            return
        }
        if framing.variant == .close { connections[slot].pointee.finishAfterFlush() }
    }

    /// Encodes and queues a response head (and `body`, unless `framing` says HEAD).
    mutating func encode(
        _ slot: Int, _ status: HTTPResponse.Status, _ fields: HTTPFields, _ body: UnsafeRawBufferPointer,
        _ framing: ResponseFraming, bodyFraming: ResponseHeadEncoder.Framing? = nil
    ) {
        let buffer = withAnswerLines(slot, framing.variant) { lines in
            DynamicResponseEncoder.encode(
                status: status, fields: fields, body: body, framing: bodyFraming ?? .contentLength(body.count),
                headOnly: framing.headOnly, serverFields: UnsafeRawBufferPointer(serverFields),
                date: catalog.date, connection: lines)
        }
        enqueue(slot, buffer.written, owner: buffer)
        countAnswer(slot, status: status.code, bytes: buffer.count)
    }
}
