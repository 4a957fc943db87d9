import HTTP1
import Testing

/// A malformed head and the error it must produce.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var error: ParseError
    var limits = ParserLimits()
    var headerCapacity = 100

    var testDescription: String { name }

    init(
        _ name: String, _ text: String, _ error: ParseError,
        limits: ParserLimits = ParserLimits(), headerCapacity: Int = 100
    ) {
        self.init(name, Array(text.utf8), error, limits: limits, headerCapacity: headerCapacity)
    }

    init(
        _ name: String, _ input: [UInt8], _ error: ParseError,
        limits: ParserLimits = ParserLimits(), headerCapacity: Int = 100
    ) {
        self.name = name
        self.input = input
        self.error = error
        self.limits = limits
        self.headerCapacity = headerCapacity
    }
}

/// A well-formed request line with `fields` (already CRLF-terminated) and the empty line.
private func request(_ fields: String, line: String = "GET / HTTP/1.1") -> String {
    line + "\r\n" + fields + "\r\n"
}

private let small = ParserLimits(maxRequestLineLength: 32, maxHeaderBytes: 64, maxHeaderCount: 3)

let invalidCases: [InvalidCase] = [
    // Request line
    .init("space before colon", request("Host : a\r\n"), .badRequest),
    .init("tab before colon", request("Host\t: a\r\n"), .badRequest),
    .init("obs-fold", request("Host: a\r\nX-A: b\r\n  c\r\n"), .badRequest),
    .init("whitespace before first field", request(" Host: a\r\n"), .badRequest),
    // CI's diff-parser finding: llhttp folds ` 2` into the empty Content-Length and frames a body.
    .init(
        "obs-fold continuing an empty Content-Length",
        "POST / HTTP/1.1\r\nHost: a\r\nCo: a\r\nContent-Length:\r\n 2\r\nConTransfer-Encoding: chunked\r\n\r\n\n\r",
        .badRequest),
    .init(
        "obs-fold after empty lines before the request line",
        "\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 2\r\n\r\nab", .badRequest),
    .init("NUL in value", request("Host: a\r\nX-A: a\0b\r\n"), .badRequest),
    .init("control char in value", request("Host: a\r\nX-A: a\u{1B}b\r\n"), .badRequest),
    .init("DEL in value", request("Host: a\r\nX-A: abcdefghij\u{7F}\r\n"), .badRequest),
    .init("control char in target", "GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("DEL in target", "GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("obs-text in target", bytes("GET /caf") + [0xC3, 0xA9] + bytes(" HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
    .init("tab in query", "GET /a?b\tc HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("bare CR after request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", .badRequest),
    .init("bare CR in value", request("Host: a\r\nX-A: a\rb\r\n"), .badRequest),
    .init("bare CR before request line", "\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("bare CR as empty line", "GET / HTTP/1.1\r\nHost: a\r\n\rX", .badRequest),
    .init("double space after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("double space before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("invalid method char", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("missing version", "GET /\r\nHost: a\r\n\r\n", .badRequest),
    .init("empty version", "GET / \r\nHost: a\r\n\r\n", .badRequest),
    .init("trailing garbage after version", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", .badRequest),
    .init("trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .badRequest),
    .init("lowercase protocol", "GET / http/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("major without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", .badRequest),
    .init("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", .badRequest),
    .init("two-digit minor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", .badRequest),
    .init("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .versionNotSupported),
    .init("HTTP/2", "GET / HTTP/2\r\nHost: a\r\n\r\n", .versionNotSupported),
    .init("HTTP/3", "GET / HTTP/3\r\nHost: a\r\n\r\n", .versionNotSupported),
    .init("HTTP/3.0 bare LF", "GET / HTTP/3.0\nHost: a\n\n", .badRequest),
    .init("HTTP/2.0 with garbage", "GET / HTTP/2.0x\r\nHost: a\r\n\r\n", .badRequest),
    .init("target not starting with slash", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("CONNECT with origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("absolute-form other scheme", "GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("absolute-form empty host", "GET http:///b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("absolute-form userinfo", "GET http://u@a/b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    .init("absolute-form non-host byte in authority", "GET http://a:<80/b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),

    // Field lines
    .init("empty header name", request("Host: a\r\n: x\r\n"), .badRequest),
    .init("invalid name char", request("Host: a\r\nX(A: b\r\n"), .badRequest),
    .init("obs-text in name", bytes("GET / HTTP/1.1\r\nHost: a\r\nX") + [0xC3] + bytes(": b\r\n\r\n"), .badRequest),
    .init("line without colon", request("Host: a\r\nX-A\r\n"), .badRequest),

    // Framing
    .init("CL then TE", request("Host: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"), .badRequest),
    .init("TE then CL", request("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"), .badRequest),
    .init("differing CL", request("Host: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n"), .badRequest),
    .init("repeated CL", request("Host: a\r\nContent-Length: 5\r\nCONTENT-LENGTH: 5\r\n"), .badRequest),
    .init("CL with plus", request("Host: a\r\nContent-Length: +3\r\n"), .badRequest),
    .init("CL with minus", request("Host: a\r\nContent-Length: -1\r\n"), .badRequest),
    .init("CL non-digit", request("Host: a\r\nContent-Length: 3a\r\n"), .badRequest),
    .init("CL space inside", request("Host: a\r\nContent-Length: 1 2\r\n"), .badRequest),
    .init("CL empty", request("Host: a\r\nContent-Length: \r\n"), .badRequest),
    .init("CL overflow", request("Host: a\r\nContent-Length: 9223372036854775808\r\n"), .badRequest),
    .init("CL comma list", request("Host: a\r\nContent-Length: 5, 5\r\n"), .badRequest),
    .init("TE gzip", request("Host: a\r\nTransfer-Encoding: gzip\r\n"), .badRequest),
    .init("TE chunked, gzip", request("Host: a\r\nTransfer-Encoding: chunked, gzip\r\n"), .badRequest),
    .init(
        "TE chunked twice", request("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
        .badRequest),
    .init("TE chunked with parameter", request("Host: a\r\nTransfer-Encoding: chunked;x=1\r\n"), .badRequest),
    .init("TE gzip, chunked", request("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"), .notImplemented),
    .init(
        "TE gzip then chunked", request("Host: a\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: chunked\r\n"),
        .notImplemented),
    .init("CONNECT with CL", request("Host: a:1\r\nContent-Length: 0\r\n", line: "CONNECT a:1 HTTP/1.1"), .badRequest),
    .init("CONNECT with TE", request("Host: a:1\r\nTransfer-Encoding: chunked\r\n", line: "CONNECT a:1 HTTP/1.1"), .badRequest),
    .init("TE empty", request("Host: a\r\nTransfer-Encoding: ,\r\n"), .badRequest),
    .init("TE in HTTP/1.0", request("Transfer-Encoding: chunked\r\n", line: "POST / HTTP/1.0"), .badRequest),
    .init("no Host on 1.1", request("Accept: */*\r\n"), .badRequest),
    .init("two Host", request("Host: a\r\nhost: a\r\n"), .badRequest),
    .init("two Host on 1.0", request("Host: a\r\nHost: b\r\n", line: "GET / HTTP/1.0"), .badRequest),
    .init("Host with space", request("Host: a b\r\n"), .badRequest),
    .init("Host with userinfo", request("Host: u@a\r\n"), .badRequest),

    // Limits
    .init(
        "request line over small limit", "GET /0123456789012345678901 HTTP/1.1\r\nHost: a\r\n\r\n", .uriTooLong,
        limits: small),
    .init(
        "request line over default limit", "GET /" + String(repeating: "a", count: 8200) + " HTTP/1.1\r\nHost: a\r\n\r\n",
        .uriTooLong),
    .init(
        "header bytes over small limit", request("Host: a\r\nX-Long: 0123456789012345678901234567890123\r\n"),
        .headerFieldsTooLarge, limits: small),
    .init(
        "header bytes over default limit", request("Host: a\r\nX-Long: " + String(repeating: "v", count: 16400) + "\r\n"),
        .headerFieldsTooLarge),
    .init(
        "leading empty lines over limit", String(repeating: "\r\n", count: 40) + "GET / HTTP/1.1\r\n\r\n",
        .headerFieldsTooLarge, limits: small),
    .init("header count over limit", request("Host: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n"), .headerFieldsTooLarge, limits: small),
    .init(
        "header count over default limit", request("Host: a\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined()),
        .headerFieldsTooLarge),
    .init("header count over capacity", request("Host: a\r\nA: 1\r\nB: 2\r\n"), .headerFieldsTooLarge, headerCapacity: 2),
]

@Suite struct RequestParserInvalidTests {
    @Test func tableIsLargeEnough() {
        #expect(invalidCases.count >= 30)
    }

    @Test(arguments: invalidCases)
    func rejected(_ c: InvalidCase) {
        #expect(parse(c.input, limits: c.limits, headerCapacity: c.headerCapacity).result == .invalid(c.error))
    }

    /// Every prefix is either still incomplete or already the same error, whether parsed
    /// afresh or as the next piece after the previous prefix (which may put the error off).
    @Test(arguments: invalidCases)
    func prefixesNeverDisagree(_ c: InvalidCase) {
        var previous = 0
        var previousResult = ParseResult.incomplete
        for length in prefixLengths(c.input.count) {
            let prefix = Array(c.input[..<length])
            let fresh = parse(prefix, limits: c.limits, headerCapacity: c.headerCapacity).result
            #expect(fresh == .incomplete || fresh == .invalid(c.error), "prefix \(length): \(fresh)")
            if previousResult == .incomplete {
                let resumed = parse(
                    prefix, limits: c.limits, previousLength: previous, headerCapacity: c.headerCapacity
                ).result
                #expect(resumed == .incomplete || resumed == .invalid(c.error), "resumed prefix \(length): \(resumed)")
                previousResult = resumed
            }
            previous = length
        }
        // Resuming may put off an error in bytes already seen, never change it.
        let resumed = parse(c.input, limits: c.limits, previousLength: previous, headerCapacity: c.headerCapacity).result
        #expect(resumed == .incomplete || resumed == .invalid(c.error))
    }

    @Test func uriTooLongIsReportedBeforeTheLineEnds() {
        let limits = ParserLimits(maxRequestLineLength: 16)
        // 16 bytes without a LF are enough to know; 15 are not.
        #expect(parse(bytes("GET /0123456789A"), limits: limits).result == .invalid(.uriTooLong))
        #expect(parse(bytes("GET /0123456789"), limits: limits).result == .incomplete)
        // Counting starts after leading empty lines.
        #expect(parse(bytes("\r\n\r\nGET /0123456789"), limits: limits).result == .incomplete)
        // A line of exactly the limit, LF included, is fine.
        #expect(parse(bytes("GET / HTTP/1.1\r\n\r\n"), limits: limits).result == .invalid(.badRequest))  // no Host
        #expect(parse(bytes("GET / HTTP/1.0\r\n\r\n"), limits: limits).result == .complete(headLength: 18))
        #expect(parse(bytes("GET /a HTTP/1.0\r\n\r\n"), limits: limits).result == .invalid(.uriTooLong))
    }

    @Test func headerBytesOverLimitAreReportedEarly() {
        let limits = ParserLimits(maxHeaderBytes: 40)
        let text = bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789")
        #expect(text.count > 40)
        #expect(parse(Array(text[..<40]), limits: limits).result == .incomplete)
        #expect(parse(Array(text[..<41]), limits: limits).result == .invalid(.headerFieldsTooLarge))
        #expect(parse(Array(text[..<41]), limits: limits, previousLength: 40).result == .invalid(.headerFieldsTooLarge))
    }
}

/// Every prefix length for short inputs; for long ones, a sample plus everything near the ends.
func prefixLengths(_ count: Int) -> [Int] {
    if count <= 2048 { return Array(0..<count) }
    return Array(0..<256) + Array(stride(from: 256, to: count - 256, by: 61)) + Array((count - 256)..<count)
}
