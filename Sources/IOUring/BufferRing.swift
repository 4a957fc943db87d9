public import CLiburing
#if canImport(Glibc)
import Glibc
#endif

/// A provided-buffer ring: `count` receive buffers of `size` bytes that the
/// kernel picks from as data arrives, so idle connections hold no buffer.
///
/// Buffers are returned with ``recycle(_:)`` and made visible to the kernel in
/// one ``publish()`` per loop turn.
public struct BufferRing {
    @usableFromInline let ring: UnsafeMutablePointer<io_uring_buf_ring>
    @usableFromInline let base: UnsafeMutableRawPointer
    public let count: UInt32
    public let size: UInt32
    public let group: UInt16
    @usableFromInline let mask: Int32
    @usableFromInline var pending: Int32 = 0

    /// - Parameters:
    ///   - count: number of buffers, a power of two up to 32768.
    ///   - size: bytes per buffer.
    public init(on owner: borrowing Ring, group: UInt16, count: UInt32, size: UInt32) throws(IOUringError) {
        precondition(count > 0 && count & (count - 1) == 0 && count <= 32768, "buffer count must be a power of two <= 32768")
        let length = Int(count) * Int(size)
        guard let memory = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED
        else { throw IOUringError("mmap receive buffers", errno: errno) }

        var error: Int32 = 0
        guard let ring = rs_setup_buf_ring(owner.raw, count, Int32(group), &error) else {
            munmap(memory, length)
            throw IOUringError("io_uring_register_buf_ring", errno: -error)
        }
        self.ring = ring
        self.base = memory
        self.count = count
        self.size = size
        self.group = group
        self.mask = io_uring_buf_ring_mask(count)
        for id in 0..<UInt16(truncatingIfNeeded: count) { recycle(id) }
        publish()
    }

    /// The memory of buffer `id`.
    @inlinable
    public func buffer(_ id: UInt16) -> UnsafeMutableRawPointer {
        base + Int(id) * Int(size)
    }

    /// Gives buffer `id` back; the kernel sees it after the next ``publish()``.
    @inlinable
    public mutating func recycle(_ id: UInt16) {
        io_uring_buf_ring_add(ring, buffer(id), size, id, mask, pending)
        pending += 1
    }

    /// Makes every recycled buffer visible to the kernel with one tail store.
    @inlinable
    public mutating func publish() {
        guard pending > 0 else { return }
        io_uring_buf_ring_advance(ring, pending)
        pending = 0
    }

    /// Unregisters the ring and frees the buffers; no receive may be armed on it.
    public func release(from owner: borrowing Ring) {
        rs_free_buf_ring(owner.raw, ring, count, Int32(group))
        munmap(base, Int(count) * Int(size))
    }
}
