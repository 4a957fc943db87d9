// The documented disagreements between Ringside and llhttp 8.1 in strict mode. Fuzz/README.md lists
// each entry with its RFC reason; an entry explains a difference only when its condition holds, and
// anything unexplained is a bug (the fuzzer traps).
//
// Two kinds:
// - Ringside refuses what llhttp accepts: keyed by the StrictnessRule Ringside broke. This is the
//   safe direction for request smuggling (a front end that accepts sends nothing Ringside reads
//   another way: Ringside answers 4xx/5xx and closes).
// - llhttp refuses what Ringside accepts: each entry rewrites the input without the construct
//   llhttp refuses (a method token, a minor version, chunk extensions, trailer fields, empty list
//   elements) into what both must read alike; the entry holds only if they then agree. So the
//   construct is the whole difference, and the RFC reason says Ringside reads it right.

/// One documented disagreement.
struct AllowEntry: Sendable {
    /// The name Fuzz/README.md lists it under.
    let id: String
    /// Whether it explains `difference` on `input`; `rest` explains what remains after a rewrite
    /// (an input may hold several documented constructs).
    let explains: @Sendable (
        _ difference: Difference, _ input: UnsafeRawBufferPointer, _ rest: Explainer
    ) -> Bool
}

/// Explains a difference on an input (by some entry of a list), or not.
typealias Explainer = (Difference, UnsafeRawBufferPointer) -> Bool

/// The first entry of `list` that explains `difference`, rewrites nested at most `depth` deep.
func explanation(
    of difference: Difference?, in list: [AllowEntry], _ input: UnsafeRawBufferPointer, depth: Int = 8
) -> AllowEntry? {
    guard let difference, depth > 0 else { return nil }
    let rest: Explainer = { explanation(of: $0, in: list, $1, depth: depth - 1) != nil }
    return list.first { $0.explains(difference, input, rest) }
}

// MARK: - Ringside refuses, llhttp accepts

/// Ringside refused by one of `rules` where llhttp accepted.
func stricter(_ id: String, _ rules: Set<StrictnessRule>, where condition: (@Sendable (UnsafeRawBufferPointer) -> Bool)? = nil)
    -> AllowEntry
{
    stricter(id, rules) { _, input in condition?(input) ?? true }
}

/// Ringside refused by one of `rules` where llhttp accepted, and `condition` holds.
func stricter(
    _ id: String, _ rules: Set<StrictnessRule>, where condition: @escaping @Sendable (Difference, UnsafeRawBufferPointer) -> Bool
) -> AllowEntry {
    AllowEntry(id: id) { difference, input, _ in
        guard let rule = difference.ringside.rule, difference.ringside.outcome.isRefused,
            difference.llhttp.outcome.isAccepted, rules.contains(rule)
        else { return false }
        return condition(difference, input)
    }
}

/// A line (after the first) that starts with one of `starts`: CRLF then the byte.
func hasLineStarting(with starts: [UInt8], _ input: UnsafeRawBufferPointer) -> Bool {
    guard input.count >= 3 else { return false }
    for i in 0..<(input.count - 2) where input[i] == 0x0D && input[i + 1] == 0x0A && starts.contains(input[i + 2]) {
        return true
    }
    return false
}

let ringsideStricter: [AllowEntry] = [
    stricter("bare-line-ending", [.lineEnding]),
    stricter("obs-fold", [.obsFold]),
    stricter("trailer-not-a-field-line", [.trailerField]) { hasLineStarting(with: [0x20, 0x09, 0x3A], $0) },
    stricter("empty-field-name", [.fieldName]) { hasLineStarting(with: [0x3A], $0) },
    stricter("host", [.host]),
    stricter("request-target", [.requestTarget]),
    stricter("http-version", [.httpVersion, .versionNotSupported]),
    stricter("transfer-encoding-in-http10", [.transferEncodingInHTTP10]),
    stricter("empty-transfer-encoding", [.finalCodingNotChunked, .contentLengthWithTransferEncoding]) {
        headFields($0).contains { field in
            field.isNamed("transfer-encoding") && field.listElements.isEmpty
        }
    },
    stricter("coding-before-chunked", [.codingNotImplemented]),
    // An upgrading request without a body by llhttp's reading ends at its head, codings unchecked.
    stricter("upgrade-with-bad-transfer-coding", [.finalCodingNotChunked, .codingNotImplemented]) { difference, _ in
        difference.llhttp.upgrade
    },
    stricter("connect-with-content", [.connectWithContent]),
    stricter("chunk-extension-off-grammar", [.chunkExtension]) { difference, input in
        // The independent matcher agrees that some extension llhttp let through is off the grammar.
        let start = difference.ringside.headComplete ? difference.ringside.headLength : 0
        return someExtensionOffGrammar(Array(input[start...]))
    },
    stricter("chunk-size-digits", [.chunkSizeTooLong]),
]

/// Ringside refused (or waits for more bytes) where llhttp accepted, and on `rewrite`'s input
/// (without a construct llhttp misreads) Ringside still does not accept and llhttp agrees, or what
/// still differs is another entry's.
func stricterOnceRewritten(
    _ id: String, rewrite: @escaping @Sendable (Difference, UnsafeRawBufferPointer) -> [UInt8]?,
    reading: @escaping @Sendable (UnsafeRawBufferPointer) -> (Reading, Difference?)
) -> AllowEntry {
    rewriting(id, ringsideAccepts: false, when: { $0.llhttp.outcome.isAccepted }, rewrite: rewrite, reading: reading)
}

/// Whether some chunk-size line of the body at the start of `b` (as llhttp accepted it) carries an
/// extension the RFC 9112 §7.1.1 matcher refuses.
func someExtensionOffGrammar(_ b: [UInt8]) -> Bool {
    ChunkedLayout(b).extensions.contains { !isChunkExtension(b[$0]) }
}

// MARK: - llhttp refuses, Ringside accepts

/// llhttp refused what Ringside accepted, for one of `reasons` (llhttp's error reasons, in the head
/// or, with `afterHead`, in the body); `rewrite` gives the input without the construct llhttp
/// refuses (nil: this entry does not apply), on which the two must then agree.
func lenientByRFC(
    _ id: String, reasons: Set<String>, afterHead: Bool,
    rewrite: @escaping @Sendable (Difference, UnsafeRawBufferPointer) -> [UInt8]?,
    reading: @escaping @Sendable (UnsafeRawBufferPointer) -> (Reading, Difference?)
) -> AllowEntry {
    rewriting(id, when: { difference in
        guard case .refused(let reason) = difference.llhttp.outcome else { return false }
        return reasons.contains(reason) && difference.llhttp.headComplete == afterHead
    }, rewrite: rewrite, reading: reading)
}

/// Ringside accepted (or, with `ringsideAccepts` false, did not), and `when` holds; `rewrite`
/// gives the input without the construct the two read differently (nil: this entry does not
/// apply), on which they must then agree.
func rewriting(
    _ id: String, ringsideAccepts: Bool = true, when applies: @escaping @Sendable (Difference) -> Bool,
    rewrite: @escaping @Sendable (Difference, UnsafeRawBufferPointer) -> [UInt8]?,
    reading: @escaping @Sendable (UnsafeRawBufferPointer) -> (Reading, Difference?)
) -> AllowEntry {
    AllowEntry(id: id) { difference, input, rest in
        guard difference.ringside.outcome.isAccepted == ringsideAccepts, applies(difference),
            let rewritten = rewrite(difference, input), !rewritten.elementsEqual(input)
        else { return false }
        return rewritten.withUnsafeBytes { rewrittenInput in
            let (r, remaining) = reading(rewrittenInput)
            if traceMode {
                printError("\(id): rewritten to \(String(decoding: rewritten.prefix(200), as: UTF8.self).debugDescription)\n"
                    + "  Ringside \(r.outcome); \(remaining.map { "\($0)" } ?? "agree")\n")
            }
            // Ringside reads the rewritten request as before; llhttp now agrees, or what still
            // differs is another entry's.
            guard r.outcome.isAccepted == ringsideAccepts else { return false }
            guard let remaining else { return true }
            return rest(remaining, rewrittenInput)
        }
    }
}

/// Ringside's reading of a request, and how llhttp's differs.
func bothRequest(_ input: UnsafeRawBufferPointer) -> (Reading, Difference?) {
    let r = ringsideRequest(input)
    return (r, compare(r, llhttpRequest(input), fields: true))
}

/// Ringside's reading of a chunked body, and how llhttp's differs.
func bothChunked(_ input: UnsafeRawBufferPointer) -> (Reading, Difference?) {
    let r = ringsideChunked(input)
    return (r, compare(r, llhttpChunked(input), fields: false))
}

/// The request with its method token replaced by POST (for a method Ringside's `Method` does not name).
func postMethod(_ difference: Difference, _ input: UnsafeRawBufferPointer) -> [UInt8]? {
    guard difference.ringside.otherMethod else { return nil }
    let bytes = Array(input)
    guard let space = bytes.firstIndex(of: 0x20) else { return nil }
    return Array("POST".utf8) + bytes[space...]
}

/// The request with `HTTP/1.x` (x > 1) in its request line written `HTTP/1.1`.
func minorVersionOne(_ difference: Difference, _ input: UnsafeRawBufferPointer) -> [UInt8]? {
    var bytes = Array(input)
    guard difference.ringside.version == (1, 1),
        let lineStart = bytes.firstIndex(where: { $0 != 0x0D && $0 != 0x0A }),
        let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A), lineEnd >= 4
    else { return nil }
    let minor = lineEnd - 2
    guard bytes[minor - 1] == UInt8(ascii: "."), (UInt8(ascii: "2")...UInt8(ascii: "9")).contains(bytes[minor]) else {
        return nil
    }
    bytes[minor] = UInt8(ascii: "1")
    return bytes
}

/// The request with the chunked body Ringside accepted rewritten without its extensions or its trailers.
func rewriteBody(keepExtensions: Bool, keepTrailers: Bool)
    -> @Sendable (Difference, UnsafeRawBufferPointer) -> [UInt8]?
{
    { difference, input in
        guard difference.ringside.chunked, case .accepted(let next) = difference.ringside.outcome else { return nil }
        let head = difference.ringside.headLength
        let body = canonicalChunked(
            Array(input[head..<next]), keepExtensions: keepExtensions, keepTrailers: keepTrailers)
        return Array(input[..<head]) + body + Array(input[next...])
    }
}

/// The request with every empty element dropped from its Transfer-Encoding values.
func transferCodingsWithoutEmptyElements(_ difference: Difference, _ input: UnsafeRawBufferPointer) -> [UInt8]? {
    guard difference.ringside.headComplete else { return nil }
    let head = Array(input[..<difference.ringside.headLength])
    var out: [UInt8] = []
    var changed = false
    for line in lines(head) {
        let field = Field(line)
        if field.isNamed("transfer-encoding") {
            let joined = field.listElements.map { Array($0) }.joined(separator: Array(", ".utf8))
            out += Array("Transfer-Encoding: ".utf8) + joined + [0x0D, 0x0A]
            changed = true
        } else {
            out += line + [0x0D, 0x0A]
        }
    }
    guard changed else { return nil }
    return out + [0x0D, 0x0A] + Array(input[difference.ringside.headLength...])
}

/// llhttp's reasons for refusing a method token it does not know.
let methodReasons: Set<String> = [
    "Invalid method encountered", "Expected space after method", "Invalid method for HTTP/x.x request",
    "Expected SOURCE method for ICE/x.x request", "Invalid method for RTSP/x.x request",
    // PRI is the start of the HTTP/2 preface to llhttp, a method like any other to Ringside.
    "Expected HTTP/2 Connection Preface", "Pause on PRI/Upgrade",
]
/// llhttp's reasons for refusing HTTP/1.2 to HTTP/1.9.
let versionReasons: Set<String> = ["Invalid HTTP version"]
/// llhttp's reasons for refusing chunk extensions (and, after a token value, the next `;`).
let extensionReasons: Set<String> = [
    "Invalid character in chunk extensions", "Invalid character in chunk extensions name",
    "Invalid character in chunk extensions value", "Invalid character in chunk extensions quoted value",
    "Invalid character in chunk extensions quote value", "Invalid character in chunk size",
]
/// llhttp's reasons for refusing framing fields: in the head, or (applied again) in trailers.
let framingFieldReasons: Set<String> = [
    "Invalid `Transfer-Encoding` header value", "Content-Length can't be present with Transfer-Encoding",
    "Duplicate Content-Length", "Invalid character in Content-Length", "Empty Content-Length",
    "Content-Length overflow",
]

func chunkExtensionsRewrite(
    _ body: @escaping @Sendable (Difference, UnsafeRawBufferPointer, Bool, Bool) -> [UInt8]?
) -> @Sendable (Difference, UnsafeRawBufferPointer) -> [UInt8]? {
    { difference, input in
        // Only extensions the independent matcher below finds well formed.
        guard chunkExtensionsMatchGrammar(difference, input) else { return nil }
        return body(difference, input, false, true)
    }
}

func requestBodyRewrite(_ difference: Difference, _ input: UnsafeRawBufferPointer, keepExtensions: Bool, keepTrailers: Bool)
    -> [UInt8]?
{
    rewriteBody(keepExtensions: keepExtensions, keepTrailers: keepTrailers)(difference, input)
}

/// The request with HTAB written as SP in the values of its `name` fields.
func withoutTabs(in name: String) -> @Sendable (Difference, UnsafeRawBufferPointer) -> [UInt8]? {
    { difference, input in fieldsWithoutTabs(name, difference, input) }
}

func fieldsWithoutTabs(_ name: String, _ difference: Difference, _ input: UnsafeRawBufferPointer) -> [UInt8]? {
    // Ringside's head, or (where Ringside refused it) up to the first empty line.
    let head: Int
    if difference.ringside.headComplete {
        head = difference.ringside.headLength
    } else if let end = firstEmptyLine(input) {
        head = end
    } else {
        return nil
    }
    var out: [UInt8] = []
    var changed = false
    for line in lines(Array(input[..<head])) {
        if Field(line).isNamed(name) {
            let spaced = line.map { $0 == 0x09 ? 0x20 : $0 }
            changed = changed || spaced != line
            out += spaced + [0x0D, 0x0A]
        } else {
            out += line + [0x0D, 0x0A]
        }
    }
    guard changed else { return nil }
    return out + [0x0D, 0x0A] + Array(input[head...])
}

let ringsideLenientByRFC: [AllowEntry] = [
    lenientByRFC("method-token", reasons: methodReasons, afterHead: false, rewrite: postMethod, reading: bothRequest),
    // After `PRI * HTTP/2.0`-like request lines llhttp waits for the rest of the HTTP/2 preface.
    rewriting("method-token", when: { difference in
        difference.llhttp.outcome == .incomplete && difference.ringside.method == Array("PRI".utf8)
    }, rewrite: postMethod, reading: bothRequest),
    rewriting(
        "connection-option-ows", when: { $0.what == "keep-alive" }, rewrite: withoutTabs(in: "connection"),
        reading: bothRequest),
    // `Transfer-Encoding: chunked<HTAB>`: llhttp does not see the chunked coding.
    lenientByRFC(
        "transfer-coding-ows", reasons: ["Request has invalid `Transfer-Encoding`", "Invalid `Transfer-Encoding` header value"],
        afterHead: false, rewrite: withoutTabs(in: "transfer-encoding"), reading: bothRequest),
    lenientByRFC(
        "transfer-coding-ows", reasons: ["Request has invalid `Transfer-Encoding`"], afterHead: true,
        rewrite: withoutTabs(in: "transfer-encoding"), reading: bothRequest),
    // The same with `Connection: upgrade` and `Upgrade`: not seeing chunked, llhttp takes the
    // upgrade at the end of the head, where Ringside (which upgrades nothing) reads the body.
    rewriting(
        "transfer-coding-ows", when: { $0.llhttp.upgrade && $0.llhttp.outcome.isAccepted },
        rewrite: withoutTabs(in: "transfer-encoding"), reading: bothRequest),
    lenientByRFC(
        "http-minor-version", reasons: versionReasons, afterHead: false, rewrite: minorVersionOne, reading: bothRequest),
    lenientByRFC(
        "transfer-encoding-empty-elements", reasons: framingFieldReasons, afterHead: false,
        rewrite: transferCodingsWithoutEmptyElements, reading: bothRequest),
    lenientByRFC(
        "chunk-extension-rfc-grammar", reasons: extensionReasons, afterHead: true,
        rewrite: chunkExtensionsRewrite { requestBodyRewrite($0, $1, keepExtensions: $2, keepTrailers: $3) },
        reading: bothRequest),
    lenientByRFC(
        "framing-fields-in-trailers", reasons: framingFieldReasons, afterHead: true,
        rewrite: { requestBodyRewrite($0, $1, keepExtensions: true, keepTrailers: false) }, reading: bothRequest),
]

/// Both accept; only the connection's persistence differs.
let persistence: [AllowEntry] = [
    AllowEntry(id: "http10-close-and-keep-alive") { difference, _, _ in
        // HTTP/1.0 with both `close` and `keep-alive`: llhttp keeps the connection for the
        // keep-alive token, Ringside closes (RFC 9112 §9.3: `close` is checked first).
        let r = difference.ringside
        return difference.what == "keep-alive" && r.version == (1, 0) && r.connectionClose && r.connectionKeepAlive
            && !r.keepAlive && difference.llhttp.keepAlive
    }
]

/// Ringside refuses (or waits) where llhttp accepts, in requests only (the rewrite reads a head).
let ringsideStricterRequests: [AllowEntry] = [
    // A head holding obs-fold is refused whichever rule Ringside's parser trips on first: an empty
    // `Content-Length:` before its folded ` 2`, a field value cut by the fold, and so on. RFC 9112
    // §5.2 lets a server refuse obs-fold in a request outright, so llhttp joining the lines (and
    // framing the body by what it joined) never counts against Ringside. Seeds: `found-obs-fold-*`.
    stricter("obs-fold", Set(StrictnessRule.allCases)) { headHasObsFold($0) },
    // `Transfer-Encoding: chunked<HTAB>`: llhttp does not see that chunked coding, so it may find
    // another coding final, or no body and take an upgrade at the end of the head, where Ringside
    // refuses the codings or the body, or waits for the rest of the body. With the tabs as spaces
    // llhttp must read it as Ringside does.
    stricterOnceRewritten("transfer-coding-ows", rewrite: withoutTabs(in: "transfer-encoding"), reading: bothRequest),
]

let requestAllowList = ringsideStricter + ringsideStricterRequests + ringsideLenientByRFC + persistence

/// The chunked fuzzer's entries: the same, on a body after the fixed head.
let chunkedAllowList: [AllowEntry] = ringsideStricter + [
    lenientByRFC(
        "chunk-extension-rfc-grammar", reasons: extensionReasons, afterHead: true,
        rewrite: chunkExtensionsRewrite { bodyRewrite($0, $1, keepExtensions: $2, keepTrailers: $3) },
        reading: bothChunked),
    lenientByRFC(
        "framing-fields-in-trailers", reasons: framingFieldReasons, afterHead: true,
        rewrite: { bodyRewrite($0, $1, keepExtensions: true, keepTrailers: false) }, reading: bothChunked),
]

/// The chunked fuzzer's body, rewritten.
func bodyRewrite(
    _ difference: Difference, _ input: UnsafeRawBufferPointer, keepExtensions: Bool, keepTrailers: Bool
) -> [UInt8]? {
    guard difference.ringside.chunked, case .accepted(let end) = difference.ringside.outcome else { return nil }
    return canonicalChunked(Array(input[..<end]), keepExtensions: keepExtensions, keepTrailers: keepTrailers)
        + Array(input[end...])
}

// MARK: - Rewriting helpers

/// The lines of `bytes` split at CRLF, the last (empty) one dropped.
func lines(_ bytes: [UInt8]) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var start = 0
    var i = 0
    while i + 1 < bytes.count {
        if bytes[i] == 0x0D && bytes[i + 1] == 0x0A {
            result.append(Array(bytes[start..<i]))
            i += 2
            start = i
        } else {
            i += 1
        }
    }
    return result.filter { !$0.isEmpty }
}

/// A `name: value` line.
struct Field {
    var name: ArraySlice<UInt8> = []
    var value: ArraySlice<UInt8> = []

    init(_ line: [UInt8]) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        name = line[..<colon]
        value = line[(colon + 1)...]
    }

    func isNamed(_ lowercase: String) -> Bool {
        name.count == lowercase.utf8.count && zip(name, lowercase.utf8).allSatisfy { $0 | 0x20 == $1 }
    }

    /// The `#list` elements of the value, trimmed of OWS, empty ones dropped.
    var listElements: [ArraySlice<UInt8>] {
        value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { element in
                var e = element
                while let f = e.first, f == 0x20 || f == 0x09 { e = e.dropFirst() }
                while let l = e.last, l == 0x20 || l == 0x09 { e = e.dropLast() }
                return e
            }
            .filter { !$0.isEmpty }
    }
}

/// Where the bytes after the head's empty line (the first CRLF CRLF after the request line's
/// start) begin, if there is one. Empty lines before the request line are skipped, as both parsers
/// skip them: they are not the head's end.
func firstEmptyLine(_ input: UnsafeRawBufferPointer) -> Int? {
    let start = input.firstIndex { $0 != 0x0D && $0 != 0x0A } ?? input.count
    guard input.count >= start + 4 else { return nil }
    for i in start..<(input.count - 3)
    where input[i] == 0x0D && input[i + 1] == 0x0A && input[i + 2] == 0x0D && input[i + 3] == 0x0A {
        return i + 4
    }
    return nil
}

/// Whether a line of the head after the request line starts with SP or HTAB: obs-fold (RFC 9112
/// §5.2), whatever the line before it held. The head ends at its first empty line, whichever line
/// ending it has (the narrowest reading of where the head ends); empty lines before the request
/// line are skipped, as both parsers skip them.
func headHasObsFold(_ input: UnsafeRawBufferPointer) -> Bool {
    var i = input.firstIndex { $0 != 0x0D && $0 != 0x0A } ?? input.count
    var lineStart = false
    while i < input.count {
        let byte = input[i]
        if lineStart {
            if byte == 0x20 || byte == 0x09 { return true }
            if byte == 0x0D || byte == 0x0A { return false }  // the empty line: the head ended
        }
        lineStart = byte == 0x0A
        i += 1
    }
    return false
}

/// The field lines of the request line's head (up to the first empty line).
func headFields(_ input: UnsafeRawBufferPointer) -> [Field] {
    let bytes = Array(input)
    let start = bytes.firstIndex { $0 != 0x0D && $0 != 0x0A } ?? bytes.count
    var end = bytes.count
    for i in start..<max(start, bytes.count - 3)
    where bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A {
        end = i + 2
        break
    }
    return lines(Array(bytes[start..<end])).dropFirst().map(Field.init)
}

/// Where the pieces of a chunked body lie, found by walking sizes and CRLFs without judging them
/// (the body is one a parser accepted); the walk stops where the bytes do.
struct ChunkedLayout {
    /// Each size line: its hex digits, then its extensions (up to the CR).
    var digits: [Range<Int>] = []
    var extensions: [Range<Int>] = []
    /// Each chunk's data and the CRLF after it.
    var data: [Range<Int>] = []
    /// Each trailer line, CRLF included.
    var trailers: [Range<Int>] = []

    init(_ b: [UInt8]) {
        func lineEnd(from start: Int) -> Int? {
            var k = start
            while k + 1 < b.count, !(b[k] == 0x0D && b[k + 1] == 0x0A) { k += 1 }
            return k + 1 < b.count ? k : nil
        }
        var i = 0
        while let end = lineEnd(from: i) {
            var k = i
            var size = 0
            while k < end, let d = Int(String(UnicodeScalar(b[k])), radix: 16), size < 1 << 40 {
                size = size * 16 + d
                k += 1
            }
            digits.append(i..<k)
            extensions.append(k..<end)
            i = end + 2
            if size == 0 {
                while let end = lineEnd(from: i), end > i {
                    trailers.append(i..<(end + 2))
                    i = end + 2
                }
                return
            }
            guard i + size + 2 <= b.count else { return }
            data.append(i..<(i + size + 2))
            i += size + 2
        }
    }
}

/// A chunked body that Ringside accepted, written again with only what `keep...` asks for.
func canonicalChunked(_ b: [UInt8], keepExtensions: Bool, keepTrailers: Bool) -> [UInt8] {
    let layout = ChunkedLayout(b)
    var out: [UInt8] = []
    for (n, digits) in layout.digits.enumerated() {
        out += b[digits]
        if keepExtensions { out += b[layout.extensions[n]] }
        out += [0x0D, 0x0A]
        if n < layout.data.count { out += b[layout.data[n]] }
    }
    if keepTrailers { for trailer in layout.trailers { out += b[trailer] } }
    return out + [0x0D, 0x0A]
}

/// Every chunk extension of the body Ringside accepted matches RFC 9112 §7.1.1, checked by the
/// matcher of Tests/HTTP1Tests/ChunkExtensionGrammar.swift (written apart from the decoder's states).
func chunkExtensionsMatchGrammar(_ difference: Difference, _ input: UnsafeRawBufferPointer) -> Bool {
    guard difference.ringside.chunked, case .accepted(let next) = difference.ringside.outcome else { return false }
    let body = Array(input[difference.ringside.headLength..<next])
    return ChunkedLayout(body).extensions.allSatisfy { isChunkExtension(body[$0]) }
}
