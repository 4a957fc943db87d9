#if canImport(Glibc)
import Glibc
#endif

/// Every slot's queue of bytes waiting to be sent (a served connection's
/// responses, an outbound one's request), allocated once with its
/// ``SlotTable``.
///
/// Slot *i* owns `depth` iovecs, each with an owner (a retained
/// `OutputBuffer` that keeps a handler's encoded response alive until it is
/// sent, or nil for prebuilt bytes), and one `msghdr` over them, so a
/// backend sends the whole queue with one `sendmsg`. Prebuilt responses are
/// queued as pointers into their laid-out bytes: nothing is copied.
///
/// A send covers the queue's first iovecs as they were when it was issued;
/// only ``append(_:_:owner:)`` (at the end) and ``consume(_:_:)`` (at the
/// front, once it completed) change them, so memory a send in flight reads
/// never moves.
struct SendQueues: ~Copyable {
    /// Iovecs per slot (for served connections: before the HTTP core stops reading requests).
    let depth: Int
    private let capacity: Int
    private let counts: UnsafeMutablePointer<UInt16>
    private let iovecs: UnsafeMutablePointer<iovec>
    /// Retained `OutputBuffer`s (or nil), one per iovec. Reserved, not
    /// committed (`MAP_NORESERVE`): zero pages read as nil and cost RAM only
    /// once a handler's response is queued on a slot.
    private let owners: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let messages: UnsafeMutablePointer<msghdr>

    init(slots capacity: Int, depth: Int) {
        precondition(depth > 0 && depth <= Int(UInt16.max), "queue depth out of range")
        self.capacity = capacity
        self.depth = depth
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
        iovecs = .allocate(capacity: capacity * depth)
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: msghdr(), count: capacity)
        for slot in 0..<capacity { messages[slot].msg_iov = iovecs + slot * depth }
        let ownerBytes = capacity * depth * MemoryLayout<UnsafeMutableRawPointer?>.stride
        let memory = mmap(nil, ownerBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(memory != MAP_FAILED && memory != nil, "cannot reserve response owners")
        owners = memory!.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: capacity * depth)
    }

    deinit {
        for slot in 0..<capacity { releaseOwners(slot) }
        counts.deallocate()
        iovecs.deallocate()
        messages.deallocate()
        munmap(owners, capacity * depth * MemoryLayout<UnsafeMutableRawPointer?>.stride)
    }

    /// Responses queued on `slot` (those a send in flight covers included).
    @inline(__always)
    func count(_ slot: Int) -> Int { Int(counts[slot]) }

    @inline(__always)
    func isFull(_ slot: Int) -> Bool { Int(counts[slot]) == depth }

    /// Queues `bytes`; `owner`, retained until they are sent, keeps them alive.
    @inline(__always)
    mutating func append(_ slot: Int, _ bytes: UnsafeRawBufferPointer, owner: OutputBuffer? = nil) {
        let index = Int(counts[slot])
        precondition(index < depth, "response queue overflow")
        iovecs[slot * depth + index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        if let owner { owners[slot * depth + index] = Unmanaged.passRetained(owner).toOpaque() }
        counts[slot] += 1
    }

    /// The message to send `slot`'s whole queue with.
    @inline(__always)
    func message(_ slot: Int) -> UnsafeMutablePointer<msghdr> {
        messages[slot].msg_iovlen = Int(counts[slot])
        return messages + slot
    }

    /// A send wrote `written` bytes from the front of the queue: drops the
    /// responses it finished and resumes a partly sent one where it stopped.
    mutating func consume(_ slot: Int, _ written: Int) {
        let iov = iovecs + slot * depth
        let owners = self.owners + slot * depth
        let count = Int(counts[slot])
        var remaining = written
        var done = 0
        while done < count && remaining >= iov[done].iov_len {
            remaining -= iov[done].iov_len
            done += 1
        }
        if remaining > 0 {
            iov[done].iov_base += remaining
            iov[done].iov_len -= remaining
        }
        guard done > 0 else { return }
        for index in 0..<done where owners[index] != nil {
            Unmanaged<AnyObject>.fromOpaque(owners[index]!).release()
            owners[index] = nil
        }
        let left = count - done
        if left > 0 {
            iov.update(from: iov + done, count: left)
            owners.update(from: owners + done, count: left)
            (owners + left).update(repeating: nil, count: done)
        }
        counts[slot] = UInt16(left)
    }

    /// Drops everything queued on `slot` (its connection closed).
    mutating func clear(_ slot: Int) { releaseOwners(slot) }

    /// Releases the owners of `slot`'s queued responses and empties the queue.
    private func releaseOwners(_ slot: Int) {
        let owners = self.owners + slot * depth
        for index in 0..<Int(counts[slot]) where owners[index] != nil {
            Unmanaged<AnyObject>.fromOpaque(owners[index]!).release()
            owners[index] = nil
        }
        counts[slot] = 0
    }
}
