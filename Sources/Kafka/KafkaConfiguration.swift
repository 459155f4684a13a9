import CRdKafka

/// librdkafka properties (`bootstrap.servers`, `security.protocol`,
/// `sasl.mechanisms`, ...), applied in order; a later value for the same
/// name wins. Every value is checked by librdkafka when a client is made,
/// and a bad one fails with the property's name and librdkafka's reason.
public struct KafkaConfiguration: Sendable, Equatable {
    public private(set) var properties: [(name: String, value: String)] = []

    public init(_ properties: [String: String] = [:]) {
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) { set(name, value) }
    }

    public mutating func set(_ name: String, _ value: String) {
        properties.removeAll { $0.name == name }
        properties.append((name, value))
    }

    public subscript(name: String) -> String? {
        properties.last { $0.name == name }?.value
    }

    public static func == (lhs: KafkaConfiguration, rhs: KafkaConfiguration) -> Bool {
        lhs.properties.elementsEqual(rhs.properties) { $0.name == $1.name && $0.value == $1.value }
    }

    /// A new `rd_kafka_conf_t` holding these properties. The caller passes it
    /// to `rd_kafka_new` (which takes ownership) or destroys it.
    func makeConf(operation: String) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(operation: operation, message: "rd_kafka_conf_new returned nothing") }
        var reason = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &reason, reason.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let shown = name.contains("password") || name.contains("secret") ? "<hidden>" : value
                throw KafkaError(operation: operation, message: "property \(name)=\(shown): \(text)")
            }
        }
        return conf
    }
}

/// Creates a librdkafka handle of `type` from a configured conf; on failure
/// the conf is destroyed and librdkafka's reason thrown.
func makeKafkaHandle(type: rd_kafka_type_t, conf: OpaquePointer, operation: String) throws(KafkaError) -> OpaquePointer {
    var reason = [CChar](repeating: 0, count: 512)
    guard let handle = rd_kafka_new(type, conf, &reason, reason.count) else {
        rd_kafka_conf_destroy(conf)
        let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw KafkaError(operation: operation, message: text)
    }
    return handle
}
