// What the differential fuzzers share: Ringside's reading of a request (HTTP1's parser, then its
// body framing) and llhttp's (strict mode, through Fuzz/LLHTTP), the comparison of the two, and
// the allow-list of documented disagreements (Fuzz/README.md). Compiled by `make fuzz-build` into
// each differential target together with Sources/HTTP1/*.swift (one module: internal API such as
// `StrictnessRule` is visible here) and llhttp's C sources.

import CLLHTTPShim

#if canImport(Glibc)
import Glibc
#endif

/// Traps when `condition` is false (libFuzzer reports it as a crash and keeps the input).
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

// MARK: - The two readings

/// How one parser ended on an input.
enum Outcome: Equatable, CustomStringConvertible {
    /// The whole request (or body) was read; what follows starts at `next`.
    case accepted(next: Int)
    /// Refused: Ringside names its rule, llhttp its error reason.
    case refused(String)
    /// More bytes are needed.
    case incomplete

    var description: String {
        switch self {
        case .accepted(let next): "accepted (next at \(next))"
        case .refused(let why): "refused (\(why))"
        case .incomplete: "incomplete"
        }
    }

    /// The kind of outcome without offsets, for grouping.
    var kind: String {
        switch self {
        case .accepted: "accepted"
        case .refused(let why): "refused (\(why))"
        case .incomplete: "incomplete"
        }
    }

    var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }

    var isRefused: Bool {
        if case .refused = self { return true }
        return false
    }
}

/// One parser's reading of a request; fields past `outcome` are meaningful when it is accepted.
struct Reading {
    var outcome: Outcome
    /// Ringside's broken rule when it refused.
    var rule: StrictnessRule?
    /// llhttp's error offset when it refused.
    var errorOffset = 0
    var method: [UInt8] = []
    var target: Range<Int> = 0..<0
    var version = (major: 0, minor: 0)
    var headerCount = 0
    var body: [UInt8] = []
    var keepAlive = false
    var headComplete = false
    /// Ringside only: the head's length, when it was complete.
    var headLength = 0
    /// Ringside only: the method was none of those `Method` names.
    var otherMethod = false
    /// Ringside only: the body is chunked.
    var chunked = false
    /// llhttp only: the request asks to upgrade (`Connection: upgrade` with `Upgrade`, or CONNECT).
    var upgrade = false
    /// Ringside only: the Connection options it saw.
    var connectionClose = false
    var connectionKeepAlive = false

    static func refused(_ rule: StrictnessRule) -> Reading {
        Reading(outcome: .refused("\(rule)"), rule: rule)
    }
}

/// Limits no fuzz input reaches: the fuzzers compare framing, not configurable limits.
func unlimited(_ count: Int) -> ParserLimits {
    ParserLimits(maxRequestLineLength: count + 1, maxHeaderBytes: count + 1, maxHeaderCount: count + 1)
}

/// A chunked decoder whose limits no fuzz input reaches.
func unlimitedDecoder() -> ChunkedDecoder { ChunkedDecoder(maxTrailerBytes: 1 << 30, maxExtensionBytes: 1 << 30) }

/// Decodes the chunked body at the start of `input`; `.accepted(next:)` counts from the start of `input`.
func ringsideChunked(_ input: UnsafeRawBufferPointer) -> Reading {
    var decoder = unlimitedDecoder()
    var body: [UInt8] = []
    var offset = 0
    while true {
        switch decoder.step(UnsafeRawBufferPointer(rebasing: input[offset...])) {
        case .data(let start, let count, let consumed):
            body += input[(offset + start)..<(offset + start + count)]
            offset += consumed
        case .needMore:
            return Reading(outcome: .incomplete, body: body, chunked: true)
        case .end(let consumed):
            return Reading(outcome: .accepted(next: offset + consumed), body: body, chunked: true)
        case .invalid:
            guard let rule = decoder.brokenRule else { fatalError("invalid body without a rule") }
            var reading = Reading.refused(rule)
            reading.body = body
            return reading
        }
    }
}

/// Ringside's reading of the request at the start of `input`: the head by `RequestParser`, then the
/// body by its Content-Length or by `ChunkedDecoder`, as the server frames it.
func ringsideRequest(_ input: UnsafeRawBufferPointer) -> Reading {
    let storage = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: input.count + 1)
    defer { storage.deallocate() }
    var head = RequestHead()
    var rule: StrictnessRule?
    let result = RequestParser.parse(
        input, headers: storage, limits: unlimited(input.count), previousLength: 0, into: &head, rule: &rule)
    let headLength: Int
    switch result {
    case .incomplete: return Reading(outcome: .incomplete)
    case .invalid(let error):
        guard let rule else { fatalError("\(error) without a rule") }
        check(rule.error == error, "rule \(rule) reported as \(error)")
        return .refused(rule)
    case .complete(let length): headLength = length
    }
    var reading = Reading(outcome: .incomplete)
    reading.headComplete = true
    reading.headLength = headLength
    reading.otherMethod = head.method == .other
    reading.chunked = head.isChunked
    reading.connectionClose = head.connectionClose
    reading.connectionKeepAlive = head.connectionKeepAlive
    reading.method = Array(input[head.methodToken.start..<head.methodToken.end])
    reading.target = head.target.start..<head.target.end
    reading.version = (1, Int(head.versionMinor))
    reading.headerCount = head.headerCount
    reading.keepAlive = head.keepAlive
    if head.isChunked {
        let body = ringsideChunked(UnsafeRawBufferPointer(rebasing: input[headLength...]))
        reading.body = body.body
        reading.rule = body.rule
        switch body.outcome {
        case .accepted(let next): reading.outcome = .accepted(next: headLength + next)
        default: reading.outcome = body.outcome
        }
    } else {
        let next = headLength + max(0, head.contentLength)
        if next <= input.count {
            reading.outcome = .accepted(next: next)
            reading.body = Array(input[headLength..<next])
        }
    }
    return reading
}

/// llhttp's reading (strict mode, no lenient flags) of the request at the start of `input`.
func llhttpRequest(_ input: UnsafeRawBufferPointer) -> Reading {
    var result = rs_llhttp_result()
    var body = [UInt8](repeating: 0, count: input.count)
    body.withUnsafeMutableBufferPointer { out in
        rs_llhttp_parse_request(
            input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, out.baseAddress, out.count, &result)
    }
    var reading = Reading(outcome: .incomplete)
    switch result.outcome {
    case Int32(RS_LLHTTP_COMPLETE): reading.outcome = .accepted(next: result.message_length)
    case Int32(RS_LLHTTP_ERROR):
        reading.outcome = .refused(result.reason.map { String(cString: $0) } ?? "error \(result.error)")
        reading.errorOffset = result.error_offset
    default: break
    }
    reading.headComplete = result.head_complete != 0
    if reading.headComplete {
        reading.method = Array(String(cString: rs_llhttp_method_name(result.method)).utf8)
        reading.target = result.url_offset..<(result.url_offset + result.url_length)
        reading.version = (Int(result.version_major), Int(result.version_minor))
        reading.headerCount = Int(result.header_count)
        reading.keepAlive = result.keep_alive != 0
        reading.upgrade = result.upgrade != 0
    }
    reading.body = Array(body[..<min(result.body_length, body.count)])
    return reading
}

/// The head the chunked fuzzer puts before each body for llhttp.
let chunkedHead = Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

/// llhttp's reading of the chunked body at the start of `input`, offsets counted from there.
func llhttpChunked(_ input: UnsafeRawBufferPointer) -> Reading {
    var reading = (chunkedHead + input).withUnsafeBytes { llhttpRequest($0) }
    check(reading.headComplete, "llhttp did not take the fixed head")
    if case .accepted(let next) = reading.outcome { reading.outcome = .accepted(next: next - chunkedHead.count) }
    reading.errorOffset -= chunkedHead.count
    return reading
}

// MARK: - Comparing

/// Where two readings part.
struct Difference: CustomStringConvertible {
    var ringside: Reading
    var llhttp: Reading
    /// What differs: `outcome`, or a field of two accepted readings.
    var what: String

    /// The difference without offsets, for grouping.
    var signature: String {
        "\(what): Ringside \(ringside.outcome.kind), llhttp \(llhttp.outcome.kind)"
    }

    var description: String {
        "\(what): Ringside \(ringside.outcome)\(ringside.rule.map { " [\($0)]" } ?? ""), llhttp \(llhttp.outcome)"
            + (llhttp.outcome.isRefused ? " at \(llhttp.errorOffset)" : "")
    }
}

/// nil when the readings agree: both refuse; both accept the same request; or one needs more
/// bytes while the other refuses (the bytes that would decide are not there).
func compare(_ r: Reading, _ l: Reading, fields: Bool) -> Difference? {
    switch (r.outcome, l.outcome) {
    case (.refused, .refused), (.incomplete, .incomplete), (.refused, .incomplete), (.incomplete, .refused):
        return nil
    case (.accepted, .accepted):
        var what: [String] = []
        if r.outcome != l.outcome { what.append("next request") }
        if r.body != l.body { what.append("body (\(r.body.count) vs \(l.body.count) bytes)") }
        if fields {
            if r.method != l.method { what.append("method") }
            if r.target != l.target { what.append("target") }
            if r.version != l.version { what.append("version") }
            if r.headerCount != l.headerCount { what.append("header count (\(r.headerCount) vs \(l.headerCount))") }
            if r.keepAlive != l.keepAlive { what.append("keep-alive") }
        }
        return what.isEmpty ? nil : Difference(ringside: r, llhttp: l, what: what.joined(separator: ", "))
    default:
        return Difference(ringside: r, llhttp: l, what: "outcome")
    }
}

// MARK: - Tallies

/// Counts printed when the fuzzer exits: how often the readings agreed, and each allow-list entry.
nonisolated(unsafe) var tallies: [String: Int] = [:]
nonisolated(unsafe) var examples: [String: [UInt8]] = [:]

func tally(_ key: String, _ input: UnsafeRawBufferPointer) {
    if tallies[key] == nil { examples[key] = Array(input) }
    tallies[key, default: 0] += 1
}

/// With RINGSIDE_DIFF_SURVEY=1 an unexplained difference is tallied, not fatal: for finding the
/// classes of disagreement before deciding which are bugs.
let surveyMode = getenv("RINGSIDE_DIFF_SURVEY") != nil

/// With RINGSIDE_DIFF_TRACE=1 each rewrite an allow-list entry tries is printed (to replay one input).
let traceMode = getenv("RINGSIDE_DIFF_TRACE") != nil

/// Writes `text` to standard error, where libFuzzer reports too.
func printError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Prints the tallies with the first input of each; with RINGSIDE_DIFF_SURVEY_DIR set, also writes
/// those inputs there (survey-1, survey-2, ... in the order printed) to replay them.
func printTallies() {
    let total = tallies.values.reduce(0, +)
    printError("== differential tallies over \(total) inputs\n")
    let directory = getenv("RINGSIDE_DIFF_SURVEY_DIR").map { String(cString: $0) }
    for (n, (key, count)) in tallies.sorted(by: { $0.value > $1.value }).enumerated() {
        let example = examples[key] ?? []
        printError("\(count)\t\(key)\n\t\(String(decoding: example.prefix(160), as: UTF8.self).debugDescription)\n")
        if let directory, let file = fopen("\(directory)/survey-\(n + 1)", "w") {
            _ = example.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
    }
}

nonisolated(unsafe) var talliesInstalled = false

/// Tallies `difference` under its allow-list entry, or traps (survey mode: tallies it as unexplained).
func settle(_ difference: Difference?, explainedBy entry: AllowEntry?, _ input: UnsafeRawBufferPointer) {
    if !talliesInstalled {
        talliesInstalled = true
        atexit { printTallies() }
    }
    guard let difference else {
        tally("agree", input)
        return
    }
    if let entry {
        tally("allowed: \(entry.id)", input)
        return
    }
    if surveyMode {
        tally("UNEXPLAINED \(difference.signature)", input)
        return
    }
    let shown = String(decoding: input.prefix(300), as: UTF8.self).debugDescription
    fatalError("Ringside and llhttp disagree, no allow-list entry: \(difference)\ninput: \(shown)")
}
