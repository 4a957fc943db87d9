import HTTP1
import Testing

/// What the HTTP1 module makes of a whole request, head and body: where the next request
/// starts, or why the request is refused.
enum Verdict: Equatable, CustomStringConvertible {
    /// Head and body are well formed; the next request starts at this offset.
    case accepted(next: Int)
    /// The head is refused with this error.
    case head(ParseError)
    /// The head is fine, the chunked body is not (400).
    case badBody
    case incomplete

    var description: String {
        switch self {
        case .accepted(let next): "accepted, next request at \(next)"
        case .head(let error): "head refused: \(error) (\(error.status))"
        case .badBody: "chunked body refused (400)"
        case .incomplete: "incomplete"
        }
    }
}

/// Parses the head of `text`, then frames its body (Content-Length or chunked) the way the server does.
func verdict(_ text: String) -> Verdict {
    let input = Array(text.utf8)
    let parsed = parse(input)
    switch parsed.result {
    case .incomplete: return .incomplete
    case .invalid(let error): return .head(error)
    case .complete(let headLength):
        if parsed.isChunked {
            switch decodeChunked(Array(input[headLength...])).outcome {
            case .end(let end): return .accepted(next: headLength + end)
            case .invalid: return .badBody
            case .needMore: return .incomplete
            }
        }
        let next = headLength + max(0, parsed.contentLength)
        return next <= input.count ? .accepted(next: next) : .incomplete
    }
}

/// One row of the strictness policy (Sources/HTTP1/HTTP1.docc/StrictnessPolicy.md): a request that
/// breaks it, the verdict, and the same request written correctly, which must be accepted (so a row
/// cannot pass because the request is broken in some other way).
struct PolicyRule: Sendable, CustomTestStringConvertible {
    var name: String
    var request: String
    var expected: Verdict
    var corrected: String
    var testDescription: String { name }

    init(_ name: String, _ request: String, _ expected: Verdict, corrected: String) {
        self.name = name
        self.request = request
        self.expected = expected
        self.corrected = corrected
    }
}

private let post = "POST /v1/avatar HTTP/1.1\r\nHost: a\r\n"
private let chunked = post + "Transfer-Encoding: chunked\r\n\r\n"
private let next = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"

let policyRules: [PolicyRule] = [
    // Line endings (RFC 9112 §2.2): CRLF only.
    .init(
        "bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", .head(.badRequest),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "bare LF ending a field line", post + "Dummy: x\nContent-Length: 5\r\n\r\nhello", .head(.badRequest),
        corrected: post + "Dummy: x\r\nContent-Length: 5\r\n\r\nhello"),
    .init(
        "bare LF as the empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", .head(.badRequest),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .head(.badRequest),
        corrected: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "bare CR ending a field line", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", .head(.badRequest),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n"),
    .init(
        "bare LF after a chunk size", chunked + "5\nhello\r\n0\r\n\r\n", .badBody,
        corrected: chunked + "5\r\nhello\r\n0\r\n\r\n"),
    .init(
        "bare LF after chunk data", chunked + "5\r\nhello\n0\r\n\r\n", .badBody,
        corrected: chunked + "5\r\nhello\r\n0\r\n\r\n"),
    .init(
        "bare LF after the last chunk", chunked + "0\n\r\n", .badBody, corrected: chunked + "0\r\n\r\n"),
    .init(
        "bare LF ending a trailer", chunked + "0\r\nX: y\n\r\n", .badBody, corrected: chunked + "0\r\nX: y\r\n\r\n"),
    .init(
        "bare LF as the final empty line", chunked + "0\r\nX: y\r\n\n", .badBody,
        corrected: chunked + "0\r\nX: y\r\n\r\n"),
    // Chunk extensions (RFC 9112 §7.1.1, quoted-string RFC 9110 §5.6.4).
    .init("empty extension name", chunked + "2;\r\nhi\r\n0\r\n\r\n", .badBody, corrected: chunked + "2;a\r\nhi\r\n0\r\n\r\n"),
    .init(
        "unterminated quoted string", chunked + "5;a=\"abc\r\nhello\r\n0\r\n\r\n", .badBody,
        corrected: chunked + "5;a=\"abc\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "CR LF inside a quoted string", chunked + "5;a=\"x\r\ny\"\r\nhello\r\n0\r\n\r\n", .badBody,
        corrected: chunked + "5;a=\"x\\\"y\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "escaped LF inside a quoted string", chunked + "5;a=\"x\\\ny\"\r\nhello\r\n0\r\n\r\n", .badBody,
        corrected: chunked + "5;a=\"x\\\\y\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "empty extension value", chunked + "5;a=\r\nhello\r\n0\r\n\r\n", .badBody,
        corrected: chunked + "5;a=\"\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "whitespace before the CRLF of a size line", chunked + "5;a=b \r\nhello\r\n0\r\n\r\n", .badBody,
        corrected: chunked + "5 ; a = b\r\nhello\r\n0\r\n\r\n"),
    // Transfer-Encoding (RFC 9112 §6.1, §6.3, §7.1).
    .init(
        "final coding not chunked", post + "Transfer-Encoding: chunked, deflate\r\n\r\n0\r\n\r\n", .head(.badRequest),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "unknown coding alone", post + "Transfer-Encoding: pigeons\r\n\r\n", .head(.badRequest),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "chunked twice", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", .head(.badRequest),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "unknown coding before chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        .head(.notImplemented), corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "deflate before chunked, on two lines",
        post + "Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .head(.notImplemented),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    // Content-Length (RFC 9112 §6.3).
    .init(
        "Content-Length repeated with the same value", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        .head(.badRequest), corrected: post + "Content-Length: 5\r\n\r\nhello"),
    // CONNECT has no content (RFC 9110 §9.3.6).
    .init(
        "CONNECT with Content-Length", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 5\r\n\r\nhello",
        .head(.badRequest), corrected: "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n"),
]

@Suite struct StrictnessPolicyTests {
    @Test(arguments: policyRules)
    func refused(_ rule: PolicyRule) {
        #expect(verdict(rule.request) == rule.expected)
        #expect(verdict(rule.request + next) == rule.expected, "with a request after it")
    }

    @Test(arguments: policyRules)
    func correctedIsAccepted(_ rule: PolicyRule) {
        let corrected = Array(rule.corrected.utf8)
        #expect(verdict(rule.corrected) == .accepted(next: corrected.count))
        #expect(verdict(rule.corrected + next) == .accepted(next: corrected.count), "with a request after it")
    }

    /// `Connection: close` changes nothing about framing: the same bytes get the same verdict,
    /// and the head still says where its body ends.
    @Test(arguments: policyRules)
    func connectionCloseDoesNotChangeTheVerdict(_ rule: PolicyRule) throws {
        let withClose = try #require(insertingConnectionClose(rule.request))
        #expect(verdict(withClose) == rule.expected)
        let correctedWithClose = try #require(insertingConnectionClose(rule.corrected))
        #expect(verdict(correctedWithClose) == .accepted(next: correctedWithClose.utf8.count))
        let head = parse(Array(correctedWithClose.utf8))
        #expect(!head.keepAlive && head.connectionClose)
    }
}

/// `text` with a `Connection: close` field line before its Host field.
func insertingConnectionClose(_ text: String) -> String? {
    guard let host = text.firstRange(of: "Host: ") else { return nil }
    return String(text[..<host.lowerBound]) + "Connection: close\r\n" + String(text[host.lowerBound...])
}
