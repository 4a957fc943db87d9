import HTTP1
import HTTPTypes

/// Encodes a handler's ``Response`` head and body into one ``OutputBuffer``,
/// with the same head encoder (and rules) as the prebuilt responses.
enum DynamicResponseEncoder {
    /// - Parameters:
    ///   - serverFields: the configuration's fields, already encoded (`engine: Ringside\r\n`).
    ///   - date: the worker's current 29-byte date.
    ///   - connection: the `connection` field line, or empty.
    static func encode(
        status: HTTPResponse.Status, fields: HTTPFields, body: UnsafeRawBufferPointer,
        framing: ResponseHeadEncoder.Framing, headOnly: Bool, serverFields: UnsafeRawBufferPointer,
        date: UnsafeRawBufferPointer, connection: UnsafeRawBufferPointer
    ) -> OutputBuffer {
        let reason = status.reasonPhrase
        // Status line, date, framing and the final CRLF fit in 160 bytes besides the reason.
        var size = 160 + reason.utf8.count + serverFields.count + connection.count
        for field in fields { size += field.name.canonicalName.utf8.count + field.value.utf8.count + 4 }
        let sendsBody = !headOnly && !ResponseHeadEncoder.isBodiless(status.code)
        var buffer = OutputBuffer.make(capacity: size + (sendsBody ? body.count : 0))
        ResponseHeadEncoder.encode(
            into: &buffer, status: status.code, reason: reason,
            fields: fields.lazy.map { (name: $0.name.canonicalName, value: $0.value) },
            serverFields: serverFields, date: date, framing: framing, connection: connection)
        if sendsBody { buffer.append(body) }
        return buffer
    }
}
