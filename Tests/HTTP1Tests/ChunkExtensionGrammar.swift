// The chunk-extension grammar written as plainly as possible, apart from the decoder's states: the
// reference the decoder's unit tests and the differential fuzzer (Fuzz/AllowList.swift, which
// compiles this file too) check extensions against. No imports: it builds in both.

/// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1), matched
/// piece by piece: the reference for the decoder's extension states.
func isChunkExtension(_ text: ArraySlice<UInt8>) -> Bool {
    let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    func isValue(_ c: UInt8) -> Bool { c == 0x09 || (c >= 0x20 && c != 0x7F) }
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    var rest = text
    func skipBWS() { rest = rest.drop { $0 == 0x20 || $0 == 0x09 } }
    func take(_ c: UInt8) -> Bool {
        guard rest.first == c else { return false }
        rest = rest.dropFirst()
        return true
    }
    func token() -> Bool {
        let run = rest.prefix { tchars.contains($0) }
        rest = rest.dropFirst(run.count)
        return !run.isEmpty
    }
    func quotedString() -> Bool {
        guard take(quote) else { return false }
        while let c = rest.popFirst() {
            if c == quote { return true }
            guard isValue(c) else { return false }
            if c == backslash {
                guard let escaped = rest.popFirst(), isValue(escaped) else { return false }
            }
        }
        return false  // unterminated
    }
    while !rest.isEmpty {
        skipBWS()
        guard take(UInt8(ascii: ";")) else { return false }
        skipBWS()
        guard token() else { return false }
        let afterName = rest
        skipBWS()
        if take(UInt8(ascii: "=")) {
            skipBWS()
            guard token() || quotedString() else { return false }
        } else {
            rest = afterName
        }
    }
    return true
}
