import CLinuxShim
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The server's current ``TLSContext``, replaced when its files change or
/// on ``Server/reloadTLS()``: new connections get the new one, open ones
/// keep the context they started on (OpenSSL counts its references), so a
/// reload drops no connection. A reload that fails (a half-written file, a
/// key that does not match) keeps the current context and says why once.
///
/// Workers read it once per accepted TLS connection through a ``Reader``:
/// one relaxed atomic load while nothing changed, the lock only after a reload.
final class TLSContextStore: Sendable {
    let configuration: ServerConfiguration.TLS
    private let logger: Logger
    private let state: Mutex<State>
    /// Bumped by each reload that took; readers compare it with theirs.
    private let generation = Atomic<Int>(0)
    /// Written at ``stop()``: wakes the watcher, which then ends.
    private let wakeup: Int32
    /// The watcher's thread, joined by ``stop()``.
    private let watcher = Mutex<JoinableThread?>(nil)
    private let alpn: [String]

    private struct State: ~Copyable {
        var context: TLSContext
        /// The files as last loaded or tried, so a failed reload is retried only once they change again.
        var tried: [FileSignature]
    }

    /// Reads the files and makes the first context; throws if they cannot serve.
    /// `alpn`: the protocols offered, in the server's order of preference.
    init(_ configuration: ServerConfiguration.TLS, alpn: [String] = ["http/1.1"], logger: Logger) throws(TLSSetupError) {
        self.configuration = configuration
        self.alpn = alpn
        self.logger = logger
        let signatures = TLSContextStore.signatures(configuration)
        state = Mutex(State(context: try TLSContext(configuration, alpn: alpn), tried: signatures))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC))
    }

    deinit { if wakeup >= 0 { close(wakeup) } }

    var current: TLSContext { state.withLock { $0.context } }

    /// Reloads the files now. Throws (keeping the current context) if they cannot serve.
    func reload() throws(TLSSetupError) {
        let signatures = TLSContextStore.signatures(configuration)
        state.withLock { $0.tried = signatures }
        let context = try TLSContext(configuration, alpn: alpn)
        state.withLock { $0.context = context }
        generation.add(1, ordering: .releasing)
        logger.notice("TLS certificates reloaded", metadata: ["certificates": "\(configuration.certificates.count)"])
    }

    /// Reloads if a file changed since the last load or try; logs a failure.
    func reloadIfChanged() {
        let signatures = TLSContextStore.signatures(configuration)
        guard state.withLock({ $0.tried != signatures }) else { return }
        do {
            try reload()
        } catch {
            logger.error("TLS reload failed; serving the previous certificates", metadata: ["reason": "\(error)"])
        }
    }

    /// Starts the thread that checks the files every `watchInterval` (when set).
    func startWatching() {
        guard let interval = configuration.watchInterval, interval > .zero, wakeup >= 0 else { return }
        let milliseconds = Int32(clamping: max(interval.clampedNanoseconds / 1_000_000, 10))
        let wakeup = self.wakeup
        let thread = JoinableThread.start { [self] in
            var descriptor = pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0)
            while poll(&descriptor, 1, milliseconds) == 0 { reloadIfChanged() }
        }
        watcher.withLock { $0 = thread }
    }

    /// Ends the watcher and waits for it: once this returns, the store's
    /// life (and its OpenSSL contexts') is the server's alone, so they are
    /// freed before the process exits, not after OpenSSL's own clean-up.
    func stop() {
        guard let thread = watcher.withLock({ $0.take() }) else { return }
        var one: UInt64 = 1
        _ = write(wakeup, &one, 8)
        thread.join()
    }

    /// A worker's view: the context it last read, and the generation it read it at.
    struct Reader {
        private let store: TLSContextStore
        private var seen: Int
        private var context: TLSContext

        init(_ store: TLSContextStore) {
            self.store = store
            seen = store.generation.load(ordering: .acquiring)
            context = store.current
        }

        /// The context for a new connection.
        @inline(__always)
        mutating func current() -> TLSContext {
            let generation = store.generation.load(ordering: .acquiring)
            if generation != seen {
                seen = generation
                context = store.current
            }
            return context
        }
    }

    /// What identifies a file's content without reading it: a replaced file
    /// (new inode), one written in place (size, modification time), one gone.
    struct FileSignature: Equatable {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        var size: Int64 = -1
        var modified: Int64 = 0
    }

    private static func signatures(_ configuration: ServerConfiguration.TLS) -> [FileSignature] {
        configuration.certificates.flatMap { [signature($0.chainFile), signature($0.keyFile)] }
    }

    private static func signature(_ path: String) -> FileSignature {
        var status = stat()
        guard stat(path, &status) == 0 else { return FileSignature() }
        return FileSignature(
            device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int64(status.st_size),
            modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
    }
}
