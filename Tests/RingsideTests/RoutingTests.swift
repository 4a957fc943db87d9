import Testing

/// Routing through real sockets: parameters, catch-alls, priorities, 404,
/// 405 with `allow`, HEAD answered from GET.
@Suite(.serialized)
struct RoutingTests {
    @Test(arguments: engines)
    func parametersAreCaptured(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let user = try client.exchange("GET", "/users/42")
            #expect(user.status == 200)
            #expect(user.bodyText == #"{"id":42,"name":"user"}"#)
            #expect(user.header("content-type") == "application/json")

            let post = try client.exchange("GET", "/users/7/posts/abc%20d")
            #expect(post.status == 200)
            #expect(post.bodyText == "7/abc d", "parameters are percent-decoded")
        }
    }

    @Test(arguments: engines)
    func literalSegmentBeatsParameter(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/users/me").bodyText == "me")
            #expect(try client.exchange("GET", "/users/mex").status == 400, "mex is not an Int id")
        }
    }

    @Test(arguments: engines)
    func catchAllTakesTheRest(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/files/a/b/c.txt").bodyText == "file:a/b/c.txt")
            #expect(try client.exchange("GET", "/files/").bodyText == "file:")
            check404(try client.exchange("GET", "/files"), context: "/files has no trailing segment")
        }
    }

    @Test(arguments: engines)
    func unknownPathsAre404(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            for path in ["/nope", "/users", "/users/1/posts", "/users/1/posts/2/extra", "/static/", "/Static"] {
                check404(try client.exchange("GET", path), context: path)
            }
        }
    }

    @Test(arguments: engines)
    func knownPathsUnderOtherMethodsAre405WithAllow(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let patch = try client.exchange("PATCH", "/users/5", body: "")
            #expect(patch.status == 405)
            #expect(patch.header("allow") == "GET, HEAD, PUT, DELETE")
            #expect(patch.bodyText == #"{"error":"Method Not Allowed","status":405}"#)
            // `/users/me` is a GET literal; for DELETE the matcher falls through to `/users/:id`.
            #expect(try client.exchange("DELETE", "/users/me").status == 204)

            let put = try client.exchange("PUT", "/users/5", body: "")
            #expect(put.status == 200)
            #expect(put.bodyText == "put 5")

            let post = try client.exchange("POST", "/static", body: "x")
            #expect(post.status == 405)
            #expect(post.header("allow") == "GET, HEAD")
            #expect(try client.exchange("GET", "/static").bodyText == "static", "connection still in sync")
        }
    }

    @Test(arguments: engines)
    func headIsAnsweredFromGetWithoutBody(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let get = try client.exchange("GET", "/users/9")
            let head = try client.exchange("HEAD", "/users/9", bodyExpected: false)
            #expect(head.status == 200)
            #expect(head.header("content-length") == String(get.body.count))
            #expect(head.body.isEmpty)
            // Nothing extra arrived after the head: the next response parses.
            #expect(try client.exchange("GET", "/users/me").bodyText == "me")
        }
    }

    @Test(arguments: engines)
    func optionsStarListsRoutedMethods(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let options = try client.exchange("OPTIONS", "*")
            #expect(options.status == 200)
            #expect(options.header("allow") == "GET, HEAD, POST, PUT, DELETE")
        }
    }
}
