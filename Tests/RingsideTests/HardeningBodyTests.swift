import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Request bodies are read and thrown away even when the route never looks at
/// them, so the next request on the connection starts at the right byte
/// (RFC 9112 §6). Content-Length and chunked bodies, in one write, in pieces,
/// and split at every byte.
@Suite("Hardening: request bodies are consumed")
struct HardeningBodyTests {
    static let lengthPost =
        "POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\nhello world"

    /// A chunk extension, two chunks, and a trailer field.
    static let chunkedPost =
        "POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"

    static let get = requestText()

    /// Reads the 405 for the POST, then the avatar for the GET behind it.
    static func expect405ThenAvatar(
        _ client: RawClient, expected: [UInt8], context: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        check405(try client.readResponse(), context: "\(context), POST", sourceLocation: sourceLocation)
        checkAvatar(try client.readResponse(), expected: expected, context: "\(context), GET after the POST",
                    sourceLocation: sourceLocation)
    }

    // MARK: Content-Length

    @Test("POST with an 11-byte body and a GET in the same write: 405 then 200", arguments: engines)
    func lengthBodyPipelined(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(Self.lengthPost + Self.get)
            try Self.expect405ThenAvatar(client, expected: expected, context: "one write")
            // Still open and in step: one more GET.
            try client.send(Self.get)
            checkAvatar(try client.readResponse(), expected: expected, context: "third request")
        }
    }

    @Test("POST head, its body in three writes 50 ms apart, then a GET: 405 then 200", arguments: engines)
    func lengthBodyInPieces(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let head = "POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\n"
            for piece in [head, "hel", "lo w", "orld"] {
                try client.send(piece)
                pause(0.05)
            }
            try client.send(Self.get)
            try Self.expect405ThenAvatar(client, expected: expected, context: "body in pieces")
        }
    }

    @Test("POST + GET split into two writes at every byte boundary: 405 then 200 each time", arguments: engines)
    func lengthBodyEverySplit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            try Self.everySplit(Array((Self.lengthPost + Self.get).utf8), port: server.port, expected: expected)
        }
    }

    @Test("A 256 KiB Content-Length body (many receive buffers) is skipped: 405 then 200", arguments: engines)
    func largeLengthBody(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: 256 * 1024)
            let head = requestText("POST", headers: ["Content-Length: \(body.count)"])
            try client.send(Array(head.utf8) + body + Array(Self.get.utf8))
            try Self.expect405ThenAvatar(client, expected: expected, context: "256 KiB body")
        }
    }

    // MARK: Chunked

    @Test("Chunked POST with an extension and a trailer, then a GET in the same write: 405 then 200",
          arguments: engines)
    func chunkedBodyPipelined(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(Self.chunkedPost + Self.get)
            try Self.expect405ThenAvatar(client, expected: expected, context: "chunked, one write")
            try client.send(Self.get)
            checkAvatar(try client.readResponse(), expected: expected, context: "third request")
        }
    }

    @Test("Chunked POST delivered in pieces 50 ms apart, then a GET: 405 then 200", arguments: engines)
    func chunkedBodyInPieces(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let pieces = [
                "POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "5;ext", "=1\r\nhel", "lo\r", "\n6\r\n wo", "rld\r\n0\r", "\nX-Trailer: 1\r\n", "\r\n",
            ]
            for piece in pieces {
                try client.send(piece)
                pause(0.05)
            }
            try client.send(Self.get)
            try Self.expect405ThenAvatar(client, expected: expected, context: "chunked in pieces")
        }
    }

    @Test("Chunked POST + GET split into two writes at every byte boundary: 405 then 200 each time",
          arguments: engines)
    func chunkedBodyEverySplit(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            try Self.everySplit(Array((Self.chunkedPost + Self.get).utf8), port: server.port, expected: expected)
        }
    }

    @Test("A chunked body of 200 chunks totalling 100 KB is decoded and skipped: 405 then 200", arguments: engines)
    func manyChunks(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            var bytes = Array("POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 500)
            for index in 0..<200 {
                // Upper- and lower-case hex sizes, some with a leading zero.
                let size = index % 2 == 0 ? "1F4" : "01f4"
                bytes += Array("\(size)\r\n".utf8) + chunk + Array("\r\n".utf8)
            }
            bytes += Array("0\r\n\r\n".utf8) + Array(Self.get.utf8)
            try client.send(bytes)
            try Self.expect405ThenAvatar(client, expected: expected, context: "200 chunks")
        }
    }

    // MARK: Unknown paths

    @Test("POST /nope with a Content-Length body, then a GET: 404 then 200", arguments: engines)
    func notFoundWithLengthBody(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(
                "POST /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\nhello world" + Self.get)
            check404(try client.readResponse(), context: "POST /nope")
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after POST /nope")
        }
    }

    @Test("POST /nope with a chunked body, then a GET: 404 then 200", arguments: engines)
    func notFoundWithChunkedBody(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(
                "POST /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "b\r\nhello world\r\n0\r\n\r\n" + Self.get)
            check404(try client.readResponse(), context: "chunked POST /nope")
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after chunked POST /nope")
        }
    }

    // MARK: Helpers

    /// For each split point, a fresh connection gets `bytes[..<split]`, a
    /// short pause (so the server reads the halves separately), then the
    /// rest; it must answer 405 then the avatar. Stops after a few failures.
    static func everySplit(
        _ bytes: [UInt8], port: UInt16, expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var failures = 0
        for split in 1..<bytes.count {
            let context = "split at byte \(split) of \(bytes.count) (first write ends "
                + "\(String(decoding: bytes[max(0, split - 12)..<split], as: UTF8.self).debugDescription))"
            do {
                let client = try RawClient(port: port, timeoutSeconds: 3)
                try client.send(Array(bytes[..<split]))
                pause(0.002)
                try client.send(Array(bytes[split...]))
                let first = try client.readResponse()
                let second = try client.readResponse()
                var problems: [String] = []
                if first.status != 405 { problems.append("first response \(first.headSummary)") }
                if let problem = avatarProblem(second, expected: expected) { problems.append("second: \(problem)") }
                if !problems.isEmpty {
                    Issue.record("\(context): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
                    failures += 1
                }
            } catch {
                Issue.record("\(context): \(error)", sourceLocation: sourceLocation)
                failures += 1
            }
            if failures >= 3 {
                Issue.record("stopping after 3 failing split points", sourceLocation: sourceLocation)
                return
            }
        }
    }
}
