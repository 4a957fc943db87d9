import ArgumentParser
import HTTP1
import Logging
import Ringside
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the demo routes (/v1/avatar).")

    @Option(help: "Address to listen on (IPv4 or IPv6 literal).")
    var host = "0.0.0.0"

    @Option(help: "TCP port; 0 picks a free one.")
    var port = 3000

    @Option(help: "Worker threads: a number or 'auto' (one per CPU this process may use).")
    var workers: WorkerCount = .auto

    @Option(help: "Event loop: uring, epoll, or auto (io_uring when available, else epoll).")
    var engine: ServerConfiguration.Engine = .auto

    @Flag(name: .customLong("pin-cpus"), help: "Pin worker i to the i-th allowed CPU.")
    var pinCPUs = false

    @OptionGroup(title: "Limits")
    var limits: LimitOptions

    @OptionGroup(title: "Timeouts (whole seconds; checked once a second)")
    var timeouts: TimeoutOptions

    @Option(help: "io_uring submission-queue entries per worker (the completion queue gets 4x).")
    var ringEntries = 1024

    @Option(help: "On SIGTERM: seconds the server keeps serving (readiness failing) before it drains.")
    var shutdownDelay = 0

    @Option(help: "Liveness check path ('' for none).")
    var livenessPath = "/healthz"

    @Option(help: "Readiness check path, 503 once shutdown begins ('' for none).")
    var readinessPath = "/readyz"

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let configuration = ServerConfiguration(
            host: host, port: port, workers: workers.count, engine: engine, pinCPUs: pinCPUs,
            maxConnectionsPerWorker: limits.maxConnections, ringEntries: ringEntries,
            parserLimits: ParserLimits(
                maxRequestLineLength: limits.maxRequestLine, maxHeaderBytes: limits.maxHeaderBytes,
                maxHeaderCount: limits.maxHeaders),
            maxBodyBytes: limits.maxBody, maxLingerBytes: limits.lingerBytes,
            timeouts: ServerConfiguration.Timeouts(
                header: timeouts.headerTimeout, body: timeouts.bodyTimeout, idle: timeouts.idleTimeout,
                send: timeouts.sendTimeout, drain: timeouts.drainTimeout, handler: timeouts.handlerTimeout,
                linger: timeouts.lingerTimeout),
            shutdownDelay: shutdownDelay,
            livenessPath: livenessPath.isEmpty ? nil : livenessPath,
            readinessPath: readinessPath.isEmpty ? nil : readinessPath)
        let logger = Logger(label: "ringside")
        let server = Server(configuration: configuration, router: DemoRoutes.router(), logger: logger)
        let boundPort: Int
        do {
            // Started here, so a start-up failure is one line and no service-group log.
            boundPort = try server.start()
        } catch {
            // One line, no usage text: this is not a command-line mistake.
            let line = Array("ringside: \(error)\n".utf8)
            _ = write(2, line, line.count)
            throw ExitCode.failure
        }
        // SIGTERM and SIGINT start a graceful shutdown (see `Server`).
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        async let running: Void = group.run()
        // Tests and scripts stop the server as soon as this line is out: only
        // once the group's signal handling is in place.
        SignalDisposition.waitUntilHandled([SIGTERM, SIGINT])
        print("Listening on http://\(displayHost):\(boundPort)")
        fflush(nil)
        try await running
    }

    private var displayHost: String { host.contains(":") ? "[\(host)]" : host }
}
