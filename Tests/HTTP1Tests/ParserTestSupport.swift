import Glibc
import HTTP1
import Testing

/// What one parse produced, copied out of the buffer so results can be compared.
struct Parsed: Equatable, CustomStringConvertible {
    var result: ParseResult
    var method: Method = .get
    var methodToken = ""
    var target = ""
    var path = ""
    var query = ""
    var versionMinor: UInt8 = 1
    var contentLength = -1
    var isChunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    var keepAlive = true
    var expectContinue = false
    var headers: [Field] = []

    struct Field: Equatable {
        var name: [UInt8]
        var value: [UInt8]
        var nameString: String { String(decoding: name, as: UTF8.self) }
        var valueString: String { String(decoding: value, as: UTF8.self) }
    }

    var headLength: Int? {
        if case .complete(let length) = result { return length }
        return nil
    }

    func header(_ name: String) -> String? {
        headers.first { $0.nameString.lowercased() == name.lowercased() }?.valueString
    }

    var description: String { "\(result) \(method) \(target) 1.\(versionMinor) \(headers.count) fields" }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Parses `input` placed so that its last byte is the last readable byte before an
/// inaccessible page (see `withGuardedBytes`).
func parse(
    _ input: [UInt8],
    limits: ParserLimits = ParserLimits(),
    previousLength: Int = 0,
    headerCapacity: Int = 100
) -> Parsed {
    let fields = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: headerCapacity)
    defer { fields.deallocate() }
    var head = RequestHead()
    head.headerCount = 99  // a reused head must be reset
    let result = withGuardedBytes(input) {
        RequestParser.parse($0, headers: fields, limits: limits, previousLength: previousLength, into: &head)
    }

    var parsed = Parsed(result: result)
    guard case .complete(let length) = result else { return parsed }
    guard length > 0, length <= input.count else {
        Issue.record("headLength \(length) outside 1...\(input.count)")
        return parsed
    }
    func text(_ span: ByteSpan) -> [UInt8] {
        guard span.end <= length else {
            Issue.record("span \(span) past the head (\(length))")
            return []
        }
        return Array(input[span.start..<span.end])
    }
    func string(_ span: ByteSpan) -> String { String(decoding: text(span), as: UTF8.self) }
    parsed.method = head.method
    parsed.methodToken = string(head.methodToken)
    parsed.target = string(head.target)
    parsed.path = string(head.path)
    parsed.query = string(head.query)
    parsed.versionMinor = head.versionMinor
    parsed.contentLength = head.contentLength
    parsed.isChunked = head.isChunked
    parsed.connectionClose = head.connectionClose
    parsed.connectionKeepAlive = head.connectionKeepAlive
    parsed.keepAlive = head.keepAlive
    parsed.expectContinue = head.expectContinue
    guard head.headerCount <= headerCapacity else {
        Issue.record("headerCount \(head.headerCount) over capacity \(headerCapacity)")
        return parsed
    }
    parsed.headers = (0..<head.headerCount).map {
        Parsed.Field(name: text(fields[$0].name), value: text(fields[$0].value))
    }
    return parsed
}

/// The request most clients send to the benchmark route.
let typicalRequest = "GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n"
