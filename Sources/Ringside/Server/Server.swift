public import Logging
public import ServiceLifecycle
public import UnixSignals
import IOUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server: one worker thread per core, each with its own event
/// loop and `SO_REUSEPORT` listener, all answering the same routes.
///
/// It is a swift-service-lifecycle `Service`. In a program that runs nothing
/// else, ``runService(gracefulShutdownSignals:)`` serves until SIGTERM or
/// SIGINT; beside other services, put it in their `ServiceGroup`, which turns
/// SIGTERM into a graceful shutdown:
///
/// ```swift
/// let server = Server(configuration: .init(port: 8080), router: router) { port in print("Listening on \(port)") }
/// try await server.runService()
/// // or, beside other services:
/// let group = ServiceGroup(services: [server, other], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
///
/// The group traps its signals before it starts its services, so a SIGTERM
/// from the process's first moment is a graceful shutdown; connections the
/// kernel completed before the stop are served, not reset. Calling
/// ``start()`` before the group runs opens a window in which a signal still
/// has its default action (the `ringside` command closes it by remembering
/// signals until the group takes over).
///
/// Shutting down (the group's graceful shutdown, task cancellation, or
/// ``shutDown()``): the readiness check answers 503 at once; the server keeps
/// serving for ``ServerConfiguration/shutdownDelay`` (time for a load
/// balancer to notice), then stops accepting, answers every request in flight
/// with `connection: close`, lets handlers finish and closes idle connections,
/// all within ``ServerConfiguration/Timeouts/drain``.
public final class Server: Service, Sendable {
    /// Why ``start()`` could not start the server.
    public enum Failure: Error, CustomStringConvertible {
        /// The chosen engine cannot run here; the text says why.
        case engineUnavailable(String)
        /// A worker could not set up its event loop.
        case workerFailed(String)
        /// The metrics endpoint or the access log could not be set up; the text says why.
        case observability(String)

        /// One line for the operator.
        public var description: String {
            switch self {
            case .engineUnavailable(let reason): reason
            case .workerFailed(let reason): "worker failed to start: \(reason)"
            case .observability(let reason): reason
            }
        }
    }

    /// The configuration as given; ``engine`` says which engine `.auto` chose.
    public let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    private let readiness = Readiness()
    private let onListening: (@Sendable (Int) -> Void)?
    private let state = Mutex(State())

    /// What runs, guarded by `state`.
    private struct State: ~Copyable {
        var engine: ServerConfiguration.Engine?
        var workers: [Worker] = []
        var listeners: [Int32] = []
        /// HTTPS's own port, once bound.
        var tlsPort: Int?
        /// HTTPS's certificates, reloaded while the server runs.
        var tls: TLSContextStore?
        /// The thread `run()`'s graceful shutdown stops the server on, joined before `run()` returns.
        var shutdownThread: JoinableThread?
        var pool: OffloadPool?
        var started = false
        /// Shutdown began; its waiters are resumed once the workers are gone.
        var shuttingDown = false
        var stopped = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// `/metrics` on its own port, the access log (see `Server+Observability.swift`).
        var observability = Observability()
    }

    /// A server for `router`'s routes; nothing happens until ``start()`` or `run`.
    /// `logger` gets start-up notes, warnings and handler failures;
    /// `onListening` is called with the bound port once every worker accepts.
    public init(
        configuration: ServerConfiguration, router: Router, logger: Logger = Logger(label: "ringside"),
        onListening: (@Sendable (Int) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.onListening = onListening
    }

    deinit { stop() }

    /// The engine the workers run, known once ``start()`` returned (the configured one before).
    public var engine: ServerConfiguration.Engine { state.withLock { $0.engine } ?? configuration.engine }

    /// The port `/metrics` is served on when it has one of its own
    /// (``ServerConfiguration/Metrics/adminPort``), known once ``start()`` returned.
    public var adminPort: Int? { state.withLock { $0.observability.adminPort } }

    /// The port HTTPS is served on when it has one of its own
    /// (``ServerConfiguration/TLS/port``), known once ``start()`` returned.
    public var tlsPort: Int? { state.withLock { $0.tlsPort } }

    /// Reads the TLS certificate and key files again (as `ringside` does on
    /// SIGHUP; changed files are also noticed on their own, see
    /// ``ServerConfiguration/TLS/watchInterval``). New connections get the
    /// new certificates; open ones go on with theirs. Throws, keeping the
    /// current certificates, if the files cannot serve; false without TLS.
    @discardableResult
    public func reloadTLS() throws(TLSSetupError) -> Bool {
        guard let tls = state.withLock({ $0.tls }) else { return false }
        try tls.reload()
        return true
    }

    /// Whether the readiness check answers 200. False from the moment shutdown begins.
    public var isReady: Bool { readiness.isReady }

    /// Marks the server ready or not (for instance not ready until a cache is
    /// warm); the readiness check answers 503 while it is not.
    public func setReady(_ ready: Bool) { readiness.set(ready) }

    /// Binds the listeners and starts the workers; returns the bound port once
    /// every worker is accepting.
    @discardableResult
    public func start() throws -> Int {
        let engine = try resolveEngine()
        let bound = try Listener.bind(
            host: configuration.host, port: configuration.port,
            count: configuration.workers, backlog: configuration.backlog)
        var tls: (fds: [Int32], port: Int) = ([], 0)
        if let port = configuration.tls?.port {
            do {
                tls = try Listener.bind(
                    host: configuration.host, port: port, count: configuration.workers, backlog: configuration.backlog)
            } catch {
                bound.fds.forEach { _ = close($0) }
                throw error
            }
        }
        state.withLock { $0.tlsPort = configuration.tls?.port == nil ? nil : tls.port }
        try launch(engine: engine, listeners: bound.fds, tlsListeners: tls.fds, wire: nil)
        return bound.port
    }

    /// Starts one worker that serves the pipes of the wire it returns instead
    /// of a listener: `RingsideTesting`'s `.inProcess`. The rest (health
    /// checks, metrics, offload pool, shutdown) is as ``start()`` sets it up.
    package func startInProcess() throws -> InProcessWire {
        let signal = try WorkerSignal()
        let wire = InProcessWire(signal: signal, sendCapacity: Server.inProcessSendCapacity)
        try launch(engine: .epoll, listeners: [], wire: wire, signal: signal)
        return wire
    }

    /// The in-process pipes' send buffer: about a loopback socket's, so a
    /// client that does not read pauses a streamed response as a real one would.
    static let inProcessSendCapacity = 256 * 1024

    /// Starts the offload pool, observability and one worker per listener (or one on `wire`);
    /// returns once every worker runs. What started is kept for ``stop()`` even when it throws.
    private func launch(
        engine: ServerConfiguration.Engine, listeners: [Int32], tlsListeners: [Int32] = [], wire: InProcessWire?,
        signal: WorkerSignal? = nil
    ) throws {
        precondition(configuration.workers > 0, "at least one worker")
        let router = HealthChecks.install(into: self.router, configuration)
        var pool: OffloadPool?
        var workers: [Worker] = []
        var observability = Observability(router: router)
        var tls: TLSContextStore?
        defer {
            state.withLock {
                precondition(!$0.started, "server already started")
                $0.started = true
                $0.engine = engine
                $0.listeners = listeners + tlsListeners
                $0.pool = pool
                $0.workers = workers
                $0.observability = observability
                $0.tls = tls
            }
        }
        if configuration.offloadThreads > 0 {
            pool = OffloadPool(
                threads: configuration.offloadThreads, capacity: max(configuration.offloadQueueDepth, 1),
                useRings: engine == .uring, nice: configuration.offloadNice)
            try pool!.start()
        }
        var workerConfiguration = configuration
        workerConfiguration.engine = engine
        try startObservability(&observability, engine: engine, pool: pool)
        // Certificates are read and checked before any worker serves: a bad one stops the start.
        if let settings = configuration.tls {
            let alpn = configuration.http2.enabled ? ["h2", "http/1.1"] : ["http/1.1"]
            tls = try TLSContextStore(settings, alpn: alpn, logger: logger)
            tls?.startWatching()
        }
        let sockets = wire == nil ? listeners : [-1]
        for (index, listener) in sockets.enumerated() {
            let context = WorkerContext(
                index: index, configuration: workerConfiguration, router: observability.router,
                listener: listener, signal: try signal ?? WorkerSignal(), pool: pool, readiness: readiness,
                logger: logger, metrics: observability.metrics.isEmpty ? nil : observability.metrics[index],
                accessLog: observability.accessLogFD, wire: wire, tls: tls,
                tlsListener: index < tlsListeners.count ? tlsListeners[index] : -1)
            workers.append(try Worker.start(context))
        }
        // Workers set up their rings on their own threads (SINGLE_ISSUER): wait for them.
        while workers.contains(where: { $0.context.currentStatus == .starting }) { usleep(1000) }
        if let failed = workers.first(where: { $0.context.currentStatus == .failed }) {
            throw Failure.workerFailed(failed.context.failureReason ?? "unknown")
        }
    }

    private func resolveEngine() throws -> ServerConfiguration.Engine {
        switch configuration.engine {
        case .epoll:
            return .epoll
        case .uring:
            if let reason = IOUringAvailability.unavailableReason() {
                throw Failure.engineUnavailable("\(reason); run with --engine epoll (or auto)")
            }
            return .uring
        case .auto:
            if let reason = IOUringAvailability.unavailableReason() {
                logger.notice("using epoll: \(reason)")
                return .epoll
            }
            return .uring
        }
    }

    /// Graceful shutdown, blocking: readiness fails now, the server serves on
    /// for the shutdown delay, then drains (see ``Server``) and stops.
    public func shutDown() {
        let first = state.withLock { state in
            defer { state.shuttingDown = true }
            return !state.shuttingDown
        }
        guard first else { return waitUntilStopped() }
        readiness.set(false)
        if configuration.shutdownDelay > .zero {
            logger.info("not ready; serving on before draining", metadata: ["delay": "\(configuration.shutdownDelay)"])
            let (seconds, attoseconds) = configuration.shutdownDelay.components
            var delay = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var left = timespec()
            while nanosleep(&delay, &left) != 0 && errno == EINTR { delay = left }
        }
        stop()
    }

    /// Stops at once, without the shutdown delay: stops accepting, drains
    /// (at most the drain timeout), joins the workers, finishes the offload
    /// pool's queued jobs and closes the listeners.
    func stop() {
        readiness.set(false)
        tearDown()
        let waiters = state.withLock { state in
            state.shuttingDown = true
            state.stopped = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Everything ``stop()`` ends, released by the time this returns: before the
    /// waiters resume, so a program that exits as soon as `run()` returns frees
    /// no TLS context after OpenSSL's own clean-up at exit.
    private func tearDown() {
        let (workers, pool, listeners, observability, tls) = state.withLock { state in
            defer {
                state.workers = []
                state.pool = nil
                state.listeners = []
                state.observability = Observability()
                state.tls = nil
            }
            return (state.workers, state.pool, state.listeners, state.observability, state.tls)
        }
        tls?.stop()
        for worker in workers { worker.signal() }  // all drain at once
        for worker in workers { worker.join() }
        observability.stop()
        pool?.stop()
        listeners.forEach { _ = close($0) }
    }

    private func waitUntilStopped() {
        while !state.withLock({ $0.stopped }) { usleep(10_000) }
    }

    /// Serves until SIGTERM or SIGINT (or the task's cancellation), then shuts
    /// down gracefully: the server run as the one service of a `ServiceGroup`
    /// of its own, for a program that runs nothing else as a service. The
    /// group traps the signals before the server starts, so a signal from the
    /// program's first moment is a graceful shutdown too.
    public func runService(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(services: [self], gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        try await group.run()
    }

    /// Runs the server as a service: starts it (unless ``start()`` already
    /// did), serves until the service group's graceful shutdown or the task's
    /// cancellation, then shuts down gracefully. Installs no signal handler.
    public func run() async throws {
        if !state.withLock({ $0.started }) {
            let port = try startOrClean()
            onListening?(port)
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state in
                    if !state.stopped { state.waiters.append(continuation) }
                    return state.stopped
                }
                if done { continuation.resume() }
            }
        } onCancelOrGracefulShutdown: { [self] in
            logger.info("stopping")
            // The drain takes seconds: on a thread of its own, not the caller's executor. Joined
            // below, so nothing the server held is released after `run()` returned (a program
            // may exit then, and OpenSSL's objects must go before its clean-up at exit).
            let thread = JoinableThread()
            state.withLock { $0.shutdownThread = thread }
            if !thread.start({ self.shutDown() }) {
                state.withLock { $0.shutdownThread = nil }
                DetachedThread.run { self.shutDown() }
            }
        }
        state.withLock { $0.shutdownThread.take() }?.join()
    }

    /// ``start()``, stopping what did start when it fails.
    private func startOrClean() throws -> Int {
        do {
            return try start()
        } catch {
            stop()
            throw error
        }
    }
}

/// Whether the server is ready: read by the workers answering the readiness check.
final class Readiness: Sendable {
    private let ready = Atomic<Bool>(true)

    var isReady: Bool { ready.load(ordering: .relaxed) }

    func set(_ isReady: Bool) { ready.store(isReady, ordering: .relaxed) }
}
