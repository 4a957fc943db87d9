import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One parsed HTTP/1.x response as the raw client saw it.
struct HTTPResponse {
    var version: String
    var status: Int
    var reason: String
    /// Header fields in wire order, names exactly as received.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The values of every field called `name` (compared case-insensitively).
    func values(of name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// The value of the first field called `name`, if any.
    func header(_ name: String) -> String? { values(of: name).first }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The status line and headers, for failure messages.
    var headSummary: String {
        ([("\(version) \(status) \(reason)")] + headers.map { "\($0.name): \($0.value)" })
            .joined(separator: " | ")
    }
}

enum RawClientError: Error, CustomStringConvertible {
    case system(String, errno: Int32)
    case timedOut(String)
    case closedByPeer(String)
    case connectionReset(String)
    case malformed(String)

    var description: String {
        switch self {
        case .system(let what, let code): "\(what) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .timedOut(let what): "timed out \(what)"
        case .closedByPeer(let what): "peer closed the connection \(what)"
        case .connectionReset(let what): "connection reset by peer \(what)"
        case .malformed(let what): "malformed response: \(what)"
        }
    }
}

/// A blocking HTTP/1.1 client over a raw POSIX TCP socket, for driving the
/// server byte by byte. Every socket has receive and send timeouts, so a
/// silent server makes a call throw `timedOut` instead of hanging the test.
/// Bytes received past one response are kept for the next (pipelining).
final class RawClient {
    private(set) var fd: Int32
    /// Received bytes live in `storage[0..<count]`; those before `readIndex`
    /// have been consumed. Raw memory so a debug build stays fast when the
    /// concurrency test moves tens of megabytes through it.
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity = 16 * 1024
    private var count = 0
    private var readIndex = 0

    init(host: String = "127.0.0.1", port: UInt16, timeoutSeconds: Int = 5) throws {
        storage = .allocate(capacity: capacity)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        // Every stored property is set from here on: a throw runs deinit, which frees both.
        guard fd >= 0 else { throw RawClientError.system("socket()", errno: errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        // SO_SNDTIMEO also bounds connect() on Linux.
        guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size) == 0,
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size) == 0
        else { throw RawClientError.system("setsockopt(timeouts)", errno: errno) }
        // Each send() goes out at once: the byte-at-a-time test relies on it.
        var one: Int32 = 1
        guard setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
        else { throw RawClientError.system("setsockopt(TCP_NODELAY)", errno: errno) }

        var address = try Self.socketAddress(host: host, port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            if code == EINPROGRESS || code == EAGAIN {
                throw RawClientError.timedOut("connecting to \(host):\(port)")
            }
            throw RawClientError.system("connect(\(host):\(port))", errno: code)
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        storage.deallocate()
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    // MARK: Building requests

    /// `METHOD PATH VERSION`, a Host field, then `headers`, then the blank line.
    static func request(
        _ method: String = "GET", _ path: String = "/v1/avatar", version: String = "HTTP/1.1",
        headers: [String] = []
    ) -> [UInt8] {
        var text = "\(method) \(path) \(version)\r\nHost: 127.0.0.1\r\n"
        for field in headers { text += field + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The same with a body and its `Content-Length` (nil: no body, no length).
    static func request(_ method: String, _ path: String, headers: [String] = [], body: String?) -> [UInt8] {
        guard let body else { return request(method, path, headers: headers) }
        return request(method, path, headers: headers + ["Content-Length: \(body.utf8.count)"]) + Array(body.utf8)
    }

    // MARK: Sending

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let code = errno
                switch code {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: throw RawClientError.timedOut("sending (\(offset)/\(bytes.count) bytes sent)")
                case ECONNRESET, EPIPE: throw RawClientError.connectionReset("while sending")
                default: throw RawClientError.system("send()", errno: code)
                }
            }
            offset += sent
        }
    }

    // MARK: Receiving

    /// Reads one response. Pass `bodyExpected: false` for a response to HEAD,
    /// which carries a content-length but no body.
    func readResponse(bodyExpected: Bool = true) throws -> HTTPResponse {
        let headEnd = try readHead()
        let head = String(decoding: bytes(readIndex..<headEnd), as: UTF8.self)
        readIndex = headEnd + 4
        var lines = head.components(separatedByCRLF: ())
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1])
        else { throw RawClientError.malformed("status line \(statusLine.debugDescription)") }
        var response = HTTPResponse(
            version: String(parts[0]), status: status,
            reason: parts.count > 2 ? String(parts[2]) : "", headers: [], body: [])
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line[line.startIndex].isWhitespace
            else { throw RawClientError.malformed("header line \(line.debugDescription)") }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            response.headers.append((name, value))
        }

        let noBody = !bodyExpected || (100..<200).contains(status) || status == 204 || status == 304
        if noBody {
            compact()
            return response
        }
        if let coding = response.header("transfer-encoding") {
            guard coding == "chunked" else { throw RawClientError.malformed("transfer-encoding \(coding)") }
            response.body = try readChunkedBody()
            compact()
            return response
        }
        let lengths = response.values(of: "content-length")
        if lengths.isEmpty {
            response.body = try readToEOF()  // delimited by close
            return response
        }
        guard lengths.count == 1, let length = Int(lengths[0]), length >= 0 else {
            throw RawClientError.malformed("content-length \(lengths)")
        }
        while count - readIndex < length {
            guard try fill() else {
                throw RawClientError.closedByPeer(
                    "after \(count - readIndex) of \(length) body bytes (\(response.headSummary))")
            }
        }
        response.body = bytes(readIndex..<readIndex + length)
        readIndex += length
        compact()
        return response
    }

    /// Chunk sizes seen by the last `readResponse` of a chunked body.
    private(set) var lastChunkSizes: [Int] = []

    /// Reads a chunked body (no trailers expected) and records its chunk sizes.
    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        lastChunkSizes = []
        while true {
            let lineEnd = try readLine()
            let line = String(decoding: bytes(readIndex..<lineEnd), as: UTF8.self)
            readIndex = lineEnd + 2
            guard let size = Int(line, radix: 16) else { throw RawClientError.malformed("chunk size \(line.debugDescription)") }
            while count - readIndex < size + 2 {
                guard try fill() else { throw RawClientError.closedByPeer("inside a chunk") }
            }
            if size == 0 {
                guard bytes(readIndex..<readIndex + 2) == [13, 10] else { throw RawClientError.malformed("last chunk") }
                readIndex += 2
                return body
            }
            lastChunkSizes.append(size)
            body += bytes(readIndex..<readIndex + size)
            guard bytes(readIndex + size..<readIndex + size + 2) == [13, 10] else {
                throw RawClientError.malformed("chunk data not followed by CRLF")
            }
            readIndex += size + 2
        }
    }

    /// The index of the next CRLF at or after `readIndex`, reading more as needed.
    private func readLine() throws -> Int {
        var scanned = 0  // relative to readIndex: `fill` may slide the buffer
        while true {
            while readIndex + scanned + 1 < count {
                if storage[readIndex + scanned] == 13 && storage[readIndex + scanned + 1] == 10 { return readIndex + scanned }
                scanned += 1
            }
            guard try fill() else { throw RawClientError.closedByPeer("inside chunk framing") }
        }
    }

    /// Reads until the peer closes; returns every byte not yet consumed.
    func readToEOF() throws -> [UInt8] {
        while try fill() {}
        let rest = bytes(readIndex..<count)
        readIndex = 0
        count = 0
        return rest
    }

    enum PeerState: Equatable, CustomStringConvertible {
        /// recv returned 0: an orderly close (FIN).
        case closed
        /// recv failed with ECONNRESET.
        case reset
        /// Bytes arrived (or were already buffered) instead of a close.
        case sentData([UInt8])
        /// Nothing happened within the receive timeout.
        case stillOpen

        var description: String {
            switch self {
            case .closed: "closed"
            case .reset: "reset"
            case .sentData(let bytes):
                "sent \(bytes.count) more bytes: \(String(decoding: bytes.prefix(200), as: UTF8.self).debugDescription)"
            case .stillOpen: "still open after the receive timeout"
            }
        }
    }

    /// Waits up to the receive timeout for the peer to close the connection.
    func peerState() -> PeerState {
        if readIndex < count { return .sentData(bytes(readIndex..<count)) }
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return .closed }
            if n > 0 { return .sentData([byte]) }
            switch errno {
            case EINTR: continue
            case ECONNRESET: return .reset
            default: return .stillOpen
            }
        }
    }

    /// Whether bytes or an end are waiting to be read now: looks without waiting or consuming.
    func hasPendingInput() -> Bool {
        if readIndex < count { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) >= 0
    }

    /// True when recv reports an orderly close (EOF) within the receive timeout.
    func isClosedByPeer() -> Bool { peerState() == .closed }

    // MARK: Buffering

    private func bytes(_ range: Range<Int>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: range.count) { out, initialized in
            if range.count > 0 { memcpy(out.baseAddress!, storage + range.lowerBound, range.count) }
            initialized = range.count
        }
    }

    /// Returns the index in the buffer where the head's CRLFCRLF starts.
    private func readHead() throws -> Int {
        // Kept relative to readIndex: `fill` may slide the buffer.
        var scanned = 0
        while true {
            // Stray bytes (say, a body after a HEAD response) show up here at once.
            if count - readIndex >= 5, memcmp(storage + readIndex, "HTTP/", 5) != 0 {
                let stray = String(decoding: bytes(readIndex..<min(count, readIndex + 80)), as: UTF8.self)
                throw RawClientError.malformed("expected a status line, got \(stray.debugDescription)")
            }
            if let end = findCRLFCRLF(from: readIndex + scanned) { return end }
            scanned = max(0, count - readIndex - 3)
            if count - readIndex > 64 * 1024 {
                throw RawClientError.malformed("no end of head within 64 KiB")
            }
            guard try fill() else {
                let partial = String(decoding: bytes(readIndex..<min(count, readIndex + 300)), as: UTF8.self)
                throw RawClientError.closedByPeer(
                    count == readIndex
                        ? "before a response arrived" : "in the middle of a response head: \(partial.debugDescription)")
            }
        }
    }

    private func findCRLFCRLF(from start: Int) -> Int? {
        var i = start
        while i + 3 < count {
            if storage[i] == 13, storage[i + 1] == 10, storage[i + 2] == 13, storage[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// One recv into the buffer. False on EOF; throws on timeout or error.
    private func fill() throws -> Bool {
        if readIndex > 0 && readIndex == count {
            readIndex = 0
            count = 0
        }
        if capacity - count < 16 * 1024 {
            if readIndex > 0 {  // slide the unconsumed bytes to the front
                memmove(storage, storage + readIndex, count - readIndex)
                count -= readIndex
                readIndex = 0
            }
            if capacity - count < 16 * 1024 {
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                memcpy(bigger, storage, count)
                storage.deallocate()
                storage = bigger
                capacity *= 2
            }
        }
        while true {
            let n = recv(fd, storage + count, capacity - count, 0)
            if n > 0 {
                count += n
                return true
            }
            if n == 0 { return false }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                throw RawClientError.timedOut("waiting for data (\(count - readIndex) unconsumed bytes buffered)")
            case ECONNRESET: throw RawClientError.connectionReset("while receiving")
            default: throw RawClientError.system("recv()", errno: code)
            }
        }
    }

    private func compact() {
        if readIndex == count {
            readIndex = 0
            count = 0
        }
    }

    // MARK: Addresses and ports

    static func socketAddress(host: String, port: UInt16) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw RawClientError.malformed("not an IPv4 address: \(host)")
        }
        return address
    }

    /// A TCP port on 127.0.0.1 for a server that must be told its port, free when asked and
    /// free of races: it lies below the kernel's ephemeral range (`ip_local_port_range`), so no
    /// server binding port 0 and no client socket is handed it meanwhile, and each call in this
    /// process takes the next one from a random start, so two tests never share it.
    static func findFreePort() throws -> UInt16 {
        let ephemeralLow = readProcFile("/proc/sys/net/ipv4/ip_local_port_range")
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32768
        let range = 10_000..<max(ephemeralLow, 10_001)
        for _ in 0..<range.count {
            let port = range.lowerBound + nextPortOffset.add(1, ordering: .relaxed).newValue % range.count
            if canBind(UInt16(port)) { return UInt16(port) }
        }
        throw RawClientError.system("no free port below \(ephemeralLow)", errno: EADDRINUSE)
    }

    /// Connects the moment `port` accepts (a server that prints no Listening line, or not yet),
    /// trying every millisecond for up to `seconds` while `alive` holds; the last failure otherwise.
    static func connectWhenAccepting(
        port: UInt16, within seconds: Double, timeoutSeconds: Int = 5, while alive: () -> Bool = { true }
    ) throws -> RawClient {
        let deadline = monotonicSeconds() + seconds
        while true {
            do {
                return try RawClient(port: port, timeoutSeconds: timeoutSeconds)
            } catch {
                if monotonicSeconds() > deadline || !alive() { throw error }
                usleep(1000)
            }
        }
    }

    private static func canBind(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        guard var address = try? socketAddress(host: "127.0.0.1", port: port) else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Where this process's next `findFreePort` looks: a random start, then one up per call.
private let nextPortOffset = Atomic<Int>(Int.random(in: 0..<20_000))

extension String {
    /// Splits on CRLF (only; a bare LF stays inside a line).
    fileprivate func components(separatedByCRLF _: Void) -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 13, i + 1 < bytes.count, bytes[i + 1] == 10 {
                lines.append(String(decoding: current, as: UTF8.self))
                current.removeAll()
                i += 2
            } else {
                current.append(bytes[i])
                i += 1
            }
        }
        lines.append(String(decoding: current, as: UTF8.self))
        return lines
    }

    fileprivate func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var slice = Substring(self)
        while let first = slice.first, chars.contains(first) { slice.removeFirst() }
        while let last = slice.last, chars.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
