// The routes of the server the handler API tests run: one route per feature
// of the library's handler API. A library, so that tests serve it in process
// (RingsideTesting) as well as through the APIServer binary.
import CoreMetrics
public import Ringside
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

struct User: Codable {
    var id: Int
    var name: String
}

/// Adds `x-middleware` to every handler's response and answers /blocked itself.
struct TagMiddleware: Middleware {
    func handle(
        _ request: borrowing Request, next: (borrowing Request) async throws -> Response
    ) async throws -> Response {
        if request.path == "/blocked" { return Response(status: .forbidden, text: "blocked by middleware") }
        var response = try await next(request)
        response.headerFields[HTTPField.Name("x-middleware")!] = "seen"
        return response
    }
}

struct Boom: Error {}

func busy(milliseconds: Int) {
    var until = timespec()
    clock_gettime(CLOCK_MONOTONIC, &until)
    let end = Double(until.tv_sec) + Double(until.tv_nsec) / 1e9 + Double(milliseconds) / 1000
    var now = until
    repeat {
        clock_gettime(CLOCK_MONOTONIC, &now)
    } while Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 < end
}

/// What the handlers count, one per router (so routers tested side by side count apart).
final class APICounters: Sendable {
    /// Handlers cancelled because their client left (see /async/cancellable).
    let cancelledHandlers = Atomic<Int>(0)
    /// Offloaded work that ran (see /offload and /offload/explicit).
    let offloadedRuns = Atomic<Int>(0)
}

/// What the API server is started with.
public struct APIOptions: Sendable {
    /// Every handler's answer passes `TagMiddleware` (`x-middleware: seen`, /blocked answered by it).
    public var middleware: Bool
    /// The upstream the /client routes call (127.0.0.1); nil: this server itself.
    public var upstreamPort: Int?

    public init(middleware: Bool = false, upstreamPort: Int? = nil) {
        self.middleware = middleware
        self.upstreamPort = upstreamPort
    }
}

/// Every route of the API server.
public func apiRouter(_ options: APIOptions = APIOptions()) -> Router {
    let counters = APICounters()
    var router = Router()
    let hello = router.prebuild(StaticResponse(contentType: "text/plain", body: "prebuilt from a handler"))

    router.get("/static", StaticResponse(body: "static"))
    // A prebuilt answer sent after `ms` milliseconds from the worker's timers (no task).
    let late = router.prebuild(StaticResponse(contentType: "text/plain", body: "late"))
    router.get("/later") { request in
        Response(late, after: .milliseconds(Int(request.queryItem("ms") ?? "") ?? 100))
    }
    router.get("/users/me") { _ in Response(text: "me") }
    router.get("/users/:id") { request in
        try Response(json: User(id: try request.parameters.require("id", as: Int.self), name: "user"))
    }
    router.put("/users/:id") { request in Response(text: "put \(request.parameters["id"]!)") }
    router.get("/users/:id/posts/:post") { request in
        Response(text: "\(request.parameters["id"]!)/\(request.parameters["post"]!)")
    }
    router.get("/files/*") { request in Response(text: "file:\(request.parameters.catchAll ?? "nil")") }
    router.post("/echo") { request in
        Response(
            headerFields: [.contentType: request.headers[.contentType] ?? "application/octet-stream"],
            bytes: request.body)
    }
    router.post("/json") { request in
        let user = try request.decode(User.self)
        return try Response(status: .created, json: User(id: user.id + 1, name: user.name.uppercased()))
    }
    router.get("/headers") { request in
        let values = request.headers[values: HTTPField.Name("x-test")!].joined(separator: "|")
        return Response(text: "count=\(request.headers.count) x-test=\(values) has-accept=\(request.headers.contains(.accept))")
    }
    router.get("/query") { request in
        Response(text: "q=\(request.queryItem("q") ?? "nil") raw=\(request.query ?? "nil") items=\(request.queryItems.count)")
    }
    router.get("/remote") { request in Response(text: request.remoteAddress?.host ?? "unknown") }
    router.get("/interop") { request in
        let converted = request.httpRequest
        return Response(text: "\(converted.method) \(converted.path ?? "") \(converted.authority ?? "") \(converted.headerFields.count)")
    }
    router.get("/prebuilt") { _ in Response(hello) }
    router.delete("/users/:id") { _ in Response(status: .noContent, text: "ignored") }
    router.get("/throw") { _ in throw Boom() }
    router.get("/forbidden") { _ in throw HTTPError(.forbidden, message: "not for you") }
    router.get("/blocked") { _ in Response(text: "handler ran") }

    router.get("/async") { request in
        await Task.yield()
        return Response(text: "async \(request.queryItem("n") ?? "")")
    }
    router.get("/async/sleep") { request in
        let milliseconds = Int(request.queryItem("ms") ?? "") ?? 10
        try await Task.sleep(for: .milliseconds(milliseconds))
        return Response(text: "slept \(milliseconds)")
    }
    router.get("/async/worker-sleep") { request in
        let milliseconds = Int(request.queryItem("ms") ?? "") ?? 10
        let before = pthread_self()
        try await Task.sleep(for: .milliseconds(milliseconds), clock: .worker)
        let thread = pthread_equal(before, pthread_self()) != 0 ? "same thread" : "another thread"
        return Response(text: "slept \(milliseconds) on the \(thread)")
    }
    router.get("/async/cancellable") { _ in
        do {
            try await Task.sleep(for: .seconds(10))
        } catch is CancellationError {
            counters.cancelledHandlers.add(1, ordering: .relaxed)
            throw CancellationError()
        }
        return Response(text: "not cancelled")
    }
    router.get("/stats/cancelled") { _ in Response(text: "\(counters.cancelledHandlers.load(ordering: .relaxed))") }
    router.post("/async/echo") { request in
        await Task.yield()
        return Response(bytes: request.body)
    }
    router.get("/async/throw") { _ in
        await Task.yield()
        throw Boom()
    }
    router.get("/offload", offload: true) { request in
        counters.offloadedRuns.add(1, ordering: .relaxed)
        busy(milliseconds: Int(request.queryItem("ms") ?? "") ?? 1)
        return Response(text: "offloaded")
    }
    router.get("/offload/explicit") { request in
        let milliseconds = Int(request.queryItem("ms") ?? "") ?? 1
        let value = try await offload {
            counters.offloadedRuns.add(1, ordering: .relaxed)
            busy(milliseconds: milliseconds)
            return 42
        }
        return Response(text: "explicit \(value)")
    }
    router.get("/stats/offloaded") { _ in Response(text: "\(counters.offloadedRuns.load(ordering: .relaxed))") }
    router.get("/stream") { request in
        let chunks = Int(request.queryItem("chunks") ?? "") ?? 3
        let size = Int(request.queryItem("size") ?? "") ?? 5
        return Response(headerFields: [.contentType: "text/plain"]) { writer in
            for index in 0..<chunks {
                try await writer.write([UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size))
            }
        }
    }

    // Users' own metrics and request ids.
    router.get("/widgets") { request in
        Counter(label: "api_widgets_total", dimensions: [("kind", request.queryItem("kind") ?? "plain")]).increment()
        return Response(text: "counted")
    }
    router.get("/request-id") { request in
        request.logger.notice("request id seen")
        return Response(text: request.requestID ?? "none")
    }
    router.get("/async/request-id") { request in
        await Task.yield()
        return Response(text: request.requestID ?? "none")
    }
    router.post("/request-id") { request in Response(text: "\(request.requestID ?? "none") \(request.bodyCount)") }
    addClientRoutes(to: &router, upstreamPort: options.upstreamPort)
    addGroupRoutes(to: &router)
    addGeneratorRoutes(to: &router)
    if options.middleware { router.add(middleware: TagMiddleware()) }
    return router
}
