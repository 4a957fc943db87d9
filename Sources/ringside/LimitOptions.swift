import ArgumentParser

/// `ringside serve` limits; each refusal has its own status.
struct LimitOptions: ParsableArguments {
    @Option(help: "Longest request line in bytes (414 beyond).")
    var maxRequestLine = 8192

    @Option(help: "Largest request head in bytes (431 beyond).")
    var maxHeaderBytes = 16384

    @Option(help: "Most header fields in a request (431 beyond).")
    var maxHeaders = 100

    @Option(help: "Largest request body in bytes (413 beyond, checked before reading).")
    var maxBody = 1 << 20

    @Option(help: "Open connections per worker; at the limit the worker stops accepting until one closes.")
    var maxConnections = 16384

    @Option(help: "After an answer that closes while the client may still send: bytes read and dropped before closing.")
    var lingerBytes = 1 << 20

    func validate() throws {
        guard maxRequestLine > 0, maxHeaderBytes > 0, maxHeaders > 0, maxBody >= 0, maxConnections > 0, lingerBytes >= 0 else {
            throw ValidationError("limits must be positive")
        }
    }
}

/// `ringside serve` timeouts, in whole seconds.
struct TimeoutOptions: ParsableArguments {
    @Option(help: "From the first byte of a request head until it is complete (408, then close).")
    var headerTimeout = 10

    @Option(help: "Without progress while reading a request body (408, then close).")
    var bodyTimeout = 10

    @Option(help: "A keep-alive connection with nothing to do is closed after this.")
    var idleTimeout = 15

    @Option(help: "Without progress while sending responses (close).")
    var sendTimeout = 10

    @Option(help: "On SIGINT/SIGTERM: how long requests in flight (handlers included) may take before connections are cut.")
    var drainTimeout = 30

    @Option(help: "For an async or offloaded handler to answer (503, task cancelled, close).")
    var handlerTimeout = 30

    @Option(help: "After an answer that closes while the client may still send: how long to read and drop before closing.")
    var lingerTimeout = 2

    func validate() throws {
        guard [headerTimeout, bodyTimeout, idleTimeout, sendTimeout, handlerTimeout].allSatisfy({ $0 > 0 }),
              drainTimeout >= 0, lingerTimeout >= 0 else {
            throw ValidationError("timeouts must be positive")
        }
    }
}
