extension ServerConfiguration {
    /// HTTPS: the listener speaks TLS 1.2 and 1.3 only, with this certificate.
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

        /// HTTPS with the certificate chain and key in these PEM files, read when the server starts.
        public init(certificateChainFile: String, privateKeyFile: String) {
            self.certificateChainFile = certificateChainFile
            self.privateKeyFile = privateKeyFile
        }
    }
}
