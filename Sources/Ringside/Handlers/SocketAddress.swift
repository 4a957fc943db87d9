#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address and port.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in text form (`127.0.0.1`, `::1`).
    public let host: String
    /// The TCP port.
    public let port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:8080` or `[::1]:8080`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The peer of a connected socket; nil when it is gone.
    init?(peerOf socket: Int32) {
        self.init(socket, getpeername)
    }

    /// The address a socket is bound to.
    init?(localOf socket: Int32) {
        self.init(socket, getsockname)
    }

    private init?(_ socket: Int32, _ query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(socket, $0, &length) }
        }
        guard result == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        func host() -> String {
            let length = text.firstIndex(of: 0) ?? text.count
            return text.withUnsafeBytes { String(decoding: $0.prefix(length), as: UTF8.self) }
        }
        switch Int32(storage.ss_family) {
        case AF_INET:
            var address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
            self.init(host: host(), port: Int(UInt16(bigEndian: address.sin_port)))
        case AF_INET6:
            var address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
            self.init(host: host(), port: Int(UInt16(bigEndian: address.sin6_port)))
        default:
            return nil
        }
    }
}
