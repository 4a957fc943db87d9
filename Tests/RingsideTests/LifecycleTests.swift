import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The signals that must shut the server down with status 0.
enum StopSignal: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sigterm = "SIGTERM"
    case sigint = "SIGINT"

    var number: Int32 { self == .sigterm ? SIGTERM : SIGINT }
    var testDescription: String { rawValue }
}

/// Command-line forms from the spec that the other tests don't use.
enum CommandLineVariant: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case workersAuto = "--workers auto"
    case pinCPUs = "--pin-cpus"

    var workers: String { self == .workersAuto ? "auto" : "1" }
    var extraArguments: [String] { self == .pinCPUs ? ["--pin-cpus"] : [] }
    var testDescription: String { rawValue }
}

@Suite("Start-up and shutdown")
struct LifecycleTests {
    @Test("a server that hangs on stop is reported thread by thread (the harness's own check)")
    func threadReportNamesEachThread() async throws {
        try await withServer(engine: "epoll") { server in
            let report = ServerProcess.threadReport(server.pid)
            let lines = report.split(separator: "\n").dropFirst()
            #expect(lines.count >= 2, "main thread and a worker at least:\n\(report)")
            // The idle worker sleeps in epoll_wait, and the report says so (where the kernel shows
            // wait channels at all: some hide them as "0").
            if lines.contains(where: { !$0.hasSuffix(" 0") && !$0.hasSuffix(" ?") }) {
                #expect(lines.contains { $0.hasSuffix("do_epoll_wait") }, "\(report)")
            }
            #expect(lines.contains { $0.hasPrefix("\(server.pid) ") }, "the main thread's id is the pid:\n\(report)")
        }
    }

    @Test(
        "SIGTERM or SIGINT with idle connections open: exit status 0",
        arguments: engines, StopSignal.allCases
    )
    func shutdownWithIdleConnections(engine: String, signal: StopSignal) async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let server = try ServerProcess(engine: engine)
            // One connection that has been served and sits in keep-alive, and
            // three that never sent a byte.
            let served = try RawClient(port: server.port)
            try served.send(RawClient.request())
            checkAvatar(try served.readResponse(), expected: expected)
            let idle = try (0..<3).map { _ in try RawClient(port: server.port) }
            usleep(100_000)  // let the server accept the idle ones

            let exit = server.stop(signal: signal.number)
            #expect(exit == .exited(0), "server \(exit) on \(signal.rawValue)\n\(server.stderrTail)")
            for client in [served] + idle {
                let state = client.peerState()
                #expect(state == .closed || state == .reset, "a client connection was \(state) after the server exited")
            }
        }
    }

    @Test("--port with an explicit free port listens on exactly that port", arguments: engines)
    func explicitPort(engine: String) async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let port = try RawClient.findFreePort()
            let server = try ServerProcess(engine: engine, port: port)
            #expect(server.port == port)
            let client = try RawClient(port: port)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected)
            let exit = server.stop()
            #expect(exit == .exited(0), "server \(exit) on SIGTERM\n\(server.stderrTail)")
        }
    }

    @Test("The server starts and serves with each command-line form", arguments: engines, CommandLineVariant.allCases)
    func commandLineForms(engine: String, variant: CommandLineVariant) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, workers: variant.workers, extraArguments: variant.extraArguments) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected)
        }
    }
}
