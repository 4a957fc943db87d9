import Foundation
import Testing

/// HTTPS on both engines, against clients nobody here wrote: curl, the
/// `openssl s_client` command and Python's `ssl`, with a CA and certificates
/// the tests make (`TLSCertificates`).
@Suite("TLS")
struct TLSTests {
    static let engines = ["uring", "epoll"]

    static func arguments(_ certificates: TLSCertificates) -> [String] {
        ["--tls-cert", certificates.chain, "--tls-key", certificates.key, "--header-timeout", "2"]
    }

    @Test("curl fetches /v1/avatar over HTTPS, twice on one connection", arguments: engines)
    func curlOverHTTPS(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates)) { server in
            let url = "https://localhost:\(server.port)/v1/avatar"
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: body) }
            let result = try runCommand("/usr/bin/curl", [
                "-sS", "--cacert", certificates.ca, "--resolve", "localhost:\(server.port):127.0.0.1",
                "-o", body, "-o", "/dev/null", "-w", "%{http_code} %{http_version} %{num_connects}\\n", url, url,
            ])
            #expect(result.status == 0, "curl: \(result.stderr)")
            // curl offers h2 and http/1.1 by ALPN: the server chooses h2.
            #expect(result.stdout == "200 2 1\n200 2 0\n", "two answers, the second on the same connection")
            #expect(try Fixtures.bytes(atPath: body) == Fixtures.avatar())
            let http11 = try runCommand("/usr/bin/curl", [
                "-sS", "--http1.1", "--cacert", certificates.ca, "--resolve", "localhost:\(server.port):127.0.0.1",
                "-o", body, "-o", "/dev/null", "-w", "%{http_code} %{http_version} %{num_connects}\n", url, url,
            ])
            #expect(http11.stdout == "200 1.1 1\n200 1.1 0\n", "HTTP/1.1 when the client offers only it")
            #expect(try Fixtures.bytes(atPath: body) == Fixtures.avatar())
        }
    }

    @Test("openssl s_client: TLS 1.3 or 1.2 with ALPN http/1.1; 1.1 and 1.0 refused", arguments: engines)
    func opensslVersionsAndALPN(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates)) { server in
            for version in ["-tls1_3", "-tls1_2"] {
                let result = try Self.sClient(server.port, certificates, [version, "-alpn", "http/1.1"],
                                         send: "GET /v1/avatar HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(result.stdout.contains("HTTP/1.1 200 OK"), "\(version): \(result.stdout.prefix(400)) \(result.stderr)")
                #expect(result.stdout.contains("ALPN protocol: http/1.1"), "\(version)")
                #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(version)")
                #expect(result.stdout.contains(version == "-tls1_3" ? "Protocol  : TLSv1.3" : "Protocol  : TLSv1.2"),
                        "\(version): \(result.stdout.prefix(2000))")
            }
            for version in ["-tls1_1", "-tls1"] {
                // The server's own refusal (alert 70), not a client that would not try.
                let result = try Self.sClient(server.port, certificates, [version], send: "")
                #expect(result.stderr.contains("alert protocol version"),
                        "\(version): \(result.stdout.prefix(600)) \(result.stderr.suffix(400))")
                #expect(!result.stdout.contains("HTTP/1.1"), "\(version) must not be negotiated")
            }
            try expectStillServes(server.port, certificates)
        }
    }

    @Test("h2load --h1 over TLS: 4,000 requests on 20 connections, every one answered", arguments: engines)
    func h2loadOverTLS(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates)) { server in
            let result = try expectH2load(
                ["--h1", "-n", "4000", "-c", "20", "-m", "4", "https://127.0.0.1:\(server.port)/v1/avatar"],
                requests: 4000, protocolName: "http/1.1")
            #expect(result.status == 0, "h2load: \(result.stderr)")
            #expect(result.stdout.contains("Protocol: TLSv1.3"), "\(result.stdout.prefix(900))")
        }
    }

    @Test("Python's ssl: pipelined requests on one connection, answered in order", arguments: engines)
    func pythonPipelined(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates)) { server in
            let script = """
                import re, socket, ssl, sys
                context = ssl.create_default_context(cafile=sys.argv[2])
                raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                tls = context.wrap_socket(raw, server_hostname="localhost")
                paths = ["/v1/avatar", "/nope", "/healthz"] * 20
                tls.sendall(b"".join(b"GET " + p.encode() + b" HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" for p in paths))
                data = b""
                while data.count(b"HTTP/1.1 ") < len(paths) or not data.endswith(b'"ok"}'):
                    chunk = tls.recv(65536)
                    if not chunk: break
                    data += chunk
                statuses = [code.decode() for code in re.findall(rb"HTTP/1[.]1 ([0-9]{3}) ", data)]
                print(tls.version(), " ".join(statuses))
                """
            let result = try runCommand(Scrape.python, ["-c", script, String(server.port), certificates.ca])
            #expect(result.status == 0, "python: \(result.stderr)")
            #expect(result.stdout == "TLSv1.3 " + Array(repeating: "200 404 200", count: 20).joined(separator: " ") + "\n")
        }
    }

    @Test("Cleartext HTTP and a stalled ClientHello on the TLS port: closed, the server unharmed", arguments: engines)
    func badInputIsClosed(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates)) { server in
            // Plain HTTP: not a TLS record. An alert (or nothing) and a close, quickly.
            let plain = try RawClient(port: server.port, timeoutSeconds: 5)
            try plain.send("GET /v1/avatar HTTP/1.1\r\nHost: x\r\n\r\n")
            let reply = try plain.readToEOF()
            #expect(!reply.contains(Array("HTTP/1.1".utf8)), "no HTTP answer in cleartext")
            #expect(reply.count < 64, "at most an alert: \(reply.count) bytes")

            // Half a ClientHello, then silence: closed at the handshake (header) timeout of 2 s.
            let stalled = try RawClient(port: server.port, timeoutSeconds: 8)
            try stalled.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
            let start = Date()
            _ = try stalled.readToEOF()
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 1.9 && elapsed < 5, "closed after \(elapsed) s")
            try expectStillServes(server.port, certificates)
        }
    }

    @Test("Renegotiation and an ALPN list without http/1.1 are refused with their alerts", arguments: engines)
    func renegotiationAndUnknownALPNRefused(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates)) { server in
            // Threat: client-initiated renegotiation makes the server do handshakes cheaply.
            // `R` on a line of its own asks s_client to renegotiate (TLS 1.2: 1.3 has none).
            let renegotiate = try runCommand("/bin/sh", [
                "-c", "(sleep 1; printf 'R\\n'; sleep 1) | timeout 10 openssl s_client -connect 127.0.0.1:\(server.port) "
                    + "-servername localhost -CAfile '\(certificates.ca)' -tls1_2 2>&1",
            ])
            #expect(renegotiate.stdout.contains("RENEGOTIATING"), "\(renegotiate.stdout.suffix(800))")
            #expect(renegotiate.stdout.contains("no renegotiation"), "\(renegotiate.stdout.suffix(800))")
            // A client that speaks only a protocol the server does not gets no_application_protocol (120).
            let alpn = try Self.sClient(server.port, certificates, ["-alpn", "h3"], send: "")
            #expect(alpn.stdout.contains("alert number 120") || alpn.stderr.contains("alert number 120"),
                    "\(alpn.stdout.suffix(600)) \(alpn.stderr.suffix(300))")
        }
    }

    @Test("--tls-port: HTTPS on a port of its own beside cleartext HTTP, one worker serving both", arguments: engines)
    func tlsPortBesideCleartext(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: Self.arguments(certificates) + ["--tls-port", "0"]) { server in
            let prefix = "HTTPS on https://127.0.0.1:"
            let line = server.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }
            let tlsPort = try #require(line.flatMap { UInt16($0.dropFirst(prefix.count)) }, "\(server.stdout)")
            #expect(tlsPort != server.port)
            let result = try runCommand("/usr/bin/curl", [
                "-sS", "--cacert", certificates.ca, "--resolve", "localhost:\(tlsPort):127.0.0.1",
                "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{scheme} %{http_code} %{http_version}\n",
                "http://127.0.0.1:\(server.port)/v1/avatar", "https://localhost:\(tlsPort)/v1/avatar",
                // /v1/user over TLS, its upstream the server itself over cleartext.
                "https://localhost:\(tlsPort)/v1/user",
            ])
            #expect(result.status == 0, "curl: \(result.stderr)")
            // Over TLS ALPN chooses h2 (curl offers it): /v1/user's handler answers a stream.
            #expect(result.stdout.lowercased() == "http 200 1.1\nhttps 200 2\nhttps 200 2\n", "\(result.stdout)")
            // Each port speaks only its own: TLS on the cleartext port fails, cleartext on the TLS port gets no answer.
            let crossed = try runCommand("/usr/bin/curl", [
                "-sS", "--max-time", "5", "--cacert", certificates.ca, "-o", "/dev/null", "-w", "%{http_code}",
                "https://127.0.0.1:\(server.port)/v1/avatar",
            ])
            #expect(crossed.status != 0)
            let plain = try RawClient(port: tlsPort, timeoutSeconds: 5)
            try plain.send("GET /v1/avatar HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(!(try plain.readToEOF()).contains(Array("HTTP/1.1".utf8)))
        }
    }

    @Test("A key that does not match the certificate: the server does not start, and says why in one line")
    func mismatchedKeyStopsTheStart() throws {
        let certificates = try TLSCertificates.shared()
        let result = try runCommand(try ServerProcess.binaryPath("ringside"), [
            "serve", "--port", "0", "--tls-cert", certificates.chain, "--tls-key", certificates.otherKey,
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("does not match the certificate"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    /// After whatever a test did to it, the server still completes a handshake and answers.
    func expectStillServes(_ port: UInt16, _ certificates: TLSCertificates) throws {
        let result = try Self.sClient(port, certificates, [], send: "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(result.stdout.contains("HTTP/1.1 200 OK"), "\(result.stdout.suffix(400))")
    }

    /// `openssl s_client` sending `send`; `serverName` nil sends no SNI.
    static func sClient(
        _ port: UInt16, _ certificates: TLSCertificates, _ options: [String], send: String,
        serverName: String? = "localhost"
    ) throws -> CommandResult {
        // `-ign_eof`: s_client sends the request, then waits for the server to close.
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("tls-in-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: input, contents: Data(send.utf8))
        defer { try? FileManager.default.removeItem(atPath: input) }
        return try runCommand("/bin/sh", [
            "-c", "timeout 10 openssl s_client -connect 127.0.0.1:\(port) "
                + (serverName.map { "-servername \($0) " } ?? "-noservername ") + "-CAfile '\(certificates.ca)' "
                + "-ign_eof " + options.joined(separator: " ") + " < '\(input)'",
        ])
    }
}
