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
    /// HTTPS: the client context, and the name (else the address) the upstream's certificate must carry.
    let tls: TLSClientContext?
    let tlsHostName: String?
    let tlsAddress: String?

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
        if let settings = c.tls {
            tls = try TLSClientContext(settings)
            let host: String? = if case .address(let address) = upstream { address.host } else { nil }
            let literal = host.map { IPSocketAddress(literal: $0, port: 1) != nil } ?? true
            tlsHostName = settings.serverName ?? (literal ? nil : host)
            tlsAddress = tlsHostName == nil ? host ?? "127.0.0.1" : nil
        } else {
            tls = nil
            tlsHostName = nil
            tlsAddress = nil
        }
        id = ClientTarget.nextID.add(1, ordering: .relaxed).oldValue
        self.upstream = upstream
        self.configuration = configuration
    }

    /// The name or address a certificate must carry, for errors.
    var tlsExpectedName: String { tlsHostName ?? tlsAddress ?? "" }
}

/// An upstream's socket address and the `host` field that names it.
struct UpstreamAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t
    /// `host:port` as the `host` field carries it (`[::1]:8080` for IPv6).
    var authority: String
    /// The host as given (`localhost`, `10.0.0.7`, `::1`): what HTTPS checks the certificate against.
    var host: String

    /// `host` is an IPv4 or IPv6 literal (brackets allowed), or `localhost`.
    init(host: String, port: Int) throws(HTTPClientError) {
        guard (1...65535).contains(port) else { throw .invalidUpstream("port \(port) outside 1...65535") }
        var literal = host
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        if literal == "localhost" { literal = "127.0.0.1" }
        let isIPv6 = literal.contains(":")
        guard let address = IPSocketAddress(literal: literal, port: port) else {
            throw .invalidUpstream(
                isIPv6 ? "\(host) is not an IPv6 address" : "\(host) is not an IP address (host names are not resolved)")
        }
        storage = address.storage
        length = address.length
        authority = isIPv6 ? "[\(literal)]:\(port)" : "\(literal):\(port)"
        self.host = host == "localhost" ? host : literal
    }

    /// `http://HOST:PORT` or `https://HOST:PORT`, with an optional trailing `/`.
    init(url: String) throws(HTTPClientError) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst(8)
        } else {
            throw .invalidUpstream("\(url): only http://HOST:PORT and https://HOST:PORT are supported")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              !rest[..<colon].isEmpty, !rest.contains("/"), !rest.contains("@") else {
            throw .invalidUpstream("\(url): expected http(s)://HOST:PORT")
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
