import HTTP1

/// A request's record through its life, in named transitions: read, routed,
/// answered later, answered (counted in the histogram, active requests and
/// the access log), or ended by its connection closing. Nothing allocates.
extension RequestObserver {
    /// A request head was read on `slot`: what its answer is counted under,
    /// its request id (the client's `incomingID`, or a new one) and, for the
    /// access log, its path.
    @inline(__always)
    mutating func requestRead(
        _ slot: Int, method: HTTP1.Method, path: UnsafeRawBufferPointer, incomingID: UnsafeRawBufferPointer?,
        queueEmpty: Bool, version: UInt8
    ) {
        let record = self[slot]
        record.pointee.start = turnStart
        record.pointee.version = version
        record.pointee.method = method.rawValue
        record.pointee.route = 0
        record.pointee.state = .answering
        if let requestIDs {
            let (entry, length) = requestIDs.assign(slot, incoming: incomingID, queueEmpty: queueEmpty)
            record.pointee.idEntry = entry
            record.pointee.idLength = length
        }
        accessLog?.keepPath(slot, path)
    }

    /// Route `route` answers the request on `slot`.
    @inline(__always)
    func routed(_ slot: Int, _ route: Int) {
        if isOn { self[slot].pointee.route = UInt16(truncatingIfNeeded: route + 1) }
    }

    /// The answer comes in a later turn (a handler, or once the body is read):
    /// the request counts as active until then.
    @inline(__always)
    func answerPending(_ slot: Int) {
        guard isOn, self[slot].pointee.state == .answering else { return }
        self[slot].pointee.state = .deferred
        metrics?.adjust(.activeRequests, up: true)
    }

    /// An answer of `status` and `bytes` was queued on `slot` (its socket
    /// `fd`, occupant `generation`). Without a request head read (bytes that
    /// were not a request), the method is `_OTHER` and the route unmatched.
    @inline(__always)
    /// `tls`: the connection's TLS 1.x minor version (0: cleartext), for the access log.
    mutating func answered(_ slot: Int, status: Int, bytes: Int, fd: Int32, generation: UInt32, tls: UInt8 = 0) {
        guard isOn else { return }
        let record = self[slot]
        if record.pointee.state == .answering && accessLog == nil {
            // The common case, inline: an answer in the turn that read its head, metrics only.
            metrics?.observe(
                RequestObserver.key(
                    method: record.pointee.method, route: record.pointee.route, status: status, version: record.pointee.version),
                nanoseconds: turnStart &- record.pointee.start)
            record.pointee.state = .idle
            return
        }
        answeredSlowly(slot, status: status, bytes: bytes, fd: fd, generation: generation, tls: tls)
    }

    /// ``answered(_:status:bytes:fd:generation:tls:)`` for deferred answers,
    /// answers without a request, and the access log (kept out of line).
    @inline(never)
    private mutating func answeredSlowly(_ slot: Int, status: Int, bytes: Int, fd: Int32, generation: UInt32, tls: UInt8) {
        let record = self[slot]
        let known = record.pointee.state != .idle
        let nanoseconds = known ? turnStart - record.pointee.start : 0
        let method = known ? record.pointee.method : HTTP1.Method.other.rawValue
        let route = known ? record.pointee.route : 0
        if metrics != nil {
            if record.pointee.state == .deferred { metrics?.adjust(.activeRequests, up: false) }
            let version = known ? record.pointee.version : 0
            metrics?.observe(RequestObserver.key(method: method, route: route, status: status, version: version),
                             nanoseconds: nanoseconds)
        }
        if accessLog != nil {
            let id = known && record.pointee.idLength > 0
                ? requestIDs?.id(slot, entry: record.pointee.idEntry, length: record.pointee.idLength) : nil
            accessLog?.append(
                slot: slot, fd: fd, generation: generation,
                method: known ? HTTP1.Method(rawValue: method) : nil, status: status, bytes: bytes,
                nanoseconds: nanoseconds, requestID: id, tls: tls, version: known ? record.pointee.version : 0)
        }
        record.pointee.state = .idle
    }

    /// The connection in `slot` closed: a request it was waiting for leaves the active ones.
    @inline(__always)
    func connectionClosed(_ slot: Int) {
        guard isOn else { return }
        if self[slot].pointee.state == .deferred { metrics?.adjust(.activeRequests, up: false) }
        self[slot].pointee.state = .idle
    }

    /// The request id of the request being answered on `slot`, for its handler.
    func requestID(_ slot: Int) -> UnsafeRawBufferPointer? {
        guard let requestIDs, self[slot].pointee.state != .idle else { return nil }
        let record = self[slot]
        return requestIDs.id(slot, entry: record.pointee.idEntry, length: record.pointee.idLength)
    }

    /// The `x-request-id: ...\r\n` line of the request being answered on `slot`, if any.
    @inline(__always)
    func idLine(_ slot: Int) -> UnsafeRawBufferPointer? {
        guard let requestIDs, self[slot].pointee.state != .idle else { return nil }
        let record = self[slot]
        return requestIDs.line(slot, entry: record.pointee.idEntry, length: record.pointee.idLength)
    }
}
