import APIRoutes
import Testing

extension InProcess {
    /// Routing, in process: parameters, catch-alls, priorities, 404,
    /// 405 with `allow`, HEAD answered from GET.
    @Suite
    struct RoutingTests {
        @Test
        func parametersAreCaptured() async throws {
            try await withAPIRouter { client async throws in
                let user = try await client.exchange("GET", "/users/42")
                #expect(user.status == 200)
                #expect(user.bodyText == #"{"id":42,"name":"user"}"#)
                #expect(user.header("content-type") == "application/json")

                let post = try await client.exchange("GET", "/users/7/posts/abc%20d")
                #expect(post.status == 200)
                #expect(post.bodyText == "7/abc d", "parameters are percent-decoded")
            }
        }

        @Test
        func literalSegmentBeatsParameter() async throws {
            try await withAPIRouter { client async throws in
                #expect(try await client.exchange("GET", "/users/me").bodyText == "me")
                #expect(try await client.exchange("GET", "/users/mex").status == 400, "mex is not an Int id")
            }
        }

        @Test
        func catchAllTakesTheRest() async throws {
            try await withAPIRouter { client async throws in
                #expect(try await client.exchange("GET", "/files/a/b/c.txt").bodyText == "file:a/b/c.txt")
                #expect(try await client.exchange("GET", "/files/").bodyText == "file:")
                check404(try await client.exchange("GET", "/files"), context: "/files has no trailing segment")
            }
        }

        @Test
        func unknownPathsAre404() async throws {
            try await withAPIRouter { client async throws in
                for path in ["/nope", "/users", "/users/1/posts", "/users/1/posts/2/extra", "/static/", "/Static"] {
                    check404(try await client.exchange("GET", path), context: path)
                }
            }
        }

        @Test
        func knownPathsUnderOtherMethodsAre405WithAllow() async throws {
            try await withAPIRouter { client async throws in
                let patch = try await client.exchange("PATCH", "/users/5", body: "")
                #expect(patch.status == 405)
                #expect(patch.header("allow") == "GET, HEAD, PUT, DELETE")
                #expect(patch.bodyText == #"{"error":"Method Not Allowed","status":405}"#)
                // `/users/me` is a GET literal; for DELETE the matcher falls through to `/users/:id`.
                #expect(try await client.exchange("DELETE", "/users/me").status == 204)

                let put = try await client.exchange("PUT", "/users/5", body: "")
                #expect(put.status == 200)
                #expect(put.bodyText == "put 5")

                let post = try await client.exchange("POST", "/static", body: "x")
                #expect(post.status == 405)
                #expect(post.header("allow") == "GET, HEAD")
                #expect(try await client.exchange("GET", "/static").bodyText == "static", "connection still in sync")
            }
        }

        @Test
        func headIsAnsweredFromGetWithoutBody() async throws {
            try await withAPIRouter { client async throws in
                let get = try await client.exchange("GET", "/users/9")
                let head = try await client.exchange("HEAD", "/users/9", bodyExpected: false)
                #expect(head.status == 200)
                #expect(head.header("content-length") == String(get.body.count))
                #expect(head.body.isEmpty)
                // Nothing extra arrived after the head: the next response parses.
                #expect(try await client.exchange("GET", "/users/me").bodyText == "me")
            }
        }

        @Test
        func optionsStarListsRoutedMethods() async throws {
            try await withAPIRouter { client async throws in
                let options = try await client.exchange("OPTIONS", "*")
                #expect(options.status == 200)
                #expect(options.header("allow") == "GET, HEAD, POST, PUT, DELETE")
            }
        }
    }
}
