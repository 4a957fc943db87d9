import ArgumentParser
import HTTP1
import Logging
import Ringside
#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
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

    @OptionGroup(title: "Logs and metrics")
    var observability: ObservabilityOptions

    func run() throws {
        let level = observability.logLevel
        switch observability.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, logLevel: level) }
        }
        let registry = observability.metrics ? RingsideMetrics.bootstrap() : nil
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
            metrics: ServerConfiguration.Metrics(
                isEnabled: observability.metrics, path: observability.metricsPath, adminPort: observability.adminPort,
                registry: registry),
            accessLog: observability.accessLog.map {
                ServerConfiguration.AccessLog(path: $0, format: observability.logFormat == .json ? .json : .text)
            },
            requestIDs: observability.requestIds)
        let server = Server(configuration: configuration, router: DemoRoutes.router())
        do {
            try server.run { boundPort in
                if let adminPort = server.adminPort {
                    print("Metrics on http://\(displayHost):\(adminPort)\(observability.metricsPath)")
                }
                print("Listening on http://\(displayHost):\(boundPort)")
                fflush(nil)  // tests and scripts wait for this line
            }
        } catch {
            // One line, no usage text: this is not a command-line mistake.
            let line = Array("ringside: \(error)\n".utf8)
            _ = write(2, line, line.count)
            throw ExitCode.failure
        }
    }

    private var displayHost: String { host.contains(":") ? "[\(host)]" : host }
}
