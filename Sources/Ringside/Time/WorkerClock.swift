/// A clock whose sleeps are timers of the Ringside worker running the task.
///
/// In a handler, `try await Task.sleep(for: .milliseconds(200), clock: .worker)`
/// parks the task on its worker's timers: no other thread is involved,
/// the worker's loop wakes for the deadline and resumes the task on the same
/// thread. Tens of thousands of sleeping requests cost a timer entry each.
/// Outside a worker (a test, a detached task) it sleeps like `ContinuousClock`.
///
/// Resolution is a millisecond: the loop's wait for such a deadline is rounded up to one.
/// A worker-clock sleep is not cut short by cancellation: it throws
/// `CancellationError` at its deadline if the task was cancelled meanwhile.
public struct WorkerClock: Clock {
    public typealias Duration = Swift.Duration
    public typealias Instant = ContinuousClock.Instant

    /// The worker clock; it has no state of its own.
    public init() {}

    /// Now, on the continuous clock the deadlines are measured on.
    public var now: Instant { ContinuousClock.now }

    /// A millisecond: the coarsest of the engines' wait timeouts.
    public var minimumResolution: Duration { .milliseconds(1) }

    /// Suspends until `deadline`, on the worker's timers when called from a handler.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        guard let runtime = WorkerRuntime.current, runtime.executor.isOwnerThread else {
            try await ContinuousClock().sleep(until: deadline, tolerance: tolerance)
            return
        }
        if deadline > now {
            await withCheckedContinuation { runtime.addTimer(deadline, $0) }
        }
        try Task.checkCancellation()
    }
}

extension Clock where Self == WorkerClock {
    /// The clock of the Ringside worker running the task: ``WorkerClock``.
    public static var worker: WorkerClock { WorkerClock() }
}
