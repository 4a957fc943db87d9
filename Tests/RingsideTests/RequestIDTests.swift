import Foundation
import Testing

/// `x-request-id`: echoed when valid, made otherwise, on every kind of answer, in order when pipelined.
@Suite("Request ids")
struct RequestIDTests {
    static func isMade(_ id: String?) -> Bool {
        guard let id else { return false }
        return id.utf8.count == 24 && id.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    @Test("a valid id is echoed, an invalid one replaced; made ids are unique; prebuilt, 404, 405, HEAD and errors carry it",
          arguments: engines)
    func echoedOrMade(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--request-ids"]) { server in
            let client = try RawClient(port: server.port)
            let echoed = try client.exchange("GET", "/v1/avatar", headers: ["X-Request-ID: abc-123.def_4:5+6/7=8@9"])
            #expect(echoed.status == 200)
            #expect(echoed.values(of: "x-request-id") == ["abc-123.def_4:5+6/7=8@9"])
            #expect(echoed.body.count == Fixtures.avatarLength)
            let longest = String(repeating: "a", count: 48)
            #expect(try client.exchange("GET", "/v1/avatar", headers: ["x-request-id: \(longest)"]).header("x-request-id") == longest)
            // Too long, a forbidden character, empty: replaced by a made one.
            for bad in [String(repeating: "a", count: 49), "has space", "quote\"d", ""] {
                let response = try client.exchange("GET", "/v1/avatar", headers: ["x-request-id: \(bad)"])
                #expect(Self.isMade(response.header("x-request-id")), "\(bad.debugDescription): \(response.headSummary)")
            }
            var made: Set<String> = []
            for (method, path, status) in [("GET", "/v1/avatar", 200), ("GET", "/nope", 404), ("POST", "/v1/avatar", 405),
                                           ("GET", "/demo/sync", 200), ("GET", "/demo/async", 200),
                                           ("GET", "/demo/offload", 200), ("GET", "/demo/json/1", 200)] {
                let response = try client.exchange(method, path)
                #expect(response.status == status)
                #expect(response.values(of: "x-request-id").count == 1, "\(method) \(path): \(response.headSummary)")
                let id = response.header("x-request-id")
                #expect(Self.isMade(id), "\(method) \(path): \(response.headSummary)")
                if let id { made.insert(id) }
            }
            let head = try client.exchange("HEAD", "/v1/avatar", headers: ["x-request-id: head-1"], bodyExpected: false)
            #expect(head.header("x-request-id") == "head-1" && head.header("content-length") == "3696")
            #expect(made.count == 7, "made ids repeat: \(made)")
            // A prebuilt answer after its body was read past, and a 413 for a body too large.
            let withBody = requestText("POST", "/v1/avatar", headers: ["x-request-id: body-1", "Content-Length: 3"]) + "abc"
            try client.send(withBody)
            #expect(try client.readResponse().header("x-request-id") == "body-1")
            let tooLarge = try RawClient(port: server.port)
            let refused = try tooLarge.exchange("POST", "/v1/avatar", headers: ["x-request-id: big-1", "Content-Length: 99999999"])
            #expect(refused.status == 413 && refused.header("x-request-id") == "big-1", "\(refused.headSummary)")
        }
    }

    @Test("300 pipelined requests in one write each get their own id back, in order", arguments: engines)
    func pipelinedInOrder(engine: String) async throws {
        try await withServer(engine: engine, extraArguments: ["--request-ids"]) { server in
            let client = try RawClient(port: server.port)
            let paths = ["/v1/avatar", "/nope", "/demo/sync", "/demo/json/3"]
            var batch = ""
            for index in 0..<300 {
                batch += requestText("GET", paths[index % paths.count], headers: ["x-request-id: pipe-\(index)"])
            }
            try client.send(batch)
            for index in 0..<300 {
                let response = try client.readResponse()
                #expect(response.header("x-request-id") == "pipe-\(index)", "answer \(index): \(response.headSummary)")
                if index % paths.count == 0 { #expect(response.body.count == Fixtures.avatarLength) }
            }
        }
    }

    @Test("handlers read the id (sync, async, with a body) and log it; without --request-ids no id is sent",
          arguments: engines)
    func handlersSeeIt(engine: String) async throws {
        try await withAPIServer(engine: engine, extraArguments: ["--request-ids"]) { server in
            let client = try RawClient(port: server.port)
            let sync = try client.exchange("GET", "/request-id", headers: ["x-request-id: sync-1"])
            #expect(sync.bodyText == "sync-1" && sync.header("x-request-id") == "sync-1")
            let async = try client.exchange("GET", "/async/request-id", headers: ["x-request-id: async-1"])
            #expect(async.bodyText == "async-1" && async.header("x-request-id") == "async-1")
            let made = try client.exchange("GET", "/async/request-id")
            #expect(Self.isMade(made.header("x-request-id")) && made.bodyText == made.header("x-request-id"))
            // The body in a later packet: the handler runs once it is read.
            try client.send(requestText("POST", "/request-id", headers: ["x-request-id: post-1", "Content-Length: 4"]))
            pause(0.05)
            try client.send("body")
            let posted = try client.readResponse()
            #expect(posted.bodyText == "post-1 4" && posted.header("x-request-id") == "post-1")
            pause(0.2)
            #expect(server.stderr.contains("request-id=sync-1"), "the handler's log line lacks the id:\n\(server.stderrTail)")
        }
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let response = try client.exchange("GET", "/v1/avatar", headers: ["x-request-id: abc"])
            #expect(response.header("x-request-id") == nil)
        }
    }
}
