/// Outbound sockets (``HTTPClient``) in the loop: their events go to the
/// worker's ``ClientConnections`` instead of the HTTP core, and each turn
/// ends by turning the client slots the turn touched into backend
/// operations, as `WorkerLoop+Flush.swift` does for served connections.
extension WorkerLoop where B: ~Copyable {
    /// Hands an event of a client slot (backend slot `clients.base` or
    /// above) to the client table; false for every other event.
    @inline(__always)
    mutating func handleClient(_ event: IOEvent) -> Bool {
        let base = clients.base
        switch event {
        case .received(let slot, let bytes) where slot >= base:
            clients.received(slot - base, bytes)
        case .sent(let slot, let count) where slot >= base:
            clients.sent(slot - base, count)
        case .changed(let slot) where slot >= base:
            clients.markDirty(slot - base)
        case .peerFinished(let slot) where slot >= base:
            clients.peerFinished(slot - base)
        case .failed(let slot) where slot >= base:
            clients.failed(slot - base)
        case .connected(let slot, let result):
            clients.connected(slot - base, result)
        default:
            return false
        }
        return true
    }

    /// Each client slot the turn touched: connect, send its request, read or
    /// not, or close.
    mutating func flushClients() {
        var index = 0
        while index < clients.dirtyCount {
            let slot = clients.dirtySlot(at: index)
            let generation = clients[slot].pointee.generation
            flushClient(slot)
            clients.flushed(slot, generation: generation)
            index += 1
        }
        clients.clearDirty()
    }

    private mutating func flushClient(_ slot: Int) {
        let socket = clients.socket(slot)
        sending: while clients.hasOutput(slot) && !backend.isSending(socket.slot) {
            switch backend.send(socket, clients.queues.message(slot)) {
            case .sent(let count):
                clients.sent(slot, count)  // epoll wrote it now
            case .failed:
                clients.failed(slot)
            case .inFlight, .blocked:
                break sending
            }
        }
        switch clients.nextStep(slot) {
        case .none:
            break
        case .connect:
            backend.open(socket)
            let (address, length) = clients.address(slot)
            backend.connect(socket, to: address, length: length)
        case .serve(let receiving):
            backend.setReceiving(socket, receiving)
        case .close:
            if backend.close(socket) { clients.release(slot) }
        }
    }
}
