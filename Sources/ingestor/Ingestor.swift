import ArgumentParser
import Wire

/// ingestor: consumes signed events from Kafka, verifies them, dead-letters
/// invalid ones and submits valid ones to every validator (`run`, the
/// default). `load` is a Wire-only synthetic source for benchmarks;
/// `dev-kafka` and `produce` are the development broker and detector.
@main
struct Ingestor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingestor",
        abstract: "Consumes signed events from Kafka, verifies them, dead-letters invalid ones and submits valid ones to every validator.",
        version: CyberMeshVersion.current,
        subcommands: [RunCommand.self, LoadCommand.self, DevKafkaCommand.self, ProduceCommand.self, BenchVerifyCommand.self],
        defaultSubcommand: RunCommand.self)
}
