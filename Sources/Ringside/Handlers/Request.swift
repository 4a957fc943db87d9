public import HTTPTypes
import HTTP1
#if canImport(FoundationEssentials)
public import FoundationEssentials
#endif

/// An HTTP request as a handler sees it: a view of the bytes the server read.
///
/// Nothing is copied or decoded until asked for: the method and spans come
/// from the parser, header lookups scan the parsed fields, and accessors that
/// return `String` or `[UInt8]` build them on demand (strings of up to 15 UTF-8
/// bytes are stored inline and allocate nothing).
///
/// A request is noncopyable and handlers borrow it, so it cannot outlive the
/// call: a sync handler's request points into the connection's receive
/// memory. Async and offloaded handlers get a request backed by its own copy.
/// To keep something, copy it out (`request.path`, `request.body`).
public struct Request: ~Copyable {
    /// The raw pieces; every span is relative to `parts.base`.
    let parts: RequestParts
    /// Keeps the bytes of an async or offloaded request alive.
    let storage: RequestStorage?

    init(parts: RequestParts, storage: RequestStorage?) {
        self.parts = parts
        self.storage = storage
    }

    /// The request method.
    public var method: HTTPRequest.Method { parts.method }

    /// The path as sent, without the query (not percent-decoded).
    public var path: String {
        let path = parts.head.path
        return path.isEmpty ? "/" : parts.string(path)
    }

    /// The request-target as sent: path and query, or absolute form.
    public var target: String { parts.string(parts.head.target) }

    /// The query after `?`, as sent; nil when the target has none.
    public var query: String? {
        let query = parts.head.query
        if query.isEmpty && !parts.hasQueryMark { return nil }
        return parts.string(query)
    }

    /// The first value of query parameter `name`, percent- and `+`-decoded;
    /// nil when absent. Scans the query: no dictionary is built.
    public func queryItem(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted in
            var found: String?
            parts.forEachQueryItem { key, value in
                guard key.elementsEqual(wanted) else { return true }
                found = PercentDecoding.string(value, plusIsSpace: true)
                return false
            }
            return found
        }
    }

    /// Every query item in order, decoded. Allocates an array.
    public var queryItems: [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        parts.forEachQueryItem { key, value in
            items.append((PercentDecoding.string(key, plusIsSpace: true), PercentDecoding.string(value, plusIsSpace: true)))
            return true
        }
        return items
    }

    /// Values captured by the route's `:name` segments and `*`.
    public var parameters: Parameters { Parameters(parts: parts) }

    /// Header fields, looked up by name without building a dictionary.
    public var headers: Headers { Headers(parts: parts) }

    /// The number of body bytes (after chunked decoding).
    public var bodyCount: Int { parts.body.count }

    /// A copy of the body (bounded by `ServerConfiguration.maxBodyBytes`).
    public var body: [UInt8] { Array(parts.body) }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var bodyText: String { String(decoding: parts.body, as: UTF8.self) }

    /// Calls `body` with the body bytes in place; they are valid only inside the call.
    public func withBodyBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(parts.body)
    }

    #if canImport(FoundationEssentials)
    /// Decodes the body as JSON. A body that does not decode throws
    /// ``HTTPError`` 400, so a handler can simply `try` it.
    public func decode<Value: Decodable>(_ type: Value.Type, decoder: JSONDecoder = JSONDecoder()) throws -> Value {
        do {
            return try decoder.decode(type, from: Data(parts.body))
        } catch {
            throw HTTPError(.badRequest, message: "request body is not valid JSON for \(Value.self)")
        }
    }
    #endif

    /// Values middleware handed to this request's handler (see ``RequestContextKey``).
    public var context: RequestContext { RequestContext(storage: storage) }

    /// The peer's address, when the socket still knows it.
    public var remoteAddress: SocketAddress? {
        if let storage { return storage.remoteAddress }
        return SocketAddress(peerOf: parts.socket)
    }

    /// The request as swift-http-types' `HTTPRequest`, for interoperability.
    ///
    /// Allocates: every field is copied into `HTTPFields`. Fields whose names
    /// or values `HTTPFields` rejects are skipped. `authority` comes from
    /// `host`; `scheme` is `http`.
    public var httpRequest: HTTPRequest {
        HTTPRequest(
            method: method, scheme: "http", authority: headers[Headers.host], path: target,
            headerFields: headers.httpFields)
    }
}

/// The raw pieces of a request: copyable, internal, valid while `base` is.
struct RequestParts: @unchecked Sendable {
    // @unchecked: plain pointers into memory whose lifetime the owner (the
    // worker's connection, or a `RequestStorage`) manages; never mutated.
    var base: UnsafeRawPointer
    var head: RequestHead
    var hasQueryMark: Bool
    var fields: UnsafeBufferPointer<HeaderField>
    /// Captured route values, in the order of `parameterNames`.
    var parameters: UnsafeBufferPointer<ByteSpan>
    var parameterNames: [String]
    var body: UnsafeRawBufferPointer
    var socket: Int32
    /// The request's `x-request-id` (when request ids are on): its bytes up
    /// to a CR, valid as long as `base`. One pointer, not a buffer: every
    /// byte here is carried through an async handler's frames.
    var requestID: UnsafeRawPointer?
    /// The worker serving it, for ``Request/logger``. Unowned: a worker's
    /// runtime outlives its handlers' tasks and offloaded jobs (which hold it).
    unowned(unsafe) var runtime: WorkerRuntime?

    /// The method (derived, not stored: the parts travel through async
    /// handlers' frames, where every byte counts toward their allocations).
    var method: HTTPRequest.Method { head.method.httpMethod }

    func bytes(_ span: ByteSpan) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + span.start, count: Int(span.count))
    }

    func string(_ span: ByteSpan) -> String { String(decoding: bytes(span), as: UTF8.self) }

    /// Calls `body` with each `name=value` of the query until it returns false.
    func forEachQueryItem(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        let query = bytes(head.query)
        var start = 0
        while start <= query.count && !query.isEmpty {
            var end = start
            while end < query.count && query[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                let item = UnsafeRawBufferPointer(rebasing: query[start..<end])
                let equals = item.firstIndex(of: UInt8(ascii: "=")) ?? item.count
                let key = UnsafeRawBufferPointer(rebasing: item[0..<equals])
                let value = UnsafeRawBufferPointer(rebasing: item[min(equals + 1, item.count)...])
                if !body(key, value) { return }
            }
            start = end + 1
        }
    }
}

/// Route parameters of a ``Request``: `/users/:id` captures `id`, `*` captures the rest.
public struct Parameters: ~Copyable {
    let parts: RequestParts

    /// The value captured for `:name`, percent-decoded; nil when the route has no such parameter.
    public subscript(name: String) -> String? {
        guard let index = parts.parameterNames.firstIndex(of: name) else { return nil }
        return PercentDecoding.string(parts.bytes(parts.parameters[index]), plusIsSpace: false)
    }

    /// The value captured for `:name`, converted; throws ``HTTPError`` 400 when
    /// missing or not convertible (`/users/abc` for an `Int` id).
    public func require<Value: LosslessStringConvertible>(_ name: String, as type: Value.Type = Value.self) throws -> Value {
        guard let text = self[name], let value = Value(text) else {
            throw HTTPError(.badRequest, message: "path parameter \(name) must be \(Value.self)")
        }
        return value
    }

    /// What the trailing `*` matched (possibly empty), or nil when the route has none.
    public var catchAll: String? { self["*"] }

    /// Captured values in route order.
    public var count: Int { parts.parameters.count }
}

/// The header fields of a ``Request``, looked up case-insensitively by name.
public struct Headers: ~Copyable {
    let parts: RequestParts

    /// `host` (swift-http-types spells it `authority` and marks the name unavailable).
    static let host = HTTPField.Name("host")!

    /// How many fields the request carries.
    public var count: Int { parts.fields.count }

    /// The first value of `name`, or nil.
    public subscript(name: HTTPField.Name) -> String? {
        withFirstValue(name) { String(decoding: $0, as: UTF8.self) }
    }

    /// Every value of `name`, in order.
    public subscript(values name: HTTPField.Name) -> [String] {
        var values: [String] = []
        forEach(named: name) { values.append(String(decoding: $0, as: UTF8.self)) }
        return values
    }

    /// Whether a field named `name` was sent.
    public func contains(_ name: HTTPField.Name) -> Bool { withFirstValue(name) { _ in true } ?? false }

    /// Calls `body` with the first value of `name` in place (valid only inside the call).
    public func withFirstValue<Result>(_ name: HTTPField.Name, _ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        var wanted = name.canonicalName  // lowercase
        return wanted.withUTF8 { wanted in
            for field in parts.fields {
                if Headers.equalsLowercased(parts.bytes(field.name), wanted) { return body(parts.bytes(field.value)) }
            }
            return nil
        }
    }

    private func forEach(named name: HTTPField.Name, _ body: (UnsafeRawBufferPointer) -> Void) {
        var wanted = name.canonicalName
        wanted.withUTF8 { wanted in
            for field in parts.fields {
                if Headers.equalsLowercased(parts.bytes(field.name), wanted) { body(parts.bytes(field.value)) }
            }
        }
    }

    /// Every field as swift-http-types' `HTTPFields`. Allocates.
    public var httpFields: HTTPFields {
        var fields = HTTPFields()
        for field in parts.fields {
            guard let name = HTTPField.Name(parts.string(field.name)) else { continue }
            fields.append(HTTPField(name: name, lenientValue: parts.bytes(field.value)))
        }
        return fields
    }

    /// ASCII case-insensitive comparison with an already-lowercase name.
    @inline(__always)
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercase: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == lowercase.count else { return false }
        for index in 0..<bytes.count {
            var byte = bytes[index]
            if byte &- UInt8(ascii: "A") < 26 { byte |= 0x20 }
            if byte != lowercase[index] { return false }
        }
        return true
    }
}
