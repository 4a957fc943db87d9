import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP connection to a live server. Blocking calls run on a
/// thread of their own (``OwnThread``), never on the cooperative pool, so
/// many live tests at once do not starve each other.
final class SocketStream: ByteStream {
    let fd: Int32
    private let closed = Atomic<Bool>(false)

    private init(fd: Int32) { self.fd = fd }

    deinit { closeOnce() }

    private func closeOnce() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) { Glibc.close(fd) }
    }

    static func connect(port: Int) async throws -> SocketStream {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.cannotConnect("socket: errno \(errno)") }
        let stream = SocketStream(fd: fd)
        let result = await OwnThread.run {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 ? 0 : errno
                }
            }
        }
        guard result == 0 else { throw TestClientError.cannotConnect("connect to 127.0.0.1:\(port): errno \(result)") }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return stream
    }

    func write(_ bytes: [UInt8]) async throws {
        let fd = fd
        let failed = await OwnThread.run { () -> Bool in
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if sent < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                offset += sent
            }
            return false
        }
        if failed { throw TestClientError.closedByServer }
    }

    func finishWriting() async { _ = shutdown(fd, Int32(SHUT_WR)) }

    func read(until deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        let fd = fd
        let left = deadline - .now
        let milliseconds = max(0, Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 3_600_000)))
        let outcome = await OwnThread.run { () -> (bytes: [UInt8], code: Int) in
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&poller, 1, milliseconds) < 0 && errno == EINTR {}
            guard poller.revents != 0 else { return ([], -1) }  // timed out
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count >= 0 { return (Array(buffer[..<count]), count) }
                if errno == EINTR { continue }
                return ([], errno == EAGAIN ? -1 : 0)  // a reset ends the stream like EOF
            }
        }
        if outcome.code < 0 { throw TestClientError.timedOut(waitingFor: "the server") }
        return outcome.code == 0 ? nil : outcome.bytes
    }

    func close() async { closeOnce() }
}
