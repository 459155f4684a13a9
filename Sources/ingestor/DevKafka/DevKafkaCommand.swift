import ArgumentParser
import Foundation
import Kafka

/// `ingestor dev-kafka`: librdkafka's mock cluster on 127.0.0.1 with
/// CyberMesh's topics created, for `make run` and tests. It keeps
/// everything in memory and stops on SIGINT or SIGTERM.
struct DevKafkaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-kafka",
        abstract: "Run librdkafka's mock Kafka cluster on 127.0.0.1 with CyberMesh's topics (development and tests only).")

    @Option(name: .long, help: "Partitions per topic.") var partitions: Int32 = 3
    @Option(name: .long, help: "Mock brokers.") var brokers: Int32 = 1
    @Option(name: .long, help: "Also write the bootstrap address to this file (written whole, then renamed into place).") var bootstrapFile: String?
    @Option(name: .long, help: "Topics to create (comma-separated); default: the input, DLQ and control topics of CONTRACT §1-3.") var topics: String?

    func validate() throws {
        guard (1...256).contains(partitions) else { throw ValidationError("--partitions must be 1-256") }
        guard (1...9).contains(brokers) else { throw ValidationError("--brokers must be 1-9") }
        if let topics {
            for name in topics.split(separator: ",") where !IngestTopics.isValidTopicName(String(name)) {
                throw ValidationError("--topics: \"\(name)\" is not a Kafka topic name")
            }
        }
    }

    func run() throws {
        let cluster = try KafkaMockCluster(brokers: brokers)
        let names = topics.map { $0.split(separator: ",").map(String.init) } ?? IngestTopics.developmentTopics
        for name in names { try cluster.createTopic(name, partitions: partitions) }
        if let bootstrapFile {
            let temporary = bootstrapFile + ".tmp"
            try Data((cluster.bootstrapServers + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, bootstrapFile) == 0 else { throw ValidationError("--bootstrap-file: cannot rename \(temporary) to \(bootstrapFile): \(String(cString: strerror(errno)))") }
        }
        print("kafka mock cluster: \(cluster.bootstrapServers) (topics \(names.joined(separator: ",")), \(partitions) partitions each)")
        fflush(nil)
        let stop = SignalFlag.installInterruptHandler()
        while !stop.isSet { usleep(100_000) }
        withExtendedLifetime(cluster) {}
    }
}
