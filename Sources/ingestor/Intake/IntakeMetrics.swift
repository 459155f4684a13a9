import Events
import Kafka
import Metrics

/// The ingestor's Prometheus metrics (`/metrics`), named
/// `cybermesh_ingest_<what>`.
final class IntakeMetrics: Sendable {
    let consumed = Counter(label: "cybermesh_ingest_consumed_total")
    let valid = Counter(label: "cybermesh_ingest_valid_total")
    let committed = Counter(label: "cybermesh_ingest_committed_total")
    let replays = Counter(label: "cybermesh_ingest_replays_total")
    let resubmissions = Counter(label: "cybermesh_ingest_resubmissions_total")
    let backOffs = Counter(label: "cybermesh_ingest_back_offs_total")
    let verifySeconds = Timer(label: "cybermesh_ingest_verify_seconds", preferredDisplayUnit: .seconds)
    let openRecords = Gauge(label: "cybermesh_ingest_in_flight_events")
    let openBytes = Gauge(label: "cybermesh_ingest_in_flight_bytes")
    let pausedPartitions = Gauge(label: "cybermesh_ingest_paused_partitions")
    let assignedPartitions = Gauge(label: "cybermesh_ingest_assigned_partitions")
    let offsetCommits = Counter(label: "cybermesh_ingest_offset_commits_total")
    let offsetCommitFailures = Counter(label: "cybermesh_ingest_offset_commit_failures_total")
    let kafkaErrors = Counter(label: "cybermesh_ingest_kafka_errors_total")
    let deadLetterFailures = Counter(label: "cybermesh_ingest_dead_letter_write_failures_total")
    let wrongAnswers = Counter(label: "cybermesh_ingest_validator_wrong_answers_total")
    let validatorsLinked = Gauge(label: "cybermesh_ingest_validators_linked")

    func deadLettered(_ reason: RejectionReason) -> Counter {
        Counter(label: "cybermesh_ingest_dead_lettered_total", dimensions: [("reason", reason.rawValue)])
    }

    func lag(_ partition: TopicPartition) -> Gauge {
        Gauge(label: "cybermesh_ingest_lag", dimensions: [("topic", partition.topic), ("partition", "\(partition.partition)")])
    }

    func validatorQueue(_ validator: String) -> Gauge {
        Gauge(label: "cybermesh_ingest_validator_queue_depth", dimensions: [("validator", validator)])
    }

    func trustStore(sha256: String) -> Gauge {
        Gauge(label: "cybermesh_trust_store_loaded", dimensions: [("sha256", sha256)])
    }
}
