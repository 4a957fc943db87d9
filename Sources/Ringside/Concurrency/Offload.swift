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
        if !accepted {
            runtime.metrics?.add(.offloadRejected)
            continuation.resume(throwing: OffloadError.queueFull)
        }
    }
}
