import ConsensusCore

/// How a test-only validator deviates from the protocol: its settings
/// (a skewed clock, dropped submissions) and what it sends instead of each
/// message the honest core asks it to send.
///
/// The seam exists so that multi-process tests can run a Byzantine
/// validator over real links with exactly the production code around it.
/// Implementations live only in test-only executables
/// (Tests/ByzantineValidator); `consensusd` never constructs one.
public protocol Misbehavior: Sendable {
    /// Changes the resolved settings before anything starts.
    func adjust(_ settings: inout DaemonSettings)

    /// What actually leaves for one message the core sends to `peers`:
    /// each element is a message and the peers it goes to. `settings`
    /// carry this validator's id and signing key.
    func outgoing(_ message: ConsensusMessage, to peers: [ValidatorID], settings: DaemonSettings) -> [(ConsensusMessage, [ValidatorID])]
}

/// Sends through the real network what a `Misbehavior` makes of each message.
struct FilteredPeerSender: PeerSender {
    let network: PeerNetwork
    let filter: any Misbehavior
    let settings: DaemonSettings
    let others: [ValidatorID]

    init(network: PeerNetwork, filter: any Misbehavior, settings: DaemonSettings) {
        self.network = network
        self.filter = filter
        self.settings = settings
        others = settings.validatorSet.validators.map(\.id).filter { $0 != settings.nodeID }
    }

    func broadcast(_ message: ConsensusMessage) {
        deliver(filter.outgoing(message, to: others, settings: settings))
    }

    func send(_ message: ConsensusMessage, to peer: ValidatorID) {
        deliver(filter.outgoing(message, to: [peer], settings: settings))
    }

    func peerStates(nowMs: Int64) -> [NodeStatus.Peer] { network.peerStates(nowMs: nowMs) }

    private func deliver(_ sends: [(ConsensusMessage, [ValidatorID])]) {
        for (message, peers) in sends {
            for peer in peers { network.send(message, to: peer) }
        }
    }
}
