import Foundation
import Testing

/// Nothing on the prebuilt request path allocates, and handlers' costs stay bounded.
///
/// Runs the AllocationProbe executable (a server and a client in one process,
/// with malloc replaced by a counting one that ignores the client thread) and
/// reads how many allocations the worker made per scenario. The probe must be
/// a release build: debug builds allocate in unspecialised generic code that
/// the optimiser removes. `make test` builds it first; elsewhere set
/// RINGSIDE_ALLOCATION_PROBE to its path.
@Suite(.serialized)
struct AllocationTests {
    static var probePath: String {
        if let path = ProcessInfo.processInfo.environment["RINGSIDE_ALLOCATION_PROBE"] { return path }
        // The test runner lives in <scratch>/<triple>/debug; the probe in <scratch>/<triple>/release.
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("release/AllocationProbe").path
    }

    @Test func requestPathAllocatesNothing() async throws {
        try await LiveTests.run {
            let path = Self.probePath
            try #require(
                FileManager.default.isExecutableFile(atPath: path),
                "build it first: swift build -c release --product AllocationProbe (make test does)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)

            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            var scenarios: [String: (requests: Int, allocations: Int)] = [:]
            for line in lines {
                var fields: [String: String] = [:]
                for pair in line.split(separator: " ") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
                }
                if let name = fields["scenario"], let requests = fields["requests"].flatMap(Int.init),
                   let allocations = fields["allocations"].flatMap(Int.init) {
                    scenarios[name] = (requests, allocations)
                }
            }
            // Prebuilt routes, and sync handlers answering with a prebuilt response (at once or
            // after a delay, `later`): none at all.
            // Metrics are on in every scenario; `ids-*` add request ids and an access log.
            let zero: Set = [
                "keepalive", "pipelined16", "notfound", "head", "split", "handler", "handlerpost", "handlerpipelined",
                "later", "laterpipelined",
                "ids-keepalive", "ids-pipelined16", "ids-notfound", "ids-head", "ids-handler", "ids-handlerpipelined",
            ]
            // Dynamic answers allocate by nature; bounded per request so a regression shows
            // (json, async and offload measured at 15, 9 and 4; see bench/RESULTS.md). The
            // encoded answer is one allocation (OutputBuffer's bytes are tail-allocated).
            // "client": an async handler calling this server's /v1/avatar with HTTPClient and
            // answering its body, measured at 12: the async handler's 9, the response's head
            // and body arrays (the client's own two), and the encoded answer.
            // Over TLS the server's own path is the cleartext one (none); what remains is OpenSSL
            // 3.0's record layer, inside libssl: measured at 4 per request (3 per pipelined one)
            // with its buffers kept, 7 (4.2) with them released while idle (the default).
            // Over h2c (a prebuilt route, one stream at a time and 16 at once): nghttp2's stream,
            // its copy of the answer's fields and its outbound items, and the layer's own per
            // stream; measured at 13 per request. The target is none: a bound, so it only falls.
            let bounded = [
                "json": 17, "async": 11, "offload": 6, "client": 13, "h2c-single": 14, "h2c-multiplexed16": 14,
                "tls-keepalive": 8, "tls-pipelined16": 5, "tls-handler": 8,
                "tlskept-keepalive": 5, "tlskept-pipelined16": 4, "tlskept-handler": 5,
            ]
            #expect(Set(scenarios.keys) == zero.union(bounded.keys))
            for (name, result) in scenarios {
                #expect(result.requests >= 1000, "\(name) ran too few requests")
                if zero.contains(name) {
                    #expect(result.allocations == 0, "\(name): \(result.allocations) allocations over \(result.requests) requests")
                } else if let limit = bounded[name] {
                    let perRequest = Double(result.allocations) / Double(result.requests)
                    #expect(perRequest >= 1, "\(name): a dynamic answer cannot be free; the probe is not measuring it")
                    #expect(perRequest <= Double(limit), "\(name): \(perRequest) allocations per request (limit \(limit))")
                }
            }
        }
    }
}
