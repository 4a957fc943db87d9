import Foundation
import Testing
import Workloads

@Suite("Users file")
struct UserDirectoryTests {
    static let fast = Argon2id.Limits.minimum

    func directory(_ json: String) throws -> UserDirectory {
        try UserDirectory(json: Array(json.utf8))
    }

    func reason(_ json: String) -> String {
        do {
            _ = try UserDirectory(json: Array(json.utf8))
            return "accepted"
        } catch {
            return error.reason
        }
    }

    @Test func parsesUsersAndTheirLimits() throws {
        let alice = try Argon2id.hash(Array("a".utf8), limits: Self.fast)
        let bob = try Argon2id.hash(Array("b".utf8), limits: Argon2id.Limits(operations: 2, memoryBytes: 16384))
        let users = try directory(#"{"bob": "\#(bob)", "alice": "\#(alice)"}"#)
        #expect(users.usernames == ["alice", "bob"])
        #expect(users.index(of: "bob") == 1)
        #expect(users.index(of: "carol") == nil)
        #expect(users.hash(ofUser: 0) == alice)
        #expect(users.costliestLimits == Argon2id.Limits(operations: 2, memoryBytes: 16384))
        #expect(!users.isDemo)
    }

    @Test func refusesWhatIsNotAUsersFile() throws {
        #expect(reason("{").hasPrefix("not a JSON object from username to argon2id hash (invalid JSON"))
        #expect(reason("[]") == "not a JSON object from username to argon2id hash (not an object)")
        #expect(reason(#"{"a": 1}"#) == #"not a JSON object from username to argon2id hash (the value of "a" is not a string)"#)
        #expect(reason("{}") == "no users")
        let hash = try Argon2id.hash(Array("x".utf8), limits: Self.fast)
        #expect(reason(#"{"": "\#(hash)"}"#) == "a username is empty")
    }

    @Test func refusesHashesThatAreNotArgon2id() throws {
        // argon2i, made by libsodium itself.
        let argon2i = "$argon2i$v=19$m=32768,t=4,p=1$c29tZXNhbHQ$6Hp6bR9+VJa0CgrpRkGVkHk6Fi2qFuA1yb6Xsn5fbKs"
        #expect(reason(#"{"old": "\#(argon2i)"}"#).hasPrefix(#"the hash of user "old" is not an argon2id hash ("$argon2i$v=19"#))
        #expect(reason(#"{"plain": "hunter2"}"#) == #"the hash of user "plain" is not an argon2id hash ("hunter2")"#)
        let good = try Argon2id.hash(Array("x".utf8), limits: Self.fast)
        #expect(reason(#"{"cut": "\#(good.dropLast(10))"}"#).hasPrefix(#"the hash of user "cut" is not"#))
        #expect(reason(#"{"ok": "\#(good)"}"#) == "accepted")
    }

    @Test func readsAFileAndNamesAMissingOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID()).json").path
        let hash = try Argon2id.hash(Array("x".utf8), limits: Self.fast)
        try Data(#"{"x": "\#(hash)"}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try UserDirectory(contentsOfFile: path).usernames == ["x"])
        #expect(throws: UserDirectory.LoadError.self) { try UserDirectory(contentsOfFile: path + ".missing") }
    }

    @Test func hashesVerifyAndCarryTheirLimits() throws {
        let limits = Argon2id.Limits(operations: 3, memoryBytes: 32768)
        let hash = try Argon2id.hash(Array("correct horse".utf8), limits: limits)
        #expect(hash.hasPrefix("$argon2id$v=19$m=32,t=3,p=1$"))
        #expect(Argon2id.limits(of: hash) == limits)
        #expect(Argon2id.verify(Array("correct horse".utf8), against: hash))
        #expect(!Argon2id.verify(Array("correct horse ".utf8), against: hash))
        #expect(!Argon2id.verify([], against: hash))
        #expect(throws: Argon2id.HashError.self) { try Argon2id.hash([1], limits: Argon2id.Limits(operations: 0, memoryBytes: 8192)) }
    }

    @Test func theDemoUserIsHerbert() throws {
        let demo = UserDirectory.demo
        #expect(demo.usernames == ["herbert"])
        #expect(demo.isDemo)
        #expect(Argon2id.limits(of: demo.hash(ofUser: 0)) == .interactive)
        #expect(Argon2id.verify(Array("password".utf8), against: demo.hash(ofUser: 0)))
    }
}
