#if canImport(Glibc)
import Glibc
#endif

/// What a ``SlotTable`` needs of the state it holds per slot.
protocol TableSlot {
    /// A free slot.
    init()
    /// Changes when the slot is freed (the table bumps it), so late
    /// completions, results and flushes can tell a reused slot.
    var generation: UInt32 { get set }
    var fd: Int32 { get }
    /// Read through the pointer: a computed property on a large slot's
    /// `pointee` can copy the whole slot.
    static func isOpen(_ slot: UnsafeMutablePointer<Self>) -> Bool
    static func isDirty(_ slot: UnsafeMutablePointer<Self>) -> Bool
    /// The slot's `fd` is its own to close (an HTTP/2 stream slot's is its connection's).
    static func ownsDescriptor(_ slot: UnsafeMutablePointer<Self>) -> Bool
    /// The dirty-list flag (see ``DirtySlots``).
    mutating func setDirty(_ dirty: Bool)
}

extension TableSlot {
    static func ownsDescriptor(_ slot: UnsafeMutablePointer<Self>) -> Bool { true }
}

/// One kind's slots, allocated once when the worker starts: the slots
/// themselves (plain data, no object per connection), their free list and
/// generations, one send queue each, and their places on the worker's
/// ``DirtySlots``. Served connections and outbound ones are two tables of
/// this one type; their timers are the worker's ``TimerService``'s.
struct SlotTable<Slot: TableSlot>: ~Copyable {
    let kind: SlotKind
    let capacity: Int
    private let slots: UnsafeMutablePointer<Slot>
    private let freeSlots: UnsafeMutablePointer<UInt32>
    private var freeCount: Int
    /// Each slot's bytes waiting to be sent.
    var queues: SendQueues
    let dirty: DirtySlots

    init(_ kind: SlotKind, capacity: Int, queueDepth: Int, dirty: DirtySlots) {
        self.kind = kind
        self.capacity = capacity
        self.dirty = dirty
        slots = .allocate(capacity: max(capacity, 1))
        slots.initialize(repeating: Slot(), count: capacity)
        freeSlots = .allocate(capacity: max(capacity, 1))
        // Lowest slots on top of the stack: busy slots stay dense in memory.
        for index in 0..<capacity { freeSlots[index] = UInt32(capacity - 1 - index) }
        freeCount = capacity
        queues = SendQueues(slots: max(capacity, 1), depth: queueDepth)
    }

    deinit {
        slots.deinitialize(count: capacity)  // releases what the slots still hold
        slots.deallocate()
        freeSlots.deallocate()
    }

    var openCount: Int { capacity - freeCount }
    var isFull: Bool { freeCount == 0 }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutablePointer<Slot> { slots + slot }

    /// What the backend needs to address `slot`'s socket.
    @inline(__always)
    func socket(_ slot: Int) -> SocketHandle {
        SocketHandle(id: SlotID(kind, slot), generation: slots[slot].generation, fd: slots[slot].fd)
    }

    /// Takes a free slot for the caller to open, or nil when the table is full.
    mutating func take() -> Int? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        return Int(freeSlots[freeCount])
    }

    /// Gives `slot` back, its occupant already released: its queue is
    /// emptied, and the next occupant gets a new generation, so whatever of
    /// the old one still arrives is recognised as stale.
    mutating func free(_ slot: Int) {
        queues.clear(slot)
        slots[slot].generation = (slots[slot].generation &+ 1) & Token.generationMask
        freeSlots[freeCount] = UInt32(slot)
        freeCount += 1
    }

    /// Whether `slot` is open and still the occupant of `generation`.
    @inline(__always)
    func isCurrent(_ slot: Int, _ generation: UInt32) -> Bool {
        Slot.isOpen(slots + slot) && slots[slot].generation == generation
    }

    // MARK: The dirty list

    /// Lists `slot` for this turn's flush.
    @inline(__always)
    func markDirty(_ slot: Int) { dirty.mark(SlotID(kind, slot), in: slots + slot) }

    /// Ends `slot`'s flush: a later change lists it again. A slot freed and
    /// reused during the flush keeps the new occupant's flag.
    @inline(__always)
    func flushed(_ slot: Int, generation: UInt32) {
        if slots[slot].generation == generation { slots[slot].setDirty(false) }
    }

    /// Marks every open slot (the drain shortens their timers).
    func markAllOpen() {
        for slot in 0..<capacity where Slot.isOpen(slots + slot) { markDirty(slot) }
    }

    /// After a drain timed out: closes the sockets of slots still open.
    func closeOpenDescriptors() {
        for slot in 0..<capacity where Slot.isOpen(slots + slot) && Slot.ownsDescriptor(slots + slot) { close(slots[slot].fd) }
    }
}
