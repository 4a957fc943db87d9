import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// After an answer that closes while the client is still sending, the server
/// half-closes and drains its input for a bounded time and amount, so the
/// client reads every answer instead of a reset that drops them.
@Suite("Lingering close")
struct LingeringCloseTests {
    @Test("100 pipelined requests, then a malformed one, the client sending on and reading slowly: all 101 answers arrive",
          arguments: engines)
    func pipelinedThenMalformed(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            let burst = (0..<100).flatMap { _ in RawClient.request() } + Array("BROKEN\r\n\r\n".utf8)
            try client.send(burst)
            let sender = KeepSending(fd: client.fd, bytes: 64 << 10, pause: 0.005)
            guard try readAvatarsSlowly(client, count: 100, expected: expected) else { return }
            let error = try client.readResponse()
            #expect(error.status == 400)
            #expect(error.header("connection") == "close")
            let state = client.timeUntilPeerEnds(within: 4).state
            #expect(state == .closed, "after the 400: \(state)")
            sender.stop()
        }
    }

    @Test("Pipelined requests, then an upload over the limit that goes on: every answer and the 413 arrive",
          arguments: engines)
    func contentTooLargeDuringUpload(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            // Responses back up in the server while the upload's bytes wait unread in its socket.
            let requests = (0..<50).flatMap { _ in RawClient.request() }
                + RawClient.request("POST", "/v1/avatar", headers: ["Content-Length: 10000000"])
            try client.send(requests + [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10))
            let sender = KeepSending(fd: client.fd, bytes: 512 << 10, pause: 0.001)
            guard try readAvatarsSlowly(client, count: 50, expected: expected) else { return }
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("connection") == "close")
            sender.stop()
            let state = client.timeUntilPeerEnds(within: 4).state
            #expect(state == .closed, "after the 413: \(state)")
        }
    }

    @Test("A client that never closes is closed after --linger-timeout", arguments: engines)
    func lingerTimeout(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--linger-timeout", "1"]) { server in
            let baseline = try openDescriptorCount(server.pid)
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            try client.send("BROKEN\r\n\r\n")
            #expect(try client.readResponse().status == 400)
            // The write side is shut at once; the socket itself lives on while the server lingers.
            #expect(client.timeUntilPeerEnds(within: 2).state == .closed)
            pause(0.2)
            #expect(try openDescriptorCount(server.pid) == baseline + 1, "the server should still be lingering")
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline, within: 4)
            #expect(count == baseline, "still lingering after the 1 s linger timeout")
            client.close()
        }
    }

    @Test("A client that sends past --linger-bytes while lingering is cut off", arguments: engines)
    func lingerBytes(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--linger-bytes", "65536", "--linger-timeout", "30"]) { server in
            let baseline = try openDescriptorCount(server.pid)
            let client = try RawClient(port: server.port, timeoutSeconds: 5)
            try client.send("BROKEN\r\n\r\n")
            #expect(try client.readResponse().status == 400)
            let sender = KeepSending(fd: client.fd, bytes: 1 << 20, pause: 0)
            // Well before the 30 s linger timeout: the byte limit closes it.
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline, within: 5)
            #expect(count == baseline, "the server kept lingering past the byte limit")
            sender.stop()
            client.close()
        }
    }
}

/// Reads `count` avatar responses, pausing every ten so the server's queue
/// backs up; false (with the failure recorded) at the first wrong one.
private func readAvatarsSlowly(_ client: RawClient, count: Int, expected: [UInt8]) throws -> Bool {
    for index in 0..<count {
        guard checkAvatar(try client.readResponse(), expected: expected, context: "response \(index + 1) of \(count)") else {
            return false
        }
        if index % 10 == 9 { pause(0.02) }
    }
    return true
}

/// Sends `bytes` of filler on `fd` from a thread of its own, a chunk at a
/// time, stopping early at the first error (the server closed).
final class KeepSending: Sendable {
    private final class Flags: Sendable {
        let stop = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
    }

    private let flags = Flags()

    init(fd: Int32, bytes: Int, pause seconds: Double) {
        let flags = self.flags
        let thread = Thread {
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
            var sent = 0
            while sent < bytes && !flags.stop.load(ordering: .relaxed) {
                let count = chunk.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                if count > 0 {
                    sent += count
                } else if errno != EINTR && errno != EAGAIN {
                    break
                }
                if seconds > 0 { usleep(useconds_t(seconds * 1_000_000)) }
            }
            flags.finished.store(true, ordering: .releasing)
        }
        thread.start()
    }

    /// Stops sending and waits for the thread (at most 6 s: a blocked send times out in 5).
    func stop() {
        flags.stop.store(true, ordering: .relaxed)
        let deadline = monotonicSeconds() + 6
        while !flags.finished.load(ordering: .acquiring) && monotonicSeconds() < deadline { usleep(1000) }
    }
}
