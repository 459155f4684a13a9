import Logging
import Metrics
import Prometheus

/// The logging and metrics set-up every CyberMesh process performs once at
/// startup: JSON log lines at LOG_LEVEL (default info), and swift-metrics
/// backed by a Prometheus registry that the process's `/metrics` route
/// renders. Metric names follow `cybermesh_<area>_<what>_<unit>`.
public enum Telemetry {
    /// Bootstraps both systems. Call exactly once, first thing in `main`.
    public static func bootstrap(process: String, settings: Settings = Settings(), logLevelFlag: String? = nil) throws(ConfigurationError) -> MetricsExporter {
        let level: Logger.Level = try settings.optional(
            "LOG_LEVEL", flag: logLevelFlag, flagName: "--log-level",
            expected: "one of trace, debug, info, notice, warning, error, critical", default: .info,
            parse: { Logger.Level(rawValue: $0.lowercased()) })
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label, level: level)
            handler.metadata["process"] = "\(process)"
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return MetricsExporter(registry: registry)
    }
}

/// Renders the process's metrics in the Prometheus text format.
public struct MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The `/metrics` body.
    public func render() -> String { registry.emitToString() }
}
