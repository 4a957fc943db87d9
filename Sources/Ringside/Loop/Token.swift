import IOUring

/// The 64-bit tag of every kernel operation a worker queues: io_uring's
/// `user_data` and epoll's `epoll_data`. The one place its layout is defined:
///
///     bits 63...56  kind        what the operation is (each backend's `Kind`)
///     bits 55...32  generation  the slot's generation when it was queued (24 bits)
///     bits 31...0   slot        index into the worker's connection table
///
/// A completion that arrives after its slot was freed and reused carries the
/// old generation, so the backend recognises it and drops it instead of
/// touching the new connection.
struct Token: RawRepresentable, Equatable {
    var rawValue: UInt64

    /// Generations wrap at 24 bits.
    static let generationMask: UInt32 = 0xFF_FFFF

    @inline(__always)
    init(rawValue: UInt64) { self.rawValue = rawValue }

    @inline(__always)
    init(kind: UInt8, slot: Int = 0, generation: UInt32 = 0) {
        rawValue = UInt64(kind) << 56 | UInt64(generation & Token.generationMask) << 32 | UInt64(UInt32(slot))
    }

    @inline(__always)
    init(kind: UInt8, _ socket: SocketHandle) {
        self.init(kind: kind, slot: socket.slot, generation: socket.generation)
    }

    @inline(__always) var kind: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 56) }
    @inline(__always) var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) & Token.generationMask }
    @inline(__always) var slot: Int { Int(UInt32(truncatingIfNeeded: rawValue)) }

    /// As io_uring's `user_data`.
    @inline(__always) var userData: UserData { UserData(rawValue: rawValue) }
}
