import HTTP1

/// Queuing answers, for every kind of answer (prebuilt routes, handlers, the
/// server's own errors), and telling the ``RequestObserver`` about them where
/// they are queued: the metrics, the access log and the `x-request-id` line.
/// Nothing here allocates.
extension HTTPCore {
    /// The framing of the server's own answers that end the connection.
    static let closingFraming = ResponseFraming(variant: .close, headOnly: false, http10: false)

    /// A request head was read on `slot`: the observer's record of it.
    @inline(__always)
    mutating func startRequest(_ slot: Int, _ request: UnsafeRawBufferPointer, _ head: RequestHead) {
        guard observer.isOn else { return }
        observer.requestRead(
            slot, method: head.method, path: UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end]),
            incomingID: observer.requestIDs == nil ? nil : requestIDField(request, head),
            queueEmpty: connections.queues.count(slot) == 0,
            version: connections[slot].pointee.parent >= 0 ? 20 : 10 + head.versionMinor)
    }

    /// Queues prebuilt response `index` as `framing` asks, with the
    /// request's id line when there is one, and counts it.
    @inline(__always)
    mutating func queueAnswer(_ slot: Int, _ index: Int, _ framing: ResponseFraming) {
        guard observer.requestIDs != nil else {
            let bytes = catalog.bytes(index, framing)
            enqueue(slot, bytes)
            countAnswer(slot, status: catalog.status(index), bytes: bytes.count)
            return
        }
        queueAnswerWithID(slot, index, framing)
    }

    /// ``queueAnswer(_:_:_:)`` with request ids on (kept out of line).
    @inline(never)
    private mutating func queueAnswerWithID(_ slot: Int, _ index: Int, _ framing: ResponseFraming) {
        let bytes = catalog.bytes(index, framing)
        var sent = bytes.count
        if let line = observer.idLine(slot), connections.queues.count(slot) + 3 <= connections.queues.depth {
            // Three iovecs: the head up to its final CRLF, the id line, the rest.
            let split = catalog.headLength(index, framing) - 2
            enqueue(slot, UnsafeRawBufferPointer(rebasing: bytes[..<split]))
            enqueue(slot, line)
            enqueue(slot, UnsafeRawBufferPointer(rebasing: bytes[split...]))
            sent += line.count
        } else {
            enqueue(slot, bytes)
        }
        countAnswer(slot, status: catalog.status(index), bytes: sent)
    }

    /// Calls `body` with the `connection` line of `variant` followed by the
    /// request's id line (stack memory), for an answer encoded per request.
    @inline(__always)
    func withAnswerLines<Result>(
        _ slot: Int, _ variant: PrebuiltResponses.Variant, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        let connection = fixedBytes.connection(variant)
        guard let line = observer.idLine(slot) else { return body(connection) }
        return withUnsafeTemporaryAllocation(byteCount: connection.count + line.count, alignment: 1) { lines in
            if !connection.isEmpty { lines.baseAddress!.copyMemory(from: connection.baseAddress!, byteCount: connection.count) }
            (lines.baseAddress! + connection.count).copyMemory(from: line.baseAddress!, byteCount: line.count)
            return body(UnsafeRawBufferPointer(lines))
        }
    }

    /// An answer of `status` and `bytes` was queued on `slot`: the observer counts it.
    @inline(__always)
    mutating func countAnswer(_ slot: Int, status: Int, bytes: Int) {
        guard observer.isOn else { return }
        let connection = connections[slot]
        // A stream's TLS is its connection's.
        let carrier = connection.pointee.parent >= 0 ? connections[Int(connection.pointee.parent)] : connection
        observer.answered(
            slot, status: status, bytes: bytes, fd: connection.pointee.fd, generation: connection.pointee.generation,
            tls: carrier.pointee.tls?.minorVersion ?? 0)
    }

    /// The value of the request's first `x-request-id` field, if it sent one.
    @inline(__always)
    private func requestIDField(_ request: UnsafeRawBufferPointer, _ head: RequestHead) -> UnsafeRawBufferPointer? {
        let name: StaticString = "x-request-id"
        for index in 0..<head.headerCount {
            let field = headers[index]
            guard field.name.count == 12 else { continue }
            var same = true
            for offset in 0..<12 {
                var byte = request[field.name.start + offset]
                if byte &- UInt8(ascii: "A") < 26 { byte |= 0x20 }
                if byte != name.utf8Start[offset] {
                    same = false
                    break
                }
            }
            if same { return UnsafeRawBufferPointer(rebasing: request[field.value.start..<field.value.end]) }
        }
        return nil
    }
}

extension HTTPCore {
    /// The slot's queue can take another answer (three iovecs with a request id).
    @inline(__always)
    func hasRoomForAnswer(_ slot: Int) -> Bool {
        connections.queues.count(slot) + (observer.requestIDs == nil ? 1 : 3) <= connections.queues.depth
    }
}
