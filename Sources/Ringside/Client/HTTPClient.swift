/// An HTTP/1.1 client for handlers, running on the handler's own worker.
///
/// A request made from an async handler is written and read by the same
/// worker loop that serves the handler's connection: the upstream socket is
/// one more slot of the worker's ring (`IORING_OP_CONNECT`, then the same
/// receives and sends as served connections) or of its epoll set, and the
/// handler resumes on the worker's thread in the loop turn that read the
/// response. No other thread, event loop or executor is involved.
///
/// Create a client once per upstream, before the server starts, and capture
/// it in the handlers that call it. Each worker keeps its own pool of
/// keep-alive connections per client (see ``Configuration``):
///
/// ```swift
/// let users = try HTTPClient(host: "10.0.0.7", port: 8080)
/// let avatar = try HTTPClient.Request(path: "/v1/avatar")   // laid out once
///
/// router.get("/v1/user") { _ in
///     let response = try await users.execute(avatar)
///     return Response(headerFields: [.contentType: "application/json"], bytes: response.body)
/// }
/// ```
///
/// Every call throws only ``HTTPClientError``; ``HTTPClientError/gatewayStatus``
/// says which status a gateway answers for it (502, 503 or 504). Calls work
/// only inside a Ringside handler (``HTTPClientError/notOnWorker`` elsewhere).
public struct HTTPClient: Sendable {
    let target: ClientTarget

    /// A client for the server at `host` (an IPv4 or IPv6 literal, or
    /// `localhost`) and `port`, over HTTPS when ``Configuration/tls`` is set. Host names are not resolved: resolve them
    /// before, once, with the resolver of your choice. Throws
    /// ``HTTPClientError/invalidUpstream(_:)`` for another host, a port
    /// outside 1...65535, or a configuration with a limit or timeout that is
    /// not positive.
    public init(host: String, port: Int, configuration: Configuration = Configuration()) throws(HTTPClientError) {
        target = try ClientTarget(upstream: .address(try UpstreamAddress(host: host, port: port)), configuration: configuration)
    }

    /// A client for `http://HOST:PORT` or `https://HOST:PORT` (a trailing `/`
    /// is allowed; no path, query or user information). `https` uses
    /// ``Configuration/tls``, or the system's trusted CAs when it is nil.
    public init(url: String, configuration: Configuration = Configuration()) throws(HTTPClientError) {
        let address = try UpstreamAddress(url: url)
        var configuration = configuration
        if url.hasPrefix("https://") {
            configuration.tls = configuration.tls ?? TLS()
        } else {
            configuration.tls = nil
        }
        target = try ClientTarget(upstream: .address(address), configuration: configuration)
    }

    /// A client for the very server whose handler calls it: on each worker,
    /// the address the server listens on (its loopback address when it
    /// listens on every address). For services that call their own routes,
    /// and for tests. Throws as ``init(host:port:configuration:)`` does for
    /// the configuration.
    public static func thisServer(configuration: Configuration = Configuration()) throws(HTTPClientError) -> HTTPClient {
        HTTPClient(target: try ClientTarget(upstream: .thisServer, configuration: configuration))
    }

    init(target: ClientTarget) { self.target = target }

    /// The configuration the client was created with.
    public var configuration: Configuration { target.configuration }

    /// Sends `request` and returns the whole response.
    ///
    /// Takes the most recently used idle connection of this worker's pool,
    /// or opens one, or waits in line while the pool is at
    /// ``Configuration/maxConnections``. An idempotent request that fails on
    /// a reused connection before any byte of the response arrived (the
    /// upstream closed it meanwhile) is sent once more on a new connection.
    /// Cancelling the calling task (the handler's client left) closes the
    /// connection and throws ``HTTPClientError/cancelled``.
    public func execute(_ request: Request) async throws(HTTPClientError) -> Response {
        guard let runtime = WorkerRuntime.current, runtime.executor.isOwnerThread else { throw .notOnWorker }
        if Task.isCancelled {
            runtime.metrics?.add(.cancelled)
            throw .cancelled
        }
        let clients = runtime.clients
        let id = clients.nextExchangeID()
        let target = self.target
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                clients.start(target, request, id: id, continuation)
            }
        } onCancel: {
            // Any thread may cancel: the worker acts on it in its next turn.
            runtime.post(.run { runtime.clients.cancel(id) })
        }
        runtime.metrics?.add(ClientOutcome(result))  // back on the worker: its counters
        return try result.get()
    }

    /// `GET path`. Lays the request out for this call only: for a fixed
    /// request on a hot path, build a ``Request`` once and ``execute(_:)`` it.
    public func get(_ path: String, headerFields: HTTPFields = [:]) async throws(HTTPClientError) -> Response {
        try await execute(try Request(method: .get, path: path, headerFields: headerFields))
    }

    /// `POST path` with `body`.
    public func post(_ path: String, headerFields: HTTPFields = [:], body: [UInt8]) async throws(HTTPClientError) -> Response {
        try await execute(try Request(method: .post, path: path, headerFields: headerFields, body: body))
    }

    /// Any method, with an optional body.
    public func execute(
        _ method: HTTPRequest.Method, _ path: String, headerFields: HTTPFields = [:], body: [UInt8]? = nil
    ) async throws(HTTPClientError) -> Response {
        try await execute(try Request(method: method, path: path, headerFields: headerFields, body: body))
    }
}
