import Testing

@testable import Ringside

/// The worker's timer heap behind `WorkerClock`: fires what is due, in
/// deadline order (ties in the order set), and tells the loop how long it may sleep.
struct WorkerTimersTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func firesDueTimersInDeadlineOrderTiesInInsertionOrder() {
        var timers = WorkerTimers<String>()
        for (name, milliseconds) in [("c", 30), ("a", 10), ("b", 20), ("a2", 10), ("e", 50), ("d", 40)] {
            timers.add(at(milliseconds), name)
        }
        var fired: [String] = []
        timers.fire(now: at(25)) { fired.append($0) }
        #expect(fired == ["a", "a2", "b"])
        timers.fire(now: at(25)) { fired.append($0) }
        #expect(fired == ["a", "a2", "b"], "nothing fires twice")
        timers.fire(now: at(100)) { fired.append($0) }
        #expect(fired == ["a", "a2", "b", "c", "d", "e"])
        #expect(timers.isEmpty)
    }

    @Test func theLoopSleepsUntilTheEarliestDeadline() {
        var timers = WorkerTimers<Int>()
        #expect(timers.nanosecondsUntilNext(now: start) == nil, "no timers: the loop may block")
        timers.add(at(40), 1)
        timers.add(at(15), 2)
        #expect(timers.nanosecondsUntilNext(now: start) == 15_000_000)
        #expect(timers.nanosecondsUntilNext(now: at(10)) == 5_000_000)
        #expect(timers.nanosecondsUntilNext(now: at(20)) == 0, "overdue: do not sleep")
        timers.fire(now: at(20)) { _ in }
        #expect(timers.nanosecondsUntilNext(now: at(20)) == 20_000_000)
    }

    @Test func manyTimersComeOutSorted() {
        var timers = WorkerTimers<Int>()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<2000).map { _ in Int.random(in: 0..<500, using: &generator) }
        for (index, milliseconds) in deadlines.enumerated() { timers.add(at(milliseconds), index) }
        var fired: [Int] = []
        timers.fire(now: at(1000)) { fired.append($0) }
        // Sorted by deadline, and by insertion index where deadlines tie.
        let expected = deadlines.indices.sorted { (deadlines[$0], $0) < (deadlines[$1], $1) }
        #expect(fired == expected)
    }
}
