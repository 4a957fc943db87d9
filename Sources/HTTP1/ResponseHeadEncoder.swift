/// Where a response head is written: a growing array when a worker lays out
/// its prebuilt responses, a fixed buffer for each handler's answer.
public protocol ByteSink {
    /// Bytes written so far.
    var count: Int { get }
    mutating func append(_ bytes: UnsafeRawBufferPointer)
}

extension ByteSink {
    /// Appends the UTF-8 of `text`.
    @inlinable
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends `value` in decimal.
    @inlinable
    public mutating func appendDecimal(_ value: Int) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: any Int fits
        withUnsafeMutableBytes(of: &scratch) { digits in
            var position = digits.count
            var remaining = value.magnitude
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            append(UnsafeRawBufferPointer(rebasing: digits[position...]))
        }
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inlinable
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}

/// The one encoder of response heads, for prebuilt and per-request responses
/// alike, so both follow the same rules:
///
/// - the status line, then the first `content-type` field, then the server's
///   own fields, then the rest in order, then `date`, the framing field, the
///   `connection` line and the empty line;
/// - fields the server owns (`content-length`, `transfer-encoding`,
///   `connection`, `date`) are dropped from what a user gives;
/// - 1xx, 204 and 304 carry no framing field and no body (RFC 9110 §6.4.1,
///   §8.6, §15.3.5, §15.4.5).
public enum ResponseHeadEncoder {
    /// How a body's end is marked.
    public enum Framing: Sendable {
        case contentLength(Int)
        case chunked
        /// Neither: the close ends the body (a stream to an HTTP/1.0 client).
        case untilClose
    }

    /// Whether `status` never carries a body or framing fields.
    @inlinable
    public static func isBodiless(_ status: Int) -> Bool {
        status < 200 || status == 204 || status == 304
    }

    /// Whether a field of this (lowercase) name is the server's to write.
    @inlinable
    public static func isServerOwned(_ lowercaseName: String) -> Bool {
        switch lowercaseName {
        case "content-length", "transfer-encoding", "connection", "date": true
        default: false
        }
    }

    /// Writes a response head into `sink`.
    ///
    /// - Parameters:
    ///   - sink: where the bytes go.
    ///   - status: the status code.
    ///   - reason: the reason phrase, or empty for the standard one.
    ///   - fields: the response's fields as (lowercase name, value), CR and LF free.
    ///   - serverFields: the server's fields, already encoded (`engine: Ringside\r\n`).
    ///   - date: the 29-byte date, or nil for a placeholder to patch in place later.
    ///   - framing: how the body's end is marked (ignored for bodiless statuses).
    ///   - connection: the whole `connection` line, or empty.
    /// - Returns: where the date value starts in `sink` when a placeholder was written.
    @inlinable
    @discardableResult
    public static func encode<Sink: ByteSink, Fields: Collection>(
        into sink: inout Sink, status: Int, reason: String, fields: Fields,
        serverFields: UnsafeRawBufferPointer, date: UnsafeRawBufferPointer?, framing: Framing,
        connection: UnsafeRawBufferPointer
    ) -> Int? where Fields.Element == (name: String, value: String) {
        sink.append("HTTP/1.1 ")
        sink.appendDecimal(status)
        sink.append(" ")
        sink.append(reason.isEmpty ? ReasonPhrase.for(status) : reason)
        sink.append("\r\n")
        // Clients read content-type first most often; it leads.
        let contentType = fields.firstIndex { $0.name == "content-type" }
        if let contentType { appendField(&sink, fields[contentType]) }
        sink.append(serverFields)
        for index in fields.indices where index != contentType {
            let field = fields[index]
            if !isServerOwned(field.name) { appendField(&sink, field) }
        }
        sink.append("date: ")
        var dateOffset: Int?
        if let date {
            sink.append(date)
        } else {
            dateOffset = sink.count
            sink.append(String(repeating: " ", count: HTTPDate.length))
        }
        sink.append("\r\n")
        switch isBodiless(status) ? .untilClose : framing {
        case .contentLength(let length):
            sink.append("content-length: ")
            sink.appendDecimal(length)
            sink.append("\r\n")
        case .chunked:
            sink.append("transfer-encoding: chunked\r\n")
        case .untilClose:
            break
        }
        sink.append(connection)
        sink.append("\r\n")
        return dateOffset
    }

    @inlinable
    static func appendField<Sink: ByteSink>(_ sink: inout Sink, _ field: (name: String, value: String)) {
        sink.append(field.name)
        sink.append(": ")
        sink.append(field.value)
        sink.append("\r\n")
    }
}
