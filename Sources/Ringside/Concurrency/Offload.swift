import Synchronization

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
/// uncaught, the server answers 503 with `retry-after`). Work still queued
/// when the calling task is cancelled (its client left, its handler timed
/// out) never runs: the call throws `CancellationError`. Work already running
/// finishes, and its result is dropped by the cancelled handler.
public func offload<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    guard let runtime = WorkerRuntime.current, runtime.pool != nil else { throw OffloadError.noPool }
    let cancelled = CancellationFlag()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            let accepted = runtime.pool!.trySubmit { thread in
                let result = cancelled.isSet ? .failure(CancellationError()) : Result { try work() }
                // Resumed on the worker, so the task continues there without a second wake.
                runtime.post(.run { continuation.resume(with: result) }, from: thread)
            }
            if !accepted {
                runtime.metrics?.add(.offloadRejected)
                continuation.resume(throwing: OffloadError.queueFull)
            }
        }
    } onCancel: {
        cancelled.set()
    }
}

/// Set once, from any thread, when an offloading task is cancelled.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
