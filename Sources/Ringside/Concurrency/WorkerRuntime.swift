import HTTPTypes
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A worker's handler machinery: its executor, its share of the offload
/// pool, and the queues through which handler results come back to the
/// worker's HTTP core (which keeps each route's middleware).
///
/// Everything but `remote` and the wake flag is confined to the worker
/// thread: tasks run there (on ``executor``) and the core runs there.
final class WorkerRuntime: @unchecked Sendable {
    // @unchecked: `local`, `clients` and `timers` are only touched on the worker thread
    // (tasks run on `executor`, whose jobs run there; `post` and the client
    // check); `remote` is a Mutex.
    enum Event {
        /// A handler finished for the connection in `slot` (if still of `generation`).
        case respond(slot: Int, generation: UInt32, Response)
        /// A stream wrote a chunk or finished: move what it has to the connection.
        case pump(StreamState)
        /// Run on the worker thread (resumes a continuation, typically).
        case run(@Sendable () -> Void)
    }

    /// The runtime of the worker whose handler is running (set for handler tasks).
    @TaskLocal static var current: WorkerRuntime?

    let executor: WorkerExecutor
    let pool: OffloadPool?
    let logger: Logger
    /// Wakes the worker's loop from other threads.
    let signal: WorkerSignal
    /// The worker's counters (nil when off), for code running on the worker
    /// (an offload refusal, the upstream client); the request histogram is
    /// the HTTP core's. Set before the worker serves.
    var metrics: WorkerMetrics.Writer?
    /// The worker's outbound connections, for ``HTTPClient`` calls.
    let clients: ClientConnections
    /// The worker's timers, for ``WorkerClock`` sleeps.
    let timers: TimerService
    private let local = WorkerConfined<[Event]>([])
    private let remote = Mutex<[Event]>([])
    private let remotePending = Atomic<Bool>(false)

    init(pool: OffloadPool?, signal: WorkerSignal, logger: Logger, clients: ClientConnections, timers: TimerService) {
        self.signal = signal
        self.clients = clients
        self.timers = timers
        self.pool = pool
        self.logger = logger
        executor = WorkerExecutor(owner: pthread_self()) { signal.wake() }
        local.value.reserveCapacity(64)
    }

    /// Parks a ``WorkerClock`` sleep until `deadline` (worker thread only).
    func addTimer(_ deadline: ContinuousClock.Instant, _ continuation: CheckedContinuation<Void, Never>) {
        // Counted from a fresh reading, not the turn's: a sleep never ends early.
        let remaining = ContinuousClock.now.duration(to: deadline).clampedNanoseconds
        timers.addSleep(continuation, after: remaining, from: MonotonicClock.nanoseconds)
    }

    /// Work is waiting: the loop must poll, not block.
    var hasWork: Bool { executor.hasJobs || !local.value.isEmpty || remotePending.load(ordering: .relaxed) }

    /// Queues `event` for the worker; from another thread it wakes the worker,
    /// by MSG_RING when `thread` has a ring and the worker runs io_uring.
    func post(_ event: Event, from thread: OffloadThread? = nil) {
        if executor.isOwnerThread {
            local.value.append(event)
            return
        }
        remote.withLock { $0.append(event) }
        if !remotePending.exchange(true, ordering: .acquiringAndReleasing) { signal.wake(from: thread) }
    }

    /// Moves every event queued so far, remote then local, into `events`.
    func takeEvents(into events: inout [Event]) {
        if remotePending.load(ordering: .relaxed) && remotePending.exchange(false, ordering: .acquiringAndReleasing) {
            remote.withLock { remote in
                events.append(contentsOf: remote)
                remote.removeAll(keepingCapacity: true)
            }
        }
        if !local.value.isEmpty {
            events.append(contentsOf: local.value)
            local.value.removeAll(keepingCapacity: true)
        }
    }

    // MARK: Running handlers

    /// Runs `handler` behind `middleware` as a task on this worker's
    /// executor and posts its response for `slot`.
    /// Returns the task, which the connection cancels if it closes first.
    func startTask(
        _ storage: RequestStorage, slot: Int, generation: UInt32, behind middleware: [any Middleware],
        _ handler: @escaping AsyncHandler
    ) -> Task<Void, Never> {
        Task(executorPreference: executor) {
            let response = await WorkerRuntime.$current.withValue(self) {
                await self.respond(to: storage.request, behind: middleware, handler)
            }
            self.post(.respond(slot: slot, generation: generation, response))
        }
    }

    /// Runs sync `handler` on the offload pool and posts its response; false when the pool is full.
    func offload(_ storage: RequestStorage, slot: Int, generation: UInt32, _ handler: @escaping Handler) -> Bool {
        guard let pool else { return false }
        return pool.trySubmit { [self] thread in
            guard !storage.isAbandoned else { return }  // its client left while it waited
            let response = self.respond(to: storage.request, handler)
            self.post(.respond(slot: slot, generation: generation, response), from: thread)
        }
    }

    /// The handler's response behind `middleware`, or the one an error calls for.
    func respond(
        to request: borrowing Request, behind middleware: [any Middleware], _ handler: AsyncHandler
    ) async -> Response {
        do {
            return try await middleware.run(from: 0, request, handler)
        } catch {
            return errorResponse(error, request)
        }
    }

    func respond(to request: borrowing Request, _ handler: Handler) -> Response {
        do {
            return try handler(request)
        } catch {
            return errorResponse(error, request)
        }
    }

    /// ``HTTPError`` answers as it says; a full offload queue 503; anything
    /// else 500 and one log line.
    func errorResponse(_ error: any Error, _ request: borrowing Request) -> Response {
        switch error {
        case let error as HTTPError:
            return error.response
        case OffloadError.queueFull:
            return Response(ServerResponses.serviceUnavailable)
        case is CancellationError where Task.isCancelled:
            // The client left and the connection cancelled the task: nobody to tell.
            return Response(ServerResponses.internalServerError)
        default:
            request.logger.error("handler threw", metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "error": "\(error)",
            ])
            return Response(ServerResponses.internalServerError)
        }
    }
}
