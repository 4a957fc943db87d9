import Foundation
import HTTP1
import HTTPTypes
import Testing

@testable import Ringside

/// Prebuilt and per-request responses come out of one head encoder: the same
/// bytes for the same response, and the same rules for bodiless statuses and
/// the fields the server owns.
struct ResponseEncodingTests {
    static let server: [(name: String, value: String)] = [("engine", "Ringside")]
    static let date = Array("Sat, 28 Nov 2026 07:00:00 GMT".utf8)

    /// `response` as a worker lays it out (variant `variant`), with its date filled in.
    func prebuilt(_ response: StaticResponse, _ variant: PrebuiltResponses.Variant = .keepAlive, headOnly: Bool = false) -> String {
        let layout = PrebuiltResponses([response], serverHeaders: Self.server, now: 0)
        var text = String(decoding: layout.bytes(0, variant, headOnly: headOnly), as: UTF8.self)
        // The layout's date is the epoch's; put the fixed one in its place.
        text = text.replacingOccurrences(of: "Thu, 01 Jan 1970 00:00:00 GMT", with: String(decoding: Self.date, as: UTF8.self))
        return text
    }

    /// The same response encoded per request.
    func encoded(
        _ status: HTTPResponse.Status, _ fields: HTTPFields, body: [UInt8], connection: String = "", headOnly: Bool = false
    ) -> String {
        let serverFields = Array("engine: Ringside\r\n".utf8)
        let buffer = serverFields.withUnsafeBytes { server in
            Self.date.withUnsafeBytes { date in
                Array(connection.utf8).withUnsafeBytes { connection in
                    body.withUnsafeBytes { body in
                        DynamicResponseEncoder.encode(
                            status: status, fields: fields, body: body, framing: .contentLength(body.count),
                            headOnly: headOnly, serverFields: server, date: date, connection: connection)
                    }
                }
            }
        }
        return String(decoding: buffer.written, as: UTF8.self)
    }

    @Test func prebuiltAndEncodedAreTheSameBytes() {
        let fields: HTTPFields = [.location: "/a", .contentType: "application/json", .cacheControl: "no-store"]
        let body = Array("{\"a\":1}".utf8)
        let response = StaticResponse(status: .created, headerFields: fields, body: body)
        let expected = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nengine: Ringside\r\n"
            + "location: /a\r\ncache-control: no-store\r\ndate: Sat, 28 Nov 2026 07:00:00 GMT\r\n"
            + "content-length: 7\r\n\r\n{\"a\":1}"
        #expect(prebuilt(response) == expected)
        #expect(encoded(.created, fields, body: body) == expected)
        let closing = expected.replacingOccurrences(of: "content-length: 7\r\n", with: "content-length: 7\r\nconnection: close\r\n")
        #expect(prebuilt(response, .close) == closing)
        #expect(encoded(.created, fields, body: body, connection: "connection: close\r\n") == closing)
    }

    @Test(arguments: [HTTPResponse.Status.noContent, .notModified, .continue])
    func bodilessStatusesCarryNoFramingAndNoBody(_ status: HTTPResponse.Status) {
        let response = StaticResponse(status: status, headerFields: [:], body: Array("ignored".utf8))
        let expected = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nengine: Ringside\r\n"
            + "date: Sat, 28 Nov 2026 07:00:00 GMT\r\n\r\n"
        #expect(prebuilt(response) == expected)
        #expect(encoded(status, [:], body: Array("ignored".utf8)) == expected)
    }

    @Test func serverOwnedFieldsAreDroppedFromWhatAUserGives() {
        var fields: HTTPFields = [.contentType: "text/plain"]
        fields.append(HTTPField(name: .contentLength, value: "999"))
        fields.append(HTTPField(name: .connection, value: "keep-alive"))
        fields.append(HTTPField(name: .transferEncoding, value: "chunked"))
        fields.append(HTTPField(name: .date, value: "yesterday"))
        fields.append(HTTPField(name: .server, value: "mine"))
        let response = StaticResponse(status: .ok, headerFields: fields, body: Array("hi".utf8))
        let expected = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nengine: Ringside\r\nserver: mine\r\n"
            + "date: Sat, 28 Nov 2026 07:00:00 GMT\r\ncontent-length: 2\r\n\r\nhi"
        #expect(prebuilt(response) == expected)
        #expect(encoded(.ok, fields, body: Array("hi".utf8)) == expected)
    }

    @Test func headOnlySendsTheHeadWithTheBodysLength() {
        let response = StaticResponse(status: .ok, contentType: "text/plain", body: "hello")
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nengine: Ringside\r\n"
            + "date: Sat, 28 Nov 2026 07:00:00 GMT\r\ncontent-length: 5\r\n\r\n"
        #expect(prebuilt(response, headOnly: true) == head)
        #expect(encoded(.ok, [.contentType: "text/plain"], body: Array("hello".utf8), headOnly: true) == head)
    }
}
