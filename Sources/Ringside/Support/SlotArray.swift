/// One `Element` per connection slot, allocated once: a backend's per-slot
/// I/O state. Elements are read and written in place.
struct SlotArray<Element>: ~Copyable {
    let capacity: Int
    private let base: UnsafeMutablePointer<Element>

    init(capacity: Int, initialValue: Element) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        base.initialize(repeating: initialValue, count: capacity)
    }

    deinit {
        base.deinitialize(count: capacity)
        base.deallocate()
    }

    @inline(__always)
    subscript(slot: Int) -> Element {
        unsafeAddress { UnsafePointer(base + slot) }
        nonmutating unsafeMutableAddress { base + slot }
    }
}
