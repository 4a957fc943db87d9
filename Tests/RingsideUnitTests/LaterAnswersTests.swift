import Testing

@testable import Ringside

/// The delayed answers' deadlines: earliest first whether they came in order
/// (the FIFO) or not (the heap beside it), and how long the loop may sleep.
struct LaterAnswersTests {
    func answer(_ slot: Int) -> LaterAnswer { LaterAnswer(slot: Int32(slot), generation: 1, index: 0) }

    func drain(_ answers: inout LaterAnswers, now: Int64) -> [Int] {
        var slots: [Int] = []
        while let due = answers.popDue(now: now) { slots.append(Int(due.slot)) }
        return slots
    }

    @Test func inOrderAndOutOfOrderDeadlinesComeOutEarliestFirst() {
        var answers = LaterAnswers()
        // 1, 2, 3 in order (FIFO); 4 and 5 earlier than the last queued (heap).
        for (slot, deadline) in [(1, 100), (2, 200), (3, 300), (4, 150), (5, 50), (6, 300)] {
            answers.add(deadline: Int64(deadline), answer(slot))
        }
        #expect(answers.count == 6)
        #expect(drain(&answers, now: 99) == [5])
        #expect(drain(&answers, now: 99) == [], "nothing comes out twice or early")
        #expect(drain(&answers, now: 250) == [1, 4, 2])
        #expect(Set(drain(&answers, now: 300)) == [3, 6])
        #expect(answers.isEmpty)
    }

    @Test func theLoopSleepsUntilTheEarliestDeadline() {
        var answers = LaterAnswers()
        #expect(answers.nanosecondsUntilNext(now: 0) == nil, "none: the loop may block")
        answers.add(deadline: 4_000, answer(1))
        answers.add(deadline: 1_500, answer(2))  // out of order: the heap's top is the earliest
        #expect(answers.nanosecondsUntilNext(now: 0) == 1_500)
        #expect(answers.nanosecondsUntilNext(now: 2_000) == 0, "overdue: do not sleep")
        _ = answers.popDue(now: 2_000)
        #expect(answers.nanosecondsUntilNext(now: 2_000) == 2_000)
    }

    @Test func aLongRunOfFixedDelaysStaysSortedThroughCompaction() {
        // One route's fixed delay: arrivals in order, taken while more arrive,
        // past the point where the FIFO drops its taken entries.
        var answers = LaterAnswers()
        var taken: [Int] = []
        var next = 0
        for turn in 0..<50 {
            for _ in 0..<200 {
                answers.add(deadline: Int64(next), answer(next))
                next += 1
            }
            taken += drain(&answers, now: Int64(turn * 200 + 150))
        }
        taken += drain(&answers, now: .max)
        #expect(taken == Array(0..<next))
        #expect(answers.isEmpty)
    }
}
