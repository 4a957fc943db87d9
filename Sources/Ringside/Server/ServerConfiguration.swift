public import HTTP1

/// Everything a ``Server`` needs to know before it starts. All limits are explicit.
public struct ServerConfiguration: Sendable {
    /// Which event loop drives the workers.
    public enum Engine: String, Sendable, CaseIterable {
        /// io_uring when this kernel and process allow it, epoll otherwise (logged once).
        case auto
        /// io_uring: multishot accept and receive, provided buffers, batched submission.
        case uring
        /// epoll: level-triggered readiness on non-blocking sockets.
        case epoll
    }

    /// Address to listen on: an IPv4 or IPv6 literal (`0.0.0.0`, `127.0.0.1`, `::`).
    public var host: String
    /// TCP port; 0 picks a free one (read it back from ``Server/start()``).
    public var port: Int
    /// Worker threads, each with its own ring and `SO_REUSEPORT` listener.
    public var workers: Int
    /// The event loop; see ``Engine``.
    public var engine: Engine
    /// Pin worker *i* to the *i*-th CPU this process may use.
    public var pinCPUs: Bool
    /// `listen(2)` backlog per worker.
    public var backlog: Int32
    /// Open connections per worker; at the limit the worker stops accepting (new
    /// connections wait in the listen backlog) until one closes.
    public var maxConnectionsPerWorker: Int
    /// Receive buffers per worker (a power of two) and their size in bytes.
    public var receiveBufferCount: Int
    /// Bytes per receive buffer (and per epoll read).
    public var receiveBufferSize: Int
    /// Submission-queue entries per ring; the completion queue gets four times as many.
    public var ringEntries: Int
    /// Responses queued per connection before the server stops reading its
    /// pipelined requests. Each is a 16-byte iovec per connection slot, touched
    /// once used: 16 keeps 10,000 idle connections near 2.5 MB of them.
    public var maxQueuedResponses: Int
    /// Request-head limits (414, 431).
    public var parserLimits: ParserLimits
    /// Largest request body accepted (413, checked against `Content-Length` before reading).
    public var maxBodyBytes: Int
    /// After an answer that closes the connection while the client may still
    /// be sending (an error, unread pipelined requests), the server
    /// half-closes and reads and drops up to this many bytes (for at most
    /// ``Timeouts/linger`` seconds) before closing, so the client reads the
    /// answer instead of a reset.
    public var maxLingerBytes: Int
    /// Timeouts: workers check them once a second (see ``Timeouts``).
    public var timeouts: Timeouts
    /// Header fields added to every response, after the route's own content-type.
    public var serverHeaders: [(name: String, value: String)]
    /// Threads of the offload pool that runs `offload: true` handlers and
    /// ``offload(_:)`` work, shared by all workers; 0 disables the pool.
    public var offloadThreads: Int
    /// Offloaded jobs that may wait for a thread; beyond that, 503 with `retry-after`.
    public var offloadQueueDepth: Int
    /// How much nicer than the process the offload threads run (0 to 19):
    /// where a pool thread and a worker share a core, the worker gets it as
    /// soon as it has I/O to answer, and CPU-bound work waits a little
    /// instead of every request on the worker. 0: the same priority.
    public var offloadNice: Int = 10
    /// The time between the start of a shutdown (when the readiness check
    /// starts answering 503) and the drain: for a load balancer to stop
    /// sending new connections. Zero drains at once.
    public var shutdownDelay: Duration
    /// The liveness check's path (`GET`, 200 while the process serves); nil for none.
    public var livenessPath: String?
    /// The readiness check's path (`GET`, 200 while ready, 503 once shutdown
    /// begins or ``Server/setReady(_:)`` says so); nil for none.
    public var readinessPath: String?
    /// Outbound connections per worker, every ``HTTPClient`` together (each
    /// also bounded by its own ``HTTPClient/Configuration/maxConnections``);
    /// a call finding none free fails with ``HTTPClientError/poolExhausted``.
    public var maxOutboundConnectionsPerWorker: Int
    /// The Prometheus endpoint and the built-in per-request metrics.
    public var metrics: Metrics
    /// The access log; nil (the default) writes none.
    public var accessLog: AccessLog?
    /// Answer every request with `x-request-id`: the request's own when it
    /// sent a valid one (up to 48 characters of `A-Z a-z 0-9 - _ . : + / = @`),
    /// else one the worker makes (24 hex digits). Handlers read it as
    /// ``Request/requestID``; it is in ``Request/logger``'s metadata and the access log.
    public var requestIDs: Bool
    /// HTTPS on the listener (nil: cleartext HTTP).
    public var tls: TLS? = nil
    /// HTTP/2 with prior knowledge beside HTTP/1.1 (``HTTP2``).
    public var http2 = HTTP2()

    /// The defaults suit a server with thousands of keep-alive clients; every limit is explicit.
    public init(
        host: String = "0.0.0.0",
        port: Int = 3000,
        workers: Int = ServerConfiguration.availableCPUs,
        engine: Engine = .auto,
        pinCPUs: Bool = false,
        backlog: Int32 = 4096,
        maxConnectionsPerWorker: Int = 16384,
        receiveBufferCount: Int = 1024,
        receiveBufferSize: Int = 4096,
        ringEntries: Int = 1024,
        maxQueuedResponses: Int = 16,
        parserLimits: ParserLimits = ParserLimits(),
        maxBodyBytes: Int = 1 << 20,
        maxLingerBytes: Int = 1 << 20,
        timeouts: Timeouts = Timeouts(),
        serverHeaders: [(name: String, value: String)] = [("engine", "Ringside")],
        offloadThreads: Int = ServerConfiguration.availableCPUs,
        offloadQueueDepth: Int = 1024,
        shutdownDelay: Duration = .zero,
        livenessPath: String? = "/healthz",
        readinessPath: String? = "/readyz",
        maxOutboundConnectionsPerWorker: Int = 256,
        metrics: Metrics = Metrics(),
        accessLog: AccessLog? = nil,
        requestIDs: Bool = false
    ) {
        self.host = host
        self.port = port
        self.workers = workers
        self.engine = engine
        self.pinCPUs = pinCPUs
        self.backlog = backlog
        self.maxConnectionsPerWorker = maxConnectionsPerWorker
        self.receiveBufferCount = receiveBufferCount
        self.receiveBufferSize = receiveBufferSize
        self.ringEntries = ringEntries
        self.maxQueuedResponses = maxQueuedResponses
        self.parserLimits = parserLimits
        self.maxBodyBytes = maxBodyBytes
        self.maxLingerBytes = maxLingerBytes
        self.timeouts = timeouts
        self.serverHeaders = serverHeaders
        self.offloadThreads = offloadThreads
        self.offloadQueueDepth = offloadQueueDepth
        self.shutdownDelay = shutdownDelay
        self.livenessPath = livenessPath
        self.readinessPath = readinessPath
        self.maxOutboundConnectionsPerWorker = maxOutboundConnectionsPerWorker
        self.metrics = metrics
        self.accessLog = accessLog
        self.requestIDs = requestIDs
    }

    /// How long a connection may take. The workers look at their timeouts
    /// once a second, so each is rounded up to whole seconds and fires
    /// between that and one second later.
    public struct Timeouts: Sendable, Equatable {
        /// From the first byte of a request head until it is complete (slow-drip clients): 408, close.
        public var header: Duration
        /// Without progress while a request body is read: close.
        public var body: Duration
        /// A keep-alive connection with nothing to do, new connections included: close.
        public var idle: Duration
        /// Without progress while responses are being sent: close.
        public var send: Duration
        /// On shutdown, for requests in flight to be answered (handlers
        /// included, so at least ``handler``) before connections are cut.
        public var drain: Duration
        /// For an async or offloaded handler to answer: then 503, the handler's
        /// task is cancelled, and the connection closes after the answer.
        public var handler: Duration
        /// Lingering after a closing answer (see ``ServerConfiguration/maxLingerBytes``), then close.
        public var linger: Duration

        /// Defaults: 10 s for a head, a body or a send, 15 s idle, 30 s to drain and for a handler, 2 s to linger.
        public init(
            header: Duration = .seconds(10), body: Duration = .seconds(10), idle: Duration = .seconds(15),
            send: Duration = .seconds(10), drain: Duration = .seconds(30), handler: Duration = .seconds(30),
            linger: Duration = .seconds(2)
        ) {
            self.header = header
            self.body = body
            self.idle = idle
            self.send = send
            self.drain = drain
            self.handler = handler
            self.linger = linger
        }
    }

    /// CPUs this process may run on (its affinity mask), so `taskset` is respected.
    public static var availableCPUs: Int { CPUAffinity.allowedCount }
}
