import HTTP1

/// Reads request bodies in whichever framing their head chose, bounded by
/// `maxBodyBytes`: the bytes go to the request a handler waits for, or are
/// read past and dropped (a prebuilt route answers from the head alone). It
/// decides how far a body got; the HTTP core acts on it.
struct BodyReader {
    let maxBodyBytes: Int
    /// A chunked body's trailer section is bounded as a head is.
    let maxTrailerBytes: Int

    /// How far a read got.
    enum Progress {
        /// The body goes on past these bytes.
        case needMore
        /// The body ended.
        case ended
        /// A chunked body went past `maxBodyBytes` (413).
        case tooLarge
        /// The chunked framing is broken (400).
        case invalid
    }

    /// The body `head` announced, to be read.
    func start(_ head: RequestHead) -> Connection.Body {
        head.isChunked ? .chunked(ChunkedDecoder(maxTrailerBytes: maxTrailerBytes)) : .length(remaining: head.contentLength)
    }

    /// Reads `body` from `input[offset...]`, moving `offset` past what it
    /// used and appending the body's bytes to `request` (nil: dropped).
    func read(
        _ body: inout Connection.Body, _ input: UnsafeRawBufferPointer, offset: inout Int, into request: PendingRequest?
    ) -> Progress {
        switch body {
        case .none:
            return .ended
        case .length(let remaining):
            let count = min(remaining, input.count - offset)
            request?.body.append(contentsOf: input[offset..<offset + count])
            offset += count
            body = remaining == count ? .none : .length(remaining: remaining - count)
            return remaining == count ? .ended : .needMore
        case .chunked(var decoder):
            while true {
                switch decoder.step(UnsafeRawBufferPointer(rebasing: input[offset...])) {
                case .data(let start, let count, let consumed):
                    request?.body.append(contentsOf: input[(offset + start)..<(offset + start + count)])
                    offset += consumed
                    if decoder.bodyBytes > maxBodyBytes { return .tooLarge }
                case .needMore(let consumed):
                    offset += consumed
                    body = .chunked(decoder)
                    return .needMore
                case .end(let consumed):
                    offset += consumed
                    body = .none
                    return .ended
                case .invalid:
                    return .invalid
                }
            }
        }
    }
}
