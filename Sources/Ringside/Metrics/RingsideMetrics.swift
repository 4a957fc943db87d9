import CoreMetrics
public import Prometheus

/// Users' own swift-metrics, served at the server's `/metrics` after the built-in ones.
///
/// ```swift
/// let registry = RingsideMetrics.bootstrap()
/// let server = Server(configuration: ServerConfiguration(metrics: .init(registry: registry)), router: router)
/// // in a handler:
/// Counter(label: "orders_total", dimensions: [("kind", "book")]).increment()
/// ```
///
/// swift-prometheus keeps these in its registry (an atomic add per counter
/// update, a lock per histogram observation): fine for an application's own
/// metrics. The per-request built-ins do not go through it (see `WorkerMetrics`).
public enum RingsideMetrics {
    /// Bootstraps swift-metrics' `MetricsSystem` with a Prometheus factory
    /// that records into `registry`, and returns the registry for
    /// ``ServerConfiguration/Metrics/registry``. Once per process, before any
    /// metric is created (swift-metrics' rule).
    @discardableResult
    public static func bootstrap(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) -> PrometheusCollectorRegistry {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
