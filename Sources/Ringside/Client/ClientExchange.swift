typealias ClientContinuation = UnsafeContinuation<Result<HTTPClient.Response, HTTPClientError>, Never>

/// One call of ``HTTPClient/execute(_:)``: what to send and whom to tell.
struct ClientExchange {
    let id: UInt64
    let request: HTTPClient.Request
    let continuation: ClientContinuation
    /// Sent once more after failing on a reused connection; never twice.
    var retried = false
    /// While waiting in line: when it gives up (monotonic nanoseconds).
    var deadline: Int64 = 0

    /// Resumes the calling task (on the worker's next jobs pass).
    func finish(_ result: Result<HTTPClient.Response, HTTPClientError>) { continuation.resume(returning: result) }
}
