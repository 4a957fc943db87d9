public import Ringside

/// `GET /ping/`: `{"ping":"pong"}` after a delay, the shape of a service that
/// waits on something slow while holding many connections open.
///
/// The wait is a delayed prebuilt answer (``Response/init(_:after:)``): an
/// entry in the worker's answer timers, and no task, thread, kernel timer or
/// allocation per request. Ten thousand waiting requests cost ten thousand
/// 24-byte entries and no CPU until their deadlines. A service whose wait is
/// real work awaits it in an async handler instead
/// (`Task.sleep(for:clock: .worker)` for a plain delay).
public struct Ping: Workload {
    /// How long each request waits before its answer.
    public var delay: Duration

    /// Pings answered after `delay` (200 ms by default).
    public init(delay: Duration = .milliseconds(200)) {
        self.delay = delay
    }

    public func addRoutes(to router: inout Router) {
        let pong = router.prebuild(StaticResponse(contentType: "application/json", body: #"{"ping":"pong"}"#))
        let delay = self.delay
        // A client that leaves meanwhile closes its connection; the answer is dropped at its deadline.
        router.get("/ping/") { _ in Response(pong, after: delay) }
    }
}
