import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The executor of one worker thread: async handlers run here, between the
/// worker's I/O turns, so an `await` on the worker's own operations resumes
/// on the same thread without a hop.
///
/// A task executor: handler tasks are started with it as their executor
/// preference, so nonisolated async code they call runs here too. Jobs run
/// as the task executor's (generic isolation), not as a serial executor's:
/// run isolated to a serial executor, every `await` into nonisolated code
/// hopped, re-enqueuing the task for one more jobs pass.
/// Jobs enqueued on the worker thread go to a plain local queue; jobs from
/// other threads (a continuation resumed elsewhere, a `Task.sleep` timer) go
/// to a locked queue and wake the worker.
final class WorkerExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `queue` is touched only on the owning worker thread
    // (checked by `isOwnerThread`), one access at a time; `remote` is behind a Mutex.
    private struct Queue {
        var local: [UnownedJob] = []
        /// The next job of `local` to run.
        var head = 0
        /// An empty array with capacity, swapped in when remote jobs arrive.
        var spare: [UnownedJob] = []
    }

    private let queue = WorkerConfined(Queue())
    private let remote = Mutex<[UnownedJob]>([])
    private let hasRemote = Atomic<Bool>(false)
    private let owner: pthread_t
    /// Wakes the worker's loop from another thread.
    private let wake: @Sendable () -> Void

    init(owner: pthread_t, wake: @escaping @Sendable () -> Void) {
        self.owner = owner
        self.wake = wake
        queue.value.local.reserveCapacity(256)
        queue.value.spare.reserveCapacity(256)
    }

    var isOwnerThread: Bool { pthread_equal(pthread_self(), owner) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isOwnerThread {
            queue.value.local.append(job)
        } else {
            remote.withLock { $0.append(job) }
            if !hasRemote.exchange(true, ordering: .acquiringAndReleasing) { wake() }
        }
    }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    /// Whether jobs are waiting: the loop must not block.
    var hasJobs: Bool { queue.value.head < queue.value.local.count || hasRemote.load(ordering: .relaxed) }

    /// Runs the jobs queued now; jobs they enqueue run on the next call, so
    /// a task that keeps yielding cannot starve the worker's I/O.
    func runJobs() {
        // A plain load first: the read-modify-write only when another thread enqueued.
        if hasRemote.load(ordering: .relaxed) && hasRemote.exchange(false, ordering: .acquiringAndReleasing) {
            remote.withLock { remote in
                queue.withValue { queue in
                    swap(&queue.spare, &queue.local)  // `local` is now empty with capacity (see below)
                    queue.local.append(contentsOf: queue.spare[queue.head...])
                    queue.local.append(contentsOf: remote)
                    queue.spare.removeAll(keepingCapacity: true)
                    queue.head = 0
                }
                remote.removeAll(keepingCapacity: true)
            }
        }
        let end = queue.value.local.count
        let task = asUnownedTaskExecutor()
        // Each access to the queue ends before a job runs: a job enqueues more.
        while queue.value.head < end {
            let job = queue.value.local[queue.value.head]
            queue.value.head += 1
            job.runSynchronously(on: task)
        }
        if queue.value.head != 0 && queue.value.head == queue.value.local.count {  // not on an idle turn
            queue.value.local.removeAll(keepingCapacity: true)
            queue.value.head = 0
        }
    }
}
