import Glibc
import HTTP1
import Testing

// MARK: - Support

private func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// How a run of the decoder ended; `.end` carries the body's end offset in the whole input.
enum ChunkedOutcome: Equatable, Hashable {
    case end(Int)
    case needMore
    case invalid
}

struct ChunkedRun: Equatable, CustomStringConvertible {
    var body: [UInt8]
    var outcome: ChunkedOutcome
    var description: String { "\(outcome) body \(body.count) bytes" }
}

/// Pages whose last readable byte sits just before an inaccessible page: input copied there ends
/// at the guard, so any read past its end crashes the test instead of passing silently.
private final class GuardedRegion {
    let region: UnsafeMutableRawPointer
    let mapped: Int
    let guardPage: UnsafeMutableRawPointer

    init(capacity: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = max(1, (capacity + page - 1) / page)
        mapped = (dataPages + 1) * page
        guard let region = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            region != MAP_FAILED
        else { fatalError("mmap failed") }
        self.region = region
        guardPage = region + dataPages * page
        mprotect(guardPage, page, PROT_NONE)
    }

    deinit { munmap(region, mapped) }

    /// Calls `body` with `bytes` placed against the guard page (an empty input points at the guard itself).
    func with<R>(_ bytes: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = guardPage - bytes.count
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { start.copyMemory(from: base, byteCount: source.count) }
        }
        return body(UnsafeRawBufferPointer(start: start, count: bytes.count))
    }
}

/// Feeds `input` to a decoder the way a connection does: the bytes arrive in pieces ending at
/// `cuts` (and at the end), unconsumed bytes are handed back with the next piece. Records an
/// issue for any step result that points outside its input.
func decodeChunked(_ input: [UInt8], cuts: [Int] = [], decoder: ChunkedDecoder = ChunkedDecoder()) -> ChunkedRun {
    var decoder = decoder
    let region = GuardedRegion(capacity: input.count)
    var body: [UInt8] = []
    var pending = ArraySlice<UInt8>()
    var dropped = 0  // offset in `input` of pending's first byte
    var arrived = 0
    for boundary in cuts.sorted() + [input.count] where boundary >= arrived {
        pending += input[arrived..<boundary]
        arrived = boundary
        pieces: while true {
            let step = region.with(pending) { decoder.step($0) }
            switch step {
            case .data(let offset, let count, let consumed):
                guard count > 0, offset >= 0, offset + count == consumed, consumed <= pending.count else {
                    Issue.record("bad \(step) for \(pending.count) bytes")
                    return ChunkedRun(body: body, outcome: .invalid)
                }
                let base = pending.startIndex
                body += pending[(base + offset)..<(base + offset + count)]
                pending = pending.dropFirst(consumed)
                dropped += consumed
            case .needMore(let consumed):
                guard consumed == pending.count else {
                    Issue.record("bad \(step) for \(pending.count) bytes")
                    return ChunkedRun(body: body, outcome: .invalid)
                }
                dropped += consumed
                pending = []
                break pieces
            case .end(let consumed):
                guard consumed >= 0, consumed <= pending.count else {
                    Issue.record("bad \(step) for \(pending.count) bytes")
                    return ChunkedRun(body: body, outcome: .invalid)
                }
                #expect(decoder.bodyBytes == body.count)
                return ChunkedRun(body: body, outcome: .end(dropped + consumed))
            case .invalid:
                return ChunkedRun(body: body, outcome: .invalid)
            }
            #expect(decoder.bodyBytes == body.count)
        }
    }
    return ChunkedRun(body: body, outcome: .needMore)
}

/// The same rules written differently, as an independent check: whole lines are found first and
/// then judged. It may answer `.needMore` where the decoder already knows `.invalid` (a bad line
/// that has not ended yet), never the other way round.
func referenceChunked(_ b: [UInt8], maxTrailerBytes: Int = 16384, maxExtensionBytes: Int = 16384) -> ChunkedRun {
    enum Line { case line(Range<Int>), needMore, invalid }
    func line(from start: Int) -> Line {
        guard let end = b[start...].firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) else { return .needMore }
        if b[end] == 0x0A { return .invalid }
        guard end + 1 < b.count else { return .needMore }
        return b[end + 1] == 0x0A ? .line(start..<end) : .invalid
    }
    func isHex(_ c: UInt8) -> Bool { ascii("0123456789abcdefABCDEF").contains(c) }
    func isValue(_ c: UInt8) -> Bool { c == 0x09 || (c >= 0x20 && c != 0x7F) }
    let tchars = Set(ascii("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))

    var body: [UInt8] = []
    var i = 0
    var extensionBytes = 0
    while true {
        let range: Range<Int>
        switch line(from: i) {
        case .line(let r): range = r
        case .needMore: return ChunkedRun(body: body, outcome: .needMore)
        case .invalid: return ChunkedRun(body: body, outcome: .invalid)
        }
        let text = b[range]
        let digits = text.prefix(while: isHex)
        guard (1...32).contains(digits.count) else { return ChunkedRun(body: body, outcome: .invalid) }
        var size = 0
        for d in digits {
            let v = Int(String(UnicodeScalar(d)), radix: 16)!
            let (m, o1) = size.multipliedReportingOverflow(by: 16)
            let (s, o2) = m.addingReportingOverflow(v)
            guard !o1, !o2 else { return ChunkedRun(body: body, outcome: .invalid) }
            size = s
        }
        let rest = text.dropFirst(digits.count)
        if !rest.isEmpty {
            guard isChunkExtension(rest) else { return ChunkedRun(body: body, outcome: .invalid) }
            extensionBytes += rest.count
            guard extensionBytes <= maxExtensionBytes else { return ChunkedRun(body: body, outcome: .invalid) }
        }
        i = range.upperBound + 2
        if size == 0 { break }
        guard b.count - i >= size else { return ChunkedRun(body: body, outcome: .needMore) }
        body += b[i..<(i + size)]
        i += size
        for expected: UInt8 in [0x0D, 0x0A] {
            guard i < b.count else { return ChunkedRun(body: body, outcome: .needMore) }
            guard b[i] == expected else { return ChunkedRun(body: body, outcome: .invalid) }
            i += 1
        }
    }
    var trailerBytes = 0
    while true {
        let range: Range<Int>
        switch line(from: i) {
        case .line(let r): range = r
        case .needMore: return ChunkedRun(body: body, outcome: .needMore)
        case .invalid: return ChunkedRun(body: body, outcome: .invalid)
        }
        if range.isEmpty { return ChunkedRun(body: body, outcome: .end(range.upperBound + 2)) }
        let text = b[range]
        let name = text.prefix { tchars.contains($0) }
        let rest = text.dropFirst(name.count)
        guard !name.isEmpty, rest.first == UInt8(ascii: ":"), rest.allSatisfy(isValue) else {
            return ChunkedRun(body: body, outcome: .invalid)
        }
        trailerBytes += text.count + 2
        guard trailerBytes <= maxTrailerBytes else { return ChunkedRun(body: body, outcome: .invalid) }
        i = range.upperBound + 2
    }
}

/// A valid encoding and the body it carries.
struct ChunkedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var encoding: [UInt8]
    var body: [UInt8]
    var testDescription: String { name }

    init(_ name: String, _ encoding: String, _ body: String) {
        self.init(name, ascii(encoding), ascii(body))
    }

    init(_ name: String, _ encoding: [UInt8], _ body: [UInt8]) {
        self.name = name
        self.encoding = encoding
        self.body = body
    }
}

private let kilobyte = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
private let binary: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x80, 0x7F, 0x30, 0x0D]

let validChunkedCases: [ChunkedCase] = [
    .init("simple", "5\r\nhello\r\n0\r\n\r\n", "hello"),
    .init("empty body", "0\r\n\r\n", ""),
    .init("multiple chunks", "5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n", "hello world!"),
    .init("one-byte chunks", "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", "abc"),
    .init("uppercase hex", "A\r\n0123456789\r\n1B\r\nabcdefghijklmnopqrstuvwxyz!\r\n0\r\n\r\n",
        "0123456789abcdefghijklmnopqrstuvwxyz!"),
    .init("mixed-case hex", "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", "abcdefghijklmnopqrstuvwxyz"),
    .init("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"),
    .init("32 digits", String(repeating: "0", count: 31) + "3\r\nabc\r\n0\r\n\r\n", "abc"),
    .init("extension", "5;name=value\r\nhello\r\n0\r\n\r\n", "hello"),
    .init("extensions on every chunk", "5;a;b=\"q s\"\r\nhello\r\n0;last=1\r\n\r\n", "hello"),
    .init("whitespace before extension", "5 ;a=b\r\nhello\r\n0\t \t;x\r\n\r\n", "hello"),
    .init("whitespace inside extension", "5; a = b\t;\tc =\t\"d\" ;e\r\nhello\r\n0\r\n\r\n", "hello"),
    .init("quoted string with escapes", "5;a=\"x\\\"y\\\\z\\;\";b=\"\";c=\"\\\t;=\\ \"\r\nhello\r\n0\r\n\r\n", "hello"),
    .init("token value after quoted value", "5;a=\"b\";c=d;e\r\nhello\r\n0\r\n\r\n", "hello"),
    .init("obs-text in quoted extension value",
        [0x35, 0x3B, 0x78, 0x3D, 0x22, 0xC3, 0xA9, 0x5C, 0xFF, 0x22, 0x0D, 0x0A] + ascii("hello\r\n0\r\n\r\n"),
        ascii("hello")),
    .init("trailer", "5\r\nhello\r\n0\r\nExpires: never\r\n\r\n", "hello"),
    .init("trailers", "3\r\nabc\r\n0\r\nX-Checksum: abc \t\r\nX-Empty:\r\nA:b\r\n\r\n", "abc"),
    .init("framing-like data", "a\r\n0\r\n\r\n5\r\nab\r\n0\r\n\r\n", "0\r\n\r\n5\r\nab"),
    .init("binary data", ascii("8\r\n") + binary + ascii("\r\n0\r\n\r\n"), binary),
    .init("large chunk", ascii("3e8\r\n") + kilobyte + ascii("\r\n2\r\nok\r\n0\r\n\r\n"), kilobyte + ascii("ok")),
]

/// Malformed encodings; each must be `.invalid` however it is split.
struct InvalidChunkedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var encoding: [UInt8]
    var maxTrailerBytes = 16384
    var maxExtensionBytes = 16384
    var testDescription: String { name }

    init(_ name: String, _ encoding: String, maxTrailerBytes: Int = 16384, maxExtensionBytes: Int = 16384) {
        self.init(name, ascii(encoding), maxTrailerBytes: maxTrailerBytes, maxExtensionBytes: maxExtensionBytes)
    }

    init(_ name: String, _ encoding: [UInt8], maxTrailerBytes: Int = 16384, maxExtensionBytes: Int = 16384) {
        self.name = name
        self.encoding = encoding
        self.maxTrailerBytes = maxTrailerBytes
        self.maxExtensionBytes = maxExtensionBytes
    }

    var decoder: ChunkedDecoder {
        ChunkedDecoder(maxTrailerBytes: maxTrailerBytes, maxExtensionBytes: maxExtensionBytes)
    }
}

let invalidChunkedCases: [InvalidChunkedCase] = [
    // Chunk-size
    .init("empty size", "\r\nhello\r\n0\r\n\r\n"),
    .init("bad hex digit", "g\r\nhello\r\n0\r\n\r\n"),
    .init("hex then garbage", "5x\r\nhello\r\n0\r\n\r\n"),
    .init("0x prefix", "0x10\r\n0123456789abcdef\r\n0\r\n\r\n"),
    .init("minus sign", "-1\r\nx\r\n0\r\n\r\n"),
    .init("plus sign", "+1\r\nx\r\n0\r\n\r\n"),
    .init("leading space", " 5\r\nhello\r\n0\r\n\r\n"),
    .init("leading tab", "\t5\r\nhello\r\n0\r\n\r\n"),
    .init("space inside size", "1 0\r\n0123456789abcdef\r\n0\r\n\r\n"),
    .init("trailing space without extension", "5 \r\nhello\r\n0\r\n\r\n"),
    .init("trailing tab without extension", "5\t\r\nhello\r\n0\r\n\r\n"),
    .init("overflow, 16 digits", "8000000000000000\r\nx\r\n0\r\n\r\n"),
    .init("overflow, 17 digits", "10000000000000000\r\nx\r\n0\r\n\r\n"),
    .init("overflow, all F", "FFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n"),
    .init("33 digits", String(repeating: "0", count: 32) + "1\r\nx\r\n0\r\n\r\n"),
    .init("fraction", "1.5\r\nx\r\n0\r\n\r\n"),
    // Line endings
    .init("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
    .init("bare CR after size", "5\rhello\r\n0\r\n\r\n"),
    .init("CR CR LF after size", "5\r\r\nhello\r\n0\r\n\r\n"),
    .init("bare LF after extension", "5;a=b\nhello\r\n0\r\n\r\n"),
    .init("bare CR in extension", "5;a\rb\r\nhello\r\n0\r\n\r\n"),
    .init("bare LF after last chunk", "0\n\r\n"),
    .init("bare LF as final line", "0\r\n\n"),
    .init("CR without LF as final line", "0\r\n\rX"),
    .init("LF CR as final line", "0\r\n\n\r"),
    // Chunk data
    .init("data longer than size", "5\r\nhello!\r\n0\r\n\r\n"),
    .init("data shorter than size", "5\r\nhell\r\n0\r\n\r\n"),
    .init("missing CRLF after data", "5\r\nhello0\r\n\r\n"),
    .init("bare LF after data", "5\r\nhello\n0\r\n\r\n"),
    .init("bare CR after data", "5\r\nhello\r0\r\n\r\n"),
    .init("missing last chunk", "5\r\nhello\r\n\r\n"),
    // Extensions
    .init("NUL in extension", "5;a\u{0}b\r\nhello\r\n0\r\n\r\n"),
    .init("control char in extension", "5;a\u{1B}b\r\nhello\r\n0\r\n\r\n"),
    .init("DEL in extension", "5;a\u{7F}\r\nhello\r\n0\r\n\r\n"),
    .init("control char in last-chunk extension", "0;\u{01}\r\n\r\n"),
    .init("whitespace then garbage", "5 x\r\nhello\r\n0\r\n\r\n"),
    .init("empty extension name", "2;\r\nhi\r\n0\r\n\r\n"),
    .init("empty extension name on last chunk", "0;\r\n\r\n"),
    .init("two semicolons", "5;;a\r\nhello\r\n0\r\n\r\n"),
    .init("value without name", "5;=b\r\nhello\r\n0\r\n\r\n"),
    .init("empty value", "5;a=\r\nhello\r\n0\r\n\r\n"),
    .init("trailing semicolon", "5;a;\r\nhello\r\n0\r\n\r\n"),
    .init("whitespace after name", "5;a \r\nhello\r\n0\r\n\r\n"),
    .init("whitespace after value", "5;a=b\t\r\nhello\r\n0\r\n\r\n"),
    .init("whitespace after quoted value", "5;a=\"b\" \r\nhello\r\n0\r\n\r\n"),
    .init("non-token byte in name", "5;a/b\r\nhello\r\n0\r\n\r\n"),
    .init("non-token byte in value", "5;a=b/c\r\nhello\r\n0\r\n\r\n"),
    .init("quote inside token value", "5;a=b\"c\"\r\nhello\r\n0\r\n\r\n"),
    .init("obs-text in unquoted value", [0x35, 0x3B, 0x78, 0x3D, 0xC3, 0xA9, 0x0D, 0x0A] + ascii("hello\r\n0\r\n\r\n")),
    .init("byte after closing quote", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"),
    .init("unterminated quoted string", "5;a=\"abc\r\nhello\r\n0\r\n\r\n"),
    .init("CR inside quoted string", "5;a=\"a\rb\"\r\nhello\r\n0\r\n\r\n"),
    .init("LF inside quoted string", "5;a=\"a\nb\"\r\nhello\r\n0\r\n\r\n"),
    .init("escaped CR inside quoted string", "5;a=\"a\\\r\nb\"\r\nhello\r\n0\r\n\r\n"),
    .init("escaped LF inside quoted string", "5;a=\"a\\\nb\"\r\nhello\r\n0\r\n\r\n"),
    .init("control byte inside quoted string", "5;a=\"a\u{1}b\"\r\nhello\r\n0\r\n\r\n"),
    .init("DEL escaped inside quoted string", "5;a=\"a\\\u{7F}\"\r\nhello\r\n0\r\n\r\n"),
    .init("backslash at the end of a quoted string", "5;a=\"a\\\"\r\nhello\r\n0\r\n\r\n"),
    .init("extensions over limit", "5;123456789\r\nhello\r\n0;12345\r\n\r\n", maxExtensionBytes: 14),
    .init("extensions over default limit", "0;" + String(repeating: "e", count: 16384) + "\r\n\r\n"),
    // Trailer section
    .init("obs-fold in trailer", "0\r\nX: a\r\n b\r\n\r\n"),
    .init("tab fold in trailer", "0\r\nX: a\r\n\tb\r\n\r\n"),
    .init("whitespace before first trailer", "0\r\n X: a\r\n\r\n"),
    .init("trailer without colon", "0\r\nX-Trailer\r\n\r\n"),
    .init("empty trailer name", "0\r\n: a\r\n\r\n"),
    .init("space before colon in trailer", "0\r\nX : a\r\n\r\n"),
    .init("control char in trailer value", "0\r\nX: a\u{1}b\r\n\r\n"),
    .init("DEL in trailer value", "0\r\nX: a\u{7F}\r\n\r\n"),
    .init("bare LF in trailer", "0\r\nX: a\n\r\n"),
    .init("bare CR in trailer", "0\r\nX: a\rb\r\n\r\n"),
    .init("obs-text in trailer name", [0x30, 0x0D, 0x0A, 0x58, 0xC3, 0x3A, 0x20, 0x61, 0x0D, 0x0A, 0x0D, 0x0A]),
    .init("trailers over limit", "0\r\nX-A: 123456\r\nX-B: 1\r\n\r\n", maxTrailerBytes: 20),
    .init(
        "trailers over default limit",
        "0\r\n" + (0..<512).map { "X-Trailer-\($0): " + String(repeating: "v", count: 20) + "\r\n" }.joined() + "\r\n"),
]

// MARK: - Tests

@Suite struct ChunkedDecoderTests {
    @Test func stepsOverSimpleBody() {
        var decoder = ChunkedDecoder()
        let input = ascii("5\r\nhello\r\n0\r\n\r\nGET")
        input.withUnsafeBytes { raw in
            #expect(decoder.step(raw) == .data(offset: 3, count: 5, consumed: 8))
            #expect(decoder.bodyBytes == 5)
            #expect(decoder.step(UnsafeRawBufferPointer(rebasing: raw[8...])) == .end(consumed: 7))
            #expect(decoder.isDone)
            // Done stays done and reads nothing more.
            #expect(decoder.step(UnsafeRawBufferPointer(rebasing: raw[15...])) == .end(consumed: 0))
        }
        #expect(decoder.bodyBytes == 5)
    }

    @Test func stepsOverPieces() {
        var decoder = ChunkedDecoder()
        func step(_ text: String) -> ChunkedStep { ascii(text).withUnsafeBytes { decoder.step($0) } }
        #expect(step("") == .needMore(consumed: 0))
        #expect(decoder.step(UnsafeRawBufferPointer(start: nil, count: 0)) == .needMore(consumed: 0))
        #expect(step("5") == .needMore(consumed: 1))
        #expect(step("\r\nhel") == .data(offset: 2, count: 3, consumed: 5))
        #expect(step("") == .needMore(consumed: 0))
        #expect(step("lo\r") == .data(offset: 0, count: 2, consumed: 2))
        #expect(step("\r") == .needMore(consumed: 1))
        #expect(step("\n3\r\nab") == .data(offset: 4, count: 2, consumed: 6))
        #expect(step("c\r\n0") == .data(offset: 0, count: 1, consumed: 1))
        #expect(step("\r\n0") == .needMore(consumed: 3))
        #expect(step("\r\nX: y\r\n\r") == .needMore(consumed: 9))
        #expect(step("\nnext") == .end(consumed: 1))
        #expect(decoder.bodyBytes == 8)
    }

    @Test func invalidStaysInvalid() {
        var decoder = ChunkedDecoder()
        #expect(ascii("5\nhello").withUnsafeBytes { decoder.step($0) } == .invalid)
        #expect(ascii("0\r\n\r\n").withUnsafeBytes { decoder.step($0) } == .invalid)
        #expect(!decoder.isDone)
    }

    /// A chunk may be as large as Int.max; only the bytes present are delivered.
    @Test func largestSize() {
        var decoder = ChunkedDecoder()
        let step = ascii("7fffffffffffffff\r\nabc").withUnsafeBytes { decoder.step($0) }
        #expect(step == .data(offset: 18, count: 3, consumed: 21))
        #expect(decoder.bodyBytes == 3)
        var decoder2 = ChunkedDecoder()
        #expect(ascii("0007" + String(repeating: "F", count: 15) + "\r\n").withUnsafeBytes { decoder2.step($0) }
            == .needMore(consumed: 21))
        var decoder3 = ChunkedDecoder()
        #expect(ascii("0008" + String(repeating: "0", count: 15)).withUnsafeBytes { decoder3.step($0) } == .invalid)
    }

    @Test func trailerLimitIsExact() {
        // "X-A: 123456\r\n" is 13 bytes, "X-B: 1\r\n" 8: 21 in all; the final CRLF does not count.
        let encoding = ascii("0\r\nX-A: 123456\r\nX-B: 1\r\n\r\n")
        #expect(decodeChunked(encoding, decoder: ChunkedDecoder(maxTrailerBytes: 21)).outcome == .end(encoding.count))
        #expect(decodeChunked(encoding, decoder: ChunkedDecoder(maxTrailerBytes: 20)).outcome == .invalid)
        #expect(decodeChunked(ascii("0\r\n\r\n"), decoder: ChunkedDecoder(maxTrailerBytes: 0)).outcome == .end(5))
    }

    @Test func extensionLimitIsExact() {
        // ";123456789" is 10 bytes, " ;1" 3, ";x" 2: 15 in all.
        let encoding = ascii("5;123456789\r\nhello\r\n1 ;1\r\n!\r\n0;x\r\n\r\n")
        let allowed = decodeChunked(encoding, decoder: ChunkedDecoder(maxExtensionBytes: 15))
        #expect(allowed == ChunkedRun(body: ascii("hello!"), outcome: .end(encoding.count)))
        #expect(decodeChunked(encoding, decoder: ChunkedDecoder(maxExtensionBytes: 14)).outcome == .invalid)
        #expect(decodeChunked(ascii("5\r\nhello\r\n0\r\n\r\n"), decoder: ChunkedDecoder(maxExtensionBytes: 0)).outcome
            == .end(15))
    }

    @Test func tablesAreLargeEnough() {
        #expect(validChunkedCases.count >= 15)
        #expect(invalidChunkedCases.count >= 20)
    }

    @Test(arguments: validChunkedCases)
    func decodesInOneShot(_ c: ChunkedCase) {
        let run = decodeChunked(c.encoding)
        #expect(run == ChunkedRun(body: c.body, outcome: .end(c.encoding.count)))
        #expect(referenceChunked(c.encoding) == run)
    }

    /// Bytes after the body (a pipelined request) are left for the caller.
    @Test(arguments: validChunkedCases)
    func leavesPipelinedRequest(_ c: ChunkedCase) {
        let input = c.encoding + ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let expected = ChunkedRun(body: c.body, outcome: .end(c.encoding.count))
        #expect(decodeChunked(input) == expected)
        #expect(decodeChunked(input, cuts: [c.encoding.count - 1]) == expected)
        #expect(decodeChunked(input, cuts: Array(1..<input.count)) == expected)
        // A decoder handed only the body's last byte together with the next request.
        #expect(decodeChunked(input, cuts: [c.encoding.count - 1, c.encoding.count + 3]) == expected)
    }

    @Test(arguments: validChunkedCases)
    func decodesByteByByte(_ c: ChunkedCase) {
        let run = decodeChunked(c.encoding, cuts: Array(1..<c.encoding.count))
        #expect(run == ChunkedRun(body: c.body, outcome: .end(c.encoding.count)))
    }

    /// Every two-part split, and every proper prefix on its own needs more.
    @Test(arguments: validChunkedCases)
    func decodesEverySplit(_ c: ChunkedCase) {
        let expected = ChunkedRun(body: c.body, outcome: .end(c.encoding.count))
        for cut in 0...c.encoding.count {
            #expect(decodeChunked(c.encoding, cuts: [cut]) == expected, "split at \(cut)")
            let prefix = decodeChunked(Array(c.encoding[..<cut]))
            if cut < c.encoding.count {
                #expect(prefix.outcome == .needMore, "prefix \(cut)")
                #expect(c.body.starts(with: prefix.body), "prefix \(cut)")
            }
        }
    }

    @Test(arguments: invalidChunkedCases)
    func rejects(_ c: InvalidChunkedCase) {
        #expect(decodeChunked(c.encoding, decoder: c.decoder).outcome == .invalid)
        #expect(decodeChunked(c.encoding, cuts: Array(1..<c.encoding.count), decoder: c.decoder).outcome == .invalid)
        #expect(
            referenceChunked(c.encoding, maxTrailerBytes: c.maxTrailerBytes, maxExtensionBytes: c.maxExtensionBytes)
                .outcome == .invalid)
    }

    /// However it is split, an invalid encoding is invalid, and no prefix is ever more than incomplete
    /// or already invalid.
    @Test(arguments: invalidChunkedCases.filter { $0.encoding.count < 400 })
    func rejectsEverySplit(_ c: InvalidChunkedCase) {
        for cut in 0...c.encoding.count {
            #expect(decodeChunked(c.encoding, cuts: [cut], decoder: c.decoder).outcome == .invalid, "split at \(cut)")
            let prefix = decodeChunked(Array(c.encoding[..<cut]), decoder: c.decoder).outcome
            #expect(prefix == .needMore || prefix == .invalid, "prefix \(cut)")
        }
    }

    /// Each byte value after a chunk-size digit: only hex digits, `;`, BWS and CR go on.
    @Test func bytesAfterSize() {
        for b in UInt8.min...UInt8.max {
            let outcome = decodeChunked([UInt8(ascii: "1"), b]).outcome
            let goesOn = ascii("0123456789abcdefABCDEF; \t\r").contains(b)
            #expect(outcome == (goesOn ? .needMore : .invalid), "byte \(b)")
        }
    }

    /// Mutated encodings never crash or point outside their input (it ends at a guard page); a
    /// random split agrees with one shot; and both agree with the line-based reference.
    @Test func randomMutations() {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        let suffix = ascii("GET / HTTP/1.1\r\n\r\n")
        let seeds = validChunkedCases.filter { $0.encoding.count < 200 }.flatMap { [$0.encoding, $0.encoding + suffix] }
            + invalidChunkedCases.filter { $0.encoding.count < 200 }.map(\.encoding)
        var outcomes = [String: Int]()
        for n in 0..<20_000 {
            let input = ChunkedRandom.mutate(seeds[rng.below(seeds.count)], &rng)
            let small = n % 4 == 0
            let decoder = small ? ChunkedDecoder(maxTrailerBytes: 24, maxExtensionBytes: 8) : ChunkedDecoder()
            let oneShot = decodeChunked(input, decoder: decoder)
            let cuts = (0..<rng.below(4)).map { _ in rng.below(input.count + 1) }
            let split = decodeChunked(input, cuts: cuts, decoder: decoder)
            #expect(split == oneShot, "cuts \(cuts): \(input)")
            let reference = small
                ? referenceChunked(input, maxTrailerBytes: 24, maxExtensionBytes: 8) : referenceChunked(input)
            switch reference.outcome {
            case .needMore:
                #expect(oneShot.outcome == .needMore || oneShot.outcome == .invalid, "reference needs more: \(input)")
                #expect(oneShot.body.starts(with: reference.body), "\(input)")
            default:
                #expect(oneShot == reference, "\(input)")
            }
            if case .end(let end) = oneShot.outcome { #expect(end <= input.count) }
            outcomes["\(oneShot.outcome)".prefix(3).description, default: 0] += 1
        }
        // The mutations reach every outcome, so each check above ran.
        #expect(outcomes.count == 3, "\(outcomes)")
        #expect(outcomes.values.allSatisfy { $0 >= 1000 }, "\(outcomes)")
    }
}

/// Mutations aimed at the decoder's decision points, driven by `XorShift`.
enum ChunkedRandom {
    static let interesting = ascii("\r\n \t;:=\"\\0019aAfFgx-") + [0x00, 0x7F, 0x80, 0xFF]

    static func mutate(_ input: [UInt8], _ rng: inout XorShift) -> [UInt8] {
        var out = input
        for _ in 0..<(1 + rng.below(3)) {
            let position = out.isEmpty ? 0 : rng.below(out.count)
            let byte = rng.below(4) != 0
                ? interesting[rng.below(interesting.count)] : UInt8(truncatingIfNeeded: rng.next())
            switch rng.below(6) {
            case 0, 1: if !out.isEmpty { out[position] = byte }
            case 2: out.insert(byte, at: position)
            case 3: if !out.isEmpty { out.remove(at: position) }
            case 4: out = Array(out[..<position])
            default:
                // Repeat a stretch: duplicated lines, longer extensions and trailers.
                let end = min(out.count, position + 1 + rng.below(12))
                out.insert(contentsOf: out[position..<end], at: position)
            }
        }
        return out
    }
}
