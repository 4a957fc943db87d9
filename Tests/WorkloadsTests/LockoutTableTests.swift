import Testing
import Workloads

@Suite("Lockout table")
struct LockoutTableTests {
    let clock = ManualClock()

    func table(failures: Int = 3, window: Duration = .seconds(60), strangers: Int = 4, users: Int = 2) -> LockoutTable {
        LockoutTable(
            policy: .init(maxFailures: failures, window: window, strangerCapacity: strangers), knownUsers: users,
            now: clock.now)
    }

    /// Admits and fails one attempt; false if it was refused as locked.
    @discardableResult
    func fail(_ table: LockoutTable, _ subject: LockoutTable.Subject) -> Bool {
        guard let ticket = table.admit(subject) else { return false }
        table.finish(ticket, succeeded: false)
        return true
    }

    @Test func locksAfterMaxFailuresUntilTheWindowPasses() {
        let table = table()
        for _ in 0..<3 {
            #expect(!table.isLocked(.user(0)))
            #expect(fail(table, .user(0)))
        }
        #expect(table.isLocked(.user(0)))
        #expect(table.admit(.user(0)) == nil, "a locked user is refused whatever the password")
        #expect(!table.isLocked(.user(1)), "locks are per user")
        clock.advance(by: .seconds(59))
        #expect(table.isLocked(.user(0)))
        clock.advance(by: .seconds(1))
        #expect(!table.isLocked(.user(0)), "the failures left the window")
        #expect(fail(table, .user(0)))
        #expect(!table.isLocked(.user(0)), "one new failure alone does not lock")
    }

    @Test func failuresCountInASlidingWindow() {
        let table = table()
        fail(table, .user(0))
        clock.advance(by: .seconds(40))
        fail(table, .user(0))
        clock.advance(by: .seconds(30))  // the first failure is now 70 s old
        fail(table, .user(0))
        #expect(!table.isLocked(.user(0)), "only two failures within the last 60 s")
        clock.advance(by: .seconds(10))
        fail(table, .user(0))
        #expect(table.isLocked(.user(0)), "three within 60 s: 40, 70 and 80 s after the start")
        clock.advance(by: .seconds(20))  // the failure at 40 s leaves the window at 100 s
        #expect(!table.isLocked(.user(0)))
    }

    @Test func successClearsTheFailures() throws {
        let table = table()
        fail(table, .user(0))
        fail(table, .user(0))
        table.finish(try #require(table.admit(.user(0))), succeeded: true)
        fail(table, .user(0))
        fail(table, .user(0))
        #expect(!table.isLocked(.user(0)))
        fail(table, .user(0))
        #expect(table.isLocked(.user(0)))
    }

    @Test func attemptsInFlightCountTowardTheLimit() throws {
        let table = table()
        let tickets = try (0..<3).map { _ in try #require(table.admit(.user(0))) }
        #expect(table.admit(.user(0)) == nil, "a fourth concurrent guess is refused")
        table.abandon(tickets[0])
        let again = try #require(table.admit(.user(0)), "an abandoned attempt frees its place")
        for ticket in tickets.dropFirst() + [again] { table.finish(ticket, succeeded: false) }
        #expect(table.isLocked(.user(0)))
    }

    @Test func unknownUsernamesLockToo() {
        let table = table()
        for _ in 0..<3 { fail(table, .stranger("mallory")) }
        #expect(table.isLocked(.stranger("mallory")))
        #expect(!table.isLocked(.stranger("trudy")))
    }

    @Test func aSprayOfUsernamesStaysWithinCapacityAndNeverLiftsALock() {
        let table = table(strangers: 4)
        for _ in 0..<3 { fail(table, .stranger("victim")) }
        fail(table, .user(0))
        fail(table, .user(0))
        for index in 0..<1_000 {
            fail(table, .stranger("spray-\(index)"))
            #expect(table.trackedStrangers <= 4)
        }
        #expect(table.isLocked(.stranger("victim")), "a locked entry is never taken")
        fail(table, .user(0))
        #expect(table.isLocked(.user(0)), "known users' failures are untouched by the spray")
    }

    @Test func aFullTableEvictsTheIdleThenTheOldestUnlocked() {
        let table = table(strangers: 2)
        fail(table, .stranger("old"))
        fail(table, .stranger("old"))
        clock.advance(by: .seconds(1))
        fail(table, .stranger("recent"))
        fail(table, .stranger("recent"))
        clock.advance(by: .seconds(1))
        fail(table, .stranger("new"))  // takes "old": unlocked, oldest last failure
        fail(table, .stranger("recent"))
        #expect(table.isLocked(.stranger("recent")), "\"recent\" kept its two failures")
        fail(table, .stranger("old"))
        fail(table, .stranger("old"))
        #expect(!table.isLocked(.stranger("old")), "\"old\" was evicted and starts again")
        clock.advance(by: .seconds(61))
        fail(table, .stranger("late"))  // every entry is idle now: one is taken
        #expect(table.trackedStrangers == 2)
    }

    @Test func namesBeyondAFullTableOfLocksAreNotTracked() {
        let table = table(strangers: 2)
        for name in ["a", "b"] { for _ in 0..<3 { fail(table, .stranger(name)) } }
        for _ in 0..<5 { #expect(fail(table, .stranger("c")), "untracked: denied, never locked") }
        #expect(!table.isLocked(.stranger("c")))
        #expect(table.isLocked(.stranger("a")) && table.isLocked(.stranger("b")))
    }
}
