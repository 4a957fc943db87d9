import ArgumentParser
import Ringside

/// `ringside serve` options of the upstream `/v1/user` calls.
struct UpstreamOptions: ParsableArguments {
    @Option(help: "Where /v1/user fetches /v1/avatar: http://HOST:PORT or https://HOST:PORT (HOST an IP literal or localhost). Default: this server itself.")
    var upstream: String?

    @Option(help: "HTTPS upstream: a PEM file of the CAs to trust (default: the system's).")
    var upstreamCa: String?

    @Option(help: "HTTPS upstream: the name its certificate must carry, also sent as SNI (default: the URL's host).")
    var upstreamServerName: String?

    @Option(help: "HTTPS upstream: a PEM client certificate (with --upstream-key) for mutual TLS.")
    var upstreamCert: String?

    @Option(help: "HTTPS upstream: the client certificate's PEM private key.")
    var upstreamKey: String?

    @Option(help: "Keep-alive connections to the upstream per worker; more calls wait in line.")
    var upstreamConnections = 64

    @Option(help: "Calls waiting in line for an upstream connection per worker (503 beyond).")
    var upstreamQueue = 1024

    @Option(help: "Seconds (fractions allowed) to connect, to wait in line, for the response head, and between body bytes (then 504).")
    var upstreamTimeout = 5.0

    @Option(help: "Seconds (fractions allowed) an idle pooled upstream connection is kept.")
    var upstreamIdleTimeout = 4.0

    @Option(help: "Largest upstream response body in bytes (502 beyond).")
    var upstreamMaxBody = 1 << 20

    @Option(help: "Outbound connections per worker, all upstreams together.")
    var maxOutboundConnections = 256

    func validate() throws {
        guard upstreamConnections > 0, upstreamQueue >= 0, upstreamTimeout > 0, upstreamIdleTimeout > 0,
              upstreamMaxBody >= 0, maxOutboundConnections > 0 else {
            throw ValidationError("upstream limits must be positive")
        }
        guard (upstreamCert == nil) == (upstreamKey == nil) else {
            throw ValidationError("--upstream-cert and --upstream-key go together")
        }
        let tlsOptions = upstreamCa != nil || upstreamServerName != nil || upstreamCert != nil
        if tlsOptions && !(upstream?.hasPrefix("https://") ?? false) {
            throw ValidationError("--upstream-ca, --upstream-server-name and --upstream-cert need an https:// --upstream")
        }
        _ = try client()
    }

    /// The client `/v1/user` calls.
    func client() throws -> HTTPClient {
        let step = Duration.milliseconds(Int64((upstreamTimeout * 1000).rounded(.up)))
        let idle = Duration.milliseconds(Int64((upstreamIdleTimeout * 1000).rounded(.up)))
        let configuration = HTTPClient.Configuration(
            maxConnections: upstreamConnections, maxQueuedRequests: upstreamQueue, maxResponseBodyBytes: upstreamMaxBody,
            timeouts: HTTPClient.Timeouts(connect: step, queue: step, responseHead: step, bodyProgress: step, idle: idle),
            tls: HTTPClient.TLS(
                trustedCertificatesFile: upstreamCa, serverName: upstreamServerName,
                clientCertificate: upstreamCert.map { ServerConfiguration.TLS.Certificate(chainFile: $0, keyFile: upstreamKey ?? "") }))
        guard let upstream else {
            var cleartext = configuration
            cleartext.tls = nil
            return try .thisServer(configuration: cleartext)
        }
        do {
            return try HTTPClient(url: upstream, configuration: configuration)
        } catch {
            throw ValidationError("--upstream: \(error)")
        }
    }
}
