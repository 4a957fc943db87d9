// The fields that decide message framing and connection handling (RFC 9110, RFC 9112 §6, §9).

extension HeadScanner {
    /// Records what one field line means for framing; rejects what can already be seen to be wrong.
    @inline(__always)
    mutating func noteField(name: Int, nameCount: Int, value: Int, valueEnd: Int) throws(ScanStop) {
        // Field names differ in length more often than in bytes, so the length picks the candidate.
        switch nameCount {
        case 4 where ByteClass.equalsLowercase(p + name, 4, "host"):
            try noteHost(value, valueEnd)
        case 6 where ByteClass.equalsLowercase(p + name, 6, "expect"):
            // An HTTP/1.0 client cannot expect an interim response (RFC 9110 §10.1.1).
            if ByteClass.equalsLowercase(p + value, valueEnd - value, "100-continue") {
                if head.versionMinor >= 1 { head.expectContinue = true }
            } else {
                head.unmetExpectation = true  // the only expectation defined is 100-continue: 417
            }
        case 10 where ByteClass.equalsLowercase(p + name, 10, "connection"):
            noteConnection(value, valueEnd)
        case 14 where ByteClass.equalsLowercase(p + name, 14, "content-length"):
            try noteContentLength(value, valueEnd)
        case 17 where ByteClass.equalsLowercase(p + name, 17, "transfer-encoding"):
            try noteTransferEncoding(value, valueEnd)
        default:
            break
        }
    }

    /// Checks that need the whole head.
    @inline(__always)
    mutating func finishFraming() throws(ScanStop) {
        // HTTP/1.1 requires exactly one Host; a second one was rejected when seen (RFC 9112 §3.2).
        if head.versionMinor >= 1, hostCount == 0 { throw .invalid(.host) }
        // A CONNECT request has no content (RFC 9110 §9.3.6): framing fields on one are read
        // differently by proxies that treat what follows the head as tunnel data.
        if head.method == .connect, head.contentLength >= 0 || hasTransferEncoding {
            throw .invalid(.connectWithContent)
        }
        if hasTransferEncoding {
            // Several Transfer-Encoding lines form one list, so only now is the final coding known.
            // Not a final `chunked` applied once: the body's length is unknown (RFC 9112 §6.3, §7.1).
            guard lastCodingIsChunked, !chunkedBeforeLast else { throw .invalid(.finalCodingNotChunked) }
            // A coding before it: none but chunked is implemented here (RFC 9112 §6.1).
            guard codingCount == 1 else { throw .invalid(.codingNotImplemented) }
            head.isChunked = true
        }
    }

    @inline(__always)
    mutating func noteHost(_ start: Int, _ end: Int) throws(ScanStop) {
        hostCount &+= 1
        guard hostCount == 1 else { throw .invalid(.host) }
        // uri-host [":" port]; empty is allowed when the target has no authority.
        var i = start
        while i < end {
            guard ByteClass.isHostChar(byte(i)) else { throw .invalid(.host) }
            i &+= 1
        }
    }

    /// 1*DIGIT, once; never together with Transfer-Encoding (RFC 9112 §6.3). A repeat is refused
    /// even with the same value, as the RFC allows and the strictest parsers do.
    mutating func noteContentLength(_ start: Int, _ end: Int) throws(ScanStop) {
        guard !hasTransferEncoding else { throw .invalid(.contentLengthWithTransferEncoding) }
        guard start < end, head.contentLength < 0 else { throw .invalid(.contentLength) }
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

    /// Tracks the codings of a comma-separated list; `finishFraming` judges the last one.
    mutating func noteTransferEncoding(_ start: Int, _ end: Int) throws(ScanStop) {
        // HTTP/1.0 has no chunked framing, and CL beside TE is a smuggling vector (RFC 9112 §6.1).
        guard head.versionMinor >= 1 else { throw .invalid(.transferEncodingInHTTP10) }
        guard head.contentLength < 0 else { throw .invalid(.contentLengthWithTransferEncoding) }
        hasTransferEncoding = true
        var i = start
        while i < end {
            let (elementStart, elementEnd, next) = listElement(from: i, to: end)
            i = next
            guard elementEnd > elementStart else { continue }
            if lastCodingIsChunked { chunkedBeforeLast = true }
            lastCodingIsChunked = ByteClass.equalsLowercase(p + elementStart, elementEnd - elementStart, "chunked")
            codingCount &+= 1
        }
    }

    /// Connection options are case-insensitive tokens (RFC 9110 §7.6.1).
    mutating func noteConnection(_ start: Int, _ end: Int) {
        var i = start
        while i < end {
            let (elementStart, elementEnd, next) = listElement(from: i, to: end)
            i = next
            let element = p + elementStart
            let count = elementEnd - elementStart
            if ByteClass.equalsLowercase(element, count, "close") {
                head.connectionClose = true
            } else if ByteClass.equalsLowercase(element, count, "keep-alive") {
                head.connectionKeepAlive = true
            }
        }
    }

    /// The next element of a `#list` at `i`, without surrounding OWS, and the offset after its comma.
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
