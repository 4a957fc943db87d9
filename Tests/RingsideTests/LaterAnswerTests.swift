import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Response(prebuilt, after: delay)`: answered from the worker's timers, with
/// the framing, middleware, timeout and drain rules of any handler's answer.
/// (`/ping/`'s tests cover the delay itself, keep-alive, HEAD, pipelining and
/// a thousand at once.)
@Suite(.serialized)
struct LaterAnswerTests {
    @Test("Middleware around a delayed answer keeps its fields; HTTP/1.0 closes after it", arguments: engines)
    func middlewareAndHTTP10(engine: String) async throws {
        try await withAPIServer(engine: engine, extraArguments: ["--middleware"]) { server in
            let client = try RawClient(port: server.port)
            let start = monotonicSeconds()
            let response = try client.exchange("GET", "/later?ms=200")
            let waited = monotonicSeconds() - start
            #expect(response.status == 200 && response.bodyText == "late")
            #expect(response.header("x-middleware") == "seen", "the middleware's field was lost with the delay")
            #expect(waited >= 0.2, "answered after \(waited) s, before its 200 ms")
            #expect(try client.exchange("GET", "/users/me").bodyText == "me", "keep-alive after a delayed answer")

            let old = try RawClient(port: server.port)
            try old.send(RawClient.request("GET", "/later?ms=50", version: "HTTP/1.0"))
            let closing = try old.readResponse()
            #expect(closing.bodyText == "late")
            #expect(closing.header("connection") == "close")
            #expect(old.timeUntilPeerEnds(within: 3).state == .closed)
        }
    }

    @Test("A delay past the handler timeout answers 503 at the timeout and closes", arguments: engines)
    func delayPastTheHandlerTimeout(engine: String) async throws {
        try await withAPIServer(engine: engine, extraArguments: ["--handler-timeout", "1"]) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 10)
            let start = monotonicSeconds()
            let response = try client.exchange("GET", "/later?ms=4000")
            let waited = monotonicSeconds() - start
            #expect(response.status == 503)
            #expect(saysConnectionClose(response))
            #expect(waited >= 1 && waited < 3.5, "answered after \(waited) s with a 1 s handler timeout")
            #expect(client.isClosedByPeer())
            // The dropped entry fires later against a closed slot: nothing happens, the server serves on.
            pause(3.2)
            #expect(try RawClient(port: server.port).exchange("GET", "/users/me").bodyText == "me")
        }
    }

    @Test("A delayed answer pending at SIGTERM is sent, with connection: close, then the server exits 0",
          arguments: engines)
    func answeredDuringDrain(engine: String) async throws {
        try await LiveTests.run {
            let server = try ServerProcess(engine: engine, binaryName: "APIServer")
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            try client.send(RawClient.request("GET", "/later?ms=1000"))
            pause(0.3)
            kill(server.pid, SIGTERM)
            let response = try client.readResponse()
            #expect(response.status == 200 && response.bodyText == "late")
            #expect(response.header("connection") == "close")
            #expect(client.timeUntilPeerEnds(within: 3).state == .closed)
            #expect(waitForExit(server, within: 5))
            #expect(server.stop() == .exited(0), "\(server.stderrTail)")
        }
    }
}
