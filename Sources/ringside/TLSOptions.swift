import ArgumentParser
import Ringside

/// `ringside serve` options of HTTPS.
struct TLSOptions: ParsableArguments {
    @Option(help: "HTTPS: a PEM file with the server's certificate and its chain (with --tls-key; the port then speaks TLS only).")
    var tlsCert: String?

    @Option(help: "HTTPS: a PEM file with the certificate's private key.")
    var tlsKey: String?

    @Option(help: "HTTPS on this port, beside cleartext HTTP on --port (0 picks a free one). Without it, --port speaks TLS only.")
    var tlsPort: Int?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsPort != nil && tlsCert == nil { throw ValidationError("--tls-port needs --tls-cert and --tls-key") }
        if let tlsPort, !(0...65535).contains(tlsPort) { throw ValidationError("--tls-port must be 0...65535") }
    }

    /// The server's TLS settings, nil for cleartext.
    var configuration: ServerConfiguration.TLS? {
        guard let tlsCert, let tlsKey else { return nil }
        return ServerConfiguration.TLS(certificateChainFile: tlsCert, privateKeyFile: tlsKey, port: tlsPort)
    }

    /// Whether the main port speaks TLS (no port of its own for it).
    var onMainPort: Bool { tlsCert != nil && tlsPort == nil }
}
