import ConsensusCore
import Kafka
import Testing
import Wire
@testable import ingestor

/// The ingestor's Kafka settings: TLS and SASL reach librdkafka as it
/// expects them (it accepts the properties), and bad values are refused
/// with the setting's name.
struct IngestSettingsTests {
    @Test func tlsAndSaslSettingsBecomeLibrdkafkaPropertiesItAccepts() throws {
        let settings = Settings(environment: [
            "KAFKA_BROKERS": "kafka-1:9093,kafka-2:9093", "KAFKA_TLS_CA_FILE": "/etc/ssl/certs/ca-certificates.crt",
            "KAFKA_SASL_MECHANISM": "scram-sha-512", "KAFKA_SASL_USERNAME": "ingestor", "KAFKA_SASL_PASSWORD": "secret",
        ])
        let configuration = try KafkaSettings(settings: settings, brokersFlag: nil).configuration
        #expect(configuration["security.protocol"] == "sasl_ssl")
        #expect(configuration["sasl.mechanisms"] == "SCRAM-SHA-512")
        #expect(configuration["ssl.ca.location"] == "/etc/ssl/certs/ca-certificates.crt")
        #expect(configuration["bootstrap.servers"] == "kafka-1:9093,kafka-2:9093")
        _ = try KafkaProducer(configuration: configuration, log: { _, _, _ in })
    }

    @Test func withoutTlsOrSaslTheProtocolIsPlaintextAndSaslAloneIsSaslPlaintext() throws {
        let plain = try KafkaSettings(settings: Settings(environment: ["KAFKA_BROKERS": "127.0.0.1:9092"]), brokersFlag: nil).configuration
        #expect(plain["security.protocol"] == "plaintext")
        let sasl = try KafkaSettings(settings: Settings(environment: [
            "KAFKA_BROKERS": "127.0.0.1:9092", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
        ]), brokersFlag: nil).configuration
        #expect(sasl["security.protocol"] == "sasl_plaintext")
    }

    @Test func badKafkaSettingsAreRefusedWithTheirNames() {
        #expect(throws: ConfigurationError.self) { _ = try KafkaSettings(settings: Settings(environment: [:]), brokersFlag: nil) }
        for (environment, named) in [
            (["KAFKA_BROKERS": "no-port"], "KAFKA_BROKERS"),
            (["KAFKA_BROKERS": "k:9092", "KAFKA_SASL_MECHANISM": "GSSAPI"], "KAFKA_SASL_MECHANISM"),
            (["KAFKA_BROKERS": "k:9092", "KAFKA_SASL_MECHANISM": "PLAIN"], "KAFKA_SASL_USERNAME"),
            (["KAFKA_BROKERS": "k:9092", "KAFKA_SECURITY_PROTOCOL": "tls"], "KAFKA_SECURITY_PROTOCOL"),
        ] {
            #expect { _ = try KafkaSettings(settings: Settings(environment: environment), brokersFlag: nil) } throws: { "\($0)".contains(named) }
        }
    }

    @Test func inputTopicsNeedADomainUnlessTheyAreTheContractsDefaults() throws {
        let parsed = try IngestTopics.parseInputs("alerts=ai.anomaly.v1, ai.policy.v1").get()
        #expect(parsed == ["alerts": .anomaly, "ai.policy.v1": .policy])
        for (text, says) in [
            ("alerts", "needs its domain"), ("alerts=ai.unknown.v1", "is not a domain"), ("a b", "not a Kafka topic name"),
            ("ai.policy.v1,ai.policy.v1", "listed twice"), (" , ", "no topic"),
        ] {
            guard case let .failure(error) = IngestTopics.parseInputs(text) else {
                Issue.record("\"\(text)\" was accepted")
                continue
            }
            #expect(error.description.contains(says), "\(error)")
        }
    }
}
