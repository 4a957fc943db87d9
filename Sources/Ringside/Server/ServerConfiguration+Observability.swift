public import Prometheus

extension ServerConfiguration {
    /// The Prometheus endpoint: the built-in per-request metrics and the
    /// users' own swift-metrics, in the text exposition format.
    public struct Metrics: Sendable {
        /// Serve the endpoint and count (counting costs a few nanoseconds per request).
        public var isEnabled: Bool
        /// The endpoint's path (`GET` only).
        public var path: String
        /// Serve the endpoint on this port only, from a listener of its own
        /// (one epoll worker on ``ServerConfiguration/host``), instead of on
        /// the main port; 0 picks a free one. Nil: the main port answers it.
        public var adminPort: Int?
        /// The registry that swift-metrics' `Counter(label:)` and friends
        /// record into (see ``RingsideMetrics/bootstrap(registry:)``); its
        /// metrics follow the built-in ones. Nil: built-in metrics only.
        public var registry: PrometheusCollectorRegistry?

        /// Defaults: on, `/metrics` on the main port, no user registry.
        public init(
            isEnabled: Bool = true, path: String = "/metrics", adminPort: Int? = nil,
            registry: PrometheusCollectorRegistry? = nil
        ) {
            self.isEnabled = isEnabled
            self.path = path
            self.adminPort = adminPort
            self.registry = registry
        }
    }

    /// One line per answered request, written by each worker in batches.
    public struct AccessLog: Sendable {
        /// How each line is written.
        public enum Format: String, Sendable, CaseIterable {
            /// `TIME REMOTE "METHOD PATH" STATUS BYTES SECONDS REQUEST-ID`, `-` for what is unknown.
            case text
            /// One JSON object per line: `time`, `remote`, `method`, `path`, `status`, `bytes`, `duration`, `request_id`.
            case json
        }

        /// A file path (appended to, created if missing), or `-` for standard output.
        public var path: String
        /// Text or JSON lines.
        public var format: Format

        /// The access log at `path` (`-`: standard output) in `format`.
        public init(path: String, format: Format = .text) {
            self.path = path
            self.format = format
        }
    }
}
