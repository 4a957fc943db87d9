import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the live tests' blocking bodies run: each on a thread of its own,
/// a few at a time.
///
/// A live test blocks on its sockets and on the server it started, often for
/// seconds. Run on the cooperative pool (two threads on a two-core machine),
/// two such tests would hold up every other test; on threads of their own,
/// the pool stays free and `slots` bounds how many run at once, so that
/// timing windows still hold on a loaded machine.
enum LiveTests {
    static let slots = AsyncSemaphore(6)

    /// Runs `body` on a new thread once a slot is free, and waits for it.
    static func run<R>(_ body: () throws -> R) async throws -> R {
        await slots.acquire()
        let result = await withoutActuallyEscaping(body) { body in
            await withCheckedContinuation { (continuation: CheckedContinuation<Unchecked<Result<R, any Error>>, Never>) in
                let held = Held(body)
                ThreadJob {
                    let result = Result { try held.body!() }
                    // `withoutActuallyEscaping` checks that nothing holds the body once the caller goes on.
                    held.body = nil
                    continuation.resume(returning: Unchecked(result))
                }.start()
            }
        }
        await slots.release()
        return try result.value.get()
    }
}

/// A value handed back from the body's thread. Unchecked: the caller
/// awaits the thread, so the value is used by one thread at a time.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The body while its thread runs it. Unchecked Sendable: made by the caller,
/// then touched only by that thread while the caller waits.
private final class Held<R>: @unchecked Sendable {
    var body: (() throws -> R)?
    init(_ body: @escaping () throws -> R) { self.body = body }
}

/// Work for a new detached thread. Unchecked Sendable: made by the caller,
/// then touched only by the new thread.
private final class ThreadJob: @unchecked Sendable {
    private let work: () -> Void

    init(_ work: @escaping () -> Void) { self.work = work }

    func start() {
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().work()
            return nil
        }, argument)
        if result == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ThreadJob>.fromOpaque(argument).takeRetainedValue().work()
        }
    }
}

/// A counting semaphore for tasks: waiting suspends, never blocks a thread.
actor AsyncSemaphore {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
