import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The executor of one worker thread: async handlers run here, between the
/// worker's I/O turns, so an `await` on the worker's own operations resumes
/// on the same thread without a hop.
///
/// Serial and a task executor: handler tasks are started with it as their
/// executor preference, so nonisolated async code they call runs here too.
/// Jobs enqueued on the worker thread go to a plain local queue; jobs from
/// other threads (a continuation resumed elsewhere, a `Task.sleep` timer) go
/// to a locked queue and wake the worker.
final class WorkerExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    // @unchecked: `local` and `head` are touched only on the owning worker
    // thread (checked by `isOwnerThread`); `remote` is behind a Mutex.
    private var local: [UnownedJob] = []
    private var head = 0
    private var spare: [UnownedJob] = []
    private let remote = Mutex<[UnownedJob]>([])
    private let hasRemote = Atomic<Bool>(false)
    private let owner: pthread_t
    /// Wakes the worker's loop from another thread.
    private let wake: @Sendable () -> Void

    init(owner: pthread_t, wake: @escaping @Sendable () -> Void) {
        self.owner = owner
        self.wake = wake
        local.reserveCapacity(256)
        spare.reserveCapacity(256)
    }

    var isOwnerThread: Bool { pthread_equal(pthread_self(), owner) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isOwnerThread {
            local.append(job)
        } else {
            remote.withLock { $0.append(job) }
            if !hasRemote.exchange(true, ordering: .acquiringAndReleasing) { wake() }
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    /// Whether jobs are waiting: the loop must not block.
    var hasJobs: Bool { head < local.count || hasRemote.load(ordering: .relaxed) }

    /// Runs the jobs queued now; jobs they enqueue run on the next call, so
    /// a task that keeps yielding cannot starve the worker's I/O.
    func runJobs() {
        // A plain load first: the read-modify-write only when another thread enqueued.
        if hasRemote.load(ordering: .relaxed) && hasRemote.exchange(false, ordering: .acquiringAndReleasing) {
            swap(&spare, &local)  // `local` is now empty with capacity (see below)
            remote.withLock { remote in
                local.append(contentsOf: spare[head...])
                local.append(contentsOf: remote)
                remote.removeAll(keepingCapacity: true)
            }
            spare.removeAll(keepingCapacity: true)
            head = 0
        }
        let end = local.count
        let serial = asUnownedSerialExecutor()
        let task = asUnownedTaskExecutor()
        while head < end {
            let job = local[head]
            head += 1
            job.runSynchronously(isolatedTo: serial, taskExecutor: task)
        }
        if head == local.count {
            local.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
