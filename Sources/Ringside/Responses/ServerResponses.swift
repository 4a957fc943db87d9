import HTTPTypes

/// Answers the server gives on a handler's behalf, prebuilt by every worker.
enum ServerResponses {
    /// The offload queue is full: come back in a second.
    static let serviceUnavailable = StaticResponse.jsonError(.serviceUnavailable, headerFields: [.retryAfter: "1"])
    /// A handler threw something other than ``HTTPError``.
    static let internalServerError = StaticResponse.jsonError(.internalServerError)
    /// The interim answer to `expect: 100-continue` before a handler reads the body.
    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    /// The last chunk of a streamed body.
    static let lastChunkBytes: [UInt8] = Array("0\r\n\r\n".utf8)
}
