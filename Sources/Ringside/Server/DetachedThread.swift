#if canImport(Glibc)
import Glibc
#endif

/// A thread for blocking work that must not sit on a Swift concurrency
/// executor (a shutdown that waits seconds for connections to drain).
package enum DetachedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body` on a new detached thread; on the calling thread if none can be made.
    package static func run(_ body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(Body(body)).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, argument)
        if result == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Body>.fromOpaque(argument).takeRetainedValue().run()
        }
    }
}

/// A thread its starter joins: what it runs is over, its captures released,
/// once ``join()`` returns (a watcher whose objects must be gone before the
/// process exits).
final class JoinableThread: @unchecked Sendable {
    // @unchecked: `thread` and `started` are written by `start`, which its
    // owner calls once before handing the object on, and read by `join`, once.
    private var thread = pthread_t()
    private var started = false

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; nil if none can be made.
    static func start(_ body: @escaping @Sendable () -> Void) -> JoinableThread? {
        let handle = JoinableThread()
        return handle.start(body) ? handle : nil
    }

    /// Starts `body` on a new thread (once); false if none can be made.
    func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        precondition(!started, "started twice")
        let argument = Unmanaged.passRetained(Body(body)).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, argument)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(argument).release()
            return false
        }
        started = true
        return true
    }

    /// Waits for the thread to end.
    func join() {
        guard started else { return }
        started = false
        pthread_join(thread, nil)
    }
}
