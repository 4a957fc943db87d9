public import ArgumentParser
public import Logging

/// `ringside serve` logs, metrics and request ids.
struct ObservabilityOptions: ParsableArguments {
    @Option(help: "Least severe log lines written: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log lines as text or json (one object per line); the access log follows it.")
    var logFormat: LogFormat = .text

    @Option(help: ArgumentHelp(
        "Access log, one line per request: a file to append to, or - for standard output. Off unless given.",
        valueName: "path"))
    var accessLog: String?

    @Flag(inversion: .prefixedNo, help: "Count requests and serve Prometheus metrics.")
    var metrics = true

    @Option(help: "Path of the metrics endpoint.")
    var metricsPath = "/metrics"

    @Option(help: ArgumentHelp(
        "Serve the metrics endpoint on this port only (same host, a listener of its own) instead of the main port.",
        valueName: "port"))
    var adminPort: Int?

    @Flag(inversion: .prefixedNo, help: "Answer every request with x-request-id: its own when valid, else a new one.")
    var requestIds = false

    func validate() throws {
        guard metricsPath.hasPrefix("/"), !metricsPath.contains("?") else {
            throw ValidationError("--metrics-path must start with / and hold no query")
        }
        if let adminPort, !(0...65535).contains(adminPort) { throw ValidationError("--admin-port must be 0 to 65535") }
    }
}

/// `--log-format`
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
