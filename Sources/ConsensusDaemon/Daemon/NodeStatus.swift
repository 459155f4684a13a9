import ConsensusCore
import Synchronization
import Wire

/// What the driver publishes after every batch of work, for the operator
/// port, gateway queries and metrics: a value copied out of the core, so
/// readers on other threads never touch the replica.
struct NodeStatus: Sendable {
    struct Peer: Sendable {
        let id: ValidatorID
        let connected: Bool
        let lastSeenMs: Int64?
    }

    var nodeID: ValidatorID
    var chainID: String
    var height: UInt64 = 0
    var lastBlockHash: Hash32?
    var stateRoot: Hash32?
    var view: UInt64 = 0
    var leader: ValidatorID
    var quorum: Int
    var changingView = false
    var viewChanges = 0
    var genesis: GenesisCeremony.Status?
    var certificate: GenesisCertificate?
    var mempoolSize = 0
    var mempoolBytes = 0
    var mempool = MempoolStatistics()
    var committedTransactions: UInt64 = 0
    var lastCommitMs: Int64?
    var reputation: [ValidatorID: Replica.Reputation] = [:]
    var statistics = Replica.Statistics()
    var peers: [Peer] = []
    var storedBottom: UInt64 = 0
    /// Set while this validator's execution differs from what a quorum certified.
    var divergence: Replica.Divergence?
    /// Set once a write or sync failed: the validator sends nothing more.
    var storageFailure: String?

    var genesisComplete: Bool { certificate != nil }
}

/// The latest `NodeStatus`, shared between the driver and its readers.
final class PublishedStatus: Sendable {
    private let value: Mutex<NodeStatus>

    init(_ initial: NodeStatus) { value = Mutex(initial) }

    var current: NodeStatus { value.withLock { $0 } }

    func update(_ body: (inout NodeStatus) -> Void) { value.withLock { body(&$0) } }
}
