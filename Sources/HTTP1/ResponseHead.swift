/// The parsed status line and the header facts a client needs to read the body
/// and decide whether the connection can be reused.
///
/// Every span points into the buffer given to
/// ``ResponseParser/parse(_:headers:maxHeadBytes:into:)``.
public struct ResponseHead: Sendable, Equatable {
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x).
    public var versionMinor: UInt8 = 1
    /// The three-digit status code, 100...599.
    public var status: Int = 0
    /// The reason phrase as sent (possibly empty).
    public var reason: ByteSpan = .empty
    /// Number of entries written to the caller's header array.
    public var headerCount: Int = 0
    /// `Content-Length`, or -1 when absent.
    public var contentLength: Int = -1
    /// `Transfer-Encoding: chunked` (the only coding accepted).
    public var isChunked: Bool = false
    /// A `Connection: close` token was seen.
    public var connectionClose: Bool = false
    /// A `Connection: keep-alive` token was seen.
    public var connectionKeepAlive: Bool = false

    @inlinable public init() {}

    /// An interim (1xx) response: another head follows on the same connection.
    @inlinable public var isInterim: Bool { status < 200 }

    /// Whether the server keeps the connection open after this response (RFC 9112 §9.3);
    /// a body read until close ends it regardless.
    @inlinable
    public var keepAlive: Bool {
        if connectionClose { return false }
        return versionMinor >= 1 || connectionKeepAlive
    }

    /// How the body that follows this head is delimited (RFC 9112 §6.3).
    /// - Parameter requestWasHead: the request was `HEAD`, so no body follows whatever the fields say.
    @inlinable
    public func bodyFraming(requestWasHead: Bool) -> ResponseBodyFraming {
        if requestWasHead || status < 200 || status == 204 || status == 304 { return .none }
        if isChunked { return .chunked }
        if contentLength >= 0 { return .length(contentLength) }
        return .untilClose
    }
}

/// How a response body is delimited.
public enum ResponseBodyFraming: Sendable, Equatable {
    /// No body (HEAD, 1xx, 204, 304).
    case none
    /// Exactly this many bytes.
    case length(Int)
    /// Chunked transfer coding (decode with ``ChunkedDecoder``).
    case chunked
    /// Everything until the server closes the connection.
    case untilClose
}

/// Why a response head was rejected. A client treats every one as a broken
/// upstream and closes the connection.
public enum ResponseParseError: UInt8, Sendable, Error {
    /// Not `HTTP/1.x SP 3DIGIT SP reason CRLF`, or a status code outside 100...599.
    case statusLine
    /// A version other than HTTP/1.x.
    case version
    /// A line ending in a bare LF, or a CR not followed by LF.
    case lineEnding
    /// A malformed field line: no name, whitespace before the colon, obs-fold, a bad byte.
    case fieldLine
    /// A `Content-Length` that is not 1*DIGIT, overflows, or is repeated.
    case contentLength
    /// Both `Content-Length` and `Transfer-Encoding`, or `Transfer-Encoding` in HTTP/1.0.
    case framing
    /// A `Transfer-Encoding` other than exactly `chunked`.
    case transferCoding
    /// The head is longer than the limit.
    case tooLarge
    /// More header fields than the caller has room for.
    case tooManyFields
}

/// Result of one ``ResponseParser`` attempt.
public enum ResponseParseResult: Sendable, Equatable {
    /// A whole head was parsed; it occupies the first `headLength` bytes (final CRLF included).
    case complete(headLength: Int)
    /// More bytes are needed.
    case incomplete
    /// The head is invalid: close the connection.
    case invalid(ResponseParseError)
}
