import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the live tests' blocking bodies run: on threads of their own, a few
/// at a time.
///
/// A live test blocks on its sockets and on the server it started, often for
/// seconds. Run on the cooperative pool (two threads on a two-core machine),
/// two such tests would hold up every other test, and every `await` of the
/// run. Each body runs instead on one of `threads`, a task executor with a
/// thread of its own: the same task (so `#expect` still knows its test), off
/// the pool. There are six, which bounds how many run at once so that timing
/// windows still hold on a loaded machine.
enum LiveTests {
    static let threads = ExecutorPool((0..<6).map { ThreadExecutor(name: "live-\($0)") })
    /// `RINGSIDE_LIVE_TIMES=1`: print each body's time (to find the suites that take longest).
    static let timed = getenv("RINGSIDE_LIVE_TIMES") != nil

    /// Runs `body` on a free live-test thread, and waits for it.
    static func run<R>(_ body: () throws -> R) async throws -> R {
        let executor = await threads.take()
        let started = ContinuousClock.now
        let result = await withTaskExecutorPreference(executor) { await onPreferredExecutor(executor, body) }
        await threads.put(executor)
        if timed {
            let test = Test.current.map { "\($0.sourceLocation.fileName):\($0.name)" } ?? "?"
            print("live-time \(ContinuousClock.now - started) \(test)")
        }
        return try result.value.get()
    }

    /// Runs `body` on the task's preferred executor. A closure given to
    /// `withTaskExecutorPreference` keeps its caller's executor; a
    /// nonisolated async function that suspends resumes on the preferred one.
    private static func onPreferredExecutor<R>(
        _ executor: ThreadExecutor, _ body: () throws -> R
    ) async -> Unchecked<Result<R, any Error>> {
        await Task.yield()
        // Were it not so, the body would block the pool again, and nothing else would tell.
        if !executor.isCurrent { Issue.record("a live test's body runs on the cooperative pool, not its own thread") }
        return Unchecked(Result { try body() })
    }
}

/// A value handed back from the body's thread. Unchecked: the caller
/// awaits the body, so the value is used by one thread at a time.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A task executor that runs every job on one thread of its own.
///
/// Unchecked Sendable: `jobs` is read and written only under `condition`.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// The executor's thread, once it runs.
    private var thread: pthread_t?

    init(name: String) {
        let thread = Thread { [unowned(unsafe) self] in self.serve() }
        thread.name = name
        thread.start()
    }

    /// Whether the caller runs on this executor's thread.
    var isCurrent: Bool {
        condition.lock()
        defer { condition.unlock() }
        return thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        condition.lock()
        thread = pthread_self()
        condition.unlock()
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Executors lent one test at a time; taking one waits (suspends) while none is free.
actor ExecutorPool {
    private var free: [ThreadExecutor]
    private var waiters: [CheckedContinuation<ThreadExecutor, Never>] = []

    init(_ executors: [ThreadExecutor]) { free = executors }

    func take() async -> ThreadExecutor {
        if let executor = free.popLast() { return executor }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func put(_ executor: ThreadExecutor) {
        if waiters.isEmpty {
            free.append(executor)
        } else {
            waiters.removeFirst().resume(returning: executor)
        }
    }
}

