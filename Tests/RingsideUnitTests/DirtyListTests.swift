import Testing

@testable import Ringside

/// The loop's dirty list: each slot listed once per turn, a flush that ends
/// only the flushed occupant's mark.
struct DirtyListTests {
    struct Slot: DirtyListSlot {
        var isDirty = false
        var generation: UInt32 = 0
        mutating func setDirty(_ dirty: Bool) { isDirty = dirty }
        static func isDirty(_ slot: UnsafeMutablePointer<Slot>) -> Bool { slot.pointee.isDirty }
    }

    @Test func eachSlotOncePerTurn() {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: 4)
        defer { slots.deallocate() }
        slots.initialize(repeating: Slot(), count: 4)
        var list = DirtyList(slots: 4)
        for slot in [2, 0, 2, 3, 0, 2] { list.mark(slot, in: slots) }
        #expect(list.count == 3)
        #expect((0..<list.count).map { list[$0] } == [2, 0, 3])
        #expect(slots[2].isDirty && !slots[1].isDirty)

        // Marked while it is flushed: still listed once.
        list.mark(2, in: slots)
        #expect(list.count == 3)
        list.flushed(2, generation: 0, in: slots)
        #expect(!slots[2].isDirty)
        // Freed and reused during its flush: the new occupant keeps its mark.
        slots[0].generation = 1
        list.flushed(0, generation: 0, in: slots)
        #expect(slots[0].isDirty)

        list.clear()
        #expect(list.count == 0)
        list.mark(2, in: slots)
        #expect(list.count == 1 && list[0] == 2)
    }

    @Test func twiceTheSlotsFit() {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: 3)
        defer { slots.deallocate() }
        slots.initialize(repeating: Slot(), count: 3)
        var list = DirtyList(slots: 3)
        // Every slot listed, flushed, then listed again within one walk.
        for slot in 0..<3 { list.mark(slot, in: slots) }
        for slot in 0..<3 { list.flushed(slot, generation: 0, in: slots) }
        for slot in 0..<3 { list.mark(slot, in: slots) }
        #expect(list.count == 6)
        #expect((0..<list.count).map { list[$0] } == [0, 1, 2, 0, 1, 2])
    }
}
