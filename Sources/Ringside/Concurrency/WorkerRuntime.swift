import CLiburing
import HTTPTypes
import IOUring
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A worker's handler machinery: its executor, its share of the offload
/// pool, the middleware, and the queues through which handler results come
/// back to the worker's HTTP core.
///
/// Everything but `remote` and the wake flag is confined to the worker
/// thread: tasks run there (on ``executor``) and the core runs there.
final class WorkerRuntime: @unchecked Sendable {
    // @unchecked: `local` is only touched on the worker thread (tasks run on
    // `executor`, whose jobs run there; `post` checks); `remote` is a Mutex.
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
    let middleware: [any Middleware]
    let logger: Logger
    /// An eventfd the worker reads: written to wake it from other threads.
    let notifyFD: Int32
    /// io_uring only: the worker ring's descriptor, for `IORING_OP_MSG_RING`
    /// (-1: none, or the ring is gone and wakes go through the eventfd).
    let ringFD = Atomic<Int32>(-1)
    /// The `user_data` a MSG_RING wake carries.
    var messageUserData = UserData(rawValue: 0)
    private var local: [Event] = []
    private var timers = WorkerTimers<CheckedContinuation<Void, Never>>()
    private let remote = Mutex<[Event]>([])
    private let remotePending = Atomic<Bool>(false)

    init(pool: OffloadPool?, middleware: [any Middleware], logger: Logger) throws {
        let notifyFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard notifyFD >= 0 else { throw SystemCallError(step: "eventfd", errno: errno) }
        self.notifyFD = notifyFD
        self.pool = pool
        self.middleware = middleware
        self.logger = logger
        executor = WorkerExecutor(owner: pthread_self()) { [notifyFD] in
            var one: UInt64 = 1
            _ = write(notifyFD, &one, 8)
        }
        local.reserveCapacity(64)
    }

    deinit { close(notifyFD) }

    /// Parks a ``WorkerClock`` sleep until `deadline` (worker thread only).
    func addTimer(_ deadline: ContinuousClock.Instant, _ continuation: CheckedContinuation<Void, Never>) {
        timers.add(deadline, continuation)
    }

    /// How long the loop may sleep for the timers: nil without any.
    func nanosecondsUntilNextTimer() -> Int64? {
        timers.isEmpty ? nil : timers.nanosecondsUntilNext(now: .now)
    }

    /// Resumes the sleeps that are due.
    func fireTimers() {
        // Resumed tasks run on the worker's next jobs pass.
        if !timers.isEmpty { timers.fire(now: .now) { $0.resume() } }
    }

    /// Work is waiting: the loop must poll, not block.
    var hasWork: Bool { executor.hasJobs || !local.isEmpty || remotePending.load(ordering: .relaxed) }

    /// Queues `event` for the worker; from another thread it wakes the worker,
    /// by MSG_RING when `thread` has a ring and the worker runs io_uring.
    func post(_ event: Event, from thread: OffloadThread? = nil) {
        if executor.isOwnerThread {
            local.append(event)
            return
        }
        remote.withLock { $0.append(event) }
        guard !remotePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let ring = ringFD.load(ordering: .acquiring)
        if ring >= 0, let thread, thread.message(ring: ring, userData: messageUserData) { return }
        var one: UInt64 = 1
        _ = write(notifyFD, &one, 8)
    }

    /// Moves every event queued so far, remote then local, into `events`.
    func takeEvents(into events: inout [Event]) {
        if remotePending.load(ordering: .relaxed) && remotePending.exchange(false, ordering: .acquiringAndReleasing) {
            remote.withLock { remote in
                events.append(contentsOf: remote)
                remote.removeAll(keepingCapacity: true)
            }
        }
        if !local.isEmpty {
            events.append(contentsOf: local)
            local.removeAll(keepingCapacity: true)
        }
    }

    /// Empties the notify eventfd (epoll: after readiness; io_uring reads it with an SQE).
    func clearNotification() {
        var value: UInt64 = 0
        _ = read(notifyFD, &value, 8)
    }

    // MARK: Running handlers

    /// Runs `handler` (behind the middleware) as a task on this worker's
    /// executor and posts its response for `slot`.
    /// Returns the task, which the connection cancels if it closes first.
    func startTask(
        _ storage: RequestStorage, slot: Int, generation: UInt32, _ handler: @escaping AsyncHandler
    ) -> Task<Void, Never> {
        Task(executorPreference: executor) {
            let response = await WorkerRuntime.$current.withValue(self) {
                await self.respond(to: storage.request, handler)
            }
            self.post(.respond(slot: slot, generation: generation, response))
        }
    }

    /// Runs sync `handler` on the offload pool and posts its response; false when the pool is full.
    func offload(_ storage: RequestStorage, slot: Int, generation: UInt32, _ handler: @escaping Handler) -> Bool {
        guard let pool else { return false }
        return pool.trySubmit { [self] thread in
            let response = self.respond(to: storage.request, handler)
            self.post(.respond(slot: slot, generation: generation, response), from: thread)
        }
    }

    /// The handler's response, or the one its error calls for.
    func respond(to request: borrowing Request, _ handler: AsyncHandler) async -> Response {
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
            logger.error("handler threw", metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "error": "\(error)",
            ])
            return Response(ServerResponses.internalServerError)
        }
    }
}

/// Why ``offload(_:)`` could not run its work.
public enum OffloadError: Error, Sendable {
    /// The pool's queue is full: the server answers 503 with `retry-after`.
    case queueFull
    /// Called outside a Ringside handler, or on a server without an offload pool.
    case noPool
}

/// Runs `work` on the server's offload pool and returns its result to the
/// calling handler, on its worker. For CPU-bound or blocking work inside an
/// async handler; the worker keeps serving meanwhile.
///
/// Throws ``OffloadError/queueFull`` when the pool's queue is full (left
/// uncaught, the server answers 503 with `retry-after`).
public func offload<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    guard let runtime = WorkerRuntime.current, runtime.pool != nil else { throw OffloadError.noPool }
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
        let accepted = runtime.pool!.trySubmit { thread in
            let result = Result { try work() }
            // Resumed on the worker, so the task continues there without a second wake.
            runtime.post(.run { continuation.resume(with: result) }, from: thread)
        }
        if !accepted { continuation.resume(throwing: OffloadError.queueFull) }
    }
}
