import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where two byte strings first differ, or nil when they are identical.
func firstDifference(_ got: [UInt8], _ expected: [UInt8]) -> String? {
    let equal =
        got.count == expected.count
        && (got.isEmpty
            || got.withUnsafeBytes { a in
                expected.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
            })
    if equal { return nil }
    var offset = 0
    while offset < min(got.count, expected.count), got[offset] == expected[offset] { offset += 1 }
    let context = String(decoding: got[min(offset, got.count)...].prefix(80), as: UTF8.self)
    return "got \(got.count) bytes, expected \(expected.count); first difference at offset \(offset): "
        + context.debugDescription
}

/// Checks a `GET /v1/avatar` response: 200, one content-length of 3696,
/// application/json, and the body byte-identical to the fixture.
/// Records at most one issue (with `context`) and returns whether it passed.
@discardableResult
func checkAvatar(
    _ response: HTTPResponse, expected: [UInt8], context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    let problem = avatarProblem(response, expected: expected)
    if let problem {
        Issue.record("\(context.isEmpty ? "" : context + ": ")\(problem)", sourceLocation: sourceLocation)
    }
    return problem == nil
}

/// What is wrong with an avatar response, or nil. Records nothing (the
/// concurrency test counts these instead of recording 10,000 issues).
func avatarProblem(_ response: HTTPResponse, expected: [UInt8]) -> String? {
    if response.status != 200 { return "status \(response.status), expected 200 (\(response.headSummary))" }
    let lengths = response.values(of: "content-length")
    if lengths != [String(Fixtures.avatarLength)] {
        return "content-length \(lengths), expected [\"\(Fixtures.avatarLength)\"]"
    }
    if response.header("content-type") != "application/json" {
        return "content-type \(response.header("content-type") ?? "missing"), expected application/json"
    }
    if let difference = firstDifference(response.body, expected) {
        return "body differs from the fixture: \(difference)"
    }
    return nil
}

/// Checks a 404 response: application/json, a content-length that matches
/// the body, and a body that parses as JSON.
func check404(_ response: HTTPResponse, context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let prefix = context.isEmpty ? "" : context + ": "
    #expect(response.status == 404, "\(prefix)\(response.headSummary)", sourceLocation: sourceLocation)
    #expect(
        response.header("content-type") == "application/json", "\(prefix)\(response.headSummary)",
        sourceLocation: sourceLocation)
    #expect(
        response.values(of: "content-length") == [String(response.body.count)],
        "\(prefix)content-length does not match the \(response.body.count)-byte body", sourceLocation: sourceLocation)
    #expect(
        (try? JSONSerialization.jsonObject(with: Data(response.body))) != nil,
        "\(prefix)404 body is not JSON: \(response.bodyText.debugDescription)", sourceLocation: sourceLocation)
}
