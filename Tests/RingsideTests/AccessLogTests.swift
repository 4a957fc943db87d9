import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--access-log`: a line per answered request, written in batches; `--log-format`, `--log-level`.
@Suite("Access log and log lines")
struct AccessLogTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
    }

    /// `write(2)`-family calls the process made (`syscw` in /proc/PID/io): sends
    /// by `sendmsg` and io_uring are not among them, the access log's writes are.
    static func writeCalls(_ pid: Int32) throws -> Int {
        let text = try #require(readProcFile("/proc/\(pid)/io"))
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("syscw:") })
        return try #require(Int(line.dropFirst("syscw:".count).trimmingCharacters(in: .whitespaces)))
    }

    @Test("text lines: time, peer, method and path, status, bytes, seconds, request id", arguments: engines)
    func textLines(engine: String) async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var expected: [(method: String, path: String, status: Int, bytes: Int, id: String)] = []
        try await withServer(engine: engine, extraArguments: ["--access-log", path, "--request-ids"]) { server in
            let client = try RawClient(port: server.port)
            for (method, target, id) in [("GET", "/v1/avatar?secret=1", "one"), ("GET", "/nope", "two"),
                                         ("HEAD", "/v1/avatar", "three"), ("GET", "/demo/async", "four"),
                                         ("GET", "/a\"b\\c", "five")] {
                let response = try client.exchange(method, target, headers: ["x-request-id: \(id)"], bodyExpected: method != "HEAD")
                let logged = String(target.split(separator: "?")[0]).replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "\"", with: "\\\"")
                expected.append((method, logged, response.status, response.wireCount, id))
            }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        try #require(lines.count == expected.count, "\(lines)")
        for (line, want) in zip(lines, expected) {
            // 2026-11-23T04:55:47.123Z 127.0.0.1:51234 "GET /v1/avatar" 200 3869 0.000000 one - HTTP/1.1
            let parts = line.split(separator: " ").map(String.init)
            try #require(parts.count == 10, "\(line)")
            #expect(parts[0].count == 24 && parts[0].hasSuffix("Z") && parts[0].contains("T"), "\(line)")
            #expect(parts[1].hasPrefix("127.0.0.1:"), "\(line)")
            #expect(parts[2] == "\"\(want.method)" && parts[3] == "\(want.path)\"", "\(line)")
            #expect(parts[4] == String(want.status) && parts[5] == String(want.bytes), "\(line)")
            #expect(Double(parts[6]).map { $0 >= 0 && $0 < 5 } == true, "\(line)")
            #expect(parts[7] == want.id, "\(line)")
            #expect(parts[8] == "-", "cleartext: \(line)")
            #expect(parts[9] == "HTTP/1.1", "\(line)")
        }
    }

    @Test("--log-format json: access lines to standard output and log lines are JSON objects; --log-level filters",
          arguments: engines)
    func jsonLines(engine: String) async throws {
        try await LiveTests.run {
            let server = try ServerProcess(engine: engine, extraArguments: ["--access-log", "-", "--log-format", "json"])
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/v1/avatar").status == 200)
            #expect(try client.exchange("GET", "/missing\"quote").status == 404)
            #expect(server.stop() == .exited(0))
            let access = server.stdout.split(separator: "\n").filter { !$0.hasPrefix("Listening on") }
            try #require(access.count == 2, "\(server.stdout)")
            let objects = try access.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(objects[0]["method"] as? String == "GET" && objects[0]["path"] as? String == "/v1/avatar")
            #expect(objects[0]["status"] as? Int == 200 && objects[0]["request_id"] is NSNull && objects[0]["tls"] is NSNull
                    && objects[0]["protocol"] as? String == "HTTP/1.1")
            #expect(objects[1]["path"] as? String == "/missing\"quote" && objects[1]["status"] as? Int == 404)
            #expect((objects[0]["remote"] as? String)?.hasPrefix("127.0.0.1:") == true)
            #expect(objects[0]["duration"] is NSNumber && objects[0]["bytes"] as? Int ?? 0 > 3696)
            // The "stopping" line on SIGTERM, as JSON.
            let logLines = server.stderr.split(separator: "\n")
            try #require(!logLines.isEmpty)
            for line in logLines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                #expect(object["level"] is String && object["message"] is String && object["time"] is String, "\(line)")
            }
            #expect(logLines.contains { $0.contains("\"level\":\"info\"") && $0.contains("\"message\":\"stopping\"") })

            // --log-level warning: the info line is not written.
            let quiet = try ServerProcess(engine: engine, extraArguments: ["--log-level", "warning"])
            #expect(quiet.stop() == .exited(0))
            #expect(!quiet.stderr.contains("stopping"), "\(quiet.stderr)")
        }
    }

    @Test("lines are written per loop turn, not per request", arguments: engines)
    func batched(engine: String) async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withServer(engine: engine, extraArguments: ["--access-log", path]) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/nope").status == 404)
            let before = try Self.writeCalls(server.pid)
            // 160 requests in one write: the worker answers 16 per turn (its queue depth).
            try client.send(String(repeating: requestText("GET", "/nope"), count: 160))
            for _ in 0..<160 { #expect(try client.readResponse().status == 404) }
            pause(0.1)
            let writes = try Self.writeCalls(server.pid) - before
            #expect(writes < 40, "\(writes) writes for 160 lines")
            #expect(writes >= 1)
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 161)
    }

    @Test("an access log that cannot be opened stops the start with one line")
    func unopenable() async throws {
        try await LiveTests.run {
            let result = try runCommand(try ServerProcess.binaryPath(), [
                "serve", "--host", "127.0.0.1", "--port", "0", "--access-log", "/nonexistent-dir/access.log",
            ])
            #expect(result.status == 1)
            #expect(result.stderr.contains("cannot open access log /nonexistent-dir/access.log"), "\(result.stderr)")
        }
    }
}
