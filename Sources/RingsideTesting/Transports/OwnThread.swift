#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work on a new thread and awaits it, keeping the cooperative
/// pool free (on a two-core machine it has two threads).
enum OwnThread {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let job = Job { continuation.resume(returning: work()) }
            var thread = pthread_t()
            let argument = Unmanaged.passRetained(job).toOpaque()
            let result = pthread_create(&thread, nil, { argument in
                Unmanaged<Job>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            }, argument)
            if result == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<Job>.fromOpaque(argument).takeRetainedValue().body()
            }
        }
    }
}
