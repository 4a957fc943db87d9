import HTTP1

/// Request bodies: read past (prebuilt routes) or collected (handlers), in
/// whichever framing the head chose, bounded by `maxBodyBytes`.
extension HTTPCore {
    /// Starts reading the body `head` announced.
    mutating func startBody(_ slot: Int, _ head: RequestHead) {
        connections[slot].pointee.body = head.isChunked
            ? .chunked(ChunkedDecoder(maxTrailerBytes: limits.maxHeaderBytes))
            : .length(remaining: head.contentLength)
    }

    /// Reads body bytes from `start`; returns the offset after them. When the
    /// body ends, its request is answered (the deferred prebuilt response, or
    /// the pending handler runs).
    mutating func consumeBody(_ slot: Int, _ input: UnsafeRawBufferPointer, from start: Int) -> Int {
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
            if let deferred = connection.pointee.deferredResponse {
                connection.pointee.deferredResponse = nil
                queueAnswer(slot, deferred.index, deferred.framing)
                if deferred.closes { connection.pointee.finishAfterFlush() }
            } else if let pending = connection.pointee.pending {
                connection.pointee.pending = nil
                run(slot, pending)
            }
        }
        return offset
    }
}
