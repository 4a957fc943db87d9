import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Every response a worker answers from laid-out bytes, and how to find one.
///
/// In ``PrebuiltResponses`` order: the server's own answers (`ID`), a 405 per
/// distinct method set of the route trie, then every response the router
/// knows (routes' own, ``Router/prebuild(_:)``, the server's answers on a
/// handler's behalf). Lookups are array reads: nothing allocates per request.
struct ResponseCatalog: ~Copyable {
    private(set) var responses: PrebuiltResponses
    /// Per route: its prebuilt response index, or -1 for a handler route.
    private let routeResponses: UnsafeMutableBufferPointer<Int32>
    /// Prebuilt index by `StaticResponse.id` (-1: not laid out here).
    private let byID: UnsafeMutableBufferPointer<Int32>
    /// Prebuilt 405s, one per method set, from `methodNotAllowedBase` on, in `methodNotAllowedMasks` order.
    private let methodNotAllowedBase: Int
    private let methodNotAllowedMasks: [UInt16]
    /// The readiness check's route (-1: none) and its answer while not ready.
    let readinessRoute: Int
    let notReady: Int

    init(router: Router, routes: borrowing RouteTable, serverHeaders: [(name: String, value: String)]) {
        let allMethods = RouteTable.allowValue(union: router.routes.map(\.method))
        var prebuilt = PrebuiltResponses.ID.allCases.map { $0.response(allow: allMethods) }
        methodNotAllowedBase = prebuilt.count
        var masks: [UInt16] = []
        for mask in routes.tableMasks where !masks.contains(mask) { masks.append(mask) }
        methodNotAllowedMasks = masks
        prebuilt += masks.map {
            StaticResponse.jsonError(.methodNotAllowed, headerFields: [.allow: RouteTable.allowValue(mask: $0)])
        }
        let known = router.prebuilt + [ServerResponses.serviceUnavailable, ServerResponses.internalServerError]
        let maxID = known.map(\.id).max() ?? 0
        byID = .allocate(capacity: maxID + 1)
        byID.initialize(repeating: -1)
        for response in known where byID[response.id] < 0 {
            byID[response.id] = Int32(prebuilt.count)
            prebuilt.append(response)
        }
        routeResponses = .allocate(capacity: max(router.routes.count, 1))
        routeResponses.initialize(repeating: -1)
        for (index, route) in router.routes.enumerated() {
            if case .prebuilt(let response) = route.action { routeResponses[index] = byID[response.id] }
        }
        readinessRoute = router.readinessCheck?.route ?? -1
        if let check = router.readinessCheck { notReady = Int(byID[check.notReady.id]) } else { notReady = -1 }
        responses = PrebuiltResponses(prebuilt, serverHeaders: serverHeaders, now: WallClock.seconds)
    }

    deinit {
        routeResponses.deallocate()
        byID.deallocate()
    }

    /// The bytes of prebuilt response `index` as `framing` asks.
    @inline(__always)
    func bytes(_ index: Int, _ framing: ResponseFraming) -> UnsafeRawBufferPointer {
        responses.bytes(index, framing.variant, headOnly: framing.headOnly)
    }

    /// Where the head of prebuilt response `index` ends (after its empty line), as `framing` asks.
    @inline(__always)
    func headLength(_ index: Int, _ framing: ResponseFraming) -> Int {
        responses.headLength(index, framing.variant)
    }

    /// The status code of prebuilt response `index`.
    @inline(__always)
    func status(_ index: Int) -> Int { responses.status(index) }

    /// Route `route`'s prebuilt response, or nil for a handler route.
    @inline(__always)
    func response(ofRoute route: Int) -> Int? {
        let index = routeResponses[route]
        return index >= 0 ? Int(index) : nil
    }

    /// The prebuilt index of `response`, or nil when this worker did not lay it out.
    @inline(__always)
    func index(of response: StaticResponse) -> Int? {
        let id = response.id
        guard id < byID.count else { return nil }
        let index = byID[id]
        return index >= 0 ? Int(index) : nil
    }

    /// The prebuilt 405 for methods `allowed`, or nil for a set no method table has.
    @inline(__always)
    func methodNotAllowed(_ allowed: UInt16) -> Int? {
        methodNotAllowedMasks.firstIndex(of: allowed).map { methodNotAllowedBase + $0 }
    }

    /// The current 29-byte date, for responses encoded per request.
    var date: UnsafeRawBufferPointer { responses.date }

    /// Rewrites every date when the second changed.
    mutating func refreshDate(now: Int) { responses.refreshDate(now: now) }
}
