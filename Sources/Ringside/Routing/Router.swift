public import HTTPTypes
import HTTP1

/// A synchronous handler: runs on the worker thread that read the request.
///
/// Keep it short and non-blocking: while it runs, the worker serves no one
/// else. Returning a prebuilt ``StaticResponse`` allocates nothing.
public typealias Handler = @Sendable (borrowing Request) throws -> Response

/// An asynchronous handler: runs as a task on the worker's own executor, so
/// awaiting Ringside's timers or I/O never moves it to another thread.
public typealias AsyncHandler = @Sendable (borrowing Request) async throws -> Response

/// The routes a server answers, declared before it starts.
///
/// ```swift
/// var router = Router()
/// router.get("/hello", StaticResponse(body: "hi"))          // prebuilt bytes
/// router.get("/users/:id") { request in                      // sync, on the worker
///     Response(text: "user \(request.parameters["id"] ?? "")")
/// }
/// router.get("/slow") { request in                           // async, on the worker's executor
///     try await Task.sleep(for: .milliseconds(200))
///     return Response(text: "late")
/// }
/// router.post("/hash", offload: true) { request in           // on the offload pool
///     Response(bytes: expensiveHash(request.body))
/// }
/// ```
///
/// Paths are matched segment by segment on the bytes as sent (before
/// percent-decoding, without the query): a literal segment beats a
/// `:parameter`, which beats a trailing `*` catch-all. `GET` routes answer
/// `HEAD` without a body; a path known under other methods answers 405 with
/// `allow`; anything else 404. Matching allocates nothing.
public struct Router: Sendable {
    /// What a route does with a matching request.
    enum Action: Sendable {
        case prebuilt(StaticResponse)
        case sync(Handler)
        case async(AsyncHandler)
        case offload(Handler)
    }

    struct Route: Sendable {
        var method: HTTPRequest.Method
        var pattern: RoutePattern
        var action: Action
        /// Its groups' middleware, outermost first (inside the router's own).
        var middleware: [any Middleware] = []
    }

    private(set) var routes: [Route] = []
    private(set) var middleware: [any Middleware] = []
    /// The path prefix of the group being declared ("" outside any).
    private var prefix = ""
    /// Groups being declared, one inside the other.
    private var groupDepth = 0
    /// Responses handlers may return, laid out by every worker at start.
    private(set) var prebuilt: [StaticResponse] = []
    /// The server's readiness check, if it installed one (see `HealthChecks`).
    var readinessCheck: ReadinessCheck?

    /// A prebuilt route whose answer is `notReady` while the server is not ready.
    struct ReadinessCheck: Sendable {
        var route: Int
        var notReady: StaticResponse
    }

    /// A router without routes (every request gets 404).
    public init() {}

    /// Adds middleware around every handler route, in the order added (the
    /// first added is outermost). Prebuilt ``StaticResponse`` routes bypass it.
    ///
    /// With middleware installed, every handler runs as a task on the
    /// worker's executor (middleware is `async`); without any, sync handlers
    /// are plain calls.
    public mutating func add(middleware: some Middleware) {
        precondition(groupDepth == 0, "inside a group, give its middleware to group(_:middleware:routes:)")
        self.middleware.append(middleware)
    }

    /// Declares the routes `body` adds under a path prefix, behind middleware
    /// of their own.
    ///
    /// ```swift
    /// router.group("/api", middleware: Authentication()) { api in
    ///     api.get("/users/:id") { request in ... }          // GET /api/users/:id
    ///     api.group("/admin", middleware: AdminOnly()) { admin in
    ///         admin.delete("/users/:id") { request in ... } // DELETE /api/admin/users/:id
    ///     }
    /// }
    /// router.group(middleware: RateLimit()) { limited in  // no prefix: middleware for a few routes
    ///     limited.post("/v1/login") { request in ... }
    /// }
    /// ```
    ///
    /// A path in a group is the prefix followed by the path: `""` is the prefix
    /// itself, `"/"` the prefix and a slash. A group's middleware runs inside
    /// the router's own (``add(middleware:)``), the outer group's before the
    /// inner's, and handlers read what it handed them in ``Request/context``.
    /// A handler route behind any middleware runs as a task. A prebuilt
    /// ``StaticResponse`` route in a group with middleware is answered through
    /// it, as a handler returning the prebuilt bytes (so authentication guards
    /// it too); the router's own middleware still leaves prebuilt routes alone.
    public mutating func group(
        _ prefix: String = "", middleware: any Middleware..., routes body: (inout Router) throws -> Void
    ) rethrows {
        precondition(prefix.isEmpty || (prefix.hasPrefix("/") && !prefix.contains("?")),
                     "a group's prefix starts with / and holds no query")
        let outer = self.prefix
        let first = routes.count
        self.prefix = outer + (prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix)
        groupDepth += 1
        defer {
            self.prefix = outer
            groupDepth -= 1
        }
        try body(&self)
        guard !middleware.isEmpty else { return }
        for index in first..<routes.count {
            routes[index].middleware = middleware + routes[index].middleware
            // Behind middleware (authentication, say) a prebuilt answer is a handler's: no bypass.
            if case .prebuilt(let response) = routes[index].action {
                routes[index].action = .sync { _ in Response(response) }
            }
        }
    }

    /// Lays `response` out in every worker so that handlers returning it send
    /// prebuilt bytes (no encoding, no allocation). Returns it for convenience.
    @discardableResult
    public mutating func prebuild(_ response: StaticResponse) -> StaticResponse {
        if !prebuilt.contains(where: { $0 === response }) { prebuilt.append(response) }
        return response
    }

    // MARK: Any method

    /// Serves prebuilt `response` to `method` requests for `path`.
    public mutating func on(_ method: HTTPRequest.Method, _ path: String, _ response: StaticResponse) {
        prebuild(response)
        add(method, path, .prebuilt(response))
    }

    /// Runs `handler` for `method` requests for `path`: on the worker thread,
    /// or with `offload: true` on the server's offload pool (for CPU-bound or
    /// blocking work; a full pool answers 503 with `retry-after`).
    public mutating func on(
        _ method: HTTPRequest.Method, _ path: String, offload: Bool = false, _ handler: @escaping Handler
    ) {
        add(method, path, offload ? .offload(handler) : .sync(handler))
    }

    /// Runs async `handler` for `method` requests for `path` on the worker's executor.
    public mutating func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping AsyncHandler) {
        add(method, path, .async(handler))
    }

    /// Whether a route of `method` already matches the same paths as `path`.
    func hasRoute(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        let shape = RoutePattern(path).shape
        return routes.contains { $0.method == method && $0.pattern.shape == shape }
    }

    private mutating func add(_ method: HTTPRequest.Method, _ path: String, _ action: Action) {
        precondition(groupDepth > 0 || !path.isEmpty, "a route's path starts with /")
        let path = prefix + path
        let pattern = RoutePattern(path)
        precondition(HTTP1.Method(method) != nil, "method \(method) cannot be routed")
        if let existing = routes.first(where: { $0.method == method && $0.pattern.shape == pattern.shape }) {
            preconditionFailure("route \(method) \(path) matches the same paths as \(existing.pattern) declared before")
        }
        routes.append(Route(method: method, pattern: pattern, action: action))
    }
}

// MARK: One method each

extension Router {
    /// `GET` (and `HEAD`) requests for `path` get prebuilt `response`.
    public mutating func get(_ path: String, _ response: StaticResponse) { on(.get, path, response) }
    /// `GET` (and `HEAD`) requests for `path` run `handler`; see `on(_:_:offload:_:)`.
    public mutating func get(_ path: String, offload: Bool = false, _ handler: @escaping Handler) {
        on(.get, path, offload: offload, handler)
    }
    /// `GET` (and `HEAD`) requests for `path` run async `handler`.
    public mutating func get(_ path: String, _ handler: @escaping AsyncHandler) { on(.get, path, handler) }

    /// `POST` requests for `path` run `handler`; see `on(_:_:offload:_:)`.
    public mutating func post(_ path: String, offload: Bool = false, _ handler: @escaping Handler) {
        on(.post, path, offload: offload, handler)
    }
    /// `POST` requests for `path` run async `handler`.
    public mutating func post(_ path: String, _ handler: @escaping AsyncHandler) { on(.post, path, handler) }

    /// `PUT` requests for `path` run `handler`; see `on(_:_:offload:_:)`.
    public mutating func put(_ path: String, offload: Bool = false, _ handler: @escaping Handler) {
        on(.put, path, offload: offload, handler)
    }
    /// `PUT` requests for `path` run async `handler`.
    public mutating func put(_ path: String, _ handler: @escaping AsyncHandler) { on(.put, path, handler) }

    /// `PATCH` requests for `path` run `handler`; see `on(_:_:offload:_:)`.
    public mutating func patch(_ path: String, offload: Bool = false, _ handler: @escaping Handler) {
        on(.patch, path, offload: offload, handler)
    }
    /// `PATCH` requests for `path` run async `handler`.
    public mutating func patch(_ path: String, _ handler: @escaping AsyncHandler) { on(.patch, path, handler) }

    /// `DELETE` requests for `path` run `handler`; see `on(_:_:offload:_:)`.
    public mutating func delete(_ path: String, offload: Bool = false, _ handler: @escaping Handler) {
        on(.delete, path, offload: offload, handler)
    }
    /// `DELETE` requests for `path` run async `handler`.
    public mutating func delete(_ path: String, _ handler: @escaping AsyncHandler) { on(.delete, path, handler) }
}
