import ArgumentParser
import Ringside

@main
struct RingsideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringside",
        abstract: "A fast HTTP/1.1 server on io_uring.",
        version: RingsideVersion.current,
        subcommands: [Serve.self, HashPassword.self],
        defaultSubcommand: Serve.self)
}
