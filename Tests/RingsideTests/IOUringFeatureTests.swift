import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The io_uring engine's optional kernel features (`IOUringFeatures`): each is
/// used where the kernel has it and can be switched off with
/// `RINGSIDE_IO_URING_DISABLE`, so the fallbacks run here too, on a kernel
/// that has everything. The server must answer the same either way.
@Suite("io_uring features")
struct IOUringFeatureTests {
    /// What `RINGSIDE_IO_URING_DISABLE` is set to: nothing, each feature, all.
    static let switchedOff = ["", "registered-ring", "direct-descriptors", "all"]

    /// Direct descriptors need `IORING_OP_FIXED_FD_INSTALL` (6.8) here.
    static let kernelHasDirectDescriptors = kernelAtLeast(6, 8)

    static func environment(_ disabled: String) -> [String: String] {
        disabled.isEmpty ? [:] : ["RINGSIDE_IO_URING_DISABLE": disabled]
    }

    @Test("Keep-alive, pipelining, Connection: close, a lingering close and 100 connections, with features off",
          arguments: switchedOff)
    func serves(disabled: String) throws {
        let expected = try Fixtures.avatar()
        try withServer(engine: "uring", environment: Self.environment(disabled)) { server in
            let baseline = try openDescriptorCount(server.pid)

            let keepAlive = try RawClient(port: server.port)
            for _ in 0..<3 {
                try keepAlive.send(RawClient.request())
                #expect(checkAvatar(try keepAlive.readResponse(), expected: expected, context: "keep-alive"))
            }
            try keepAlive.send((0..<16).flatMap { _ in RawClient.request() })
            for index in 0..<16 {
                #expect(checkAvatar(try keepAlive.readResponse(), expected: expected, context: "pipelined \(index)"))
            }

            let closing = try RawClient(port: server.port)
            try closing.send(RawClient.request(headers: ["Connection: close"]))
            #expect(checkAvatar(try closing.readResponse(), expected: expected, context: "Connection: close"))
            #expect(closing.timeUntilPeerEnds(within: 3).state == .closed)

            // A 400 with input still coming: the write side is shut (IORING_OP_SHUTDOWN), then the socket closed.
            let lingering = try RawClient(port: server.port)
            try lingering.send("BROKEN\r\n\r\n")
            #expect(try lingering.readResponse().status == 400)
            #expect(lingering.timeUntilPeerEnds(within: 3).state == .closed)

            closing.close()
            lingering.close()  // the server lingers (holding the socket) until the client leaves
            let many = try (0..<100).map { _ in try RawClient(port: server.port) }
            for client in many { try client.send(RawClient.request()) }
            for client in many { #expect(checkAvatar(try client.readResponse(), expected: expected, context: "100")) }
            let open = try waitForDescriptors(server.pid, toReturnTo: baseline + 101)
            #expect(open == baseline + 101, "the 100 connections and the keep-alive one")

            for client in many + [keepAlive] { client.close() }
            let count = try waitForDescriptors(server.pid, toReturnTo: baseline)
            #expect(count == baseline, "descriptors (direct ones included) after every client left")
        }
    }

    @Test("Direct descriptors: accepted sockets live in the ring's file table, not the process's; switched off, each takes a descriptor",
          arguments: ["", "direct-descriptors"])
    func acceptedSocketsLiveInTheRing(disabled: String) throws {
        let direct = Self.kernelHasDirectDescriptors && disabled.isEmpty
        try withServer(engine: "uring", environment: Self.environment(disabled)) { server in
            let processBaseline = try processDescriptorCount(server.pid)
            #expect(try directDescriptorCount(server.pid) == 0)
            let clients = try (0..<20).map { _ in try RawClient(port: server.port) }
            for client in clients {
                try client.send(RawClient.request())
                #expect(try client.readResponse().status == 200)
            }
            #expect(try processDescriptorCount(server.pid) == processBaseline + (direct ? 0 : 20))
            #expect(try directDescriptorCount(server.pid) == (direct ? 20 : 0))
            for client in clients { client.close() }
            #expect(try waitForDescriptors(server.pid, toReturnTo: processBaseline) == processBaseline)
        }
    }

    @Test("A handler learns its peer's address (a descriptor installed for the lookup, then closed), with features off",
          arguments: switchedOff)
    func peerAddress(disabled: String) throws {
        try withAPIServer(engine: "uring", environment: Self.environment(disabled)) { server in
            let baseline = try openDescriptorCount(server.pid)
            let clients = try (0..<30).map { _ in try RawClient(port: server.port) }
            for (index, client) in clients.enumerated() {
                let path = index % 2 == 0 ? "/remote" : "/async/remote"
                #expect(try client.exchange("GET", path).bodyText == "127.0.0.1", "\(path) on connection \(index)")
                #expect(try client.exchange("GET", "/remote").bodyText == "127.0.0.1", "again on connection \(index)")
            }
            #expect(try openDescriptorCount(server.pid) == baseline + 30, "no descriptor left from a lookup")
            for client in clients { client.close() }
            #expect(try waitForDescriptors(server.pid, toReturnTo: baseline) == baseline)
        }
    }

    @Test("The server logs the features it uses, and those switched off")
    func logsFeatures() throws {
        try withServer(engine: "uring", environment: Self.environment("direct-descriptors,registered-ring")) { server in
            #expect(try RawClient(port: server.port).exchange("GET", "/v1/avatar").status == 200)
            let line = try #require(server.stderr.split(separator: "\n").first { $0.contains("io_uring features") })
            #expect(line.contains("switched off=registered-ring,direct-descriptors"), "\(line)")
            let using = try #require(line.split(separator: " ").first { $0.hasPrefix("using=") })
            #expect(!using.contains("direct-descriptors") && !using.contains("registered-ring"), "\(line)")
        }
    }
}
