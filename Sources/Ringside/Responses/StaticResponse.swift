import HTTP1

/// A response whose bytes never change except for its `date`.
///
/// Each worker lays it out once (status line, headers, body in one buffer)
/// and sends it from that memory: no per-request copy or allocation.
public struct StaticResponse: Sendable {
    public var status: Int
    /// Header fields in order; `date`, `content-length` and `connection` are added by the server.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with `content-type` first, as most clients expect to read it.
    public init(status: Int = 200, contentType: String, headers: [(name: String, value: String)] = [], body: [UInt8]) {
        self.init(status: status, headers: [("content-type", contentType)] + headers, body: body)
    }

    /// A small JSON error body: `{"error":"Not Found","status":404}`.
    static func jsonError(_ status: Int, headers: [(name: String, value: String)] = []) -> StaticResponse {
        StaticResponse(
            status: status,
            contentType: "application/json",
            headers: headers,
            body: Array("{\"error\":\"\(ReasonPhrase.for(status))\",\"status\":\(status)}".utf8)
        )
    }
}
