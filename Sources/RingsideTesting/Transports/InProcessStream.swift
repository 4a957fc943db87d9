import Ringside

/// The in-process server's wire: connections are pipes to its worker.
struct InProcessTarget: Sendable {
    let wire: InProcessWire

    func connect() throws -> any ByteStream {
        guard let id = wire.connect() else { throw TestClientError.cannotConnect("the in-process server has stopped") }
        return InProcessStream(wire: wire, id: id)
    }
}

/// One pipe to the in-process worker.
struct InProcessStream: ByteStream {
    let wire: InProcessWire
    let id: Int

    func write(_ bytes: [UInt8]) async throws {
        do {
            try wire.write(id, bytes)
        } catch {
            throw TestClientError.closedByServer
        }
    }

    func finishWriting() async { wire.finishWriting(id) }

    func read(until deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        switch await wire.read(id, until: deadline) {
        case .bytes(let bytes): return bytes
        case .end: return nil
        case .timedOut: throw TestClientError.timedOut(waitingFor: "the server")
        }
    }

    func close() async { wire.close(id) }
}
