import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Size limits (414, 431, 413) and the per-worker connection limit.
@Suite("Hardening: limits")
struct HardeningLimitTests {
    @Test("--max-request-line 64: a 100-byte target gets 414 and a close", arguments: engines)
    func requestLineLimit(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--max-request-line", "64"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("GET", "/" + String(repeating: "a", count: 99)))
            try expectErrorThenClose(client, status: 414, allowReset: true, context: "100-byte target")
        }
    }

    @Test("--max-request-line 64: a request line within the limit is served", arguments: engines)
    func requestLineWithinLimit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--max-request-line", "64"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected)
        }
    }

    @Test("--max-header-bytes 512: 1,000 bytes of header fields get 431 and a close", arguments: engines)
    func headerBytesLimit(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--max-header-bytes", "512"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            // Ten fields of 100 bytes each (name, colon, value, CRLF).
            let fields = (0..<10).map { "X-Pad-\($0): " + String(repeating: "p", count: 100 - 11) }
            try client.send(RawClient.request(headers: fields))
            try expectErrorThenClose(client, status: 431, allowReset: true, context: "1,000 bytes of fields")
        }
    }

    @Test("--max-header-bytes 512: 300 bytes of header fields are served", arguments: engines)
    func headerBytesWithinLimit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--max-header-bytes", "512"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            let fields = (0..<3).map { "X-Pad-\($0): " + String(repeating: "p", count: 100 - 11) }
            try client.send(RawClient.request(headers: fields))
            checkAvatar(try client.readResponse(), expected: expected)
        }
    }

    @Test("--max-headers 10: 20 header fields get 431 and a close", arguments: engines)
    func headerCountLimit(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--max-headers", "10"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            // Host plus 19 more.
            try client.send(RawClient.request(headers: (1..<20).map { "X-\($0): v" }))
            try expectErrorThenClose(client, status: 431, allowReset: true, context: "20 fields")
        }
    }

    @Test("--max-headers 10: 10 header fields are served", arguments: engines)
    func headerCountWithinLimit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--max-headers", "10"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request(headers: (1..<10).map { "X-\($0): v" }))
            checkAvatar(try client.readResponse(), expected: expected)
        }
    }

    @Test("--max-body 1000: Content-Length: 2000 gets 413 and a close without the body being sent",
          arguments: engines)
    func lengthBodyLimit(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--max-body", "1000"]) { server in
            // Only the head: a server that waits for the body times out here.
            let client = try RawClient(port: server.port, timeoutSeconds: 2)
            let start = monotonicSeconds()
            try client.send(RawClient.request("POST", headers: ["Content-Length: 2000"]))
            try expectErrorThenClose(client, status: 413, context: "Content-Length: 2000, head only")
            let elapsed = monotonicSeconds() - start
            #expect(elapsed < 2, "413 and close took \(elapsed) s")
        }
    }

    @Test("--max-body 1000: a body of exactly 1000 bytes is accepted (405, then a GET gets 200)",
          arguments: engines)
    func lengthBodyAtLimit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--max-body", "1000"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            let body = [UInt8](repeating: UInt8(ascii: "b"), count: 1000)
            try client.send(RawClient.request("POST", headers: ["Content-Length: 1000"]) + body + RawClient.request())
            check405(try client.readResponse(), context: "1000-byte body")
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after the 1000-byte body")
        }
    }

    @Test("--max-body 1000: a chunked body of 1,500 decoded bytes gets 413 and a close", arguments: engines)
    func chunkedBodyLimit(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--max-body", "1000"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            var bytes = Array("POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<3 {  // three chunks of 500: each is small, the sum is not
                bytes += Array("1f4\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "c"), count: 500) + Array("\r\n".utf8)
            }
            bytes += Array("0\r\n\r\n".utf8)
            try client.send(bytes)
            try expectErrorThenClose(client, status: 413, allowReset: true, context: "1,500-byte chunked body")
        }
    }

    @Test("Default limits: an 8,000-byte target is parsed (404), a 9 KiB one gets 414", arguments: engines)
    func defaultRequestLineLimit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request("GET", "/" + String(repeating: "a", count: 7999)))
            check404(try client.readResponse(), context: "8,000-byte target")
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after the long 404")

            let long = try RawClient(port: server.port, timeoutSeconds: 3)
            try long.send(RawClient.request("GET", "/" + String(repeating: "a", count: 9 * 1024)))
            try expectErrorThenClose(long, status: 414, allowReset: true, context: "9 KiB target")
        }
    }

    @Test("--max-connections 5: a 6th connection waits in the backlog and is served when one closes",
          arguments: engines)
    func connectionLimit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, workers: "1", extraArguments: ["--max-connections", "5"]) { server in
            var open: [RawClient] = []
            for index in 0..<5 {
                let client = try RawClient(port: server.port, timeoutSeconds: 3)
                try client.send(RawClient.request())
                checkAvatar(try client.readResponse(), expected: expected, context: "connection #\(index)")
                open.append(client)
            }

            // connect() completes in the kernel; the server must not take it.
            let sixth = try RawClient(port: server.port, timeoutSeconds: 3)
            try sixth.send(RawClient.request())
            if sixth.waitReadable(seconds: 1) {
                let state = sixth.peerState()
                Issue.record("while 5 connections were open, the 6th was \(state) within 1 s (expected no answer)")
                return
            }

            // One of the five goes away: the worker accepts again.
            open.removeFirst().close()
            let start = monotonicSeconds()
            sixth.setReceiveTimeout(3)
            checkAvatar(try sixth.readResponse(), expected: expected, context: "6th connection after a close")
            let waited = monotonicSeconds() - start
            #expect(waited < 3, "the 6th connection waited \(waited) s after a slot freed")

            // The other four still work, and so does a new one once they are gone.
            for (index, client) in open.enumerated() {
                try client.send(RawClient.request())
                checkAvatar(try client.readResponse(), expected: expected, context: "kept connection #\(index)")
            }
            open.forEach { $0.close() }
            sixth.close()
            let fresh = try RawClient(port: server.port, timeoutSeconds: 3)
            try fresh.send(RawClient.request())
            checkAvatar(try fresh.readResponse(), expected: expected, context: "new connection at the end")
            #expect(server.isRunning, "the server died\n\(server.stderrTail)")
        }
    }

    @Test("--max-connections 5: 20 simultaneous connections are all served, five at a time", arguments: engines)
    func connectionLimitQueue(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, workers: "1", extraArguments: ["--max-connections", "5"]) { server in
            // Each asks with Connection: close, so the server frees its slot itself.
            let clients = try (0..<20).map { _ in try RawClient(port: server.port, timeoutSeconds: 5) }
            for client in clients { try client.send(RawClient.request(headers: ["Connection: close"])) }
            for (index, client) in clients.enumerated() {
                checkAvatar(try client.readResponse(), expected: expected, context: "queued connection #\(index)")
            }
        }
    }
}
