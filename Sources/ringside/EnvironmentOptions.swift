/// Every `ringside serve` option can also be set from the environment:
/// `--max-body` is `RINGSIDE_MAX_BODY`, `--pin-cpus` is `RINGSIDE_PIN_CPUS`.
///
/// Precedence: a flag on the command line, then the environment, then the
/// option's default. The environment's values are handed to the argument
/// parser as if they had been typed (`--port 8080`), so they are parsed and
/// validated exactly like flags, and a bad one stops the command with the
/// same error plus a line naming the variable. A flag takes `true`/`1`/`yes`
/// or `false`/`0`/`no`; for one with a `--no-` form, false gives that form.
/// Variables that name no option are ignored.
///
/// (swift-configuration's `EnvironmentVariablesProvider` was the other way:
/// its documented pairing with the argument parser declares every option
/// optional, losing the parser's defaults and validation, and its
/// `int(forKey:default:)` falls back to the default when a value does not
/// convert, so `RINGSIDE_PORT=80a` would serve on 3000 without a word.)
enum EnvironmentOptions {
    static let prefix = "RINGSIDE_"

    /// `serve`'s options that take a value (`EnvironmentTests` checks this
    /// list against what `ringside serve --experimental-dump-help` declares).
    static let options = [
        "host", "port", "workers", "engine", "max-request-line", "max-header-bytes", "max-headers", "max-body",
        "max-connections", "linger-bytes", "header-timeout", "body-timeout", "idle-timeout", "send-timeout",
        "drain-timeout", "handler-timeout", "linger-timeout", "ring-entries", "log-level", "log-format",
        "access-log", "metrics-path", "admin-port", "shutdown-delay", "liveness-path", "readiness-path",
        "ping-delay", "data-work", "offload-threads", "offload-queue", "offload-nice", "users", "lockout-failures", "lockout-window",
        "lockout-capacity", "upstream", "upstream-connections", "upstream-queue", "upstream-timeout",
        "upstream-idle-timeout", "upstream-max-body", "max-outbound-connections", "tls-cert", "tls-key", "tls-port",
        "tls-ticket-lifetime", "tls-watch-interval", "tls-max-handshakes", "upstream-ca", "upstream-server-name", "upstream-cert", "upstream-key",
        "http2-max-streams",
    ]
    /// Flags without a `--no-` form: true adds the flag.
    static let flags = ["pin-cpus", "tls-keep-buffers"]
    /// Flags with a `--no-` form.
    static let invertibleFlags = ["metrics", "request-ids", "http2"]

    /// The variable for option `name`: `max-body` → `RINGSIDE_MAX_BODY`.
    static func variable(_ name: String) -> String {
        prefix + name.uppercased().replacingHyphens()
    }

    /// What the environment adds to `arguments` (the command line without
    /// the program's name): the arguments to parse, and the variables used.
    /// Nothing is added to a command line asking for help or the version.
    static func merge(
        _ arguments: [String], environment: [String: String]
    ) throws(InvalidFlag) -> (arguments: [String], used: [String]) {
        let asksForInformation = arguments.contains {
            ["-h", "--help", "help", "--version", "--experimental-dump-help"].contains($0)
        }
        if asksForInformation || (arguments.first.map { !$0.hasPrefix("-") && $0 != "serve" } ?? false) {
            return (arguments, [])
        }
        func given(_ name: String) -> Bool {
            arguments.contains { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") || $0 == "--no-\(name)" }
        }
        var added: [String] = []
        var used: [String] = []
        for name in options where !given(name) {
            guard let value = environment[variable(name)] else { continue }
            added += ["--\(name)", value]
            used.append("\(variable(name))=\(value)")
        }
        for name in flags + invertibleFlags where !given(name) {
            guard let value = environment[variable(name)] else { continue }
            guard let on = truth(value) else { throw InvalidFlag(variable: variable(name), value: value) }
            if on {
                added.append("--\(name)")
            } else if invertibleFlags.contains(name) {
                added.append("--no-\(name)")
            }
            used.append("\(variable(name))=\(value)")
        }
        guard !added.isEmpty else { return (arguments, []) }
        // After `serve` when it is named; `serve` is the default subcommand otherwise.
        let insertAt = arguments.first == "serve" ? 1 : 0
        var merged = arguments
        merged.insert(contentsOf: added, at: insertAt)
        return (merged, used)
    }

    private static func truth(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
    }

    /// A flag's variable that is neither true nor false.
    struct InvalidFlag: Error, CustomStringConvertible {
        var variable: String
        var value: String
        var description: String { "\(variable)=\(value): expected true or false" }
    }
}

extension String {
    fileprivate func replacingHyphens() -> String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
