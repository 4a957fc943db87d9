import Foundation
import Testing

@Suite("GET and HEAD /v1/avatar")
struct AvatarTests {
    @Test("GET /v1/avatar: 200, the fixture's bytes and every promised header", arguments: engines)
    func getAvatar(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/v1/avatar"))
            let response = try client.readResponse()
            let now = Date().timeIntervalSince1970

            #expect(response.version == "HTTP/1.1")
            #expect(response.status == 200)
            checkAvatar(response, expected: expected)
            #expect(response.values(of: "content-length") == ["3696"])
            #expect(response.values(of: "content-type") == ["application/json"])
            #expect(response.values(of: "engine") == ["Ringside"])
            #expect(response.values(of: "location") == ["/v1/avatar"])
            let names = response.headers.map(\.name)
            #expect(names.allSatisfy { $0 == $0.lowercased() }, "header names are not all lowercase: \(names)")

            let dates = response.values(of: "date")
            try #require(dates.count == 1, "expected one date header, got \(dates)")
            let parsed = try #require(IMFFixdate.parse(dates[0]), "date is not an IMF-fixdate: \(dates[0].debugDescription)")
            #expect(abs(Double(parsed) - now) <= 5, "date \(dates[0]) is more than 5 s from now")
        }
    }

    @Test("HEAD /v1/avatar: 200 and content-length 3696 but no body bytes", arguments: engines)
    func headAvatar(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("HEAD", "/v1/avatar"))
            let head = try client.readResponse(bodyExpected: false)
            #expect(head.status == 200)
            #expect(head.values(of: "content-length") == ["3696"])
            #expect(head.values(of: "content-type") == ["application/json"])
            #expect(head.values(of: "engine") == ["Ringside"])
            #expect(head.header("date") != nil)

            // Stray body bytes after the HEAD response would corrupt this one.
            try client.send(RawClient.request("GET", "/v1/avatar"))
            let get = try client.readResponse()
            checkAvatar(get, expected: expected, context: "GET after HEAD")
        }
    }
}
