/// The router compiled for matching: every path's bytes in one buffer.
///
/// Lookup compares lengths, then bytes; it allocates nothing. Exact paths
/// only, so a linear scan over the few routes beats any index.
struct RouteTable: ~Copyable {
    private let bytes: UnsafeMutableRawPointer
    private let spans: UnsafeMutablePointer<(offset: Int, count: Int)>
    let count: Int
    /// The route for `/`, which also answers targets without a path (`http://host`, `*`).
    let rootIndex: Int?

    init(_ router: Router) {
        count = router.routes.count
        let total = router.routes.reduce(0) { $0 + $1.path.utf8.count }
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 16)
        let spans = UnsafeMutablePointer<(offset: Int, count: Int)>.allocate(capacity: max(count, 1))
        var offset = 0
        for (index, route) in router.routes.enumerated() {
            let utf8 = Array(route.path.utf8)
            utf8.withUnsafeBytes { (bytes + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            spans[index] = (offset, utf8.count)
            offset += utf8.count
        }
        self.bytes = bytes
        self.spans = spans
        rootIndex = router.routes.firstIndex { $0.path == "/" }
    }

    deinit {
        bytes.deallocate()
        spans.deallocate()
    }

    /// The index of the route for `path`, or nil.
    @inline(__always)
    func match(_ path: UnsafeRawBufferPointer) -> Int? {
        if path.isEmpty { return rootIndex }
        for index in 0..<count {
            let span = spans[index]
            if span.count == path.count, memcmp(bytes + span.offset, path.baseAddress!, span.count) == 0 {
                return index
            }
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#endif
