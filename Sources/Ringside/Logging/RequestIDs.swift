#if canImport(Glibc)
import Glibc
#endif

/// A worker's `x-request-id` lines: taken from the request or made here,
/// kept where a send can read them, never allocated per request.
///
/// Each slot has a ring of lines of 64 bytes (`x-request-id: ID\r\n`), one
/// more than its send queue has iovecs. A prebuilt answer is sent as three
/// iovecs (its head without the final CRLF, the line, the rest), so the
/// line must stay put until the send is done: every answer takes at least
/// one iovec and answers leave the queue in order, so by the time a line
/// comes round again its answer was sent. A slot starts its ring
/// over whenever its queue is empty, so a connection that does not pipeline
/// only ever touches its first line. Lines are laid out line-major (line
/// *e* of every slot together) in reserved, uncommitted memory: a page is
/// paid for only once used. A struct of pointers, so the hot path touches
/// no reference count; the worker's `RequestObserver` frees it.
struct RequestIDs {
    /// The longest id taken from a request; a longer or invalid one is replaced.
    static let maxLength = 48
    static let lineSize = 64
    private static let name: [UInt8] = Array("x-request-id: ".utf8)
    private static let nameLength = 14
    /// Hex digits of a made id: 14 for the worker (start time, random, worker number), 10 counting.
    static let generatedLength = 24

    private let capacity: Int
    private let entries: Int
    private let lines: UnsafeMutableRawPointer
    private let cursors: UnsafeMutablePointer<UInt16>
    /// The next made id, counted up in place.
    private let next: UnsafeMutablePointer<UInt8>

    init(slots capacity: Int, queueDepth: Int, worker: Int) {
        self.capacity = capacity
        entries = queueDepth + 1
        precondition(entries <= Int(UInt16.max), "request-id ring too deep")
        let bytes = capacity * entries * RequestIDs.lineSize
        let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(memory != MAP_FAILED && memory != nil, "cannot reserve request-id lines")
        lines = memory!
        cursors = .allocate(capacity: capacity)
        cursors.initialize(repeating: 0, count: capacity)
        next = .allocate(capacity: RequestIDs.generatedLength)
        // Unique across workers and restarts: start time (8), random (4), worker (2), then the count (10).
        let random = UInt16.random(in: 0...UInt16.max)
        var prefix = RequestIDs.hex(UInt64(WallClock.seconds), digits: 8) + RequestIDs.hex(UInt64(random), digits: 4)
        prefix += RequestIDs.hex(UInt64(worker & 0xFF), digits: 2) + Array(repeating: UInt8(ascii: "0"), count: 10)
        next.initialize(from: prefix, count: RequestIDs.generatedLength)
    }

    /// Frees the memory (when the worker ends).
    func deallocate() {
        munmap(lines, capacity * entries * RequestIDs.lineSize)
        cursors.deallocate()
        next.deallocate()
    }

    /// Writes the line of the request now read on `slot`: `incoming` when
    /// valid, else a made id. `queueEmpty`: nothing of the slot's is
    /// waiting to be sent, so its ring starts over. Returns the line's entry
    /// and the id's length.
    @inline(__always)
    func assign(_ slot: Int, incoming: UnsafeRawBufferPointer?, queueEmpty: Bool) -> (entry: UInt16, length: UInt8) {
        if queueEmpty { cursors[slot] = 0 }
        let entry = cursors[slot]
        cursors[slot] = entry + 1 == UInt16(entries) ? 0 : entry + 1
        let line = lineStart(slot, entry)
        let id = line + RequestIDs.nameLength
        let length: Int
        if let incoming, RequestIDs.isValid(incoming) {
            id.copyMemory(from: incoming.baseAddress!, byteCount: incoming.count)
            length = incoming.count
        } else {
            countUp()
            id.copyMemory(from: next, byteCount: RequestIDs.generatedLength)
            length = RequestIDs.generatedLength
        }
        (id + length).storeBytes(of: 0x0A0D, as: UInt16.self)  // CRLF
        return (entry, UInt8(length))
    }

    /// The whole `x-request-id: ID\r\n` line.
    @inline(__always)
    func line(_ slot: Int, entry: UInt16, length: UInt8) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: lineStart(slot, entry), count: RequestIDs.nameLength + Int(length) + 2)
    }

    /// The id alone.
    @inline(__always)
    func id(_ slot: Int, entry: UInt16, length: UInt8) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: lineStart(slot, entry) + RequestIDs.nameLength, count: Int(length))
    }

    @inline(__always)
    private func lineStart(_ slot: Int, _ entry: UInt16) -> UnsafeMutableRawPointer {
        let line = lines + (Int(entry) * capacity + slot) * RequestIDs.lineSize
        // The name is written the first time a line is used (a fresh page reads as zeros).
        if line.load(as: UInt8.self) == 0 { line.copyMemory(from: RequestIDs.name, byteCount: RequestIDs.nameLength) }
        return line
    }

    /// Adds one to the made id's last 10 hex digits, in place.
    @inline(__always)
    private func countUp() {
        var position = RequestIDs.generatedLength - 1
        while position >= RequestIDs.generatedLength - 10 {
            let digit = next[position]
            if digit == UInt8(ascii: "9") {
                next[position] = UInt8(ascii: "a")
                return
            } else if digit != UInt8(ascii: "f") {
                next[position] = digit + 1
                return
            }
            next[position] = UInt8(ascii: "0")
            position -= 1
        }
    }

    /// 1 to 48 bytes of letters, digits and `- _ . : + / = @`: safe in a header, a log line and JSON.
    @inline(__always)
    static func isValid(_ id: UnsafeRawBufferPointer) -> Bool {
        guard !id.isEmpty && id.count <= maxLength else { return false }
        for byte in id {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "@"):
                continue
            default:
                return false
            }
        }
        return true
    }

    private static func hex(_ value: UInt64, digits: Int) -> [UInt8] {
        (0..<digits).reversed().map { shift in
            let digit = UInt8((value >> (4 * UInt64(shift))) & 0xF)
            return digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
        }
    }
}
