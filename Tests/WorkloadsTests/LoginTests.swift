import Testing
import Workloads

@Suite("Login attempts")
struct LoginTests {
    let clock = ManualClock()

    func login() throws -> Login {
        let hash = try Argon2id.hash(Array("secret".utf8), limits: .minimum)
        return try Login(
            users: try UserDirectory(json: Array(#"{"alice": "\#(hash)"}"#.utf8)),
            policy: .init(maxFailures: 2, window: .seconds(10)), now: clock.now)
    }

    @Test func acceptsDeniesAndLocks() throws {
        let login = try login()
        #expect(login.attempt(username: "alice", password: "secret") == .accepted)
        #expect(login.attempt(username: "alice", password: "wrong") == .denied)
        #expect(login.attempt(username: "alice", password: "wrong") == .denied)
        #expect(login.attempt(username: "alice", password: "secret") == .locked, "locked whatever the password")
        clock.advance(by: .seconds(10))
        #expect(login.attempt(username: "alice", password: "secret") == .accepted)
    }

    @Test func unknownUsersAreDeniedThenLocked() throws {
        let login = try login()
        #expect(login.attempt(username: "bob", password: "secret") == .denied)
        #expect(login.attempt(username: "bob", password: "secret") == .denied)
        #expect(login.attempt(username: "bob", password: "secret") == .locked)
        #expect(login.attempt(username: "alice", password: "secret") == .accepted)
    }
}
