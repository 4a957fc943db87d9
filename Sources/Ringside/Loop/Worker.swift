import CLinuxShim  // the thread's name
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a worker thread is given, and how it reports back.
///
/// Sendable: every stored property is immutable and Sendable, or an `Atomic`.
final class WorkerContext: Sendable {
    enum Status: Int {
        case starting, running, failed, finished
    }

    let index: Int
    let configuration: ServerConfiguration
    let router: Router
    let listener: Int32
    /// With a TLS port of its own: this worker's listener on it (-1: none).
    let tlsListener: Int32
    /// What the backend accepts on, by index: the cleartext listener, then the TLS one.
    var listeners: [Int32] { listener < 0 ? [] : tlsListener < 0 ? [listener] : [listener, tlsListener] }
    /// How the server (and other threads) wake the worker.
    let signal: WorkerSignal
    /// The server's offload pool, shared by its workers.
    let pool: OffloadPool?
    /// Whether the server is ready (its readiness check's answer).
    let readiness: Readiness
    let logger: Logger
    /// This worker's metrics (nil when off) and the access log's descriptor (-1: none).
    let metrics: WorkerMetrics?
    let accessLog: Int32
    /// In process (`RingsideTesting`): the pipes the worker serves instead of `listener`.
    let wire: InProcessWire?
    /// HTTPS: the server's TLS settings, shared by its workers (nil: cleartext).
    let tls: TLSContextStore?
    private let status = Atomic<Int>(Status.starting.rawValue)
    private let failure = Mutex<String?>(nil)

    init(
        index: Int, configuration: ServerConfiguration, router: Router, listener: Int32, signal: WorkerSignal,
        pool: OffloadPool?, readiness: Readiness, logger: Logger, metrics: WorkerMetrics? = nil, accessLog: Int32 = -1,
        wire: InProcessWire? = nil, tls: TLSContextStore? = nil, tlsListener: Int32 = -1
    ) {
        self.tls = tls
        self.tlsListener = tlsListener
        self.index = index
        self.configuration = configuration
        self.router = router
        self.listener = listener
        self.signal = signal
        self.pool = pool
        self.readiness = readiness
        self.logger = logger
        self.metrics = metrics
        self.accessLog = accessLog
        self.wire = wire
    }

    var currentStatus: Status { Status(rawValue: status.load(ordering: .acquiring))! }
    var failureReason: String? { failure.withLock { $0 } }

    func report(_ newStatus: Status, reason: String? = nil) {
        if let reason { failure.withLock { $0 = reason } }
        status.store(newStatus.rawValue, ordering: .releasing)
    }
}

/// One thread, one loop, one listener.
struct Worker: Sendable {
    let context: WorkerContext
    let thread: pthread_t

    /// Starts the worker's thread; it reports `.running` once its ring is set up.
    static func start(_ context: WorkerContext) throws -> Worker {
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(context).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            let context = Unmanaged<WorkerContext>.fromOpaque(argument!).takeRetainedValue()
            Worker.main(context)
            return nil
        }, argument)
        guard result == 0 else {
            Unmanaged<WorkerContext>.fromOpaque(argument).release()
            throw SystemCallError(step: "pthread_create", errno: result)
        }
        return Worker(context: context, thread: thread)
    }

    private static func main(_ context: WorkerContext) {
        let configuration = context.configuration
        // Named for top, perf and /proc (it would keep the name of the thread that spawned it).
        _ = rs_name_current_thread("rs-worker-\(context.index)")
        if configuration.pinCPUs {
            let cpu = CPUAffinity.cpu(forWorker: context.index)
            let result = CPUAffinity.pinCurrentThread(to: cpu)
            if result != 0 { context.logger.warning("cannot pin worker \(context.index) to CPU \(cpu): errno \(-result)") }
        }
        if context.wire != nil { return run(InProcessBackend.self, context) }
        switch configuration.engine {
        case .uring, .auto: run(IOUringBackend.self, context)  // the server resolves .auto first
        case .epoll: run(EpollBackend.self, context)
        }
    }

    private static func run<B: Backend & ~Copyable>(_ backend: B.Type, _ context: WorkerContext) {
        do {
            var loop = try WorkerLoop<B>(context: context)
            context.report(.running)
            loop.run()
        } catch {
            context.report(.failed, reason: "\(error)")
            return
        }
        context.report(.finished)
    }

    /// Asks the worker to stop: it drains and exits.
    func signal() { context.signal.requestStop() }

    /// Waits for the worker's thread to end.
    func join() { pthread_join(thread, nil) }
}
