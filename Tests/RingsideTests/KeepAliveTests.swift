import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Keep-alive, pipelining and partial reads")
struct KeepAliveTests {
    @Test("100 requests one after another on one keep-alive connection", arguments: engines)
    func hundredKeepAliveRequests(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let request = RawClient.request()
            for index in 0..<100 {
                try client.send(request)
                let response = try client.readResponse()
                guard checkAvatar(response, expected: expected, context: "request #\(index)") else { return }
            }
        }
    }

    @Test("50 pipelined requests in one write are answered in order", arguments: engines)
    func fiftyPipelinedRequests(engine: String) async throws {
        let expected = try Fixtures.avatar()
        // Every 7th request asks for a missing path, so order is observable.
        let paths = (0..<50).map { $0 % 7 == 6 ? "/nope" : "/v1/avatar" }
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            try client.send(paths.flatMap { RawClient.request("GET", $0) })
            for (index, path) in paths.enumerated() {
                let response = try client.readResponse()
                if path == "/nope" {
                    check404(response, context: "response #\(index) (\(path))")
                } else {
                    checkAvatar(response, expected: expected, context: "response #\(index) (\(path))")
                }
            }
        }
    }

    @Test("A request written one byte at a time, then a normal one on the same connection", arguments: engines)
    func byteAtATime(engine: String) async throws {
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            for byte in RawClient.request() {
                try client.send([byte])
                usleep(1_000)
            }
            checkAvatar(try client.readResponse(), expected: expected, context: "byte-at-a-time request")

            try client.send(RawClient.request())
            checkAvatar(try client.readResponse(), expected: expected, context: "second request")
        }
    }
}
