import Testing

@testable import Ringside

/// The slot tables and the one dirty list they share: slots taken lowest
/// first, generations bumped on free, each slot of either kind listed once
/// per turn in the order it changed, and a flush that ends only the flushed
/// occupant's mark.
struct SlotTableTests {
    struct Slot: TableSlot {
        var generation: UInt32 = 0
        var fd: Int32 = -1
        var open = false
        var dirty = false
        mutating func setDirty(_ dirty: Bool) { self.dirty = dirty }
        static func isOpen(_ slot: UnsafeMutablePointer<Slot>) -> Bool { slot.pointee.open }
        static func isDirty(_ slot: UnsafeMutablePointer<Slot>) -> Bool { slot.pointee.dirty }
    }

    let capacities = SlotCapacities(served: 4, outbound: 2)

    @Test func slotsAreTakenLowestFirstAndComeBackWithANewGeneration() {
        let dirty = DirtySlots(capacities: capacities)
        var table = SlotTable<Slot>(.served, capacity: 4, queueDepth: 2, dirty: dirty)
        let first = table.take(), second = table.take()
        #expect(first == 0 && second == 1)
        let open = table.openCount
        #expect(open == 2)
        table[1].pointee.open = true
        let current = table.isCurrent(1, 0)
        #expect(current)
        table[1].pointee.open = false
        table.free(1)
        #expect(table[1].pointee.generation == 1)
        let stale = !table.isCurrent(1, 0)
        #expect(stale)
        let reused = table.take()
        #expect(reused == 1, "the freed slot is the next one taken")
        let socket = table.socket(1)
        #expect(socket.id == SlotID(.served, 1) && socket.generation == 1)
        for _ in 0..<2 { _ = table.take() }
        let full = table.isFull, none = table.take()
        #expect(full && none == nil)
        // Generations wrap with the token's mask.
        table[2].pointee.generation = Token.generationMask
        table.free(2)
        #expect(table[2].pointee.generation == 0)
    }

    @Test func oneDirtyListForEveryKindEachSlotOncePerTurn() {
        let dirty = DirtySlots(capacities: capacities)
        let served = SlotTable<Slot>(.served, capacity: 4, queueDepth: 2, dirty: dirty)
        let outbound = SlotTable<Slot>(.outbound, capacity: 2, queueDepth: 2, dirty: dirty)
        served.markDirty(2)
        outbound.markDirty(0)
        served.markDirty(0)
        served.markDirty(2)
        outbound.markDirty(1)
        outbound.markDirty(0)
        #expect(dirty.count == 4)
        #expect((0..<dirty.count).map { dirty[$0] }
            == [SlotID(.served, 2), SlotID(.outbound, 0), SlotID(.served, 0), SlotID(.outbound, 1)])
        #expect(served[2].pointee.dirty && !served[1].pointee.dirty && outbound[0].pointee.dirty)

        // Marked while it is flushed: still listed once.
        served.flushed(2, generation: 0)
        #expect(!served[2].pointee.dirty)
        // Freed and reused during its flush: the new occupant keeps its mark.
        outbound[0].pointee.generation = 1
        outbound.flushed(0, generation: 0)
        #expect(outbound[0].pointee.dirty)

        dirty.clear()
        #expect(dirty.count == 0)
        served.markDirty(2)
        #expect(dirty.count == 1 && dirty[0] == SlotID(.served, 2))
    }

    @Test func twiceTheSlotsFit() {
        let dirty = DirtySlots(capacities: capacities)
        let served = SlotTable<Slot>(.served, capacity: 4, queueDepth: 2, dirty: dirty)
        let outbound = SlotTable<Slot>(.outbound, capacity: 2, queueDepth: 2, dirty: dirty)
        // Every slot listed, flushed, then listed again within one walk.
        for _ in 0..<2 {
            for slot in 0..<4 { served.markDirty(slot) }
            for slot in 0..<2 { outbound.markDirty(slot) }
            for slot in 0..<4 { served.flushed(slot, generation: 0) }
            for slot in 0..<2 { outbound.flushed(slot, generation: 0) }
        }
        #expect(dirty.count == 12)
    }

    @Test func tokensCarryTheSlotsKindGenerationAndIndex() {
        for kind in SlotKind.allCases {
            let socket = SocketHandle(id: SlotID(kind, 70_000), generation: Token.generationMask, fd: 9)
            let token = Token(operation: 3, socket)
            #expect(token.operation == 3)
            #expect(token.slot == SlotID(kind, 70_000))
            #expect(token.generation == Token.generationMask)
        }
        // Generations past the mask wrap instead of spilling into the kind.
        let wrapped = Token(operation: 1, SocketHandle(id: SlotID(.served, 5), generation: Token.generationMask + 1, fd: 0))
        #expect(wrapped.slot == SlotID(.served, 5) && wrapped.generation == 0)
    }
}
