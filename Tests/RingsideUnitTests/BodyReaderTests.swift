import HTTP1
import Testing

@testable import Ringside

/// The body reader over bytes split anywhere: what it hands the request,
/// where it stops, and the two ways a chunked body ends the connection.
struct BodyReaderTests {
    let reader = BodyReader(maxBodyBytes: 16, maxTrailerBytes: 64)

    func head(length: Int = -1, chunked: Bool = false) -> RequestHead {
        var head = RequestHead()
        head.contentLength = length
        head.isChunked = chunked
        return head
    }

    /// Feeds `parts` one after another; the progress of each and the offsets reached.
    func feed(_ body: inout Connection.Body, _ parts: [String], into request: PendingRequest? = nil)
        -> [(BodyReader.Progress, Int)] {
        parts.map { part in
            Array(part.utf8).withUnsafeBytes { bytes in
                var offset = 0
                let progress = reader.read(&body, bytes, offset: &offset, into: request)
                return (progress, offset)
            }
        }
    }

    @Test func aLengthBodySplitAcrossReadsStopsAtItsEnd() {
        var body = reader.start(head(length: 7))
        let steps = feed(&body, ["abc", "defgGET /next"])
        #expect(steps.map(\.1) == [3, 4], "the second read stops where the body ends")
        guard case .needMore = steps[0].0, case .ended = steps[1].0, case .none = body else {
            Issue.record("needMore then ended: \(steps.map(\.0))")
            return
        }
    }

    @Test func aChunkedBodyEndsAfterItsLastChunkAndTrailers() {
        var body = reader.start(head(chunked: true))
        let steps = feed(&body, ["3\r\nab", "c\r\n0\r\n", "\r\nrest"])
        guard case .needMore = steps[0].0, case .needMore = steps[1].0, case .ended = steps[2].0 else {
            Issue.record("needMore, needMore, ended: \(steps.map(\.0))")
            return
        }
        #expect(steps[2].1 == 2, "the rest is the next request's")
    }

    @Test func aChunkedBodyPastTheLimitIsTooLargeAndBrokenFramingInvalid() {
        var large = reader.start(head(chunked: true))
        guard case .tooLarge = feed(&large, ["11\r\n" + String(repeating: "x", count: 17) + "\r\n"])[0].0 else {
            Issue.record("17 bytes over a 16-byte limit")
            return
        }
        var broken = reader.start(head(chunked: true))
        guard case .invalid = feed(&broken, ["zz\r\n"])[0].0 else {
            Issue.record("a chunk size that is not hex")
            return
        }
    }
}
