import HTTP1
import Testing

@testable import Ringside

/// The client's response reader on whole responses split at every byte, and on each way a response can fail.
struct ClientResponseReaderTests {
    struct Result: Equatable, CustomStringConvertible {
        var outcome: String
        var status = 0
        var body: [UInt8] = []
        var reusable = false
        var description: String { "\(outcome) \(status) \(body.count) bytes reusable=\(reusable)" }
    }

    /// Feeds `pieces` one `read` each; stops at the first outcome that is not `.needMore`.
    func read(
        _ pieces: [[UInt8]], head: Bool = false, maxHead: Int = 1024, maxBody: Int = 1 << 20, eof: Bool = false
    ) -> Result {
        var reader = ClientResponseReader()
        defer { reader.reset() }
        let fields = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: 16)
        defer { fields.deallocate() }
        reader.begin(requestWasHead: head, maxHeadBytes: maxHead, maxBodyBytes: maxBody)
        var outcome = ClientResponseReader.Outcome.needMore
        for piece in pieces {
            outcome = piece.withUnsafeBytes { reader.read($0, fields: fields) }
            if case .needMore = outcome { continue }
            break
        }
        if eof, case .needMore = outcome { outcome = reader.peerFinished() }
        switch outcome {
        case .needMore:
            return Result(outcome: "needMore")
        case .failed(let error):
            return Result(outcome: "\(error)")
        case .complete(let reusable):
            let response = reader.takeResponse()
            return Result(outcome: "complete", status: response.status.code, body: response.body, reusable: reusable)
        }
    }

    /// The whole input as one piece, as two pieces at every split point, and a byte at a time.
    func everySplit(_ text: String, head: Bool = false, eof: Bool = false, maxHead: Int = 1024) -> [Result] {
        let input = Array(text.utf8)
        var results = [read([input], head: head, maxHead: maxHead, eof: eof)]
        for cut in 1..<input.count {
            results.append(read([Array(input[..<cut]), Array(input[cut...])], head: head, maxHead: maxHead, eof: eof))
        }
        results.append(read(input.map { [$0] }, head: head, maxHead: maxHead, eof: eof))
        return results
    }

    static let avatarLike = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}"

    @Test func contentLengthAtEverySplit() {
        for result in everySplit(Self.avatarLike) {
            #expect(result == Result(outcome: "complete", status: 200, body: Array("{\"ok\":true}".utf8), reusable: true))
        }
    }

    @Test func chunkedAtEverySplit() {
        let text = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n"
        for result in everySplit(text) {
            #expect(result == Result(outcome: "complete", status: 201, body: Array("hello world".utf8), reusable: true))
        }
    }

    @Test func interimHeadsAreSkipped() {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + Self.avatarLike
        for result in everySplit(text) {
            #expect(result.outcome == "complete" && result.status == 200 && result.body.count == 11)
        }
        #expect(read([Array("HTTP/1.1 101 Switching Protocols\r\n\r\n".utf8)]).outcome.contains("101"))
    }

    @Test func closeDelimitedBodyEndsAtEOF() {
        for result in everySplit("HTTP/1.0 200 OK\r\n\r\nuntil the end", eof: true) {
            #expect(result == Result(outcome: "complete", status: 200, body: Array("until the end".utf8), reusable: false))
        }
        #expect(read([Array("HTTP/1.1 200 OK\r\n\r\nmore".utf8)]).outcome == "needMore")
    }

    @Test func bodilessResponses() {
        #expect(read([Array("HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n".utf8)], head: true)
            == Result(outcome: "complete", status: 200, reusable: true))
        #expect(read([Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)]) == Result(outcome: "complete", status: 204, reusable: true))
        #expect(read([Array("HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n".utf8)])
            == Result(outcome: "complete", status: 304, reusable: true))
    }

    @Test func connectionReuse() {
        // `connection: close`, HTTP/1.0, and bytes after the body each end the connection.
        #expect(read([Array("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\nx".utf8)]).reusable == false)
        #expect(read([Array("HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nx".utf8)]).reusable == false)
        #expect(read([Array("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 1\r\n\r\nx".utf8)]).reusable)
        let longer = read([Array("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdef".utf8)])
        #expect(longer == Result(outcome: "complete", status: 200, body: Array("abc".utf8), reusable: false))
        let afterChunks = read([Array("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nX".utf8)])
        #expect(afterChunks.outcome == "complete" && !afterChunks.reusable)
    }

    @Test func failures() {
        func outcome(_ text: String, eof: Bool = false, maxHead: Int = 1024, maxBody: Int = 1 << 20) -> String {
            read([Array(text.utf8)], maxHead: maxHead, maxBody: maxBody, eof: eof).outcome
        }
        #expect(outcome("HTTP/1.1 200 OK\nX: y\n\n").contains("lineEnding"))
        #expect(outcome("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab", eof: true) == "\(HTTPClientError.closedEarly)")
        #expect(outcome("HTTP/1.1 2", eof: true) == "\(HTTPClientError.closedEarly)")
        #expect(outcome("", eof: true) == "\(HTTPClientError.closedEarly)")
        #expect(outcome("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\n", maxBody: 5) == "\(HTTPClientError.tooLarge)")
        #expect(outcome("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello", maxBody: 5) == "complete")
        let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n"
        #expect(outcome(chunked, maxBody: 5) == "\(HTTPClientError.tooLarge)")
        #expect(outcome(chunked, maxBody: 6) == "complete")
        #expect(outcome("HTTP/1.1 200 OK\r\n\r\n0123456789", maxBody: 5) == "\(HTTPClientError.tooLarge)")
        #expect(outcome("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n").contains("chunked body"))
        #expect(outcome(Self.avatarLike, maxHead: 40) == "\(HTTPClientError.tooLarge)")
    }

    /// A head over the limit fails however it is split; one at the limit passes.
    @Test func headLimitAcrossReads() {
        let head = Self.avatarLike.utf8.count - 11
        for result in everySplit(Self.avatarLike, maxHead: head - 1) { #expect(result.outcome == "\(HTTPClientError.tooLarge)") }
        for result in everySplit(Self.avatarLike, maxHead: head) { #expect(result.outcome == "complete") }
        // The limit counts interim heads too.
        let interim = "HTTP/1.1 100 Continue\r\n\r\n"
        for result in everySplit(interim + Self.avatarLike, maxHead: head + interim.utf8.count - 1) {
            #expect(result.outcome == "\(HTTPClientError.tooLarge)")
        }
    }

    @Test func responseFields() {
        var reader = ClientResponseReader()
        defer { reader.reset() }
        let fields = UnsafeMutableBufferPointer<HeaderField>.allocate(capacity: 16)
        defer { fields.deallocate() }
        reader.begin(requestWasHead: false, maxHeadBytes: 1024, maxBodyBytes: 1024)
        let text = "HTTP/1.1 404 Not There\r\nX-A: one \r\nx-a:two\r\nContent-Length: 0\r\n\r\n"
        _ = Array(text.utf8).withUnsafeBytes { reader.read($0, fields: fields) }
        let response = reader.takeResponse()
        #expect(response.status.code == 404 && response.status.reasonPhrase == "Not There")
        #expect(response.headers.count == 3)
        #expect(response.headers[HTTPField.Name("x-a")!] == "one")
        #expect(response.headers[values: HTTPField.Name("X-A")!] == ["one", "two"])
        #expect(response.headers.contains(.contentLength) && !response.headers.contains(.contentType))
        #expect(response.headers.httpFields.count == 3)
    }
}

/// Requests as laid out for sending, and upstream addresses.
struct HTTPClientRequestTests {
    @Test func layout() throws {
        let get = try HTTPClient.Request(path: "/v1/avatar", headerFields: [.accept: "application/json", Headers.host: "ignored"])
        #expect(String(decoding: get.line, as: UTF8.self) == "GET /v1/avatar HTTP/1.1\r\n")
        #expect(String(decoding: get.rest, as: UTF8.self) == "accept: application/json\r\n\r\n")
        let post = try HTTPClient.Request(method: .post, path: "/echo?x=1", body: Array("hi".utf8))
        #expect(String(decoding: post.rest, as: UTF8.self) == "content-length: 2\r\n\r\nhi")
        let put = try HTTPClient.Request(method: .put, path: "/p")
        #expect(String(decoding: put.rest, as: UTF8.self) == "content-length: 0\r\n\r\n")
        withExtendedLifetime((get, post, put)) {}  // `line` and `rest` point into their bytes
        #expect(try HTTPClient.Request(path: "/").isIdempotent && !post.isIdempotent)
        for bad in ["", "v1", "/a b", "/a\r\nx: y", "/caf\u{E9}"] {
            #expect(throws: HTTPClientError.self) { try HTTPClient.Request(path: bad) }
        }
    }

    @Test func addresses() throws {
        #expect(try UpstreamAddress(url: "http://127.0.0.1:8080").authority == "127.0.0.1:8080")
        #expect(try UpstreamAddress(url: "http://[::1]:81/").authority == "[::1]:81")
        #expect(try UpstreamAddress(host: "localhost", port: 3000).authority == "127.0.0.1:3000")
        // HTTPS keeps the host as given: what the upstream's certificate is checked against.
        let secure = try UpstreamAddress(url: "https://localhost:8443")
        #expect(secure.authority == "127.0.0.1:8443" && secure.host == "localhost")
        #expect(try UpstreamAddress(url: "https://[::1]:8443/").host == "::1")
        for bad in ["ftp://127.0.0.1:1", "https://127.0.0.1", "http://127.0.0.1", "http://example.com:80", "http://1.2.3.4:0", "http://1.2.3.4:80/x",
                    "http://u@1.2.3.4:80", "http://:80"] {
            #expect(throws: HTTPClientError.self, "\(bad)") { try UpstreamAddress(url: bad) }
        }
        #expect(HTTPClientError.timedOut(.responseHead).gatewayStatus == .gatewayTimeout)
        #expect(HTTPClientError.poolExhausted.gatewayStatus == .serviceUnavailable)
        #expect(HTTPClientError.closedEarly.gatewayStatus == .badGateway)
    }
}

/// The pool's waiting line against a plain array.
struct WaitingLineTests {
    @Test func againstAModel() {
        var line = WaitingLine<Int>(capacity: 100)
        var model: [Int] = []
        var generator = SystemRandomNumberGenerator()
        var next = 0
        for _ in 0..<20_000 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                let accepted = line.append(next)
                #expect(accepted == (model.count < 100))
                if accepted { model.append(next) }
                next += 1
            case 5..<9:
                #expect(line.popFirst() == (model.isEmpty ? nil : model.removeFirst()))
            default:
                let wanted = model.randomElement(using: &generator) ?? -1
                let removed = line.remove { $0 == wanted }
                #expect(removed == (wanted < 0 ? nil : wanted))
                if let index = model.firstIndex(of: wanted) { model.remove(at: index) }
            }
            #expect(line.count == model.count && line.first == model.first)
        }
    }
}
