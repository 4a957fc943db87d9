import Testing

/// Handlers that throw: 500 with a JSON body and one log line, or the
/// status an `HTTPError` names; the connection and the server carry on.
@Suite(.serialized)
struct HandlerErrorTests {
    @Test(arguments: engines)
    func throwingHandlerGets500AndOneLogLine(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            for path in ["/throw", "/async/throw"] {
                let response = try client.exchange("GET", path)
                #expect(response.status == 500)
                #expect(response.header("content-type") == "application/json")
                #expect(response.bodyText == #"{"error":"Internal Server Error","status":500}"#)
            }
            #expect(try client.exchange("GET", "/users/me").bodyText == "me", "the connection stays usable")
            pause(0.1)
            let lines = server.stderr.split(separator: "\n").filter { $0.contains("handler threw") }
            #expect(lines.count == 2, "\(server.stderrTail)")
            #expect(lines.first?.contains("path=/throw") == true)
            #expect(lines.first?.contains("Boom") == true)
        }
    }

    @Test(arguments: engines)
    func handlerIsCancelledWhenItsClientLeaves(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let leaving = try RawClient(port: server.port)
            try leaving.send(RawClient.request("GET", "/async/cancellable"))
            pause(0.2)
            leaving.resetConnection()
            pause(0.3)
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/stats/cancelled").bodyText == "1")
            #expect(!server.stderr.contains("handler threw"), "a cancelled handler of a gone client is not an error")
        }
    }

    @Test(arguments: engines)
    func slowHandlerTimesOutWith503AndIsCancelled(engine: String) async throws {
        try await withAPIServer(engine: engine, extraArguments: ["--handler-timeout", "1", "--offload-threads", "1"]) { server in
            let client = try RawClient(port: server.port)
            let started = monotonicSeconds()
            let response = try client.exchange("GET", "/async/cancellable")
            let waited = monotonicSeconds() - started
            #expect(response.status == 503)
            #expect(response.bodyText == #"{"error":"Service Unavailable","status":503}"#)
            #expect(saysConnectionClose(response))
            #expect(client.isClosedByPeer())
            #expect(waited >= 1 && waited < 3, "answered after \(waited) s with a 1 s handler timeout")
            pause(0.1)
            #expect(try RawClient(port: server.port).exchange("GET", "/stats/cancelled").bodyText == "1")

            // An offloaded handler cannot be stopped, but its connection is answered on time.
            let offloaded = try RawClient(port: server.port)
            let slow = try offloaded.exchange("GET", "/offload?ms=2500")
            #expect(slow.status == 503)
            #expect(server.stderr.contains("handler timed out"))
        }
    }

    @Test(arguments: engines)
    func httpErrorChoosesTheStatus(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let response = try client.exchange("GET", "/forbidden")
            #expect(response.status == 403)
            #expect(response.bodyText == #"{"error":"not for you","status":403}"#)
            #expect(!server.stderr.contains("handler threw"), "HTTPError is an answer, not a failure")
        }
    }
}
