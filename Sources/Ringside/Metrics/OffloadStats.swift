import Synchronization

/// The offload pool's run-time counters: each pool thread writes its own
/// (jobs run, nanoseconds spent running them), on cache lines of its own,
/// with a relaxed load and store; a scrape sums them.
final class OffloadStats: @unchecked Sendable {
    // @unchecked: thread *i* alone writes values[i * stride ..< i * stride + 2]
    // (a single writer each); scrapes only load. `registered` hands out the indexes.
    private static let stride = 16  // 128 bytes per thread
    private let threads: Int
    private let values: UnsafeMutablePointer<Atomic<UInt64>>
    private let registered = Atomic<Int>(0)

    init(threads: Int) {
        self.threads = max(threads, 1)
        let count = self.threads * OffloadStats.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Atomic<UInt64>>.stride, alignment: 128)
        values = raw.bindMemory(to: Atomic<UInt64>.self, capacity: count)
        for index in 0..<count { (values + index).initialize(to: Atomic(0)) }
    }

    deinit {
        values.deinitialize(count: threads * OffloadStats.stride)
        values.deallocate()
    }

    /// A pool thread's own index, taken once when it starts.
    func register() -> Int { registered.wrappingAdd(1, ordering: .relaxed).oldValue % threads }

    /// Thread `index` ran one job that took `nanoseconds`.
    @inline(__always)
    func ran(_ index: Int, nanoseconds: Int64) {
        let base = values + index * OffloadStats.stride
        base[0].store(base[0].load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        base[1].store(base[1].load(ordering: .relaxed) &+ UInt64(max(nanoseconds, 0)), ordering: .relaxed)
    }

    /// Jobs run and nanoseconds spent, summed over the threads.
    var totals: (jobs: UInt64, nanoseconds: UInt64) {
        var jobs: UInt64 = 0
        var nanoseconds: UInt64 = 0
        for index in 0..<threads {
            jobs &+= values[index * OffloadStats.stride].load(ordering: .relaxed)
            nanoseconds &+= values[index * OffloadStats.stride + 1].load(ordering: .relaxed)
        }
        return (jobs, nanoseconds)
    }
}
