/// A range of bytes inside the buffer a request head was parsed from.
///
/// Spans are offsets, not pointers, so a head parsed from a receive buffer
/// stays meaningful after the bytes are moved (e.g. into a reassembly buffer).
public struct ByteSpan: Sendable, Equatable {
    public var offset: UInt32
    public var count: UInt32

    @inlinable
    public init(offset: Int, count: Int) {
        self.offset = UInt32(truncatingIfNeeded: offset)
        self.count = UInt32(truncatingIfNeeded: count)
    }

    public static let empty = ByteSpan(offset: 0, count: 0)

    @inlinable public var isEmpty: Bool { count == 0 }
    @inlinable public var start: Int { Int(offset) }
    @inlinable public var end: Int { Int(offset) + Int(count) }
}

/// One header field: spans of its name and of its value (optional whitespace trimmed).
public struct HeaderField: Sendable, Equatable {
    public var name: ByteSpan
    public var value: ByteSpan

    @inlinable
    public init(name: ByteSpan, value: ByteSpan) {
        self.name = name
        self.value = value
    }
}

/// The parsed request line and the header facts the connection layer needs.
///
/// Every span points into the buffer given to ``RequestParser/parse(_:headers:limits:previousLength:into:)``.
public struct RequestHead: Sendable {
    public var method: Method = .get
    /// The method token as sent (meaningful for `.other`).
    public var methodToken: ByteSpan = .empty
    /// The request-target as sent.
    public var target: ByteSpan = .empty
    /// The path of the target: origin-form up to `?`; absolute-form after the authority.
    /// Empty for an absolute-form target without a path (which means `/`) and for `*`.
    public var path: ByteSpan = .empty
    /// The query after `?` (without the `?`); empty when there is none.
    public var query: ByteSpan = .empty
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var versionMinor: UInt8 = 1
    /// Number of entries written to the caller's header array.
    public var headerCount: Int = 0
    /// `Content-Length`, or -1 when absent.
    public var contentLength: Int = -1
    /// `Transfer-Encoding` ends in `chunked`.
    public var isChunked: Bool = false
    /// A `Connection: close` token was seen.
    public var connectionClose: Bool = false
    /// A `Connection: keep-alive` token was seen.
    public var connectionKeepAlive: Bool = false
    /// `Expect: 100-continue` was sent.
    public var expectContinue: Bool = false
    /// An `Expect` other than `100-continue` was sent: answer 417 (RFC 9110 §10.1.1).
    public var unmetExpectation: Bool = false

    @inlinable public init() {}

    /// Whether the connection may stay open after the response (RFC 9112 §9.3).
    @inlinable
    public var keepAlive: Bool {
        if connectionClose { return false }
        return versionMinor >= 1 || connectionKeepAlive
    }
}

/// Why a request head was rejected; each maps to one response status.
public enum ParseError: UInt8, Sendable, Error {
    /// Malformed request line or header field, a line not ended by CRLF, bad framing headers
    /// (a final coding other than `chunked` included), missing Host: 400.
    case badRequest
    /// Request line longer than the limit: 414.
    case uriTooLong
    /// Header block or header count over the limit: 431.
    case headerFieldsTooLarge
    /// A transfer coding this parser does not implement before the final `chunked`: 501.
    case notImplemented
    /// HTTP/2 or later in the request line: 505.
    case versionNotSupported

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .uriTooLong: 414
        case .headerFieldsTooLarge: 431
        case .notImplemented: 501
        case .versionNotSupported: 505
        }
    }
}

/// Result of one parse attempt.
public enum ParseResult: Sendable, Equatable {
    /// A whole head was parsed; it occupies the first `headLength` bytes (final CRLF included).
    case complete(headLength: Int)
    /// More bytes are needed.
    case incomplete
    /// The head is invalid; answer with `error.status` and close.
    case invalid(ParseError)
}

/// Limits enforced while parsing; exceeding one is reported as an error, never a crash.
public struct ParserLimits: Sendable, Equatable {
    public var maxRequestLineLength: Int
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int

    public init(maxRequestLineLength: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
