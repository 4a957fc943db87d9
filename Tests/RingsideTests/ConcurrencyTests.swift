import Foundation
import Testing

/// Heavy: 1,000 sockets and 10,000 responses. Serialized so its cases never
/// run at the same time as each other on a 2-core machine.
@Suite("1,000 concurrent connections", .serialized)
struct ConcurrencyTests {
    static let connections = 1_000
    static let rounds = 10

    @Test(
        "1,000 connections × 10 requests each, all 200 with full bodies",
        // Alone its four cases take seconds; under the whole ASan suite on two shared cores one
        // case passed two minutes twice, while the HTTP/2 suites ran beside it: a bound on a hang,
        // not a speed check.
        .timeLimit(.minutes(5)),
        arguments: engines, [1, 2]
    )
    func thousandConnections(engine: String, workers: Int) async throws {
        raiseOpenFileLimit()
        let expected = try Fixtures.avatar()
        try await withServer(engine: engine, workers: String(workers)) { server in
            // One thread drives every socket: each round writes one request on
            // every connection, then reads every connection's response. The
            // responses wait in kernel buffers, so the server must answer all
            // 1,000 connections concurrently for the round to complete.
            var clients: [RawClient?] = []
            clients.reserveCapacity(Self.connections)
            for index in 0..<Self.connections {
                do {
                    clients.append(try RawClient(port: server.port))
                } catch {
                    Issue.record("connection #\(index) could not be opened: \(error)\n\(server.stderrTail)")
                    return
                }
            }

            let request = RawClient.request()
            let started = Date()
            var good = 0
            var failures: [String] = []
            var failureCount = 0
            rounds: for round in 0..<Self.rounds {
                for index in clients.indices {
                    guard let client = clients[index] else { continue }
                    do {
                        try client.send(request)
                    } catch {
                        failureCount += 1
                        failures.append("round \(round), connection #\(index), send: \(error)")
                        clients[index] = nil
                    }
                }
                for index in clients.indices {
                    guard let client = clients[index] else { continue }
                    do {
                        let response = try client.readResponse()
                        if let problem = avatarProblem(response, expected: expected) {
                            failureCount += 1
                            failures.append("round \(round), connection #\(index): \(problem)")
                        } else {
                            good += 1
                        }
                    } catch {
                        // A connection that failed once is dropped, so a stuck
                        // server costs one receive timeout per connection at most.
                        failureCount += 1
                        failures.append("round \(round), connection #\(index): \(error)")
                        clients[index] = nil
                    }
                    if failureCount >= 10 || Date().timeIntervalSince(started) > 60 { break rounds }
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            #expect(
                good == Self.connections * Self.rounds,
                """
                \(good) of \(Self.connections * Self.rounds) responses were correct \
                (\(failureCount) failures in \(String(format: "%.1f", elapsed)) s); first failures:
                \(failures.prefix(5).joined(separator: "\n"))
                \(server.stderrTail)
                """)
        }
    }
}
