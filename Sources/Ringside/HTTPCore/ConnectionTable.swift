#if canImport(Glibc)
import Glibc
#endif

/// A worker's connections and all per-connection memory, allocated once.
///
/// Slot *i* owns `responsesPerConnection` iovecs, one `msghdr` and a spill
/// buffer for requests that straddle receives. Spill memory is reserved, not
/// committed (`MAP_NORESERVE`): a page costs RAM only once a connection uses it.
struct ConnectionTable: ~Copyable {
    let capacity: Int
    let responsesPerConnection: Int
    let spillSize: Int
    private let slots: UnsafeMutablePointer<Connection>
    private let iovecs: UnsafeMutablePointer<iovec>
    private let messages: UnsafeMutablePointer<msghdr>
    private let spill: UnsafeMutableRawPointer
    private let freeSlots: UnsafeMutablePointer<UInt32>
    private var freeCount: Int
    /// Slots touched this loop turn, each once (see `Connection.State.dirty`).
    private let dirtySlots: UnsafeMutablePointer<UInt32>
    private(set) var dirtyCount = 0

    init(capacity: Int, responsesPerConnection: Int, spillSize: Int) {
        self.capacity = capacity
        self.responsesPerConnection = responsesPerConnection
        self.spillSize = spillSize
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Connection(), count: capacity)
        iovecs = .allocate(capacity: capacity * responsesPerConnection)
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: msghdr(), count: capacity)
        for slot in 0..<capacity {
            messages[slot].msg_iov = iovecs + slot * responsesPerConnection
        }
        let mapped = mmap(nil, capacity * spillSize, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(mapped != MAP_FAILED && mapped != nil, "cannot reserve spill buffers")
        spill = mapped!
        freeSlots = .allocate(capacity: capacity)
        // Lowest slots on top of the stack: busy slots stay dense in memory.
        for index in 0..<capacity { freeSlots[index] = UInt32(capacity - 1 - index) }
        freeCount = capacity
        dirtySlots = .allocate(capacity: capacity)
    }

    deinit {
        slots.deallocate()
        iovecs.deallocate()
        messages.deallocate()
        munmap(spill, capacity * spillSize)
        freeSlots.deallocate()
        dirtySlots.deallocate()
    }

    var openCount: Int { capacity - freeCount }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutablePointer<Connection> { slots + slot }

    @inline(__always)
    func iovecs(_ slot: Int) -> UnsafeMutablePointer<iovec> { iovecs + slot * responsesPerConnection }

    @inline(__always)
    func message(_ slot: Int) -> UnsafeMutablePointer<msghdr> { messages + slot }

    @inline(__always)
    func spill(_ slot: Int) -> UnsafeMutableRawPointer { spill + slot * spillSize }

    /// Takes a free slot for `fd`, or nil when the table is full.
    mutating func open(fd: Int32) -> Int? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        let slot = Int(freeSlots[freeCount])
        let generation = slots[slot].generation
        slots[slot] = Connection()
        slots[slot].fd = fd
        slots[slot].generation = generation
        slots[slot].state = .open
        return slot
    }

    /// Returns the slot; completions still carrying the old generation are stale.
    mutating func free(_ slot: Int) {
        slots[slot].state = []
        slots[slot].fd = -1
        slots[slot].generation = (slots[slot].generation &+ 1) & 0xFF_FFFF
        freeSlots[freeCount] = UInt32(slot)
        freeCount += 1
    }

    @inline(__always)
    mutating func markDirty(_ slot: Int) {
        guard !slots[slot].state.contains(.dirty) else { return }
        slots[slot].state.insert(.dirty)
        dirtySlots[dirtyCount] = UInt32(slot)
        dirtyCount += 1
    }

    /// The `index`-th dirty slot, its flag cleared: handling it may mark it
    /// dirty again, which appends it, and a walk up to `dirtyCount` visits it again.
    @inline(__always)
    mutating func takeDirty(at index: Int) -> Int {
        let slot = Int(dirtySlots[index])
        slots[slot].state.remove(.dirty)
        return slot
    }

    /// Forgets the dirty list once every entry was taken.
    @inline(__always)
    mutating func clearDirty() { dirtyCount = 0 }

}
