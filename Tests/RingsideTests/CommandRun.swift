import Foundation

/// A program run to its end: how it ended and what it wrote.
struct CommandResult {
    var reason: Process.TerminationReason
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` and waits for it. Its output goes to
/// temporary files, so a chatty program cannot block on a full pipe.
func runCommand(_ executable: String, _ arguments: [String]) throws -> CommandResult {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ringside-run-\(UUID().uuidString)").path
    let paths = (out: base + ".stdout", err: base + ".stderr")
    for path in [paths.out, paths.err] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    defer { for path in [paths.out, paths.err] { try? FileManager.default.removeItem(atPath: path) } }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle(forWritingAtPath: paths.out)
    process.standardError = FileHandle(forWritingAtPath: paths.err)
    try process.run()
    process.waitUntilExit()
    func read(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }
    return CommandResult(
        reason: process.terminationReason, status: process.terminationStatus,
        stdout: read(paths.out), stderr: read(paths.err))
}
