import HTTP1
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// The router compiled for matching: a segment trie in flat buffers.
///
/// Built once per worker at start. Matching walks the request path's bytes
/// segment by segment, trying literal edges, then the parameter edge, then
/// the catch-all, backtracking when a branch ends without a route; it writes
/// captured values as spans into a caller's buffer and allocates nothing.
struct RouteTable: ~Copyable {
    static let maxParameters = 16
    /// Methods a route can name: HTTP1's known methods, `.other` excluded.
    static let methodCount = HTTP1.Method.known.count

    enum Match {
        /// Route `index` answers; `parameterCount` spans were captured.
        case route(Int, parameterCount: Int)
        /// The path is known, not under this method: answer 405 with `allow`
        /// listing `allowed` (a bit per method index, HEAD set wherever GET is),
        /// gathered from every route pattern the path fits.
        case methodNotAllowed(allowed: UInt16)
        case notFound
    }

    private struct Node {
        var firstEdge: Int32 = 0
        var edgeCount: Int32 = 0
        var parameterChild: Int32 = -1
        /// Method tables (`methodCount` route indexes, -1 for none), or -1.
        var routes: Int32 = -1
        var catchAllRoutes: Int32 = -1
    }

    private struct Edge {
        var offset: Int32
        var count: Int32
        var child: Int32
    }

    private let nodes: UnsafeMutableBufferPointer<Node>
    private let edges: UnsafeMutableBufferPointer<Edge>
    private let literals: UnsafeMutableRawBufferPointer
    private let tables: UnsafeMutableBufferPointer<Int32>
    /// The methods of each method table (HEAD included wherever GET is), as bits.
    let tableMasks: [UInt16]
    /// The `allow` value of each method table.
    var allowValues: [String] { tableMasks.map(RouteTable.allowValue(mask:)) }

    init(_ routes: [Router.Route]) {
        // Build as a tree of classes, then flatten breadth-first.
        final class Builder {
            var literals: [([UInt8], Builder)] = []
            var parameter: Builder?
            var routes: [Int32]?
            var catchAll: [Int32]?
        }
        let root = Builder()
        for (index, route) in routes.enumerated() {
            var node = root
            var endsInCatchAll = false
            for segment in route.pattern.segments {
                switch segment {
                case .literal(let bytes):
                    if let next = node.literals.first(where: { $0.0 == bytes })?.1 {
                        node = next
                    } else {
                        let next = Builder()
                        node.literals.append((bytes, next))
                        node = next
                    }
                case .parameter:
                    if node.parameter == nil { node.parameter = Builder() }
                    node = node.parameter!
                case .catchAll:
                    endsInCatchAll = true
                }
            }
            let method = Int(HTTP1.Method(route.method)!.rawValue)
            if endsInCatchAll {
                if node.catchAll == nil { node.catchAll = Array(repeating: -1, count: RouteTable.methodCount) }
                node.catchAll![method] = Int32(index)
            } else {
                if node.routes == nil { node.routes = Array(repeating: -1, count: RouteTable.methodCount) }
                node.routes![method] = Int32(index)
            }
        }

        var order: [Builder] = [root]
        var position = 0
        while position < order.count {
            let node = order[position]
            order += node.literals.map(\.1)
            if let parameter = node.parameter { order.append(parameter) }
            position += 1
        }
        let numbers = Dictionary(uniqueKeysWithValues: order.enumerated().map { (ObjectIdentifier($1), Int32($0)) })

        var flatNodes: [Node] = []
        var flatEdges: [Edge] = []
        var pool: [UInt8] = []
        var flatTables: [Int32] = []
        var masks: [UInt16] = []
        func table(_ methods: [Int32]?) -> Int32 {
            guard let methods else { return -1 }
            flatTables += methods
            masks.append(RouteTable.mask(methods))
            return Int32(masks.count - 1)
        }
        for node in order {
            var flat = Node()
            flat.firstEdge = Int32(flatEdges.count)
            flat.edgeCount = Int32(node.literals.count)
            for (bytes, child) in node.literals {
                flatEdges.append(Edge(offset: Int32(pool.count), count: Int32(bytes.count), child: numbers[ObjectIdentifier(child)]!))
                pool += bytes
            }
            flat.parameterChild = node.parameter.map { numbers[ObjectIdentifier($0)]! } ?? -1
            flat.routes = table(node.routes)
            flat.catchAllRoutes = table(node.catchAll)
            flatNodes.append(flat)
        }

        nodes = .allocate(capacity: flatNodes.count)
        _ = nodes.initialize(from: flatNodes)
        edges = .allocate(capacity: max(flatEdges.count, 1))
        _ = edges.initialize(from: flatEdges)
        literals = .allocate(byteCount: max(pool.count, 1), alignment: 16)
        literals.copyBytes(from: pool)
        tables = .allocate(capacity: max(flatTables.count, 1))
        _ = tables.initialize(from: flatTables)
        tableMasks = masks
    }

    deinit {
        nodes.deallocate()
        edges.deallocate()
        literals.deallocate()
        tables.deallocate()
    }

    /// The `allow` of `OPTIONS *`: every routed method (HEAD with GET), or `GET, HEAD` without routes.
    static func allowValue(union methods: [HTTPRequest.Method]) -> String {
        var table = Array(repeating: Int32(-1), count: methodCount)
        for method in methods { table[Int(HTTP1.Method(method)!.rawValue)] = 0 }
        if methods.isEmpty { table[Int(HTTP1.Method.get.rawValue)] = 0 }
        return allowValue(mask: mask(table))
    }

    /// The methods a table answers, HEAD wherever GET is.
    private static func mask(_ methods: [Int32]) -> UInt16 {
        var mask: UInt16 = 0
        for (index, route) in methods.enumerated() where route >= 0 { mask |= 1 << index }
        if mask & HTTP1.Method.get.bit != 0 { mask |= HTTP1.Method.head.bit }
        return mask
    }

    /// `GET, HEAD, POST` for a method mask, in a fixed order.
    static func allowValue(mask: UInt16) -> String {
        HTTP1.Method.known.filter { mask & $0.bit != 0 }.map(\.name).joined(separator: ", ")
    }

    /// The route for `method` and `path`; captured values go to `parameters`
    /// as spans relative to `path`'s start, plus `base` (the path's offset in
    /// the request, so spans are relative to the request).
    func match(
        _ method: HTTP1.Method, _ path: UnsafeRawBufferPointer, parameters: UnsafeMutablePointer<ByteSpan>,
        base: Int = 0
    ) -> Match {
        guard method != .other else { return .notFound }
        var allowed: UInt16 = 0
        // An absolute-form target without a path means `/`: an empty first segment.
        if !path.isEmpty && path[0] != UInt8(ascii: "/") { return .notFound }
        let found = find(node: 0, path: path, from: path.isEmpty ? 0 : 1, method: method,
                         parameters: parameters, captured: 0, allowed: &allowed)
        if let found, base != 0 {
            for index in 0..<found.captured { parameters[index].offset &+= UInt32(truncatingIfNeeded: base) }
        }
        if let found { return .route(Int(found.route), parameterCount: found.captured) }
        return allowed != 0 ? .methodNotAllowed(allowed: allowed) : .notFound
    }

    /// The route for `method` in table `table`: HEAD falls back to GET.
    @inline(__always)
    private func route(in table: Int32, _ method: HTTP1.Method) -> Int32 {
        let base = Int(table) * RouteTable.methodCount
        let route = tables[base + Int(method.rawValue)]
        if route < 0 && method == .head { return tables[base + Int(HTTP1.Method.get.rawValue)] }
        return route
    }

    /// Matches the segment starting at `from` (just after a `/`) against
    /// `node`'s edges. Without a route for the method it keeps searching
    /// every branch, so `allowed` gathers the methods of each pattern that fits.
    private func find(
        node index: Int32, path: UnsafeRawBufferPointer, from: Int, method: HTTP1.Method,
        parameters: UnsafeMutablePointer<ByteSpan>, captured: Int, allowed: inout UInt16
    ) -> (route: Int32, captured: Int)? {
        let node = nodes[Int(index)]
        var end = from
        while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
        let isLast = end == path.count
        let length = end - from

        // The segment at `from` ends the path here if `isLast`; otherwise go deeper.
        for edgeIndex in Int(node.firstEdge)..<Int(node.firstEdge + node.edgeCount) {
            let edge = edges[edgeIndex]
            guard Int(edge.count) == length,
                  length == 0 || memcmp(literals.baseAddress! + Int(edge.offset), path.baseAddress! + from, length) == 0
            else { continue }
            if let found = descend(edge.child, path, end, isLast, method, parameters, captured, &allowed) {
                return found
            }
            break  // literals are unique per node
        }
        if node.parameterChild >= 0 && length > 0 && captured < RouteTable.maxParameters {
            parameters[captured] = ByteSpan(offset: from, count: length)
            if let found = descend(node.parameterChild, path, end, isLast, method, parameters, captured + 1, &allowed) {
                return found
            }
        }
        if node.catchAllRoutes >= 0 {
            let route = self.route(in: node.catchAllRoutes, method)
            if route >= 0 {
                parameters[captured] = ByteSpan(offset: from, count: path.count - from)
                return (route, captured + 1)
            }
            allowed |= tableMasks[Int(node.catchAllRoutes)]
        }
        return nil
    }

    @inline(__always)
    private func descend(
        _ child: Int32, _ path: UnsafeRawBufferPointer, _ end: Int, _ isLast: Bool, _ method: HTTP1.Method,
        _ parameters: UnsafeMutablePointer<ByteSpan>, _ captured: Int, _ allowed: inout UInt16
    ) -> (route: Int32, captured: Int)? {
        if !isLast {
            return find(node: child, path: path, from: end + 1, method: method,
                        parameters: parameters, captured: captured, allowed: &allowed)
        }
        let table = nodes[Int(child)].routes
        if table >= 0 {
            let route = self.route(in: table, method)
            if route >= 0 { return (route, captured) }
            allowed |= tableMasks[Int(table)]
        }
        return nil
    }
}
