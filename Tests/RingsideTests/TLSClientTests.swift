import Foundation
import Testing

/// `HTTPClient` over HTTPS, through `/v1/user` with `--upstream https://…`:
/// against Ringside serving TLS (sessions resumed across the pool's
/// connections), against `openssl s_server` asking for a client certificate
/// (mutual TLS), and against upstreams it must refuse (a CA it does not
/// trust, a certificate naming another host), on both engines.
@Suite("TLS client")
struct TLSClientTests {
    static let engines = TLSTests.engines

    @Test("/v1/user over HTTPS: answered, the pool's later connections resume the first one's session", arguments: engines)
    func callsRingsideOverTLS(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let upstreamArguments = TLSTests.arguments(certificates) + ["--tls-port", "0"]
        try await withServer(engine: engine, extraArguments: upstreamArguments) { upstream in
            let tlsPort = try TLSSessionTests.tlsPort(upstream)
            let arguments = [
                "--upstream", "https://localhost:\(tlsPort)", "--upstream-ca", certificates.ca,
                "--upstream-connections", "8",
            ]
            try withServerBlocking(engine: engine, extraArguments: arguments) { gateway in
                // One call (the pool's first connection, a full handshake and its ticket), then
                // sixteen at once: the pool opens up to eight connections, each resuming that session.
                let first = try runCommand("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(gateway.port)/v1/user"])
                #expect(first.stdout == "200", "\(first.stdout) \(first.stderr)")
                let result = try runCommand("/usr/bin/curl", [
                    "-sS", "--parallel", "--parallel-max", "16", "-o", "/dev/null", "-w", "%{http_code} %{size_download}\\n",
                    "http://127.0.0.1:\(gateway.port)/v1/user?[1-16]",
                ])
                let lines = result.stdout.split(separator: "\n")
                let expected = "200 \(try Fixtures.avatar().count)"
                #expect(lines.count == 16 && lines.allSatisfy { $0 == expected }, "\(result.stdout) \(result.stderr)")
                var sent = 0, received = 0
                let metrics = try scrape(port: upstream.port, sent: &sent, received: &received)
                let completed = metrics.value("ringside_tls_handshakes_total", ["outcome": "completed", "tls_protocol_version": "1.3"]) ?? 0
                let resumed = metrics.value("ringside_tls_resumed_handshakes_total") ?? 0
                #expect(completed >= 2 && completed <= 8, "the pool's connections: \(completed)")
                #expect(completed - resumed == 1, "\(completed) handshakes, \(resumed) resumed")
                let after = try runCommand("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(gateway.port)/v1/user"])
                #expect(after.stdout == "200")
            }
        }
    }

    @Test("Connections closed at their idle timeout: each later one resumes, from the ticket the last resumed connection received", arguments: engines)
    func resumesAfterIdleCloses(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: TLSTests.arguments(certificates) + ["--tls-port", "0"]) { upstream in
            let tlsPort = try TLSSessionTests.tlsPort(upstream)
            let arguments = [
                "--upstream", "https://localhost:\(tlsPort)", "--upstream-ca", certificates.ca,
                "--upstream-idle-timeout", "0.2",
            ]
            try withServerBlocking(engine: engine, extraArguments: arguments) { gateway in
                // A resumed TLS 1.3 handshake spends the ticket it used (OpenSSL's client forgets
                // it): the chain holds only if the upstream sends a fresh ticket on resumption and
                // the pool offers what it holds without letting one connection spend it.
                for call in 1...4 {
                    let result = try runCommand("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(gateway.port)/v1/user"])
                    #expect(result.stdout == "200", "call \(call): \(result.stdout) \(result.stderr)")
                    Thread.sleep(forTimeInterval: 0.6)  // past the idle timeout: the next call connects anew
                }
                var sent = 0, received = 0
                let metrics = try scrape(port: upstream.port, sent: &sent, received: &received)
                let completed = metrics.value("ringside_tls_handshakes_total", ["outcome": "completed", "tls_protocol_version": "1.3"]) ?? 0
                let resumed = metrics.value("ringside_tls_resumed_handshakes_total") ?? 0
                #expect(completed == 4 && resumed == 3, "\(completed) handshakes, \(resumed) resumed")
            }
        }
    }

    @Test("An upstream certificate from an unknown CA, or naming another host: 502 saying which, nothing sent", arguments: engines)
    func refusesUntrustedUpstreams(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: TLSTests.arguments(certificates) + ["--tls-port", "0"]) { upstream in
            let tlsPort = try TLSSessionTests.tlsPort(upstream)
            let cases: [(arguments: [String], reason: String)] = [
                // The system's CAs do not include the tests' own (which the served chain carries).
                (["--upstream", "https://localhost:\(tlsPort)"], "upstream certificate not trusted (self-signed certificate in certificate chain)"),
                (["--upstream", "https://127.0.0.1:\(tlsPort)", "--upstream-ca", certificates.ca, "--upstream-server-name", "other.test"],
                 "upstream certificate does not name other.test"),
            ]
            for (arguments, reason) in cases {
                try withServerBlocking(engine: engine, extraArguments: arguments) { gateway in
                    let result = try runCommand("/usr/bin/curl", ["-sS", "-w", " %{http_code}", "http://127.0.0.1:\(gateway.port)/v1/user"])
                    #expect(result.stdout == "{\"error\":\"\(reason)\",\"status\":502} 502", "\(result.stdout)")
                }
            }
            // No request reached the upstream: the handshakes failed before one could be sent.
            var sent = 0, received = 0
            let metrics = try scrape(port: upstream.port, sent: &sent, received: &received)
            #expect(metrics.requests("GET", "/v1/avatar", 200) == 0)
        }
    }

    @Test("Mutual TLS: the client certificate is presented when the upstream asks, and the call fails without one")
    func presentsItsClientCertificate() async throws {
        let certificates = try TLSCertificates.shared()
        let client = try certificates.issue("client-\(UUID().uuidString.prefix(8))", names: ["DNS:client.test"])
        let port = try freePort()
        // `-Verify 1`: a client certificate signed by the CA is required; `-www` answers a status page.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificates.chain, "-key", certificates.key,
            "-CAfile", certificates.ca, "-Verify", "1", "-www", "-quiet",
        ]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate() }
        try waitForPort(port)
        let base = ["--upstream", "https://localhost:\(port)", "--upstream-ca", certificates.ca]
        try await withServer(engine: "uring", extraArguments: base + ["--upstream-cert", client.chain, "--upstream-key", client.key]) { gateway in
            let result = try runCommand("/usr/bin/curl", ["-sS", "-w", " %{http_code}", "http://127.0.0.1:\(gateway.port)/v1/user"])
            #expect(result.stdout.hasSuffix(" 200") && result.stdout.contains("Client certificate"), "\(result.stdout.suffix(300))")
        }
        try await withServer(engine: "uring", extraArguments: base) { gateway in
            let result = try runCommand("/usr/bin/curl", ["-sS", "-w", " %{http_code}", "http://127.0.0.1:\(gateway.port)/v1/user"])
            #expect(result.stdout.hasPrefix("{\"error\":\"upstream TLS handshake failed (") && result.stdout.hasSuffix(" 502"),
                    "\(result.stdout)")
        }
    }

    private func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    private func waitForPort(_ port: UInt16) throws {
        for _ in 0..<100 {
            if (try? RawClient(port: port, timeoutSeconds: 1)) != nil { return }
            usleep(50_000)
        }
        throw TLSCertificatesError(step: "openssl s_server on \(port)", output: "never listened")
    }
}
