/// Request methods known to the parser; anything else that is a valid token is `.other`.
///
/// The one table of methods: each case's ``name`` and ``bit`` are what the
/// router, the `allow` field and the mapping to swift-http-types are derived
/// from. The raw value is the method's index in that table.
public enum Method: UInt8, Sendable, CaseIterable {
    case get, head, post, put, delete, connect, options, trace, patch, other

    /// The methods a route can name, in table order (`.other` excluded).
    public static let known: [Method] = allCases.filter { $0 != .other }

    /// The method token as sent (RFC 9110 §9); empty for `.other`.
    public var name: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .connect: "CONNECT"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .patch: "PATCH"
        case .other: ""
        }
    }

    /// This method's bit in a method set (`1 << rawValue`).
    @inlinable
    public var bit: UInt16 { 1 << UInt16(rawValue) }

    /// The known method named `name` (case-sensitive), or nil.
    public init?(name: String) {
        guard let method = Method.known.first(where: { $0.name == name }) else { return nil }
        self = method
    }
}
