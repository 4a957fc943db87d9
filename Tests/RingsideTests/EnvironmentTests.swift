import Foundation
import Ringside
import Testing

/// Every `ringside serve` option from the environment (`RINGSIDE_<OPTION>`), on the real binary.
@Suite("Options from the environment")
struct EnvironmentTests {
    /// Runs the binary with `arguments` and extra environment variables, to its end.
    static func run(_ arguments: [String], _ environment: [String: String]) throws -> CommandResult {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ringside-env-\(UUID().uuidString)").path
        let paths = (out: base + ".stdout", err: base + ".stderr")
        for path in [paths.out, paths.err] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        defer { for path in [paths.out, paths.err] { try? FileManager.default.removeItem(atPath: path) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: paths.out)
        process.standardError = FileHandle(forWritingAtPath: paths.err)
        try process.run()
        // A command that was meant to fail but serves: kill it after a while (the caller fails the test).
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return CommandResult(
            reason: process.terminationReason, status: process.terminationStatus, stdout: read(paths.out),
            stderr: read(paths.err))
    }

    /// A value each option refuses, and the words its error holds.
    static let refused: [String: (value: String, says: String)] = [
        "host": ("not-an-address", "not-an-address"),
        "engine": ("warp", "--engine"),
        "workers": ("many", "--workers"),
        "log-level": ("loud", "--log-level"),
        "log-format": ("xml", "--log-format"),
        "access-log": ("/nonexistent-dir/access.log", "/nonexistent-dir/access.log"),
        "metrics-path": ("no-slash", "--metrics-path"),
        "users": ("/nonexistent-dir/users.json", "/nonexistent-dir/users.json"),
    ]

    @Test("every option that serve declares is read from RINGSIDE_<OPTION>: a refused value stops it, naming the variable")
    func everyOptionIsMapped() async throws {
        try await LiveTests.run {
            let dump = try Self.run(["serve", "--experimental-dump-help"], [:])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
            let arguments = try #require((json["command"] as? [String: Any])?["arguments"] as? [[String: Any]])
            var names: [(name: String, flag: Bool)] = []
            for argument in arguments {
                let kind = argument["kind"] as? String
                let long = (argument["names"] as? [[String: Any]] ?? []).compactMap { name -> String? in
                    name["kind"] as? String == "long" ? name["name"] as? String : nil
                }
                guard let name = long.first, !["help", "version", "experimental-dump-help"].contains(name),
                      !name.hasPrefix("no-") else { continue }
                names.append((name, kind == "flag"))
            }
            #expect(names.count >= 25, "\(names)")
            for (name, flag) in names {
                let variable = "RINGSIDE_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
                let (value, says) = flag ? ("maybe", variable) : Self.refused[name] ?? ("x", "--\(name)")
                // The test's own --host and --port would win over the variable under test.
                let arguments = ["serve"] + (name == "host" ? [] : ["--host", "127.0.0.1"]) + (name == "port" ? [] : ["--port", "0"])
                let result = try Self.run(arguments, [variable: value])
                #expect(result.reason == .exit && result.status != 0,
                        "\(variable)=\(value) was not read (the server served until killed): map --\(name) in EnvironmentOptions")
                #expect(result.stderr.contains(says), "\(variable)=\(value): \(result.stderr)")
            }
        }
    }

    @Test("precedence: a flag beats the environment, which beats the default", arguments: engines)
    func precedence(engine: String) async throws {
        try await LiveTests.run {
            let environmentPort = try RawClient.findFreePort()
            // `ServerProcess` passes --port 0: the flag wins, so the port is a free one, not the environment's.
            let flagged = try ServerProcess(engine: engine, environment: ["RINGSIDE_PORT": String(environmentPort)])
            #expect(flagged.port != environmentPort)
            #expect(flagged.stop() == .exited(0))

            // The environment alone: its host, port, workers, engine, request ids, no metrics.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath())
            process.arguments = ["serve"]
            let stdoutPath = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)").path
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: stdoutPath) }
            process.environment = ProcessInfo.processInfo.environment.merging([
                "RINGSIDE_HOST": "127.0.0.1", "RINGSIDE_PORT": String(environmentPort), "RINGSIDE_WORKERS": "1",
                "RINGSIDE_ENGINE": engine, "RINGSIDE_REQUEST_IDS": "true", "RINGSIDE_METRICS": "false",
            ]) { _, given in given }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            process.standardError = FileHandle.nullDevice
            try ServerProcess.withShellSignalState { try process.run() }
            defer {
                if process.isRunning { kill(process.processIdentifier, SIGTERM) }
                process.waitUntilExit()
            }
            let deadline = Date().addingTimeInterval(10)
            while !(String(decoding: FileManager.default.contents(atPath: stdoutPath) ?? Data(), as: UTF8.self)
                .contains("Listening on http://127.0.0.1:\(environmentPort)")) && Date() < deadline { usleep(10_000) }
            let client = try RawClient(port: environmentPort)
            let avatar = try client.exchange("GET", "/v1/avatar")
            #expect(avatar.status == 200)
            #expect(avatar.header("x-request-id") != nil, "RINGSIDE_REQUEST_IDS=true was not applied")
            #expect(try client.exchange("GET", "/metrics").status == 404, "RINGSIDE_METRICS=false was not applied")
        }
    }

    @Test("--version and --help ignore the environment")
    func informationIgnoresEnvironment() async throws {
        try await LiveTests.run {
            let version = try Self.run(["--version"], ["RINGSIDE_PORT": "x"])
            #expect(version.status == 0 && version.stdout == RingsideVersion.current + "\n", "\(version.stderr)")
            let help = try Self.run(["serve", "--help"], ["RINGSIDE_PORT": "x"])
            #expect(help.status == 0 && help.stdout.contains("--port"), "\(help.stderr)")
        }
    }
}
