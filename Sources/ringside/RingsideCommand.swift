import ArgumentParser

@main
struct RingsideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringside",
        abstract: "A fast HTTP/1.1 server on io_uring.",
        subcommands: [Serve.self, HashPassword.self],
        defaultSubcommand: Serve.self)
}
