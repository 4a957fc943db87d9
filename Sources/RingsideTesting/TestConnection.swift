import HTTP1
public import HTTPTypes

/// One connection to the server under test, for tests that need control
/// over the bytes: pipelining, a head split across writes, malformed
/// framing, a half-close, what the server does after an answer.
///
/// Reads wait at most ``timeout`` for each arrival and throw
/// ``TestClientError/timedOut(waitingFor:)`` past it. Get one from
/// ``TestClient/connect()``; it is closed when the test ends.
public actor TestConnection {
    /// How long each read waits for the server.
    public let timeout: Duration
    private let stream: any ByteStream
    /// Received and not yet read as a response.
    private var input: [UInt8] = []
    /// The server ended the connection (EOF read).
    private var atEnd = false
    /// Where the body being read stands.
    private var body = BodyFraming.done

    init(stream: any ByteStream, timeout: Duration) {
        self.stream = stream
        self.timeout = timeout
    }

    // MARK: Writing

    /// Sends `request`'s bytes.
    public func send(_ request: TestRequest) async throws { try await write(request.bytes) }

    /// Sends bytes as given.
    public func write(_ bytes: [UInt8]) async throws { try await stream.write(bytes) }

    /// Sends text as given (write `\r\n` yourself).
    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }

    /// Half-closes: the server reads EOF after what was written; reading goes on.
    public func finishWriting() async { await stream.finishWriting() }

    /// Closes the connection.
    public func close() async { await stream.close() }

    // MARK: Reading

    /// Sends `request` and reads its final response (interim 1xx answers skipped).
    public func execute(_ request: TestRequest) async throws -> TestResponse {
        try await send(request)
        while true {
            let response = try await readResponse(to: request.method)
            if response.status.kind != .informational || response.status.code == 101 { return response }
        }
    }

    /// Reads the next response, interim ones included, whole. `method` is
    /// the request's (after `HEAD` no body follows, whatever the head says).
    public func readResponse(to method: HTTPRequest.Method = .get) async throws -> TestResponse {
        var response = try await readHead(to: method)
        while let part = try await nextBodyPart() { response.body += part }
        return response
    }

    /// Reads the next response's head; its body is read as it arrives.
    public func readStreamingResponse(to method: HTTPRequest.Method = .get) async throws -> TestStreamingResponse {
        let head = try await readHead(to: method)
        return TestStreamingResponse(status: head.status, headers: head.headers, body: TestResponseBody(connection: self))
    }

    /// Everything the server sends until it closes the connection.
    public func readUntilClosed() async throws -> [UInt8] {
        while try await fill() {}
        defer { input = [] }
        return input
    }

    /// Whether the server ends the connection within `wait`, bytes it sent
    /// before that discarded. False when it is still open then.
    public func closesWithin(_ wait: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + wait
        while try await receive(until: deadline) {}
        guard atEnd else { return false }
        input = []
        return true
    }

    /// Whether bytes arrive within `wait` (they are kept for the next read).
    public func receivesWithin(_ wait: Duration) async throws -> Bool {
        if input.isEmpty { _ = try await receive(until: .now + wait) }
        return !input.isEmpty
    }

    // MARK: Parsing

    private func readHead(to method: HTTPRequest.Method) async throws -> TestResponse {
        let maxHeadBytes = 1 << 16
        let fields = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: 256)
        defer { fields.deallocate() }
        while true {
            var head = ResponseHead()
            let result = input.withUnsafeBytes {
                ResponseParser.parse($0, headers: fields, maxHeadBytes: maxHeadBytes, into: &head)
            }
            switch result {
            case .complete(let length):
                let response = try makeResponse(head, fields: fields, length: length)
                input.removeFirst(length)
                switch head.bodyFraming(requestWasHead: method == .head) {
                case .none: body = .done
                case .length(let count): body = .length(left: count)
                case .chunked: body = .chunked(ChunkedDecoder())
                case .untilClose: body = .untilClose
                }
                return response
            case .incomplete:
                guard try await fill(waitingFor: "a response head") else {
                    throw TestClientError.closedBeforeResponse(received: input)
                }
            case .invalid(let error):
                throw TestClientError.invalidResponse("\(error) in \(String(decoding: input.prefix(300), as: UTF8.self).debugDescription)")
            }
        }
    }

    private func makeResponse(
        _ head: ResponseHead, fields: UnsafeMutableBufferPointer<HeaderField>, length: Int
    ) throws -> TestResponse {
        func text(_ span: ByteSpan) -> String { String(decoding: input[span.start..<span.end], as: UTF8.self) }
        var headers = HTTPFields()
        for field in fields[..<head.headerCount] {
            guard let name = HTTPField.Name(text(field.name)) else {
                throw TestClientError.invalidResponse("field name \(text(field.name).debugDescription)")
            }
            headers.append(HTTPField(name: name, value: text(field.value)))
        }
        let framing = head.bodyFraming(requestWasHead: false)
        return TestResponse(
            status: HTTPResponse.Status(code: head.status, reasonPhrase: text(head.reason)),
            headers: headers, body: [], version: head.versionMinor == 0 ? "HTTP/1.0" : "HTTP/1.1",
            rawHead: Array(input[..<length]), keepAlive: head.keepAlive && framing != .untilClose)
    }

    /// The body's next bytes as they arrive; nil once it is complete.
    func nextBodyPart() async throws -> [UInt8]? {
        while true {
            switch body {
            case .done:
                return nil
            case .length(let left):
                if left == 0 {
                    body = .done
                    return nil
                }
                if input.isEmpty {
                    guard try await fill(waitingFor: "the body (\(left) bytes to come)") else {
                        throw TestClientError.closedBeforeResponse(received: input)
                    }
                }
                let count = min(left, input.count)
                let part = Array(input[..<count])
                input.removeFirst(count)
                body = .length(left: left - count)
                return part
            case .untilClose:
                if input.isEmpty, try await !fill(waitingFor: "the body (until the server closes)") {
                    body = .done
                    return nil
                }
                defer { input = [] }
                return input
            case .chunked(var decoder):
                if input.isEmpty {
                    guard try await fill(waitingFor: "the chunked body") else {
                        throw TestClientError.closedBeforeResponse(received: input)
                    }
                }
                let step = input.withUnsafeBytes { decoder.step($0) }
                body = .chunked(decoder)
                switch step {
                case .data(let offset, let count, let consumed):
                    let part = Array(input[offset..<(offset + count)])
                    input.removeFirst(consumed)
                    return part
                case .needMore(let consumed):
                    input.removeFirst(consumed)
                    guard try await fill(waitingFor: "the chunked body") else {
                        throw TestClientError.closedBeforeResponse(received: input)
                    }
                case .end(let consumed):
                    input.removeFirst(consumed)
                    body = .done
                    return nil
                case .invalid:
                    throw TestClientError.invalidResponse("malformed chunked body")
                }
            }
        }
    }

    /// Reads once more, waiting at most the connection's timeout; false at EOF.
    private func fill(waitingFor what: String = "the server to close") async throws -> Bool {
        guard !atEnd else { return false }
        guard try await receive(until: .now + timeout) else {
            if atEnd { return false }
            throw TestClientError.timedOut(waitingFor: what)
        }
        return true
    }

    /// Appends what arrives before `deadline` to `input`: true when bytes came,
    /// false at EOF (`atEnd`) or when nothing came in time.
    private func receive(until deadline: ContinuousClock.Instant) async throws -> Bool {
        guard !atEnd else { return false }
        do {
            guard let bytes = try await stream.read(until: deadline) else {
                atEnd = true
                return false
            }
            input += bytes
            return true
        } catch TestClientError.timedOut {
            return false
        }
    }

    /// How the body being read ends.
    private enum BodyFraming {
        case done
        case length(left: Int)
        case chunked(ChunkedDecoder)
        case untilClose
    }
}
