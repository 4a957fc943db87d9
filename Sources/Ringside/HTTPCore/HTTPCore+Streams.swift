import HTTP1
import HTTPTypes

/// Streamed response bodies: chunks move from the writer to the connection's
/// queue while there is room, and the writer waits while there is none.
extension HTTPCore {
    mutating func startStream(
        _ slot: Int, _ status: HTTPResponse.Status, _ fields: HTTPFields,
        _ write: @escaping @Sendable (inout ResponseBodyWriter) async throws -> Void, _ framing: ResponseFraming
    ) {
        var framing = framing
        // HTTP/1.0 has no chunked coding: the body ends when the connection does.
        let chunked = !framing.http10
        if !chunked { framing.variant = .close }
        encode(slot, status, fields, UnsafeRawBufferPointer(start: nil, count: 0), framing,
               bodyFraming: chunked ? .chunked : .untilClose)
        let connection = connections[slot]
        if framing.headOnly {
            if framing.variant == .close { connection.pointee.finishAfterFlush() }
            return
        }
        let stream = StreamState(runtime: runtime, slot: slot, generation: connection.pointee.generation, chunked: chunked)
        connection.pointee.stream = stream
        connection.pointee.beginWaiting(framing)
        connections.markDirty(slot)
        let runtime = self.runtime
        connection.pointee.task = Task(executorPreference: runtime.executor) {
            var writer = ResponseBodyWriter(state: stream)
            do {
                try await write(&writer)
            } catch is ResponseBodyWriter.ConnectionClosed {
                // The client left; nothing to tell anyone.
            } catch {
                stream.failed = true
                runtime.logger.error("response stream threw", metadata: ["error": "\(error)"])
            }
            stream.finished = true
            runtime.post(.pump(stream))
        }
    }

    /// Moves a stream's chunks onto the connection while there is room, lets
    /// its writer go on, and ends the response when the writer is done.
    mutating func pump(_ slot: Int, _ stream: StreamState) {
        let connection = connections[slot]
        let room = min(connections.queues.depth, StreamState.maxQueued)
        var moved = 0
        while moved < stream.pending.count && connections.queues.count(slot) < room {
            let chunk = stream.pending[moved]
            enqueue(slot, chunk.written, owner: chunk)
            moved += 1
        }
        if moved > 0 { stream.pending.removeFirst(moved) }
        guard stream.pending.isEmpty else { return }
        guard stream.finished else {
            stream.resume()
            return
        }
        // The last chunk needs a queue place; `sent` pumps again when one frees up.
        guard !connections.queues.isFull(slot) else { return }
        connection.pointee.stream = nil
        connection.pointee.task = nil
        connection.pointee.endWaiting()
        if stream.failed {
            // Cut short: without the last chunk the client sees an incomplete body.
            connection.pointee.finishAfterFlush()
        } else {
            if stream.chunked { enqueue(slot, fixedBytes.lastChunk) }
            // Draining: the head went out keep-alive, but no request follows this one.
            if connection.pointee.waitingFraming.variant == .close || draining { connection.pointee.finishAfterFlush() }
        }
        resumeReading(slot)
    }
}
