import ArgumentParser
import Ringside

/// `ringside serve` options of HTTP/2.
struct HTTP2Options: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "HTTP/2: h2c with prior knowledge on the cleartext port, h2 by ALPN over TLS.")
    var http2 = true

    @Option(help: "HTTP/2: streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).")
    var http2MaxStreams = 100

    func validate() throws {
        if !(1...1_000_000).contains(http2MaxStreams) { throw ValidationError("--http2-max-streams must be 1...1000000") }
    }

    var configuration: ServerConfiguration.HTTP2 {
        ServerConfiguration.HTTP2(enabled: http2, maxConcurrentStreams: http2MaxStreams)
    }
}
