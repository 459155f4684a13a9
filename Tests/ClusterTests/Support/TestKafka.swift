import Foundation
import Glibc
import Kafka
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The ingestor side of a multi-process test: an `ingestor dev-kafka`
/// broker, `ingestor run` processes against a `TestCluster`, and
/// `ingestor produce` runs that journal what they published.
final class TestKafka: @unchecked Sendable {
    // Used from one test at a time (the suites are serialized).
    let cluster: TestCluster
    let bootstrap: String
    private let broker: Process
    private(set) var ingestors: [Int: Process] = [:]
    private(set) var ingestorPorts: [Int: UInt16] = [:]
    private var ingestorEnvironment: [Int: [String: String]] = [:]

    init(cluster: TestCluster, partitions: Int = 3) throws {
        self.cluster = cluster
        let file = cluster.directory + "/kafka-bootstrap.txt"
        broker = Process()
        broker.executableURL = URL(fileURLWithPath: TestCluster.binaries + "/ingestor")
        broker.arguments = ["dev-kafka", "--partitions", "\(partitions)", "--bootstrap-file", file]
        let log = cluster.directory + "/dev-kafka.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        broker.standardOutput = FileHandle(forWritingAtPath: log)
        broker.standardError = FileHandle(forWritingAtPath: log)
        try broker.run()
        guard cluster.waitUntil(seconds: 30, { FileManager.default.fileExists(atPath: file) }),
              let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ClusterError("ingestor dev-kafka wrote no bootstrap file; see \(log)")
        }
        bootstrap = text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        for i in ingestors.keys.sorted() { stopIngestor(i) }
        if broker.isRunning {
            kill(broker.processIdentifier, SIGTERM)
            broker.waitUntilExit()
        }
    }

    var logs: String { "ingestor logs: \(cluster.directory)/ingestor-*.log, broker: \(cluster.directory)/dev-kafka.log\n" + cluster.logsOnFailure }

    /// Settings for ingestor `i` (applied at its next start).
    func configureIngestor(_ i: Int, _ settings: [String: String]) { ingestorEnvironment[i] = settings }

    /// Starts `ingestor run` number `i` (its own operator port), as the
    /// extra ingestor identity of the test PKI.
    func startIngestor(_ i: Int) throws {
        let port = try ingestorPorts[i] ?? TestCluster.freePort()
        ingestorPorts[i] = port
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestCluster.binaries + "/ingestor")
        process.arguments = ["run"]
        var env = ProcessInfo.processInfo.environment
        env.merge([
            "KAFKA_BROKERS": bootstrap, "VALIDATOR_SET_FILE": cluster.setFilePath, "TLS_CA_FILE": cluster.pki.caCertificatePath,
            "TLS_CERT_FILE": "\(cluster.pki.directory)/ingestor-ingestor-extra-1.pem", "TLS_KEY_FILE": "\(cluster.pki.directory)/ingestor-ingestor-extra-1.key",
            "TRUST_STORE_FILE": cluster.directory + "/trust.json", "HTTP_LISTEN_ADDR": "127.0.0.1:\(port)", "LOG_LEVEL": "info",
            "KAFKA_SESSION_TIMEOUT": "6s", "RESUBMIT_INTERVAL": "3s",
        ]) { _, new in new }
        env.merge(ingestorEnvironment[i] ?? [:]) { _, new in new }
        process.environment = env
        let log = "\(cluster.directory)/ingestor-\(i).log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        ingestors[i] = process
    }

    /// Sends `signal` to ingestor `i` without waiting (SIGHUP: reload).
    func signalIngestor(_ i: Int, _ signal: Int32) {
        if let process = ingestors[i], process.isRunning { kill(process.processIdentifier, signal) }
    }

    func stopIngestor(_ i: Int, signal: Int32 = SIGTERM) {
        guard let process = ingestors.removeValue(forKey: i), process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// Runs `ingestor produce` to completion; returns its journal lines.
    @discardableResult
    func produce(_ arguments: [String], journal: String? = nil, producersFile: String? = nil) throws -> [ProducedRecord] {
        let file = journal ?? cluster.directory + "/produced-\(UUID().uuidString.prefix(6)).jsonl"
        let process = try startProducing(arguments, journal: file, producersFile: producersFile)
        process.waitUntilExit()
        let log = cluster.directory + "/produce.log"
        guard process.terminationStatus == 0 else { throw ClusterError("ingestor produce failed; see \(log)") }
        return try Self.journal(file)
    }

    /// Starts `ingestor produce` in the background, journaling to `journal`.
    func startProducing(_ arguments: [String], journal: String, producersFile: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestCluster.binaries + "/ingestor")
        process.arguments = ["produce", "--record-file", journal] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(["KAFKA_BROKERS": bootstrap, "PRODUCERS_FILE": producersFile ?? cluster.directory + "/producers.json"]) { _, new in new }
        process.environment = env
        let log = cluster.directory + "/produce.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// The consumer group's committed next-offset per partition of `topics`
    /// (partitions 0..<partitions), read without joining the group.
    func committedOffsets(group: String = "cybermesh-consensus", topics: [String], partitions: Int32 = 3) throws -> [TopicPartition: Int64] {
        final class Quiet: KafkaRebalanceHandler {
            func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) {}
            func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer) {}
        }
        let observer = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": group]), topics: [], handler: Quiet(), log: { _, _, _ in })
        defer { observer.close() }
        let all = topics.flatMap { topic in (0..<partitions).map { TopicPartition(topic: topic, partition: $0) } }
        return try observer.committed(all, timeoutMs: 10_000)
    }

    static func journal(_ path: String) throws -> [ProducedRecord] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
            return ProducedRecord(
                kind: object["kind"] as? String ?? "", transactionID: object["tx_id"] as? String, topic: object["topic"] as? String ?? "",
                partition: Int32(object["partition"] as? Int ?? -1), offset: Int64(object["offset"] as? Int ?? -1))
        }
    }

    /// GET on ingestor `i`'s operator port.
    func ingestorGet(_ i: Int, _ path: String) -> (Int, [String: Any])? {
        guard let port = ingestorPorts[i] else { return nil }
        return TestCluster.httpGet("http://127.0.0.1:\(port)\(path)").map { ($0.0, (try? JSONSerialization.jsonObject(with: $0.1)) as? [String: Any] ?? [:]) }
    }

    /// Every record now in `topic`, read by a fresh consumer group.
    func readAll(_ topic: String, expecting count: Int, seconds: Double = 60) throws -> [KafkaRecord] {
        final class Quiet: KafkaRebalanceHandler {
            func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) {}
            func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer) {}
        }
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration([
                "bootstrap.servers": bootstrap, "group.id": "reader-\(UUID().uuidString.prefix(8))", "auto.offset.reset": "earliest",
                "session.timeout.ms": "6000",
            ]),
            topics: [topic], handler: Quiet(), log: { _, _, _ in })
        defer { consumer.close() }
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, records.count < count {
            if case let .record(record)? = consumer.poll(timeoutMs: 100) { records.append(record) }
        }
        // A little longer, to catch records beyond the expected count.
        let extra = Date().addingTimeInterval(1)
        while Date() < extra {
            if case let .record(record)? = consumer.poll(timeoutMs: 100) { records.append(record) }
        }
        return records
    }

    /// Every transaction id committed on validator `i`, in chain order.
    func committedTransactions(_ i: Int) -> [String] {
        let height = cluster.height(i)
        guard height > 0 else { return [] }
        return (1...height).flatMap { h -> [String] in
            guard let (status, block) = cluster.get(i, "/blocks/\(h)"), status == 200 else { return ["missing-block-\(h)"] }
            return block["tx_ids"] as? [String] ?? []
        }
    }
}

/// One line of an `ingestor produce --record-file` journal.
struct ProducedRecord: Equatable {
    let kind: String
    let transactionID: String?
    let topic: String
    let partition: Int32
    let offset: Int64
}
