#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 literal and a TCP port laid out as the `sockaddr` that
/// `bind` and `connect` take: the listener's and the client's addresses.
struct IPSocketAddress {
    private(set) var storage = sockaddr_storage()
    let length: socklen_t
    /// `AF_INET` or `AF_INET6`.
    let family: Int32

    /// IPv6 where `literal` holds a `:` (no brackets), IPv4 otherwise; nil
    /// when it is not an address of that family. `port` is 0...65535.
    init?(literal: String, port: Int) {
        if literal.contains(":") {
            var ipv6 = sockaddr_in6()
            ipv6.sin6_family = sa_family_t(AF_INET6)
            ipv6.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, literal, &ipv6.sin6_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: ipv6, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var ipv4 = sockaddr_in()
            ipv4.sin_family = sa_family_t(AF_INET)
            ipv4.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, literal, &ipv4.sin_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: ipv4, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
    }
}
