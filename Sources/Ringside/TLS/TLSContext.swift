import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A server's TLS settings in OpenSSL's terms (one `SSL_CTX`), made once at
/// start-up and shared by the workers: `SSL_new` on a context is safe from
/// any thread, and nothing changes it after start-up.
///
/// Threats it answers: protocol downgrade (TLS 1.2 and 1.3 only, AEAD
/// ciphers with forward secrecy only: no CBC, no RSA key exchange), client
/// renegotiation (refused: a cheap way to make the server do handshakes),
/// compression (off: CRIME), a certificate that does not match its key or
/// has expired (the server does not start).
final class TLSContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured in init and only read afterwards (SSL_new).
    let context: OpaquePointer
    /// ALPN's wire format: what the server speaks, in its order of preference.
    private let protocols: UnsafeMutableBufferPointer<UInt8>
    /// The ALPN callback's argument, over `protocols`.
    private let alpn: UnsafeMutablePointer<rs_tls_alpn>

    /// TLS 1.2's ciphers: ECDHE with AES-GCM or ChaCha20-Poly1305 only.
    static let ciphers12 = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    static let ciphersuites13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    init(_ configuration: ServerConfiguration.TLS, alpn names: [String] = ["http/1.1"]) throws(TLSSetupError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("SSL_CTX_new", TLSContext.lastError()) }
        self.context = context
        var wire: [UInt8] = []
        for name in names {
            wire.append(UInt8(name.utf8.count))
            wire.append(contentsOf: name.utf8)
        }
        protocols = .allocate(capacity: wire.count)
        _ = protocols.initialize(from: wire)
        alpn = .allocate(capacity: 1)
        alpn.initialize(to: rs_tls_alpn(protocols: protocols.baseAddress, length: UInt32(protocols.count)))
        guard rs_tls_ctx_configure(context, TLSContext.ciphers12, TLSContext.ciphersuites13) == 1 else {
            throw .openSSL("configuring TLS", TLSContext.lastError())
        }
        rs_tls_ctx_set_alpn(context, alpn)
        try load(configuration)
    }

    deinit {
        SSL_CTX_free(context)  // first: it points at `alpn`
        alpn.deallocate()
        protocols.deallocate()
    }

    private func load(_ configuration: ServerConfiguration.TLS) throws(TLSSetupError) {
        for file in [configuration.certificateChainFile, configuration.privateKeyFile] {
            guard let handle = fopen(file, "r") else { throw .unreadable(file, String(cString: strerror(errno))) }
            fclose(handle)
        }
        guard SSL_CTX_use_certificate_chain_file(context, configuration.certificateChainFile) == 1 else {
            throw .badCertificate(configuration.certificateChainFile, TLSContext.lastError())
        }
        guard SSL_CTX_use_PrivateKey_file(context, configuration.privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL checks the key against the certificate as it loads it.
            if ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH {
                ERR_clear_error()
                throw .keyMismatch(configuration.certificateChainFile, configuration.privateKeyFile)
            }
            throw .badKey(configuration.privateKeyFile, TLSContext.lastError())
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .keyMismatch(configuration.certificateChainFile, configuration.privateKeyFile)
        }
        if let certificate = SSL_CTX_get0_certificate(context) {
            if X509_cmp_current_time(X509_get0_notAfter(certificate)) <= 0 {
                throw .expired(configuration.certificateChainFile)
            }
            if X509_cmp_current_time(X509_get0_notBefore(certificate)) >= 0 {
                throw .notYetValid(configuration.certificateChainFile)
            }
        }
    }

    /// OpenSSL's last error on this thread, as text (and the queue emptied).
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Why the server could not set TLS up: it does not start, and says this in one line.
public enum TLSSetupError: Error, CustomStringConvertible, Equatable {
    /// A file cannot be opened: its path and the reason.
    case unreadable(String, String)
    /// The certificate file holds no PEM certificate chain OpenSSL accepts: its path and OpenSSL's reason.
    case badCertificate(String, String)
    /// The key file holds no PEM private key OpenSSL accepts: its path and OpenSSL's reason.
    case badKey(String, String)
    /// The key is not the certificate's: the certificate's path, then the key's.
    case keyMismatch(String, String)
    /// The certificate's validity ended: its path.
    case expired(String)
    /// The certificate's validity has not begun: its path.
    case notYetValid(String)
    /// OpenSSL refused a setting: the step and OpenSSL's reason.
    case openSSL(String, String)

    /// One line, saying what is wrong with which file.

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "TLS: cannot read \(file): \(reason)"
        case .badCertificate(let file, let reason): "TLS: \(file) holds no usable PEM certificate chain (\(reason))"
        case .badKey(let file, let reason): "TLS: \(file) holds no usable PEM private key (\(reason))"
        case .keyMismatch(let certificate, let key): "TLS: the key in \(key) does not match the certificate in \(certificate)"
        case .expired(let file): "TLS: the certificate in \(file) has expired"
        case .notYetValid(let file): "TLS: the certificate in \(file) is not valid yet"
        case .openSSL(let step, let reason): "TLS: \(step) failed (\(reason))"
        }
    }
}
