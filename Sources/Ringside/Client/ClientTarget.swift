import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What one ``HTTPClient`` is, shared by every copy of it and every worker:
/// where it connects and how. Immutable. Each worker finds its own pool for
/// it by `id`.
final class ClientTarget: Sendable {
    enum Upstream: Sendable {
        case address(UpstreamAddress)
        /// The server whose worker makes the call.
        case thisServer
    }

    private static let nextID = Atomic<Int>(0)

    let id: Int
    let upstream: Upstream
    let configuration: HTTPClient.Configuration

    init(upstream: Upstream, configuration: HTTPClient.Configuration) throws(HTTPClientError) {
        let c = configuration
        guard c.maxConnections > 0, c.maxQueuedRequests >= 0, c.maxResponseHeadBytes > 0,
              c.maxResponseHeaderCount > 0, c.maxResponseBodyBytes >= 0 else {
            throw .invalidUpstream("limits must be positive")
        }
        let t = c.timeouts
        guard [t.connect, t.queue, t.responseHead, t.bodyProgress, t.idle].allSatisfy({ $0 > .zero }) else {
            throw .invalidUpstream("timeouts must be positive")
        }
        id = ClientTarget.nextID.add(1, ordering: .relaxed).oldValue
        self.upstream = upstream
        self.configuration = configuration
    }
}

/// An upstream's socket address and the `host` field that names it.
struct UpstreamAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t
    /// `host:port` as the `host` field carries it (`[::1]:8080` for IPv6).
    var authority: String

    /// `host` is an IPv4 or IPv6 literal (brackets allowed), or `localhost`.
    init(host: String, port: Int) throws(HTTPClientError) {
        guard (1...65535).contains(port) else { throw .invalidUpstream("port \(port) outside 1...65535") }
        var literal = host
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        if literal == "localhost" { literal = "127.0.0.1" }
        storage = sockaddr_storage()
        if literal.contains(":") {
            var ipv6 = sockaddr_in6()
            ipv6.sin6_family = sa_family_t(AF_INET6)
            ipv6.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, literal, &ipv6.sin6_addr) == 1 else {
                throw .invalidUpstream("\(host) is not an IPv6 address")
            }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: ipv6, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            authority = "[\(literal)]:\(port)"
        } else {
            var ipv4 = sockaddr_in()
            ipv4.sin_family = sa_family_t(AF_INET)
            ipv4.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, literal, &ipv4.sin_addr) == 1 else {
                throw .invalidUpstream("\(host) is not an IP address (host names are not resolved)")
            }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: ipv4, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            authority = "\(literal):\(port)"
        }
    }

    /// `http://HOST:PORT`, with an optional trailing `/`.
    init(url: String) throws(HTTPClientError) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else { throw .invalidUpstream("\(url): only http://HOST:PORT is supported") }
        rest = rest.dropFirst(7)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              !rest[..<colon].isEmpty, !rest.contains("/"), !rest.contains("@") else {
            throw .invalidUpstream("\(url): expected http://HOST:PORT")
        }
        try self.init(host: String(rest[..<colon]), port: port)
    }

    /// The address `listener` is bound to, with an unspecified address
    /// (`0.0.0.0`, `::`) replaced by loopback: where this server can reach itself.
    init?(listener: Int32) {
        guard let bound = SocketAddress(localOf: listener) else { return nil }
        let host = bound.host == "0.0.0.0" ? "127.0.0.1" : bound.host == "::" ? "::1" : bound.host
        do { try self.init(host: host, port: bound.port) } catch { return nil }
    }
}
