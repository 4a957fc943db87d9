import HTTP1
import Testing

/// Checks every byte value in every class the parser distinguishes, against the RFC 9110 grammar,
/// at every offset within a machine word (the parser scans some runs 8 bytes at a time).
@Suite struct ByteClassTests {
    static let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    @Test func methodAndNameBytesAreTokens() {
        for b in UInt8.min...UInt8.max {
            let methodLine = [UInt8(ascii: "G"), b, UInt8(ascii: "T")] + bytes(" / HTTP/1.1\r\nHost: a\r\n\r\n")
            let method = parse(methodLine).result
            let name = parse(bytes("GET / HTTP/1.1\r\nHost: a\r\nX") + [b] + bytes("Y: v\r\n\r\n")).result
            if Self.tchars.contains(b) {
                #expect(method != .incomplete && method != .invalid(.badRequest), "method byte \(b)")
                #expect(name != .incomplete && name != .invalid(.badRequest), "name byte \(b)")
            } else {
                #expect(method == .invalid(.badRequest), "method byte \(b)")
                // "X:Y: v" is the field X with value "Y: v".
                if b != UInt8(ascii: ":") { #expect(name == .invalid(.badRequest), "name byte \(b)") }
            }
        }
    }

    @Test(arguments: 0..<20)
    func valueBytes(at offset: Int) {
        for b in UInt8.min...UInt8.max {
            var value = [UInt8](repeating: UInt8(ascii: "v"), count: 20)
            value[offset] = b
            let p = parse(bytes("GET / HTTP/1.1\r\nHost: a\r\nX: ") + value + bytes("\r\n\r\n"))
            let allowed = b == 0x09 || b == 0x20 || (0x21...0x7E).contains(b) || b >= 0x80
            if allowed {
                // Whitespace at either end is trimmed.
                let edge = offset == 0 || offset == value.count - 1
                let expected = edge && (b == 0x09 || b == 0x20) ? value.filter { $0 != b } : value
                #expect(p.headers.last?.value == expected, "value byte \(b) at \(offset)")
            } else {
                #expect(p.result == .invalid(.badRequest), "value byte \(b) at \(offset)")
            }
        }
    }

    @Test(arguments: 0..<20)
    func targetBytes(at offset: Int) {
        for b in UInt8.min...UInt8.max {
            var target = [UInt8](repeating: UInt8(ascii: "t"), count: 21)
            target[0] = UInt8(ascii: "/")
            target[offset + 1] = b
            let p = parse(bytes("GET ") + target + bytes(" HTTP/1.1\r\nHost: a\r\n\r\n"))
            if (0x21...0x7E).contains(b) {
                #expect(p.target == String(decoding: target, as: UTF8.self), "target byte \(b) at \(offset)")
                let question = target.firstIndex(of: UInt8(ascii: "?")) ?? target.count
                #expect(p.path == String(decoding: target[..<question], as: UTF8.self))
            } else {
                #expect(p.result == .invalid(.badRequest), "target byte \(b) at \(offset)")
            }
        }
    }

    @Test func hostBytes() {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%".utf8)
        for b in UInt8(0x21)...UInt8(0xFF) where b != 0x7F {
            let p = parse(bytes("GET / HTTP/1.1\r\nHost: a") + [b] + bytes("b\r\n\r\n")).result
            #expect((p == .invalid(.badRequest)) != allowed.contains(b), "host byte \(b)")
        }
    }
}
