/// Coarse deadlines, one per slot of any kind (connection timeouts, client
/// timeouts), in monotonic nanoseconds.
///
/// A hashed wheel of 512 buckets of 2^26 ns (about 67 ms, a lap of about
/// 34 s), each an intrusive doubly linked list threaded through per-slot
/// links, so scheduling, moving and cancelling a deadline is O(1) and
/// allocates nothing: the loop moves a connection's deadline on every
/// request, which a heap would pay a sift for. A bucket is looked at once
/// it has ended, so a deadline fires at most a bucket late and never early;
/// a deadline more than a lap ahead waits in its bucket for its lap. A bitmap
/// of the non-empty buckets tells the loop when to wake next.
struct TimerWheel: ~Copyable {
    static let bucketShift: Int64 = 26
    static let bucketCount = 512
    private static let bucketMask = bucketCount - 1

    /// Per slot (flat index): its deadline and its links (-1: none).
    private struct Link {
        var deadline: Int64 = 0
        var bucket: Int32 = -1
        var next: Int32 = -1
        var previous: Int32 = -1
    }

    private let capacities: SlotCapacities
    private let links: UnsafeMutablePointer<Link>
    private let heads: UnsafeMutablePointer<Int32>
    /// Bit b of word b/64: bucket b is not empty.
    private let occupied: UnsafeMutablePointer<UInt64>
    /// The first absolute bucket number not yet looked at.
    private var scanning: Int64
    /// No deadline fires before this (a lower bound; `.max`: none scheduled).
    private(set) var nextWake: Int64 = .max

    init(capacities: SlotCapacities, now: Int64) {
        self.capacities = capacities
        links = .allocate(capacity: max(capacities.total, 1))
        links.initialize(repeating: Link(), count: capacities.total)
        heads = .allocate(capacity: TimerWheel.bucketCount)
        heads.initialize(repeating: -1, count: TimerWheel.bucketCount)
        occupied = .allocate(capacity: TimerWheel.bucketCount / 64)
        occupied.initialize(repeating: 0, count: TimerWheel.bucketCount / 64)
        scanning = now >> TimerWheel.bucketShift
    }

    deinit {
        links.deallocate()
        heads.deallocate()
        occupied.deallocate()
    }

    /// Whether `id` has a deadline.
    func isScheduled(_ id: SlotID) -> Bool { links[capacities.flatIndex(id)].bucket >= 0 }

    /// (Re)schedules `id` to expire at `deadline`. One already past fires on the next look.
    @inline(__always)
    mutating func schedule(_ id: SlotID, at deadline: Int64) {
        // A timeout of `Duration.seconds(.max)`: far enough, and no overflow in bucket arithmetic.
        let deadline = min(deadline, 1 << 62)
        let slot = capacities.flatIndex(id)
        // Never in a bucket already looked at: it would wait a lap.
        let absolute = max(deadline >> TimerWheel.bucketShift, scanning)
        let bucket = Int32(truncatingIfNeeded: absolute) & Int32(TimerWheel.bucketMask)
        links[slot].deadline = deadline
        if links[slot].bucket == bucket { return }
        unlink(slot)
        links[slot].bucket = bucket
        links[slot].previous = -1
        let head = heads[Int(bucket)]
        links[slot].next = head
        if head >= 0 { links[Int(head)].previous = Int32(slot) } else { setOccupied(Int(bucket), true) }
        heads[Int(bucket)] = Int32(slot)
        nextWake = min(nextWake, (absolute + 1) << TimerWheel.bucketShift)
    }

    @inline(__always)
    mutating func unschedule(_ id: SlotID) { unlink(capacities.flatIndex(id)) }

    /// The next slot whose deadline is at or before `now`, unscheduled; nil
    /// once every bucket that ended by `now` has been looked at.
    mutating func popExpired(now: Int64) -> SlotID? {
        guard now >= nextWake else { return nil }
        let current = now >> TimerWheel.bucketShift
        // After a long stall one lap covers every bucket.
        if current - scanning > Int64(TimerWheel.bucketCount) { scanning = current - Int64(TimerWheel.bucketCount) }
        while scanning < current {
            var slot = heads[Int(truncatingIfNeeded: scanning) & TimerWheel.bucketMask]
            while slot >= 0 {
                if links[Int(slot)].deadline <= now {
                    unlink(Int(slot))
                    return id(ofFlat: Int(slot))
                }
                slot = links[Int(slot)].next
            }
            scanning += 1
        }
        nextWake = wakeAfterScan()
        return nil
    }

    /// The end of the first non-empty bucket from `scanning` on, or `.max`.
    private func wakeAfterScan() -> Int64 {
        let start = Int(truncatingIfNeeded: scanning) & TimerWheel.bucketMask
        for step in 0..<(TimerWheel.bucketCount / 64 + 1) {
            let word = (start / 64 + step) % (TimerWheel.bucketCount / 64)
            var bits = occupied[word]
            if step == 0 { bits &= ~0 << UInt64(start % 64) }  // buckets before `start` in its word come last
            if step == TimerWheel.bucketCount / 64 { bits = occupied[word] & ~(~0 << UInt64(start % 64)) }
            guard bits != 0 else { continue }
            let bucket = word * 64 + bits.trailingZeroBitCount
            let distance = (bucket - start + TimerWheel.bucketCount) % TimerWheel.bucketCount
            return (scanning + Int64(distance) + 1) << TimerWheel.bucketShift
        }
        return .max
    }

    private mutating func unlink(_ slot: Int) {
        let bucket = links[slot].bucket
        guard bucket >= 0 else { return }
        let next = links[slot].next
        let previous = links[slot].previous
        if previous >= 0 {
            links[Int(previous)].next = next
        } else {
            heads[Int(bucket)] = next
            if next < 0 { setOccupied(Int(bucket), false) }
        }
        if next >= 0 { links[Int(next)].previous = previous }
        links[slot].bucket = -1
        links[slot].next = -1
        links[slot].previous = -1
    }

    @inline(__always)
    private func setOccupied(_ bucket: Int, _ value: Bool) {
        if value { occupied[bucket / 64] |= 1 << UInt64(bucket % 64) } else { occupied[bucket / 64] &= ~(1 << UInt64(bucket % 64)) }
    }

    @inline(__always)
    private func id(ofFlat slot: Int) -> SlotID {
        slot < capacities.served ? SlotID(.served, slot) : SlotID(.outbound, slot - capacities.served)
    }
}
