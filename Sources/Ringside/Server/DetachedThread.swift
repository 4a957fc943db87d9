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
