import ArgumentParser
import Ringside

/// `ringside serve` options of HTTPS.
struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "HTTPS: a PEM file with a certificate and its chain (with --tls-key; the port then speaks TLS only).",
        discussion: "Repeat --tls-cert and --tls-key, in pairs, to serve several certificates: a client's server name (SNI) picks the first whose names cover it, the first pair serves the rest."))
    var tlsCert: [String] = []

    @Option(help: "HTTPS: a PEM file with the private key of the --tls-cert in the same position.")
    var tlsKey: [String] = []

    @Option(help: "HTTPS on this port, beside cleartext HTTP on --port (0 picks a free one). Without it, --port speaks TLS only.")
    var tlsPort: Int?

    @Option(help: "Seconds a session-ticket key seals new tickets before the next replaces it (tickets resume for as long).")
    var tlsTicketLifetime = 3600

    @Option(help: "Seconds between checks of the certificate and key files; changed files are loaded for new connections (0: only on SIGHUP).")
    var tlsWatchInterval = 2

    @Option(help: "TLS handshakes in progress per worker; connections beyond wait, unread, for their turn.")
    var tlsMaxHandshakes = 128

    @Flag(help: "Keep OpenSSL's record buffers while a TLS connection is idle: fewer allocations per request, about 30 KB more per idle connection.")
    var tlsKeepBuffers = false

    func validate() throws {
        guard tlsCert.count == tlsKey.count else { throw ValidationError("--tls-cert and --tls-key go in pairs") }
        if tlsPort != nil && tlsCert.isEmpty { throw ValidationError("--tls-port needs --tls-cert and --tls-key") }
        if let tlsPort, !(0...65535).contains(tlsPort) { throw ValidationError("--tls-port must be 0...65535") }
        if tlsTicketLifetime < 1 { throw ValidationError("--tls-ticket-lifetime must be at least 1") }
        if tlsWatchInterval < 0 { throw ValidationError("--tls-watch-interval must be 0 or more") }
        if tlsMaxHandshakes < 1 { throw ValidationError("--tls-max-handshakes must be at least 1") }
    }

    /// The server's TLS settings, nil for cleartext.
    var configuration: ServerConfiguration.TLS? {
        guard !tlsCert.isEmpty else { return nil }
        var tls = ServerConfiguration.TLS(
            certificates: zip(tlsCert, tlsKey).map { ServerConfiguration.TLS.Certificate(chainFile: $0, keyFile: $1) },
            port: tlsPort)
        tls.ticketKeyLifetime = .seconds(tlsTicketLifetime)
        tls.watchInterval = tlsWatchInterval == 0 ? nil : .seconds(tlsWatchInterval)
        tls.releasesIdleBuffers = !tlsKeepBuffers
        tls.maxHandshakesInProgress = tlsMaxHandshakes
        return tls
    }

    /// Whether the main port speaks TLS (no port of its own for it).
    var onMainPort: Bool { !tlsCert.isEmpty && tlsPort == nil }
}
