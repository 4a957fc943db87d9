extension ServerConfiguration {
    /// HTTPS: TLS 1.2 and 1.3 only, with this certificate, on a port of its
    /// own beside the cleartext one, or on the server's one port.
    ///
    /// The handshake and the record layer run on the worker that owns the
    /// connection (OpenSSL 3 over the bytes the worker already receives and
    /// sends: no extra thread, no blocking call). A handshake must finish
    /// within ``Timeouts/header``.
    public struct TLS: Sendable, Equatable {
        /// A PEM file: the server's certificate, then its chain.
        public var certificateChainFile: String
        /// A PEM file: the certificate's private key (ECDSA or RSA).
        public var privateKeyFile: String
        /// HTTPS on a port of its own, beside cleartext HTTP on ``ServerConfiguration/port``
        /// (0 picks a free one; ``Server/tlsPort`` tells which). Nil: the server's one port speaks TLS.
        public var port: Int?

        /// HTTPS with the certificate chain and key in these PEM files, read when the server starts.
        public init(certificateChainFile: String, privateKeyFile: String, port: Int? = nil) {
            self.certificateChainFile = certificateChainFile
            self.privateKeyFile = privateKeyFile
            self.port = port
        }
    }
}
