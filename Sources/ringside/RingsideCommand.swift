import ArgumentParser
import Ringside
#if canImport(Glibc)
import Glibc
#endif

@main
struct RingsideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringside",
        abstract: "A fast HTTP/1.1 server on io_uring.",
        discussion: "Every serve option can also be set as RINGSIDE_<OPTION> (RINGSIDE_MAX_BODY for --max-body); "
            + "a flag on the command line wins over the environment, which wins over the default.",
        version: RingsideVersion.current,
        subcommands: [Serve.self, HashPassword.self],
        defaultSubcommand: Serve.self)

    /// Parses the command line with the environment's options added (see `EnvironmentOptions`).
    static func main() async {
        let environment = ProcessInfoLite.environment
        let merged: (arguments: [String], used: [String])
        do {
            merged = try EnvironmentOptions.merge(Array(CommandLine.arguments.dropFirst()), environment: environment)
        } catch {
            exit(withError: ValidationError(error.description))
        }
        do {
            var command = try parseAsRoot(merged.arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if !merged.used.isEmpty && exitCode(for: error) == .validationFailure {
                let line = Array("ringside: options from the environment: \(merged.used.joined(separator: " "))\n".utf8)
                _ = write(2, line, line.count)
            }
            exit(withError: error)
        }
    }
}

/// The process's environment, without Foundation.
enum ProcessInfoLite {
    static var environment: [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}
