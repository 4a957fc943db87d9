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
    /// Set at ``stop()``: the watcher ends.
    private let stopped = Atomic<Bool>(false)

    private struct State: ~Copyable {
        var context: TLSContext
        /// The files as last loaded or tried, so a failed reload is retried only once they change again.
        var tried: [FileSignature]
    }

    /// Reads the files and makes the first context; throws if they cannot serve.
    init(_ configuration: ServerConfiguration.TLS, logger: Logger) throws(TLSSetupError) {
        self.configuration = configuration
        self.logger = logger
        let signatures = TLSContextStore.signatures(configuration)
        state = Mutex(State(context: try TLSContext(configuration), tried: signatures))
    }

    var current: TLSContext { state.withLock { $0.context } }

    /// Reloads the files now. Throws (keeping the current context) if they cannot serve.
    func reload() throws(TLSSetupError) {
        let signatures = TLSContextStore.signatures(configuration)
        state.withLock { $0.tried = signatures }
        let context = try TLSContext(configuration)
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
        guard let interval = configuration.watchInterval, interval > .zero else { return }
        let microseconds = max(interval.clampedNanoseconds / 1000, 10_000)
        DetachedThread.run { [self] in
            while !stopped.load(ordering: .relaxed) {
                // In steps of at most 100 ms, so stop() is noticed soon.
                var left = microseconds
                while left > 0 && !stopped.load(ordering: .relaxed) {
                    usleep(UInt32(min(left, 100_000)))
                    left -= 100_000
                }
                if !stopped.load(ordering: .relaxed) { reloadIfChanged() }
            }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

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
