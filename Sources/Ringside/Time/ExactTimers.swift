import DequeModule
import HeapModule

/// What waits for an exact deadline. Plain bytes (a sleeping task's
/// continuation waits in `TimerService`'s table, by index), so the timer
/// queues move and compare entries without a retain, a release or an
/// outlined copy: tens of thousands of delayed answers pass through them a second.
enum ExactTimer {
    /// A delayed prebuilt answer (``Response/init(_:after:)``), for the HTTP core.
    case answer(LaterAnswer)
    /// A ``WorkerClock`` sleep: its continuation's place in the service's table.
    case sleep(Int32)
    /// Calls waiting in outbound pool `pool`'s line may have waited too long.
    case clientQueue(pool: Int32)
}

/// Exact deadlines in monotonic nanoseconds, handed out earliest first
/// (those with one deadline in the order they were added).
///
/// A FIFO (`Deque`) takes every deadline no earlier than the last one it
/// holds: the usual case, as a route answers after one fixed delay and its
/// requests arrive in order, so adding and taking are O(1) with no sift.
/// The rest go to a `Heap`.
struct ExactTimers {
    struct Entry: Comparable {
        var deadline: Int64
        /// Tie-breaker: timers with one deadline fire in the order they were added.
        var order: UInt64
        var timer: ExactTimer

        static func < (a: Entry, b: Entry) -> Bool {
            a.deadline < b.deadline || (a.deadline == b.deadline && a.order < b.order)
        }

        static func == (a: Entry, b: Entry) -> Bool { a.deadline == b.deadline && a.order == b.order }
    }

    private var fifo = Deque<Entry>(minimumCapacity: 256)
    private var heap = Heap<Entry>()
    private var nextOrder: UInt64 = 0

    var isEmpty: Bool { fifo.isEmpty && heap.isEmpty }
    var count: Int { fifo.count + heap.count }

    mutating func add(_ timer: ExactTimer, at deadline: Int64) {
        let entry = Entry(deadline: deadline, order: nextOrder, timer: timer)
        nextOrder &+= 1
        if !fifo.isEmpty && deadline < fifo[fifo.count - 1].deadline {
            heap.insert(entry)
        } else {
            fifo.append(entry)
        }
    }

    /// The earliest deadline, nil without any.
    var earliest: Int64? {
        switch (fifo.first, heap.min) {
        case (nil, nil): nil
        case (let first?, nil): first.deadline
        case (nil, let top?): top.deadline
        case (let first?, let top?): min(first.deadline, top.deadline)
        }
    }

    /// Takes the earliest timer if it is due at `now`.
    mutating func popDue(now: Int64) -> ExactTimer? {
        if let first = fifo.first, first.deadline <= now, heap.min.map({ first < $0 }) ?? true {
            return fifo.removeFirst().timer
        }
        if let top = heap.min, top.deadline <= now { return heap.removeMin().timer }
        return nil
    }
}
