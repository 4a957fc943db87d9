/// A bounded first-in, first-out line with removal from the middle: the
/// calls waiting for a pool's connection. Storage is reused (taken from the
/// front by advancing an index, compacted once half of it is spent), so a
/// steady line allocates nothing.
struct WaitingLine<Element> {
    let capacity: Int
    private var storage: [Element?] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { storage.count - head }

    /// The oldest element, left in line.
    var first: Element? { head < storage.count ? storage[head] : nil }

    /// Appends `element`; false when the line is full.
    mutating func append(_ element: Element) -> Bool {
        guard count < capacity else { return false }
        storage.append(element)
        return true
    }

    /// Takes the oldest element out of line.
    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        compact()
        return element
    }

    /// Takes the first element matching `predicate` out of line.
    mutating func remove(where predicate: (Element) -> Bool) -> Element? {
        guard let index = storage[head...].firstIndex(where: { $0.map(predicate) ?? false }) else { return nil }
        let element = storage.remove(at: index)
        compact()
        return element
    }

    private mutating func compact() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
