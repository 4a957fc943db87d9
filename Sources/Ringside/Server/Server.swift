public import Logging
import IOUring
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server: one worker thread per core, each with its own event
/// loop and `SO_REUSEPORT` listener, all answering the same routes.
///
/// ```swift
/// var router = Router()
/// router.get("/hello", StaticResponse(body: "hi"))
/// try await Server(configuration: .init(port: 8080), router: router).run()
/// ```
///
/// Not Sendable: start, stop and run it from one thread (or one task).
public final class Server {
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
    /// The engine the workers run, known once ``start()`` returned.
    public private(set) var engine: ServerConfiguration.Engine
    let router: Router
    let logger: Logger
    private var workers: [Worker] = []
    private var listeners: [Int32] = []
    private(set) var pool: OffloadPool?
    /// `/metrics` on `Metrics.adminPort`, and the access log's descriptor (see `Server+Observability.swift`).
    var admin: Server?
    var accessLogFD: Int32 = -1
    /// The port `/metrics` is served on when it has one of its own, known once ``start()`` returned.
    public var adminPort: Int? { admin?.boundPort }
    private(set) var boundPort: Int?

    /// A server for `router`'s routes; nothing happens until ``start()`` or `run`.
    /// `logger` gets start-up notes, warnings and handler failures.
    public init(configuration: ServerConfiguration, router: Router, logger: Logger = Logger(label: "ringside")) {
        self.configuration = configuration
        self.engine = configuration.engine
        self.router = router
        self.logger = logger
    }

    deinit { stop() }

    /// Binds the listeners and starts the workers; returns the bound port once
    /// every worker is accepting.
    @discardableResult
    public func start() throws -> Int {
        precondition(workers.isEmpty, "server already started")
        precondition(configuration.workers > 0, "at least one worker")
        engine = try resolveEngine()
        let bound = try Listener.bind(
            host: configuration.host, port: configuration.port,
            count: configuration.workers, backlog: configuration.backlog)
        listeners = bound.fds
        boundPort = bound.port

        if configuration.offloadThreads > 0 {
            let pool = OffloadPool(
                threads: configuration.offloadThreads, capacity: max(configuration.offloadQueueDepth, 1),
                useRings: engine == .uring)
            self.pool = pool
            do {
                try pool.start()
            } catch {
                stop()
                throw error
            }
        }

        var workerConfiguration = configuration
        workerConfiguration.engine = engine
        let observability: Observability
        do {
            observability = try startObservability()
        } catch {
            stop()
            throw error
        }
        for (index, listener) in listeners.enumerated() {
            do {
                let context = WorkerContext(
                    index: index, configuration: workerConfiguration, router: observability.router,
                    listener: listener, signal: try WorkerSignal(), pool: pool, logger: logger,
                    metrics: observability.metrics.isEmpty ? nil : observability.metrics[index],
                    accessLog: accessLogFD)
                workers.append(try Worker.start(context))
            } catch {
                stop()
                throw error
            }
        }
        // Workers set up their rings on their own threads (SINGLE_ISSUER): wait for them.
        while let starting = workers.first(where: { $0.context.currentStatus == .starting }) {
            _ = starting
            usleep(1000)
        }
        if let failed = workers.first(where: { $0.context.currentStatus == .failed }) {
            let reason = failed.context.failureReason ?? "unknown"
            stop()
            throw Failure.workerFailed(reason)
        }
        return bound.port
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

    /// Stops accepting, lets workers finish queued responses and handlers and
    /// close their connections (at most the drain timeout, 3 s by default),
    /// joins them, finishes the offload pool's queued jobs and closes the listeners.
    public func stop() {
        for worker in workers { worker.stopAndJoin() }
        workers.removeAll()
        stopObservability()
        pool?.stop()
        pool = nil
        listeners.forEach { _ = close($0) }
        listeners.removeAll()
    }

    /// Starts, calls `onListening` with the bound port, serves until SIGINT or
    /// SIGTERM, then stops cleanly. Blocks the calling thread throughout.
    public func run(onListening: (Int) -> Void = { _ in }) throws {
        // Workers and pool threads start with the stop signals blocked, so
        // their system calls are never interrupted; the signals reach the
        // relay's handler on whichever thread does not block them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        var previous = sigset_t()
        let relay = try SignalRelay(signals: [SIGINT, SIGTERM])
        pthread_sigmask(SIG_BLOCK, &signals, &previous)
        let port: Int
        do {
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            port = try start()
        }
        onListening(port)
        let received = relay.wait()
        logger.info("stopping", metadata: ["signal": "\(received)"])
        stop()
    }

    /// The async form of ``run(onListening:)``: serves until SIGINT or
    /// SIGTERM, waiting on a thread of its own so the caller's executor stays free.
    ///
    /// ```swift
    /// try await server.run()
    /// ```
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        // The server is used from the waiting thread only while this task is suspended.
        nonisolated(unsafe) let server = self
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            var thread = pthread_t()
            let body = Unmanaged.passRetained(ServerRunner {
                do {
                    try server.run(onListening: onListening)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }).toOpaque()
            let result = pthread_create(&thread, nil, { argument in
                Unmanaged<ServerRunner>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            }, body)
            if result == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<ServerRunner>.fromOpaque(body).release()
                continuation.resume(throwing: SystemCallError(step: "pthread_create", errno: result))
            }
        }
    }
}

/// The body of the thread that runs a server for the async ``Server/run(onListening:)``.
private final class ServerRunner {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
