public import HTTPTypes

/// What a handler may return: the ``Response`` it stands for.
///
/// ```swift
/// router.get("/hello") { _ in "hello\n" }                      // text/plain
/// router.get("/users/:id") { request in                        // JSON
///     User(id: try request.parameters.require("id", as: Int.self), name: "ada")
/// }
/// router.delete("/users/:id") { _ in HTTPResponse.Status.noContent }
/// ```
///
/// ``Response``, `String`, ``StaticResponse`` (its prebuilt bytes),
/// `HTTPResponse.Status` (an empty body) and every ``ResponseEncodable``
/// value conform.
public protocol ResponseGenerator: Sendable {
    /// The response this value stands for.
    func response() throws -> Response
}

/// An `Encodable` value that answers as JSON (status 200, `application/json`,
/// keys sorted): declare the conformance, nothing to implement.
///
/// ```swift
/// struct User: ResponseEncodable {
///     var id: Int
///     var name: String
/// }
/// ```
public protocol ResponseEncodable: Encodable, ResponseGenerator {}

#if canImport(FoundationEssentials)
extension ResponseEncodable {
    public func response() throws -> Response { try Response(json: self) }
}
#endif

extension Response: ResponseGenerator {
    public func response() -> Response { self }
}

extension String: ResponseGenerator {
    /// `text/plain; charset=utf-8`.
    public func response() -> Response { Response(text: self) }
}

extension StaticResponse: ResponseGenerator {
    /// The prebuilt bytes when the router laid them out (``Router/prebuild(_:)``).
    public func response() -> Response { Response(self) }
}

extension HTTPResponse.Status: ResponseGenerator {
    /// This status with an empty body.
    public func response() -> Response { Response(status: self) }
}

#if canImport(FoundationEssentials)
extension Array: ResponseGenerator where Element: ResponseEncodable {
    /// A JSON array.
    public func response() throws -> Response { try Response(json: self) }
}
#endif
