/// The slots of every kind whose state changed this loop turn, each listed
/// once, for the loop to turn into backend operations at the turn's end
/// (h2o's "state changed" list): one list, so one flush walks them all, in
/// the order they changed.
///
/// The loop makes it and walks it; each ``SlotTable`` marks its own slots on
/// it (the flag that says a slot is listed lives in the slot, beside the
/// state a change touches anyway). A class, because the tables share it;
/// its state sits behind `let` pointers, so marking costs no exclusivity
/// check. Confined to the worker thread.
final class DirtySlots {
    private let entries: UnsafeMutablePointer<UInt32>
    private let capacity: Int
    private let countStorage: UnsafeMutablePointer<Int>

    /// A slot is listed once per walk, plus once more if it is freed and
    /// reused during the walk: twice the slots bound the list.
    init(capacities: SlotCapacities) {
        capacity = 2 * capacities.total
        entries = .allocate(capacity: max(capacity, 1))
        countStorage = .allocate(capacity: 1)
        countStorage.initialize(to: 0)
    }

    deinit {
        entries.deallocate()
        countStorage.deallocate()
    }

    var count: Int { countStorage.pointee }

    /// Lists `id` unless its flag says it already is.
    @inline(__always)
    func mark<Slot: TableSlot>(_ id: SlotID, in slot: UnsafeMutablePointer<Slot>) {
        guard !Slot.isDirty(slot) else { return }
        let count = countStorage.pointee
        precondition(count < capacity, "dirty list overflow")
        slot.pointee.setDirty(true)
        entries[count] = UInt32(id.kind.rawValue) << 30 | UInt32(id.index)
        countStorage.pointee = count + 1
    }

    /// The `index`-th slot listed. Its flag stays set while the loop flushes
    /// it, so marking it again meanwhile is a no-op; its table's
    /// `flushed(_:generation:)` ends that.
    @inline(__always)
    subscript(index: Int) -> SlotID {
        let entry = entries[index]
        return SlotID(SlotKind(rawValue: UInt8(entry >> 30)) ?? .served, Int(entry & 0x3FFF_FFFF))
    }

    /// Forgets the list once every entry was taken.
    @inline(__always)
    func clear() { countStorage.pointee = 0 }
}
