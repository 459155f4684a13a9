import ConsensusCore
import Foundation
import Kafka
import Testing
import Wire

extension ClusterSuites {
    /// `ingestor run` between the mock Kafka cluster and real validators
    /// (CONTRACT §1-2, ARCHITECTURE §7).
    @Suite(.serialized) struct IngestorPipelineTests {
        static let invalidKinds = [
            "malformed", "oversize", "unknown_producer", "domain_not_allowed", "domain_mismatch", "bad_signature",
            "bad_content_hash", "stale_timestamp", "future_timestamp", "bad_payload", "replay",
        ]

        /// Adds a producer allowed only anomalies to both the trust store
        /// and the credentials, so that `domain_not_allowed` can be made.
        static func addLimitedProducer(_ cluster: TestCluster) throws {
            let key = Ed25519.SigningKey.generate()
            for (file, entry) in [
                ("producers.json", #"{"id":"limited-detector","secret_key_hex":"\#(Hex.encode(key.exportSeed()))","domains":["ai.anomaly.v1"]}"#),
                ("trust.json", #"{"id":"limited-detector","public_key":"\#(key.publicKey.hex)","domains":["ai.anomaly.v1"]}"#),
            ] {
                let path = cluster.directory + "/" + file
                let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                try (String(text.dropLast(2)) + ",\(entry)]}").write(toFile: path, atomically: true, encoding: .utf8)
            }
        }

        @Test func validEventsAreCommittedOnceAndEveryInvalidKindIsDeadLetteredWithItsReasonHeadersAndOriginalBytes() throws {
            let cluster = try TestCluster(size: 4)
            try Self.addLimitedProducer(cluster)
            try cluster.startAll()
            let kafka = try TestKafka(cluster: cluster)
            try kafka.startIngestor(1)
            #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")

            let produced = try kafka.produce(["--rate", "400", "--count", "220", "--invalid"] + Self.invalidKinds + ["--invalid-every", "2"])
            #expect(produced.count == 220)
            let valid = Set(produced.filter { $0.kind == "valid" }.compactMap(\.transactionID))
            #expect(valid.count == 110)
            let settled = cluster.waitUntil(seconds: 120) {
                guard let (_, status) = kafka.ingestorGet(1, "/status") else { return false }
                let deadLettered = (status["dead_lettered"] as? [String: Int])?.values.reduce(0, +) ?? 0
                return status["in_flight_events"] as? Int == 0 && deadLettered == 100 && status["committed"] as? Int == 110
            }
            #expect(settled, "the ingestor did not settle every record: \(kafka.ingestorGet(1, "/status")?.1 ?? [:])\n\(kafka.logs)")

            // Every valid event is in the chain exactly once; the replays added nothing.
            let chain = kafka.committedTransactions(1)
            let missing = valid.subtracting(chain).count
            #expect(missing == 0, "valid events missing from the chain")
            #expect(chain.count == Set(chain).count, "a transaction was committed twice")
            let (_, status) = try #require(kafka.ingestorGet(1, "/status"))
            #expect(status["replays"] as? Int == 10)

            // Each invalid kind is dead-lettered with its reason, its source and its original bytes.
            let dead = try kafka.readAll("ai.dlq.v1", expecting: 100)
            #expect(dead.count == 100)
            var sources: [String: [UInt8]] = [:]
            for topic in ["ai.anomalies.v1", "ai.evidence.v1", "ai.policy.v1"] {
                for record in try kafka.readAll(topic, expecting: produced.filter { $0.topic == topic }.count) {
                    sources["\(topic)/\(record.topicPartition.partition)/\(record.offset)"] = record.value
                }
            }
            let journal = Dictionary(produced.map { ("\($0.topic)/\($0.partition)/\($0.offset)", $0.kind) }, uniquingKeysWith: { first, _ in first })
            var reasons: [String: Int] = [:]
            for record in dead {
                let reason = record.header("x-cybermesh-reason") ?? "none"
                reasons[reason, default: 0] += 1
                let source = "\(record.header("x-cybermesh-source-topic") ?? "?")/\(record.header("x-cybermesh-source-partition") ?? "?")/\(record.header("x-cybermesh-source-offset") ?? "?")"
                #expect(journal[source] == reason, "DLQ record for \(source) says \(reason)")
                #expect(sources[source] == record.value, "DLQ record for \(source) does not carry the original bytes")
                #expect(!(record.header("x-cybermesh-detail") ?? "").isEmpty)
            }
            #expect(reasons == Dictionary(uniqueKeysWithValues: Self.invalidKinds.filter { $0 != "replay" }.map { ($0, 10) }))
            kafka.stopIngestor(1)
        }
    }
}
