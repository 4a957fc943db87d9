// Field lines (RFC 9112 §5), scanned one line at a time the same way for a request head and a
// response head. The step throws nothing: each parser maps what it returns to its own error
// type, rules and limits, so both keep exactly their own verdicts.

/// One field line's spans, as offsets into the scanned bytes.
struct FieldLine {
    /// The field name's first byte and length.
    var name: Int
    var nameCount: Int
    /// The field value, without the OWS around it.
    var value: Int
    var valueEnd: Int
    /// The offset after the line's CRLF.
    var next: Int

    /// The field as the caller's header array holds it.
    @inline(__always)
    var headerField: HeaderField {
        HeaderField(name: ByteSpan(offset: name, count: nameCount), value: ByteSpan(offset: value, count: valueEnd - value))
    }
}

/// What a field line broke.
enum FieldLineFault {
    /// A bare LF, or a CR not followed by LF.
    case lineEnding
    /// The line starts with whitespace: obs-fold (RFC 9112 §5.2).
    case obsFold
    /// An empty name, a byte outside token in it, or whitespace before the colon.
    case fieldName
    /// A byte that cannot be in a field value (a control byte other than HTAB, or DEL).
    case fieldValue
}

/// What one step over the field section found.
enum FieldLineStep {
    /// A field line.
    case field(FieldLine)
    /// The empty line that ends the head; the offset after it is the head's length.
    case end(headLength: Int)
    /// The bytes ran out before the line ended.
    case outOfBytes
    /// The line breaks the grammar.
    case invalid(FieldLineFault)
}

/// Scanning helpers shared by ``RequestParser`` and ``ResponseParser``, over the raw bytes.
enum FieldLines {
    /// Scans the field line, or the head's final empty line, that starts at `start`;
    /// bytes at `end` and beyond are not looked at.
    @inline(__always)
    static func step(_ p: UnsafeRawPointer, at start: Int, end: Int) -> FieldLineStep {
        @inline(__always) func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }
        var i = start
        guard i < end else { return .outOfBytes }
        var c = byte(i)
        if c == ByteClass.cr || c == ByteClass.lf {
            guard c == ByteClass.cr else { return .invalid(.lineEnding) }
            guard i + 1 < end else { return .outOfBytes }
            guard byte(i + 1) == ByteClass.lf else { return .invalid(.lineEnding) }
            return .end(headLength: i + 2)
        }
        if ByteClass.isOWS(c) { return .invalid(.obsFold) }

        // field-name ":" — whitespace before the colon fails here.
        let nameStart = i
        while i < end, ByteClass.isTChar(byte(i)) { i &+= 1 }
        guard i < end else { return .outOfBytes }
        c = byte(i)
        guard c == UInt8(ascii: ":"), i > nameStart else { return .invalid(.fieldName) }
        let nameCount = i - nameStart
        i &+= 1

        // Running out of bytes here is found after the value.
        while i < end, ByteClass.isOWS(byte(i)) { i &+= 1 }
        let valueStart = i
        i = skipValueBytes(p, from: i, to: end)
        guard i < end else { return .outOfBytes }
        // The byte that stopped the value must be the CR of the line's CRLF.
        c = byte(i)
        guard c == ByteClass.cr else { return .invalid(c == ByteClass.lf ? .lineEnding : .fieldValue) }
        guard i + 1 < end else { return .outOfBytes }
        guard byte(i + 1) == ByteClass.lf else { return .invalid(.lineEnding) }
        var valueEnd = i
        while valueEnd > valueStart, ByteClass.isOWS(byte(valueEnd - 1)) { valueEnd &-= 1 }
        return .field(FieldLine(name: nameStart, nameCount: nameCount, value: valueStart, valueEnd: valueEnd, next: i + 2))
    }

    /// Offset of the first byte in `start..<stop` that cannot be in a field value, or `stop`.
    @inline(__always)
    static func skipValueBytes(_ p: UnsafeRawPointer, from start: Int, to stop: Int) -> Int {
        var i = start
        while i + 8 <= stop, !ByteClass.wordMayEndValue(p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i &+= 8 }
        while i < stop, ByteClass.isValueChar(p.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
        return i
    }
}
