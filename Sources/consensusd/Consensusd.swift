import ArgumentParser
import Wire

/// consensusd: one CyberMesh validator (`run`, the default), plus the
/// set-up tools tests and `make run` need, the simulator and benchmarks.
@main
struct Consensusd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consensusd",
        abstract: "A CyberMesh validator: genesis ceremony, PBFT, state machine, block store.",
        version: CyberMeshVersion.current,
        subcommands: [RunCommand.self, KeygenCommand.self, BenchCryptoCommand.self, DevPKICommand.self, SimulateCommand.self, BenchStateCommand.self],
        defaultSubcommand: RunCommand.self)
}
