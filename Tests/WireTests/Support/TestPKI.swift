import Foundation
@testable import Wire

/// Development PKIs for link tests, generated once per test process in a
/// temporary directory: the cluster's, and a foreign one with the same names.
enum TestPKI {
    static let identities: [PeerIdentity] = [
        PeerIdentity(role: .validator, nodeID: "1"),
        PeerIdentity(role: .validator, nodeID: "2"),
        PeerIdentity(role: .ingestor, nodeID: "ing-1"),
        PeerIdentity(role: .gateway, nodeID: "gw-1"),
        PeerIdentity(role: .persister, nodeID: "p-1"),
    ]

    static let cluster: DevPKI = make("cluster")
    static let foreign: DevPKI = make("foreign")

    private static func make(_ name: String) -> DevPKI {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cybermesh-test-pki-\(getpid())-\(name)").path
        let pki = DevPKI(directory: directory)
        do {
            try pki.generate(identities: identities)
        } catch {
            fatalError("test PKI generation failed: \(error)")
        }
        return pki
    }

    static func tls(_ role: Role, _ nodeID: String, pki: DevPKI = cluster) -> TLSConfiguration {
        pki.configuration(for: PeerIdentity(role: role, nodeID: nodeID))
    }
}
