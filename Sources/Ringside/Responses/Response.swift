public import HTTPTypes
#if canImport(FoundationEssentials)
public import FoundationEssentials
#endif

/// What a handler answers: status, header fields and a body.
///
/// The server adds `date`, `content-length` (or `transfer-encoding: chunked`
/// for a stream) and `connection`, and the configuration's server fields.
/// Returning a prebuilt ``StaticResponse`` sends its laid-out bytes with no
/// encoding at all.
public struct Response: Sendable {
    enum Body: Sendable {
        case empty
        case bytes([UInt8])
        case text(String)
        case prebuilt(StaticResponse)
        /// Prebuilt, sent once the delay has passed.
        case later(StaticResponse, Duration)
        case stream(@Sendable (inout ResponseBodyWriter) async throws -> Void)
    }

    /// The status line's code and reason.
    public var status: HTTPResponse.Status
    /// Fields to send; the server's own (`date`, framing, `connection`) are dropped from here.
    public var headerFields: HTTPFields
    let body: Body

    init(status: HTTPResponse.Status, headerFields: HTTPFields, body: Body) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// A response with no body (`content-length: 0`).
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:]) {
        self.init(status: status, headerFields: headerFields, body: .empty)
    }

    /// A body of raw bytes; set `content-type` in `headerFields`.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], bytes: [UInt8]) {
        self.init(status: status, headerFields: headerFields, body: .bytes(bytes))
    }

    /// A text body, `text/plain; charset=utf-8` unless `headerFields` set a content type.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], text: String) {
        var fields = headerFields
        if fields[.contentType] == nil { fields[.contentType] = "text/plain; charset=utf-8" }
        self.init(status: status, headerFields: fields, body: .text(text))
    }

    #if canImport(FoundationEssentials)
    /// `value` encoded as JSON, `content-type: application/json`. The default
    /// encoder sorts keys, so the same value always gives the same bytes.
    public init(
        status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:],
        json value: some Encodable, encoder: JSONEncoder = Response.sortedKeysEncoder()
    ) throws {
        var fields = headerFields
        if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        self.init(status: status, headerFields: fields, body: .bytes(Array(try encoder.encode(value))))
    }

    /// A `JSONEncoder` with `.sortedKeys`.
    public static func sortedKeysEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
    #endif

    /// The prebuilt response: its bytes as laid out by the worker (see ``Router/prebuild(_:)``).
    public init(_ response: StaticResponse) {
        self.init(status: response.status, headerFields: [:], body: .prebuilt(response))
    }

    /// The prebuilt response, sent once `delay` has passed.
    ///
    /// The connection waits on an entry in its worker's timer heap: no task,
    /// no thread, no kernel timer, and nothing allocated per request, so tens
    /// of thousands of waiting answers cost their memory and nothing else
    /// until their deadlines. For a service that must answer late (a
    /// simulated slow dependency, a tarpit, a rate limiter's slowdown) without
    /// the cost of a task per request; work that really waits on something
    /// belongs in an async handler (`Task.sleep(for:clock: .worker)` there).
    ///
    /// Later requests on the connection wait behind it, as behind any
    /// handler. A delay longer than the handler timeout answers as a handler
    /// that timed out does; a connection that closes meanwhile is skipped.
    public init(_ response: StaticResponse, after delay: Duration) {
        self.init(status: response.status, headerFields: [:], body: .later(response, delay))
    }

    /// A body produced in pieces by `write`, sent with chunked transfer coding
    /// as it is written and never held whole. `write` runs on the worker's
    /// executor; each write on the ``ResponseBodyWriter`` waits while the
    /// connection has too much unsent.
    public init(
        status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:],
        stream write: @escaping @Sendable (inout ResponseBodyWriter) async throws -> Void
    ) {
        self.init(status: status, headerFields: headerFields, body: .stream(write))
    }
}
