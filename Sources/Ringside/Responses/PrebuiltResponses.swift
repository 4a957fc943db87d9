import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Every response a worker can send, laid out once in one buffer.
///
/// Each response exists in three variants that differ only in the
/// `connection` field, so a request picks bytes and never builds them. The
/// `date` of every variant is rewritten in place once a second by the owning
/// worker thread, between loop turns; with `DEFER_TASKRUN` the kernel reads
/// send buffers only inside this thread's `io_uring_enter`, so a send never
/// sees a half-written date.
struct PrebuiltResponses: ~Copyable {
    enum Variant: Int {
        /// HTTP/1.1 keep-alive: no connection field.
        case keepAlive = 0
        /// HTTP/1.0 asked to keep alive: `connection: keep-alive`.
        case keepAlive10 = 1
        /// The server closes after this response: `connection: close`.
        case close = 2

        /// The `connection` line this variant carries.
        var connectionLine: String {
            switch self {
            case .keepAlive: ""
            case .keepAlive10: "connection: keep-alive\r\n"
            case .close: "connection: close\r\n"
            }
        }
    }

    /// Where one variant lies in the buffer.
    struct Entry {
        var offset: Int
        var headLength: Int
        var length: Int
        var status: Int
    }

    /// Responses the server itself sends, first in the buffer, in `ID` order.
    enum ID: Int, CaseIterable {
        case badRequest, notFound, requestTimeout, contentTooLarge, uriTooLong, expectationFailed,
             headerFieldsTooLarge, notImplemented, versionNotSupported, options, handlerTimedOut

        func response(allow: String) -> StaticResponse {
            switch self {
            case .badRequest: .jsonError(.badRequest)
            case .notFound: .jsonError(.notFound)
            case .requestTimeout: .jsonError(.requestTimeout)
            case .contentTooLarge: .jsonError(.contentTooLarge)
            case .uriTooLong: .jsonError(.uriTooLong)
            case .expectationFailed: .jsonError(.expectationFailed)
            case .headerFieldsTooLarge: .jsonError(.requestHeaderFieldsTooLarge)
            case .notImplemented: .jsonError(.notImplemented)
            case .versionNotSupported: .jsonError(.httpVersionNotSupported)
            // `OPTIONS *`: what the server as a whole answers (RFC 9110 §9.3.7).
            case .options: StaticResponse(status: .ok, headerFields: [.allow: allow], body: [])
            // An async or offloaded handler ran past `Timeouts.handler`.
            case .handlerTimedOut: .jsonError(.serviceUnavailable)
            }
        }

        init(_ error: ParseError) {
            self = switch error {
            case .badRequest: .badRequest
            case .uriTooLong: .uriTooLong
            case .headerFieldsTooLarge: .headerFieldsTooLarge
            case .notImplemented: .notImplemented
            case .versionNotSupported: .versionNotSupported
            }
        }
    }

    private static let variantCount = 3
    private let storage: UnsafeMutableRawPointer
    private let entries: UnsafeMutablePointer<Entry>
    private let dateOffsets: UnsafeMutablePointer<Int>
    private let dateCount: Int
    private var dates = DateCache()
    private let dateBytes: UnsafeMutableRawPointer

    /// One variant laid out as bytes.
    private struct Encoded {
        var bytes: [UInt8]
        var headLength: Int
        var dateOffset: Int?
        var status: Int
    }

    /// Lays out `responses` (each in three variants); response *i* is then `bytes(i, ...)`.
    init(_ responses: [StaticResponse], serverHeaders: [(name: String, value: String)], now: Int) {
        let serverFields = Array(serverHeaders.map { "\($0.name): \($0.value)\r\n" }.joined().utf8)
        var encoded: [Encoded] = []
        for response in responses {
            let fields = response.headerFields.map { (name: $0.name.canonicalName, value: $0.value) }
            for variant in [Variant.keepAlive, .keepAlive10, .close] {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(256 + response.body.count)
                let dateOffset = serverFields.withUnsafeBytes { serverFields in
                    Array(variant.connectionLine.utf8).withUnsafeBytes { connection in
                        ResponseHeadEncoder.encode(
                            into: &bytes, status: response.status.code, reason: response.status.reasonPhrase,
                            fields: fields, serverFields: serverFields, date: nil,
                            framing: .contentLength(response.body.count), connection: connection)
                    }
                }
                let headLength = bytes.count
                if !ResponseHeadEncoder.isBodiless(response.status.code) { bytes += response.body }
                encoded.append(Encoded(bytes: bytes, headLength: headLength, dateOffset: dateOffset, status: response.status.code))
            }
        }

        let total = encoded.reduce(0) { $0 + $1.bytes.count }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 64)
        let entries = UnsafeMutablePointer<Entry>.allocate(capacity: max(encoded.count, 1))
        let dateOffsets = UnsafeMutablePointer<Int>.allocate(capacity: max(encoded.count, 1))
        var offset = 0
        var dateCount = 0
        for (index, response) in encoded.enumerated() {
            response.bytes.withUnsafeBytes { (storage + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            entries[index] = Entry(
                offset: offset, headLength: response.headLength, length: response.bytes.count, status: response.status)
            if let date = response.dateOffset {
                dateOffsets[dateCount] = offset + date
                dateCount += 1
            }
            offset += response.bytes.count
        }
        self.storage = storage
        self.entries = entries
        self.dateOffsets = dateOffsets
        self.dateCount = dateCount
        dateBytes = .allocate(byteCount: HTTPDate.length, alignment: 8)
        refreshDate(now: now)
    }

    deinit {
        storage.deallocate()
        entries.deallocate()
        dateOffsets.deallocate()
        dateBytes.deallocate()
    }

    /// The bytes to send for `response`: whole, or only its head (HEAD requests).
    @inline(__always)
    func bytes(_ response: Int, _ variant: Variant, headOnly: Bool) -> UnsafeRawBufferPointer {
        let entry = entries[response * PrebuiltResponses.variantCount + variant.rawValue]
        return UnsafeRawBufferPointer(start: storage + entry.offset, count: headOnly ? entry.headLength : entry.length)
    }

    /// The length of `response`'s head, its final empty line included.
    @inline(__always)
    func headLength(_ response: Int, _ variant: Variant) -> Int {
        entries[response * PrebuiltResponses.variantCount + variant.rawValue].headLength
    }

    /// The status code of `response`.
    @inline(__always)
    func status(_ response: Int) -> Int { entries[response * PrebuiltResponses.variantCount].status }

    /// The current date as sent (29 bytes), for responses encoded per request.
    var date: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: dateBytes, count: HTTPDate.length) }

    /// Rewrites every date field when the second changed.
    mutating func refreshDate(now: Int) {
        guard dates.update(epochSeconds: now) else { return }
        dates.bytes.withUnsafeBytes { date in
            dateBytes.copyMemory(from: date.baseAddress!, byteCount: HTTPDate.length)
            for index in 0..<dateCount {
                (storage + dateOffsets[index]).copyMemory(from: date.baseAddress!, byteCount: HTTPDate.length)
            }
        }
    }
}
