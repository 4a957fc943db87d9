import HTTP1
import Testing

@Suite struct RequestParserValidTests {
    @Test func typicalGet() {
        let input = bytes(typicalRequest)
        let p = parse(input)
        #expect(p.result == .complete(headLength: input.count))
        #expect(p.method == .get)
        #expect(p.methodToken == "GET")
        #expect(p.target == "/v1/avatar")
        #expect(p.path == "/v1/avatar")
        #expect(p.query == "")
        #expect(p.versionMinor == 1)
        #expect(p.headers.count == 1)
        #expect(p.headers.first?.nameString == "Host")
        #expect(p.headers.first?.valueString == "127.0.0.1:3000")
        #expect(p.contentLength == -1)
        #expect(!p.isChunked && !p.connectionClose && !p.connectionKeepAlive && !p.expectContinue)
        #expect(p.keepAlive)
    }

    @Test(arguments: [
        ("GET", Method.get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
        ("OPTIONS", .options), ("TRACE", .trace), ("PATCH", .patch),
    ])
    func knownMethods(token: String, method: Method) {
        let p = parse(bytes("\(token) /x HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.method == method)
        #expect(p.methodToken == token)
    }

    @Test func connectUsesAuthorityForm() {
        let p = parse(bytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.method == .connect)
        #expect(p.target == "example.com:443")
        #expect(p.path == "")
        #expect(p.query == "")
        let v6 = parse(bytes("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"))
        #expect(v6.method == .connect && v6.target == "[::1]:8443")
    }

    @Test(arguments: [
        "get", "Get", "PROPFIND", "M-SEARCH", "GETS", "GE", "CONNECTX", "OPTIONSS", "!#$%&'*+-.^_`|~09azAZ",
    ])
    func otherMethods(token: String) {
        let p = parse(bytes("\(token) / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.method == .other)
        #expect(p.methodToken == token)
    }

    @Test func http10WithoutHost() {
        let p = parse(bytes("GET / HTTP/1.0\r\n\r\n"))
        #expect(p.result == .complete(headLength: 18))
        #expect(p.versionMinor == 0)
        #expect(!p.keepAlive)
        #expect(p.headers.isEmpty)
    }

    @Test func laterHTTP1MinorVersionsCountAsOne() {
        let p = parse(bytes("GET / HTTP/1.2\r\nHost: a\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.versionMinor == 1)
    }

    @Test(arguments: [
        // (version, connection field lines, keepAlive, close flag, keep-alive flag)
        ("1.0", [], false, false, false),
        ("1.0", ["keep-alive"], true, false, true),
        ("1.0", ["Keep-Alive"], true, false, true),
        ("1.1", [], true, false, false),
        ("1.1", ["close"], false, true, false),
        ("1.1", ["CLOSE"], false, true, false),
        ("1.1", ["foo, close"], false, true, false),
        ("1.1", ["Upgrade ,\tClose ,"], false, true, false),
        ("1.1", ["closed", "x-close"], true, false, false),
        ("1.0", ["foo", "keep-alive, bar"], true, false, true),
        ("1.0", ["keep-alive, close"], false, true, true),
    ] as [(String, [String], Bool, Bool, Bool)])
    func connectionTokens(version: String, values: [String], keepAlive: Bool, close: Bool, keep: Bool) {
        var text = "GET / HTTP/\(version)\r\nHost: a\r\n"
        for value in values { text += "Connection: \(value)\r\n" }
        let p = parse(bytes(text + "\r\n"))
        #expect(p.headLength != nil)
        #expect(p.keepAlive == keepAlive)
        #expect(p.connectionClose == close)
        #expect(p.connectionKeepAlive == keep)
    }

    @Test func querySplit() {
        let p = parse(bytes("GET /search?q=a%20b&x=?y HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(p.target == "/search?q=a%20b&x=?y")
        #expect(p.path == "/search")
        #expect(p.query == "q=a%20b&x=?y")
        let empty = parse(bytes("GET /p? HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(empty.path == "/p" && empty.query == "" && empty.target == "/p?")
    }

    @Test(arguments: [
        ("http://example.com/a/b?c=d", "/a/b", "c=d"),
        ("HTTPS://example.com:8443/x", "/x", ""),
        ("Http://example.com", "", ""),
        ("http://example.com?q", "", "q"),
        ("https://[::1]:443/v1/avatar?z=1/2", "/v1/avatar", "z=1/2"),
    ])
    func absoluteForm(target: String, path: String, query: String) {
        let p = parse(bytes("GET \(target) HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.target == target)
        #expect(p.path == path)
        #expect(p.query == query)
    }

    @Test func asteriskForm() {
        let p = parse(bytes("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.method == .options)
        #expect(p.target == "*")
        #expect(p.path == "" && p.query == "")
    }

    @Test func leadingEmptyLinesAreSkippedButCounted() {
        let input = bytes("\r\n\r\n" + typicalRequest)
        let p = parse(input)
        #expect(p.result == .complete(headLength: input.count))
        #expect(p.methodToken == "GET" && p.path == "/v1/avatar")
    }

    @Test func valuesAreTrimmed() {
        let p = parse(bytes("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t one \t two \t \r\nX-B:\t\r\nX-C:   \r\nX-D:x\r\n\r\n"))
        #expect(p.header("host") == "a")
        #expect(p.header("x-a") == "one \t two")
        #expect(p.header("x-b") == "")
        #expect(p.header("x-c") == "")
        #expect(p.header("x-d") == "x")
    }

    @Test func obsTextInValues() {
        var input = bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf")
        input += [0xC3, 0xA9, 0x80, 0xFF]
        input += bytes("\r\n\r\n")
        let p = parse(input)
        #expect(p.headLength == input.count)
        #expect(p.headers.last?.value == bytes("caf") + [0xC3, 0xA9, 0x80, 0xFF])
    }

    @Test func headerSpansPointAtTheRightBytes() {
        let text = "POST /upload HTTP/1.1\r\nHost: example.org\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 11\r\nUser-Agent: curl/8.5.0 (x86_64)\r\nAccept: */*\r\n\r\n"
        let p = parse(bytes(text))
        let pairs = p.headers.map { "\($0.nameString)=\($0.valueString)" }
        #expect(pairs == [
            "Host=example.org", "Content-Type=text/plain", "Content-Length=11",
            "User-Agent=curl/8.5.0 (x86_64)", "Accept=*/*",
        ])
        #expect(p.contentLength == 11)
        #expect(p.method == .post)
    }

    @Test func contentLength() {
        #expect(parse(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")).contentLength == 0)
        #expect(parse(bytes("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  0042 \r\n\r\n")).contentLength == 42)
        let max = parse(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(Int.max)\r\n\r\n"))
        #expect(max.contentLength == Int.max)
    }

    @Test(arguments: ["chunked", "Chunked", "\tCHUNKED\t", ", chunked", "chunked, ", " , , chunked ,"])
    func chunked(value: String) {
        let p = parse(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.isChunked)
        #expect(p.contentLength == -1)
    }

    /// Several Transfer-Encoding lines form one list; empty elements are ignored (RFC 9110 §5.6.1).
    @Test func transferCodingsSplitOverFieldLines() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\ntransfer-encoding: chunked\r\n\r\n"
        let p = parse(bytes(text))
        #expect(p.headLength != nil)
        #expect(p.isChunked)
    }

    @Test func expectContinue() {
        let yes = parse(bytes("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 9\r\n\r\n"))
        #expect(yes.headLength != nil)
        #expect(yes.expectContinue)
        let other = parse(bytes("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"))
        #expect(other.headLength != nil)
        #expect(!other.expectContinue)
        // HTTP/1.0 clients cannot expect 100 (RFC 9110 §10.1.1).
        let old = parse(bytes("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n"))
        #expect(old.headLength != nil)
        #expect(!old.expectContinue)
    }

    @Test func emptyHostIsAllowed() {
        let p = parse(bytes("GET / HTTP/1.1\r\nHost:\r\n\r\n"))
        #expect(p.headLength != nil)
        #expect(p.header("host") == "")
    }

    @Test func reusedHeadIsReset() {
        var head = RequestHead()
        head.headerCount = 7
        head.contentLength = 12
        head.isChunked = true
        head.method = .post
        var storage = [HeaderField](repeating: HeaderField(name: .empty, value: .empty), count: 4)
        let input = bytes("GET / HTTP/1.1\r\nHost: a")
        let result = input.withUnsafeBytes { raw in
            storage.withUnsafeMutableBufferPointer {
                RequestParser.parse(raw, headers: $0, limits: ParserLimits(), into: &head)
            }
        }
        #expect(result == .incomplete)
        #expect(head.headerCount == 0 && head.contentLength == -1 && !head.isChunked && head.method == .get)
    }

    @Test func pipelinedBytesAfterTheHead() {
        let first = bytes("GET /one HTTP/1.1\r\nHost: a\r\n\r\n")
        for tail in ["GET /two HTTP/1.1\r\nHost: a\r\n\r\n", "GET /tw", "\r\n", "\n", "body bytes\r\n\r\n", "\0\u{7F}"] {
            let p = parse(first + bytes(tail))
            #expect(p.result == .complete(headLength: first.count), "tail \(tail.debugDescription)")
            #expect(p.path == "/one")
        }
        let post = bytes("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        #expect(parse(post + bytes("hello")).result == .complete(headLength: post.count))
    }

    @Test func limitsAreInclusive() {
        let input = bytes(typicalRequest)
        let line = "GET /v1/avatar HTTP/1.1\r\n".utf8.count
        let exact = ParserLimits(maxRequestLineLength: line, maxHeaderBytes: input.count, maxHeaderCount: 1)
        #expect(parse(input, limits: exact, headerCapacity: 1).result == .complete(headLength: input.count))
        let leading = bytes("\r\n\r\n") + input
        let exactWithLeading = ParserLimits(maxRequestLineLength: line, maxHeaderBytes: leading.count, maxHeaderCount: 1)
        #expect(parse(leading, limits: exactWithLeading).result == .complete(headLength: leading.count))
    }

    @Test func manyHeadersUpToTheLimit() {
        var text = "GET / HTTP/1.1\r\nHost: a\r\n"
        for i in 1..<100 { text += "X-Field-\(i): value \(i)\r\n" }
        let p = parse(bytes(text + "\r\n"))
        #expect(p.headers.count == 100)
        #expect(p.headers.last?.valueString == "value 99")
    }
}
