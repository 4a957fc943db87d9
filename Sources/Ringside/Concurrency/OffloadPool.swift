import CLinuxShim
import IOUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads for CPU-bound or blocking handler work, shared by
/// every worker of a server, with a bounded queue.
///
/// A submission either gets a place in the queue or is refused at once
/// (``trySubmit(_:)`` returns false, and the request is answered 503 with
/// `retry-after`); nothing queues without bound. Results go back to the
/// worker that owns the connection (see ``WorkerRuntime/post(_:from:)``).
final class OffloadPool: @unchecked Sendable {
    // @unchecked: `jobs`, `head`, `count` and `stopping` are guarded by `mutex`.
    typealias Job = @Sendable (OffloadThread) -> Void

    let threadCount: Int
    let capacity: Int
    /// Jobs run and their time, for the metrics.
    let stats: OffloadStats
    private let useRings: Bool
    /// How much nicer than the process each thread makes itself (clamped to 0...19).
    private let nice: Int
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var jobs: [Job?]
    private var head = 0
    private var count = 0
    private var stopping = false
    private var threads: [pthread_t] = []
    /// Threads set up (named, niced, ring made): `start` returns once all are, so the server
    /// says it listens with every descriptor it keeps already open.
    private var ready = 0
    private var readyCondition = pthread_cond_t()

    /// - Parameters:
    ///   - useRings: give each thread a small io_uring, so results wake
    ///     io_uring workers with `IORING_OP_MSG_RING`.
    ///   - nice: how much lower than the process's the threads' priority is
    ///     (``ServerConfiguration/offloadNice``).
    init(threads: Int, capacity: Int, useRings: Bool, nice: Int = 0) {
        threadCount = threads
        self.capacity = capacity
        self.useRings = useRings
        self.nice = min(max(nice, 0), 19)
        stats = OffloadStats(threads: threads)
        jobs = Array(repeating: nil, count: capacity)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        pthread_cond_init(&readyCondition, nil)
    }

    deinit {
        pthread_mutex_destroy(&mutex)
        pthread_cond_destroy(&condition)
        pthread_cond_destroy(&readyCondition)
    }

    func start() throws {
        for _ in 0..<threadCount {
            var thread = pthread_t()
            let argument = Unmanaged.passRetained(self).toOpaque()
            let result = pthread_create(&thread, nil, { argument in
                let pool = Unmanaged<OffloadPool>.fromOpaque(argument!).takeRetainedValue()
                pool.main()
                return nil
            }, argument)
            guard result == 0 else {
                Unmanaged<OffloadPool>.fromOpaque(argument).release()
                throw SystemCallError(step: "pthread_create (offload pool)", errno: result)
            }
            threads.append(thread)
        }
        pthread_mutex_lock(&mutex)
        while ready < threads.count { pthread_cond_wait(&readyCondition, &mutex) }
        pthread_mutex_unlock(&mutex)
    }

    /// Queues `job`, or returns false when the queue is full (or stopping).
    func trySubmit(_ job: @escaping Job) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard count < capacity, !stopping else { return false }
        jobs[(head + count) % capacity] = job
        count += 1
        pthread_cond_signal(&condition)
        return true
    }

    /// Jobs waiting for a thread now.
    var queued: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return count
    }

    /// Runs the jobs already queued, then joins the threads.
    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    private func main() {
        // Named for `top -H` and /proc; lowered so a worker sharing the core preempts the work
        // (lowering needs no privilege; a failure leaves the thread at the workers' priority).
        _ = rs_name_current_thread("rs-offload")
        if nice > 0 { _ = rs_lower_current_thread_priority(Int32(nice)) }
        let thread = OffloadThread(useRing: useRings)
        let statsIndex = stats.register()
        pthread_mutex_lock(&mutex)
        ready += 1
        pthread_cond_broadcast(&readyCondition)
        pthread_mutex_unlock(&mutex)
        while true {
            pthread_mutex_lock(&mutex)
            while count == 0 && !stopping { pthread_cond_wait(&condition, &mutex) }
            if count == 0 {
                pthread_mutex_unlock(&mutex)
                return
            }
            let job = jobs[head]!
            jobs[head] = nil
            head = (head + 1) % capacity
            count -= 1
            pthread_mutex_unlock(&mutex)
            let start = MonotonicClock.nanoseconds
            job(thread)
            stats.ran(statsIndex, nanoseconds: MonotonicClock.nanoseconds - start)
        }
    }
}

/// What a pool thread lends its jobs: a small ring of its own, to message
/// io_uring workers with `IORING_OP_MSG_RING`. Used only by its thread.
final class OffloadThread {
    private let ring: Ring?
    private let hasRing: Bool

    init(useRing: Bool) {
        if useRing, let ring = try? Ring(entries: 8, completionEntries: 32) {
            self.ring = .some(consume ring)
            hasRing = true
        } else {
            ring = nil
            hasRing = false  // results wake workers through their eventfd instead
        }
    }

    /// Posts a CQE on `targetRing`; false when this thread has no ring.
    func message(ring targetRing: Int32, userData: UserData) -> Bool {
        guard hasRing else { return false }
        ring?.message(ring: targetRing, result: 0, userData: userData)
        _ = ring?.submit()
        // Only failures post here; reap them so the queue never fills.
        if let batch = ring?.readyCompletions(), batch.count > 0 { ring?.advance(batch) }
        return true
    }
}
