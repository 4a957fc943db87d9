// libFuzzer target for RequestParser. Not a SwiftPM target: `make fuzz-build` compiles it with
// swiftc together with Sources/HTTP1/*.swift into one module (so there is no `import HTTP1`),
// instrumented with -sanitize=fuzzer,address.
//
// Each input is parsed under three sets of limits, whole and as pieces, in exact-size heap copies
// (AddressSanitizer reports a read past the end of any piece). An invariant that fails traps via
// `fatalError` (unlike `precondition`, its message survives -O), which libFuzzer reports as a crash.

/// Traps when `condition` is false.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// One parse, with the fields copied out of the caller's storage.
struct ParseOutcome {
    var result: ParseResult
    var head: RequestHead
    var fields: [HeaderField]
}

/// Parses the first `count` bytes of `data` from an exact-size heap copy.
func parseCopy(
    _ data: UnsafePointer<UInt8>, count: Int, limits: ParserLimits, capacity: Int, previousLength: Int = 0
) -> ParseOutcome {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
    defer { copy.deallocate() }
    if count > 0 { copy.baseAddress!.copyMemory(from: data, byteCount: count) }
    return parseBytes(UnsafeRawBufferPointer(copy), limits: limits, capacity: capacity, previousLength: previousLength)
}

func parseBytes(
    _ bytes: UnsafeRawBufferPointer, limits: ParserLimits, capacity: Int, previousLength: Int = 0
) -> ParseOutcome {
    // Exact capacity: AddressSanitizer reports a field written past it.
    let storage = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: capacity)
    defer { storage.deallocate() }
    var head = RequestHead()
    head.headerCount = 77  // a reused head must be reset
    let result = RequestParser.parse(
        bytes, headers: storage, limits: limits, previousLength: previousLength, into: &head)
    var fields: [HeaderField] = []
    if case .complete = result {
        check(head.headerCount >= 0 && head.headerCount <= capacity, "headerCount \(head.headerCount) > \(capacity)")
        fields = Array(storage[0..<head.headerCount])
    }
    let outcome = ParseOutcome(result: result, head: head, fields: fields)
    validate(outcome, bytes, limits: limits, capacity: capacity)
    return outcome
}

let methodNames: [Method: String] = [
    .get: "GET", .head: "HEAD", .post: "POST", .put: "PUT", .delete: "DELETE", .connect: "CONNECT",
    .options: "OPTIONS", .trace: "TRACE", .patch: "PATCH",
]

/// What must hold for any result on `bytes`.
func validate(_ o: ParseOutcome, _ bytes: UnsafeRawBufferPointer, limits: ParserLimits, capacity: Int) {
    guard case .complete(let length) = o.result else { return }
    let h = o.head
    check(length > 0 && length <= bytes.count, "headLength \(length) outside 1...\(bytes.count)")
    check(length <= limits.maxHeaderBytes, "headLength \(length) over maxHeaderBytes \(limits.maxHeaderBytes)")
    func inside(_ s: ByteSpan, _ what: String) {
        check(s.end <= length, "\(what) \(s.start)..<\(s.end) past the head (\(length))")
    }
    func byte(_ i: Int) -> UInt8 { bytes[i] }

    inside(h.methodToken, "method")
    inside(h.target, "target")
    inside(h.path, "path")
    inside(h.query, "query")
    check(h.methodToken.count > 0 && h.target.count > 0, "empty method or target")
    check(h.methodToken.end < h.target.start, "target before method end")
    if let name = methodNames[h.method] {
        check(
            h.methodToken.count == name.utf8.count
                && name.utf8.enumerated().allSatisfy { byte(h.methodToken.start + $0.offset) == $0.element },
            "method \(h.method) from another token")
    }
    if !h.path.isEmpty {
        check(h.path.start >= h.target.start && h.path.end <= h.target.end, "path outside target")
    }
    if !h.query.isEmpty {
        check(h.query.start > h.target.start && h.query.end == h.target.end, "query outside target")
        check(byte(h.query.start - 1) == UInt8(ascii: "?"), "query not after ?")
    }
    // The shortest line end after the target: " HTTP/1.1\n".
    check(
        h.target.end + 10 - h.methodToken.start <= limits.maxRequestLineLength,
        "request line over maxRequestLineLength \(limits.maxRequestLineLength)")
    check(h.versionMinor <= 1, "versionMinor \(h.versionMinor)")
    check(h.contentLength >= -1, "contentLength \(h.contentLength)")
    check(!(h.isChunked && h.contentLength >= 0), "both chunked and Content-Length")
    check(!h.isChunked || h.versionMinor == 1, "chunked in HTTP/1.0")
    check(h.headerCount <= min(capacity, limits.maxHeaderCount), "headerCount \(h.headerCount) over the limits")
    check(o.fields.count == h.headerCount, "fields")

    var previousEnd = h.target.end
    for f in o.fields {
        inside(f.name, "field name")
        inside(f.value, "field value")
        check(f.name.count > 0 && f.name.start > previousEnd, "field name out of order")
        check(byte(f.name.end) == UInt8(ascii: ":"), "field name not followed by a colon")
        check(f.value.start > f.name.end, "value before its name ends")
        for i in f.name.start..<f.name.end { check(ByteClass.isTChar(byte(i)), "non-token byte in a name") }
        for i in f.value.start..<f.value.end { check(ByteClass.isValueChar(byte(i)), "bad byte in a value") }
        if f.value.count > 0 {
            check(!ByteClass.isOWS(byte(f.value.start)) && !ByteClass.isOWS(byte(f.value.end - 1)), "value not trimmed")
        }
        previousEnd = f.value.end
    }
    check(previousEnd < length, "fields run into the end of the head")
    check(byte(length - 1) == ByteClass.lf, "head does not end in LF")
}

/// Same result and, for a complete head, the same facts and fields.
func same(_ a: ParseOutcome, _ b: ParseOutcome) -> Bool {
    guard a.result == b.result else { return false }
    guard case .complete = a.result else { return true }
    let x = a.head
    let y = b.head
    return x.method == y.method && x.methodToken == y.methodToken && x.target == y.target && x.path == y.path
        && x.query == y.query && x.versionMinor == y.versionMinor && x.headerCount == y.headerCount
        && x.contentLength == y.contentLength && x.isChunked == y.isChunked
        && x.connectionClose == y.connectionClose && x.connectionKeepAlive == y.connectionKeepAlive
        && x.expectContinue == y.expectContinue && x.keepAlive == y.keepAlive && a.fields == b.fields
}

func describe(_ o: ParseOutcome) -> String { "\(o.result) \(o.head.method) fields \(o.head.headerCount)" }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let variants: [(ParserLimits, Int)] = [
        (ParserLimits(), 100),
        // Small limits, and fewer header slots than maxHeaderCount.
        (ParserLimits(maxRequestLineLength: 64, maxHeaderBytes: 256, maxHeaderCount: 8), 6),
        // Limits just under this input's size (negative for an empty one).
        (ParserLimits(maxRequestLineLength: size / 2, maxHeaderBytes: size - 1, maxHeaderCount: 3), 3),
    ]
    let hash = size == 0 ? 0 : Int(data[0]) &* 31 &+ Int(data[size - 1])
    for (limits, capacity) in variants {
        // libFuzzer's buffer is itself an exact-size heap allocation.
        let whole = parseBytes(UnsafeRawBufferPointer(start: data, count: size), limits: limits, capacity: capacity)

        // A prefix that is decided decides the whole; an undecided one can be resumed from.
        var cuts: Set<Int> = [1, size / 2, size - 1]
        if size > 0 { cuts.insert(hash % size) }
        for cut in cuts where cut > 0 && cut < size {
            let prefix = parseCopy(data, count: cut, limits: limits, capacity: capacity)
            if prefix.result == .incomplete {
                let resumed = parseCopy(data, count: size, limits: limits, capacity: capacity, previousLength: cut)
                if whole.result == .incomplete || isComplete(whole.result) {
                    check(same(resumed, whole), "resumed at \(cut): \(describe(resumed)) vs \(describe(whole))")
                } else {
                    // Resuming may put off an error in bytes already seen, never change it.
                    check(
                        resumed.result == .incomplete || resumed.result == whole.result,
                        "resumed at \(cut): \(resumed.result) vs \(whole.result)")
                }
            } else {
                check(same(prefix, whole), "prefix \(cut): \(describe(prefix)) vs \(describe(whole))")
            }
        }

        // Growing pieces, each call told how much the previous one saw (at most ~64 pieces).
        let step = max(1 + hash % 13, size / 64)
        var seen = 0
        var last = ParseOutcome(result: .incomplete, head: RequestHead(), fields: [])
        while seen < size {
            let length = min(size, seen + step)
            last = parseCopy(data, count: length, limits: limits, capacity: capacity, previousLength: seen)
            seen = length
            if last.result != .incomplete { break }
        }
        if last.result != .incomplete {
            check(same(last, whole), "pieces of \(step): \(describe(last)) vs \(describe(whole))")
        } else {
            check(!isComplete(whole.result), "pieces of \(step) never completed: \(describe(whole))")
        }
    }
    return 0
}

func isComplete(_ r: ParseResult) -> Bool {
    if case .complete = r { return true }
    return false
}
