import CLinuxShim  // TCP_NODELAY and the socket constants
#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets: one per worker, all on one port through `SO_REUSEPORT`,
/// so the kernel spreads connections across workers without a shared accept queue.
enum Listener {
    /// Binds `count` sockets to `host:port` (port 0: the first picks one, the rest share it).
    /// Returns the descriptors and the bound port.
    static func bind(host: String, port: Int, count: Int, backlog: Int32) throws -> (fds: [Int32], port: Int) {
        var fds: [Int32] = []
        var boundPort = port
        do {
            for _ in 0..<count {
                let fd = try open(host: host, port: boundPort, backlog: backlog)
                fds.append(fd)
                if boundPort == 0 { boundPort = try localPort(fd) }
            }
        } catch {
            fds.forEach { _ = close($0) }
            throw error
        }
        return (fds, boundPort)
    }

    private static func open(host: String, port: Int, backlog: Int32) throws -> Int32 {
        guard let address = IPSocketAddress(literal: host, port: port) else {
            throw SystemCallError(step: "invalid \(host.contains(":") ? "IPv6" : "IPv4") address \(host)", errno: EINVAL)
        }

        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(step: "socket", errno: errno) }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        // Accepted sockets inherit TCP_NODELAY: responses leave without Nagle's delay.
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) == 0,
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) == 0,
              setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, size) == 0
        else {
            let code = errno
            close(fd)
            throw SystemCallError(step: "setsockopt", errno: code)
        }
        let bound = withUnsafePointer(to: address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, address.length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SystemCallError(step: "bind \(host):\(port)", errno: code)
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw SystemCallError(step: "listen", errno: code)
        }
        return fd
    }

    private static func localPort(_ fd: Int32) throws -> Int {
        guard let address = SocketAddress(localOf: fd) else { throw SystemCallError(step: "getsockname", errno: errno) }
        return address.port
    }
}
