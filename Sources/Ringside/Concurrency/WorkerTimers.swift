/// A worker's timers for ``WorkerClock`` sleeps: a min-heap of deadlines,
/// fired by the worker's loop, which sleeps no longer than the earliest.
///
/// Touched only on the worker thread. Generic over what waits, so the heap
/// can be tested without suspending tasks.
struct WorkerTimers<Waiter> {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        /// Tie-breaker: timers with one deadline fire in the order they were set.
        var order: UInt64
        var waiter: Waiter
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    init() { heap.reserveCapacity(64) }

    var isEmpty: Bool { heap.isEmpty }

    mutating func add(_ deadline: ContinuousClock.Instant, _ waiter: Waiter) {
        heap.append(Entry(deadline: deadline, order: nextOrder, waiter: waiter))
        nextOrder &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Nanoseconds until the earliest deadline (0 if due), or nil without timers.
    func nanosecondsUntilNext(now: ContinuousClock.Instant) -> Int64? {
        guard let first = heap.first else { return nil }
        let remaining = now.duration(to: first.deadline).components
        if remaining.seconds < 0 { return 0 }
        return max(0, remaining.seconds * 1_000_000_000 + remaining.attoseconds / 1_000_000_000)
    }

    /// Hands every waiter due at `now` to `fire`, earliest first.
    mutating func fire(now: ContinuousClock.Instant, _ fire: (Waiter) -> Void) {
        while let first = heap.first, first.deadline <= now {
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown()
            }
            fire(first.waiter)
        }
    }

    private mutating func siftDown() {
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var child = left
            if left + 1 < heap.count && Self.before(heap[left + 1], heap[left]) { child = left + 1 }
            guard Self.before(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            parent = child
        }
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.order < b.order)
    }
}
