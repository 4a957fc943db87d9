import HTTP1

extension HTTPClient {
    /// A request laid out once as the bytes it is sent as: request line,
    /// fields, framing and body. Build a fixed request once and execute it as
    /// often as needed: each call sends these bytes as they are, with the
    /// pool's `host` line (laid out once per worker) between the request line
    /// and the fields, and copies nothing.
    public struct Request: Sendable {
        /// The method.
        public let method: HTTPRequest.Method
        /// The request target: an absolute path with an optional query (`/v1/avatar?size=2`).
        public let path: String
        /// The fields as given (the client's own are dropped: see ``HTTPClient/Configuration/headerFields``).
        public let headerFields: HTTPFields
        /// The length of the body (0 without one).
        public let bodyCount: Int
        // Written once in `init`, then only read (by sends on any worker).
        nonisolated(unsafe) let bytes: OutputBuffer
        /// The request line's length, CRLF included: the pool's `host` line goes after it.
        let lineLength: Int

        /// Lays out `method path HTTP/1.1`, `headerFields`, `content-length`
        /// when there is a body (or the method usually has one) and `body`.
        ///
        /// Throws ``HTTPClientError/invalidRequest(_:)`` for a path that is
        /// not `/` followed by visible ASCII (percent-encode the rest).
        public init(
            method: HTTPRequest.Method = .get, path: String, headerFields: HTTPFields = [:], body: [UInt8]? = nil
        ) throws(HTTPClientError) {
            guard path.utf8.first == UInt8(ascii: "/") || (path == "*" && method == .options),
                  path.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
                throw .invalidRequest("the path must be / followed by visible ASCII")
            }
            self.method = method
            self.path = path
            self.headerFields = headerFields
            bodyCount = body?.count ?? 0
            let fields = headerFields.filter { !ClientFields.isClientOwned($0.name) }
            let framed = body != nil || method == .post || method == .put || method == .patch
            lineLength = method.rawValue.utf8.count + 1 + path.utf8.count + 11
            var size = lineLength + ClientFields.encodedSize(fields) + 2 + bodyCount
            if framed { size += 16 + 20 + 2 }
            var buffer = OutputBuffer.make(capacity: size)
            buffer.append(method.rawValue)
            buffer.append(" ")
            buffer.append(path)
            buffer.append(" HTTP/1.1\r\n")
            ClientFields.append(fields, to: &buffer)
            if framed {
                buffer.append("content-length: ")
                buffer.appendDecimal(bodyCount)
                buffer.append("\r\n")
            }
            buffer.append("\r\n")
            body?.withUnsafeBytes { buffer.append($0) }
            bytes = buffer
        }

        /// Whether the request may be sent again after a failure (RFC 9110 §9.2.2).
        var isIdempotent: Bool {
            switch method {
            case .get, .head, .put, .delete, .options, .trace: true
            default: false
            }
        }

        /// The request line, then the rest (fields, framing, body), as they are sent.
        var line: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes.written[..<lineLength]) }
        var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes.written[lineLength...]) }
    }
}

/// Request fields as the client writes them.
enum ClientFields {
    /// `host`, `content-length`, `transfer-encoding` and `connection` are the client's to write.
    static func isClientOwned(_ name: HTTPField.Name) -> Bool {
        name == Headers.host || name == .contentLength || name == .transferEncoding || name == .connection
    }

    static func encodedSize(_ fields: some Sequence<HTTPField>) -> Int {
        fields.reduce(0) { $0 + $1.name.canonicalName.utf8.count + $1.value.utf8.count + 4 }
    }

    static func append<Sink: ByteSink>(_ fields: some Sequence<HTTPField>, to sink: inout Sink) {
        for field in fields {
            sink.append(field.name.canonicalName)
            sink.append(": ")
            sink.append(field.value)
            sink.append("\r\n")
        }
    }
}
