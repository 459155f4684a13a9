import ArgumentParser
import Wire

/// ingestor: consumes signed events from Kafka, verifies them, dead-letters
/// invalid ones and submits valid ones to every validator. The Kafka side
/// arrives with its own issue; `ingestor load` is the same Wire client fed
/// by a generated source, for `make run` and benchmarks.
@main
struct Ingestor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingestor",
        abstract: "Consumes signed events from Kafka, verifies them, dead-letters invalid ones and submits valid ones to every validator.",
        version: CyberMeshVersion.current,
        subcommands: [LoadCommand.self, DevKafkaCommand.self, ProduceCommand.self])
}
