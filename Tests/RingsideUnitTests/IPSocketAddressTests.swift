import Testing

@testable import Ringside

#if canImport(Glibc)
import Glibc
#endif

/// The listener's and the client's `sockaddr` from an address literal and a port.
struct IPSocketAddressTests {
    /// The address and port the `sockaddr` holds, read back with `inet_ntop`.
    func readBack(_ address: IPSocketAddress) -> (host: String, port: Int) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var port = 0
        withUnsafeBytes(of: address.storage) { raw in
            if address.family == AF_INET6 {
                var ipv6 = raw.load(as: sockaddr_in6.self)
                inet_ntop(AF_INET6, &ipv6.sin6_addr, &text, socklen_t(text.count))
                port = Int(UInt16(bigEndian: ipv6.sin6_port))
            } else {
                var ipv4 = raw.load(as: sockaddr_in.self)
                inet_ntop(AF_INET, &ipv4.sin_addr, &text, socklen_t(text.count))
                port = Int(UInt16(bigEndian: ipv4.sin_port))
            }
        }
        return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port)
    }

    @Test func literals() throws {
        let ipv4 = try #require(IPSocketAddress(literal: "10.1.2.3", port: 8080))
        #expect(ipv4.family == AF_INET && Int32(ipv4.storage.ss_family) == AF_INET)
        #expect(Int(ipv4.length) == MemoryLayout<sockaddr_in>.size)
        #expect(readBack(ipv4) == ("10.1.2.3", 8080))

        let ipv6 = try #require(IPSocketAddress(literal: "fe80::1:2", port: 8443))
        #expect(ipv6.family == AF_INET6 && Int32(ipv6.storage.ss_family) == AF_INET6)
        #expect(Int(ipv6.length) == MemoryLayout<sockaddr_in6>.size)
        #expect(readBack(ipv6) == ("fe80::1:2", 8443))

        #expect(readBack(try #require(IPSocketAddress(literal: "0.0.0.0", port: 0))) == ("0.0.0.0", 0))
    }

    @Test(arguments: ["", "localhost", "example.com", "1.2.3", "1.2.3.256", "[::1]", "::g", "1.2.3.4:80", " 1.2.3.4"])
    func notALiteral(_ text: String) {
        #expect(IPSocketAddress(literal: text, port: 80) == nil)
    }
}
