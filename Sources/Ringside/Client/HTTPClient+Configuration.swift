extension HTTPClient {
    /// Limits, timeouts and fields of one ``HTTPClient``. They apply per
    /// worker: each worker has its own pool for each client.
    public struct Configuration: Sendable {
        /// Open connections to the upstream per worker (connecting, busy and
        /// idle together). A request that finds none idle and the pool full
        /// waits in line. The server's ``ServerConfiguration/maxOutboundConnectionsPerWorker``
        /// bounds all clients of a worker together.
        public var maxConnections: Int
        /// Requests waiting in line for a connection, per worker; beyond it a
        /// call throws ``HTTPClientError/poolExhausted`` at once.
        public var maxQueuedRequests: Int
        /// The longest response head accepted (status line, fields, final
        /// CRLF, and any 1xx heads before it), in bytes.
        public var maxResponseHeadBytes: Int
        /// The most fields a response head may have.
        public var maxResponseHeaderCount: Int
        /// The largest response body accepted, in bytes: a larger
        /// `content-length` fails before a byte of the body is read, a
        /// chunked or close-delimited body as soon as it grows past it.
        public var maxResponseBodyBytes: Int
        /// Fields sent with every request (`user-agent`, an API key), after
        /// the request's own. `host`, `content-length`, `transfer-encoding`
        /// and `connection` are the client's own and are dropped from here.
        public var headerFields: HTTPFields
        /// How long each step may take.
        public var timeouts: Timeouts
        /// HTTPS: the upstream speaks TLS (set by an `https://` URL). Nil: cleartext.
        public var tls: TLS?

        /// Small pools, bounded queues and heads, 4 MiB bodies; see ``Timeouts`` for the times.
        public init(
            maxConnections: Int = 16,
            maxQueuedRequests: Int = 1024,
            maxResponseHeadBytes: Int = 16384,
            maxResponseHeaderCount: Int = 100,
            maxResponseBodyBytes: Int = 4 << 20,
            headerFields: HTTPFields = [:],
            timeouts: Timeouts = Timeouts(),
            tls: TLS? = nil
        ) {
            self.maxConnections = maxConnections
            self.maxQueuedRequests = maxQueuedRequests
            self.maxResponseHeadBytes = maxResponseHeadBytes
            self.maxResponseHeaderCount = maxResponseHeaderCount
            self.maxResponseBodyBytes = maxResponseBodyBytes
            self.headerFields = headerFields
            self.timeouts = timeouts
            self.tls = tls
        }
    }

    /// How an HTTPS client trusts its upstream and shows itself.
    ///
    /// The upstream's chain must lead to a trusted CA, and its certificate
    /// must name the upstream: ``serverName`` if given, else the host the
    /// client was made for (an IP literal is checked as an address, and sent
    /// no SNI). TLS 1.2 and 1.3 only, ALPN `http/1.1`. A pool's connections
    /// resume the session its last handshake got (a ticket), so only a
    /// worker's first connection to an upstream makes a full handshake.
    public struct TLS: Sendable {
        /// A PEM file of the CAs to trust; nil: the system's (`/etc/ssl/certs`).
        public var trustedCertificatesFile: String?
        /// The name the certificate must carry, also sent as SNI; nil: the client's host.
        public var serverName: String?
        /// A certificate and key the client presents when the upstream asks (mutual TLS).
        public var clientCertificate: ServerConfiguration.TLS.Certificate?

        /// HTTPS trusting `trustedCertificatesFile` (nil: the system's CAs).
        public init(
            trustedCertificatesFile: String? = nil, serverName: String? = nil,
            clientCertificate: ServerConfiguration.TLS.Certificate? = nil
        ) {
            self.trustedCertificatesFile = trustedCertificatesFile
            self.serverName = serverName
            self.clientCertificate = clientCertificate
        }
    }

    /// How long each step of a call may take; past one the call throws
    /// ``HTTPClientError/timedOut(_:)`` and the connection is closed.
    ///
    /// Checked by the worker's loop, which wakes for the earliest deadline:
    /// about a millisecond of resolution on epoll, finer on io_uring.
    public struct Timeouts: Sendable, Equatable {
        /// From the connect to the connection being established.
        public var connect: Duration
        /// Waiting in line for a connection while the pool is full.
        public var queue: Duration
        /// From handing the request to a connection until the whole response
        /// head arrived (the upstream's think time, in effect).
        public var responseHead: Duration
        /// Reading the body without a byte arriving.
        public var bodyProgress: Duration
        /// An idle pooled connection is closed after this. Keep it below the
        /// upstream's own idle timeout (Ringside's 15 s, nginx's 75 s, Node's
        /// 5 s), so that the upstream never closes a connection just as a
        /// request is sent on it.
        public var idle: Duration

        /// Defaults: 5 s to connect or wait in line, 10 s for the head and
        /// between body bytes, 4 s idle (below common upstream idle timeouts).
        public init(
            connect: Duration = .seconds(5), queue: Duration = .seconds(5), responseHead: Duration = .seconds(10),
            bodyProgress: Duration = .seconds(10), idle: Duration = .seconds(4)
        ) {
            self.connect = connect
            self.queue = queue
            self.responseHead = responseHead
            self.bodyProgress = bodyProgress
            self.idle = idle
        }
    }
}
