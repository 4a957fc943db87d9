// Incremental decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
//
//     chunked-body   = *chunk last-chunk trailer-section CRLF
//     chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//     chunk-size     = 1*HEXDIG
//     last-chunk     = 1*("0") [ chunk-ext ] CRLF
//     chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//     chunk-ext-name = token
//     chunk-ext-val  = token / quoted-string
//     trailer-section = *( field-line CRLF )
//
// Strict on purpose: a decoder that reads chunk framing more leniently than a proxy in
// front of it lets a client hide a second request inside a body (request smuggling).
// The choices made where the grammar leaves room, each rejected as `.invalid`:
// - a bare LF or bare CR anywhere in framing: every line ends in CRLF exactly;
// - anything but 1*HEXDIG at the start of a size line: no whitespace, sign or `0x`;
// - a size above `Int.max`, or a size field over `maxSizeDigits` digits (leading zeros
//   count: they are allowed, just not without end);
// - chunk extensions off the grammar above: an empty name (`5;\r\n`, `5;;a`), an empty value
//   (`5;a=\r\n`), whitespace not followed by `;` or `=` (`5 \r\n`, `5;a=b \r\n`), a byte
//   outside token in a name or unquoted value, an unterminated quoted string, a quoted string
//   holding CR, LF or a control byte (escaped or not; RFC 9110 §5.6.4), or bytes after its
//   closing quote other than BWS `;` or CRLF. BWS is accepted where the grammar puts it
//   (`5 ; a = "b"`). Extensions are then ignored;
// - extension bytes over `maxExtensionBytes` summed over the whole body, so that a client
//   cannot send endless framing that never counts as body bytes;
// - after chunk data, anything but CRLF (so data longer than its size fails there);
// - in the trailer section, a line that is not `token ":" field-value` (obs-fold and
//   whitespace before the colon included), or more than `maxTrailerBytes` bytes of field
//   lines. Trailer fields are checked, then ignored.
//
// The decoder keeps no input: only its state, so a body can arrive split at any byte.
// `step` is not `@inlinable`: it is one call per run of body bytes or per framing piece,
// and its loop, not the call, is the cost; keeping it opaque also keeps the state private.

/// One result of ``ChunkedDecoder/step(_:)``; offsets count from the start of the input given.
public enum ChunkedStep: Sendable, Equatable {
    /// `count` body bytes lie at `offset` in this input; the first `consumed` bytes of input are used
    /// up (framing before the data and the data itself). `count > 0` and `consumed == offset + count`.
    case data(offset: Int, count: Int, consumed: Int)
    /// Everything up to `consumed` was framing and more bytes are needed to go on.
    /// This decoder never keeps bytes back: `consumed` is always the whole input (0 for none).
    case needMore(consumed: Int)
    /// Last chunk and trailer section done: the body ends `consumed` bytes into this input
    /// (the next request starts there).
    case end(consumed: Int)
    /// Malformed framing: the caller answers 400 and closes.
    case invalid
}

/// Decodes a chunked body step by step over whatever bytes have arrived. No allocation.
///
/// Usage: call ``step(_:)`` with the unconsumed bytes; on `.data` take the bytes and call again with
/// what follows `consumed`; on `.needMore` wait for more bytes (all given ones were used); stop at
/// `.end` or `.invalid`. After `.end` a further call answers `.end(consumed: 0)`, after `.invalid`,
/// `.invalid`.
public struct ChunkedDecoder: Sendable {
    /// Where in the grammar the next byte falls.
    enum State: UInt8, Sendable {
        /// First hex digit of a chunk-size.
        case sizeStart
        /// More hex digits, BWS, `;` or CR.
        case sizeDigits
        /// Whitespace after the size: more of it, or `;`.
        case sizeSpace
        /// After `;`: BWS, then the first byte of an extension name.
        case extNameStart
        /// More of an extension name, BWS, `=`, `;` or CR.
        case extName
        /// BWS after a name: more of it, `=` or `;`.
        case extNameSpace
        /// After `=`: BWS, then a token or a `"`.
        case extValueStart
        /// More of a token value, BWS, `;` or CR.
        case extToken
        /// Inside a quoted value, after its opening `"`.
        case extQuoted
        /// The byte after a `\` in a quoted value.
        case extQuotedPair
        /// Right after a value's closing `"`: BWS, `;` or CR.
        case extValueEnd
        /// BWS after a value: more of it, or `;`.
        case extValueSpace
        /// LF ending a size line.
        case sizeLF
        /// Chunk data; `value` bytes are left.
        case data
        /// CR after chunk data.
        case dataCR
        /// LF after chunk data.
        case dataLF
        /// Start of a trailer field line, or CR of the final empty line.
        case trailerStart
        /// Field name of a trailer line, up to `:`.
        case trailerName
        /// Field value of a trailer line, up to CR.
        case trailerValue
        /// LF ending a trailer line.
        case trailerLF
        /// LF of the final empty line.
        case finalLF
        case done
        case failed
    }

    /// At most this many hex digits in one chunk-size, leading zeros included.
    public static let maxSizeDigits = 32

    /// Body bytes delivered so far (sum of chunk data).
    public private(set) var bodyBytes: Int = 0

    var state: State = .sizeStart
    /// The chunk-size read so far in size states; the data bytes left in `.data`; 0 otherwise.
    var value: Int = 0
    /// Digits of the current chunk-size.
    var digits: Int = 0
    var extensionBytes: Int = 0
    var trailerBytes: Int = 0
    /// The rule of the strictness policy the body broke, once `.invalid` was returned.
    private(set) var brokenRule: StrictnessRule?
    let maxTrailerBytes: Int
    let maxExtensionBytes: Int

    /// - Parameters:
    ///   - maxTrailerBytes: most bytes of trailer field lines (CRLFs included, the final empty line not).
    ///   - maxExtensionBytes: most bytes of chunk extensions over the whole body, counted from the end of
    ///     each chunk-size to its CR (whitespace before `;` included).
    public init(maxTrailerBytes: Int = 16384, maxExtensionBytes: Int = 16384) {
        self.maxTrailerBytes = maxTrailerBytes
        self.maxExtensionBytes = maxExtensionBytes
    }

    /// The body ended (`.end` was returned).
    public var isDone: Bool { state == .done }

    /// Decodes from the start of `input`. Call again with the bytes after `consumed` (plus newly
    /// arrived bytes) until `.end` or `.invalid`. Reads only inside `input`.
    public mutating func step(_ input: UnsafeRawBufferPointer) -> ChunkedStep {
        if state == .done { return .end(consumed: 0) }
        if state == .failed { return .invalid }
        guard let p = input.baseAddress else { return .needMore(consumed: 0) }
        let n = input.count
        var i = 0
        @inline(__always) func byte(_ k: Int) -> UInt8 { p.load(fromByteOffset: k, as: UInt8.self) }

        while i < n {
            switch state {
            case .data:
                let take = min(value, n - i)
                value -= take
                bodyBytes &+= take
                if value == 0 { state = .dataCR }
                return .data(offset: i, count: take, consumed: i + take)

            case .sizeStart, .sizeDigits:
                // A run of hex digits; `digits` carries over a split.
                while i < n {
                    let d = Self.hexDigit(byte(i))
                    if d < 0 { break }
                    guard digits < Self.maxSizeDigits else { return fail(.chunkSizeTooLong) }
                    guard value <= Int.max >> 4 else { return fail(.chunkSize) }
                    value = value << 4 | d
                    digits &+= 1
                    i &+= 1
                }
                guard i < n else {
                    state = .sizeDigits
                    return .needMore(consumed: n)
                }
                let c = byte(i)
                guard digits > 0 else { return fail(at: c, .chunkSize) }
                if c == ByteClass.cr {
                    state = .sizeLF
                } else if c == UInt8(ascii: ";") {
                    state = .extNameStart
                } else if ByteClass.isOWS(c) {
                    state = .sizeSpace
                } else {
                    return fail(at: c, .chunkSize)
                }
                if c != ByteClass.cr, !countExtension(1) { return fail(.chunkExtensionsTooLarge) }
                i &+= 1

            case .sizeSpace, .extNameStart, .extName, .extNameSpace, .extValueStart, .extToken, .extQuoted,
                .extQuotedPair, .extValueEnd, .extValueSpace:
                // Extension bytes up to the CR that ends the size line; CR is allowed only where
                // a name or value is complete.
                let start = i
                while i < n {
                    let c = byte(i)
                    if c == ByteClass.cr, state == .extName || state == .extToken || state == .extValueEnd {
                        break
                    }
                    guard let next = Self.extensionState(after: c, in: state) else { return fail(at: c, .chunkExtension) }
                    state = next
                    i &+= 1
                }
                guard countExtension(i - start) else { return fail(.chunkExtensionsTooLarge) }
                if i < n {
                    state = .sizeLF
                    i &+= 1
                }

            case .sizeLF:
                guard byte(i) == ByteClass.lf else { return fail(.lineEnding) }
                i &+= 1
                digits = 0
                state = value == 0 ? .trailerStart : .data

            case .dataCR:
                guard byte(i) == ByteClass.cr else { return fail(at: byte(i), .chunkDataEnd) }
                state = .dataLF
                i &+= 1

            case .dataLF:
                guard byte(i) == ByteClass.lf else { return fail(.lineEnding) }
                state = .sizeStart
                i &+= 1

            case .trailerStart:
                let c = byte(i)
                if c == ByteClass.cr {
                    state = .finalLF
                } else if ByteClass.isTChar(c) {
                    guard countTrailer(1) else { return fail(.trailersTooLarge) }
                    state = .trailerName
                } else {
                    // A line starting with SP or HTAB (obs-fold) is no field line.
                    return fail(at: c, .trailerField)
                }
                i &+= 1

            case .trailerName:
                let start = i
                while i < n, ByteClass.isTChar(byte(i)) { i &+= 1 }
                guard countTrailer(i - start) else { return fail(.trailersTooLarge) }
                if i < n {
                    guard byte(i) == UInt8(ascii: ":") else { return fail(at: byte(i), .trailerField) }
                    guard countTrailer(1) else { return fail(.trailersTooLarge) }
                    state = .trailerValue
                    i &+= 1
                }

            case .trailerValue:
                let start = i
                while i < n, ByteClass.isValueChar(byte(i)) { i &+= 1 }
                guard countTrailer(i - start) else { return fail(.trailersTooLarge) }
                if i < n {
                    guard byte(i) == ByteClass.cr else { return fail(at: byte(i), .trailerField) }
                    guard countTrailer(1) else { return fail(.trailersTooLarge) }
                    state = .trailerLF
                    i &+= 1
                }

            case .trailerLF:
                guard byte(i) == ByteClass.lf else { return fail(.lineEnding) }
                guard countTrailer(1) else { return fail(.trailersTooLarge) }
                state = .trailerStart
                i &+= 1

            case .finalLF:
                guard byte(i) == ByteClass.lf else { return fail(.lineEnding) }
                state = .done
                return .end(consumed: i + 1)

            case .done, .failed:
                // Handled before the loop; neither is entered without returning.
                return state == .done ? .end(consumed: i) : .invalid
            }
        }
        return .needMore(consumed: n)
    }

    @inline(__always)
    mutating func fail(_ rule: StrictnessRule) -> ChunkedStep {
        state = .failed
        brokenRule = rule
        return .invalid
    }

    /// Fails at byte `c`: a bare LF breaks `.lineEnding`, anything else `rule`.
    @inline(__always)
    mutating func fail(at c: UInt8, _ rule: StrictnessRule) -> ChunkedStep {
        fail(c == ByteClass.lf ? .lineEnding : rule)
    }

    /// Adds `count` extension bytes; false once over the limit.
    @inline(__always)
    mutating func countExtension(_ count: Int) -> Bool {
        extensionBytes &+= count
        return extensionBytes <= maxExtensionBytes
    }

    /// Adds `count` trailer bytes; false once over the limit.
    @inline(__always)
    mutating func countTrailer(_ count: Int) -> Bool {
        trailerBytes &+= count
        return trailerBytes <= maxTrailerBytes
    }

    /// The extension state after byte `c` (never CR) in `state`, or nil when `c` breaks the
    /// chunk-ext grammar there.
    @inline(__always)
    static func extensionState(after c: UInt8, in state: State) -> State? {
        let semicolon = UInt8(ascii: ";")
        switch state {
        case .sizeSpace, .extValueSpace:
            if c == semicolon { return .extNameStart }
            return ByteClass.isOWS(c) ? state : nil
        case .extNameStart:
            if ByteClass.isTChar(c) { return .extName }
            return ByteClass.isOWS(c) ? state : nil
        case .extName, .extNameSpace:
            if state == .extName, ByteClass.isTChar(c) { return .extName }
            if c == UInt8(ascii: "=") { return .extValueStart }
            if c == semicolon { return .extNameStart }
            return ByteClass.isOWS(c) ? .extNameSpace : nil
        case .extValueStart:
            if ByteClass.isTChar(c) { return .extToken }
            if c == UInt8(ascii: "\"") { return .extQuoted }
            return ByteClass.isOWS(c) ? state : nil
        case .extToken, .extValueEnd:
            if state == .extToken, ByteClass.isTChar(c) { return .extToken }
            if c == semicolon { return .extNameStart }
            return ByteClass.isOWS(c) ? .extValueSpace : nil
        case .extQuoted:
            // qdtext is a field-value byte but `"` and `\` (RFC 9110 §5.6.4).
            if c == UInt8(ascii: "\"") { return .extValueEnd }
            if c == UInt8(ascii: "\\") { return .extQuotedPair }
            return ByteClass.isValueChar(c) ? state : nil
        case .extQuotedPair:
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): a field-value byte.
            return ByteClass.isValueChar(c) ? .extQuoted : nil
        default:
            return nil
        }
    }

    /// The value of a hex digit, either case; -1 for any other byte.
    @inline(__always)
    static func hexDigit(_ c: UInt8) -> Int {
        let d = c &- UInt8(ascii: "0")
        if d < 10 { return Int(d) }
        // Only `A`...`F` and `a`...`f` fold onto `a`...`f`.
        let l = (c | 0x20) &- UInt8(ascii: "a")
        if l < 6 { return Int(l) + 10 }
        return -1
    }
}
