import HTTP1

/// Counting answers where they are queued, for every kind of answer
/// (prebuilt routes, handlers, the server's own errors): the metrics, the
/// access log and the `x-request-id` line. Nothing here allocates.
extension HTTPCore {
    /// The framing of the server's own answers that end the connection.
    static let closingFraming = ResponseFraming(variant: .close, headOnly: false, http10: false)

    /// A request head was read on `slot`: what its answer is counted under,
    /// its request id and (for the access log) its path.
    @inline(__always)
    mutating func startRequest(_ slot: Int, _ request: UnsafeRawBufferPointer, _ head: RequestHead) {
        guard observer.isOn else { return }
        let record = observer[slot]
        record.pointee.start = observer.turnStart
        record.pointee.method = head.method.rawValue
        record.pointee.route = 0
        record.pointee.state = .answering
        if let ids = observer.requestIDs {
            let (entry, length) = ids.assign(
                slot, incoming: requestIDField(request, head), queueEmpty: connections.queues.count(slot) == 0)
            record.pointee.idEntry = entry
            record.pointee.idLength = length
        }
        if let log = observer.accessLog {
            log.keepPath(slot, UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end]))
        }
    }

    /// Route `route` answers the request on `slot`.
    @inline(__always)
    func routed(_ slot: Int, _ route: Int) {
        if observer.isOn { observer[slot].pointee.route = UInt16(truncatingIfNeeded: route + 1) }
    }

    /// The answer comes in a later turn (a handler, or once the body is read):
    /// the request counts as active until then.
    @inline(__always)
    func markAnswerPending(_ slot: Int) {
        guard observer.isOn, observer[slot].pointee.state == .answering else { return }
        observer[slot].pointee.state = .deferred
        observer.metrics?.adjust(.activeRequests, up: true)
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
        if let line = idLine(slot), connections.queues.count(slot) + 3 <= connections.queues.depth {
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
        guard let line = idLine(slot) else { return body(connection) }
        return withUnsafeTemporaryAllocation(byteCount: connection.count + line.count, alignment: 1) { lines in
            if !connection.isEmpty { lines.baseAddress!.copyMemory(from: connection.baseAddress!, byteCount: connection.count) }
            (lines.baseAddress! + connection.count).copyMemory(from: line.baseAddress!, byteCount: line.count)
            return body(UnsafeRawBufferPointer(lines))
        }
    }

    /// An answer of `status` and `bytes` was queued on `slot`: the histogram,
    /// active requests and the access log. Without a request head read
    /// (bytes that were not a request), the method is `_OTHER` and the route unmatched.
    @inline(__always)
    mutating func countAnswer(_ slot: Int, status: Int, bytes: Int) {
        guard observer.isOn else { return }
        let record = observer[slot]
        if record.pointee.state == .answering && observer.accessLog == nil {
            // The common case, inline: an answer in the turn that read its head, metrics only.
            observer.metrics?.observe(
                RequestObserver.key(method: record.pointee.method, route: record.pointee.route, status: status),
                nanoseconds: observer.turnStart &- record.pointee.start)
            record.pointee.state = .idle
            return
        }
        countAnswerSlowly(slot, status: status, bytes: bytes)
    }

    /// ``countAnswer(_:status:bytes:)`` for deferred answers, answers without
    /// a request, and the access log (kept out of line).
    @inline(never)
    private mutating func countAnswerSlowly(_ slot: Int, status: Int, bytes: Int) {
        let record = observer[slot]
        let known = record.pointee.state != .idle
        let nanoseconds = known ? observer.turnStart - record.pointee.start : 0
        let method = known ? record.pointee.method : HTTP1.Method.other.rawValue
        let route = known ? record.pointee.route : 0
        if observer.metrics != nil {
            if record.pointee.state == .deferred { observer.metrics?.adjust(.activeRequests, up: false) }
            observer.metrics?.observe(
                RequestObserver.key(method: method, route: route, status: status), nanoseconds: nanoseconds)
        }
        if observer.accessLog != nil {
            let id = known && record.pointee.idLength > 0
                ? observer.requestIDs?.id(slot, entry: record.pointee.idEntry, length: record.pointee.idLength) : nil
            let connection = connections[slot]
            observer.accessLog?.append(
                slot: slot, fd: connection.pointee.fd, generation: connection.pointee.generation,
                method: known ? HTTP1.Method(rawValue: method) : nil, status: status, bytes: bytes,
                nanoseconds: nanoseconds, requestID: id)
        }
        record.pointee.state = .idle
    }

    /// The connection in `slot` closed: a request it was waiting for leaves the active ones.
    @inline(__always)
    func requestEnded(_ slot: Int) {
        guard observer.isOn else { return }
        if observer[slot].pointee.state == .deferred { observer.metrics?.adjust(.activeRequests, up: false) }
        observer[slot].pointee.state = .idle
    }

    /// The request id of the request being answered on `slot`, for its handler.
    func requestID(_ slot: Int) -> UnsafeRawBufferPointer? {
        guard let ids = observer.requestIDs, observer[slot].pointee.state != .idle else { return nil }
        let record = observer[slot]
        return ids.id(slot, entry: record.pointee.idEntry, length: record.pointee.idLength)
    }

    /// The `x-request-id: ...\r\n` line of the request being answered on `slot`, if any.
    @inline(__always)
    private func idLine(_ slot: Int) -> UnsafeRawBufferPointer? {
        guard let ids = observer.requestIDs, observer[slot].pointee.state != .idle else { return nil }
        let record = observer[slot]
        return ids.line(slot, entry: record.pointee.idEntry, length: record.pointee.idLength)
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
