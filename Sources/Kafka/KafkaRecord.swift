/// One partition of one topic: the unit Kafka orders, assigns and commits.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// A record header. Kafka allows repeated names and null values; the
/// wrapper keeps both.
public struct KafkaHeader: Hashable, Sendable {
    public let name: String
    public let value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(name: String, text: String) {
        self.init(name: name, value: Array(text.utf8))
    }
}

/// A consumed record, copied out of librdkafka's buffers: it owns its bytes
/// and outlives the poll that returned it.
public struct KafkaRecord: Sendable {
    public let topicPartition: TopicPartition
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]?
    public let headers: [KafkaHeader]
    /// Milliseconds since the epoch, as the producer or broker stamped it; nil when absent.
    public let timestampMs: Int64?

    public init(topicPartition: TopicPartition, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader], timestampMs: Int64?) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    /// The first header with this name, as UTF-8 text.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Where a produced record landed, from its delivery report.
public struct DeliveredRecord: Sendable, Equatable {
    public let topicPartition: TopicPartition
    public let offset: Int64
}
