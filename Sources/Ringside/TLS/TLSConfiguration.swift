extension ServerConfiguration {
    /// HTTPS: TLS 1.2 and 1.3 only, with one or more certificates, on a port
    /// of its own beside the cleartext one, or on the server's one port.
    ///
    /// The handshake and the record layer run on the worker that owns the
    /// connection (OpenSSL 3 over the bytes the worker already receives and
    /// sends: no extra thread, no blocking call). A handshake must finish
    /// within ``Timeouts/header``.
    public struct TLS: Sendable, Equatable {
        /// A certificate and its key, as PEM files.
        public struct Certificate: Sendable, Equatable {
            /// A PEM file: the certificate, then its chain.
            public var chainFile: String
            /// A PEM file: the certificate's private key (ECDSA or RSA).
            public var keyFile: String

            /// A certificate (then its chain) and its key, as PEM files.
            public init(chainFile: String, keyFile: String) {
                self.chainFile = chainFile
                self.keyFile = keyFile
            }
        }

        /// The certificates served, never empty. A client's server name (SNI)
        /// picks the first whose names cover it; the first serves clients that
        /// send no name or one that none covers.
        public var certificates: [Certificate]
        /// HTTPS on a port of its own, beside cleartext HTTP on ``ServerConfiguration/port``
        /// (0 picks a free one; ``Server/tlsPort`` tells which). Nil: the server's one port speaks TLS.
        public var port: Int?
        /// How long a session-ticket key seals new tickets before the next
        /// one replaces it; a ticket resumes a session for at most this long.
        /// Keys are made in the process and shared by its workers.
        public var ticketKeyLifetime: Duration = .seconds(3600)
        /// How often the certificate and key files are checked for changes;
        /// changed files are loaded for new connections (open ones keep what
        /// they negotiated). Nil: only ``Server/reloadTLS()`` reloads them.
        public var watchInterval: Duration? = .seconds(2)
        /// TLS handshakes in progress per worker; connections beyond wait,
        /// unread, for their turn (their handshake timeout running). Bounds
        /// what a flood of ClientHellos makes the server hold.
        public var maxHandshakesInProgress = 128
        /// OpenSSL frees a connection's record buffers while it is idle
        /// (`SSL_MODE_RELEASE_BUFFERS`): less memory per idle connection, an
        /// allocation and a free per busy turn.
        public var releasesIdleBuffers = true

        /// HTTPS with the certificate chain and key in these PEM files, read when the server starts.
        public init(certificateChainFile: String, privateKeyFile: String, port: Int? = nil) {
            self.init(certificates: [Certificate(chainFile: certificateChainFile, keyFile: privateKeyFile)], port: port)
        }

        /// HTTPS with these certificates (SNI chooses; the first is the default), read when the server starts.
        public init(certificates: [Certificate], port: Int? = nil) {
            precondition(!certificates.isEmpty, "TLS needs a certificate")
            self.certificates = certificates
            self.port = port
        }

        /// The first certificate's chain file.
        public var certificateChainFile: String { certificates[0].chainFile }
        /// The first certificate's key file.
        public var privateKeyFile: String { certificates[0].keyFile }
    }
}
