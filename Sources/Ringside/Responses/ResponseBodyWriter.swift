/// Writes a streamed response body (``Response/init(status:headerFields:stream:)``).
///
/// Each write becomes one chunk; `write` returns once the chunk is queued on
/// the connection with room for more, so a slow reader slows the writer
/// instead of growing memory. At most four chunks wait unsent.
public struct ResponseBodyWriter: ~Copyable {
    let state: StreamState

    /// Sends `bytes` as the next piece of the body (empty writes are skipped).
    /// Throws ``ResponseBodyWriter/ConnectionClosed`` when the client went away.
    public mutating func write(_ bytes: [UInt8]) async throws {
        try bytes.withUnsafeBytes { try state.queue(chunk: $0) }
        try await state.waitForRoom()
    }

    /// Sends the UTF-8 of `text` as the next piece of the body.
    public mutating func write(_ text: String) async throws {
        var text = text
        try text.withUTF8 { try state.queue(chunk: UnsafeRawBufferPointer($0)) }
        try await state.waitForRoom()
    }

    /// The client closed the connection while the body was being written.
    public struct ConnectionClosed: Error, Sendable {}
}

/// One streamed body in flight: chunks the writer produced and the worker
/// has not yet queued on the connection, and the writer waiting for room.
final class StreamState: @unchecked Sendable {
    // @unchecked: created, written and read only on the worker thread (the
    // writer runs on the worker's executor).
    static let maxQueued = 4

    let runtime: WorkerRuntime
    let slot: Int
    let generation: UInt32
    /// HTTP/1.1: chunked framing. HTTP/1.0: raw bytes, ended by the close.
    let chunked: Bool
    var pending: [OutputBuffer] = []
    var waiter: CheckedContinuation<Void, any Error>?
    /// The writer returned (or threw: `failed`).
    var finished = false
    var failed = false
    /// The connection closed: writes throw.
    var closed = false

    init(runtime: WorkerRuntime, slot: Int, generation: UInt32, chunked: Bool) {
        self.runtime = runtime
        self.slot = slot
        self.generation = generation
        self.chunked = chunked
    }

    func queue(chunk bytes: UnsafeRawBufferPointer) throws {
        guard !closed else { throw ResponseBodyWriter.ConnectionClosed() }
        guard !bytes.isEmpty else { return }
        var buffer = OutputBuffer.make(capacity: bytes.count + 24)
        if chunked {
            buffer.appendHex(bytes.count)
            buffer.append("\r\n")
        }
        buffer.append(bytes)
        if chunked { buffer.append("\r\n") }
        pending.append(buffer)
        runtime.post(.pump(self))
    }

    func waitForRoom() async throws {
        guard !pending.isEmpty else { return }
        try await withCheckedThrowingContinuation { self.waiter = $0 }
    }

    /// The worker made room, or the connection closed.
    func resume() {
        guard let waiter else { return }
        self.waiter = nil
        if closed { waiter.resume(throwing: ResponseBodyWriter.ConnectionClosed()) } else { waiter.resume() }
    }
}
