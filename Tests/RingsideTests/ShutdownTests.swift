import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Health and readiness checks, and a graceful shutdown under load: readiness
/// fails at once, the server serves on for the shutdown delay, then answers
/// what is in flight with `connection: close` and exits 0.
@Suite("Health checks and graceful shutdown")
struct ShutdownTests {
    @Test("/healthz and /readyz answer 200 (GET and HEAD)", arguments: engines)
    func healthChecks(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let alive = try client.exchange("GET", "/healthz")
            #expect(alive.status == 200)
            #expect(alive.bodyText == #"{"status":"ok"}"#)
            let ready = try client.exchange("GET", "/readyz")
            #expect(ready.status == 200)
            #expect(ready.bodyText == #"{"status":"ready"}"#)
            #expect(ready.header("cache-control") == "no-store")
            let head = try client.exchange("HEAD", "/readyz", bodyExpected: false)
            #expect(head.status == 200)
        }
    }

    @Test("Paths are configurable and can be turned off", arguments: engines)
    func configurablePaths(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--liveness-path", "/live", "--readiness-path", ""]) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/live").status == 200)
            #expect(try client.exchange("GET", "/healthz").status == 404)
            #expect(try client.exchange("GET", "/readyz").status == 404)
        }
    }

    @Test("SIGTERM with --shutdown-delay 2: /readyz says 503 at once, the server serves on, then exits 0",
          arguments: engines)
    func shutdownDelay(engine: String) async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let server = try ServerProcess(engine: engine, extraArguments: ["--shutdown-delay", "2"])
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/readyz").status == 200)
            let start = monotonicSeconds()
            kill(server.pid, SIGTERM)
            pause(0.2)
            let notReady = try client.exchange("GET", "/readyz")
            #expect(notReady.status == 503)
            #expect(notReady.bodyText == #"{"status":"not-ready"}"#)
            // New connections are still accepted and served during the delay.
            let late = try RawClient(port: server.port)
            try late.send(RawClient.request())
            checkAvatar(try late.readResponse(), expected: expected, context: "during the shutdown delay")
            #expect(server.isRunning, "the server stopped before its shutdown delay ran out")
            let exited = waitForExit(server, within: 6)
            let took = monotonicSeconds() - start
            #expect(exited, "still running \(took) s after SIGTERM")
            #expect(took >= 2, "exited after \(took) s, before the 2 s shutdown delay")
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
        }
    }

    @Test("Clients sending without pause through SIGTERM: every response complete, each connection ended by connection: close",
          arguments: engines)
    func drainUnderLoad(engine: String) async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let server = try ServerProcess(engine: engine, extraArguments: ["--drain-timeout", "10"])
            let clients = 16
            let results = Mutex<[ClientOutcome]>([])
            let done = Atomic<Int>(0)
            for _ in 0..<clients {
                // Handed to its thread and used there alone.
                nonisolated(unsafe) let client = try RawClient(port: server.port, timeoutSeconds: 5)
                Thread.detachNewThread {
                    let outcome = ClientOutcome.run(client, expected: expected)
                    results.withLock { $0.append(outcome) }
                    done.add(1, ordering: .releasing)
                }
            }
            pause(0.3)  // every client is in full swing
            kill(server.pid, SIGTERM)
            let deadline = monotonicSeconds() + 10
            while done.load(ordering: .acquiring) < clients && monotonicSeconds() < deadline { usleep(10_000) }
            let outcomes = results.withLock { $0 }
            #expect(outcomes.count == clients, "clients still running 10 s after SIGTERM")
            for (index, outcome) in outcomes.enumerated() {
                #expect(outcome.failure == nil, "client \(index): \(outcome.failure ?? "")")
                #expect(outcome.endedByClose, "client \(index) was cut off without a connection: close answer")
                #expect(outcome.answered > 0)
            }
            #expect(waitForExit(server, within: 5))
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
        }
    }

    @Test("A handler working at SIGTERM finishes: its answer says connection: close, then the server exits 0",
          arguments: engines)
    func handlerFinishesDuringDrain(engine: String) async throws {
        try await LiveTests.run {
            let server = try ServerProcess(
                engine: engine, extraArguments: ["--handler-timeout", "10"], binaryName: "APIServer")
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            try client.send(RawClient.request("GET", "/async/sleep?ms=1500"))
            pause(0.3)
            kill(server.pid, SIGTERM)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "slept 1500")
            #expect(response.header("connection") == "close")
            #expect(client.timeUntilPeerEnds(within: 3).state == .closed)
            #expect(waitForExit(server, within: 5))
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
        }
    }
}

/// One keep-alive client sending a request as soon as the last answer is in.
struct ClientOutcome: Sendable {
    var answered = 0
    /// The last answer said `connection: close` and EOF followed.
    var endedByClose = false
    var failure: String?

    static func run(_ client: RawClient, expected: [UInt8]) -> ClientOutcome {
        var outcome = ClientOutcome()
        do {
            while true {
                try client.send(RawClient.request())
                let response = try client.readResponse()
                guard response.status == 200, response.body == expected else {
                    outcome.failure = "answer \(outcome.answered + 1): status \(response.status), \(response.body.count) body bytes"
                    return outcome
                }
                outcome.answered += 1
                if response.header("connection") == "close" {
                    outcome.endedByClose = client.timeUntilPeerEnds(within: 3).state == .closed
                    return outcome
                }
            }
        } catch {
            outcome.failure = "after \(outcome.answered) answers: \(error)"
            return outcome
        }
    }
}
