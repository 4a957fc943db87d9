/// The deadlines of a worker's delayed answers (``Response/init(_:after:)``),
/// in monotonic nanoseconds, handed out earliest first.
///
/// A FIFO for the usual case, where each new deadline is no earlier than the
/// last one queued (a route answers after one fixed delay, and requests
/// arrive in order): adding and taking are O(1) and touch two cache lines.
/// Deadlines that arrive out of order go to a min-heap beside it. Entries are
/// plain bytes, so neither moves anything but bytes (no retain, no release).
struct LaterAnswers {
    struct Entry {
        var deadline: Int64
        var answer: LaterAnswer
    }

    private var fifo: [Entry] = []
    /// The FIFO's first entry still waiting.
    private var head = 0
    private var heap: [Entry] = []

    init() {
        fifo.reserveCapacity(256)
        heap.reserveCapacity(16)
    }

    var isEmpty: Bool { head == fifo.count && heap.isEmpty }

    /// How many answers wait.
    var count: Int { fifo.count - head + heap.count }

    mutating func add(deadline: Int64, _ answer: LaterAnswer) {
        let entry = Entry(deadline: deadline, answer: answer)
        if head == fifo.count || deadline >= fifo[fifo.count - 1].deadline {
            fifo.append(entry)
        } else {
            heap.append(entry)
            siftUp(heap.count - 1)
        }
    }

    /// Nanoseconds from `now` until the earliest deadline (0 if due), nil without any.
    func nanosecondsUntilNext(now: Int64) -> Int64? {
        guard let next = earliest else { return nil }
        return max(0, next - now)
    }

    /// Takes the earliest answer if it is due at `now`.
    mutating func popDue(now: Int64) -> LaterAnswer? {
        guard let next = earliest, next <= now else { return nil }
        if head < fifo.count && fifo[head].deadline == next {
            let answer = fifo[head].answer
            head += 1
            compact()
            return answer
        }
        let answer = heap[0].answer
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return answer
    }

    private var earliest: Int64? {
        let first = head < fifo.count ? fifo[head].deadline : nil
        guard let top = heap.first?.deadline else { return first }
        guard let first else { return top }
        return min(first, top)
    }

    /// Drops the taken entries: at once when none waits, else once they are
    /// most of the array (each entry is moved O(1) times on average).
    private mutating func compact() {
        if head == fifo.count {
            fifo.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= fifo.count {
            fifo.removeSubrange(0..<head)
            head = 0
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var child = left
            if left + 1 < heap.count && heap[left + 1].deadline < heap[left].deadline { child = left + 1 }
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            parent = child
        }
    }
}
