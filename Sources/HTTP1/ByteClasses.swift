// Byte classes of RFC 9110: a lookup table, range tests and word-at-a-time (SWAR) tests.
// Members live in a namespace: the module is shared with other files.

enum ByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09

    /// Class bits of every byte, one row per high nibble: `@` + 1 for tchar (RFC 9110 §5.6.2),
    /// + 2 for a Host byte (uri-host and ":" port, RFC 3986). A literal lives in read-only
    /// data, so a lookup is one load with no lazy initialisation.
    static let table: StaticString = """
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @C@ACCCCBBCCBCC@\
        CCCCCCCCCCBB@B@@\
        @CCCCCCCCCCCCCCC\
        CCCCCCCCCCCB@BAC\
        ACCCCCCCCCCCCCCC\
        CCCCCCCCCCC@A@C@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@
        """

    @inline(__always)
    static func isTChar(_ c: UInt8) -> Bool { table.utf8Start[Int(c)] & 1 != 0 }

    @inline(__always)
    static func isHostChar(_ c: UInt8) -> Bool { table.utf8Start[Int(c)] & 2 != 0 }

    /// A request-target byte: visible ASCII, 0x21...0x7E.
    @inline(__always)
    static func isTargetChar(_ c: UInt8) -> Bool { c &- 0x21 < 0x5E }

    /// A field-value byte: HTAB, SP, VCHAR or obs-text (RFC 9110 §5.5); CR, LF, NUL, DEL are not.
    @inline(__always)
    static func isValueChar(_ c: UInt8) -> Bool { (c >= sp && c != 0x7F) || c == htab }

    @inline(__always)
    static func isOWS(_ c: UInt8) -> Bool { c == sp || c == htab }

    // MARK: - Word-at-a-time tests (exact for "any byte in the word", see Bit Twiddling Hacks).

    static let onesWord: UInt64 = 0x0101_0101_0101_0101
    static let highBitsWord: UInt64 = 0x8080_8080_8080_8080

    /// Some byte of `x` is below `n` (n <= 128).
    @inline(__always)
    static func anyByteBelow(_ x: UInt64, _ n: UInt8) -> Bool {
        (x &- onesWord &* UInt64(n)) & ~x & highBitsWord != 0
    }

    /// Some byte of `x` equals `c`.
    @inline(__always)
    static func anyByteEqual(_ x: UInt64, _ c: UInt8) -> Bool {
        let y = x ^ (onesWord &* UInt64(c))
        return (y &- onesWord) & ~y & highBitsWord != 0
    }

    /// Some byte of `x` is 0x7F or above.
    @inline(__always)
    static func anyByteAtLeast7F(_ x: UInt64) -> Bool {
        // Adding 1 to the low seven bits carries into bit 7 only for 0x7F; bytes >= 0x80 already have it.
        (((x & ~highBitsWord) &+ onesWord) | x) & highBitsWord != 0
    }

    /// The 8 bytes might stop a field-value scan (a control byte, HTAB included, or DEL).
    @inline(__always)
    static func wordMayEndValue(_ x: UInt64) -> Bool {
        anyByteBelow(x, sp) || anyByteEqual(x, 0x7F)
    }

    /// The 8 bytes might stop a path scan (a byte outside 0x21...0x7E, or `?`).
    @inline(__always)
    static func wordMayEndPath(_ x: UInt64) -> Bool {
        anyByteBelow(x, 0x21) || anyByteAtLeast7F(x) || anyByteEqual(x, UInt8(ascii: "?"))
    }

    /// The 8 bytes might stop a query scan (a byte outside 0x21...0x7E).
    @inline(__always)
    static func wordMayEndTarget(_ x: UInt64) -> Bool {
        anyByteBelow(x, 0x21) || anyByteAtLeast7F(x)
    }

    // MARK: - Case-insensitive comparison against lowercase ASCII literals.

    // Folding with `| 0x20` is exact for literals of lowercase letters and 0x20...0x3F
    // (digits, `-`, `:`, `/`): the only other byte that folds onto such a literal byte is a
    // control byte, and callers pass only tchar, target or field-value bytes, which have none.

    /// The `literal.utf8CodeUnitCount` bytes at `p` equal the lowercase `literal`, ignoring ASCII case.
    @inline(__always)
    static func hasPrefixLowercase(_ p: UnsafeRawPointer, _ literal: StaticString) -> Bool {
        let l = literal.utf8Start
        var i = 0
        while i < literal.utf8CodeUnitCount {
            if p.load(fromByteOffset: i, as: UInt8.self) | 0x20 != l[i] { return false }
            i &+= 1
        }
        return true
    }

    /// The `count` bytes at `p` equal the lowercase `literal`, ignoring ASCII case.
    @inline(__always)
    static func equalsLowercase(_ p: UnsafeRawPointer, _ count: Int, _ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && hasPrefixLowercase(p, literal)
    }
}
