import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Helpers shared by the Hardening*Tests suites: socket options RawClient does
// not set (SO_LINGER, SHUT_WR, short receive timeouts), waiting with a deadline
// without consuming bytes, timing closes, and checks of the server's error
// responses and descriptor count.

/// Seconds on a monotonic clock, for measuring how long the server took.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Sleeps for `seconds` (fractional).
func pause(_ seconds: Double) {
    usleep(useconds_t(seconds * 1_000_000))
}

/// The request `RawClient.request` builds, as a string to splice bodies into.
func requestText(
    _ method: String = "GET", _ path: String = "/v1/avatar", version: String = "HTTP/1.1", headers: [String] = []
) -> String {
    String(decoding: RawClient.request(method, path, version: version, headers: headers), as: UTF8.self)
}

extension RawClient {
    /// Replaces the receive timeout (fractional seconds). `peerState()` and
    /// `readResponse()` wait at most this long for each recv.
    func setReceiveTimeout(_ seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `shutdown(SHUT_WR)`: the server reads EOF after what was sent; we can still read.
    func shutdownWrite() throws {
        guard shutdown(fd, Int32(SHUT_WR)) == 0 else { throw RawClientError.system("shutdown(SHUT_WR)", errno: errno) }
    }

    /// SO_LINGER {1, 0} and close: the kernel discards anything unsent and
    /// sends RST instead of FIN.
    func resetConnection() {
        guard fd >= 0 else { return }
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    /// Waits up to `seconds` for the socket to become readable (bytes, EOF or
    /// an error), without consuming anything. Bytes RawClient has already
    /// buffered are not seen here: call it only when none are.
    func waitReadable(seconds: Double) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = monotonicSeconds() + seconds
        while true {
            let left = max(0, deadline - monotonicSeconds())
            let result = poll(&entry, 1, Int32((left * 1000).rounded(.up)))
            if result > 0 { return true }
            if result == 0 { return false }
            if errno != EINTR { return true }  // let the next recv report it
        }
    }

    /// `send` that reports a peer that has gone (reset, closed, timed out) as
    /// false instead of throwing: for clients that keep writing while the
    /// server may be closing on them.
    func trySend(_ bytes: [UInt8]) -> Bool {
        do {
            try send(bytes)
            return true
        } catch {
            return false
        }
    }

    /// Waits up to `seconds` for the server to end the connection; returns
    /// how it ended (see `PeerState`) and after how long.
    func timeUntilPeerEnds(within seconds: Double) -> (state: PeerState, seconds: Double) {
        setReceiveTimeout(seconds)
        let start = monotonicSeconds()
        let state = peerState()
        return (state, monotonicSeconds() - start)
    }
}

/// Whether a response's `connection` field lists the `close` option.
func saysConnectionClose(_ response: HTTPResponse) -> Bool {
    response.values(of: "connection").contains { value in
        value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
    }
}

/// Checks one of the server's own error responses: the status, a small
/// application/json body that parses, and a content-length matching it.
/// With `closes`, also a `connection: close` field.
func checkErrorResponse(
    _ response: HTTPResponse, status: Int, closes: Bool, context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let prefix = context.isEmpty ? "" : context + ": "
    #expect(
        response.status == status, "\(prefix)expected \(status), got \(response.headSummary) \(response.bodyText.prefix(200).debugDescription)",
        sourceLocation: sourceLocation)
    #expect(
        response.header("content-type") == "application/json",
        "\(prefix)error response content-type: \(response.headSummary)", sourceLocation: sourceLocation)
    #expect(
        response.values(of: "content-length") == [String(response.body.count)],
        "\(prefix)content-length \(response.values(of: "content-length")) does not match the \(response.body.count)-byte body",
        sourceLocation: sourceLocation)
    #expect(
        (try? JSONSerialization.jsonObject(with: Data(response.body))) != nil,
        "\(prefix)error body is not JSON: \(response.bodyText.prefix(200).debugDescription)",
        sourceLocation: sourceLocation)
    #expect(response.body.count <= 1024, "\(prefix)error body is \(response.body.count) bytes", sourceLocation: sourceLocation)
    if closes {
        #expect(
            saysConnectionClose(response), "\(prefix)\(status) without connection: close: \(response.headSummary)",
            sourceLocation: sourceLocation)
    }
}

/// Checks the 405 for a non-GET/HEAD method on /v1/avatar.
func check405(_ response: HTTPResponse, context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    checkErrorResponse(response, status: 405, closes: false, context: context, sourceLocation: sourceLocation)
    let allow = response.header("allow") ?? ""
    let methods = allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(
        methods.contains("GET") && methods.contains("HEAD"),
        "\(context.isEmpty ? "" : context + ": ")405 allow: \(allow.debugDescription)", sourceLocation: sourceLocation)
}

/// Reads one response that must be the error `status` with `connection:
/// close`, then expects the server to end the connection: with an orderly
/// FIN, or (when `allowReset`, for cases where the server may stop reading
/// before the client's last bytes) with an RST.
func expectErrorThenClose(
    _ client: RawClient, status: Int, allowReset: Bool = false, context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let response = try client.readResponse()
    checkErrorResponse(response, status: status, closes: true, context: context, sourceLocation: sourceLocation)
    let state = client.timeUntilPeerEnds(within: 3).state
    let ok = state == .closed || (allowReset && state == .reset)
    #expect(
        ok, "\(context.isEmpty ? "" : context + ": ")after the \(status) the connection was \(state), expected EOF",
        sourceLocation: sourceLocation)
}

/// Entries in /proc/PID/fd: the server's open descriptors.
func openDescriptorCount(_ pid: Int32) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
}

/// Polls the server's descriptor count until it is back to `baseline` or
/// `seconds` pass; returns the last count.
func waitForDescriptors(_ pid: Int32, toReturnTo baseline: Int, within seconds: Double = 5) throws -> Int {
    let deadline = monotonicSeconds() + seconds
    var count = try openDescriptorCount(pid)
    while count != baseline && monotonicSeconds() < deadline {
        usleep(20_000)
        count = try openDescriptorCount(pid)
    }
    return count
}

/// Waits up to `seconds` for the process to exit (without signalling it).
func waitForExit(_ server: ServerProcess, within seconds: Double) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while server.isRunning {
        if monotonicSeconds() >= deadline { return false }
        usleep(5_000)
    }
    return true
}

/// A bare client socket with a small receive buffer, set before connect so
/// the advertised window stays small: the server's sends stall as soon as
/// the client stops reading. Non-blocking after connect.
final class SmallWindowSocket {
    private(set) var fd: Int32

    init(port: UInt16, receiveBuffer: Int32 = 4096) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawClientError.system("socket()", errno: errno) }
        var size = receiveBuffer
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = try RawClient.socketAddress(host: "127.0.0.1", port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RawClientError.system("connect()", errno: code)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends all of `bytes`, waiting for room for up to `seconds`.
    func send(_ bytes: [UInt8], within seconds: Double = 5) throws {
        var offset = 0
        let deadline = monotonicSeconds() + seconds
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw RawClientError.system("send()", errno: code)
            }
            if monotonicSeconds() >= deadline {
                throw RawClientError.timedOut("sending (\(offset)/\(bytes.count) bytes sent)")
            }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&entry, 1, 50)
        }
    }

    enum ReadResult: Equatable {
        case bytes(Int)
        case wouldBlock
        case eof
        case reset
    }

    /// One non-blocking recv of at most `limit` bytes (discarded).
    func readOnce(limit: Int = 4096) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            let n = recv(fd, &buffer, limit, Int32(MSG_DONTWAIT))
            if n > 0 { return .bytes(n) }
            if n == 0 { return .eof }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .reset
            }
        }
    }

    /// Waits up to `seconds` for something to read.
    func waitReadable(seconds: Double) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(seconds * 1000)) > 0
    }

    /// This socket's own (ephemeral) port.
    var localPort: UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Pipelines GETs 64 at a time, never reading, until the server's side
    /// of the connection stops taking responses into its send queue: its
    /// sends have stalled. Sending gradually keeps the server's backlog of
    /// unanswered requests small (a server may close a client that floods
    /// it with pipelined requests it cannot answer). Returns the requests
    /// sent, or nil when no stall was seen within `seconds`.
    func pipelineUntilServerSendStalls(serverPort: UInt16, seconds: Double = 20) throws -> Int? {
        // 64 requests (2.7 KB) ask for 240 KB of responses: the buffers fill in a second or two.
        let batch = (0..<64).flatMap { _ in RawClient.request() }
        let deadline = monotonicSeconds() + seconds
        var sent = 0
        var previous = -1
        var flat = 0
        while monotonicSeconds() < deadline {
            try send(batch)
            sent += 64
            pause(0.01)
            let queued = serverSendQueue(serverPort: serverPort, clientPort: localPort) ?? -1
            // Still growing: the server is writing. Flat for a few batches: stalled.
            if queued > 0 && queued <= previous {
                flat += 1
                if flat >= 3 { return sent }
            } else {
                flat = 0
            }
            previous = max(previous, queued)
        }
        return nil
    }
}

/// The send queue (bytes written but not acknowledged) of the server's
/// socket for one connection; nil when not found. Asks `ss`, which filters
/// in the kernel (sock_diag): reading all of /proc/net/tcp takes a second
/// once tens of thousands of sockets sit in TIME_WAIT, as after a churn
/// benchmark. /proc/net/tcp is the fallback where `ss` is missing.
func serverSendQueue(serverPort: UInt16, clientPort: UInt16) -> Int? {
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/ss"),
       let result = try? runCommand("/usr/bin/ss", ["-Htn", "state", "established",
                                                     "( sport = :\(serverPort) and dport = :\(clientPort) )"]) {
        // Recv-Q Send-Q Local:Port Peer:Port
        let fields = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return fields.count >= 2 ? Int(fields[1]) : nil
    }
    guard let table = readProcFile("/proc/net/tcp") else { return nil }
    func hex(_ port: UInt16) -> String {
        let digits = String(port, radix: 16, uppercase: true)
        return ":" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
    let local = hex(serverPort)
    let remote = hex(clientPort)
    for line in table.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        guard fields.count > 4, fields[1].hasSuffix(local), fields[2].hasSuffix(remote) else { continue }
        let queues = fields[4].split(separator: ":")
        guard queues.count == 2 else { return nil }
        return Int(queues[0], radix: 16)
    }
    return nil
}

/// Timeout flags for the timeout and drain suites: small values, so the
/// suites wait little (a timeout of N seconds fires after N seconds and at
/// most a timer-wheel bucket late).
enum HardeningTimeouts {
    static let arguments = ["--header-timeout", "1", "--idle-timeout", "2", "--body-timeout", "1"]
}

/// A /proc file's contents (they report size 0, so read until EOF).
func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
