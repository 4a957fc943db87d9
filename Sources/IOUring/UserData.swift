/// The 64-bit `user_data` of every Ringside SQE, and so of its CQEs.
///
/// Layout, the one place it is defined:
///
///     bits 63...56  kind        what the operation was (accept, recv, send, ...)
///     bits 55...32  generation  the slot's generation when the SQE was queued (24 bits)
///     bits 31...0   slot        index into the worker's connection table
///
/// An integer, not a pointer to a heap object: queuing an SQE allocates nothing,
/// and a completion that arrives for a slot already reused is recognised by its
/// generation instead of touching freed memory.
public struct UserData: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable
    public init(kind: UInt8, slot: UInt32 = 0, generation: UInt32 = 0) {
        rawValue = UInt64(kind) << 56
            | UInt64(generation & UserData.generationMask) << 32
            | UInt64(slot)
    }

    /// Generations wrap at 24 bits.
    public static let generationMask: UInt32 = 0xFF_FFFF

    @inlinable public var kind: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 56) }
    @inlinable public var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) & UserData.generationMask }
    @inlinable public var slot: UInt32 { UInt32(truncatingIfNeeded: rawValue) }
}
