import ConsensusCore
import Events
import Foundation
import Kafka
import Logging
import Synchronization
import Testing
import Wire
@testable import ingestor

/// Records built to slip through: a stale record is judged "stale" only
/// when everything else about it holds, a record larger than the whole
/// byte bound can still be read, and a dead letter larger than the DLQ
/// accepts is written truncated instead of stopping its partition.
struct HostileInputTests {
    static let key = Ed25519.SigningKey.generate()
    static let validator = EventValidator(trustStore: try! TrustStore(producers: [
        TrustStore.Producer(id: "p", publicKey: key.publicKey, domains: Set(EventDomain.allCases)),
    ]))

    static func record(timestampMs: Int64, forgeSignature: Bool) -> [UInt8] {
        var event = SignedEvent.make(
            domain: .anomaly, timestampMs: timestampMs, producerID: "p", nonce: [UInt8](repeating: 7, count: 16),
            payload: Array(#"{"id":"a","type":"t","severity":1,"confidence":0.5}"#.utf8), signingKey: key)
        if forgeSignature { event.signature = [UInt8](repeating: 0x42, count: 64) }
        return event.encoded()
    }

    @Test func anUnsignedStaleRecordIsDeadLetteredAsForgedNotPassedOnAsStale() {
        let now = WallClock.nowMs()
        let forged = VerificationPool.verdict(Self.record(timestampMs: now - 600_000, forgeSignature: true), topicDomain: .anomaly, validator: Self.validator, nowMs: now)
        guard case .invalid(.badSignature, _) = forged else {
            Issue.record("an unsigned stale record was \(forged)")
            return
        }
        let genuine = VerificationPool.verdict(Self.record(timestampMs: now - 600_000, forgeSignature: false), topicDomain: .anomaly, validator: Self.validator, nowMs: now)
        guard case .stale = genuine else {
            Issue.record("a signed stale record was \(genuine)")
            return
        }
        let mismatched = VerificationPool.verdict(Self.record(timestampMs: now - 600_000, forgeSignature: false), topicDomain: .policy, validator: Self.validator, nowMs: now)
        guard case .invalid(.domainMismatch, _) = mismatched else {
            Issue.record("a stale record on the wrong topic was \(mismatched)")
            return
        }
    }

    @Test func aRecordLargerThanTheWholeByteBoundIsTakenWhenNothingElseIsOpen() {
        let partition = TopicPartition(topic: "ai.anomalies.v1", partition: 0)
        var configuration = IntakeLedger.Configuration(validators: [1, 2, 3, 4])
        configuration.maximumOpenBytes = 1_000
        var ledger = IntakeLedger(configuration: configuration)
        ledger.assign([partition])
        let big = [UInt8](repeating: 1, count: 5_000)
        let first = ledger.read(IntakeLedger.Location(partition: partition, offset: 0), value: big)
        #expect(first == .taken)
        let second = ledger.read(IntakeLedger.Location(partition: partition, offset: 1), value: [1])
        #expect(second == .overBound)
    }

    @Test func aDeadLetterTooLargeForTheDLQIsWrittenTruncatedWithItsOriginalSize() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("dlq", partitions: 1)
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "message.max.bytes": "100000"]), log: { _, _, _ in })
        let writer = DeadLetterWriter(topic: "dlq", producer: producer, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let letter = IntakeLedger.DeadLetter(
            location: IntakeLedger.Location(partition: TopicPartition(topic: "ai.anomalies.v1", partition: 2), offset: 9),
            value: [UInt8](repeating: 0x61, count: 200_000), reason: .oversize, detail: "too big")
        let acknowledged = Mutex(false)
        writer.write(letter) { _ in acknowledged.withLock { $0 = true } }
        let deadline = Date().addingTimeInterval(20)
        while !acknowledged.withLock({ $0 }), Date() < deadline { usleep(50_000) }
        #expect(acknowledged.withLock { $0 }, "the dead letter was never acknowledged (failures: \(writer.failureCount))")
        final class Quiet: KafkaRebalanceHandler {
            func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) {}
            func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer) {}
        }
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "group.id": "r", "auto.offset.reset": "earliest"]),
            topics: ["dlq"], handler: Quiet(), log: { _, _, _ in })
        defer { consumer.close() }
        var record: KafkaRecord?
        let until = Date().addingTimeInterval(20)
        while record == nil, Date() < until { if case let .record(r)? = consumer.poll(timeoutMs: 100) { record = r } }
        #expect(record?.header("x-cybermesh-truncated-from") == "200000")
        #expect(record?.header("x-cybermesh-reason") == "oversize")
        #expect(record?.value?.count == DeadLetterWriter.truncatedValueBytes)
    }
}
