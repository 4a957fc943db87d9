#if canImport(Glibc)
import Glibc
#endif

/// A blocking h2c client with prior knowledge, just enough for the probe:
/// GET streams with a hand-encoded HPACK block, windows opened wide at the
/// start, each answer's `:status 200` and DATA length checked.
struct H2ProbeClient {
    let fd: Int32
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
    private var nextStream: UInt32 = 1

    init(port: Int) {
        let client = ProbeClient(port: port)
        fd = client.fd
        var start = [UInt8]("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        // SETTINGS: INITIAL_WINDOW_SIZE 2^30; then the connection's window grown by as much.
        start += Self.frame(type: 4, flags: 0, stream: 0, payload: [0, 4, 0x40, 0, 0, 0])
        start += Self.frame(type: 8, flags: 0, stream: 0, payload: [0x3F, 0xFF, 0, 0])
        write(start)
    }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)]
            + payload
    }

    /// `GET path` as a header block: `:method GET` and `:scheme http` indexed, `:path` and
    /// `:authority` literal without indexing.
    static func block(path: String) -> [UInt8] {
        let path = [UInt8](path.utf8)
        let authority = [UInt8]("probe".utf8)
        return [0x82, 0x86, 0x04, UInt8(path.count)] + path + [0x01, UInt8(authority.count)] + authority
    }

    private func write(_ bytes: [UInt8]) {
        var sent = 0
        bytes.withUnsafeBytes { raw in
            while sent < raw.count {
                let count = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { fail("h2 send: errno \(errno)") }
                sent += count
            }
        }
    }

    /// `times` GETs of `path`, `concurrent` streams at once; each answer must be a 200 with `bodyLength` bytes.
    mutating func run(path: String, times: Int, concurrent: Int, bodyLength: Int) {
        let block = Self.block(path: path)
        var done = 0
        var pending: [UInt8] = []
        while done < times {
            let count = min(concurrent, times - done)
            var batch: [UInt8] = []
            var open: [UInt32: Int] = [:]
            for _ in 0..<count {
                batch += Self.frame(type: 1, flags: 0x05, stream: nextStream, payload: block)  // END_STREAM | END_HEADERS
                open[nextStream] = 0
                nextStream += 2
            }
            write(batch)
            while !open.isEmpty {
                while pending.count < 9 || pending.count < 9 + (Int(pending[0]) << 16 | Int(pending[1]) << 8 | Int(pending[2])) {
                    let got = recv(fd, buffer, 1 << 20, 0)
                    guard got > 0 else { fail("h2 recv: \(got) errno \(errno)") }
                    pending += UnsafeRawBufferPointer(start: buffer, count: got)
                }
                let length = Int(pending[0]) << 16 | Int(pending[1]) << 8 | Int(pending[2])
                let type = pending[3], flags = pending[4]
                let stream = UInt32(pending[5] & 0x7F) << 24 | UInt32(pending[6]) << 16 | UInt32(pending[7]) << 8 | UInt32(pending[8])
                let payload = Array(pending[9..<(9 + length)])
                pending.removeFirst(9 + length)
                switch type {
                case 4 where flags & 1 == 0:
                    write(Self.frame(type: 4, flags: 1, stream: 0, payload: []))  // SETTINGS ACK
                case 1:
                    // `:status 200` is the static table's entry 8.
                    guard payload.first == 0x88 else { fail("h2: stream \(stream) answered \(payload.prefix(4))") }
                case 0:
                    open[stream, default: 0] += length
                case 3, 7:
                    fail("h2: RST_STREAM or GOAWAY \(payload)")
                default:
                    break
                }
                if flags & 1 != 0 && (type == 0 || type == 1), let received = open[stream] {
                    guard received == bodyLength else { fail("h2: stream \(stream) carried \(received) bytes") }
                    open[stream] = nil
                    done += 1
                }
            }
        }
    }
}
