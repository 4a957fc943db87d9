#if canImport(Glibc)
import Glibc
#endif

/// A worker's connection slots and the memory each owns, allocated once:
/// the slot itself, a spill buffer for requests that straddle receives
/// (reserved, not committed: `MAP_NORESERVE`, so a page costs RAM only once
/// a connection uses it, and is given back when a connection that used more
/// than one page closes), the free list, the dirty list and the timer wheel.
///
/// The dirty list is the loop's: the HTTP core marks a slot whose state
/// changed, and the loop turns each marked slot into kernel operations once
/// per turn (h2o's "state changed" list).
struct ConnectionTable: ~Copyable {
    let capacity: Int
    let spillSize: Int
    private let slots: UnsafeMutablePointer<Connection>
    private let spill: UnsafeMutableRawPointer
    private let freeSlots: UnsafeMutablePointer<UInt32>
    private var freeCount: Int
    /// Slots touched this loop turn, each once (see `Connection.Flags.dirty`).
    private var dirty: DirtyList
    private var timers: TimerWheel
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(capacity: Int, spillSize: Int, now: Int) {
        self.capacity = capacity
        self.spillSize = spillSize
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Connection(), count: capacity)
        let mapped = mmap(nil, capacity * spillSize, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(mapped != MAP_FAILED && mapped != nil, "cannot reserve spill buffers")
        spill = mapped!
        freeSlots = .allocate(capacity: capacity)
        // Lowest slots on top of the stack: busy slots stay dense in memory.
        for index in 0..<capacity { freeSlots[index] = UInt32(capacity - 1 - index) }
        freeCount = capacity
        dirty = DirtyList(slots: capacity)
        timers = TimerWheel(now: now)
    }

    deinit {
        slots.deinitialize(count: capacity)  // releases the slots' handler objects
        slots.deallocate()
        munmap(spill, capacity * spillSize)
        freeSlots.deallocate()
        timers.deallocate()
    }

    var openCount: Int { capacity - freeCount }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutablePointer<Connection> { slots + slot }

    /// What the backend needs to address `slot`'s socket.
    @inline(__always)
    func socket(_ slot: Int) -> SocketHandle {
        SocketHandle(slot: slot, generation: slots[slot].generation, fd: slots[slot].fd)
    }

    @inline(__always)
    func spill(_ slot: Int) -> UnsafeMutableRawPointer { spill + slot * spillSize }

    /// Takes a free slot for `fd`, or nil when the table is full.
    mutating func open(fd: Int32) -> Int? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        let slot = Int(freeSlots[freeCount])
        slots[slot].open(fd: fd)
        return slot
    }

    /// Returns the slot; completions still carrying the old generation are stale.
    mutating func free(_ slot: Int) {
        timers.unschedule(slot, in: slots)
        if let handler = slots[slot].handler {
            if let stream = handler.stream {
                stream.closed = true
                stream.resume()  // the writer's next write throws
            }
            // The client is gone: a handler still working for it sees
            // `Task.isCancelled`; one still queued for the offload pool is skipped.
            handler.task?.cancel()
            handler.offloaded?.abandon()
            handler.reset()
        }
        if slots[slot].spillHighWater > pageSize {
            // A deep pipeline touched more than a page: give the memory back.
            madvise(spill(slot), (slots[slot].spillHighWater + pageSize - 1) & ~(pageSize - 1), MADV_DONTNEED)
        }
        slots[slot].release()
        freeSlots[freeCount] = UInt32(slot)
        freeCount += 1
    }

    var isFull: Bool { freeCount == 0 }

    /// After a drain timed out: closes the sockets of connections still open.
    func closeOpenDescriptors() {
        for slot in 0..<capacity where (slots + slot).isOpen { close(slots[slot].fd) }
    }

    // MARK: Timers

    mutating func schedule(_ slot: Int, at deadline: Int) { timers.schedule(slot, at: deadline, in: slots) }

    mutating func unschedule(_ slot: Int) { timers.unschedule(slot, in: slots) }

    mutating func popExpired(now: Int) -> Int? { timers.popExpired(now: now, in: slots) }

    // MARK: Dirty list (see `DirtyList`)

    var dirtyCount: Int { dirty.count }
    @inline(__always) mutating func markDirty(_ slot: Int) { dirty.mark(slot, in: slots) }
    @inline(__always) func dirtySlot(at index: Int) -> Int { dirty[index] }
    @inline(__always) func flushed(_ slot: Int, generation: UInt32) { dirty.flushed(slot, generation: generation, in: slots) }
    @inline(__always) mutating func clearDirty() { dirty.clear() }
}

extension Connection: DirtyListSlot {
    @inline(__always) static func isDirty(_ slot: UnsafeMutablePointer<Connection>) -> Bool { slot.isDirty }
}
