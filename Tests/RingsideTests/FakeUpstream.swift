import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An upstream written for the client tests: a listener on 127.0.0.1 and a
/// thread per accepted connection that runs `behavior` with blocking I/O.
/// It misbehaves on purpose (never answers, drips bytes, closes mid-body,
/// sends garbage) and logs what it saw, so a test can tell whether the
/// server under test reused, replaced or closed its upstream connections.
final class FakeUpstream: Sendable {
    struct Log: Sendable {
        /// Connections accepted so far.
        var connections = 0
        /// Request heads read, over all connections.
        var requests = 0
        /// Connections on which the peer (the server under test) closed or reset.
        var peerClosed = 0
    }

    /// The log, shared with the connections' threads.
    final class Logbook: Sendable {
        private let state = Mutex(Log())
        func update(_ body: (inout Log) -> Void) { state.withLock { body(&$0) } }
        var current: Log { state.withLock { $0 } }
    }

    let port: UInt16
    private let listener: Int32
    private let log = Logbook()
    /// Signalled when the accept thread has returned: only then may the
    /// listener's descriptor be closed. Closed earlier, the number can be
    /// reused (by another test's listener in this process) and the thread's
    /// next `accept` would take that listener's connections.
    private let acceptThreadDone = DispatchSemaphore(value: 0)

    /// `behavior` runs once per accepted connection, on a thread of its own.
    init(_ behavior: @escaping @Sendable (FakeConnection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, listen(fd, 128) == 0 else { throw RawClientError.system("fake upstream", errno: errno) }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let log = self.log
        let done = acceptThreadDone
        Thread.detachNewThread {
            defer { done.signal() }
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return  // the listener was shut down
                }
                var index = 0
                log.update {
                    index = $0.connections
                    $0.connections += 1
                }
                Thread.detachNewThread { [index] in
                    let fake = FakeConnection(fd: connection, index: index, log: log)
                    behavior(fake)
                    fake.close()
                }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))  // wakes the accept thread with EINVAL
        acceptThreadDone.wait()
        close(listener)
    }

    var current: Log { log.current }

    /// Waits until `condition` holds for the log, for at most `seconds`.
    func wait(seconds: Double = 5, until condition: (Log) -> Bool) -> Log {
        let deadline = monotonicSeconds() + seconds
        while !condition(current) && monotonicSeconds() < deadline { usleep(10_000) }
        return current
    }

    /// A port on which nothing listens (bound, then closed).
    static func refusedPort() throws -> UInt16 {
        let fake = try FakeUpstream { _ in }
        return fake.port
    }
}

/// One accepted connection of a ``FakeUpstream``, seen from its behavior.
final class FakeConnection: @unchecked Sendable {
    // @unchecked: used only by the one thread that runs the behavior.
    let index: Int
    private var fd: Int32
    private let log: FakeUpstream.Logbook
    private var buffer: [UInt8] = []

    private enum Fill { case data, closed, timedOut }

    init(fd: Int32, index: Int, log: FakeUpstream.Logbook) {
        self.fd = fd
        self.index = index
        self.log = log
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Reads one request head (and a `content-length` body); nil once the peer closed.
    @discardableResult
    func readRequest() -> String? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let length = head.lowercased().split(separator: "\r\n")
                    .first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                if buffer.count >= end + 4 + length {
                    buffer.removeFirst(end + 4 + length)
                    log.update { $0.requests += 1 }
                    return head
                }
            }
            guard fill() == .data else { return nil }
        }
    }

    /// Waits for the peer to close, for at most `seconds`; true if it did.
    func waitForClose(seconds: Double) -> Bool {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            switch fill() {
            case .data: continue
            case .closed: return true
            case .timedOut: return false
            }
        }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// Sends `text` one byte at a time, `delay` seconds apart.
    func drip(_ text: String, delay: Double) {
        for byte in text.utf8 {
            write([byte])
            pause(delay)
        }
    }

    /// Closes with a reset (SO_LINGER 0) instead of a FIN.
    func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10
            && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// One recv into the buffer.
    private func fill() -> Fill {
        guard fd >= 0 else { return .closed }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                return .data
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .timedOut }
            log.update { $0.peerClosed += 1 }
            return .closed
        }
    }
}

/// A response an upstream sends: `body` with its `content-length`.
func upstreamResponse(_ body: String, status: String = "200 OK", fields: [String] = ["content-type: application/json"]) -> String {
    "HTTP/1.1 \(status)\r\n" + fields.map { $0 + "\r\n" }.joined() + "content-length: \(body.utf8.count)\r\n\r\n" + body
}
