import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An ``HTTPClient``'s TLS settings in OpenSSL's terms (one client
/// `SSL_CTX`), made when the client is created and shared by every worker's
/// pool for it: `SSL_new` on a context is safe from any thread, and nothing
/// changes it afterwards.
///
/// Threats it answers: a man in the middle (the peer's chain must lead to a
/// trusted CA and the certificate must name the upstream: its host name, or
/// the address it was given as), downgrades (TLS 1.2 and 1.3, AEAD ciphers
/// with forward secrecy only), renegotiation and compression (off).
final class TLSClientContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured in init and only read afterwards (SSL_new).
    let context: OpaquePointer

    init(_ configuration: HTTPClient.TLS) throws(HTTPClientError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw .invalidUpstream("TLS: SSL_CTX_new failed (\(TLSContext.lastError()))")
        }
        self.context = context
        guard rs_tls_client_ctx_configure(context, TLSContext.ciphers12, TLSContext.ciphersuites13) == 1 else {
            throw .invalidUpstream("TLS: configuring failed (\(TLSContext.lastError()))")
        }
        if let file = configuration.trustedCertificatesFile {
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                throw .invalidUpstream("TLS: \(file) holds no usable PEM certificates (\(TLSContext.lastError()))")
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw .invalidUpstream("TLS: the system's trusted certificates cannot be read (\(TLSContext.lastError()))")
        }
        if let client = configuration.clientCertificate {
            guard SSL_CTX_use_certificate_chain_file(context, client.chainFile) == 1 else {
                throw .invalidUpstream("TLS: \(client.chainFile) holds no usable PEM certificate chain (\(TLSContext.lastError()))")
            }
            guard SSL_CTX_use_PrivateKey_file(context, client.keyFile, SSL_FILETYPE_PEM) == 1,
                  SSL_CTX_check_private_key(context) == 1 else {
                throw .invalidUpstream("TLS: the key in \(client.keyFile) does not match \(client.chainFile) or is unusable (\(TLSContext.lastError()))")
            }
        }
    }

    deinit { SSL_CTX_free(context) }
}
