import Testing

@testable import Ringside

/// The worker's exact timers: earliest first whether added in order (the
/// FIFO) or not (the heap), ties in the order added; and how long the loop
/// may sleep for either kind of deadline.
struct TimerServiceTests {
    func answer(_ slot: Int) -> ExactTimer { .answer(LaterAnswer(slot: Int32(slot), generation: 1, index: 0)) }

    func drain(_ timers: inout ExactTimers, now: Int64) -> [Int] {
        var slots: [Int] = []
        while let due = timers.popDue(now: now) {
            guard case .answer(let answer) = due else { continue }
            slots.append(Int(answer.slot))
        }
        return slots
    }

    @Test func inOrderAndOutOfOrderDeadlinesComeOutEarliestFirstTiesInOrder() {
        var timers = ExactTimers()
        // 1, 2, 3 in order (FIFO); 4 and 5 earlier than the last queued (heap); 6 ties with 3.
        for (slot, deadline) in [(1, 100), (2, 200), (3, 300), (4, 150), (5, 50), (6, 300), (7, 150)] {
            timers.add(answer(slot), at: Int64(deadline))
        }
        #expect(timers.count == 7)
        #expect(timers.earliest == 50)
        #expect(drain(&timers, now: 99) == [5])
        #expect(drain(&timers, now: 99) == [], "nothing comes out twice or early")
        #expect(drain(&timers, now: 250) == [1, 4, 7, 2])
        #expect(drain(&timers, now: 300) == [3, 6])
        #expect(timers.isEmpty && timers.earliest == nil)
    }

    @Test func manyRandomDeadlinesComeOutSorted() {
        var timers = ExactTimers()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<2000).map { index in
            // Mostly in order, as one route's fixed delay gives; some not.
            let outOfOrder = Int.random(in: 0..<3, using: &generator) == 0
            return outOfOrder ? Int64.random(in: 0..<4000, using: &generator) : Int64(index * 2)
        }
        for (index, deadline) in deadlines.enumerated() { timers.add(answer(index), at: deadline) }
        let expected = deadlines.indices.sorted { (deadlines[$0], $0) < (deadlines[$1], $1) }
        #expect(drain(&timers, now: .max) == expected)
    }

    @Test func theLoopSleepsUntilTheNextDeadlineOfEitherKind() {
        let service = TimerService(capacities: SlotCapacities(served: 4, outbound: 4), now: 1_000_000_000)
        #expect(service.nanosecondsUntilNext(clock: service.now) == nil, "none: the loop may block")
        service.add(answer(1), after: 4_000_000)
        service.add(answer(2), after: 1_500)  // rounded up to a whole millisecond
        #expect(service.nanosecondsUntilNext(clock: service.now) == 1_000_000)
        service.setDeadline(SlotID(.outbound, 3), after: 0)
        let bucket: Int64 = 1 << TimerWheel.bucketShift
        let bucketEnd = (1_000_000_000 / bucket + 1) * bucket - 1_000_000_000
        #expect(service.nanosecondsUntilNext(clock: service.now) == min(1_000_000, bucketEnd))
        service.advance(to: 1_000_000_000 + bucketEnd)
        #expect(service.popExpiredSlot() == SlotID(.outbound, 3))
        #expect(service.popExpiredSlot() == nil)
        guard case .answer(let first)? = service.popDue() else { Issue.record("the due answer"); return }
        #expect(first.slot == 2)
        #expect(service.nanosecondsUntilNext(clock: service.now) == 0, "overdue: do not sleep")
    }

    @Test func aDeadlinePastTheEndOfTimeNeverFires() {
        let service = TimerService(capacities: SlotCapacities(served: 1, outbound: 1), now: 5)
        service.add(answer(1), after: .max)
        service.setDeadline(SlotID(.served, 0), after: .max)
        service.advance(to: .max - 1)
        #expect(service.popDue() == nil)
        #expect(service.exactCount == 1)
        #expect(service.nanosecondsUntilNext(clock: service.now) != nil)
    }
}
