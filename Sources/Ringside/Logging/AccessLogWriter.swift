import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One worker's access log: each answered request becomes one line in a
/// worker-owned buffer, written to the log with one `write` per loop turn
/// (or when the buffer fills), never one per request.
///
/// What a line needs after the request's bytes are gone is kept per slot:
/// the path (up to 256 bytes, copied when the head is read) and the peer's
/// address (looked up once per connection, with `getpeername`), in
/// reserved memory that costs RAM only once used. Workers share the log's
/// descriptor (opened with `O_APPEND`); each write holds whole lines, and
/// to a pipe at most `PIPE_BUF` bytes, so lines of different workers never
/// interleave. A struct, so the hot path touches no reference count; the
/// worker's `RequestObserver` flushes and frees it.
struct AccessLogWriter {
    /// Longest path kept; a longer one is logged cut, ending in `...`.
    static let maxPath = 256
    private static let slotSize = 320
    private static let peerOffset = 8
    private static let peerCapacity = 56
    private static let pathOffset = 64
    /// Room a line can take at most (a path escaped for JSON included).
    private static let maxLine = 1024 + 2 * maxPath
    private static let capacity = 64 << 10

    let fd: Int32
    private let json: Bool
    private let isPipe: Bool
    private let buffer: UnsafeMutableRawPointer
    private(set) var count = 0
    private let slots: UnsafeMutableRawPointer
    private let slotCapacity: Int
    /// `2026-11-23T04:55:47.123Z`, formatted at the first line of each turn.
    private let time: UnsafeMutableRawPointer
    private var timeIsCurrent = false

    init(fd: Int32, format: ServerConfiguration.AccessLog.Format, slots slotCapacity: Int) {
        self.fd = fd
        json = format == .json
        var status = stat()
        isPipe = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG
        buffer = .allocate(byteCount: AccessLogWriter.capacity, alignment: 16)
        self.slotCapacity = slotCapacity
        let bytes = slotCapacity * AccessLogWriter.slotSize
        let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(memory != MAP_FAILED && memory != nil, "cannot reserve access-log slots")
        slots = memory!
        time = .allocate(byteCount: 24, alignment: 8)
    }

    /// Writes what is left and frees the memory (when the worker ends).
    mutating func close() {
        flush()
        buffer.deallocate()
        munmap(slots, slotCapacity * AccessLogWriter.slotSize)
        time.deallocate()
    }

    // MARK: Per slot

    /// Keeps the path of the request just read on `slot`.
    @inline(__always)
    func keepPath(_ slot: Int, _ path: UnsafeRawBufferPointer) {
        let base = slots + slot * AccessLogWriter.slotSize
        let count = min(path.count, AccessLogWriter.maxPath)
        if count > 0 { (base + AccessLogWriter.pathOffset).copyMemory(from: path.baseAddress!, byteCount: count) }
        (base + 4).storeBytes(of: UInt16(count), as: UInt16.self)
        (base + 6).storeBytes(of: path.count > AccessLogWriter.maxPath ? 1 : 0, as: UInt8.self)
    }

    /// The peer of the connection (`fd`, of `generation`) in `slot`, looked up once per connection.
    private func peer(_ slot: Int, fd socket: Int32, generation: UInt32) -> UnsafeRawBufferPointer {
        let base = slots + slot * AccessLogWriter.slotSize
        let text = base + AccessLogWriter.peerOffset
        if base.load(as: UInt32.self) != generation &+ 1 {
            // Once per connection; allocates (the address as a String).
            var length = 1
            text.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
            if let address = SocketAddress(peerOf: socket) {
                let description = Array(address.description.utf8.prefix(AccessLogWriter.peerCapacity))
                text.copyMemory(from: description, byteCount: description.count)
                length = description.count
            }
            (base + 7).storeBytes(of: UInt8(length), as: UInt8.self)
            base.storeBytes(of: generation &+ 1, as: UInt32.self)
        }
        return UnsafeRawBufferPointer(start: text, count: Int(base.load(fromByteOffset: 7, as: UInt8.self)))
    }

    // MARK: Lines

    /// One answered request. `method` nil: no request head was read (the
    /// answer is the server's to bytes that were not a request).
    mutating func append(
        slot: Int, fd socket: Int32, generation: UInt32, method: HTTP1.Method?, status: Int, bytes: Int,
        nanoseconds: Int64, requestID: UnsafeRawBufferPointer?, tls: UInt8 = 0, version: UInt8 = 0
    ) {
        if count + AccessLogWriter.maxLine > AccessLogWriter.capacity { flush() }
        if !timeIsCurrent { formatTime() }
        let base = slots + slot * AccessLogWriter.slotSize
        let peer = peer(slot, fd: socket, generation: generation)
        let path = UnsafeRawBufferPointer(start: base + AccessLogWriter.pathOffset, count: Int(base.load(fromByteOffset: 4, as: UInt16.self)))
        let cut = base.load(fromByteOffset: 6, as: UInt8.self) != 0
        let time = UnsafeRawBufferPointer(start: self.time, count: 24)
        // Literal-backed strings: writing them copies their bytes, allocates nothing.
        let name = method.map { $0 == .other ? "_OTHER" : $0.name } ?? "-"
        if json {
            put("{\"time\":\""); put(time)
            put("\",\"remote\":\""); put(peer)
            put("\",\"method\":\""); append(name)
            put("\",\"path\":\"")
            if method != nil { putEscaped(path); if cut { put("...") } } else { put("-") }
            put("\",\"status\":"); appendDecimal(status)
            put(",\"bytes\":"); appendDecimal(bytes)
            put(",\"duration\":"); putSeconds(nanoseconds)
            put(",\"request_id\":")
            if let requestID { put("\""); put(requestID); put("\"") } else { put("null") }
            put(",\"tls\":")
            switch tls {
            case 3: put("\"1.3\"")
            case 2: put("\"1.2\"")
            default: put("null")
            }
            put(",\"protocol\":")
            switch version {
            case 20: put("\"HTTP/2\"")
            case 11: put("\"HTTP/1.1\"")
            case 10: put("\"HTTP/1.0\"")
            default: put("null")
            }
            put("}\n")
        } else {
            put(time); put(" "); put(peer); put(" \""); append(name); put(" ")
            if method != nil { putEscaped(path); if cut { put("...") } } else { put("-") }
            put("\" "); appendDecimal(status); put(" "); appendDecimal(bytes); put(" "); putSeconds(nanoseconds); put(" ")
            if let requestID { put(requestID) } else { put("-") }
            switch tls {
            case 3: put(" TLSv1.3")
            case 2: put(" TLSv1.2")
            default: put(" -")
            }
            switch version {
            case 20: put(" HTTP/2")
            case 11: put(" HTTP/1.1")
            case 10: put(" HTTP/1.0")
            default: put(" -")
            }
            put("\n")
        }
    }

    /// Writes what the turn logged. Whole lines per write; at most
    /// `PIPE_BUF` bytes per write to a pipe, so writes stay atomic.
    mutating func flush() {
        timeIsCurrent = false
        var start = 0
        while start < count {
            var end = count
            if isPipe && end - start > Int(PIPE_BUF) {
                end = start + Int(PIPE_BUF)
                while end > start && buffer.load(fromByteOffset: end - 1, as: UInt8.self) != 0x0A { end -= 1 }
                if end == start { end = min(count, start + Int(PIPE_BUF)) }  // a line longer than PIPE_BUF
            }
            let written = write(fd, buffer + start, end - start)
            if written < 0 {
                if errno == EINTR { continue }
                break  // the log is gone or full: drop this batch rather than stall serving
            }
            start += written
        }
        count = 0
    }

    // MARK: Writing bytes

    @inline(__always)
    private mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        (buffer + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    private mutating func put(_ text: StaticString) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Request-target bytes are visible ASCII (the parser's rule): only `"` and `\` need escaping.
    private mutating func putEscaped(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.storeBytes(of: UInt8(ascii: "\\"), toByteOffset: count, as: UInt8.self)
                count += 1
            }
            buffer.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }
    }

    /// Seconds with microseconds: `0.000123`.
    private mutating func putSeconds(_ nanoseconds: Int64) {
        let micros = max(nanoseconds, 0) / 1000
        appendDecimal(Int(micros / 1_000_000))
        put(".")
        var fraction = Int(micros % 1_000_000)
        for _ in 0..<6 {
            let digit = fraction / 100_000
            buffer.storeBytes(of: UInt8(ascii: "0") + UInt8(digit), toByteOffset: count, as: UInt8.self)
            count += 1
            fraction = (fraction % 100_000) * 10
        }
    }

    /// The wall-clock time of this turn in RFC 3339 form, UTC, milliseconds.
    private mutating func formatTime() {
        timeIsCurrent = true
        let now = WallClock.now()
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var offset = 0
        func field(_ value: Int, _ width: Int, _ separator: UInt8) {
            var remaining = value
            for position in stride(from: offset + width - 1, through: offset, by: -1) {
                time.storeBytes(of: UInt8(ascii: "0") + UInt8(remaining % 10), toByteOffset: position, as: UInt8.self)
                remaining /= 10
            }
            time.storeBytes(of: separator, toByteOffset: offset + width, as: UInt8.self)
            offset += width + 1
        }
        field(Int(parts.tm_year) + 1900, 4, UInt8(ascii: "-"))
        field(Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-"))
        field(Int(parts.tm_mday), 2, UInt8(ascii: "T"))
        field(Int(parts.tm_hour), 2, UInt8(ascii: ":"))
        field(Int(parts.tm_min), 2, UInt8(ascii: ":"))
        field(Int(parts.tm_sec), 2, UInt8(ascii: "."))
        field(now.tv_nsec / 1_000_000, 3, UInt8(ascii: "Z"))
    }
}

extension AccessLogWriter: ByteSink {
    /// Appends `bytes` to the buffer (room was made before the line began).
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) { put(bytes) }
}
