import Foundation
import Ringside
import Testing

/// `ringside --version` prints the library's version, from the real binary.
@Suite("Version")
struct VersionTests {
    /// Runs the ringside binary with `arguments`; returns exit status, stdout, stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath())
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    @Test("ringside --version prints RingsideVersion.current and exits 0")
    func version() throws {
        let result = try Self.run(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == RingsideVersion.current + "\n")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test("RingsideVersion.current is MAJOR.MINOR.PATCH")
    func semanticVersion() {
        let parts = RingsideVersion.current.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3, "\(RingsideVersion.current)")
        #expect(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil })
    }
}
