import ArgumentParser
import Ringside

/// `ringside serve` options of HTTPS.
struct TLSOptions: ParsableArguments {
    @Option(help: "HTTPS: a PEM file with the server's certificate and its chain (with --tls-key; the port then speaks TLS only).")
    var tlsCert: String?

    @Option(help: "HTTPS: a PEM file with the certificate's private key.")
    var tlsKey: String?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// The server's TLS settings, nil for cleartext.
    var configuration: ServerConfiguration.TLS? {
        guard let tlsCert, let tlsKey else { return nil }
        return ServerConfiguration.TLS(certificateChainFile: tlsCert, privateKeyFile: tlsKey)
    }
}
