import CNGHTTP2
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/2 connection's protocol state: libnghttp2's server session,
/// driven without its I/O (bytes in through `mem_recv`, frames out through
/// `mem_send`), and what Ringside keeps per stream.
///
/// Each stream is a request on a slot of its own (a *stream slot*, see
/// `HTTPCore+HTTP2.swift`): its header block becomes an HTTP/1.1 head that
/// the same parser, router, handlers and limits as any request read, and
/// its answer, queued on the stream slot as usual, is read back here as
/// HEADERS and DATA. nghttp2 does framing, HPACK, stream states, flow
/// control and the protocol's own checks (pseudo-headers, connection-
/// specific fields, CR/LF/NUL in values, content-length against DATA).
///
/// nghttp2's callbacks only record: what arrived becomes ``Event``s the HTTP
/// core applies after `mem_recv` returns, since the core cannot be reached
/// from a C callback. Response bodies reach nghttp2 through a bounded
/// staging buffer per stream, filled from the stream slot's queue as the
/// peer's window lets DATA go (backpressure: a slow reader stops the
/// staging, then the handler's writes).
final class HTTP2Connection {
    /// What the last `receive` or `send` brought, in order.
    enum Event {
        /// A request's head, as HTTP/1.1 bytes in ``arena``.
        case request(stream: Int32, bytes: Range<Int>, endStream: Bool)
        /// Body bytes in ``arena`` (possibly none), and whether the request ended.
        case data(stream: Int32, bytes: Range<Int>, endStream: Bool)
        /// The stream closed (answered, reset by the peer, or refused).
        case closed(stream: Int32)
        /// The peer reset a stream (counted against ``HTTP2Limits``' reset rate).
        case peerReset
        /// A head past the size limit: answered 431 without being parsed.
        case headTooLarge(stream: Int32)
    }

    /// A stream's request and response as this layer follows them.
    struct Stream {
        /// The stream slot serving it (-1: none, its answer is all with nghttp2).
        var slot = -1
        var generation: UInt32 = 0
        /// The request has no content-length: its DATA is framed as chunks for the parser.
        var requestChunked = false
        /// HEAD: the answer's head alone.
        var headOnly = false
        var response = ResponseState.head
        /// Response body bytes nghttp2 has yet to read, from `stagedStart`.
        var staged: [UInt8] = []
        var stagedStart = 0
        /// Every body byte is staged.
        var ended = false
        /// nghttp2 asked for data there was none of: resume it when some is staged.
        var deferred = false
        /// A body of known length is not staged: DATA is written straight from
        /// the stream slot's queue (`queue`, its `msghdr`), where `queued` of its
        /// bytes wait, `taken` were written since the HTTP core last consumed
        /// them, and `left` are still to write in all. Nil once the slot is freed.
        var direct = false
        var queue: UnsafeMutablePointer<msghdr>?
        var queued = 0
        var taken = 0
        var left = 0

        var stagedCount: Int { staged.count - stagedStart }
    }

    enum ResponseState {
        /// Waiting for the answer's head on the stream slot's queue.
        case head
        /// Staging a body of `remaining` bytes.
        case length(remaining: Int)
        /// Staging a chunked body.
        case chunked(ChunkedDecoder)
        /// The whole answer is with nghttp2.
        case done
    }

    /// Staged body bytes per stream, at most: beyond it, the stream slot's queue waits.
    static let stagingLimit = 64 << 10

    // @exclusivity(unchecked) on the stored state below: the connection lives on its worker's
    // thread only, and no access here overlaps another (nghttp2's callbacks run inside
    // `receive` and `send`, which hold none); the checks cost a runtime call per access.
    @exclusivity(unchecked) private(set) var session: OpaquePointer?
    @exclusivity(unchecked) var streams: [Int32: Stream] = [:]
    @exclusivity(unchecked) var events: [Event] = []
    /// The events being applied (swapped with ``events``, so neither array is copied).
    @exclusivity(unchecked) var applying: [Event] = []
    /// The bytes events refer to; emptied once they are applied.
    @exclusivity(unchecked) var arena: [UInt8] = []
    /// Streams DATA was written for, or whose staging drained: their slots consume and stage more.
    @exclusivity(unchecked) var drained: [Int32] = []
    @exclusivity(unchecked) var consuming: [Int32] = []
    /// The response head being submitted: its names and values, and where each lies.
    @exclusivity(unchecked) private var fieldBytes: [UInt8] = []
    @exclusivity(unchecked) private var fieldSpans: [(name: Range<Int>, value: Range<Int>)] = []
    @exclusivity(unchecked) private var nva: [nghttp2_nv] = []
    /// The worker's output buffer this connection's queued frames are in, until they are sent.
    @exclusivity(unchecked) var lent: OutputBuffer?
    /// The buffer ``send()`` is filling.
    @exclusivity(unchecked) private var writing: OutputBuffer?
    /// The highest stream id a HEADERS frame named.
    @exclusivity(unchecked) private var highestStream: Int32 = 0
    /// The header block being read, its fields as HTTP/1.1 lines.
    @exclusivity(unchecked) private var building: Int32 = 0
    @exclusivity(unchecked) private var method: [UInt8] = []
    @exclusivity(unchecked) private var path: [UInt8] = []
    @exclusivity(unchecked) private var authority: [UInt8] = []
    @exclusivity(unchecked) private var lines: [UInt8] = []
    @exclusivity(unchecked) private var hasContentLength = false
    @exclusivity(unchecked) private var headTooLarge = false
    private let maxHeadBytes: Int
    let limits: HTTP2Limits
    /// Empty DATA frames that did not end their stream, so far.
    @exclusivity(unchecked) private var emptyDataFrames = 0
    /// The peer broke a limit: the connection ends with GOAWAY ENHANCE_YOUR_CALM.
    @exclusivity(unchecked) private(set) var calmedDown = false
    /// Stream resets the peer may still send now (a token bucket: ``HTTP2Limits``).
    @exclusivity(unchecked) private var resetAllowance: Double
    @exclusivity(unchecked) private var resetRefilled: Int64 = 0

    init?(limits: HTTP2Limits, maxHeadBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
        self.limits = limits
        resetAllowance = Double(limits.resetBurst)
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, HTTP2Connection.onBeginFrame)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, HTTP2Connection.onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, HTTP2Connection.onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, HTTP2Connection.onFrame)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, HTTP2Connection.onData)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, HTTP2Connection.onStreamClose)
        nghttp2_session_callbacks_set_send_data_callback(callbacks, HTTP2Connection.sendData)
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        limits.apply(to: option)
        var session: OpaquePointer?
        guard nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option) == 0
        else { return nil }
        self.session = session
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(limits.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(maxHeadBytes)),
        ]
        guard nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count) == 0 else {
            nghttp2_session_del(session)
            self.session = nil
            return nil
        }
    }

    deinit { close() }

    /// Frees the session (the connection closed).
    func close() {
        if let session { nghttp2_session_del(session) }
        session = nil
        streams.removeAll()
    }

    // MARK: Input

    /// Reads `bytes`; false when the connection cannot go on (GOAWAY is
    /// queued where the protocol calls for one, and for floods).
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let session, let base = bytes.baseAddress else { return session != nil }
        let read = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if calmedDown { return false }
        guard read < 0 else { return true }
        switch Int32(read) {
        case NGHTTP2_ERR_FLOODED.rawValue, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue:
            // Frames that make us queue answers faster than they are read (PING, SETTINGS),
            // or a header block in too many pieces.
            terminate(NGHTTP2_ENHANCE_YOUR_CALM)
        default:
            terminate(NGHTTP2_PROTOCOL_ERROR)  // nghttp2 queued its own GOAWAY where it had one
        }
        return false
    }

    /// Ends the connection with GOAWAY `code` (no new stream is read; the last one processed is named).
    func terminate(_ code: nghttp2_error_code) {
        guard let session else { return }
        if code == NGHTTP2_ENHANCE_YOUR_CALM { calmedDown = true }
        nghttp2_session_terminate_session(session, code.rawValue)
    }

    /// The peer reset a stream at `now` (monotonic nanoseconds): false once
    /// it resets faster than ``HTTP2Limits/resetRate`` beyond the burst.
    func allowReset(now: Int64) -> Bool {
        if resetRefilled > 0 {
            let elapsed = Double(now - resetRefilled) / 1e9
            resetAllowance = min(Double(limits.resetBurst), resetAllowance + elapsed * Double(limits.resetRate))
        }
        resetRefilled = now
        resetAllowance -= 1
        return resetAllowance >= 0
    }

    /// Some stream has body bytes nghttp2 has not sent yet (waiting for the peer's window).
    var hasStagedData: Bool { streams.values.contains { $0.stagedCount > 0 || $0.queued > 0 } }

    /// The peer and we are both done: nothing more to read or write.
    var isFinished: Bool {
        guard let session else { return true }
        return nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    // MARK: Output

    /// Output buffers' size: a send carries up to this much of the connection's frames.
    static let outputSize = 128 << 10
    /// Room kept for one more frame (a full DATA frame and its header).
    private static let frameRoom = 16384 + 9

    /// Writes the frames nghttp2 has ready into `buffer` (empty, ``outputSize`` bytes);
    /// DATA goes from the answer's bytes straight into it (`sendData`), the other frames are
    /// copied from `mem_send`'s chunk, valid only until its next call.
    func send(into buffer: OutputBuffer) {
        guard let session else { return }
        writing = buffer
        defer { writing = nil }
        while buffer.count + Self.frameRoom <= Self.outputSize {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            guard count > 0, let data else { break }
            buffer.append(UnsafeRawBufferPointer(start: data, count: count))
        }
    }

    /// Starts the next response head's fields with `:status`.
    func beginResponse(status: Int) {
        fieldBytes.removeAll(keepingCapacity: true)
        fieldSpans.removeAll(keepingCapacity: true)
        addField(name: UnsafeRawBufferPointer(UnsafeBufferPointer(start: Self.statusName.utf8Start, count: Self.statusName.utf8CodeUnitCount)),
                 value: nil, number: status)
    }

    private static let statusName: StaticString = ":status"

    /// One field of the response head; `name` is lowercased (HTTP/2 field names are).
    func addField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, number: Int = 0) {
        let nameStart = fieldBytes.count
        if name.contains(where: { $0 &- UInt8(ascii: "A") < 26 }) {
            for byte in name { fieldBytes.append(byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte) }
        } else {
            fieldBytes.append(contentsOf: name)  // already lowercase, as laid-out answers' names are
        }
        let valueStart = fieldBytes.count
        if let value {
            fieldBytes.append(contentsOf: value)
        } else {
            // A status: three digits.
            fieldBytes.append(UInt8(ascii: "0") + UInt8(number / 100 % 10))
            fieldBytes.append(UInt8(ascii: "0") + UInt8(number / 10 % 10))
            fieldBytes.append(UInt8(ascii: "0") + UInt8(number % 10))
        }
        fieldSpans.append((nameStart..<valueStart, valueStart..<fieldBytes.count))
    }

    /// Submits the head built by ``beginResponse(status:)`` and ``addField(name:value:number:)``
    /// for `stream`; with `body`, DATA follows from the stream's staging.
    func submitResponse(_ stream: Int32, body: Bool) -> Bool {
        guard let session else { return false }
        let submitted = fieldBytes.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            nva.removeAll(keepingCapacity: true)
            for span in fieldSpans {
                nva.append(nghttp2_nv(name: base + span.name.lowerBound, value: base + span.value.lowerBound,
                                      namelen: span.name.count, valuelen: span.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
            }
            // nghttp2 copies the fields when it submits them.
            return nva.withUnsafeMutableBufferPointer { nva in
                guard body else { return nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, nil) }
                var provider = nghttp2_data_provider(source: nghttp2_data_source(fd: 0), read_callback: HTTP2Connection.readBody)
                return nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, &provider)
            }
        }
        return submitted == 0
    }

    /// Ends `stream` with RST_STREAM (`code`: an HTTP/2 error code).
    func reset(_ stream: Int32, code: UInt32) {
        guard let session else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, code)
    }

    /// Shutdown: GOAWAY naming the last stream this connection will answer.
    func goAway() {
        guard let session else { return }
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, UInt32(NGHTTP2_NO_ERROR.rawValue), nil, 0)
    }

    // MARK: nghttp2's callbacks (recording only)

    private static func connection(_ userData: UnsafeMutableRawPointer?) -> HTTP2Connection {
        Unmanaged<HTTP2Connection>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// HEADERS on a stream id not above every one seen, unless the stream is
    /// open (trailers): a connection error (RFC 9113 §5.1.1), which nghttp2
    /// itself lets pass for ids it no longer remembers.
    private static let onBeginFrame: nghttp2_on_begin_frame_callback = { _, header, userData in
        guard let header, header.pointee.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
        let this = connection(userData)
        let stream = header.pointee.stream_id
        if stream > this.highestStream {
            this.highestStream = stream
        } else if this.streams[stream] == nil {
            return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
        }
        return 0
    }

    private static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
              frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
        connection(userData).beginHead(frame.pointee.hd.stream_id)
        return 0
    }

    private static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value else { return 0 }
        let this = connection(userData)
        guard frame.pointee.hd.stream_id == this.building else { return 0 }  // trailers: checked, then dropped
        this.field(UnsafeBufferPointer(start: name, count: nameLength), UnsafeBufferPointer(start: value, count: valueLength))
        return 0
    }

    private static let onFrame: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let this = connection(userData)
        let stream = frame.pointee.hd.stream_id
        let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(frame.pointee.hd.type) {
        case NGHTTP2_HEADERS.rawValue where frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST && stream == this.building:
            this.endHead(stream, endStream: endStream)
        case NGHTTP2_DATA.rawValue where frame.pointee.hd.length == 0 && !endStream:
            // Empty DATA frames cost a frame's work and carry nothing (CVE-2019-9518).
            this.emptyDataFrames += 1
            if this.emptyDataFrames > this.limits.maxEmptyDataFrames { this.terminate(NGHTTP2_ENHANCE_YOUR_CALM) }
        case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
            if endStream { this.events.append(.data(stream: stream, bytes: 0..<0, endStream: true)) }
        case NGHTTP2_RST_STREAM.rawValue:
            this.events.append(.peerReset)
        default:
            break
        }
        return 0
    }

    private static let onData: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, userData in
        guard let data, length > 0 else { return 0 }
        let this = connection(userData)
        let start = this.arena.count
        this.arena.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
        this.events.append(.data(stream: stream, bytes: start..<this.arena.count, endStream: false))
        return 0
    }

    private static let onStreamClose: nghttp2_on_stream_close_callback = { _, stream, _, userData in
        connection(userData).events.append(.closed(stream: stream))
        return 0
    }

    /// nghttp2 asks for up to `length` bytes of `stream`'s body: says how
    /// many there are (NO_COPY: ``sendData`` writes them, with their frame header).
    private static let readBody: nghttp2_data_source_read_callback = { _, stream, _, length, flags, _, userData in
        let this = connection(userData)
        guard let state = this.streams[stream], !state.direct || state.queue != nil else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)  // its slot is gone: nghttp2 resets the stream
        }
        let available = state.direct ? state.queued : state.stagedCount
        let count = min(length, available)
        flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_NO_COPY.rawValue)
        if state.direct ? count == state.left : count == state.stagedCount && state.ended {
            flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
        } else if count == 0 {
            this.streams[stream]?.deferred = true
            this.drained.append(stream)
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        return count
    }

    /// A DATA frame of `length` body bytes: its header and payload go into the buffer being filled.
    private static let sendData: nghttp2_send_data_callback = { _, frame, header, length, _, userData in
        let this = connection(userData)
        guard let frame, let header, let buffer = this.writing else { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        guard buffer.count + 9 + length <= HTTP2Connection.outputSize else { return Int32(NGHTTP2_ERR_WOULDBLOCK.rawValue) }
        let stream = frame.pointee.hd.stream_id
        guard var state = this.streams.removeValue(forKey: stream) else { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        defer { this.streams[stream] = state }
        buffer.append(UnsafeRawBufferPointer(start: header, count: 9))
        if state.direct {
            guard let queue = state.queue else { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            copy(from: queue, skipping: state.taken, count: length, into: buffer)
            state.taken += length
            state.queued -= length
            state.left -= length
            this.drained.append(stream)  // the HTTP core consumes what was taken
            return 0
        }
        state.staged.withUnsafeBytes { buffer.append(UnsafeRawBufferPointer(rebasing: $0[state.stagedStart..<(state.stagedStart + length)])) }
        state.stagedStart += length
        if state.stagedCount == 0 {
            state.staged.removeAll(keepingCapacity: true)
            state.stagedStart = 0
        }
        if !state.ended && state.stagedCount < HTTP2Connection.stagingLimit / 2 { this.drained.append(stream) }
        return 0
    }

    /// Appends `count` bytes of the queue `message` covers, after its first `skipping`, to `buffer`.
    private static func copy(from message: UnsafeMutablePointer<msghdr>, skipping: Int, count: Int, into buffer: OutputBuffer) {
        var skip = skipping
        var left = count
        for index in 0..<Int(message.pointee.msg_iovlen) where left > 0 {
            let iov = message.pointee.msg_iov[index]
            if skip >= iov.iov_len {
                skip -= iov.iov_len
                continue
            }
            let take = min(iov.iov_len - skip, left)
            buffer.append(UnsafeRawBufferPointer(start: iov.iov_base! + skip, count: take))
            skip = 0
            left -= take
        }
    }

    // MARK: Building a request head

    private func beginHead(_ stream: Int32) {
        building = stream
        method.removeAll(keepingCapacity: true)
        path.removeAll(keepingCapacity: true)
        authority.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        hasContentLength = false
        headTooLarge = false
    }

    /// One field of the head being read.
    private func field(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
        if name.first == UInt8(ascii: ":") {
            if Self.named(name, ":method") {
                method.append(contentsOf: value)
            } else if Self.named(name, ":path") {
                path.append(contentsOf: value)
            } else if Self.named(name, ":authority") {
                authority.append(contentsOf: value)
            }  // :scheme is checked by nghttp2
            return
        }
        // `host` with `:authority` as well: the authority is the request's (RFC 9113 §8.3.1).
        if !authority.isEmpty && Self.named(name, "host") { return }
        if Self.named(name, "content-length") { hasContentLength = true }
        // Past the limit the fields are dropped (the stream is answered 431 at its end).
        guard !headTooLarge else { return }
        guard lines.count + name.count + value.count + 4 <= maxHeadBytes else {
            headTooLarge = true
            return
        }
        lines.append(contentsOf: name)
        lines.append(contentsOf: ": ".utf8)
        lines.append(contentsOf: value)
        lines.append(contentsOf: "\r\n".utf8)
    }

    /// `name` is `text` (HTTP/2 names arrive in lowercase: nghttp2 refuses others).
    @inline(__always)
    private static func named(_ name: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        name.count == text.utf8CodeUnitCount && memcmp(name.baseAddress!, text.utf8Start, name.count) == 0
    }

    /// The head ended: its HTTP/1.1 form goes to the arena as a request event.
    private func endHead(_ stream: Int32, endStream: Bool) {
        building = 0
        if headTooLarge {
            var state = Stream()
            state.requestChunked = !endStream  // a body that follows is read past
            streams[stream] = state
            events.append(.headTooLarge(stream: stream))
            return
        }
        let start = arena.count
        arena.append(contentsOf: method)
        arena.append(UInt8(ascii: " "))
        // CONNECT names an authority, not a path.
        arena.append(contentsOf: path.isEmpty ? authority : path)
        arena.append(contentsOf: " HTTP/1.1\r\n".utf8)
        if !authority.isEmpty {
            arena.append(contentsOf: "host: ".utf8)
            arena.append(contentsOf: authority)
            arena.append(contentsOf: "\r\n".utf8)
        }
        arena.append(contentsOf: lines)
        let chunked = !endStream && !hasContentLength
        if chunked { arena.append(contentsOf: "transfer-encoding: chunked\r\n".utf8) }
        arena.append(contentsOf: "\r\n".utf8)
        var state = Stream()
        state.requestChunked = chunked
        state.headOnly = method.elementsEqual("HEAD".utf8)
        streams[stream] = state
        events.append(.request(stream: stream, bytes: start..<arena.count, endStream: endStream))
    }
}
