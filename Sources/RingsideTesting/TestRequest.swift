public import HTTPTypes

/// A request for ``TestClient`` or ``TestConnection``: method, path, header
/// fields and body, laid out as an HTTP/1.1 client would send them; or raw
/// bytes sent exactly as given, for framing tests.
public struct TestRequest: Sendable {
    enum Form: Sendable {
        case parts(method: HTTPRequest.Method, path: String, headers: HTTPFields, body: [UInt8]?)
        case raw([UInt8], method: HTTPRequest.Method)
    }

    let form: Form

    /// A request for `path` (with its query). A `host` field is added when
    /// `headers` has none, and `content-length` when there is a body and
    /// `headers` gives no framing of its own.
    public init(method: HTTPRequest.Method = .get, path: String, headers: HTTPFields = [:], body: [UInt8]? = nil) {
        form = .parts(method: method, path: path, headers: headers, body: body)
    }

    /// A request with a text body.
    public init(method: HTTPRequest.Method, path: String, headers: HTTPFields = [:], body: String) {
        self.init(method: method, path: path, headers: headers, body: Array(body.utf8))
    }

    /// Bytes sent as given, not checked: malformed framing, pipelined
    /// requests, a head split anywhere. `method` says how to read the
    /// answer (`HEAD`: no body follows).
    public static func raw(_ bytes: [UInt8], method: HTTPRequest.Method = .get) -> TestRequest {
        TestRequest(form: .raw(bytes, method: method))
    }

    /// `raw(_:method:)` with text (write `\r\n` yourself).
    public static func raw(_ text: String, method: HTTPRequest.Method = .get) -> TestRequest {
        raw(Array(text.utf8), method: method)
    }

    private init(form: Form) { self.form = form }

    /// The method, which says whether a body can follow the answer.
    public var method: HTTPRequest.Method {
        switch form {
        case .parts(let method, _, _, _), .raw(_, let method): method
        }
    }

    /// The bytes on the wire.
    public var bytes: [UInt8] {
        switch form {
        case .raw(let bytes, _):
            return bytes
        case .parts(let method, let path, let headers, let body):
            var text = "\(method.rawValue) \(path) HTTP/1.1\r\n"
            if !headers.contains(where: { $0.name.canonicalName == "host" }) { text += "host: ringside.test\r\n" }
            for field in headers { text += "\(field.name.rawName): \(field.value)\r\n" }
            if let body, headers[.contentLength] == nil, headers[.transferEncoding] == nil {
                text += "content-length: \(body.count)\r\n"
            }
            text += "\r\n"
            return Array(text.utf8) + (body ?? [])
        }
    }
}
