import Testing

@testable import Ringside

/// The coarse wheel against a plain model: every deadline fires once, never
/// before it passed, and at most one bucket late.
struct TimerWheelTests {
    static let bucket: Int64 = 1 << TimerWheel.bucketShift
    let capacities = SlotCapacities(served: 200, outbound: 50)

    /// The end of the bucket `deadline` falls in: when it fires.
    func end(_ deadline: Int64) -> Int64 { ((deadline >> TimerWheel.bucketShift) + 1) << TimerWheel.bucketShift }

    func expired(_ wheel: inout TimerWheel, now: Int64) -> [SlotID] {
        var result: [SlotID] = []
        while let id = wheel.popExpired(now: now) { result.append(id) }
        return result.sorted { ($0.kind.rawValue, $0.index) < ($1.kind.rawValue, $1.index) }
    }

    @Test func firesOnceItsBucketEndedNeverBefore() {
        var wheel = TimerWheel(capacities: capacities, now: 0)
        let a = SlotID(.served, 0), b = SlotID(.outbound, 1), c = SlotID(.served, 2)
        wheel.schedule(a, at: 3 * Self.bucket + 5)
        wheel.schedule(b, at: Self.bucket + 1)
        wheel.schedule(c, at: 3 * Self.bucket + 9)
        #expect(wheel.nextWake == 2 * Self.bucket, "wake when the earliest bucket ends")
        #expect(expired(&wheel, now: Self.bucket + 1) == [], "its bucket has not ended")
        #expect(expired(&wheel, now: 2 * Self.bucket) == [b])
        #expect(wheel.nextWake == 4 * Self.bucket)
        #expect(expired(&wheel, now: 4 * Self.bucket - 1) == [])
        #expect(expired(&wheel, now: 4 * Self.bucket) == [a, c])
        #expect(expired(&wheel, now: 9 * Self.bucket) == [])
        #expect(wheel.nextWake == .max)
    }

    @Test func reschedulingAndCancellingMoveTheDeadline() {
        var wheel = TimerWheel(capacities: capacities, now: 0)
        let a = SlotID(.served, 0), b = SlotID(.served, 1), c = SlotID(.outbound, 0)
        wheel.schedule(a, at: 5 * Self.bucket)
        wheel.schedule(b, at: 5 * Self.bucket)
        wheel.schedule(a, at: 9 * Self.bucket)  // moved later
        wheel.unschedule(b)  // cancelled
        wheel.schedule(c, at: 5 * Self.bucket)
        #expect(expired(&wheel, now: 6 * Self.bucket) == [c])
        #expect(expired(&wheel, now: 10 * Self.bucket) == [a])
        #expect(!wheel.isScheduled(a) && !wheel.isScheduled(c))
    }

    @Test func aDeadlineAlreadyPastFiresOnTheNextBucketNotALapLate() {
        var wheel = TimerWheel(capacities: capacities, now: 0)
        #expect(expired(&wheel, now: 10 * Self.bucket + 3) == [])
        wheel.schedule(SlotID(.served, 7), at: 2 * Self.bucket)  // long past
        #expect(expired(&wheel, now: 11 * Self.bucket) == [SlotID(.served, 7)])
    }

    @Test func deadlinesBeyondOneLapWaitForTheirLap() {
        var wheel = TimerWheel(capacities: capacities, now: 0)
        let lap = Int64(TimerWheel.bucketCount) * Self.bucket
        wheel.schedule(SlotID(.served, 0), at: 10 * Self.bucket)
        wheel.schedule(SlotID(.served, 1), at: 10 * Self.bucket + lap)  // same bucket, next lap
        #expect(expired(&wheel, now: 11 * Self.bucket) == [SlotID(.served, 0)])
        var now = 11 * Self.bucket
        while now < 11 * Self.bucket + lap - Self.bucket {
            now += 7 * Self.bucket
            #expect(expired(&wheel, now: min(now, 11 * Self.bucket + lap - 1)) == [])
        }
        #expect(expired(&wheel, now: 11 * Self.bucket + lap) == [SlotID(.served, 1)])
    }

    @Test func aStallLongerThanALapStillFiresEverything() {
        var wheel = TimerWheel(capacities: capacities, now: 0)
        let lap = Int64(TimerWheel.bucketCount) * Self.bucket
        wheel.schedule(SlotID(.served, 0), at: 2 * Self.bucket)
        wheel.schedule(SlotID(.served, 1), at: 40 * Self.bucket)
        wheel.schedule(SlotID(.served, 2), at: 3 * lap)
        #expect(expired(&wheel, now: 2 * lap) == [SlotID(.served, 0), SlotID(.served, 1)])
        #expect(expired(&wheel, now: 3 * lap - 1) == [])
        #expect(expired(&wheel, now: end(3 * lap)) == [SlotID(.served, 2)])
    }

    @Test func randomScheduleMatchesAModel() {
        var wheel = TimerWheel(capacities: capacities, now: 0)
        var model: [Int: Int64] = [:]  // flat slot -> deadline
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        func id(_ flat: Int) -> SlotID { flat < 200 ? SlotID(.served, flat) : SlotID(.outbound, flat - 200) }
        var now: Int64 = 0
        for step in 1...600 {
            now += Int64(next(Int(Self.bucket) * 3))
            for _ in 0..<5 {
                let slot = next(250)
                if next(4) == 0 {
                    wheel.unschedule(id(slot))
                    model[slot] = nil
                } else {
                    let deadline = now + Int64(next(Int(Self.bucket) * 700))  // some past a lap
                    wheel.schedule(id(slot), at: deadline)
                    model[slot] = deadline
                }
            }
            // Due once its bucket ended; never before its deadline (a bucket of an earlier lap
            // may hand it out as soon as the deadline passed).
            let fired = expired(&wheel, now: now)
            let mustFire = model.filter { end($0.value) <= now }.map(\.key)
            let mayFire = Set(model.filter { $0.value <= now }.map(\.key))
            let firedFlat = fired.map { capacities.flatIndex($0) }
            #expect(Set(firedFlat).isSuperset(of: mustFire), "step \(step): late")
            #expect(Set(firedFlat).isSubset(of: mayFire), "step \(step): early")
            #expect(Set(firedFlat).count == firedFlat.count, "step \(step): twice")
            for slot in firedFlat { model[slot] = nil }
            if let earliest = model.values.map(end).min() {
                #expect(wheel.nextWake <= earliest, "the loop wakes in time (step \(step))")
            }
        }
    }
}
