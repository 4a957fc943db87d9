import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the `ringside` binary with `arguments` to its end, `stdin` (from a
/// temporary file) on its standard input.
func runRingside(_ arguments: [String], stdin: String = "") throws -> CommandResult {
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("ringside-stdin-\(UUID())").path
    try Data(stdin.utf8).write(to: URL(fileURLWithPath: input))
    defer { try? FileManager.default.removeItem(atPath: input) }
    // sh only redirects stdin, then becomes ringside: the status is ringside's.
    return try runCommand("/bin/sh", ["-c", #"f="$1"; shift; exec "$@" < "$f""#, "sh", input, try ServerProcess.binaryPath()] + arguments)
}

/// A temporary users file; removed when the value goes away.
final class UsersFile: Sendable {
    let path: String

    /// A file holding `json` as it is.
    init(json: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ringside-users-\(UUID()).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A file of `users` (name → password), each hashed by `ringside hash-password` with `limits`.
    convenience init(users: [String: String], limits: [String] = ["--ops", "1", "--mem", "8192"]) throws {
        var entries: [String] = []
        for (name, password) in users.sorted(by: { $0.key < $1.key }) {
            let result = try runRingside(["hash-password"] + limits, stdin: password + "\n")
            guard result.status == 0 else { throw RawClientError.malformed("hash-password: \(result.stderr)") }
            entries.append("\"\(name)\": \"\(result.stdout.trimmingCharacters(in: .newlines))\"")
        }
        try self.init(json: "{" + entries.joined(separator: ", ") + "}")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// alice/secret and bob/hunter2 at the least argon2id cost (for tests
    /// only), made once per test run.
    static func fast() throws -> UsersFile { try fastFile.get() }
    private static let fastFile = Result { try UsersFile(users: ["alice": "secret", "bob": "hunter2"]) }
}

extension RawClient {
    /// POSTs `body` to /v1/login and reads the answer.
    func login(_ body: String) throws -> HTTPResponse {
        try exchange("POST", "/v1/login", headers: ["Content-Type: application/json"], body: body)
    }

    /// POSTs `{"username": username, "password": password}` to /v1/login.
    func login(_ username: String, _ password: String) throws -> HTTPResponse {
        try login(#"{"username":"\#(username)","password":"\#(password)"}"#)
    }
}

/// The login answers the issue specifies, byte for byte.
enum LoginAnswer {
    static let denied = #"{"result":"denied","reason":"bad-credentials"}"#
    static let locked = #"{"result":"denied","reason":"account-locked"}"#
    static func accepted(_ username: String) -> String { #"{"result":"accepted","username":"\#(username)"}"# }
}

/// Checks a login answer's status, JSON content type and exact body.
func expectLogin(
    _ response: HTTPResponse, _ status: Int, _ body: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response.headSummary) \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
    #expect(response.bodyText == body, sourceLocation: sourceLocation)
}
