import Ringside

/// Runs blocking work on a new thread and awaits it, keeping the cooperative
/// pool free (on a two-core machine it has two threads).
enum OwnThread {
    static func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            DetachedThread.run { continuation.resume(returning: work()) }
        }
    }
}
