import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A stop signal from the moment the port accepts is a graceful shutdown: Kubernetes signals a pod
/// whenever it likes, also one that has just started, and the server may still be starting (the
/// CLI's service group installs its handlers after the workers run). The request in flight is
/// answered and the process exits 0, never 143.
@Suite("A stop signal as soon as the port accepts")
struct EarlySignalTests {
    /// The CLI (`ringside serve`, /ping/ delayed a second) and a library server in a ServiceGroup
    /// (`LifecycleServer`, /sleep a second), each on both engines.
    static let servers: [String: (path: String, arguments: [String], body: String)] = [
        "ringside": ("/ping/", ["--ping-delay", "1000"], #"{"ping":"pong"}"#),
        "LifecycleServer": ("/sleep?ms=1000", [], "slept 1000"),
    ]

    @Test("SIGTERM the moment a connect succeeds: the request in flight is answered, exit 0",
          arguments: engines, ["ringside", "LifecycleServer"])
    func sigtermAtFirstAccept(engine: String, binary: String) async throws {
        try await LiveTests.run {
            let (path, arguments, body) = Self.servers[binary]!
            let (server, client) = try Self.startAndConnect(engine: engine, binary: binary, arguments: arguments)
            try client.send(RawClient.request("GET", path))
            kill(server.pid, SIGTERM)
            let response = try client.readResponse()
            #expect(response.status == 200, "\(server.stderrTail)")
            #expect(response.bodyText == body)
            #expect(waitForExit(server, within: 10), "still running 10 s after SIGTERM\n\(server.stderrTail)")
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
        }
    }

    @Test("Connections completed after the stop was asked, before the listener closed, are served",
          arguments: engines)
    func backlogAtStopIsServed(engine: String) async throws {
        try await LiveTests.run {
            let server = try ServerProcess(engine: engine, binaryName: "LifecycleServer")
            // The worker thread is held for 1.5 s; meanwhile the stop is asked for, then a second
            // client connects. Once free, the worker sees the stop first and the new connection
            // after it (epoll: in the backlog; io_uring: an accept completion behind the stop's).
            let first = try RawClient(port: server.port, timeoutSeconds: 10)
            try first.send(RawClient.request("GET", "/block?ms=1500"))
            pause(0.3)
            kill(server.pid, SIGTERM)
            pause(0.3)
            let second = try RawClient(port: server.port, timeoutSeconds: 10)
            try second.send(RawClient.request("GET", "/sleep?ms=0"))
            let blocked = try first.readResponse()
            #expect(blocked.status == 200 && blocked.bodyText == "blocked 1500")  // answered before the stop was seen
            let late = try second.readResponse()
            #expect(late.status == 200 && late.bodyText == "slept 0", "\(server.stderrTail)")
            #expect(late.header("connection") == "close")
            #expect(waitForExit(server, within: 10), "still running 10 s after SIGTERM\n\(server.stderrTail)")
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
        }
    }

    /// Starts `binary` on a free port without waiting for its Listening line and connects the
    /// moment the port accepts.
    static func startAndConnect(engine: String, binary: String, arguments: [String]) throws -> (ServerProcess, RawClient) {
        let port = try RawClient.findFreePort()
        let server = try ServerProcess(
            engine: engine, port: port, extraArguments: arguments, binaryName: binary, awaitListening: false)
        do {
            let client = try RawClient.connectWhenAccepting(
                port: port, within: ServerProcess.startupTimeout, timeoutSeconds: 10, while: { server.isRunning })
            return (server, client)
        } catch {
            throw ServerTestFailure(underlying: error, stderrTail: server.stderrTail)
        }
    }
}
