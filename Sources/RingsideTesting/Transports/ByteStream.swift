/// One connection's bytes, whichever way the server is reached: an
/// in-process pipe or a loopback socket.
protocol ByteStream: Sendable {
    /// Sends `bytes`; throws ``TestClientError/closedByServer`` when they cannot be delivered.
    func write(_ bytes: [UInt8]) async throws
    /// Shuts the write side: the server reads EOF after what was written.
    func finishWriting() async
    /// What arrived since the last read, waiting until `deadline`; nil at EOF.
    /// Throws ``TestClientError/timedOut(waitingFor:)`` when nothing came.
    func read(until deadline: ContinuousClock.Instant) async throws -> [UInt8]?
    /// Closes the connection.
    func close() async
}

/// Where a ``TestClient``'s connections go.
enum Transport: Sendable {
    case inProcess(InProcessTarget)
    case live(port: Int)

    func connect() async throws -> any ByteStream {
        switch self {
        case .inProcess(let target): try target.connect()
        case .live(let port): try await SocketStream.connect(port: port)
        }
    }
}
