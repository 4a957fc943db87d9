import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Setting up what operators read: each worker's metrics, the `/metrics`
/// endpoint (a route of the main router, or a one-worker server of its own
/// on the admin port) and the access log's descriptor.
extension Server {
    /// What the workers are started with, and what ``stop()`` takes down after them.
    struct Observability: Sendable {
        /// The served routes, plus `/metrics` when the main port serves it.
        var router = Router()
        /// One per worker; empty when metrics are off.
        var metrics: [WorkerMetrics] = []
        /// The server answering `/metrics` on the admin port, and that port.
        var admin: Server?
        var adminPort: Int?
        /// The access log's descriptor (-1: none).
        var accessLogFD: Int32 = -1

        init(router: Router = Router()) { self.router = router }

        /// After the workers stopped: the admin listener and the access log.
        func stop() {
            admin?.stop()
            if accessLogFD > STDERR_FILENO { close(accessLogFD) }
        }
    }

    /// Fills `observability` (holding the served routes) for workers running
    /// `engine` with `pool`. What it opened before throwing is in `observability`
    /// for ``stop()`` to close.
    func startObservability(
        _ observability: inout Observability, engine: ServerConfiguration.Engine, pool: OffloadPool?
    ) throws {
        if let accessLog = configuration.accessLog {
            observability.accessLogFD = accessLog.path == "-"
                ? STDOUT_FILENO : open(accessLog.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard observability.accessLogFD >= 0 else {
                throw Failure.observability("cannot open access log \(accessLog.path): \(String(cString: strerror(errno)))")
            }
        }
        let options = configuration.metrics
        guard options.isEnabled else { return }
        let router = observability.router
        if options.adminPort == nil && router.hasRoute(.get, options.path) {
            throw Failure.observability("a GET route for \(options.path) exists: choose another metrics path")
        }
        let metrics = (0..<configuration.workers).map { WorkerMetrics(worker: $0) }
        // The route is added last: its index, and so its label, follows the served routes.
        let patterns = router.routes.map(\.pattern.description) + (options.adminPort == nil ? [options.path] : [])
        let server = ServerMetrics(
            workers: metrics, routes: patterns, engine: engine, pool: pool, registry: options.registry)
        if options.adminPort == nil {
            observability.router.get(options.path) { _ in server.response() }
        } else {
            var scrape = Router()
            scrape.get(options.path) { _ in server.response() }
            // Metrics only: no health checks (the main port's readiness is not this server's), no client.
            let admin = Server(
                configuration: ServerConfiguration(
                    host: configuration.host, port: options.adminPort ?? 0, workers: 1, engine: .epoll,
                    maxConnectionsPerWorker: 64, offloadThreads: 0, livenessPath: nil, readinessPath: nil,
                    maxOutboundConnectionsPerWorker: 0, metrics: ServerConfiguration.Metrics(isEnabled: false)),
                router: scrape, logger: logger)
            observability.admin = admin
            observability.adminPort = try admin.start()
        }
        observability.metrics = metrics
    }
}
