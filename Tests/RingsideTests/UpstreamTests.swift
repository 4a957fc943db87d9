import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `GET /v1/user` against real upstreams: the server itself, a second
/// `ringside`, and upstreams that misbehave on purpose. Every failure must be
/// a precise status with a JSON body, and leak nothing: each misbehaviour runs
/// several times against a server with two outbound slots, so a slot or pool
/// place that leaked would turn the later answers into 503s, and the
/// descriptor count must come back to where it started.
@Suite struct UpstreamTests {
    /// `ringside serve` options pointing /v1/user at `port`, with short timeouts and two outbound slots.
    static func upstream(_ port: UInt16, timeout: String = "1", idle: String = "0.5", _ extra: [String] = []) -> [String] {
        ["--upstream", "http://127.0.0.1:\(port)", "--upstream-timeout", timeout, "--upstream-idle-timeout", idle,
         "--upstream-connections", "2", "--max-outbound-connections", "2"] + extra
    }

    static func getUser(_ server: ServerProcess, timeout: Int = 10) throws -> HTTPResponse {
        try getUser(port: server.port, timeout: timeout)
    }

    static func getUser(port: UInt16, timeout: Int = 10) throws -> HTTPResponse {
        let client = try RawClient(port: port, timeoutSeconds: timeout)
        try client.send(RawClient.request("GET", "/v1/user"))
        return try client.readResponse()
    }

    /// A JSON error answer with `status` whose message mentions `text`.
    static func expectError(_ response: HTTPResponse, _ status: Int, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(response.headSummary) \(response.bodyText)", sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
        #expect(response.bodyText.hasPrefix("{\"error\":") && response.bodyText.hasSuffix(",\"status\":\(status)}"),
                "\(response.bodyText)", sourceLocation: sourceLocation)
        #expect(response.bodyText.contains(text), "\(response.bodyText)", sourceLocation: sourceLocation)
    }

    /// Runs `body` against a server whose /v1/user calls `fake`; the server's
    /// descriptors must return to their count before the first call.
    static func against(
        _ fake: FakeUpstream, engine: String, timeout: String = "1", idle: String = "0.5", _ extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation, _ body: (ServerProcess) throws -> Void
    ) async throws {
        try await withServer(engine: engine, extraArguments: upstream(fake.port, timeout: timeout, idle: idle, extra)) { server in
            let baseline = try openDescriptorCount(server.pid)
            try body(server)
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline)
            #expect(count == baseline, "descriptors \(baseline) -> \(count)", sourceLocation: sourceLocation)
        }
    }

    /// Runs `body(0..<count)` each on a thread of its own, all at once, and waits for them.
    static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                body(index)
                group.leave()
            }
        }
        group.wait()
    }

    // MARK: Real upstreams

    @Test(arguments: engines)
    func fromItself(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, extraArguments: ["--upstream-idle-timeout", "0.5"]) { server in
            let baseline = try openDescriptorCount(server.pid)
            let client = try RawClient(port: server.port)
            for _ in 0..<5 {
                try client.send(RawClient.request("GET", "/v1/user"))
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("content-type") == "application/json")
                #expect(response.body == expected)
            }
            client.close()
            // Many at once: more calls than pooled connections wait in line and are all answered.
            let failures = Atomic<Int>(0)
            let port = server.port
            Self.concurrently(20) { _ in
                do {
                    let client = try RawClient(port: port)
                    for _ in 0..<10 {
                        try client.send(RawClient.request("GET", "/v1/user"))
                        let response = try client.readResponse()
                        if response.status != 200 || response.body != expected { failures.add(1, ordering: .relaxed) }
                    }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
            #expect(failures.load(ordering: .relaxed) == 0)
            // Pooled connections close once idle; then nothing is left open.
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline)
            #expect(count == baseline, "descriptors \(baseline) -> \(count)")
        }
    }

    @Test(arguments: engines)
    func fromSecondProcess(engine: String) async throws {
        let expected = try Fixtures.avatar()
        let avatarServer = try ServerProcess(engine: engine)
        try await withServer(engine: engine, extraArguments: Self.upstream(avatarServer.port)) { server in
            let baseline = try openDescriptorCount(server.pid)
            for _ in 0..<3 {
                let response = try Self.getUser(server)
                #expect(response.status == 200 && response.body == expected)
            }
            // The upstream goes away: refused, 502, and nothing leaks.
            #expect(avatarServer.stop() == .exited(0))
            for _ in 0..<5 { Self.expectError(try Self.getUser(server), 502, "connection failed") }
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline)
            #expect(count == baseline, "descriptors \(baseline) -> \(count)")
        }
    }

    // MARK: Misbehaving upstreams

    @Test(arguments: engines)
    func refused(engine: String) async throws {
        let port = try FakeUpstream.refusedPort()
        try await withServer(engine: engine, extraArguments: Self.upstream(port)) { server in
            let baseline = try openDescriptorCount(server.pid)
            for _ in 0..<5 { Self.expectError(try Self.getUser(server), 502, "connection failed (errno \(ECONNREFUSED))") }
            #expect(try waitForDescriptors(server.pid, toReturnTo: baseline) == baseline)
        }
    }

    @Test(arguments: engines)
    func neverAnswers(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            _ = connection.waitForClose(seconds: 30)
        }
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<3 {
                let started = monotonicSeconds()
                Self.expectError(try Self.getUser(server), 504, "timed out (responseHead)")
                let took = monotonicSeconds() - started
                #expect(took >= 0.9 && took < 3, "answered after \(took) s")
            }
            // The timed-out connections were closed, not pooled.
            #expect(fake.wait { $0.peerClosed == 3 }.peerClosed == 3)
        }
    }

    @Test(arguments: engines)
    func slowButSteady(engine: String) async throws {
        let body = String(repeating: "x", count: 150)
        let fake = try FakeUpstream { connection in
            while connection.readRequest() != nil {
                // Each byte 10 ms after the last: the head in about 0.4 s, within the 1 s head
                // timeout; the body takes 1.5 s, but it keeps progressing, so it is never cut.
                connection.drip(upstreamResponse(body, fields: []), delay: 0.01)
            }
        }
        try await Self.against(fake, engine: engine) { server in
            let response = try Self.getUser(server)
            #expect(response.status == 200 && response.bodyText == body)
        }
    }

    @Test(arguments: engines)
    func slowHead(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.drip(upstreamResponse("{}"), delay: 0.1)  // ~7 s for the head
        }
        try await Self.against(fake, engine: engine) { server in
            Self.expectError(try Self.getUser(server), 504, "timed out (responseHead)")
        }
    }

    @Test(arguments: engines)
    func stallsMidBody(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
            _ = connection.waitForClose(seconds: 30)
        }
        try await Self.against(fake, engine: engine) { server in
            Self.expectError(try Self.getUser(server), 504, "timed out (bodyProgress)")
        }
    }

    @Test(arguments: engines)
    func closesMidBody(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
        }
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<5 { Self.expectError(try Self.getUser(server), 502, "closed the connection before the response was complete") }
        }
    }

    @Test(arguments: engines)
    func resetsMidBody(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
            pause(0.05)
            connection.reset()
        }
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<5 { Self.expectError(try Self.getUser(server), 502, "closed the connection before the response was complete") }
        }
    }

    @Test(arguments: engines)
    func malformedStatusLine(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            while connection.readRequest() != nil { connection.write("HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n{}") }
        }
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<5 { Self.expectError(try Self.getUser(server), 502, "malformed response (statusLine)") }
            // Each malformed answer cost its connection.
            #expect(fake.wait { $0.connections == 5 }.connections == 5)
        }
    }

    @Test(arguments: engines)
    func bodyLongerThanContentLength(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            while connection.readRequest() != nil { connection.write(upstreamResponse("{}") + "trailing garbage") }
        }
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<3 {
                let response = try Self.getUser(server)
                #expect(response.status == 200 && response.bodyText == "{}")
            }
            // The framing is what counts; the connection that carried more is not reused.
            #expect(fake.wait { $0.connections == 3 }.connections == 3)
            #expect(fake.current.requests == 3)
        }
    }

    static let tenMegabytes = String(repeating: "0123456789", count: 1_000_000)

    @Test(arguments: engines)
    func tenMegabytes(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            while connection.readRequest() != nil { connection.write(upstreamResponse(Self.tenMegabytes)) }
        }
        // Over the limit (1 MiB by default): refused from its content-length.
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<3 { Self.expectError(try Self.getUser(server), 502, "too large") }
        }
        // Within the limit: all ten megabytes, twice over one kept-alive upstream connection
        // (a long idle timeout: comparing ten megabytes in a debug build takes a while).
        let connections = fake.current.connections
        let arguments = Self.upstream(fake.port, timeout: "10", idle: "60", ["--upstream-max-body", "\(16 << 20)"])
        try await withServer(engine: engine, extraArguments: arguments) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 20)
            var bodies: [[UInt8]] = []
            for _ in 0..<2 {
                try client.send(RawClient.request("GET", "/v1/user"))
                let response = try client.readResponse()
                #expect(response.status == 200, "\(response.headSummary)")
                bodies.append(response.body)
            }
            #expect(fake.current.connections == connections + 1, "\(connections) then \(fake.current)")
            for body in bodies {
                let same = body.elementsEqual(Self.tenMegabytes.utf8)
                #expect(same, "a body of \(body.count) bytes differs from the upstream's")
            }
        }
    }

    // MARK: The pool

    @Test(arguments: engines)
    func keepAliveReuse(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            while connection.readRequest() != nil { connection.write(upstreamResponse("{\"n\":1}")) }
        }
        try await Self.against(fake, engine: engine) { server in
            for _ in 0..<10 {
                let response = try Self.getUser(server)
                #expect(response.bodyText == "{\"n\":1}")
            }
            #expect(fake.current.connections == 1 && fake.current.requests == 10)
            // Idle past --upstream-idle-timeout: the pool closes it.
            #expect(fake.wait { $0.peerClosed == 1 }.peerClosed == 1)
        }
    }

    /// The upstream closes a kept-alive connection while it is idle: the pool
    /// sees the EOF and closes it at once (long before its own 30 s idle
    /// timeout), and the next call opens a new one, sending its request once.
    @Test(arguments: engines)
    func idleCloseDetected(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.write(upstreamResponse("{}"))
            pause(0.05)
        }
        try await Self.against(fake, engine: engine, timeout: "5", idle: "30") { server in
            let baseline = try openDescriptorCount(server.pid)
            for round in 1...3 {
                let response = try Self.getUser(server)
                #expect(response.status == 200)
                let count = try waitForDescriptors(server.pid, toReturnTo: baseline, within: 1)
                #expect(count == baseline, "the closed pooled connection is still open")
                #expect(fake.current.connections == round && fake.current.requests == round)
            }
        }
    }

    /// The upstream reads a second request on a kept-alive connection and
    /// closes without a byte of answer: the GET is sent once more on a new
    /// connection and answered.
    @Test(arguments: engines)
    func idempotentRetry(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.write(upstreamResponse("{\"first\":\(connection.index)}"))
            if connection.index == 0 { connection.readRequest() }  // then closes, unanswered
        }
        try await Self.against(fake, engine: engine, timeout: "5") { server in
            let first = try Self.getUser(server)
            let second = try Self.getUser(server)
            #expect(first.bodyText == "{\"first\":0}" && second.bodyText == "{\"first\":1}")
            #expect(fake.current.connections == 2 && fake.current.requests == 3)
        }
    }

    /// The same for a POST (the handler API server's /client/echo): not idempotent, never sent twice.
    @Test(arguments: engines)
    func noRetryForPost(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            connection.write(upstreamResponse("one", fields: []))
            connection.readRequest()
        }
        try await withAPIServer(engine: engine, extraArguments: ["--upstream-port", "\(fake.port)"]) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("POST", "/client/echo", body: "a").bodyText == "one")
            let second = try client.exchange("POST", "/client/echo", body: "b")
            #expect(second.status == 502 && second.bodyText.contains("closed the connection"))
            #expect(fake.current.connections == 1 && fake.current.requests == 2)
        }
    }

    @Test(arguments: engines)
    func queueAndExhaustion(engine: String) async throws {
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            _ = connection.waitForClose(seconds: 30)
        }
        try await Self.against(fake, engine: engine, timeout: "2", ["--upstream-connections", "1", "--upstream-queue", "1"]) { server in
            let statuses = Mutex<[Int]>([])
            let port = server.port
            Self.concurrently(3) { index in
                pause(Double(index) * 0.2)  // in order: one sent, one in line, one refused
                let status = (try? Self.getUser(port: port))?.status ?? 0
                statuses.withLock { $0.append(status) }
            }
            // 503 at once for the third; the first times out on its head, the second in line.
            #expect(statuses.withLock { $0.sorted() } == [503, 504, 504])
        }
    }

    /// The client leaves while /v1/user waits for the upstream: the upstream
    /// connection is closed at once (long before the 5 s head timeout), not pooled.
    @Test(arguments: engines)
    func cancellation(engine: String) async throws {
        let closedAfter = Mutex<Double>(-1)
        let fake = try FakeUpstream { connection in
            connection.readRequest()
            let read = monotonicSeconds()
            if connection.waitForClose(seconds: 10) { closedAfter.withLock { $0 = monotonicSeconds() - read } }
        }
        try await Self.against(fake, engine: engine, timeout: "5") { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/v1/user"))
            _ = fake.wait { $0.requests == 1 }
            client.resetConnection()  // gone: a FIN alone would be a half-close, still owed its answer
            _ = fake.wait { $0.peerClosed == 1 }
            let seconds = closedAfter.withLock { $0 }
            #expect(seconds >= 0 && seconds < 1.5, "upstream connection closed after \(seconds) s")
            // The server goes on serving from a new connection.
            _ = try? Self.getUser(server, timeout: 1)
            #expect(fake.current.connections == 2)
        }
    }

    /// SIGTERM while /v1/user waits for an upstream that never answers: the
    /// drain runs out, the worker ends the call and closes its upstream
    /// connection, and the process exits 0 (no task left suspended, no hang).
    @Test(arguments: engines)
    func stopWhileCalling(engine: String) async throws {
        try await LiveTests.run {
            let fake = try FakeUpstream { connection in
                connection.readRequest()
                _ = connection.waitForClose(seconds: 30)
            }
            let server = try ServerProcess(
                engine: engine, extraArguments: Self.upstream(fake.port, timeout: "20", ["--drain-timeout", "1"]))
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/v1/user"))
            _ = fake.wait { $0.requests == 1 }
            let started = monotonicSeconds()
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
            #expect(monotonicSeconds() - started < 5)
            #expect(fake.wait { $0.peerClosed == 1 }.peerClosed == 1)
        }
    }

    // MARK: The handler API

    /// The call starts and resumes on the worker's thread: no hop to another.
    @Test(arguments: engines)
    func sameThread(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            for _ in 0..<3 {
                #expect(try client.exchange("GET", "/client/thread").bodyText == "200 static on the same thread")
            }
            #expect(try client.exchange("GET", "/client/get?path=/users/7").bodyText == "200 application/json {\"id\":7,\"name\":\"user\"}")
            #expect(try client.exchange("GET", "/client/get?path=/nowhere").bodyText.hasPrefix("404 application/json"))
            #expect(try client.exchange("POST", "/client/echo", body: "round trip").bodyText == "round trip")
            #expect(try client.exchange("GET", "/client/detached").bodyText == "HTTPClient used outside a Ringside handler")
        }
    }
}
