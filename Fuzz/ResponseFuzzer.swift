// libFuzzer target for ResponseParser and the body framing the client derives from a head. Not a
// SwiftPM target: `make fuzz-build` compiles it with swiftc together with Sources/HTTP1/*.swift
// into one module (so there is no `import HTTP1`), instrumented with -sanitize=fuzzer,address.
//
// Each input is parsed under three limits, whole and cut at a few places, from exact-size heap
// copies (AddressSanitizer reports a read past the end). A complete head's spans must lie inside
// it, its fields must follow the grammar, and a chunked body after it is decoded as the client
// would. A failed invariant traps via `fatalError`, which libFuzzer reports as a crash.

@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

struct ResponseOutcome: Equatable {
    var result: ResponseParseResult
    var head: ResponseHead
    var fields: [HeaderField]
}

func parseResponse(_ bytes: UnsafeRawBufferPointer, maxHeadBytes: Int, capacity: Int) -> ResponseOutcome {
    let storage = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: capacity)
    defer { storage.deallocate() }
    var head = ResponseHead()
    head.headerCount = 77  // a reused head must be reset
    let result = ResponseParser.parse(bytes, headers: storage, maxHeadBytes: maxHeadBytes, into: &head)
    var fields: [HeaderField] = []
    if case .complete(let length) = result {
        check(head.headerCount >= 0 && head.headerCount <= capacity, "headerCount \(head.headerCount) > \(capacity)")
        fields = Array(storage[0..<head.headerCount])
        validate(head, fields, bytes, length: length, maxHeadBytes: maxHeadBytes)
    } else {
        check(head == ResponseHead(), "an unfinished parse left a head behind")
    }
    return ResponseOutcome(result: result, head: head, fields: fields)
}

/// Parses the first `count` bytes of `data` from an exact-size heap copy.
func parseCopy(_ data: UnsafePointer<UInt8>, count: Int, maxHeadBytes: Int, capacity: Int) -> ResponseOutcome {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
    defer { copy.deallocate() }
    if count > 0 { copy.baseAddress!.copyMemory(from: data, byteCount: count) }
    return parseResponse(UnsafeRawBufferPointer(copy), maxHeadBytes: maxHeadBytes, capacity: capacity)
}

/// What must hold for a complete head of `length` bytes.
func validate(
    _ h: ResponseHead, _ fields: [HeaderField], _ bytes: UnsafeRawBufferPointer, length: Int, maxHeadBytes: Int
) {
    check(length >= 17 && length <= bytes.count && length <= maxHeadBytes, "headLength \(length)")
    func byte(_ i: Int) -> UInt8 { bytes[i] }
    check(byte(length - 2) == ByteClass.cr && byte(length - 1) == ByteClass.lf, "head does not end in CRLF")
    check(h.status >= 100 && h.status <= 599, "status \(h.status)")
    check(h.versionMinor <= 1, "versionMinor \(h.versionMinor)")
    check(h.reason.start == 13 && h.reason.end <= length, "reason \(h.reason)")
    check(h.contentLength >= -1, "contentLength \(h.contentLength)")
    check(!(h.isChunked && h.contentLength >= 0), "both chunked and Content-Length")
    check(!h.isChunked || h.versionMinor == 1, "chunked in HTTP/1.0")
    var previousEnd = h.reason.end
    for f in fields {
        check(f.name.count > 0 && f.name.start >= previousEnd + 2 && f.value.end <= length, "field spans")
        check(byte(f.name.start - 1) == ByteClass.lf && byte(f.name.start - 2) == ByteClass.cr, "field not after CRLF")
        check(byte(f.name.end) == UInt8(ascii: ":"), "field name not followed by a colon")
        for i in f.name.start..<f.name.end { check(ByteClass.isTChar(byte(i)), "non-token byte in a name") }
        for i in f.value.start..<f.value.end { check(ByteClass.isValueChar(byte(i)), "bad byte in a value") }
        previousEnd = f.value.end
    }
    // Whatever follows the head, read as the client would: a chunked body decodes to at most
    // the bytes present, a length is never negative.
    switch h.bodyFraming(requestWasHead: false) {
    case .chunked:
        var decoder = ChunkedDecoder()
        var offset = length
        while offset < bytes.count {
            switch decoder.step(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .data(let at, let count, let consumed):
                check(at + count == consumed && count > 0 && offset + consumed <= bytes.count, "chunk outside input")
                offset += consumed
            case .needMore, .end, .invalid:
                offset = bytes.count
            }
        }
    case .length(let count):
        check(count >= 0, "negative length")
    case .none, .untilClose:
        break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let variants = [(16384, 100), (128, 4), (max(size - 1, 0), 2)]
    let hash = size == 0 ? 0 : Int(data[0]) &* 31 &+ Int(data[size - 1])
    for (maxHeadBytes, capacity) in variants {
        let whole = parseResponse(UnsafeRawBufferPointer(start: data, count: size), maxHeadBytes: maxHeadBytes, capacity: capacity)
        // A decided prefix decides the whole the same way; an undecided one says nothing.
        var cuts: Set<Int> = [1, size / 2, size - 1]
        if size > 0 { cuts.insert(hash % size) }
        for cut in cuts where cut > 0 && cut < size {
            let prefix = parseCopy(data, count: cut, maxHeadBytes: maxHeadBytes, capacity: capacity)
            if prefix.result != .incomplete {
                check(prefix == whole, "prefix \(cut): \(prefix.result) vs \(whole.result)")
            }
        }
    }
    return 0
}
