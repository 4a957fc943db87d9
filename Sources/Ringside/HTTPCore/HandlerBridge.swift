/// Starts route handlers of every kind (sync, async, offloaded, each behind
/// its route's middleware) for the HTTP core, and says how the answer will
/// come: at once, from a task, or from the offload pool. It holds no
/// connection state; the core records what it says through the connection's
/// transitions, and the answers come back as `WorkerRuntime.Event`s.
struct HandlerBridge {
    let runtime: WorkerRuntime
    /// Per route: its action and its middleware chain (the router's, then
    /// its groups', outermost first).
    private let actions: [Router.Action]
    private let middleware: [[any Middleware]]

    init(router: Router, runtime: WorkerRuntime) {
        self.runtime = runtime
        actions = router.routes.map(\.action)
        middleware = router.routes.map { router.middleware + $0.middleware }
    }

    /// How a started handler answers.
    enum Start {
        /// A sync handler without middleware ran in place: its answer.
        case answered(Response)
        /// A task answers later; the connection cancels it if it closes first.
        case running(Task<Void, Never>)
        /// Queued on the offload pool; marked abandoned if the connection closes first.
        case offloaded(RequestStorage)
        /// The offload pool's queue is full (503).
        case refused
    }

    /// Whether route `route`'s handler runs outside the call that reads its
    /// request, so the request must be copied out of receive memory first.
    @inline(__always)
    func needsCopy(_ route: Int) -> Bool {
        if case .sync = actions[route], middleware[route].isEmpty { return false }
        return true
    }

    /// Starts route `route`'s handler on `parts` (in place) or `storage`
    /// (its copy, when ``needsCopy(_:)``) for the connection in `slot`.
    func start(
        _ route: Int, _ parts: RequestParts, _ storage: RequestStorage?, slot: Int, generation: UInt32
    ) -> Start {
        let chain = middleware[route]
        switch actions[route] {
        case .sync(let handler) where chain.isEmpty:
            return .answered(runtime.respond(to: Request(parts: parts, storage: nil), handler))
        case .sync(let handler):
            return .running(runtime.startTask(storage!, slot: slot, generation: generation, behind: chain) { try handler($0) })
        case .async(let handler):
            return .running(runtime.startTask(storage!, slot: slot, generation: generation, behind: chain, handler))
        case .offload(let handler) where chain.isEmpty:
            return runtime.offload(storage!, slot: slot, generation: generation, handler) ? .offloaded(storage!) : .refused
        case .offload(let handler):
            let storage = storage!
            return .running(runtime.startTask(storage, slot: slot, generation: generation, behind: chain) { _ in
                try await offload { try handler(storage.request) }
            })
        case .prebuilt:
            preconditionFailure("prebuilt routes are answered from their bytes")
        }
    }
}
