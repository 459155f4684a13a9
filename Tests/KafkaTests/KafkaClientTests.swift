import Foundation
import Kafka
import Synchronization
import Testing

/// The wrapper against librdkafka's mock cluster: records, headers and
/// offsets survive the round trip; rebalances reach the owner; bad
/// configuration fails with the property's name.
@Suite(.serialized)
struct KafkaClientTests {
    @Test func aProducedRecordIsConsumedWithItsKeyValueAndHeaders() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("t", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]))
        let delivered = try producer.produceAndWait(
            topic: "t", partition: 1, key: Array("k".utf8), value: [0, 1, 2, 255],
            headers: [KafkaHeader(name: "x-reason", text: "malformed"), KafkaHeader(name: "x-empty", value: nil)])
        #expect(delivered.topicPartition == TopicPartition(topic: "t", partition: 1))
        #expect(delivered.offset == 0)

        let consumer = try KafkaConsumer(configuration: Self.consumerConfiguration(cluster, group: "g1"), topics: ["t"], handler: RecordingHandler())
        defer { consumer.close() }
        let record = try #require(Self.nextRecord(consumer))
        #expect(record.topicPartition == TopicPartition(topic: "t", partition: 1))
        #expect(record.offset == 0)
        #expect(record.key == Array("k".utf8))
        #expect(record.value == [0, 1, 2, 255])
        #expect(record.header("x-reason") == "malformed")
        #expect(record.headers.contains(KafkaHeader(name: "x-empty", value: nil)))
    }

    @Test func aCommittedOffsetIsWhereTheGroupResumes() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("t", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]))
        for value in 0..<5 as Range<UInt8> { _ = try producer.produceAndWait(topic: "t", key: nil, value: [value]) }
        let partition = TopicPartition(topic: "t", partition: 0)
        do {
            let consumer = try KafkaConsumer(configuration: Self.consumerConfiguration(cluster, group: "g"), topics: ["t"], handler: RecordingHandler())
            let first = try #require(Self.nextRecord(consumer))
            let second = try #require(Self.nextRecord(consumer))
            #expect((first.value, second.value) == ([0], [1]))
            try consumer.commit([partition: second.offset + 1])
            #expect(try consumer.committed([partition], timeoutMs: 5_000) == [partition: 2])
            consumer.close()
        }
        let again = try KafkaConsumer(configuration: Self.consumerConfiguration(cluster, group: "g"), topics: ["t"], handler: RecordingHandler())
        defer { again.close() }
        let resumed = try #require(Self.nextRecord(again))
        #expect(resumed.offset == 2)
        #expect(resumed.value == [2])
    }

    @Test func assignmentAndRevocationReachTheHandlerOnClose() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("t", partitions: 3)
        let handler = RecordingHandler()
        let consumer = try KafkaConsumer(configuration: Self.consumerConfiguration(cluster, group: "g"), topics: ["t"], handler: handler)
        let deadline = Date().addingTimeInterval(20)
        while handler.assigned.withLock({ $0.count }) < 3, Date() < deadline { _ = consumer.poll(timeoutMs: 100) }
        #expect(handler.assigned.withLock { Set($0) } == Set((0..<3).map { TopicPartition(topic: "t", partition: $0) }))
        #expect(consumer.rebalanceProtocol == "COOPERATIVE")
        #expect(Set(consumer.assignment) == Set(handler.assigned.withLock { $0 }))
        consumer.close()
        #expect(handler.revoked.withLock { Set($0) } == Set((0..<3).map { TopicPartition(topic: "t", partition: $0) }))
    }

    @Test func anUnknownPropertyFailsWithItsName() {
        #expect {
            _ = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": "127.0.0.1:1", "no.such.property": "1"]))
        } throws: { error in
            "\(error)".contains("no.such.property")
        }
        #expect {
            _ = try KafkaConsumer(configuration: KafkaConfiguration(["bootstrap.servers": "127.0.0.1:1"]), topics: ["t"], handler: RecordingHandler())
        } throws: { error in
            "\(error)".contains("group.id is required")
        }
    }

    @Test func aRecordForAnUnreachableBrokerFailsItsDeliveryAndLibrdkafkaSaysWhyInTheLog() throws {
        let lines = Mutex<[String]>([])
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(["bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": "300"]),
            log: { _, facility, message in lines.withLock { $0.append("\(facility): \(message)") } })
        #expect(throws: KafkaError.self) { _ = try producer.produceAndWait(topic: "t", key: nil, value: [1]) }
        #expect(lines.withLock { $0.contains { $0.contains("127.0.0.1:1") && $0.contains("refused") } })
    }

    static func consumerConfiguration(_ cluster: KafkaMockCluster, group: String) -> KafkaConfiguration {
        KafkaConfiguration([
            "bootstrap.servers": cluster.bootstrapServers, "group.id": group, "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "cooperative-sticky", "session.timeout.ms": "6000",
        ])
    }

    static func nextRecord(_ consumer: KafkaConsumer, seconds: Double = 20) -> KafkaRecord? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if case let .record(record)? = consumer.poll(timeoutMs: 100) { return record }
        }
        return nil
    }
}

/// Records what the consumer reported.
final class RecordingHandler: KafkaRebalanceHandler {
    let assigned = Mutex<[TopicPartition]>([])
    let revoked = Mutex<[TopicPartition]>([])

    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) {
        assigned.withLock { $0 += partitions }
    }

    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer) {
        revoked.withLock { $0 += partitions }
    }
}
