public import HTTPTypes

/// A whole response as ``TestClient`` or ``TestConnection`` read it.
public struct TestResponse: Sendable {
    /// The status code and reason phrase as sent.
    public var status: HTTPResponse.Status
    /// The header fields in the order sent.
    public var headers: HTTPFields
    /// The body, decoded from chunked framing where it was chunked.
    public var body: [UInt8]
    /// `HTTP/1.0` or `HTTP/1.1`, as the status line said.
    public var version: String
    /// The head's bytes, status line to the empty line, as sent.
    public var rawHead: [UInt8]
    /// Whether the server keeps the connection open after this response.
    public var keepAlive: Bool

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose body is read as it arrives (a streamed or large answer).
public struct TestStreamingResponse: Sendable {
    /// The status code and reason phrase as sent.
    public var status: HTTPResponse.Status
    /// The header fields in the order sent.
    public var headers: HTTPFields
    /// The body's bytes as they arrive (chunk framing removed); ends with the body.
    public var body: TestResponseBody
}

/// The body of a ``TestStreamingResponse``: each element is what arrived
/// since the last one. Read it once.
public struct TestResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let connection: TestConnection

    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: TestConnection

        public mutating func next() async throws -> [UInt8]? {
            try await connection.nextBodyPart()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(connection: connection) }

    /// The rest of the body, whole.
    public func collect() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await part in self { bytes += part }
        return bytes
    }
}
