import Foundation
import Kafka
import Synchronization
import Testing

/// Group behaviour through the wrapper: partitions move between members
/// under both rebalance protocols, and a consumer survives its broker going
/// down and coming back.
@Suite(.serialized)
struct KafkaGroupTests {
    static func configuration(_ cluster: KafkaMockCluster, strategy: String) -> KafkaConfiguration {
        KafkaConfiguration([
            "bootstrap.servers": cluster.bootstrapServers, "group.id": "g", "auto.offset.reset": "earliest",
            "partition.assignment.strategy": strategy, "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
        ])
    }

    static func pollBoth(_ consumers: [KafkaConsumer], until condition: () -> Bool, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            for consumer in consumers { _ = consumer.poll(timeoutMs: 50) }
            if condition() { return true }
        }
        return condition()
    }

    @Test(arguments: [("cooperative-sticky", "COOPERATIVE"), ("range", "EAGER")])
    func aSecondMemberTakesPartitionsFromTheFirstWhichIsToldBeforeTheyMove(strategy: String, expectedProtocol: String) throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("t", partitions: 4)
        let first = RecordingHandler()
        let a = try KafkaConsumer(configuration: Self.configuration(cluster, strategy: strategy), topics: ["t"], handler: first, log: { _, _, _ in })
        #expect(Self.pollBoth([a]) { a.assignment.count == 4 })
        #expect(a.rebalanceProtocol == expectedProtocol)
        let second = RecordingHandler()
        let b = try KafkaConsumer(configuration: Self.configuration(cluster, strategy: strategy), topics: ["t"], handler: second, log: { _, _, _ in })
        #expect(Self.pollBoth([a, b]) { a.assignment.count == 2 && b.assignment.count == 2 }, "a: \(a.assignment), b: \(b.assignment)")
        let moved = Set(b.assignment)
        #expect(moved.isSubset(of: Set(first.revoked.withLock { $0 })), "the first member was not told before its partitions moved")
        if expectedProtocol == "COOPERATIVE" {
            #expect(Set(first.revoked.withLock { $0 }) == moved, "cooperative: only the moving partitions are revoked")
        } else {
            #expect(first.revoked.withLock { $0 }.count == 4, "eager: every partition is revoked, then reassigned")
        }
        b.close()
        a.close()
    }

    @Test func aConsumerCarriesOnAfterItsBrokerWentDownAndCameBack() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("t", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]), log: { _, _, _ in })
        _ = try producer.produceAndWait(topic: "t", key: nil, value: [1])
        let errors = Mutex<[String]>([])
        let consumer = try KafkaConsumer(
            configuration: Self.configuration(cluster, strategy: "cooperative-sticky"), topics: ["t"], handler: RecordingHandler(), log: { _, _, _ in })
        defer { consumer.close() }
        #expect(KafkaClientTests.nextRecord(consumer)?.value == [1])
        cluster.setBroker(1, up: false)
        let quiet = Date().addingTimeInterval(2)
        while Date() < quiet {
            if case let .error(error, _)? = consumer.poll(timeoutMs: 100) { errors.withLock { $0.append(error.name) } }
        }
        cluster.setBroker(1, up: true)
        _ = try producer.produceAndWait(topic: "t", key: nil, value: [2])
        #expect(KafkaClientTests.nextRecord(consumer, seconds: 30)?.value == [2], "no record after the broker came back (errors: \(errors.withLock { $0 }))")
    }
}
