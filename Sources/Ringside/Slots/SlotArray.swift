/// One `Element` per slot of every kind, allocated once: a backend's per-slot
/// I/O state, the timers' links. Elements are read and written in place.
struct SlotArray<Element>: ~Copyable {
    let capacities: SlotCapacities
    private let base: UnsafeMutablePointer<Element>

    init(capacities: SlotCapacities, initialValue: Element) {
        self.capacities = capacities
        base = .allocate(capacity: max(capacities.total, 1))
        base.initialize(repeating: initialValue, count: capacities.total)
    }

    deinit {
        base.deinitialize(count: capacities.total)
        base.deallocate()
    }

    @inline(__always)
    func contains(_ id: SlotID) -> Bool { id.index < capacities[id.kind] }

    @inline(__always)
    subscript(id: SlotID) -> Element {
        unsafeAddress { UnsafePointer(base + capacities.flatIndex(id)) }
        nonmutating unsafeMutableAddress { base + capacities.flatIndex(id) }
    }
}
