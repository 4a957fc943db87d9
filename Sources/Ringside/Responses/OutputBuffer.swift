import HTTP1
import HTTPTypes

/// Bytes a handler's response is encoded into, owned until the send completes.
///
/// One allocation per dynamic response (the object and its tail bytes); the
/// connection keeps a retained reference next to the iovec that points into
/// it and releases it once the kernel has taken the bytes.
final class OutputBuffer {
    let bytes: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(capacity: Int) {
        bytes = .allocate(byteCount: max(capacity, 1), alignment: 16)
    }

    deinit { bytes.deallocate() }

    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<count]) }

    @inline(__always)
    func append(_ source: UnsafeRawBufferPointer) {
        guard !source.isEmpty else { return }
        precondition(count + source.count <= bytes.count, "output buffer overflow")
        (bytes.baseAddress! + count).copyMemory(from: source.baseAddress!, byteCount: source.count)
        count += source.count
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    func appendDecimal(_ value: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        withUnsafeMutableBytes(of: &digits) { scratch in
            var position = scratch.count
            var remaining = value
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[position...]))
        }
    }

    func appendHex(_ value: Int) {
        var digits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            var position = scratch.count
            var remaining = value
            repeat {
                position -= 1
                let digit = UInt8(remaining & 15)
                scratch[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                remaining >>= 4
            } while remaining > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[position...]))
        }
    }
}

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
