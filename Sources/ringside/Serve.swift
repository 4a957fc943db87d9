import ArgumentParser
import HTTP1
import Logging
import Ringside
import ServiceLifecycle
import UnixSignals
import Workloads
#if canImport(Glibc)
import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the workloads: /v1/avatar, /ping/, /data, /v1/login and the /demo routes.")

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

    @OptionGroup(title: "Timeouts (whole seconds)")
    var timeouts: TimeoutOptions

    @OptionGroup(title: "Upstream of /v1/user")
    var upstream: UpstreamOptions

    @OptionGroup(title: "HTTPS")
    var tls: TLSOptions

    @OptionGroup(title: "HTTP/2")
    var http2: HTTP2Options

    @Option(help: "io_uring submission-queue entries per worker (the completion queue gets 4x).")
    var ringEntries = 1024

    @Option(help: "On SIGTERM: seconds the server keeps serving (readiness failing) before it drains.")
    var shutdownDelay = 0

    @Option(help: "Liveness check path ('' for none).")
    var livenessPath = "/healthz"

    @Option(help: "Readiness check path, 503 once shutdown begins ('' for none).")
    var readinessPath = "/readyz"

    @OptionGroup(title: "Workloads and the offload pool")
    var workloads: WorkloadOptions

    @OptionGroup(title: "Logs and metrics")
    var observability: ObservabilityOptions

    func validate() throws {
        for (flag, path) in [("--liveness-path", livenessPath), ("--readiness-path", readinessPath)]
        where !path.isEmpty && (!path.hasPrefix("/") || path.contains("?")) {
            throw ValidationError("\(flag) must start with / and hold no query ('' for none)")
        }
    }

    func run() async throws {
        // Before anything listens: a stop signal in the first second is a graceful shutdown too
        // (and a SIGHUP a reload, not the end of the process).
        EarlySignals.remember([SIGTERM, SIGINT, SIGHUP])
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
        let (router, notices) = makeRouter()
        var configuration = ServerConfiguration(
            host: host, port: port, workers: workers.count, engine: engine, pinCPUs: pinCPUs,
            maxConnectionsPerWorker: limits.maxConnections, ringEntries: ringEntries,
            parserLimits: ParserLimits(
                maxRequestLineLength: limits.maxRequestLine, maxHeaderBytes: limits.maxHeaderBytes,
                maxHeaderCount: limits.maxHeaders),
            maxBodyBytes: limits.maxBody, maxLingerBytes: limits.lingerBytes,
            timeouts: ServerConfiguration.Timeouts(
                header: .seconds(timeouts.headerTimeout), body: .seconds(timeouts.bodyTimeout),
                idle: .seconds(timeouts.idleTimeout), send: .seconds(timeouts.sendTimeout),
                drain: .seconds(timeouts.drainTimeout), handler: .seconds(timeouts.handlerTimeout),
                linger: .seconds(timeouts.lingerTimeout)),
            offloadThreads: workloads.offloadThreads ?? ServerConfiguration.availableCPUs,
            offloadQueueDepth: workloads.offloadQueue,
            shutdownDelay: .seconds(shutdownDelay),
            livenessPath: livenessPath.isEmpty ? nil : livenessPath,
            readinessPath: readinessPath.isEmpty ? nil : readinessPath,
            maxOutboundConnectionsPerWorker: upstream.maxOutboundConnections,
            metrics: ServerConfiguration.Metrics(
                isEnabled: observability.metrics, path: observability.metricsPath, adminPort: observability.adminPort,
                registry: registry),
            accessLog: observability.accessLog.map {
                ServerConfiguration.AccessLog(path: $0, format: observability.logFormat == .json ? .json : .text)
            },
            requestIDs: observability.requestIds)
        configuration.offloadNice = workloads.offloadNice
        configuration.tls = tls.configuration
        configuration.http2 = http2.configuration
        let logger = Logger(label: "ringside")
        let server = Server(configuration: configuration, router: router, logger: logger)
        let boundPort: Int
        do {
            // Started here, so a start-up failure is one line and no service-group log.
            boundPort = try server.start()
        } catch {
            fail("\(error)")  // one line, no usage text: this is not a command-line mistake
        }
        // SIGHUP reads the TLS certificates again; a reload that fails keeps the old ones and says why.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let reloads = Task {
            for await _ in hangups {
                do {
                    if try !server.reloadTLS() { logger.notice("SIGHUP: no TLS certificates to reload") }
                } catch {
                    logger.error("TLS reload failed; serving the previous certificates", metadata: ["reason": "\(error)"])
                }
            }
        }
        defer { reloads.cancel() }
        // SIGTERM and SIGINT start a graceful shutdown (see `Server`).
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        async let running: Void = group.run()
        // The group's handlers replace the early ones; a signal that came before is raised again.
        // The Listening line follows, so whoever waits for it signals the group itself.
        for signal in EarlySignals.handOver([SIGTERM, SIGINT, SIGHUP]) where signal != SIGHUP {
            logger.info("stop signal received while starting; shutting down", metadata: ["signal": "\(signal)"])
        }
        // Logged once serving, so a failed start stays one line.
        for (level, notice) in notices { logger.log(level: level, "\(notice)") }
        if let adminPort = server.adminPort {
            print("Metrics on http://\(displayHost):\(adminPort)\(observability.metricsPath)")
        }
        if let tlsPort = server.tlsPort { print("HTTPS on https://\(displayHost):\(tlsPort)") }
        print("Listening on \(tls.onMainPort ? "https" : "http")://\(displayHost):\(boundPort)")
        fflush(nil)
        try await running
    }

    /// The routes of every workload, and what to log about them once serving.
    private func makeRouter() -> (Router, [(Logger.Level, String)]) {
        var notices: [(Logger.Level, String)] = []
        let users: UserDirectory
        if let path = workloads.users {
            do {
                users = try UserDirectory(contentsOfFile: path)
            } catch {
                fail("users file \(path): \(error)")
            }
        } else {
            users = .demo
            notices.append((.warning, "no --users file: /v1/login accepts the demo user herbert with password \"password\""))
        }
        let login: Login
        do {
            login = try Login(users: users, policy: workloads.lockoutPolicy)
        } catch {
            fail("users file \(workloads.users ?? ""): \(error)")
        }
        let data = DataWork(iterations: workloads.dataWork)
        let milliseconds = ((DataWork.measureIteration() * data.iterations) / .microseconds(10)).rounded() / 100
        notices.append((.info, "/data: \(data.iterations) SHA-256 iterations per request, \(milliseconds) ms of CPU here"))
        let client: HTTPClient
        do {
            client = try upstream.client()
        } catch {
            fail("\(error)")
        }
        let avatar = Avatar()
        let router = Router(workloads: [
            avatar, Demo(avatar: avatar), User(upstream: client), Ping(delay: .milliseconds(workloads.pingDelay)), data,
            login,
        ])
        return (router, notices)
    }

    private var displayHost: String { host.contains(":") ? "[\(host)]" : host }
}
