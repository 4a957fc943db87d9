import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Header, body, idle and send timeouts. The server runs with
/// `--header-timeout 1 --idle-timeout 2 --body-timeout 1`; a timeout of N s
/// fires after N s and at most a timer-wheel bucket (about 70 ms) late, and
/// the bounds below are generous for a loaded 2-core machine.
@Suite("Hardening: timeouts")
struct HardeningTimeoutTests {
    static let arguments = HardeningTimeouts.arguments

    @Test("Slowloris: a head trickling one byte every 300 ms gets 408 + close 1–4 s after its first byte",
          arguments: engines)
    func slowloris(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            let start = monotonicSeconds()
            try client.send("GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let trickle = Array(("X-Slowloris: " + String(repeating: "a", count: 200)).utf8)
            var sent = 0
            var answeredAfter: Double?
            while monotonicSeconds() - start < 6 {
                if client.waitReadable(seconds: 0.3) {
                    answeredAfter = monotonicSeconds() - start
                    break
                }
                guard client.trySend([trickle[sent % trickle.count]]) else {
                    answeredAfter = monotonicSeconds() - start  // the server has gone: read what it said
                    break
                }
                sent += 1
            }
            let after = try #require(answeredAfter, "no answer within 6 s while \(sent) bytes trickled in")
            #expect(after >= 0.9 && after <= 4, "the server answered \(after) s after the first byte")
            // It may stop reading before our last byte, so an RST is as good as a FIN.
            try expectErrorThenClose(client, status: 408, allowReset: true, context: "slowloris")
        }
    }

    @Test("A partial head and then silence gets 408 + close within 1–4 s", arguments: engines)
    func stalledHead(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            let start = monotonicSeconds()
            try client.send("GET /v1/avatar HTTP/1.1\r\nHo")
            let answered = client.waitReadable(seconds: 5)
            let after = monotonicSeconds() - start
            #expect(answered && after >= 0.9 && after <= 4, "answered: \(answered), after \(after) s")
            try expectErrorThenClose(client, status: 408, context: "stalled head")
        }
    }

    @Test("A connection that never sends a byte is closed silently by the idle timeout (EOF in 1.5–5 s)",
          arguments: engines)
    func silentNewConnection(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port)
            let (state, seconds) = client.timeUntilPeerEnds(within: 6)
            #expect(state == .closed, "a connection that never sent anything was \(state) after \(seconds) s")
            #expect(seconds >= 1.5 && seconds <= 5, "closed after \(seconds) s")
        }
    }

    @Test("An idle keep-alive connection is closed silently after ~2 s (EOF in 1.5–5 s, no bytes)",
          arguments: engines)
    func idleKeepAlive(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected)
            let (state, seconds) = client.timeUntilPeerEnds(within: 6)
            #expect(state == .closed, "the idle keep-alive connection was \(state) after \(seconds) s")
            #expect(seconds >= 1.5 && seconds <= 5, "closed after \(seconds) s")
        }
    }

    @Test("A body that stalls (10 of 100 bytes) gets 408 + close within 1–4 s", arguments: engines)
    func stalledBody(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            try client.send(RawClient.request("POST", headers: ["Content-Length: 100"]))
            try client.send("0123456789")
            let start = monotonicSeconds()
            let answered = client.waitReadable(seconds: 5)
            let after = monotonicSeconds() - start
            #expect(answered && after >= 0.9 && after <= 4, "answered: \(answered), after \(after) s")
            try expectErrorThenClose(client, status: 408, context: "stalled body")
        }
    }

    @Test("A body trickling 10 bytes every 400 ms for 3 s is not timed out (progress resets the body timer)",
          arguments: engines)
    func slowButSteadyBody(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            // The head is complete at once, so only the body timer runs.
            try client.send(RawClient.request("POST", headers: ["Content-Length: 80"]))
            for _ in 0..<8 {
                pause(0.4)
                try client.send("0123456789")
            }
            try client.send(RawClient.request())
            check405(try client.readResponse(), context: "slow body")
            checkAvatar(try client.readResponse(), expected: expected, context: "GET after the slow body")
        }
    }

    @Test("A keep-alive connection with a request every 500 ms for 5 s stays open", arguments: engines)
    func busyKeepAlive(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: Self.arguments) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            for index in 0..<10 {
                try client.send(RawClient.request())
                guard checkAvatar(try client.readResponse(), expected: expected, context: "request #\(index)") else {
                    return
                }
                pause(0.5)
            }
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected, context: "last request")
        }
    }

    // 2 s, not 1: the stall is seen only after three flat readings of the send queue (an `ss`
    // each), and a timeout that fired meanwhile resets the connection under the test's sends.
    // (The whole-second timers used to add up to a second of slack; deadlines are exact now.)
    static let sendTimeoutArguments =
        ["--send-timeout", "2", "--idle-timeout", "30", "--header-timeout", "30", "--body-timeout", "30"]

    @Test("--send-timeout 2: a client that stops reading its responses is disconnected within 4 s of its stall",
          arguments: engines)
    func sendTimeout(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: Self.sendTimeoutArguments) { server in
            let baseline = try openDescriptorCount(server.pid)
            let reader = try SmallWindowSocket(port: server.port)
            let sent = try reader.pipelineUntilServerSendStalls(serverPort: server.port)
            let stalledAt = monotonicSeconds()
            let requests = try #require(sent, "the server's send queue never stopped growing")
            let during = try openDescriptorCount(server.pid)
            #expect(during == baseline + 1, "the connection closed before its sends stalled (\(requests) requests)")
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline, within: 6)
            let seconds = monotonicSeconds() - stalledAt
            #expect(count == baseline, "the stalled connection is still open \(seconds) s after its sends stalled")
            // No lower bound: the stall began before this test could see it (it
            // polls /proc/net/tcp); `during` above shows it was not closed earlier.
            #expect(seconds <= 4, "the stalled connection was closed after \(seconds) s")
            reader.close()

            let client = try RawClient(port: server.port, timeoutSeconds: 3)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected, context: "request after the send timeout")
        }
    }
}
