import HTTP1
import Testing

/// The method table is the one source of method names; the parser's fast
/// recogniser must agree with it.
@Suite struct MethodTableTests {
    @Test(arguments: Method.known)
    func parserRecognisesEveryKnownName(_ method: Method) {
        // CONNECT takes an authority-form target (RFC 9112 §3.2.3).
        let target = method == .connect ? "a:80" : "/"
        let parsed = parse(bytes("\(method.name) \(target) HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(parsed.headLength != nil)
        #expect(parsed.method == method)
        #expect(Method(name: method.name) == method)
    }

    @Test func namesAreCaseSensitiveAndOtherwiseOther() {
        #expect(parse(bytes("get / HTTP/1.1\r\nHost: a\r\n\r\n")).method == .other)
        #expect(parse(bytes("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n")).method == .other)
        #expect(Method(name: "get") == nil)
        #expect(Method.known.count == Method.allCases.count - 1)
    }
}
