/// Stateless HTTP/1.1 response-head parser, the client's counterpart of
/// ``RequestParser``: no allocation, spans into the caller's bytes, one pass.
///
/// As strict as the request parser, because a lenient client is how a
/// response gets smuggled past it (RFC 9112 §11.2). Rejected, each with its
/// own ``ResponseParseError``:
/// - a status line other than `HTTP/1.x SP 3DIGIT SP reason CRLF`, a code
///   outside 100...599, another major version, a byte before `HTTP/`;
/// - any line ending in a bare LF, or a CR without its LF;
/// - a field line with no name, whitespace before the colon, obs-fold, or a
///   control byte in its value;
/// - `Content-Length` that is not 1*DIGIT, overflows, or appears twice (even
///   with the same value);
/// - `Content-Length` together with `Transfer-Encoding`, `Transfer-Encoding`
///   in an HTTP/1.0 response, or any coding list but exactly `chunked` (a
///   client that cannot decode gzip cannot deliver the body);
/// - a head longer than `maxHeadBytes`, or more fields than `headers` holds.
///
/// Interim (1xx) heads parse like any other (``ResponseHead/isInterim``): the
/// caller skips them and parses again after them.
public enum ResponseParser {
    /// Parses the response head at the start of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: received bytes, starting at the first byte of the response.
    ///   - headers: caller-owned storage; at most `headers.count` fields are written.
    ///   - maxHeadBytes: the longest head accepted, final CRLF included.
    ///   - head: filled in on `.complete`.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        headers: UnsafeMutableBufferPointer<HeaderField>,
        maxHeadBytes: Int,
        into head: inout ResponseHead
    ) -> ResponseParseResult {
        head = ResponseHead()
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .incomplete }
        var scanner = ResponseScanner(base: base, count: bytes.count, headers: headers, maxHeadBytes: maxHeadBytes)
        do throws(ResponseStop) {
            let length = try scanner.scanHead()
            head = scanner.head
            return .complete(headLength: length)
        } catch {
            switch error {
            case .incomplete: return .incomplete
            case .invalid(let reason): return .invalid(reason)
            }
        }
    }
}

/// Why a response scan stopped without a complete head.
enum ResponseStop: Error {
    case incomplete
    case invalid(ResponseParseError)
}

/// One pass over a response head: status line, field lines, the empty line.
struct ResponseScanner {
    let p: UnsafeRawPointer
    /// Where the scan must stop: the end of the input, or `maxHeadBytes` if that comes first.
    let end: Int
    /// The input goes on past `end`, so running out of bytes means the head is too large.
    let cutAtLimit: Bool
    let headers: UnsafeMutablePointer<HeaderField>?
    let headerCapacity: Int
    var head = ResponseHead()
    var hasTransferEncoding = false
    var codingCount = 0
    var onlyChunked = true

    init(base: UnsafeRawPointer, count: Int, headers: UnsafeMutableBufferPointer<HeaderField>, maxHeadBytes: Int) {
        p = base
        let limit = max(0, maxHeadBytes)
        end = min(count, limit)
        cutAtLimit = count > limit
        self.headers = headers.baseAddress
        headerCapacity = headers.count
    }

    @inline(__always)
    func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }

    @inline(__always)
    var outOfBytes: ResponseStop { cutAtLimit ? .invalid(.tooLarge) : .incomplete }

    /// Returns the head's length.
    @inline(__always)
    mutating func scanHead() throws(ResponseStop) -> Int {
        let fieldsStart = try scanStatusLine()
        let length = try scanFields(from: fieldsStart)
        try finishFraming()
        return length
    }

    /// Requires CRLF at `i` (a CR is there or the input ends); returns the offset after it.
    @inline(__always)
    func lineEnd(at i: Int) throws(ResponseStop) -> Int {
        guard i < end else { throw outOfBytes }
        guard byte(i) == ByteClass.cr else { throw .invalid(byte(i) == ByteClass.lf ? .lineEnding : .statusLine) }
        guard i + 1 < end else { throw outOfBytes }
        guard byte(i + 1) == ByteClass.lf else { throw .invalid(.lineEnding) }
        return i + 2
    }

    // MARK: - Status line

    /// `HTTP/1.x SP 3DIGIT SP reason-phrase CRLF`; returns the offset after it.
    @inline(__always)
    mutating func scanStatusLine() throws(ResponseStop) -> Int {
        let prefix: StaticString = "HTTP/"
        var i = 0
        while i < 5 {
            guard i < end else { throw outOfBytes }
            guard byte(i) == prefix.utf8Start[i] else { throw .invalid(.statusLine) }
            i &+= 1
        }
        // DIGIT "." DIGIT
        guard i + 2 < end else {
            try checkDigits(from: i, to: end)
            throw outOfBytes
        }
        let major = byte(i) &- UInt8(ascii: "0")
        let minor = byte(i + 2) &- UInt8(ascii: "0")
        guard major <= 9, byte(i + 1) == UInt8(ascii: "."), minor <= 9 else { throw .invalid(.statusLine) }
        guard major == 1 else { throw .invalid(.version) }
        head.versionMinor = min(minor, 1)
        i &+= 3
        guard i < end else { throw outOfBytes }
        guard byte(i) == ByteClass.sp else { throw .invalid(.statusLine) }
        i &+= 1
        var status = 0
        for _ in 0..<3 {
            guard i < end else { throw outOfBytes }
            let digit = byte(i) &- UInt8(ascii: "0")
            guard digit <= 9 else { throw .invalid(.statusLine) }
            status = status * 10 + Int(digit)
            i &+= 1
        }
        guard status >= 100 && status <= 599 else { throw .invalid(.statusLine) }
        head.status = status
        guard i < end else { throw outOfBytes }
        guard byte(i) == ByteClass.sp else { throw .invalid(.statusLine) }  // `HTTP/1.1 200\r\n` too: SP is not optional
        i &+= 1
        let reasonStart = i
        i = skipValueBytes(from: i, to: end)
        head.reason = ByteSpan(offset: reasonStart, count: i - reasonStart)
        return try lineEnd(at: i)
    }

    /// The version's bytes that did arrive must be digits and a dot in place.
    @inline(__always)
    func checkDigits(from start: Int, to stop: Int) throws(ResponseStop) {
        var i = start
        while i < stop {
            let c = byte(i)
            let ok = i == start + 1 ? c == UInt8(ascii: ".") : c &- UInt8(ascii: "0") <= 9
            guard ok else { throw .invalid(.statusLine) }
            i &+= 1
        }
    }

    // MARK: - Field lines

    /// Scans field lines up to and including the empty line; returns the head's length.
    @inline(__always)
    mutating func scanFields(from start: Int) throws(ResponseStop) -> Int {
        var i = start
        while true {
            guard i < end else { throw outOfBytes }
            var c = byte(i)
            if c == ByteClass.cr || c == ByteClass.lf { return try lineEnd(at: i) }

            // field-name ":" — an obs-fold line or whitespace before the colon fails here.
            let nameStart = i
            while true {
                guard i < end else { throw outOfBytes }
                c = byte(i)
                if !ByteClass.isTChar(c) { break }
                i &+= 1
            }
            guard c == UInt8(ascii: ":"), i > nameStart else { throw .invalid(.fieldLine) }
            let nameCount = i - nameStart
            i &+= 1
            while true {
                guard i < end else { throw outOfBytes }
                if !ByteClass.isOWS(byte(i)) { break }
                i &+= 1
            }
            let valueStart = i
            i = skipValueBytes(from: i, to: end)
            var valueEnd = i
            guard i < end else { throw outOfBytes }
            c = byte(i)
            guard c == ByteClass.cr || c == ByteClass.lf else { throw .invalid(.fieldLine) }
            i = try lineEnd(at: i)
            while valueEnd > valueStart, ByteClass.isOWS(byte(valueEnd - 1)) { valueEnd &-= 1 }

            guard head.headerCount < headerCapacity, let headers else { throw .invalid(.tooManyFields) }
            headers[head.headerCount] = HeaderField(
                name: ByteSpan(offset: nameStart, count: nameCount),
                value: ByteSpan(offset: valueStart, count: valueEnd - valueStart))
            head.headerCount &+= 1
            try noteField(name: nameStart, nameCount: nameCount, value: valueStart, valueEnd: valueEnd)
        }
    }

    /// Offset of the first byte in `start..<stop` that cannot be in a field value, or `stop`.
    @inline(__always)
    func skipValueBytes(from start: Int, to stop: Int) -> Int {
        var i = start
        while i + 8 <= stop, !ByteClass.wordMayEndValue(p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i &+= 8 }
        while i < stop, ByteClass.isValueChar(byte(i)) { i &+= 1 }
        return i
    }

    // MARK: - Framing fields

    @inline(__always)
    mutating func noteField(name: Int, nameCount: Int, value: Int, valueEnd: Int) throws(ResponseStop) {
        switch nameCount {
        case 10 where ByteClass.equalsLowercase(p + name, 10, "connection"):
            noteConnection(value, valueEnd)
        case 14 where ByteClass.equalsLowercase(p + name, 14, "content-length"):
            try noteContentLength(value, valueEnd)
        case 17 where ByteClass.equalsLowercase(p + name, 17, "transfer-encoding"):
            guard head.contentLength < 0 else { throw .invalid(.framing) }
            noteTransferEncoding(value, valueEnd)
        default:
            break
        }
    }

    /// Exactly one `Content-Length` of 1*DIGIT, never beside `Transfer-Encoding`.
    mutating func noteContentLength(_ start: Int, _ end: Int) throws(ResponseStop) {
        guard !hasTransferEncoding else { throw .invalid(.framing) }
        guard head.contentLength < 0, start < end else { throw .invalid(.contentLength) }
        var length = 0
        var i = start
        while i < end {
            let digit = byte(i) &- UInt8(ascii: "0")
            guard digit <= 9 else { throw .invalid(.contentLength) }
            let (tens, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = tens.addingReportingOverflow(Int(digit))
            guard !o1, !o2 else { throw .invalid(.contentLength) }
            length = sum
            i &+= 1
        }
        head.contentLength = length
    }

    /// Counts the codings of a comma-separated list; `finishFraming` judges them.
    mutating func noteTransferEncoding(_ start: Int, _ end: Int) {
        hasTransferEncoding = true
        var i = start
        while i < end {
            let element = listElement(from: i, to: end)
            i = element.next
            guard element.end > element.start else { continue }
            codingCount &+= 1
            if !ByteClass.equalsLowercase(p + element.start, element.end - element.start, "chunked") { onlyChunked = false }
        }
    }

    mutating func noteConnection(_ start: Int, _ end: Int) {
        var i = start
        while i < end {
            let element = listElement(from: i, to: end)
            i = element.next
            let count = element.end - element.start
            if ByteClass.equalsLowercase(p + element.start, count, "close") {
                head.connectionClose = true
            } else if ByteClass.equalsLowercase(p + element.start, count, "keep-alive") {
                head.connectionKeepAlive = true
            }
        }
    }

    /// Checks that need the whole head.
    @inline(__always)
    mutating func finishFraming() throws(ResponseStop) {
        guard hasTransferEncoding else { return }
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
        guard head.versionMinor >= 1 else { throw .invalid(.framing) }
        guard codingCount == 1, onlyChunked else { throw .invalid(.transferCoding) }
        head.isChunked = true
    }

    /// The next element of a `#list` at `start`, without surrounding OWS, and the offset after its comma.
    @inline(__always)
    func listElement(from start: Int, to end: Int) -> (start: Int, end: Int, next: Int) {
        var i = start
        while i < end, ByteClass.isOWS(byte(i)) { i &+= 1 }
        let elementStart = i
        while i < end, byte(i) != UInt8(ascii: ",") { i &+= 1 }
        var elementEnd = i
        while elementEnd > elementStart, ByteClass.isOWS(byte(elementEnd - 1)) { elementEnd &-= 1 }
        return (elementStart, elementEnd, i + 1)
    }
}
