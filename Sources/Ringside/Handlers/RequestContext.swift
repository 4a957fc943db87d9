/// The key of a value that middleware hands to the handler behind it: an
/// authenticated user, a tenant, a deadline.
///
/// ```swift
/// enum AuthenticatedUser: RequestContextKey { typealias Value = String }
///
/// struct Authentication: Middleware {
///     func handle(
///         _ request: borrowing Request, next: (borrowing Request) async throws -> Response
///     ) async throws -> Response {
///         guard let user = request.headers[.authorization] else { throw HTTPError(.unauthorized) }
///         request.context[AuthenticatedUser.self] = user
///         return try await next(request)
///     }
/// }
///
/// router.group("/api", middleware: Authentication()) { api in
///     api.get("/me") { request in Response(text: request.context[AuthenticatedUser.self] ?? "") }
/// }
/// ```
public protocol RequestContextKey {
    /// The type of the value stored under this key.
    associatedtype Value: Sendable
}

/// Typed values that live as long as one request, under ``RequestContextKey``s:
/// set by middleware, read by the handlers behind it (``Request/context``).
///
/// Costs nothing until a value is set: then one dictionary on the request's
/// own copy, which every request middleware, an async or an offloaded
/// handler sees has. A sync handler run without middleware reads its request
/// where the server received it, with no copy: there every key reads `nil`
/// and a value set is not kept.
public struct RequestContext: Sendable {
    let storage: RequestStorage?

    /// The value under `key`, or nil; setting nil removes it.
    public subscript<Key: RequestContextKey>(key: Key.Type) -> Key.Value? {
        get { storage?.contextValue(ObjectIdentifier(key)) as? Key.Value }
        nonmutating set { storage?.setContextValue(newValue, ObjectIdentifier(key)) }
    }
}
