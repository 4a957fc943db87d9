/// Code that wraps every handler route: logging, metrics, authentication.
///
/// In the Hummingbird sense, a request → response wrapper: do something
/// before, call `next`, do something with the response, or answer without
/// calling `next` at all.
///
/// ```swift
/// struct Timing: Middleware {
///     func handle(_ request: borrowing Request, next: (borrowing Request) async throws -> Response) async throws -> Response {
///         let start = ContinuousClock.now
///         let response = try await next(request)
///         print(request.method, request.path, response.status.code, ContinuousClock.now - start)
///         return response
///     }
/// }
/// router.add(middleware: Timing())
/// ```
///
/// Middleware runs on the worker's executor; with any installed, every
/// handler route is run as a task (about the cost of an async handler).
/// With none installed it costs nothing. Prebuilt ``StaticResponse`` routes
/// and the server's own error answers (404, 405, 4xx from the parser) do
/// not pass through it.
public protocol Middleware: Sendable {
    /// Answers `request`, usually by calling `next` (the rest of the chain,
    /// then the handler) and adjusting what it returns.
    func handle(
        _ request: borrowing Request, next: (borrowing Request) async throws -> Response
    ) async throws -> Response
}

extension Array where Element == any Middleware {
    /// Runs the chain from `index` inward, then `handler`.
    func run(
        from index: Int, _ request: borrowing Request, _ handler: (borrowing Request) async throws -> Response
    ) async throws -> Response {
        if index == count { return try await handler(request) }
        return try await self[index].handle(request) { request in
            try await self.run(from: index + 1, request, handler)
        }
    }
}
