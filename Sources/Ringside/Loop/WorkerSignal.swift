import CLinuxShim
import IOUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How other threads wake one worker's loop: the server asking it to stop,
/// an offload thread or a continuation posting work to it.
///
/// One eventfd that both backends watch; on io_uring an offload thread with
/// a ring of its own posts a CQE straight onto the worker's ring instead
/// (`IORING_OP_MSG_RING`), which costs no eventfd write and read.
///
/// Sendable: the descriptor is immutable and the rest is atomic.
final class WorkerSignal: Sendable {
    /// The eventfd the worker's backend watches.
    let fd: Int32
    private let stopping = Atomic<Bool>(false)
    /// io_uring only: the worker ring's descriptor, the target of MSG_RING
    /// (-1: none, or the ring is gone and wakes go through the eventfd).
    private let ringFD = Atomic<Int32>(-1)
    /// The `user_data` a MSG_RING wake carries (set with the ring descriptor).
    private let messageUserData = Atomic<UInt64>(0)

    init() throws {
        // Blocking: io_uring then polls it instead of answering a read with EAGAIN.
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemCallError(step: "eventfd", errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The server asked the worker to stop.
    var stopRequested: Bool { stopping.load(ordering: .acquiring) }

    /// Asks the worker to stop (from the server's thread).
    func requestStop() {
        stopping.store(true, ordering: .releasing)
        wake()
    }

    /// Wakes the worker; `thread`'s ring messages the worker's ring when both have one.
    func wake(from thread: OffloadThread? = nil) {
        let ring = ringFD.load(ordering: .acquiring)
        if ring >= 0, let thread,
           thread.message(ring: ring, userData: UserData(rawValue: messageUserData.load(ordering: .relaxed))) {
            return
        }
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    /// Empties the eventfd once the backend saw it readable (epoll; io_uring reads it with an SQE).
    func drain() {
        var value: UInt64 = 0
        _ = read(fd, &value, 8)
    }

    /// io_uring: wakes may come by MSG_RING to `ring`, tagged `userData`; -1 when the ring goes away.
    func acceptMessages(ring: Int32, userData: UInt64) {
        messageUserData.store(userData, ordering: .relaxed)
        ringFD.store(ring, ordering: .releasing)
    }
}
