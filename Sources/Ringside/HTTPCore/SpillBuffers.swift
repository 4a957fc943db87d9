#if canImport(Glibc)
import Glibc
#endif

/// One spill buffer per served slot, for requests that straddle receives or
/// wait while their connection is paused: reserved, not committed
/// (`MAP_NORESERVE`), so a page costs RAM only once a connection uses it,
/// and given back when a connection that used more than one page closes.
struct SpillBuffers: ~Copyable {
    let size: Int
    private let capacity: Int
    private let base: UnsafeMutableRawPointer
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(slots capacity: Int, size: Int) {
        self.capacity = capacity
        self.size = size
        let mapped = mmap(nil, max(capacity * size, 1), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(mapped != MAP_FAILED && mapped != nil, "cannot reserve spill buffers")
        base = mapped!
    }

    deinit { munmap(base, max(capacity * size, 1)) }

    @inline(__always)
    subscript(slot: Int) -> UnsafeMutableRawPointer { base + slot * size }

    /// The connection in `slot` closed having held `highWater` bytes: a deep
    /// pipeline that touched more than a page gives the memory back.
    func release(_ slot: Int, highWater: Int) {
        guard highWater > pageSize else { return }
        madvise(self[slot], (highWater + pageSize - 1) & ~(pageSize - 1), MADV_DONTNEED)
    }
}
