import ArgumentParser
import Wire

/// gateway: Read-only REST API over the persister and the validators.
/// Its service arrives with its own issue; this shell already follows the
/// shared process conventions (flags and environment, --version).
@main
struct Gateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Read-only REST API over the persister and the validators.",
        version: CyberMeshVersion.current)

    func run() throws {
        throw ValidationError("gateway has no service yet in this release; see the README's roadmap")
    }
}
