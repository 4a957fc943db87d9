/// The routes a server answers, declared before it starts.
///
/// Paths match exactly (byte for byte, without the query). `GET` routes also
/// answer `HEAD` without a body; other methods on a known path get 405 with
/// `allow`, unknown paths 404, both with small JSON bodies.
public struct Router: Sendable {
    struct Route: Sendable {
        var path: String
        var response: StaticResponse
    }

    private(set) var routes: [Route] = []

    public init() {}

    /// Serves `response` to `GET` and `HEAD` requests for `path`.
    public mutating func get(_ path: String, _ response: StaticResponse) {
        precondition(path.utf8.first == UInt8(ascii: "/"), "route paths start with /")
        precondition(!routes.contains { $0.path == path }, "route \(path) declared twice")
        routes.append(Route(path: path, response: response))
    }
}
