/// The 64-bit `user_data` of an SQE, returned in each of its CQEs.
///
/// Opaque to this module: the ring's user decides the layout (Ringside packs
/// an operation kind, a slot and a generation into it, see its `Token`). An
/// integer rather than a pointer to a heap object, so queuing an SQE
/// allocates nothing and a late completion never points at freed memory.
public struct UserData: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}
