import Foundation
import Testing

/// Drives HTTP/2 frames by hand with Python's `h2` family (hyperframe and
/// hpack, from the test venv): each case writes the frames a client nobody
/// here wrote would, abusive ones included, then reads what the server
/// sends until it closes or goes quiet, and reports it as JSON.
struct HTTP2Frames: Decodable {
    /// GOAWAY's last stream id and error code, if one came.
    var goaway: [Int]?
    /// Per stream answered: its `:status`.
    var statuses: [String: String]
    /// Per stream answered: its body's length.
    var bodies: [String: Int]
    /// RST_STREAM received: stream id and error code.
    var resets: [[Int]]
    /// The order frames came in, by type name.
    var order: [String]
    /// The server closed the connection (rather than going quiet).
    var closed: Bool

    static let noError = 0, protocolError = 1, internalError = 2, streamClosed = 5, frameSizeError = 6
    static let refusedStream = 7, enhanceYourCalm = 11

    /// Runs `scenario` against the server on `port` (`signalPID`: a process to SIGTERM mid-way, for the drain).
    static func run(_ scenario: String, port: Int, signalPID: Int32 = 0, quietSeconds: Double = 3) throws -> HTTP2Frames {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("h2frames-\(UUID().uuidString).py").path
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let result = try runCommand(Scrape.python, [script, "\(port)", scenario, "\(signalPID)", "\(quietSeconds)"])
        #expect(result.status == 0, "h2 script: \(result.stderr)")
        guard let line = result.stdout.split(separator: "\n").last else { throw ScriptFailed(stderr: result.stderr) }
        return try JSONDecoder().decode(HTTP2Frames.self, from: Data(line.utf8))
    }

    struct ScriptFailed: Error { var stderr: String }

    private static let script = #"""
        import json, os, signal, socket, sys, time
        import hpack
        from hyperframe.frame import (Frame, HeadersFrame, ContinuationFrame, DataFrame, PingFrame,
            SettingsFrame, RstStreamFrame, WindowUpdateFrame)
        port, case, pid, quiet = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if case.endswith("-flood") and case != "continuation-flood":
            # A peer that does not read: a small window, so the answers back up at the server.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        encoder = hpack.Encoder()

        def head(stream, path="/v1/avatar", method="GET", end=True, extra=(), end_headers=True):
            fields = [(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost")]
            frame = HeadersFrame(stream, encoder.encode(fields + list(extra)))
            if end_headers: frame.flags.add("END_HEADERS")
            if end: frame.flags.add("END_STREAM")
            return frame.serialize()

        def data(stream, payload, end=False):
            frame = DataFrame(stream, payload)
            if end: frame.flags.add("END_STREAM")
            return frame.serialize()

        out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        settings = SettingsFrame(0)
        if case == "zero-window":
            settings.settings[SettingsFrame.INITIAL_WINDOW_SIZE] = 0
        out += settings.serialize()
        if case == "requests":
            out += head(1) + head(3, "/nope") + head(5, "/v1/avatar", "HEAD")
        elif case == "upload-unsized":
            # No content-length: the body's length is known only at END_STREAM.
            out += head(1, "/echo", "POST", end=False, extra=[("content-type", "application/octet-stream")])
            out += data(1, b"a" * 10000) + data(1, b"b" * 16384) + data(1, b"c" * 3616) + data(1, b"", end=True)
        elif case == "upload-too-large":
            out += head(1, "/echo", "POST", end=False, extra=[("content-length", "2000000")])
            out += data(1, b"a" * 16384)
        elif case == "rapid-reset":
            for index in range(2000):
                stream = 1 + 2 * index
                out += head(stream, "/async/sleep?ms=50") + RstStreamFrame(stream, error_code=8).serialize()
        elif case == "ping-flood":
            # More answers than the kernel's socket buffers hold (34 MB of them).
            out += PingFrame(0, opaque_data=b"12345678").serialize() * 2000000
        elif case == "settings-flood":
            out += SettingsFrame(0).serialize() * 4000000
        elif case == "continuation-flood":
            out += head(1, end_headers=False)
            out += b"".join(ContinuationFrame(1, encoder.encode([("x-a", "b")])).serialize() for _ in range(40))
        elif case == "empty-data":
            out += head(1, "/echo", "POST", end=False)
            out += b"".join(data(1, b"") for _ in range(500))
        elif case == "backwards":
            out += head(5) + head(3)
        elif case == "reused":
            out += head(1) + head(1)
        elif case == "large-head":
            # 20 KB of fields in HEADERS and CONTINUATION frames: past the 16 KB head limit.
            block = encoder.encode([(":method", "GET"), (":scheme", "http"), (":path", "/v1/avatar"),
                                    (":authority", "localhost")] + [("x-f%d" % i, "v" * 1000) for i in range(20)])
            first = HeadersFrame(1, block[:12000]); first.flags.add("END_STREAM")
            rest = ContinuationFrame(1, block[12000:]); rest.flags.add("END_HEADERS")
            out += first.serialize() + rest.serialize() + head(3)
        elif case == "zero-window":
            out += head(1, "/stream?chunks=4&size=65536")
        elif case == "drain":
            out += head(1, "/async/sleep?ms=700")
        else:
            raise SystemExit("unknown case " + case)
        def send_all():
            try:
                sock.sendall(out)
            except OSError:
                pass
        # The flood goes out from a thread; the answers are read only after it, or after 2 s if
        # the server stopped reading (its GOAWAY then waits behind what it queued).
        import threading
        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        sender.join(2 if case.endswith("-flood") else 30)
        if pid:
            time.sleep(0.2)
            os.kill(pid, signal.SIGTERM)
        sock.settimeout(quiet)
        received, closed = b"", False
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
        names = {0: "DATA", 1: "HEADERS", 3: "RST_STREAM", 4: "SETTINGS", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE"}
        decoder = hpack.Decoder()
        result = {"goaway": None, "statuses": {}, "bodies": {}, "resets": [], "order": [], "closed": closed}
        offset = 0
        while offset + 9 <= len(received):
            length = int.from_bytes(received[offset:offset + 3], "big")
            kind, flags = received[offset + 3], received[offset + 4]
            stream = int.from_bytes(received[offset + 5:offset + 9], "big") & 0x7FFFFFFF
            payload = received[offset + 9:offset + 9 + length]
            offset += 9 + length
            name = names.get(kind, str(kind))
            if not result["order"] or result["order"][-1] != name:
                result["order"].append(name)
            if kind == 1:
                fields = dict((k.decode() if isinstance(k, bytes) else k, v) for k, v in decoder.decode(payload))
                status = fields[":status"]
                result["statuses"][str(stream)] = status.decode() if isinstance(status, bytes) else status
                result["bodies"].setdefault(str(stream), 0)
            elif kind == 0:
                result["bodies"][str(stream)] = result["bodies"].get(str(stream), 0) + length
            elif kind == 3:
                result["resets"].append([stream, int.from_bytes(payload, "big")])
            elif kind == 7:
                result["goaway"] = [int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF, int.from_bytes(payload[4:8], "big")]
        print(json.dumps(result))
        """#
}
