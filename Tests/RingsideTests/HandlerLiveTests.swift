import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What only a live server shows, on both engines: the peer's address, a
/// stream through a socket's full send buffer (memory and CPU of the process
/// while it waits), and a client's reset in the middle of a stream.
@Suite(.serialized)
struct HandlerLiveTests {
    @Test(arguments: engines)
    func remoteAddressIsThePeers(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/remote").bodyText == "127.0.0.1")
            #expect(try client.exchange("GET", "/interop", headers: ["X-A: 1"]).bodyText == "GET /interop 127.0.0.1 2")
        }
    }

    @Test(arguments: engines)
    func streamedBodiesAreChunked(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
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
    func idleAfterABlockedSendCostsNothing(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
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
    func clientLeavingMidStreamStopsTheWriter(engine: String) async throws {
        try await withAPIServer(engine: engine) { server in
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
