import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The strictness policy of HTTP1 (Sources/HTTP1/HTTP1.docc/StrictnessPolicy.md) through real
/// sockets: each request that two parsers could read two ways is refused with its status and a
/// close, and the request hidden after its bad bytes is never answered. Each case sends a valid
/// GET after the bad bytes in the same write; a server that read past the bad bytes would answer
/// it (a second response). The checks hold whether the server closes at once or lingers (shuts
/// down its side, drains for a while): after the full error response, EOF or a reset, nothing else.
@Suite("Hardening: request smuggling")
struct HardeningSmugglingTests {
    static let post = "POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    static let chunked = post + "Transfer-Encoding: chunked\r\n\r\n"
    /// The request hidden behind the bad bytes: answered, it would be a 200 with the avatar.
    static let hidden = "GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    /// `hidden` as a body: a parser that takes the Content-Length sees a request after it.
    static let hiddenLength = hidden.utf8.count

    static let cases: [RefusedRequest] = [
        // Lines end in CRLF only (RFC 9112 §2.2).
        RefusedRequest(
            "bare LF after the request line",
            "POST /v1/avatar HTTP/1.1\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n" + hidden),
        RefusedRequest(
            "bare LF inside the field lines (Dummy: x\\nContent-Length)",
            post + "Dummy: x\nContent-Length: \(hiddenLength)\r\n\r\n" + hidden),
        RefusedRequest("bare LF before the request line", "\n" + hidden + hidden),
        RefusedRequest("bare LF after a chunk size", chunked + "5\nhello\r\n0\r\n\r\n" + hidden),
        RefusedRequest("bare LF ending a trailer", chunked + "0\r\nX: y\n\r\n" + hidden),
        // Chunk extensions (RFC 9112 §7.1.1).
        RefusedRequest("empty chunk extension name (2;)", chunked + "2;\r\nhi\r\n0\r\n\r\n" + hidden),
        RefusedRequest(
            "unterminated quoted chunk extension (5;a=\"abc)", chunked + "5;a=\"abc\r\nhello\r\n0\r\n\r\n" + hidden),
        RefusedRequest(
            "CRLF inside a quoted chunk extension", chunked + "5;a=\"x\r\n0\r\n\r\n\"\r\nhello\r\n0\r\n\r\n" + hidden),
        // Transfer-Encoding (RFC 9112 §6.1, §6.3).
        RefusedRequest(
            "final coding not chunked (chunked, deflate) is 400",
            post + "Transfer-Encoding: chunked, deflate\r\n\r\n0\r\n\r\n" + hidden),
        RefusedRequest("unknown coding (pigeons) is 400", post + "Transfer-Encoding: pigeons\r\n\r\n" + hidden),
        RefusedRequest(
            "coding before chunked (gzip, chunked) is 501",
            post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + hidden, status: 501),
        RefusedRequest(
            "coding before chunked on its own line (deflate) is 501",
            post + "Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden, status: 501),
        // Content-Length (RFC 9112 §6.3) and CONNECT (RFC 9110 §9.3.6).
        RefusedRequest(
            "Content-Length repeated with the same value",
            post + "Content-Length: \(hiddenLength)\r\nContent-Length: \(hiddenLength)\r\n\r\n" + hidden),
        RefusedRequest(
            "CONNECT with Content-Length",
            "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: \(hiddenLength)\r\n\r\n" + hidden),
        // The verdict does not depend on Connection: close.
        RefusedRequest(
            "Connection: close with a malformed chunked body",
            "GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;a=\"abc\r\nhello\r\n0\r\n\r\n" + hidden),
        RefusedRequest(
            "Connection: close with chunk data longer than its size",
            "GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "1\r\nhello\r\n0\r\n\r\n" + hidden),
    ]

    @Test("A request that could be read two ways gets its status and a close; the request behind it is not answered",
          arguments: engines, cases)
    func refused(engine: String, request: RefusedRequest) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(request.bytes)
            // The whole error response, then EOF (or a reset after it): a second response fails here.
            try expectErrorThenClose(client, status: request.status, allowReset: true, context: request.name)
        }
    }

    /// The same framing written correctly is served, and so is the request behind it: the cases
    /// above fail for the rule they break, not for something else in the bytes.
    @Test("The corrected requests are answered, and so is the request behind each", arguments: engines)
    func correctedAreServed(engine: String) async throws {
        let expected = try Fixtures.avatar()
        let get = "GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        let corrected = [
            get + "Dummy: x\r\nContent-Length: 0\r\n\r\n",
            get + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n",
            get + "Transfer-Encoding: chunked\r\n\r\n2;a\r\nhi\r\n0\r\n\r\n",
            get + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\\\"y\\\\z\" ; b = c\r\nhello\r\n0\r\n\r\n",
            get + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            get + "Content-Length: 5\r\n\r\nhello",
        ]
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(corrected.joined() + Self.hidden)
            for (index, request) in corrected.enumerated() {
                checkAvatar(try client.readResponse(), expected: expected, context: "corrected \(index): \(request.debugDescription)")
            }
            checkAvatar(try client.readResponse(), expected: expected, context: "the request behind them")
        }
    }

    @Test("Connection: close with a chunked body: the answer waits for the body, then the server closes",
          arguments: engines)
    func connectionCloseReadsTheBody(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(
                "GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
            // Answered from the head, the response would be here now.
            #expect(!client.waitReadable(seconds: 0.5), "answered before the body was read")
            try client.send("lo\r\n0\r\n\r\n" + Self.hidden)
            checkAvatar(try client.readResponse(), expected: expected, context: "after the body")
            let state = client.timeUntilPeerEnds(within: 3).state
            #expect(state == .closed || state == .reset, "after Connection: close the connection was \(state)")
        }
    }

    @Test("Expect: 100-continue with Connection: close: answered at once, no body waited for", arguments: engines)
    func expectContinueWithCloseAnswersAtOnce(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 2)
            try client.send(RawClient.request(headers: ["Connection: close", "Expect: 100-continue", "Content-Length: 5"]))
            var response = try client.readResponse()
            while (100..<200).contains(response.status) { response = try client.readResponse() }
            checkAvatar(response, expected: expected, context: "Expect: 100-continue, Connection: close")
            let state = client.timeUntilPeerEnds(within: 3).state
            #expect(state == .closed || state == .reset, "after the answer the connection was \(state)")
        }
    }
}
