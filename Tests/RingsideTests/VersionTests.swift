import Foundation
import Ringside
import Testing

/// `ringside --version` prints the library's version, from the real binary.
@Suite("Version")
struct VersionTests {
    @Test("ringside --version prints RingsideVersion.current and exits 0")
    func version() async throws {
        try await LiveTests.run {
            let result = try runCommand(try ServerProcess.binaryPath(), ["--version"])
            #expect(result.reason == .exit && result.status == 0, "\(result.stderr)")
            #expect(result.stdout == RingsideVersion.current + "\n")
            #expect(result.stderr.isEmpty, "\(result.stderr)")
        }
    }

    @Test("RingsideVersion.current is MAJOR.MINOR.PATCH")
    func semanticVersion() {
        let parts = RingsideVersion.current.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3, "\(RingsideVersion.current)")
        #expect(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }, "\(RingsideVersion.current)")
    }
}
