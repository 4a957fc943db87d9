/// Connection deadlines in one-second buckets, checked once per worker tick.
///
/// A hashed wheel of 64 buckets, each an intrusive doubly linked list threaded
/// through the slots themselves (`timerNext`/`timerPrevious`), so scheduling,
/// moving and cancelling a deadline is O(1) and allocates nothing. Deadlines
/// more than 64 s ahead share a bucket with nearer ones and are skipped until
/// their lap comes round.
///
/// A plain struct owned by `ConnectionTable`, which frees it with `deallocate()`.
struct TimerWheel {
    static let bucketCount = 64
    private let heads: UnsafeMutablePointer<Int32>
    /// Every second up to this one has been expired.
    private var expiredThrough: Int
    /// The second `popExpired` is scanning.
    private var scanning: Int

    init(now: Int) {
        heads = .allocate(capacity: TimerWheel.bucketCount)
        heads.initialize(repeating: -1, count: TimerWheel.bucketCount)
        expiredThrough = now
        scanning = now + 1
    }

    func deallocate() { heads.deallocate() }

    /// (Re)schedules `slot` to expire at `deadline`.
    mutating func schedule(_ slot: Int, at deadline: Int, in slots: UnsafeMutablePointer<Connection>) {
        let bucket = Int32(deadline & (TimerWheel.bucketCount - 1))
        if slots[slot].timerBucket == bucket {
            slots[slot].timerDeadline = deadline
            return
        }
        unschedule(slot, in: slots)
        slots[slot].timerDeadline = deadline
        slots[slot].timerBucket = bucket
        slots[slot].timerPrevious = -1
        slots[slot].timerNext = heads[Int(bucket)]
        if heads[Int(bucket)] >= 0 { slots[Int(heads[Int(bucket)])].timerPrevious = Int32(slot) }
        heads[Int(bucket)] = Int32(slot)
    }

    mutating func unschedule(_ slot: Int, in slots: UnsafeMutablePointer<Connection>) {
        let bucket = slots[slot].timerBucket
        guard bucket >= 0 else { return }
        let next = slots[slot].timerNext
        let previous = slots[slot].timerPrevious
        if previous >= 0 { slots[Int(previous)].timerNext = next } else { heads[Int(bucket)] = next }
        if next >= 0 { slots[Int(next)].timerPrevious = previous }
        slots[slot].timerBucket = -1
        slots[slot].timerNext = -1
        slots[slot].timerPrevious = -1
    }

    /// The next slot whose deadline is at or before `now`, unscheduled; nil once
    /// every second up to `now` has been looked at.
    mutating func popExpired(now: Int, in slots: UnsafeMutablePointer<Connection>) -> Int? {
        // After a long stall one lap covers every bucket.
        if now - expiredThrough > TimerWheel.bucketCount {
            expiredThrough = now - TimerWheel.bucketCount
            scanning = max(scanning, expiredThrough + 1)
        }
        while scanning <= now {
            var slot = heads[scanning & (TimerWheel.bucketCount - 1)]
            while slot >= 0 {
                if slots[Int(slot)].timerDeadline <= now {
                    unschedule(Int(slot), in: slots)
                    return Int(slot)
                }
                slot = slots[Int(slot)].timerNext
            }
            scanning += 1
        }
        expiredThrough = now
        return nil
    }
}
