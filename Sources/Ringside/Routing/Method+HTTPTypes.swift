import HTTP1
import HTTPTypes

/// HTTP1's method table seen through swift-http-types: both directions are
/// derived from ``HTTP1/Method/name``, so the table stays the one source.
extension HTTP1.Method {
    private static let httpMethods: [HTTPRequest.Method] = known.map { HTTPRequest.Method($0.name)! }

    /// The swift-http-types method; `.other` is answered 501 before routing and has none.
    @inline(__always)
    var httpMethod: HTTPRequest.Method {
        precondition(self != .other, "unknown methods are answered 501 before routing")
        return HTTP1.Method.httpMethods[Int(rawValue)]
    }

    /// The method a route names, or nil when the parser does not know it.
    init?(_ method: HTTPRequest.Method) {
        self.init(name: method.rawValue)
    }
}
