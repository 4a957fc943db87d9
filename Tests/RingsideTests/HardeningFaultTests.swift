import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Clients that reset, half-close or vanish; SIGTERM with work in flight; a
/// completion queue far too small for the load.
@Suite("Hardening: faults")
struct HardeningFaultTests {
    @Test("200 connections send half a request and reset at once: the server serves on, descriptors return",
          arguments: engines)
    func resetsMidRequest(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let baseline = try openDescriptorCount(server.pid)
            let clients = try (0..<200).map { _ in try RawClient(port: server.port, timeoutSeconds: 3) }
            for client in clients { try client.send("GET /v1/avatar HTTP/1.1\r\nHost: 127.") }
            pause(0.05)
            for client in clients { client.resetConnection() }

            let probe = try RawClient(port: server.port, timeoutSeconds: 3)
            try probe.send(RawClient.request())
            checkAvatar(try probe.readResponse(), expected: expected, context: "request after 200 resets")
            probe.close()
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline)
            #expect(count == baseline, "server holds \(count) descriptors, \(baseline) before the resets")
        }
    }

    @Test("100 clients reset before or while their responses arrive: the server serves on, descriptors return",
          arguments: engines)
    func resetsMidResponse(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let baseline = try openDescriptorCount(server.pid)
            // 16 pipelined requests: ~60 KB of responses in flight.
            let burst = (0..<16).flatMap { _ in RawClient.request() }
            for index in 0..<100 {
                let client = try RawClient(port: server.port, timeoutSeconds: 3)
                try client.send(burst)
                if index % 2 == 1 {
                    // Let the first bytes of the response arrive, then reset mid-response.
                    _ = client.waitReadable(seconds: 2)
                }
                client.resetConnection()
            }
            #expect(server.isRunning, "the server died\n\(server.stderrTail)")
            let probe = try RawClient(port: server.port, timeoutSeconds: 3)
            try probe.send(RawClient.request())
            checkAvatar(try probe.readResponse(), expected: expected, context: "request after 100 resets")
            probe.close()
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline)
            #expect(count == baseline, "server holds \(count) descriptors, \(baseline) before the resets")
        }
    }

    @Test("Half-close: requests then shutdown(SHUT_WR) get their full responses, then EOF", arguments: engines)
    func halfClose(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request())
            try client.shutdownWrite()
            checkAvatar(try client.readResponse(), expected: expected, context: "one request, then SHUT_WR")
            let state = client.timeUntilPeerEnds(within: 3).state
            #expect(state == .closed, "after the response to a half-closed connection: \(state)")

            let pipelined = try RawClient(port: server.port, timeoutSeconds: 3)
            try pipelined.send((0..<3).flatMap { _ in RawClient.request() })
            try pipelined.shutdownWrite()
            for index in 0..<3 {
                checkAvatar(try pipelined.readResponse(), expected: expected, context: "pipelined #\(index), SHUT_WR")
            }
            let after = pipelined.timeUntilPeerEnds(within: 3).state
            #expect(after == .closed, "after three responses to a half-closed connection: \(after)")
        }
    }

    @Test("SIGTERM with 50 pipelined requests in flight: every response that arrives is complete; exit 0 in time",
          arguments: engines)
    func sigtermWithRequestsInFlight(engine: String) async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let drain = 3.0
            let server = try ServerProcess(engine: engine, extraArguments: ["--drain-timeout", "3"])
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            let paths = (0..<50).map { $0 % 5 == 4 ? "/nope" : "/v1/avatar" }
            try client.send(paths.flatMap { RawClient.request("GET", $0) })
            let start = monotonicSeconds()
            kill(server.pid, SIGTERM)

            var answered = 0
            var ending = ""
            while answered < paths.count {
                do {
                    let response = try client.readResponse()
                    let path = paths[answered]
                    if path == "/nope" {
                        check404(response, context: "response #\(answered) after SIGTERM")
                    } else {
                        checkAvatar(response, expected: expected, context: "response #\(answered) after SIGTERM")
                    }
                    answered += 1
                } catch RawClientError.closedByPeer(let what) {
                    // Only a close between responses is acceptable.
                    if what != "before a response arrived" { Issue.record("connection ended mid-response: \(what)") }
                    ending = "EOF"
                    break
                } catch RawClientError.connectionReset {
                    // Unread pipelined requests make the kernel send RST; only
                    // whole responses may precede it: nothing may be left over.
                    client.setReceiveTimeout(0.2)
                    if case .sentData(let rest) = client.peerState() {
                        Issue.record("connection reset mid-response, \(rest.count)+ bytes of a partial response buffered")
                    }
                    ending = "RST"
                    break
                }
            }
            if answered == paths.count {
                let state = client.timeUntilPeerEnds(within: drain + 2).state
                #expect(state == .closed || state == .reset, "after all 50 responses the connection was \(state)")
                ending = "\(state)"
            }
            let exited = waitForExit(server, within: drain + 2 - (monotonicSeconds() - start))
            let took = monotonicSeconds() - start
            let exit = server.stop()
            #expect(exited, "the server was still running \(took) s after SIGTERM (drain timeout \(drain) s)")
            #expect(exit == .exited(0), "server \(exit) on SIGTERM\n\(server.stderrTail)")
            // Recorded for the log: how much the server finished before closing.
            print("SIGTERM drain (\(engine)): \(answered)/\(paths.count) responses, then \(ending), exit after \(took) s")
        }
    }

    @Test("SIGTERM with idle connections open: they get EOF and the server exits 0 promptly", arguments: engines)
    func sigtermClosesIdleConnections(engine: String) async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let server = try ServerProcess(engine: engine, extraArguments: ["--drain-timeout", "3"])
            let baseline = try openDescriptorCount(server.pid)
            let served = try (0..<3).map { _ in try RawClient(port: server.port, timeoutSeconds: 5) }
            for client in served {
                try client.send(RawClient.request())
                checkAvatar(try client.readResponse(), expected: expected)
            }
            let silent = try (0..<3).map { _ in try RawClient(port: server.port, timeoutSeconds: 5) }
            // Wait until the server has accepted all six (the silent ones too).
            let deadline = monotonicSeconds() + 3
            while try openDescriptorCount(server.pid) < baseline + 6 && monotonicSeconds() < deadline { pause(0.01) }
            let start = monotonicSeconds()
            kill(server.pid, SIGTERM)
            for (index, client) in (served + silent).enumerated() {
                let state = client.timeUntilPeerEnds(within: 5).state
                #expect(state == .closed, "idle connection #\(index) was \(state) after SIGTERM, expected EOF")
            }
            let exited = waitForExit(server, within: 5 - (monotonicSeconds() - start))
            let took = monotonicSeconds() - start
            let exit = server.stop()
            #expect(exited, "the server was still running \(took) s after SIGTERM with only idle connections")
            #expect(exit == .exited(0), "server \(exit) on SIGTERM\n\(server.stderrTail)")
        }
    }

    @Test("SIGTERM while a client never reads its responses: exit 0 within drain-timeout + 2 s",
          arguments: engines)
    func sigtermWithStalledClient(engine: String) async throws {
        try await LiveTests.run {
            let server = try ServerProcess(engine: engine, extraArguments: ["--drain-timeout", "1"])
            let reader = try SmallWindowSocket(port: server.port)
            let sent = try reader.pipelineUntilServerSendStalls(serverPort: server.port)
            #expect(sent != nil, "the server's send queue never stopped growing")
            let start = monotonicSeconds()
            kill(server.pid, SIGTERM)
            let exited = waitForExit(server, within: 3)
            let took = monotonicSeconds() - start
            let exit = server.stop()
            #expect(exited, "the server was still running \(took) s after SIGTERM (drain timeout 1 s)")
            #expect(exit == .exited(0), "server \(exit) on SIGTERM\n\(server.stderrTail)")
            withExtendedLifetime(reader) {}
        }
    }

    @Test("--ring-entries 4: 300 connections × 5 requests are all answered (nothing lost to CQ overflow)",
          arguments: engines)
    func tinyRing(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--ring-entries", "4"]) { server in
            let clients = try (0..<300).map { _ in try RawClient(port: server.port, timeoutSeconds: 5) }
            for round in 0..<5 {
                // Every connection has a request in flight at once.
                for client in clients { try client.send(RawClient.request()) }
                for (index, client) in clients.enumerated() {
                    let response = try client.readResponse()
                    if let problem = avatarProblem(response, expected: expected) {
                        Issue.record("round \(round), connection #\(index): \(problem)")
                        return
                    }
                }
            }
            let probe = try RawClient(port: server.port, timeoutSeconds: 3)
            try probe.send(RawClient.request())
            checkAvatar(try probe.readResponse(), expected: expected, context: "after the load")
        }
    }
}
