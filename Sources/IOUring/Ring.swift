public import CLiburing
#if canImport(Glibc)
import Glibc
#endif

/// One io_uring, owned and used by one thread.
///
/// The `io_uring` struct lives at a fixed heap address for the ring's life, so
/// liburing's inline helpers can be handed a stable pointer; every method is
/// non-mutating for that reason and because the ring is confined to its thread
/// (`SINGLE_ISSUER`), never shared.
public struct Ring: ~Copyable {
    @usableFromInline let ring: UnsafeMutablePointer<io_uring>

    /// The setup flags the kernel accepted.
    public let setupFlags: UInt32

    /// Flag sets tried in order: the fastest first, then what older kernels take.
    static let setupAttempts: [(flags: UInt32, name: String)] = [
        (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
         "SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL"),  // 6.1
        (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL, "COOP_TASKRUN|SUBMIT_ALL"),  // 5.19
        (0, "none"),
    ]

    /// Creates a ring with `entries` SQEs and a completion queue of at least
    /// four times as many, so multishot bursts do not overflow it.
    public init(entries: UInt32, completionEntries: UInt32? = nil) throws(IOUringError) {
        ring = .allocate(capacity: 1)
        let cqEntries = max(completionEntries ?? entries * 4, entries * 4)
        var lastError: Int32 = EINVAL
        for attempt in Ring.setupAttempts {
            var params = io_uring_params()
            params.flags = attempt.flags | IORING_SETUP_CQSIZE
            params.cq_entries = cqEntries
            let result = io_uring_queue_init_params(entries, ring, &params)
            if result == 0 {
                setupFlags = attempt.flags
                return
            }
            lastError = -result
            // Only an unknown flag is worth another try; EPERM, ENOMEM etc. are final.
            if lastError != EINVAL { break }
        }
        ring.deallocate()
        throw IOUringError("io_uring_queue_init_params", errno: lastError)
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
    }

    /// A free SQE; when the submission queue is full it is submitted first.
    @inlinable
    public func nextSQE() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(ring) { return sqe }
        _ = io_uring_submit(ring)
        guard let sqe = io_uring_get_sqe(ring) else {
            fatalError("io_uring submission queue still full after submit")
        }
        return sqe
    }

    /// Submits queued SQEs and waits for at least `count` completions.
    /// Returns the number submitted or `-errno` (`-EINTR`, `-ETIME`, ...).
    @inlinable
    public func submitAndWait(_ count: UInt32) -> Int32 {
        io_uring_submit_and_wait(ring, count)
    }

    /// Submits queued SQEs and waits for a completion or `nanoseconds`,
    /// whichever comes first (one `io_uring_enter` with `IORING_FEAT_EXT_ARG`).
    /// Returns the number submitted or `-errno` (`-ETIME` on timeout).
    @inlinable
    public func submitAndWait(timeoutNanoseconds nanoseconds: Int64) -> Int32 {
        var timeout = __kernel_timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        var completion: UnsafeMutablePointer<io_uring_cqe>?
        return io_uring_submit_and_wait_timeout(ring, &completion, 1, &timeout, nil)
    }

    /// Submits queued SQEs without waiting.
    @inlinable
    @discardableResult
    public func submit() -> Int32 {
        io_uring_submit(ring)
    }

    /// The completions ready now. Read them with ``completion(_:at:)``, then
    /// release the whole batch with one ``advance(_:)``.
    @inlinable
    public func readyCompletions() -> CompletionBatch {
        CompletionBatch(head: rs_cq_head(ring), count: io_uring_cq_ready(ring))
    }

    @inlinable
    public func completion(_ batch: CompletionBatch, at index: UInt32) -> Completion {
        Completion(rs_cq_entry(ring, batch.head &+ index))
    }

    /// Hands the batch's CQ entries back to the kernel (one store for the batch).
    @inlinable
    public func advance(_ batch: CompletionBatch) {
        io_uring_cq_advance(ring, batch.count)
    }

    /// The raw ring, for set-up calls (buffer registration, probing).
    public var raw: UnsafeMutablePointer<io_uring> { ring }

    /// The ring's descriptor: the target of another ring's `IORING_OP_MSG_RING`.
    public var fileDescriptor: Int32 { ring.pointee.ring_fd }
}

/// A run of ready CQEs: `count` entries from `head`.
public struct CompletionBatch: Sendable {
    public var head: UInt32
    public var count: UInt32

    @inlinable
    public init(head: UInt32, count: UInt32) {
        self.head = head
        self.count = count
    }
}
