import ArgumentParser
import Wire

/// `consensusd dev-pki`: a development cluster CA plus a certificate for
/// every validator, ingestor, persister and gateway of a local cluster.
/// Re-running adds missing certificates and keeps existing ones.
struct DevPKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-pki", abstract: "Create a development PKI (cluster CA and node certificates).")

    @Option(name: .long, help: "Directory for the PEM files.")
    var out: String

    @Option(name: .long, help: "Validators 1...N (each also gets ingestor and persister certificates).")
    var validators: Int = 4

    @Option(name: .long, help: "Extra ingestor certificates (ids ingestor-extra-1...).")
    var extraIngestors: Int = 1

    @Option(name: .long, help: "Gateway certificates (ids gateway-1...).")
    var gateways: Int = 1

    func validate() throws {
        guard (1...64).contains(validators) else { throw ValidationError("--validators must be 1-64, got \(validators)") }
        guard (0...64).contains(extraIngestors) else { throw ValidationError("--extra-ingestors must be 0-64") }
        guard (0...64).contains(gateways) else { throw ValidationError("--gateways must be 0-64") }
    }

    func run() throws {
        var identities: [PeerIdentity] = []
        for id in 1...validators {
            identities.append(PeerIdentity(role: .validator, nodeID: "\(id)"))
            identities.append(PeerIdentity(role: .ingestor, nodeID: "ingestor-\(id)"))
            identities.append(PeerIdentity(role: .persister, nodeID: "persister-\(id)"))
        }
        for id in stride(from: 1, through: extraIngestors, by: 1) { identities.append(PeerIdentity(role: .ingestor, nodeID: "ingestor-extra-\(id)")) }
        for id in stride(from: 1, through: gateways, by: 1) { identities.append(PeerIdentity(role: .gateway, nodeID: "gateway-\(id)")) }
        try DevPKI(directory: out).generate(identities: identities)
        print("dev PKI in \(out): CA and \(identities.count) certificates")
    }
}
