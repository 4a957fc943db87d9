public import Logging

extension Request {
    /// The request's `x-request-id`, as echoed in the response: the one the
    /// client sent when valid, else one the server made. Nil when
    /// ``ServerConfiguration/requestIDs`` is off.
    public var requestID: String? { parts.requestID.map { String(decoding: $0, as: UTF8.self) } }

    /// The server's logger with this request's `request-id` in its metadata
    /// (when request ids are on), so a handler's lines can be matched to the
    /// access log and to the client's. Allocates: build it once per handler call.
    public var logger: Logger {
        var logger = parts.runtime?.logger ?? Logger(label: "ringside")
        if let requestID { logger[metadataKey: "request-id"] = .string(requestID) }
        return logger
    }
}
