import HTTP1
import Testing

private let longPath =
    "/" + (0..<60).map { "segment\($0)" }.joined(separator: "/") + "?" + String(repeating: "k=v&", count: 50)

private let manyHeaders: String = {
    var text = "POST /api/items?id=7 HTTP/1.1\r\nHost: api.example.com\r\n"
    for i in 0..<40 { text += "X-Header-\(i): value-\(i) \t with spaces and obs-text \u{E9}\r\n" }
    return text + "Content-Length: 12\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n"
}()

let partialRequests: [String] = [
    typicalRequest,
    "\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    "GET " + longPath + " HTTP/1.1\r\nHost: example.com\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n\r\n",
    manyHeaders,
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET http://example.com:8080 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
]

@Suite struct RequestParserPartialTests {
    /// Every proper prefix is incomplete, afresh and as the next byte of a byte-at-a-time client;
    /// the whole input then parses exactly as in one shot.
    @Test(arguments: partialRequests)
    func everyPrefixIsIncomplete(_ text: String) {
        let input = bytes(text)
        let oneShot = parse(input)
        #expect(oneShot.headLength == input.count)
        for length in 0..<input.count {
            let prefix = Array(input[..<length])
            #expect(parse(prefix).result == .incomplete, "fresh prefix \(length)")
            #expect(parse(prefix, previousLength: max(0, length - 1)).result == .incomplete, "resumed prefix \(length)")
        }
        #expect(parse(input, previousLength: input.count - 1) == oneShot)
    }

    /// Pieces of varying sizes, each call told how much the previous one saw.
    @Test(arguments: partialRequests)
    func growingPieces(_ text: String) {
        let input = bytes(text)
        let oneShot = parse(input)
        for step in [2, 3, 5, 8, 13, 64] {
            var seen = 0
            var last = Parsed(result: .incomplete)
            while seen < input.count {
                let length = min(input.count, seen + step)
                last = parse(Array(input[..<length]), previousLength: seen)
                seen = length
                if last.result != .incomplete { break }
            }
            #expect(seen == input.count, "step \(step) finished early at \(seen)")
            #expect(last == oneShot, "step \(step)")
        }
    }

    /// With more bytes after the head (pipelined request or body), the head ends where it did alone.
    @Test(arguments: partialRequests)
    func trailingBytesAreNotPartOfTheHead(_ text: String) {
        let input = bytes(text)
        let oneShot = parse(input)
        for tail in ["GET / HTTP/1.1\r\n\r\n", "x", "\r\n\r\n", "\0\0\0"] {
            let longer = input + bytes(tail)
            #expect(parse(longer) == oneShot, "tail \(tail.debugDescription)")
            #expect(parse(longer, previousLength: input.count - 1) == oneShot, "resumed, tail \(tail.debugDescription)")
        }
    }

    @Test func facts() {
        let p = parse(bytes(manyHeaders))
        #expect(p.headers.count == 44)
        #expect(p.contentLength == 12)
        #expect(p.connectionKeepAlive && p.expectContinue)
        #expect(p.header("x-header-39") == "value-39 \t with spaces and obs-text \u{E9}")
        let long = parse(bytes(partialRequests[2]))
        #expect(long.path == longPath.split(separator: "?")[0].description)
        #expect(long.query.hasPrefix("k=v&k=v"))
    }
}
