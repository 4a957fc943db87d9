import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Connection: close and HTTP/1.0")
struct ConnectionCloseTests {
    @Test("HTTP/1.1 with Connection: close gets its response, then EOF", arguments: engines)
    func connectionClose(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request(headers: ["Connection: close"]))
            checkAvatar(try client.readResponse(), expected: expected)
            let state = client.peerState()
            #expect(state == .closed, "after Connection: close the connection was \(state)")
        }
    }

    @Test("A request pipelined after Connection: close is not answered", arguments: engines)
    func nothingAfterConnectionClose(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request(headers: ["Connection: close"]) + RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected)
            let state = client.peerState()
            // Both requests arrived in one segment, so the server has read all
            // we sent and its close is an orderly FIN.
            #expect(state == .closed, "after Connection: close the connection was \(state)")
        }
    }

    @Test("HTTP/1.0 without keep-alive gets its response, then EOF", arguments: engines)
    func http10Closes(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request(version: "HTTP/1.0"))
            checkAvatar(try client.readResponse(), expected: expected)
            let state = client.peerState()
            #expect(state == .closed, "after an HTTP/1.0 request the connection was \(state)")
        }
    }

    @Test("HTTP/1.0 with Connection: keep-alive stays open for a second request", arguments: engines)
    func http10KeepAlive(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let request = RawClient.request(version: "HTTP/1.0", headers: ["Connection: keep-alive"])
            try client.send(request)
            checkAvatar(try client.readResponse(), expected: expected, context: "first HTTP/1.0 keep-alive request")
            try client.send(request)
            checkAvatar(try client.readResponse(), expected: expected, context: "second HTTP/1.0 keep-alive request")
        }
    }
}

@Suite("Clients that vanish")
struct VanishingClientTests {
    @Test("A client that closes without reading 200 pipelined responses does not take the server down", arguments: engines)
    func closeWithoutReading(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            // ~740 KB of responses, more than the socket buffers hold: the
            // server is still writing when the peer resets the connection.
            let rude = try RawClient(port: server.port)
            try rude.send((0..<200).flatMap { _ in RawClient.request() })
            usleep(20_000)
            rude.close()
            usleep(200_000)

            #expect(server.isRunning, "the server died after a client vanished\n\(server.stderrTail)")
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected, context: "request after the vanished client")
        }
    }
}
