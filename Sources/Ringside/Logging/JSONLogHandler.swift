public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line, for log
/// collectors: `time` (RFC 3339, UTC, milliseconds), `level`, `label`,
/// `message`, then the metadata (the handler's, the provider's, the call's,
/// later ones winning) as strings, arrays and objects.
///
/// ```swift
/// LoggingSystem.bootstrap { JSONLogHandler(label: $0, logLevel: .info) }
/// ```
///
/// Each line goes out with one `write(2)`, so lines of different threads
/// do not interleave (to a pipe up to `PIPE_BUF` bytes, 4 KiB on Linux).
public struct JSONLogHandler: LogHandler {
    /// Where lines go: a file descriptor, standard error (2) by default.
    public let fd: Int32
    /// The logger's label, written as `label`.
    public let label: String
    /// Lines below this level are not written.
    public var logLevel: Logger.Level
    /// Metadata on every line of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Metadata taken at each line (task-local context, say).
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `label` writing lines at `logLevel` or above to `fd`.
    public init(
        label: String, logLevel: Logger.Level = .info, fd: Int32 = 2,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.logLevel = logLevel
        self.fd = fd
        self.metadataProvider = metadataProvider
    }

    /// One metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one line.
    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let given = event.metadata { fields.merge(given) { _, new in new } }
        var line = "{\"time\":\"\(JSONLogHandler.timestamp())\",\"level\":\"\(event.level.rawValue)\""
        line += ",\"label\":" + JSONLogHandler.quoted(label)
        line += ",\"message\":" + JSONLogHandler.quoted(event.message.description)
        for key in fields.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += "," + JSONLogHandler.quoted(key) + ":" + JSONLogHandler.json(fields[key]!)
        }
        line += "}\n"
        var bytes = line
        bytes.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let value): quoted(value.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            "{" + values.keys.sorted().map { quoted($0) + ":" + json(values[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// `text` as a JSON string (the error bodies' escaping).
    static func quoted(_ text: String) -> String { JSONError.quoted(text) }

    /// Now, as `2026-11-23T04:55:47.123Z`.
    static func timestamp() -> String {
        let now = WallClock.now()
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(digits(Int(parts.tm_year) + 1900, 4))-\(digits(Int(parts.tm_mon) + 1, 2))-\(digits(Int(parts.tm_mday), 2))"
            + "T\(digits(Int(parts.tm_hour), 2)):\(digits(Int(parts.tm_min), 2)):\(digits(Int(parts.tm_sec), 2))"
            + ".\(digits(now.tv_nsec / 1_000_000, 3))Z"
    }
}
