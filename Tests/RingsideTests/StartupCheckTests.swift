import Foundation
import Testing

/// io_uring that the process may not use (as under a container's seccomp
/// profile) is reported in one clear line, with a failing exit status.
@Suite("Start-up checks")
struct StartupCheckTests {
    @Test("io_uring blocked by seccomp: one line saying so, exit status 1")
    func ioUringBlocked() throws {
        let ringside = try ServerProcess.binaryPath()
        let launcher = URL(fileURLWithPath: ringside).deletingLastPathComponent()
            .appendingPathComponent("NoIOUring").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = [ringside, "serve", "--host", "127.0.0.1", "--port", "0", "--engine", "uring"]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let errorText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let outputText = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
        #expect(!outputText.contains("Listening on"))
        let lines = errorText.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got:\n\(errorText)")
        #expect(errorText.contains("io_uring is blocked for this process (EPERM)"), "\(errorText)")
    }
}
