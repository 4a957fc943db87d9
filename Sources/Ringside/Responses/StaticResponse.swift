public import HTTPTypes
import Synchronization

/// A response whose bytes never change except for its `date`.
///
/// Each worker lays it out once (status line, headers, body in one buffer)
/// and sends it from that memory: no per-request copy or allocation. Serve
/// one from a route (``Router/get(_:_:)-(_,StaticResponse)``) or return it
/// from a handler as ``Response/init(_:)``; a handler's static responses are
/// prebuilt when the router knows them (``Router/prebuild(_:)``), and encoded
/// per request otherwise.
///
/// A reference type so that returning one from a handler costs a retain,
/// and so that workers can recognise it (by a unique number).
public final class StaticResponse: Sendable {
    /// The status line's code and reason.
    public let status: HTTPResponse.Status
    /// Header fields in order; `date`, `content-length` and `connection` are added by the server.
    public let headerFields: HTTPFields
    /// The body bytes, sent as they are.
    public let body: [UInt8]
    /// Unique per instance: a worker's index into its prebuilt responses.
    let id: Int

    private static let nextID = Atomic<Int>(0)

    /// A response of `body` with `headerFields` (put `content-type` first).
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: [UInt8]) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
        id = StaticResponse.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// A response with `content-type` first, as most clients expect to read it.
    public convenience init(
        status: HTTPResponse.Status = .ok, contentType: String, headerFields: HTTPFields = [:], body: [UInt8]
    ) {
        var fields: HTTPFields = [.contentType: contentType]
        fields.append(contentsOf: headerFields)
        self.init(status: status, headerFields: fields, body: body)
    }

    /// A text response (`text/plain; charset=utf-8` unless `contentType` says otherwise).
    public convenience init(
        status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8",
        headerFields: HTTPFields = [:], body: String
    ) {
        self.init(status: status, contentType: contentType, headerFields: headerFields, body: Array(body.utf8))
    }

    /// A small JSON error body: `{"error":"Not Found","status":404}`.
    static func jsonError(_ status: HTTPResponse.Status, headerFields: HTTPFields = [:]) -> StaticResponse {
        StaticResponse(
            status: status, contentType: "application/json", headerFields: headerFields,
            body: JSONError.body(status))
    }
}
