import Foundation
import Testing

/// `GET /data`: a SHA-256 chain of `--data-work` iterations on the offload pool.
@Suite(.serialized)
struct DataTests {
    @Test(arguments: engines)
    func answersTheHashChain(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--data-work", "2000"]) { server in
            let client = try RawClient(port: server.port)
            for _ in 0..<3 {
                let response = try client.exchange("GET", "/data")
                #expect(response.status == 200)
                #expect(response.header("content-type") == "application/json")
                // 32 zero bytes hashed 2000 times (Python's hashlib agrees).
                #expect(response.bodyText == #"{"iterations":2000,"sha256":"4aa241482140ae279432edae9365b656b054a9598a28b670340b72545068c117"}"#)
            }
            check405(try client.exchange("POST", "/data", body: ""), context: "POST /data")
            #expect(server.stderr.contains("/data: 2000 SHA-256 iterations per request"), "\(server.stderr)")
        }
    }

    /// Pool threads run nicer than the workers (default 10 lower), so a worker sharing a core with
    /// CPU-bound work gets the core when it has I/O; `--offload-nice 0` keeps them equal.
    @Test(arguments: engines)
    func poolThreadsRunNicerThanWorkers(engine: String) async throws {
        for (arguments, expected) in [([String](), 10), (["--offload-nice", "0"], 0), (["--offload-nice", "4"], 4)] {
            try await withServer(engine: engine, extraArguments: ["--offload-threads", "2"] + arguments) { server in
                let threads = try threadNamesAndNice(server.pid)
                let pool = threads.filter { $0.name == "rs-offload" }
                #expect(pool.count == 2, "\(threads)")
                #expect(pool.allSatisfy { $0.nice == expected }, "\(arguments): \(threads)")
                #expect(threads.first { $0.name != "rs-offload" }?.nice == 0, "the rest stay at the process's: \(threads)")
                #expect(threads.filter { $0.name == "rs-worker-0" }.map(\.nice) == [0], "one worker, named: \(threads)")
            }
        }
    }

    /// Each thread of `pid`: its name and nice value (/proc/PID/task/TID/stat, field 19).
    func threadNamesAndNice(_ pid: Int32) throws -> [(name: String, nice: Int)] {
        try ProcStat.threads(of: pid).map { (name: $0.stat.name, nice: try #require($0.stat.nice)) }
    }

    @Test(arguments: engines)
    func aFullPoolAnswers503WhileTheWorkerKeepsServing(engine: String) async throws {
        let avatar = try Fixtures.avatar()
        // One pool thread and one queue place; each request works for about a third of a second.
        let arguments = ["--offload-threads", "1", "--offload-queue", "1", "--data-work", "1500000"]
        try await withServer(engine: engine, extraArguments: arguments) { server in
            let working = try (0..<2).map { _ in try RawClient(port: server.port, timeoutSeconds: 20) }
            for client in working {
                try client.send(RawClient.request("GET", "/data"))
                pause(0.05)  // the first runs, the second waits
            }
            let refused = try RawClient(port: server.port)
            let answer = try refused.exchange("GET", "/data")
            checkErrorResponse(answer, status: 503, closes: false)
            #expect(answer.header("retry-after") == "1")
            // The worker answers everything else meanwhile.
            checkAvatar(try refused.exchange("GET", "/v1/avatar"), expected: avatar)
            #expect(!working[0].waitReadable(seconds: 0), "the avatar came after the work, not during it")
            for client in working {
                let response = try client.readResponse()
                #expect(response.status == 200 && response.bodyText.hasPrefix(#"{"iterations":1500000,"sha256":""#))
            }
            // Drained: the refused client is served.
            #expect(try refused.exchange("GET", "/data").status == 200)
        }
    }
}
