@testable import HTTP1
import Testing

/// What the HTTP1 module makes of a whole request, head and body: where the next request
/// starts, or which rule of the strictness policy it broke.
enum Verdict: Equatable, CustomStringConvertible {
    /// Head and body are well formed; the next request starts at this offset.
    case accepted(next: Int)
    /// The head broke this rule (answered with `rule.error`).
    case head(StrictnessRule)
    /// The head is fine, the chunked body broke this rule (answered with 400).
    case body(StrictnessRule)
    case incomplete

    var description: String {
        switch self {
        case .accepted(let next): "accepted, next request at \(next)"
        case .head(let rule): "head refused: \(rule) (\(rule.error.status))"
        case .body(let rule): "chunked body refused: \(rule)"
        case .incomplete: "incomplete"
        }
    }
}

/// Parses the head of `text`, then frames its body (Content-Length or chunked) the way the server does.
func verdict(_ text: String) -> Verdict {
    let input = Array(text.utf8)
    let fields = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: 100)
    defer { fields.deallocate() }
    var head = RequestHead()
    var rule: StrictnessRule?
    let result = input.withUnsafeBytes {
        RequestParser.parse($0, headers: fields, limits: ParserLimits(), previousLength: 0, into: &head, rule: &rule)
    }
    // The public entry point agrees.
    #expect(parse(input).result == result)
    switch result {
    case .incomplete: return .incomplete
    case .invalid(let error):
        guard let rule else {
            Issue.record("\(error) without a rule")
            return .incomplete
        }
        #expect(rule.error == error)
        return .head(rule)
    case .complete(let headLength):
        if head.isChunked {
            var decoder = ChunkedDecoder()
            var offset = headLength
            while true {
                let step = input.withUnsafeBytes { decoder.step(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
                switch step {
                case .data(_, _, let consumed): offset += consumed
                case .needMore: return .incomplete
                case .end(let consumed): return .accepted(next: offset + consumed)
                case .invalid:
                    guard let rule = decoder.brokenRule else {
                        Issue.record("invalid body without a rule")
                        return .incomplete
                    }
                    return .body(rule)
                }
            }
        }
        let next = headLength + max(0, head.contentLength)
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
        "bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", .head(.lineEnding),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "bare LF ending a field line", post + "Dummy: x\nContent-Length: 5\r\n\r\nhello", .head(.lineEnding),
        corrected: post + "Dummy: x\r\nContent-Length: 5\r\n\r\nhello"),
    .init(
        "bare LF as the empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", .head(.lineEnding),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .head(.lineEnding),
        corrected: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "bare CR ending a field line", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", .head(.lineEnding),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n"),
    .init(
        "bare LF after a chunk size", chunked + "5\nhello\r\n0\r\n\r\n", .body(.lineEnding),
        corrected: chunked + "5\r\nhello\r\n0\r\n\r\n"),
    .init(
        "bare LF after chunk data", chunked + "5\r\nhello\n0\r\n\r\n", .body(.lineEnding),
        corrected: chunked + "5\r\nhello\r\n0\r\n\r\n"),
    .init(
        "bare LF after the last chunk", chunked + "0\n\r\n", .body(.lineEnding), corrected: chunked + "0\r\n\r\n"),
    .init(
        "bare LF ending a trailer", chunked + "0\r\nX: y\n\r\n", .body(.lineEnding), corrected: chunked + "0\r\nX: y\r\n\r\n"),
    .init(
        "bare LF as the final empty line", chunked + "0\r\nX: y\r\n\n", .body(.lineEnding),
        corrected: chunked + "0\r\nX: y\r\n\r\n"),
    // Chunk extensions (RFC 9112 §7.1.1, quoted-string RFC 9110 §5.6.4).
    .init("empty extension name", chunked + "2;\r\nhi\r\n0\r\n\r\n", .body(.chunkExtension), corrected: chunked + "2;a\r\nhi\r\n0\r\n\r\n"),
    .init(
        "unterminated quoted string", chunked + "5;a=\"abc\r\nhello\r\n0\r\n\r\n", .body(.chunkExtension),
        corrected: chunked + "5;a=\"abc\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "CR LF inside a quoted string", chunked + "5;a=\"x\r\ny\"\r\nhello\r\n0\r\n\r\n", .body(.chunkExtension),
        corrected: chunked + "5;a=\"x\\\"y\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "escaped CR inside a quoted string", chunked + "5;a=\"x\\\ry\"\r\nhello\r\n0\r\n\r\n", .body(.chunkExtension),
        corrected: chunked + "5;a=\"x\\\\y\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "escaped LF inside a quoted string", chunked + "5;a=\"x\\\ny\"\r\nhello\r\n0\r\n\r\n", .body(.lineEnding),
        corrected: chunked + "5;a=\"x\\ny\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "empty extension value", chunked + "5;a=\r\nhello\r\n0\r\n\r\n", .body(.chunkExtension),
        corrected: chunked + "5;a=\"\"\r\nhello\r\n0\r\n\r\n"),
    .init(
        "whitespace before the CRLF of a size line", chunked + "5;a=b \r\nhello\r\n0\r\n\r\n", .body(.chunkExtension),
        corrected: chunked + "5 ; a = b\r\nhello\r\n0\r\n\r\n"),
    // Transfer-Encoding (RFC 9112 §6.1, §6.3, §7.1).
    .init(
        "final coding not chunked", post + "Transfer-Encoding: chunked, deflate\r\n\r\n0\r\n\r\n", .head(.finalCodingNotChunked),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "unknown coding alone", post + "Transfer-Encoding: pigeons\r\n\r\n", .head(.finalCodingNotChunked),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "chunked twice", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", .head(.finalCodingNotChunked),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "unknown coding before chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        .head(.codingNotImplemented), corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "deflate before chunked, on two lines",
        post + "Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .head(.codingNotImplemented),
        corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    // Content-Length (RFC 9112 §6.3).
    .init(
        "Content-Length repeated with the same value", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        .head(.contentLength), corrected: post + "Content-Length: 5\r\n\r\nhello"),
    .init(
        "Content-Length with Transfer-Encoding", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        .head(.contentLengthWithTransferEncoding), corrected: post + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    .init(
        "Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        .head(.transferEncodingInHTTP10), corrected: "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
    // CONNECT has no content (RFC 9110 §9.3.6).
    .init(
        "CONNECT with Transfer-Encoding", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nTransfer-Encoding: pigeons\r\n\r\n",
        .head(.connectWithContent), corrected: "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n"),
    .init(
        "CONNECT with Content-Length", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 5\r\n\r\nhello",
        .head(.connectWithContent), corrected: "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n"),
    // Request line (RFC 9112 §3), fields (RFC 9112 §5, RFC 9110 §5.5), limits.
    .init("method not a token", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", .head(.method), corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init("two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .head(.requestTarget),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init("target with a control byte", "GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", .head(.requestTarget),
        corrected: "GET /a%01b HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init("HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", .head(.httpVersion), corrected: "GET / HTTP/1.0\r\nHost: a\r\n\r\n"),
    .init("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .head(.versionNotSupported),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init(
        "request line over the limit", "GET /" + String(repeating: "a", count: 8200) + " HTTP/1.1\r\nHost: a\r\n\r\n",
        .head(.requestLineTooLong), corrected: "GET /" + String(repeating: "a", count: 8100) + " HTTP/1.1\r\nHost: a\r\n\r\n"),
    .init("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .head(.obsFold),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\nX: a b\r\n\r\n"),
    .init("whitespace before the colon", "GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n", .head(.fieldName),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\r\n"),
    .init("NUL in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}\r\n\r\n", .head(.fieldValue),
        corrected: "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\r\n"),
    .init(
        "head over the limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 16400) + "\r\n\r\n",
        .head(.headTooLarge), corrected: "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 16000) + "\r\n\r\n"),
    .init("no Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", .head(.host), corrected: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    // Chunked framing (RFC 9112 §7.1) and the decoder's limits.
    .init("chunk size with a sign", chunked + "+5\r\nhello\r\n0\r\n\r\n", .body(.chunkSize),
        corrected: chunked + "5\r\nhello\r\n0\r\n\r\n"),
    .init(
        "chunk size of 33 digits", chunked + String(repeating: "0", count: 32) + "5\r\nhello\r\n0\r\n\r\n",
        .body(.chunkSizeTooLong), corrected: chunked + String(repeating: "0", count: 31) + "5\r\nhello\r\n0\r\n\r\n"),
    .init(
        "chunk extensions over the limit", chunked + "0;" + String(repeating: "e", count: 16384) + "\r\n\r\n",
        .body(.chunkExtensionsTooLarge), corrected: chunked + "0;" + String(repeating: "e", count: 16383) + "\r\n\r\n"),
    .init("chunk data longer than its size", chunked + "5\r\nhello!\r\n0\r\n\r\n", .body(.chunkDataEnd),
        corrected: chunked + "6\r\nhello!\r\n0\r\n\r\n"),
    .init("obs-fold in a trailer", chunked + "0\r\nX: a\r\n b\r\n\r\n", .body(.trailerField),
        corrected: chunked + "0\r\nX: a b\r\n\r\n"),
    .init(
        "trailers over the limit", chunked + "0\r\nX: " + String(repeating: "v", count: 16384) + "\r\n\r\n",
        .body(.trailersTooLarge), corrected: chunked + "0\r\nX: " + String(repeating: "v", count: 16000) + "\r\n\r\n"),
]

@Suite struct StrictnessPolicyTests {
    /// Each rule of the policy has a row here (and in the DocC table).
    @Test func everyRuleHasARow() {
        let covered = Set(policyRules.map { rule -> StrictnessRule? in
            switch rule.expected {
            case .head(let r), .body(let r): r
            default: nil
            }
        })
        for rule in StrictnessRule.allCases { #expect(covered.contains(rule), "no row for \(rule)") }
    }

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

/// `text` with a `Connection: close` field line right after its request line.
func insertingConnectionClose(_ text: String) -> String? {
    let bytes = Array(text.utf8)
    guard let lineStart = bytes.firstIndex(where: { $0 != 0x0D && $0 != 0x0A }),
        let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A)
    else { return nil }
    return String(decoding: bytes[...lineEnd] + Array("Connection: close\r\n".utf8) + bytes[(lineEnd + 1)...], as: UTF8.self)
}
