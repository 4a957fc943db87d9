import HTTP1
import HTTPTypes
import Prometheus

/// What `/metrics` shows: the workers' built-in metrics summed at scrape
/// time, then the users' swift-metrics from their Prometheus registry.
///
/// Names and labels follow OpenTelemetry's HTTP semantic conventions as
/// Prometheus spells them (`http_server_request_duration_seconds` with
/// `http_request_method`, `http_route`, `http_response_status_code`); what
/// the conventions do not cover is `ringside_*`. Every built-in series
/// carries `engine` (`io_uring` or `epoll`).
final class ServerMetrics: Sendable {
    let workers: [WorkerMetrics]
    /// Route patterns by route index (the `http_route` label).
    let routes: [String]
    /// `io_uring` or `epoll`.
    let engine: String
    let pool: OffloadPool?
    let registry: PrometheusCollectorRegistry?

    init(
        workers: [WorkerMetrics], routes: [String], engine: ServerConfiguration.Engine, pool: OffloadPool?,
        registry: PrometheusCollectorRegistry?
    ) {
        self.workers = workers
        self.routes = routes
        self.engine = engine == .epoll ? "epoll" : "io_uring"
        self.pool = pool
        self.registry = registry
    }

    /// The content type of the text exposition format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The answer to a scrape.
    func response() -> Response {
        Response(status: .ok, headerFields: [.contentType: ServerMetrics.contentType], bytes: render())
    }

    /// Every metric in the Prometheus text format (version 0.0.4).
    func render() -> [UInt8] {
        var text = PrometheusText(engine: engine)
        renderRequests(&text)
        let total = { (counter: WorkerMetrics.Counter) in self.workers.reduce(0 as UInt64) { $0 &+ $1.value(counter) } }
        let signed = { (counter: WorkerMetrics.Counter) in Int64(bitPattern: total(counter)) }

        text.family("http_server_active_requests", .gauge, "Requests read whose answer is not queued yet.")
        text.sample("http_server_active_requests", [], signed(.activeRequests))

        let accepted = total(.connectionsAccepted)
        let closed = total(.connectionsClosed)
        text.family("ringside_connections_accepted_total", .counter, "Connections accepted.")
        text.sample("ringside_connections_accepted_total", [], accepted)
        text.family("ringside_connections_closed_total", .counter, "Connections closed.")
        text.sample("ringside_connections_closed_total", [], closed)
        text.family("ringside_connections_active", .gauge, "Connections open now.")
        text.sample("ringside_connections_active", [], Int64(bitPattern: accepted &- closed))

        text.family("ringside_network_io_bytes_total", .counter, "Bytes received from and sent to clients.")
        text.sample("ringside_network_io_bytes_total", [("network_io_direction", "receive")], total(.bytesReceived))
        text.sample("ringside_network_io_bytes_total", [("network_io_direction", "transmit")], total(.bytesSent))

        text.family("ringside_offload_queue_depth", .gauge, "Offloaded jobs waiting for a pool thread.")
        text.sample("ringside_offload_queue_depth", [], Int64(pool?.queued ?? 0))
        text.family("ringside_offload_rejected_total", .counter, "Offloaded jobs refused because the queue was full (503).")
        text.sample("ringside_offload_rejected_total", [], total(.offloadRejected))
        let offload = pool?.stats.totals ?? (jobs: 0, nanoseconds: 0)
        text.family("ringside_offload_jobs_total", .counter, "Offloaded jobs run.")
        text.sample("ringside_offload_jobs_total", [], offload.jobs)
        text.family("ringside_offload_run_seconds_total", .counter, "Time pool threads spent running offloaded jobs.")
        text.sample("ringside_offload_run_seconds_total", [], Double(offload.nanoseconds) / 1e9)

        text.family("ringside_http_client_requests_total", .counter, "Upstream requests made by handlers, by outcome.")
        for outcome in ClientOutcome.allCases {
            let count = workers.reduce(0 as UInt64) { $0 &+ $1.value(outcome) }
            text.sample("ringside_http_client_requests_total", [("outcome", outcome.label)], count)
        }
        text.family("ringside_http_client_pool_connections", .gauge, "Pooled upstream connections, by state.")
        let open = signed(.clientPoolConnections)
        let idle = signed(.clientPoolIdle)
        text.sample("ringside_http_client_pool_connections", [("state", "active")], open - idle)
        text.sample("ringside_http_client_pool_connections", [("state", "idle")], idle)

        text.family("ringside_tls_handshakes_total", .counter,
                    "TLS handshakes by outcome (completed, failed, timed_out, abandoned) and, completed, by version.")
        text.sample("ringside_tls_handshakes_total", [("outcome", "completed"), ("tls_protocol_version", "1.2")], total(.tlsHandshakes12))
        text.sample("ringside_tls_handshakes_total", [("outcome", "completed"), ("tls_protocol_version", "1.3")], total(.tlsHandshakes13))
        text.sample("ringside_tls_handshakes_total", [("outcome", "failed")], total(.tlsHandshakesFailed))
        text.sample("ringside_tls_handshakes_total", [("outcome", "timed_out")], total(.tlsHandshakesTimedOut))
        text.sample("ringside_tls_handshakes_total", [("outcome", "abandoned")], total(.tlsHandshakesAbandoned))
        text.family("ringside_tls_resumed_handshakes_total", .counter, "Completed TLS handshakes that resumed a session from a ticket.")
        text.sample("ringside_tls_resumed_handshakes_total", [], total(.tlsResumed))

        text.family("ringside_metrics_series_overflow_total", .counter,
                    "Answers not in the duration histogram: a worker's series table was full.")
        text.sample("ringside_metrics_series_overflow_total", [], total(.seriesOverflow))

        text.family("ringside_build_info", .gauge, "The Ringside release serving; always 1.")
        text.sample("ringside_build_info", [("version", RingsideVersion.current)], 1 as UInt64)

        var bytes = text.bytes
        registry?.emit(into: &bytes)
        return bytes
    }

    /// OpenTelemetry's `network.protocol.version` of a series' protocol.
    private static func protocolVersion(_ version: UInt8) -> String {
        switch version {
        case 20: "2"
        case 10: "1.0"
        default: "1.1"
        }
    }

    /// `http_server_request_duration_seconds`, one histogram per (method, route, status, protocol version).
    private func renderRequests(_ text: inout PrometheusText) {
        var series: [UInt64: [UInt64]] = [:]
        for worker in workers { worker.addSeries(into: &series) }
        let name = "http_server_request_duration_seconds"
        text.family(name, .histogram, "Duration of HTTP server requests, from the loop turn that read the head to the one that queued the answer.")
        for (key, values) in series.sorted(by: { $0.key < $1.key }) {
            let method = HTTP1.Method(rawValue: UInt8(key & 0xFF)) ?? .other
            let route = Int((key >> 8) & 0xFFFF)
            let labels = [
                ("http_request_method", method == .other ? "_OTHER" : method.name),
                ("http_route", route == 0 || route > routes.count ? "unmatched" : routes[route - 1]),
                ("http_response_status_code", String((key >> 24) & 0xFFFF)),
                ("network_protocol_version", Self.protocolVersion(UInt8(truncatingIfNeeded: key >> 40))),
            ]
            var cumulative: UInt64 = 0
            for bucket in 0..<WorkerMetrics.bucketCount {
                cumulative &+= values[bucket]
                let bound = bucket < WorkerMetrics.bucketBounds.count
                    ? PrometheusText.format(WorkerMetrics.bucketBounds[bucket]) : "+Inf"
                text.sample(name + "_bucket", labels + [("le", bound)], cumulative)
            }
            text.sample(name + "_sum", labels, Double(values[WorkerMetrics.bucketCount]) / 1e9)
            text.sample(name + "_count", labels, cumulative)
        }
    }
}

/// Prometheus text exposition (format 0.0.4), written into bytes.
struct PrometheusText {
    enum Kind: String {
        case counter, gauge, histogram
    }

    private(set) var bytes: [UInt8] = []
    /// Added to every sample's labels.
    let engine: String

    init(engine: String) {
        self.engine = engine
        bytes.reserveCapacity(16 << 10)
    }

    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        bytes += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n".utf8
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        sample(name, labels, text: PrometheusText.format(value))
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        sample(name, labels, text: String(value))
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int64) {
        sample(name, labels, text: String(value))
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], text value: String) {
        bytes += name.utf8
        bytes += "{engine=\"".utf8
        bytes += engine.utf8
        bytes += "\"".utf8
        for (label, labelValue) in labels {
            bytes += ",\(label)=\"".utf8
            for byte in labelValue.utf8 {
                // Label values escape `\`, `"` and newlines.
                switch byte {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), byte]
                case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                default: bytes.append(byte)
                }
            }
            bytes += "\"".utf8
        }
        bytes += "} ".utf8
        bytes += value.utf8
        bytes += "\n".utf8
    }

    /// Integers without a fraction, others in Swift's shortest round-trip form.
    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
