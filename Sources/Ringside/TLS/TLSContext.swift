import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A server's TLS settings in OpenSSL's terms: one `SSL_CTX` per
/// certificate, the first the primary (connections start on it; SNI moves
/// a handshake to another, `tls_shim.c`). Made from the files once at
/// start-up and again at each reload, and shared by the workers: `SSL_new`
/// on a context is safe from any thread, and nothing changes one once made.
///
/// Threats it answers: protocol downgrade (TLS 1.2 and 1.3 only, AEAD
/// ciphers with forward secrecy only: no CBC, no RSA key exchange), client
/// renegotiation (refused: a cheap way to make the server do handshakes),
/// compression (off: CRIME), a certificate that does not match its key or
/// has expired (the server does not start; a reload keeps the old one).
final class TLSContext: @unchecked Sendable {
    // @unchecked: the SSL_CTXs are configured in init and only read afterwards (SSL_new).
    /// The primary context; it holds the others (freed with it, once no handshake uses them).
    let context: OpaquePointer

    /// TLS 1.2's ciphers: ECDHE with AES-GCM or ChaCha20-Poly1305 only.
    static let ciphers12 = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    static let ciphersuites13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    init(_ configuration: ServerConfiguration.TLS, alpn names: [String] = ["http/1.1"]) throws(TLSSetupError) {
        var wire: [UInt8] = []
        for name in names {
            wire.append(UInt8(name.utf8.count))
            wire.append(contentsOf: name.utf8)
        }
        let lifetime = Int(configuration.ticketKeyLifetime.clampedNanoseconds / 1_000_000_000)
        rs_tls_tickets_set_lifetime(max(lifetime, 1))
        var contexts: [OpaquePointer] = []
        defer { contexts.dropFirst().forEach { SSL_CTX_free($0) } }  // the primary holds its own references
        do throws(TLSSetupError) {
            for certificate in configuration.certificates {
                contexts.append(try TLSContext.make(certificate, configuration, alpn: wire))
            }
        } catch {
            contexts.first.map { SSL_CTX_free($0) }
            throw error
        }
        context = contexts[0]
        for other in contexts.dropFirst() where rs_tls_ctx_add_sni(context, other) != 1 {
            SSL_CTX_free(context)
            throw .openSSL("adding a certificate for SNI", TLSContext.lastError())
        }
    }

    deinit { SSL_CTX_free(context) }

    /// One certificate's context, configured as every other.
    private static func make(
        _ certificate: ServerConfiguration.TLS.Certificate, _ configuration: ServerConfiguration.TLS, alpn: [UInt8]
    ) throws(TLSSetupError) -> OpaquePointer {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("SSL_CTX_new", lastError()) }
        do throws(TLSSetupError) {
            guard rs_tls_ctx_configure(context, ciphers12, ciphersuites13, configuration.releasesIdleBuffers ? 1 : 0) == 1 else {
                throw TLSSetupError.openSSL("configuring TLS", lastError())
            }
            guard alpn.withUnsafeBufferPointer({ rs_tls_ctx_set_alpn(context, $0.baseAddress, UInt32($0.count)) }) == 1 else {
                throw TLSSetupError.openSSL("setting ALPN", lastError())
            }
            let lifetime = Int(configuration.ticketKeyLifetime.clampedNanoseconds / 1_000_000_000)
            rs_tls_ctx_use_tickets(context, max(lifetime, 1))
            try load(certificate, into: context)
            return context
        } catch {
            SSL_CTX_free(context)
            throw error
        }
    }

    private static func load(_ certificate: ServerConfiguration.TLS.Certificate, into context: OpaquePointer) throws(TLSSetupError) {
        for file in [certificate.chainFile, certificate.keyFile] {
            guard let handle = fopen(file, "r") else { throw .unreadable(file, String(cString: strerror(errno))) }
            fclose(handle)
        }
        guard SSL_CTX_use_certificate_chain_file(context, certificate.chainFile) == 1 else {
            throw .badCertificate(certificate.chainFile, lastError())
        }
        guard SSL_CTX_use_PrivateKey_file(context, certificate.keyFile, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL checks the key against the certificate as it loads it.
            if ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH {
                ERR_clear_error()
                throw .keyMismatch(certificate.chainFile, certificate.keyFile)
            }
            throw .badKey(certificate.keyFile, lastError())
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .keyMismatch(certificate.chainFile, certificate.keyFile)
        }
        if let x509 = SSL_CTX_get0_certificate(context) {
            if X509_cmp_current_time(X509_get0_notAfter(x509)) <= 0 { throw .expired(certificate.chainFile) }
            if X509_cmp_current_time(X509_get0_notBefore(x509)) >= 0 { throw .notYetValid(certificate.chainFile) }
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
