// The strictness policy of this module in one place: every reason a request is refused is one
// case here, with the error (and so the status) it answers. The DocC article
// HTTP1.docc/StrictnessPolicy.md is the same table with the RFC sections; keep them in step.
//
// The parser and the chunked decoder name a rule wherever they refuse bytes; the public API
// reports only its `ParseError` (a head) or `.invalid` (a body). The differential fuzzers in
// Fuzz/ read the rule to tell a documented disagreement with llhttp from a bug.

/// One rule of the strictness policy.
enum StrictnessRule: UInt8, Sendable, CaseIterable {
    // Any line of the head or of chunked framing.
    /// A line ended by a bare LF, or a CR not followed by LF.
    case lineEnding
    // Request line.
    /// The method is not a token followed by exactly one SP.
    case method
    /// The request-target has a byte outside VCHAR, or a form its method does not take.
    case requestTarget
    /// Not `HTTP/` DIGIT `.` DIGIT, or not HTTP/1.x.
    case httpVersion
    /// HTTP/2 or later: 505.
    case versionNotSupported
    /// The request line is longer than its limit: 414.
    case requestLineTooLong
    // Field lines.
    /// A field line starting with whitespace: obs-fold, or whitespace after the request line.
    case obsFold
    /// An empty field name, a byte outside token in it, or whitespace before the colon.
    case fieldName
    /// A control byte or DEL in a field value.
    case fieldValue
    /// The head is larger than its limit, or has more fields: 431.
    case headTooLarge
    /// No Host in HTTP/1.1, two of them, or a byte outside uri-host and port.
    case host
    // Framing.
    /// `Content-Length` not 1*DIGIT, above `Int.max`, or repeated (even with the same value).
    case contentLength
    /// `Content-Length` and `Transfer-Encoding` together.
    case contentLengthWithTransferEncoding
    /// `Transfer-Encoding` in an HTTP/1.0 request.
    case transferEncodingInHTTP10
    /// `Transfer-Encoding` whose final coding is not `chunked`, or with `chunked` twice.
    case finalCodingNotChunked
    /// A coding other than `chunked` before the final `chunked`: 501.
    case codingNotImplemented
    /// `Content-Length` or `Transfer-Encoding` on a CONNECT request.
    case connectWithContent
    // Chunked body.
    /// A chunk-size that is not 1*HEXDIG, or above `Int.max`.
    case chunkSize
    /// A chunk-size of more than `ChunkedDecoder.maxSizeDigits` digits, leading zeros included.
    case chunkSizeTooLong
    /// A chunk extension off the RFC 9112 §7.1.1 grammar.
    case chunkExtension
    /// More chunk-extension bytes in one body than the decoder's limit.
    case chunkExtensionsTooLarge
    /// Chunk data not followed by CRLF (data longer than its size).
    case chunkDataEnd
    /// A trailer line that is not a field line (obs-fold included).
    case trailerField
    /// More trailer bytes than the decoder's limit.
    case trailersTooLarge

    /// The error a request breaking this rule gets; a chunked-body rule answers 400.
    var error: ParseError {
        switch self {
        case .versionNotSupported: .versionNotSupported
        case .requestLineTooLong: .uriTooLong
        case .headTooLarge: .headerFieldsTooLarge
        case .codingNotImplemented: .notImplemented
        default: .badRequest
        }
    }
}
