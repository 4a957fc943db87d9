// libFuzzer target for ChunkedDecoder. Not a SwiftPM target: `make fuzz-build` compiles it with
// swiftc together with Sources/HTTP1/*.swift into one module (so there is no `import HTTP1`),
// instrumented with -sanitize=fuzzer,address.
//
// Each input is decoded the way a connection feeds a decoder (unconsumed bytes handed back with
// the next piece), every step from an exact-size heap copy so that AddressSanitizer reports a
// read past the end. One shot, byte by byte and at input-derived cut points must agree on the
// outcome and the body; a prefix never gets further than the whole. A failed invariant traps via
// `fatalError` (unlike `precondition`, its message survives -O).

/// Traps when `condition` is false.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

enum Outcome: Equatable {
    /// The body ended this many bytes into the input.
    case end(Int)
    case needMore
    case invalid
}

struct Run: Equatable {
    var outcome: Outcome
    var body: [UInt8]
}

/// Decodes the first `size` bytes of `data`, arriving in pieces that end at `cuts` (ascending).
func decode(_ data: UnsafePointer<UInt8>, size: Int, cuts: [Int], decoder initial: ChunkedDecoder) -> Run {
    var decoder = initial
    var pending: [UInt8] = []
    var body: [UInt8] = []
    var dropped = 0
    var arrived = 0
    for boundary in cuts + [size] where boundary >= arrived && boundary <= size {
        pending.append(contentsOf: UnsafeBufferPointer(start: data + arrived, count: boundary - arrived))
        arrived = boundary
        while true {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: pending.count, alignment: 1)
            pending.withUnsafeBytes { source in
                if let base = source.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: source.count) }
            }
            let step = decoder.step(UnsafeRawBufferPointer(copy))
            copy.deallocate()
            switch step {
            case .data(let offset, let count, let consumed):
                check(
                    count > 0 && offset >= 0 && offset + count == consumed && consumed <= pending.count,
                    "\(step) for \(pending.count) bytes")
                body += pending[offset..<(offset + count)]
                pending.removeFirst(consumed)
                dropped += consumed
            case .needMore(let consumed):
                check(consumed == pending.count, "\(step) for \(pending.count) bytes")
                dropped += consumed
                pending.removeAll(keepingCapacity: true)
            case .end(let consumed):
                check(consumed >= 0 && consumed <= pending.count, "\(step) for \(pending.count) bytes")
                check(decoder.isDone, "end but not done")
                check(decoder.bodyBytes == body.count, "bodyBytes \(decoder.bodyBytes) != \(body.count)")
                // Done stays done.
                check(decoder.step(UnsafeRawBufferPointer(start: nil, count: 0)) == .end(consumed: 0), "not done")
                return Run(outcome: .end(dropped + consumed), body: body)
            case .invalid:
                check(decoder.step(UnsafeRawBufferPointer(start: nil, count: 0)) == .invalid, "not failed")
                return Run(outcome: .invalid, body: body)
            }
            check(decoder.bodyBytes == body.count, "bodyBytes \(decoder.bodyBytes) != \(body.count)")
            if case .needMore = step { break }
        }
    }
    return Run(outcome: .needMore, body: body)
}

func describe(_ r: Run) -> String { "\(r.outcome), \(r.body.count) body bytes" }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for i in 0..<size { hash = (hash ^ UInt64(data[i])) &* 0x100_0000_01B3 }
    let decoders = [ChunkedDecoder(), ChunkedDecoder(maxTrailerBytes: 32, maxExtensionBytes: 16)]
    for decoder in decoders {
        let oneShot = decode(data, size: size, cuts: [], decoder: decoder)
        if case .end(let end) = oneShot.outcome { check(end > 0 && end <= size, "end \(end) of \(size)") }

        let byteByByte = decode(data, size: size, cuts: Array(0..<size), decoder: decoder)
        check(byteByByte == oneShot, "byte by byte: \(describe(byteByByte)) vs \(describe(oneShot))")

        var cuts: [Int] = []
        var h = hash
        if size > 0 {
            for _ in 0..<(1 + Int(h % 4)) {
                h = h &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                cuts.append(Int((h >> 33) % UInt64(size + 1)))
            }
        }
        cuts.sort()
        let split = decode(data, size: size, cuts: cuts, decoder: decoder)
        check(split == oneShot, "cuts \(cuts): \(describe(split)) vs \(describe(oneShot))")

        // Bytes after the body do not change it; a prefix never gets further than the whole.
        switch oneShot.outcome {
        case .end(let end):
            let alone = decode(data, size: end, cuts: [], decoder: decoder)
            check(alone == oneShot, "body alone: \(describe(alone)) vs \(describe(oneShot))")
            if end > 1 {
                let prefix = decode(data, size: end - 1, cuts: [], decoder: decoder)
                check(prefix.outcome == .needMore, "prefix: \(describe(prefix))")
                check(oneShot.body.starts(with: prefix.body), "prefix body")
            }
        case .needMore, .invalid:
            let cut = size == 0 ? 0 : Int(hash % UInt64(size))
            let prefix = decode(data, size: cut, cuts: [], decoder: decoder)
            check(
                prefix.outcome == .needMore || prefix.outcome == oneShot.outcome, "prefix \(cut): \(describe(prefix))")
            check(oneShot.body.starts(with: prefix.body), "prefix \(cut) body")
        }
    }
    return 0
}
