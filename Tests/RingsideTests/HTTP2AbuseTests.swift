import Foundation
import Testing

/// The known HTTP/2 denial-of-service shapes and protocol errors, one test
/// each, on both engines: each ends in GOAWAY with the code RFC 9113 or
/// `HTTP2Limits` names (or, for a stall, the send timeout's close), and the
/// server goes on serving other connections. Serialized: the floods send tens of MB.
@Suite("HTTP/2 abuse", .serialized)
struct HTTP2AbuseTests {
    static let engines = ["uring", "epoll"]

    /// Runs `scenario`, then checks a fresh connection is still served.
    private func abuse(_ engine: String, _ scenario: String, api: Bool = false, arguments: [String] = [],
                       quietSeconds: Double = 3) async throws -> HTTP2Frames {
        let run: (ServerProcess) throws -> HTTP2Frames = { server in
            let frames = try HTTP2Frames.run(scenario, port: Int(server.port), quietSeconds: quietSeconds)
            let after = try runCommand("/usr/bin/curl", [
                "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                "http://127.0.0.1:\(server.port)/healthz",
            ])
            #expect(after.stdout == "2 200", "after \(scenario): \(after.stdout) \(after.stderr)")
            return frames
        }
        return api
            ? try await withAPIServer(engine: engine, extraArguments: arguments, run)
            : try await withServer(engine: engine, extraArguments: arguments, run)
    }

    @Test("Rapid reset: streams opened and reset in a loop end in ENHANCE_YOUR_CALM after a bounded number", arguments: engines)
    func rapidReset(engine: String) async throws {
        let frames = try await abuse(engine, "rapid-reset", api: true)
        let goaway = try #require(frames.goaway, "\(frames)")
        #expect(goaway[1] == HTTP2Frames.enhanceYourCalm, "\(frames)")
        // The burst (200) and what the refill adds while the frames are read: far fewer than the 2,000 sent.
        #expect(goaway[0] < 2 * 600, "streams served before the GOAWAY: \(goaway[0] / 2)")
        #expect(frames.closed)
    }

    @Test("PING and SETTINGS floods whose answers queue up: ENHANCE_YOUR_CALM", arguments: engines)
    func controlFrameFloods(engine: String) async throws {
        for scenario in ["ping-flood", "settings-flood"] {
            let frames = try await abuse(engine, scenario)
            #expect(frames.goaway?[1] == HTTP2Frames.enhanceYourCalm, "\(scenario): \(frames)")
            #expect(frames.closed, "\(scenario)")
        }
    }

    @Test("A header block in 40 CONTINUATION frames: ENHANCE_YOUR_CALM, no request served", arguments: engines)
    func continuationFlood(engine: String) async throws {
        let frames = try await abuse(engine, "continuation-flood")
        #expect(frames.goaway?[1] == HTTP2Frames.enhanceYourCalm, "\(frames)")
        #expect(frames.statuses.isEmpty && frames.closed, "\(frames)")
    }

    @Test("500 empty DATA frames: ENHANCE_YOUR_CALM", arguments: engines)
    func emptyDataFrames(engine: String) async throws {
        let frames = try await abuse(engine, "empty-data", api: true)
        #expect(frames.goaway?[1] == HTTP2Frames.enhanceYourCalm, "\(frames)")
        #expect(frames.closed)
    }

    @Test("Stream ids going backwards: PROTOCOL_ERROR; a stream id reused: STREAM_CLOSED", arguments: engines)
    func streamIdentifiers(engine: String) async throws {
        let backwards = try await abuse(engine, "backwards")
        #expect(backwards.goaway == [5, HTTP2Frames.protocolError], "\(backwards)")
        let reused = try await abuse(engine, "reused")
        #expect(reused.goaway?[1] == HTTP2Frames.streamClosed, "\(reused)")
        #expect(backwards.closed && reused.closed)
    }

    @Test("A head past the 16 KB limit: 431 as over HTTP/1.1, and the connection goes on", arguments: engines)
    func headPastTheLimit(engine: String) async throws {
        let frames = try await abuse(engine, "large-head", quietSeconds: 1)
        #expect(frames.statuses == ["1": "431", "3": "200"], "\(frames)")
        #expect(frames.goaway == nil && !frames.closed, "\(frames)")
    }

    @Test("A peer that opens no window: the answer waits, then the send timeout closes the connection", arguments: engines)
    func zeroWindowStall(engine: String) async throws {
        let frames = try await abuse(engine, "zero-window", api: true, arguments: ["--send-timeout", "1"], quietSeconds: 5)
        #expect(frames.statuses["1"] == "200", "\(frames)")
        #expect(frames.bodies["1"] == 0 && frames.closed, "no DATA without a window, then the close: \(frames)")
    }
}
