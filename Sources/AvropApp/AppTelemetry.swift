import Postgres
public import Prometheus

/// The service's metrics: one Prometheus registry per application (no process-global state), request
/// counters and latency histograms by route, and the database pool's gauges and wait times.
public struct AppTelemetry: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Latency buckets around what a person notices (tens of ms) and what a probe or a proxy gives up on.
        let buckets: [Duration] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        factory.defaultDurationHistogramBuckets = buckets
        self.factory = factory
    }

    /// For `ConnectionPool(waitObserver:)`: how long callers wait for a connection.
    public var poolWaitObserver: @Sendable (Duration) -> Void {
        let histogram = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "avrop", subsystem: "db_pool", metricName: "wait", unitName: "seconds",
                helpText: "Time callers waited for a database connection."
            ),
            buckets: [.microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
                      .milliseconds(500), .seconds(2), .seconds(10)]
        )
        return { histogram.record($0) }
    }

    /// Sets the pool gauges to the pool's state now (called at each scrape).
    func recordPool(_ statistics: ConnectionPool.Statistics) {
        let connections = MetricNameDescriptor(
            namespace: "avrop", subsystem: "db_pool", metricName: "connections", unitName: "",
            helpText: "Open database connections by state."
        )
        registry.makeGauge(descriptor: connections, labels: [("state", "in_use")]).set(Double(statistics.inUse))
        registry.makeGauge(descriptor: connections, labels: [("state", "idle")]).set(Double(statistics.idle))
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "avrop", subsystem: "db_pool", metricName: "waiting", unitName: "",
            helpText: "Callers waiting for a database connection."
        )).set(Double(statistics.waiting))
    }
}
