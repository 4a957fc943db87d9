import CNGHTTP2
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/2 as a layer of a served connection (``HTTP2Connection``): h2c
/// with prior knowledge, told apart from HTTP/1.1 by the connection's first
/// bytes (RFC 9113 §3.3; no `Upgrade: h2c`, which RFC 9113 dropped).
///
/// Each stream is served on a *stream slot*: a slot of the same table with
/// no socket of its own (`parent` names the connection's), opened when its
/// head arrives and freed once its answer is all with nghttp2. Its request
/// goes through the same parser, router, handler kinds, limits, timeouts
/// and observer as an HTTP/1.1 request on a connection of its own; its
/// answer, queued as HTTP/1.1 bytes, is read back as HEADERS and DATA, so
/// no handler or prebuilt answer knows which protocol carried it. The
/// stream slot never reaches the backend: its `nextStep` is always `.none`.
///
/// Threats here: more streams than SETTINGS allow (refused by nghttp2),
/// more than the slot table holds (RST_STREAM REFUSED_STREAM), a head far
/// past the size limit (the stream reset; past the limit, 431 as for
/// HTTP/1.1), a peer that stops reading (its window stops the staging,
/// the stream slot's queue fills, its handler's writes wait; the send
/// timeout ends a stall), a protocol error (nghttp2's GOAWAY, then the close).
extension HTTPCore {
    /// The client connection preface's first bytes: an HTTP/1.1 parser reads them as method `PRI`.
    private static let prefaceStart: StaticString = "PRI "

    /// The connection's first bytes begin the HTTP/2 preface: the connection becomes an HTTP/2 one.
    mutating func startsHTTP2(_ slot: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let connection = connections[slot]
        connection.pointee.sawInput = true
        guard http2Settings.enabled, connection.pointee.parent < 0, bytes.count >= 4,
              memcmp(bytes.baseAddress!, Self.prefaceStart.utf8Start, 4) == 0 else { return false }
        startHTTP2(slot)
        return true
    }

    /// The connection speaks HTTP/2 from now on (the preface seen, or `h2` chosen by ALPN).
    mutating func startHTTP2(_ slot: Int) {
        let connection = connections[slot]
        connection.pointee.sawInput = true
        guard let session = HTTP2Connection(limits: http2Settings, maxHeadBytes: limits.maxHeaderBytes) else {
            connection.pointee.abort()
            return
        }
        connection.pointee.http2 = session
        connections.markDirty(slot)  // the server's SETTINGS go out first
    }

    /// Bytes of an HTTP/2 connection: frames read, streams started and fed.
    mutating func receiveHTTP2(_ slot: Int, _ session: HTTP2Connection, _ bytes: UnsafeRawBufferPointer) {
        guard connections[slot].acceptsRequests else { return }
        let ok = session.receive(bytes)
        applyHTTP2Events(slot, session)
        if !ok || session.calmedDown {
            // The GOAWAY goes out, then the close, after lingering: the peer may still be sending.
            connections[slot].pointee.finishAfterFlush(linger: true)
        }
        connections.markDirty(slot)
    }

    /// What nghttp2 reported, in order: requests to serve, body bytes, closed streams.
    private mutating func applyHTTP2Events(_ slot: Int, _ session: HTTP2Connection) {
        guard !session.events.isEmpty else { return }
        swap(&session.events, &session.applying)
        defer { session.applying.removeAll(keepingCapacity: true) }
        session.arena.withUnsafeBytes { arena in
            for event in session.applying {
                switch event {
                case .request(let stream, let range, _):
                    guard let streamSlot = openStream(slot, stream, session) else {
                        session.reset(stream, code: UInt32(NGHTTP2_REFUSED_STREAM.rawValue))
                        continue
                    }
                    receive(streamSlot, UnsafeRawBufferPointer(rebasing: arena[range]))
                    connections.markDirty(streamSlot)
                case .data(let stream, let range, let endStream):
                    guard let state = session.streams[stream], state.slot >= 0,
                          connections.isCurrent(state.slot, state.generation) else { continue }
                    feedBody(state.slot, UnsafeRawBufferPointer(rebasing: arena[range]), endStream: endStream,
                             chunked: state.requestChunked)
                    connections.markDirty(state.slot)
                case .peerReset:
                    if !session.allowReset(now: timers.now) { session.terminate(NGHTTP2_ENHANCE_YOUR_CALM) }
                case .headTooLarge(let stream):
                    // Answered as HTTP/1.1 answers it, from the prebuilt 431.
                    guard let streamSlot = openStream(slot, stream, session) else {
                        session.reset(stream, code: UInt32(NGHTTP2_REFUSED_STREAM.rawValue))
                        continue
                    }
                    queueAnswer(streamSlot, PrebuiltResponses.ID.headerFieldsTooLarge.rawValue, .keepAlive)
                    connections[streamSlot].pointee.finishAfterFlush()
                case .closed(let stream):
                    guard let state = session.streams.removeValue(forKey: stream) else { continue }
                    // Closed before its answer was all out (reset by the peer): its handler is cancelled.
                    if state.slot >= 0 && connections.isCurrent(state.slot, state.generation) {
                        releaseStream(state.slot)
                    }
                }
            }
        }
        session.arena.removeAll(keepingCapacity: true)
    }

    /// Body bytes of a stream, framed as its HTTP/1.1 head said (chunks when it gave no length).
    private mutating func feedBody(_ slot: Int, _ bytes: UnsafeRawBufferPointer, endStream: Bool, chunked: Bool) {
        guard chunked else {
            if !bytes.isEmpty { receive(slot, bytes) }
            return
        }
        if !bytes.isEmpty {
            // The chunk-size line, hex digits written from the end: no allocation per DATA frame.
            withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { line in
                var start = 18
                var value = bytes.count
                repeat {
                    let digit = UInt8(value & 15)
                    start -= 1
                    line[start] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                    value >>= 4
                } while value > 0
                line[18] = UInt8(ascii: "\r")
                line[19] = UInt8(ascii: "\n")
                receive(slot, UnsafeRawBufferPointer(rebasing: line[start..<20]))
            }
            receive(slot, bytes)
            receive(slot, UnsafeRawBufferPointer(rebasing: Self.lastChunk[3..<5]))  // CRLF
        }
        if endStream { receive(slot, Self.lastChunk) }
    }

    private static var lastChunk: UnsafeRawBufferPointer {
        let text: StaticString = "0\r\n\r\n"
        return UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// A stream slot for `stream` of connection `parent`; nil when the table is full.
    private mutating func openStream(_ parent: Int, _ stream: Int32, _ session: HTTP2Connection) -> Int? {
        guard let slot = connections.take() else {
            session.streams[stream] = nil
            return nil
        }
        let connection = connections[slot]
        connection.pointee.open(fd: connections[parent].pointee.fd)
        connection.pointee.parent = Int32(parent)
        connection.pointee.streamID = stream
        connection.pointee.sawInput = true
        session.streams[stream]?.slot = slot
        session.streams[stream]?.generation = connection.pointee.generation
        return slot
    }

    /// Frees a stream slot (its answer is all with nghttp2, or its stream or connection ended).
    mutating func releaseStream(_ slot: Int) {
        let connection = connections[slot]
        let parent = Int(connection.pointee.parent)
        if let session = connections[parent].pointee.http2, session.streams[connection.pointee.streamID] != nil {
            // Its queue goes with it: DATA not yet written cannot be (nghttp2 resets the stream).
            session.streams[connection.pointee.streamID]!.slot = -1
            session.streams[connection.pointee.streamID]!.queue = nil
            session.streams[connection.pointee.streamID]!.queued = 0
        }
        observer.connectionClosed(slot)
        timers.clearDeadline(SlotID(.served, slot))
        if let handler = connection.pointee.handler {
            if let stream = handler.stream {
                stream.closed = true
                stream.resume()
            }
            handler.task?.cancel()
            handler.offloaded?.abandon()
            handler.reset()
        }
        spill.release(slot, highWater: connection.pointee.spillHighWater)
        connection.pointee.release()
        connections.free(slot)
        connections.markDirty(parent)
    }

    /// A stream slot's flush: its queued answer moves to nghttp2 (the head
    /// once complete, the body into the stream's staging as room allows).
    mutating func stageHTTP2(_ slot: Int) {
        let connection = connections[slot]
        let parent = Int(connection.pointee.parent)
        let stream = connection.pointee.streamID
        guard let session = connections[parent].pointee.http2, session.streams[stream]?.slot == slot else { return }
        // Taken out while it changes, so its staging is not copied on write; put back on every path.
        var state = session.streams.removeValue(forKey: stream)!
        defer { session.streams[stream] = state }
        connections.markDirty(parent)  // what is staged or submitted goes out in this turn's flush
        if connection.pointee.phase == .closing {
            // Aborted (a timeout, a failure): the peer learns the stream will get no (more) answer.
            if case .done = state.response {} else { session.reset(stream, code: UInt32(NGHTTP2_INTERNAL_ERROR.rawValue)) }
            state.slot = -1
            return releaseStream(slot)
        }
        while true {
            switch state.response {
            case .head:
                guard let next = readHead(slot, session, stream, &state) else { return }
                state.response = next
            case .length:
                // Read in place: how much of the body the queue holds now.
                guard state.left > 0 || state.taken > 0 else {
                    state.response = .done
                    continue
                }
                state.queue = connections.queues.message(slot)
                state.queued = min(state.left, queuedBytes(slot) - state.taken)
                if state.queued > 0 { resume(session, stream, &state) }
                return
            case .chunked(var decoder):
                let moved = stageChunks(slot, &state, &decoder)
                state.response = decoder.isDone ? .done : .chunked(decoder)
                if decoder.isDone { state.ended = true }
                if moved > 0 || state.ended { resume(session, stream, &state) }
                guard state.ended else { return }
            case .done:
                state.slot = -1
                return releaseStream(slot)
            }
        }
    }

    /// DATA nghttp2 had no bytes for can go now.
    private func resume(_ session: HTTP2Connection, _ stream: Int32, _ state: inout HTTP2Connection.Stream) {
        guard state.deferred, let nghttp2 = session.session else { return }
        state.deferred = false
        nghttp2_session_resume_data(nghttp2, stream)
    }

    /// Reads the answer's head off the stream slot's queue and submits it;
    /// nil while it is incomplete. Interim (1xx) heads are dropped.
    private mutating func readHead(
        _ slot: Int, _ session: HTTP2Connection, _ stream: Int32, _ state: inout HTTP2Connection.Stream
    ) -> HTTP2Connection.ResponseState? {
        while true {
            // The head is read where it lies when the queue's first piece holds it all (prebuilt
            // and encoded answers), else from a copy of the queue's start.
            let message = connections.queues.message(slot)
            guard message.pointee.msg_iovlen > 0 else { return nil }
            let first = message.pointee.msg_iov[0]
            var bytes = UnsafeRawBufferPointer(start: first.iov_base, count: first.iov_len)
            var head = ResponseHead()
            var result = ResponseParser.parse(bytes, headers: responseFields, maxHeadBytes: http2Scratch.count, into: &head)
            if case .incomplete = result, message.pointee.msg_iovlen > 1 {
                bytes = UnsafeRawBufferPointer(start: http2Scratch.baseAddress, count: gather(slot))
                result = ResponseParser.parse(bytes, headers: responseFields, maxHeadBytes: http2Scratch.count, into: &head)
            }
            switch result {
            case .incomplete:
                return nil
            case .invalid:
                session.reset(stream, code: UInt32(NGHTTP2_INTERNAL_ERROR.rawValue))
                return .done
            case .complete(let headLength):
                if head.status < 200 {
                    answersSent(slot, headLength)
                    continue
                }
                session.beginResponse(status: head.status)
                for index in 0..<head.headerCount {
                    let field = responseFields[index]
                    let name = UnsafeRawBufferPointer(rebasing: bytes[field.name.start..<field.name.end])
                    guard !Self.isConnectionSpecific(name) else { continue }
                    session.addField(name: name, value: UnsafeRawBufferPointer(rebasing: bytes[field.value.start..<field.value.end]))
                }
                let noBody = state.headOnly || head.status == 204 || head.status == 304 || head.contentLength == 0
                answersSent(slot, headLength)
                guard session.submitResponse(stream, body: !noBody) else { return .done }
                if noBody { return .done }
                if head.isChunked { return .chunked(ChunkedDecoder()) }
                state.direct = true
                state.left = max(head.contentLength, 0)
                return .length(remaining: state.left)
            }
        }
    }

    /// Bytes queued on `slot`.
    private func queuedBytes(_ slot: Int) -> Int {
        let message = connections.queues.message(slot)
        var total = 0
        for index in 0..<Int(message.pointee.msg_iovlen) { total += message.pointee.msg_iov[index].iov_len }
        return total
    }

    /// Copies the start of the stream slot's queue into the scratch buffer; returns the bytes copied.
    private func gather(_ slot: Int) -> Int {
        let message = connections.queues.message(slot)
        var copied = 0
        for index in 0..<Int(message.pointee.msg_iovlen) where copied < http2Scratch.count {
            let iov = message.pointee.msg_iov[index]
            let count = min(iov.iov_len, http2Scratch.count - copied)
            (http2Scratch.baseAddress! + copied).copyMemory(from: iov.iov_base!, byteCount: count)
            copied += count
        }
        return copied
    }

    /// Moves chunk data from the stream slot's queue into the staging, dropping the chunk framing.
    private mutating func stageChunks(_ slot: Int, _ state: inout HTTP2Connection.Stream, _ decoder: inout ChunkedDecoder) -> Int {
        let message = connections.queues.message(slot)
        var used = 0
        var staged = 0
        scan: for index in 0..<Int(message.pointee.msg_iovlen) {
            let iov = message.pointee.msg_iov[index]
            var input = UnsafeRawBufferPointer(start: iov.iov_base, count: iov.iov_len)
            while !input.isEmpty {
                // A chunk is staged whole: the staging may pass its limit by one chunk the queue held anyway.
                guard state.stagedCount < HTTP2Connection.stagingLimit else { break scan }
                switch decoder.step(input) {
                case .data(let offset, let count, let consumed):
                    state.staged.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + count)]))
                    staged += count
                    used += consumed
                    input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                case .needMore(let consumed):
                    used += consumed
                    input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                    if consumed == 0 { break scan }
                case .end(let consumed):
                    used += consumed
                    break scan
                case .invalid:
                    break scan
                }
            }
        }
        if used > 0 { answersSent(slot, used) }
        return staged
    }

    /// Fields HTTP/2 forbids (RFC 9113 §8.2.2).
    private static func isConnectionSpecific(_ name: UnsafeRawBufferPointer) -> Bool {
        func equals(_ text: StaticString) -> Bool {
            guard name.count == text.utf8CodeUnitCount else { return false }
            for index in 0..<name.count where name[index] | 0x20 != text.utf8Start[index] | 0x20 { return false }
            return true
        }
        return equals("connection") || equals("keep-alive") || equals("transfer-encoding") || equals("upgrade")
            || equals("proxy-connection")
    }

    /// An HTTP/2 connection's flush: frames nghttp2 has ready join its queue.
    mutating func outputHTTP2(_ slot: Int, _ session: HTTP2Connection) {
        guard connections.queues.count(slot) == 0 else { return }
        giveBackHTTP2Buffer(session)
        // A buffer of the worker's is lent only while frames wait in it: an idle connection holds none.
        let buffer = http2Buffers.popLast() ?? OutputBuffer.make(capacity: HTTP2Connection.outputSize)
        buffer.clear()
        session.send(into: buffer)
        if buffer.count > 0 {
            session.lent = buffer
            enqueue(slot, buffer.written, owner: buffer)
        } else {
            http2Buffers.append(buffer)
        }
        // What DATA took from stream slots' queues is consumed there (their writers may go on);
        // stagings that drained may take more; a body all written frees its slot.
        swap(&session.drained, &session.consuming)
        for stream in session.consuming {
            guard let state = session.streams[stream], state.slot >= 0,
                  connections.isCurrent(state.slot, state.generation) else { continue }
            if state.taken > 0 {
                session.streams[stream]!.taken = 0
                answersSent(state.slot, state.taken)
                if state.direct && state.left == 0 {
                    releaseStream(state.slot)
                    continue
                }
            }
            connections.markDirty(state.slot)
        }
        session.consuming.removeAll(keepingCapacity: true)
        applyHTTP2Events(slot, session)
        // Done both ways, or draining (GOAWAY sent) with every stream answered: the close follows the flush.
        if connections[slot].pointee.phase == .serving && (session.isFinished || draining && session.streams.isEmpty) {
            connections[slot].pointee.finishAfterFlush()
        }
    }

    /// The connection's frames were all sent: its buffer goes back to the worker (a few are kept).
    mutating func giveBackHTTP2Buffer(_ session: HTTP2Connection) {
        guard let buffer = session.lent else { return }
        session.lent = nil
        if http2Buffers.count < 32 { http2Buffers.append(buffer) }
    }

    /// An HTTP/2 connection closes: its streams' slots are freed, their handlers cancelled.
    mutating func releaseHTTP2(_ session: HTTP2Connection) {
        for state in session.streams.values where state.slot >= 0 && connections.isCurrent(state.slot, state.generation) {
            releaseStream(state.slot)
        }
        session.close()
    }

    /// Shutdown: GOAWAY on every HTTP/2 connection; its streams in flight are answered.
    mutating func drainHTTP2() {
        for slot in 0..<connections.capacity where connections[slot].isOpen {
            guard let session = connections[slot].pointee.http2 else { continue }
            session.goAway()
            connections.markDirty(slot)
        }
    }
}

