import APIRoutes
import Ringside
import RingsideTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension InProcess {
    /// Each handler kind (sync, async, offloaded, streamed) and the request API,
    /// in process (what needs a socket is in `HandlerLiveTests`).
    @Suite
    struct HandlerTests {
        @Test
        func syncHandlerSeesBodyHeadersAndQuery() async throws {
            try await withAPIRouter { client async throws in
                let echo = try await client.exchange("POST", "/echo", headers: ["Content-Type: text/x-test"], body: "hello body")
                #expect(echo.status == 200)
                #expect(echo.bodyText == "hello body")
                #expect(echo.header("content-type") == "text/x-test")
                #expect(echo.header("engine") == "Ringside")
                #expect(echo.header("date")?.count == 29)

                let headers = try await client.exchange("GET", "/headers", headers: ["X-Test: one", "x-TEST: two", "Accept: */*"])
                #expect(headers.bodyText == "count=4 x-test=one|two has-accept=true")

                let query = try await client.exchange("GET", "/query?q=a%20b+c&x=1&q=second")
                #expect(query.bodyText == "q=a b c raw=q=a%20b+c&x=1&q=second items=3")
                #expect(try await client.exchange("GET", "/query").bodyText == "q=nil raw=nil items=0")

                #expect(try await client.exchange("GET", "/remote").bodyText == "unknown", "no socket, no peer")
                #expect(try await client.exchange("GET", "/interop", headers: ["X-A: 1"]).bodyText == "GET /interop 127.0.0.1 2")
            }
        }

        @Test
        func noContentHasNoBodyNorLength() async throws {
            try await withAPIRouter { client async throws in
                let response = try await client.exchange("DELETE", "/users/3")
                #expect(response.status == 204)
                #expect(response.header("content-length") == nil)
                #expect(response.header("transfer-encoding") == nil)
                #expect(try await client.exchange("GET", "/users/me").bodyText == "me", "nothing stray after the 204")
            }
        }

        @Test
        func jsonInAndOut() async throws {
            try await withAPIRouter { client async throws in
                let created = try await client.exchange("POST", "/json", body: #"{"id":1,"name":"ann"}"#)
                #expect(created.status == 201)
                #expect(created.header("content-type") == "application/json")
                #expect(created.bodyText == #"{"id":2,"name":"ANN"}"#)
                let bad = try await client.exchange("POST", "/json", body: #"{"id":"#)
                #expect(bad.status == 400)
                #expect(bad.bodyText.contains("not valid JSON"))
            }
        }

        @Test
        func bodiesArriveWholeWhateverTheFraming() async throws {
            try await withAPIRouter { client async throws in
                let connection = try await client.connect()
                // Split across sends: the head first, the body in two pieces.
                let body = String(repeating: "0123456789", count: 3000)
                try await connection.send("POST /async/echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
                try await connection.send(String(body.prefix(12_345)))
                #expect(try await !connection.receivesWithin(.milliseconds(50)))
                try await connection.send(String(body.dropFirst(12_345)))
                let split = try await connection.readResponse(bodyExpected: true)
                #expect(split.status == 200)
                #expect(split.bodyText == body)

                // Chunked, to a sync handler.
                try await connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                let chunked = try await connection.readResponse(bodyExpected: true)
                #expect(chunked.bodyText == "hello world")

                // Expect: 100-continue gets the interim answer, then the real one.
                try await connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try await connection.readResponse(bodyExpected: true)
                #expect(interim.status == 100)
                try await connection.send("body")
                #expect(try await connection.readResponse(bodyExpected: true).bodyText == "body")
            }
        }

        @Test
        func bodiesOverTheLimitAre413() async throws {
            var configuration = ServerConfiguration.testing
            configuration.maxBodyBytes = 1000
            try await withAPIRouter(configuration: configuration) { client in
                let connection = try await client.connect()
                try await connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                try await connection.send("400\r\n" + String(repeating: "x", count: 1024) + "\r\n")
                let response = try await connection.readResponse(bodyExpected: true)
                #expect(response.status == 413)
            }
        }

        @Test
        func asyncHandlersAnswerInOrderWithPipelinedRequests() async throws {
            try await withAPIRouter { client async throws in
                // A slow async request first: the sync ones behind it must wait their turn.
                var pipeline = RawClient.request("GET", "/async/sleep?ms=100")
                for index in 0..<5 {
                    pipeline += RawClient.request("GET", index % 2 == 0 ? "/async?n=\(index)" : "/users/\(index)")
                }
                let connection = try await client.connect()
                try await connection.write(pipeline)
                #expect(try await connection.readResponse(bodyExpected: true).bodyText == "slept 100")
                for index in 0..<5 {
                    let response = try await connection.readResponse(bodyExpected: true)
                    #expect(response.status == 200)
                    let expected = index % 2 == 0 ? "async \(index)" : #"{"id":\#(index),"name":"user"}"#
                    #expect(response.bodyText == expected, "response \(index) out of order")
                }
            }
        }

        @Test
        func manyConcurrentAsyncRequestsDoNotBlockTheWorker() async throws {
            try await withAPIRouter { client async throws in
                // 50 connections each wait 2 s in an async handler; meanwhile the single worker
                // answers a sync request. Judged by order, not by a clock (the machine may be
                // loaded): a worker blocked by the sleepers would answer it after them.
                var sleepers: [TestConnection] = []
                for _ in 0..<50 {
                    let sleeper = try await client.connect()
                    try await sleeper.write(RawClient.request("GET", "/async/sleep?ms=2000"))
                    sleepers.append(sleeper)
                }
                #expect(try await client.exchange("GET", "/users/me").bodyText == "me")
                var answered = 0
                for sleeper in sleepers where try await sleeper.receivesWithin(.zero) { answered += 1 }
                #expect(answered == 0, "\(answered) sleepers answered before the quick request: the worker was blocked")
                for sleeper in sleepers { #expect(try await sleeper.readResponse(bodyExpected: true).bodyText == "slept 2000") }
            }
        }

        @Test
        func workerClockSleepsManyAtOnceOnTheWorker() async throws {
            try await withAPIRouter { client async throws in
                // 300 requests sleep 200 ms each on the worker's timers, all at once.
                var connections: [TestConnection] = []
                for _ in 0..<300 { connections.append(try await client.connect()) }
                let started = monotonicSeconds()
                for connection in connections { try await connection.write(RawClient.request("GET", "/async/worker-sleep?ms=200")) }
                for connection in connections {
                    #expect(try await connection.readResponse(bodyExpected: true).bodyText == "slept 200 on the same thread")
                }
                let elapsed = monotonicSeconds() - started
                #expect(elapsed >= 0.2, "answered before the deadline")
                #expect(elapsed < 3, "the sleeps ran one after another (\(elapsed) s)")

                // Ten 30 ms sleeps one after another: only a loop that wakes for
                // the timers (not just on its once-a-second tick) answers in time.
                let sequential = monotonicSeconds()
                for _ in 0..<10 {
                    #expect(try await client.exchange("GET", "/async/worker-sleep?ms=30").status == 200)
                }
                let took = monotonicSeconds() - sequential
                // Woken only by the once-a-second tick they would take about 10 s.
                #expect(took >= 0.3 && took < 4, "ten 30 ms sleeps took \(took) s")
            }
        }

        @Test
        func offloadedHandlersRunOffTheWorker() async throws {
            var configuration = ServerConfiguration.testing
            configuration.offloadThreads = 2
            try await withAPIRouter(configuration: configuration) { client in
                let slow = try await client.connect()
                let written = monotonicSeconds()
                try await slow.write(RawClient.request("GET", "/offload?ms=400"))
                // Not before the handler's 400 ms (a loaded machine may run this check late).
                if try await slow.receivesWithin(.milliseconds(50)) {
                    #expect(monotonicSeconds() - written >= 0.35, "answered before the handler could have finished")
                }
                // The worker is free while the pool busy-waits.
                let started = monotonicSeconds()
                let quick = try await client.connect()
                #expect(try await quick.exchange("GET", "/users/me").bodyText == "me")
                #expect(monotonicSeconds() - started < 0.2)
                #expect(try await slow.readResponse(bodyExpected: true).bodyText == "offloaded")

                let explicit = try await quick.exchange("GET", "/offload/explicit?ms=5")
                #expect(explicit.bodyText == "explicit 42")
            }
        }

        @Test
        func prebuiltResponseReturnedByHandler() async throws {
            try await withAPIRouter { client async throws in
                let response = try await client.exchange("GET", "/prebuilt")
                #expect(response.status == 200)
                #expect(response.bodyText == "prebuilt from a handler")
                #expect(response.header("content-type") == "text/plain")
                let again = try await client.exchange("GET", "/prebuilt")
                #expect(again.bodyText == response.bodyText)
            }
        }

        @Test
        func streamToHTTP10EndsWithClose() async throws {
            try await withAPIRouter { client async throws in
                let connection = try await client.connect()
                try await connection.write(RawClient.request("GET", "/stream?chunks=2&size=3", version: "HTTP/1.0"))
                let response = try await connection.readResponse(bodyExpected: true)
                #expect(response.header("transfer-encoding") == nil)
                #expect(response.header("connection") == "close")
                #expect(response.bodyText == "aaabbb")
            }
        }
    }
}
