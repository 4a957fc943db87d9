import Testing

@testable import Ringside

/// The wheel against a plain model: every deadline fires exactly once, never early.
struct TimerWheelTests {
    /// A table of slots for the wheel to thread through.
    final class Slots {
        let pointer: UnsafeMutablePointer<Connection>
        let count: Int
        init(_ count: Int) {
            self.count = count
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: Connection(), count: count)
        }
        deinit { pointer.deallocate() }
    }

    func expired(_ wheel: inout TimerWheel, now: Int, _ slots: Slots) -> [Int] {
        var result: [Int] = []
        while let slot = wheel.popExpired(now: now, in: slots.pointer) { result.append(slot) }
        return result.sorted()
    }

    @Test func firesAtTheDeadlineNotBefore() {
        let slots = Slots(4)
        var wheel = TimerWheel(now: 100)
        defer { wheel.deallocate() }
        wheel.schedule(0, at: 103, in: slots.pointer)
        wheel.schedule(1, at: 101, in: slots.pointer)
        wheel.schedule(2, at: 103, in: slots.pointer)
        #expect(expired(&wheel, now: 100, slots) == [])
        #expect(expired(&wheel, now: 101, slots) == [1])
        #expect(expired(&wheel, now: 102, slots) == [])
        #expect(expired(&wheel, now: 103, slots) == [0, 2])
        #expect(expired(&wheel, now: 104, slots) == [])
    }

    @Test func reschedulingAndCancellingMoveTheDeadline() {
        let slots = Slots(3)
        var wheel = TimerWheel(now: 0)
        defer { wheel.deallocate() }
        wheel.schedule(0, at: 5, in: slots.pointer)
        wheel.schedule(1, at: 5, in: slots.pointer)
        wheel.schedule(0, at: 9, in: slots.pointer)  // moved later
        wheel.unschedule(1, in: slots.pointer)  // cancelled
        wheel.schedule(2, at: 5, in: slots.pointer)
        #expect(expired(&wheel, now: 5, slots) == [2])
        #expect(expired(&wheel, now: 9, slots) == [0])
        #expect(slots.pointer[0].timerBucket == -1)
    }

    @Test func deadlinesBeyondOneLapWaitForTheirLap() {
        let slots = Slots(2)
        var wheel = TimerWheel(now: 0)
        defer { wheel.deallocate() }
        wheel.schedule(0, at: 10, in: slots.pointer)
        wheel.schedule(1, at: 10 + TimerWheel.bucketCount, in: slots.pointer)  // same bucket, next lap
        #expect(expired(&wheel, now: 10, slots) == [0])
        for second in 11..<(10 + TimerWheel.bucketCount) {
            #expect(expired(&wheel, now: second, slots) == [])
        }
        #expect(expired(&wheel, now: 10 + TimerWheel.bucketCount, slots) == [1])
    }

    @Test func aSkippedStretchOfSecondsStillFiresEverything() {
        let slots = Slots(3)
        var wheel = TimerWheel(now: 0)
        defer { wheel.deallocate() }
        wheel.schedule(0, at: 2, in: slots.pointer)
        wheel.schedule(1, at: 40, in: slots.pointer)
        wheel.schedule(2, at: 500, in: slots.pointer)
        // The loop stalled for 200 seconds (more than a lap).
        #expect(expired(&wheel, now: 200, slots) == [0, 1])
        #expect(expired(&wheel, now: 499, slots) == [])
        #expect(expired(&wheel, now: 500, slots) == [2])
    }

    @Test func randomScheduleMatchesAModel() {
        let count = 200
        let slots = Slots(count)
        var wheel = TimerWheel(now: 0)
        defer { wheel.deallocate() }
        var model: [Int: Int] = [:]  // slot -> deadline
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        for now in 1...400 {
            for _ in 0..<5 {
                let slot = next(count)
                if next(4) == 0 {
                    wheel.unschedule(slot, in: slots.pointer)
                    model[slot] = nil
                } else {
                    let deadline = now + 1 + next(150)
                    wheel.schedule(slot, at: deadline, in: slots.pointer)
                    model[slot] = deadline
                }
            }
            let due = model.filter { $0.value <= now }.map(\.key).sorted()
            #expect(expired(&wheel, now: now, slots) == due, "second \(now)")
            for slot in due { model[slot] = nil }
        }
    }
}
