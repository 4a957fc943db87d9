/// The end of each turn: every connection the turn touched (the dirty list)
/// becomes backend operations, once.
extension WorkerLoop where B: ~Copyable {
    mutating func flushDirty() {
        var index = 0
        while index < core.connections.dirtyCount {
            let slot = core.connections.dirtySlot(at: index)
            let generation = core.connections[slot].pointee.generation
            flush(slot)
            core.connections.flushed(slot, generation: generation)
            index += 1
        }
        core.connections.clearDirty()
    }

    /// Sends what `slot` has queued, then gives the backend what the HTTP
    /// core decides the connection needs: reading or not, a half-close, or
    /// its close.
    private mutating func flush(_ slot: Int) {
        guard core.connections[slot].isOpen else { return }
        let socket = core.connections.socket(slot)
        sending: while core.hasOutput(slot) && !backend.isSending(slot) {
            switch backend.send(socket, core.queues.message(slot)) {
            case .sent(let count):
                core.sent(slot, count)  // epoll wrote it now: what it freed may let more requests through
            case .failed:
                core.failed(slot)
            case .inFlight, .blocked:
                break sending
            }
        }
        switch core.nextStep(slot) {
        case .serve(let receiving):
            backend.setReceiving(socket, receiving)
            core.updateTimer(slot)
        case .halfClose:
            backend.shutdownWrite(socket)
            backend.setReceiving(socket, true)
            core.updateTimer(slot)
        case .close:
            core.updateTimer(slot)
            if backend.close(socket) {
                core.release(slot)
                adoptParked()
            }
        }
    }
}
