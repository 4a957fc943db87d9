import IOUring

/// The 64-bit tag of every kernel operation a worker queues: io_uring's
/// `user_data` and epoll's `epoll_data`. The one place its layout is defined:
///
///     bits 63...56  operation   what the operation is (each backend's `Kind`)
///     bits 55...54  slot kind   whose slot it is (``SlotKind``): how the loop routes its event
///     bits 53...32  generation  the slot's generation when it was queued (22 bits)
///     bits 31...0   slot        index in that kind's table
///
/// A completion that arrives after its slot was freed and reused carries the
/// old generation, so the backend recognises it and drops it instead of
/// touching the new occupant.
struct Token: RawRepresentable, Equatable {
    var rawValue: UInt64

    /// Generations wrap at 22 bits: every ``SlotTable`` bumps them with this mask.
    static let generationMask: UInt32 = 0x3F_FFFF

    @inline(__always)
    init(rawValue: UInt64) { self.rawValue = rawValue }

    /// A token that addresses no slot (the listener, the signal, ignored completions).
    @inline(__always)
    init(operation: UInt8) { rawValue = UInt64(operation) << 56 }

    /// A token for listener `index` of the worker's (its accept's operations).
    @inline(__always)
    init(operation: UInt8, listener index: Int) { rawValue = UInt64(operation) << 56 | UInt64(UInt32(index)) }

    @inline(__always)
    init(operation: UInt8, _ socket: SocketHandle) {
        rawValue = UInt64(operation) << 56 | UInt64(socket.id.kind.rawValue & 3) << 54
            | UInt64(socket.generation & Token.generationMask) << 32 | UInt64(UInt32(socket.id.index))
    }

    @inline(__always) var operation: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 56) }
    @inline(__always) var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) & Token.generationMask }
    /// The slot the operation was queued for (meaningless for slotless tokens).
    @inline(__always) var slot: SlotID {
        SlotID(SlotKind(rawValue: UInt8(truncatingIfNeeded: rawValue >> 54) & 3) ?? .served,
               Int(UInt32(truncatingIfNeeded: rawValue)))
    }

    /// As io_uring's `user_data`.
    @inline(__always) var userData: UserData { UserData(rawValue: rawValue) }
}
