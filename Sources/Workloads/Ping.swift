public import Ringside

/// `GET /ping/`: `{"ping":"pong"}` after a delay, the shape of a service that
/// waits on something slow while holding many connections open.
///
/// The wait is a ``WorkerClock`` sleep: an entry in the worker's timer heap,
/// no thread and no kernel timer per request. Ten thousand waiting requests
/// cost ten thousand heap entries and suspended tasks, and no CPU until
/// their deadlines.
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
        router.get("/ping/") { _ in
            // A client that leaves meanwhile cancels the task; the sleep then
            // throws at its deadline and the answer is dropped.
            try await Task.sleep(for: delay, clock: .worker)
            return Response(pong)
        }
    }
}
