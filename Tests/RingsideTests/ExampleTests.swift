import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The README's example service (`Examples/HelloRingside`) builds and answers
/// every route, and `try await server.run()` stops cleanly on SIGTERM.
@Suite(.serialized)
struct ExampleTests {
    @Test(arguments: engines)
    func exampleAnswersEveryRoute(engine: String) async throws {
        try await LiveTests.run {
            let port = try RawClient.findFreePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath("HelloRingside"))
            process.arguments = [String(port), engine]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try ServerProcess.withShellSignalState { try process.run() }
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

            let client = try RawClient.connectWhenAccepting(port: port, within: 10)  // it prints to a buffered stdout
            let root = try client.exchange("GET", "/")
            #expect(root.status == 200)
            #expect(root.bodyText == "Hello from Ringside\n")

            let hello = try client.exchange("GET", "/hello/ringside")
            #expect(hello.header("content-type") == "application/json")
            #expect(hello.bodyText == #"{"hello":"ringside"}"#)

            let later = try client.exchange("GET", "/later?who=tests")
            #expect(later.bodyText == "later, tests\n")

            let sum = try client.exchange("POST", "/sum", body: "\u{1}\u{2}\u{3}")
            #expect(sum.bodyText == "6\n")

            kill(process.processIdentifier, SIGTERM)
            let deadline = monotonicSeconds() + 10
            while process.isRunning && monotonicSeconds() < deadline { usleep(10_000) }
            #expect(!process.isRunning, "the example ignored SIGTERM")
            if !process.isRunning {
                #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                        "exit \(process.terminationReason) \(process.terminationStatus)")
            }
        }
    }

    /// The README's examples are the code that runs here: each code line (comments aside) of its
    /// first swift block stands in `Examples/HelloRingside` (HelloRouter.swift, then main.swift), and
    /// each of its second (the test) in `Tests/HelloRingsideTests/HelloRingsideTests.swift`, in order.
    @Test func readmeExamplesAreTheTestedCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        func read(_ path: String) throws -> String {
            try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        }
        let readme = try read("README.md")
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map {
            $0.components(separatedBy: "```").first ?? ""
        }
        try #require(blocks.count >= 2, "README.md has \(blocks.count) swift blocks, expected the example and its test")
        try expectLines(
            of: blocks[0], in: try read("Examples/HelloRingside/HelloRouter.swift") + read("Examples/HelloRingside/main.swift"),
            named: "Examples/HelloRingside", atLeast: 20)
        try expectLines(
            of: blocks[1], in: try read("Tests/HelloRingsideTests/HelloRingsideTests.swift"),
            named: "Tests/HelloRingsideTests", atLeast: 8)
    }

    private func expectLines(of block: String, in source: String, named name: String, atLeast minimum: Int) throws {
        func codeLines(_ text: String) -> [String] {
            text.split(separator: "\n").map(String.init).filter {
                let trimmed = $0.trimmingCharacters(in: .whitespaces)
                return !trimmed.isEmpty && !trimmed.hasPrefix("//")
            }
        }
        let wanted = codeLines(block)
        #expect(wanted.count >= minimum, "the README's block for \(name) is shorter than expected: \(wanted.count) lines")
        var remaining = codeLines(source)[...]
        for line in wanted {
            guard let found = remaining.firstIndex(of: line) else {
                Issue.record("README line not in \(name) (in order): \(line)")
                return
            }
            remaining = remaining[(found + 1)...]
        }
    }
}
