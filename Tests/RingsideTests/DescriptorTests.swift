import Foundation
import Testing

/// Every way a connection ends gives its descriptor back.
@Suite("Descriptors")
struct DescriptorTests {
    /// Entries in /proc/PID/fd: the server's open descriptors.
    static func openDescriptors(_ pid: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    @Test("300 connections closed three ways: the server's descriptor count returns to its baseline",
          arguments: engines)
    func closedConnectionsReleaseDescriptors(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let baseline = try Self.openDescriptors(server.pid)
            for index in 0..<300 {
                let client = try RawClient(port: server.port)
                switch index % 3 {
                case 0:  // the server closes after `Connection: close`
                    try client.send(RawClient.request(headers: ["Connection: close"]))
                    checkAvatar(try client.readResponse(), expected: expected)
                    _ = try client.readToEOF()
                case 1:  // the client closes an idle keep-alive connection
                    try client.send(RawClient.request())
                    checkAvatar(try client.readResponse(), expected: expected)
                default:  // the client vanishes halfway through a request
                    try client.send("GET /v1/avatar HTTP/1.1\r\nHo")
                }
                client.close()
            }
            // Closes the client started are seen by the server a moment later.
            var count = try Self.openDescriptors(server.pid)
            let deadline = Date().addingTimeInterval(5)
            while count != baseline && Date() < deadline {
                usleep(20_000)
                count = try Self.openDescriptors(server.pid)
            }
            #expect(count == baseline, "server holds \(count) descriptors, \(baseline) before the connections")
        }
    }
}
