/// A route path split into segments: `/users/:id/files/*`.
///
/// The path after the leading `/` is split on `/`, so `/` is one empty
/// segment and a trailing slash is an empty last segment (`/ping/` and
/// `/ping` are different routes). `:name` matches one non-empty segment;
/// `*`, last only, matches the rest of the path (possibly empty).
struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal([UInt8])
        case parameter(String)
        case catchAll
    }

    let segments: [Segment]
    let description: String

    /// The pattern with parameter names erased: two routes of one method with
    /// the same shape would match the same paths, and the later would hide the earlier.
    var shape: String {
        segments.map {
            switch $0 {
            case .literal(let bytes): "/" + String(decoding: bytes, as: UTF8.self)
            case .parameter: "/:"
            case .catchAll: "/*"
            }
        }.joined()
    }

    /// The names of the captured values in order; the catch-all is named `*`.
    var parameterNames: [String] {
        segments.compactMap {
            switch $0 {
            case .literal: nil
            case .parameter(let name): name
            case .catchAll: "*"
            }
        }
    }

    init(_ path: String) {
        precondition(path.utf8.first == UInt8(ascii: "/"), "route path \(path) must start with /")
        precondition(!path.contains("?"), "route path \(path) must not contain a query")
        var segments: [Segment] = []
        let parts = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.first == UInt8(ascii: ":") {
                let name = String(decoding: part.dropFirst(), as: UTF8.self)
                precondition(!name.isEmpty, "parameter without a name in \(path)")
                precondition(
                    !segments.contains(.parameter(name)), "parameter :\(name) appears twice in \(path)")
                segments.append(.parameter(name))
            } else if part.elementsEqual("*".utf8) {
                precondition(index == parts.count - 1, "* must be the last segment of \(path)")
                segments.append(.catchAll)
            } else {
                segments.append(.literal(Array(part)))
            }
        }
        precondition(segments.count(where: { if case .literal = $0 { false } else { true } }) <= RouteTable.maxParameters,
                     "at most \(RouteTable.maxParameters) parameters per route")
        self.segments = segments
        description = path
    }
}
