/// A class's state that only its worker thread touches, kept in memory
/// allocated once, so reading or changing it skips Swift's dynamic
/// exclusivity check. A class's `var` pays one (`swift_beginAccess`, about
/// 75 instructions under callgrind) on every access, and the worker loop
/// makes several such accesses per turn.
///
/// Safety: the owner guarantees that one thread at a time uses the value and
/// that no access overlaps another (no `inout` held across a call that
/// reaches the same value).
struct WorkerConfined<Value>: ~Copyable {
    private let pointer: UnsafeMutablePointer<Value>

    init(_ value: Value) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    var value: Value {
        @inline(__always) unsafeAddress { UnsafePointer(pointer) }
        @inline(__always) nonmutating unsafeMutableAddress { pointer }
    }

    /// Lends the value for several changes in place.
    @inline(__always)
    func withValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try body(&pointer.pointee)
    }
}
