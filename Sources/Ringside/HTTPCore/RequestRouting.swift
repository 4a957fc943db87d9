import HTTP1

/// Which route answers a parsed request head, and the request a handler
/// sees: the route table, the parameters it captured (in a buffer reused
/// for every request) and their names, and the readiness check's state.
struct RequestRouting: ~Copyable {
    private let routes: RouteTable
    private let parameters: UnsafeMutablePointer<ByteSpan>
    /// Per route: its parameters' names.
    let parameterNames: [[String]]
    /// Whether the server is ready, for the readiness check's answer.
    private let readiness: Readiness

    init(routes: consuming RouteTable, router: Router, readiness: Readiness) {
        self.routes = routes
        parameters = .allocate(capacity: RouteTable.maxParameters)
        parameterNames = router.routes.map(\.pattern.parameterNames)
        self.readiness = readiness
    }

    deinit { parameters.deallocate() }

    enum Decision {
        /// Send prebuilt response `index` of the catalog; `route` matched (-1: none did).
        case prebuilt(Int, route: Int)
        /// Run route `route`'s handler; `parameterCount` values were captured.
        case handler(route: Int, parameterCount: Int)
        /// 405 for a method set no prebuilt answer has.
        case methodNotAllowed(UInt16)
    }

    /// What answers `head`; captured parameters are kept, relative to `request`, for ``parts(_:_:route:parameterCount:fields:socket:)``.
    @inline(__always)
    func decide(_ request: UnsafeRawBufferPointer, _ head: RequestHead, _ catalog: borrowing ResponseCatalog) -> Decision {
        switch head.method {
        case .other:
            return .prebuilt(PrebuiltResponses.ID.notImplemented.rawValue, route: -1)
        case .options where head.target.count == 1 && request[head.target.start] == UInt8(ascii: "*"):
            return .prebuilt(PrebuiltResponses.ID.options.rawValue, route: -1)
        default:
            let path = UnsafeRawBufferPointer(rebasing: request[head.path.start..<head.path.end])
            switch routes.match(head.method, path, parameters: parameters, base: head.path.start) {
            case .route(let index, let parameterCount):
                if let response = catalog.response(ofRoute: index) {
                    if index == catalog.readinessRoute && !readiness.isReady {
                        return .prebuilt(catalog.notReady, route: index)
                    }
                    return .prebuilt(response, route: index)
                }
                return .handler(route: index, parameterCount: parameterCount)
            case .methodNotAllowed(let allowed):
                guard let index = catalog.methodNotAllowed(allowed) else { return .methodNotAllowed(allowed) }
                return .prebuilt(index, route: -1)
            case .notFound:
                return .prebuilt(PrebuiltResponses.ID.notFound.rawValue, route: -1)
            }
        }
    }

    /// `head` with the parameters just captured for `route`, as a handler's
    /// request over `request`'s bytes (body not included).
    func parts(
        _ request: UnsafeRawBufferPointer, _ head: RequestHead, route: Int, parameterCount: Int,
        fields: UnsafeMutableBufferPointer<HeaderField>, socket: Int32
    ) -> RequestParts {
        let hasQueryMark = head.path.end < head.target.end && request[head.path.end] == UInt8(ascii: "?")
        return RequestParts(
            base: request.baseAddress!, head: head, hasQueryMark: hasQueryMark,
            fields: UnsafeBufferPointer(start: fields.baseAddress, count: head.headerCount),
            parameters: UnsafeBufferPointer(start: parameters, count: parameterCount),
            parameterNames: parameterNames[route],
            body: UnsafeRawBufferPointer(start: nil, count: 0), socket: socket)
    }
}
