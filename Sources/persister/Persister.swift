import ArgumentParser
import Wire

/// persister: Follows committed blocks and writes them to CockroachDB; answers history queries.
/// Its service arrives with its own issue; this shell already follows the
/// shared process conventions (flags and environment, --version).
@main
struct Persister: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persister",
        abstract: "Follows committed blocks and writes them to CockroachDB; answers history queries.",
        version: CyberMeshVersion.current)

    func run() throws {
        throw ValidationError("persister has no service yet in this release; see the README's roadmap")
    }
}
