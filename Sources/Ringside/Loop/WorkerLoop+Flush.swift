/// The end of each turn: every slot the turn touched, of whichever kind
/// (``DirtySlots``), becomes backend operations, once.
extension WorkerLoop where B: ~Copyable {
    mutating func flushDirty() {
        var index = 0
        while index < dirty.count {
            let id = dirty[index]
            switch id.kind {
            case .served:
                if Self.flush(id.index, of: &core, on: &backend) { adoptParked() }
            case .outbound:
                Self.flush(id.index, of: &clients, on: &backend)
            }
            index += 1
        }
        dirty.clear()
    }

    /// Sends what `slot` has queued, then gives the backend what its owner
    /// decides the slot needs: connecting, reading or not, a half-close, or
    /// its close. Returns true when the slot came free.
    @discardableResult
    private static func flush<Owner: SlotOwner & ~Copyable>(
        _ slot: Int, of owner: inout Owner, on backend: inout B
    ) -> Bool {
        let generation = owner.generation(slot)
        defer { owner.flushed(slot, generation: generation) }
        let socket = owner.socket(slot)
        sending: while !backend.isSending(socket), let message = owner.output(slot) {
            switch backend.send(socket, message) {
            case .sent(let count):
                owner.sent(slot, count)  // epoll wrote it now: what it freed may let more through
            case .failed:
                owner.failed(slot)
            case .inFlight, .blocked:
                break sending
            }
        }
        switch owner.nextStep(slot) {
        case .none:
            return false
        case .connect(let address, let length):
            backend.open(socket)
            backend.connect(socket, to: address, length: length)
        case .serve(let receiving):
            backend.setReceiving(socket, receiving)
        case .halfClose:
            backend.shutdownWrite(socket)
            backend.setReceiving(socket, true)
        case .close:
            guard backend.close(socket) else { return false }
            owner.release(slot)
            return true
        }
        return false
    }
}
