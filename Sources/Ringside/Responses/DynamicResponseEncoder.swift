import HTTP1
import HTTPTypes

/// Encodes a handler's ``Response`` head and body into one ``OutputBuffer``.
enum DynamicResponseEncoder {
    /// How a response ends its framing.
    enum Framing {
        case contentLength(Int)
        /// A streamed body: chunked on HTTP/1.1; on HTTP/1.0, neither (the close ends it).
        case chunked
        case untilClose
    }

    /// - Parameters:
    ///   - serverFields: the configuration's fields, already encoded (`engine: Ringside\r\n`).
    ///   - date: the worker's current 29-byte date.
    ///   - connection: the `connection` field line, or empty.
    static func encode(
        status: HTTPResponse.Status, fields: HTTPFields, body: UnsafeRawBufferPointer?, framing: Framing,
        headOnly: Bool, serverFields: UnsafeRawBufferPointer, date: UnsafeRawBufferPointer,
        connection: UnsafeRawBufferPointer
    ) -> OutputBuffer {
        let reason = status.reasonPhrase.isEmpty ? ReasonPhrase.for(status.code) : status.reasonPhrase
        // Status line, date, framing and the final CRLF fit in 160 bytes besides the reason.
        var size = 160 + reason.utf8.count + serverFields.count + connection.count
        for field in fields { size += field.name.canonicalName.utf8.count + field.value.utf8.count + 4 }
        // 1xx and 204 carry neither a body nor content-length (RFC 9110 §8.6).
        let bodiless = status.code < 200 || status.code == 204
        let bodyCount = headOnly || bodiless ? 0 : (body?.count ?? 0)
        let buffer = OutputBuffer(capacity: size + bodyCount)

        buffer.append("HTTP/1.1 ")
        buffer.appendDecimal(status.code)
        buffer.append(" ")
        buffer.append(reason)
        buffer.append("\r\n")
        // The handler's content-type leads, then the server's fields, then the rest.
        if let contentType = fields[.contentType] {
            buffer.append("content-type: ")
            buffer.append(contentType)
            buffer.append("\r\n")
        }
        buffer.append(serverFields)
        for field in fields where field.name != .contentType && !isFraming(field.name) {
            buffer.append(field.name.canonicalName)
            buffer.append(": ")
            buffer.append(field.value)
            buffer.append("\r\n")
        }
        buffer.append("date: ")
        buffer.append(date)
        buffer.append("\r\n")
        switch bodiless ? .untilClose : framing {
        case .contentLength(let length):
            buffer.append("content-length: ")
            buffer.appendDecimal(length)
            buffer.append("\r\n")
        case .chunked:
            buffer.append("transfer-encoding: chunked\r\n")
        case .untilClose:
            break
        }
        buffer.append(connection)
        buffer.append("\r\n")
        if !headOnly && !bodiless, let body { buffer.append(body) }
        return buffer
    }

    /// Fields the server owns: a handler's values for them are dropped.
    static func isFraming(_ name: HTTPField.Name) -> Bool {
        name == .contentLength || name == .transferEncoding || name == .connection || name == .date
    }
}
