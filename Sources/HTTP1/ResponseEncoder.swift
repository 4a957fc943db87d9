/// Lays out complete HTTP/1.1 responses once, ahead of time.
///
/// Runs when routes are built, not per request, so it may allocate. The date
/// field gets a placeholder of the right length; its offset is returned so the
/// owner can keep it current in place (see ``DateCache``).
public enum ResponseEncoder {
    /// A response laid out as bytes.
    public struct Encoded: Sendable {
        /// Status line, headers, blank line, body.
        public var bytes: [UInt8]
        /// Bytes up to and including the blank line: what HEAD sends.
        public var headLength: Int
        /// Offset of the 29-byte date value, if a date field was written.
        public var dateOffset: Int?
    }

    /// Encodes `status` (with `reason`, or the standard phrase when empty), then `headers` in order, then `date` (if asked),
    /// `content-length` and `connection` (if given), then the body.
    ///
    /// - Precondition: header names and values contain no CR or LF.
    public static func encode(
        status: Int,
        reason: String = "",
        headers: [(name: String, value: String)],
        body: [UInt8],
        includeDate: Bool = true,
        connection: String? = nil
    ) -> Encoded {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + body.count)
        bytes += Array("HTTP/1.1 \(status) \(reason.isEmpty ? ReasonPhrase.for(status) : reason)\r\n".utf8)
        for header in headers {
            precondition(!header.name.utf8.contains(where: { $0 == 13 || $0 == 10 }), "CR/LF in header name")
            precondition(!header.value.utf8.contains(where: { $0 == 13 || $0 == 10 }), "CR/LF in header value")
            bytes += Array("\(header.name): \(header.value)\r\n".utf8)
        }
        var dateOffset: Int?
        if includeDate {
            bytes += Array("date: ".utf8)
            dateOffset = bytes.count
            bytes += [UInt8](repeating: UInt8(ascii: " "), count: HTTPDate.length)
            bytes += [13, 10]
        }
        bytes += Array("content-length: \(body.count)\r\n".utf8)
        if let connection {
            bytes += Array("connection: \(connection)\r\n".utf8)
        }
        bytes += [13, 10]
        let headLength = bytes.count
        bytes += body
        return Encoded(bytes: bytes, headLength: headLength, dateOffset: dateOffset)
    }
}

/// Reason phrases for the statuses a server commonly sends (RFC 9110 §15).
public enum ReasonPhrase {
    public static func `for`(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 417: "Expectation Failed"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
