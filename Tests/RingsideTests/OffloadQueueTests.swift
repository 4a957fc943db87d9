import Testing

/// The offload pool's queue is bounded: when it is full the server answers
/// 503 with `retry-after` at once, and serves again once it drains.
@Suite(.serialized)
struct OffloadQueueTests {
    @Test(arguments: engines)
    func fullQueueAnswers503ThenDrains(engine: String) async throws {
        // One thread, two queue places: three requests fit, the rest are refused.
        try await withAPIServer(engine: engine, extraArguments: ["--offload-threads", "1", "--offload-queue", "2"]) { server in
            let clients = try (0..<6).map { _ in try RawClient(port: server.port) }
            for client in clients.prefix(3) {
                try client.send(RawClient.request("GET", "/offload?ms=300"))
                pause(0.02)  // in order: the first is running, two wait
            }
            for client in clients.dropFirst(3) {
                let refused = try client.exchange("GET", "/offload?ms=300")
                #expect(refused.status == 503)
                #expect(refused.header("retry-after") == "1")
                #expect(refused.bodyText == #"{"error":"Service Unavailable","status":503}"#)
            }
            // The explicit form is refused the same way while the queue is full.
            #expect(try clients[5].exchange("GET", "/offload/explicit").status == 503)
            for client in clients.prefix(3) {
                #expect(try client.readResponse().bodyText == "offloaded")
            }
            // Drained: the refused clients (still connected) are served now.
            for client in clients.dropFirst(3) {
                #expect(try client.exchange("GET", "/offload?ms=1").bodyText == "offloaded")
            }
        }
    }

    @Test("Offloaded work still queued when its client leaves never runs",
          arguments: engines, ["/offload", "/offload/explicit"])
    func queuedWorkOfAGoneClientDoesNotRun(engine: String, route: String) async throws {
        try await withAPIServer(engine: engine, extraArguments: ["--offload-threads", "1"]) { server in
            let busy = try RawClient(port: server.port)
            try busy.send(RawClient.request("GET", "/offload/explicit?ms=800"))  // holds the one thread
            pause(0.1)
            let leaving = try RawClient(port: server.port)
            try leaving.send(RawClient.request("GET", "\(route)?ms=1"))  // queued behind it
            pause(0.1)
            leaving.resetConnection()  // its handler is cancelled while its work waits
            #expect(try busy.readResponse().bodyText == "explicit 42")
            pause(0.2)
            let runs = try RawClient(port: server.port).exchange("GET", "/stats/offloaded").bodyText
            #expect(runs == "1", "the gone client's queued work ran anyway")
        }
    }
}
