import ArgumentParser
import Wire

/// consensusd: one CyberMesh validator. The daemon itself (`run`) arrives
/// with the consensus issues; today it offers the set-up tools that tests
/// and `make run` need.
@main
struct Consensusd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consensusd",
        abstract: "A CyberMesh validator: genesis ceremony, PBFT, state machine, block store.",
        version: CyberMeshVersion.current,
        subcommands: [KeygenCommand.self, DevPKICommand.self, SimulateCommand.self, BenchStateCommand.self])
}
