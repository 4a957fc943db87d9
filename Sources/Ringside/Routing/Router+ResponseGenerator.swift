public import HTTPTypes

/// Handlers that return what they mean (a `String`, a ``ResponseEncodable`` value, a status): the
/// value's ``ResponseGenerator/response()`` answers. Each wraps the handler once, at declaration.
extension Router {
    /// Runs `handler` for `method` requests for `path` (on the offload pool with `offload: true`);
    /// what it returns answers.
    public mutating func on<Result: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, offload: Bool = false,
        _ handler: @escaping @Sendable (borrowing Request) throws -> Result
    ) {
        on(method, path, offload: offload) { request in try handler(request).response() }
    }

    /// Runs async `handler` for `method` requests for `path`; what it returns answers.
    public mutating func on<Result: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (borrowing Request) async throws -> Result
    ) {
        on(method, path) { request in try await handler(request).response() }
    }

    /// `GET` (and `HEAD`) requests for `path` run `handler`; what it returns answers.
    public mutating func get<Result: ResponseGenerator>(
        _ path: String, offload: Bool = false, _ handler: @escaping @Sendable (borrowing Request) throws -> Result
    ) { on(.get, path, offload: offload, handler) }

    /// `GET` (and `HEAD`) requests for `path` run async `handler`; what it returns answers.
    public mutating func get<Result: ResponseGenerator>(
        _ path: String, _ handler: @escaping @Sendable (borrowing Request) async throws -> Result
    ) { on(.get, path, handler) }

    /// `POST` requests for `path` run `handler`; what it returns answers.
    public mutating func post<Result: ResponseGenerator>(
        _ path: String, offload: Bool = false, _ handler: @escaping @Sendable (borrowing Request) throws -> Result
    ) { on(.post, path, offload: offload, handler) }

    /// `POST` requests for `path` run async `handler`; what it returns answers.
    public mutating func post<Result: ResponseGenerator>(
        _ path: String, _ handler: @escaping @Sendable (borrowing Request) async throws -> Result
    ) { on(.post, path, handler) }

    /// `PUT` requests for `path` run `handler`; what it returns answers.
    public mutating func put<Result: ResponseGenerator>(
        _ path: String, offload: Bool = false, _ handler: @escaping @Sendable (borrowing Request) throws -> Result
    ) { on(.put, path, offload: offload, handler) }

    /// `PUT` requests for `path` run async `handler`; what it returns answers.
    public mutating func put<Result: ResponseGenerator>(
        _ path: String, _ handler: @escaping @Sendable (borrowing Request) async throws -> Result
    ) { on(.put, path, handler) }

    /// `PATCH` requests for `path` run `handler`; what it returns answers.
    public mutating func patch<Result: ResponseGenerator>(
        _ path: String, offload: Bool = false, _ handler: @escaping @Sendable (borrowing Request) throws -> Result
    ) { on(.patch, path, offload: offload, handler) }

    /// `PATCH` requests for `path` run async `handler`; what it returns answers.
    public mutating func patch<Result: ResponseGenerator>(
        _ path: String, _ handler: @escaping @Sendable (borrowing Request) async throws -> Result
    ) { on(.patch, path, handler) }

    /// `DELETE` requests for `path` run `handler`; what it returns answers.
    public mutating func delete<Result: ResponseGenerator>(
        _ path: String, offload: Bool = false, _ handler: @escaping @Sendable (borrowing Request) throws -> Result
    ) { on(.delete, path, offload: offload, handler) }

    /// `DELETE` requests for `path` run async `handler`; what it returns answers.
    public mutating func delete<Result: ResponseGenerator>(
        _ path: String, _ handler: @escaping @Sendable (borrowing Request) async throws -> Result
    ) { on(.delete, path, handler) }
}
