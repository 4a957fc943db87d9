import Testing

/// `GET /ping/`: `{"ping":"pong"}` after `--ping-delay`, on the worker's timers.
@Suite(.serialized)
struct PingTests {
    @Test(arguments: engines)
    func answersPongAfterTheDelay(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--ping-delay", "300"]) { server in
            let client = try RawClient(port: server.port)
            let start = monotonicSeconds()
            let response = try client.exchange("GET", "/ping/")
            let waited = monotonicSeconds() - start
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect(response.bodyText == #"{"ping":"pong"}"#)
            #expect(waited >= 0.3, "answered after \(waited) s, before the 300 ms delay")
            // Keep-alive, HEAD, and the other path spelling.
            let head = try client.exchange("HEAD", "/ping/", bodyExpected: false)
            #expect(head.status == 200 && head.body.isEmpty && head.header("content-length") == "15")
            check404(try client.exchange("GET", "/ping"))
        }
    }

    @Test(arguments: engines)
    func theWorkerServesOthersWhilePingsWait(engine: String) async throws {
        let avatar = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--ping-delay", "2000"]) { server in
            let waiting = try RawClient(port: server.port)
            try waiting.send(RawClient.request("GET", "/ping/"))
            pause(0.05)
            let other = try RawClient(port: server.port)
            checkAvatar(try other.exchange("GET", "/v1/avatar"), expected: avatar)
            #expect(!waiting.waitReadable(seconds: 0.2), "the ping answered long before its delay")
            #expect(try waiting.readResponse().bodyText == #"{"ping":"pong"}"#)
        }
    }

    @Test(arguments: engines)
    func aThousandPingsWaitAtOnce(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--ping-delay", "1000"]) { server in
            let clients = try (0..<1000).map { _ in try RawClient(port: server.port, timeoutSeconds: 20) }
            let start = monotonicSeconds()
            for client in clients { try client.send(RawClient.request("GET", "/ping/")) }
            var pongs = 0
            for client in clients where try client.readResponse().bodyText == #"{"ping":"pong"}"# { pongs += 1 }
            let elapsed = monotonicSeconds() - start
            #expect(pongs == 1000)
            // One after the other they would take 1000 s: they waited together.
            #expect(elapsed >= 1 && elapsed < 15, "1000 pings took \(elapsed) s")
        }
    }

    @Test(arguments: engines)
    func pipelinedPingsAnswerInOrderAndLeavingClientsCostNothing(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--ping-delay", "100"]) { server in
            // Clients that leave while their ping waits: the answer is dropped at its deadline.
            for _ in 0..<50 {
                let leaving = try RawClient(port: server.port)
                try leaving.send(RawClient.request("GET", "/ping/"))
                leaving.close()
            }
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/ping/") + RawClient.request("GET", "/v1/avatar") + RawClient.request("GET", "/ping/"))
            #expect(try client.readResponse().bodyText == #"{"ping":"pong"}"#)
            #expect(try client.readResponse().status == 200)
            #expect(try client.readResponse().bodyText == #"{"ping":"pong"}"#)
            pause(0.2)
            #expect(server.isRunning)
        }
    }
}
