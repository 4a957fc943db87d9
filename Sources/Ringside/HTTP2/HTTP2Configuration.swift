extension ServerConfiguration {
    /// HTTP/2 (RFC 9113) on the cleartext port with prior knowledge (h2c),
    /// and by ALPN (`h2`) on the TLS listener: a connection whose first
    /// bytes are the HTTP/2 preface speaks HTTP/2, any other HTTP/1.1. Every
    /// route, handler and limit serves its streams as it serves HTTP/1.1
    /// requests.
    ///
    /// The limits below bound what one connection can make the server do;
    /// each one broken ends the connection with GOAWAY `ENHANCE_YOUR_CALM`.
    public struct HTTP2: Sendable, Equatable {
        /// Serve HTTP/2 at all; off, the preface is an HTTP/1.1 request (answered 501) and ALPN offers `http/1.1` only.
        public var enabled = true
        /// `SETTINGS_MAX_CONCURRENT_STREAMS`: streams a client may have open at once.
        public var maxConcurrentStreams = 100
        /// Streams the client may reset at once (rapid reset, CVE-2023-44487), then
        /// ``resetRate`` a second.
        public var resetBurst = 200
        public var resetRate = 100
        /// Empty DATA frames not ending their stream, per connection (CVE-2019-9518).
        public var maxEmptyDataFrames = 100
        /// CONTINUATION frames per header block (CVE-2024-27316 and kin).
        public var maxContinuations = 8
        /// Control frames (PING, SETTINGS) answered but not yet sent, per connection:
        /// a client that sends them without reading the answers (CVE-2019-9512, -9515).
        public var maxQueuedControlFrames = 1000

        public init(enabled: Bool = true, maxConcurrentStreams: Int = 100) {
            self.enabled = enabled
            self.maxConcurrentStreams = maxConcurrentStreams
        }
    }
}
