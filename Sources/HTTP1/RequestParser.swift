/// Stateless HTTP/1.x request-head parser in the style of picohttpparser.
public enum RequestParser {
    /// Parses the request head at the start of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: received bytes, starting at the first byte of the request.
    ///   - headers: caller-owned storage; at most `min(headers.count, limits.maxHeaderCount)` fields are written.
    ///   - limits: size limits.
    ///   - previousLength: how many of these bytes an earlier call already saw and found incomplete;
    ///     lets a request arriving in pieces be re-checked cheaply (0 when unknown).
    ///   - head: filled in on `.complete`.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        headers: UnsafeMutableBufferPointer<HeaderField>,
        limits: ParserLimits,
        previousLength: Int = 0,
        into head: inout RequestHead
    ) -> ParseResult {
        var rule: StrictnessRule?
        return parse(bytes, headers: headers, limits: limits, previousLength: previousLength, into: &head, rule: &rule)
    }

    /// ``parse(_:headers:limits:previousLength:into:)``, also naming the rule an invalid head broke.
    @inline(__always)
    static func parse(
        _ bytes: UnsafeRawBufferPointer,
        headers: UnsafeMutableBufferPointer<HeaderField>,
        limits: ParserLimits,
        previousLength: Int,
        into head: inout RequestHead,
        rule: inout StrictnessRule?
    ) -> ParseResult {
        head = RequestHead()
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .incomplete }
        if previousLength > 0, previousLength <= bytes.count,
            stillIncomplete(base, count: bytes.count, previousLength: previousLength, limits: limits)
        {
            return .incomplete
        }
        var scanner = HeadScanner(base: base, count: bytes.count, headers: headers, limits: limits)
        do throws(ScanStop) {
            let length = try scanner.scanHead()
            head = scanner.head
            return .complete(headLength: length)
        } catch {
            switch error {
            case .incomplete: return .incomplete
            case .invalid(let broken):
                rule = broken
                return .invalid(broken.error)
            }
        }
    }

    /// Whether bytes that an earlier call found to be an incomplete head are still one,
    /// decided without rescanning them; `false` means "run the full scan".
    static func stillIncomplete(
        _ p: UnsafeRawPointer, count: Int, previousLength: Int, limits: ParserLimits
    ) -> Bool {
        // Past the size limit the full scan decides which error to report.
        if count > limits.maxHeaderBytes { return false }
        // A head ends with a line's LF followed by an empty line, `\n\r\n`; `\n\n` is looked for
        // too, so that a head ended by bare LFs gets its 400 at once. Neither was in the first
        // `previousLength` bytes, so one would start at `previousLength - 2` or later.
        var i = max(0, previousLength - 2)
        while i < count {
            if p.load(fromByteOffset: i, as: UInt8.self) == ByteClass.lf {
                if i + 1 < count {
                    let next = p.load(fromByteOffset: i + 1, as: UInt8.self)
                    if next == ByteClass.lf { return false }
                    if next == ByteClass.cr, i + 2 < count,
                        p.load(fromByteOffset: i + 2, as: UInt8.self) == ByteClass.lf
                    {
                        return false
                    }
                }
            }
            i &+= 1
        }
        // The request line must have ended within its limit once that many bytes are here.
        var lineStart = 0
        while lineStart < count {
            let c = p.load(fromByteOffset: lineStart, as: UInt8.self)
            if c != ByteClass.cr && c != ByteClass.lf { break }
            lineStart &+= 1
        }
        let maxLine = max(0, limits.maxRequestLineLength)
        if count - lineStart < maxLine { return true }
        var j = lineStart
        while j < lineStart + maxLine {
            if p.load(fromByteOffset: j, as: UInt8.self) == ByteClass.lf { return true }
            j &+= 1
        }
        return false
    }
}

/// Why a scan stopped without a complete head.
enum ScanStop: Error {
    case incomplete
    case invalid(StrictnessRule)
}

/// One pass over a request head: request line, then field lines, then the empty line.
struct HeadScanner {
    let p: UnsafeRawPointer
    /// Where the scan must stop: the end of the input, or `maxHeaderBytes` if that comes first.
    let end: Int
    /// The input goes on past `end`, so running out of bytes means the head is too large.
    let cutAtLimit: Bool
    let maxRequestLineLength: Int
    let headers: UnsafeMutablePointer<HeaderField>?
    let headerCapacity: Int
    var head = RequestHead()
    var hostCount = 0
    var hasTransferEncoding = false
    var codingCount = 0
    var lastCodingIsChunked = false
    var chunkedBeforeLast = false

    init(
        base: UnsafeRawPointer, count: Int,
        headers: UnsafeMutableBufferPointer<HeaderField>, limits: ParserLimits
    ) {
        p = base
        let maxHead = max(0, limits.maxHeaderBytes)
        end = min(count, maxHead)
        cutAtLimit = count > maxHead
        maxRequestLineLength = max(0, limits.maxRequestLineLength)
        self.headers = headers.baseAddress
        headerCapacity = min(headers.count, max(0, limits.maxHeaderCount))
    }

    @inline(__always)
    func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }

    @inline(__always)
    func word(_ i: Int) -> UInt64 { p.loadUnaligned(fromByteOffset: i, as: UInt64.self) }

    @inline(__always)
    var outOfBytes: ScanStop { cutAtLimit ? .invalid(.headTooLarge) : .incomplete }

    /// Returns the head's length.
    @inline(__always)
    mutating func scanHead() throws(ScanStop) -> Int {
        let lineStart = try skipEmptyLines()
        let fieldsStart = try scanRequestLine(from: lineStart)
        let length = try scanFields(from: fieldsStart)
        try finishFraming()
        return length
    }

    /// Skips empty lines (CRLF) before the request line (RFC 9112 §2.2).
    @inline(__always)
    func skipEmptyLines() throws(ScanStop) -> Int {
        var i = 0
        while true {
            guard i < end else { throw outOfBytes }
            let c = byte(i)
            guard c == ByteClass.cr || c == ByteClass.lf else { return i }
            i = try lineEnd(at: i, stop: end, outOfLine: outOfBytes, otherwise: .lineEnding)
        }
    }

    /// The CRLF that must end a line at `i`; returns the offset after it. A bare LF, or a CR
    /// followed by anything but LF, breaks `.lineEnding`: a line ends in CRLF only. Any other
    /// byte at `i` breaks `otherwise`, the rule of what the line was scanning.
    @inline(__always)
    func lineEnd(at i: Int, stop: Int, outOfLine: ScanStop, otherwise: StrictnessRule) throws(ScanStop) -> Int {
        let c = byte(i)
        guard c == ByteClass.cr else { throw .invalid(c == ByteClass.lf ? .lineEnding : otherwise) }
        guard i + 1 < stop else { throw outOfLine }
        guard byte(i + 1) == ByteClass.lf else { throw .invalid(.lineEnding) }
        return i + 2
    }

    // MARK: - Request line

    /// Scans `method SP request-target SP HTTP-version` and its line end; returns the next offset.
    @inline(__always)
    mutating func scanRequestLine(from start: Int) throws(ScanStop) -> Int {
        // The line, LF included, may take at most maxRequestLineLength bytes.
        let capped = end - start >= maxRequestLineLength
        let stop = capped ? start + maxRequestLineLength : end
        let outOfLine: ScanStop = capped ? .invalid(.requestLineTooLong) : outOfBytes

        var i = start
        while true {
            guard i < stop else { throw outOfLine }
            if !ByteClass.isTChar(byte(i)) { break }
            i &+= 1
        }
        guard i > start, byte(i) == ByteClass.sp else { throw .invalid(.method) }
        head.methodToken = ByteSpan(offset: start, count: i - start)
        head.method = knownMethod(start, count: i - start)
        i &+= 1

        let targetStart = i
        i = skipPathBytes(from: i, to: stop)
        guard i < stop else { throw outOfLine }
        var queryMark = -1
        if byte(i) == UInt8(ascii: "?") {
            queryMark = i
            i = skipQueryBytes(from: i + 1, to: stop)
            guard i < stop else { throw outOfLine }
        }
        guard byte(i) == ByteClass.sp, i > targetStart else { throw .invalid(.requestTarget) }
        try splitTarget(targetStart, end: i, queryMark: queryMark)
        i &+= 1

        return try scanVersion(from: i, stop: stop, outOfLine: outOfLine)
    }

    /// Maps a method token to `Method`, case-sensitively (RFC 9110 §9.1).
    @inline(__always)
    func knownMethod(_ start: Int, count: Int) -> Method {
        guard count <= 7 else { return .other }
        // Pack the bytes little-end first; tchars are never 0, so the length is implied.
        var w: UInt64 = 0
        var k = 0
        while k < count {
            w |= UInt64(byte(start + k)) << UInt64(8 * k)
            k &+= 1
        }
        switch w {
        case 0x54_45_47: return .get  // "GET"
        case 0x54_55_50: return .put  // "PUT"
        case 0x44_41_45_48: return .head  // "HEAD"
        case 0x54_53_4F_50: return .post  // "POST"
        case 0x48_43_54_41_50: return .patch  // "PATCH"
        case 0x45_43_41_52_54: return .trace  // "TRACE"
        case 0x45_54_45_4C_45_44: return .delete  // "DELETE"
        case 0x54_43_45_4E_4E_4F_43: return .connect  // "CONNECT"
        case 0x53_4E_4F_49_54_50_4F: return .options  // "OPTIONS"
        default: return .other
        }
    }

    /// Offset of the first byte in `start..<stop` that ends a path (`?`, or not 0x21...0x7E), or `stop`.
    @inline(__always)
    func skipPathBytes(from start: Int, to stop: Int) -> Int {
        var i = start
        while i + 8 <= stop, !ByteClass.wordMayEndPath(word(i)) { i &+= 8 }
        while i < stop {
            let c = byte(i)
            if !ByteClass.isTargetChar(c) || c == UInt8(ascii: "?") { break }
            i &+= 1
        }
        return i
    }

    /// Offset of the first byte in `start..<stop` outside 0x21...0x7E, or `stop`.
    @inline(__always)
    func skipQueryBytes(from start: Int, to stop: Int) -> Int {
        var i = start
        while i + 8 <= stop, !ByteClass.wordMayEndTarget(word(i)) { i &+= 8 }
        while i < stop, ByteClass.isTargetChar(byte(i)) { i &+= 1 }
        return i
    }

    /// Sets target, path and query for the target forms of RFC 9112 §3.2.
    @inline(__always)
    mutating func splitTarget(_ start: Int, end targetEnd: Int, queryMark: Int) throws(ScanStop) {
        head.target = ByteSpan(offset: start, count: targetEnd - start)
        let pathEnd = queryMark >= 0 ? queryMark : targetEnd
        if queryMark >= 0 {
            head.query = ByteSpan(offset: queryMark + 1, count: targetEnd - queryMark - 1)
        }
        let first = byte(start)
        if first == UInt8(ascii: "/") {
            // origin-form; CONNECT takes only authority-form.
            guard head.method != .connect else { throw .invalid(.requestTarget) }
            head.path = ByteSpan(offset: start, count: pathEnd - start)
            return
        }
        if head.method == .connect {
            guard queryMark < 0, isAuthorityForm(start, end: targetEnd) else { throw .invalid(.requestTarget) }
            return
        }
        if first == UInt8(ascii: "*"), targetEnd - start == 1 {
            // asterisk-form is only for a server-wide OPTIONS.
            guard head.method == .options else { throw .invalid(.requestTarget) }
            return
        }
        // absolute-form: http(s)://authority[/path][?query]
        var authority = start
        if pathEnd - start >= 7, ByteClass.hasPrefixLowercase(p + start, "http://") {
            authority = start + 7
        } else if pathEnd - start >= 8, ByteClass.hasPrefixLowercase(p + start, "https://") {
            authority = start + 8
        } else {
            throw .invalid(.requestTarget)
        }
        var i = authority
        while i < pathEnd {
            let c = byte(i)
            if c == UInt8(ascii: "/") { break }
            // uri-host [":" port] as in Host; userinfo (`@`) is deprecated in http(s) URIs and
            // treated as an error (RFC 9110 §4.2.4).
            guard ByteClass.isHostChar(c) else { throw .invalid(.requestTarget) }
            i &+= 1
        }
        // An http(s) URI with an empty host is invalid (RFC 9110 §4.2.1).
        guard i > authority else { throw .invalid(.requestTarget) }
        if i < pathEnd { head.path = ByteSpan(offset: i, count: pathEnd - i) }
    }

    /// `host ":" port` with a non-empty host and a decimal port (RFC 9112 §3.2.3).
    func isAuthorityForm(_ start: Int, end targetEnd: Int) -> Bool {
        var colon = targetEnd - 1
        while colon >= start, byte(colon) != UInt8(ascii: ":") { colon -= 1 }
        guard colon > start, colon < targetEnd - 1 else { return false }
        for i in start..<colon where !ByteClass.isHostChar(byte(i)) { return false }
        for i in (colon + 1)..<targetEnd where byte(i) &- UInt8(ascii: "0") > 9 { return false }
        return true
    }

    /// Scans `HTTP/` DIGIT [`.` DIGIT] and the CRLF; returns the offset after it.
    @inline(__always)
    mutating func scanVersion(from start: Int, stop: Int, outOfLine: ScanStop) throws(ScanStop) -> Int {
        // The verdict on the version waits for the line end, so `HTTP/2.0x` is a 400 and never
        // a 505 at some shorter prefix.
        let prefix: StaticString = "HTTP/"
        var i = start
        while i - start < 5 {
            guard i < stop else { throw outOfLine }
            guard byte(i) == prefix.utf8Start[i - start] else { throw .invalid(.httpVersion) }
            i &+= 1
        }
        guard i < stop else { throw outOfLine }
        let major = byte(i) &- UInt8(ascii: "0")
        guard major <= 9 else { throw .invalid(.httpVersion) }
        i &+= 1
        guard i < stop else { throw outOfLine }
        var minor: UInt8 = 0xFF
        if byte(i) == UInt8(ascii: ".") {
            i &+= 1
            guard i < stop else { throw outOfLine }
            minor = byte(i) &- UInt8(ascii: "0")
            guard minor <= 9 else { throw .invalid(.httpVersion) }
            i &+= 1
            guard i < stop else { throw outOfLine }
        }
        let next = try lineEnd(at: i, stop: stop, outOfLine: outOfLine, otherwise: .httpVersion)
        // HTTP/2 and later never use this syntax; the client picked a version we do not speak.
        if major >= 2 { throw .invalid(.versionNotSupported) }
        // HTTP/1.x with x > 1 is answered as HTTP/1.1 (RFC 9110 §2.5); HTTP/0.x and "HTTP/1" are not versions.
        guard major == 1, minor <= 9 else { throw .invalid(.httpVersion) }
        head.versionMinor = min(minor, 1)
        return next
    }

    // MARK: - Field lines

    /// Scans field lines up to and including the empty line; returns the head's length.
    @inline(__always)
    mutating func scanFields(from start: Int) throws(ScanStop) -> Int {
        var i = start
        while true {
            guard i < end else { throw outOfBytes }
            var c = byte(i)
            if c == ByteClass.cr || c == ByteClass.lf {
                return try lineEnd(at: i, stop: end, outOfLine: outOfBytes, otherwise: .lineEnding)
            }
            if ByteClass.isOWS(c) { throw .invalid(.obsFold) }

            // field-name ":" — an obs-fold line or whitespace before the colon fails here.
            let nameStart = i
            while true {
                guard i < end else { throw outOfBytes }
                c = byte(i)
                if !ByteClass.isTChar(c) { break }
                i &+= 1
            }
            guard c == UInt8(ascii: ":"), i > nameStart else { throw .invalid(.fieldName) }
            let nameCount = i - nameStart
            i &+= 1

            while true {
                guard i < end else { throw outOfBytes }
                if !ByteClass.isOWS(byte(i)) { break }
                i &+= 1
            }
            let valueStart = i
            i = skipValueBytes(from: i, to: end)
            guard i < end else { throw outOfBytes }
            var valueEnd = i
            i = try lineEnd(at: i, stop: end, outOfLine: outOfBytes, otherwise: .fieldValue)
            while valueEnd > valueStart, ByteClass.isOWS(byte(valueEnd - 1)) { valueEnd &-= 1 }

            guard head.headerCount < headerCapacity, let headers else {
                throw .invalid(.headTooLarge)
            }
            let value = ByteSpan(offset: valueStart, count: valueEnd - valueStart)
            headers[head.headerCount] = HeaderField(name: ByteSpan(offset: nameStart, count: nameCount), value: value)
            head.headerCount &+= 1
            try noteField(name: nameStart, nameCount: nameCount, value: valueStart, valueEnd: valueEnd)
        }
    }

    /// Offset of the first byte in `start..<stop` that cannot be in a field value, or `stop`.
    @inline(__always)
    func skipValueBytes(from start: Int, to stop: Int) -> Int {
        var i = start
        while i + 8 <= stop, !ByteClass.wordMayEndValue(word(i)) { i &+= 8 }
        while i < stop, ByteClass.isValueChar(byte(i)) { i &+= 1 }
        return i
    }
}
