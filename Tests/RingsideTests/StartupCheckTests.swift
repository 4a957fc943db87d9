import Foundation
import Testing

/// io_uring that the process may not use (as under a container's seccomp
/// profile) is reported in one clear line, with a failing exit status.
@Suite("Start-up checks")
struct StartupCheckTests {
    /// Runs its arguments with io_uring_setup failing with EPERM (Tests/NoIOUring).
    static func launcherPath() throws -> String {
        URL(fileURLWithPath: try ServerProcess.binaryPath()).deletingLastPathComponent()
            .appendingPathComponent("NoIOUring").path
    }

    @Test("io_uring blocked by seccomp: one line saying so, exit status 1")
    func ioUringBlocked() async throws {
        try await LiveTests.run {
            let ringside = try ServerProcess.binaryPath()
            let launcher = try Self.launcherPath()
            let result = try runCommand(
                launcher, [ringside, "serve", "--host", "127.0.0.1", "--port", "0", "--engine", "uring"])
            let errorText = result.stderr

            #expect(result.reason == .exit)
            #expect(result.status == 1)
            #expect(!result.stdout.contains("Listening on"))
            let lines = errorText.split(separator: "\n")
            #expect(lines.count == 1, "expected one line, got:\n\(errorText)")
            #expect(errorText.contains("io_uring is blocked for this process (EPERM)"), "\(errorText)")
            #expect(errorText.contains("--engine epoll"), "the message suggests the fallback: \(errorText)")
        }
    }

    @Test("--engine auto with io_uring blocked: one log line, then epoll serves")
    func autoFallsBackToEpoll() async throws {
        try await LiveTests.run {
            let expected = try Fixtures.avatar()
            let server = try ServerProcess(engine: "auto", launcher: try Self.launcherPath())
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected)
            #expect(server.stop() == .exited(0))
            let fallbackLines = server.stderr.split(separator: "\n").filter { $0.contains("using epoll") }
            #expect(fallbackLines.count == 1, "\(server.stderr)")
            #expect(fallbackLines.first?.contains("io_uring is blocked") == true)
        }
    }
}
