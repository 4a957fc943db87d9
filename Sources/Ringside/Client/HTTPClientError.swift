/// Why an ``HTTPClient`` call failed. The connection involved, if any, was
/// closed, never returned to the pool.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which step ran out of time (see ``HTTPClient/Timeouts``).
    public enum Step: String, Sendable, Equatable {
        /// Establishing the connection.
        case connect
        /// Waiting in line for a connection.
        case queue
        /// Waiting for the response head.
        case responseHead
        /// Waiting for the next bytes of the body.
        case bodyProgress
        /// HTTPS: completing the TLS handshake (its own `connect` timeout, after the connect).
        case tlsHandshake
    }

    /// The connection could not be made: `errno` from `socket` or `connect`
    /// (`ECONNREFUSED`, `ENETUNREACH`, `EMFILE`).
    case connectFailed(errno: Int32)
    /// A step took longer than its timeout.
    case timedOut(Step)
    /// The upstream closed or reset the connection before the response was complete.
    case closedEarly
    /// The response broke HTTP/1.1 framing; the text names the rule.
    case malformedResponse(String)
    /// The response head or body is larger than the configuration allows.
    case tooLarge
    /// The pool is full and so is its waiting line, or the worker has no
    /// outbound connection slot left.
    case poolExhausted
    /// The calling task was cancelled (the handler's client left), or the server is stopping.
    case cancelled
    /// Called outside a Ringside handler: the client runs on a worker's loop.
    case notOnWorker
    /// The host, port or URL given to the client is not usable; the text says why.
    case invalidUpstream(String)
    /// The method, path or fields cannot be sent; the text says why.
    case invalidRequest(String)
    /// HTTPS: the upstream's certificate is not trusted (unknown CA, expired,
    /// self-signed); the text is OpenSSL's reason.
    case certificateNotTrusted(String)
    /// HTTPS: the upstream's certificate does not name it; the text is the name expected.
    case certificateNameMismatch(String)
    /// HTTPS: the handshake failed otherwise (an alert, no common protocol or
    /// cipher, a client certificate refused); the text is OpenSSL's reason.
    case tlsHandshakeFailed(String)

    /// The status a gateway answers when its upstream call failed so:
    /// 504 for a timeout, 503 when the pool is exhausted, 502 otherwise.
    public var gatewayStatus: HTTPResponse.Status {
        switch self {
        case .timedOut: .gatewayTimeout
        case .poolExhausted: .serviceUnavailable
        default: .badGateway
        }
    }

    /// One line for a log or an error body.
    public var description: String {
        switch self {
        case .connectFailed(let code): "upstream connection failed (errno \(code))"
        case .timedOut(let step): "upstream timed out (\(step.rawValue))"
        case .closedEarly: "upstream closed the connection before the response was complete"
        case .malformedResponse(let rule): "upstream sent a malformed response (\(rule))"
        case .tooLarge: "upstream response too large"
        case .poolExhausted: "no upstream connection available"
        case .cancelled: "upstream request cancelled"
        case .notOnWorker: "HTTPClient used outside a Ringside handler"
        case .invalidUpstream(let reason): "invalid upstream: \(reason)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .certificateNotTrusted(let reason): "upstream certificate not trusted (\(reason))"
        case .certificateNameMismatch(let name): "upstream certificate does not name \(name)"
        case .tlsHandshakeFailed(let reason): "upstream TLS handshake failed (\(reason))"
        }
    }
}
