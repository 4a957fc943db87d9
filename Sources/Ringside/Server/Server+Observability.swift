import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Setting up what operators read: each worker's metrics, the `/metrics`
/// endpoint (a route of the main router, or a one-worker server of its own
/// on the admin port) and the access log's descriptor.
extension Server {
    /// What the workers are started with.
    struct Observability {
        /// The user's routes, plus `/metrics` when the main port serves it.
        var router: Router
        /// One per worker; empty when metrics are off.
        var metrics: [WorkerMetrics]
    }

    func startObservability() throws -> Observability {
        if let accessLog = configuration.accessLog {
            accessLogFD = accessLog.path == "-"
                ? STDOUT_FILENO : open(accessLog.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard accessLogFD >= 0 else {
                throw Failure.observability("cannot open access log \(accessLog.path): \(String(cString: strerror(errno)))")
            }
        }
        let options = configuration.metrics
        guard options.isEnabled else { return Observability(router: router, metrics: []) }
        let metrics = (0..<configuration.workers).map { WorkerMetrics(worker: $0) }
        var main = router
        var scrape = Router()
        if options.adminPort == nil {
            let shape = RoutePattern(options.path).shape
            if router.routes.contains(where: { $0.method == .get && $0.pattern.shape == shape }) {
                throw Failure.observability("a GET route for \(options.path) exists: choose another metrics path")
            }
        }
        // The route is added last: its index, and so its label, follows the user's routes.
        let patterns = router.routes.map(\.pattern.description) + (options.adminPort == nil ? [options.path] : [])
        let server = ServerMetrics(
            workers: metrics, routes: patterns, engine: engine, pool: pool, registry: options.registry)
        if options.adminPort == nil {
            main.get(options.path) { _ in server.response() }
        } else {
            scrape.get(options.path) { _ in server.response() }
            let admin = Server(
                configuration: ServerConfiguration(
                    host: configuration.host, port: options.adminPort ?? 0, workers: 1, engine: .epoll,
                    maxConnectionsPerWorker: 64, offloadThreads: 0, metrics: ServerConfiguration.Metrics(isEnabled: false)),
                router: scrape, logger: logger)
            try admin.start()
            self.admin = admin
        }
        return Observability(router: main, metrics: metrics)
    }

    /// After the workers stopped: the admin listener and the access log.
    func stopObservability() {
        admin?.stop()
        admin = nil
        if accessLogFD > STDERR_FILENO { close(accessLogFD) }
        accessLogFD = -1
    }
}
