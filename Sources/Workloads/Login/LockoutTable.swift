import Synchronization

/// Failed logins per username, shared by every worker, in fixed memory.
///
/// A username is locked while its failures in the last `window`, plus its
/// attempts still being verified, reach `maxFailures`. Counting attempts
/// in flight keeps the limit exact under concurrency: a thousand guesses
/// sent at once still get only `maxFailures` verifications. The lock ends
/// when the oldest of those failures leaves the window; a correct password
/// (before the lock) clears the failures.
///
/// Memory is fixed at start. Known users (from the users file) have one
/// entry each, never evicted: no amount of traffic for other names can
/// reset a real user's count. Unknown usernames, which must lock too (or a
/// 423 would tell an attacker which names exist), share
/// `strangerCapacity` entries. When those are full, a new name takes the
/// entry that is idle (no failure in the window, nothing in flight), or else
/// the unlocked one whose last failure is oldest; an entry that is locked or
/// has attempts in flight is never taken. If every entry is, the new name
/// is not tracked and is denied as usual (401). So a spray of random
/// usernames costs a fixed table and can never lift a lock; it can at most
/// keep some unknown names from being tracked, after paying a full argon2id
/// verification for each failure it adds. Finding a victim scans the
/// stranger entries (tens of microseconds for 10,000), which is small
/// beside the verification every failure has already cost.
///
/// Time comes from `now`, injectable for tests.
public final class LockoutTable: Sendable {
    /// When a username locks.
    public struct Policy: Sendable, Equatable {
        /// Failures within `window` that lock the username.
        public var maxFailures: Int
        /// How far back failures count, and so the longest a lock lasts.
        public var window: Duration
        /// Entries for usernames not in the users file.
        public var strangerCapacity: Int

        /// 5 failures within 15 minutes, 10,000 unknown usernames tracked.
        public init(maxFailures: Int = 5, window: Duration = .seconds(900), strangerCapacity: Int = 10_000) {
            precondition(maxFailures > 0 && window > .zero && strangerCapacity >= 0, "invalid lockout policy")
            self.maxFailures = maxFailures
            self.window = window
            self.strangerCapacity = strangerCapacity
        }
    }

    /// Whose attempt: a known user's index, or an unknown username.
    public enum Subject: Sendable {
        /// The user at this index of the ``UserDirectory``.
        case user(Int)
        /// A username the directory does not hold.
        case stranger(String)
    }

    /// An admitted attempt, to be finished with ``finish(_:succeeded:)`` or ``abandon(_:)``.
    public struct Ticket: Sendable {
        /// The entry counting it, or nil when the stranger table was full.
        let slot: Int?
    }

    public let policy: Policy
    private let knownUsers: Int
    private let origin: ContinuousClock.Instant
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Mutex<State>

    /// A table for `knownUsers` users plus `policy.strangerCapacity` unknown names.
    public init(
        policy: Policy, knownUsers: Int,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.policy = policy
        self.knownUsers = knownUsers
        self.now = now
        origin = now()
        state = Mutex(State(slots: knownUsers + policy.strangerCapacity, ringSize: policy.maxFailures, firstStranger: knownUsers))
    }

    /// Admits an attempt, or returns nil when `subject` is locked (answer 423).
    public func admit(_ subject: Subject) -> Ticket? {
        let time = nanoseconds()
        return state.withLock { state in
            let slot: Int?
            switch subject {
            case .user(let index):
                precondition(index >= 0 && index < knownUsers, "user index out of range")
                slot = index
            case .stranger(let name):
                slot = state.strangerSlot(for: Self.key(name), at: time, policy: policyNanoseconds)
            }
            guard let slot else { return Ticket(slot: nil) }
            if state.isLocked(slot, at: time, policy: policyNanoseconds) { return nil }
            state.inFlight[slot] += 1
            return Ticket(slot: slot)
        }
    }

    /// Records how the attempt of `ticket` ended: a failure counts, a success clears the failures.
    public func finish(_ ticket: Ticket, succeeded: Bool) {
        guard let slot = ticket.slot else { return }
        let time = nanoseconds()
        state.withLock { state in
            state.inFlight[slot] -= 1
            if succeeded {
                state.counts[slot] = 0
            } else {
                state.recordFailure(slot, at: time)
            }
        }
    }

    /// Forgets an attempt that was never verified (the offload pool was full).
    public func abandon(_ ticket: Ticket) {
        guard let slot = ticket.slot else { return }
        state.withLock { $0.inFlight[slot] -= 1 }
    }

    /// Whether `subject` is locked now (an attempt would answer 423).
    public func isLocked(_ subject: Subject) -> Bool {
        let time = nanoseconds()
        return state.withLock { state in
            switch subject {
            case .user(let index):
                return state.isLocked(index, at: time, policy: policyNanoseconds)
            case .stranger(let name):
                guard let slot = state.strangerSlots[Self.key(name)] else { return false }
                return state.isLocked(slot, at: time, policy: policyNanoseconds)
            }
        }
    }

    /// Unknown usernames holding an entry now.
    public var trackedStrangers: Int { state.withLock { $0.strangerSlots.count } }

    // MARK: Internals

    /// The policy in the units the state uses.
    struct Limits {
        var maxFailures: Int
        var window: Int64
    }

    private var policyNanoseconds: Limits {
        let (seconds, attoseconds) = policy.window.components
        return Limits(maxFailures: policy.maxFailures, window: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    private func nanoseconds() -> Int64 {
        let (seconds, attoseconds) = origin.duration(to: now()).components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Unknown usernames are kept as a 64-bit hash: fixed-size entries
    /// whatever the name's length. `Hasher` is seeded at random per process,
    /// so nobody can pick two names that share an entry.
    private static func key(_ name: String) -> Int {
        var hasher = Hasher()
        hasher.combine(name)
        return hasher.finalize()
    }

    /// Flat arrays, one place per entry: known users first, then strangers.
    struct State: ~Copyable {
        /// The last `ringSize` failure times of each entry (ns since `origin`), a ring per entry.
        var failureTimes: [Int64]
        /// Failures in each ring (at most `ringSize`); the next is written at `(next + count) % ringSize`.
        var counts: [Int]
        var next: [Int]
        var inFlight: [Int]
        /// The key of each stranger entry, to unlink it when the entry is taken.
        var strangerKeys: [Int]
        var strangerSlots: [Int: Int]
        var freeStrangerSlots: [Int]
        let ringSize: Int
        let firstStranger: Int

        init(slots: Int, ringSize: Int, firstStranger: Int) {
            failureTimes = Array(repeating: 0, count: slots * ringSize)
            counts = Array(repeating: 0, count: slots)
            next = Array(repeating: 0, count: slots)
            inFlight = Array(repeating: 0, count: slots)
            strangerKeys = Array(repeating: 0, count: slots)
            strangerSlots = Dictionary(minimumCapacity: slots - firstStranger)
            freeStrangerSlots = Array((firstStranger..<slots).reversed())
            self.ringSize = ringSize
            self.firstStranger = firstStranger
        }

        /// Failures of `slot` later than `time - window`.
        func failures(_ slot: Int, at time: Int64, window: Int64) -> Int {
            var recent = 0
            for offset in 0..<counts[slot] {
                let at = failureTimes[slot * ringSize + (next[slot] + offset) % ringSize]
                if at > time - window { recent += 1 }
            }
            return recent
        }

        func isLocked(_ slot: Int, at time: Int64, policy: Limits) -> Bool {
            failures(slot, at: time, window: policy.window) + inFlight[slot] >= policy.maxFailures
        }

        /// Nothing to remember: no failure in the window, nothing in flight.
        func isIdle(_ slot: Int, at time: Int64, window: Int64) -> Bool {
            inFlight[slot] == 0 && failures(slot, at: time, window: window) == 0
        }

        /// The time of the latest failure of `slot` (`Int64.min` without any).
        func lastFailure(_ slot: Int) -> Int64 {
            guard counts[slot] > 0 else { return .min }
            return failureTimes[slot * ringSize + (next[slot] + counts[slot] - 1) % ringSize]
        }

        mutating func recordFailure(_ slot: Int, at time: Int64) {
            // Times only grow, so the ring stays oldest-first from `next`.
            if counts[slot] < ringSize {
                failureTimes[slot * ringSize + (next[slot] + counts[slot]) % ringSize] = time
                counts[slot] += 1
            } else {
                failureTimes[slot * ringSize + next[slot]] = time
                next[slot] = (next[slot] + 1) % ringSize
            }
        }

        /// The entry of stranger `key`, taking one (see the type's policy) if it has none.
        mutating func strangerSlot(for key: Int, at time: Int64, policy: Limits) -> Int? {
            if let slot = strangerSlots[key] { return slot }
            guard let slot = freeStrangerSlots.popLast() ?? victim(at: time, policy: policy) else { return nil }
            strangerKeys[slot] = key
            strangerSlots[key] = slot
            counts[slot] = 0
            next[slot] = 0
            return slot
        }

        /// An idle stranger entry, else the unlocked one with the oldest last
        /// failure, unlinked from its key; nil when every entry is locked or busy.
        private mutating func victim(at time: Int64, policy: Limits) -> Int? {
            var best: Int?
            var bestLast = Int64.max
            for slot in firstStranger..<counts.count {
                if isIdle(slot, at: time, window: policy.window) {
                    best = slot
                    break
                }
                guard inFlight[slot] == 0, !isLocked(slot, at: time, policy: policy) else { continue }
                let last = lastFailure(slot)
                if last < bestLast {
                    best = slot
                    bestLast = last
                }
            }
            if let best { strangerSlots[strangerKeys[best]] = nil }
            return best
        }
    }
}
