import Kafka
import Wire

/// The librdkafka properties every Kafka client of the ingestor shares:
/// brokers, and TLS and SASL for real clusters (`KAFKA_BROKERS`,
/// `KAFKA_TLS_*`, `KAFKA_SASL_*`). The security protocol follows from what
/// is set (TLS files: `ssl`; SASL: `sasl_plaintext`, both: `sasl_ssl`)
/// unless `KAFKA_SECURITY_PROTOCOL` names it.
struct KafkaSettings {
    static let saslMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

    let configuration: KafkaConfiguration

    init(settings: Settings, brokersFlag: String?) throws(ConfigurationError) {
        let brokers = try settings.required(
            "KAFKA_BROKERS", flag: brokersFlag, flagName: "--brokers", expected: "host:port[,host:port...] of the Kafka bootstrap brokers",
            parse: { text in text.split(separator: ",").allSatisfy { Settings.hostPort(String($0)) != nil } ? text : nil })
        var configuration = KafkaConfiguration()
        configuration.set("bootstrap.servers", brokers)
        configuration.set("client.id", "cybermesh-ingestor")
        var tls = false
        for (variable, property) in [("KAFKA_TLS_CA_FILE", "ssl.ca.location"), ("KAFKA_TLS_CERT_FILE", "ssl.certificate.location"), ("KAFKA_TLS_KEY_FILE", "ssl.key.location")] {
            if let path = settings.text(variable, flag: nil) {
                configuration.set(property, path)
                tls = true
            }
        }
        if let password = settings.text("KAFKA_TLS_KEY_PASSWORD", flag: nil) { configuration.set("ssl.key.password", password) }
        var sasl = false
        if let named = settings.text("KAFKA_SASL_MECHANISM", flag: nil) {
            guard let mechanism = Self.saslMechanisms.first(where: { $0 == named.uppercased() }) else {
                throw .invalid(variable: "KAFKA_SASL_MECHANISM", flag: "(no flag)", value: named, expected: "one of \(Self.saslMechanisms.joined(separator: ", "))")
            }
            let username = try settings.required("KAFKA_SASL_USERNAME", flag: nil, flagName: "(no flag)", expected: "the SASL user name (KAFKA_SASL_MECHANISM is set)", parse: { $0 })
            let password = try settings.required("KAFKA_SASL_PASSWORD", flag: nil, flagName: "(no flag)", expected: "the SASL password (KAFKA_SASL_MECHANISM is set)", parse: { $0 })
            configuration.set("sasl.mechanisms", mechanism)
            configuration.set("sasl.username", username)
            configuration.set("sasl.password", password)
            sasl = true
        }
        let derived = sasl ? (tls ? "sasl_ssl" : "sasl_plaintext") : (tls ? "ssl" : "plaintext")
        let protocolName = try settings.optional(
            "KAFKA_SECURITY_PROTOCOL", flag: nil, flagName: "(no flag)", expected: "one of plaintext, ssl, sasl_plaintext, sasl_ssl",
            default: derived, parse: { ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"].contains($0.lowercased()) ? $0.lowercased() : nil })
        configuration.set("security.protocol", protocolName)
        self.configuration = configuration
    }
}
