/// The three kinds of security event (CONTRACT §1). The raw value is the
/// domain string carried inside a signed event.
public enum EventDomain: String, CaseIterable, Sendable, Hashable {
    case anomaly = "ai.anomaly.v1"
    case evidence = "ai.evidence.v1"
    case policy = "ai.policy.v1"

    /// The default Kafka topic of the domain (configurable in the ingestor).
    public var defaultTopic: String {
        switch self {
        case .anomaly: return "ai.anomalies.v1"
        case .evidence: return "ai.evidence.v1"
        case .policy: return "ai.policy.v1"
        }
    }
}
