import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT from before the first socket listens until the service group handles them.
///
/// `serve` binds and starts its workers before the service group exists (so a start-up failure is
/// one line), and the group installs its handlers a moment later. A signal in between would take
/// the default action, ending the process with status 143 and cutting what it serves; Kubernetes
/// signals a pod whenever it likes, also one that has just started. So a handler that only
/// remembers the signal comes first; once the group's has replaced it, what it remembered is
/// raised again, for the group.
enum EarlySignals {
    /// Installs the remembering handler for `signals`: before the first socket listens.
    static func remember(_ signals: [Int32]) {
        remembered.store(0, ordering: .relaxed)  // initialised here, never first in the handler
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = rememberSignal
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// Waits (up to two seconds) until another handler replaced the remembering one for every one
    /// of `signals`, then raises again each that arrived meanwhile. Returns the signals raised.
    @discardableResult
    static func handOver(_ signals: [Int32]) -> [Int32] {
        for _ in 0..<2000 {
            if signals.allSatisfy({ !isRemembering($0) && !isDefault($0) }) { break }
            usleep(1000)
        }
        // Nobody took a signal over: its default action again, rather than a stop signal swallowed.
        for signal in signals where isRemembering(signal) {
            Glibc.signal(signal, SIG_DFL)
        }
        // Any signal from here on reaches the new handler; what came before is in the mask.
        let mask = remembered.exchange(0, ordering: .acquiringAndReleasing)
        let raised = signals.filter { mask & (1 << UInt64($0)) != 0 }
        for signal in raised { kill(getpid(), signal) }
        return raised
    }

    private static func handler(_ signal: Int32) -> sighandler_t? {
        var current = sigaction()
        sigaction(signal, nil, &current)
        return current.__sigaction_handler.sa_handler
    }

    private static func isDefault(_ signal: Int32) -> Bool {
        handler(signal) == nil  // SIG_DFL is a null handler
    }

    private static func isRemembering(_ signal: Int32) -> Bool {
        guard let current = handler(signal) else { return false }
        return unsafeBitCast(current, to: UnsafeRawPointer.self) == unsafeBitCast(rememberSignal, to: UnsafeRawPointer.self)
    }
}

/// The signals that arrived before the hand-over, one bit each: an atomic store is all a signal
/// handler may do here.
private let remembered = Atomic<UInt64>(0)

private let rememberSignal: @convention(c) (Int32) -> Void = { signal in
    remembered.bitwiseOr(1 << UInt64(signal), ordering: .relaxed)
}
