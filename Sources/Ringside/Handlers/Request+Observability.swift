public import Logging

extension Request {
    /// The request's `x-request-id`, as echoed in the response: the one the
    /// client sent when valid, else one the server made. Nil when
    /// ``ServerConfiguration/requestIDs`` is off.
    public var requestID: String? { parts.requestIDBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The server's logger with this request's `request-id` in its metadata
    /// (when request ids are on), so a handler's lines can be matched to the
    /// access log and to the client's. Allocates: build it once per handler call.
    public var logger: Logger {
        var logger = parts.runtime?.logger ?? Logger(label: "ringside")
        if let requestID { logger[metadataKey: "request-id"] = .string(requestID) }
        return logger
    }
}

extension RequestParts {
    /// The request id's bytes: from `requestID` to its CR.
    var requestIDBytes: UnsafeRawBufferPointer? {
        guard let start = requestID else { return nil }
        var count = 0
        while start.load(fromByteOffset: count, as: UInt8.self) != 0x0D { count += 1 }
        return UnsafeRawBufferPointer(start: start, count: count)
    }
}
