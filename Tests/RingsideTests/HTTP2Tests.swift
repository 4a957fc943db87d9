import Foundation
import Testing

/// HTTP/2 on both engines, against clients nobody here wrote: curl (h2c
/// with prior knowledge, and h2 by ALPN over TLS), nghttp, h2load, and
/// Python's hyperframe/hpack for what those do not send (`HTTP2Frames`).
/// The same routes as HTTP/1.1: prebuilt, handlers of every kind, bodies
/// both ways, streamed answers.
@Suite("HTTP/2")
struct HTTP2Tests {
    static let engines = ["uring", "epoll"]

    @Test("curl --http2-prior-knowledge: GET, HEAD and 404 as HTTP/2, HTTP/1.1 still served on the same port", arguments: engines)
    func curlPriorKnowledge(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("h2-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: body) }
            // One URL per curl: Debian's curl 7.88 fails a second request on a reused
            // prior-knowledge connection ("Error in the HTTP2 framing layer", against nginx too).
            let get = try runCommand("/usr/bin/curl", [
                "-sS", "--http2-prior-knowledge", "-o", body, "-w", "%{http_version} %{http_code}", "\(base)/v1/avatar",
            ])
            #expect(get.stdout == "2 200", "\(get.stdout) \(get.stderr)")
            #expect(try Fixtures.bytes(atPath: body) == Fixtures.avatar())
            let missing = try runCommand("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "-w", " %{http_version} %{http_code}", "\(base)/nope"])
            #expect(missing.stdout == #"{"error":"Not Found","status":404} 2 404"#, "\(missing.stdout)")
            let head = try runCommand("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "-I", "\(base)/v1/avatar"])
            let lines = head.stdout.split(separator: "\r\n").map(String.init)
            #expect(lines.first?.trimmingCharacters(in: .whitespaces) == "HTTP/2 200", "\(head.stdout)")
            #expect(lines.contains("content-length: \(try Fixtures.avatar().count)") && lines.contains("content-type: application/json"))
            // No field HTTP/2 forbids, and names in lowercase (RFC 9113 §8.2).
            #expect(!lines.contains { $0.lowercased().hasPrefix("connection:") || $0.lowercased().hasPrefix("keep-alive:") })
            let names = lines.dropFirst().compactMap { $0.split(separator: ":", maxSplits: 1).first.map(String.init) }
            #expect(!names.isEmpty && names.allSatisfy { $0 == $0.lowercased() }, "\(names)")
            let plain = try runCommand("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "\(base)/v1/avatar"])
            #expect(plain.stdout == "1.1 200")
            // The duration histogram tells the protocols apart: the GET and HEAD as 2, curl's HTTP/1.1 GET as 1.1.
            var sent = 0, received = 0
            let metrics = try scrape(port: server.port, sent: &sent, received: &received)
            let name = "http_server_request_duration_seconds_count"
            let avatar = ["http_route": "/v1/avatar", "http_response_status_code": "200"]
            #expect(metrics.value(name, avatar.merging(["http_request_method": "GET", "network_protocol_version": "2"]) { $1 }) == 1)
            #expect(metrics.value(name, avatar.merging(["http_request_method": "HEAD", "network_protocol_version": "2"]) { $1 }) == 1)
            #expect(metrics.value(name, avatar.merging(["http_request_method": "GET", "network_protocol_version": "1.1"]) { $1 }) == 1)
        }
    }

    @Test("h2load: 4,000 requests on 4 connections, 50 streams each at once, every one answered", arguments: engines)
    func h2loadMultiplexes(engine: String) async throws {
        try await withServer(engine: engine) { server in
            for path in ["/v1/avatar", "/demo/async", "/demo/offload"] {
                try expectH2load(["-n", "4000", "-c", "4", "-m", "50", "http://127.0.0.1:\(server.port)\(path)"],
                                 requests: 4000, protocolName: "h2c")
            }
        }
    }

    @Test("nghttp: several streams at once, each answered in full", arguments: engines)
    func nghttpStreams(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let result = try runCommand("/usr/bin/nghttp", ["-ns", "\(base)/v1/avatar", "\(base)/demo/json/7", "\(base)/healthz", "\(base)/nope"])
            #expect(result.status == 0, "\(result.stderr)")
            // Its statistics: one line per stream, with the status.
            for status in ["200", "404"] { #expect(result.stdout.contains(" \(status) "), "\(result.stdout)") }
            let json = try runCommand("/usr/bin/nghttp", ["\(base)/demo/json/7"])
            #expect(json.stdout.contains(#""id":7"#), "\(json.stdout)")
        }
    }

    @Test("Over TLS, ALPN chooses h2 (curl --http2, h2load), and http/1.1 for clients that ask only for it", arguments: engines)
    func h2OverTLS(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: TLSTests.arguments(certificates)) { server in
            let url = "https://localhost:\(server.port)/v1/avatar"
            let resolve = ["--cacert", certificates.ca, "--resolve", "localhost:\(server.port):127.0.0.1"]
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("h2tls-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: body) }
            let h2 = try runCommand("/usr/bin/curl", ["-sS", "--http2"] + resolve + ["-o", body, "-w", "%{http_version} %{http_code}", url])
            #expect(h2.stdout == "2 200", "\(h2.stdout) \(h2.stderr)")
            #expect(try Fixtures.bytes(atPath: body) == Fixtures.avatar())
            let h1 = try runCommand("/usr/bin/curl", ["-sS", "--http1.1"] + resolve + ["-o", "/dev/null", "-w", "%{http_version} %{http_code}", url])
            #expect(h1.stdout == "1.1 200")
            try expectH2load(["-n", "2000", "-c", "4", "-m", "20", "https://127.0.0.1:\(server.port)/v1/avatar"],
                             requests: 2000, protocolName: "h2")
        }
    }

    @Test("Handlers over h2c: a body both ways (sized and unsized), a 4 MB streamed answer through flow control, errors as statuses", arguments: engines)
    func handlersAndBodies(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let directory = FileManager.default.temporaryDirectory.path
            let upload = "\(directory)/h2-upload-\(UUID().uuidString)"
            let echoed = upload + ".echo"
            defer { for path in [upload, echoed] { try? FileManager.default.removeItem(atPath: path) } }
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try Data(bytes).write(to: URL(fileURLWithPath: upload))
            let echo = try runCommand("/usr/bin/curl", [
                "-sS", "--http2-prior-knowledge", "--data-binary", "@\(upload)", "-H", "content-type: application/octet-stream",
                "-o", echoed, "-w", "%{http_version} %{http_code}", "\(base)/echo",
            ])
            #expect(echo.stdout == "2 200", "\(echo.stdout) \(echo.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: echoed)) == Data(bytes))
            let stream = try runCommand("/usr/bin/curl", [
                "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code} %{size_download}",
                "\(base)/stream?chunks=64&size=65536",
            ])
            #expect(stream.stdout == "2 200 4194304", "\(stream.stdout) \(stream.stderr)")
            for (path, expected) in [("/async", "200"), ("/offload", "200"), ("/throw", "500"), ("/forbidden", "403")] {
                let result = try runCommand("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", base + path])
                #expect(result.stdout == expected, "\(path)")
            }
            // A body without content-length (its DATA frames alone say where it ends).
            let unsized = try HTTP2Frames.run("upload-unsized", port: Int(server.port), quietSeconds: 1)
            #expect(unsized.statuses["1"] == "200" && unsized.bodies["1"] == 30000, "\(unsized)")
            // A declared length past --max-body: 413, as over HTTP/1.1.
            let large = try HTTP2Frames.run("upload-too-large", port: Int(server.port), quietSeconds: 1)
            #expect(large.statuses["1"] == "413", "\(large)")
        }
    }

    @Test("HEADERS and a 404 on one connection, HEAD without DATA", arguments: engines)
    func framesOfPlainRequests(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let frames = try HTTP2Frames.run("requests", port: Int(server.port), quietSeconds: 1)
            #expect(frames.statuses == ["1": "200", "3": "404", "5": "200"], "\(frames)")
            #expect(frames.bodies["1"] == (try Fixtures.avatar().count) && frames.bodies["5"] == 0, "\(frames)")
            #expect(frames.goaway == nil && !frames.closed)
        }
    }

    @Test("SIGTERM: GOAWAY naming the last stream, the stream in flight still answered, then the close", arguments: engines)
    func drainSendsGoAway(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let frames = try HTTP2Frames.run("drain", port: Int(server.port), signalPID: server.pid, quietSeconds: 5)
            #expect(frames.goaway == [1, HTTP2Frames.noError], "\(frames)")
            #expect(frames.statuses["1"] == "200" && frames.bodies["1"] == "slept 700".utf8.count, "\(frames)")
            #expect(frames.order.firstIndex(of: "GOAWAY")! < frames.order.firstIndex(of: "HEADERS")!, "\(frames.order)")
            #expect(frames.closed)
        }
    }
}
