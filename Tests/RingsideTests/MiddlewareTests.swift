import APIRoutes
import Testing

extension InProcess {
    /// Middleware wraps every handler kind, may answer by itself, and leaves
    /// prebuilt routes and the server's own error answers alone.
    @Suite
    struct MiddlewareTests {
        @Test
        func middlewareWrapsHandlers() async throws {
            try await withAPIRouter(APIOptions(middleware: true)) { client async throws in
                for path in ["/users/me", "/async?n=1", "/offload", "/stream?chunks=1&size=1"] {
                    let response = try await client.exchange("GET", path)
                    #expect(response.status == 200, "\(path)")
                    #expect(response.header("x-middleware") == "seen", "\(path)")
                }
                let blocked = try await client.exchange("GET", "/blocked")
                #expect(blocked.status == 403)
                #expect(blocked.bodyText == "blocked by middleware")
                #expect(try await client.exchange("GET", "/static").header("x-middleware") == nil)
                #expect(try await client.exchange("GET", "/nope").header("x-middleware") == nil)
            }
        }

        @Test
        func withoutMiddlewareNothingIsAdded() async throws {
            try await withAPIRouter { client async throws in
                #expect(try await client.exchange("GET", "/users/me").header("x-middleware") == nil)
                #expect(try await client.exchange("GET", "/blocked").bodyText == "handler ran")
            }
        }

        @Test("Route groups: a prefix, middleware of their own, nested; the request context carries what middleware found")
        func groupsAndContext() async throws {
            try await withAPIRouter { client async throws in
                let denied = try await client.exchange("GET", "/api/me")
                #expect(denied.status == 401 && denied.bodyText.contains("who are you?"))
                // Every handler kind sees the caller Authentication put in the context.
                for (path, expected) in [("/api/me", "sync: bob"), ("/api/me/async", "async: bob"), ("/api/me/offload", "offload: bob"),
                                         ("/api", "api root")] {
                    let response = try await client.exchange("GET", path, headers: ["x-user: bob"])
                    #expect(response.status == 200 && response.bodyText == expected, "\(path): \(response.status) \(response.bodyText)")
                    #expect(response.values(of: "x-passed") == ["auth"], "\(path)")
                }
                // A prebuilt answer in the group is guarded too, and still its prebuilt bytes.
                #expect(try await client.exchange("GET", "/api/prebuilt").status == 401)
                let prebuilt = try await client.exchange("GET", "/api/prebuilt", headers: ["x-user: bob"])
                #expect(prebuilt.bodyText == "prebuilt behind auth" && prebuilt.values(of: "x-passed") == ["auth"])
                // The nested group: the outer middleware first, then the inner.
                #expect(try await client.exchange("DELETE", "/api/admin/users/7", headers: ["x-user: bob"]).status == 403)
                let deleted = try await client.exchange("DELETE", "/api/admin/users/7", headers: ["x-user: admin"])
                #expect(deleted.status == 200 && deleted.bodyText == "deleted 7 by admin")
                #expect(deleted.values(of: "x-passed") == ["admin", "auth"], "the inner middleware answers first on the way out")
                // Outside the groups: none of their middleware, an empty context.
                let outside = try await client.exchange("GET", "/outside/me", headers: ["x-user: bob"])
                #expect(outside.bodyText == "outside: nobody" && outside.values(of: "x-passed").isEmpty)
                #expect(try await client.exchange("GET", "/me", headers: ["x-user: bob"]).status == 404, "the prefix is part of the path")
            }
        }

        @Test("The router's own middleware wraps the groups' (outermost)")
        func routerMiddlewareWrapsGroups() async throws {
            try await withAPIRouter(APIOptions(middleware: true)) { client async throws in
                let response = try await client.exchange("GET", "/api/me", headers: ["x-user: carol"])
                #expect(response.bodyText == "sync: carol")
                #expect(response.header("x-middleware") == "seen" && response.values(of: "x-passed") == ["auth"])
                // Authentication's refusal is an error thrown through the router's middleware: its status.
                #expect(try await client.exchange("GET", "/api/me").status == 401)
            }
        }
    }
}
