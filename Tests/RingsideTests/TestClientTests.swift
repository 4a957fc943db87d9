import HTTPTypes
import Ringside
import RingsideTesting
import Synchronization
import Testing

extension InProcess {
    /// RingsideTesting itself: the same closures in process and against a live
    /// server on both engines, so what passes in process is what a socket sees.
    @Suite
    struct TestClientTests {
        /// In process, and live on every engine.
        static let setups: [TestingSetup] = [.inProcess] + engines.map { .live(engine: .init(rawValue: $0)!) }

        static func router() -> Router {
            var router = Router()
            router.get("/static", StaticResponse(body: "static"))
            router.get("/hello/:name") { request in Response(text: "hello \(request.parameters["name"] ?? "?")") }
            router.post("/echo") { request in
                Response(headerFields: [.contentType: request.headers[.contentType] ?? "none"], bytes: request.withBodyBytes { Array($0) })
            }
            router.get("/async") { _ in
                try await Task.sleep(for: .milliseconds(5), clock: .worker)
                return Response(text: "slept")
            }
            router.get("/offload", offload: true) { _ in Response(text: "offloaded") }
            router.get("/stream") { request in
                let parts = Int(request.queryItem("parts") ?? "") ?? 3
                let size = Int(request.queryItem("size") ?? "") ?? 4
                return Response(headerFields: [.contentType: "text/plain"]) { writer in
                    for index in 0..<parts {
                        try await writer.write([UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size))
                    }
                }
            }
            return router
        }

        @Test(arguments: setups)
        func everyKindOfRouteAnswers(setup: TestingSetup) async throws {
            try await Self.router().test(setup) { client in
                let plain = try await client.execute(uri: "/static")
                #expect(plain.status == .ok)
                #expect(plain.bodyText == "static")
                #expect(plain.headers[.contentLength] == "6")
                #expect(plain.headers[.date]?.count == 29)

                #expect(try await client.execute(uri: "/hello/ada").bodyText == "hello ada")
                #expect(try await client.execute(uri: "/async").bodyText == "slept")
                #expect(try await client.execute(uri: "/offload").bodyText == "offloaded")
                let echo = try await client.execute(
                    TestRequest(method: .post, path: "/echo", headers: [.contentType: "text/x-test"], body: "a body"))
                #expect(echo.bodyText == "a body")
                #expect(echo.headers[.contentType] == "text/x-test")
                #expect(try await client.execute(uri: "/nowhere").status == .notFound)

                let head = try await client.execute(uri: "/static", method: .head)
                #expect(head.status == .ok && head.body.isEmpty && head.headers[.contentLength] == "6")
            }
        }

        @Test(arguments: setups)
        func pipelinedRequestsAnswerInOrder(setup: TestingSetup) async throws {
            try await Self.router().test(setup) { client in
                let connection = try await client.connect()
                try await connection.write(
                    "GET /hello/one HTTP/1.1\r\nhost: x\r\n\r\nGET /async HTTP/1.1\r\nhost: x\r\n\r\nGET /hello/three HTTP/1.1\r\nhost: x\r\n\r\n")
                #expect(try await connection.readResponse().bodyText == "hello one")
                #expect(try await connection.readResponse().bodyText == "slept")
                #expect(try await connection.readResponse().bodyText == "hello three")
            }
        }

        @Test(arguments: setups)
        func aHeadSplitAcrossWritesIsOneRequest(setup: TestingSetup) async throws {
            try await Self.router().test(setup) { client in
                let connection = try await client.connect()
                for piece in ["GE", "T /hello/sp", "lit HTTP/1.1\r", "\nhost: x\r\n"] {
                    try await connection.write(piece)
                    #expect(try await !connection.receivesWithin(.milliseconds(20)))
                }
                try await connection.write("\r\n")
                #expect(try await connection.readResponse().bodyText == "hello split")
            }
        }

        @Test(arguments: setups)
        func aMalformedRequestIsAnswered400AndClosed(setup: TestingSetup) async throws {
            try await Self.router().test(setup) { client in
                let response = try await client.execute(.raw("GET /static HTTP/1.1\r\nbad header\r\n\r\n"))
                #expect(response.status == .badRequest)
                #expect(response.headers[.connection] == "close")
                #expect(!response.keepAlive)
                // The client survives: the next request gets a new connection.
                #expect(try await client.execute(uri: "/static").status == .ok)
            }
        }

        @Test(arguments: setups)
        func aStreamedBodyIsReadAsItArrives(setup: TestingSetup) async throws {
            try await Self.router().test(setup) { client in
                let response = try await client.stream(TestRequest(path: "/stream?parts=3&size=4"))
                #expect(response.status == .ok)
                #expect(response.headers[.transferEncoding] == "chunked")
                var parts: [String] = []
                for try await part in response.body { parts.append(String(decoding: part, as: UTF8.self)) }
                #expect(parts.joined() == "aaaabbbbcccc")
            }
        }

        @Test(arguments: setups)
        func aLargeStreamThroughAClientThatReadsLate(setup: TestingSetup) async throws {
            // 8 MiB: beyond any send buffer, so the handler's writes wait for the reader.
            try await Self.router().test(setup) { client in
                let response = try await client.stream(TestRequest(path: "/stream?parts=128&size=65536"))
                try await Task.sleep(for: .milliseconds(50))
                let body = try await response.body.collect()
                #expect(body.count == 128 * 65536)
                #expect(body.first == UInt8(ascii: "a") && body.last == UInt8(ascii: "a") + 127 % 26)
            }
        }

        @Test(arguments: setups)
        func anIdleConnectionIsClosedByItsTimeout(setup: TestingSetup) async throws {
            var configuration = ServerConfiguration.testing
            configuration.timeouts.idle = .seconds(1)
            try await Self.router().test(setup, configuration: configuration) { client in
                let connection = try await client.connect()
                #expect(try await connection.execute(TestRequest(path: "/static")).status == .ok)
                #expect(try await connection.closesWithin(.seconds(3)))
                // execute() notices the closed idle connection and opens another.
                #expect(try await client.execute(uri: "/static").status == .ok)
                #expect(try await client.execute(uri: "/static").status == .ok)
            }
        }

        @Test(arguments: setups)
        func aClientThatLeavesMidRequestLeavesTheServerServing(setup: TestingSetup) async throws {
            try await Self.router().test(setup) { client in
                let leaving = try await client.connect()
                try await leaving.write("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly part")
                await leaving.close()
                let halfClosed = try await client.connect()
                try await halfClosed.write("GET /hello/last HTTP/1.1\r\nhost: x\r\n\r\n")
                await halfClosed.finishWriting()
                #expect(try await halfClosed.readResponse().bodyText == "hello last")
                #expect(try await halfClosed.closesWithin(.seconds(2)))
                #expect(try await client.execute(uri: "/static").status == .ok)
            }
        }

        /// A 2 MiB body written at once reaches the handler whole and in order (in process it is
        /// received 4 KiB at a time from one write).
        @Test(arguments: setups)
        func aLargeUploadArrivesWhole(setup: TestingSetup) async throws {
            var router = Router()
            router.post("/sum") { request in
                let (count, sum) = request.withBodyBytes { bytes in
                    (bytes.count, bytes.enumerated().reduce(0) { $0 &+ Int($1.element) &* ($1.offset % 251 + 1) })
                }
                return "\(count) \(sum)"
            }
            var configuration = ServerConfiguration.testing
            configuration.maxBodyBytes = 4 << 20
            let body = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }
            let expected = body.enumerated().reduce(0) { $0 &+ Int($1.element) &* ($1.offset % 251 + 1) }
            try await router.test(setup, configuration: configuration) { client in
                let response = try await client.execute(TestRequest(method: .post, path: "/sum", body: body))
                #expect(response.bodyText == "\(body.count) \(expected)")
            }
        }

        /// In process as over TCP, a client that does not read pauses a streamed answer: the
        /// handler's writes wait once the pipe's send buffer and the connection's queue are full.
        @Test(arguments: setups)
        func aClientThatDoesNotReadPausesTheWriter(setup: TestingSetup) async throws {
            let written = Atomic<Int>(0)
            var router = Router()
            router.get("/endless") { _ in
                Response(headerFields: [.contentType: "application/octet-stream"]) { writer in
                    for _ in 0..<1024 {  // 64 MiB if nothing stopped it
                        try await writer.write([UInt8](repeating: 0x61, count: 65536))
                        written.add(65536, ordering: .relaxed)
                    }
                }
            }
            try await router.test(setup) { client in
                let response = try await client.stream(TestRequest(path: "/endless"))
                // Until the writer stops (on a loaded machine filling the buffers takes a while).
                var before = -1
                var now = written.load(ordering: .relaxed)
                let deadline = ContinuousClock.now + .seconds(10)
                while now != before && ContinuousClock.now < deadline {
                    before = now
                    try await Task.sleep(for: .milliseconds(200))
                    now = written.load(ordering: .relaxed)
                }
                #expect(now == before, "the writer never stopped while nothing was read")
                #expect(now < 16 << 20, "\(now) bytes written to a client that read none")
                // Reading lets it go on.
                var received = 0
                for try await part in response.body {
                    received += part.count
                    if received > before + (4 << 20) { break }
                }
                #expect(written.load(ordering: .relaxed) > before)
            }
        }

        /// A handler's own HTTPClient calls go out over TCP in process too: here to a live upstream.
        @Test func anInProcessHandlerCallsALiveUpstream() async throws {
            var upstream = Router()
            upstream.get("/users/:id") { request in "user \(request.parameters["id"] ?? "?")" }
            try await upstream.test(.live(engine: .auto)) { upstreamClient in
                let port = try #require(upstreamClient.port)
                let client = try HTTPClient(host: "127.0.0.1", port: port)
                var router = Router()
                router.get("/profile/:id") { request in
                    let answer = try await client.execute(try HTTPClient.Request(path: "/users/\(request.parameters["id"] ?? "")"))
                    return Response(text: "profile of \(String(decoding: answer.body, as: UTF8.self))")
                }
                try await router.test(.inProcess) { client in
                    let response = try await client.execute(uri: "/profile/7")
                    #expect(response.status == .ok)
                    #expect(response.bodyText == "profile of user 7")
                    // Again, on the pooled upstream connection.
                    #expect(try await client.execute(uri: "/profile/8").bodyText == "profile of user 8")
                }
            }
        }

        @Test func aReadThatGetsNothingTimesOut() async throws {
            try await Self.router().test(.inProcess, timeout: .milliseconds(200)) { client in
                let connection = try await client.connect()
                try await connection.write("GET /static HTTP/1.1\r\n")  // never finished
                await #expect(throws: TestClientError.self) { try await connection.readResponse() }
            }
        }
    }
}
