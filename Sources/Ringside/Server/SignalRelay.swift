import CLinuxShim
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT/SIGTERM into a byte on an eventfd, whichever thread the
/// kernel delivers them to: `sigwait` alone would miss signals taken by
/// threads that do not block them (Swift's concurrency threads, for one).
/// One relay at a time; the previous handlers come back when it ends.
final class SignalRelay {
    /// The eventfd the handler writes to (-1: none); read by the handler, so atomic.
    private static let target = Atomic<Int32>(-1)
    private static let lastSignal = Atomic<Int32>(0)
    private let fd: Int32
    private let signals: [Int32]
    private var previous: [sigaction] = []

    init(signals: [Int32]) throws {
        fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemCallError(step: "eventfd", errno: errno) }
        self.signals = signals
        SignalRelay.target.store(fd, ordering: .releasing)
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                // Async-signal-safe: an atomic load, an atomic store and write(2).
                SignalRelay.lastSignal.store(signal, ordering: .relaxed)
                var one: UInt64 = 1
                _ = write(SignalRelay.target.load(ordering: .acquiring), &one, 8)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous.append(old)
        }
    }

    deinit {
        for (signal, var old) in zip(signals, previous) { sigaction(signal, &old, nil) }
        SignalRelay.target.store(-1, ordering: .releasing)
        close(fd)
    }

    /// Blocks until one of the signals arrives; returns it.
    func wait() -> Int32 {
        var value: UInt64 = 0
        while read(fd, &value, 8) < 0 && errno == EINTR {}
        return SignalRelay.lastSignal.load(ordering: .relaxed)
    }
}
