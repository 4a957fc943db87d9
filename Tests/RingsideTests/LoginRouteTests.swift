import Foundation
import Testing

/// `POST /v1/login`: argon2id checks against `--users`, lockout, and every refusal.
@Suite(.serialized)
struct LoginRouteTests {
    func withLoginServer<R>(
        engine: String, users: UsersFile? = nil, _ extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation, _ body: (ServerProcess) throws -> R
    ) async throws -> R {
        let users = try users ?? UsersFile.fast()
        return try await withServer(engine: engine, extraArguments: ["--users", users.path] + extra, sourceLocation: sourceLocation, body)
    }

    @Test(arguments: engines)
    func acceptsTheRightPasswordAndDeniesTheRest(engine: String) async throws {
        try await withLoginServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            expectLogin(try client.login("alice", "secret"), 200, LoginAnswer.accepted("alice"))
            expectLogin(try client.login("bob", "hunter2"), 200, LoginAnswer.accepted("bob"))
            expectLogin(try client.login("alice", "hunter2"), 401, LoginAnswer.denied)
            expectLogin(try client.login("alice", ""), 401, LoginAnswer.denied)
            expectLogin(try client.login("carol", "secret"), 401, LoginAnswer.denied)
            expectLogin(try client.login("", ""), 401, LoginAnswer.denied)
            // Extra fields are ignored; the same connection still serves.
            expectLogin(try client.login(#"{"password":"secret","username":"alice","remember":true}"#), 200, LoginAnswer.accepted("alice"))
            let get = try client.exchange("GET", "/v1/login")
            checkErrorResponse(get, status: 405, closes: false, context: "GET /v1/login")
            #expect(get.header("allow") == "POST")
        }
    }

    @Test(arguments: engines)
    func locksAfterTheFailuresUntilTheWindowPasses(engine: String) async throws {
        try await withLoginServer(engine: engine, ["--lockout-failures", "3", "--lockout-window", "2"]) { server in
            let client = try RawClient(port: server.port)
            for _ in 0..<3 { expectLogin(try client.login("alice", "guess"), 401, LoginAnswer.denied) }
            expectLogin(try client.login("alice", "secret"), 423, LoginAnswer.locked)
            expectLogin(try client.login("alice", "guess"), 423, LoginAnswer.locked)
            expectLogin(try client.login("bob", "hunter2"), 200, LoginAnswer.accepted("bob"))
            // Unknown names lock alike, or a 423 would tell which names exist.
            for _ in 0..<3 { expectLogin(try client.login("mallory", "guess"), 401, LoginAnswer.denied) }
            expectLogin(try client.login("mallory", "guess"), 423, LoginAnswer.locked)
            pause(2.2)
            expectLogin(try client.login("alice", "secret"), 200, LoginAnswer.accepted("alice"))
            expectLogin(try client.login("mallory", "guess"), 401, LoginAnswer.denied)
        }
    }

    @Test(arguments: engines)
    func concurrentGuessesGetNoMoreThanTheLimit(engine: String) async throws {
        try await withLoginServer(engine: engine, ["--lockout-failures", "3"]) { server in
            let clients = try (0..<10).map { _ in try RawClient(port: server.port) }
            for client in clients {
                try client.send(Array(#"POST /v1/login HTTP/1.1\#r\#nHost: x\#r\#nContent-Length: 40\#r\#n\#r\#n{"username":"alice","password":"guess1"}"#.utf8))
            }
            let statuses = try clients.map { try $0.readResponse().status }.sorted()
            #expect(statuses == Array(repeating: 401, count: 3) + Array(repeating: 423, count: 7), "\(statuses)")
        }
    }

    @Test(arguments: engines)
    func badBodiesAnswer400And413(engine: String) async throws {
        try await withLoginServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            let cases: [(String, String)] = [
                (#"{"username":"alice","password":"secret""#, "the body is not valid JSON"),
                ("", "the body is not valid JSON"),
                ("username=alice&password=secret", "the body is not valid JSON"),
                (#"["alice","secret"]"#, "the body must be a JSON object"),
                (#"{"username":"alice"}"#, #"missing field \"password\""#),
                (#"{"password":"secret"}"#, #"missing field \"username\""#),
                (#"{"username":7,"password":"secret"}"#, #"field \"username\" must be a string"#),
                (#"{"username":"alice","password":null}"#, #"field \"password\" must be a string"#),
                (#"{"username":"alice","password":["secret"]}"#, #"field \"password\" must be a string"#),
            ]
            for (body, message) in cases {
                let response = try client.login(body)
                checkErrorResponse(response, status: 400, closes: false, context: body)
                #expect(response.bodyText == #"{"error":"\#(message)","status":400}"#, "\(body)")
            }
            // 4096 bytes is the limit: padded with spaces, still a login.
            let login = #"{"username":"alice","password":"secret"}"#
            let atLimit = login + String(repeating: " ", count: 4096 - login.utf8.count)
            expectLogin(try client.login(atLimit), 200, LoginAnswer.accepted("alice"))
            let tooLarge = try client.login(atLimit + " ")
            checkErrorResponse(tooLarge, status: 413, closes: false)
            #expect(tooLarge.bodyText == #"{"error":"a login body is at most 4096 bytes","status":413}"#)
            // Chunked, the same limit.
            let chunk = String(atLimit.utf8.count + 1, radix: 16)
            try client.send("POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(chunk)\r\n\(atLimit) \r\n0\r\n\r\n")
            checkErrorResponse(try client.readResponse(), status: 413, closes: false)
            // None of this counted as a failure, and the connection is in step.
            expectLogin(try client.login("alice", "secret"), 200, LoginAnswer.accepted("alice"))
        }
    }

    @Test(arguments: engines)
    func aFullPoolAnswers503AndTheAttemptDoesNotCount(engine: String) async throws {
        // About a third of a second per verification, one thread, one queue place.
        let slow = try UsersFile(users: ["slow": "password"], limits: ["--ops", "12", "--mem", "67108864"])
        try await withLoginServer(engine: engine, users: slow, ["--offload-threads", "1", "--offload-queue", "1", "--lockout-failures", "3"]) { server in
            let busy = try (0..<2).map { _ in try RawClient(port: server.port, timeoutSeconds: 20) }
            for client in busy {
                try client.send(Array(#"POST /v1/login HTTP/1.1\#r\#nHost: x\#r\#nContent-Length: 38\#r\#n\#r\#n{"username":"slow","password":"wrong"}"#.utf8))
                pause(0.05)
            }
            let refused = try RawClient(port: server.port, timeoutSeconds: 20)
            let answer = try refused.login("slow", "wrong")
            checkErrorResponse(answer, status: 503, closes: false)
            #expect(answer.header("retry-after") == "1")
            for client in busy { expectLogin(try client.readResponse(), 401, LoginAnswer.denied) }
            // Two failures so far: the refused attempt neither counted nor stayed in flight.
            expectLogin(try refused.login("slow", "wrong"), 401, LoginAnswer.denied)
            expectLogin(try refused.login("slow", "password"), 423, LoginAnswer.locked)
        }
    }

    @Test(arguments: engines)
    func withoutUsersTheDemoUserLogsInWithAWarning(engine: String) async throws {
        try await withServer(engine: engine) { server in
            let client = try RawClient(port: server.port)
            expectLogin(try client.login("herbert", "password"), 200, LoginAnswer.accepted("herbert"))
            expectLogin(try client.login("herbert", "Password"), 401, LoginAnswer.denied)
            expectLogin(try client.login("alice", "secret"), 401, LoginAnswer.denied)
            let warnings = server.stderr.split(separator: "\n").filter { $0.contains("demo user herbert") }
            #expect(warnings.count == 1 && warnings[0].contains("warning"), "\(server.stderr)")
        }
        try await withLoginServer(engine: engine) { server in
            #expect(!server.stderr.contains("demo user"), "\(server.stderr)")
            let client = try RawClient(port: server.port)
            expectLogin(try client.login("herbert", "password"), 401, LoginAnswer.denied)
        }
    }
}

/// A users file that cannot be used stops `ringside serve` at start, in one line.
@Suite("Users file at start")
struct UsersFileStartupTests {
    func expectRefused(_ users: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try runRingside(["serve", "--host", "127.0.0.1", "--port", "0", "--users", users])
        #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(!result.stdout.contains("Listening"), sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line:\n\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("ringside: users file \(users): \(message)"), "\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func unparsableFile() async throws {
        try await LiveTests.run {
            let file = try UsersFile(json: #"{"alice": "$argon2id$"#)
            try expectRefused(file.path, "not a JSON object from username to argon2id hash (invalid JSON")
        }
    }

    @Test func hashThatIsNotArgon2id() throws {
        let file = try UsersFile(json: #"{"old": "$argon2i$v=19$m=32768,t=4,p=1$c29tZXNhbHQ$6Hp6bR9+VJa0CgrpRkGVkHk6Fi2qFuA1yb6Xsn5fbKs"}"#)
        try expectRefused(file.path, #"the hash of user "old" is not an argon2id hash"#)
        let plain = try UsersFile(json: #"{"alice": "secret"}"#)
        try expectRefused(plain.path, #"the hash of user "alice" is not an argon2id hash ("secret")"#)
    }

    @Test func missingFile() throws {
        try expectRefused("/nonexistent/users.json", "cannot be read")
    }
}

/// `ringside hash-password`: the hash of stdin's password, for a users file.
@Suite("hash-password")
struct HashPasswordTests {
    @Test func printsAnArgon2idHashWithTheLimitsAsked() async throws {
        try await LiveTests.run {
            let result = try runRingside(["hash-password", "--ops", "3", "--mem", "16384"], stdin: "secret\n")
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(result.stdout.hasPrefix("$argon2id$v=19$m=16,t=3,p=1$"), "\(result.stdout)")
            let again = try runRingside(["hash-password", "--ops", "3", "--mem", "16384"], stdin: "secret\n")
            #expect(again.stdout != result.stdout, "each hash has its own salt")
        }
    }

    @Test func interactiveLimitsByDefault() async throws {
        try await LiveTests.run {
            let result = try runRingside(["hash-password"], stdin: "secret")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("$argon2id$v=19$m=65536,t=2,p=1$"), "\(result.stdout)")
        }
    }

    @Test func refusesNoPasswordAndLimitsTooLow() async throws {
        try await LiveTests.run {
            let empty = try runRingside(["hash-password", "--ops", "1", "--mem", "8192"], stdin: "\n")
            #expect(empty.status == 1)
            #expect(empty.stderr == "ringside: no password on standard input\n")
            let low = try runRingside(["hash-password", "--mem", "1024"], stdin: "secret")
            #expect(low.status != 0 && low.stdout.isEmpty)
            #expect(low.stderr.contains("--mem at least 8192"), "\(low.stderr)")
        }
    }
}
