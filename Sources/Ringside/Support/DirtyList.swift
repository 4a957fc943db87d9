/// A slot that can be on a ``DirtyList``: the flag that says so lives in the
/// slot, beside the state a change touches anyway, so marking a slot costs
/// no extra cache line.
protocol DirtyListSlot {
    /// Read through the pointer: a computed property on a large slot's
    /// `pointee` can copy the whole slot.
    static func isDirty(_ slot: UnsafeMutablePointer<Self>) -> Bool
    mutating func setDirty(_ dirty: Bool)
    /// Changes when the slot is freed, so a flush can tell a reused slot.
    var generation: UInt32 { get }
}

/// The slots whose state changed this loop turn, each listed once, for the
/// loop to turn into backend operations at the turn's end (h2o's "state
/// changed" list). The owner of the slots keeps the list and passes its
/// slots in.
struct DirtyList: ~Copyable {
    private let entries: UnsafeMutablePointer<UInt32>
    private let capacity: Int
    private(set) var count = 0

    /// A slot is listed once per walk, plus once more if it is freed and
    /// reused during the walk: twice the slots bound the list.
    init(slots: Int) {
        capacity = 2 * slots
        entries = .allocate(capacity: max(capacity, 1))
    }

    deinit { entries.deallocate() }

    /// Lists `slot` unless it already is.
    @inline(__always)
    mutating func mark<Slot: DirtyListSlot>(_ slot: Int, in slots: UnsafeMutablePointer<Slot>) {
        guard !Slot.isDirty(slots + slot) else { return }
        precondition(count < capacity, "dirty list overflow")
        slots[slot].setDirty(true)
        entries[count] = UInt32(slot)
        count += 1
    }

    /// The `index`-th slot listed. Its flag stays set while the loop flushes
    /// it, so marking it again meanwhile is a no-op; call
    /// `flushed(_:generation:in:)` afterwards.
    @inline(__always)
    subscript(index: Int) -> Int { Int(entries[index]) }

    /// Ends a slot's flush: a later change lists it again. A slot freed and
    /// reused during the flush keeps the new occupant's flag.
    @inline(__always)
    func flushed<Slot: DirtyListSlot>(_ slot: Int, generation: UInt32, in slots: UnsafeMutablePointer<Slot>) {
        if slots[slot].generation == generation { slots[slot].setDirty(false) }
    }

    /// Forgets the list once every entry was taken.
    @inline(__always)
    mutating func clear() { count = 0 }
}
