import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A request the server must refuse, with the status it must answer.
struct RefusedRequest: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: String
    let status: Int
    /// The response must say `connection: close` and the server must close.
    let closes: Bool

    var testDescription: String { name }

    init(_ name: String, _ bytes: String, status: Int = 400, closes: Bool = true) {
        self.name = name
        self.bytes = bytes
        self.status = status
        self.closes = closes
    }
}

/// RFC 9110/9112 request validation: ambiguous framing and malformed heads get
/// 400 and a close, unsupported codings 501, other HTTP versions 505;
/// absolute-form targets, `OPTIONS *` and `Expect` are understood.
@Suite("Hardening: protocol rules")
struct HardeningProtocolTests {
    static let host = "Host: 127.0.0.1\r\n"

    /// Every one of these gets a small JSON error, and (when `closes`)
    /// `connection: close` and EOF. Where a body belongs to the request it is
    /// sent too, so an orderly FIN (not an RST for unread bytes) is expected.
    static let refused: [RefusedRequest] = [
        RefusedRequest(
            "Content-Length and Transfer-Encoding together",
            "POST /v1/avatar HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        RefusedRequest(
            "two different Content-Length values",
            "POST /v1/avatar HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
        RefusedRequest("Content-Length: -1", "POST /v1/avatar HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n"),
        RefusedRequest("Content-Length: +5", "POST /v1/avatar HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello"),
        RefusedRequest("Content-Length: 1_0", "POST /v1/avatar HTTP/1.1\r\n\(host)Content-Length: 1_0\r\n\r\n"),
        RefusedRequest(
            "Content-Length: 99999999999999999999999 (overflows)",
            "POST /v1/avatar HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999\r\n\r\n"),
        RefusedRequest(
            "chunked with a bad chunk size (zz)",
            "POST /v1/avatar HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
        RefusedRequest(
            "chunk data not followed by CRLF",
            "POST /v1/avatar HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
        RefusedRequest("HTTP/1.1 without Host", "GET /v1/avatar HTTP/1.1\r\n\r\n"),
        RefusedRequest("two Host fields", "GET /v1/avatar HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        RefusedRequest("whitespace before the colon (Host : x)", "GET /v1/avatar HTTP/1.1\r\nHost : x\r\n\r\n"),
        RefusedRequest(
            "obs-fold (a line starting with a space)",
            "GET /v1/avatar HTTP/1.1\r\n\(host)X-Folded: a\r\n b\r\n\r\n"),
        RefusedRequest("invalid field-name character (Bad(Name))", "GET /v1/avatar HTTP/1.1\r\n\(host)Bad(Name): x\r\n\r\n"),
        RefusedRequest("NUL in a field value", "GET /v1/avatar HTTP/1.1\r\n\(host)X-Nul: a\u{0}b\r\n\r\n"),
        RefusedRequest("request line without a version", "GET /v1/avatar\r\n\(host)\r\n"),
        RefusedRequest("two spaces in the request line", "GET  /v1/avatar HTTP/1.1\r\n\(host)\r\n"),
        RefusedRequest(
            "Transfer-Encoding: gzip (chunked not last) is 400",
            "POST /v1/avatar HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n"),
        RefusedRequest("HTTP/2.0 is 505", "GET /v1/avatar HTTP/2.0\r\n\(host)\r\n", status: 505, closes: false),
        RefusedRequest("HTTP/3.0 is 505", "GET /v1/avatar HTTP/3.0\r\n\(host)\r\n", status: 505, closes: false),
    ]

    @Test("A refused request gets its error status as JSON (and connection: close + EOF where it must close)",
          arguments: engines, refused)
    func refusedRequest(engine: String, request: RefusedRequest) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(request.bytes)
            if request.closes {
                try expectErrorThenClose(client, status: request.status, context: request.name)
            } else {
                checkErrorResponse(try client.readResponse(), status: request.status, closes: false, context: request.name)
            }
        }
    }

    @Test("An unknown method (BREW) gets 501; a GET pipelined behind it gets 200", arguments: engines)
    func unknownMethod(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("BREW") + RawClient.request())
            let response = try client.readResponse()
            checkErrorResponse(response, status: 501, closes: false, context: "BREW")
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after BREW")
        }
    }

    @Test("An absolute-form target (http://127.0.0.1/v1/avatar) gets the avatar", arguments: engines)
    func absoluteForm(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("GET", "http://127.0.0.1/v1/avatar"))
            checkAvatar(try client.readResponse(), expected: expected, context: "absolute-form")
            // And with the port in the authority.
            try client.send(RawClient.request("GET", "http://127.0.0.1:\(server.port)/v1/avatar"))
            checkAvatar(try client.readResponse(), expected: expected, context: "absolute-form with port")
        }
    }

    @Test("OPTIONS * gets 200 with allow: GET, HEAD and content-length 0", arguments: engines)
    func optionsAsterisk(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("OPTIONS", "*") + RawClient.request())
            let response = try client.readResponse()
            #expect(response.status == 200, "\(response.headSummary)")
            let allow = response.header("allow") ?? ""
            let methods = allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(methods.contains("GET") && methods.contains("HEAD"), "allow: \(allow.debugDescription)")
            #expect(response.values(of: "content-length") == ["0"], "\(response.headSummary)")
            #expect(response.body.isEmpty)
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after OPTIONS *")
        }
    }

    @Test("Expect: 100-continue with no body sent: the final 405 comes at once, with connection: close",
          arguments: engines)
    func expectContinueGetsFinalAnswer(engine: String) async throws {
        try await withServer(engine: engine) { server in
            // A server waiting for the body would time the client out.
            let client = try RawClient(port: server.port, timeoutSeconds: 2)
            let start = monotonicSeconds()
            try client.send(RawClient.request("POST", headers: ["Expect: 100-continue", "Content-Length: 5"]))
            var response = try client.readResponse()
            // An interim 100 is tolerated; the point is the final answer.
            while (100..<200).contains(response.status) { response = try client.readResponse() }
            let elapsed = monotonicSeconds() - start
            checkErrorResponse(response, status: 405, closes: true, context: "Expect: 100-continue")
            #expect(elapsed < 1.5, "the 405 took \(elapsed) s")
            let state = client.timeUntilPeerEnds(within: 3).state
            #expect(state == .closed, "after the 405 the connection was \(state), expected EOF")
        }
    }

    @Test("Expect: teapot (any expectation but 100-continue) gets 417 with connection: close", arguments: engines)
    func unknownExpectation(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("GET", headers: ["Expect: teapot"]))
            try expectErrorThenClose(client, status: 417, context: "Expect: teapot")
        }
    }

    @Test("DELETE /v1/avatar gets 405 with allow: GET, HEAD; a pipelined GET still gets 200", arguments: engines)
    func otherMethodIs405(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("DELETE") + RawClient.request())
            check405(try client.readResponse(), context: "DELETE")
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after DELETE")
        }
    }
}
