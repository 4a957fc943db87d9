import HTTP1
import Testing

/// What one response parse produced, copied out of the buffer.
struct ParsedResponse: Equatable, CustomStringConvertible {
    var result: ResponseParseResult
    var head = ResponseHead()
    var reason = ""
    var fields: [String] = []

    var headLength: Int? {
        if case .complete(let length) = result { return length }
        return nil
    }

    var description: String { "\(result) \(head.status) \(fields)" }
}

/// Parses `input` with a guard page after its last byte.
func parseResponse(_ input: [UInt8], maxHeadBytes: Int = 16384, headerCapacity: Int = 100) -> ParsedResponse {
    let storage = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: headerCapacity)
    defer { storage.deallocate() }
    var head = ResponseHead()
    head.headerCount = 42  // a reused head must be reset
    let result = withGuardedBytes(input) {
        ResponseParser.parse($0, headers: storage, maxHeadBytes: maxHeadBytes, into: &head)
    }
    var parsed = ParsedResponse(result: result)
    guard case .complete(let length) = result else {
        #expect(head == ResponseHead(), "an unfinished parse leaves the head empty")
        return parsed
    }
    #expect(length > 0 && length <= input.count && length <= maxHeadBytes)
    func text(_ span: ByteSpan) -> String {
        guard span.end <= length else {
            Issue.record("span \(span) past the head (\(length))")
            return ""
        }
        return String(decoding: input[span.start..<span.end], as: UTF8.self)
    }
    parsed.head = head
    parsed.reason = text(head.reason)
    parsed.fields = (0..<head.headerCount).map { "\(text(storage[$0].name))=\(text(storage[$0].value))" }
    return parsed
}

let validResponses: [String] = [
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n",
    "HTTP/1.1 204 \r\n\r\n",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\nX-Obs: caf\u{E9}\t tab\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 404 Not Found\r\nEmpty:\r\nConnection: close, TE\r\n\r\n",
    "HTTP/1.1 200 OK\r\n" + (0..<30).map { "x-field-\($0): value \($0)\r\n" }.joined() + "\r\n",
]

@Suite struct ResponseParserTests {
    @Test func typicalResponse() {
        let input = bytes("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\nhello")
        let parsed = parseResponse(input)
        #expect(parsed.headLength == input.count - 5)
        #expect(parsed.head.status == 200)
        #expect(parsed.reason == "OK")
        #expect(parsed.head.versionMinor == 1)
        #expect(parsed.head.contentLength == 5)
        #expect(parsed.head.keepAlive)
        #expect(parsed.fields == ["content-type=application/json", "content-length=5"])
        #expect(parsed.head.bodyFraming(requestWasHead: false) == .length(5))
        #expect(parsed.head.bodyFraming(requestWasHead: true) == .none)
    }

    @Test func versionsAndConnection() {
        let http10 = parseResponse(bytes("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"))
        #expect(http10.head.versionMinor == 0 && !http10.head.keepAlive)
        let http10KeepAlive = parseResponse(bytes("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n"))
        #expect(http10KeepAlive.head.keepAlive)
        let closing = parseResponse(bytes("HTTP/1.1 200 OK\r\nConnection: foo, close\r\n\r\n"))
        #expect(closing.head.connectionClose && !closing.head.keepAlive)
        // HTTP/1.x with x > 1 is HTTP/1.1 (RFC 9110 §2.5).
        #expect(parseResponse(bytes("HTTP/1.7 200 OK\r\n\r\n")).head.versionMinor == 1)
    }

    @Test func bodyFraming() {
        func framing(_ text: String, head: Bool = false) -> ResponseBodyFraming {
            parseResponse(bytes(text)).head.bodyFraming(requestWasHead: head)
        }
        #expect(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == .chunked)
        #expect(framing("HTTP/1.1 200 OK\r\n\r\n") == .untilClose)
        #expect(framing("HTTP/1.0 200 OK\r\n\r\n") == .untilClose)
        #expect(framing("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == .length(0))
        #expect(framing("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n") == .none)
        #expect(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n") == .none)
        #expect(framing("HTTP/1.1 103 Early Hints\r\n\r\n") == .none)
        #expect(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head: true) == .none)
        #expect(parseResponse(bytes("HTTP/1.1 103 Early Hints\r\n\r\n")).head.isInterim)
    }

    @Test func reasonPhrases() {
        #expect(parseResponse(bytes("HTTP/1.1 204 \r\n\r\n")).reason == "")
        #expect(parseResponse(bytes("HTTP/1.1 200 All \tfine\u{E9}\r\n\r\n")).reason == "All \tfine\u{E9}")
        #expect(parseResponse(bytes("HTTP/1.1 599 x\r\n\r\n")).head.status == 599)
        #expect(parseResponse(bytes("HTTP/1.1 100 x\r\n\r\n")).head.status == 100)
    }

    /// One row per rule, each with its error.
    @Test(arguments: [
        ("HTTP/1.1 200 OK\n\n", ResponseParseError.lineEnding),
        ("HTTP/1.1 200 OK\r\nA: b\n\r\n", .lineEnding),
        ("HTTP/1.1 200 OK\r\nA: b\r\n\n", .lineEnding),
        ("HTTP/1.1 200 OK\rX", .lineEnding),
        ("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", .lineEnding),
        ("HTTP/1.1 200 OK\r\n\rX", .lineEnding),
        ("HTTP/2.0 200 OK\r\n\r\n", .version),
        ("HTTP/0.9 200 OK\r\n\r\n", .version),
        ("HTTP/2 200 OK\r\n\r\n", .statusLine),
        ("HTTP/1.1 200\r\n\r\n", .statusLine),
        ("HTTP/1.1  200 OK\r\n\r\n", .statusLine),
        ("HTTP/1.1 20 OK\r\n\r\n", .statusLine),
        ("HTTP/1.1 2000 OK\r\n\r\n", .statusLine),
        ("HTTP/1.1 099 Low\r\n\r\n", .statusLine),
        ("HTTP/1.1 600 High\r\n\r\n", .statusLine),
        ("HTTP/1.1 2x0 OK\r\n\r\n", .statusLine),
        ("http/1.1 200 OK\r\n\r\n", .statusLine),
        ("\r\nHTTP/1.1 200 OK\r\n\r\n", .statusLine),
        (" HTTP/1.1 200 OK\r\n\r\n", .statusLine),
        ("ICY 200 OK\r\n\r\n", .statusLine),
        ("HTTP/1.1 200 O\u{1}K\r\n\r\n", .statusLine),
        ("HTTP/1.1 200 OK\r\nA : b\r\n\r\n", .fieldLine),
        ("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", .fieldLine),
        ("HTTP/1.1 200 OK\r\n: b\r\n\r\n", .fieldLine),
        ("HTTP/1.1 200 OK\r\nA: b\u{1}c\r\n\r\n", .fieldLine),
        ("HTTP/1.1 200 OK\r\nA b\r\n\r\n", .fieldLine),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5a\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", .contentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .framing),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", .framing),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .framing),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .transferCoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .transferCoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .transferCoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: ,\r\n\r\n", .transferCoding),
    ])
    func invalid(_ text: String, _ error: ResponseParseError) {
        let input = bytes(text)
        #expect(parseResponse(input).result == .invalid(error), "\(text.debugDescription)")
        // More bytes after it change nothing.
        #expect(parseResponse(input + bytes("HTTP/1.1 200 OK\r\n\r\n")).result == .invalid(error))
        // A prefix is incomplete or already the same error: never another verdict.
        for length in 0..<input.count {
            let result = parseResponse(Array(input[..<length])).result
            #expect(result == .incomplete || result == .invalid(error), "prefix \(length): \(result)")
        }
    }

    @Test func limits() {
        let text = bytes("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
        #expect(parseResponse(text, maxHeadBytes: text.count).headLength == text.count)
        #expect(parseResponse(text, maxHeadBytes: text.count - 1).result == .invalid(.tooLarge))
        // Under the limit but unfinished: more may come.
        #expect(parseResponse(Array(text.dropLast()), maxHeadBytes: text.count - 1).result == .incomplete)
        #expect(parseResponse(text, headerCapacity: 3).headLength == text.count)
        #expect(parseResponse(text, headerCapacity: 2).result == .invalid(.tooManyFields))
        #expect(parseResponse(text, maxHeadBytes: 0).result == .invalid(.tooLarge))
    }

    /// Every proper prefix is incomplete; the whole parses the same with or without bytes after it.
    @Test(arguments: validResponses)
    func everyByteBoundary(_ text: String) {
        let input = bytes(text)
        let whole = parseResponse(input)
        #expect(whole.headLength == input.count, "\(whole)")
        for length in 0..<input.count {
            #expect(parseResponse(Array(input[..<length])).result == .incomplete, "prefix \(length)")
        }
        let followed = parseResponse(input + bytes("0123456789HTTP/1.1 200 OK\r\n\r\n"))
        #expect(followed == whole)
    }

    /// Random single-byte changes of valid heads never crash, never read past the end, and a
    /// complete result keeps its spans inside the head.
    @Test func mutations() {
        var generator = SystemRandomNumberGenerator()
        for text in validResponses {
            let input = bytes(text)
            for _ in 0..<300 {
                var mutated = input
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
                let parsed = parseResponse(mutated)
                if let length = parsed.headLength { #expect(length <= mutated.count) }
            }
        }
    }
}
