import HTTPTypes
import Testing

@testable import Ringside

/// Groups as the router records them: each route's full path, its groups' middleware in order, and
/// prebuilt answers behind middleware turned into handlers.
struct RouterGroupTests {
    struct Named: Middleware {
        let name: String
        func handle(
            _ request: borrowing Request, next: (borrowing Request) async throws -> Response
        ) async throws -> Response { try await next(request) }
    }

    private func names(_ route: Router.Route) -> [String] {
        route.middleware.map { ($0 as! Named).name }
    }

    @Test func prefixesJoinPaths() {
        var router = Router()
        router.group("/api") { api in
            api.get("") { _ in Response(text: "") }
            api.get("/") { _ in Response(text: "") }
            api.get("/users/:id") { _ in Response(text: "") }
            api.group("/v2/") { v2 in  // a trailing slash on a prefix is dropped
                v2.get("/items") { _ in Response(text: "") }
            }
        }
        router.get("/after") { _ in Response(text: "") }
        #expect(router.routes.map { "\($0.pattern)" } == ["/api", "/api/", "/api/users/:id", "/api/v2/items", "/after"])
    }

    @Test func middlewareNestsOutermostFirst() {
        var router = Router()
        router.get("/plain") { _ in Response(text: "") }
        router.group("/a", middleware: Named(name: "a1"), Named(name: "a2")) { a in
            a.get("/x") { _ in Response(text: "") }
            a.group(middleware: Named(name: "b")) { b in
                b.get("/y") { _ in Response(text: "") }
            }
            a.group("/c") { c in c.get("/z") { _ in Response(text: "") } }
        }
        #expect(router.routes.map(names) == [[], ["a1", "a2"], ["a1", "a2", "b"], ["a1", "a2"]])
        #expect(router.middleware.isEmpty, "a group's middleware is not the router's")
    }

    @Test func prebuiltBehindMiddlewareIsAHandler() {
        var router = Router()
        let open = StaticResponse(body: "open")
        let guarded = StaticResponse(body: "guarded")
        router.group("/free") { free in free.get("/page", open) }
        router.group("/private", middleware: Named(name: "auth")) { secure in secure.get("/page", guarded) }
        guard case .prebuilt = router.routes[0].action else {
            Issue.record("a group without middleware keeps its prebuilt route")
            return
        }
        guard case .sync = router.routes[1].action else {
            Issue.record("a prebuilt route behind middleware must run through it")
            return
        }
        #expect(router.prebuilt.contains { $0 === guarded }, "its bytes are still laid out once")
    }
}
