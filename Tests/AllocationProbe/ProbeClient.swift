import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback client that checks each response's status and length,
/// in cleartext or over TLS (OpenSSL on the socket: the probe counts none of
/// the client's allocations).
struct ProbeClient {
    let fd: Int32
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
    private var ssl: OpaquePointer?

    init(port: Int, tls: Bool = false) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { fail("connect: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if tls {
            // The probe's own certificate is not verified: what is measured is the server's record path.
            guard let context = SSL_CTX_new(TLS_client_method()), let ssl = SSL_new(context) else { fail("SSL_new") }
            SSL_set_fd(ssl, fd)
            guard SSL_connect(ssl) == 1 else { fail("TLS handshake failed") }
            self.ssl = ssl
        }
    }

    private func receive(_ into: UnsafeMutableRawPointer, _ count: Int) -> Int {
        guard let ssl else { return recv(fd, into, count, 0) }
        var read = 0
        return SSL_read_ex(ssl, into, count, &read) == 1 ? read : -1
    }

    private func transmit(_ from: UnsafeRawPointer, _ count: Int) -> Int {
        guard let ssl else { return send(fd, from, count, Int32(MSG_NOSIGNAL)) }
        var written = 0
        return SSL_write_ex(ssl, from, count, &written) == 1 ? written : -1
    }

    /// Sends `request` `times` times, `pipelined` per write, and reads every response.
    func run(_ request: String, times: Int, pipelined: Int, split: Bool = false) {
        let batch = [UInt8](String(repeating: request, count: pipelined).utf8)
        let responseLength = measureResponse(request)
        var done = 0
        while done < times {
            let count = min(pipelined, times - done)
            let bytes = count * request.utf8.count
            if split {
                // Two writes with a pause between: the server must reassemble.
                writeAll(batch, 0..<bytes / 2)
                usleep(200)
                writeAll(batch, bytes / 2..<bytes)
            } else {
                writeAll(batch, 0..<bytes)
            }
            readExactly(responseLength * count)
            done += count
        }
    }

    /// One request, answered and parsed by hand: the length every later answer has.
    private func measureResponse(_ request: String) -> Int {
        writeAll([UInt8](request.utf8), 0..<request.utf8.count)
        var have = 0
        while true {
            let count = receive(buffer + have, 65536)
            guard count > 0 else { fail(count == 0 ? "connection closed while measuring" : "recv while measuring: errno \(errno)") }
            have += count
            let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: have))
            guard let end = (0..<max(0, have - 3)).first(where: { bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) })
            else { continue }
            let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
            guard head.hasPrefix("http/1.1 200") || head.hasPrefix("http/1.1 404") else { fail("bad status: \(head)") }
            let length = head.split(separator: "\r\n")
                .first { $0.hasPrefix("content-length: ") }
                .flatMap { Int($0.dropFirst("content-length: ".count)) } ?? 0
            let total = end + 4 + (request.hasPrefix("HEAD") ? 0 : length)
            if have >= total { return total }
        }
    }

    private func writeAll(_ bytes: [UInt8], _ range: Range<Int>) {
        bytes.withUnsafeBytes { raw in
            var offset = range.lowerBound
            while offset < range.upperBound {
                let count = transmit(raw.baseAddress! + offset, range.upperBound - offset)
                guard count > 0 else { fail("send: errno \(errno)") }
                offset += count
            }
        }
    }

    private func readExactly(_ total: Int) {
        var have = 0
        while have < total {
            let count = receive(buffer, min(1 << 20, total - have))
            guard count > 0 else { fail("connection closed after \(have) of \(total) bytes") }
            have += count
        }
    }
}

func fail(_ message: String) -> Never {
    let line = Array("probe failed: \(message)\n".utf8)
    _ = write(2, line, line.count)
    exit(1)
}
