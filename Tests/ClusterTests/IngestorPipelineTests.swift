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

extension ClusterSuites.IngestorPipelineTests {
    static let inputTopics = ["ai.anomalies.v1", "ai.evidence.v1", "ai.policy.v1"]

    /// Checks the guarantee at one moment, with no ingestor running: every
    /// valid record below the group's committed offset is committed on
    /// the chain (f+1 reported it, so validator 1 has it or soon will).
    /// Returns how many records the committed offsets cover.
    @discardableResult
    static func offsetsAreNotAheadOfTheirEvents(_ kafka: TestKafka, journal: String) throws -> Int {
        let offsets = try kafka.committedOffsets(topics: inputTopics)
        let produced = try TestKafka.journal(journal)
        let covered = produced.filter { record in
            guard let next = offsets[TopicPartition(topic: record.topic, partition: record.partition)] else { return false }
            return record.offset < next
        }
        let needed = Set(covered.filter { $0.kind == "valid" }.compactMap(\.transactionID))
        var chain = Set<String>()
        _ = kafka.cluster.waitUntil(seconds: 30) {
            chain = Set(kafka.committedTransactions(1))
            return chain.isSuperset(of: needed)
        }
        let ahead = needed.subtracting(chain).count
        #expect(ahead == 0, "an offset was committed ahead of \(ahead) uncommitted events\n\(kafka.logs)")
        return covered.count
    }

    /// After the run: every valid event committed exactly once, every
    /// invalid one dead-lettered (at least once: a write may be repeated
    /// after a crash), every offset at the end of its partition.
    static func everythingSettledExactlyOnce(_ kafka: TestKafka, journal: String, ingestor: Int) throws {
        let produced = try TestKafka.journal(journal)
        let valid = Set(produced.filter { $0.kind == "valid" }.compactMap(\.transactionID))
        let ends = Dictionary(grouping: produced, by: { TopicPartition(topic: $0.topic, partition: $0.partition) }).mapValues { $0.map(\.offset).max()! + 1 }
        var offsets: [TopicPartition: Int64] = [:]
        let settled = kafka.cluster.waitUntil(seconds: 180) {
            offsets = (try? kafka.committedOffsets(topics: inputTopics)) ?? [:]
            return ends.allSatisfy { offsets[$0.key] == $0.value }
        }
        #expect(settled, "offsets never reached the ends: \(offsets) vs \(ends)\n\(kafka.logs)")
        // f+1 validators reported them; validator 1 may still be catching up.
        var chain: [String] = []
        _ = kafka.cluster.waitUntil(seconds: 60) {
            chain = kafka.committedTransactions(1)
            return valid.isSubset(of: chain)
        }
        let neverCommitted = valid.subtracting(chain).count
        #expect(neverCommitted == 0, "valid events never committed")
        #expect(chain.count == Set(chain).count, "a transaction was committed twice")
        let invalid = produced.filter { $0.kind != "valid" && $0.kind != "replay" }
        let dead = try kafka.readAll("ai.dlq.v1", expecting: invalid.count)
        let deadSources = Set(dead.map { "\($0.header("x-cybermesh-source-topic") ?? "")/\($0.header("x-cybermesh-source-partition") ?? "")/\($0.header("x-cybermesh-source-offset") ?? "")" })
        let missing = invalid.filter { !deadSources.contains("\($0.topic)/\($0.partition)/\($0.offset)") }.count
        #expect(missing == 0, "\(missing) invalid events never dead-lettered")
    }

    @Test func killingTheIngestorAtRandomMomentsLosesNothingAndCommitsNothingTwice() throws {
        let cluster = try TestCluster(size: 4)
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        try kafka.startIngestor(1)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")
        let journal = cluster.directory + "/produced.jsonl"
        let producer = try kafka.startProducing(["--rate", "400", "--count", "10000", "--invalid", "bad_signature", "stale_timestamp", "--invalid-every", "50"], journal: journal)
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var coveredAtKills: [Int] = []
        while producer.isRunning || kills < 3 {
            // Kill only a member that owns partitions and is working.
            let working = cluster.waitUntil(seconds: 60) { (kafka.ingestorGet(1, "/status")?.1["assigned"] as? [String])?.count == 9 }
            #expect(working, "the restarted ingestor never got the partitions\n\(kafka.logs)")
            usleep(UInt32.random(in: 200_000...3_000_000, using: &generator))
            kafka.stopIngestor(1, signal: SIGKILL)
            kills += 1
            coveredAtKills.append(try Self.offsetsAreNotAheadOfTheirEvents(kafka, journal: journal))
            usleep(UInt32.random(in: 0...1_000_000, using: &generator))
            try kafka.startIngestor(1)
        }
        producer.waitUntilExit()
        #expect(producer.terminationStatus == 0)
        try Self.everythingSettledExactlyOnce(kafka, journal: journal, ingestor: 1)
        kafka.stopIngestor(1)
        #expect(kills >= 3)
        #expect(coveredAtKills.last ?? 0 > coveredAtKills.first ?? 0, "the kills never came while offsets advanced: \(coveredAtKills)")
    }

    @Test(arguments: ["cooperative-sticky", "eager"])
    func twoIngestorsShareTheGroupAndWhenOneIsKilledTheOtherFinishesItsPartitions(strategy: String) throws {
        let cluster = try TestCluster(size: 4)
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        for i in 1...2 { kafka.configureIngestor(i, ["KAFKA_REBALANCE_STRATEGY": strategy]) }
        try kafka.startIngestor(1)
        try kafka.startIngestor(2)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 && kafka.ingestorGet(2, "/ready")?.0 == 200 }, "ingestors never ready\n\(kafka.logs)")
        #expect(cluster.waitUntil(seconds: 30) {
            let counts = [1, 2].map { (kafka.ingestorGet($0, "/status")?.1["assigned"] as? [String])?.count ?? 0 }
            return counts.allSatisfy { $0 > 0 } && counts.reduce(0, +) == 9
        }, "the group did not split the 9 partitions between the two ingestors\n\(kafka.logs)")
        let journal = cluster.directory + "/produced.jsonl"
        let producer = try kafka.startProducing(["--rate", "500", "--count", "10000", "--invalid", "bad_content_hash", "--invalid-every", "100"], journal: journal)
        usleep(6_000_000)
        kafka.stopIngestor(2, signal: SIGKILL)
        try Self.offsetsAreNotAheadOfTheirEvents(kafka, journal: journal)
        #expect(cluster.waitUntil(seconds: 60) { (kafka.ingestorGet(1, "/status")?.1["assigned"] as? [String])?.count == 9 }, "ingestor 1 never took over\n\(kafka.logs)")
        producer.waitUntilExit()
        try Self.everythingSettledExactlyOnce(kafka, journal: journal, ingestor: 1)
        kafka.stopIngestor(1)
    }
}

extension ClusterSuites.IngestorPipelineTests {
    @Test func whileEveryValidatorAnswersFullThePartitionsPauseTheBacklogStaysBoundedAndNothingIsLost() throws {
        let cluster = try TestCluster(size: 4)
        for i in 1...4 { cluster.makeByzantine(i, ["--answer-full-for", "15"]) }
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        let bound = 300
        kafka.configureIngestor(1, ["MAX_IN_FLIGHT_EVENTS": "\(bound)"])
        try kafka.startIngestor(1)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")
        let journal = cluster.directory + "/produced.jsonl"
        try kafka.produce(["--rate", "1000", "--count", "2000"], journal: journal)
        var largest = 0
        var sawPause = false
        var sawBackOff = false
        _ = cluster.waitUntil(seconds: 60) {
            guard let (_, status) = kafka.ingestorGet(1, "/status") else { return false }
            largest = max(largest, status["in_flight_events"] as? Int ?? 0)
            sawPause = sawPause || !((status["paused"] as? [String]) ?? []).isEmpty
            sawBackOff = sawBackOff || (status["back_offs"] as? Int ?? 0) > 0
            return (status["committed"] as? Int ?? 0) > 0
        }
        #expect(sawBackOff, "f+1 full answers never made the ingestor back off")
        #expect(sawPause, "no partition was ever paused")
        #expect(largest <= bound, "in-flight events reached \(largest) against a bound of \(bound)")
        try Self.everythingSettledExactlyOnce(kafka, journal: journal, ingestor: 1)
        kafka.stopIngestor(1)
    }

    @Test func aValidatorDroppingSubmissionsAndAnotherForgingCommitNoticesNeitherLoseNorAdvanceAnything() throws {
        let cluster = try TestCluster(size: 7)
        cluster.makeByzantine(6, ["--drop-submissions"])
        cluster.makeByzantine(7, ["--drop-submissions", "--false-notices"])
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        try kafka.startIngestor(1)
        #expect(cluster.waitUntil(seconds: 90) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")
        // Without validators 1-3 nothing can commit: the forged notices are the only ones.
        for i in 1...3 { cluster.stop(i) }
        let journal = cluster.directory + "/produced.jsonl"
        try kafka.produce(["--rate", "200", "--count", "300"], journal: journal)
        #expect(cluster.waitUntil(seconds: 30) { (kafka.ingestorGet(1, "/status")?.1["consumed"] as? Int ?? 0) >= 300 })
        usleep(3_000_000)
        let (_, stalled) = try #require(kafka.ingestorGet(1, "/status"))
        let noticed = (stalled["validators"] as? [[String: Any]] ?? []).first { $0["id"] as? Int == 7 }?["noticed"] as? Int ?? 0
        #expect(noticed >= 300, "validator 7 forged notices for only \(noticed) events: the attack did not happen")
        #expect(stalled["committed"] as? Int == 0, "events settled while no quorum could commit: \(stalled)")
        let offsets = try kafka.committedOffsets(topics: Self.inputTopics)
        #expect(offsets.values.allSatisfy { $0 <= 0 }, "offsets advanced while nothing could commit: \(offsets)")
        for i in 1...3 { try cluster.start(i) }
        try kafka.produce(["--rate", "500", "--count", "1000"], journal: journal)
        try Self.everythingSettledExactlyOnce(kafka, journal: journal, ingestor: 1)
        kafka.stopIngestor(1)
    }
}

extension ClusterSuites.IngestorPipelineTests {
    @Test func aValidatorAnswersAlreadyCommittedForAnEventCommittedLongBeforeItsNonceTTL() throws {
        let cluster = try TestCluster(size: 4)
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        try kafka.startIngestor(1)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")
        try kafka.produce(["--rate", "200", "--count", "200"])
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/status")?.1["committed"] as? Int == 200 }, "not committed\n\(kafka.logs)")
        kafka.stopIngestor(1)
        // The validators come back 20 minutes later (their clocks shifted):
        // the events are past the 15-minute nonce TTL and the 5-minute window.
        cluster.stopAll()
        for i in 1...4 { cluster.makeByzantine(i, ["--clock-offset-ms", "\(20 * 60_000)"]) }
        try cluster.startAll()
        // A new group reads every event again, as after a long outage.
        kafka.configureIngestor(2, ["KAFKA_CONSUMER_GROUP_ID": "after-the-pause"])
        try kafka.startIngestor(2)
        let settled = cluster.waitUntil(seconds: 90) {
            guard let (_, status) = kafka.ingestorGet(2, "/status") else { return false }
            let deadLettered = (status["dead_lettered"] as? [String: Int] ?? [:]).values.reduce(0, +)
            return (status["replays"] as? Int ?? 0) + (status["committed"] as? Int ?? 0) + deadLettered == 200
        }
        let (_, status) = try #require(kafka.ingestorGet(2, "/status"))
        #expect(settled, "the re-read events never settled: \(status)\n\(kafka.logs)")
        #expect(status["replays"] as? Int == 200, "\(status)")
        #expect((status["dead_lettered"] as? [String: Int] ?? [:]).isEmpty, "committed events were dead-lettered: \(status)")
        kafka.stopIngestor(2)
    }

    @Test func aSIGHUPWithANewTrustStoreAdmitsANewProducerAndABrokenFileKeepsTheOldStore() throws {
        let cluster = try TestCluster(size: 4)
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        try kafka.startIngestor(1)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")
        let key = Ed25519.SigningKey.generate()
        let lateProducers = cluster.directory + "/late-producers.json"
        try #"{"producers":[{"id":"late-detector","secret_key_hex":"\#(Hex.encode(key.exportSeed()))"}]}"#.write(toFile: lateProducers, atomically: true, encoding: .utf8)
        func sha256s() -> [String] {
            (1...4).map { (cluster.status($0)?["trust_store"] as? [String: Any])?["sha256"] as? String ?? "?" }
                + [((kafka.ingestorGet(1, "/status")?.1["trust_store"]) as? [String: Any])?["sha256"] as? String ?? "?"]
        }
        func hangUpEverything() {
            for i in 1...4 { cluster.signal(i, SIGHUP) }
            kafka.signalIngestor(1, SIGHUP)
        }
        let original = sha256s()
        #expect(Set(original).count == 1 && original[0] != "?", "\(original)")

        try kafka.produce(["--rate", "100", "--count", "20"], producersFile: lateProducers)
        #expect(cluster.waitUntil(seconds: 60) { (kafka.ingestorGet(1, "/status")?.1["dead_lettered"] as? [String: Int])?["unknown_producer"] == 20 })

        let trustPath = cluster.directory + "/trust.json"
        let good = try String(contentsOfFile: trustPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try "{\"producers\": [ broken".write(toFile: trustPath, atomically: true, encoding: .utf8)
        hangUpEverything()
        usleep(1_000_000)
        #expect(sha256s() == original, "a broken file replaced the store")
        #expect(cluster.status(1) != nil, "validator 1 stopped on a broken trust store")

        let added = String(good.dropLast(2)) + #",{"id":"late-detector","public_key":"\#(key.publicKey.hex)","domains":["ai.anomaly.v1","ai.evidence.v1","ai.policy.v1"]}]}"#
        try added.write(toFile: trustPath, atomically: true, encoding: .utf8)
        hangUpEverything()
        #expect(cluster.waitUntil(seconds: 10) { let now = sha256s(); return Set(now).count == 1 && now[0] != original[0] }, "\(sha256s())")
        try kafka.produce(["--rate", "100", "--count", "20"], producersFile: lateProducers)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/status")?.1["committed"] as? Int == 20 }, "the new producer's events were not committed\n\(kafka.logs)")
        let logs = (try? String(contentsOfFile: cluster.directory + "/consensusd-1.log", encoding: .utf8)) ?? ""
        #expect(logs.contains("trust store reload failed") && logs.contains("trust store reloaded"))
        kafka.stopIngestor(1)
    }
}

extension ClusterSuites.IngestorPipelineTests {
    @Test func anIndependentPythonProducersEventsAreCommittedOrDeadLetteredByTheContractAlone() throws {
        let cluster = try TestCluster(size: 4)
        let key = Ed25519.SigningKey.generate()
        let trustPath = cluster.directory + "/trust.json"
        let trust = try String(contentsOfFile: trustPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try (String(trust.dropLast(2)) + #",{"id":"py-detector","public_key":"\#(key.publicKey.hex)","domains":["ai.anomaly.v1","ai.evidence.v1","ai.policy.v1"]}]}"#)
            .write(toFile: trustPath, atomically: true, encoding: .utf8)
        try cluster.startAll()
        let kafka = try TestKafka(cluster: cluster)
        try kafka.startIngestor(1)
        #expect(cluster.waitUntil(seconds: 60) { kafka.ingestorGet(1, "/ready")?.0 == 200 }, "ingestor never ready\n\(kafka.logs)")

        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        script.arguments = [TestCluster.packageRoot + "/scripts/independent-producer.py", kafka.bootstrap, "py-detector", Hex.encode(key.exportSeed()), "6"]
        let output = Pipe()
        script.standardOutput = output
        script.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try script.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        script.waitUntilExit()
        #expect(script.terminationStatus == 0, "the independent producer failed:\n\(text)")
        let lines = text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(lines.count == 54 && lines.allSatisfy { $0["error"] == nil }, "\(lines.count) records acknowledged: \(text.prefix(2_000))")
        let valid = Set(lines.filter { $0["kind"] as? String == "valid" }.compactMap { $0["tx_id"] as? String })
        #expect(valid.count == 6)

        let settled = cluster.waitUntil(seconds: 90) {
            guard let (_, status) = kafka.ingestorGet(1, "/status") else { return false }
            let dead = (status["dead_lettered"] as? [String: Int] ?? [:]).values.reduce(0, +)
            return status["committed"] as? Int == 6 && dead == 48
        }
        #expect(settled, "\(kafka.ingestorGet(1, "/status")?.1 ?? [:])\n\(kafka.logs)")
        // The transaction ids Python computed from the contract are the chain's.
        var chain = Set<String>()
        _ = cluster.waitUntil(seconds: 30) {
            chain = Set(kafka.committedTransactions(1))
            return valid.isSubset(of: chain)
        }
        #expect(valid.isSubset(of: chain), "Python's transaction ids are not the committed ones")
        let dead = try kafka.readAll("ai.dlq.v1", expecting: 48)
        var reasons: [String: Int] = [:]
        for record in dead { reasons[record.header("x-cybermesh-reason") ?? "none", default: 0] += 1 }
        let kinds = ["bad_signature", "bad_content_hash", "domain_mismatch", "stale_timestamp", "future_timestamp", "bad_payload", "unknown_producer", "malformed"]
        #expect(reasons == Dictionary(uniqueKeysWithValues: kinds.map { ($0, 6) }))
        kafka.stopIngestor(1)
    }
}
