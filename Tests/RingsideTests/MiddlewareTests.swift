import Testing

/// Middleware wraps every handler kind, may answer by itself, and leaves
/// prebuilt routes and the server's own error answers alone.
@Suite(.serialized)
struct MiddlewareTests {
    @Test(arguments: engines)
    func middlewareWrapsHandlers(engine: String) throws {
        try withAPIServer(engine: engine, extraArguments: ["--middleware"]) { server in
            let client = try RawClient(port: server.port)
            for path in ["/users/me", "/async?n=1", "/offload", "/stream?chunks=1&size=1"] {
                let response = try client.exchange("GET", path)
                #expect(response.status == 200, "\(path)")
                #expect(response.header("x-middleware") == "seen", "\(path)")
            }
            let blocked = try client.exchange("GET", "/blocked")
            #expect(blocked.status == 403)
            #expect(blocked.bodyText == "blocked by middleware")
            #expect(try client.exchange("GET", "/static").header("x-middleware") == nil)
            #expect(try client.exchange("GET", "/nope").header("x-middleware") == nil)
        }
    }

    @Test(arguments: engines)
    func withoutMiddlewareNothingIsAdded(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/users/me").header("x-middleware") == nil)
            #expect(try client.exchange("GET", "/blocked").bodyText == "handler ran")
        }
    }
}
