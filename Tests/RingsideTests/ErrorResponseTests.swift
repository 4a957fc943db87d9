import Foundation
import Testing

@Suite("404, 405 and 400")
struct ErrorResponseTests {
    @Test("An unknown path gets 404 with a JSON body", arguments: engines)
    func notFound(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/nope"))
            check404(try client.readResponse())
        }
    }

    @Test("POST /v1/avatar gets 405 with allow: GET, HEAD; the connection stays usable", arguments: engines)
    func methodNotAllowed(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("POST", "/v1/avatar", headers: ["Content-Length: 0"]))
            let response = try client.readResponse()
            #expect(response.status == 405, "\(response.headSummary)")
            let allow = try #require(response.header("allow"), "405 without an allow header: \(response.headSummary)")
            let methods = allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(methods.contains("GET") && methods.contains("HEAD"), "allow: \(allow)")
            #expect(response.values(of: "content-length") == [String(response.body.count)])

            // Keep-alive is the default for HTTP/1.1; a 405 is no reason to close.
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after 405")
        }
    }

    static let malformedHeads = [
        "GET /v1/avatar  HTTP/1.1\r\nHost: x\r\n\r\n",  // two spaces in the request line
        "GARBAGE\r\n\r\n",
    ]

    @Test("A malformed request head gets 400, then the connection is closed", arguments: engines, malformedHeads)
    func badRequest(engine: String, head: String) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(head)
            let response = try client.readResponse()
            #expect(response.status == 400, "\(response.headSummary)")
            let state = client.peerState()
            // The server has read everything we sent, so an orderly close (FIN) is expected.
            #expect(state == .closed, "after the 400 the connection was \(state)")
        }
    }
}
