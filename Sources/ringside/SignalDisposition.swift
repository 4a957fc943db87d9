#if canImport(Glibc)
import Glibc
#endif

/// Whether a signal still has its default action (for SIGTERM and SIGINT:
/// end the process) or someone handles it now.
enum SignalDisposition {
    /// Waits (up to two seconds) until none of `signals` has its default action.
    static func waitUntilHandled(_ signals: [Int32]) {
        for _ in 0..<2000 {
            if signals.allSatisfy({ !isDefault($0) }) { return }
            usleep(1000)
        }
    }

    static func isDefault(_ signal: Int32) -> Bool {
        var current = sigaction()
        sigaction(signal, nil, &current)
        return current.__sigaction_handler.sa_handler == nil  // SIG_DFL is a null handler
    }
}
