import HTTP1
import Testing

/// xorshift64*: small, fast and deterministic for a fixed seed.
struct XorShift {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

@Suite struct RequestParserFuzzTests {
    /// Bytes that sit on the parser's decision points.
    static let interesting: [UInt8] = [
        0x0D, 0x0A, 0x20, 0x09, 0x3A, 0x2C, 0x3F, 0x2F, 0x00, 0x7F, 0x80, 0xFF, 0x31, 0x2A,
    ]

    static func mutate(_ input: [UInt8], _ rng: inout XorShift) -> [UInt8] {
        var out = input
        for _ in 0..<(1 + rng.below(4)) {
            let position = out.isEmpty ? 0 : rng.below(out.count)
            let byte = rng.below(2) == 0
                ? interesting[rng.below(interesting.count)] : UInt8(truncatingIfNeeded: rng.next())
            switch rng.below(5) {
            case 0, 1: if !out.isEmpty { out[position] = byte }
            case 2: out.insert(byte, at: position)
            case 3: if !out.isEmpty { out.remove(at: position) }
            default: out = Array(out[..<position])
            }
        }
        return out
    }

    /// Mutated requests never crash (the input ends at a guard page), never report a head
    /// longer than the input, and agree with their own prefixes.
    @Test func randomMutations() {
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        let seeds = partialRequests.map(bytes) + invalidCases.prefix(20).map(\.input)
        let limits = ParserLimits(maxRequestLineLength: 512, maxHeaderBytes: 2048, maxHeaderCount: 30)
        var outcomes = [String: Int]()
        for _ in 0..<20_000 {
            let input = Self.mutate(seeds[rng.below(seeds.count)], &rng)
            let whole = parse(input, limits: limits, headerCapacity: 30)
            if case .complete(let length) = whole.result {
                #expect(length > 0 && length <= input.count)
            }
            outcomes["\(whole.result)".prefix(8).description, default: 0] += 1

            // A decided prefix decides the whole; an undecided one may be resumed from.
            let cut = input.isEmpty ? 0 : rng.below(input.count)
            let prefix = parse(Array(input[..<cut]), limits: limits, headerCapacity: 30)
            switch prefix.result {
            case .incomplete:
                let resumed = parse(input, limits: limits, previousLength: cut, headerCapacity: 30)
                if whole.headLength != nil || whole.result == .incomplete {
                    #expect(resumed == whole, "resumed at \(cut): \(input)")
                } else {
                    #expect(
                        resumed.result == .incomplete || resumed.result == whole.result,
                        "resumed at \(cut): \(input)")
                }
            default:
                #expect(prefix == whole, "prefix \(cut): \(input)")
            }
        }
        // The mutations reach every kind of outcome, so the checks above were exercised.
        #expect(outcomes.count == 3, "\(outcomes)")
    }
}
