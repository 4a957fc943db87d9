/// What a worker's slot holds. Each kind has its own ``SlotTable`` and one
/// owner that the loop hands the kind's events and flushes to; a TLS session
/// or an HTTP/2 connection is state inside a served slot, not a kind of its own.
enum SlotKind: UInt8, CaseIterable {
    /// A connection a client opened to this server (`HTTPCore`).
    case served = 0
    /// A connection this worker opened to an upstream (`ClientConnections`).
    case outbound = 1
}

/// One slot of one kind's table: what a ``Token`` carries, an ``IOEvent``
/// names, and the dirty list and the timers key on. Eight bytes, so an
/// event that names one is no larger than one that named a plain index.
struct SlotID: Equatable {
    private let rawIndex: UInt32
    let kind: SlotKind

    @inline(__always)
    init(_ kind: SlotKind, _ index: Int) {
        self.kind = kind
        rawIndex = UInt32(truncatingIfNeeded: index)
    }

    /// The index in the kind's table.
    @inline(__always) var index: Int { Int(rawIndex) }
}

/// How many slots each kind has on a worker.
struct SlotCapacities {
    var served: Int
    var outbound: Int

    @inline(__always)
    subscript(kind: SlotKind) -> Int {
        switch kind {
        case .served: served
        case .outbound: outbound
        }
    }

    var total: Int { served + outbound }

    /// Where `id` lies in memory laid out kind after kind (``SlotArray``).
    @inline(__always)
    func flatIndex(_ id: SlotID) -> Int { id.kind == .served ? id.index : served + id.index }
}
