// The values of the fields that frame a message, read the same way in a request and a response:
// `#list` elements (RFC 9110 §5.6.1), Content-Length (§8.6), Connection options (§7.6.1) and
// transfer codings (RFC 9112 §6.1). Which combinations are refused, and with which error, stays
// with each parser.

/// Value readers shared by ``RequestParser`` and ``ResponseParser``, over the raw bytes.
enum FramingValues {
    /// The `Content-Length` value in `start..<end` as 1*DIGIT; nil when it is empty, holds
    /// another byte or is above `Int.max`.
    static func contentLength(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int? {
        guard start < end else { return nil }
        var length = 0
        var i = start
        while i < end {
            let digit = p.load(fromByteOffset: i, as: UInt8.self) &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            let (tens, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = tens.addingReportingOverflow(Int(digit))
            guard !o1, !o2 else { return nil }
            length = sum
            i &+= 1
        }
        return length
    }

    /// Connection options are case-insensitive tokens: sets `close` and `keepAlive` where
    /// the list in `start..<end` names them, and leaves them as they are otherwise.
    /// Out of line, as a rare field's work: inlined, it grows the parsers' field loops past
    /// what the optimiser inlines into them.
    @inline(never)
    static func connectionOptions(
        _ p: UnsafeRawPointer, from start: Int, to end: Int, close: inout Bool, keepAlive: inout Bool
    ) {
        var i = start
        while i < end {
            let element = listElement(p, from: i, to: end)
            i = element.next
            let count = element.end - element.start
            if ByteClass.equalsLowercase(p + element.start, count, "close") {
                close = true
            } else if ByteClass.equalsLowercase(p + element.start, count, "keep-alive") {
                keepAlive = true
            }
        }
    }

    /// The next element of a `#list` at `start`, without surrounding OWS, and the offset after its comma.
    @inline(__always)
    static func listElement(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> (start: Int, end: Int, next: Int) {
        @inline(__always) func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }
        var i = start
        while i < end, ByteClass.isOWS(byte(i)) { i &+= 1 }
        let elementStart = i
        while i < end, byte(i) != UInt8(ascii: ",") { i &+= 1 }
        var elementEnd = i
        while elementEnd > elementStart, ByteClass.isOWS(byte(elementEnd - 1)) { elementEnd &-= 1 }
        return (elementStart, elementEnd, i + 1)
    }
}

/// The codings of every `Transfer-Encoding` line of a head, read as one list: only once the
/// head ends is the final coding known.
struct TransferCodings {
    /// A `Transfer-Encoding` line was seen, even an empty one.
    var present = false
    /// Non-empty elements so far.
    var count = 0
    /// The last of them is `chunked`.
    var lastIsChunked = false
    /// `chunked` came before the last coding.
    var chunkedBeforeLast = false

    /// Adds the codings of the list in `start..<end`.
    mutating func add(_ p: UnsafeRawPointer, from start: Int, to end: Int) {
        present = true
        var i = start
        while i < end {
            let element = FramingValues.listElement(p, from: i, to: end)
            i = element.next
            guard element.end > element.start else { continue }
            if lastIsChunked { chunkedBeforeLast = true }
            lastIsChunked = ByteClass.equalsLowercase(p + element.start, element.end - element.start, "chunked")
            count &+= 1
        }
    }
}
