import HTTP1

/// Reads one response off a connection: received bytes in, a whole
/// ``HTTPClient/Response`` or an error out. No I/O.
///
/// A head that arrives whole is parsed where the kernel put it; one split
/// across receives is gathered in a buffer allocated the first time a
/// connection needs it (and kept for its next responses). Interim 1xx heads
/// are skipped. The body goes straight into the response's array, sized
/// from `content-length` up front.
struct ClientResponseReader {
    enum Outcome {
        /// More bytes are needed.
        case needMore
        /// The response is complete (``takeResponse()``); `reusable` when the
        /// connection may carry another request (keep-alive, and nothing
        /// arrived after the body).
        case complete(reusable: Bool)
        case failed(HTTPClientError)
    }

    private enum Stage {
        case idle, head, body, done
    }

    private var stage = Stage.idle
    private var requestWasHead = false
    private var maxHeadBytes = 0
    private var maxBodyBytes = 0
    private var framing = ResponseBodyFraming.none
    private var remaining = 0
    private var decoder = ChunkedDecoder()
    private var keepAlive = false
    private var head: [UInt8] = []
    private var body: [UInt8] = []
    /// A head split across receives, gathered.
    private var pending: UnsafeMutableRawPointer?
    private var pendingCapacity = 0
    private var pendingCount = 0
    /// Head bytes seen so far, interim heads included (bounded by `maxHeadBytes`).
    private var headBytesSeen = 0

    /// Whether any byte of the current response arrived.
    private(set) var started = false

    /// The head is in; the body is being read.
    var isReadingBody: Bool { stage == .body }

    /// Gets ready for the response to a request (`HEAD`: no body follows).
    mutating func begin(requestWasHead: Bool, maxHeadBytes: Int, maxBodyBytes: Int) {
        stage = .head
        self.requestWasHead = requestWasHead
        self.maxHeadBytes = maxHeadBytes
        self.maxBodyBytes = maxBodyBytes
        pendingCount = 0
        headBytesSeen = 0
        started = false
    }

    /// Feeds received bytes; `fields` is scratch space for the parser.
    mutating func read(_ bytes: UnsafeRawBufferPointer, fields: UnsafeMutableBufferPointer<HeaderField>) -> Outcome {
        guard stage == .head || stage == .body else { return stage == .done ? .complete(reusable: false) : .needMore }
        if !bytes.isEmpty { started = true }
        var input = bytes
        while stage == .head {
            if pendingCount == 0 {
                var parsed = ResponseHead()
                switch parseHead(input, fields: fields, into: &parsed) {
                case .complete(let length):
                    if let failure = headParsed(input, length: length, parsed) { return failure }
                    input = UnsafeRawBufferPointer(rebasing: input[length...])
                case .incomplete:
                    gather(input)
                    return .needMore
                case .invalid(let error):
                    return .failed(Self.error(error))
                }
            } else {
                let taken = min(input.count, maxHeadBytes - headBytesSeen - pendingCount + 1)
                gather(UnsafeRawBufferPointer(rebasing: input[..<taken]))
                input = UnsafeRawBufferPointer(rebasing: input[taken...])
                let gathered = UnsafeRawBufferPointer(start: pending, count: pendingCount)
                var parsed = ResponseHead()
                switch parseHead(gathered, fields: fields, into: &parsed) {
                case .complete(let length):
                    if let failure = headParsed(gathered, length: length, parsed) { return failure }
                    let rest = pendingCount - length
                    pendingCount = 0
                    if rest > 0 {
                        if stage == .head {
                            // Another head after an interim one: it starts the gathering again.
                            pending!.copyMemory(from: pending! + length, byteCount: rest)
                            pendingCount = rest
                            continue
                        }
                        if let outcome = readBody(UnsafeRawBufferPointer(start: pending! + length, count: rest)) {
                            return outcome
                        }
                    }
                case .incomplete:
                    return input.isEmpty ? .needMore : .failed(.tooLarge)
                case .invalid(let error):
                    return .failed(Self.error(error))
                }
            }
        }
        return readBody(input) ?? .needMore
    }

    /// The connection reached EOF: a close-delimited body ends here; anything else ended early.
    mutating func peerFinished() -> Outcome {
        guard stage == .body, case .untilClose = framing else { return .failed(.closedEarly) }
        stage = .done
        return .complete(reusable: false)
    }

    /// The complete response; the reader is idle afterwards.
    mutating func takeResponse() -> HTTPClient.Response {
        stage = .idle
        let response = HTTPClient.Response(head: head, body: body)
        head = []
        body = []
        return response
    }

    /// Forgets the response under way and gives back the gathering buffer.
    mutating func reset() {
        stage = .idle
        head = []
        body = []
        pending?.deallocate()
        pending = nil
        pendingCapacity = 0
        pendingCount = 0
    }

    // MARK: Head

    private func parseHead(
        _ bytes: UnsafeRawBufferPointer, fields: UnsafeMutableBufferPointer<HeaderField>, into parsed: inout ResponseHead
    ) -> ResponseParseResult {
        ResponseParser.parse(bytes, headers: fields, maxHeadBytes: maxHeadBytes - headBytesSeen, into: &parsed)
    }

    /// `parsed`, the head in the first `length` bytes of `bytes`, decides what follows.
    private mutating func headParsed(_ bytes: UnsafeRawBufferPointer, length: Int, _ parsed: ResponseHead) -> Outcome? {
        headBytesSeen += length
        if parsed.isInterim {
            // 101 would switch protocols, which this client never asks for.
            return parsed.status == 101 ? .failed(.malformedResponse("101 without an upgrade request")) : nil
        }
        head = Array(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
        keepAlive = parsed.keepAlive
        framing = parsed.bodyFraming(requestWasHead: requestWasHead)
        stage = .body
        switch framing {
        case .none:
            stage = .done
        case .length(let count):
            guard count <= maxBodyBytes else { return .failed(.tooLarge) }
            remaining = count
            if count == 0 { stage = .done } else { body.reserveCapacity(count) }
        case .chunked:
            decoder = ChunkedDecoder()
        case .untilClose:
            keepAlive = false
        }
        return nil
    }

    /// Keeps bytes of an unfinished head.
    private mutating func gather(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if pending == nil || pendingCapacity < maxHeadBytes + 1 {
            let larger = UnsafeMutableRawPointer.allocate(byteCount: maxHeadBytes + 1, alignment: 16)
            if let pending {
                larger.copyMemory(from: pending, byteCount: pendingCount)
                pending.deallocate()
            }
            pending = larger
            pendingCapacity = maxHeadBytes + 1
        }
        (pending! + pendingCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        pendingCount += bytes.count
    }

    private static func error(_ error: ResponseParseError) -> HTTPClientError {
        switch error {
        case .tooLarge, .tooManyFields: .tooLarge
        default: .malformedResponse("\(error)")
        }
    }

    // MARK: Body

    /// Takes body bytes; nil while more are needed.
    private mutating func readBody(_ bytes: UnsafeRawBufferPointer) -> Outcome? {
        var input = bytes
        while true {
            if stage == .done {
                // Bytes after the body: the upstream sent more than it framed.
                return .complete(reusable: keepAlive && input.isEmpty)
            }
            guard !input.isEmpty else { return nil }
            switch framing {
            case .length:
                let take = min(remaining, input.count)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<take]))
                remaining -= take
                input = UnsafeRawBufferPointer(rebasing: input[take...])
                if remaining == 0 { stage = .done }
            case .chunked:
                switch decoder.step(input) {
                case .data(let offset, let count, let consumed):
                    guard body.count + count <= maxBodyBytes else { return .failed(.tooLarge) }
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + count)]))
                    input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                case .needMore:
                    return nil
                case .end(let consumed):
                    input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                    stage = .done
                case .invalid:
                    return .failed(.malformedResponse("chunked body"))
                }
            case .untilClose:
                guard body.count + input.count <= maxBodyBytes else { return .failed(.tooLarge) }
                body.append(contentsOf: input)
                return nil
            case .none:
                stage = .done
            }
        }
    }
}
