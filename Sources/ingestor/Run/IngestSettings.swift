import ConsensusCore
import Events
import Foundation
import Kafka
import Wire

/// Everything `ingestor run` needs, resolved from the environment (and a
/// few flags) at startup; every error names the setting and what it
/// expects.
struct IngestSettings {
    /// Brokers, TLS and SASL: what every Kafka client of the ingestor shares.
    let kafkaClient: KafkaConfiguration
    /// The client settings plus the consumer group's.
    let kafka: KafkaConfiguration
    let topics: IngestTopics
    let setFile: ValidatorSetFile
    let tls: TLSConfiguration
    let trustStorePath: String
    let httpListen: (host: String, port: UInt16)
    let verifyWorkers: Int
    let ledger: IntakeLedger.Configuration
    let validation: EventValidator.Configuration
    let drainMs: Int64

    struct Flags {
        var brokers: String?
        var group: String?
        var httpListen: String?
        var validatorSet: String?
        var trustStore: String?
    }

    init(settings: Settings = Settings(), flags: Flags = Flags()) throws {
        kafkaClient = try KafkaSettings(settings: settings, brokersFlag: flags.brokers).configuration
        var kafka = kafkaClient
        kafka.set("group.id", try settings.optional(
            "KAFKA_CONSUMER_GROUP_ID", flag: flags.group, flagName: "--group", expected: "a consumer group id", default: "cybermesh-consensus",
            parse: { $0.isEmpty ? nil : $0 }))
        kafka.set("auto.offset.reset", try settings.optional(
            "KAFKA_CONSUMER_OFFSET_INITIAL", flag: nil, flagName: "(no flag)", expected: "earliest or latest (where a new group starts)",
            default: "earliest", parse: { ["earliest", "latest"].contains($0.lowercased()) ? $0.lowercased() : nil }))
        let sessionMs = try settings.optional(
            "KAFKA_SESSION_TIMEOUT", flag: nil, flagName: "(no flag)", expected: "a duration from 6s to 5m, such as 10s", default: Int64(10_000),
            parse: { Settings.durationMs($0).flatMap { (6_000...300_000).contains($0) ? $0 : nil } })
        kafka.set("session.timeout.ms", "\(sessionMs)")
        kafka.set("heartbeat.interval.ms", "\(max(1_000, sessionMs / 3))")
        let strategy = try settings.optional(
            "KAFKA_REBALANCE_STRATEGY", flag: nil, flagName: "(no flag)", expected: "cooperative-sticky or eager",
            default: "cooperative-sticky", parse: { ["cooperative-sticky", "eager"].contains($0.lowercased()) ? $0.lowercased() : nil })
        kafka.set("partition.assignment.strategy", strategy == "eager" ? "range" : "cooperative-sticky")
        // Bound what librdkafka prefetches per partition (the ledger bounds the rest).
        kafka.set("queued.max.messages.kbytes", "16384")
        kafka.set("queued.min.messages", "1000")
        self.kafka = kafka

        let inputsText = settings.text("KAFKA_INPUT_TOPICS", flag: nil) ?? IngestTopics.defaultInputs.keys.sorted().joined(separator: ",")
        let inputs: [String: EventDomain]
        switch IngestTopics.parseInputs(inputsText) {
        case let .success(parsed): inputs = parsed
        case let .failure(error): throw ConfigurationError.invalid(variable: "KAFKA_INPUT_TOPICS", flag: "(no flag)", value: inputsText, expected: error.description)
        }
        let dlq = try settings.optional(
            "KAFKA_DLQ_TOPIC", flag: nil, flagName: "(no flag)", expected: "a Kafka topic name", default: IngestTopics.defaultDeadLetter,
            parse: { IngestTopics.isValidTopicName($0) ? $0 : nil })
        guard inputs[dlq] == nil else { throw ConfigurationError.inconsistent("KAFKA_DLQ_TOPIC \(dlq) is also an input topic") }
        topics = IngestTopics(inputs: inputs, deadLetter: dlq)

        setFile = try ValidatorSetFile.load(path: try settings.required(
            "VALIDATOR_SET_FILE", flag: flags.validatorSet, flagName: "--validator-set", expected: "the validator set JSON file", parse: { $0 }))
        tls = TLSConfiguration(
            caCertificatePath: try settings.required("TLS_CA_FILE", flag: nil, flagName: "(no flag)", expected: "the cluster CA (PEM)", parse: { $0 }),
            certificatePath: try settings.required("TLS_CERT_FILE", flag: nil, flagName: "(no flag)", expected: "this ingestor's certificate (PEM, OU = ingestor)", parse: { $0 }),
            privateKeyPath: try settings.required("TLS_KEY_FILE", flag: nil, flagName: "(no flag)", expected: "its private key (PEM)", parse: { $0 }))
        trustStorePath = try settings.required(
            "TRUST_STORE_FILE", flag: flags.trustStore, flagName: "--trust-store", expected: "the producer trust store JSON (CONTRACT §4)", parse: { $0 })
        httpListen = try settings.optional(
            "HTTP_LISTEN_ADDR", flag: flags.httpListen, flagName: "--http-listen", expected: "host:port (port 0 picks one)",
            default: ("127.0.0.1", UInt16(9200)), parse: { Settings.hostPort($0) })
        verifyWorkers = try settings.optional(
            "VERIFY_WORKERS", flag: nil, flagName: "(no flag)", expected: "1-256 verification threads", default: ProcessInfo.processInfo.activeProcessorCount,
            parse: Settings.integer(in: 1...256))
        var ledger = IntakeLedger.Configuration(validators: setFile.entries.map(\.id))
        ledger.resubmitIntervalMs = try settings.optional(
            "RESUBMIT_INTERVAL", flag: nil, flagName: "(no flag)", expected: "a duration from 1s, such as 10s", default: ledger.resubmitIntervalMs,
            parse: { Settings.durationMs($0).flatMap { $0 >= 1_000 ? $0 : nil } })
        ledger.maximumOpenRecords = try settings.optional(
            "MAX_IN_FLIGHT_EVENTS", flag: nil, flagName: "(no flag)", expected: "100-10,000,000 events", default: ledger.maximumOpenRecords,
            parse: Settings.integer(in: 100...10_000_000))
        ledger.maximumOpenBytes = try settings.optional(
            "MAX_IN_FLIGHT_BYTES", flag: nil, flagName: "(no flag)", expected: "1 MiB-16 GiB, in bytes", default: ledger.maximumOpenBytes,
            parse: Settings.integer(in: 1_048_576...17_179_869_184))
        self.ledger = ledger
        var validation = EventValidator.Configuration()
        validation.clockSkewToleranceMs = try settings.optional(
            "EVENT_CLOCK_SKEW_TOLERANCE", flag: nil, flagName: "(no flag)", expected: "a duration such as 5m", default: validation.clockSkewToleranceMs,
            parse: Settings.durationMs)
        self.validation = validation
        drainMs = try settings.optional(
            "SHUTDOWN_DRAIN", flag: nil, flagName: "(no flag)", expected: "a duration such as 5s", default: 5_000, parse: Settings.durationMs)
    }
}
