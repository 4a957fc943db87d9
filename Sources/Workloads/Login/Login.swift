import FoundationEssentials
public import Ringside

/// `POST /v1/login`: a JSON `{"username": ..., "password": ...}` checked
/// against argon2id hashes, with lockout after repeated failures.
///
/// | answer | when |
/// |---|---|
/// | 200 `{"result":"accepted","username":...}` | the password matches |
/// | 401 `{"result":"denied","reason":"bad-credentials"}` | wrong password or unknown user, in the same time |
/// | 423 `{"result":"denied","reason":"account-locked"}` | too many recent failures (``LockoutTable``), whatever the password |
/// | 400 JSON error | malformed JSON, a missing field, a field that is not a string |
/// | 413 JSON error | a body over ``maxBodyBytes`` |
/// | 503 with `retry-after` | the offload pool's queue is full |
///
/// The body is parsed and the lockout consulted on the worker (microseconds);
/// only the verification, tens of milliseconds and the hash's memory at
/// interactive limits, runs on the offload pool, whose size so bounds the
/// CPU and memory that logins take. An unknown username is verified against
/// a dummy hash made with the users' costliest limits, so it is denied in
/// the time a wrong password takes.
public struct Login: Workload {
    /// Larger bodies answer 413 (a login is a few dozen bytes).
    public static let maxBodyBytes = 4096

    /// The users who may log in.
    public let users: UserDirectory
    /// Failures per username, shared by every worker.
    public let lockout: LockoutTable
    /// Verified for unknown usernames; its password is random and forgotten.
    let dummyHash: String

    /// Logins for `users`, locking as `policy` says, with time from `now`.
    ///
    /// Makes the dummy hash, which costs one hash at the users' costliest limits.
    public init(
        users: UserDirectory, policy: LockoutTable.Policy = .init(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) throws(Argon2id.HashError) {
        self.users = users
        lockout = LockoutTable(policy: policy, knownUsers: users.usernames.count, now: now)
        if users.isDemo {
            // Made like the demo user's hash; saves an interactive hash at every start.
            dummyHash = "$argon2id$v=19$m=65536,t=2,p=1$6VOMIv7/0pCfIiWneQFVsQ$iCviBLRYUeFlJ1eilstRi0TJxgEnnrygNyuURWLJDB0"
        } else {
            var random = SystemRandomNumberGenerator()
            let password = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            dummyHash = try Argon2id.hash(password, limits: users.costliestLimits)
        }
    }

    /// How an attempt ended.
    public enum Outcome: Sendable, Equatable {
        case accepted
        case denied
        case locked
    }

    /// What a client sends.
    struct Credentials: Decodable {
        var username: String
        var password: String
    }

    /// What a client gets for a correct password.
    struct Accepted: Encodable {
        var result = "accepted"
        var username: String
    }

    // MARK: The three steps of a login

    /// Step 1, on the worker: nil if the username is locked.
    func admit(_ username: String) -> (LockoutTable.Ticket, userIndex: Int?)? {
        let index = users.index(of: username)
        guard let ticket = lockout.admit(index.map { .user($0) } ?? .stranger(username)) else { return nil }
        return (ticket, index)
    }

    /// Step 2, on the offload pool: argon2id, against the dummy hash for an unknown user.
    func verify(_ password: String, userIndex: Int?) -> Bool {
        guard let userIndex else {
            _ = Argon2id.verify(password.utf8, against: dummyHash)
            return false
        }
        return Argon2id.verify(password.utf8, against: users.hash(ofUser: userIndex))
    }

    /// A whole attempt on the calling thread (for tests and tools).
    public func attempt(username: String, password: String) -> Outcome {
        guard let (ticket, index) = admit(username) else { return .locked }
        let accepted = verify(password, userIndex: index)
        lockout.finish(ticket, succeeded: accepted)
        return accepted ? .accepted : .denied
    }

    // MARK: The route

    public func addRoutes(to router: inout Router) {
        let denied = router.prebuild(StaticResponse(
            status: .unauthorized, contentType: "application/json",
            body: #"{"result":"denied","reason":"bad-credentials"}"#))
        let locked = router.prebuild(StaticResponse(
            status: Self.locked, contentType: "application/json",
            body: #"{"result":"denied","reason":"account-locked"}"#))
        let login = self
        router.post("/v1/login") { request in
            let credentials = try Self.credentials(request)
            guard let (ticket, index) = login.admit(credentials.username) else { return Response(locked) }
            let accepted: Bool
            do {
                accepted = try await offload { login.verify(credentials.password, userIndex: index) }
            } catch {
                login.lockout.abandon(ticket)
                throw error  // a full queue: 503 with retry-after
            }
            login.lockout.finish(ticket, succeeded: accepted)
            guard accepted else { return Response(denied) }
            return try Response(json: Accepted(username: credentials.username), encoder: Self.encoder)
        }
    }

    /// 423 Locked (RFC 4918), which swift-http-types does not name.
    static let locked = HTTPResponse.Status(code: 423, reasonPhrase: "Locked")

    /// Sorted keys (`result` before `username`), slashes as they are.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The body's credentials, or the 413 or 400 that the body calls for.
    static func credentials(_ request: borrowing Request) throws -> Credentials {
        guard request.bodyCount <= maxBodyBytes else {
            throw HTTPError(.contentTooLarge, message: "a login body is at most \(maxBodyBytes) bytes")
        }
        do {
            return try request.withBodyBytes { try JSONDecoder().decode(Credentials.self, from: Data($0)) }
        } catch DecodingError.keyNotFound(let key, _) {
            throw HTTPError(.badRequest, message: "missing field \"\(key.stringValue)\"")
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw HTTPError(.badRequest, message: "field \"\(context.codingPath[0].stringValue)\" must be a string")
        } catch DecodingError.valueNotFound(_, let context) where !context.codingPath.isEmpty {
            throw HTTPError(.badRequest, message: "field \"\(context.codingPath[0].stringValue)\" must be a string")
        } catch DecodingError.typeMismatch {
            throw HTTPError(.badRequest, message: "the body must be a JSON object")
        } catch {
            throw HTTPError(.badRequest, message: "the body is not valid JSON")
        }
    }
}
