import ArgumentParser
import Wire

/// ingestor: Consumes signed events from Kafka, verifies them, dead-letters invalid ones and submits valid ones to every validator.
/// Its service arrives with its own issue; this shell already follows the
/// shared process conventions (flags and environment, --version).
@main
struct Ingestor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingestor",
        abstract: "Consumes signed events from Kafka, verifies them, dead-letters invalid ones and submits valid ones to every validator.",
        version: CyberMeshVersion.current)

    func run() throws {
        throw ValidationError("ingestor has no service yet in this release; see the README's roadmap")
    }
}
