import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Each handler kind (sync, async, offloaded, streamed) and the request API
/// through real sockets, on both engines.
@Suite(.serialized)
struct HandlerTests {
    @Test(arguments: engines)
    func syncHandlerSeesBodyHeadersAndQuery(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let echo = try client.exchange("POST", "/echo", headers: ["Content-Type: text/x-test"], body: "hello body")
            #expect(echo.status == 200)
            #expect(echo.bodyText == "hello body")
            #expect(echo.header("content-type") == "text/x-test")
            #expect(echo.header("engine") == "Ringside")
            #expect(echo.header("date")?.count == 29)

            let headers = try client.exchange("GET", "/headers", headers: ["X-Test: one", "x-TEST: two", "Accept: */*"])
            #expect(headers.bodyText == "count=4 x-test=one|two has-accept=true")

            let query = try client.exchange("GET", "/query?q=a%20b+c&x=1&q=second")
            #expect(query.bodyText == "q=a b c raw=q=a%20b+c&x=1&q=second items=3")
            #expect(try client.exchange("GET", "/query").bodyText == "q=nil raw=nil items=0")

            #expect(try client.exchange("GET", "/remote").bodyText == "127.0.0.1")
            #expect(try client.exchange("GET", "/interop", headers: ["X-A: 1"]).bodyText == "GET /interop 127.0.0.1 2")
        }
    }

    @Test(arguments: engines)
    func noContentHasNoBodyNorLength(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let response = try client.exchange("DELETE", "/users/3")
            #expect(response.status == 204)
            #expect(response.header("content-length") == nil)
            #expect(response.header("transfer-encoding") == nil)
            #expect(try client.exchange("GET", "/users/me").bodyText == "me", "nothing stray after the 204")
        }
    }

    @Test(arguments: engines)
    func jsonInAndOut(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let created = try client.exchange("POST", "/json", body: #"{"id":1,"name":"ann"}"#)
            #expect(created.status == 201)
            #expect(created.header("content-type") == "application/json")
            #expect(created.bodyText == #"{"id":2,"name":"ANN"}"#)
            let bad = try client.exchange("POST", "/json", body: #"{"id":"#)
            #expect(bad.status == 400)
            #expect(bad.bodyText.contains("not valid JSON"))
        }
    }

    @Test(arguments: engines)
    func bodiesArriveWholeWhateverTheFraming(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            // Split across sends: the head first, the body in two pieces.
            let body = String(repeating: "0123456789", count: 3000)
            try client.send("POST /async/echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            try client.send(String(body.prefix(12_345)))
            pause(0.05)
            try client.send(String(body.dropFirst(12_345)))
            let split = try client.readResponse()
            #expect(split.status == 200)
            #expect(split.bodyText == body)

            // Chunked, to a sync handler.
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            let chunked = try client.readResponse()
            #expect(chunked.bodyText == "hello world")

            // Expect: 100-continue gets the interim answer, then the real one.
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("body")
            #expect(try client.readResponse().bodyText == "body")
        }
    }

    @Test(arguments: engines)
    func bodiesOverTheLimitAre413(engine: String) throws {
        try withAPIServer(engine: engine, extraArguments: ["--max-body", "1000"]) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try client.send("400\r\n" + String(repeating: "x", count: 1024) + "\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
        }
    }

    @Test(arguments: engines)
    func asyncHandlersAnswerInOrderWithPipelinedRequests(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            // A slow async request first: the sync ones behind it must wait their turn.
            var pipeline = RawClient.request("GET", "/async/sleep?ms=100")
            for index in 0..<5 {
                pipeline += RawClient.request("GET", index % 2 == 0 ? "/async?n=\(index)" : "/users/\(index)")
            }
            try client.send(pipeline)
            #expect(try client.readResponse().bodyText == "slept 100")
            for index in 0..<5 {
                let response = try client.readResponse()
                #expect(response.status == 200)
                let expected = index % 2 == 0 ? "async \(index)" : #"{"id":\#(index),"name":"user"}"#
                #expect(response.bodyText == expected, "response \(index) out of order")
            }
        }
    }

    @Test(arguments: engines)
    func manyConcurrentAsyncRequestsDoNotBlockTheWorker(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            // 50 connections each wait 2 s in an async handler; meanwhile the single worker
            // answers a sync request. Judged by order, not by a clock (the machine may be
            // loaded): a worker blocked by the sleepers would answer it after them.
            let sleepers = try (0..<50).map { _ in try RawClient(port: server.port) }
            for sleeper in sleepers { try sleeper.send(RawClient.request("GET", "/async/sleep?ms=2000")) }
            let quick = try RawClient(port: server.port)
            #expect(try quick.exchange("GET", "/users/me").bodyText == "me")
            let answered = sleepers.filter { $0.hasPendingInput() }.count
            #expect(answered == 0, "\(answered) sleepers answered before the quick request: the worker was blocked")
            for sleeper in sleepers { #expect(try sleeper.readResponse().bodyText == "slept 2000") }
        }
    }

    @Test(arguments: engines)
    func workerClockSleepsManyAtOnceOnTheWorker(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            // 300 requests sleep 200 ms each on the worker's timers, all at once.
            let clients = try (0..<300).map { _ in try RawClient(port: server.port) }
            let started = monotonicSeconds()
            for client in clients { try client.send(RawClient.request("GET", "/async/worker-sleep?ms=200")) }
            for client in clients {
                #expect(try client.readResponse().bodyText == "slept 200 on the same thread")
            }
            let elapsed = monotonicSeconds() - started
            #expect(elapsed >= 0.2, "answered before the deadline")
            #expect(elapsed < 3, "the sleeps ran one after another (\(elapsed) s)")

            // Ten 30 ms sleeps one after another: only a loop that wakes for
            // the timers (not just on its once-a-second tick) answers in time.
            let client = clients[0]
            let sequential = monotonicSeconds()
            for _ in 0..<10 {
                #expect(try client.exchange("GET", "/async/worker-sleep?ms=30").status == 200)
            }
            let took = monotonicSeconds() - sequential
            // Woken only by the once-a-second tick they would take about 10 s.
            #expect(took >= 0.3 && took < 4, "ten 30 ms sleeps took \(took) s")
        }
    }

    @Test(arguments: engines)
    func offloadedHandlersRunOffTheWorker(engine: String) throws {
        try withAPIServer(engine: engine, extraArguments: ["--offload-threads", "2"]) { server in
            let slow = try RawClient(port: server.port)
            try slow.send(RawClient.request("GET", "/offload?ms=400"))
            pause(0.05)
            // The worker is free while the pool busy-waits.
            let started = monotonicSeconds()
            let quick = try RawClient(port: server.port)
            #expect(try quick.exchange("GET", "/users/me").bodyText == "me")
            #expect(monotonicSeconds() - started < 0.2)
            #expect(try slow.readResponse().bodyText == "offloaded")

            let explicit = try quick.exchange("GET", "/offload/explicit?ms=5")
            #expect(explicit.bodyText == "explicit 42")
        }
    }

    @Test(arguments: engines)
    func prebuiltResponseReturnedByHandler(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let response = try client.exchange("GET", "/prebuilt")
            #expect(response.status == 200)
            #expect(response.bodyText == "prebuilt from a handler")
            #expect(response.header("content-type") == "text/plain")
            let again = try client.exchange("GET", "/prebuilt")
            #expect(again.bodyText == response.bodyText)
        }
    }

    @Test(arguments: engines)
    func streamedBodiesAreChunked(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let small = try client.exchange("GET", "/stream?chunks=3&size=4")
            #expect(small.header("transfer-encoding") == "chunked")
            #expect(small.header("content-length") == nil)
            #expect(small.bodyText == "aaaabbbbcccc")
            #expect(client.lastChunkSizes == [4, 4, 4])

            // 16 MB through a reader that waits first: every byte arrives in
            // order, and the server's memory stays bounded (the writer waits
            // for room instead of queuing the body).
            let peakBefore = try peakResidentKiB(server.pid)
            let slow = try RawClient(port: server.port, timeoutSeconds: 30)  // a loaded CI host is slow under ASan
            try slow.send(RawClient.request("GET", "/stream?chunks=256&size=65536"))
            pause(0.3)
            let large = try slow.readResponse()
            #expect(large.body.count == 256 * 65536)
            #expect(slow.lastChunkSizes.count == 256)
            let sampled = stride(from: 0, to: 256, by: 37).allSatisfy { large.body[$0 * 65536] == UInt8(ascii: "a") + UInt8($0 % 26) }
            #expect(sampled)
            #expect(try slow.exchange("GET", "/users/me").bodyText == "me", "keep-alive after a stream")
            // ASan's quarantine keeps freed buffers resident: measure only without it.
            if ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil {
                let grown = try peakResidentKiB(server.pid) - peakBefore
                #expect(grown < 8 * 1024, "peak RSS grew \(grown) KiB while streaming 16 MB")
            }
        }
    }

    /// epoll watched a socket for writability while a send was blocked; once it could write again,
    /// the worker went on watching it, and level-triggered epoll woke it at once on every wait.
    @Test("A connection that once had a blocked send costs nothing once idle", arguments: engines)
    func idleAfterABlockedSendCostsNothing(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let slow = try RawClient(port: server.port, timeoutSeconds: 30)
            try slow.send(RawClient.request("GET", "/stream?chunks=256&size=65536"))
            pause(0.3)  // 16 MB unread: past what loopback buffers, so the server's sends block
            #expect(try slow.readResponse().body.count == 256 * 65536)
            pause(0.2)
            // The connection stays open and idle; the worker should sleep.
            let before = try cpuTicks(server.pid)
            pause(1)
            let used = try cpuTicks(server.pid) - before
            #expect(used < 30, "the server used \(used) of 100 ticks in a second with one idle connection")
            #expect(try slow.exchange("GET", "/users/me").bodyText == "me")
        }
    }

    @Test(arguments: engines)
    func streamToHTTP10EndsWithClose(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/stream?chunks=2&size=3", version: "HTTP/1.0"))
            let response = try client.readResponse()
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.header("connection") == "close")
            #expect(response.bodyText == "aaabbb")
        }
    }

    @Test(arguments: engines)
    func clientLeavingMidStreamStopsTheWriter(engine: String) throws {
        try withAPIServer(engine: engine) { server in
            let leaving = try RawClient(port: server.port)
            try leaving.send(RawClient.request("GET", "/stream?chunks=100000&size=65536"))
            pause(0.2)
            leaving.resetConnection()
            pause(0.3)
            // The server is healthy and the abandoned stream did not wedge the worker.
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/users/me").bodyText == "me")
        }
    }
}
