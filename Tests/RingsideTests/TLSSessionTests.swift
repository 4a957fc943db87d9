import Foundation
import Testing

/// HTTPS beyond one certificate and one handshake: SNI among several
/// certificates (ECDSA and RSA), resumption from tickets sealed with keys
/// the process rotates, reloading certificates without dropping a
/// connection, close_notify on the server's closes, and the handshake
/// metrics. Clients: `openssl s_client` and Python's `ssl`.
@Suite("TLS sessions and certificates")
struct TLSSessionTests {
    static let engines = TLSTests.engines
    static let close = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    @Test("SNI picks the certificate whose names cover the server name (wildcards too, RSA too); the first serves the rest",
          arguments: engines)
    func sniChoosesTheCertificate(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let alpha = try certificates.issue("alpha-\(engine)", names: ["DNS:alpha.test", "DNS:*.alpha.test"])
        let beta = try certificates.issue("beta-\(engine)", names: ["DNS:beta.test"], rsa: true)
        let arguments = TLSTests.arguments(certificates)
            + ["--tls-cert", alpha.chain, "--tls-key", alpha.key, "--tls-cert", beta.chain, "--tls-key", beta.key]
        try await withServer(engine: engine, extraArguments: arguments) { server in
            let cases: [(name: String?, subject: String, bits: String)] = [
                ("localhost", "CN = localhost", "256"), ("alpha.test", "CN = alpha.test", "256"),
                ("www.alpha.test", "CN = alpha.test", "256"), ("beta.test", "CN = beta.test", "2048"),
                ("unknown.test", "CN = localhost", "256"), (nil, "CN = localhost", "256"),
            ]
            for (name, subject, bits) in cases {
                // The name is checked against the certificate too, where the certificate should cover it.
                let verify = subject.hasSuffix(name ?? "-") || name == "www.alpha.test" ? ["-verify_hostname", name!] : []
                let result = try TLSTests.sClient(
                    server.port, certificates, verify + ["-tls1_2"], send: Self.close, serverName: name)
                let label = name ?? "no SNI"
                #expect(result.stdout.contains("subject=\(subject)\n"), "\(label): \(result.stdout.prefix(1200))")
                #expect(result.stdout.contains("Server public key is \(bits) bit"), "\(label)")
                #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(label): \(result.stdout.suffix(600))")
                #expect(result.stdout.contains("HTTP/1.1 200 OK"), "\(label)")
            }
            // RSA over TLS 1.3 as well.
            let rsa13 = try TLSTests.sClient(server.port, certificates, ["-tls1_3"], send: Self.close, serverName: "beta.test")
            #expect(rsa13.stdout.contains("Server public key is 2048 bit") && rsa13.stdout.contains("HTTP/1.1 200 OK"))
        }
    }

    @Test("Tickets resume sessions on any worker (TLS 1.3 and 1.2); the metrics count handshakes by version and outcome",
          arguments: engines)
    func ticketsResumeOnEveryWorker(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let arguments = TLSTests.arguments(certificates) + ["--tls-port", "0"]
        try await withServer(engine: engine, workers: "2", extraArguments: arguments) { server in
            let tlsPort = try Self.tlsPort(server)
            let directory = certificates.directory
            for version in ["-tls1_3", "-tls1_2"] {
                let session = "\(directory)/session-\(engine)\(version)-\(UUID().uuidString)"
                let first = try TLSTests.sClient(tlsPort, certificates, [version, "-sess_out", session], send: Self.close)
                #expect(first.stdout.contains("HTTP/1.1 200 OK") && first.stdout.contains("New, TLSv1."), "\(version)")
                // SO_REUSEPORT spreads these over both workers: each must accept the other's ticket.
                // In TLS 1.3 each resumed connection gets a fresh ticket (tickets are for one use,
                // and OpenSSL's clients drop one once resumed), which the next connection offers.
                var offered = session
                for attempt in 0..<8 {
                    let next = "\(session)-\(attempt)"
                    let again = try TLSTests.sClient(tlsPort, certificates, [version, "-sess_in", offered, "-sess_out", next], send: Self.close)
                    #expect(again.stdout.contains("Reused, TLSv1."), "\(version) attempt \(attempt): \(again.stdout.prefix(600))")
                    #expect(again.stdout.contains("HTTP/1.1 200 OK"))
                    let renewed = FileManager.default.fileExists(atPath: next)
                    #expect(renewed == (version == "-tls1_3"), "\(version) attempt \(attempt): a new ticket \(renewed)")
                    if renewed { offered = next }
                }
            }
            // Failed (cleartext on the TLS port), timed out (half a ClientHello), abandoned (closed at once).
            let plain = try RawClient(port: tlsPort, timeoutSeconds: 5)
            try plain.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try plain.readToEOF()
            let stalled = try RawClient(port: tlsPort, timeoutSeconds: 5)
            try stalled.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            _ = try stalled.readToEOF()
            try RawClient(port: tlsPort, timeoutSeconds: 5).close()
            var sent = 0, received = 0
            var metrics = try scrape(port: server.port, sent: &sent, received: &received)
            for _ in 0..<20 where (metrics.value("ringside_tls_handshakes_total", ["outcome": "abandoned"]) ?? 0) < 1 {
                usleep(100_000)
                metrics = try scrape(port: server.port, sent: &sent, received: &received)
            }
            let name = "ringside_tls_handshakes_total"
            #expect(metrics.value(name, ["outcome": "completed", "tls_protocol_version": "1.3"]) == 9)
            #expect(metrics.value(name, ["outcome": "completed", "tls_protocol_version": "1.2"]) == 9)
            #expect(metrics.value("ringside_tls_resumed_handshakes_total") == 16)
            #expect(metrics.value(name, ["outcome": "failed"]) == 1)
            #expect(metrics.value(name, ["outcome": "timed_out"]) == 1)
            #expect(metrics.value(name, ["outcome": "abandoned"]) == 1)
        }
    }

    @Test("Ticket keys rotate (--tls-ticket-lifetime) and are the process's own", arguments: ["uring"])
    func ticketKeysRotate(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let directory = certificates.directory
        let arguments = TLSTests.arguments(certificates) + ["--tls-ticket-lifetime", "1"]
        let first = "\(directory)/rotate-a-\(UUID().uuidString)"
        let second = "\(directory)/rotate-b-\(UUID().uuidString)"
        let third = "\(directory)/rotate-c-\(UUID().uuidString)"
        try await withServer(engine: engine, extraArguments: arguments) { server in
            _ = try TLSTests.sClient(server.port, certificates, ["-sess_out", first], send: Self.close)
            _ = try TLSTests.sClient(server.port, certificates, ["-sess_out", second], send: Self.close)
            usleep(1_300_000)
            _ = try TLSTests.sClient(server.port, certificates, ["-sess_out", third], send: Self.close)
        }
        let names = try [first, second, third].map(Self.ticketKeyName)
        #expect(names.allSatisfy { $0.count == 32 }, "\(names)")
        // A ticket sealed more than a key's lifetime later has a new key.
        #expect(names[0] != names[2] && names[1] != names[2], "\(names)")
        // Another process holds other keys: the ticket does not resume there; and there, with the
        // default lifetime, two tickets in a row share their key (names are not per ticket).
        let fourth = "\(directory)/rotate-d-\(UUID().uuidString)"
        let fifth = "\(directory)/rotate-e-\(UUID().uuidString)"
        try await withServer(engine: engine, extraArguments: TLSTests.arguments(certificates)) { server in
            let again = try TLSTests.sClient(server.port, certificates, ["-sess_in", third], send: Self.close)
            #expect(again.stdout.contains("New, TLSv1.3") && again.stdout.contains("HTTP/1.1 200 OK"), "\(again.stdout.prefix(600))")
            _ = try TLSTests.sClient(server.port, certificates, ["-sess_out", fourth], send: Self.close)
            _ = try TLSTests.sClient(server.port, certificates, ["-sess_out", fifth], send: Self.close)
        }
        let later = try [fourth, fifth].map(Self.ticketKeyName)
        #expect(later[0] == later[1] && !names.contains(later[0]), "\(later) \(names)")
    }

    @Test("SIGHUP and changed files load new certificates; open connections go on; a bad reload keeps the old ones",
          arguments: engines)
    func reloadKeepsConnections(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let tag = "\(engine)-\(UUID().uuidString.prefix(8))"
        let leaves = try ["one", "two", "three"].map {
            try certificates.issue("reload-\($0)-\(tag)", names: ["DNS:localhost"], commonName: "\($0).test")
        }
        let live = "\(certificates.directory)/live-\(tag)"
        try Self.install(leaves[0], at: live)
        let arguments = ["--tls-cert", live + ".pem", "--tls-key", live + ".key", "--tls-watch-interval", "1"]
        try await withServer(engine: engine, extraArguments: arguments) { server in
            let script = """
                import os, shutil, signal, socket, ssl, sys, time
                port, ca, pid, live = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
                two, three, mismatched = sys.argv[5:7], sys.argv[7:9], sys.argv[9]
                context = ssl.create_default_context(cafile=ca)
                def connect(session=None):
                    raw = socket.create_connection(("127.0.0.1", port))
                    return context.wrap_socket(raw, server_hostname="localhost", session=session)
                def subject(tls):
                    return dict(field[0] for field in tls.getpeercert()["subject"])["commonName"]
                def get(tls):
                    tls.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                    data = b""
                    while not data.endswith(b'"ok"}'):
                        chunk = tls.recv(4096)
                        if not chunk: return "closed"
                        data += chunk
                    return data.split(b" ")[1].decode()
                def install(pair):
                    # Written beside, then renamed over: as a certificate manager does.
                    for source, suffix in zip(pair, [".pem", ".key"]):
                        shutil.copy(source, live + suffix + ".new")
                        os.rename(live + suffix + ".new", live + suffix)
                kept = connect()
                print("before", subject(kept), get(kept))
                install(two)
                os.kill(pid, signal.SIGHUP)
                time.sleep(0.5)
                fresh = connect()
                print("sighup", subject(fresh), get(fresh), "old", get(kept))
                # The ticket keys are the process's, not the certificates': a session from before resumes.
                resumed = connect(kept.session)
                print("resumed", get(resumed), resumed.session_reused)
                shutil.copy(mismatched, live + ".key")  # the key no longer matches: the reload fails
                os.kill(pid, signal.SIGHUP)
                time.sleep(0.5)
                fresh = connect()
                print("bad", subject(fresh), get(fresh), "old", get(kept))
                install(three)  # no signal: the watcher notices
                deadline = time.time() + 6
                while time.time() < deadline:
                    fresh = connect()
                    if subject(fresh) == "three.test": break
                    time.sleep(0.2)
                print("watched", subject(fresh), get(fresh), "old", get(kept))
                """
            let result = try runCommand(Scrape.python, [
                "-c", script, String(server.port), certificates.ca, String(server.pid), live,
                leaves[1].chain, leaves[1].key, leaves[2].chain, leaves[2].key, certificates.otherKey,
            ])
            #expect(result.status == 0, "python: \(result.stderr)")
            #expect(result.stdout == """
                before one.test 200
                sighup two.test 200 old 200
                resumed 200 True
                bad two.test 200 old 200
                watched three.test 200 old 200

                """, "\(result.stdout)\n\(server.stderrTail)")
            #expect(server.stderr.contains("TLS reload failed"), "\(server.stderrTail)")
            #expect(server.stderr.contains("does not match the certificate"), "\(server.stderrTail)")
        }
    }

    @Test("The server's closes over TLS send close_notify: after Connection: close and at the idle timeout",
          arguments: engines)
    func closesAreNotified(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        try await withServer(engine: engine, extraArguments: TLSTests.arguments(certificates) + ["--idle-timeout", "1"]) { server in
            // Python's ssl raises SSLEOFError on a close without close_notify (a truncation attack's shape).
            let script = """
                import socket, ssl, sys, time
                context = ssl.create_default_context(cafile=sys.argv[2])
                def run(request):
                    tls = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
                    tls.sendall(request)
                    data, start = b"", time.time()
                    try:
                        while True:
                            chunk = tls.recv(65536)
                            if not chunk: break
                            data += chunk
                        end = "close_notify"
                    except ssl.SSLEOFError:
                        end = "truncated"
                    return data.split(b" ")[1].decode(), end, round(time.time() - start)
                print(*run(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n"))
                print(*run(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"))
                """
            let result = try runCommand(Scrape.python, ["-c", script, String(server.port), certificates.ca])
            #expect(result.status == 0, "python: \(result.stderr)")
            #expect(result.stdout == "200 close_notify 0\n200 close_notify 1\n", "\(result.stdout)")
        }
    }

    @Test("The access log names the TLS version of each answer's connection", arguments: engines)
    func accessLogNamesTheVersion(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let arguments = TLSTests.arguments(certificates) + ["--tls-port", "0", "--access-log", "-", "--log-format", "json"]
        try await withServer(engine: engine, extraArguments: arguments) { server in
            let tlsPort = try Self.tlsPort(server)
            for version in ["-tls1_3", "-tls1_2"] {
                let result = try TLSTests.sClient(tlsPort, certificates, [version], send: Self.close)
                #expect(result.stdout.contains("HTTP/1.1 200 OK"), "\(version)")
            }
            _ = try RawClient(port: server.port).exchange("GET", "/healthz")
            // A stream of an HTTP/2 connection over TLS: its connection's version, and the protocol.
            let h2 = try runCommand("/usr/bin/curl", [
                "-sS", "--http2", "--cacert", certificates.ca, "--resolve", "localhost:\(tlsPort):127.0.0.1",
                "-o", "/dev/null", "-w", "%{http_version}", "https://localhost:\(tlsPort)/healthz",
            ])
            #expect(h2.stdout == "2", "\(h2.stderr)")
            var objects: [[String: Any]] = []
            for _ in 0..<50 where objects.count < 4 {
                usleep(100_000)
                objects = server.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
            #expect(objects.map { $0["tls"] as? String ?? "-" } == ["1.3", "1.2", "-", "1.3"], "\(server.stdout)")
            #expect(objects.map { $0["protocol"] as? String ?? "-" } == ["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/2"])
        }
    }

    @Test("--tls-max-handshakes: a connection beyond the limit waits, unread, until a handshake in progress ends",
          arguments: engines)
    func handshakesWaitTheirTurn(engine: String) async throws {
        let certificates = try TLSCertificates.shared()
        let arguments = TLSTests.arguments(certificates) + ["--tls-max-handshakes", "2", "--tls-port", "0"]
        try await withServer(engine: engine, extraArguments: arguments) { server in
            let tlsPort = try Self.tlsPort(server)
            // Two handshakes in progress that never finish: half a ClientHello each.
            let stalled = try (0..<2).map { _ in try RawClient(port: tlsPort, timeoutSeconds: 8) }
            for client in stalled { try client.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]) }
            usleep(200_000)
            // The third waits until the header timeout (2 s) ends the two, then completes.
            let start = Date()
            let result = try TLSTests.sClient(tlsPort, certificates, [], send: Self.close)
            let elapsed = Date().timeIntervalSince(start)
            #expect(result.stdout.contains("HTTP/1.1 200 OK"), "\(result.stdout.suffix(400))")
            #expect(elapsed >= 1.5 && elapsed < 6, "completed after \(elapsed) s")
            // Once they are gone, handshakes start at once again.
            let again = Date()
            #expect(try TLSTests.sClient(tlsPort, certificates, [], send: Self.close).stdout.contains("HTTP/1.1 200 OK"))
            #expect(Date().timeIntervalSince(again) < 1.5)
            var sent = 0, received = 0
            let metrics = try scrape(port: server.port, sent: &sent, received: &received)
            #expect(metrics.value("ringside_tls_handshakes_total", ["outcome": "timed_out"]) == 2)
        }
    }

    // MARK: Helpers

    static func tlsPort(_ server: ServerProcess) throws -> UInt16 {
        let prefix = "HTTPS on https://127.0.0.1:"
        let line = server.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return try #require(line.flatMap { UInt16($0.dropFirst(prefix.count)) }, "\(server.stdout)")
    }

    /// The first 16 bytes of a saved session's ticket: the name of the key that sealed it.
    static func ticketKeyName(_ session: String) throws -> String {
        let text = try runCommand("/usr/bin/openssl", ["sess_id", "-in", session, "-noout", "-text"]).stdout
        let lines = text.split(separator: "\n")
        let start = try #require(lines.firstIndex { $0.contains("TLS session ticket:") }, "\(text)")
        // `    0000 - 3a 4b ... 7f-80 ...   ascii`: the hex bytes of the first line.
        let row = lines[start + 1].split(separator: "-", maxSplits: 1)[1]
        let hex = row.prefix(49).replacingOccurrences(of: "-", with: " ").split(separator: " ")
        return hex.prefix(16).joined()
    }

    static func install(_ leaf: TLSCertificates.Leaf, at path: String) throws {
        for (source, suffix) in [(leaf.chain, ".pem"), (leaf.key, ".key")] {
            try? FileManager.default.removeItem(atPath: path + suffix)
            try FileManager.default.copyItem(atPath: source, toPath: path + suffix)
        }
    }
}
